"""GPU roofline and derated models against hand-computed cases."""
from __future__ import annotations

import math

import pytest

from accelsim.baselines.gpu_model import (
    DERATED,
    attach_gpu_baseline,
    default_gpu_for,
    gpu_baseline,
    resolve_precision,
)
from accelsim.baselines.gpu_spec import load_gpu_spec
from accelsim.report.results import LayerResult, RunResult, Totals
from accelsim.workload.graph import WorkloadBuilder
from accelsim.workload.ops import MatMul
from accelsim.workload.registry import load_workload


def _gemm(m, k, n):
    b = WorkloadBuilder("gemm", batch=1)
    b.input("x", (m, k))
    b.add("fc", MatMul(m, k, n), ("x",))
    return b.build()


def _eltwise(shape):
    b = WorkloadBuilder("add", batch=1)
    b.input("a", shape)
    b.input("b", shape)
    b.eltwise("sum", ["a", "b"])
    return b.build()


def test_compute_bound_gemm_roofline_by_hand():
    # 4096^3 GEMM in fp16 on V100: 2*4096^3 ops / 125e12 = 1.0995 ms;
    # bytes (A + B + C) * 2 B = 100.7 MB / 900 GB/s = 0.112 ms -> compute bound
    base = gpu_baseline(_gemm(4096, 4096, 4096), "v100", "fp16")
    fc = base.layers[-1]
    assert fc.ops == 2 * 4096**3
    assert fc.dram_bytes == 3 * 4096 * 4096 * 2
    assert fc.bound == "compute"
    assert fc.seconds == pytest.approx(2 * 4096**3 / 125e12)
    assert fc.memory_seconds == pytest.approx(3 * 4096 * 4096 * 2 / 900e9)
    assert base.seconds == pytest.approx(1.09951e-3, rel=1e-4)
    assert base.energy_j == pytest.approx(300 * base.seconds)
    assert base.note == ""


def test_memory_bound_elementwise_roofline_by_hand():
    # 1 Mi-element add in fp32 on A100 40 GB: 12 MiB moved / 1555 GB/s = 8.092 us,
    # 2^20 adds on 19.5 TFLOPS CUDA cores = 0.054 us -> memory bound
    base = gpu_baseline(_eltwise((1, 1024, 1024)), "a100_40gb", "fp32")
    add = base.layers[-1]
    assert add.dram_bytes == 3 * 2**20 * 4
    assert add.bound == "memory"
    assert add.seconds == pytest.approx(12582912 / 1555e9)
    assert add.compute_seconds == pytest.approx(2**20 / 19.5e12)
    assert base.layers[0].seconds == 0.0  # graph inputs arrive from the host: not timed


def test_derated_gemm_wave_quantization_by_hand():
    # 4096^3 bf16 on H200 (132 SMs): 32 x 32 = 1024 tiles of 128 x 128 -> 8 waves (7.76 rounded up);
    # each wave: 2 * 128 * 128 * (4096 + 32) ops per SM at 989e12 * 0.8 / 132 ops/s, plus 3 us launch
    base = gpu_baseline(_gemm(4096, 4096, 4096), "h200", "bf16", model="derated")
    per_sm = 989e12 * 0.8 / 132
    expected = 8 * 2 * 128 * 128 * 4128 / per_sm + 3e-6
    assert base.layers[-1].seconds == pytest.approx(expected)
    roof = gpu_baseline(_gemm(4096, 4096, 4096), "h200", "bf16")
    assert 1.0 < base.seconds / roof.seconds < 2.0


