"""Energy model: published anchors, derivation rules, node scaling, API contract, errors."""
import itertools
import math
import subprocess
import sys

import pytest

from accelsim.costs import arithmetic, scaling
from accelsim.costs.energy import (
    Activity,
    energy_by_component,
    energy_params,
    total_energy_j,
)
from accelsim.errors import AccelsimError
from accelsim.precision import get_precision

BUFFERS = {"unified_buffer": 24 * 1024.0, "accumulators": 4096.0, "weight_fifo": 256.0}


def _activity(**changes):
    base = {
        "macs_by_precision": {"int8": 3_000_000, "bf16": 1_000},
        "vector_ops_by_precision": {"fp32": 50_000},
        "register_file_bytes": 2_000_000,
        "sram_read_bytes": {"unified_buffer": 400_000, "weight_fifo": 10_000},
        "sram_write_bytes": {"accumulators": 123_456},
        "dram_bytes": 1_000_000,
        "wire_byte_mm": 5_000.0,
        "link_bytes": 4_096,
        "pipeline_register_bits": 7_000_000,
    }
    base.update(changes)
    return Activity(**base)


def test_horowitz_anchors_at_45nm():
    p = energy_params(45, "ddr3", {"a": 8.0, "b": 32.0, "c": 1024.0}, {})
    assert p.energy_factor == 1.0
    assert p.mac_pj["int8"] == pytest.approx(0.2 + 0.03)
    assert p.mac_pj["int32"] == pytest.approx(3.1 + 0.1)
    assert p.mac_pj["fp16"] == pytest.approx(1.1 + 0.4)
    assert p.mac_pj["fp32"] == pytest.approx(3.7 + 0.9)
    assert p.register_file_pj_per_byte == pytest.approx(1.0 / 4)
    assert p.sram_read_pj_per_byte["a"] == pytest.approx(10 / 8)
    assert p.sram_read_pj_per_byte["b"] == pytest.approx(20 / 8)
    assert p.sram_read_pj_per_byte["c"] == pytest.approx(100 / 8)
    assert p.dram_pj_per_byte == pytest.approx(640 / 4)
    assert p.link_pj_per_byte == pytest.approx(500 / 8)


def test_derivation_rules_reproduce_published_points_they_did_not_use_exactly():
    # The bits^2 multiplier rule, fitted on int8 and int32 jointly, predicts int32 within 1 %
    # and int8 within 5 %; the linear adder rule predicts the 16-bit add within 15 %.
    e = arithmetic.ENERGY_45NM
    assert e.int_mult_per_bit2 * 32**2 == pytest.approx(3.1, rel=0.01)
    assert e.int_mult_per_bit2 * 8**2 == pytest.approx(0.2, rel=0.05)
    assert e.int_add_per_bit * 16 == pytest.approx(0.05, rel=0.15)
    # the TPU v1 paper: an 8-bit multiply ~6x less area than fp16, an 8-bit add ~38x less
    a = arithmetic.AREA_45NM
    assert a.float_mult["fp16"] / a.int_mult[8] == pytest.approx(6, rel=0.05)
    assert a.float_add["fp16"] / a.int_add[8] == pytest.approx(38, rel=0.05)


def test_sram_energy_grows_with_capacity_and_interpolates_between_points():
    sizes = [0.5, 2, 8, 16, 32, 256, 1024, 8192, 65536]
    p = energy_params(45, "ddr3", {f"b{s}": s for s in sizes}, {})
    values = [p.sram_read_pj_per_byte[f"b{s}"] for s in sizes]
    assert all(b > a for a, b in itertools.pairwise(values))
    assert 10 / 8 < p.sram_read_pj_per_byte["b16"] < 20 / 8
    assert 20 / 8 < p.sram_read_pj_per_byte["b256"] < 100 / 8


