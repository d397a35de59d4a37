"""Compensated (Kahan) summation and weight updates: pure-numpy twins of the Cython kernels.

Arithmetic happens in the dtype of the input (float32 or float64), one rounding per operation,
exactly as a hardware adder of that width would do it.
"""
from __future__ import annotations

import numpy as np


def naive_sum_kernel(x: np.ndarray):
    """Left-to-right sum in x's dtype (numpy's own ``sum`` is pairwise, hence not naive)."""
    if x.size == 0:
        return x.dtype.type(0)
    return np.cumsum(x, dtype=x.dtype)[-1]


def kahan_sum_kernel(x: np.ndarray):
    """Kahan-compensated left-to-right sum in x's dtype."""
    kind = x.dtype.type
    total = kind(0)
    carry = kind(0)
    for value in x:
        y = value - carry
        t = total + y
        carry = (t - total) - y
        total = t
    return total


def kahan_update_kernel(w: np.ndarray, carry: np.ndarray, delta: np.ndarray):
    """One compensated update w += delta per element; returns the new (w, carry).

    The carry holds the low-order part that the rounding of ``w + delta`` lost, so updates much
    smaller than w's ulp still accumulate over many steps."""
    y = delta - carry
    t = w + y
    new_carry = (t - w) - y
    return t, new_carry
