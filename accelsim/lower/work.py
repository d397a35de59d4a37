"""What the lowering hands the engine: tasks on units, with their memory transfers."""
from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True)
class Transfer:
    """``nbytes`` of ``tensor`` moved from memory level ``src`` to ``dst`` (dram, host, or a buffer name)."""

    tensor: str
    src: str
    dst: str
    nbytes: int


@dataclass(frozen=True)
class GemmWork:
    """``count`` GEMMs of (m x k) . (k x n) run back to back on the matrix unit(s)."""

    m: int
    k: int
    n: int
    count: int
    #: bytes per stationary-operand element fetched from memory while the GEMM runs (0: resident)
    fetch_bytes_per_element: float
    #: MACs per PE per cycle at this precision (1.0 = full rate)
    rate: float
    #: where the stationary operand streams from: "dram", or the secondary memory level holding it resident
    fetch_level: str = "dram"

    @property
    def stored_weight_bytes(self) -> int:
        """Bytes of the stationary operand as stored in memory: what one pass of its stream fetches."""
        return math.ceil(self.count * self.k * self.n * self.fetch_bytes_per_element)


@dataclass(frozen=True)
class Task:
    """One schedulable piece of work: a layer plus whatever the architecture fused into it."""

    name: str
    layers: tuple[str, ...]
    op: str
    unit: str  # "matrix", "vector" or "none" (free relabelling / graph input)
    deps: tuple[str, ...]
    macs: int
    gemm: GemmWork | None
    vector_cycles: int  # cycles of this task's own work on the vector unit (unfused vector ops)
    #: fused output pipeline on the vector unit, running while the matrix unit works: its total
    #: cycles (the slowest stage) and the tail that must follow the last column fold
    output_pipeline_cycles: int
    output_tail_cycles: int
    scalar_instructions: float
    loads: tuple[Transfer, ...]
    stores: tuple[Transfer, ...]
    weight_bytes: int
    input_bytes: int
    output_bytes: int
    activation_buffer: str | None  # buffer holding this task's activations, if on chip
    live_bytes: int  # activation bytes live in the buffer while this task runs
    notes: tuple[str, ...] = ()
    is_graph_input: bool = False  # a graph input: its data arrives over the host link
    #: multiplies the layer would need computed densely (im2col/direct); differs from ``macs`` when a
    #: fast algorithm (Winograd) does fewer: network MAC utilisation credits these (0: same as macs)
    dense_equivalent_macs: int = 0
    #: convolution algorithm chosen for a conv layer (im2col, direct, winograd_f2, winograd_f4), else ""
    conv_algorithm: str = ""
    #: the named vector-like unit that does this task's vector work (NVDLA "pdp", "cdp"); "" = the
    #: vector unit. The engine runs it on the "vector" resource until it models these units apart.
    subunit: str = ""
    #: element operations done on vector-like units (unfused work plus the fused output pipeline)
    vector_element_ops: int = 0
    #: activation tiles streamed through the buffer when input + output exceed it (1: no tiling);
    #: tile i+1 loads and tile i-1 stores while tile i computes (double buffering)
    tiles: int = 1
    #: actions of vector work on a SIMD grid (accelsim/engine/simd_grid.py): element ops by LNS class
    #: (log_multiply, log_add, compare, function) and "link_byte_hops"; empty on other archs
    grid_actions: tuple[tuple[str, float], ...] = ()
    #: spilled activation bytes live in the secondary memory level while this task runs
    secondary_live_bytes: int = 0


@dataclass(frozen=True)
class Program:
    arch: str
    workload: str
    batch: int
    precision: str
    tasks: tuple[Task, ...]
