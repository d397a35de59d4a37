"""Validate every point to run before anything runs: its arch (with overrides), workload,
precision and sparsity; compute its area and apply the constraints known before a run.

Errors name the sweep file's line for the parameter at fault and the point (index and values).
"""
from __future__ import annotations

from dataclasses import dataclass

from ..costs.arch_area import arch_area_mm2
from ..errors import AccelsimError, SpecError
from ..precision import get_precision
from ..spec.arch import ArchSpec
from .inputs import load_point_arch, load_point_workload
from .metrics import Constraint
from .points import Point, swept_names
from .spec import SweepSpec

MAX_LISTED_ERRORS = 5


@dataclass(frozen=True)
class PointTask:
    """Everything a worker needs to run one point (picklable; the arch is already validated)."""

    key: str
    index: int
    arch: ArchSpec
    workload: str
    workload_sha256: str | None
    batch: int | None
    precision: str | None
    sparsity: str | None
    settings: dict
    area_mm2: float
    area_mm2_by_part: dict
    keep_layers: bool = False
    memoize: bool = True


@dataclass(frozen=True)
class InvalidPoint:
    point: Point
    error: AccelsimError


@dataclass(frozen=True)
class Prepared:
    tasks: tuple[PointTask, ...]
    invalid: tuple[InvalidPoint, ...]
    pruned: tuple[tuple[Point, float, dict], ...]  # (point, area_mm2, breakdown) failing a pre-run constraint


def _dimension_of(point: Point, exc: AccelsimError) -> str | None:
    """The sweep dimension an error from loading a point's inputs is about."""
    field = exc.field or ""
    for text in point.overrides:
        name = text.split("=", 1)[0]
        if field == name or field.startswith(name + ".") or (exc.location and str(exc.location) == f"--set {text}"):
            return f"set.{name}"
    if field in ("--arch",):
        return "arch"
    if field in ("--workload", "workload"):
        for name in point.settings:
            if name in exc.message:
                return f"settings.{name}"
        return "workload"
    if field in ("--batch", "batch"):
        return "batch"
    if field in ("--precision", "precision"):
        return "precision"
    if field == "sparsity" or field.startswith("--sparsity"):
        return "sparsity"
    if field in point.settings:
        return f"settings.{field}"
    return None


def point_error(spec: SweepSpec, point: Point, exc: AccelsimError) -> SpecError:
    """``exc`` re-raised at the sweep file's line for the parameter at fault, naming the point."""
    dim = _dimension_of(point, exc)
    where = spec.location_of(dim) if dim and spec.dimension(dim) else exc.location
    inner = exc.message if dim else str(exc)
    field = dim if dim else "point"
    if exc.field and dim and dim.startswith("set.") and exc.field != dim[4:]:
        inner = f"{exc.field}: {inner}"
    return SpecError(f"point {point.index} ({point.describe(swept_names(spec))}): {inner}", where, field)


def _check_precision(arch: ArchSpec, precision: str | None) -> None:
    if precision is None:
        return
    try:
        name = get_precision(precision).name
    except AccelsimError as exc:
        raise AccelsimError(exc.message, field="precision") from None
    mu = arch.matrix_unit
    if mu is not None and name not in mu.precisions:
        raise AccelsimError(f"precision '{name}' is not supported by {arch.name}'s matrix unit; "
                            f"supported: {', '.join(mu.precisions)}", field="precision")


def _check_sparsity(text: str | None) -> None:
    """Parse a sparsity string the way ``simulate(sparsity=...)`` will, so a bad one is found before any point runs."""
    if text is None:
        return
    from ..sparsity.config import parse_sparsity

    try:
        parse_sparsity(text)
    except AccelsimError as exc:
        raise AccelsimError(exc.message, field="sparsity") from None


def prepare(spec: SweepSpec, points: tuple[Point, ...] | list[Point], memoize: bool = True) -> Prepared:
    """Validate ``points`` (errors are collected, not raised) and turn the valid ones into tasks."""
    pre_run: tuple[Constraint, ...] = tuple(c for c in spec.constraints if c.pre_run)
    tasks, invalid, pruned = [], [], []
    for point in points:
        arch_sha = point.config["arch"].get("sha256")
        workload_sha = point.config["workload"].get("sha256")
        try:
            _check_sparsity(point.sparsity)
            arch = load_point_arch(point.arch, arch_sha, point.overrides, memoize)
            load_point_workload(point.workload, workload_sha, point.batch, point.settings, memoize)
            _check_precision(arch, point.precision)
        except AccelsimError as exc:
            invalid.append(InvalidPoint(point, point_error(spec, point, exc)))
            continue
        area, parts = arch_area_mm2(arch)
        if not all(c.allows(area) for c in pre_run):
            pruned.append((point, area, parts))
            continue
        tasks.append(PointTask(key=point.key, index=point.index, arch=arch, workload=point.workload,
                               workload_sha256=workload_sha, batch=point.batch, precision=point.precision,
                               sparsity=point.sparsity, settings=dict(point.settings), area_mm2=area,
                               area_mm2_by_part=parts, keep_layers=spec.keep_layers, memoize=memoize))
    return Prepared(tuple(tasks), tuple(invalid), tuple(pruned))


def invalid_points_error(invalid: tuple[InvalidPoint, ...], total: int) -> SpecError:
    """One error for a sweep with invalid points: the first in full, a few more listed."""
    first = invalid[0].error
    lines = [first.message,
             (f"{len(invalid)} of {total} points are invalid, so nothing was run "
              "(--skip-invalid records them as invalid and runs the rest)")]
    for item in invalid[1:MAX_LISTED_ERRORS]:
        lines.append(f"  {item.error}")
    if len(invalid) > MAX_LISTED_ERRORS:
        lines.append(f"  ... and {len(invalid) - MAX_LISTED_ERRORS} more")
    return SpecError("\n".join(lines), first.location, first.field)
