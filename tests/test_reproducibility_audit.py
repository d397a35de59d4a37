"""Reports do not depend on where files are or how they were named, nor on the clock; Ctrl-C and
SIGTERM leave outputs whole and stop sweeps with every finished point kept.

Each test here failed before the fix it guards:
- a sweep's export named its arch/workload files by absolute path, and its spec by the path given
  on the command line, so the same sweep exported different bytes in another folder or checkout;
- the HTML report of a shipped workload file named the folder accelsim was installed in;
- ``precision-study --no-timings`` still printed the (wall-clock) training seconds in its table;
- SIGTERM ended the process on the spot, leaving a temporary file beside an output being written
  and a sweep's workers and Dask cluster to notice on their own;
- a written output's folder entry was not flushed (a machine crash could lose the rename).
"""
from __future__ import annotations

import contextlib
import io
import os
import shutil
import signal
import stat
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import yaml
from sweep_store import LONG, count_rows

import accelsim
from accelsim import atomic
from accelsim.cli.main import main
from accelsim.workload.registry import load_workload

REPO = Path(__file__).resolve().parent.parent
PACKAGE_ROOT = str(Path(accelsim.__file__).resolve().parent.parent)
TINY_WORKLOAD = {"version": 1, "name": "tiny", "batch": 1, "inputs": [{"name": "x", "shape": [8, 8, 3]}],
                 "layers": [{"name": "c", "op": "conv2d", "out_channels": 4, "kernel": 3},
                            {"name": "f", "op": "flatten"}, {"name": "fc", "op": "fc", "out_features": 10}]}
SWEEP = """\
version: 1
name: where
arch: chip.yaml
workload: [tiny.yaml, mnist_mlp]
set:
  matrix_unit.rows: [64, 128]
objectives: [{seconds: min}, {energy_j: min}]
"""


def _env() -> dict:
    return dict(os.environ, PYTHONPATH=PACKAGE_ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""))


