"""One SCALE-Sim layer: the report fields SCALE-Sim v2 would print, from the native kernel.

CALC mode is exact (same integers and the same floating-point values as SCALE-Sim v2.0.2); USER
mode replays SCALE-Sim's prefetch-window buffer model (docs/scalesim_differences.md). Both run in
``accelsim._native.systolic.scalesim_layer``; without compiled extensions the pure-Python twins
(``calc_ref``, ``user_ref``) give the same numbers, slowly.
"""
from __future__ import annotations

from dataclasses import dataclass

from ..errors import AccelsimError
from ..guards import check_scalesim
from .config import ScaleSimConfig
from .topology import ScaleSimLayer

DATAFLOW_CODES = {"os": 0, "ws": 1, "is": 2}
CALC_READ_BW_WORDS_PER_CYCLE = 10  # SCALE-Sim's fixed CALC-mode read bandwidth (DRAM windows only)


@dataclass(frozen=True)
class LayerReport:
    """SCALE-Sim's per-layer report fields. Cycles are array clock cycles; accesses are words."""

    name: str
    total_cycles: int
    stall_cycles: int
    overall_util_pct: float
    mapping_efficiency_pct: float
    compute_util_pct: float
    macs: int
    sram_ifmap_start_cycle: int
    sram_ifmap_stop_cycle: int
    sram_ifmap_reads: int
    sram_filter_start_cycle: int
    sram_filter_stop_cycle: int
    sram_filter_reads: int
    sram_ofmap_start_cycle: int
    sram_ofmap_stop_cycle: int
    sram_ofmap_writes: int
    dram_ifmap_start_cycle: int
    dram_ifmap_stop_cycle: int
    dram_ifmap_reads: int
    dram_filter_start_cycle: int
    dram_filter_stop_cycle: int
    dram_filter_reads: int
    dram_ofmap_start_cycle: int
    dram_ofmap_stop_cycle: int
    dram_ofmap_writes: int

    # BANDWIDTH_REPORT: SRAM words/cycle over Total Cycles, DRAM words/cycle over its own window
    @property
    def avg_ifmap_sram_bw(self) -> float:
        return self.sram_ifmap_reads / self.total_cycles

    @property
    def avg_filter_sram_bw(self) -> float:
        return self.sram_filter_reads / self.total_cycles

    @property
    def avg_ofmap_sram_bw(self) -> float:
        return self.sram_ofmap_writes / self.total_cycles

    @property
    def avg_ifmap_dram_bw(self) -> float:
        return self.dram_ifmap_reads / (self.dram_ifmap_stop_cycle - self.dram_ifmap_start_cycle + 1)

    @property
    def avg_filter_dram_bw(self) -> float:
        return self.dram_filter_reads / (self.dram_filter_stop_cycle - self.dram_filter_start_cycle
                                         + 1)

    @property
    def avg_ofmap_dram_bw(self) -> float:
        return self.dram_ofmap_writes / (self.dram_ofmap_stop_cycle - self.dram_ofmap_start_cycle
                                         + 1)


def _native_kernel():
    """The compiled layer kernel, or None when the extensions are not built."""
    try:
        from .._native.systolic import scalesim_layer
    except ImportError:
        return None
    return scalesim_layer


def _kernel():
    """Import the kernel (and numpy) ahead of timing; benchmarks call this."""
    return _native_kernel()


def _run_kernel(config: ScaleSimConfig, args: tuple, cols: int) -> dict:
    native = _native_kernel()
    if config.bandwidth_mode == "USER":
        bandwidth = config.bandwidth_words_per_cycle
        if native is not None:
            fields = native(*args, bandwidth, bandwidth)
        else:  # no compiled kernels: the pure-Python twin (slow, same numbers)
            from .user_ref import scalesim_layer_user

            fields = scalesim_layer_user(*args, bandwidth)
    elif native is not None:
        fields = native(*args, cols)
    else:
        from .calc_ref import scalesim_layer

        fields = scalesim_layer(*args, cols)
    return fields


def simulate_layer(config: ScaleSimConfig, layer: ScaleSimLayer) -> LayerReport:
    """Simulate one layer the way SCALE-Sim v2 does and return its report fields."""
    rows, cols = config.array_rows, config.array_cols
    args = (DATAFLOW_CODES[config.dataflow], rows, cols, layer.ifmap_h, layer.ifmap_w,
            layer.filter_h, layer.filter_w, layer.channels, layer.num_filters, layer.stride_h,
            layer.stride_w, config.ifmap_sram_words, config.filter_sram_words,
            config.ofmap_sram_words)
    try:
        fields = _run_kernel(config, args, cols)
    except RuntimeError as exc:  # SCALE-Sim itself would loop forever on this layer
        raise AccelsimError(f"SCALE-Sim's USER-mode buffer cannot serve this layer: {exc}",
                            field=layer.name) from None
    total = fields["total_cycles"]
    folds = fields["folds"]
    return LayerReport(
        name=layer.name,
        total_cycles=total,
        stall_cycles=fields["stall_cycles"],
        overall_util_pct=(fields["macs"] * 100) / (total * rows * cols),
        mapping_efficiency_pct=fields["mapping_eff_sum"] / folds * 100,
        compute_util_pct=fields["compute_util_sum"] / folds * 100,
        macs=fields["macs"],
        sram_ifmap_start_cycle=fields["sram_ifmap_start"],
        sram_ifmap_stop_cycle=fields["sram_ifmap_stop"],
        sram_ifmap_reads=fields["sram_ifmap_reads"],
        sram_filter_start_cycle=fields["sram_filter_start"],
        sram_filter_stop_cycle=fields["sram_filter_stop"],
        sram_filter_reads=fields["sram_filter_reads"],
        sram_ofmap_start_cycle=fields["sram_ofmap_start"],
        sram_ofmap_stop_cycle=fields["sram_ofmap_stop"],
        sram_ofmap_writes=fields["sram_ofmap_writes"],
        dram_ifmap_start_cycle=fields["dram_ifmap_start"],
        dram_ifmap_stop_cycle=fields["dram_ifmap_stop"],
        dram_ifmap_reads=fields["dram_ifmap_reads"],
        dram_filter_start_cycle=fields["dram_filter_start"],
        dram_filter_stop_cycle=fields["dram_filter_stop"],
        dram_filter_reads=fields["dram_filter_reads"],
        dram_ofmap_start_cycle=fields["dram_ofmap_start"],
        dram_ofmap_stop_cycle=fields["dram_ofmap_stop"],
        dram_ofmap_writes=fields["dram_ofmap_writes"],
    )


def simulate(config: ScaleSimConfig, layers: list[ScaleSimLayer]) -> list[LayerReport]:
    """Every layer, independently and in order (SCALE-Sim never overlaps layers)."""
    check_scalesim(config, layers)  # resource guard: refuse absurd demand streams up front
    return [simulate_layer(config, layer) for layer in layers]
