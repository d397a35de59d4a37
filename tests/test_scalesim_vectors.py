"""Every row of the shared SCALE-Sim v2 reference vectors (measured outputs of SCALE-Sim 2.0.2).

CALC rows must match exactly: cycles, stalls, the three utilisation floats (bit for bit), SRAM and
DRAM access counts. USER rows must be within 1 %: on three rows the reference was measured with a
SCALE-Sim whose stall count differs by 1-3 cycles from the pip 2.0.2 package run here (which our
model reproduces exactly, see test_scalesim_live.py); that difference is documented in
docs/scalesim_differences.md and pinned below so a change in either is noticed.
"""
from __future__ import annotations

import pytest

from accelsim.validation.scalesim_parity import (
    reference_rows,
    scalesim_parity,
    simulate_reference_row,
)

ROWS = reference_rows()  # the shared reference vectors, shipped in accelsim/validation/data
# (config, layer) -> (reference stall cycles, stall cycles of pip scalesim 2.0.2 on numpy 2.4)
KNOWN_USER_OFFSETS = {
    ("small8_user_bw1_is", "g100x37x53"): (68636, 68635),
    ("small8_user_bw1_is", "g64x64x64"): (40187, 40184),
    ("small8_user_bw1_ws", "g64x64x64"): (40187, 40184),
}


def _ids(rows):
    return [f"{r['config_name']}-{r['layer_name']}" for r in rows]


CALC = [r for r in ROWS if r["bw_mode"] == "CALC"]
USER = [r for r in ROWS if r["bw_mode"] == "USER"]


def test_vectors_present():
    assert len(ROWS) >= 60, "reference vectors missing"
    assert CALC and USER


@pytest.mark.parametrize("row", CALC, ids=_ids(CALC))
def test_calc_mode_is_exact(row):
    layer, rep = simulate_reference_row(row)
    assert (layer.gemm_m, layer.gemm_n, layer.gemm_k) == (
        int(row["gemm_M_ofmap_px"]), int(row["gemm_N_filters"]), int(row["gemm_K_window"]))
    assert rep.macs == int(row["macs"])
    assert rep.total_cycles == int(row["total_cycles"])
    assert rep.stall_cycles == int(row["stall_cycles"])
    assert rep.overall_util_pct == float(row["overall_util_pct"])
    assert rep.mapping_efficiency_pct == float(row["mapping_eff_pct"])
    assert rep.compute_util_pct == float(row["compute_util_pct"])
    assert rep.sram_ifmap_reads == int(row["sram_ifmap_reads"])
    assert rep.sram_filter_reads == int(row["sram_filter_reads"])
    assert rep.sram_ofmap_writes == int(row["sram_ofmap_writes"])
    assert rep.dram_ifmap_reads == int(row["dram_ifmap_reads"])
    assert rep.dram_filter_reads == int(row["dram_filter_reads"])
    assert rep.dram_ofmap_writes == int(row["dram_ofmap_writes"])


@pytest.mark.parametrize("row", USER, ids=_ids(USER))
def test_user_mode_within_one_percent(row):
    _, rep = simulate_reference_row(row)
    expected_total = int(row["total_cycles"])
    expected_stall = int(row["stall_cycles"])
    assert abs(rep.total_cycles - expected_total) <= 0.01 * expected_total
    assert abs(rep.stall_cycles - expected_stall) <= max(0.01 * expected_stall, 0)
    key = (row["config_name"], row["layer_name"])
    if key in KNOWN_USER_OFFSETS:
        reference, ours = KNOWN_USER_OFFSETS[key]
        assert (expected_stall, rep.stall_cycles) == (reference, ours)
    else:
        assert rep.stall_cycles == expected_stall
        assert rep.total_cycles == expected_total
    # access counts do not depend on the stall timing
    assert rep.sram_ifmap_reads == int(row["sram_ifmap_reads"])
    assert rep.sram_filter_reads == int(row["sram_filter_reads"])
    assert rep.sram_ofmap_writes == int(row["sram_ofmap_writes"])
    assert rep.dram_ifmap_reads == int(row["dram_ifmap_reads"])
    assert rep.dram_filter_reads == int(row["dram_filter_reads"])
    assert rep.dram_ofmap_writes == int(row["dram_ofmap_writes"])
    assert rep.mapping_efficiency_pct == float(row["mapping_eff_pct"])
    assert rep.compute_util_pct == float(row["compute_util_pct"])


def test_validation_summary_counts_the_same_rows_these_tests_check():
    by_mode = {g.mode: g for g in scalesim_parity()}
    assert by_mode["CALC"].rows == len(CALC) and by_mode["CALC"].rows_identical == len(CALC)
    assert by_mode["CALC"].fields_identical == by_mode["CALC"].fields_compared
    # the three pinned USER rows differ in stalls, total cycles and overall utilization only
    user = by_mode["USER"]
    assert user.rows == len(USER) and user.rows_identical == len(USER) - len(KNOWN_USER_OFFSETS)
    assert user.fields_compared - user.fields_identical == 3 * len(KNOWN_USER_OFFSETS)
    assert 0 < user.max_cycle_error_pct < 1
