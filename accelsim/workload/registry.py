"""Find a workload by built-in name or by file path (.yaml/.yml, and importers added by suffix)."""
from __future__ import annotations

import dataclasses
import importlib
import pkgutil
from pathlib import Path

from ..errors import Location, WorkloadError, did_you_mean
from . import zoo
from .graph import Workload

#: file suffix -> "module:function" that loads such a file as a Workload (batch: int | None)
IMPORTERS = {
    ".yaml": "accelsim.workload.yaml_format:load_workload_yaml",
    ".yml": "accelsim.workload.yaml_format:load_workload_yaml",
    ".onnx": "accelsim.workload.onnx:load_onnx",
    ".csv": "accelsim.workload.topology_csv:load_topology_csv",
}


def builtin_workloads() -> dict[str, zoo.ZooEntry]:
    """Every built-in network, from the modules of :mod:`accelsim.workload.zoo`, sorted by name."""
    entries: dict[str, zoo.ZooEntry] = {}
    for info in sorted(pkgutil.iter_modules(zoo.__path__), key=lambda m: m.name):
        module = importlib.import_module(f"{zoo.__name__}.{info.name}")
        entries.update(getattr(module, "WORKLOADS", {}))
    return dict(sorted(entries.items()))


def shipped_workload_files() -> dict[str, Path]:
    """Workload files shipped in ``workloads/`` (installed as accelsim/workloads): YAML networks and
    SCALE-Sim topology CSVs, by file stem."""
    here = Path(__file__).resolve().parent.parent
    for folder in (here / "workloads", here.parent / "workloads"):
        if folder.is_dir():
            return {p.stem: p for p in sorted([*folder.glob("*.yaml"), *folder.glob("*.csv")])}
    return {}


def load_workload(spec: str, batch: int | None = None, settings: dict | None = None,
                  allow_unsupported: bool = False) -> Workload:
    """Resolve ``spec`` (a built-in name, a shipped file's name, or a file path) to a Workload.

    ``allow_unsupported``: ONNX operators accelsim does not know are costed as generic vector work
    (with a warning) instead of being an error."""
    settings = dict(settings or {})
    path = Path(spec)
    if path.suffix.lower() in IMPORTERS:
        if not path.exists():
            raise WorkloadError("no such workload file", Location(spec), "--workload")
        if settings:
            raise WorkloadError(f"size settings {sorted(settings)} apply to built-in workloads only", field="--workload")
        module_name, func = IMPORTERS[path.suffix.lower()].split(":")
        try:
            module = importlib.import_module(module_name)
        except ImportError as exc:
            raise WorkloadError(f"reading {path.suffix} files needs an optional dependency: {exc}", Location(spec)) from None
        if path.suffix.lower() == ".onnx":
            return getattr(module, func)(path, batch=batch, allow_unsupported=allow_unsupported)
        return getattr(module, func)(path, batch=batch)
    builtins = builtin_workloads()
    if spec in builtins:
        entry = builtins[spec]
        unknown = set(settings) - set(entry.settings)
        if unknown:
            allowed = ", ".join(sorted(entry.settings)) or "none"
            raise WorkloadError(f"unknown setting(s) {sorted(unknown)} for '{spec}'; allowed: {allowed}", field="--workload")
        return entry.build(batch if batch is not None else entry.default_batch, **settings)
    files = shipped_workload_files()
    if spec in files:
        workload = load_workload(str(files[spec]), batch, settings, allow_unsupported)
        if workload.source == str(files[spec]):  # named by its place in the package, wherever it is installed
            workload = dataclasses.replace(workload, source=f"workloads/{files[spec].name}")
        return workload
    known = sorted(set(builtins) | set(files))
    raise WorkloadError(f"unknown workload '{spec}'{did_you_mean(spec, known)}; known: {', '.join(known)} "
                        "(or give a path to a .yaml, .onnx or SCALE-Sim .csv file)", field="--workload")
