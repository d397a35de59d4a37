"""Identical inputs give byte-identical outputs: across runs in one process, across processes and
Python hash seeds (PYTHONHASHSEED 0, 1 and random), and across sweep executors and hash seeds.

Subprocesses run ``python -m accelsim`` with PYTHONPATH pointing at the accelsim under test and a
temporary working folder, so the test works from the source tree and against an installed package.
"""
from __future__ import annotations

import contextlib
import io
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

import accelsim
from accelsim.cli.main import main

PACKAGE_ROOT = os.path.dirname(os.path.dirname(accelsim.__file__))
REPO = Path(__file__).resolve().parent.parent
SEEDS = ("0", "1", "random")
TINY_WORKLOAD = {
    "version": 1, "name": "tiny", "batch": 2,
    "inputs": [{"name": "x", "shape": [16, 16, 3]}],
    "layers": [{"name": "c", "op": "conv2d", "out_channels": 8, "kernel": 3, "padding": "same"},
               {"name": "r", "op": "relu"}, {"name": "p", "op": "maxpool", "kernel": 2},
               {"name": "f", "op": "flatten"}, {"name": "fc", "op": "fc", "out_features": 10},
               {"name": "s", "op": "softmax"}],
}
TOPOLOGY = ("Layer name, IFMAP Height, IFMAP Width, Filter Height, Filter Width, Channels, Num Filter, Strides,\n"
            "Conv1, 16, 16, 3, 3, 3, 8, 1,\nDPConv2, 14, 14, 3, 3, 4, 1, 2,\n")

#: every user-facing output of the simulating commands, as (argv, files it writes) in ``folder``
COMMANDS = (
    ["run", "--arch", "tpu_v1", "--workload", "{folder}/tiny.yaml", "--format", "json", "-o", "{folder}/run.json",
     "--trace", "{folder}/run.trace.json", "--html", "{folder}/run.html"],
    ["run", "--arch", "eie_like", "--workload", "lenet5", "--format", "csv", "-o", "{folder}/run.csv"],
    ["compare", "--arch", "tpu_v1", "--arch", "scnn_like", "--workload", "{folder}/tiny.yaml", "--format", "json",
     "-o", "{folder}/compare.json"],
    ["train", "--system", "tpu_v3_8", "--arch", "tpu_v1", "--workload", "lenet5", "--global-batch", "64",
     "--format", "json", "-o", "{folder}/train.json"],
    ["scalesim", "-c", str(REPO / "workloads" / "scalesim" / "scale_8x8.cfg"), "-t", "{folder}/topology.csv",
     "-p", "{folder}/scalesim", "-q"],
    ["scalesim", "-c", str(REPO / "workloads" / "scalesim" / "scale_8x8.cfg"), "-t", "{folder}/topology.csv",
     "-p", "{folder}/scalesim_json", "--format", "json", "-q"],
)

DRIVER = """
import sys
from accelsim.cli.main import main
commands = {commands!r}
for argv in commands:
    status = main(argv)
    if status:
        sys.exit(f"{{argv}} exited with {{status}}")
"""


def _inputs(folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "tiny.yaml").write_text(yaml.safe_dump(TINY_WORKLOAD, sort_keys=False), encoding="utf-8")
    (folder / "topology.csv").write_text(TOPOLOGY, encoding="utf-8")


def _commands(folder: Path) -> list[list[str]]:
    return [[arg.replace("{folder}", str(folder)) for arg in argv] for argv in COMMANDS]


def _outputs(folder: Path) -> dict[str, bytes]:
    inputs = {"tiny.yaml", "topology.csv"}
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*"))
            if p.is_file() and p.name not in inputs}


def _env(seed: str) -> dict:
    return dict(os.environ, PYTHONHASHSEED=seed, PYTHONPATH=PACKAGE_ROOT)


