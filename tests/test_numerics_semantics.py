"""Rounding, overflow, accumulator, LNS and Kahan semantics of the numerics emulation."""
import itertools

import numpy as np
import pytest

from accelsim import numerics as nm
from accelsim.errors import AccelsimError
from accelsim.precision import get_precision

BACKENDS = ["python"] + (["native"] if nm.backend.native_kernels() is not None else [])


@pytest.fixture(params=BACKENDS)
def backend(request):
    return request.param


@pytest.mark.parametrize("precision,mantissa_bits", [("fp16", 10), ("bf16", 7), ("fp8_e4m3", 3),
                                                     ("fp8_e5m2", 2), ("tf32", 10), ("fp32", 23)])
def test_round_to_nearest_ties_to_even(precision, mantissa_bits, backend):
    ulp = 2.0**-mantissa_bits
    # 1 + ulp/2 lies halfway between 1 (even) and 1 + ulp (odd): goes down.
    # 1 + 3 ulp/2 lies halfway between 1 + ulp (odd) and 1 + 2 ulp (even): goes up.
    x = np.array([1 + ulp / 2, 1 + 3 * ulp / 2, -(1 + ulp / 2), -(1 + 3 * ulp / 2)])
    got = nm.quantize_float(x, precision, backend=backend)
    assert got.tolist() == [1.0, 1 + 2 * ulp, -1.0, -(1 + 2 * ulp)]


def test_fp16_matches_numpy_cast_including_subnormals(backend):
    rng = np.random.default_rng(0)
    x = rng.standard_normal(50_000) * np.exp2(rng.uniform(-28, 17, 50_000))
    x = np.concatenate([x, [2.0**-25, 3 * 2.0**-25, 65520.0, 65519.99, -70000.0]])
    with np.errstate(over="ignore"):
        expected = x.astype(np.float16).astype(np.float64)
    assert np.array_equal(nm.quantize_float(x, "fp16", backend=backend), expected)


def test_subnormal_ties_and_underflow(backend):
    tiny = 2.0**-24  # smallest fp16 subnormal
    got = nm.quantize_float([tiny / 2, 3 * tiny / 2, tiny / 4], "fp16", backend=backend)
    assert got.tolist() == [0.0, 2 * tiny, 0.0]


def test_fp8_overflow_behaviour(backend):
    # E4M3FN: max 448, no inf: saturates by default, NaN when asked for IEEE overflow.
    assert nm.quantize_float([464.0, 1e6, -np.inf], "fp8_e4m3", backend=backend).tolist() == [448.0, 448.0, -448.0]
    assert np.isnan(nm.quantize_float([1e6], "fp8_e4m3", overflow="inf", backend=backend)).all()
    # E5M2 is IEEE-like: max 57344, overflows to inf by default; half an ulp above max ties to inf.
    got = nm.quantize_float([57344.0, 61439.0, 61440.0], "fp8_e5m2", backend=backend)
    assert got.tolist() == [57344.0, 57344.0, np.inf]
    assert nm.quantize_float([1e9], "fp8_e5m2", overflow="saturate", backend=backend).tolist() == [57344.0]


def test_stochastic_rounding_is_unbiased_and_seeded(backend):
    x = np.full(200_000, 1 + 2.0**-9)  # a quarter of the way from 1 to the next bf16 value
    a = nm.quantize_float(x, "bf16", "stochastic", seed=4, backend=backend)
    assert set(np.unique(a)) == {1.0, 1 + 2.0**-7}
    assert abs(a.mean() - x[0]) < 2e-5
    assert np.array_equal(a, nm.quantize_float(x, "bf16", "stochastic", seed=4, backend=backend))
    assert not np.array_equal(a, nm.quantize_float(x, "bf16", "stochastic", seed=5, backend=backend))


def test_int_quantize_ties_even_and_saturation(backend):
    codes = nm.quantize_int([2.5, 3.5, -2.5, 0.5, 300.0, -300.0], 8, 1.0, backend=backend)
    assert codes.tolist() == [2, 4, -2, 0, 127, -128]
    with pytest.raises(AccelsimError):
        nm.quantize_int([np.nan], 8, 1.0, backend=backend)


