"""Convert marked YAML trees into frozen dataclasses, validating as we go.

A spec class is a frozen dataclass whose fields may carry ``metadata``:
``doc`` (one line, with the unit), ``min`` / ``max`` (inclusive bounds), ``choices``.
Supported field types: int, float, str, bool, nested spec dataclasses, ``tuple[Spec, ...]``,
``dict[str, float|int|str]``, ``tuple[str, ...]`` and ``X | None``.
Unknown keys, wrong types, out-of-range values and missing fields raise :class:`SpecError`
with the location of the offending value and its dotted field path.
"""
from __future__ import annotations

import dataclasses
import math
import re
import reprlib
import types
import typing
from typing import Any

from ..errors import Location, SpecError, did_you_mean

MAX_INT = 10**15


def spec_field(default=dataclasses.MISSING, *, doc: str = "", min=None, max=None, choices=None, default_factory=dataclasses.MISSING):
    """A dataclass field with validation metadata."""
    meta = {"doc": doc, "min": min, "max": max, "choices": choices}
    if default_factory is not dataclasses.MISSING:
        return dataclasses.field(default_factory=default_factory, metadata=meta)
    return dataclasses.field(default=default, metadata=meta)


def _show(value) -> str:
    """A short repr for messages: huge or self-referencing YAML values are cut, not walked."""
    short = reprlib.Repr()
    short.maxstring, short.maxother, short.maxlist, short.maxdict, short.maxlevel = 80, 80, 6, 6, 3
    return short.repr(value)


def _check_range(value, meta, where, path):
    lo, hi, choices = meta.get("min"), meta.get("max"), meta.get("choices")
    if choices is not None and value not in choices:
        raise SpecError(f"expected one of {', '.join(map(str, choices))}, got {_show(value)}{did_you_mean(value if isinstance(value, str) else _show(value), map(str, choices))}", where, path)
    if lo is not None and value < lo:
        raise SpecError(f"expected a value >= {lo}, got {_show(value)}", where, path)
    if hi is not None and value > hi:
        raise SpecError(f"expected a value <= {hi}, got {_show(value)}", where, path)


# Numbers YAML 1.1 (PyYAML) reads as strings but users mean as numbers: 1e-6, 1.0e6, 2E3
_EXPONENT_NUMBER = re.compile(r"^[-+]?(\d+(\.\d*)?|\.\d+)[eE][-+]?\d+$")


def _scalar(tp, value, where: Location | None, path: str, meta: dict):
    if tp in (int, float) and isinstance(value, str) and _EXPONENT_NUMBER.match(value.strip()):
        value = float(value)
    if tp is bool:
        if not isinstance(value, bool):
            raise SpecError(f"expected true or false, got {_show(value)}", where, path)
        return value
    if tp is int:
        if isinstance(value, bool) or not isinstance(value, int):
            if isinstance(value, float) and value.is_integer() and abs(value) < MAX_INT:
                value = int(value)
            else:
                raise SpecError(f"expected an integer, got {_show(value)}", where, path)
        if abs(value) > MAX_INT:
            raise SpecError(f"integer {value} is out of range (at most {MAX_INT:.0e})", where, path)
    elif tp is float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise SpecError(f"expected a number, got {_show(value)}", where, path)
        value = float(value)
        if not math.isfinite(value):
            raise SpecError(f"expected a finite number, got {_show(value)}", where, path)
        if abs(value) > 1e18:
            raise SpecError(f"number {value} is out of range", where, path)
    elif tp is str and not isinstance(value, str):
        raise SpecError(f"expected a string, got {_show(value)}", where, path)
    _check_range(value, meta, where, path)
    return value


