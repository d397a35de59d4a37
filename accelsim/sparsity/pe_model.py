"""A cycle-by-cycle sparse PE array that computes real results (pure-Python twin of
``cython/sparse_pe.pyx``), plus the exact event recurrence the fast model uses for the same run.

The array (EIE-style sparse matrix x dense/sparse activations, Han et al. ISCA'16):

- ``lanes`` PEs; PE p owns the output columns n = p, p + lanes, ... of W (K x N) and holds its
  slice compressed (only non-zeros when zero weights are skipped);
- for every input row m and every k (only the non-zero a[m, k] when zero activations are
  skipped) a broadcaster pushes the item (m, k) into every PE's queue, one item per cycle, when
  every queue has fewer than ``queue_depth`` waiting items;
- an idle PE takes the oldest item pushed in an earlier cycle and performs one MAC per cycle,
  ``out[m, n] += a[m, k] * W[k, n]``, over its owned columns n (non-zero ones when skipping
  weights); an item with no work for the PE is taken and dropped without a cycle, and the next
  one may start in the same cycle;
- the run ends when every PE has finished every item: ``cycles`` = max over PEs of the cycle
  after its last MAC (or after it dropped its last item).

In event form (what :func:`schedule_cycles` computes without simulating cycles):

    push(j)  = max(push(j-1) + 1, max_p start_p(j - Q))      (push(0) = 0; Q = queue depth)
    start_p(j) = max(push(j) + 1, finish_p(j-1)),   finish_p(j) = start_p(j) + work_p(j)
    cycles   = max_p finish_p(J - 1)

The test suite checks the cycle model against numpy (A @ W), against this recurrence, and the
Cython kernel against this twin.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import AccelsimError


@dataclass(frozen=True)
class SparsePeRun:
    """Result of one run of the sparse PE array."""

    output: np.ndarray  # int64 M x N
    cycles: int
    macs: int  # MACs performed (cycles spent multiplying, summed over PEs)
    lane_busy_cycles: np.ndarray  # int64 per PE


def _check(a: np.ndarray, w: np.ndarray, lanes: int, queue_depth: int) -> tuple[np.ndarray, np.ndarray]:
    a = np.ascontiguousarray(a, dtype=np.int64)
    w = np.ascontiguousarray(w, dtype=np.int64)
    if a.ndim != 2 or w.ndim != 2 or a.shape[1] != w.shape[0]:
        raise AccelsimError(f"need activations M x K and weights K x N, got {a.shape} and {w.shape}", field="shape")
    if lanes < 1 or queue_depth < 1:
        raise AccelsimError(f"lanes and queue_depth must be >= 1, got {lanes} and {queue_depth}", field="lanes")
    return a, w


def compress_slices(w: np.ndarray, lanes: int, skip_weights: bool) -> tuple[np.ndarray, np.ndarray]:
    """Per (k, lane) the list of owned columns a PE works through: CSR-like (ptr, cols).

    ``ptr`` has K * lanes + 1 entries; the columns of (k, p) are cols[ptr[k*lanes+p]:ptr[k*lanes+p+1]].
    """
    k_dim, n_dim = w.shape
    ptr = np.zeros(k_dim * lanes + 1, dtype=np.int64)
    cols: list[int] = []
    for k in range(k_dim):
        for p in range(lanes):
            owned = range(p, n_dim, lanes)
            cols.extend(n for n in owned if not skip_weights or w[k, n] != 0)
            ptr[k * lanes + p + 1] = len(cols)
    return ptr, np.asarray(cols, dtype=np.int64)


def broadcast_items(a: np.ndarray, skip_activations: bool) -> tuple[np.ndarray, np.ndarray]:
    """(m, k) of every broadcast item in order: row by row, k ascending."""
    mask = (a != 0) if skip_activations else np.ones(a.shape, dtype=bool)
    ms, ks = np.nonzero(mask)  # row-major order
    return ms.astype(np.int64), ks.astype(np.int64)


def run_sparse_pe_ref(a: np.ndarray, w: np.ndarray, lanes: int, queue_depth: int,
                      skip_activations: bool = True, skip_weights: bool = True) -> SparsePeRun:
    """The cycle-by-cycle model in plain Python (the twin of the Cython kernel)."""
    a, w = _check(a, w, lanes, queue_depth)
    ptr, cols = compress_slices(w, lanes, skip_weights)
    item_m, item_k = broadcast_items(a, skip_activations)
    n_items = int(item_m.size)
    out = np.zeros((a.shape[0], w.shape[1]), dtype=np.int64)
    push_cycle = np.zeros(n_items, dtype=np.int64)
    next_item = [0] * lanes  # oldest item a PE has not taken yet
    cur = [-1] * lanes  # item in progress
    pos = [0] * lanes
    end = [0] * lanes
    last_finish = [0] * lanes
    busy = [0] * lanes
    macs = 0
    pushed = 0
    cycle = 0
    while True:
        if pushed == n_items and all(cur[p] < 0 and next_item[p] == n_items for p in range(lanes)):
            break
        for p in range(lanes):
            if cur[p] < 0:
                while next_item[p] < pushed and push_cycle[next_item[p]] < cycle:
                    j = next_item[p]
                    next_item[p] += 1
                    slot = item_k[j] * lanes + p
                    if ptr[slot + 1] > ptr[slot]:
                        cur[p], pos[p], end[p] = j, int(ptr[slot]), int(ptr[slot + 1])
                        break
                    last_finish[p] = cycle  # nothing to do for this item
            if cur[p] >= 0:
                j = cur[p]
                n = cols[pos[p]]
                out[item_m[j], n] += a[item_m[j], item_k[j]] * w[item_k[j], n]
                macs += 1
                busy[p] += 1
                pos[p] += 1
                if pos[p] == end[p]:
                    cur[p] = -1
                    last_finish[p] = cycle + 1
        if pushed < n_items and all(pushed - next_item[p] < queue_depth for p in range(lanes)):
            push_cycle[pushed] = cycle
            pushed += 1
        cycle += 1
    cycles = max(last_finish) if n_items else 0
    return SparsePeRun(out, int(cycles), macs, np.asarray(busy, dtype=np.int64))


def run_sparse_pe(a: np.ndarray, w: np.ndarray, lanes: int, queue_depth: int,
                  skip_activations: bool = True, skip_weights: bool = True) -> SparsePeRun:
    """The cycle-by-cycle model, compiled (``accelsim._native.sparse_pe``) when built, else the twin."""
    try:
        from .._native.sparse_pe import sparse_pe_run
    except ImportError:
        return run_sparse_pe_ref(a, w, lanes, queue_depth, skip_activations, skip_weights)
    a, w = _check(a, w, lanes, queue_depth)
    ptr, cols = compress_slices(w, lanes, skip_weights)
    item_m, item_k = broadcast_items(a, skip_activations)
    out, cycles, macs, busy = sparse_pe_run(a, w, ptr, cols, item_m, item_k, lanes, queue_depth)
    return SparsePeRun(np.asarray(out), int(cycles), int(macs), np.asarray(busy))


def item_work(a: np.ndarray, w: np.ndarray, lanes: int, skip_activations: bool = True,
              skip_weights: bool = True) -> np.ndarray:
    """Work (MACs) of every broadcast item on every PE: a J x lanes array."""
    a, w = _check(a, w, lanes, 1)
    _, item_k = broadcast_items(a, skip_activations)
    w_nz = (w != 0) if skip_weights else np.ones(w.shape, dtype=bool)
    owner = np.arange(w.shape[1]) % lanes
    per_k = np.zeros((w.shape[0], lanes), dtype=np.int64)
    for p in range(lanes):
        per_k[:, p] = w_nz[:, owner == p].sum(axis=1)
    return per_k[item_k]


def schedule_cycles(work: np.ndarray, queue_depth: int) -> int:
    """Cycles of the array from per-item, per-PE work (J x lanes) by the event recurrence."""
    work = np.asarray(work, dtype=np.int64)
    if work.ndim != 2:
        raise AccelsimError("work must be a J x lanes array", field="work")
    n_items, lanes = work.shape
    if n_items == 0:
        return 0
    starts = np.zeros((n_items, lanes), dtype=np.int64)
    finish = np.zeros(lanes, dtype=np.int64)
    push = -1
    for j in range(n_items):
        push = push + 1
        if j >= queue_depth:
            push = max(push, int(starts[j - queue_depth].max()))
        start = np.maximum(push + 1, finish)
        starts[j] = start
        finish = start + work[j]
    return int(finish.max())
