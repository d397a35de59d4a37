"""The sweep database: SQLite in WAL mode, one row per distinct point configuration.

Tables:
- ``points(key, config_json, status, result_json, error, code_sha256)``: ``key`` is the sha256 of
  the point's canonical configuration (keys.py). A row is written by one INSERT (and the
  deletion of the writer's claim on it) in its own transaction by the parent process of a run,
  so a point is either wholly there or absent, whatever happens to the process (SIGINT,
  SIGKILL). ``status``: ok | error | invalid | pruned.
- ``sweeps(name, spec_json)``: each sweep's parameters, constraints and objectives.
- ``sweep_points(sweep, idx, key, params_json)``: which points a sweep has, in order. Points are
  shared between sweeps: a configuration already finished by any sweep is not run again.
- ``claims(key, owner, host, pid, expires_at)``: which run is working on which point, so that
  runs started at the same time on one database split the points instead of each computing all
  of them (``owner``: host, pid and a random token, see :class:`ClaimOwner`). A run claims points
  (one transaction per batch) before it runs them, extends its claims while it runs, and deletes
  a point's claim in the transaction that writes the point's row, and all its claims when it
  stops. A claim is another run's to take once it expires (``expires_at``, seconds since the
  epoch), or at once when its owner was on this host and its process is gone. Each run also holds
  a claim on ``run:<owner>`` (:meth:`ClaimOwner.run_key`) for as long as it goes, so that other
  runs can tell which runs are live; a :class:`ClaimKeeper` thread extends a run's claims.
- ``writers(key, owner)``: which run wrote each point's current row (no row: one written without
  an owner, or by an older build). A run retrying failed points (``--retry-errors``) leaves out
  those whose row a live run wrote, and those another run wrote after it looked
  (``SweepStore.claim``'s ``written_by``), so concurrent runs retry each failed point once.

The ``claims`` and ``writers`` tables are added to an existing database when it is opened for
writing (the schema is still version 1: older accelsim builds ignore them).

Opening a store for writing creates the file and any missing table; :func:`stored_state` reads a
database without writing anything (a run validates its points before its first write).

Durability: WAL with ``synchronous=NORMAL`` keeps every committed point through a crash or kill of
the process (a power cut may lose the last few commits, never corrupt the file).
"""
from __future__ import annotations

import json
import os
import secrets
import socket
import sqlite3
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Self

from ..errors import AccelsimError, Location
from .keys import canonical_json
from .metrics import Constraint, Objective
from .points import Point
from .spec import SweepSpec

SCHEMA_VERSION = 1
BUSY_TIMEOUT_MS = 60_000
FINISHED_STATUSES = ("ok", "error", "invalid")  # "pruned" points are re-checked on every run
FAILED_STATUSES = ("error", "invalid")  # finished, and run again by --retry-errors
RUN_KEY_PREFIX = "run:"

_SCHEMA = f"""
BEGIN IMMEDIATE;
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS points (
    key TEXT PRIMARY KEY,
    config_json TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('ok', 'error', 'invalid', 'pruned')),
    result_json TEXT,
    error TEXT,
    code_sha256 TEXT
);
CREATE TABLE IF NOT EXISTS sweeps (name TEXT PRIMARY KEY, spec_json TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS sweep_points (
    sweep TEXT NOT NULL,
    idx INTEGER NOT NULL,
    key TEXT NOT NULL,
    params_json TEXT NOT NULL,
    PRIMARY KEY (sweep, idx)
);
CREATE TABLE IF NOT EXISTS claims (
    key TEXT PRIMARY KEY,
    owner TEXT NOT NULL,
    host TEXT NOT NULL,
    pid INTEGER NOT NULL,
    expires_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS writers (key TEXT PRIMARY KEY, owner TEXT NOT NULL);
INSERT OR IGNORE INTO meta VALUES ('schema_version', '{SCHEMA_VERSION}');
COMMIT;
"""


