"""The sweep spec: what a user writes in a sweep YAML file, parsed into a frozen :class:`SweepSpec`.

Every swept parameter is a :class:`Dimension` with its alternatives. A YAML list gives
alternatives; ``{from: A, to: B, step: S}`` or ``{from: A, to: B, factor: F}`` gives an inclusive
arithmetic or geometric range; anything else is one value. To set a list-valued arch field, wrap
the list: ``matrix_unit.fused_ops: [[bias, relu]]``. Paths to arch or workload files are relative
to the sweep file's folder; dimensions and point parameters keep them as written (so stored and
exported sweeps do not depend on where the files are), and :meth:`SweepSpec.input_path` gives
the path to load.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass
from pathlib import Path

from ..errors import Location, SpecError, did_you_mean
from ..guards import MAX_BATCH
from ..yamlio import MarkedDict, load_yaml_file
from .keys import file_sha256
from .metrics import SENSES, Constraint, Objective, check_metric_name

SUPPORTED_VERSIONS = (1,)
MODES = ("grid", "zip", "random")
TOP_LEVEL_KEYS = ("version", "name", "description", "arch", "workload", "batch", "precision", "sparsity",
                  "settings", "set", "mode", "constraints", "objectives", "keep_layers")
#: Top-level parameters, in the order their dimensions are expanded (the last varies fastest).
PARAMETERS = ("arch", "workload", "batch", "precision", "sparsity")
MAX_RANGE_VALUES = 100_000
_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$")
_FILE_SUFFIXES = (".yaml", ".yml", ".onnx", ".csv")


@dataclass(frozen=True)
class Dimension:
    """One swept parameter: ``name`` is ``arch``, ``workload``, ``batch``, ``precision``,
    ``sparsity``, ``settings.<name>`` or ``set.<dotted arch field>``."""

    name: str
    values: tuple
    location: Location | None = None


@dataclass(frozen=True)
class SweepSpec:
    name: str
    source: str  # the sweep file
    base_dir: str  # relative arch/workload paths are resolved against this folder
    dimensions: tuple[Dimension, ...]
    mode: str  # grid | zip | random
    random_n: int | None = None
    random_seed: int | None = None
    constraints: tuple[Constraint, ...] = ()
    objectives: tuple[Objective, ...] = ()
    keep_layers: bool = False
    description: str = ""
    spec_sha256: str = ""

    def dimension(self, name: str) -> Dimension | None:
        for dim in self.dimensions:
            if dim.name == name:
                return dim
        return None

    def location_of(self, name: str) -> Location | None:
        dim = self.dimension(name)
        return dim.location if dim else Location(self.source)

    def input_path(self, value: str) -> str:
        """An arch or workload value as written -> what to load (relative files: in the sweep's folder)."""
        return _resolve_path(value, Path(self.base_dir))


def _where(tree: MarkedDict, key: str) -> Location | None:
    return tree.marks.get(key, tree.location)


def _range_values(node: MarkedDict, where: Location | None, field: str) -> tuple:
    allowed = {"from", "to", "step", "factor"}
    unknown = set(node) - allowed
    if unknown:
        raise SpecError(f"unknown range key(s) {sorted(unknown)}; a range is {{from, to, step}} or {{from, to, factor}}",
                        where, field)
    if "from" not in node or "to" not in node or ("step" in node) == ("factor" in node):
        raise SpecError("a range needs from, to and exactly one of step (arithmetic) or factor (geometric)", where, field)
    start, stop = node["from"], node["to"]
    for key in node:
        value = node[key]
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            raise SpecError(f"range '{key}' must be a finite number, got {value!r}", node.marks.get(key, where), field)
    if stop < start:
        raise SpecError(f"range 'to' ({stop}) is below 'from' ({start})", where, field)
    integral = all(isinstance(node[k], int) for k in node)
    values = []
    if "step" in node:
        step = node["step"]
        if step <= 0:
            raise SpecError(f"range step must be positive, got {step}", node.marks.get("step", where), field)
        span = (stop - start) / step  # a float range may overflow: inf steps
        count = math.floor(span + 1e-9) + 1 if math.isfinite(span) else math.inf
        if count > MAX_RANGE_VALUES:
            shown = count if math.isfinite(count) else "too many"
            raise SpecError(f"range has {shown} values; at most {MAX_RANGE_VALUES}", where, field)
        values = [start + i * step if integral else round(start + i * step, 12) for i in range(count)]
    else:
        factor = node["factor"]
        if factor <= 1:
            raise SpecError(f"range factor must be above 1, got {factor}", node.marks.get("factor", where), field)
        if start <= 0:
            raise SpecError(f"a geometric range must start above 0, got {start}", node.marks.get("from", where), field)
        value = start
        while value <= stop * (1 + 1e-12):
            values.append(value if integral else round(value, 12))
            if len(values) > MAX_RANGE_VALUES:
                raise SpecError(f"range has more than {MAX_RANGE_VALUES} values", where, field)
            value = value * factor
    return tuple(values)


def _alternatives(node, where: Location | None, field: str) -> tuple:
    """A YAML value -> its alternatives (a list, a range, or one value)."""
    if isinstance(node, list):
        if not node:
            raise SpecError("an empty list sweeps nothing; give at least one value", where, field)
        return tuple(_plain(v) for v in node)
    if isinstance(node, MarkedDict) and "from" in node:
        return _range_values(node, where, field)
    return (_plain(node),)


def _plain(value):
    """Marked containers -> plain dict/list (points are pickled and hashed)."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def _check_values(name: str, values: tuple, where: Location | None) -> tuple:
    """Type-check the alternatives of a top-level parameter or a workload setting."""
    out = []
    for value in values:
        if name in ("arch", "workload"):
            if not isinstance(value, str) or not value.strip():
                raise SpecError(f"expected a name or a file path, got {value!r}", where, name)
        elif name == "batch":
            if value is not None and (isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_BATCH):
                raise SpecError(f"expected an integer from 1 to 10^7 (samples), got {value!r}", where, name)
        elif name == "precision":
            if value is not None and not isinstance(value, str):
                raise SpecError(f"expected a precision name such as int8 or bf16, got {value!r}", where, name)
        elif name == "sparsity":
            if isinstance(value, (dict, list)):
                raise SpecError(f"expected a --sparsity string such as 'weights=0.9,structure=2:4', got {value!r}",
                                where, name)
            # whitespace never matters in a --sparsity string; dropping it keeps one key per setting
            value = None if value is None else "".join(str(value).split())
        elif name.startswith("settings.") and (isinstance(value, (dict, list)) or value is None):
            raise SpecError(f"expected a number or string, got {value!r}", where, name)
        out.append(value)
    return tuple(out)


def _resolve_path(value: str, base_dir: Path) -> str:
    """A relative file path is taken relative to the sweep file; names pass through unchanged."""
    path = Path(value)
    if path.suffix.lower() in _FILE_SUFFIXES and not path.is_absolute():
        candidate = base_dir / path
        if candidate.exists() or not path.exists():
            return str(candidate)
    return value


def _parse_constraints(tree: MarkedDict) -> tuple[Constraint, ...]:
    node = tree.get("constraints")
    if node is None:
        return ()
    where = _where(tree, "constraints")
    if not isinstance(node, MarkedDict):
        raise SpecError("expected a mapping of metric: {min: X, max: Y}", where, "constraints")
    out = []
    for metric, bounds in node.items():
        field = f"constraints.{metric}"
        loc = node.marks.get(metric, where)
        check_metric_name(metric, node.key_marks.get(metric, loc), field)
        if not isinstance(bounds, MarkedDict) or not bounds or set(bounds) - {"min", "max"}:
            raise SpecError("expected {min: NUMBER} and/or {max: NUMBER}", loc, field)
        for key, value in bounds.items():
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
                raise SpecError(f"expected a finite number, got {value!r}", bounds.marks.get(key, loc), f"{field}.{key}")
        if "min" in bounds and "max" in bounds and bounds["min"] > bounds["max"]:
            raise SpecError(f"min ({bounds['min']}) is above max ({bounds['max']})", loc, field)
        out.append(Constraint(metric, bounds.get("min"), bounds.get("max")))
    return tuple(out)


def _parse_objectives(tree: MarkedDict) -> tuple[Objective, ...]:
    node = tree.get("objectives")
    if node is None:
        return ()
    where = _where(tree, "objectives")
    items: list[tuple[str, object, Location | None]] = []
    if isinstance(node, MarkedDict):
        items = [(k, v, node.marks.get(k, where)) for k, v in node.items()]
    elif isinstance(node, list):
        for i, entry in enumerate(node):
            loc = node.marks[i] if hasattr(node, "marks") and i < len(node.marks) else where
            if not isinstance(entry, dict) or len(entry) != 1:
                raise SpecError("each objective is one 'metric: min' or 'metric: max' entry", loc, f"objectives[{i}]")
            (metric, sense), = entry.items()
            items.append((metric, sense, loc))
    else:
        raise SpecError("expected a list such as [{seconds: min}, {energy_j: min}]", where, "objectives")
    out = []
    for metric, sense, loc in items:
        check_metric_name(metric, loc, f"objectives.{metric}")
        if sense not in SENSES:
            raise SpecError(f"expected min or max, got {sense!r}", loc, f"objectives.{metric}")
        if any(o.metric == metric for o in out):
            raise SpecError("objective given twice", loc, f"objectives.{metric}")
        out.append(Objective(metric, sense))
    return tuple(out)


def _parse_mode(tree: MarkedDict) -> tuple[str, int | None, int | None]:
    node = tree.get("mode", "grid")
    where = _where(tree, "mode")
    if isinstance(node, str):
        if node == "random":
            raise SpecError("random mode needs its size and seed: mode: {random: {n: 100, seed: 1}}", where, "mode")
        if node not in MODES:
            raise SpecError(f"expected grid, zip or {{random: {{n, seed}}}}, got {node!r}{did_you_mean(node, MODES)}",
                            where, "mode")
        return node, None, None
    if isinstance(node, MarkedDict) and set(node) == {"random"} and isinstance(node["random"], MarkedDict):
        opts = node["random"]
        loc = node.marks.get("random", where)
        unknown = set(opts) - {"n", "seed"}
        if unknown or "n" not in opts:
            raise SpecError("random mode takes {n: POINTS, seed: INTEGER}", loc, "mode.random")
        n, seed = opts["n"], opts.get("seed", 0)
        if isinstance(n, bool) or not isinstance(n, int) or n < 1:
            raise SpecError(f"expected a positive number of points, got {n!r}", opts.marks.get("n", loc), "mode.random.n")
        if isinstance(seed, bool) or not isinstance(seed, int):
            raise SpecError(f"expected an integer seed, got {seed!r}", opts.marks.get("seed", loc), "mode.random.seed")
        return "random", n, seed
    raise SpecError("expected grid, zip or {random: {n: POINTS, seed: INTEGER}}", where, "mode")


def parse_sweep_tree(tree, source: str, base_dir: Path, spec_sha256: str = "") -> SweepSpec:
    """Validate a parsed sweep YAML tree (see :func:`load_sweep_spec`)."""
    if not isinstance(tree, MarkedDict):
        raise SpecError("expected a mapping of sweep fields", Location(source, 1, 1), "<root>")
    for key in tree:
        if key not in TOP_LEVEL_KEYS:
            raise SpecError(f"unknown field '{key}'{did_you_mean(key, TOP_LEVEL_KEYS)}; known: {', '.join(TOP_LEVEL_KEYS)}",
                            tree.key_marks.get(key, tree.location), key)
    for key in ("version", "name", "arch", "workload"):
        if key not in tree:
            raise SpecError("required field is missing", tree.location or Location(source), key)
    if tree["version"] not in SUPPORTED_VERSIONS:
        raise SpecError(f"expected one of {SUPPORTED_VERSIONS}, got {tree['version']!r}", _where(tree, "version"), "version")
    name = tree["name"]
    if not isinstance(name, str) or not _NAME_RE.match(name):
        raise SpecError(f"expected a short name of letters, digits, '_', '.' or '-', got {name!r}", _where(tree, "name"), "name")
    description = tree.get("description", "")
    if not isinstance(description, str):
        raise SpecError("expected a string", _where(tree, "description"), "description")
    keep_layers = tree.get("keep_layers", False)
    if not isinstance(keep_layers, bool):
        raise SpecError(f"expected true or false, got {keep_layers!r}", _where(tree, "keep_layers"), "keep_layers")

    dims: list[Dimension] = []
    for key in PARAMETERS:
        if key not in tree:
            continue
        where = _where(tree, key)
        values = _check_values(key, _alternatives(tree[key], where, key), where)
        dims.append(Dimension(key, values, where))
    for section in ("settings", "set"):
        node = tree.get(section)
        if node is None:
            continue
        if not isinstance(node, MarkedDict):
            example = "{seq_len: [128, 384]}" if section == "settings" else "{matrix_unit.rows: [128, 256]}"
            raise SpecError(f"expected a mapping such as {example}", _where(tree, section), section)
        for field, value in node.items():
            dim_name = f"{section}.{field}"
            where = node.marks.get(field, node.location)
            if not field or any(not part for part in field.split(".")) or "=" in field:
                raise SpecError("expected a dotted field path such as matrix_unit.rows", node.key_marks.get(field, where), dim_name)
            values = _alternatives(value, where, dim_name)
            if section == "settings":
                values = _check_values(dim_name, values, where)
            dims.append(Dimension(dim_name, values, where))
    mode, random_n, random_seed = _parse_mode(tree)
    return SweepSpec(name=name, source=source, base_dir=str(base_dir), dimensions=tuple(dims), mode=mode,
                     random_n=random_n, random_seed=random_seed, constraints=_parse_constraints(tree),
                     objectives=_parse_objectives(tree), keep_layers=keep_layers, description=description,
                     spec_sha256=spec_sha256)


def load_sweep_spec(path: str | Path) -> SweepSpec:
    """Read and validate a sweep YAML file; errors name the file, line, column and field."""
    path = Path(path)
    if not path.exists():
        raise SpecError("no such sweep file", Location(str(path)), "spec")
    tree = load_yaml_file(path)
    return parse_sweep_tree(tree, str(path), path.resolve().parent, file_sha256(path))
