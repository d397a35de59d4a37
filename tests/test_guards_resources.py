"""Absurd but well-formed requests are refused up front with the reason (exit 2) or simulated in
closed form quickly -- never an unbounded loop or a huge allocation (accelsim/guards.py)."""
from __future__ import annotations

import contextlib
import io
import time
import tracemalloc
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from accelsim import guards
from accelsim.api import simulate
from accelsim.cli.main import main
from accelsim.engine.matrix import matrix_timing
from accelsim.errors import AccelsimError, ResourceLimitError
from accelsim.lower.work import GemmWork
from accelsim.spec.loader import load_arch

REPO = Path(__file__).resolve().parent.parent
SECONDS = 30.0  # a refused case ends in about a second; without its guard it would run for hours (a bound, not a speed test)
PEAK_BYTES = 300 * 2**20  # and allocate at most this much (tracemalloc, Python heap)


def run_bounded(argv: list[str]) -> tuple[int, str, float, int]:
    """Run the CLI in-process: (status, stderr, seconds, peak traced bytes)."""
    out, err = io.StringIO(), io.StringIO()
    tracemalloc.start()
    start = time.perf_counter()
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            status = main(argv)
        elapsed = time.perf_counter() - start
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    text = err.getvalue()
    assert "Traceback" not in text and "internal error" not in text, text
    return status, text, elapsed, peak


def _yaml(tmp_path: Path, name: str, doc: dict) -> str:
    path = tmp_path / name
    path.write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
    return str(path)


def _gemm_workload(tmp_path: Path, size: int) -> str:
    return _yaml(tmp_path, "gemm.yaml", {
        "version": 1, "name": "huge_gemm",
        "inputs": [{"name": "a", "shape": [size, size]}, {"name": "b", "shape": [size, size]}],
        "layers": [{"name": "mm", "op": "matmul", "inputs": ["a", "b"]}]})


def _tiny_arch(tmp_path: Path) -> str:
    tree = yaml.safe_load((REPO / "archs" / "tpu_v1.yaml").read_text(encoding="utf-8"))
    tree["matrix_unit"].update(rows=1, cols=1)
    return _yaml(tmp_path, "tiny_array.yaml", tree)


# -------------------------------------------------------------------------------------------------
# Refused up front, with the reason and the file


def test_huge_gemm_on_a_tiny_array_is_refused(tmp_path):
    """10^6 x 10^6 x 10^6 on a 1x1 array: 10^12 folds, hours of kernel time."""
    workload = _gemm_workload(tmp_path, 10**6)
    status, err, seconds, peak = run_bounded(["run", "--arch", _tiny_arch(tmp_path), "--workload", workload,
                                              "--gpu", "none"])
    assert status == 2 and seconds < SECONDS and peak < PEAK_BYTES
    assert workload in err and ("folds" in err or "cycles" in err), err


def test_fold_limit_names_the_worst_layer(tmp_path):
    """10^5 GEMM on 1x1: within the per-layer cycle bound but 10^10 folds."""
    workload = _gemm_workload(tmp_path, 10**5)
    status, err, seconds, _ = run_bounded(["run", "--arch", _tiny_arch(tmp_path), "--workload", workload,
                                           "--gpu", "none"])
    assert status == 2 and seconds < SECONDS
    assert "1e+10 stationary-tile folds" in err and "layer 'mm'" in err and "at most 2e+08" in err, err


def test_batch_above_the_limit_is_refused_by_the_cli_and_the_api():
    status, err, seconds, _ = run_bounded(["run", "--arch", "tpu_v1", "--workload", "resnet50",
                                           "--batch", str(10**12)])
    assert status == 2 and seconds < SECONDS
    assert "--batch" in err and "at most 10,000,000" in err
    with pytest.raises(AccelsimError, match="from 1 to 10,000,000"):
        simulate("tpu_v1", "resnet50", batch=10**12)


@pytest.mark.parametrize("workload,setting", [("mnist_mlp", "hidden_layers=10000000"),
                                              ("lstm", "steps=10000000")])
def test_networks_of_millions_of_layers_are_refused_while_building(workload, setting):
    status, err, seconds, _ = run_bounded(["run", "--arch", "tpu_v1", "--workload", workload,
                                           "--setting", setting, "--gpu", "none"])
    assert status == 2 and seconds < SECONDS
    assert "more than 100,000 layers" in err, err


def test_layer_limit_is_checked_by_the_builder():
    from accelsim.workload.graph import WorkloadBuilder
    from accelsim.workload.ops import Activation

    builder = WorkloadBuilder("many", 1)
    with pytest.raises(ResourceLimitError, match="more than"):
        builder.input("x", (1, 4))
        previous = "x"
        for i in range(guards.MAX_LAYERS + 1):
            previous = builder.add(f"r{i}", Activation((1, 4), "relu"), (previous,))


def test_training_step_with_a_giant_batch_is_refused():
    """The backward pass puts the batch on the reduction side: 7 x 10^10 folds."""
    status, err, seconds, _ = run_bounded(["train", "--system", "tpu_v3_8", "--arch", "tpu_v1",
                                           "--global-batch", str(10**9)])
    assert status == 2 and seconds < SECONDS
    assert "folds" in err, err


def test_scalesim_depthwise_layer_of_ten_million_channels_is_refused(tmp_path):
    topology = tmp_path / "dw.csv"
    topology.write_text("Layer name, IFMAP Height, IFMAP Width, Filter Height, Filter Width, Channels, "
                        "Num Filter, Strides,\nDP1, 112, 112, 3, 3, 10000000, 1, 1,\n", encoding="utf-8")
    cfg = REPO / "workloads" / "scalesim" / "scale_8x8.cfg"
    status, err, seconds, peak = run_bounded(["scalesim", "-c", str(cfg), "-t", str(topology),
                                              "-p", str(tmp_path)])
    assert status == 2 and seconds < SECONDS and peak < PEAK_BYTES
    assert "10,000,000 layers" in err, err


