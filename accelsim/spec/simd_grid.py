"""SIMD-grid spec: a rectangle of small cores with local memory and nearest-neighbour links, all
driven by one control unit (Singular Computing's S1 style), computing in a log number system.

Used by ``archs/lns_s1.yaml``; the timing model is ``accelsim/engine/simd_grid.py``, the energy
model ``accelsim/costs/lns_grid.py`` (docs/lns_s1.md). An arch with a ``simd_grid`` has no
``matrix_unit``, ``vector_unit``, ``function_units`` or ``sparsity``: the grid's cores do all the
work, GEMMs and vector ops alike.
"""
from __future__ import annotations

from dataclasses import dataclass

from ..errors import AccelsimError, Location, SpecError
from ..precision import get_precision
from .schema import spec_field


@dataclass(frozen=True)
class SimdGridSpec:
    rows: int = spec_field(doc="core rows of the grid", min=1, max=100_000)
    cols: int = spec_field(doc="core columns of the grid", min=1, max=100_000)
    clock_mhz: float = spec_field(doc="clock of the cores and the control unit in MHz", min=1e-3, max=1e6)
    local_memory_kib: float = spec_field(doc="local memory of ONE core in KiB", min=1e-3, max=1e9)
    link_bytes_per_cycle: float = spec_field(
        doc="bytes one nearest-neighbour link carries per cycle in each direction (N, S, E, W links)", min=1e-6, max=1e9)
    core_pitch_mm: float = spec_field(doc="distance between neighbouring cores in mm (the wire length of one hop)",
                                      min=1e-6, max=1e3)
    precision: str = spec_field("lns16", doc="the log-number-system format the cores compute in (lns16, lns_i<I>f<F>)")
    link_latency_cycles: int = spec_field(1, doc="cycles a word spends in one hop besides its transfer time", min=0, max=10**6)
    log_multiply_cycles: int = spec_field(
        1, doc="cycles of an LNS multiply (an integer add of the logs; divide, reciprocal, sqrt alike)", min=1, max=10**6)
    log_add_cycles: int = spec_field(
        3, doc="cycles of an LNS add: x + G(y - x), G by table lookup + linear interpolation", min=1, max=10**6)
    compare_cycles: int = spec_field(
        1, doc="cycles of a compare-class op on log codes (max, min, ReLU, select, copy)", min=1, max=10**6)
    function_cycles: int = spec_field(
        6, doc="cycles of a transcendental (exp, sigmoid, tanh, log): log/linear conversions by table", min=1, max=10**6)
    accumulator_registers: int = spec_field(
        8, doc="registers per core that hold accumulators; a larger output block accumulates in local memory",
        min=0, max=10**6)
    table_entries: int = spec_field(
        1024, doc="entries of one G table (G+ for add, G- for subtract), each read with its neighbour", min=2, max=10**9)
    table_entry_bits: int = spec_field(16, doc="bits per table entry", min=1, max=64)
    interpolation_bits: int = spec_field(8, doc="width of the interpolation multiply (the fraction bits)", min=1, max=64)

    def check(self, where: Location | None, path: str) -> None:
        try:
            p = get_precision(self.precision)
        except AccelsimError as exc:
            raise SpecError(exc.message, where, f"{path}.precision") from None
        if p.kind != "lns":
            raise SpecError(f"a SIMD grid computes in a log number system (lns16, lns8, lns_i<I>f<F>); "
                            f"'{self.precision}' is {p.kind}", where, f"{path}.precision")

    @property
    def cores(self) -> int:
        return self.rows * self.cols

    @property
    def mac_cycles(self) -> int:
        """Cycles of one multiply-accumulate: an LNS multiply then an LNS add (not pipelined)."""
        return self.log_multiply_cycles + self.log_add_cycles

    @property
    def peak_macs_per_cycle(self) -> float:
        return self.cores / self.mac_cycles

    @property
    def local_memory_bytes(self) -> int:
        return int(self.local_memory_kib * 1024)
