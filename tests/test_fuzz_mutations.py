"""Hypothesis fuzzing of every input surface: valid inputs with random mutations (a value replaced by
an arbitrary YAML value, a key removed or added, a CSV cell or cfg value replaced, ONNX shapes and
bytes changed). Each mutated input must run (exit 0) or be refused with exit 2 and one message
naming the file -- never a traceback or an internal error.

Deterministic (``derandomize=True``) and bounded (``max_examples``), so CI sees the same inputs;
``ACCELSIM_FUZZ_EXAMPLES=500 pytest tests/test_fuzz_mutations.py`` explores random inputs instead.
"""
from __future__ import annotations

import contextlib
import io
import math
import os
import re
import tempfile
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from accelsim.cli.main import main

REPO = Path(__file__).resolve().parent.parent
#: CI runs 40 fixed examples per surface; ACCELSIM_FUZZ_EXAMPLES=N explores N random ones instead
EXPLORE = int(os.environ.get("ACCELSIM_FUZZ_EXAMPLES", "0"))
FUZZ = settings(max_examples=EXPLORE or 40, deadline=None, derandomize=not EXPLORE, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
ERROR_LINE = re.compile(r"^accelsim(?: [\w-]+)?: error: (.*)$")
TINY_WORKLOAD = {
    "version": 1, "name": "tiny", "batch": 2,
    "inputs": [{"name": "x", "shape": [8, 8, 3]}],
    "layers": [{"name": "c", "op": "conv2d", "out_channels": 4, "kernel": 3, "padding": "same"},
               {"name": "r", "op": "relu"}, {"name": "p", "op": "maxpool", "kernel": 2},
               {"name": "f", "op": "flatten"}, {"name": "fc", "op": "fc", "out_features": 10},
               {"name": "s", "op": "softmax"}],
}
SCALESIM_CFG = (REPO / "workloads" / "scalesim" / "scale_8x8.cfg").read_text(encoding="utf-8").replace(
    "run_name = scale_8x8", "run_name = fuzz")
TOPOLOGY_CSV = ("Layer name, IFMAP Height, IFMAP Width, Filter Height, Filter Width, Channels, Num Filter, Strides,\n"
                "Conv1, 16, 16, 3, 3, 3, 8, 1,\n"
                "DPConv2, 14, 14, 3, 3, 4, 1, 2,\n"
                "Conv3, 6, 6, 1, 1, 8, 16, 1,\n")
GEMM_CSV = "Layer, M, N, K,\nfc1, 16, 32, 64,\nfc2, 16, 8, 32,\n"


def run_cli(argv: list[str]) -> tuple[int, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        status = main(list(argv))
    return status, err.getvalue()


def assert_contract(argv: list[str], file: str | tuple[str, ...] | None, option: str | None = None) -> int:
    """Run ``argv``; exit 0, or exit 2 with one error line naming ``file`` (one of them, if a tuple:
    an arch that cannot run a workload is named by its ``name``) or ``option``."""
    status, err = run_cli(argv)
    assert "Traceback" not in err and "internal error" not in err, err
    assert status in (0, 2), (status, err)
    if status == 2:
        errors = [line for line in err.splitlines() if ERROR_LINE.match(line)]
        assert len(errors) == 1, err
        message = ERROR_LINE.match(errors[0]).group(1)
        if file is not None:
            names = file if isinstance(file, tuple) else (file,)
            assert any(name in message for name in names), f"the message does not name {names}: {message}"
        if option is not None:  # or an arch the option left unable to run the workload, by name
            assert message.startswith(option) or " has none" in message, f"{option} not named: {message}"
    return status


@pytest.fixture(scope="module")
def folder():
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp)
        (path / "tiny.yaml").write_text(yaml.safe_dump(TINY_WORKLOAD, sort_keys=False), encoding="utf-8")
        (path / "scalesim.cfg").write_text(SCALESIM_CFG, encoding="utf-8")
        (path / "topology.csv").write_text(TOPOLOGY_CSV, encoding="utf-8")
        yield path


# -------------------------------------------------------------------------------------------------
# Strategies

SCALARS = (st.none() | st.booleans()
           | st.integers(min_value=-(2**70), max_value=2**70)
           | st.sampled_from([0, 1, -1, 10**30, 2**63, 10**9, 10**15])
           | st.floats(allow_nan=True, allow_infinity=True)
           | st.text(max_size=12)
           | st.sampled_from(["1e-6", "1.0e6", "0x10", "same", "ws", "int8", "名前", "\u202e", ""]))
VALUES = st.recursive(SCALARS, lambda children: st.lists(children, max_size=3)
                      | st.dictionaries(st.text(max_size=6), children, max_size=3), max_leaves=6)


def _paths(tree, prefix=()) -> list[tuple]:
    out = []
    if isinstance(tree, dict):
        for key, value in tree.items():
            out.append(prefix + (key,))
            out.extend(_paths(value, prefix + (key,)))
    elif isinstance(tree, list):
        for i, value in enumerate(tree):
            out.append(prefix + (i,))
            out.extend(_paths(value, prefix + (i,)))
    return out


@st.composite
def mutated_yaml(draw, base: dict) -> str:
    """``base`` with one to three mutations: a value replaced, a key removed, a key added."""
    tree = yaml.safe_load(yaml.safe_dump(base))
    for _ in range(draw(st.integers(1, 3))):
        paths = _paths(tree)
        if not paths:
            break
        path = draw(st.sampled_from(paths))
        parent = tree
        for key in path[:-1]:
            parent = parent[key]
        action = draw(st.sampled_from(["replace", "replace", "replace", "delete", "add"]))
        if action == "replace":
            parent[path[-1]] = draw(VALUES)
        elif action == "delete":
            del parent[path[-1]]
        elif isinstance(parent, dict):
            parent[draw(st.text(min_size=1, max_size=8))] = draw(VALUES)
        else:
            parent.append(draw(VALUES))
    return yaml.safe_dump(tree, sort_keys=False, allow_unicode=True)


def _shipped(relative: str) -> dict:
    return yaml.safe_load((REPO / relative).read_text(encoding="utf-8"))


def _write(folder: Path, name: str, data: str | bytes) -> str:
    path = folder / name
    if isinstance(data, str):
        path.write_text(data, encoding="utf-8")
    else:
        path.write_bytes(data)
    return str(path)


# -------------------------------------------------------------------------------------------------
# YAML surfaces

ARCH = _shipped("archs/tpu_v1.yaml")
SYSTEM = _shipped("archs/systems/tpu_v3_8.yaml")
GPU = _shipped("archs/gpus/v100.yaml")


@FUZZ
@given(text=mutated_yaml(ARCH))
def test_fuzz_arch_yaml(folder, text):
    path = _write(folder, "arch.yaml", text)
    name = yaml.safe_load(text).get("name")
    names = (path, f"{name} has none") if isinstance(name, str) and name else path
    assert_contract(["run", "--arch", path, "--workload", str(folder / "tiny.yaml"), "--gpu", "none"], names)


@FUZZ
@given(text=mutated_yaml(TINY_WORKLOAD))
def test_fuzz_workload_yaml(folder, text):
    path = _write(folder, "workload.yaml", text)
    assert_contract(["run", "--arch", "tpu_v1", "--workload", path, "--gpu", "none"], path)


@FUZZ
@given(data=st.data())
def test_fuzz_sweep_spec(folder, data):
    base = {"version": 1, "name": "fuzz", "arch": "tpu_v1", "workload": str(folder / "tiny.yaml"),
            "batch": [1, 2], "set": {"matrix_unit.rows": [64, 128]},
            "objectives": [{"seconds": "min"}, {"energy_j": "min"}], "constraints": {"seconds": {"max": 1.0}}}
    path = _write(folder, "sweep.yaml", data.draw(mutated_yaml(base)))
    db = folder / "fuzz.sqlite"
    if db.exists():
        db.unlink()
    # a point the arch refuses is named by its index and the arch file's location
    assert_contract(["sweep", path, "--workers", "1", "--db", str(db)], (path, ": point: point "))


@FUZZ
@given(text=mutated_yaml(SYSTEM))
def test_fuzz_system_yaml(folder, text):
    path = _write(folder, "system.yaml", text)
    assert_contract(["train", "--system", path, "--global-batch", "8", "--estimate", "roofline",
                     "--workload", str(folder / "tiny.yaml")], path)


@FUZZ
@given(text=mutated_yaml(GPU))
def test_fuzz_gpu_yaml(folder, text):
    path = _write(folder, "gpu.yaml", text)
    assert_contract(["run", "--arch", "tpu_v1", "--workload", str(folder / "tiny.yaml"), "--gpu", path], path)


# -------------------------------------------------------------------------------------------------
# --set and --setting

SET_PATHS = sorted({".".join(str(k) for k in p) for p in _paths({k: v for k, v in ARCH.items() if k != "memories"})}
                   | {"memories.unified_buffer.size_kib", "memories.weight_fifo.holds", "memories.nope.size_kib",
                      "matrix_unit.nope", "nope", "memories", "matrix_unit"})


@FUZZ
@given(path=st.sampled_from(SET_PATHS) | st.text(max_size=12), value=VALUES | st.text(max_size=20))
def test_fuzz_set_values(folder, path, value):
    text = value if isinstance(value, str) else yaml.safe_dump(value, default_flow_style=True).strip()
    text = text.removesuffix("...").strip().replace("\n", " ")
    assume("\x00" not in path + text)  # argv cannot carry NUL bytes
    assert_contract(["run", "--arch", "tpu_v1", "--workload", str(folder / "tiny.yaml"), "--gpu", "none",
                     f"--set={path}={text}"], None, "--set")


@FUZZ
@given(name=st.sampled_from(["seq_len", "hidden", "hidden_layers", "x", ""]),
       value=st.sampled_from(["0", "-1", "1e3", "3.5", "nan", "[1]", "{a: 1}", "", "10**30", "&a [*a]", "!!python/none",
                              "1" * 40]) | st.integers(1, 600).map(str))
def test_fuzz_setting_values(name, value):
    workload = "bert_base" if name == "seq_len" else "mnist_mlp"
    status, err = run_cli(["run", "--arch", "tpu_v1", "--workload", workload, "--gpu", "none",
                           "--setting", f"{name}={value}"])
    assert "Traceback" not in err and "internal error" not in err, err
    assert status in (0, 2), err
    if status == 2:
        assert len([line for line in err.splitlines() if ERROR_LINE.match(line)]) == 1, err


# -------------------------------------------------------------------------------------------------
# SCALE-Sim cfg, topology CSVs (SCALE-Sim mode and --workload)

CELLS = (st.integers(-5, 40).map(str) | st.sampled_from(["", " ", "1.5", "nan", "inf", "1e3", "10" * 20, "-0", "0x10",
                                                         "名前", "DP", "\x00", "a,b", "\"1\""])
         | st.text(max_size=8))


@st.composite
def mutated_lines(draw, text: str, separator: str) -> str:
    """``text`` with one to three cells (``separator``-split fields) replaced, lines dropped or added."""
    lines = text.splitlines()
    for _ in range(draw(st.integers(1, 3))):
        i = draw(st.integers(0, len(lines) - 1)) if lines else 0
        action = draw(st.sampled_from(["cell", "cell", "cell", "drop", "add", "truncate"]))
        if action == "drop" and lines:
            del lines[i]
        elif action == "add":
            lines.insert(i, draw(st.text(max_size=30)))
        elif action == "truncate" and lines:
            lines[i] = lines[i][: draw(st.integers(0, len(lines[i])))]
        elif lines:
            parts = lines[i].split(separator)
            j = draw(st.integers(0, len(parts) - 1))
            parts[j] = " " + draw(CELLS)
            lines[i] = separator.join(parts)
    return "\n".join(lines) + draw(st.sampled_from(["\n", ""]))


@FUZZ
@given(text=mutated_lines(SCALESIM_CFG, ":"))
def test_fuzz_scalesim_cfg(folder, text):
    path = _write(folder, "fuzz.cfg", text)
    assert_contract(["scalesim", "-c", path, "-t", str(folder / "topology.csv"), "-p", str(folder / "out"), "-q"],
                    path)


@FUZZ
@given(text=mutated_lines(TOPOLOGY_CSV, ","), gemm=st.booleans())
def test_fuzz_scalesim_topology(folder, text, gemm):
    path = _write(folder, "fuzz_topology.csv", GEMM_CSV if gemm and text == TOPOLOGY_CSV else text)
    argv = ["scalesim", "-c", str(folder / "scalesim.cfg"), "-t", path, "-p", str(folder / "out"), "-q"]
    assert_contract(argv + (["-i", "gemm"] if gemm else []), path)


@FUZZ
@given(text=mutated_lines(TOPOLOGY_CSV, ",") | mutated_lines(GEMM_CSV, ","))
def test_fuzz_workload_csv(folder, text):
    path = _write(folder, "fuzz_workload.csv", text)
    assert_contract(["run", "--arch", "tpu_v1", "--workload", path, "--gpu", "none"], path)


# -------------------------------------------------------------------------------------------------
# ONNX: random shapes and operators, and random byte edits of a valid model

ONNX_OPS = ("MatMul", "Gemm", "Relu", "Add", "Softmax", "Reshape", "Transpose", "Conv", "MaxPool", "Flatten",
            "NoSuchOp")
DIMS = st.integers(-3, 40) | st.sampled_from([0, 10**9, 2**40, 2**62])


def _onnx_model(ops, in_dims, w_dims) -> bytes:
    pytest.importorskip("onnx")
    from onnx import TensorProto, helper

    weight = TensorProto()
    weight.name = "w"
    weight.data_type = TensorProto.FLOAT
    weight.dims.extend(w_dims)
    weight.data_location = TensorProto.EXTERNAL
    for key, value in (("location", "weights.bin"), ("offset", "0"), ("length", "0")):
        entry = weight.external_data.add()
        entry.key, entry.value = key, value
    nodes, current = [], "x"
    for i, op in enumerate(ops):
        out = f"t{i}"
        inputs = [current, "w"] if op in ("MatMul", "Gemm", "Add", "Conv", "Reshape") else [current]
        nodes.append(helper.make_node(op, inputs, [out], name=f"n{i}"))
        current = out
    graph = helper.make_graph(nodes, "fuzz", [helper.make_tensor_value_info("x", TensorProto.FLOAT, in_dims)],
                              [helper.make_tensor_value_info(current, TensorProto.FLOAT, None)], [weight])
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]).SerializeToString()


