"""The compiled SCALE-Sim kernel and its pure-Python twin agree on every field."""
from __future__ import annotations

import random

import pytest

from accelsim._native import systolic as native
from accelsim.scalesim.calc_ref import scalesim_layer as python_layer


def _random_cases(count, seed):
    rng = random.Random(seed)
    for _ in range(count):
        fh, fw = rng.randint(1, 4), rng.randint(1, 4)
        yield (rng.randint(0, 2), rng.choice([1, 2, 3, 5, 8, 16, 33]),
               rng.choice([1, 2, 3, 5, 8, 16, 32]), rng.randint(fh, 20), rng.randint(fw, 20), fh,
               fw, rng.randint(1, 8), rng.randint(1, 40), rng.randint(1, 3), rng.randint(1, 3),
               rng.choice([100, 300, 1024, 2048]), rng.choice([100, 300, 1024, 2048]),
               rng.choice([100, 300, 1024, 2048]), rng.choice([1, 3, 8, 32]))


@pytest.mark.parametrize("case", list(_random_cases(120, 11)))
def test_native_equals_twin(case):
    assert native.scalesim_layer(*case) == python_layer(*case)


def test_native_cost_does_not_scale_with_unique_fitting_operands():
    """A GEMM whose operands fit in one epoch skips the per-address replay: the answer is exact
    and the unique counts are the DRAM reads."""
    fields = native.scalesim_layer(1, 256, 256, 4096, 512, 1, 512, 1, 4096, 1, 1,
                                   6144 * 1024, 6144 * 1024, 6144 * 1024, 256)
    assert fields["dram_ifmap_reads"] == 4096 * 512
    assert fields["dram_filter_reads"] == 512 * 4096
    assert fields["total_cycles"] == 2 * 16 * (2 * 256 + 256 + 4096 - 2) - 1


def _no_overlap_cases(count, seed):
    """GEMM-like layers (windows never overlap) with SRAMs small enough that epochs fill: the
    native kernel counts these without replaying addresses."""
    rng = random.Random(seed)
    for _ in range(count):
        stride = rng.randint(1, 3)
        window = rng.randint(1, stride)
        cols = rng.choice([1, 2, 4, 8, 16])
        yield (rng.randint(0, 2), rng.choice([1, 2, 4, 8, 16]), cols, rng.randint(window, 30),
               rng.randint(window, 30), window, window, rng.randint(1, 8), rng.randint(1, 60),
               stride, stride, rng.choice([100, 200, 300]), rng.choice([100, 200, 300]),
               rng.choice([100, 300]), rng.choice([1, cols]))


@pytest.mark.parametrize("case", list(_no_overlap_cases(60, 4)))
def test_native_count_modes_equal_twin(case):
    assert native.scalesim_layer(*case) == python_layer(*case)


def _periodic_pass_cases(count, seed):
    """Overlapping 3x3 windows, many column folds and tiny SRAMs: the native kernel detects
    passes that repeat and counts them instead of replaying them."""
    rng = random.Random(seed)
    for _ in range(count):
        window = rng.randint(2, 3)
        cols = rng.choice([1, 2, 4])
        yield (rng.randint(0, 2), rng.choice([2, 4, 8]), cols, rng.randint(window + 2, 16),
               rng.randint(window + 2, 16), window, window, rng.randint(1, 6),
               rng.randint(8, 40), 1, 1, rng.choice([100, 200, 300, 500]),
               rng.choice([100, 200, 300]), rng.choice([100, 300]), cols)


@pytest.mark.parametrize("case", list(_periodic_pass_cases(40, 22)))
def test_native_periodic_passes_equal_twin(case):
    assert native.scalesim_layer(*case) == python_layer(*case)


def _user_cases(count, seed):
    rng = random.Random(seed)
    for _ in range(count):
        fh, fw = rng.randint(1, 4), rng.randint(1, 4)
        yield (rng.randint(0, 2), rng.choice([1, 2, 3, 4, 8, 16]), rng.choice([1, 2, 3, 5, 8, 16]),
               rng.randint(fh, 20), rng.randint(fw, 20), fh, fw, rng.randint(1, 8),
               rng.randint(1, 40), rng.randint(1, 3), rng.randint(1, 3),
               rng.choice([100, 200, 300, 1024]), rng.choice([100, 200, 300, 1024]),
               rng.choice([100, 300, 1024]), rng.choice([1, 2, 5, 10]))


@pytest.mark.parametrize("case", list(_user_cases(40, 31)))
def test_native_user_mode_equals_twin(case):
    from accelsim.scalesim.user_ref import scalesim_layer_user

    *layer, bandwidth = case
    try:
        expected = scalesim_layer_user(*layer, bandwidth)
    except RuntimeError:
        with pytest.raises(RuntimeError):
            native.scalesim_layer(*layer, bandwidth, bandwidth)
        return
    assert native.scalesim_layer(*layer, bandwidth, bandwidth) == expected