def test_logic_scales_with_node_but_dram_and_links_do_not():
    at = {nm: energy_params(nm, "hbm2", {"b": 64.0}, {}) for nm in (7, 16, 28, 45, 90)}
    macs = [at[nm].mac_pj["int8"] for nm in (7, 16, 28, 45, 90)]
    assert all(b > a for a, b in itertools.pairwise(macs))
    assert len({at[nm].dram_pj_per_byte for nm in at}) == 1
    assert len({at[nm].link_pj_per_byte for nm in at}) == 1
    ratio = at[28].sram_read_pj_per_byte["b"] / at[45].sram_read_pj_per_byte["b"]
    assert ratio == pytest.approx(scaling.energy_factor(28))
    # interpolation between table nodes stays between the neighbours
    assert scaling.energy_factor(16) < scaling.energy_factor(18) < scaling.energy_factor(20)
    # Dally's 0.2 pJ/bit/mm wire at 28 nm
    assert at[28].wire_pj_per_byte_mm == pytest.approx(1.6)


def test_hbm_is_three_to_four_times_cheaper_than_ddr_per_byte():
    ddr = energy_params(28, "ddr3", {}, {}).dram_pj_per_byte
    hbm = energy_params(28, "HBM2", {}, {}).dram_pj_per_byte
    assert 3 <= ddr / hbm <= 4


def test_components_are_exact_and_sum_to_total():
    p = energy_params(28, "ddr4", BUFFERS, {})
    act = _activity()
    parts = energy_by_component(p, act, static_power_w=12.5, seconds=0.002)
    assert list(parts) == ["compute", "pipeline_registers", "register_file", "sram:unified_buffer", "sram:accumulators",
                           "sram:weight_fifo", "dram", "interconnect", "static"]
    pj = 1e-12
    assert parts["compute"] == pytest.approx(
        (3_000_000 * p.mac_pj["int8"] + 1_000 * p.mac_pj["bf16"] + 50_000 * p.vector_op_pj["fp32"]) * pj)
    assert parts["register_file"] == pytest.approx(2_000_000 * p.register_file_pj_per_byte * pj)
    assert parts["pipeline_registers"] == pytest.approx(7e6 * p.pipeline_register_pj_per_bit * pj)
    assert parts["sram:accumulators"] == pytest.approx(123_456 * p.sram_write_pj_per_byte["accumulators"] * pj)
    assert parts["sram:weight_fifo"] == pytest.approx(10_000 * p.sram_read_pj_per_byte["weight_fifo"] * pj)
    assert parts["dram"] == pytest.approx(1e6 * p.dram_pj_per_byte * pj)
    assert parts["interconnect"] == pytest.approx((5000 * p.wire_pj_per_byte_mm + 4096 * p.link_pj_per_byte) * pj)
    assert parts["static"] == 12.5 * 0.002
    independent = math.fsum(
        [3e6 * p.mac_pj["int8"], 1e3 * p.mac_pj["bf16"], 5e4 * p.vector_op_pj["fp32"],
         2e6 * p.register_file_pj_per_byte, 7e6 * p.pipeline_register_pj_per_bit, 4e5 * p.sram_read_pj_per_byte["unified_buffer"],
         1e4 * p.sram_read_pj_per_byte["weight_fifo"],
         123_456 * p.sram_write_pj_per_byte["accumulators"], 1e6 * p.dram_pj_per_byte,
         5000 * p.wire_pj_per_byte_mm, 4096 * p.link_pj_per_byte]) * pj + 0.025
    assert total_energy_j(parts) == pytest.approx(independent, rel=1e-12)


def test_overrides_take_precedence():
    p = energy_params(28, "ddr3", BUFFERS, {
        "mac_int8_pj": 0.5, "dram_pj_per_byte": 20, "sram_pj_per_byte:unified_buffer": 3.0,
        "sram_write_pj_per_byte:unified_buffer": 4.0, "vector_fp32_pj": 1.25,
    })
    assert p.mac_pj["int8"] == 0.5 and p.dram_pj_per_byte == 20.0
    assert p.sram_read_pj_per_byte["unified_buffer"] == 3.0
    assert p.sram_write_pj_per_byte["unified_buffer"] == 4.0
    assert p.vector_op_pj["fp32"] == 1.25
    assert "mac_int8_pj" in p.overridden