@dataclass(frozen=True)
class StoredPoint:
    """One point of a sweep as stored; ``status`` is ``pending`` when it has not run yet."""

    index: int
    key: str
    params: dict
    status: str
    result: dict | None
    error: str | None
    code_sha256: str | None


@dataclass(frozen=True)
class StoredSweep:
    name: str
    spec: dict

    @property
    def constraints(self) -> tuple[Constraint, ...]:
        return tuple(Constraint(c["metric"], c.get("min"), c.get("max")) for c in self.spec.get("constraints", ()))

    @property
    def objectives(self) -> tuple[Objective, ...]:
        return tuple(Objective(o["metric"], o["sense"]) for o in self.spec.get("objectives", ()))

    @property
    def swept(self) -> tuple[str, ...]:
        return tuple(d["name"] for d in self.spec.get("dimensions", ()) if len(d["values"]) > 1)


def spec_record(spec: SweepSpec) -> dict:
    """The JSON-able summary of a sweep spec kept in the database. The sweep file is named by its
    file name (its bytes by ``spec_sha256``): where it was, and from where it was run, do not matter."""
    return {
        "name": spec.name, "description": spec.description, "source": Path(spec.source).name,
        "spec_sha256": spec.spec_sha256,
        "mode": spec.mode, "random": {"n": spec.random_n, "seed": spec.random_seed} if spec.mode == "random" else None,
        "dimensions": [{"name": d.name, "values": list(d.values)} for d in spec.dimensions],
        "constraints": [{"metric": c.metric, "min": c.minimum, "max": c.maximum} for c in spec.constraints],
        "objectives": [{"metric": o.metric, "sense": o.sense} for o in spec.objectives],
    }


@dataclass(frozen=True)
class ClaimOwner:
    """A run that claims points: its host, its process and a random token (so that a later
    process given the same pid is another owner)."""

    host: str
    pid: int
    token: str

    @classmethod
    def this_process(cls) -> ClaimOwner:
        return cls(socket.gethostname(), os.getpid(), secrets.token_hex(8))

    @property
    def id(self) -> str:
        return f"{self.host}:{self.pid}:{self.token}"

    @property
    def run_key(self) -> str:
        """The ``claims`` key this owner holds while its run goes on (never a point's key: those are hex)."""
        return RUN_KEY_PREFIX + self.id


@dataclass(frozen=True)
class ClaimResult:
    """What became of the keys a run tried to claim (each key in exactly one field)."""

    claimed: tuple[str, ...]  # now this owner's to run
    held: tuple[str, ...]  # claimed by another run whose claim is live: not this owner's to run
    finished: tuple[str, ...]  # stored as finished (by another run): nothing to run


