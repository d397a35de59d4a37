"""Run a sweep: plan it, skip what the database already has, validate the rest up front, run the
points in chunks on an executor and commit each outcome as it comes back.

Only this (parent) process writes the database, one transaction per point, so an interrupted or
killed sweep keeps every point that finished and nothing half-written; running it again picks up
where it stopped. A chunk lost with its worker (a crash, a killed process) is retried point by
point; a point that loses its worker twice is recorded as an error.

Nothing is written before every point to run has been validated: a sweep that stops on an invalid
point leaves no new database behind and an existing one as it was.
"""
from __future__ import annotations

import math
import sys
import time
from concurrent.futures import FIRST_COMPLETED, wait
from concurrent.futures.process import BrokenProcessPool
from contextlib import nullcontext
from dataclasses import dataclass, field

from .executors import ExecutorChoice, ExecutorHandle
from .keys import canonical_json, code_sha256, json_safe
from .points import Point, expand
from .prepare import PointTask, Prepared, invalid_points_error, prepare
from .spec import SweepSpec
from .store import FINISHED_STATUSES, SweepStore, stored_statuses
from .worker import Outcome, run_chunk

MAX_ATTEMPTS = 2
MAX_CHUNK_POINTS = 32
CHUNKS_PER_WORKER_IN_FLIGHT = 2


@dataclass(frozen=True)
class RunOptions:
    """How to run a sweep. ``progress``: True, False or None (a bar only when stderr is a terminal)."""

    executor: ExecutorChoice = field(default_factory=ExecutorChoice)
    chunk_points: int | None = None  # points per executor call (default: sized to the sweep)
    retry_errors: bool = False  # run points recorded as error/invalid again
    recompute_stale: bool = False  # run points computed by different accelsim code again
    skip_invalid: bool = False  # record invalid points and run the rest instead of stopping
    memoize: bool = True  # per-process memo of parsed inputs (off: for measuring its effect)
    progress: bool | None = None


@dataclass(frozen=True)
class SweepSummary:
    """What one run of a sweep did. Times in seconds."""

    name: str
    db_path: str
    executor: str
    points: int  # points in the sweep
    distinct: int  # distinct configurations among them
    already_done: int  # distinct configurations the database already had
    ran: int  # simulated in this run
    ok: int
    errors: int
    invalid: int
    pruned: int
    stale: int  # finished points computed by other accelsim code (kept unless recompute_stale)
    validate_s: float
    run_s: float
    wall_s: float

    @property
    def points_per_minute(self) -> float:
        """Points simulated per minute of this run's wall time (start-up and validation included)."""
        return self.ran / self.wall_s * 60.0 if self.wall_s > 0 else 0.0

    def describe(self) -> str:
        parts = [f"sweep {self.name}: {self.points} points ({self.distinct} distinct)"]
        parts.append(f"{self.already_done} already in the database" if self.already_done else "none in the database yet")
        parts.append(f"ran {self.ran} on {self.executor} in {self.wall_s:.1f} s ({self.points_per_minute:,.0f} points/min)")
        parts.append(f"{self.ok} ok, {self.errors} failed, {self.invalid} invalid, {self.pruned} outside pre-run constraints")
        text = "; ".join(parts) + f"\ndatabase: {self.db_path}"
        if self.stale:
            text += (f"\nnote: {self.stale} finished points were computed by a different accelsim build; "
                     "--recompute-stale runs them again")
        return text


def _chunk_points(pending: int, parallelism: int, requested: int | None) -> int:
    if requested:
        return requested
    return max(1, min(MAX_CHUNK_POINTS, math.ceil(pending / (parallelism * 8))))


def _select(points: tuple[Point, ...], known: dict[str, tuple[str, str | None]], options: RunOptions,
            code: str) -> tuple[list[Point], int, int]:
    """(distinct points to run, distinct already done, stale count)."""
    todo, done, stale, seen = [], 0, 0, set()
    for point in points:
        if point.key in seen:
            continue
        seen.add(point.key)
        status, point_code = known.get(point.key, (None, None))
        if status in FINISHED_STATUSES:
            is_stale = status == "ok" and point_code != code
            if (options.retry_errors and status != "ok") or (options.recompute_stale and is_stale):
                todo.append(point)
                continue
            done += 1
            stale += int(is_stale)
            continue
        todo.append(point)
    return todo, done, stale


class _Progress:
    """A tqdm bar (rate and ETA) when wanted; silent otherwise."""

    def __init__(self, total: int, name: str, enabled: bool | None):
        self._bar = None
        if enabled is None:
            enabled = sys.stderr.isatty()
        if enabled and total:
            try:
                from tqdm import tqdm
            except ImportError:  # the bar is a convenience: run without it
                return
            self._bar = tqdm(total=total, desc=name, unit="pt", file=sys.stderr, dynamic_ncols=True, smoothing=0.1)

    def update(self, n: int, errors: int) -> None:
        if self._bar is not None:
            self._bar.update(n)
            if errors:
                self._bar.set_postfix(failed=errors, refresh=False)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()


