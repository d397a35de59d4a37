"""Run a sweep: plan it, skip what the database already has, validate the rest up front, run the
points in chunks on an executor and commit each outcome as it comes back.

Only the parent process of a run writes the database, one transaction per point, so an
interrupted or killed sweep keeps every point that finished and nothing half-written; running it
again picks up where it stopped. A chunk lost with its worker (a crash, a killed process) is
retried point by point; a point that loses its worker twice is recorded as an error.

Nothing is written before every point to run has been validated: a sweep that stops on an invalid
point leaves no new database behind and an existing one as it was.

Runs started at the same time on one database split the points: a run claims each chunk's points
before it submits the chunk (store.py, ``claims``), skips points another live run has claimed,
keeps its claims alive while it runs (a ``ClaimKeeper`` thread extends them every
``CLAIM_LEASE_S / 3`` seconds, however long a chunk runs, in-process ones included) and releases
each claim with the point's row, and the rest when it stops. Once it has nothing of its own left,
it checks the points it skipped every ``CLAIM_POLL_S`` seconds until another run has finished each
or its claim has lapsed (then it runs the point itself), so every point is finished when it
returns. A failed point (error, invalid) is not run again, ``--retry-errors`` or not, when a run
still going stored it, or when another run stored it after this one looked: concurrent
``--retry-errors`` runs retry each failed point once.
"""
from __future__ import annotations

import math
import sys
import time
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, wait
from concurrent.futures.process import BrokenProcessPool
from contextlib import nullcontext
from dataclasses import dataclass, field

from ..jsonsafe import json_safe
from .executors import ExecutorChoice, ExecutorHandle
from .keys import canonical_json, code_sha256
from .points import Point, expand
from .prepare import PointTask, Prepared, invalid_points_error, prepare
from .spec import SweepSpec
from .store import (
    FAILED_STATUSES,
    FINISHED_STATUSES,
    ClaimKeeper,
    ClaimOwner,
    StoredState,
    SweepStore,
    stored_state,
)
from .worker import Outcome, run_chunk

MAX_ATTEMPTS = 2
MAX_CHUNK_POINTS = 32
CHUNKS_PER_WORKER_IN_FLIGHT = 2
CLAIM_LEASE_S = 60.0  # a claim not extended for this long is free for another run to take
CLAIM_POLL_S = 0.5  # how often points claimed by other runs are looked at again, once a run has none of its own


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
    ran: int  # simulated in this run (by this process's executor)
    by_others: int  # of those this run set out to do, finished meanwhile by another run on the database
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
        if self.ran:
            parts.append(f"ran {self.ran} on {self.executor} in {self.wall_s:.1f} s ({self.points_per_minute:,.0f} points/min)")
        else:
            parts.append(f"nothing to run ({self.wall_s:.1f} s)")
        if self.by_others:
            parts.append(f"{self.by_others} finished meanwhile by another run on this database")
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


def _needs_run(status: str | None, point_code: str | None, options: RunOptions, code: str) -> bool:
    """Whether a point stored with ``status`` (None: not stored) by ``point_code`` is to be run."""
    if status not in FINISHED_STATUSES:
        return True
    if status == "ok":
        return options.recompute_stale and point_code != code
    return options.retry_errors


def _select(points: tuple[Point, ...], known: StoredState, options: RunOptions,
            code: str) -> tuple[list[Point], int, int]:
    """(distinct points to run, distinct already done, stale count). A failed point that a live run
    stored is done: that run has just run (or retried) it."""
    todo, done, stale, seen = [], 0, 0, set()
    for point in points:
        if point.key in seen:
            continue
        seen.add(point.key)
        status, point_code = known.statuses.get(point.key, (None, None))
        by_live_run = status in FAILED_STATUSES and known.writers.get(point.key) in known.live_runs
        if _needs_run(status, point_code, options, code) and not by_live_run:
            todo.append(point)
        else:
            done += 1
            stale += int(status == "ok" and point_code != code)
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
    known = stored_state(db_path, config_of)
    todo, done, stale = _select(points, known, options, code)
    written_by = {point.key: known.writers.get(point.key) for point in todo}  # who wrote what it looked at
    executed = _Executed()
    validate_s = run_s = 0.0
    with ExecutorHandle(options.executor) if todo else nullcontext() as handle:  # workers start while points are validated
        t0 = time.perf_counter()
        prepared = prepare(spec, todo, options.memoize) if todo else Prepared((), (), ())
        if prepared.invalid and not options.skip_invalid:
            raise invalid_points_error(prepared.invalid, len(todo))
        validate_s = time.perf_counter() - t0
        with SweepStore(db_path) as store:  # the first write: every point to run is valid
            store.record_plan(spec, points)
            if todo:
                t1 = time.perf_counter()
                executed = _execute(_work_of(prepared, code), handle, store, config_of, options, spec.name,
                                    lambda status, point_code: not _needs_run(status, point_code, options, code),
                                    written_by)
                run_s = time.perf_counter() - t1
    return SweepSummary(
        name=spec.name, db_path=str(db_path), executor=options.executor.describe(), points=len(points),
        distinct=len(config_of), already_done=done, ran=executed.ran, by_others=executed.by_others,
        ok=executed.counts.get("ok", 0), errors=executed.counts.get("error", 0),
        invalid=executed.counts.get("invalid", 0), pruned=executed.counts.get("pruned", 0), stale=stale,
        validate_s=validate_s, run_s=run_s, wall_s=time.perf_counter() - started)