def test_saturating_and_wrapping_accumulators(backend):
    assert nm.int_accumulate([100, 100, -300], 8, "saturate", backend=backend).tolist() == [100, 127, -128]
    assert nm.int_accumulate([100, 100, -300], 8, "wrap", backend=backend).tolist() == [100, -56, -100]
    rng = np.random.default_rng(1)
    a, b = rng.integers(-128, 128, (5, 64)), rng.integers(-128, 128, (64, 4))
    assert np.array_equal(nm.int_matmul(a, b, 32, backend=backend), a @ b)  # no overflow in 32 bits
    narrow = nm.int_matmul(a, b, 12, "wrap", backend=backend)
    assert np.array_equal(narrow, ((a @ b + 2048) % 4096) - 2048)  # wrapping is modular arithmetic
    sat = nm.int_matmul(a, b, 12, "saturate", backend=backend)
    assert sat.min() >= -2048 and sat.max() <= 2047


def test_lns_multiply_exact_for_powers_of_two(backend):
    fmt = nm.LnsFormat(7, 8)
    ea, eb = np.meshgrid(np.arange(-20, 21), np.arange(-20, 21))
    a = nm.lns_encode(np.exp2(ea) * np.where(ea % 2, -1, 1), fmt, backend=backend)
    b = nm.lns_encode(np.exp2(eb), fmt, backend=backend)
    got = nm.lns_decode(nm.lns_mul(a, b, backend=backend))
    assert np.array_equal(got, np.exp2(ea + eb) * np.where(ea % 2, -1, 1))


def test_lns_round_trip_error_bound(backend):
    fmt = nm.LnsFormat(7, 8)
    x = np.random.default_rng(2).uniform(-100, 100, 10_000)
    back = nm.lns_decode(nm.lns_encode(x, fmt, backend=backend))
    bound = 2.0 ** (2.0 ** -(fmt.fraction_bits + 1)) - 1  # half a code step in log2
    assert np.max(np.abs(back / x - 1)) <= bound * (1 + 1e-9)
    assert nm.lns_decode(nm.lns_encode([0.0, 1e-300, 1e300], fmt, backend=backend)).tolist() == [
        0.0, 0.0, float(2.0 ** (fmt.code_max / 256))]


def _lns_add_error(table_size, backend):
    fmt = nm.LnsFormat(8, 20, table_size)
    rng = np.random.default_rng(3)
    x = rng.uniform(0.01, 10, 20_000)
    y = rng.uniform(0.01, 10, 20_000) * rng.choice([-1, 1], 20_000)
    y[np.abs(np.abs(y) / x - 1) < 0.05] *= 2  # keep away from catastrophic cancellation
    a, b = nm.lns_encode(x, fmt), nm.lns_encode(y, fmt)
    exact = nm.lns_decode(a) + nm.lns_decode(b)
    got = nm.lns_decode(nm.lns_add(a, b, backend=backend))
    return np.max(np.abs(np.log2(np.abs(got)) - np.log2(np.abs(exact))))


def test_lns_add_error_shrinks_with_table_size(backend):
    errors = [_lns_add_error(n, backend) for n in (8, 32, 128, 512, 2048)]
    assert all(later < earlier for earlier, later in itertools.pairwise(errors)), errors
    assert errors[-1] < 0.01 and errors[0] > 100 * errors[-1]


def test_lns_add_identities(backend):
    fmt = nm.LnsFormat(7, 8, 256)
    x = np.array([3.0, -2.0, 0.0, 5.0, 1.5])
    a = nm.lns_encode(x, fmt)
    zero = nm.lns_encode(np.zeros(5), fmt)
    same = nm.lns_add(a, zero, backend=backend)
    assert np.array_equal(same.code, a.code) and np.array_equal(same.sign, a.sign)
    cancel = nm.lns_add(a, nm.lns_neg(a), backend=backend)
    assert np.all(cancel.sign == 0) and np.all(nm.lns_decode(cancel) == 0)
    doubled = nm.lns_decode(nm.lns_add(a, a, backend=backend))
    assert np.array_equal(doubled, 2 * nm.lns_decode(a))  # G+(0) = 1 exactly


