"""Hypothesis fuzzing of the option strings the CLI parses itself (--parallel, --compression,
--sparsity, --precision, --objective, --constraint, numeric options): each runs or is refused with
exit 2 and one message naming the option -- never a traceback."""
from __future__ import annotations

import contextlib
import io
import os
import re

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accelsim.cli.main import main

EXPLORE = int(os.environ.get("ACCELSIM_FUZZ_EXAMPLES", "0"))
FUZZ = settings(max_examples=EXPLORE or 30, deadline=None, derandomize=not EXPLORE, database=None,
                suppress_health_check=[HealthCheck.too_slow])
ERROR_LINE = re.compile(r"^accelsim(?: [\w-]+)?: error: (.*)$")
TINY = {"version": 1, "name": "tiny", "batch": 1, "inputs": [{"name": "x", "shape": [8, 8, 3]}],
        "layers": [{"name": "c", "op": "conv2d", "out_channels": 4, "kernel": 3},
                   {"name": "f", "op": "flatten"}, {"name": "fc", "op": "fc", "out_features": 10}]}


def check(argv: list[str], option: str) -> None:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        status = main(argv)
    text = err.getvalue()
    assert "Traceback" not in text and "internal error" not in text, text
    assert status in (0, 2), text
    if status == 2:
        errors = [line for line in text.splitlines() if ERROR_LINE.match(line)]
        assert len(errors) == 1, text
        assert option in errors[0] or option.lstrip("-") in errors[0], f"{option} not named: {errors[0]}"


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("options")
    tiny = folder / "tiny.yaml"
    tiny.write_text(yaml.safe_dump(TINY, sort_keys=False), encoding="utf-8")
    spec = folder / "sweep.yaml"
    spec.write_text(yaml.safe_dump({"version": 1, "name": "options", "arch": "tpu_v1", "workload": str(tiny),
                                    "set": {"matrix_unit.rows": [64, 128]}}), encoding="utf-8")
    db = folder / "options.sqlite"
    with contextlib.redirect_stdout(io.StringIO()):
        assert main(["sweep", str(spec), "--workers", "1", "--db", str(db)]) == 0
    return {"tiny": str(tiny), "db": str(db)}


WORDS = st.sampled_from(["dp", "tp", "pp", "mb", "schedule", "gpipe", "1f1b", "topk", "qsgd", "onebit", "ternary",
                         "none", "weights", "activations", "structure", "2:4", "int8", "bf16", "fp8_e4m3",
                         "lns_i7f8", "lns_i0f0", "lns_i99f99", "seconds", "energy_j", "min", "max", "area_mm2"])
PIECES = WORDS | st.sampled_from(["=", ",", ":", "<=", ">=", "0", "-1", "1", "4", "0.5", "1e9", "nan", "inf", "",
                                  " ", "10" * 12]) | st.text(max_size=4)
OPTION_TEXT = st.lists(PIECES, min_size=0, max_size=7).map("".join)


@FUZZ
@given(text=OPTION_TEXT)
def test_fuzz_parallel(files, text):
    check(["train", "--system", "tpu_v3_8", "--estimate", "roofline", "--workload", files["tiny"],
           "--global-batch", "64", f"--parallel={text}"], "--parallel")


@FUZZ
@given(text=OPTION_TEXT)
def test_fuzz_compression(files, text):
    check(["train", "--system", "tpu_v3_8", "--estimate", "roofline", "--workload", files["tiny"],
           "--global-batch", "64", f"--compression={text}"], "--compression")


@FUZZ
@given(text=OPTION_TEXT)
def test_fuzz_sparsity(files, text):
    check(["run", "--arch", "tpu_v1", "--workload", files["tiny"], "--gpu", "none", f"--sparsity={text}"],
          "--sparsity")


@FUZZ
@given(text=OPTION_TEXT)
def test_fuzz_precision(files, text):
    check(["run", "--arch", "tpu_v1", "--workload", files["tiny"], "--gpu", "none", f"--precision={text}"],
          "precision" if not text.lower().startswith("lns_") else "LNS")


@FUZZ
@given(objective=OPTION_TEXT, constraint=OPTION_TEXT)
def test_fuzz_pareto_objectives_and_constraints(files, objective, constraint):
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        status = main(["sweep", "pareto", files["db"], f"--objective={objective}", f"--constraint={constraint}"])
    text = err.getvalue()
    assert "Traceback" not in text and "internal error" not in text, text
    assert status in (0, 2), text
    if status == 2:
        errors = [line for line in text.splitlines() if ERROR_LINE.match(line)]
        assert len(errors) == 1 and ("--objective" in errors[0] or "--constraint" in errors[0]), text


@FUZZ
@given(option=st.sampled_from(["--epochs", "--bucket-mib", "--min-chips", "--dataset-samples"]),
       value=st.sampled_from(["nan", "inf", "-inf", "0", "-1", "1e400", "1e-400", "abc", "", "10" * 20, "1.5"])
       | st.floats(allow_nan=True, allow_infinity=True).map(repr))
def test_fuzz_numeric_options(files, option, value):
    check(["train", "--system", "tpu_v3_8", "--estimate", "roofline", "--workload", files["tiny"],
           "--global-batch", "64", f"{option}={value}"], option)
