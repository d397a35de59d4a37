"""Errors users can act on: a bad input names what was wrong and what would be accepted (exit 2);
an internal error prints a short message pointing at the issue tracker and ``--debug`` (exit 1),
and ``--debug`` shows the traceback."""
from __future__ import annotations

import contextlib
import io
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

import accelsim
import accelsim.api
from accelsim.cli.main import main

REPO = Path(__file__).resolve().parent.parent
PACKAGE_ROOT = os.path.dirname(os.path.dirname(accelsim.__file__))
ERROR_LINE = re.compile(r"^accelsim(?: [\w-]+)?: error: (.*)$")
#: words that tell the user what would be accepted (or how to find out)
GUIDANCE = re.compile(r"expected|accepts|allowed|known|shipped|supported|choose from|did you mean|must be|"
                      r"at most|at least|give |use |no such|cannot read|does not split|apply to|only",
                      re.IGNORECASE)
TINY = {"version": 1, "name": "tiny", "batch": 1, "inputs": [{"name": "x", "shape": [8, 8, 3]}],
        "layers": [{"name": "c", "op": "conv2d", "out_channels": 4, "kernel": 3},
                   {"name": "f", "op": "flatten"}, {"name": "fc", "op": "fc", "out_features": 10}]}


def _cli(argv: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        status = main(argv)
    return status, out.getvalue(), err.getvalue()


@pytest.fixture(scope="module")
def tiny(tmp_path_factory) -> str:
    path = tmp_path_factory.mktemp("errors") / "tiny.yaml"
    path.write_text(yaml.safe_dump(TINY, sort_keys=False), encoding="utf-8")
    return str(path)


BAD = {
    "unknown arch": (["run", "--arch", "tpu_v9", "--workload", "{tiny}"], "tpu_v9"),
    "unknown workload": (["run", "--arch", "tpu_v1", "--workload", "resnet"], "resnet50"),
    "unknown precision": (["run", "--arch", "tpu_v1", "--workload", "{tiny}", "--precision", "int3"], "int3"),
    "unsupported precision": (["run", "--arch", "tpu_v1", "--workload", "{tiny}", "--precision", "fp8_e4m3"],
                              "int8"),
    "unknown --set key": (["run", "--arch", "tpu_v1", "--workload", "{tiny}", "--set",
                           "matrix_unit.clok_mhz=700"], "clock_mhz"),
    "out-of-range --set": (["run", "--arch", "tpu_v1", "--workload", "{tiny}", "--set", "matrix_unit.rows=0"],
                           ">= 1"),
    "unknown GPU": (["run", "--arch", "tpu_v1", "--workload", "{tiny}", "--gpu", "k81"], "k80"),
    "bad sparsity": (["run", "--arch", "tpu_v1", "--workload", "{tiny}", "--sparsity", "bogus"], "weights"),
    "unknown setting": (["run", "--arch", "tpu_v1", "--workload", "bert_base", "--setting", "seqlen=3"],
                        "seq_len"),
    "batch too large": (["run", "--arch", "tpu_v1", "--workload", "{tiny}", "--batch", "100000000"], "at most"),
    "unknown system": (["train", "--system", "tpu_v3_9", "--global-batch", "8"], "tpu_v3_8"),
    "bad parallel layout": (["train", "--system", "tpu_v3_8", "--global-batch", "8", "--parallel", "xx=3"], "dp"),
    "bad compression": (["train", "--system", "tpu_v3_8", "--global-batch", "8", "--compression", "zip"], "topk"),
    "bad epochs": (["train", "--system", "tpu_v3_8", "--global-batch", "8", "--epochs", "-1"], "(0, 10^6]"),
    "missing scalesim config": (["scalesim", "-c", "/nonexistent/x.cfg", "-t", "/nonexistent/x.csv"],
                                "/nonexistent/x.cfg"),
    "two sweep specs": (["sweep", "a.yaml", "b.yaml"], "2 arguments"),
    "bad objective": (["sweep", "pareto", "{db}", "--objective", "sekonds:min"], "seconds"),
    "bad plot suffix": (["sweep", "pareto", "{db}", "--plot", "front.gif"], ".svg"),
    "bad export format": (["sweep", "export", "{db}", "--format", "xls"], "parquet"),
    "bad scheduler address": (["sweep", "{spec}", "--scheduler", "not an address", "--db", "{db}.new"],
                              "tcp://HOST:PORT"),
    "unknown command": (["simulate"], "run"),
}


@pytest.fixture(scope="module")
def sweep_db(tiny, tmp_path_factory) -> str:
    folder = tmp_path_factory.mktemp("errors_sweep")
    spec = folder / "sweep.yaml"
    spec.write_text(yaml.safe_dump({"version": 1, "name": "errors", "arch": "tpu_v1", "workload": tiny,
                                    "objectives": [{"seconds": "min"}]}), encoding="utf-8")
    status, _, err = _cli(["sweep", str(spec), "--workers", "1", "--db", str(folder / "errors.sqlite")])
    assert status == 0, err
    return str(folder / "errors.sqlite")


@pytest.mark.parametrize("case", list(BAD))
def test_bad_input_says_what_is_wrong_and_what_is_accepted(case, tiny, sweep_db):
    argv, hint = BAD[case]
    spec = str(Path(sweep_db).with_name("sweep.yaml"))
    argv = [a.replace("{tiny}", tiny).replace("{db}", sweep_db).replace("{spec}", spec) for a in argv]
    status, _, err = _cli(argv)
    assert status == 2, err
    assert "Traceback" not in err and "internal error" not in err, err
    errors = [line for line in err.splitlines() if ERROR_LINE.match(line)]
    assert len(errors) == 1, err
    message = ERROR_LINE.match(errors[0]).group(1)
    assert GUIDANCE.search(message), f"no hint of what would be accepted: {message}"
    assert hint in message, f"expected {hint!r} in: {message}"


def _boom(*args, **kwargs):
    raise ZeroDivisionError("simulated bug")


def test_internal_error_is_short_and_points_at_debug(tiny, monkeypatch):
    monkeypatch.setattr(accelsim.api, "simulate", _boom)
    status, _, err = _cli(["run", "--arch", "tpu_v1", "--workload", tiny, "--gpu", "none"])
    assert status == 1
    assert "Traceback" not in err
    lines = err.strip().splitlines()
    assert lines[0] == "accelsim: internal error: ZeroDivisionError: simulated bug"
    assert len(lines) <= 3 and "--debug" in err and "report" in err and "bug in accelsim" in err


@pytest.mark.parametrize("where", ["before", "after"])
def test_debug_shows_the_traceback(tiny, monkeypatch, where):
    """``--debug`` re-raises internal errors (given before or after the subcommand)."""
    monkeypatch.setattr(accelsim.api, "simulate", _boom)
    argv = ["run", "--arch", "tpu_v1", "--workload", tiny, "--gpu", "none"]
    argv = ["--debug", *argv] if where == "before" else [*argv, "--debug"]
    with pytest.raises(ZeroDivisionError, match="simulated bug"):
        _cli(argv)


def test_debug_traceback_in_a_real_process(tmp_path):
    """In a separate process: exit 1 and a short message without --debug, a full traceback with it.
    The bug is injected through a sitecustomize on the path (no change to the package)."""
    (tmp_path / "sitecustomize.py").write_text(
        "import accelsim.api\n"
        "def _boom(*a, **k):\n    raise ZeroDivisionError('simulated bug')\n"
        "accelsim.api.simulate = _boom\n", encoding="utf-8")
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(tmp_path), PACKAGE_ROOT]))
    argv = [sys.executable, "-m", "accelsim", "run", "--arch", "tpu_v1", "--workload", "lenet5", "--gpu", "none"]
    plain = subprocess.run(argv, env=env, cwd=tmp_path, capture_output=True, text=True,
                           timeout=120, check=False)
    assert plain.returncode == 1, plain.stderr
    assert "Traceback" not in plain.stderr and "--debug" in plain.stderr
    debug = subprocess.run([*argv, "--debug"], env=env, cwd=tmp_path, capture_output=True, text=True,
                           timeout=120, check=False)
    assert debug.returncode == 1
    assert "Traceback (most recent call last)" in debug.stderr and "ZeroDivisionError: simulated bug" in debug.stderr


def test_keyboard_interrupt_exits_130(tiny, monkeypatch):
    def interrupt(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(accelsim.api, "simulate", interrupt)
    status, _, err = _cli(["run", "--arch", "tpu_v1", "--workload", tiny, "--gpu", "none"])
    assert status == 130 and err.strip() == "accelsim: interrupted"


def test_resource_errors_say_the_limit_and_a_way_out(tmp_path):
    workload = tmp_path / "g.yaml"
    workload.write_text(yaml.safe_dump({"version": 1, "name": "g", "inputs": [{"name": "a", "shape": [100000,
                                                                                                     100000]}],
                                        "layers": [{"name": "fc", "op": "fc", "out_features": 100000}]}))
    status, _, err = _cli(["run", "--arch", "tpu_v1", "--workload", str(workload), "--gpu", "none",
                           "--set", "matrix_unit.rows=1", "--set", "matrix_unit.cols=1"])
    assert status == 2
    assert str(workload) in err and "at most" in err and ("larger array" in err or "check batch" in err), err
