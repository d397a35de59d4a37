"""Banked SRAM energy (bank access + H-tree wire), PE pipeline registers and accumulator traffic:
the physical rules of costs/sram.py, costs/energy.py and engine/activity.py."""
import math

import pytest

from accelsim.api import simulate
from accelsim.costs import scaling, tables
from accelsim.costs.area import sram_mm2_per_mib
from accelsim.costs.energy import energy_params
from accelsim.costs.sram import htree_mm, sram_pj_per_byte_45nm
from accelsim.engine.activity import pipeline_register_bits
from accelsim.errors import AccelsimError


def test_one_bank_is_the_capacity_curve_alone():
    p = energy_params(28, "ddr3", {"big": 24 * 1024.0}, {})
    assert p.sram_wire_mm["big"] == 0.0
    assert p.sram_read_pj_per_byte["big"] == pytest.approx(
        sram_pj_per_byte_45nm(24 * 1024.0) * scaling.energy_factor(28))


def test_banked_energy_is_one_bank_plus_htree_wire():
    p = energy_params(28, "ddr3", {"ub": 24 * 1024.0}, {}, {"ub": 384})
    side = math.sqrt(24 * sram_mm2_per_mib(28))
    assert p.sram_wire_mm["ub"] == pytest.approx(side * (1 - 1 / math.sqrt(384)))
    expected = (sram_pj_per_byte_45nm(64.0) * scaling.energy_factor(28)
                + p.wire_pj_per_byte_mm * p.sram_wire_mm["ub"])
    assert p.sram_read_pj_per_byte["ub"] == pytest.approx(expected)
    # banking a 24 MiB buffer costs less than the extrapolated whole-buffer curve
    unbanked = energy_params(28, "ddr3", {"ub": 24 * 1024.0}, {}).sram_read_pj_per_byte["ub"]
    assert p.sram_read_pj_per_byte["ub"] < 0.7 * unbanked


def test_banked_model_reproduces_horowitz_1mb_point_it_was_not_fitted_to():
    # 1 MiB from 32 KiB banks at 45 nm against Horowitz's 100 pJ per 64 bits (12.5 pJ/byte)
    for banks in (16, 32):
        p = energy_params(45, "ddr3", {"m": 1024.0}, {}, {"m": banks})
        assert p.sram_read_pj_per_byte["m"] == pytest.approx(100 / 8, rel=0.2)
        assert p.sram_read_pj_per_byte["m"] < 100 / 8  # the published array has its own overheads


def test_wire_distance_override_replaces_the_htree():
    p = energy_params(28, "ddr3", {"acc": 4096.0}, {"sram_wire_mm:acc": 1.0}, {"acc": 256})
    assert p.sram_wire_mm["acc"] == 1.0
    assert p.sram_read_pj_per_byte["acc"] == pytest.approx(
        sram_pj_per_byte_45nm(16.0) * scaling.energy_factor(28) + p.wire_pj_per_byte_mm)
    assert "sram_wire_mm:acc" in p.overridden


@pytest.mark.parametrize("bad", [0, -2, 1.5, True])
def test_bad_bank_count_is_a_located_error(bad):
    with pytest.raises(AccelsimError) as exc:
        htree_mm(1024.0, bad, 4.76)
    assert exc.value.field == "banks"


def test_banks_for_an_unknown_buffer_is_an_error_with_did_you_mean():
    with pytest.raises(AccelsimError) as exc:
        energy_params(28, "ddr3", {"accumulators": 4096.0}, {}, {"acumulators": 4})
    assert "accumulators" in str(exc.value) and exc.value.field == "banks.acumulators"


def test_pipeline_register_energy_is_aladdins_ratio_on_horowitz_add():
    p = energy_params(45, "ddr3", {}, {})
    assert p.pipeline_register_pj_per_bit == pytest.approx(0.009 / 0.21 * 0.1)
    assert p.pipeline_register_pj_per_bit == pytest.approx(tables.PIPELINE_REGISTER_PJ_PER_BIT)
    # far below a register-file access per bit (Horowitz: 1 pJ per 32 bits)
    assert p.pipeline_register_pj_per_bit < 0.2 * tables.REGISTER_FILE_32BIT_PJ / 32


def test_pipeline_bits_per_dataflow():
    # WS: input (8) + partial sum (32) per MAC, plus each weight shifted through (R+1)/2 registers
    m, k, n, rows = 1000, 256, 256, 256
    macs = m * k * n
    ws = pipeline_register_bits("ws", 1, m, k, n, macs, 8, 32, rows)
    assert ws == round(macs * 40 + k * n * 8 * (rows + 1) / 2)
    # OS: both operands move, the sum stays; finished sums drain through (R+1)/2 registers
    os_ = pipeline_register_bits("os", 1, m, k, n, macs, 8, 32, rows)
    assert os_ == round(macs * 48 + m * n * 32 * (rows + 1) / 2)
    # skipped MACs (sparsity) latch nothing
    assert pipeline_register_bits("ws", 1, m, k, n, macs // 2, 8, 32, rows) < ws


def test_tpu_v1_accumulator_traffic_is_one_row_read_and_write_per_fold():
    # (c): a WS array writes and reads back one accumulator row (cols x 32 bit) per row fold
    r = simulate("tpu_v1", "tpu_cnn0")
    for layer in r.layers:
        if not layer.macs or "gemm" not in layer.extra:
            continue
        g = layer.extra["gemm"]
        folds = math.ceil(g["k"] / 256)
        acc = [t for t in layer.traffic if t.level == "accumulators"]
        assert len(acc) == 1
        assert acc[0].read_bytes == acc[0].write_bytes == g["count"] * g["m"] * g["n"] * 4 * folds


def test_tpu_v1_cnn0_power_lies_between_idle_and_tdp_and_near_the_measured_busy_power():
    # [TPU17] Table 2: 28 W idle, 40 W busy, 75 W TDP; CNN0 is the paper's full-load workload
    r = simulate("tpu_v1", "tpu_cnn0")
    watts = r.totals.energy_j / r.totals.seconds
    assert 28 < watts < 75
    dynamic_pj_per_mac = (r.totals.energy_j - r.totals.energy_j_by_component["static"]) / r.totals.macs * 1e12
    # the paper implies (40 - 28) W over 43 (86 TOPS) to 36 (useful MACs) TMAC/s: 0.28-0.33 pJ/MAC
    assert 0.28 / 2 < dynamic_pj_per_mac < 0.33 * 2
    parts = r.totals.energy_j_by_component
    assert parts["register_file"] == 0.0 and parts["pipeline_registers"] > 0