def _process_exists(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process
        return True
    return True


def claim_is_live(host: str, pid: int, expires_at: float, this_host: str, now: float) -> bool:
    """Whether a claim still stands: until it expires, or until its process is gone if it is on this host."""
    if host == this_host and not _process_exists(pid):
        return False
    return expires_at > now


@dataclass(frozen=True)
class StoredState:
    """What a database holds for some keys, read in one transaction: ``statuses`` as
    ``SweepStore.statuses``, ``writers`` (key -> owner id of the run that wrote the row, where
    known) and ``live_runs`` (owner ids of the runs going on)."""

    statuses: dict[str, tuple[str, str | None]]
    writers: dict[str, str]
    live_runs: frozenset[str]


def stored_state(path: str | Path, keys: Iterable[str]) -> StoredState:
    """:class:`StoredState` of ``keys`` in the database at ``path``, read without creating or changing
    anything: empty when there is no database there yet (or one still being created by another run)."""
    path = Path(path)
    empty = StoredState({}, {}, frozenset())
    if not path.is_file():
        return empty
    try:
        db = sqlite3.connect(str(path), timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None)
        try:
            db.execute("BEGIN")  # one read snapshot: rows, their writers and the live runs agree
            tables = {name for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
            if "meta" not in tables:
                return empty
            _check_schema_version(db, path)
            keys = list(keys)
            statuses = _statuses(db, keys)
            writers = _writers(db, statuses) if "writers" in tables else {}
            live = _live_runs(db, socket.gethostname(), time.time()) if "claims" in tables else frozenset()
            return StoredState(statuses, writers, live)
        finally:
            db.close()  # ends the read transaction
    except sqlite3.DatabaseError as exc:
        raise AccelsimError(f"not a usable sweep database: {exc}", Location(str(path)), "DB") from None


def _check_schema_version(db: sqlite3.Connection, path: Path) -> None:
    version = db.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
    if version is None or int(version[0]) != SCHEMA_VERSION:
        raise AccelsimError(f"sweep database schema {version[0] if version else '?'} is not the supported "
                            f"{SCHEMA_VERSION}", Location(str(path)), "DB")


def _in_batches(db: sqlite3.Connection, query: str, keys: Iterable[str]):
    """Rows of ``query`` (with ``{marks}`` for the placeholders of a key list) over ``keys``, 500 at a time."""
    keys = list(dict.fromkeys(keys))
    for start in range(0, len(keys), 500):
        batch = keys[start:start + 500]
        yield from db.execute(query.format(marks=",".join("?" * len(batch))), batch)


def _statuses(db: sqlite3.Connection, keys: Iterable[str]) -> dict[str, tuple[str, str | None]]:
    query = "SELECT key, status, code_sha256 FROM points WHERE key IN ({marks})"
    return {key: (status, code) for key, status, code in _in_batches(db, query, keys)}


def _writers(db: sqlite3.Connection, keys: Iterable[str]) -> dict[str, str]:
    return dict(_in_batches(db, "SELECT key, owner FROM writers WHERE key IN ({marks})", keys))


def _run_claims(db: sqlite3.Connection) -> list[tuple[str, str, int, float]]:
    """(owner, host, pid, expires_at) of every run's ``run:`` claim."""
    return db.execute("SELECT owner, host, pid, expires_at FROM claims WHERE substr(key, 1, ?) = ?",
                      (len(RUN_KEY_PREFIX), RUN_KEY_PREFIX)).fetchall()


def _live_runs(db: sqlite3.Connection, this_host: str, now: float) -> frozenset[str]:
    return frozenset(owner for owner, *claim in _run_claims(db) if claim_is_live(*claim, this_host, now))


class SweepStore:
    """An open sweep database. ``create=False`` refuses a missing file (for export and pareto);
    ``create=True`` creates the file and any missing table (so it writes to the database)."""

    def __init__(self, path: str | Path, create: bool = True):
        self.path = Path(path)
        if not create and not self.path.is_file():
            raise AccelsimError("no such sweep database", Location(str(path)), "DB")
        try:
            if create:
                self.path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(str(self.path), timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None)
            self._db.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            self._db.execute("PRAGMA journal_mode = WAL")
            self._db.execute("PRAGMA synchronous = NORMAL")
            if create:
                self._db.executescript(_SCHEMA)  # one transaction: another run never sees half a schema
            _check_schema_version(self._db, self.path)
        except (sqlite3.DatabaseError, OSError) as exc:
            raise AccelsimError(f"not a usable sweep database: {exc}", Location(str(path)), "DB") from None

    # --- writing -----------------------------------------------------------------------------
    def record_plan(self, spec: SweepSpec, points: tuple[Point, ...]) -> None:
        """Store the sweep's spec and its list of points (replacing an earlier plan of that name)."""
        with self._transaction():
            self._db.execute("INSERT OR REPLACE INTO sweeps VALUES (?, ?)", (spec.name, canonical_json(spec_record(spec))))
            self._db.execute("DELETE FROM sweep_points WHERE sweep = ?", (spec.name,))
            self._db.executemany("INSERT INTO sweep_points VALUES (?, ?, ?, ?)",
                                 [(spec.name, p.index, p.key, canonical_json(p.params)) for p in points])

    def put(self, key: str, config: dict, status: str, result_json: str | None, error: str | None,
            code_sha256: str | None, release: ClaimOwner | None = None) -> None:
        """Write one point's outcome in its own transaction, recording ``release`` as the row's writer
        and deleting its claim on the point in the same one."""
        with self._transaction():
            self._db.execute("INSERT OR REPLACE INTO points VALUES (?, ?, ?, ?, ?, ?)",
                             (key, canonical_json(config), status, result_json, error, code_sha256))
            if release is not None:
                self._db.execute("INSERT OR REPLACE INTO writers VALUES (?, ?)", (key, release.id))
                self._db.execute("DELETE FROM claims WHERE key = ? AND owner = ?", (key, release.id))
            else:
                self._db.execute("DELETE FROM writers WHERE key = ?", (key,))

    def claim(self, keys: list[str], owner: ClaimOwner, lease_s: float,
              is_finished: Callable[[str, str | None], bool],
              written_by: Mapping[str, str | None] | None = None) -> ClaimResult:
        """In one transaction, claim for ``lease_s`` seconds each of ``keys`` that is neither finished
        (``is_finished(status, code_sha256)`` of its row) nor claimed by another owner whose claim is live.

        ``written_by``: for keys the caller means to run although their row may be failed (a retry),
        the writer of the row when the caller looked (None: no row or writer then). A failed row
        (error, invalid) that someone else has written since counts as finished: another run ran
        the point meanwhile."""
        claimed, held, finished = [], [], []
        written_by = written_by or {}
        with self._transaction():
            now = time.time()
            rows = _statuses(self._db, keys)
            writers = _writers(self._db, [key for key in keys if key in written_by and key in rows])
            claims = {key: rest for key, *rest in _in_batches(
                self._db, "SELECT key, owner, host, pid, expires_at FROM claims WHERE key IN ({marks})", keys)}
            for key in keys:
                if key in rows and (is_finished(*rows[key]) or (
                        key in written_by and rows[key][0] in FAILED_STATUSES
                        and writers.get(key) != written_by[key])):
                    finished.append(key)
                    continue
                holder = claims.get(key)
                if holder and holder[0] != owner.id and claim_is_live(*holder[1:], owner.host, now):
                    held.append(key)
                    continue
                claimed.append(key)
            self._db.executemany("INSERT OR REPLACE INTO claims VALUES (?, ?, ?, ?, ?)",
                                 [(key, owner.id, owner.host, owner.pid, now + lease_s) for key in claimed])
        return ClaimResult(tuple(claimed), tuple(held), tuple(finished))

    def register_run(self, owner: ClaimOwner, lease_s: float) -> None:
        """Claim ``owner.run_key`` for ``lease_s`` seconds (``owner`` is a live run while it holds it,
        see :func:`stored_state`), deleting the run claims of runs that are gone."""
        with self._transaction():
            now = time.time()
            gone = [(RUN_KEY_PREFIX + owner_id,) for owner_id, *claim in _run_claims(self._db)
                    if not claim_is_live(*claim, owner.host, now)]
            self._db.executemany("DELETE FROM claims WHERE key = ?", gone)
            self._db.execute("INSERT OR REPLACE INTO claims VALUES (?, ?, ?, ?, ?)",
                             (owner.run_key, owner.id, owner.host, owner.pid, now + lease_s))

    def extend_claims(self, owner: ClaimOwner, lease_s: float) -> None:
        """Keep every claim of ``owner`` for another ``lease_s`` seconds from now."""
        with self._transaction():
            self._db.execute("UPDATE claims SET expires_at = ? WHERE owner = ?", (time.time() + lease_s, owner.id))

    def release_claims(self, owner: ClaimOwner) -> None:
        """Delete every claim of ``owner`` (the points it had not finished are free for others)."""
        with self._transaction():
            self._db.execute("DELETE FROM claims WHERE owner = ?", (owner.id,))

    def _transaction(self):
        return _Transaction(self._db)

    # --- reading -----------------------------------------------------------------------------
    def statuses(self, keys) -> dict[str, tuple[str, str | None]]:
        """key -> (status, code_sha256) of the given keys that have a row."""
        return _statuses(self._db, keys)

    def sweep_names(self) -> list[str]:
        return [row[0] for row in self._db.execute("SELECT name FROM sweeps ORDER BY name")]

    def sweep(self, name: str | None = None) -> StoredSweep:
        """The sweep called ``name`` (default: the only one in the database)."""
        names = self.sweep_names()
        if name is None:
            if len(names) != 1:
                raise AccelsimError(f"the database holds {len(names)} sweeps ({', '.join(names) or 'none'}); "
                                    "choose one with --sweep", Location(str(self.path)), "--sweep")
            name = names[0]
        row = self._db.execute("SELECT spec_json FROM sweeps WHERE name = ?", (name,)).fetchone()
        if row is None:
            raise AccelsimError(f"no sweep named '{name}'; the database holds: {', '.join(names) or 'none'}",
                                Location(str(self.path)), "--sweep")
        return StoredSweep(name, json.loads(row[0]))

    def points(self, sweep: str) -> list[StoredPoint]:
        """Every point of ``sweep`` in sweep order, with its outcome (``pending`` if not run)."""
        rows = self._db.execute(
            "SELECT sp.idx, sp.key, sp.params_json, p.status, p.result_json, p.error, p.code_sha256 "
            "FROM sweep_points sp LEFT JOIN points p ON p.key = sp.key WHERE sp.sweep = ? ORDER BY sp.idx", (sweep,))
        return [StoredPoint(idx, key, json.loads(params), status or "pending",
                            json.loads(result) if result else None, error, code)
                for idx, key, params, status, result, error, code in rows]

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


class ClaimKeeper:
    """Keeps every claim of ``owner`` live while its run goes on, however long its chunks take: a daemon
    thread with its own connection extends them by ``lease_s`` every ``lease_s / 3`` seconds from
    ``start()`` to ``stop()``. A failed extension (a database busy for longer than the busy
    timeout) is tried again at the next beat. The thread dies with the process, so a killed run's
    claims still lapse (at once on this host, see :func:`claim_is_live`)."""

    def __init__(self, path: str | Path, owner: ClaimOwner, lease_s: float):
        self._path, self._owner, self._lease_s = Path(path), owner, lease_s
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._beat, name="sweep-claim-keeper", daemon=True)

    def start(self) -> ClaimKeeper:
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop extending (at once; an extension under way finishes first). Safe if never started."""
        self._stopped.set()
        if self._thread.is_alive():
            self._thread.join()

    def _beat(self) -> None:
        store = None
        try:
            while not self._stopped.wait(self._lease_s / 3):
                try:
                    if store is None:  # sqlite3 connections stay in the thread that opened them
                        store = SweepStore(self._path, create=False)
                    store.extend_claims(self._owner, self._lease_s)
                except (AccelsimError, sqlite3.Error):  # busy or locked past the busy timeout: next beat
                    continue
        finally:
            if store is not None:
                store.close()


class _Transaction:
    """BEGIN IMMEDIATE ... COMMIT, rolled back on any exception (KeyboardInterrupt included)."""

    def __init__(self, db: sqlite3.Connection):
        self._db = db

    def __enter__(self):
        if self._db.in_transaction:  # one that an interrupt cut short between its BEGIN and the with block
            self._db.execute("ROLLBACK")
        self._db.execute("BEGIN IMMEDIATE")
        return self._db

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is None:
            self._db.execute("COMMIT")
        else:
            self._db.execute("ROLLBACK")
