"""Expand a :class:`SweepSpec` into its points and give each its full configuration and key.

``grid``: the cartesian product of the dimensions, in spec order (the last varies fastest).
``zip``: the i-th value of every list dimension (lists of one value are broadcast; the other
lists must have one length). ``random: {n, seed}``: ``n`` distinct grid points drawn with
``random.Random(seed)``, kept in grid order.

A point's configuration holds everything that can change its result: the arch (shipped name or
file name, plus the sha256 of the file's bytes), the override strings in spec order, the workload
(name, plus the file's sha256 for files), batch, precision, sparsity, workload settings, what is
stored, and the accelsim version. Its key is the sha256 of that configuration's canonical JSON.
"""
from __future__ import annotations

import json
import math
import random
from dataclasses import dataclass
from pathlib import Path

import yaml

from .. import __version__
from ..errors import ResourceLimitError, SpecError
from .keys import config_hash, file_sha256
from .spec import SweepSpec

MAX_POINTS = 100_000  # each planned point costs a few KiB in the parent until the sweep ends
_ARCH_SUFFIXES = (".yaml", ".yml")


@dataclass(frozen=True)
class Point:
    """One design point of a sweep. ``index`` is its position in the sweep (0-based)."""

    index: int
    params: dict  # dimension name -> value, for every dimension of the spec (file paths as written)
    arch: str  # what to load: a name, or a file path resolved against the sweep file's folder
    workload: str
    batch: int | None
    precision: str | None
    sparsity: str | None
    settings: dict
    overrides: tuple[str, ...]
    config: dict
    key: str

    def describe(self, swept: tuple[str, ...] | None = None) -> str:
        """``matrix_unit.rows=128, batch=8`` for the parameters in ``swept`` (default: all)."""
        names = swept if swept is not None else tuple(self.params)
        parts = []
        for name in names:
            label = name.split(".", 1)[1] if name.startswith(("set.", "settings.")) else name
            parts.append(f"{label}={json.dumps(self.params[name])}" if not isinstance(self.params[name], str)
                         else f"{label}={self.params[name]}")
        return ", ".join(parts) or "no parameters swept"


def _yaml_number_text(value: float) -> str:
    """A float as text that YAML 1.1 (PyYAML) reads back as the same float."""
    text = json.dumps(value)
    if "e" in text and "." not in text.split("e")[0]:
        mantissa, exponent = text.split("e")
        text = f"{mantissa}.0e{exponent if exponent[0] in '+-' else '+' + exponent}"
    return text


def override_text(field: str, value) -> str:
    """``field=value`` in the ``--set`` syntax, such that the value parses back unchanged."""
    if isinstance(value, float):
        if not math.isfinite(value):
            raise SpecError(f"expected a finite number, got {value!r}", field=f"set.{field}")
        text = _yaml_number_text(value)
    elif isinstance(value, str):
        text = value if value and value.strip() == value and _reads_back(value, value) else \
            json.dumps(value, ensure_ascii=False)
    else:
        text = json.dumps(value, sort_keys=True, ensure_ascii=False)
    if not _reads_back(text, value):
        raise SpecError(f"cannot pass {value!r} as an arch field value", field=f"set.{field}")
    return f"{field}={text}"


def _reads_back(text: str, value) -> bool:
    try:
        parsed = yaml.safe_load(text) if text.strip() else ""
    except yaml.YAMLError:
        return False
    return parsed == value and type(parsed) is type(value)


class _Identity:
    """Identities of the arch and workload inputs, hashed once per distinct name (per expansion)."""

    def __init__(self):
        self._arch: dict[str, dict] = {}
        self._workload: dict[str, dict] = {}

    def arch(self, ref: str) -> dict:
        if ref not in self._arch:
            from ..spec.loader import shipped_archs

            path = Path(ref)
            if path.suffix.lower() in _ARCH_SUFFIXES:
                ident = {"file": path.name, "sha256": file_sha256(path) if path.is_file() else None}
            else:
                shipped = shipped_archs().get(ref)
                ident = {"name": ref, "sha256": file_sha256(shipped) if shipped else None}
            self._arch[ref] = ident
        return self._arch[ref]

    def workload(self, ref: str) -> dict:
        if ref not in self._workload:
            from ..workload.registry import IMPORTERS, builtin_workloads, shipped_workload_files

            path = Path(ref)
            if path.suffix.lower() in IMPORTERS:
                ident = {"file": path.name, "sha256": file_sha256(path) if path.is_file() else None}
            elif ref in builtin_workloads():
                ident = {"name": ref}
            else:
                shipped = shipped_workload_files().get(ref)
                ident = {"name": ref, "sha256": file_sha256(shipped) if shipped else None}
            self._workload[ref] = ident
        return self._workload[ref]