def convert(tp, value: Any, where: Location | None, path: str, meta: dict | None = None):
    """Convert one YAML value to ``tp`` (see module docstring)."""
    meta = meta or {}
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(tp) if a is not type(None)]
        if value is None:
            return None
        return convert(args[0], value, where, path, meta)
    if dataclasses.is_dataclass(tp):
        return from_tree(tp, value, where, path)
    if origin is tuple:
        item_tp = typing.get_args(tp)[0]
        if not isinstance(value, list):
            raise SpecError(f"expected a list, got {_show(value)}", where, path)
        marks = getattr(value, "marks", [where] * len(value))
        return tuple(convert(item_tp, v, marks[i], f"{path}[{i}]", meta) for i, v in enumerate(value))
    if origin is dict:
        _, val_tp = typing.get_args(tp)
        if not isinstance(value, dict):
            raise SpecError(f"expected a mapping, got {_show(value)}", where, path)
        marks = getattr(value, "marks", {})
        choices = meta.get("choices")
        out = {}
        for k, v in value.items():
            if choices is not None and k not in choices:
                raise SpecError(f"unknown key{did_you_mean(k, choices)}; expected one of {', '.join(choices)}", marks.get(k, where), f"{path}.{k}")
            out[str(k)] = convert(val_tp, v, marks.get(k, where), f"{path}.{k}", {k2: v2 for k2, v2 in meta.items() if k2 != "choices"})
        return out
    return _scalar(tp, value, where, path, meta)


def from_tree(cls, tree: Any, where: Location | None, path: str = ""):
    """Build spec dataclass ``cls`` from a marked mapping."""
    label = path or "<root>"
    if not isinstance(tree, dict):
        raise SpecError(f"expected a mapping of {cls.__name__} fields, got {_show(tree)}", where, label)
    hints = typing.get_type_hints(cls)
    fields = {f.name: f for f in dataclasses.fields(cls) if f.init}
    marks = getattr(tree, "marks", {})
    key_marks = getattr(tree, "key_marks", {})
    own = getattr(tree, "location", None) or where
    for key in tree:
        if key not in fields:
            raise SpecError(
                f"unknown key '{key}'{did_you_mean(str(key), fields)}; {cls.__name__} accepts: {', '.join(sorted(fields))}",
                key_marks.get(key, marks.get(key, own)), f"{path}.{key}" if path else str(key))
    kwargs = {}
    for name, f in fields.items():
        sub = f"{path}.{name}" if path else name
        if name in tree:
            kwargs[name] = convert(hints[name], tree[name], marks.get(name, own), sub, dict(f.metadata))
        elif f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
            doc = f.metadata.get("doc", "")
            raise SpecError(f"missing required field '{name}'" + (f" ({doc})" if doc else ""), own, sub)
    obj = cls(**kwargs)
    check = getattr(obj, "check", None)
    if check is not None:
        try:
            check(own, path)
        except SpecError as exc:
            # point at the offending value itself (which may come from a --set override)
            mark = _mark_for(tree, exc.field, path)
            if mark is not None:
                raise SpecError(exc.message, mark, exc.field) from None
            raise
    return obj


def _mark_for(tree, field: str | None, path: str) -> Location | None:
    """The location of ``field`` (a dotted path under ``path``) inside ``tree``, if known."""
    if not field:
        return None
    rel = field[len(path) + 1:] if path and field.startswith(path + ".") else field
    node, mark = tree, None
    for part in rel.split("."):
        key, _, index = part.partition("[")
        if not isinstance(node, dict) or key not in node:
            break
        mark = getattr(node, "marks", {}).get(key, mark)
        node = node[key]
        if index:
            i = int(index.rstrip("]"))
            if not isinstance(node, list) or i >= len(node):
                break
            marks = getattr(node, "marks", [])
            mark = marks[i] if i < len(marks) else mark
            node = node[i]
    return mark


def field_docs(cls, prefix: str = "") -> list[tuple[str, str, str]]:
    """(dotted path, type, doc) for every field of a spec class, recursively: for --help and docs."""
    rows = []
    hints = typing.get_type_hints(cls)
    for f in dataclasses.fields(cls):
        tp = hints[f.name]
        path = f"{prefix}{f.name}"
        inner = [a for a in typing.get_args(tp) if a is not type(None)] or [tp]
        target = inner[0]
        if typing.get_origin(target) is tuple:
            target = typing.get_args(target)[0]
        if dataclasses.is_dataclass(target):
            rows.extend(field_docs(target, path + "."))
        else:
            rows.append((path, getattr(tp, "__name__", str(tp)), f.metadata.get("doc", "")))
    return rows
