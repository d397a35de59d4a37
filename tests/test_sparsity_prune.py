"""Pruning produces real sparse tensors with the asked density and structure; the binomial
imbalance model agrees with sampling and with exact per-lane work of pruned tensors."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from accelsim.errors import AccelsimError
from accelsim.sparsity.config import parse_structure
from accelsim.sparsity.imbalance import expected_max_binomial, imbalance_factor, lane_work
from accelsim.sparsity.prune import (
    density_of,
    prune,
    prune_block,
    prune_magnitude,
    prune_n_m,
    relu_like,
)


def test_magnitude_pruning_keeps_exactly_the_largest():
    x = np.array([[0.1, -5.0, 2.0, 0.0], [3.0, -0.2, 0.3, 4.0]])
    y = prune_magnitude(x, 0.5)
    assert density_of(y) == 0.5
    assert set(np.abs(y[y != 0])) == {5.0, 4.0, 3.0, 2.0}
    assert np.array_equal(prune_magnitude(x, 1.0), x)
    assert not prune_magnitude(x, 0.0).any()


@settings(max_examples=40, deadline=None)
@given(st.integers(1, 8), st.integers(1, 16), st.integers(0, 2**31 - 1))
def test_n_m_pruning_leaves_at_most_n_in_every_group(n_extra, groups, seed):
    m = 4 if n_extra < 4 else 8
    n = min(n_extra, m - 1)
    x = np.random.default_rng(seed).normal(size=(3, groups * m))
    y = prune_n_m(x, n, m)
    counts = (y.reshape(-1, m) != 0).sum(axis=1)
    assert (counts == n).all()  # Gaussian values are never zero, so exactly n survive
    kept_min = np.where(y != 0, np.abs(x), np.inf).reshape(-1, m).min(axis=1)
    dropped_max = np.where(y == 0, np.abs(x), -np.inf).reshape(-1, m).max(axis=1)
    assert (kept_min >= dropped_max).all()


def test_block_pruning_zeroes_whole_blocks():
    x = np.random.default_rng(1).normal(size=(2, 8, 12))
    y = prune_block(x, 0.5, 4)
    assert density_of(y) == pytest.approx(0.5)
    tiles = (y.reshape(2, 2, 4, 3, 4) != 0).sum(axis=(2, 4))
    assert set(np.unique(tiles)) <= {0, 16}
    with pytest.raises(AccelsimError, match="multiples of the block"):
        prune_block(x, 0.5, 5)


def test_prune_dispatches_on_structure():
    x = np.random.default_rng(2).normal(size=(8, 16))
    assert density_of(prune(x, 0.25, parse_structure("unstructured"))) == 0.25
    assert density_of(prune(x, 0.25, parse_structure("2:4"))) == 0.5  # N:M keeps N/M
    assert density_of(prune(x, 0.25, parse_structure("block4"))) == 0.25


def test_relu_like_density():
    a = relu_like((200, 300), 0.3, np.random.default_rng(0))
    assert density_of(a) == pytest.approx(0.3, abs=0.01)
    assert a.min() == 0 and a.dtype == np.int64


@pytest.mark.parametrize("lanes, trials, density", [(8, 100, 0.1), (64, 2000, 0.03), (256, 84, 0.1), (2, 10, 0.5)])
def test_expected_max_binomial_matches_sampling(lanes, trials, density):
    rng = np.random.default_rng(11)
    sampled = rng.binomial(trials, density, size=(40_000, lanes)).max(axis=1).mean()
    assert expected_max_binomial(lanes, trials, density) == pytest.approx(sampled, rel=0.01)


def test_expected_max_binomial_small_exact_case():
    # two lanes, one trial each: max is 1 unless both are 0
    assert expected_max_binomial(2, 1, 0.3) == pytest.approx(1 - 0.7**2)
    assert expected_max_binomial(1, 50, 0.2) == pytest.approx(10.0)
    assert expected_max_binomial(7, 50, 1.0) == 50.0


def test_imbalance_grows_with_lanes_and_shrinks_with_work():
    assert imbalance_factor(1, 100, 0.1) == 1.0
    assert imbalance_factor(64, 100, 1.0) == 1.0
    assert 1.0 < imbalance_factor(8, 100, 0.1) < imbalance_factor(64, 100, 0.1)
    assert imbalance_factor(64, 10_000, 0.1) < imbalance_factor(64, 100, 0.1)


def test_lane_work_of_a_pruned_matrix():
    w = np.zeros((4, 6), dtype=np.int64)
    w[0, 0] = w[1, 0] = w[2, 3] = w[3, 5] = 1
    a = np.array([[1, 0, 1, 1]])
    # lanes own columns {0, 3}, {1, 4}, {2, 5}; activation k=1 is zero
    assert lane_work(w, a, 3).tolist() == [2, 0, 1]
    assert lane_work(w, a, 3, skip_activations=False).tolist() == [3, 0, 1]
    assert lane_work(w, None, 3, skip_weights=False).tolist() == [8, 8, 8]
