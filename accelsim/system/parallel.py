"""Parallel layouts (data, tensor, pipeline) and the pipeline schedules (GPipe, 1F1B).

A layout ``dp x tp x pp`` uses ``dp*tp*pp`` chips: ``pp`` pipeline stages of contiguous layers,
each stage split ``tp`` ways (tensor/model parallel), the whole pipeline replicated ``dp`` times
(data parallel). A step runs ``microbatches`` micro-batches through the pipeline.
"""
from __future__ import annotations

from dataclasses import dataclass

from ..errors import AccelsimError, did_you_mean

SCHEDULES = ("gpipe", "1f1b")


@dataclass(frozen=True)
class ParallelConfig:
    """``dp``, ``tp``, ``pp`` ways of data, tensor and pipeline parallelism; ``microbatches`` per
    step; pipeline ``schedule`` ``gpipe`` or ``1f1b``."""

    dp: int = 1
    tp: int = 1
    pp: int = 1
    microbatches: int = 1
    schedule: str = "1f1b"

    @property
    def chips(self) -> int:
        """Chips the layout occupies."""
        return self.dp * self.tp * self.pp

    @property
    def label(self) -> str:
        """``dp=8,tp=2,pp=4,mb=8,schedule=1f1b`` (only the parts that are not 1/default)."""
        parts = [f"dp={self.dp}"]
        if self.tp > 1:
            parts.append(f"tp={self.tp}")
        if self.pp > 1:
            parts += [f"pp={self.pp}", f"mb={self.microbatches}", f"schedule={self.schedule}"]
        elif self.microbatches > 1:
            parts.append(f"mb={self.microbatches}")
        return ",".join(parts)


def parse_parallel(text: str) -> ParallelConfig:
    """Parse ``dp=1024`` or ``dp=8,tp=2,pp=4,mb=16,schedule=gpipe``."""
    keys = ("dp", "tp", "pp", "mb", "schedule")
    values: dict = {}
    for part in str(text).split(","):
        key, sep, value = part.strip().partition("=")
        if not sep:
            raise AccelsimError(f"expected KEY=VALUE in '{part}', e.g. dp=1024", field="--parallel")
        if key not in keys:
            raise AccelsimError(f"unknown parallelism '{key}'{did_you_mean(key, keys)}; "
                                f"known: {', '.join(keys)}", field="--parallel")
        if key in values:
            raise AccelsimError(f"'{key}' given twice", field="--parallel")
        if key == "schedule":
            if value not in SCHEDULES:
                raise AccelsimError(f"unknown schedule '{value}'{did_you_mean(value, SCHEDULES)};"
                                    f" known: {', '.join(SCHEDULES)}", field="--parallel")
            values[key] = value
            continue
        if not value.isdigit() or not 1 <= int(value) <= 1_000_000:
            raise AccelsimError(f"{key} must be a positive integer, got '{value}'",
                                field="--parallel")
        values[key] = int(value)
    return ParallelConfig(dp=values.get("dp", 1), tp=values.get("tp", 1), pp=values.get("pp", 1),
                          microbatches=values.get("mb", 1),
                          schedule=values.get("schedule", "1f1b"))


@dataclass(frozen=True)
class PipelineRun:
    """Outcome of a pipeline schedule: makespan and, per stage, busy seconds and the time its
    last backward finished (when its gradients are complete)."""

    makespan_seconds: float
    busy_seconds: tuple[float, ...]
    last_backward_end_seconds: tuple[float, ...]

    @property
    def bubble_fraction(self) -> float:
        """Idle share of the busiest stage's step: 1 - busy / makespan."""
        return 1 - max(self.busy_seconds) / self.makespan_seconds if self.makespan_seconds else 0.0


def stage_order(schedule: str, stage: int, stages: int, microbatches: int) -> list[tuple[str, int]]:
    """Operations ('F' or 'B', micro-batch) one stage runs, in order."""
    m = microbatches
    if schedule == "gpipe":
        return [("F", i) for i in range(m)] + [("B", i) for i in range(m)]
    if schedule != "1f1b":
        raise AccelsimError(f"unknown pipeline schedule '{schedule}'")
    warmup = min(stages - stage - 1, m)
    order = [("F", i) for i in range(warmup)]
    next_f, next_b = warmup, 0
    while next_b < m:
        if next_f < m:
            order.append(("F", next_f))
            next_f += 1
        order.append(("B", next_b))
        next_b += 1
    return order


def run_pipeline(schedule: str, forward_seconds: list[float], backward_seconds: list[float],
                 microbatches: int, transfer_seconds: float = 0.0) -> PipelineRun:
    """Time a pipeline: stage s takes ``forward_seconds[s]`` / ``backward_seconds[s]`` per
    micro-batch; activations and their gradients take ``transfer_seconds`` between stages.

    F(s, i) needs F(s-1, i); B(s, i) needs B(s+1, i) and F(s, i); each stage runs its operations in
    :func:`stage_order`. Returns the makespan and per-stage busy time.
    """
    stages, m = len(forward_seconds), microbatches
    orders = [stage_order(schedule, s, stages, m) for s in range(stages)]
    done: dict = {}
    position = [0] * stages
    clock = [0.0] * stages
    remaining = sum(len(o) for o in orders)
    while remaining:
        progressed = False
        for s in range(stages):
            while position[s] < len(orders[s]):
                kind, i = orders[s][position[s]]
                if kind == "F":
                    deps = [] if s == 0 else [("F", s - 1, i)]
                    duration = forward_seconds[s]
                else:
                    deps = [("F", s, i)] + ([] if s == stages - 1 else [("B", s + 1, i)])
                    duration = backward_seconds[s]
                if any(d not in done for d in deps):
                    break
                ready = max([clock[s]] + [done[d] + (transfer_seconds if d[1] != s else 0.0)
                                          for d in deps])
                clock[s] = ready + duration
                done[(kind, s, i)] = clock[s]
                position[s] += 1
                remaining -= 1
                progressed = True
        if not progressed:  # pragma: no cover - the schedules above cannot deadlock
            raise AccelsimError("pipeline schedule deadlocked")
    busy = tuple(m * (f + b) for f, b in zip(forward_seconds, backward_seconds))
    last_b = tuple(max(done[("B", s, i)] for i in range(m)) for s in range(stages))
    return PipelineRun(max(clock), busy, last_b)


def bubble_fraction_formula(stages: int, microbatches: int) -> float:
    """Idle share of a balanced pipeline: (p - 1) / (m + p - 1)."""
    return (stages - 1) / (microbatches + stages - 1)


def partition_layers(costs: list[float], stages: int) -> list[tuple[int, int]]:
    """Split layers (with per-layer ``costs``) into ``stages`` contiguous [start, end) ranges whose
    cost sums are as even as a greedy cut at each 1/stages quantile makes them."""
    n = len(costs)
    if stages > n:
        raise AccelsimError(f"cannot split {n} layers into {stages} pipeline stages")
    total = sum(costs)
    bounds, start, acc = [], 0, 0.0
    for s in range(stages - 1):
        target = total * (s + 1) / stages
        end = start + 1
        acc += costs[start]
        # keep at least one layer for every later stage
        while end < n - (stages - s - 1) and acc + costs[end] / 2 < target:
            acc += costs[end]
            end += 1
        bounds.append((start, end))
        start = end
    bounds.append((start, n))
    return bounds
