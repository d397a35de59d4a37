"""The fast fold-pipeline model: twin agreement, closed forms per dataflow, O(folds) cost."""
from __future__ import annotations

import random

import pytest

from accelsim._native import systolic as native
from accelsim.engine import systolic_ref
from accelsim.engine.dataflow import fast_cycles, fold_plan, spatial_temporal


def _random_args(count, seed):
    rnd = random.Random(seed)
    for _ in range(count):
        yield (rnd.randint(1, 600), rnd.randint(1, 600), rnd.randint(1, 900), rnd.randint(1, 64),
               rnd.randint(1, 64), rnd.choice([0.0, 1.0, 2.0]), rnd.choice([0.0, 7.5, 64.0]),
               rnd.randint(0, 6), rnd.randint(0, 300), rnd.random() < 0.5)


@pytest.mark.parametrize("args", list(_random_args(150, 2)))
def test_native_equals_twin(args):
    assert native.gemm_fold_pipeline(*args) == systolic_ref.gemm_fold_pipeline(*args)


def test_mapping_per_dataflow():
    assert spatial_temporal("os", 10, 20, 30) == (10, 30, 20)
    assert spatial_temporal("ws", 10, 20, 30) == (20, 30, 10)
    assert spatial_temporal("is", 10, 20, 30) == (20, 10, 30)
    plan = fold_plan("ws", 100, 77, 90, 16, 8)
    assert (plan.row_folds, plan.col_folds, plan.folds) == (5, 12, 60)
    assert plan.mapping_efficiency == pytest.approx(77 * 90 / (60 * 128))


@pytest.mark.parametrize("df", ["os", "ws", "is"])
def test_serialized_closed_form_is_scalesim_plus_one(df):
    """No fetch, serialized: SCALE-Sim's per-fold cycles (OS T+R+C-2, WS/IS 2R+C+T-2) summed,
    plus one (SCALE-Sim reports the 0-based stamp of the last write)."""
    m, k, n, rows, cols = 300, 150, 200, 32, 16
    plan = fold_plan(df, m, k, n, rows, cols)
    t = plan.temporal
    per_fold = t + rows + cols - 2 if df == "os" else 2 * rows + cols + t - 2
    scalesim_total = plan.folds * per_fold - 1
    assert fast_cycles(plan, False)[0] == scalesim_total + 1


def test_double_buffered_closed_form():
    plan = fold_plan("ws", 500, 96, 64, 32, 32)  # T = 500 >= R
    total = fast_cycles(plan, True)[0]
    assert total == 32 + plan.folds * 500 + (32 + 32 - 2)
    plan = fold_plan("ws", 10, 96, 64, 32, 32)  # T = 10 < R: loads set the pace
    total = fast_cycles(plan, True)[0]
    assert total == plan.folds * 32 + 10 + (32 + 32 - 2)


def test_huge_temporal_dimension_closed_form():
    """T = 10^8 rows per fold (WS, 2 x 2 folds, no fetch, double buffered): the first shift (128),
    four streams and one drain skew (128 + 128 - 2). How long the kernel takes is measured in
    benchmarks/, not asserted here."""
    total = native.gemm_fold_pipeline(256, 256, 100_000_000, 128, 128, 0.0, 0.0, 4, 128, True)[0]
    assert total == 128 + 4 * 100_000_000 + 254


def _many_fold_args(count, seed):
    """Shapes with up to a few thousand folds (small arrays), so runs of identical folds reach the
    steady state the grouped pipeline jumps over, with ragged last row and column folds."""
    rnd = random.Random(seed)
    for _ in range(count):
        rows, cols = rnd.randint(1, 16), rnd.randint(1, 16)
        yield (rnd.randint(1, 40 * rows), rnd.randint(1, 40 * cols), rnd.randint(1, 300), rows, cols,
               rnd.choice([0.0, 1.0, 2.0, 0.5]), rnd.choice([0.0, 3.0, 7.5, 64.0]), rnd.randint(0, 6),
               rnd.randint(0, 40), rnd.random() < 0.5, rnd.choice([0, 0, 37, 5000]))


@pytest.mark.parametrize("args", list(_many_fold_args(120, 5)))
def test_grouped_pipeline_equals_fold_by_fold(args):
    """gemm_fold_pipeline_grouped (compiled and its twin) returns what the fold-by-fold twin
    computes, fold by fold."""
    expected = systolic_ref.gemm_fold_pipeline(*args)
    assert systolic_ref.gemm_fold_pipeline_grouped(*args) == expected
    assert native.gemm_fold_pipeline_grouped(*args) == expected


def test_grouped_pipeline_jumps_over_a_periodic_run():
    """A fetch-bound run of 400 x 300 identical folds: the grouped result equals the closed form
    (each tile's fetch sets the pace: 64 B at 2 B/cycle = 32 cycles per fold, FIFO depth 1 so the
    next fetch starts when the previous tile starts shifting: 120_000 x 32 + shift 8 + stream 5 +
    skew 14)."""
    args = (400 * 8, 300 * 8, 5, 8, 8, 1.0, 2.0, 1, 8, True)
    total = native.gemm_fold_pipeline_grouped(*args)[0]
    assert total == systolic_ref.gemm_fold_pipeline_grouped(*args)[0]
    assert total == 120_000 * 32 + 8 + 5 + 14
