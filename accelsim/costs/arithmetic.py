"""Multiplier and adder energy (pJ) and area (um^2) per numeric format at 45 nm.

Formats in Horowitz's table (int8/int16/int32 add, int8/int32 multiply, fp16/fp32 add and multiply)
use the published numbers. Every other format is DERIVED (an estimate) by these rules, each fitted
to the published points:

- integer multiplier: proportional to bits^2 (an array multiplier has bits^2 partial-product cells);
  least-squares fit through the origin on the int8 and int32 points;
- integer adder: proportional to bits (ripple/prefix adder width); least-squares fit on 8/16/32;
- float multiplier: a*exponent_bits + c*(mantissa_bits + 1)^2 (exponent adder plus significand
  multiplier), solved exactly through fp16 and fp32;
- float adder: proportional to exponent + mantissa + 1 bits (alignment shifter, adder,
  normaliser), least-squares fit through the origin on fp16 and fp32;
- LNS (I integer, F fraction bits, w = I + F): multiply = one w-bit integer add; add = two w-bit
  integer adds (difference and final sum) + one F-bit integer multiply (interpolation) + one w-bit
  table read costed as a register-file read of w bits;
- binary (XNOR-popcount): a 1-bit multiply and a 1-bit add by the integer rules.

A matrix-unit MAC, in energy and in PE area alike, is one multiply of the operand format plus one
add at the partial-sum width (:func:`partial_sum_bits`, :func:`accumulate_add`); a vector op is one multiply plus one add of
its own format. Every rule grows with each of bits, exponent bits and mantissa bits, so a format
that is narrower in every field never costs more (tested with hypothesis).
"""
from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

from ..precision import Precision
from . import tables


def _fit_through_origin(points) -> float:
    """Least-squares c for y = c * x over (x, y) points."""
    points = tuple(points)
    return sum(x * y for x, y in points) / sum(x * x for x, _ in points)


@dataclass(frozen=True)
class OperatorCosts:
    """Coefficients of the derivation rules for one cost kind (energy in pJ or area in um^2)."""

    int_add: Mapping[int, float]  # published points by bit width
    int_mult: Mapping[int, float]
    float_add: Mapping[str, float]  # published points by format name
    float_mult: Mapping[str, float]
    int_add_per_bit: float
    int_mult_per_bit2: float
    float_add_per_bit: float
    float_mult_per_exponent_bit: float
    float_mult_per_significand_bit2: float
    table_read_per_bit: float


def _costs(int_add, int_mult, float_add, float_mult, table_read_per_bit) -> OperatorCosts:
    # float multiply: solve a*e + c*p^2 through (fp16: e5, p11) and (fp32: e8, p24)
    e16, p16, e32, p32 = 5, 11, 8, 24
    m16, m32 = float_mult["fp16"], float_mult["fp32"]
    c = (m32 - m16 * e32 / e16) / (p32**2 - p16**2 * e32 / e16)
    a = (m16 - c * p16**2) / e16
    return OperatorCosts(
        int_add, int_mult, float_add, float_mult,
        int_add_per_bit=_fit_through_origin(int_add.items()),
        int_mult_per_bit2=_fit_through_origin((b * b, v) for b, v in int_mult.items()),
        float_add_per_bit=_fit_through_origin(((16, float_add["fp16"]), (32, float_add["fp32"]))),
        float_mult_per_exponent_bit=a,
        float_mult_per_significand_bit2=c,
        table_read_per_bit=table_read_per_bit,
    )


ENERGY_45NM = _costs(tables.INT_ADD_PJ, tables.INT_MULT_PJ, tables.FLOAT_ADD_PJ,
                     tables.FLOAT_MULT_PJ, tables.REGISTER_FILE_32BIT_PJ / 32)
# Table-read area: a small ROM/register cell per bit, estimated at one 8-bit-adder bit (E).
AREA_45NM = _costs(tables.INT_ADD_UM2, tables.INT_MULT_UM2, tables.FLOAT_ADD_UM2,
                   tables.FLOAT_MULT_UM2, tables.INT_ADD_UM2[8] / 8)


def int_add(costs: OperatorCosts, bits: int) -> float:
    """Cost of a ``bits``-bit integer add."""
    return costs.int_add.get(bits, costs.int_add_per_bit * bits)