def test_unknown_override_names_it_with_did_you_mean():
    with pytest.raises(AccelsimError) as err:
        energy_params(28, "ddr3", BUFFERS, {"mac_int8_pJ": 1.0})
    assert "mac_int8_pJ" in str(err.value) and "did you mean 'mac_int8_pj'" in str(err.value)
    with pytest.raises(AccelsimError, match="sram_pj_per_byte:unified_buffer"):
        energy_params(28, "ddr3", BUFFERS, {"sram_pj_per_byte:unified_bufer": 1.0})
    with pytest.raises(AccelsimError, match="non-negative"):
        energy_params(28, "ddr3", BUFFERS, {"dram_pj_per_byte": -1})


def test_bad_inputs_are_user_errors():
    with pytest.raises(AccelsimError, match="did you mean 'hbm2'"):
        energy_params(28, "hmb2", {}, {})
    with pytest.raises(AccelsimError, match="outside the modelled range"):
        energy_params(1, "ddr3", {}, {})
    with pytest.raises(AccelsimError, match="positive"):
        energy_params(28, "ddr3", {"ub": 0}, {})
    p = energy_params(28, "ddr3", BUFFERS, {})
    with pytest.raises(AccelsimError, match="did you mean 'unified_buffer'"):
        energy_by_component(p, _activity(sram_read_bytes={"unified_bufer": 1}), 0.0, 0.0)
    with pytest.raises(AccelsimError, match="unknown precision 'int7'"):
        energy_by_component(p, _activity(macs_by_precision={"int7": 1}), 0.0, 0.0)
    with pytest.raises(AccelsimError, match="non-negative"):
        energy_by_component(p, _activity(dram_bytes=-5), 0.0, 0.0)


def test_parametrised_lns_and_aliases_are_accepted():
    p = energy_params(28, "ddr3", {}, {})
    parts = energy_by_component(p, _activity(macs_by_precision={"lns_i5f10": 10, "fp8": 10, "lns16": 10},
                                             sram_read_bytes={}, sram_write_bytes={}), 0.0, 0.0)
    assert parts["compute"] > 0
    assert p.mac_energy_pj("fp8") == p.mac_pj["fp8_e4m3"]
    assert p.mac_energy_pj("lns_i7f8") == p.mac_pj["lns16"]
    assert p.mac_energy_pj("lns_i5f10") < p.mac_energy_pj("lns_i7f12")


