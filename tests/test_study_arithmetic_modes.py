"""Study arithmetics: the mechanisms behind the precision study, checked directly."""
import numpy as np
import pytest

from accelsim import numerics as nm
from accelsim.study.arithmetic_modes import VARIANTS, make_arithmetic
from accelsim.study.data import load_dataset

LNS16 = nm.LnsFormat(7, 8, 1024)


def _apply_updates(name, steps, grad_value, lr=0.01):
    arith = make_arithmetic(name, LNS16)
    state = arith.store(np.ones(4))
    grad = np.full(4, grad_value)
    for _ in range(steps):
        state = arith.update(state, grad, lr)
    return arith.weights(state)


def test_lns_weight_updates_below_half_a_code_are_lost_and_kahan_keeps_them():
    # lr * grad = 1e-5 is 0.001 % of the weight, far below half an lns16 code step (0.14 %).
    plain = _apply_updates("lns-everywhere", 200, 1e-3)
    kahan = _apply_updates("lns-kahan", 200, 1e-3)
    fp32 = _apply_updates("fp32", 200, 1e-3)
    assert np.all(plain == 1.0)  # swamped: every update rounds away
    assert np.allclose(fp32, 1 - 200 * 1e-5, atol=1e-6)
    code_step = 2 ** (1 / 256) - 1
    assert np.all(np.abs(kahan - (1 - 200 * 1e-5)) <= code_step)  # the compensation carries them
    assert np.all(kahan < 1.0)


def test_large_updates_agree_between_lns_variants():
    plain = _apply_updates("lns-everywhere", 10, 1.0, lr=0.05)
    kahan = _apply_updates("lns-kahan", 10, 1.0, lr=0.05)
    assert np.allclose(plain, 0.5, rtol=0.02) and np.allclose(kahan, 0.5, rtol=0.02)


@pytest.mark.parametrize("name", VARIANTS)
def test_every_variant_multiplies_close_to_fp32(name):
    arith = make_arithmetic(name, LNS16)
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal((8, 40)), rng.standard_normal((40, 5))
    got = arith.matmul(arith.represent(a), b, True)
    assert np.max(np.abs(got - a @ b)) < 0.05 * np.max(np.abs(a @ b))


def test_lns_values_survive_the_float_round_trip():
    arith = make_arithmetic("lns-everywhere", LNS16)
    x = arith.represent(np.random.default_rng(1).standard_normal(1000))
    assert np.array_equal(arith.represent(x), x)  # re-encoding an LNS value is exact


def test_digits_split_is_stratified_and_seeded():
    a, b, c = load_dataset("digits", 0), load_dataset("digits", 0), load_dataset("digits", 1)
    assert np.array_equal(a.y_test, b.y_test) and not np.array_equal(a.y_test, c.y_test)
    assert a.y_train.size + a.y_test.size == 1797
    counts = np.bincount(a.y_test)
    assert counts.min() >= 43 and counts.max() <= 46  # 25 % of each class
    assert a.x_train.min() >= 0 and a.x_train.max() <= 1
