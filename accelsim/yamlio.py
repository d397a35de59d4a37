"""Safe YAML loading that keeps where every value came from.

Only ``yaml.SafeLoader`` constructs are allowed (nothing is evaluated). Duplicate keys, alias bombs
(too many aliases, or a document whose aliases expand to too many values) and non-string keys are
rejected with a location. Mappings come back as :class:`MarkedDict` and
sequences as :class:`MarkedList`, whose ``.marks`` give the :class:`Location` of each entry.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from .errors import AccelsimError, Location

MAX_YAML_BYTES = 16 * 1024 * 1024
MAX_ALIASES = 1000
#: values of a document with its aliases expanded (workload YAMLs of 100,000 layers need ~600,000)
MAX_EXPANDED_NODES = 2_000_000


class MarkedDict(dict):
    """A dict that remembers where each value (``marks[key]``), each key (``key_marks[key]``) and
    the mapping itself (``location``) stand."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.marks: dict[str, Location] = {}
        self.key_marks: dict[str, Location] = {}
        self.location: Location | None = None


class MarkedList(list):
    """A list that remembers the location of each item (``marks[i]``) and of itself."""

    def __init__(self, *args):
        super().__init__(*args)
        self.marks: list[Location] = []
        self.location: Location | None = None


def copy_tree(node):
    """A copy of a marked YAML tree that keeps every location; scalars (immutable) are shared, which
    makes it several times faster than ``copy.deepcopy``."""
    if isinstance(node, MarkedDict):
        out = MarkedDict((k, copy_tree(v)) for k, v in node.items())
        out.marks, out.key_marks, out.location = dict(node.marks), dict(node.key_marks), node.location
        return out
    if isinstance(node, MarkedList):
        out = MarkedList([copy_tree(v) for v in node])
        out.marks, out.location = list(node.marks), node.location
        return out
    if isinstance(node, dict):
        return {k: copy_tree(v) for k, v in node.items()}
    if isinstance(node, list):
        return [copy_tree(v) for v in node]
    return node


def _loc(file: str | None, mark) -> Location:
    return Location(file, mark.line + 1, mark.column + 1)


class _Loader(yaml.SafeLoader):
    """SafeLoader that builds marked containers and counts aliases."""

    source_name: str | None = None
    alias_count = 0

    def get_single_data(self):
        node = self.get_single_node()
        if node is None:
            return None
        if _expanded_nodes(node, MAX_EXPANDED_NODES) > MAX_EXPANDED_NODES:
            raise AccelsimError(
                f"the document expands to more than {MAX_EXPANDED_NODES:,} values through its aliases "
                "(a YAML 'billion laughs'); anchors/aliases this heavy are refused",
                _loc(self.source_name, node.start_mark))
        return self.construct_document(node)

    def compose_node(self, parent, index):
        if self.check_event(yaml.AliasEvent):
            self.alias_count += 1
            if self.alias_count > MAX_ALIASES:
                event = self.peek_event()
                raise AccelsimError(
                    f"more than {MAX_ALIASES} YAML aliases; anchors/aliases this heavy are refused",
                    _loc(self.source_name, event.start_mark),
                )
        return super().compose_node(parent, index)


def _expanded_nodes(root: yaml.Node, limit: int) -> int:
    """Nodes of ``root`` with every alias expanded (a billion-laughs document is small on disk but
    huge expanded); stops counting past ``limit``. Shared nodes are counted once per reference
    without walking them again; a node inside its own anchor counts once."""
    sizes: dict[int, int] = {}
    active: set[int] = set()
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, children_done = stack.pop()
        key = id(node)
        if isinstance(node, yaml.SequenceNode):
            children = node.value
        elif isinstance(node, yaml.MappingNode):
            children = [item for pair in node.value for item in pair]
        else:
            children = []
        if children_done:
            active.discard(key)
            sizes[key] = min(limit + 1, 1 + sum(sizes.get(id(child), 1) for child in children))
        elif key not in sizes and key not in active:
            active.add(key)
            stack.append((node, True))
            stack.extend((child, False) for child in children if id(child) not in sizes)
    return sizes.get(id(root), 1)


