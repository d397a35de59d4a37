"""Running sweeps in this process: the store, resuming, run-time failures, pruning, export and the
CLI's error reporting. Simulator numbers are never pinned, only sweep behaviour."""
from __future__ import annotations

import csv
import io
import json
import sqlite3

import pytest
from sweep_store import write

from accelsim.spec.loader import shipped_archs
from accelsim.sweep.runner import RunOptions, run_sweep
from accelsim.sweep.spec import load_sweep_spec
from accelsim.sweep.store import SweepStore

SMALL = """\
version: 1
name: small
arch: tpu_v1
workload: mnist_mlp
batch: [1, 8]
set:
  matrix_unit.rows: [64, 128]
  dram.bandwidth_gbps: [34, 68]
objectives: [{seconds: min}, {energy_j: min}]
"""


def rows(db):
    with sqlite3.connect(db) as con:
        return con.execute("SELECT key, status, result_json, error FROM points ORDER BY key").fetchall()


def test_sweep_stores_every_point_once_and_resumes(tmp_path):
    spec = load_sweep_spec(write(tmp_path, SMALL))
    db = tmp_path / "s.sqlite"
    first = run_sweep(spec, db, RunOptions(progress=False))
    assert (first.points, first.ran, first.ok, first.already_done) == (8, 8, 8, 0)
    stored = rows(db)
    assert len(stored) == 8 and {r[1] for r in stored} == {"ok"}
    result = json.loads(stored[0][2])
    assert result["totals"]["seconds"] > 0 and result["area_mm2"] > 0 and "cycles_by_cause" in result["totals"]
    again = run_sweep(spec, db, RunOptions(progress=False))
    assert (again.ran, again.already_done) == (0, 8)
    assert rows(db) == stored
    with SweepStore(db, create=False) as store:
        points = store.points("small")
    assert [p.index for p in points] == list(range(8)) and all(p.status == "ok" for p in points)
    assert points[5].params == {"arch": "tpu_v1", "workload": "mnist_mlp", "batch": 8, "set.matrix_unit.rows": 64,
                                "set.dram.bandwidth_gbps": 68}


def test_points_shared_between_sweeps_run_once(tmp_path):
    db = tmp_path / "s.sqlite"
    run_sweep(load_sweep_spec(write(tmp_path, SMALL)), db, RunOptions(progress=False))
    wider = SMALL.replace("name: small", "name: wider").replace("[64, 128]", "[64, 128, 256]")
    summary = run_sweep(load_sweep_spec(write(tmp_path, wider, "wider.yaml")), db, RunOptions(progress=False))
    assert (summary.points, summary.already_done, summary.ran) == (12, 8, 4)
    with SweepStore(db, create=False) as store:
        assert store.sweep_names() == ["small", "wider"]
        assert len(store.points("wider")) == 12


def _arch_without_vector_unit(tmp_path):
    text = shipped_archs()["tpu_v1"].read_text()
    start = text.index("vector_unit:")
    end = text.index("scalar_unit:")
    path = tmp_path / "novec.yaml"
    path.write_text(text[:start] + text[end:])
    return path


def test_a_point_failing_at_run_time_is_recorded_and_the_sweep_goes_on(tmp_path):
    _arch_without_vector_unit(tmp_path)
    spec = load_sweep_spec(write(tmp_path, """\
version: 1
name: fails
arch: [tpu_v1, novec.yaml]   # the MLP's softmax needs the vector unit novec.yaml lacks
workload: mnist_mlp
set:
  matrix_unit.rows: [64, 128]
"""))
    db = tmp_path / "f.sqlite"
    summary = run_sweep(spec, db, RunOptions(progress=False))
    assert (summary.ran, summary.ok, summary.errors) == (4, 2, 2)
    failed = [r for r in rows(db) if r[1] == "error"]
    assert len(failed) == 2 and all("vector unit" in r[3] and r[2] is None for r in failed)
    assert run_sweep(spec, db, RunOptions(progress=False)).ran == 0  # failures are results too
    retried = run_sweep(spec, db, RunOptions(progress=False, retry_errors=True))
    assert (retried.ran, retried.errors, retried.already_done) == (2, 2, 2)


def test_pruned_points_are_rechecked_when_the_constraint_changes(tmp_path):
    text = """\
version: 1
name: pruned
arch: tpu_v1
workload: mnist_mlp
set:
  matrix_unit.rows: [32, 256]
  memories.unified_buffer.size_kib: 1024
constraints:
  area_mm2: {max: LIMIT}
"""
    db = tmp_path / "p.sqlite"
    tight = run_sweep(load_sweep_spec(write(tmp_path, text.replace("LIMIT", "60"))), db, RunOptions(progress=False))
    assert (tight.ran, tight.pruned) == (1, 1)
    loose = run_sweep(load_sweep_spec(write(tmp_path, text.replace("LIMIT", "1000"))), db, RunOptions(progress=False))
    assert (loose.ran, loose.pruned, loose.already_done) == (1, 0, 1)
    assert {r[1] for r in rows(db)} == {"ok"}


