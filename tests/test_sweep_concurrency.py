"""Two sweep runs on one database split the points (claims with leases), claims of dead or lapsed
runs are taken over, claims are released however a run ends, a live run's claims stay live however
long its chunk runs, concurrent --retry-errors runs retry each failed point once, and a sweep
stopped by invalid points writes nothing.

Each test here failed before the fix it guards: two runs on one database both computed every
point, a sweep with an invalid point left a new database (with its plan) behind, or rewrote the
plan of an existing one, a run whose in-process chunk outlasted the lease had its points taken over
and computed again, and two --retry-errors runs both retried every failed point.
"""
from __future__ import annotations

import contextlib
import io
import os
import re
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from sweep_store import LONG, count_rows, write

import accelsim
from accelsim.cli.main import main
from accelsim.errors import SpecError
from accelsim.spec.loader import shipped_archs
from accelsim.sweep import runner
from accelsim.sweep.executors import ExecutorChoice, ExecutorHandle
from accelsim.sweep.points import expand
from accelsim.sweep.runner import RunOptions, run_sweep
from accelsim.sweep.spec import load_sweep_spec
from accelsim.sweep.store import ClaimOwner, SweepStore

PACKAGE_ROOT = str(Path(accelsim.__file__).resolve().parent.parent)
FOUR = """\
version: 1
name: four
arch: tpu_v1
workload: mnist_mlp
set:
  matrix_unit.rows: [64, 128, 256, 512]
"""
ELSEWHERE = ClaimOwner("another-host", 1, "token")

#: ``accelsim sweep`` in this process (so points run here), logging the key of every point it
#: simulates; with a gate file, its third chunk waits, claimed, until the file exists.
LOGGED_RUN = """
import sys, time
from pathlib import Path
from accelsim.cli.main import main
from accelsim.sweep import runner

spec, db, log, gate = sys.argv[1:5]
real_run_chunk = runner.run_chunk
chunks = []

def logged_run_chunk(tasks):
    chunks.append(tasks)
    if gate != "-" and len(chunks) == 3:
        Path(gate + ".held").touch()
        while not Path(gate).exists():
            time.sleep(0.01)
    outcomes = real_run_chunk(tasks)
    with open(log, "a") as out:
        out.write("".join(task.key + "\\n" for task in tasks))
    time.sleep(0.005 * len(tasks))
    return outcomes

runner.run_chunk = logged_run_chunk
sys.exit(main(["sweep", spec, "--db", db, "--workers", "1", "--chunk-points", "2", "--progress", "off"]))
"""


def claims(db) -> list[tuple]:
    with sqlite3.connect(db) as con:
        return con.execute("SELECT key, owner, host, pid, expires_at FROM claims").fetchall()


def tables(db) -> dict[str, list]:
    """Every table of the database: its schema and all its rows, sorted."""
    with sqlite3.connect(db) as con:
        names = con.execute("SELECT name, sql FROM sqlite_master WHERE type = 'table' ORDER BY name").fetchall()
        return {name: (sql, sorted(con.execute(f'SELECT * FROM "{name}"').fetchall(), key=repr)) for name, sql in names}


