"""Chrome trace-event output of a run's timeline (open in chrome://tracing or ui.perfetto.dev).

One process (the accelerator) with one thread per track — each compute unit, DMA engine and link
of :attr:`RunResult.timeline` — named by ``thread_name`` metadata. Complete events (``ph: "X"``)
carry ``ts`` and ``dur`` in microseconds, converted from cycles at the run's ``clock_mhz``; the
exact cycles are kept in ``args``. Tracks are numbered in order of first activity and events are
sorted, so the same result always gives the same bytes.
"""
from __future__ import annotations

import json
from pathlib import Path

from ..atomic import write_atomic
from .results import RunResult, TimelineEvent

PID = 1


def _sorted_events(result: RunResult) -> list[TimelineEvent]:
    return sorted(result.timeline, key=lambda e: (e.start_cycle, e.track, e.end_cycle, e.layer, e.cause))


def track_ids(result: RunResult) -> dict[str, int]:
    """Track name -> thread id (1-based), numbered by first activity then name."""
    ids: dict[str, int] = {}
    for event in _sorted_events(result):
        if event.track not in ids:
            ids[event.track] = len(ids) + 1
    return ids


def trace_events(result: RunResult) -> list[dict]:
    """The trace-event list: metadata first, then one complete event per timeline interval."""
    if result.clock_mhz <= 0:
        raise ValueError(f"clock_mhz must be positive to convert cycles to time, got {result.clock_mhz}")
    us_per_cycle = 1.0 / result.clock_mhz  # 1 MHz = 1 cycle per microsecond
    ids = track_ids(result)
    events: list[dict] = [
        {"ph": "M", "pid": PID, "tid": 0, "name": "process_name",
         "args": {"name": f"{result.arch} / {result.workload} (batch {result.batch}, {result.precision})"}},
    ]
    for track, tid in ids.items():
        events.append({"ph": "M", "pid": PID, "tid": tid, "name": "thread_name", "args": {"name": track}})
        events.append({"ph": "M", "pid": PID, "tid": tid, "name": "thread_sort_index", "args": {"sort_index": tid}})
    for event in _sorted_events(result):
        cycles = event.end_cycle - event.start_cycle
        events.append({
            "ph": "X", "pid": PID, "tid": ids[event.track],
            "name": event.layer, "cat": event.cause,
            "ts": event.start_cycle * us_per_cycle, "dur": cycles * us_per_cycle,
            "args": {"track": event.track, "layer": event.layer, "cause": event.cause,
                     "start_cycle": event.start_cycle, "end_cycle": event.end_cycle},
        })
    return events


def trace_json(result: RunResult) -> str:
    """The whole trace document as JSON text (deterministic)."""
    doc = {
        "traceEvents": trace_events(result),
        "displayTimeUnit": "ns",
        "otherData": {"arch": result.arch, "workload": result.workload, "batch": result.batch,
                      "precision": result.precision, "clock_mhz": result.clock_mhz,
                      "time_unit": "microseconds"},
    }
    return json.dumps(doc, separators=(",", ":"), allow_nan=False)


def write_trace(result: RunResult, path: str | Path) -> None:
    """Write ``result``'s timeline as a Chrome trace-event JSON file (atomically)."""
    write_atomic(path, trace_json(result) + "\n")
