"""Pareto front: the points no other point beats in every objective.

A point dominates another when it is at least as good in every objective and strictly better in
one. Sorting the points lexicographically (every objective turned into "smaller is better") means a
point can only be dominated by one before it, so one pass that keeps each point not dominated by
the front so far finds the front exactly: O(points x front size). Points equal in every objective
do not dominate each other, so all of them stay on the front.
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .metrics import Objective


def dominates(a: Sequence[float], b: Sequence[float], objectives: Sequence[Objective]) -> bool:
    """Whether values ``a`` dominate values ``b`` under ``objectives`` (reference definition)."""
    better = False
    for x, y, objective in zip(a, b, objectives, strict=True):
        if objective.sense == "max":
            x, y = -x, -y
        if x > y:
            return False
        better = better or x < y
    return better


def pareto_front(values: Sequence[Sequence[float]], objectives: Sequence[Objective]) -> list[int]:
    """Positions (into ``values``) of the non-dominated rows, in ascending order.

    ``values[i][j]`` is row i's value of ``objectives[j]``; every value must be a finite number.
    """
    if not objectives:
        raise ValueError("a Pareto front needs at least one objective")
    if len(values) == 0:
        return []
    costs = np.asarray(values, dtype=float).reshape(len(values), len(objectives)).copy()
    if not np.isfinite(costs).all():
        raise ValueError("Pareto values must be finite numbers")
    for j, objective in enumerate(objectives):
        if objective.sense == "max":
            costs[:, j] = -costs[:, j]
    order = np.lexsort(costs.T[::-1])  # first objective is the primary sort key
    front_costs = np.empty_like(costs)
    front: list[int] = []
    for i in order:
        row = costs[i]
        if front:
            kept = front_costs[:len(front)]
            no_worse = (kept <= row).all(axis=1)
            better = (kept < row).any(axis=1)
            if (no_worse & better).any():
                continue
        front_costs[len(front)] = row
        front.append(int(i))
    return sorted(front)
