"""Built-in networks. Each module here defines ``WORKLOADS``: a dict of name -> :class:`ZooEntry`.

Modules are discovered by name, so adding a network means adding a module (or an entry).
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass(frozen=True)
class ZooEntry:
    """A built-in network: ``build(batch, **settings)`` returns a Workload."""

    build: Callable
    default_batch: int
    description: str
    source: str
    settings: dict = field(default_factory=dict)  # size parameters and their defaults (seq_len=128...)


def positive_setting(name: str, value) -> int:
    """A size setting (seq_len, hidden...) as a positive int; accepts ints and digit strings from the CLI."""
    from ...errors import WorkloadError

    if isinstance(value, str) and value.strip().isdigit():
        value = int(value.strip())
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise WorkloadError(f"setting {name} must be a positive integer, got {value!r}", field=name)
    if value > 10**7:
        raise WorkloadError(f"setting {name}={value} is unreasonably large (limit 10,000,000)", field=name)
    return value
