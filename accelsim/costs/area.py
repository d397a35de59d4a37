"""Area model: MAC processing elements by precision, SRAM by capacity, and glue logic.

pe_um2: (multiplier + adder area at 45 nm, from arithmetic.AREA_45NM: Horowitz's area points,
multiplier ~ mantissa^2 for other formats) x PE_OVERHEAD (pipeline registers, operand delivery and
control inside a PE) x the logic-area factor of the node (scaling.py). The adder is the one the
MAC's energy pays for: at the in-array partial-sum width when the array's ``accumulator_bits`` is
given (arithmetic.partial_sum_bits: TPU v1's int8 PE adds 24-bit sums, a bf16 PE accumulating in
fp32 has an fp32 adder), else of the format itself.
SRAM: SRAM_MM2_PER_MIB_28NM scaled by the bit-cell area trend (scaling.py).
Glue (control, I/O, on-chip interconnect): GLUE_FRACTION of PE + SRAM area.

PE_OVERHEAD, SRAM_MM2_PER_MIB_28NM and GLUE_FRACTION are fitted to the published anchors in
area_fit.ANCHORS (TPU v1, NVDLA); tests/test_costs_area.py re-runs the fit and checks these
constants, and docs/energy_and_precision.md lists the residuals.
"""
from __future__ import annotations

from collections.abc import Mapping
from numbers import Integral, Real

from ..errors import AccelsimError
from ..precision import Precision, get_precision
from . import arithmetic, scaling

# Fitted by area_fit.fit_area_model() (log-space least squares over ANCHORS); see module docstring.
PE_OVERHEAD = 8.12
SRAM_MM2_PER_MIB_28NM = 4.76
GLUE_FRACTION = 0.25


def pe_um2_45nm(p: Precision, accumulator_bits: int | None = None, products_per_sum: int | None = None) -> float:
    """Raw multiplier + adder area at 45 nm, um^2 (no PE overhead), of a PE multiplying format
    ``p`` into the partial sums of an array with ``accumulator_bits``-wide accumulators whose sums
    collect ``products_per_sum`` products in the array (arithmetic.partial_sum_bits; None: adding
    in format ``p``)."""
    return arithmetic.mac(arithmetic.AREA_45NM, p, accumulator_bits, products_per_sum)


def pe_um2(precision: str | Precision, process_nm: float, pe_overhead: float = PE_OVERHEAD,
           accumulator_bits: int | None = None, products_per_sum: int | None = None) -> float:
    """Area of one MAC processing element in ``precision`` at ``process_nm``, um^2, adding into
    partial sums as :func:`pe_um2_45nm` says (``accumulator_bits`` None: in the format itself)."""
    p = precision if isinstance(precision, Precision) else get_precision(precision)
    return (pe_um2_45nm(p, accumulator_bits, products_per_sum) * pe_overhead
            * scaling.logic_area_factor(process_nm))


def sram_mm2_per_mib(process_nm: float, mm2_per_mib_28nm: float = SRAM_MM2_PER_MIB_28NM) -> float:
    """SRAM area (bit cells plus periphery) per MiB at ``process_nm``, mm^2."""
    return mm2_per_mib_28nm * scaling.sram_area_factor(process_nm) / scaling.sram_area_factor(28.0)


def area_mm2(process_nm: float, macs_by_precision_capability: Mapping[str, int],
             sram_kib_total: float, glue_fraction: float = GLUE_FRACTION,
             accumulator_bits: int | None = None, products_per_sum: int | None = None) -> dict[str, float]:
    """Area breakdown in mm^2: "pe:<precision>" for each entry of
    ``macs_by_precision_capability`` (number of MAC units built for that format, each adding into
    partial sums as :func:`pe_um2_45nm` says; give a multi-precision array once, under its widest
    format), "sram" (``sram_kib_total`` KiB of on-chip SRAM) and "glue" (control, I/O,
    interconnect). The total is the sum of the values."""
    if isinstance(sram_kib_total, bool) or not (isinstance(sram_kib_total, Real) and sram_kib_total >= 0):
        raise AccelsimError(f"SRAM size must be a non-negative number of KiB, got {sram_kib_total!r}",
                            field="sram_kib_total")
    if not 0 <= glue_fraction < 10:
        raise AccelsimError(f"glue fraction must be in [0, 10), got {glue_fraction!r}", field="glue_fraction")
    result: dict[str, float] = {}
    for name, count in macs_by_precision_capability.items():
        if isinstance(count, bool) or not isinstance(count, Integral) or count < 0:
            raise AccelsimError(f"MAC count must be a non-negative integer, got {count!r}",
                                field=f"macs_by_precision_capability.{name}")
        try:
            p = get_precision(name)
        except AccelsimError as exc:
            raise AccelsimError(exc.message, field=f"macs_by_precision_capability.{name}") from None
        result[f"pe:{name}"] = count * pe_um2(p, process_nm, PE_OVERHEAD, accumulator_bits, products_per_sum) * 1e-6
    result["sram"] = sram_kib_total / 1024 * sram_mm2_per_mib(process_nm)
    result["glue"] = glue_fraction * sum(result.values())
    return {name: float(value) for name, value in result.items()}


def total_area_mm2(breakdown: Mapping[str, float]) -> float:
    """Total of an :func:`area_mm2` breakdown, mm^2."""
    return sum(breakdown.values())
