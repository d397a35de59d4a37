"""NVDLA mechanisms behind the spreadsheet comparison: in-place concat, the spreadsheet's per-layer
rule evaluated on its own, and the reasons the validation report gives for a miss."""
from __future__ import annotations

import pytest

from accelsim.lower.lowering import lower
from accelsim.spec.loader import load_arch
from accelsim.validation.nvdla import (
    NvdlaRow,
    miss_reason,
    spreadsheet_rule,
    spreadsheet_rule_cycles,
    validate_nvdla_sram,
)
from accelsim.workload.graph import WorkloadBuilder


def _inception_like(pool_branch: bool = False):
    b = WorkloadBuilder("branches", 1)
    x = b.input("x", (1, 14, 14, 64))
    left = b.conv("left", x, 32, 1)
    right = b.pool("right", x, 3, 1, padding=1) if pool_branch else b.conv("right", x, 48, 1)
    cat = b.concat("cat", [left, right])
    b.conv("after", cat, 64, 1)
    return b.build()


def test_concat_of_conv_outputs_is_built_in_place_on_nv_full():
    tasks = {t.name: t for t in lower(_inception_like(), load_arch("nvdla_full")).tasks}
    cat = tasks["cat"]
    assert cat.unit == "none" and cat.vector_cycles == 0 and cat.loads == ()
    assert cat.output_bytes == 14 * 14 * (32 + 48)  # int8: the concatenated surface, written by the producers
    assert "in place" in " ".join(cat.notes)


def test_concat_is_a_copy_without_the_fused_op_or_with_a_non_matrix_producer():
    no_fuse = load_arch("nvdla_full", ["matrix_unit.fused_ops=[bias, relu]"])
    assert {t.name: t.unit for t in lower(_inception_like(), no_fuse).tasks}["cat"] == "vector"
    # a pooling branch is written by the PDP, not by a convolution's output pipeline
    tasks = {t.name: t for t in lower(_inception_like(pool_branch=True), load_arch("nvdla_full")).tasks}
    assert tasks["cat"].unit == "vector" and tasks["cat"].vector_cycles > 0


def test_spreadsheet_rule_takes_the_larger_of_mac_and_dram_cycles_per_layer():
    b = WorkloadBuilder("rule", 1)
    x = b.input("x", (1, 56, 56, 64))
    # 5x5 direct, 64 -> 64 on 56x56 (pad 2): 1 atomic-C x 2 atomic-K blocks x 25 positions x 3136 pixels
    # = 156,800 MAC cycles; DRAM 102,400 weight + 200,704 input + 200,704 output bytes / 10 = 50,380.8
    y = b.conv("c5", x, 64, 5, padding=2)
    # 3x3 stride 1 (Winograd F2): 2 blocks x 16 products x 28 x 28 tiles = 25,088 MAC cycles;
    # DRAM (36,864 + 200,704 + 200,704) / 10 = 43,827.2 cycles: DRAM-bound
    y = b.conv("c3", y, 64, 3, padding=1)
    g = b.pool("gap", y, 56, 56)
    # FC 64 -> 1000 at batch 1: 1 x 32 blocks x 1 row = 32 MAC cycles; weights shared by 16 frames:
    # (64,000 / 16 + 64 + 1000) / 10 = 506.4
    b.fc("fc", b.flatten("flat", g), 1000)
    assert spreadsheet_rule_cycles(b.build()) == pytest.approx(156_800 + 43_827.2 + 506.4)