def run_sweep(spec: SweepSpec, db_path: str, options: RunOptions = RunOptions()) -> SweepSummary:
    """Run every point of ``spec`` not already in the database at ``db_path``; see the module doc."""
    started = time.perf_counter()
    points = expand(spec)
    config_of = {p.key: p.config for p in points}
    code = code_sha256()
    counts: dict[str, int] = {}
    todo, done, stale = _select(points, stored_statuses(db_path, config_of), options, code)
    validate_s = run_s = 0.0
    with ExecutorHandle(options.executor) if todo else nullcontext() as handle:  # workers start while points are validated
        t0 = time.perf_counter()
        prepared = prepare(spec, todo, options.memoize) if todo else Prepared((), (), ())
        if prepared.invalid and not options.skip_invalid:
            raise invalid_points_error(prepared.invalid, len(todo))
        with SweepStore(db_path) as store:  # the first write: every point to run is valid
            store.record_plan(spec, points)
            for item in prepared.invalid:
                store.put(item.point.key, item.point.config, "invalid", None, str(item.error), code)
            for point, area, parts in prepared.pruned:
                result = canonical_json(json_safe({"area_mm2": area, "area_mm2_by_part": parts}))
                store.put(point.key, point.config, "pruned", result, "outside the pre-run constraints", code)
            validate_s = time.perf_counter() - t0
            t1 = time.perf_counter()
            if prepared.tasks:
                counts = _execute(prepared.tasks, handle, store, config_of, options, spec.name)
            run_s = time.perf_counter() - t1
    ran, invalid, pruned = len(prepared.tasks), len(prepared.invalid), len(prepared.pruned)
    return SweepSummary(
        name=spec.name, db_path=str(db_path), executor=options.executor.describe(), points=len(points),
        distinct=len(config_of), already_done=done, ran=ran, ok=counts.get("ok", 0), errors=counts.get("error", 0),
        invalid=invalid, pruned=pruned, stale=stale, validate_s=validate_s, run_s=run_s,
        wall_s=time.perf_counter() - started)


def _execute(tasks: tuple[PointTask, ...], handle: ExecutorHandle, store: SweepStore, config_of: dict,
             options: RunOptions, name: str) -> dict[str, int]:
    """Submit ``tasks`` in chunks (a bounded number in flight), commit outcomes as they arrive."""
    size = _chunk_points(len(tasks), handle.parallelism, options.chunk_points)
    queue: list[list[PointTask]] = [list(tasks[i:i + size]) for i in range(0, len(tasks), size)]
    queue.reverse()  # pop() from the end keeps sweep order
    attempts: dict[str, int] = {}
    counts = {"ok": 0, "error": 0}
    in_flight: dict = {}
    progress = _Progress(len(tasks), name, options.progress)

    def record(outcome: Outcome) -> None:
        store.put(outcome.key, config_of[outcome.key], outcome.status, outcome.result_json, outcome.error,
                  outcome.code_sha256)
        counts[outcome.status] = counts.get(outcome.status, 0) + 1

    try:
        while queue or in_flight:
            limit = handle.parallelism * CHUNKS_PER_WORKER_IN_FLIGHT
            while queue and len(in_flight) < limit:
                chunk = queue.pop()
                in_flight[handle.executor.submit(run_chunk, chunk)] = chunk
            finished, _ = wait(list(in_flight), return_when=FIRST_COMPLETED)
            broken = False
            for future in finished:
                chunk = in_flight.pop(future)
                try:
                    outcomes = future.result()
                except Exception as exc:  # noqa: BLE001 - a lost worker or cluster: retry point by point
                    broken = broken or isinstance(exc, BrokenProcessPool)
                    for task in chunk:
                        attempts[task.key] = attempts.get(task.key, 0) + 1
                        if attempts[task.key] >= MAX_ATTEMPTS:
                            record(Outcome(task.key, "error", None,
                                           f"worker lost while running this point ({type(exc).__name__}: {exc})",
                                           code_sha256()))
                            progress.update(1, counts["error"])
                        else:
                            queue.append([task])
                    continue
                for outcome in outcomes:
                    record(outcome)
                progress.update(len(outcomes), counts["error"])
            if broken:
                for future, chunk in list(in_flight.items()):  # the whole pool went down with it
                    queue.extend([task] for task in chunk)
                in_flight.clear()
                handle.restart()
    finally:
        progress.close()
    return counts
