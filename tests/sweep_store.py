"""Shared by the sweep tests: writing a sweep spec, a sweep long enough to kill mid-run, and a
read-only count of the points its SQLite store has committed."""
from __future__ import annotations

import sqlite3
import textwrap
from pathlib import Path

# 3 x 4 x 4 x 5 = 240 points committed two at a time: a kill right after the 20th lands mid-run.
LONG = """\
version: 1
name: long
arch: tpu_v1
workload: mnist_mlp
set:
  matrix_unit.rows: [64, 128, 256]
  matrix_unit.cols: [32, 64, 128, 256]
  memories.unified_buffer.size_kib: [2048, 4096, 8192, 24576]
  dram.bandwidth_gbps: [17, 34, 68, 136, 272]
"""


def count_rows(db) -> int:
    try:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=10) as con:
            return con.execute("SELECT count(*) FROM points").fetchone()[0]
    except sqlite3.OperationalError:  # not created yet
        return 0


def write(tmp_path: Path, text: str, name: str = "sweep.yaml") -> Path:
    """Write the (dedented) sweep spec ``text`` to ``tmp_path / name``."""
    path = tmp_path / name
    path.write_text(textwrap.dedent(text))
    return path
