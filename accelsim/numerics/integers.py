"""Integer quantisation and integer accumulation kernels (pure-numpy twins of the Cython ones).

Accumulators have ``acc_bits`` bits (two's complement). After every addition the running sum either
saturates at the accumulator limits or wraps modulo 2**acc_bits, as the hardware register would.
"""
from __future__ import annotations

import numpy as np


def quantize_int_kernel(x: np.ndarray, u: np.ndarray, scale: float, qmin: int, qmax: int) -> np.ndarray:
    """Integer codes of ``x / scale`` (float64 1-D) rounded to nearest-even (``u`` empty) or
    stochastically (``u`` uniform [0, 1)), saturated to [qmin, qmax]. Returns int64."""
    scaled = x / scale
    rounded = np.rint(scaled) if u.size == 0 else np.floor(scaled + u)
    return np.clip(rounded, qmin, qmax).astype(np.int64)


def _limit(acc: np.ndarray, acc_bits: int, wrap: int) -> np.ndarray:
    low = -(1 << (acc_bits - 1))
    if wrap:
        return ((acc - low) & ((1 << acc_bits) - 1)) + low
    return np.clip(acc, low, -low - 1)


def int_accumulate_kernel(values: np.ndarray, acc_bits: int, wrap: int) -> np.ndarray:
    """Running sums of int64 ``values`` (1-D) in an ``acc_bits`` accumulator; the last element is
    the final sum."""
    out = np.empty_like(values)
    acc = np.zeros(1, dtype=np.int64)
    for i in range(values.shape[0]):
        acc = _limit(acc + values[i], acc_bits, wrap)
        out[i] = acc[0]
    return out


def int_matmul_kernel(a: np.ndarray, b: np.ndarray, acc_bits: int, wrap: int) -> np.ndarray:
    """``a @ b`` for int64 codes, each output accumulated in order k = 0..K-1 in an
    ``acc_bits`` accumulator (saturating or wrapping after every addition)."""
    acc = np.zeros((a.shape[0], b.shape[1]), dtype=np.int64)
    for k in range(a.shape[1]):
        acc = _limit(acc + a[:, k, None] * b[None, k, :], acc_bits, wrap)
    return acc
