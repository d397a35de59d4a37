"""Numeric format descriptions used by the emulation kernels (derived from accelsim.precision).

Float formats follow IEEE 754 binary interchange rules (bias 2**(e-1) - 1, subnormals, the all-ones
exponent reserved for inf/NaN), except fp8_e4m3, which follows the OCP 8-bit "E4M3FN" encoding: no
infinities, only S.1111.111 is NaN, so the largest finite value is 448.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

from ..errors import AccelsimError
from ..precision import Precision, get_precision

# Overflow modes of float quantisation (kernel codes).
OVERFLOW_SATURATE = 0  # clamp to +-max finite value
OVERFLOW_INF = 1  # IEEE behaviour: round to +-inf
OVERFLOW_NAN = 2  # formats without inf (E4M3FN) produce NaN on overflow when not saturating
OVERFLOW_MODES = {"saturate": OVERFLOW_SATURATE, "inf": OVERFLOW_INF, "nan": OVERFLOW_NAN}


@dataclass(frozen=True)
class FloatFormat:
    """A binary floating-point format: ``mantissa_bits`` stored fraction bits, exponent range."""

    name: str
    exponent_bits: int
    mantissa_bits: int
    min_exponent: int  # exponent of the smallest normal number (1 - bias)
    max_value: float  # largest finite value
    has_inf: bool

    @property
    def default_overflow(self) -> str:
        """IEEE-like formats overflow to inf; E4M3FN has no inf and saturates by default."""
        return "inf" if self.has_inf else "saturate"


def float_format(precision: str | Precision) -> FloatFormat:
    """The FloatFormat of a float precision name (fp32, tf32, bf16, fp16, fp8_e4m3, fp8_e5m2)."""
    p = precision if isinstance(precision, Precision) else get_precision(precision)
    if p.kind != "float":
        raise AccelsimError(f"precision '{p.name}' is not a floating-point format")
    return make_float_format(p.name, p.exponent_bits, p.mantissa_bits, ieee=p.name != "fp8_e4m3")


def make_float_format(name: str, exponent_bits: int, mantissa_bits: int, ieee: bool = True) -> FloatFormat:
    """Build a float format. ``ieee=False`` gives the E4M3FN-style encoding (no inf, one NaN)."""
    if not (2 <= exponent_bits <= 11 and 0 <= mantissa_bits <= 52):
        raise AccelsimError(
            f"float format needs 2..11 exponent bits and 0..52 mantissa bits; "
            f"got e{exponent_bits}m{mantissa_bits}"
        )
    bias = 2 ** (exponent_bits - 1) - 1
    if ieee:
        max_exponent = bias  # all-ones exponent reserved for inf/NaN
        max_value = math.ldexp(2.0 - 2.0**-mantissa_bits, max_exponent)
    else:
        max_exponent = bias + 1  # all-ones exponent holds normals, except the NaN mantissa
        max_value = math.ldexp(2.0 - 2.0 ** (1 - mantissa_bits), max_exponent)
    return FloatFormat(name, exponent_bits, mantissa_bits, 1 - bias, max_value, ieee)


def overflow_code(fmt: FloatFormat, overflow: str | None) -> int:
    """The kernel code for an overflow mode name (None: the format's default)."""
    mode = overflow or fmt.default_overflow
    if mode not in OVERFLOW_MODES:
        raise AccelsimError(f"unknown overflow mode '{mode}'; known: {', '.join(OVERFLOW_MODES)}")
    if mode == "inf" and not fmt.has_inf:
        mode = "nan"  # E4M3FN has no infinity: a non-saturating overflow is NaN (OCP spec)
    return OVERFLOW_MODES[mode]


@dataclass(frozen=True)
class LnsFormat:
    """Sign + fixed-point log2|x| with ``integer_bits`` (including the log's sign) and
    ``fraction_bits``; zero is a separate flag (sign 0). ``table_size`` is the number of points of
    the G(z) = log2(1 + 2**z) and log2|1 - 2**z| tables used by addition."""

    integer_bits: int
    fraction_bits: int
    table_size: int = 1024

    def __post_init__(self) -> None:
        if self.integer_bits < 1 or self.fraction_bits < 0 or self.integer_bits + self.fraction_bits > 40:
            raise AccelsimError(
                f"LNS format needs integer bits >= 1, fraction bits >= 0, sum <= 40; got "
                f"{self.integer_bits} and {self.fraction_bits}"
            )
        if self.table_size < 2:
            raise AccelsimError(f"LNS table needs at least 2 points, got {self.table_size}")

    @property
    def code_min(self) -> int:
        """Smallest log code (log2|x| = code_min * 2**-fraction_bits)."""
        return -(2 ** (self.integer_bits + self.fraction_bits - 1))

    @property
    def code_max(self) -> int:
        """Largest log code."""
        return 2 ** (self.integer_bits + self.fraction_bits - 1) - 1


def lns_format(precision: str | Precision, table_size: int = 1024) -> LnsFormat:
    """The LnsFormat of an LNS precision name (lns16, lns8, lns_i<I>f<F>)."""
    p = precision if isinstance(precision, Precision) else get_precision(precision)
    if p.kind != "lns":
        raise AccelsimError(f"precision '{p.name}' is not a logarithmic format")
    return LnsFormat(p.exponent_bits, p.mantissa_bits, table_size)