def _grid_size(spec: SweepSpec) -> int:
    return math.prod(len(d.values) for d in spec.dimensions)


def _indices(spec: SweepSpec) -> tuple[list[int] | range, int | None]:
    """Grid indices of the points (or None for zip) and the zip length."""
    if spec.mode == "zip":
        lengths = {len(d.values) for d in spec.dimensions if len(d.values) > 1}
        if len(lengths) > 1:
            listed = [d for d in spec.dimensions if len(d.values) > 1]
            listing = ", ".join(f"{d.name} ({len(d.values)})" for d in listed)
            odd = next(d for d in listed if len(d.values) != len(listed[0].values))  # where the lengths part
            raise SpecError(f"zip mode needs lists of one length; got {listing}", odd.location, odd.name)
        length = lengths.pop() if lengths else 1
        return range(length), length
    size = _grid_size(spec)
    if spec.mode == "random":
        if spec.random_n > size:
            raise SpecError(f"random.n ({spec.random_n}) exceeds the number of grid points ({size}); "
                            "use mode: grid to run them all", spec.location_of("mode"), "mode.random.n")
        return sorted(random.Random(spec.random_seed).sample(range(size), spec.random_n)), None
    return range(size), None


def _values_at(spec: SweepSpec, grid_index: int, zipped: bool) -> dict:
    params = {}
    if zipped:
        for dim in spec.dimensions:
            params[dim.name] = dim.values[grid_index] if len(dim.values) > 1 else dim.values[0]
        return params
    rest = grid_index
    for dim in reversed(spec.dimensions):
        rest, pos = divmod(rest, len(dim.values))
        params[dim.name] = dim.values[pos]
    return {d.name: params[d.name] for d in spec.dimensions}


def _override_at(spec: SweepSpec, name: str, value) -> str:
    """override_text for the sweep dimension ``name`` (``set.FIELD``), an error located at it."""
    try:
        return override_text(name[4:], value)
    except SpecError as exc:
        raise SpecError(exc.message, exc.location or spec.location_of(name), exc.field) from None


def expand(spec: SweepSpec) -> tuple[Point, ...]:
    """Every point of ``spec``, in sweep order, each with its configuration and key."""
    indices, zip_length = _indices(spec)
    count = len(indices)
    if count > MAX_POINTS:
        raise ResourceLimitError(f"the sweep has {count:,} points; at most {MAX_POINTS:,} are run in one sweep "
                                 "(use mode: {random: {n, seed}} to sample)", field="mode")
    identity = _Identity()
    paths: dict[str, str] = {}  # arch/workload value as written -> what to load
    points = []
    for index, grid_index in enumerate(indices):
        params = _values_at(spec, grid_index, zip_length is not None)
        overrides = tuple(_override_at(spec, name, value) for name, value in params.items() if name.startswith("set."))
        settings = {name[9:]: value for name, value in params.items() if name.startswith("settings.")}
        for value in (params["arch"], params["workload"]):
            if value not in paths:
                paths[value] = spec.input_path(value)
        arch, workload = paths[params["arch"]], paths[params["workload"]]
        batch, precision, sparsity = params.get("batch"), params.get("precision"), params.get("sparsity")
        config = {
            "accelsim_version": __version__,
            "arch": identity.arch(arch),
            "overrides": list(overrides),
            "workload": identity.workload(workload),
            "batch": batch,
            "precision": precision,
            "settings": settings,
        }
        if sparsity is not None:  # only present when set, so existing keys stay valid
            config["sparsity"] = sparsity
        if spec.keep_layers:
            config["keep_layers"] = True
        points.append(Point(index=index, params=params, arch=arch, workload=workload, batch=batch,
                            precision=precision, sparsity=sparsity, settings=settings, overrides=overrides,
                            config=config, key=config_hash(config)))
    return tuple(points)


def swept_names(spec: SweepSpec) -> tuple[str, ...]:
    """Names of the dimensions that take more than one value."""
    return tuple(d.name for d in spec.dimensions if len(d.values) > 1)
