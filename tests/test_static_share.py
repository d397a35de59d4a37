"""Static energy is charged to layers by their share of the run's cycles, so layers' energy adds up
to the total even where layers overlap or nothing runs."""
from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from accelsim.api import simulate
from accelsim.report.static_share import cycle_shares


def test_overlap_is_split_and_idle_cycles_go_to_the_next_layer():
    # idle 0-10 -> the first span; 10-20 alone; 20-30 shared by two; 30-40 alone; idle 40-45 -> the
    # span starting at 45; idle 50-60 (after every span) -> the last to finish
    spans = [(10, 30), (20, 40), (45, 50)]
    assert cycle_shares(spans, 60) == [10 + 10 + 5, 5 + 10, 5 + 5 + 10]
    assert cycle_shares([(0, 0), (0, 8)], 8) == [0, 8]
    assert cycle_shares([], 5) == []


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 50), st.integers(0, 50)), min_size=1, max_size=12), st.integers(0, 20))
def test_shares_add_up_to_the_run(raw, tail):
    spans = [(min(a, b), max(a, b)) for a, b in raw]
    total = max(end for _, end in spans) + tail
    shares = cycle_shares(spans, total)
    assert math.isclose(sum(shares), total, abs_tol=1e-9)
    assert all(share >= 0 for share in shares)


@pytest.mark.parametrize("arch, workload, mode", [("tpu_v3", "resnet18", "training"), ("nvdla_full", "resnet18", "inference"),
                                                  ("tpu_v1", "tpu_mlp0", "inference")])
def test_layers_energy_adds_up_to_the_total(arch, workload, mode):
    result = simulate(arch, workload, batch=2 if mode == "training" else None, mode=mode)
    assert math.isclose(sum(layer.energy_j for layer in result.layers), result.totals.energy_j, rel_tol=1e-9)