def test_import_is_cheap():
    code = ("import sys, accelsim.costs.energy, accelsim.costs.area; "
            "heavy = {'scipy', 'sklearn', 'matplotlib', 'simpy', 'networkx', 'pandas'}; "
            "print(sorted(heavy & set(sys.modules)))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_mlp0_layer_on_a_tpu_v1_like_chip_by_hand():
    # One 2000x2000 FC layer at batch 200 (TPU v1 MLP0 stand-in, 28 nm, DDR3, a 24 MiB unified
    # buffer and 4 MiB accumulators, one bank each), from Horowitz's 45 nm figures and the 28 nm
    # energy factor 0.57 (scaling.ENERGY_FACTOR):
    p = energy_params(28, "ddr3", {"unified_buffer": 24 * 1024, "accumulators": 4096}, {})
    act = Activity({"int8": 200 * 2000 * 2000}, {"fp32": 200 * 2000}, 0,
                   {"unified_buffer": 200 * 2000},
                   {"unified_buffer": 200 * 2000, "accumulators": 200 * 2000 * 4}, 2000 * 2000)
    parts = energy_by_component(p, act, 0.0, 0.0)
    # int8 MAC 0.2 + 0.03 pJ, fp32 vector op 3.7 + 0.9 pJ: (8e8 x 0.23 + 4e5 x 4.6) x 0.57 pJ
    assert parts["compute"] == pytest.approx((8e8 * 0.23 + 4e5 * 4.6) * 0.57e-12, rel=1e-12)
    # SRAM above 32 KB: 2.5 pJ/B at 32 KB to 12.5 at 1 MB, a power law of exponent ln 5 / ln 32;
    # 24 MiB: 12.5 x 24^0.464 = 54.7 pJ/B, 4 MiB: 12.5 x 4^0.464 = 23.8 pJ/B (x 0.57 at 28 nm)
    exponent = math.log(5) / math.log(32)
    assert parts["sram:unified_buffer"] == pytest.approx(
        (200 * 2000 * 2) * 12.5 * 24**exponent * 0.57e-12, rel=1e-12)
    assert parts["sram:accumulators"] == pytest.approx(
        (200 * 2000 * 4) * 12.5 * 4**exponent * 0.57e-12, rel=1e-12)
    assert parts["dram"] == pytest.approx(2000 * 2000 * 160e-12, rel=1e-12)  # DDR3: 640 pJ / 4 B
    # weights from DDR3 dominate at this batch, as the TPU v1 paper's weight-stall cycles suggest
    assert parts["dram"] > 3 * parts["compute"]


def test_numpy_counts_are_accepted_and_results_are_floats():
    import numpy as np

    p = energy_params(np.int64(28), "ddr3", {"ub": np.float32(64)}, {})
    act = Activity({"int8": np.int64(5)}, {}, np.int32(3), {"ub": np.int64(7)}, {}, np.uint64(9))
    parts = energy_by_component(p, act, np.float64(1.0), 1e-3)
    assert all(type(v) is float for v in parts.values())
    assert parts["dram"] == pytest.approx(9 * 160e-12)


def test_a_mac_adds_at_the_accumulator_width():
    # A PE computes psum_out = psum_in + product: the multiply is of the operand format, the add is
    # at the partial-sum width. Horowitz 45 nm: int8 multiply 0.2, int8 add 0.03, int32 add 0.1,
    # fp32 multiply 3.7, fp32 add 0.9, fp16 add 0.4 pJ.
    at = {bits: energy_params(45, "ddr3", {}, {}, accumulator_bits=bits) for bits in (None, 9, 16, 32, 34)}
    assert at[None].mac_pj["int8"] == pytest.approx(0.2 + 0.03)  # same format (no matrix unit)
    assert at[32].mac_pj["int8"] == pytest.approx(0.2 + 0.1)  # TPU v1: 32-bit accumulators
    # 34 bits (NVDLA): not a table point; the integer-add fit 4.24 / 1344 pJ per bit
    # ((8 x 0.03 + 16 x 0.05 + 32 x 0.1) / (8^2 + 16^2 + 32^2)) x 34 bits = 0.10726 pJ
    assert at[34].mac_pj["int8"] == pytest.approx(0.2 + 4.24 / 1344 * 34)
    # never below the operand's own add: the fit gives a 9-bit add 0.0284 < the 8-bit point 0.03
    assert at[9].mac_pj["int8"] == pytest.approx(0.2 + 0.03)
    # bf16 (e8 m7): multiply a x 8 + c x 8^2 with a, c solved through fp16 (e5, p11: 1.1) and fp32
    # (e8, p24: 3.7): c = (3.7 - 1.1 x 8/5) / (24^2 - 11^2 x 8/5) = 1.94 / 382.4, a = (1.1 - 121 c) / 5
    c = 1.94 / 382.4
    a = (1.1 - 121 * c) / 5
    bf16_mult = 8 * a + 64 * c  # 1.1025 pJ
    bf16_add = (16 * 0.4 + 32 * 0.9) / (16**2 + 32**2) * 16  # float-add fit x 16 bits = 0.44 pJ
    assert at[None].mac_pj["bf16"] == pytest.approx(bf16_mult + bf16_add)
    assert at[32].mac_pj["bf16"] == pytest.approx(bf16_mult + 0.9)  # TPU v2/v3: fp32 accumulation
    assert at[16].mac_pj["fp16"] == pytest.approx(1.1 + 0.4)  # a 16-bit float accumulator: its own add
    assert at[32].mac_pj["fp32"] == pytest.approx(3.7 + 0.9)  # fp32 operands keep the fp32 add
    assert at[34].mac_pj["fp32"] == pytest.approx(3.7 + 0.9)
    for bits in (9, 16, 32, 34):  # LNS accumulates in LNS; vector ops are not accumulations
        assert at[bits].mac_pj["lns16"] == at[None].mac_pj["lns16"]
        assert at[bits].mac_energy_pj("lns_i5f10") == at[None].mac_energy_pj("lns_i5f10")
        assert at[bits].vector_op_pj == at[None].vector_op_pj
    # a parametrised name resolves through the same rule as the registry
    assert at[32].mac_energy_pj("fp8") == at[32].mac_pj["fp8_e4m3"]
    # an explicit override still wins
    assert energy_params(45, "ddr3", {}, {"mac_int8_pj": 0.5}, accumulator_bits=32).mac_pj["int8"] == 0.5
    with pytest.raises(AccelsimError, match="accumulator_bits"):
        energy_params(45, "ddr3", {}, {}, accumulator_bits=0)


def test_in_array_partial_sums_are_the_exact_sum_width_capped_at_the_accumulator():
    p = {name: get_precision(name) for name in ("int8", "int16", "int4", "binary", "bf16", "lns16")}
    bits = arithmetic.partial_sum_bits
    assert bits(p["int8"], 32, 16) == 20  # Gemmini's default: 8b x 8b down 16 rows -> SInt(20)
    assert bits(p["int8"], 32, 256) == 24  # TPU v1: 16-bit products down 256 rows
    assert bits(p["int8"], 34, 64) == 22  # NVDLA nv_full: 64-deep reduction
    assert bits(p["int8"], 32, 257) == 25  # a partial power of two rounds up
    assert bits(p["int16"], 32, 256) == 32  # capped at the accumulator
    assert bits(p["int8"], 32, None) == 32  # OS: the sum stays in the PE for the whole reduction
    assert bits(p["int8"], 32, 1) == 16  # one product: its own width
    assert bits(p["int4"], 12, 1024) == 12
    assert bits(p["binary"], 32, 256) == 9  # XNOR products are 1 bit
    assert bits(p["bf16"], 32, 128) == 32 and bits(p["lns16"], 32, 16) == 32  # not integer: the accumulator's
    assert bits(p["int8"], 4, 256) == 8  # never below the operand
    # the MAC energy follows: 24-bit add for TPU v1's int8 instead of the 32-bit one
    e = energy_params(45, "ddr3", {}, {}, accumulator_bits=32, products_per_sum=256)
    assert e.mac_pj["int8"] == pytest.approx(0.2 + arithmetic.int_add(arithmetic.ENERGY_45NM, 24))
    assert arithmetic.int_add(arithmetic.ENERGY_45NM, 24) == pytest.approx(24 * 4.24 / 1344)  # fit on 8/16/32
    assert e.mac_pj["bf16"] == energy_params(45, "ddr3", {}, {}, accumulator_bits=32).mac_pj["bf16"]
    with pytest.raises(AccelsimError, match="products_per_sum"):
        energy_params(45, "ddr3", {}, {}, accumulator_bits=32, products_per_sum=0)


def test_tpu_v1_compute_energy_pays_the_24_bit_in_array_add():
    # tpu_v1 (28 nm, energy factor 0.57, 32-bit accumulators, 256 rows) against the same run with
    # the int8 MAC overridden to the same-format value (0.2 + 0.03) x 0.57 pJ: every MAC costs
    # (add24 - 0.03) x 0.57 pJ more, and nothing else moves.
    from accelsim.api import simulate

    same_format_pj = (0.2 + 0.03) * scaling.energy_factor(28)
    wide = simulate("tpu_v1", "tpu_mlp0")
    narrow = simulate("tpu_v1", "tpu_mlp0", overrides=(f"energy.mac_int8_pj={same_format_pj!r}",))
    assert wide.totals.macs == narrow.totals.macs > 0
    delta_j = wide.totals.energy_j_by_component["compute"] - narrow.totals.energy_j_by_component["compute"]
    add24 = 24 * 4.24 / 1344  # Horowitz's 8/16/32-bit adds (0.03, 0.05, 0.1 pJ) fitted per bit
    assert delta_j == pytest.approx(wide.totals.macs * (add24 - 0.03) * scaling.energy_factor(28) * 1e-12, rel=1e-9)
    assert scaling.energy_factor(28) == pytest.approx(0.57)
    for name, joules in wide.totals.energy_j_by_component.items():
        if name != "compute":
            assert joules == narrow.totals.energy_j_by_component[name], name
