"""Every user-facing output (-o, --html, --trace, --plot, SCALE-Sim reports, exports) is written via
accelsim/atomic.write_atomic: an interrupted write leaves the old file intact and no temporary file
behind, and the code base has no other way of writing user outputs."""
from __future__ import annotations

import contextlib
import errno
import io
import os
import re
from pathlib import Path

import pytest
import yaml

import accelsim
from accelsim import atomic
from accelsim.atomic import write_atomic
from accelsim.cli.main import main
from accelsim.errors import AccelsimError

REPO = Path(__file__).resolve().parent.parent
PACKAGE = Path(accelsim.__file__).resolve().parent
OLD = b"the previous report\n"
TINY_WORKLOAD = {"version": 1, "name": "tiny", "batch": 1, "inputs": [{"name": "x", "shape": [8, 8, 3]}],
                 "layers": [{"name": "c", "op": "conv2d", "out_channels": 4, "kernel": 3},
                            {"name": "f", "op": "flatten"}, {"name": "fc", "op": "fc", "out_features": 10}]}


def _leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.rglob("*") if p.name.startswith(".") and p.name.endswith(".tmp"))


def _cli(argv: list[str]) -> tuple[int, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        status = main(argv)
    return status, err.getvalue()


# -------------------------------------------------------------------------------------------------
# write_atomic itself


@pytest.mark.parametrize("failure", [RuntimeError("boom"), KeyboardInterrupt(), OSError(errno.ENOSPC, "No space")])
def test_failure_after_the_data_is_written_keeps_the_old_file(tmp_path, monkeypatch, failure):
    target = tmp_path / "report.json"
    target.write_bytes(OLD)

    def fail(fd):
        raise failure

    monkeypatch.setattr(atomic.os, "fsync", fail)
    expected = AccelsimError if isinstance(failure, OSError) else type(failure)
    with pytest.raises(expected):
        write_atomic(target, "new contents " * 1000)
    assert target.read_bytes() == OLD
    assert _leftovers(tmp_path) == []


def test_failure_halfway_through_the_data_keeps_the_old_file(tmp_path, monkeypatch):
    target = tmp_path / "report.csv"
    target.write_bytes(OLD)
    real_fdopen = os.fdopen

    class HalfWriter:
        def __init__(self, handle):
            self.handle = handle

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            self.handle.close()
            return False

        def write(self, data):
            self.handle.write(data[: len(data) // 2])
            self.handle.flush()
            raise OSError(errno.EIO, "Input/output error")

    monkeypatch.setattr(atomic.os, "fdopen", lambda fd, mode: HalfWriter(real_fdopen(fd, mode)))
    with pytest.raises(AccelsimError, match="Input/output error"):
        write_atomic(target, b"x" * 100_000)
    assert target.read_bytes() == OLD
    assert _leftovers(tmp_path) == []


def test_failed_rename_keeps_the_old_file(tmp_path, monkeypatch):
    target = tmp_path / "trace.json"
    target.write_bytes(OLD)

    def refuse(src, dst):
        raise PermissionError(errno.EACCES, "Permission denied")

    monkeypatch.setattr(atomic.os, "replace", refuse)
    with pytest.raises(AccelsimError, match="Permission denied"):
        write_atomic(target, "{}")
    assert target.read_bytes() == OLD
    assert _leftovers(tmp_path) == []


def test_success_replaces_the_whole_file_with_usual_permissions(tmp_path):
    target = tmp_path / "sub" / "report.txt"
    write_atomic(target, "first")
    umask = os.umask(0)
    os.umask(umask)
    assert target.stat().st_mode & 0o777 == 0o666 & ~umask
    target.chmod(0o640)
    write_atomic(target, b"second")
    assert target.read_bytes() == b"second"
    assert target.stat().st_mode & 0o777 == 0o640  # an existing file keeps its mode
    assert _leftovers(tmp_path) == []


@pytest.mark.parametrize("case", ["folder", "parent_is_a_file"])
def test_unwritable_paths_are_bad_input(tmp_path, case):
    (tmp_path / "a_file").write_text("x")
    path = tmp_path if case == "folder" else tmp_path / "a_file" / "report.json"
    with pytest.raises(AccelsimError) as info:
        write_atomic(path, "data")
    assert str(path) in str(info.value) and "cannot write output" in str(info.value)


# -------------------------------------------------------------------------------------------------
# Every CLI output goes through it


@pytest.fixture(scope="module")
def inputs(tmp_path_factory):
    folder = tmp_path_factory.mktemp("atomic_inputs")
    (folder / "tiny.yaml").write_text(yaml.safe_dump(TINY_WORKLOAD, sort_keys=False), encoding="utf-8")
    (folder / "topology.csv").write_text(
        "Layer name, IFMAP Height, IFMAP Width, Filter Height, Filter Width, Channels, Num Filter, Strides,\n"
        "Conv1, 16, 16, 3, 3, 3, 8, 1,\n", encoding="utf-8")
    sweep = {"version": 1, "name": "atomic", "arch": "tpu_v1", "workload": str(folder / "tiny.yaml"),
             "set": {"matrix_unit.rows": [64, 128]}, "objectives": [{"seconds": "min"}, {"energy_j": "min"}]}
    (folder / "sweep.yaml").write_text(yaml.safe_dump(sweep, sort_keys=False), encoding="utf-8")
    status, err = _cli(["sweep", str(folder / "sweep.yaml"), "--workers", "1", "--db", str(folder / "sweep.sqlite")])
    assert status == 0, err
    return folder


def _output_commands(inputs: Path, out: Path) -> dict[str, list[str]]:
    tiny, cfg = str(inputs / "tiny.yaml"), str(REPO / "workloads" / "scalesim" / "scale_8x8.cfg")
    return {
        "run -o": ["run", "--arch", "tpu_v1", "--workload", tiny, "--gpu", "none", "-o", str(out / "run.txt")],
        "run --html": ["run", "--arch", "tpu_v1", "--workload", tiny, "--gpu", "none", "--html", str(out / "r.html")],
        "run --trace": ["run", "--arch", "tpu_v1", "--workload", tiny, "--gpu", "none", "--trace",
                        str(out / "r.trace.json")],
        "compare -o": ["compare", "--arch", "tpu_v1", "--workload", tiny, "--format", "csv", "-o",
                       str(out / "compare.csv")],
        "train -o": ["train", "--system", "tpu_v3_8", "--estimate", "roofline", "--workload", tiny,
                     "--global-batch", "8", "-o", str(out / "train.txt")],
        "scalesim -p": ["scalesim", "-c", cfg, "-t", str(inputs / "topology.csv"), "-p", str(out), "-q"],
        "sweep export -o": ["sweep", "export", str(inputs / "sweep.sqlite"), "-o", str(out / "export.csv")],
        "sweep pareto -o --plot": ["sweep", "pareto", str(inputs / "sweep.sqlite"), "-o", str(out / "front.txt"),
                                   "--plot", str(out / "front.svg")],
        "validate -o": ["validate", "-o", str(out / "validation.md")],
    }


COMMAND_NAMES = ["run -o", "run --html", "run --trace", "compare -o", "train -o", "scalesim -p",
                 "sweep export -o", "sweep pareto -o --plot", "validate -o"]


@pytest.mark.parametrize("name", COMMAND_NAMES)
def test_every_output_file_is_renamed_into_place(inputs, tmp_path, monkeypatch, name):
    """Each file the command leaves in its output folder arrived by an atomic rename."""
    renamed = []
    real_replace = os.replace

    def spy(src, dst, *args, **kwargs):
        renamed.append(Path(dst).resolve())
        return real_replace(src, dst, *args, **kwargs)

    monkeypatch.setattr(atomic.os, "replace", spy)
    status, err = _cli(_output_commands(inputs, tmp_path)[name])
    assert status == 0, err
    written = [p.resolve() for p in tmp_path.rglob("*") if p.is_file()]
    assert written, "the command wrote nothing"
    for path in written:
        assert path in renamed, f"{path} was not written through write_atomic"
    assert _leftovers(tmp_path) == []


@pytest.mark.parametrize("name", COMMAND_NAMES)
def test_interrupted_output_keeps_old_files_and_exits_2(inputs, tmp_path, monkeypatch, name):
    """A full disk while writing: exit 2 naming the file, old files intact, no temporary files."""
    _cli(_output_commands(inputs, tmp_path)[name])  # first, a complete set of outputs
    before = {p: p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()}
    assert before

    def disk_full(fd):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(atomic.os, "fsync", disk_full)
    status, err = _cli(_output_commands(inputs, tmp_path)[name])
    assert status == 2, err
    assert "No space left on device" in err and str(tmp_path) in err, err
    assert {p: p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()} == before
    assert _leftovers(tmp_path) == []


# -------------------------------------------------------------------------------------------------
# Nothing else in the package writes files

#: ways to write a file that bypass write_atomic; the SQLite sweep store is a database with its own
#: transactions, and matplotlib figures are rendered to bytes first (report/plots.py)
WRITE_PATTERNS = (
    re.compile(r"\bopen\([^)]*['\"][wax]b?\+?['\"]"),
    re.compile(r"\bopen\([^)]*mode\s*=\s*['\"][wax]"),
    re.compile(r"\.write_(text|bytes)\("),
    re.compile(r"\bjson\.dump\("),
    re.compile(r"\.savefig\((?!\s*buffer)"),
    re.compile(r"\bshutil\.(copy|copyfile|copy2|move)\("),
    re.compile(r"\.to_(csv|parquet|json)\(\s*['\"/]"),
)


def test_no_module_writes_files_except_through_write_atomic():
    offenders = []
    for path in sorted(PACKAGE.rglob("*.py")):
        if path.name == "atomic.py":
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            code = line.split("#", 1)[0]
            if any(pattern.search(code) for pattern in WRITE_PATTERNS):
                offenders.append(f"{path.relative_to(PACKAGE.parent)}:{number}: {line.strip()}")
    assert offenders == [], "write user outputs with accelsim.atomic.write_atomic:\n" + "\n".join(offenders)