def int_mult(costs: OperatorCosts, bits: int) -> float:
    """Cost of a ``bits`` x ``bits`` integer multiply."""
    return costs.int_mult.get(bits, costs.int_mult_per_bit2 * bits * bits)


def multiply(costs: OperatorCosts, p: Precision) -> float:
    """Cost of one multiply in format ``p`` at 45 nm."""
    if p.kind in ("int", "binary"):
        return int_mult(costs, p.bits)
    if p.kind == "float":
        if p.name in costs.float_mult:
            return costs.float_mult[p.name]
        significand = p.mantissa_bits + 1
        return (costs.float_mult_per_exponent_bit * p.exponent_bits
                + costs.float_mult_per_significand_bit2 * significand * significand)
    if p.kind == "lns":
        return int_add(costs, p.exponent_bits + p.mantissa_bits)
    raise ValueError(f"no cost rule for precision kind {p.kind!r}")


def add(costs: OperatorCosts, p: Precision) -> float:
    """Cost of one add in format ``p`` at 45 nm."""
    if p.kind in ("int", "binary"):
        return int_add(costs, p.bits)
    if p.kind == "float":
        if p.name in costs.float_add:
            return costs.float_add[p.name]
        return costs.float_add_per_bit * (p.exponent_bits + p.mantissa_bits + 1)
    if p.kind == "lns":
        width = p.exponent_bits + p.mantissa_bits
        return (2 * int_add(costs, width) + int_mult(costs, p.mantissa_bits)
                + costs.table_read_per_bit * width)
    raise ValueError(f"no cost rule for precision kind {p.kind!r}")


def partial_sum_bits(p: Precision, accumulator_bits: int, products_per_sum: int | None = None) -> int:
    """Width of the partial sums a MAC in format ``p`` adds into inside a matrix unit whose
    accumulators are ``accumulator_bits`` wide and whose sums collect ``products_per_sum`` products
    before leaving the array (None: unbounded, the sum stays in the PE).

    Integer and binary products: the exact width of such a sum, product bits (2 x bits; 1 for an
    XNOR) plus ceil(log2(products_per_sum)), capped at the accumulator and never below the operand
    width. This is how systolic arrays are built: Gemmini's default configuration (ucb-bar/gemmini,
    Configs.scala) passes 8-bit x 8-bit products down a 16-row WS mesh as 20-bit sums (16 + log2 16)
    into 32-bit accumulators; TPU v1's 256 rows give 24 bits. Other formats: the accumulator's width.
    """
    if p.kind not in ("int", "binary") or products_per_sum is None:
        return accumulator_bits
    product_bits = 1 if p.kind == "binary" else 2 * p.bits
    exact = product_bits + math.ceil(math.log2(max(1, products_per_sum)))
    return max(p.bits, min(accumulator_bits, exact))


def accumulate_add(costs: OperatorCosts, p: Precision, accumulator_bits: int | None,
                   products_per_sum: int | None = None) -> float:
    """Cost of the add of a MAC whose products are format ``p``, at 45 nm, into partial sums of an
    array with ``accumulator_bits``-wide accumulators whose sums collect ``products_per_sum``
    products in the array (:func:`partial_sum_bits`). Never less than ``p``'s own add.

    - accumulator_bits None: the add of ``p`` itself (a same-format accumulation);
    - integer and binary products: an integer add of the partial-sum width;
    - float products: the fp32 add when accumulator_bits >= 32 (fp32 accumulation of bf16/fp16
      products), else ``p``'s own add (the only narrower float accumulator is the operand format);
    - LNS products: ``p``'s own add (an LNS datapath accumulates in LNS).
    """
    own = add(costs, p)
    if accumulator_bits is None or p.kind == "lns":
        return own
    if p.kind in ("int", "binary"):
        return max(own, int_add(costs, partial_sum_bits(p, accumulator_bits, products_per_sum)))
    if p.kind == "float" and accumulator_bits >= 32:
        return max(own, costs.float_add["fp32"])
    return own


def mac(costs: OperatorCosts, p: Precision, accumulator_bits: int | None = None,
        products_per_sum: int | None = None) -> float:
    """Cost of one multiply of format ``p`` plus one accumulating add (:func:`accumulate_add`);
    ``accumulator_bits`` None: the add is of format ``p`` too."""
    return multiply(costs, p) + accumulate_add(costs, p, accumulator_bits, products_per_sum)