def test_spreadsheet_rule_reads_the_shortcut_of_a_fused_add_and_can_run_batch_norm_on_its_own():
    b = WorkloadBuilder("block", 1)
    x = b.input("x", (1, 28, 28, 64))
    # 1x1 64 -> 64: 1 x 2 blocks x 784 pixels = 1,568 MAC cycles; DRAM (4,096 + 50,176 + 50,176) / 10
    # = 10,444.8; the fused add also reads its 50,176-byte shortcut: + 5,017.6
    y = b.norm("bn", b.conv("c1", x, 64, 1))
    b.eltwise("add", [y, x])
    assert spreadsheet_rule_cycles(b.build()) == pytest.approx(10_444.8 + 5_017.6)
    # batch norm as its own pass: read and write 50,176 bytes at 10 B/cycle (SDP at 16/cycle is faster)
    cycles, mac_cycles = spreadsheet_rule(b.build(), standalone_batch_norm=True)
    assert cycles == pytest.approx(10_444.8 + 5_017.6 + 10_035.2) and mac_cycles == 1_568
    # activations over the 25 B/cycle SRAM paths, weights through DRAM, all overlapping: the conv reads
    # 100,352 bytes (input + shortcut) in 4,014.08 cycles; the batch norm pass moves 50,176 bytes each
    # way in 2,007.04 cycles, so the SDP's 16 elements per cycle (3,136 cycles) bound it
    sram = spreadsheet_rule_cycles(b.build(), standalone_batch_norm=True, activations_in_sram=True)
    assert sram == pytest.approx(4_014.08 + 3_136)


def _row(sim_ms, hw_sim, net_sim, rule_ms=0.0, rule_bn_ms=0.0, rule_bn_util=0.0):
    return NvdlaRow("Net", "net", 1.0, 1000.0, 20.0, 30.0, sim_ms, hw_sim, net_sim, 12.0, 34.0, 21.0,
                    rule_ms, rule_bn_ms, rule_bn_util)


def test_miss_reasons_name_the_measured_causes():
    slow = miss_reason(_row(1.5, 20.0, 30.0))
    assert "simulated slower" in slow and "12 %" in slow and "34 %" in slow and "CBUF" in slow
    assert "21 %" in slow and "PDP/CDP" in slow
    # FPS errors above 10 % get a reason even inside the 15 % target (the threshold for reasons)
    assert "simulated slower" in miss_reason(_row(1.12, 20.0, 30.0))
    assert "simulated faster" in miss_reason(_row(0.9, 20.0, 30.0, rule_ms=0.7))
    assert miss_reason(_row(1.05, 20.0, 30.0)) == ""
    fast = miss_reason(_row(0.5, 20.0, 30.0, rule_ms=0.7))
    assert "simulated faster" in fast and "0.700 ms" in fast and "1.000 ms" in fast
    assert "could not identify" in fast
    with_bn = miss_reason(_row(0.5, 20.0, 30.0, rule_ms=0.7, rule_bn_ms=0.98, rule_bn_util=19.0))
    assert "0.980 ms (-2.0 %" in with_bn and "19.0 % vs 20.0 %" in with_bn and "do not confirm" in with_bn
    # same Winograd credit (1.5x) as published: the utilization error follows the cycle error
    assert "follows the cycle error" in miss_reason(_row(0.5, 40.0, 60.0))
    # no Winograd credit while the spreadsheet has 1.5x: the reason says why
    assert "1.00x here vs 1.50x" in miss_reason(_row(1.0, 40.0, 40.0))
    assert miss_reason(_row(1.0, 22.0, 33.0)) == ""


def test_four_mb_sram_row_keeps_conv_weights_resident_and_streams_fc_weights_from_dram():
    row = validate_nvdla_sram()
    # AlexNet's conv weights fit the 4 MiB: conv1, conv2 direct (34,848 + 307,200 B), conv3-5 as
    # Winograd F(2x2,3x3) filters, 16/9 of (884,736 + 663,552 + 442,368) B
    assert row.resident_layers == ("conv1", "conv2", "conv3", "conv4", "conv5")
    assert row.resident_weight_bytes == 34_848 + 307_200 + (884_736 + 663_552 + 442_368) * 16 // 9
    # the FC weights (9216x4096 + 4096x4096 + 4096x1000 B) stay in DRAM, fetched once per 16 frames
    assert row.fc_weight_bytes == (9216 * 4096 + 4096 * 4096 + 4096 * 1000) / 16
    # ... at the 10 GB/s DRAM (10 B per ns): no faster than their bytes allow
    assert row.fc_ms >= row.fc_weight_bytes / 10 / 1e6
    assert row.simulated_ms < row.default_ms
    left_ms = row.published_ms - (row.simulated_ms - row.fc_ms)
    assert row.fc_gbps_needed == pytest.approx(row.fc_weight_bytes / (left_ms * 1e6))
    assert row.fps_error_pct == pytest.approx(100 * (row.published_ms / row.simulated_ms - 1))