def test_scalesim_giant_gemm_is_refused_naming_the_topology(tmp_path):
    topology = tmp_path / "gemm.csv"
    topology.write_text("Layer, M, N, K,\nx, 10000000, 10000000, 10000000,\n", encoding="utf-8")
    cfg = REPO / "workloads" / "scalesim" / "scale_8x8.cfg"
    status, err, seconds, peak = run_bounded(["scalesim", "-c", str(cfg), "-t", str(topology), "-i", "gemm",
                                              "-p", str(tmp_path)])
    assert status == 2 and seconds < SECONDS and peak < PEAK_BYTES
    assert str(topology) in err and "GiB of address tables" in err, err


def test_scalesim_long_run_is_refused_by_its_cycle_count(tmp_path):
    topology = tmp_path / "long.csv"
    topology.write_text("Layer, M, N, K,\nx, 100000, 4096, 4096,\n", encoding="utf-8")
    cfg = REPO / "workloads" / "scalesim" / "scale_8x8.cfg"
    status, err, seconds, _ = run_bounded(["scalesim", "-c", str(cfg), "-t", str(topology), "-i", "gemm",
                                           "-p", str(tmp_path)])
    assert status == 2 and seconds < SECONDS
    assert "array cycles" in err, err


def test_onnx_vector_of_a_billion_elements_does_not_exhaust_memory(tmp_path):
    onnx = pytest.importorskip("onnx")
    from onnx import TensorProto, helper, numpy_helper

    graph = helper.make_graph(
        [helper.make_node("Add", ["x", "one"], ["y"], name="add")], "big",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [10**9])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [10**9])],
        [numpy_helper.from_array(__import__("numpy").ones(1, dtype="float32"), "one")])
    path = tmp_path / "big.onnx"
    path.write_bytes(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]).SerializeToString())
    del onnx
    status, err, seconds, peak = run_bounded(["run", "--arch", "tpu_v1", "--workload", str(path), "--gpu", "none"])
    assert status == 0, err  # the model's own leading dimension (10^9) is its batch; elementwise work is closed form
    assert seconds < SECONDS and peak < PEAK_BYTES


# -------------------------------------------------------------------------------------------------
# Simulated in closed form, quickly


def test_huge_gemm_on_a_big_array_runs_in_closed_form(tmp_path):
    """The same 10^18-MAC GEMM on TPU v1: 1.5 x 10^7 folds, about a second."""
    status, err, seconds, peak = run_bounded(["run", "--arch", "tpu_v1", "--workload",
                                              _gemm_workload(tmp_path, 10**6), "--gpu", "none",
                                              "--format", "json"])
    assert status == 0, err
    assert seconds < SECONDS and peak < PEAK_BYTES


def test_conv_on_a_billion_pixel_input_runs_in_closed_form(tmp_path):
    workload = _yaml(tmp_path, "gigapixel.yaml", {
        "version": 1, "name": "gigapixel", "inputs": [{"name": "img", "shape": [31623, 31623, 3]}],
        "layers": [{"name": "conv", "op": "conv2d", "out_channels": 64, "kernel": 3, "padding": "same"},
                   {"name": "relu", "op": "relu"}, {"name": "pool", "op": "maxpool", "kernel": 2}]})
    status, err, seconds, peak = run_bounded(["run", "--arch", "tpu_v1", "--workload", workload, "--gpu", "none"])
    assert status == 0, err
    assert seconds < SECONDS and peak < PEAK_BYTES


def test_million_by_million_array_runs_in_closed_form():
    status, err, seconds, peak = run_bounded([
        "run", "--arch", "tpu_v1", "--workload", "resnet50", "--gpu", "none",
        "--set", "matrix_unit.rows=1000000", "--set", "matrix_unit.cols=1000000",
        "--set", "memories.weight_fifo.size_kib=1e12", "--set", "memories.accumulators.size_kib=1e12"])
    assert status == 0, err
    assert seconds < SECONDS and peak < PEAK_BYTES


def test_array_beyond_the_schema_is_refused():
    status, err, _, _ = run_bounded(["run", "--arch", "tpu_v1", "--workload", "resnet50",
                                     "--set", "matrix_unit.rows=10000000", "--set", "matrix_unit.cols=10000000"])
    assert status == 2 and "matrix_unit.rows" in err and "<= 1000000" in err, err


# -------------------------------------------------------------------------------------------------
# The guard's fold count is the kernel's


@settings(max_examples=60, deadline=None, derandomize=True)
@given(m=st.integers(1, 5000), k=st.integers(1, 5000), n=st.integers(1, 5000), count=st.integers(1, 3),
       rows=st.integers(1, 300), cols=st.integers(1, 300), units=st.integers(1, 3),
       dataflow=st.sampled_from(["ws", "os", "is"]))
def test_guard_fold_count_matches_the_kernel(m, k, n, count, rows, cols, units, dataflow):
    import dataclasses

    mu = dataclasses.replace(load_arch("tpu_v1").matrix_unit, rows=rows, cols=cols, count=units, dataflow=dataflow)
    timing = matrix_timing(GemmWork(m, k, n, count, 1.0, 1.0), mu, 64.0)
    assert timing.folds == guards.gemm_folds(m, k, n, dataflow, rows, cols, units) * count * units
