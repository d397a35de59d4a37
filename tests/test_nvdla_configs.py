"""NVDLA nv_full / nv_small configs: sourced sizes, the atomic-C x atomic-K utilisation rule, SDP/PDP/CDP
rates, fusion into the convolution pipeline, Winograd on nv_full, and register-programming cost."""
from __future__ import annotations

import pytest

from accelsim.api import simulate
from accelsim.errors import SpecError
from accelsim.lower.lowering import lower
from accelsim.spec.loader import load_arch
from accelsim.workload.graph import WorkloadBuilder


def test_nv_full_and_nv_small_numbers():
    full, small = load_arch("nvdla_full"), load_arch("nvdla_small")
    assert (full.matrix_unit.rows, full.matrix_unit.cols, full.matrix_unit.peak_macs_per_cycle) == (64, 32, 2048)
    assert full.matrix_unit.precisions["fp16"] == 0.5  # 1024 FP16 MACs
    assert (full.clock_mhz, full.dram.bandwidth_gbps) == (1000, 10)
    assert full.memory_holding("weights").size_kib == full.memory_holding("activations").size_kib == 512
    assert "winograd_f2" in full.matrix_unit.conv_algorithms
    vu = full.vector_unit
    assert vu.elements_per_cycle / vu.op_cycles["bias"] == 16  # SDP BS
    assert vu.elements_per_cycle / vu.op_cycles["batch_norm"] == 16  # SDP BN
    assert vu.elements_per_cycle / vu.op_cycles["add"] == 4  # SDP EW
    units = {u.name: u.elements_per_cycle for u in full.function_units}
    assert units == {"pdp": {"pool": 8}, "cdp": {"lrn": 8}}
    assert (small.matrix_unit.rows, small.matrix_unit.cols) == (8, 8)
    assert small.memory_holding("weights").size_kib == 128
    assert not any(a.startswith("winograd") for a in small.matrix_unit.conv_algorithms)
    assert {u.name: u.elements_per_cycle for u in small.function_units} == {"pdp": {"pool": 1}, "cdp": {"lrn": 1}}


def _conv(c, k, hw=14, kernel=3, stride=2, batch=1, pool=False):
    b = WorkloadBuilder("layer", batch)
    x = b.input("x", (batch, hw, hw, c))
    y = b.act("relu", b.conv("conv", x, k, kernel, stride, padding=kernel // 2), "relu")
    if pool:
        b.pool("pool", y, 2, 2)
    return b.build()


def test_atomic_c_k_rule_example_from_the_hwarch_document():
    # hwarch.rst: atomic-C 16 x atomic-K 64, a layer with 8 input channels and 16 kernels uses 1/8 of the MACs
    arch = load_arch("nvdla_full", ["matrix_unit.rows=16", "matrix_unit.cols=64"])
    layer = next(r for r in simulate(arch, _conv(8, 16)).layers if r.name == "conv")
    assert layer.extra["conv_algorithm"] == "direct"
    assert layer.extra["mapping_efficiency"] == pytest.approx(8 * 16 / (16 * 64))


def test_channel_and_kernel_counts_that_are_multiples_fill_the_array():
    arch = load_arch("nvdla_full")
    full = next(r for r in simulate(arch, _conv(128, 64)).layers if r.name == "conv")
    half = next(r for r in simulate(arch, _conv(32, 64)).layers if r.name == "conv")
    assert full.extra["mapping_efficiency"] == pytest.approx(1.0)
    assert half.extra["mapping_efficiency"] == pytest.approx(0.5)  # 32 of 64 atomic-C rows


def test_fused_conv_relu_pool_uses_the_sdp_and_pdp_side_by_side():
    arch = load_arch("nvdla_full")
    task = next(t for t in lower(_conv(64, 64, hw=28, stride=1, pool=True), arch).tasks if t.unit == "matrix")
    assert task.layers == ("conv", "relu", "pool")
    # relu on the SDP: 28*28*64 = 50,176 outputs at 16/cycle = 3136 cycles; pooling on the PDP reads
    # the same 50,176 elements at 8/cycle = 6272 cycles: the slower stage sets the pace
    assert task.output_pipeline_cycles == 6272
    assert "pdp 6272" in " ".join(task.notes) and "vector 3136" in " ".join(task.notes)


def test_unfused_pooling_and_lrn_run_on_pdp_and_cdp():
    b = WorkloadBuilder("post", 1)
    x = b.input("x", (1, 16, 16, 32))
    p = b.pool("pool", x, 2, 2)
    b.norm("lrn", p, "lrn")
    tasks = {t.name: t for t in lower(b.build(), load_arch("nvdla_full")).tasks}
    assert (tasks["pool"].subunit, tasks["pool"].vector_cycles) == ("pdp", 16 * 16 * 32 // 8 + 16)
    assert (tasks["lrn"].subunit, tasks["lrn"].vector_cycles) == ("cdp", 8 * 8 * 32 // 8 + 16)
    result = simulate("nvdla_full", b.build())
    assert {r.name: r.extra.get("vector_unit") for r in result.layers if r.unit == "vector"} == {"pool": "pdp", "lrn": "cdp"}


def test_nv_full_runs_compute_bound_3x3_layers_with_winograd():
    arch = load_arch("nvdla_full")
    task = next(t for t in lower(_conv(64, 64, hw=56, stride=1, batch=8), arch).tasks if t.unit == "matrix")
    assert task.conv_algorithm == "winograd_f2"
    assert task.dense_equivalent_macs / task.macs == pytest.approx(2.25)
    small = load_arch("nvdla_small")
    assert next(t for t in lower(_conv(64, 64, hw=56, stride=1), small).tasks if t.unit == "matrix").conv_algorithm == "direct"


def test_register_programming_cost_per_hardware_layer():
    arch = load_arch("nvdla_full")
    su = arch.scalar_unit
    tasks = lower(_conv(64, 64), arch).tasks
    conv = next(t for t in tasks if t.unit == "matrix")
    assert conv.scalar_instructions == pytest.approx(su.config_registers_per_layer * su.cycles_per_config_register / su.cpi)
    assert next(t for t in tasks if t.is_graph_input).scalar_instructions == 0


def test_networks_run_end_to_end_on_both_configs():
    for arch in ("nvdla_full", "nvdla_small"):
        r = simulate(arch, "googlenet")
        assert r.totals.cycles > 0 and 0 < r.totals.utilization <= 1
    full = simulate("nvdla_full", "googlenet")
    winograd = [r for r in full.layers if r.extra.get("conv_algorithm") == "winograd_f2"]
    assert winograd and all(r.extra["dense_equivalent_macs"] > r.macs for r in winograd)


def test_function_unit_names_are_checked(tmp_path):
    with pytest.raises(SpecError, match="reserved"):
        load_arch("nvdla_full", ["function_units.pdp.name=vector"])
