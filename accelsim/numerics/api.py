"""Public numerics-emulation functions: quantise to a format, integer and LNS arithmetic, Kahan sums.

Every function takes ``backend`` ("auto", "native", "python"); both backends give identical bits.
Stochastic rounding draws its uniforms from ``numpy.random.default_rng(seed)`` (or a Generator you
pass), so a fixed seed gives a fixed result on either backend.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import AccelsimError
from ..precision import Precision, get_precision
from .backend import kernels
from .formats import LnsFormat, float_format, lns_format, overflow_code
from .lns_tables import lns_tables

ROUNDING_MODES = ("nearest", "stochastic")
ACCUMULATOR_OVERFLOW = {"saturate": 0, "wrap": 1}


def _uniforms(size: int, rounding: str, seed) -> np.ndarray:
    if rounding == "nearest":
        return np.empty(0)
    if rounding == "stochastic":
        rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
        return rng.random(size)
    raise AccelsimError(f"unknown rounding mode '{rounding}'; known: {', '.join(ROUNDING_MODES)}")


def _flat64(x) -> np.ndarray:
    return np.ascontiguousarray(np.asarray(x, dtype=np.float64).ravel())


def quantize_float(x, precision: str | Precision, rounding: str = "nearest", seed=0,
                   overflow: str | None = None, backend: str = "auto") -> np.ndarray:
    """Round ``x`` to a float format and return the represented values as float64.

    Round-to-nearest-even or stochastic rounding; subnormals kept; NaN propagates. Overflow
    (``overflow``): "saturate" (clamp to the largest finite value), "inf" (IEEE; for fp8_e4m3,
    which has no inf, this gives NaN as the OCP spec does). Default: "inf" for IEEE formats,
    "saturate" for fp8_e4m3.
    """
    fmt = float_format(precision)
    arr = np.asarray(x, dtype=np.float64)
    flat = _flat64(arr)
    u = _uniforms(flat.size, rounding, seed)
    out = kernels(backend).quantize_float_kernel(
        flat, u, fmt.mantissa_bits, fmt.min_exponent, fmt.max_value, overflow_code(fmt, overflow)
    )
    return np.asarray(out).reshape(arr.shape)


def int_scale(x, bits: int) -> float:
    """Symmetric per-tensor scale so that max|x| maps to the largest code 2**(bits-1) - 1."""
    peak = float(np.max(np.abs(x))) if np.size(x) else 0.0
    return peak / (2 ** (bits - 1) - 1) if peak > 0 and np.isfinite(peak) else 1.0


def quantize_int(x, bits: int, scale: float, rounding: str = "nearest", seed=0,
                 backend: str = "auto") -> np.ndarray:
    """Signed ``bits``-bit integer codes (int64) of x / scale, saturating at
    [-2**(bits-1), 2**(bits-1) - 1]; NaN is rejected."""
    if not 2 <= bits <= 32:
        raise AccelsimError(f"integer quantisation needs 2..32 bits, got {bits}")
    if not (scale > 0 and np.isfinite(scale)):
        raise AccelsimError(f"integer scale must be a positive finite number, got {scale}")
    arr = np.asarray(x, dtype=np.float64)
    flat = _flat64(arr)
    if np.isnan(flat).any():
        raise AccelsimError("cannot quantise NaN to an integer format")
    u = _uniforms(flat.size, rounding, seed)
    half = 2 ** (bits - 1)
    out = kernels(backend).quantize_int_kernel(flat, u, float(scale), -half, half - 1)
    return np.asarray(out).reshape(arr.shape)


def dequantize_int(codes, scale: float) -> np.ndarray:
    """Real values (float64) of integer codes."""
    return np.asarray(codes, dtype=np.float64) * scale


def _acc_mode(acc_bits: int, overflow: str) -> int:
    if not 2 <= acc_bits <= 48:
        raise AccelsimError(f"accumulator width must be 2..48 bits, got {acc_bits}")
    if overflow not in ACCUMULATOR_OVERFLOW:
        raise AccelsimError(
            f"unknown accumulator overflow mode '{overflow}'; known: {', '.join(ACCUMULATOR_OVERFLOW)}"
        )
    return ACCUMULATOR_OVERFLOW[overflow]


def int_accumulate(values, acc_bits: int = 32, overflow: str = "saturate",
                   backend: str = "auto") -> np.ndarray:
    """Running sums of integer ``values`` in an ``acc_bits`` register that saturates or wraps
    after every addition (int64 1-D; the last element is the final sum)."""
    wrap = _acc_mode(acc_bits, overflow)
    vals = np.ascontiguousarray(np.asarray(values, dtype=np.int64).ravel())
    if vals.size and np.abs(vals).max() >= 2**48:
        raise AccelsimError("int_accumulate inputs must be below 2**48 in magnitude")
    return np.asarray(kernels(backend).int_accumulate_kernel(vals, acc_bits, wrap))


def int_matmul(a, b, acc_bits: int = 32, overflow: str = "saturate", backend: str = "auto") -> np.ndarray:
    """Integer matrix product of int codes (operands of at most 16 bits), each output summed in
    order k in an ``acc_bits`` accumulator that saturates or wraps."""
    wrap = _acc_mode(acc_bits, overflow)
    a64 = np.ascontiguousarray(np.asarray(a, dtype=np.int64))
    b64 = np.ascontiguousarray(np.asarray(b, dtype=np.int64))
    if a64.ndim != 2 or b64.ndim != 2 or a64.shape[1] != b64.shape[0]:
        raise AccelsimError(f"int_matmul needs (M, K) and (K, N) operands, got {a64.shape} and {b64.shape}")
    for operand in (a64, b64):
        if operand.size and np.abs(operand).max() > 2**15:
            raise AccelsimError("int_matmul operands must be codes of at most 16 bits")
    return np.asarray(kernels(backend).int_matmul_kernel(a64, b64, acc_bits, wrap))


@dataclass(frozen=True)
class LnsArray:
    """LNS values: sign (int8: -1, 0 for zero, +1) and code = log2|x| * 2**F (int64)."""

    sign: np.ndarray
    code: np.ndarray
    fmt: LnsFormat

    @property
    def shape(self) -> tuple[int, ...]:
        return self.sign.shape


def _as_lns_format(fmt) -> LnsFormat:
    return fmt if isinstance(fmt, LnsFormat) else lns_format(fmt)


def lns_encode(x, fmt: LnsFormat | str = "lns16", rounding: str = "nearest", seed=0,
               backend: str = "auto") -> LnsArray:
    """Encode real values; magnitudes below the smallest code flush to zero, above the largest
    saturate (inf included). NaN is rejected. log2 is evaluated with numpy for both backends."""
    lfmt = _as_lns_format(fmt)
    arr = np.asarray(x, dtype=np.float64)
    flat = _flat64(arr)
    if np.isnan(flat).any():
        raise AccelsimError("cannot encode NaN in a logarithmic format")
    mant, exponent = np.frexp(np.abs(flat))
    with np.errstate(divide="ignore", invalid="ignore"):
        # log2|x| = (e - 1) + log2(2m) with 2m in [1, 2): exact for powers of two; frexp gives
        # m = 0 for zero (log -inf, flushes to zero) and m = inf for inf (saturates).
        scaled = ((exponent - 1) + np.log2(2.0 * mant)) * float(2**lfmt.fraction_bits)
    u = _uniforms(flat.size, rounding, seed)
    under, code = kernels(backend).lns_round_kernel(scaled, u, lfmt.code_min, lfmt.code_max)
    sign = np.sign(flat).astype(np.int8)
    sign[np.asarray(under).view(bool)] = 0
    code = np.asarray(code)
    return LnsArray(sign.reshape(arr.shape), code.reshape(arr.shape), lfmt)


def lns_decode(a: LnsArray) -> np.ndarray:
    """Real values (float64) of LNS values; exact for integer logs (powers of two)."""
    f = a.fmt.fraction_bits
    whole = a.code >> f
    frac = a.code - (whole << f)
    return a.sign * np.ldexp(np.exp2(np.ldexp(frac.astype(np.float64), -f)), whole)


def _pair(a: LnsArray, b: LnsArray):
    if a.fmt != b.fmt:
        raise AccelsimError(f"LNS operands have different formats: {a.fmt} and {b.fmt}")
    if a.sign.shape == b.sign.shape:
        sa, sb, ca, cb = a.sign, b.sign, a.code, b.code
    else:
        sa, sb = np.broadcast_arrays(a.sign, b.sign)
        ca, cb = np.broadcast_arrays(a.code, b.code)
    shape = sa.shape
    flat = [np.ascontiguousarray(v.ravel()) for v in (sa, ca, sb, cb)]
    return shape, flat


def lns_mul(a: LnsArray, b: LnsArray, backend: str = "auto") -> LnsArray:
    """Elementwise product (broadcasting): add the log codes."""
    shape, (sa, ca, sb, cb) = _pair(a, b)
    s, c = kernels(backend).lns_mul_kernel(sa, ca, sb, cb, a.fmt.code_min, a.fmt.code_max)
    return LnsArray(np.asarray(s).reshape(shape), np.asarray(c).reshape(shape), a.fmt)


def lns_add(a: LnsArray, b: LnsArray, backend: str = "auto") -> LnsArray:
    """Elementwise sum (broadcasting) through the G+/G- interpolation tables."""
    shape, (sa, ca, sb, cb) = _pair(a, b)
    fmt = a.fmt
    s, c = kernels(backend).lns_add_kernel(
        sa, ca, sb, cb, fmt.fraction_bits, fmt.code_min, fmt.code_max, lns_tables(fmt)
    )
    return LnsArray(np.asarray(s).reshape(shape), np.asarray(c).reshape(shape), fmt)


def lns_neg(a: LnsArray) -> LnsArray:
    """Negation: flip the sign bit."""
    return LnsArray((-a.sign).astype(np.int8), a.code, a.fmt)


def lns_matmul(a: LnsArray, b: LnsArray, backend: str = "auto") -> LnsArray:
    """LNS matrix product of (M, K) and (K, N): products by log addition, sums in LNS in order k."""
    if a.fmt != b.fmt:
        raise AccelsimError(f"LNS operands have different formats: {a.fmt} and {b.fmt}")
    if len(a.shape) != 2 or len(b.shape) != 2 or a.shape[1] != b.shape[0]:
        raise AccelsimError(f"lns_matmul needs (M, K) and (K, N) operands, got {a.shape} and {b.shape}")
    fmt = a.fmt
    s, c = kernels(backend).lns_matmul_kernel(
        np.ascontiguousarray(a.sign), np.ascontiguousarray(a.code),
        np.ascontiguousarray(b.sign), np.ascontiguousarray(b.code),
        fmt.fraction_bits, fmt.code_min, fmt.code_max, lns_tables(fmt),
    )
    return LnsArray(np.asarray(s), np.asarray(c), fmt)


def _real_vector(x) -> np.ndarray:
    arr = np.asarray(x)
    if arr.dtype not in (np.float32, np.float64):
        arr = arr.astype(np.float64)
    return np.ascontiguousarray(arr.ravel())


def naive_sum(x, backend: str = "auto"):
    """Left-to-right sum in x's precision (float32 or float64)."""
    v = _real_vector(x)
    return v.dtype.type(kernels(backend).naive_sum_kernel(v))


