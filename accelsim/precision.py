"""Numeric formats: bit widths and kinds. Shared by the spec (what a unit supports), the lowering
(bytes moved, buffer capacity in elements) and the cost model (energy, area)."""
from __future__ import annotations

import re
from dataclasses import dataclass

from .errors import AccelsimError, did_you_mean


@dataclass(frozen=True)
class Precision:
    """One numeric format. ``bits`` is the storage width of one element."""

    name: str
    bits: int
    kind: str  # "int", "float", "lns", "binary"
    exponent_bits: int = 0
    mantissa_bits: int = 0  # stored fraction bits (floats), fraction bits (lns)

    @property
    def bytes(self) -> float:
        """Storage bytes per element (fractional below 8 bits: int4 is 0.5)."""
        return self.bits / 8


PRECISIONS: dict[str, Precision] = {
    p.name: p
    for p in (
        Precision("fp32", 32, "float", 8, 23),
        Precision("tf32", 32, "float", 8, 10),  # stored as 32 bits, computed with a 10-bit mantissa
        Precision("bf16", 16, "float", 8, 7),
        Precision("fp16", 16, "float", 5, 10),
        Precision("fp8_e4m3", 8, "float", 4, 3),
        Precision("fp8_e5m2", 8, "float", 5, 2),
        Precision("int32", 32, "int"),
        Precision("int16", 16, "int"),
        Precision("int8", 8, "int"),
        Precision("int4", 4, "int"),
        Precision("int2", 2, "int"),
        Precision("binary", 1, "binary"),
        Precision("lns16", 16, "lns", 7, 8),  # sign + 7 integer + 8 fraction bits of log2|x|
        Precision("lns8", 8, "lns", 4, 3),
    )
}
ALIASES = {"fp8": "fp8_e4m3", "float32": "fp32", "float16": "fp16", "half": "fp16", "lns": "lns16"}

# A parametrised log-number-system format: "lns_i<integer bits>f<fraction bits>", e.g. lns_i5f10.
_LNS_PATTERN = re.compile(r"^lns_i(\d{1,2})f(\d{1,2})$")
MAX_LNS_LOG_BITS = 40  # integer + fraction bits; wider codes would not fit the int64 kernels


def lns_precision(integer_bits: int, fraction_bits: int) -> Precision:
    """A sign bit plus a two's-complement fixed-point log2|x| of ``integer_bits`` + ``fraction_bits``.

    The integer bits include the sign of the logarithm, so the log code covers
    [-2**(integer_bits - 1), 2**(integer_bits - 1)) in steps of 2**-fraction_bits.
    """
    if integer_bits < 1 or fraction_bits < 0 or integer_bits + fraction_bits > MAX_LNS_LOG_BITS:
        raise AccelsimError(
            f"LNS format needs 1 <= integer bits and 0 <= fraction bits with integer + fraction <= "
            f"{MAX_LNS_LOG_BITS}; got {integer_bits} integer and {fraction_bits} fraction bits"
        )
    for known in PRECISIONS.values():
        if known.kind == "lns" and (known.exponent_bits, known.mantissa_bits) == (integer_bits, fraction_bits):
            return known
    return Precision(
        f"lns_i{integer_bits}f{fraction_bits}", 1 + integer_bits + fraction_bits, "lns",
        integer_bits, fraction_bits,
    )


def get_precision(name: str) -> Precision:
    """Look a precision up by name or alias; unknown names give a clear error."""
    key = ALIASES.get(str(name).lower(), str(name).lower())
    if key in PRECISIONS:
        return PRECISIONS[key]
    match = _LNS_PATTERN.match(key)
    if match:
        return lns_precision(int(match.group(1)), int(match.group(2)))
    raise AccelsimError(
        f"unknown precision '{name}'{did_you_mean(str(name), PRECISIONS)}; "
        f"known: {', '.join(sorted(PRECISIONS))}, or lns_i<I>f<F> for a log format with I integer "
        "and F fraction bits"
    )
