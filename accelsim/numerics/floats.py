"""Float quantisation kernel (pure-numpy twin of ``accelsim._native.numerics.quantize_float_kernel``).

Method: write x = m * 2**E with E = max(floor(log2|x|), min_exponent) (the clamp gives subnormals),
scale by 2**(mantissa_bits - E) so the representable values become integers, round, scale back.
Every step except the rounding is exact in float64, so both implementations agree bit for bit.
"""
from __future__ import annotations

import numpy as np

from .formats import OVERFLOW_INF, OVERFLOW_SATURATE


def quantize_float_kernel(
    x: np.ndarray, u: np.ndarray, mantissa_bits: int, min_exponent: int, max_value: float,
    overflow: int,
) -> np.ndarray:
    """Round float64 ``x`` (1-D) to the format; ``u`` empty: round-to-nearest-even, else one
    uniform [0, 1) draw per element for stochastic rounding. Returns float64 values."""
    _, exponent = np.frexp(x)
    shift = np.maximum(exponent.astype(np.int64) - 1, min_exponent) - mantissa_bits
    with np.errstate(over="ignore", invalid="ignore"):
        scaled = np.ldexp(x, -shift)
        rounded = np.rint(scaled) if u.size == 0 else np.floor(scaled + u)
        q = np.ldexp(rounded, shift)
    over = np.abs(q) > max_value
    if over.any():
        if overflow == OVERFLOW_SATURATE:
            q[over] = np.copysign(max_value, q[over])
        elif overflow == OVERFLOW_INF:
            q[over] = np.copysign(np.inf, q[over])
        else:
            q[over] = np.nan
    return q
