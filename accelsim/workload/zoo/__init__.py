"""Built-in networks. Each module here defines ``WORKLOADS``: a dict of name -> :class:`ZooEntry`.

Modules are discovered by name, so adding a network means adding a module (or an entry).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable


@dataclass(frozen=True)
class ZooEntry:
    """A built-in network: ``build(batch, **settings)`` returns a Workload."""

    build: Callable
    default_batch: int
    description: str
    source: str
    settings: dict = field(default_factory=dict)  # size parameters and their defaults (seq_len=128...)
