"""Bit-accurate emulation of reduced-precision arithmetic: float formats (bf16, fp16, fp8), integers
with saturating/wrapping accumulators, a logarithmic number system (LNS) and Kahan summation.

Compiled kernels live in ``cython/numerics.pyx``; their numpy twins in this package give identical
bits (see tests/test_numerics_*.py). Importing this package needs numpy only.
"""
from .api import (
    LnsArray,
    dequantize_int,
    fake_quantize,
    int_accumulate,
    int_matmul,
    int_scale,
    kahan_sum,
    kahan_update,
    lns_add,
    lns_decode,
    lns_encode,
    lns_matmul,
    lns_mul,
    lns_neg,
    naive_sum,
    quantize_float,
    quantize_int,
)
from .formats import FloatFormat, LnsFormat, float_format, lns_format, make_float_format

__all__ = [
    "FloatFormat", "LnsArray", "LnsFormat", "dequantize_int", "fake_quantize", "float_format",
    "int_accumulate", "int_matmul", "int_scale", "kahan_sum", "kahan_update", "lns_add",
    "lns_decode", "lns_encode", "lns_format", "lns_matmul", "lns_mul", "lns_neg",
    "make_float_format", "naive_sum", "quantize_float", "quantize_int",
]
