"""Named numbers of a finished point (its stored result dict) and the constraints on them.

A point's result dict holds ``totals`` (the JSON report's totals), ``area_mm2`` with
``area_mm2_by_part`` and ``arch_summary``. Metric names are the totals' own field names
(``seconds``, ``energy_j``, ...), ``area_mm2``, or a dotted path into one of the nested sections
(``cycles_by_cause.compute``, ``energy_j_by_component.dram``, ``area_mm2_by_part.sram``,
``arch_summary.peak_tops``).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

from ..errors import Location, SpecError, did_you_mean

#: Scalar fields of the report's ``totals`` section (units in the names; see README.md).
TOTALS_METRICS = ("cycles", "seconds", "macs", "flops", "tops", "utilization", "energy_j", "dram_bytes",
                  "tops_per_w", "pj_per_mac")
AREA_METRIC = "area_mm2"
#: Metrics known before a point runs (from its arch alone): constraints on them prune points early.
PRE_RUN_METRICS = (AREA_METRIC,)
#: Dotted prefixes -> the section of the result dict they index.
_NESTED = {"cycles_by_cause": ("totals", "cycles_by_cause"),
           "energy_j_by_component": ("totals", "energy_j_by_component"),
           "area_mm2_by_part": ("area_mm2_by_part",), "arch_summary": ("arch_summary",)}
SENSES = ("min", "max")


def known_metric_names() -> tuple[str, ...]:
    return TOTALS_METRICS + (AREA_METRIC,) + tuple(f"{p}.<name>" for p in _NESTED)


def check_metric_name(name: str, where: Location | None, field: str) -> None:
    """Raise SpecError unless ``name`` is a metric a point's result can have."""
    if not isinstance(name, str) or not name:
        raise SpecError(f"expected a metric name, got {name!r}", where, field)
    if name in TOTALS_METRICS or name == AREA_METRIC:
        return
    prefix, _, rest = name.partition(".")
    if prefix in _NESTED and rest:
        return
    choices = TOTALS_METRICS + (AREA_METRIC,) + tuple(_NESTED)
    raise SpecError(f"unknown metric '{name}'{did_you_mean(name, choices)}; known: "
                    f"{', '.join(known_metric_names())}", where, field)


def metric_value(result: dict, name: str) -> float | None:
    """The value of metric ``name`` in a stored result dict, or None if it has none (or not finite)."""
    if name in TOTALS_METRICS:
        value = result.get("totals", {}).get(name)
    elif name == AREA_METRIC:
        value = result.get(AREA_METRIC)
    else:
        prefix, _, rest = name.partition(".")
        node = result
        for key in _NESTED.get(prefix, ("<none>",)):
            node = node.get(key, {}) if isinstance(node, dict) else {}
        value = node.get(rest) if isinstance(node, dict) else None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return value if math.isfinite(value) else None


@dataclass(frozen=True)
class Constraint:
    """``minimum <= metric <= maximum`` (either bound may be absent)."""

    metric: str
    minimum: float | None = None
    maximum: float | None = None

    @property
    def pre_run(self) -> bool:
        """True when the metric is known before the point runs (area), so the point can be skipped."""
        return self.metric in PRE_RUN_METRICS

    def allows(self, value: float | None) -> bool:
        """Whether ``value`` satisfies the bounds (a missing value never does)."""
        if value is None:
            return False
        if self.minimum is not None and value < self.minimum:
            return False
        return not (self.maximum is not None and value > self.maximum)

    def describe(self) -> str:
        if self.minimum is not None and self.maximum is not None:
            return f"{self.minimum:g} <= {self.metric} <= {self.maximum:g}"
        if self.minimum is not None:
            return f"{self.metric} >= {self.minimum:g}"
        return f"{self.metric} <= {self.maximum:g}"


@dataclass(frozen=True)
class Objective:
    """Minimise or maximise one metric."""

    metric: str
    sense: str  # "min" or "max"

    def describe(self) -> str:
        return f"{self.metric}:{self.sense}"


def feasible(result: dict, constraints: tuple[Constraint, ...]) -> bool:
    """Whether a result satisfies every constraint."""
    return all(c.allows(metric_value(result, c.metric)) for c in constraints)


def parse_objective_text(text: str) -> Objective:
    """``"seconds:min"`` -> Objective (the CLI's ``--objective``)."""
    metric, sep, sense = text.rpartition(":")
    if not sep:
        metric, sense = text, "min"
    sense = sense.strip().lower()
    if sense not in SENSES:
        raise SpecError(f"expected METRIC:min or METRIC:max, got {text!r}", field="--objective")
    check_metric_name(metric.strip(), None, "--objective")
    return Objective(metric.strip(), sense)


def parse_constraint_text(text: str) -> Constraint:
    """``"area_mm2<=300"`` or ``"utilization>=0.5"`` -> Constraint (the CLI's ``--constraint``)."""
    for op in ("<=", ">="):
        if op in text:
            metric, raw = (part.strip() for part in text.split(op, 1))
            try:
                bound = float(raw)
            except ValueError:
                raise SpecError(f"expected a number after '{op}', got {raw!r}", field="--constraint") from None
            check_metric_name(metric, None, "--constraint")
            return Constraint(metric, minimum=bound) if op == ">=" else Constraint(metric, maximum=bound)
    raise SpecError(f"expected METRIC<=NUMBER or METRIC>=NUMBER, got {text!r}", field="--constraint")
