"""Area model: calibration against published anchors and the breakdown contract."""
import pytest

from accelsim.costs import area
from accelsim.costs.area_fit import ANCHORS, fit_area_model, predict_mm2
from accelsim.errors import AccelsimError


def test_shipped_constants_are_the_fit():
    (overhead, sram, glue), _ = fit_area_model()
    assert (overhead, sram, glue) == (area.PE_OVERHEAD, area.SRAM_MM2_PER_MIB_28NM, area.GLUE_FRACTION)


def test_every_anchor_within_fifteen_percent():
    for anchor in ANCHORS:
        predicted = predict_mm2(anchor, area.PE_OVERHEAD, area.SRAM_MM2_PER_MIB_28NM, area.GLUE_FRACTION)
        assert predicted == pytest.approx(anchor.published_mm2, rel=0.15), anchor.name


def test_nvdla_breakdown_matches_anchor_and_sums():
    parts = area.area_mm2(28, {"int8": 2048}, 512)
    assert set(parts) == {"pe:int8", "sram", "glue"}
    assert area.total_area_mm2(parts) == pytest.approx(5.5, rel=0.15)
    assert parts["glue"] == pytest.approx(area.GLUE_FRACTION * (parts["pe:int8"] + parts["sram"]))


def test_lower_precision_and_newer_node_are_smaller():
    assert area.pe_um2("int8", 28) < area.pe_um2("fp16", 28) < area.pe_um2("fp32", 28)
    assert area.pe_um2("int4", 28) < area.pe_um2("int8", 28)
    assert area.pe_um2("int8", 7) < area.pe_um2("int8", 16) < area.pe_um2("int8", 28)
    assert area.sram_mm2_per_mib(7) < area.sram_mm2_per_mib(28)


def test_a_pe_adds_at_the_accumulator_width_as_its_energy_does():
    # Horowitz's 45 nm areas: int8 multiply 282 um^2, int8 add 36, int32 add 137, fp32 add 4184
    scale = area.PE_OVERHEAD * area.scaling.logic_area_factor(28)
    assert area.pe_um2("int8", 28) == pytest.approx((282 + 36) * scale)
    assert area.pe_um2("int8", 28, accumulator_bits=32) == pytest.approx((282 + 137) * scale)
    bf16_mult = area.pe_um2("bf16", 28) / scale - area.arithmetic.add(area.arithmetic.AREA_45NM, area.get_precision("bf16"))
    assert area.pe_um2("bf16", 28, accumulator_bits=32) == pytest.approx((bf16_mult + 4184) * scale)
    parts = area.area_mm2(28, {"int8": 65536}, 0, accumulator_bits=32)
    assert parts["pe:int8"] == pytest.approx(65536 * (282 + 137) * scale * 1e-6)
    # inside a 256-row WS array the int8 sums are 24 bits (arithmetic.partial_sum_bits), so is the adder
    add24 = area.arithmetic.int_add(area.arithmetic.AREA_45NM, 24)
    assert 36 < add24 < 137
    assert area.pe_um2("int8", 28, accumulator_bits=32, products_per_sum=256) == pytest.approx((282 + add24) * scale)
    parts = area.area_mm2(28, {"int8": 65536}, 0, accumulator_bits=32, products_per_sum=256)
    assert parts["pe:int8"] == pytest.approx(65536 * (282 + add24) * scale * 1e-6)


def test_bad_inputs_are_user_errors():
    with pytest.raises(AccelsimError, match="unknown precision"):
        area.area_mm2(28, {"int9": 4}, 0)
    with pytest.raises(AccelsimError, match="non-negative integer"):
        area.area_mm2(28, {"int8": -4}, 0)
    with pytest.raises(AccelsimError, match="KiB"):
        area.area_mm2(28, {"int8": 4}, -1)
