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
    "pool padding as wide as the window": (IMAGE + "  - {name: p, op: maxpool, kernel: 2, padding: 2}\n",
                                           "layers[0]", "must be smaller than the 2x2 window"),
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


# -------------------------------------------------------------------------------------------------
# ONNX models that are well-formed protobuf but break the operator's contract


def _onnx(nodes, inputs, inits=(), opset=13) -> bytes:
    import numpy as np
    from onnx import TensorProto, helper, numpy_helper

    graph = helper.make_graph(
        nodes, "g", [helper.make_tensor_value_info(n, TensorProto.FLOAT, s) for n, s in inputs],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)],
        [numpy_helper.from_array(np.ones(shape, np.float32) if name != "shape" else np.array(shape, np.int64), name)
         for name, shape in inits])
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)]).SerializeToString()


def _node(op, inputs, **attrs):
    from onnx import helper

    return helper.make_node(op, inputs, ["y"], name="n", **attrs)


#: case -> (model builder, words of the expectation)
ONNX_MODELS = {
    "MatMul with one input": (lambda: _onnx([_node("MatMul", ["x"])], [("x", [1, 8])]), "needs 2 input(s)"),
    "Conv without weights": (lambda: _onnx([_node("Conv", ["x"])], [("x", [1, 3, 8, 8])]), "needs 2 input(s)"),
    "Gemm with one input": (lambda: _onnx([_node("Gemm", ["x"])], [("x", [1, 8])]), "needs 2 input(s)"),
    "Gather with one input": (lambda: _onnx([_node("Gather", ["x"])], [("x", [4, 8])]), "needs 2 input(s)"),
    "LSTM on a 2-D input": (lambda: _onnx([_node("LSTM", ["x", "W", "R"], hidden_size=4)], [("x", [2, 8])],
                                          [("W", [1, 16, 8]), ("R", [1, 16, 4])]), "3-D input"),
    "LayerNormalization of a scalar": (lambda: _onnx([_node("LayerNormalization", ["x", "s"])], [("x", [])],
                                                     [("s", [1])], opset=17), "rank 1 or more"),
    "BatchNormalization of a scalar": (lambda: _onnx([_node("BatchNormalization", ["x", "s", "b", "m", "v"])],
                                                     [("x", [])], [("s", [1]), ("b", [1]), ("m", [1]), ("v", [1])]),
                                       "rank 1 or more"),
    "Reshape that changes the element count": (lambda: _onnx([_node("Reshape", ["x", "shape"])], [("x", [1, 8])],
                                                             [("shape", [3, 5])]), "element count"),
    "MaxPool window larger than the input": (lambda: _onnx([_node("MaxPool", ["x"], kernel_shape=[20, 20])],
                                                           [("x", [1, 3, 8, 8])]), "does not fit"),
}


@pytest.mark.parametrize("case", list(ONNX_MODELS))
def test_malformed_onnx_nodes_are_input_errors(case, tmp_path):
    pytest.importorskip("onnx")
    build, expected = ONNX_MODELS[case]
    path = tmp_path / "m.onnx"
    path.write_bytes(build())
    message = _one_error(["run", "--arch", "tpu_v1", "--workload", str(path), "--gpu", "none"])
    assert message.startswith(f"{path}: "), message
    assert expected in message, message


def test_onnx_warnings_are_one_line_without_python_source(tmp_path):
    pytest.importorskip("onnx")
    path = tmp_path / "m.onnx"
    path.write_bytes(_onnx([_node("FooBar", ["x"])], [("x", [1, 8])]))
    status, _, err = _cli(["run", "--arch", "tpu_v1", "--workload", str(path), "--gpu", "none",
                           "--allow-unsupported"])
    assert status == 0, err
    assert err.startswith(f"accelsim: warning: {path}: costing unsupported ONNX operators"), err
    assert "UserWarning" not in err and ".py:" not in err and len(err.strip().splitlines()) == 1, err


# -------------------------------------------------------------------------------------------------
# Command-line options that were silently defaulted, crashed or ran unbounded

#: case -> (argv, field named in the message, words of the expectation)
OPTIONS = {
    "run --precision empty": (["run", "--arch", "tpu_v1", "--workload", "lenet5", "--precision", ""],
                              "--precision", "expected a precision name"),
    "run --precision unknown": (["run", "--arch", "tpu_v1", "--workload", "lenet5", "--precision", "fp7"],
                                "--precision", "unknown precision 'fp7'"),
    "compare --precision list with a hole": (["compare", "--arch", "tpu_v1", "--workload", "lenet5",
                                              "--precision", "int8,,int16"], "--precision", "comma-separated"),
    "train --precision empty": (["train", "--system", "tpu_v3_8", "--global-batch", "8", "--precision", " "],
                                "--precision", "expected a precision name"),
    "train --parallel empty": (["train", "--system", "tpu_v3_8", "--global-batch", "8", "--parallel", "",
                                "--estimate", "roofline", "--workload", "lenet5"], "--parallel", "dp=1024"),
    "gemm --seed negative": (["gemm", "--m", "4", "--k", "4", "--n", "4", "--rows", "4", "--cols", "4",
                              "--functional", "--seed", "-1"], "--seed", "non-negative integer"),
    "gemm dimension beyond 64-bit counts": (["gemm", "--m", str(10**20), "--k", "4", "--n", "4", "--rows", "4",
                                             "--cols", "4"], "--m", "at most"),
    "gemm with 10^10 folds": (["gemm", "--m", "1", "--k", "100000", "--n", "100000", "--rows", "1", "--cols", "1"],
                              "--rows", "folds"),
    "precision-study --variants empty": (["precision-study", "--variants", ""], "--variants", "comma-separated"),
    "precision-study --variants only commas": (["precision-study", "--variants", ",,"], "--variants",
                                               "comma-separated"),
    "precision-study --hidden-units huge": (["precision-study", "--hidden-units", str(10**11)], "--hidden-units",
                                            "at most"),
    "precision-study --lns-table-size huge": (["precision-study", "--lns-table-size", str(10**13)],
                                              "--lns-table-size", "at most"),
}


