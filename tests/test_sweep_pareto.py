"""Pareto fronts on hand-made points (and against a brute-force reference), feasibility filtering
through the stored-table path, and the deterministic front plot."""
from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from accelsim.sweep.metrics import (
    Constraint,
    Objective,
    parse_constraint_text,
    parse_objective_text,
)
from accelsim.sweep.pareto import dominates, pareto_front
from accelsim.sweep.store import StoredPoint, StoredSweep
from accelsim.sweep.table import build_table, front_of

MIN2 = (Objective("seconds", "min"), Objective("energy_j", "min"))


def test_hand_made_front_two_minimised_objectives():
    points = [
        (1.0, 9.0),  # 0 front: fastest
        (2.0, 5.0),  # 1 front
        (3.0, 5.0),  # 2 dominated by 1 (slower, same energy)
        (4.0, 2.0),  # 3 front
        (5.0, 3.0),  # 4 dominated by 3
        (6.0, 1.0),  # 5 front: least energy
        (2.5, 6.0),  # 6 dominated by 1
        (4.0, 2.0),  # 7 equal to 3: neither dominates, both kept
    ]
    assert pareto_front(points, MIN2) == [0, 1, 3, 5, 7]


def test_hand_made_front_with_a_maximised_objective():
    objectives = (Objective("tops", "max"), Objective("area_mm2", "min"))
    points = [(10.0, 100.0), (20.0, 100.0), (20.0, 150.0), (5.0, 40.0), (30.0, 300.0), (4.0, 50.0)]
    # (20,100) beats (10,100) and (20,150); (4,50) loses to (5,40)
    assert pareto_front(points, objectives) == [1, 3, 4]


def test_three_objectives_and_single_objective():
    three = MIN2 + (Objective("area_mm2", "min"),)
    points = [(1, 1, 9), (1, 1, 8), (2, 2, 1), (3, 3, 1), (0.5, 5, 5)]
    assert pareto_front(points, three) == [1, 2, 4]
    assert pareto_front([(3.0,), (1.0,), (2.0,), (1.0,)], (Objective("seconds", "min"),)) == [1, 3]
    assert pareto_front([], MIN2) == []


def test_non_finite_values_are_refused():
    with pytest.raises(ValueError, match="finite"):
        pareto_front([(1.0, float("nan"))], MIN2)


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 6), st.integers(0, 6), st.integers(0, 6)), max_size=40),
       st.lists(st.sampled_from(["min", "max"]), min_size=3, max_size=3))
def test_front_matches_brute_force(rows, senses):
    objectives = tuple(Objective(f"m{i}", s) for i, s in enumerate(senses))
    expected = [i for i, a in enumerate(rows)
                if not any(dominates(b, a, objectives) for j, b in enumerate(rows) if j != i)]
    assert pareto_front(rows, objectives) == expected


def _stored(index, seconds, energy, area, status="ok"):
    result = {"totals": {"seconds": seconds, "energy_j": energy}, "area_mm2": area} if status == "ok" else None
    return StoredPoint(index, f"k{index}", {"set.matrix_unit.rows": 2 ** index}, status, result,
                       None if status == "ok" else "boom", "code")


def test_front_of_a_stored_sweep_respects_constraints_and_skips_failed_points():
    sweep = StoredSweep("s", {"dimensions": [{"name": "set.matrix_unit.rows", "values": [1, 2]}],
                              "constraints": [{"metric": "area_mm2", "min": None, "max": 200.0}],
                              "objectives": [{"metric": "seconds", "sense": "min"},
                                             {"metric": "energy_j", "sense": "min"}]})
    points = [_stored(0, 1.0, 9.0, 100.0), _stored(1, 0.5, 1.0, 500.0),  # 1 is best but too big
              _stored(2, 2.0, 2.0, 150.0), _stored(3, 3.0, 3.0, 150.0), _stored(4, 0, 0, 0, status="error")]
    table = build_table(sweep, points)
    assert [row["feasible"] for row in table.rows] == [True, False, True, True, None]
    result = front_of(table, sweep.objectives)
    assert [row["index"] for row in result.front] == [0, 2]
    assert result.left_out == 1 and len(result.candidates) == 3
    loose = front_of(build_table(sweep, points, (Constraint("area_mm2", maximum=1000.0),)), sweep.objectives)
    assert [row["index"] for row in loose.front] == [1]


def test_cli_objective_and_constraint_syntax():
    assert parse_objective_text("energy_j:min") == Objective("energy_j", "min")
    assert parse_objective_text("tops:max") == Objective("tops", "max")
    assert parse_constraint_text("area_mm2<=300") == Constraint("area_mm2", maximum=300.0)
    assert parse_constraint_text("utilization >= 0.5") == Constraint("utilization", minimum=0.5)
    with pytest.raises(Exception, match="unknown metric 'latency'"):
        parse_objective_text("latency:min")
    with pytest.raises(Exception, match="METRIC:min or METRIC:max"):
        parse_objective_text("seconds:fast")


def test_front_plot_is_deterministic(tmp_path):
    pytest.importorskip("matplotlib")
    from accelsim.report.plots import figure_bytes
    from accelsim.sweep.plot import pareto_figure

    values = [(1.0, 9.0), (2.0, 5.0), (3.0, 5.0), (4.0, 2.0)]
    one = figure_bytes(pareto_figure(values, [0, 1, 3], MIN2, "t"), "svg")
    two = figure_bytes(pareto_figure(values, [0, 1, 3], MIN2, "t"), "svg")
    assert one == two and b"Pareto front (3 points" in one
    assert figure_bytes(pareto_figure(values, [0, 1, 3], MIN2, "t"), "png")[:8] == b"\x89PNG\r\n\x1a\n"
