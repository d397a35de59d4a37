"""A finished sweep as rows: one per point, with its parameters, headline metrics and feasibility.

Shared by ``sweep export`` and ``sweep pareto``. Columns: ``index``, ``key``, ``status``, one
column per sweep dimension (``set.matrix_unit.rows`` ...), the metrics in :data:`METRIC_COLUMNS`
(units in the names), ``feasible`` (every constraint of the sweep holds) and ``error``.
"""
from __future__ import annotations

from dataclasses import dataclass

from .metrics import AREA_METRIC, TOTALS_METRICS, Constraint, feasible, metric_value
from .store import StoredPoint, StoredSweep

METRIC_COLUMNS = TOTALS_METRICS + (AREA_METRIC,)


@dataclass(frozen=True)
class SweepTable:
    sweep: StoredSweep
    columns: tuple[str, ...]
    rows: tuple[dict, ...]
    points: tuple[StoredPoint, ...]


def build_table(sweep: StoredSweep, points: list[StoredPoint],
                constraints: tuple[Constraint, ...] | None = None) -> SweepTable:
    """Rows of ``points``; ``constraints`` default to the sweep's own."""
    constraints = sweep.constraints if constraints is None else constraints
    dims = [d["name"] for d in sweep.spec.get("dimensions", ())]
    columns = ("index", "key", "status", *dims, *METRIC_COLUMNS, "feasible", "error")
    rows = []
    for point in points:
        row = {"index": point.index, "key": point.key, "status": point.status}
        for dim in dims:
            row[dim] = point.params.get(dim)
        for metric in METRIC_COLUMNS:
            row[metric] = metric_value(point.result, metric) if point.result else None
        row["feasible"] = feasible(point.result, constraints) if point.status == "ok" else None
        row["error"] = point.error
        rows.append(row)
    return SweepTable(sweep, columns, tuple(rows), tuple(points))


@dataclass(frozen=True)
class FrontResult:
    """Rows that were candidates (ok, feasible, every objective known), the front among them,
    and how many ok points were left out (infeasible, or an objective missing)."""

    candidates: tuple[dict, ...]
    front: tuple[dict, ...]
    left_out: int


def front_of(table: SweepTable, objectives) -> FrontResult:
    """The Pareto front of ``table``'s feasible points under ``objectives``."""
    from .pareto import pareto_front

    candidates, values, left_out = [], [], 0
    for row, point in zip(table.rows, table.points, strict=True):
        if point.status != "ok":
            continue
        objective_values = [metric_value(point.result, o.metric) for o in objectives]
        if not row["feasible"] or any(v is None for v in objective_values):
            left_out += 1
            continue
        candidates.append({**row, **{o.metric: v for o, v in zip(objectives, objective_values, strict=True)}})
        values.append(objective_values)
    front = [candidates[i] for i in pareto_front(values, objectives)] if candidates else []
    return FrontResult(tuple(candidates), tuple(front), left_out)