def test_lns_matmul_close_to_float(backend):
    fmt = nm.LnsFormat(7, 8, 1024)
    rng = np.random.default_rng(4)
    a, b = rng.standard_normal((8, 32)), rng.standard_normal((32, 6))
    la, lb = nm.lns_encode(a, fmt), nm.lns_encode(b, fmt)
    ref = nm.lns_decode(la) @ nm.lns_decode(lb)
    got = nm.lns_decode(nm.lns_matmul(la, lb, backend=backend))
    assert np.max(np.abs(got - ref)) < 0.02 * np.max(np.abs(ref))


def test_kahan_beats_naive_on_adversarial_sequence(backend):
    x = np.concatenate([[1.0], np.full(100_000, 1e-8)]).astype(np.float32)
    exact = 1.0 + 100_000 * float(np.float32(1e-8))
    naive = float(nm.naive_sum(x, backend=backend))
    kahan = float(nm.kahan_sum(x, backend=backend))
    assert naive == 1.0  # every small term is below half an ulp of 1 and is lost
    assert abs(kahan - exact) < 1e-6 < abs(naive - exact)


def test_kahan_update_keeps_small_steps(backend):
    w = np.ones(4, dtype=np.float32)
    carry = np.zeros(4, dtype=np.float32)
    plain = w.copy()
    step = np.full(4, 1e-8, dtype=np.float32)
    for _ in range(1000):
        w, carry = nm.kahan_update(w, carry, step, backend=backend)
        plain = plain + step
    assert np.all(plain == 1.0)
    assert np.allclose(w.astype(np.float64) - carry, 1 + 1e-5, rtol=0, atol=1e-7)


def test_bad_arguments_are_user_errors():
    with pytest.raises(AccelsimError, match="rounding"):
        nm.quantize_float([1.0], "fp16", rounding="up")
    with pytest.raises(AccelsimError, match="not a floating-point"):
        nm.quantize_float([1.0], "int8")
    with pytest.raises(AccelsimError, match="overflow"):
        nm.int_accumulate([1], 8, "clip")
    with pytest.raises(AccelsimError, match="NaN"):
        nm.lns_encode([np.nan])


@pytest.mark.parametrize("precision", ["bf16", "fp16", "fp8_e4m3", "int8", "int4", "lns16", "lns8"])
@pytest.mark.parametrize("rounding", ["nearest", "stochastic"])
def test_fake_quantize_is_the_format_round_trip(precision, rounding, backend):
    """fake_quantize = decode(encode(x)) in the format: floats rounded, ints on a symmetric
    per-tensor scale (max|x| -> largest code), LNS encoded and decoded; same seed, same draws."""
    x = np.random.default_rng(3).normal(0.0, 2.0, (4, 5))
    x[0, 0] = 0.0
    got = nm.fake_quantize(x, precision, rounding, seed=7, backend=backend)
    p = get_precision(precision)
    if p.kind == "float":
        want = nm.quantize_float(x, precision, rounding, 7, backend=backend)
    elif p.kind == "int":
        scale = nm.int_scale(x, p.bits)
        want = nm.dequantize_int(nm.quantize_int(x, p.bits, scale, rounding, 7, backend), scale)
        assert np.abs(got).max() == pytest.approx(np.abs(x).max())  # the peak maps to a code exactly
    else:
        want = nm.lns_decode(nm.lns_encode(x, precision, rounding, 7, backend))
    assert got.shape == x.shape and got.dtype == np.float64
    assert np.array_equal(got, want)
    assert not np.array_equal(got, x)  # it did round
    if rounding == "nearest":
        assert np.array_equal(nm.fake_quantize(got, precision, backend=backend), got)  # idempotent


def test_fake_quantize_refuses_binary():
    with pytest.raises(AccelsimError, match="binary"):
        nm.fake_quantize([1.0, -1.0], "binary")
