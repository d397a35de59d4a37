"""A sweep stopped by invalid points writes nothing.

This test failed before the fix it guards: a sweep with an invalid point left a new database (with
its plan) behind, or rewrote the plan of an existing one.
"""
from __future__ import annotations

import sqlite3
import textwrap
from pathlib import Path

import pytest

from accelsim.errors import SpecError
from accelsim.sweep.runner import RunOptions, run_sweep
from accelsim.sweep.spec import load_sweep_spec

FOUR = """\
version: 1
name: four
arch: tpu_v1
workload: mnist_mlp
set:
  matrix_unit.rows: [64, 128, 256, 512]
"""


def write(tmp_path: Path, text: str, name: str = "sweep.yaml") -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text))
    return path


def tables(db) -> dict[str, list]:
    """Every table of the database: its schema and all its rows, sorted."""
    with sqlite3.connect(db) as con:
        names = con.execute("SELECT name, sql FROM sqlite_master WHERE type = 'table' ORDER BY name").fetchall()
        return {name: (sql, sorted(con.execute(f'SELECT * FROM "{name}"').fetchall(), key=repr)) for name, sql in names}


def test_a_sweep_stopped_by_invalid_points_writes_nothing(tmp_path):
    invalid = FOUR.replace("[64, 128, 256, 512]", "[64, 0, 128, 512]")
    db = tmp_path / "s.sqlite"
    with pytest.raises(SpecError, match="1 of 4 points are invalid, so nothing was run"):
        run_sweep(load_sweep_spec(write(tmp_path, invalid, "bad.yaml")), db, RunOptions(progress=False))
    assert list(tmp_path.glob("s.sqlite*")) == []

    run_sweep(load_sweep_spec(write(tmp_path, FOUR)), db, RunOptions(progress=False))
    before = tables(db)
    with pytest.raises(SpecError, match="1 of 1 points are invalid"):  # the others are stored; its plan differs
        run_sweep(load_sweep_spec(write(tmp_path, invalid, "bad.yaml")), db, RunOptions(progress=False))
    assert tables(db) == before
