"""Each task's share of the run's cycles: for charging static power to layers, and for the
per-layer seconds of a multi-chip training profile (accelsim/system/layers.py).

Static power burns for the whole run, whatever runs. A layer is charged for the cycles it runs,
split evenly among the layers that run at the same time (two overlapping layers each take half of
the cycles they share), and a cycle when no layer runs (instruction issue before the first layer, a
wait between layers) goes to the next layer to start, or to the last to finish when none starts
after it. The shares add up to the run's cycles, so the layers' static energy adds up to the
total's and so does their energy.
"""
from __future__ import annotations

import itertools
from collections.abc import Sequence


def cycle_shares(spans: Sequence[tuple[int, int]], total_cycles: int) -> list[float]:
    """Cycles charged to each (start, end) span over a run of ``total_cycles``; sums to ``total_cycles``
    (to float rounding) when there is at least one span."""
    shares = [0.0] * len(spans)
    if not spans:
        return shares
    # F(t) = integral over [0, t) of 1 / (spans running at time t); a span's share of the cycles it
    # runs is F(end) - F(start). Cycles with nothing running are handed out afterwards.
    starts = sorted(range(len(spans)), key=lambda i: (spans[i][0], i))
    changes: dict[int, int] = {}
    for start, end in spans:
        if end > start:
            changes[start] = changes.get(start, 0) + 1
            changes[end] = changes.get(end, 0) - 1
    times = sorted(set(changes) | {0, total_cycles})
    integral: dict[int, float] = {}
    running = 0
    area = 0.0
    idle: list[tuple[int, int]] = []  # (from, to) with nothing running
    for t0, t1 in itertools.pairwise(times):
        integral.setdefault(t0, area)
        running += changes.get(t0, 0)
        if running:
            area += (t1 - t0) / running
        elif t1 > t0:
            idle.append((t0, t1))
    integral.setdefault(times[-1], area)
    for i, (start, end) in enumerate(spans):
        if end > start:
            shares[i] = integral[end] - integral[start]
    last_to_finish = max(range(len(spans)), key=lambda i: (spans[i][1], i))
    k = 0
    for t0, t1 in idle:
        while k < len(starts) and spans[starts[k]][0] < t1:
            k += 1
        shares[starts[k] if k < len(starts) else last_to_finish] += t1 - t0
    return shares
