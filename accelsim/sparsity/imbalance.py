"""Load imbalance under unstructured skipping: the slowest lane sets the pace.

``lanes`` PEs (or PE rows) each work through ``trials`` dense MAC slots between two
synchronisations and spend one cycle per non-zero slot. With zeros placed independently at
``density``, a lane's work is Binomial(trials, density) and the interval lasts as long as the
busiest lane, so the expected slowdown over perfect balance is

    imbalance = E[max of `lanes` iid Binomial(trials, density)] / (trials x density)  (>= 1).

:func:`expected_max_binomial` evaluates E[max] exactly: sum over x of 1 - F(x)^lanes, with the
binomial CDF F summed from log-pmf terms inside mean +/- 40 standard deviations (the mass outside
is below 1e-300). :func:`lane_work` gives the exact per-lane work of a real pruned tensor.
"""
from __future__ import annotations

import math

import numpy as np

from ..errors import AccelsimError

_SPAN_SD = 40.0


def _log_pmf(xs: np.ndarray, n: int, p: float) -> np.ndarray:
    lg = np.vectorize(math.lgamma, otypes=[float])
    return (math.lgamma(n + 1) - lg(xs + 1.0) - lg(n - xs + 1.0)
            + xs * math.log(p) + (n - xs) * math.log1p(-p))


def expected_max_binomial(lanes: int, trials: int, density: float) -> float:
    """E[max over ``lanes`` independent Binomial(``trials``, ``density``)] (exact up to 1e-12)."""
    if lanes < 1 or trials < 0:
        raise AccelsimError(f"need lanes >= 1 and trials >= 0, got {lanes} and {trials}", field="lanes")
    if not 0.0 <= density <= 1.0:
        raise AccelsimError(f"density must be in [0, 1], got {density!r}", field="density")
    n, p = int(trials), float(density)
    if n == 0 or p == 0.0:
        return 0.0
    if p == 1.0:
        return float(n)
    if lanes == 1:
        return n * p
    mean, sd = n * p, math.sqrt(n * p * (1 - p))
    lo = max(0, math.floor(mean - _SPAN_SD * sd - 1))
    hi = min(n, math.ceil(mean + _SPAN_SD * sd + 1))
    xs = np.arange(lo, hi + 1, dtype=float)
    pmf = np.exp(_log_pmf(xs, n, p))
    cdf = np.minimum(np.cumsum(pmf), 1.0)
    # P(max > x) = 1 - F(x)^lanes; below lo F ~ 0 (each term 1), at or above hi F ~ 1 (each term 0)
    with np.errstate(divide="ignore"):
        tail = -np.expm1(lanes * np.log(cdf[:-1]))
    return float(lo + np.sum(tail))


def imbalance_factor(lanes: int, trials: float, density: float) -> float:
    """Expected busiest-lane work over mean work (>= 1; 1 when there is nothing to balance)."""
    n = round(trials)
    if lanes <= 1 or n <= 0 or density >= 1.0 or density <= 0.0:
        return 1.0
    return max(1.0, expected_max_binomial(lanes, n, density) / (n * density))


def lane_work(weights: np.ndarray, activations: np.ndarray | None, lanes: int, skip_weights: bool = True,
              skip_activations: bool = True) -> np.ndarray:
    """Exact MACs each lane performs for activations (M x K) times weights (K x N) when lane p owns
    the output columns n = p, p + lanes, ... (EIE's interleaving) and zeros are skipped as asked."""
    w = np.asarray(weights)
    if w.ndim != 2:
        raise AccelsimError("weights must be a K x N matrix", field="weights")
    k, n = w.shape
    a = np.ones((1, k), dtype=np.int64) if activations is None else np.asarray(activations)
    a_nz = (a != 0) if skip_activations else np.ones(a.shape, dtype=bool)
    w_nz = (w != 0) if skip_weights else np.ones(w.shape, dtype=bool)
    per_k = a_nz.sum(axis=0).astype(np.int64)  # activations broadcast per k, over all rows m
    per_col = (per_k[:, None] * w_nz).sum(axis=0)  # work per output column
    owner = np.arange(n) % lanes
    return np.bincount(owner, weights=per_col, minlength=lanes).astype(np.int64)
