"""Chrome trace-event output: loads as JSON, one named thread per track, times in microseconds."""
from __future__ import annotations

import json

import pytest

from accelsim.report.results import LayerResult, RunResult, TimelineEvent, Totals
from accelsim.report.trace import trace_json, write_trace


def _result(clock_mhz=700.0):
    timeline = (
        TimelineEvent("dma_weights", "fc1", "weight_load_stall", 0, 700),
        TimelineEvent("matrix", "fc1", "compute", 700, 2100),
        TimelineEvent("vector", "relu1", "vector", 2100, 2170),
        TimelineEvent("dma_weights", "fc2", "weight_load_stall", 1400, 2800),
        TimelineEvent("matrix", "fc2", "compute", 2800, 3500),
        TimelineEvent("link0", "allreduce", "compute", 3500, 3507),
    )
    totals = Totals(3507, 5.01e-6, 100, 1.0, 0.4, 0.1, 1000, {"compute": 2100}, {})
    layers = tuple(LayerResult(n, "matmul", "matrix", 10, 0, 10, 5, 0.5, 0.0, 0, "compute", {}, 1.0)
                   for n in ("fc1", "relu1", "fc2"))
    return RunResult("toy", "mlp", 8, "int8", clock_mhz, totals, layers, timeline)


def test_trace_loads_and_every_event_has_track_start_and_duration(tmp_path):
    path = tmp_path / "out" / "run.trace.json"
    write_trace(_result(), path)
    doc = json.loads(path.read_text())
    events = doc["traceEvents"]
    names = {e["tid"]: e["args"]["name"] for e in events if e["ph"] == "M" and e["name"] == "thread_name"}
    # tracks numbered by first activity: dma (cycle 0), matrix (700), vector, link
    assert names == {1: "dma_weights", 2: "matrix", 3: "vector", 4: "link0"}
    work = [e for e in events if e["ph"] == "X"]
    assert len(work) == 6
    for e in work:
        assert names[e["tid"]] == e["args"]["track"]
        assert e["ts"] >= 0 and e["dur"] >= 0
        assert e["args"]["end_cycle"] - e["args"]["start_cycle"] == pytest.approx(e["dur"] * 700.0)
    fc1 = next(e for e in work if e["name"] == "fc1" and e["cat"] == "compute")
    assert fc1["ts"] == pytest.approx(1.0)     # cycle 700 at 700 MHz = 1 us
    assert fc1["dur"] == pytest.approx(2.0)    # 1400 cycles = 2 us
    assert [e["ts"] for e in work] == sorted(e["ts"] for e in work)


def test_trace_is_deterministic_and_independent_of_event_order():
    a = _result()
    shuffled = RunResult(a.arch, a.workload, a.batch, a.precision, a.clock_mhz, a.totals, a.layers,
                         tuple(reversed(a.timeline)))
    assert trace_json(a) == trace_json(shuffled)


def test_trace_refuses_a_zero_clock():
    with pytest.raises(ValueError):
        trace_json(_result(clock_mhz=0.0))