def _cli(argv: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        status = main(argv)
    return status, out.getvalue(), err.getvalue()


def _sweep_folder(folder: Path) -> Path:
    folder.mkdir(parents=True)
    shutil.copy(REPO / "archs" / "tpu_v1.yaml", folder / "chip.yaml")
    (folder / "tiny.yaml").write_text(yaml.safe_dump(TINY_WORKLOAD, sort_keys=False), encoding="utf-8")
    (folder / "sweep.yaml").write_text(SWEEP, encoding="utf-8")
    return folder


def _sweep_outputs(spec_arg: str, folder: Path) -> dict[str, bytes]:
    db, out = folder / "where.sqlite", folder / "out"
    status, _, err = _cli(["sweep", spec_arg, "--workers", "1", "--db", str(db), "--progress", "off"])
    assert status == 0, err
    commands = {"export.csv": ["sweep", "export", str(db)],
                "export.json": ["sweep", "export", str(db), "--format", "json"],
                "front.json": ["sweep", "pareto", str(db), "--format", "json"],
                "front.txt": ["sweep", "pareto", str(db)]}
    for name, argv in commands.items():
        status, _, err = _cli([*argv, "-o", str(out / name)])
        assert status == 0, err
    return {name: (out / name).read_bytes() for name in commands}


def test_sweep_exports_do_not_depend_on_the_folder_or_on_how_the_spec_was_named(tmp_path, monkeypatch):
    here = _sweep_folder(tmp_path / "here")
    there = _sweep_folder(tmp_path / "elsewhere" / "there")
    by_absolute_path = _sweep_outputs(str(here / "sweep.yaml"), here)
    monkeypatch.chdir(there.parent)
    by_relative_path = _sweep_outputs("there/sweep.yaml", there)
    for name, data in by_absolute_path.items():
        assert data == by_relative_path[name], f"{name} differs between the two folders"
        assert str(tmp_path).encode() not in data, f"{name} names the folder the sweep ran in"
    assert b",tiny.yaml," in by_absolute_path["export.csv"]  # files as the spec names them


def test_shipped_workload_files_are_named_by_their_place_in_the_package(tmp_path):
    assert load_workload("tpu_mlp0_gemm").source == "workloads/tpu_mlp0_gemm.csv"
    html = tmp_path / "report.html"
    status, _, err = _cli(["run", "--arch", "tpu_v1", "--workload", "tpu_mlp0_gemm", "--gpu", "none",
                           "--html", str(html), "-o", str(tmp_path / "report.txt")])
    assert status == 0, err
    text = html.read_text(encoding="utf-8")
    assert "workloads/tpu_mlp0_gemm.csv" in text and PACKAGE_ROOT not in text


def test_precision_study_table_without_timings_has_no_clock_readings(tmp_path):
    argv = ["precision-study", "--seed", "3", "--epochs", "1", "--variants", "fp32", "--no-timings"]
    tables = []
    for name in ("a.txt", "b.txt"):
        status, _, err = _cli([*argv, "-o", str(tmp_path / name)])
        assert status == 0, err
        tables.append((tmp_path / name).read_bytes())
    assert tables[0] == tables[1]
    assert b"train s" not in tables[0]
    status, _, err = _cli([*argv[:-1], "-o", str(tmp_path / "timed.txt")])
    assert status == 0, err
    assert b"train s" in (tmp_path / "timed.txt").read_bytes()  # the default still shows them


#: a command whose output write is hit by SIGTERM after its data is on disk, before the rename
SIGTERM_MID_WRITE = """
import os, signal, sys
from accelsim import atomic
from accelsim.cli.main import main

real_fsync = atomic.os.fsync
def fsync_then_sigterm(fd):
    real_fsync(fd)
    os.kill(os.getpid(), signal.SIGTERM)
atomic.os.fsync = fsync_then_sigterm
sys.exit(main(["run", "--arch", "tpu_v1", "--workload", "mnist_mlp", "--gpu", "none", "-o", sys.argv[1]]))
"""


def test_sigterm_while_writing_an_output_keeps_the_old_file_and_leaves_no_temporary_file(tmp_path):
    target = tmp_path / "report.txt"
    target.write_bytes(b"the previous report\n")
    proc = subprocess.run([sys.executable, "-c", SIGTERM_MID_WRITE, str(target)], env=_env(), cwd=tmp_path,
                          capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 143, proc.stderr
    assert "terminated" in proc.stderr and "Traceback" not in proc.stderr
    assert target.read_bytes() == b"the previous report\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.txt"]






def test_sigterm_stops_a_sweep_as_ctrl_c_does(tmp_path):
    spec = tmp_path / "long.yaml"
    spec.write_text(textwrap.dedent(LONG), encoding="utf-8")
    db = tmp_path / "long.sqlite"
    proc = subprocess.Popen([sys.executable, "-m", "accelsim", "sweep", str(spec), "--db", str(db), "--workers", "2",
                             "--chunk-points", "2", "--progress", "off"], cwd=tmp_path, env=_env(),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while count_rows(db) < 6:
        assert proc.poll() is None, f"the sweep ended early: {proc.communicate()}"
        assert time.monotonic() < deadline, "the sweep made no progress"
        time.sleep(0.02)
    seen = count_rows(db)
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 143, err
    assert "every finished point is in" in err and "terminated" in err and "Traceback" not in err
    assert seen <= count_rows(db) < 240


def test_the_folder_entry_of_a_written_file_is_flushed(tmp_path, monkeypatch):
    synced = []
    real_fsync = os.fsync

    def spy(fd):
        synced.append(stat.S_ISDIR(os.fstat(fd).st_mode))
        return real_fsync(fd)

    monkeypatch.setattr(atomic.os, "fsync", spy)
    atomic.write_atomic(tmp_path / "out.json", "{}\n")
    assert synced == [False, True]  # the data, then the folder holding the new name
