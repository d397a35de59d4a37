"""Find a workload by built-in name or by file path (.yaml/.yml, and importers added by suffix)."""
from __future__ import annotations

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
    ".onnx": "accelsim.workload.onnx_import:load_onnx",
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
    """YAML workloads shipped in ``workloads/`` (installed as accelsim/workloads)."""
    here = Path(__file__).resolve().parent.parent
    for folder in (here / "workloads", here.parent / "workloads"):
        if folder.is_dir():
            return {p.stem: p for p in sorted(folder.glob("*.yaml"))}
    return {}


def load_workload(spec: str, batch: int | None = None, settings: dict | None = None) -> Workload:
    """Resolve ``spec`` (a built-in name, a shipped YAML name, or a file path) to a Workload."""
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
        return load_workload(str(files[spec]), batch, settings)
    known = sorted(set(builtins) | set(files))
    raise WorkloadError(f"unknown workload '{spec}'{did_you_mean(spec, known)}; known: {', '.join(known)} "
                        "(or give a path to a .yaml, .onnx or SCALE-Sim .csv file)", field="--workload")
