from accelsim.engine.attribution import attribute
from accelsim.report.results import CAUSES
from accelsim.report.results import TimelineEvent as E


def test_priority_and_idle_sum_exactly():
    events = [E("matrix", "a", "compute", 10, 20), E("vector", "a", "vector", 15, 30), E("dram", "b", "weight_load_stall", 0, 12)]
    out = attribute(events, 0, 40)
    assert out["weight_load_stall"] == 10  # 0..10
    assert out["compute"] == 10            # 10..20 beats the stall and the vector work
    assert out["vector"] == 10             # 20..30
    assert out["idle"] == 10               # 30..40
    assert sum(out.values()) == 40 and set(out) == set(CAUSES)


def test_window_clips_events():
    out = attribute([E("matrix", "a", "compute", 0, 100)], 50, 60)
    assert out["compute"] == 10 and sum(out.values()) == 10