def test_derated_small_gemm_uses_split_k_and_is_slower_than_roofline():
    # M=N=128: one tile; split-K over min(132, 8192 // 256 = 32) = 32 blocks, one wave
    base = gpu_baseline(_gemm(128, 8192, 128), "h200", "bf16", model="derated")
    per_sm = 989e12 * 0.8 / 132
    compute = 2 * 128 * 128 * (8192 // 32 + 32) / per_sm
    memory = (128 * 8192 + 8192 * 128 + 128 * 128) * 2 / (4800e9 * 0.85)
    assert base.layers[-1].seconds == pytest.approx(max(compute, memory) + 3e-6)


def test_precision_fallbacks_say_so():
    v100, k80, h200 = (load_gpu_spec(n) for n in ("v100", "k80", "h200"))
    assert resolve_precision(h200, "fp8") == ("fp8", "")
    key, note = resolve_precision(v100, "bf16")
    assert key == "fp16" and "no bf16" in note
    assert resolve_precision(v100, "int8")[0] == "fp16"
    assert resolve_precision(k80, "int8")[0] == "fp32"
    assert resolve_precision(v100, "int4")[0] == "fp16"
    assert resolve_precision(h200, "int16")[0] == "fp32"
    key, note = resolve_precision(v100, "fp16", sparse=True)
    assert key == "fp16" and "sparse" in note
    base = gpu_baseline(_gemm(64, 64, 64), "k80", "int8")
    assert base.precision == "fp32" and "modelled at fp32" in base.note
    assert base.layers[-1].dram_bytes == 3 * 64 * 64 * 4  # bytes at the width actually run


def test_sparse_peak_halves_compute_bound_time():
    dense = gpu_baseline(_gemm(8192, 8192, 8192), "a100_80gb", "int8")
    sparse = gpu_baseline(_gemm(8192, 8192, 8192), "a100_80gb", "int8", sparse=True)
    assert sparse.seconds == pytest.approx(dense.seconds / 2)


def test_pointwise_fusion_removes_the_intermediate_tensor():
    b = WorkloadBuilder("cbr", batch=1)
    b.input("x", (1, 8, 8, 16))
    b.conv("conv", "x", 32, 3, padding=1)
    b.norm("bn", "conv")
    b.act("relu", "bn")
    w = b.build()
    unfused = gpu_baseline(w, "v100", "fp16", fuse_pointwise=False)
    fused = gpu_baseline(w, "v100", "fp16")
    act = 8 * 8 * 32 * 2  # one conv-output-sized tensor in fp16, bytes
    # unfused: conv writes it, bn reads + writes it, relu reads it -> 4 trips saved
    saved = sum(layer.dram_bytes for layer in unfused.layers) - sum(layer.dram_bytes for layer in fused.layers)
    assert saved == 4 * act
    by = {layer.name: layer for layer in fused.layers}
    assert by["relu"].dram_bytes == act  # only the final write
    assert by["bn"].dram_bytes == 4 * 32 * 2  # scale, shift, mean, variance
    derated = gpu_baseline(w, "v100", "fp16", model="derated")
    assert sum(layer.overhead_seconds for layer in derated.layers) == pytest.approx(DERATED.kernel_launch_seconds)


def test_resnet50_on_gpus_is_ordered_and_roofline_is_fastest():
    w = load_workload("resnet50", batch=32)
    seconds = {g: gpu_baseline(w, g, "fp16").seconds for g in ("k80", "v100", "a100_80gb", "h200")}
    assert seconds["k80"] > seconds["v100"] > seconds["a100_80gb"] > seconds["h200"]
    for g, roofline_seconds in seconds.items():
        assert gpu_baseline(w, g, "fp16", model="derated").seconds > roofline_seconds
    # the K80 runs fp32 at 2.8 TFLOPS: the roofline can never beat the MACs at peak
    assert seconds["k80"] >= 2 * w.macs / 2.8e12


def _result(seconds=1e-3, energy_j=0.01):
    totals = Totals(cycles=700_000, seconds=seconds, macs=10, tops=1.0, utilization=0.5,
                    energy_j=energy_j, dram_bytes=0, cycles_by_cause={}, energy_j_by_component={})
    layer = LayerResult("fc", "matmul", "matrix", 10, 0, 10, 10, 0.5, 0.0, 0, "compute", {}, 1.0)
    return RunResult("tpu_v1", "gemm", 1, "int8", 700.0, totals, (layer,), (), {"arch_summary": {}})


def test_attach_gpu_baseline_fills_extra_without_mutating_the_input():
    w = _gemm(4096, 4096, 4096)
    result = _result()
    out = attach_gpu_baseline(result, w, "k80")
    assert "gpu_baseline" not in result.extra
    gb = out.extra["gpu_baseline"]
    expected = 2 * 4096**3 / 2.8e12
    assert gb["gpu"] == "k80" and gb["model"] == "roofline" and gb["precision"] == "fp32"
    assert gb["seconds"] == pytest.approx(expected)
    assert gb["energy_j"] == pytest.approx(150 * expected)
    assert gb["speedup"] == pytest.approx(expected / 1e-3)
    assert gb["energy_ratio"] == pytest.approx(150 * expected / 0.01)
    assert "int8" in gb["note"]
    assert out.extra["gpu_layers"]["fc"] == pytest.approx(expected)
    assert out.extra["arch_summary"] == {}
    zero = attach_gpu_baseline(_result(seconds=0.0, energy_j=0.0), w, "v100", "derated")
    assert zero.extra["gpu_baseline"]["speedup"] is None
    assert math.isfinite(zero.extra["gpu_baseline"]["seconds"])


def test_default_gpu_per_arch():
    assert default_gpu_for("tpu_v1") == "k80"
    assert default_gpu_for("archs/tpu_v1.yaml") == "k80"
    assert default_gpu_for("tpu_v3") == "v100"
    assert default_gpu_for("nvdla_full") == "v100"
    assert default_gpu_for("my_chip") == "v100"