def kahan_sum(x, backend: str = "auto"):
    """Kahan-compensated left-to-right sum in x's precision (float32 or float64)."""
    v = _real_vector(x)
    return v.dtype.type(kernels(backend).kahan_sum_kernel(v))


def kahan_update(w, carry, delta, backend: str = "auto"):
    """Compensated ``w += delta`` (arrays of one float dtype); returns new (w, carry)."""
    wv = np.asarray(w)
    dtype = wv.dtype if wv.dtype in (np.float32, np.float64) else np.dtype(np.float64)
    arrays = [np.ascontiguousarray(np.asarray(v, dtype=dtype).ravel()) for v in (w, carry, delta)]
    new_w, new_c = kernels(backend).kahan_update_kernel(*arrays)
    return np.asarray(new_w).reshape(wv.shape), np.asarray(new_c).reshape(wv.shape)


def fake_quantize(x, precision: str | Precision, rounding: str = "nearest", seed=0,
                  backend: str = "auto") -> np.ndarray:
    """Round-trip ``x`` through a format (float, int with a symmetric per-tensor scale, or LNS)
    and return float64 values."""
    p = precision if isinstance(precision, Precision) else get_precision(precision)
    if p.kind == "float":
        return quantize_float(x, p, rounding, seed, backend=backend)
    if p.kind == "int":
        scale = int_scale(x, p.bits)
        return dequantize_int(quantize_int(x, p.bits, scale, rounding, seed, backend), scale)
    if p.kind == "lns":
        return lns_decode(lns_encode(x, lns_format(p), rounding, seed, backend))
    raise AccelsimError(f"fake quantisation of '{p.name}' ({p.kind}) is not supported")
