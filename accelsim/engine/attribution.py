"""Attribute every cycle of a span to exactly one cause, from overlapping timeline intervals.

A cycle goes to the highest-priority cause active in it (the order of ``CAUSES``: the matrix unit
computing beats a weight shift, which beats a weight stall, ... beats vector work, ...); cycles
with nothing active are ``idle``. Events whose cause is not in ``CAUSES`` (background DMA
streaming, shown in traces) are ignored. The result sums exactly to the span's length.
"""
from __future__ import annotations

from collections.abc import Iterable

from .timeline import CAUSES, TimelineEvent

PRIORITY = {cause: i for i, cause in enumerate(CAUSES)}


def attribute(events: Iterable[TimelineEvent], start: int, end: int) -> dict[str, int]:
    """Cycles per cause over [start, end); every cause appears (zero if unused); sums to end-start."""
    out = {cause: 0 for cause in CAUSES}
    if end <= start:
        return out
    points: list[tuple[int, int, int]] = []  # (cycle, +1/-1, priority)
    for e in events:
        s, t = max(e.start_cycle, start), min(e.end_cycle, end)
        p = PRIORITY.get(e.cause)
        if t > s and p is not None:  # background activity (e.g. "dma" streaming) bears no cause
            points.append((s, 1, p))
            points.append((t, -1, p))
    points.sort()
    active = [0] * len(CAUSES)
    cursor = start
    i = 0
    while i < len(points):
        cycle = points[i][0]
        if cycle > cursor:
            best = next((p for p in range(len(CAUSES)) if active[p] > 0), None)
            out[CAUSES[best] if best is not None else "idle"] += cycle - cursor
            cursor = cycle
        while i < len(points) and points[i][0] == cycle:
            active[points[i][2]] += points[i][1]
            i += 1
    if end > cursor:
        out["idle"] += end - cursor
    return out