def _construct_mapping(loader: _Loader, node: yaml.MappingNode) -> MarkedDict:
    loader.flatten_mapping(node)
    result = MarkedDict()
    result.location = _loc(loader.source_name, node.start_mark)
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if not isinstance(key, str):
            raise AccelsimError(
                f"keys must be strings, got {type(key).__name__} {key!r}",
                _loc(loader.source_name, key_node.start_mark),
            )
        if key in result:
            raise AccelsimError(
                f"duplicate key '{key}' (first given at line {result.marks[key].line})",
                _loc(loader.source_name, key_node.start_mark),
            )
        result[key] = loader.construct_object(value_node, deep=True)
        result.marks[key] = _loc(loader.source_name, value_node.start_mark)
        result.key_marks[key] = _loc(loader.source_name, key_node.start_mark)
    return result


def _construct_sequence(loader: _Loader, node: yaml.SequenceNode) -> MarkedList:
    result = MarkedList()
    result.location = _loc(loader.source_name, node.start_mark)
    for child in node.value:
        result.append(loader.construct_object(child, deep=True))
        result.marks.append(_loc(loader.source_name, child.start_mark))
    return result


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _construct_sequence)


def _reader_location(exc: yaml.YAMLError, text: str, source_name: str | None) -> Location:
    """Line and column of a reader error (it gives only the character position)."""
    position = getattr(exc, "position", None)
    if not isinstance(position, int):
        return Location(source_name)
    line = text.count("\n", 0, position) + 1
    return Location(source_name, line, position - (text.rfind("\n", 0, position) + 1) + 1)


def load_yaml_text(text: str, source_name: str | None = None) -> Any:
    """Parse YAML text into marked containers; raise :class:`AccelsimError` on any problem."""
    if len(text) > MAX_YAML_BYTES:
        raise AccelsimError(f"file is larger than {MAX_YAML_BYTES // (1024 * 1024)} MiB", Location(source_name))
    try:
        loader = _Loader(text)  # the reader refuses control characters here, before parsing
    except yaml.YAMLError as exc:
        char = getattr(exc, "character", None)
        char = chr(char) if isinstance(char, int) else char
        what = (f"character {char!r} is not allowed in YAML text" if isinstance(char, str)
                else "not valid YAML: " + " ".join(str(exc).split()))
        raise AccelsimError(what, _reader_location(exc, text, source_name)) from None
    loader.source_name = source_name
    try:
        return loader.get_single_data()
    except AccelsimError:
        raise
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = _loc(source_name, mark) if mark is not None else Location(source_name)
        raise AccelsimError(f"not valid YAML: {exc.problem or exc.context}", where) from None
    except yaml.YAMLError as exc:
        raise AccelsimError(f"not valid YAML: {exc}", Location(source_name)) from None
    except RecursionError:
        raise AccelsimError("YAML nesting is too deep", Location(source_name)) from None
    finally:
        loader.dispose()


def load_yaml_file(path: str | Path) -> Any:
    """Read and parse a YAML file; unreadable or non-UTF-8 files give a clear error."""
    path = Path(path)
    try:
        size = path.stat().st_size
        if size > MAX_YAML_BYTES:
            raise AccelsimError(f"file is larger than {MAX_YAML_BYTES // (1024 * 1024)} MiB", Location(str(path)))
        raw = path.read_bytes()
    except OSError as exc:
        raise AccelsimError(f"cannot read file: {exc.strerror or exc}", Location(str(path))) from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise AccelsimError(f"not UTF-8 text (byte {exc.start})", Location(str(path))) from None
    if "\x00" in text:
        raise AccelsimError("binary data, not YAML text", Location(str(path)))
    return load_yaml_text(text, str(path))
