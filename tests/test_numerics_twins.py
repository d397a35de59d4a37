"""The compiled numerics kernels and their numpy twins agree bit for bit."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from accelsim import numerics as nm
from accelsim.numerics.backend import native_kernels


def test_the_compiled_kernels_are_built():
    """setup.py always builds them; without them every comparison below would be twin against twin."""
    assert native_kernels() is not None

FLOATS = ["fp32", "tf32", "bf16", "fp16", "fp8_e4m3", "fp8_e5m2"]


def _wide_random(n, seed):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(n) * np.exp2(rng.uniform(-30, 30, n))
    x[:8] = [0.0, -0.0, np.inf, -np.inf, np.nan, 5e-324, 65504.0, 448.0]
    return x


@pytest.mark.parametrize("precision", FLOATS)
@pytest.mark.parametrize("rounding", ["nearest", "stochastic"])
@pytest.mark.parametrize("overflow", [None, "saturate", "inf"])
def test_float_quantize_bit_identical(precision, rounding, overflow):
    x = _wide_random(20_000, 7)
    a = nm.quantize_float(x, precision, rounding, seed=11, overflow=overflow, backend="native")
    b = nm.quantize_float(x, precision, rounding, seed=11, overflow=overflow, backend="python")
    assert np.array_equal(a, b, equal_nan=True)
    assert np.array_equal(np.signbit(a), np.signbit(b))


@settings(max_examples=200, deadline=None)
@given(st.lists(st.floats(allow_nan=True, allow_infinity=True, width=64), min_size=1, max_size=40),
       st.sampled_from(FLOATS))
def test_float_quantize_bit_identical_any_input(values, precision):
    x = np.array(values)
    a = nm.quantize_float(x, precision, backend="native")
    b = nm.quantize_float(x, precision, backend="python")
    assert np.array_equal(a, b, equal_nan=True)
    assert np.array_equal(np.signbit(a), np.signbit(b))


@pytest.mark.parametrize("bits", [2, 4, 8, 16])
@pytest.mark.parametrize("rounding", ["nearest", "stochastic"])
def test_int_quantize_bit_identical(bits, rounding):
    x = np.random.default_rng(bits).standard_normal(5000) * 3
    scale = nm.int_scale(x, bits) * 0.7  # some values saturate
    a = nm.quantize_int(x, bits, scale, rounding, seed=2, backend="native")
    b = nm.quantize_int(x, bits, scale, rounding, seed=2, backend="python")
    assert np.array_equal(a, b)


@pytest.mark.parametrize("overflow", ["saturate", "wrap"])
@pytest.mark.parametrize("acc_bits", [12, 16, 32])
def test_int_accumulators_bit_identical(overflow, acc_bits):
    rng = np.random.default_rng(acc_bits)
    a = rng.integers(-128, 128, (9, 40))
    b = rng.integers(-128, 128, (40, 13))
    assert np.array_equal(nm.int_matmul(a, b, acc_bits, overflow, backend="native"),
                          nm.int_matmul(a, b, acc_bits, overflow, backend="python"))
    v = rng.integers(-30000, 30000, 500)
    assert np.array_equal(nm.int_accumulate(v, acc_bits, overflow, backend="native"),
                          nm.int_accumulate(v, acc_bits, overflow, backend="python"))


LNS_FORMATS = [nm.LnsFormat(7, 8, 1024), nm.LnsFormat(4, 3, 16), nm.LnsFormat(8, 20, 64),
               nm.LnsFormat(5, 10, 2)]


def _lns_pair(fmt, shape_a, shape_b, seed):
    rng = np.random.default_rng(seed)
    xa = rng.standard_normal(shape_a) * np.exp2(rng.uniform(-6, 6, shape_a))
    xb = rng.standard_normal(shape_b) * np.exp2(rng.uniform(-6, 6, shape_b))
    xa.flat[:3] = [0.0, 1.0, -1.0]
    xb.flat[:3] = [-1.0, 0.0, 1.0]
    return xa, xb


@pytest.mark.parametrize("fmt", LNS_FORMATS)
@pytest.mark.parametrize("rounding", ["nearest", "stochastic"])
def test_lns_encode_bit_identical(fmt, rounding):
    x = _wide_random(5000, 3)
    x = x[~np.isnan(x)]
    a = nm.lns_encode(x, fmt, rounding, seed=5, backend="native")
    b = nm.lns_encode(x, fmt, rounding, seed=5, backend="python")
    assert np.array_equal(a.sign, b.sign) and np.array_equal(a.code, b.code)


@pytest.mark.parametrize("fmt", LNS_FORMATS)
def test_lns_elementwise_bit_identical(fmt):
    xa, xb = _lns_pair(fmt, 4000, 4000, 1)
    xb[10:20] = -xa[10:20]  # exact cancellation
    xb[20:30] = xa[20:30] * 1.0001  # near-cancellation in subtraction
    a, b = nm.lns_encode(xa, fmt), nm.lns_encode(xb, fmt)
    for op in (nm.lns_mul, nm.lns_add):
        r1, r2 = op(a, b, backend="native"), op(a, b, backend="python")
        assert np.array_equal(r1.sign, r2.sign), op.__name__
        assert np.array_equal(r1.code, r2.code), op.__name__


@pytest.mark.parametrize("fmt", LNS_FORMATS)
def test_lns_matmul_bit_identical(fmt):
    xa, xb = _lns_pair(fmt, (6, 50), (50, 5), 4)
    a, b = nm.lns_encode(xa, fmt), nm.lns_encode(xb, fmt)
    r1, r2 = nm.lns_matmul(a, b, backend="native"), nm.lns_matmul(a, b, backend="python")
    assert np.array_equal(r1.sign, r2.sign) and np.array_equal(r1.code, r2.code)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_kahan_kernels_bit_identical(dtype):
    rng = np.random.default_rng(9)
    x = (rng.standard_normal(3000) * np.exp2(rng.uniform(-20, 20, 3000))).astype(dtype)
    for fn in (nm.naive_sum, nm.kahan_sum):
        a, b = fn(x, backend="native"), fn(x, backend="python")
        assert a.dtype == b.dtype == dtype and a == b, fn.__name__
    w = rng.standard_normal(1000).astype(dtype)
    c = np.zeros_like(w)
    d = (rng.standard_normal(1000) * 1e-6).astype(dtype)
    (w1, c1), (w2, c2) = nm.kahan_update(w, c, d, backend="native"), nm.kahan_update(w, c, d, backend="python")
    assert np.array_equal(w1, w2) and np.array_equal(c1, c2)
