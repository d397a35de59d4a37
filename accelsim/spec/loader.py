"""Find an architecture by name or path, apply ``--set`` overrides, and validate it."""
from __future__ import annotations

from pathlib import Path

from ..errors import AccelsimError, Location, SpecError, did_you_mean
from ..yamlio import MarkedDict, MarkedList, copy_tree, load_yaml_file, load_yaml_text
from .arch import ArchSpec
from .schema import from_tree


def archs_folder() -> Path:
    """The shipped ``archs/`` folder (installed as accelsim/archs, or the source checkout's)."""
    here = Path(__file__).resolve().parent.parent
    for folder in (here / "archs", here.parent / "archs"):
        if folder.is_dir():
            return folder
    return here / "archs"


def shipped_archs() -> dict[str, Path]:
    """Name -> path of every accelerator config shipped in archs/ (GPU baselines live in archs/gpus)."""
    return {p.stem: p for p in sorted(archs_folder().glob("*.yaml"))}


def _apply_override(tree: MarkedDict, text: str) -> None:
    where = Location(f"--set {text if len(text) <= 160 else text[:160] + '...'}")
    if "=" not in text:
        raise SpecError("expected FIELD.PATH=VALUE, e.g. matrix_unit.clock_mhz=1050", where, "--set")
    path, raw = text.split("=", 1)
    keys = [k for k in path.strip().split(".")]
    if not all(keys):
        raise SpecError("empty field name in the path", where, path)
    try:  # the marked safe loader: tags, alias bombs and deep nesting are refused, nothing evaluated
        value = load_yaml_text(raw, where.file) if raw.strip() else ""
    except AccelsimError as exc:
        if not exc.message.startswith("not valid YAML") or raw.strip().startswith("!"):
            raise SpecError(f"{exc.message}; give a plain number, string, list or mapping", where,
                            path.strip()) from None
        value = raw  # not YAML: taken as the literal string
    node = tree
    walked = []
    for key in keys[:-1]:
        walked.append(key)
        if isinstance(node, list):  # list of named entries (memories): address by name
            match = [item for item in node if isinstance(item, dict) and item.get("name") == key]
            if not match:
                names = [item.get("name") for item in node if isinstance(item, dict)]
                raise SpecError(f"no entry named '{key}'{did_you_mean(key, [n for n in names if n])}; entries: {', '.join(map(str, names))}",
                                where, ".".join(walked))
            node = match[0]
        elif isinstance(node, dict):
            if key not in node:  # a new section: its errors point at the --set that made it
                node[key] = MarkedDict()
                node[key].location = where
                if isinstance(node, MarkedDict):
                    node.marks[key] = node.key_marks[key] = where
            node = node[key]
        else:
            raise SpecError(f"'{'.'.join(walked[:-1])}' is a value, not a section", where, ".".join(walked))
    last = keys[-1]
    if isinstance(node, dict):
        node[last] = value
        if isinstance(node, MarkedDict):
            node.marks[last] = where
    else:
        raise SpecError("cannot set a field inside a value", where, path)


def apply_overrides(tree: MarkedDict, texts) -> MarkedDict:
    """Apply ``--set`` style ``field.path=value`` strings to a copy of a marked arch tree."""
    tree = copy_tree(tree)
    for text in texts:
        _apply_override(tree, text)
    return tree


def load_arch(spec: str, overrides: list[str] | tuple[str, ...] = ()) -> ArchSpec:
    """Load ``spec`` (a shipped name or a YAML path), apply overrides, validate, return the spec."""
    path = Path(spec)
    if path.suffix.lower() not in (".yaml", ".yml"):
        shipped = shipped_archs()
        if spec not in shipped:
            raise SpecError(f"unknown architecture '{spec}'{did_you_mean(spec, shipped)}; shipped: {', '.join(shipped)} "
                            "(or give a path to a YAML file)", field="--arch")
        path = shipped[spec]
    elif not path.exists():
        raise SpecError("no such architecture file", Location(spec), "--arch")
    tree = load_yaml_file(path)
    if not isinstance(tree, MarkedDict):
        raise SpecError("expected a mapping of architecture fields", Location(str(path), 1, 1), "<root>")
    if overrides:
        tree = apply_overrides(tree, overrides)
    return from_tree(ArchSpec, tree, tree.location or Location(str(path)), "")


__all__ = ["MarkedList", "apply_overrides", "archs_folder", "load_arch", "shipped_archs"]
