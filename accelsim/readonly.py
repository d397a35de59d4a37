"""Read-only mapping fields for frozen dataclasses.

``@dataclass(frozen=True)`` refuses ``spec.energy = {...}`` but not ``spec.energy["mac_int8_pj"] = 0``:
a dict field stays mutable, and a spec or result shared between callers (a sweep memoises one
ArchSpec per arch file and overrides and hands it to every point of that arch) would carry such a
change to all of them. A frozen dataclass that derives from :class:`ReadOnlyMaps` holds every
dict-valued field as a read-only copy (:class:`types.MappingProxyType`) from construction on
(``dataclasses.replace`` and unpickling included), so writing to one raises TypeError. The copy
is shallow: a dict nested in such a field (a section of ``RunResult.extra``) is not frozen.

A mappingproxy is neither JSON-serialisable nor picklable: :func:`thaw` turns one back into a
plain dict; :func:`accelsim.jsonsafe.json_safe` (every JSON the package writes) and the pickle
state of :class:`ReadOnlyMaps` (sweep points sent to worker processes) go through it.
"""
from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from types import MappingProxyType


def frozen_map(mapping: Mapping) -> MappingProxyType:
    """A read-only copy of ``mapping`` (a copy, so that later changes to the argument cannot leak in)."""
    return MappingProxyType(dict(mapping))


def thaw(value):
    """``value`` as a plain dict when it is a read-only mapping; any other value as it is."""
    return dict(value) if isinstance(value, MappingProxyType) else value


class ReadOnlyMaps:
    """Mixin for frozen dataclasses: every field holding a dict holds a read-only copy instead."""

    __slots__ = ()

    def __post_init__(self) -> None:
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if isinstance(value, (dict, MappingProxyType)):
                object.__setattr__(self, f.name, frozen_map(value))

    def __getstate__(self) -> dict:
        """Pickle state with plain dicts (a mappingproxy cannot be pickled)."""
        return {name: thaw(value) for name, value in self.__dict__.items()}

    def __setstate__(self, state: dict) -> None:
        for name, value in state.items():
            object.__setattr__(self, name, value)
        ReadOnlyMaps.__post_init__(self)
