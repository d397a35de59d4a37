"""Frozen result records. Every number a report shows is derived from the engine's timeline.

Field names carry their units. Later features add fields; they never rename these.
"""
from __future__ import annotations

from dataclasses import dataclass, field

# Causes a cycle can be attributed to, in the priority order used when several units overlap.
CAUSES = (
    "compute",            # the matrix unit is doing MACs (array active)
    "weight_shift",       # stationary operands shifting into the array, nothing else to hide it
    "weight_load_stall",  # waiting for weights from off-chip memory
    "input_stall",        # waiting for activations/inputs to arrive from memory
    "output_stall",       # waiting for results to drain to memory
    "vector",             # non-matrix work on the vector unit(s)
    "scalar",             # control/instruction issue on the scalar unit
    "dependency_stall",   # read-after-write synchronisation latency between units (no model charges one yet)
    "host_transfer",      # waiting for the host link (PCIe); TPU v1's Table 3 excludes this
    "idle",               # nothing to do
)


@dataclass(frozen=True)
class TimelineEvent:
    """One interval of work on one track (unit, DMA engine or link), in cycles [start, end)."""

    track: str
    layer: str
    cause: str
    start_cycle: int
    end_cycle: int


@dataclass(frozen=True)
class TrafficRecord:
    """Bytes one layer moved for one tensor at one memory level."""

    tensor: str
    level: str  # e.g. "dram", "unified_buffer", "host"
    read_bytes: int
    write_bytes: int


@dataclass(frozen=True)
class LayerResult:
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
    cycles_by_cause: dict[str, int]
    operational_intensity: float  # MACs per DRAM byte (inf when no DRAM traffic)
    traffic: tuple[TrafficRecord, ...] = ()
    extra: dict = field(default_factory=dict)  # unit-specific details (folds, algorithm, ...)


@dataclass(frozen=True)
class Totals:
    cycles: int
    seconds: float
    macs: int
    tops: float
    utilization: float
    energy_j: float
    dram_bytes: int
    cycles_by_cause: dict[str, int]
    energy_j_by_component: dict[str, float]


@dataclass(frozen=True)
class RunResult:
    arch: str
    workload: str
    batch: int
    precision: str
    clock_mhz: float
    totals: Totals
    layers: tuple[LayerResult, ...]
    timeline: tuple[TimelineEvent, ...]
    extra: dict = field(default_factory=dict)  # sections added by later features (gpu_baseline, ...)
