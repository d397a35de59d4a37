"""Convolution algorithms: Winograd transforms compute the right answer, their op counts and multiply
savings match hand counts, the chosen algorithm and its transform cost reach the task and the report;
direct and channel-extension GEMM shapes."""
from __future__ import annotations

import numpy as np
import pytest

from accelsim.api import simulate
from accelsim.lower import conv_algorithms as C
from accelsim.lower.lowering import lower
from accelsim.spec.loader import load_arch
from accelsim.workload import ops as O
from accelsim.workload.graph import WorkloadBuilder


def _np(matrix):
    return np.array([[float(v) for v in row] for row in matrix])


@pytest.mark.parametrize("name", ["winograd_f2", "winograd_f4"])
def test_winograd_transforms_compute_the_correlation(name):
    w = C.WINOGRAD[name]
    rng = np.random.default_rng(7)
    d = rng.standard_normal((w.tile, w.tile))
    g = rng.standard_normal((3, 3))
    BT, G, AT = _np(w.BT), _np(w.G), _np(w.AT)
    y = AT @ ((G @ g @ G.T) * (BT @ d @ BT.T)) @ AT.T
    direct = np.array([[np.sum(d[i:i + 3, j:j + 3] * g) for j in range(w.m)] for i in range(w.m)])
    np.testing.assert_allclose(y, direct, rtol=1e-10, atol=1e-10)


def test_transform_op_counts_by_hand():
    f2, f4 = C.WINOGRAD["winograd_f2"], C.WINOGRAD["winograd_f4"]
    # F2: every row of B^T has two nonzeros (1 add): 4 ops per 1-D pass, 2 x 4 passes -> 32;
    # A^T rows have three nonzeros (2 adds): 4 ops per pass, 4 + 2 passes -> 24 (Lavin & Gray's counts)
    assert (f2.input_transform_ops, f2.output_transform_ops) == (32, 24)
    # F4: B^T rows cost 4, 5, 5, 5, 5, 4 (adds + multiplies by 4, 5, 2) = 28 per pass, 12 passes;
    # A^T rows cost 4, 5, 5, 6 = 20 per pass, 6 + 4 passes
    assert (f4.input_transform_ops, f4.output_transform_ops) == (12 * 28, 10 * 20)
    assert (f2.multiply_reduction, f4.multiply_reduction) == (2.25, 4.0)


