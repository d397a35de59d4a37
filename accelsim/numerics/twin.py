"""The pure-numpy kernel set, with the same function names as ``accelsim._native.numerics``."""
from .floats import quantize_float_kernel
from .integers import int_accumulate_kernel, int_matmul_kernel, quantize_int_kernel
from .kahan import kahan_sum_kernel, kahan_update_kernel, naive_sum_kernel
from .lns import (
    lns_add_kernel,
    lns_matmul_kernel,
    lns_mul_kernel,
    lns_round_kernel,
)

__all__ = [
    "int_accumulate_kernel",
    "int_matmul_kernel",
    "kahan_sum_kernel",
    "kahan_update_kernel",
    "lns_add_kernel",
    "lns_matmul_kernel",
    "lns_mul_kernel",
    "lns_round_kernel",
    "naive_sum_kernel",
    "quantize_float_kernel",
    "quantize_int_kernel",
]
