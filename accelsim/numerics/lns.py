"""LNS arithmetic kernels (pure-numpy twins of the Cython ones in ``cython/numerics.pyx``).

A value is a pair (sign, code): sign in {-1, 0, +1} (0 means the value is zero) and
code = log2|x| * 2**F as a saturating two's-complement integer in [code_min, code_max].
Multiplication adds codes; addition uses the G+/G- tables (see lns_tables.py). Results whose code
falls below code_min flush to zero; above code_max they saturate.
"""
from __future__ import annotations

import numpy as np

from .lns_tables import LnsTables


def lns_round_kernel(scaled_log: np.ndarray, u: np.ndarray, code_min: int, code_max: int):
    """Round log2|x| * 2**F (float64 1-D; -inf for zero) to codes: nearest-even (``u`` empty) or
    stochastic. Returns (underflow int8 1-D: 1 where the value flushes to zero, code int64 1-D)."""
    rounded = np.rint(scaled_log) if u.size == 0 else np.floor(scaled_log + u)
    underflow = (rounded < code_min).astype(np.int8)
    code = np.where(underflow == 1, 0, np.minimum(rounded, code_max))
    return underflow, code.astype(np.int64)


def lns_mul_kernel(sa, ca, sb, cb, code_min: int, code_max: int):
    """Elementwise product: signs multiply, codes add (exact unless it saturates or underflows)."""
    sign = (sa * sb).astype(np.int8)
    code = ca + cb
    sign = np.where(code < code_min, 0, sign).astype(np.int8)
    code = np.where(sign == 0, 0, np.minimum(code, code_max))
    return sign, code.astype(np.int64)


def _g_plus(z: np.ndarray, t: LnsTables) -> np.ndarray:
    pos = (z - t.z_min) * (1.0 / t.plus_step)
    i = np.minimum(np.floor(pos), t.plus.shape[0] - 2)
    frac = pos - i
    i = np.maximum(i, 0).astype(np.int64)
    g = t.plus[i] + frac * (t.plus[i + 1] - t.plus[i])
    return np.where(z < t.z_min, 0.0, g)


def _g_minus(d: np.ndarray, z: np.ndarray, t: LnsTables) -> np.ndarray:
    pos = (z - t.z_min) * (1.0 / t.minus_step)
    i = np.minimum(np.floor(pos), t.minus.shape[0] - 2)
    frac = pos - i
    i = np.maximum(i, 0).astype(np.int64)
    g = t.minus[i] + frac * (t.minus[i + 1] - t.minus[i])
    k = -d
    near = t.near[np.minimum(k, t.near_zero_codes)]
    g = np.where(k <= t.near_zero_codes, near, g)
    return np.where(z < t.z_min, 0.0, g)


def lns_add_kernel(sa, ca, sb, cb, fraction_bits: int, code_min: int, code_max: int, t: LnsTables):
    """Elementwise sum of two LNS arrays (same shape). Returns (sign int8, code int64)."""
    a_big = (sb == 0) | ((sa != 0) & (ca >= cb))
    s_hi = np.where(a_big, sa, sb)
    c_hi = np.where(a_big, ca, cb)
    s_lo = np.where(a_big, sb, sa)
    c_lo = np.where(a_big, cb, ca)
    d = np.where(s_lo == 0, 0, c_lo - c_hi)  # <= 0
    z = np.ldexp(d.astype(np.float64), -fraction_bits)
    same = s_hi == s_lo
    g = np.where(same, _g_plus(z, t), _g_minus(np.where(same, -1, d), z, t))
    step = np.rint(np.ldexp(np.where(np.isfinite(g), g, 0.0), fraction_bits)).astype(np.int64)
    code = c_hi + step
    sign = s_hi.astype(np.int8)
    cancel = (~same) & (d == 0)  # x - x
    sign = np.where(cancel | (code < code_min), 0, sign)
    # one operand zero: the other one unchanged
    sign = np.where(s_lo == 0, s_hi, sign).astype(np.int8)
    code = np.where(s_lo == 0, c_hi, np.minimum(code, code_max))
    code = np.where(sign == 0, 0, code)
    return sign, code.astype(np.int64)


def lns_matmul_kernel(sa, ca, sb, cb, fraction_bits: int, code_min: int, code_max: int, t: LnsTables):
    """LNS ``a @ b`` for (M, K) and (K, N) operands: each product by code addition, each output
    accumulated in LNS in order k = 0..K-1 starting from zero. Returns (sign, code) of (M, N)."""
    m, n = sa.shape[0], sb.shape[1]
    acc_s = np.zeros((m, n), dtype=np.int8)
    acc_c = np.zeros((m, n), dtype=np.int64)
    for k in range(sa.shape[1]):
        ps, pc = lns_mul_kernel(sa[:, k, None], ca[:, k, None], sb[None, k, :], cb[None, k, :],
                                code_min, code_max)
        acc_s, acc_c = lns_add_kernel(acc_s, acc_c, ps, pc, fraction_bits, code_min, code_max, t)
    return acc_s, acc_c