def test_cli_run_export_and_pareto(tmp_path, cli, monkeypatch):
    monkeypatch.chdir(tmp_path)
    write(tmp_path, SMALL)
    status, out, err = cli("sweep", "sweep.yaml", "--workers", "1")
    assert status == 0, err
    assert "8 ok" in out and (tmp_path / "small.sqlite").is_file()

    status, out, err = cli("sweep", "export", "small.sqlite")
    assert status == 0, err
    table = list(csv.DictReader(io.StringIO(out)))
    assert len(table) == 8 and {r["status"] for r in table} == {"ok"}
    assert {"set.matrix_unit.rows", "seconds", "energy_j", "area_mm2", "feasible"} <= set(table[0])
    assert float(table[0]["seconds"]) > 0

    status, _, err = cli("sweep", "export", "small.sqlite", "--format", "json", "-o", "all.json")
    assert status == 0, err
    document = json.loads((tmp_path / "all.json").read_text())
    assert document["sweep"] == "small" and len(document["points"]) == 8
    assert document["points"][3]["result"]["totals"]["energy_j"] > 0

    status, out, _ = cli("sweep", "pareto", "small.sqlite", "--format", "json", "--plot", "front.svg")
    assert status == 0
    front = json.loads(out)
    assert front["objectives"] == ["seconds:min", "energy_j:min"] and 1 <= len(front["front"]) <= 8
    by_index = {int(r["index"]): (float(r["seconds"]), float(r["energy_j"])) for r in table}
    for row in front["front"]:  # nothing in the table beats a front point in both objectives
        s, e = by_index[row["index"]]
        assert not any(s2 <= s and e2 <= e and (s2, e2) != (s, e) for s2, e2 in by_index.values())
    assert (tmp_path / "front.svg").read_bytes().startswith(b"<?xml")


def test_cli_parquet_needs_pyarrow(tmp_path, cli, monkeypatch):
    monkeypatch.chdir(tmp_path)
    write(tmp_path, SMALL.replace("batch: [1, 8]", "batch: 1"))
    assert cli("sweep", "sweep.yaml", "--workers", "1")[0] == 0
    status, _, err = cli("sweep", "export", "small.sqlite", "--format", "parquet", "-o", "t.parquet")
    try:
        import pyarrow.parquet as pq
    except ImportError:
        assert status == 2 and "Parquet export needs pyarrow" in err
        return
    assert status == 0 and pq.read_table(tmp_path / "t.parquet").num_rows == 4


def test_cli_stops_before_running_when_a_point_is_invalid(tmp_path, cli, monkeypatch):
    monkeypatch.chdir(tmp_path)
    write(tmp_path, SMALL.replace("[64, 128]", "[64, -1, 128]"))
    status, out, err = cli("sweep", "sweep.yaml", "--workers", "1", "--db", "bad.sqlite")
    assert status == 2 and "Traceback" not in err
    assert "sweep.yaml:7:21: set.matrix_unit.rows: point 2 (batch=1, matrix_unit.rows=-1, " in err
    assert "matrix_unit.rows=-1" in err and "4 of 12 points are invalid, so nothing was run" in err
    assert not (tmp_path / "bad.sqlite").exists()  # nothing is written before every point is valid
    status, out, err = cli("sweep", "sweep.yaml", "--workers", "1", "--db", "bad.sqlite", "--skip-invalid")
    assert status == 0 and "8 ok, 0 failed, 4 invalid" in out
    invalid = [r for r in rows(tmp_path / "bad.sqlite") if r[1] == "invalid"]
    assert len(invalid) == 4 and all("expected a value >= 1" in r[3] for r in invalid)


@pytest.mark.parametrize(("argv", "needle"), [
    (("sweep", "export", "missing.sqlite"), "missing.sqlite: DB: no such sweep database"),
    (("sweep", "export", "junk.sqlite"), "not a usable sweep database"),
    (("sweep", "nope.yaml"), "nope.yaml: spec: no such sweep file"),
    (("sweep", "export", "a", "b"), "expected one sweep database, got 2 arguments"),
    (("sweep", "export", "junk.sqlite", "--workers", "2"), "--workers: not an option of `accelsim sweep export DB`"),
    (("sweep", "sweep.yaml", "--plot", "x.png"), "--plot: not an option of `accelsim sweep SPEC.yaml`"),
    (("sweep", "sweep.yaml", "--workers", "2", "--dask-local", "2"), "choose one of --workers, --scheduler"),
])
def test_cli_usage_errors_are_one_line(tmp_path, cli, monkeypatch, argv, needle):
    monkeypatch.chdir(tmp_path)
    write(tmp_path, SMALL)
    (tmp_path / "junk.sqlite").write_bytes(b"this is not a database at all" * 100)
    status, _, err = cli(*argv)
    assert status == 2 and needle in err and "Traceback" not in err


def test_sparsity_is_swept_and_its_report_kept(tmp_path):
    spec = load_sweep_spec(write(tmp_path, """\
version: 1
name: sparse
arch: tpu_v1
workload: mnist_mlp
sparsity: [null, 'weights=0.5', 'weights=0.9,structure=2:4']
"""))
    summary = run_sweep(spec, tmp_path / "sp.sqlite", RunOptions(progress=False))
    assert (summary.ran, summary.ok) == (3, 3)
    with SweepStore(tmp_path / "sp.sqlite", create=False) as store:
        points = store.points("sparse")
    assert "sparsity" not in points[0].result
    assert all("sparsity" in p.result for p in points[1:])
    assert [p.params["sparsity"] for p in points] == [None, "weights=0.5", "weights=0.9,structure=2:4"]
