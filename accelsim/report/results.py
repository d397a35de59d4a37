"""Frozen result records. Every number a report shows is derived from the engine's timeline.

Field names carry their units. Later features add fields; they never rename these.
Mapping fields are read-only (accelsim/readonly.py); build a new mapping to change one.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

# the engine defines the timeline; re-exported here, beside the records that carry it
from ..engine.timeline import CAUSES, TimelineEvent  # noqa: F401 - CAUSES is re-exported
from ..readonly import ReadOnlyMaps


@dataclass(frozen=True)
class TrafficRecord:
    """Bytes one layer moved for one tensor at one memory level."""

    tensor: str
    level: str  # e.g. "dram", "unified_buffer", "host"
    read_bytes: int
    write_bytes: int


@dataclass(frozen=True)
class LayerResult(ReadOnlyMaps):
    name: str
    op: str
    unit: str
    cycles: int
    start_cycle: int
    end_cycle: int
    macs: int
    utilization: float
    energy_j: float
    dram_bytes: int
    bound: str  # "compute" or "memory" by the arch's own roofline
    cycles_by_cause: Mapping[str, int]
    operational_intensity: float  # MACs per DRAM byte (inf when no DRAM traffic)
    traffic: tuple[TrafficRecord, ...] = ()
    extra: Mapping = field(default_factory=dict)  # unit-specific details (folds, algorithm, ...)


@dataclass(frozen=True)
class Totals(ReadOnlyMaps):
    cycles: int
    seconds: float
    macs: int
    tops: float
    utilization: float
    energy_j: float
    dram_bytes: int
    cycles_by_cause: Mapping[str, int]
    energy_j_by_component: Mapping[str, float]


@dataclass(frozen=True)
class RunResult(ReadOnlyMaps):
    arch: str
    workload: str
    batch: int
    precision: str
    clock_mhz: float
    totals: Totals
    layers: tuple[LayerResult, ...]
    timeline: tuple[TimelineEvent, ...]
    extra: Mapping = field(default_factory=dict)  # sections added by later features (gpu_baseline, ...)
