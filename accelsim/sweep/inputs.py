"""Loading a point's arch and workload, memoised per process by everything that determines them.

An arch is keyed by (shipped name or path, sha256 of the file's bytes, override strings); its YAML
tree is parsed once per (path, sha256) and copied for each set of overrides. A workload is keyed
by (name or path, sha256 of the file if it is one, batch, settings). The file's bytes are checked
against the sha256 the point was keyed with before it is parsed, so a file edited during a sweep
gives an error instead of a result filed under the wrong key. Memoised objects are frozen
dataclasses; the memo is an ``lru_cache`` and can never change a result, only skip recomputing it.
"""
from __future__ import annotations

import functools
import json
from pathlib import Path

from ..errors import AccelsimError, Location
from ..spec.arch import ArchSpec
from ..spec.loader import apply_overrides, load_arch
from ..spec.schema import from_tree
from ..workload.graph import Workload
from ..workload.registry import load_workload
from ..yamlio import MarkedDict, load_yaml_file
from .keys import file_sha256


def _verified(path: Path, sha256: str) -> Path:
    if file_sha256(path) != sha256:
        raise AccelsimError("file changed while the sweep was running; run the sweep again", Location(str(path)))
    return path


@functools.lru_cache(maxsize=32)
def _arch_tree(path: str, sha256: str):
    return load_yaml_file(_verified(Path(path), sha256))


def _arch_path(ref: str) -> Path | None:
    from ..spec.loader import shipped_archs

    path = Path(ref)
    if path.suffix.lower() in (".yaml", ".yml"):
        return path if path.is_file() else None
    return shipped_archs().get(ref)


@functools.lru_cache(maxsize=4096)
def _memo_arch(ref: str, sha256: str, overrides: tuple[str, ...]) -> ArchSpec:
    path = _arch_path(ref)
    tree = _arch_tree(str(path), sha256) if path is not None else None
    if not isinstance(tree, MarkedDict):
        return load_arch(ref, overrides)  # unusual input: the loader gives its own error
    # the loader's own override step (on a copy), so overrides mean exactly what `accelsim run --set` means
    tree = apply_overrides(tree, overrides)
    return from_tree(ArchSpec, tree, tree.location or Location(str(path)), "")


@functools.lru_cache(maxsize=256)
def _memo_workload(ref: str, sha256: str | None, batch: int | None, settings_json: str) -> Workload:
    path = Path(ref)
    if sha256 is not None and path.is_file():
        _verified(path, sha256)
    return load_workload(ref, batch, json.loads(settings_json))


def load_point_arch(ref: str, sha256: str | None, overrides: tuple[str, ...], memoize: bool = True) -> ArchSpec:
    """The validated ArchSpec of ``ref`` with ``overrides`` (SpecError on a bad field)."""
    if not memoize or sha256 is None:
        return load_arch(ref, overrides)
    return _memo_arch(ref, sha256, tuple(overrides))


def load_point_workload(ref: str, sha256: str | None, batch: int | None, settings: dict,
                        memoize: bool = True) -> Workload:
    """The Workload ``ref`` at ``batch`` with ``settings`` (WorkloadError when invalid)."""
    if not memoize:
        return load_workload(ref, batch, settings)
    return _memo_workload(ref, sha256, batch, json.dumps(settings, sort_keys=True))


def clear_memo() -> None:
    """Forget every memoised input of this process (benchmarks measure cold runs with it)."""
    for fn in (_arch_tree, _memo_arch, _memo_workload):
        fn.cache_clear()