def _conv_net(batch=1, hw=56, c=64, k=64, kernel=3, stride=1):
    b = WorkloadBuilder("one_conv", batch)
    x = b.input("x", (batch, hw, hw, c))
    b.conv("conv", x, k, kernel, stride, padding=kernel // 2)
    return b.build()


@pytest.mark.parametrize("algorithm,tiles,ratio", [("winograd_f2", 28 * 28, 2.25), ("winograd_f4", 14 * 14, 4.0)])
def test_winograd_cuts_multiplies_and_adds_transform_work(algorithm, tiles, ratio):
    arch = load_arch("tpu_v2", [f"matrix_unit.conv_algorithms=[{algorithm}]"])
    dense_arch = load_arch("tpu_v2")
    task = next(t for t in lower(_conv_net(), arch).tasks if t.unit == "matrix")
    dense = next(t for t in lower(_conv_net(), dense_arch).tasks if t.unit == "matrix")
    w = C.WINOGRAD[algorithm]
    assert task.conv_algorithm == algorithm and dense.conv_algorithm == "im2col"
    assert dense.macs == 56 * 56 * 9 * 64 * 64 == 115605504
    assert task.dense_equivalent_macs == dense.macs
    assert task.macs == w.tile ** 2 * tiles * 64 * 64
    assert dense.macs / task.macs == pytest.approx(ratio)
    assert (task.gemm.m, task.gemm.k, task.gemm.n, task.gemm.count) == (tiles, 64, 64, w.tile ** 2)
    transform = tiles * 64 * (w.input_transform_ops + w.output_transform_ops)
    assert task.vector_element_ops == transform  # no bias: the transforms are the only vector work
    # transforms run on the vector unit (4096 element ops per cycle on the tpu_v2 chip)
    assert task.output_pipeline_cycles == -(-transform // 4096)
    assert dense.output_pipeline_cycles == 0
    assert f"{ratio:.2f}x fewer" in task.notes[0]
    # filters are stored transformed: (m + 2)^2 / 9 times the weight bytes (bf16: 2 bytes)
    assert task.weight_bytes == w.tile ** 2 * 64 * 64 * 2


def test_transform_cost_shows_in_time_when_the_transforms_are_slow():
    slow = ["matrix_unit.conv_algorithms=[winograd_f2]", "vector_unit.lanes=1", "vector_unit.sublanes=1"]
    layer = next(r for r in simulate(load_arch("tpu_v2", slow), _conv_net(batch=4)).layers if r.name == "conv")
    fast = next(r for r in simulate(load_arch("tpu_v2", slow[:1]), _conv_net(batch=4)).layers if r.name == "conv")
    assert layer.cycles > fast.cycles
    assert layer.cycles_by_cause["vector"] > fast.cycles_by_cause["vector"]
    assert layer.extra["conv_algorithm"] == "winograd_f2"


def test_winograd_only_applies_to_stride_one_3x3():
    arch = load_arch("tpu_v2", ["matrix_unit.conv_algorithms=[winograd_f2, winograd_f4]"])
    strided = next(t for t in lower(_conv_net(stride=2), arch).tasks if t.unit == "matrix")
    five = next(t for t in lower(_conv_net(kernel=5), arch).tasks if t.unit == "matrix")
    assert strided.conv_algorithm == five.conv_algorithm == "im2col"  # nothing listed applies: im2col
    assert strided.macs == strided.dense_equivalent_macs
    assert not C.applicable("winograd_f2", O.Conv2d(1, 8, 8, 4, 4, 3, 3, dilation=2))


def test_cost_based_choice_prefers_f4_when_compute_bound_and_keeps_ties_in_list_order():
    arch = load_arch("tpu_v2", ["matrix_unit.conv_algorithms=[im2col, winograd_f2, winograd_f4]"])
    task = next(t for t in lower(_conv_net(batch=8, c=256, k=256), arch).tasks if t.unit == "matrix")
    assert task.conv_algorithm == "winograd_f4"
    assert "winograd_f2" in task.notes[0] and "im2col" in task.notes[0]  # the alternatives' estimates
    pw = O.Conv2d(1, 8, 8, 64, 64, 1, 1)
    both = load_arch("tpu_v2", ["matrix_unit.conv_algorithms=[direct, im2col]"])
    assert C.choose(pw, both, 0.0, 1.0).algorithm == "direct"  # a 1x1 conv: the same GEMM either way


def test_direct_and_channel_extension_gemm_shapes():
    arch = load_arch("nvdla_full")
    conv = O.Conv2d(1, 28, 28, 64, 32, 3, 3, 1, 1, 1, 1, 1, 1)
    gemm = C.plan("direct", conv, arch, 1.0, 1.0).gemm
    assert (gemm.m, gemm.k, gemm.n, gemm.count) == (784, 64, 32, 9)  # C_in on rows, C_out on columns, 9 passes
    stem = O.Conv2d(1, 224, 224, 3, 64, 7, 7, 2, 2, 3, 3, 3, 3)
    assert not C.applicable("winograd_f2", stem)
    ext = C.plan("channel_extension", stem, arch, 1.0, 1.0).gemm
    assert (ext.m, ext.k, ext.n, ext.count) == (112 * 112, 7 * 3, 64, 7)
    assert C.choose(stem, arch, 1.0, 1.0).algorithm == "channel_extension"  # 21 of 64 rows beat 3 of 64
    assert not C.applicable("channel_extension", O.Conv2d(1, 8, 8, 16, 16, 3, 3))
