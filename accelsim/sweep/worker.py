"""Run one point (or a chunk of points) where the executor puts it; return its outcome.

Workers never touch the database: they return :class:`Outcome` records and the parent process
commits each one. A point's result is canonical JSON, so the same point gives the same bytes in
any process, thread or machine running the same accelsim code.
"""
from __future__ import annotations

import os
import signal
import threading
import time
from dataclasses import dataclass

from ..errors import AccelsimError
from ..jsonsafe import json_safe
from .inputs import load_point_workload
from .keys import canonical_json, code_sha256
from .prepare import PointTask

PARENT_POLL_S = 0.5


@dataclass(frozen=True)
class Outcome:
    """What became of one point: status ``ok`` (``result_json`` set), ``error``, ``invalid`` or
    ``pruned`` (``error`` says why)."""

    key: str
    status: str
    result_json: str | None
    error: str | None
    code_sha256: str


def run_point(task: PointTask) -> Outcome:
    """Simulate one point. Errors are returned as outcomes, never raised."""
    from ..api import simulate
    from ..report.render import to_dict

    code = code_sha256()
    try:
        workload = load_point_workload(task.workload, task.workload_sha256, task.batch, task.settings, task.memoize)
        kwargs = {"sparsity": task.sparsity} if task.sparsity is not None else {}
        report = to_dict(simulate(task.arch, workload, precision=task.precision, **kwargs))
        record = {key: report.get(key) for key in ("arch", "workload", "batch", "precision", "clock_mhz", "totals",
                                                   "arch_summary")}
        record["area_mm2"] = task.area_mm2
        record["area_mm2_by_part"] = dict(task.area_mm2_by_part)
        if report.get("sparsity") is not None:
            record["sparsity"] = report["sparsity"]
        if task.keep_layers:
            record["layers"] = report.get("layers")
        return Outcome(task.key, "ok", canonical_json(json_safe(record)), None, code)
    except AccelsimError as exc:
        return Outcome(task.key, "error", None, str(exc), code)
    except Exception as exc:  # noqa: BLE001 - a bug or resource failure at one point is recorded; the sweep goes on
        return Outcome(task.key, "error", None, f"internal error: {type(exc).__name__}: {exc}", code)


def run_chunk(tasks: list[PointTask]) -> list[Outcome]:
    """Run a chunk of points in order (one executor call amortises the transfer cost)."""
    return [run_point(task) for task in tasks]


def warm_up() -> str:
    """Import the simulator and hash the code once (sent to each new worker while points are validated)."""
    from .. import api  # noqa: F401

    return code_sha256()


def _exit_when_orphaned(parent_pid: int) -> None:
    while True:
        time.sleep(PARENT_POLL_S)
        if os.getppid() != parent_pid:
            os._exit(0)


def init_pool_worker(parent_pid: int) -> None:
    """Process-pool worker set-up: Ctrl-C is the parent's to handle, and a worker whose parent was
    killed (SIGKILL) exits instead of running on."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    threading.Thread(target=_exit_when_orphaned, args=(parent_pid,), daemon=True, name="orphan-watch").start()