@pytest.mark.parametrize("case", list(OPTIONS))
def test_bad_options_are_usage_errors(case):
    argv, field, expected = OPTIONS[case]
    message = _one_error(argv)
    assert field in message and expected in message, message


# -------------------------------------------------------------------------------------------------
# SCALE-Sim config

SCALESIM_CFG = (REPO / "workloads" / "scalesim" / "scale_8x8.cfg").read_text(encoding="utf-8")
SCALESIM_TOPOLOGY = str(REPO / "workloads" / "scalesim" / "mobilenet_head.csv")


@pytest.mark.parametrize("run_name", ["{escape}", "..", "a/b", "", "a\x00b", "a\\b"])
def test_scalesim_run_name_must_be_one_folder_name(run_name, tmp_path):
    """run_name picks the report folder under --outdir; an absolute path or '..' used to write the
    reports elsewhere, a NUL byte crashed."""
    escape = tmp_path / "escape"
    cfg = tmp_path / "c.cfg"
    cfg.write_text(SCALESIM_CFG.replace("run_name = scale_8x8", "run_name = " + run_name.format(escape=escape)),
                   encoding="utf-8")
    message = _one_error(["scalesim", "-c", str(cfg), "-t", SCALESIM_TOPOLOGY, "-p", str(tmp_path / "out"), "-q"])
    line = 1 + next(i for i, text in enumerate(SCALESIM_CFG.splitlines()) if text.startswith("run_name"))
    assert re.match(rf"{re.escape(str(cfg))}:{line}:\d+: general\.run_name: expected a folder name", message), message
    assert not escape.exists() and not (tmp_path / "out").exists()


def test_scalesim_user_bandwidth_beyond_64_bits_is_refused(tmp_path):
    cfg = tmp_path / "c.cfg"
    cfg.write_text(SCALESIM_CFG.replace("CALC", "USER").replace("Bandwidth : 10", "Bandwidth : " + "9" * 25),
                   encoding="utf-8")
    message = _one_error(["scalesim", "-c", str(cfg), "-t", SCALESIM_TOPOLOGY, "-p", str(tmp_path), "-q"])
    line = 1 + next(i for i, text in enumerate(SCALESIM_CFG.splitlines()) if text.startswith("Bandwidth"))
    assert message.startswith(f"{cfg}:{line}:13: architecture_presets.Bandwidth: must be at most"), message


# -------------------------------------------------------------------------------------------------
# Sweep spec and system YAML


def test_sweep_range_whose_step_count_overflows(tmp_path):
    spec = tmp_path / "s.yaml"
    spec.write_text("version: 1\nname: s\narch: tpu_v1\nworkload: lenet5\nset:\n"
                    "  matrix_unit.rows: {from: 0, to: 1.0e+300, step: 1.0e-300}\n", encoding="utf-8")
    message = _one_error(["sweep", str(spec), "--workers", "1", "--db", str(tmp_path / "s.sqlite")])
    assert message.startswith(f"{spec}:6:21: set.matrix_unit.rows: range has too many values; at most"), message


@pytest.mark.parametrize("text, what", [("- 1\n- 2\n", "got a list"), ("", "got an empty document"),
                                        ("42\n", "got int 42")])
def test_system_yaml_that_is_not_a_mapping(text, what, tmp_path):
    path = tmp_path / "sys.yaml"
    path.write_text(text, encoding="utf-8")
    message = _one_error(["train", "--system", str(path), "--global-batch", "8"])
    # the document's start, as for arch, workload and sweep files (reports/bad_inputs.md: `2 F:L:C`)
    assert message.startswith(f"{path}:1:1: <root>: expected a mapping of system fields"), message
    assert what in message and "Marked" not in message and "NoneType" not in message, message


# -------------------------------------------------------------------------------------------------
# In a real process: status 2, one line, no traceback


@pytest.mark.parametrize("argv", [
    ["gemm", "--m", str(10**20), "--k", "4", "--n", "4", "--rows", "4", "--cols", "4"],
    ["run", "--arch", "tpu_v1", "--workload", "{workload}", "--gpu", "none"],
])
def test_no_traceback_in_a_real_process(argv, tmp_path):
    workload = tmp_path / "w.yaml"
    workload.write_text(HEAD + "  - {name: a, op: add, inputs: []}\n", encoding="utf-8")
    argv = [a.replace("{workload}", str(workload)) for a in argv]
    env = dict(os.environ, PYTHONPATH=PACKAGE_ROOT)
    proc = subprocess.run([sys.executable, "-m", "accelsim", *argv], env=env, cwd=tmp_path, capture_output=True,
                          text=True, timeout=120, check=False)
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr and len(proc.stderr.strip().splitlines()) == 1, proc.stderr