def _start_logged(spec: Path, db: Path, log: Path, gate: Path | None) -> subprocess.Popen:
    env = dict(os.environ, PYTHONPATH=PACKAGE_ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""))
    return subprocess.Popen([sys.executable, "-c", LOGGED_RUN, str(spec), str(db), str(log), str(gate or "-")],
                            cwd=spec.parent, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _wait_until(condition, proc: subprocess.Popen, what: str, timeout_s: float = 60.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert proc.poll() is None, f"the sweep ended before {what}: {proc.communicate()}"
        assert time.monotonic() < deadline, f"timed out waiting until {what}"
        time.sleep(0.01)


def _export(db: Path) -> bytes:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert main(["sweep", "export", str(db), "--format", "json"]) == 0
    return out.getvalue().encode()


def test_two_runs_on_one_database_split_the_points_and_compute_each_once(tmp_path):
    spec_path, db = write(tmp_path, LONG), tmp_path / "long.sqlite"
    planned = {p.key for p in expand(load_sweep_spec(spec_path))}
    gate = tmp_path / "gate"
    first = _start_logged(spec_path, db, tmp_path / "first.log", gate)
    # the first run holds its third chunk, claimed and not run, while the second starts and runs
    _wait_until((tmp_path / "gate.held").exists, first, "the first run held a chunk")
    second = _start_logged(spec_path, db, tmp_path / "second.log", None)
    held_at = count_rows(db)
    _wait_until(lambda: count_rows(db) >= held_at + 20, second, "the second run committed points")
    gate.touch()
    outputs = [proc.communicate(timeout=120) for proc in (first, second)]
    for proc, (out, err) in zip((first, second), outputs, strict=True):
        assert proc.returncode == 0, err

    ran = [int(re.search(r"; ran (\d+) on ", out).group(1)) for out, _ in outputs]
    simulated = [(tmp_path / name).read_text().split() for name in ("first.log", "second.log")]
    assert [len(keys) for keys in simulated] == ran and min(ran) > 2
    assert sum(ran) == len(planned) == 240  # no point was computed twice
    assert set(simulated[0]).isdisjoint(simulated[1]) and set(simulated[0]) | set(simulated[1]) == planned
    assert "finished meanwhile by another run on this database" in outputs[1][0]  # the first run's held chunk
    with sqlite3.connect(db) as con:
        stored = con.execute("SELECT key, status FROM points").fetchall()
    assert len(stored) == 240 and {key for key, _ in stored} == planned and {s for _, s in stored} == {"ok"}
    assert claims(db) == []

    alone = tmp_path / "alone.sqlite"  # the same sweep by one run exports the same bytes
    run_sweep(load_sweep_spec(spec_path), alone, RunOptions(progress=False))
    assert _export(db) == _export(alone)


def _spy_run_chunk(monkeypatch, ran_at: dict, before=None):
    real_run_chunk = runner.run_chunk

    def spy(tasks):
        if before:
            before(tasks)
        outcomes = real_run_chunk(tasks)
        ran_at.update((task.key, time.time()) for task in tasks)
        return outcomes

    monkeypatch.setattr(runner, "run_chunk", spy)


def test_a_claim_of_a_dead_process_on_this_host_is_taken_over_at_once(tmp_path, monkeypatch):
    spec = load_sweep_spec(write(tmp_path, FOUR))
    keys = [p.key for p in expand(spec)]
    db = tmp_path / "s.sqlite"
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    dead = ClaimOwner(socket.gethostname(), gone.pid, "token")  # killed runs leave claims like this one
    with SweepStore(db) as store:
        store.claim(keys, dead, 60.0, lambda status, code: False)
    ran_at: dict = {}
    _spy_run_chunk(monkeypatch, ran_at)
    started = time.time()
    summary = run_sweep(spec, db, RunOptions(progress=False))
    assert (summary.ran, summary.by_others) == (4, 0)
    assert max(ran_at.values()) - started < 30  # not after the claims' 60 s lease
    assert claims(db) == []


def test_a_live_claim_of_another_run_is_waited_for_then_taken_over_when_it_lapses(tmp_path, monkeypatch):
    spec = load_sweep_spec(write(tmp_path, FOUR))
    points = expand(spec)
    db = tmp_path / "s.sqlite"
    with SweepStore(db) as store:  # another host's run claimed the last two points, for 1.5 s
        store.claim([points[2].key, points[3].key], ELSEWHERE, 1.5, lambda status, code: False)
    lapses_at = max(expires for *_, expires in claims(db))

    def other_run_finishes_one(tasks):  # while this run runs its first point, the other finishes one of its two
        if tasks[0].key == points[0].key:
            with SweepStore(db) as other:
                other.put(points[2].key, points[2].config, "error", None, "finished by the other run", "code",
                          release=ELSEWHERE)

    ran_at: dict = {}
    _spy_run_chunk(monkeypatch, ran_at, other_run_finishes_one)
    summary = run_sweep(spec, db, RunOptions(progress=False, chunk_points=1))
    assert (summary.ran, summary.by_others, summary.ok) == (3, 1, 3)
    assert "1 finished meanwhile by another run on this database" in summary.describe()
    assert points[2].key not in ran_at
    assert ran_at[points[3].key] >= lapses_at  # run here only once the other run's claim lapsed
    assert max(ran_at[p.key] for p in points[:2]) < ran_at[points[3].key]
    assert claims(db) == []
    with SweepStore(db, create=False) as store:
        assert [p.status for p in store.points("four")] == ["ok", "ok", "error", "ok"]


def test_claims_stay_live_while_points_wait_longer_than_the_lease(tmp_path, monkeypatch):
    monkeypatch.setattr(runner, "CLAIM_LEASE_S", 0.9)
    monkeypatch.setattr(ExecutorHandle, "_open", lambda self: ThreadPoolExecutor(max_workers=2))
    spec = load_sweep_spec(write(tmp_path, FOUR))
    db = tmp_path / "s.sqlite"
    seen = []

    def check_own_claim(tasks):  # the last two points wait 1.2 s in the queue, claimed
        seen.extend((owner, expires - time.time()) for key, owner, *_, expires in claims(db) if key == tasks[0].key)
        time.sleep(1.2)

    _spy_run_chunk(monkeypatch, {}, check_own_claim)
    summary = run_sweep(spec, db, RunOptions(executor=ExecutorChoice(workers=2), chunk_points=1, progress=False))
    assert summary.ran == 4 and len(seen) == 4
    assert len({owner for owner, _ in seen}) == 1 and all(left > 0 for _, left in seen)  # extended in time
    assert claims(db) == []


def test_claims_are_released_when_a_run_is_interrupted(tmp_path, monkeypatch):
    spec = load_sweep_spec(write(tmp_path, FOUR))
    db = tmp_path / "s.sqlite"
    claimed_while_running = []

    def ctrl_c_at_the_third_chunk(tasks):
        claimed_while_running.append(len(claims(db)))
        if len(claimed_while_running) == 3:
            raise KeyboardInterrupt

    _spy_run_chunk(monkeypatch, {}, ctrl_c_at_the_third_chunk)
    with pytest.raises(KeyboardInterrupt):
        run_sweep(spec, db, RunOptions(progress=False, chunk_points=1))
    assert min(claimed_while_running) >= 1 and claims(db) == []
    kept = count_rows(db)
    assert kept < 4
    summary = run_sweep(spec, db, RunOptions(progress=False, chunk_points=1))
    assert (summary.already_done, summary.ran) == (kept, 4 - kept)
    assert claims(db) == []


def test_a_sweep_stopped_by_invalid_points_writes_nothing(tmp_path):
    invalid = FOUR.replace("[64, 128, 256, 512]", "[64, 0, 128, 512]")
    db = tmp_path / "s.sqlite"
    with pytest.raises(SpecError, match="1 of 4 points are invalid, so nothing was run"):
        run_sweep(load_sweep_spec(write(tmp_path, invalid, "bad.yaml")), db, RunOptions(progress=False))
    assert list(tmp_path.glob("s.sqlite*")) == []

    run_sweep(load_sweep_spec(write(tmp_path, FOUR)), db, RunOptions(progress=False))
    with sqlite3.connect(db) as con:  # as a database made before claims existed
        con.execute("DROP TABLE claims")
    before = tables(db)
    with pytest.raises(SpecError, match="1 of 1 points are invalid"):  # the others are stored; its plan differs
        run_sweep(load_sweep_spec(write(tmp_path, invalid, "bad.yaml")), db, RunOptions(progress=False))
    assert tables(db) == before and "claims" not in before

    run_sweep(load_sweep_spec(write(tmp_path, FOUR)), db, RunOptions(progress=False))
    assert "claims" in tables(db)  # an older database gains the table when a run writes to it


class _OtherRun(threading.Thread):
    """A second ``run_sweep`` on the same database, in a thread of this process (its own store,
    its own claim owner), started from inside the first run."""

    def __init__(self, spec, db, options: RunOptions):
        super().__init__(name="other-run", daemon=True)
        self._args = (spec, db, options)
        self.summary = self.error = None

    def run(self) -> None:
        try:
            self.summary = run_sweep(*self._args)
        except BaseException as exc:  # noqa: BLE001 - handed to the test by result()
            self.error = exc

    def result(self):
        self.join(timeout=120)
        assert not self.is_alive(), "the other run did not finish"
        if self.error is not None:
            raise self.error
        return self.summary


def _spy_claims(monkeypatch) -> list[tuple[bool, float, object]]:
    """Every ``SweepStore.claim`` call: (made by the other run's thread, time it started, its result)."""
    calls = []
    real_claim = SweepStore.claim

    def spy(self, keys, *args, **kwargs):
        started = time.time()
        result = real_claim(self, keys, *args, **kwargs)
        calls.append((threading.current_thread().name == "other-run", started, result))
        return result

    monkeypatch.setattr(SweepStore, "claim", spy)
    return calls


def _wait_for(condition, what: str, other: _OtherRun) -> None:
    deadline = time.monotonic() + 60
    while not condition():
        assert other.error is None and other.is_alive(), f"the other run ended before {what}: {other.error!r}"
        assert time.monotonic() < deadline, f"timed out waiting until {what}"
        time.sleep(0.01)


def _simulating(monkeypatch, simulated: list, before) -> None:
    """run_chunk logs (thread, key) of every point simulated; ``before(tasks)`` runs first."""
    real_run_chunk = runner.run_chunk

    def spy(tasks):
        before(tasks)
        outcomes = real_run_chunk(tasks)
        simulated.extend((threading.current_thread().name, task.key) for task in tasks)
        return outcomes

    monkeypatch.setattr(runner, "run_chunk", spy)


def test_a_chunk_running_longer_than_the_lease_keeps_its_claims(tmp_path, monkeypatch):
    # --workers 1: the chunk runs in the run's own thread, so no main-loop code runs while it does
    monkeypatch.setattr(runner, "CLAIM_LEASE_S", 1.0)
    monkeypatch.setattr(runner, "CLAIM_POLL_S", 0.1)
    spec = load_sweep_spec(write(tmp_path, FOUR))
    db = tmp_path / "s.sqlite"
    attempts = _spy_claims(monkeypatch)
    other = _OtherRun(spec, db, RunOptions(progress=False))
    simulated: list = []

    def hold_the_only_chunk(tasks):  # the first run's single chunk of all four points
        if threading.current_thread().name == "other-run":
            return
        lapsed_at = time.time() + runner.CLAIM_LEASE_S  # its claims lapse by then unless they are extended
        other.start()
        # the chunk runs on until the other run has looked at its points after their first lease ran out
        _wait_for(lambda: any(by_other and at > lapsed_at for by_other, at, _ in attempts),
                  "the other run looked at the points again after their first lease", other)

    _simulating(monkeypatch, simulated, hold_the_only_chunk)
    first = run_sweep(spec, db, RunOptions(progress=False, chunk_points=4))
    second = other.result()
    assert (first.ran, first.by_others) == (4, 0)
    assert (second.ran, second.by_others) == (0, 4)  # it waited for the live run instead of taking over
    assert [thread for thread, _ in simulated] == ["MainThread"] * 4
    assert sorted(key for _, key in simulated) == sorted(p.key for p in expand(spec))
    assert claims(db) == []


FAILING = """\
version: 1
name: failing
arch: [tpu_v1, novec.yaml]   # the MLP's softmax needs the vector unit novec.yaml lacks
workload: mnist_mlp
set:
  matrix_unit.rows: [64, 128, 256, 512]
"""


def _arch_without_vector_unit(tmp_path: Path) -> None:
    text = shipped_archs()["tpu_v1"].read_text()
    (tmp_path / "novec.yaml").write_text(text[:text.index("vector_unit:")] + text[text.index("scalar_unit:"):])


def test_two_retry_errors_runs_retry_each_failed_point_once_in_all(tmp_path, monkeypatch):
    _arch_without_vector_unit(tmp_path)
    spec = load_sweep_spec(write(tmp_path, FAILING))
    db = tmp_path / "f.sqlite"
    assert run_sweep(spec, db, RunOptions(progress=False)).errors == 4
    with sqlite3.connect(db) as con:
        failed = sorted(key for key, in con.execute("SELECT key FROM points WHERE status = 'error'"))
    assert len(failed) == 4

    retry = RunOptions(progress=False, retry_errors=True, chunk_points=1)
    attempts = _spy_claims(monkeypatch)
    other = _OtherRun(spec, db, retry)
    simulated: list = []
    stored_before_other = []

    def start_the_other_at_the_third_point(tasks):
        mine = [key for thread, key in simulated if thread == "MainThread"]
        if threading.current_thread().name == "other-run" or len(mine) != 2:
            return
        held = {key for key, *_ in claims(db)}
        stored_before_other.extend(key for key in mine if key not in held)  # retried and stored again
        other.start()
        _wait_for(lambda: any(by_other for by_other, *_ in attempts), "the other run claimed points", other)

    _simulating(monkeypatch, simulated, start_the_other_at_the_third_point)
    first = run_sweep(spec, db, retry)
    second = other.result()
    assert stored_before_other  # the other run started after the first had retried (and stored) points
    assert sorted(key for _, key in simulated) == failed  # each failed point retried once, by one of the runs
    assert first.ran + second.ran == 4 and first.errors + second.errors == 4
    assert second.already_done == 4 + len(stored_before_other)  # the ok points and the first run's retries
    assert claims(db) == []
    with sqlite3.connect(db) as con:
        assert sorted(key for key, in con.execute("SELECT key FROM points WHERE status = 'error'")) == failed