def _work_of(prepared: Prepared, code: str) -> list[PointTask | Outcome]:
    """What this run has to do, in order: outcomes known without running (invalid points, points
    outside the pre-run constraints) to write, then points to run."""
    work: list[PointTask | Outcome] = [Outcome(item.point.key, "invalid", None, str(item.error), code)
                                       for item in prepared.invalid]
    for point, area, parts in prepared.pruned:
        result = canonical_json(json_safe({"area_mm2": area, "area_mm2_by_part": parts}))
        work.append(Outcome(point.key, "pruned", result, "outside the pre-run constraints", code))
    return work + list(prepared.tasks)


@dataclass(frozen=True)
class _Executed:
    """What ``_execute`` did: outcomes this run wrote by status, points it simulated, and points
    another run finished first."""

    counts: dict[str, int] = field(default_factory=dict)
    ran: int = 0
    by_others: int = 0


def _execute(work: list[PointTask | Outcome], handle: ExecutorHandle, store: SweepStore, config_of: dict,
             options: RunOptions, name: str, is_finished: Callable[[str, str | None], bool],
             written_by: dict[str, str | None]) -> _Executed:
    """Claim the points of ``work`` chunk by chunk, submit the claimed ones (a bounded number of
    chunks in flight) and commit outcomes as they arrive; then wait for the points other runs had
    claimed, and run those whose claims lapse. ``is_finished(status, code_sha256)``: whether a
    stored row needs no run; ``written_by``: the writer of each point's row when the run looked
    (``SweepStore.claim``). A ``ClaimKeeper`` thread keeps this run's claims live throughout;
    every claim of this run is released on the way out."""
    tasks = [item for item in work if isinstance(item, PointTask)]
    size = _chunk_points(len(tasks), handle.parallelism, options.chunk_points)
    owner = ClaimOwner.this_process()
    unclaimed = list(reversed(work))  # pop() from the end keeps sweep order
    set_aside: list[PointTask | Outcome] = []  # claimed by other runs when this one tried
    retry: list[list[PointTask]] = []  # claimed chunks whose worker was lost, to submit again
    attempts: dict[str, int] = {}
    counts: dict[str, int] = {}
    ran = by_others = 0
    in_flight: dict = {}
    progress = _Progress(len(tasks), name, options.progress)
    keeper = ClaimKeeper(store.path, owner, CLAIM_LEASE_S)
    poll_at = time.monotonic()

    def record(outcome: Outcome) -> None:
        store.put(outcome.key, config_of[outcome.key], outcome.status, outcome.result_json, outcome.error,
                  outcome.code_sha256, release=owner)
        counts[outcome.status] = counts.get(outcome.status, 0) + 1

    def claim_chunk() -> list[PointTask]:
        """Claim the next ``size`` items of ``unclaimed``: write the outcomes known already, set aside
        what others hold, and return the tasks to run (maybe none)."""
        nonlocal by_others
        batch = [unclaimed.pop() for _ in range(min(size, len(unclaimed)))]
        result = store.claim([item.key for item in batch], owner, CLAIM_LEASE_S, is_finished, written_by)
        claimed, held, finished = set(result.claimed), set(result.held), set(result.finished)
        by_others += len(finished)
        progress.update(sum(isinstance(item, PointTask) for item in batch if item.key in finished),
                        counts.get("error", 0))
        set_aside.extend(item for item in batch if item.key in held)
        for item in batch:
            if isinstance(item, Outcome) and item.key in claimed:
                record(item)
        return [item for item in batch if isinstance(item, PointTask) and item.key in claimed]

    try:
        store.register_run(owner, CLAIM_LEASE_S)
        keeper.start()  # from here on this run's claims are extended from another thread
        while unclaimed or set_aside or retry or in_flight:
            now = time.monotonic()
            if set_aside and not unclaimed and now >= poll_at:  # nothing of its own left: look at the others' again
                unclaimed, set_aside = list(reversed(set_aside)), []
                poll_at = now + CLAIM_POLL_S
            limit = handle.parallelism * CHUNKS_PER_WORKER_IN_FLIGHT
            while (retry or unclaimed) and len(in_flight) < limit:
                chunk = retry.pop() if retry else claim_chunk()
                if chunk:
                    in_flight[handle.executor.submit(run_chunk, chunk)] = chunk  # in-process: runs it now
            if not in_flight:
                if set_aside:  # only points other runs hold are left: look at them again at poll_at
                    time.sleep(max(0.0, poll_at - time.monotonic()))
                continue
            timeout = max(0.0, poll_at - time.monotonic()) if set_aside and not unclaimed else None
            finished, _ = wait(list(in_flight), timeout=timeout, return_when=FIRST_COMPLETED)
            broken = False
            for future in finished:
                chunk = in_flight.pop(future)
                # worker.run_point returns every error of a point (AccelsimError or any other exception)
                # as an "error" outcome, so what result() raises is the worker or the cluster failing
                # (BrokenProcessPool, Dask's KilledWorker or lost connection), not the point itself
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
                            ran += 1
                            progress.update(1, counts.get("error", 0))
                        else:
                            retry.append([task])
                    continue
                for outcome in outcomes:
                    record(outcome)
                ran += len(outcomes)
                progress.update(len(outcomes), counts.get("error", 0))
            if broken:
                for future, chunk in list(in_flight.items()):  # the whole pool went down with it
                    retry.extend([task] for task in chunk)
                in_flight.clear()
                handle.restart()
    finally:
        keeper.stop()  # before the release, so no extension follows it
        progress.close()
        store.release_claims(owner)
    return _Executed(counts, ran, by_others)
