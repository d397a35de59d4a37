"""Bad inputs found by an audit of the error paths: each gets one ``accelsim: error:`` line naming
the file, line and column (where there is one), the field and what is expected, and exit status 2;
never a traceback or an "internal error" (exit 1), never a silent default or a file written outside
the folder asked for."""
from __future__ import annotations

import contextlib
import io
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

import accelsim
from accelsim.cli.main import main

PACKAGE_ROOT = os.path.dirname(os.path.dirname(accelsim.__file__))
REPO = Path(__file__).resolve().parent.parent
ERROR_LINE = re.compile(r"^accelsim(?: [\w-]+)?: error: (.*)$")


def _cli(argv: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        status = main(argv)
    return status, out.getvalue(), err.getvalue()


def _one_error(argv: list[str]) -> str:
    """Run ``argv``; assert exit 2 with exactly one error line and no traceback; return the message."""
    status, _, err = _cli(argv)
    assert status == 2, err
    assert "Traceback" not in err and "internal error" not in err, err
    lines = [line for line in err.splitlines() if ERROR_LINE.match(line)]
    assert len(lines) == 1, err
    return ERROR_LINE.match(lines[0]).group(1)


# -------------------------------------------------------------------------------------------------
# Workload YAML

HEAD = "version: 1\nname: t\ninputs:\n  - {name: x, shape: [4, 8]}\n  - {name: y, shape: [5, 7]}\nlayers:\n"
IMAGE = "version: 1\nname: t\ninputs:\n  - {name: x, shape: [8, 8, 3]}\nlayers:\n"

#: case -> (workload YAML, field path in the message, words of the expectation)
WORKLOADS = {
    "add with no inputs": (HEAD + "  - {name: a, op: add, inputs: []}\n", "layers[0].inputs", "at least 2"),
    "add with one input": (HEAD + "  - {name: a, op: add, inputs: [x]}\n", "layers[0].inputs", "at least 2"),
    "matmul with one input": (HEAD + "  - {name: a, op: matmul, input: x}\n", "layers[0].input", "exactly 2"),
    "relu with two inputs": (HEAD + "  - {name: a, op: relu, inputs: [x, x]}\n", "layers[0].inputs", "exactly 1"),
    "concat of mismatched shapes": (HEAD + "  - {name: a, op: concat, inputs: [x, y]}\n", "layers[0]",
                                    "differ outside axis"),
    "concat axis a string": (HEAD + "  - {name: a, op: concat, inputs: [x, x], axis: foo}\n", "layers[0].axis",
                             "expected an axis"),
    "concat axis out of range": (HEAD + "  - {name: a, op: concat, inputs: [x, x], axis: 9}\n", "layers[0].axis",
                                 "expected an axis"),
    "concat axis a fraction": (HEAD + "  - {name: a, op: concat, inputs: [x, x], axis: 1.5}\n", "layers[0].axis",
                               "expected an axis"),
    "concat along the batch": (HEAD + "  - {name: a, op: concat, inputs: [x, x], axis: 0}\n", "layers[0].axis",
                               "batch, which is axis 0"),
    "network name a list": (HEAD.replace("name: t", "name: [a, b]") + "  - {name: a, op: relu}\n", "name",
                            "expected a name"),
    "layer name a mapping": (HEAD + "  - {name: {a: 1}, op: relu}\n", "layers[0].name", "expected a name"),
    "input a mapping": (HEAD + "  - {name: a, op: relu, input: {a: 1}}\n", "layers[0].input", "expected a name"),
    "inputs null": (HEAD + "  - {name: a, op: add, inputs: null}\n", "layers[0].inputs",
                    "expected a list of layer names"),
    "input and inputs": (HEAD + "  - {name: a, op: relu, input: x, inputs: [x]}\n", "layers[0].inputs",
                         "not both"),
    "bias a word": (HEAD + "  - {name: a, op: fc, out_features: 3, bias: nope}\n", "layers[0].bias",
                    "expected true or false"),
    "ceil_mode a word": (IMAGE + "  - {name: p, op: maxpool, kernel: 2, ceil_mode: sometimes}\n",
                         "layers[0].ceil_mode", "expected true or false"),
    "pool window larger than the input": (IMAGE + "  - {name: p, op: maxpool, kernel: 20}\n", "layers[0]",
                                          "does not fit"),
    "input name given twice": (HEAD.replace("name: y", "name: x") + "  - {name: a, op: relu}\n", "inputs[1].name",
                               "duplicate"),
}


@pytest.mark.parametrize("case", list(WORKLOADS))
def test_workload_yaml_errors_name_file_line_column_and_field(case, tmp_path):
    text, field, expected = WORKLOADS[case]
    path = tmp_path / "w.yaml"
    path.write_text(text, encoding="utf-8")
    message = _one_error(["run", "--arch", "tpu_v1", "--workload", str(path), "--gpu", "none"])
    assert re.match(rf"{re.escape(str(path))}:\d+:\d+: {re.escape(field)}: ", message), message
    assert expected in message, message