@pytest.fixture(scope="module")
def seeded_outputs(tmp_path_factory):
    """Every output of COMMANDS, written by one process per hash seed (run side by side). The
    folders differ per seed, so each file names its own folder: paths are normalised."""
    base = tmp_path_factory.mktemp("determinism")
    procs = {}
    for seed in SEEDS:
        folder = base / f"seed_{seed}"
        _inputs(folder)
        script = DRIVER.format(commands=_commands(folder))
        procs[seed] = (folder, subprocess.Popen([sys.executable, "-c", script], env=_env(seed), cwd=folder,
                                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True))
    outputs = {}
    for seed, (folder, proc) in procs.items():
        _, err = proc.communicate(timeout=300)
        assert proc.returncode == 0, err
        outputs[seed] = {name: data.replace(str(folder).encode(), b"<folder>")
                         for name, data in _outputs(folder).items()}
    return outputs


def test_every_output_is_written(seeded_outputs):
    names = set(seeded_outputs["0"])
    for expected in ("run.json", "run.trace.json", "run.html", "run.csv", "compare.json", "train.json",
                     "scalesim_json/scale_8x8/REPORT.json", "scalesim/scale_8x8/COMPUTE_REPORT.csv",
                     "scalesim/scale_8x8/BANDWIDTH_REPORT.csv", "scalesim/scale_8x8/DETAILED_ACCESS_REPORT.csv"):
        assert expected in names, names


@pytest.mark.parametrize("seed", SEEDS[1:])
def test_outputs_are_byte_identical_across_hash_seeds(seeded_outputs, seed):
    reference = seeded_outputs["0"]
    other = seeded_outputs[seed]
    assert sorted(other) == sorted(reference)
    for name in reference:
        assert other[name] == reference[name], f"{name} differs between PYTHONHASHSEED=0 and {seed}"


def test_python_m_accelsim_json_is_byte_identical_across_hash_seeds(tmp_path):
    """The packaged entry point itself (``python -m accelsim``), in a temporary working folder."""
    _inputs(tmp_path)
    outputs = []
    for seed in ("1", "random"):
        out = tmp_path / f"out_{seed}.json"
        subprocess.run([sys.executable, "-m", "accelsim", "run", "--arch", "scnn_like", "--workload", "tiny.yaml",
                        "--format", "json", "-o", str(out)], check=True, env=_env(seed), cwd=tmp_path)
        outputs.append(out.read_bytes())
    assert outputs[0] == outputs[1]


def test_repeated_runs_in_one_process_are_byte_identical(tmp_path):
    _inputs(tmp_path)
    texts = []
    for _ in range(2):
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            assert main(["run", "--arch", "tpu_v1", "--workload", "bert_base", "--setting", "seq_len=32",
                         "--format", "json", "--gpu", "none"]) == 0
        texts.append(out.getvalue())
    assert texts[0] == texts[1]


SWEEP = {"version": 1, "name": "determinism", "arch": "tpu_v1", "workload": "tiny.yaml", "batch": [1, 4],
         "set": {"matrix_unit.rows": [64, 128]}, "objectives": [{"seconds": "min"}, {"energy_j": "min"}]}


def _export(db: Path, env: dict | None, folder: Path) -> bytes:
    out = folder / f"{db.stem}.json"
    subprocess.run([sys.executable, "-m", "accelsim", "sweep", "export", str(db), "--format", "json", "-o", str(out)],
                   check=True, env=env or _env("0"), cwd=folder)
    return out.read_bytes()


def test_sweep_rows_are_identical_in_process_and_on_a_pool_under_another_hash_seed(tmp_path):
    """In-process (this test's own hash seed) vs a process pool started with PYTHONHASHSEED=1; the
    sweep owner's tests compare pool, Dask and in-process executors under one seed."""
    _inputs(tmp_path)
    (tmp_path / "sweep.yaml").write_text(yaml.safe_dump(SWEEP, sort_keys=False), encoding="utf-8")
    pool = subprocess.Popen([sys.executable, "-m", "accelsim", "sweep", "sweep.yaml", "--workers", "2",
                             "--db", "pool.sqlite"], env=_env("1"), cwd=tmp_path, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    cwd = os.getcwd()
    os.chdir(tmp_path)
    try:
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            assert main(["sweep", "sweep.yaml", "--workers", "1", "--db", "inline.sqlite"]) == 0
    finally:
        os.chdir(cwd)
    _, err = pool.communicate(timeout=300)
    assert pool.returncode == 0, err
    assert _export(tmp_path / "pool.sqlite", _env("random"), tmp_path) == \
        _export(tmp_path / "inline.sqlite", _env("0"), tmp_path)
