"""The engine's timeline record and the causes a cycle can be attributed to (report/results.py
re-exports both: a :class:`~accelsim.report.results.RunResult` carries the timeline)."""
from __future__ import annotations

from dataclasses import dataclass

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