@pytest.mark.filterwarnings("ignore:.*costing unsupported ONNX operators")
@FUZZ
@given(ops=st.lists(st.sampled_from(ONNX_OPS), min_size=1, max_size=3),
       in_dims=st.lists(DIMS, min_size=1, max_size=4), w_dims=st.lists(DIMS, min_size=1, max_size=4),
       unsupported=st.booleans())
def test_fuzz_onnx_models(folder, ops, in_dims, w_dims, unsupported):
    path = _write(folder, "fuzz.onnx", _onnx_model(ops, in_dims, [max(0, d) for d in w_dims]))
    argv = ["run", "--arch", "tpu_v1", "--workload", path, "--gpu", "none"]
    assert_contract(argv + (["--allow-unsupported"] if unsupported else []), path)


@FUZZ
@given(edits=st.lists(st.tuples(st.floats(0, 1, exclude_max=True), st.integers(0, 255)), min_size=1, max_size=6),
       cut=st.none() | st.floats(0, 1))
def test_fuzz_onnx_bytes(folder, edits, cut):
    data = bytearray(_onnx_model(["MatMul", "Relu"], [1, 16], [16, 8]))
    for where, byte in edits:
        data[math.floor(where * len(data))] = byte
    if cut is not None:
        data = data[: math.floor(cut * len(data))]
    path = _write(folder, "fuzz_bytes.onnx", bytes(data))
    assert_contract(["run", "--arch", "tpu_v1", "--workload", path, "--gpu", "none"], path)


# -------------------------------------------------------------------------------------------------
# Found by the fuzzing above


def test_sweep_set_value_that_cannot_be_passed_names_the_spec_file(folder):
    path = _write(folder, "unlocated.yaml", yaml.safe_dump(
        {"version": 1, "name": "fuzz", "arch": "tpu_v1", "workload": str(folder / "tiny.yaml"),
         "set": {"matrix_unit.rows": {"\x7f": None}}}))
    status, err = run_cli(["sweep", path, "--workers", "1", "--db", str(folder / "unlocated.sqlite")])
    assert status == 2
    assert path in err, err
