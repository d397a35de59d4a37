"""The same sweep on every executor gives the same rows; a sweep killed (SIGKILL) or interrupted
(SIGINT) mid-run keeps every finished point, no partial row, and finishes on restart with every
point exactly once."""
from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sweep_store import LONG, count_rows, write

from accelsim.sweep.executors import ExecutorChoice
from accelsim.sweep.points import expand
from accelsim.sweep.runner import RunOptions, run_sweep
from accelsim.sweep.spec import load_sweep_spec

REPO = Path(__file__).resolve().parent.parent

MIXED = """\
version: 1
name: mixed
arch: tpu_v1
workload: [mnist_mlp, resnet18]
batch: [1, 4]
precision: [int8, int16]
set:
  matrix_unit.rows: [64, 256]
"""


def rows(db) -> list[tuple]:
    with sqlite3.connect(db) as con:
        return con.execute("SELECT key, status, result_json, error FROM points ORDER BY key").fetchall()


def test_process_pool_dask_and_in_process_give_identical_rows(tmp_path):
    pytest.importorskip("dask.distributed")
    spec = load_sweep_spec(write(tmp_path, MIXED))
    runs = {
        "pool": ExecutorChoice(workers=2),
        "dask": ExecutorChoice(dask_local=2, dask_processes=False),
        "inline": ExecutorChoice(workers=1),
    }
    stored = {}
    for name, choice in runs.items():
        summary = run_sweep(spec, tmp_path / f"{name}.sqlite", RunOptions(executor=choice, progress=False,
                                                                          chunk_points=3))
        assert (summary.ran, summary.ok) == (16, 16), name
        stored[name] = rows(tmp_path / f"{name}.sqlite")
    assert len(stored["pool"]) == 16
    assert stored["pool"] == stored["dask"] == stored["inline"]


def _start(spec: Path, db: Path) -> subprocess.Popen:
    import accelsim

    # the accelsim under test: the source tree in a checkout, site-packages when installed
    package_root = str(Path(accelsim.__file__).resolve().parent.parent)
    env = dict(os.environ, PYTHONPATH=package_root + os.pathsep + os.environ.get("PYTHONPATH", ""))
    return subprocess.Popen([sys.executable, "-m", "accelsim", "sweep", str(spec), "--db", str(db), "--workers", "2",
                             "--chunk-points", "2"], cwd=spec.parent, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def _wait_for_rows(proc: subprocess.Popen, db: Path, at_least: int, timeout_s: float = 60.0) -> None:
    deadline = time.monotonic() + timeout_s
    while count_rows(db) < at_least:
        assert proc.poll() is None, f"the sweep ended early: {proc.communicate()}"
        assert time.monotonic() < deadline, "the sweep made no progress"
        time.sleep(0.02)


def _check_complete(spec_path: Path, db: Path) -> None:
    planned = {p.key for p in expand(load_sweep_spec(spec_path))}
    with sqlite3.connect(db) as con:
        assert con.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        keys = [k for (k,) in con.execute("SELECT key FROM points")]
        statuses = {s for (s,) in con.execute("SELECT status FROM points")}
        missing_results = con.execute("SELECT count(*) FROM points WHERE status = 'ok' AND result_json IS NULL").fetchone()
    assert len(keys) == len(set(keys)) == len(planned) and set(keys) == planned
    assert statuses == {"ok"} and missing_results == (0,)


def test_sigkill_mid_run_loses_no_finished_point_and_restart_completes(tmp_path):
    spec_path, db = write(tmp_path, LONG), tmp_path / "long.sqlite"
    total = len(expand(load_sweep_spec(spec_path)))
    proc = _start(spec_path, db)
    _wait_for_rows(proc, db, 20)
    os.kill(proc.pid, signal.SIGKILL)  # the parent only, as a crash or an OOM kill would
    proc.communicate(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    survived = rows(db)
    assert 20 <= len(survived) < total, "the kill did not land mid-run"
    assert all(status == "ok" and result for _, status, result, _ in survived)

    restart = _start(spec_path, db)
    out, err = restart.communicate(timeout=300)
    assert restart.returncode == 0, err
    assert f"{len(survived)} already in the database" in out and f"ran {total - len(survived)} " in out
    _check_complete(spec_path, db)
    after = {key: row for key, *row in rows(db)}
    assert all(after[key] == [status, result, error] for key, status, result, error in survived)


def test_sigint_stops_cleanly_and_resume_completes(tmp_path):
    spec_path, db = write(tmp_path, LONG), tmp_path / "long.sqlite"
    total = len(expand(load_sweep_spec(spec_path)))
    proc = _start(spec_path, db)
    _wait_for_rows(proc, db, 10)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130 and "interrupted" in err and "Traceback" not in err
    kept = count_rows(db)
    assert 10 <= kept < total
    summary = run_sweep(load_sweep_spec(spec_path), db, RunOptions(executor=ExecutorChoice(workers=2), progress=False))
    assert (summary.already_done, summary.ran) == (kept, total - kept)
    _check_complete(spec_path, db)
