"""Functional check: a cycle-by-cycle sparse PE array computes A @ W exactly, the Cython kernel equals
its Python twin, the event recurrence gives the same cycle count, and the fast statistical model
(sparse_gemm_effect) predicts it."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from accelsim.sparsity.effect import sparse_gemm_effect
from accelsim.sparsity.pe_model import item_work, run_sparse_pe, run_sparse_pe_ref, schedule_cycles
from accelsim.sparsity.prune import prune_magnitude, prune_n_m, relu_like
from accelsim.sparsity.spec import SparsityHardwareSpec


def _operands(seed: int, m: int, k: int, n: int, dw: float, da: float):
    rng = np.random.default_rng(seed)
    w = prune_magnitude(rng.integers(-9, 10, size=(k, n)), dw)
    a = relu_like((m, k), da, rng)
    return a, w


def _same(x, y):
    assert x.cycles == y.cycles and x.macs == y.macs
    assert np.array_equal(x.output, y.output) and np.array_equal(x.lane_busy_cycles, y.lane_busy_cycles)


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 2**31 - 1), st.integers(1, 3), st.integers(1, 40), st.integers(1, 40), st.integers(1, 9),
       st.integers(1, 6), st.sampled_from([0.0, 0.1, 0.5, 1.0]), st.sampled_from([0.0, 0.3, 1.0]),
       st.booleans(), st.booleans())
def test_compiled_equals_twin_and_numpy(seed, m, k, n, lanes, depth, dw, da, skip_a, skip_w):
    a, w = _operands(seed, m, k, n, dw, da)
    ref = run_sparse_pe_ref(a, w, lanes, depth, skip_a, skip_w)
    fast = run_sparse_pe(a, w, lanes, depth, skip_a, skip_w)
    _same(ref, fast)
    assert np.array_equal(ref.output, a @ w)
    assert ref.cycles == schedule_cycles(item_work(a, w, lanes, skip_a, skip_w), depth)


def test_sparse_gemm_with_skipping_is_exact_and_counts_only_nonzero_pairs():
    a, w = _operands(5, 4, 256, 128, 0.1, 0.3)
    run = run_sparse_pe(a, w, lanes=8, queue_depth=4)
    assert np.array_equal(run.output, a @ w)
    nonzero_pairs = int(((a != 0).astype(np.int64) @ (w != 0).astype(np.int64)).sum())
    assert run.macs == nonzero_pairs == run.lane_busy_cycles.sum()
    # imbalance: the busiest PE sets the pace, above a perfect split of the work
    assert run.cycles > run.macs / 8
    assert run.lane_busy_cycles.max() > run.lane_busy_cycles.mean()


def test_structured_weights_run_on_the_same_array():
    rng = np.random.default_rng(9)
    w = prune_n_m(rng.integers(1, 9, size=(64, 32)), 2, 4)
    a = relu_like((3, 64), 1.0, rng)
    run = run_sparse_pe(a, w, lanes=4, queue_depth=2)
    assert np.array_equal(run.output, a @ w) and run.macs == 3 * 64 * 16


def test_gating_weights_keeps_their_cycles():
    a, w = _operands(2, 2, 128, 64, 0.2, 0.5)
    skip = run_sparse_pe(a, w, 8, 4, skip_activations=True, skip_weights=True)
    keep = run_sparse_pe(a, w, 8, 4, skip_activations=True, skip_weights=False)
    assert np.array_equal(skip.output, keep.output)
    assert keep.macs == int((a != 0).sum()) * 64 and keep.cycles > skip.cycles


def test_empty_and_degenerate_runs():
    z = np.zeros((2, 16), dtype=np.int64)
    w = np.ones((16, 8), dtype=np.int64)
    assert run_sparse_pe(z, w, 4, 2).cycles == 0
    assert run_sparse_pe_ref(z, w, 4, 2).cycles == 0
    one = run_sparse_pe(np.ones((1, 1), dtype=np.int64), np.ones((1, 1), dtype=np.int64), 1, 1)
    assert (one.cycles, one.macs) == (2, 1)  # pushed in cycle 0, multiplied in cycle 1


@pytest.mark.parametrize("m, k, n, lanes, dw, da", [(4, 1024, 512, 16, 0.1, 0.3), (2, 2048, 1024, 64, 0.3, 1.0),
                                                      (8, 512, 128, 8, 0.5, 0.5)])
@pytest.mark.parametrize("depth", [4, 8, 32])
def test_fast_model_predicts_the_cycle_count(m, k, n, lanes, dw, da, depth):
    rng = np.random.default_rng(m * 1000 + depth)
    w = (rng.random((k, n)) < dw).astype(np.int64)
    a = (rng.random((m, k)) < da).astype(np.int64)
    exact = schedule_cycles(item_work(a, w, lanes), depth)  # equals the cycle model (test above)
    hw = SparsityHardwareSpec(skipping="both", lanes=lanes, queue_depth=depth)
    effect = sparse_gemm_effect(m, k, n, 1, lanes, "os", dw, da, hw)
    predicted = m * k * (n // lanes) * effect.cycle_factor
    assert predicted == pytest.approx(exact, rel=0.06)
    balanced = m * k * (n // lanes) * effect.density_cycle_factor
    assert exact > balanced and effect.imbalance_cycle_factor > 1.0


def test_fast_model_is_conservative_for_a_single_entry_queue():
    a, w = _operands(4, 4, 1024, 512, 0.1, 0.3)
    exact = run_sparse_pe(a, w, 16, 1).cycles
    effect = sparse_gemm_effect(4, 1024, 512, 1, 16, "os", 0.1, float((a != 0).mean()),
                                SparsityHardwareSpec(skipping="both", lanes=16, queue_depth=1))
    predicted = 4 * 1024 * 32 * effect.cycle_factor
    assert exact * 0.97 < predicted < exact * 1.3
