"""Turn the engine's timeline and records into a :class:`RunResult` (the numbers users read)."""
from __future__ import annotations

import math

from ..costs import lns_grid
from ..costs.energy import Activity, energy_by_component, energy_params
from ..engine.activity import task_activity
from ..engine.attribution import attribute
from ..engine.simulator import EngineResult
from ..lower.work import Program
from ..precision import get_precision
from ..sparsity.program import adjust_activity
from ..spec.arch import ArchSpec
from ..workload.graph import Workload
from .results import LayerResult, RunResult, Totals, TrafficRecord
from .static_share import cycle_shares


def _add(total: dict[str, float], part: dict[str, float]) -> None:
    for k, v in part.items():
        total[k] = total.get(k, 0.0) + v


class TaskPricer:
    """Prices one task's activity in joules by component, as every report does: the arch's
    per-action energies (an LNS SIMD grid's own, costs/lns_grid.py) plus static power over the
    seconds the task is charged for. One place, so that `run`, `prune` and the sparsity report
    cannot price the same run two ways."""

    def __init__(self, arch: ArchSpec, precision: str):
        self.arch = arch
        self.prec = get_precision(precision)
        self.params = energy_params(arch.technology.process_nm, arch.dram.kind,
                                    arch.sram_sizes_kib, arch.energy,
                                    {m.name: m.banks for m in arch.memories},
                                    **arch.partial_sum_shape())
        self.buffers = set(arch.sram_sizes_kib)
        self.grid = arch.simd_grid
        if self.grid is not None:
            self.params = lns_grid.grid_params(self.params, arch)
            self.grid_pj = lns_grid.grid_energies(self.grid, self.prec, arch.technology.process_nm,
                                                  self.params.wire_pj_per_byte_mm)

    def price(self, task, rec, seconds: float):
        """(energy by component in J, the task's activity, LNS arithmetic energy by op class in J)
        with static power over ``seconds``; the last is empty except on an LNS SIMD grid."""
        arch, prec = self.arch, self.prec
        if self.grid is not None:
            act, ops, hops = lns_grid.grid_task_activity(task, rec, arch, prec)
            energy, lns_j = lns_grid.grid_task_energy(self.params, self.grid_pj, act, ops, hops, self.grid.core_pitch_mm,
                                                      self.buffers, arch.technology.static_power_w, seconds)
            return energy, act, lns_j
        act = adjust_activity(task, task_activity(task, rec, arch, prec), arch)
        sram_read, sram_write = act.sram_bytes(self.buffers)
        activity = Activity(
            macs_by_precision={prec.name: act.macs} if act.macs else {},
            vector_ops_by_precision={prec.name: act.vector_ops} if act.vector_ops else {},
            register_file_bytes=act.register_file_bytes,
            pipeline_register_bits=act.pipeline_register_bits,
            sram_read_bytes=sram_read, sram_write_bytes=sram_write, dram_bytes=act.dram_bytes)
        return energy_by_component(self.params, activity, arch.technology.static_power_w, seconds), act, {}


def run_energy_by_component(arch: ArchSpec, program: Program, engine: EngineResult) -> dict[str, float]:
    """Joules by component of a whole run, as :func:`build_result` reports them in
    ``totals.energy_j_by_component``: every task's dynamic energy plus static power x run time."""
    pricer = TaskPricer(arch, program.precision)
    total: dict[str, float] = {}
    for task, rec in zip(program.tasks, engine.records):
        energy, _, _ = pricer.price(task, rec, 0.0)
        _add(total, {k: v for k, v in energy.items() if k != "static"})
    total = dict(sorted(total.items()))
    total["static"] = arch.technology.static_power_w * engine.total_cycles / (arch.clock_mhz * 1e6)
    return total


def build_result(arch: ArchSpec, workload: Workload, program: Program, engine: EngineResult) -> RunResult:
    """Derive every reported number from ``engine``'s timeline and per-task records."""
    clock_hz = arch.clock_mhz * 1e6
    # peak MACs per cycle at the run's precision (a quarter-rate int16 array peaks at a quarter)
    mu = arch.matrix_unit
    peak = mu.peak_macs_per_cycle * mu.precisions.get(program.precision, 1.0) if mu else 0
    pricer = TaskPricer(arch, program.precision)
    grid = arch.simd_grid
    if grid is not None:  # a grid of LNS SIMD cores: its own per-action energies (costs/lns_grid.py)
        peak = grid.peak_macs_per_cycle
    by_task: dict[str, list] = {}
    for event in engine.timeline:
        by_task.setdefault(event.layer, []).append(event)
    dram_per_cycle = arch.dram_bytes_per_cycle
    layers = []
    dynamic_total: dict[str, float] = {}
    lns_total: dict[str, float] = {}  # LNS arithmetic energy by op class (grid archs)
    # static power is charged to the layers by their share of the run's cycles (static_share.py)
    static_cycles = cycle_shares([(rec.ready_cycle, rec.end_cycle) for rec in engine.records], engine.total_cycles)
    for task, rec, static_share in zip(program.tasks, engine.records, static_cycles):
        start, end = rec.ready_cycle, rec.end_cycle
        cycles = end - start
        causes = attribute(by_task.get(task.name, ()), start, end)
        seconds = static_share / clock_hz  # the time this layer is charged static power for
        energy, act, lns_j = pricer.price(task, rec, seconds)
        dram_bytes = act.dram_bytes
        _add(dynamic_total, {k: v for k, v in energy.items() if k != "static"})
        _add(lns_total, lns_j)
        compute_cycles_at_peak = (task.macs / peak) if (task.macs and peak) else task.vector_cycles
        memory_cycles = dram_bytes / dram_per_cycle if dram_per_cycle else 0.0
        bound = "memory" if memory_cycles > compute_cycles_at_peak else "compute"
        intensity = (task.macs / dram_bytes) if dram_bytes else math.inf
        traffic = [TrafficRecord(t.tensor, t.level, t.read_bytes, t.write_bytes) for t in act.traffic]
        extra = {"layers": list(task.layers), "live_activation_bytes": task.live_bytes, "tiles": task.tiles}
        if rec.matrix is not None:
            mt = rec.matrix
            extra.update(folds=mt.folds, mapping_efficiency=round(mt.mapping_efficiency(mu.rows, mu.cols), 6),
                         gemm={"m": task.gemm.m, "k": task.gemm.k, "n": task.gemm.n, "count": task.gemm.count})
        if rec.grid is not None:
            extra["grid"] = lns_grid.timing_summary(rec.grid, grid, task.gemm)
        if task.conv_algorithm:
            extra["conv_algorithm"] = task.conv_algorithm
        if task.dense_equivalent_macs and task.dense_equivalent_macs != task.macs:
            extra["dense_equivalent_macs"] = task.dense_equivalent_macs
        if task.subunit:
            extra["vector_unit"] = task.subunit
        if task.notes:
            extra["notes"] = list(task.notes)
        layers.append(LayerResult(
            name=task.name, op=task.op, unit=task.unit, cycles=cycles, start_cycle=start, end_cycle=end,
            macs=task.macs, utilization=(task.macs / (peak * cycles)) if (peak and cycles) else 0.0,
            energy_j=sum(energy.values()), dram_bytes=dram_bytes, bound=bound, cycles_by_cause=causes,
            operational_intensity=intensity, traffic=tuple(traffic), extra=extra))
    total_cycles = engine.total_cycles
    seconds = total_cycles / clock_hz
    macs = sum(t.macs for t in program.tasks)
    static = arch.technology.static_power_w * seconds
    components = dict(sorted(dynamic_total.items()))
    components["static"] = static
    energy_j = sum(components.values())
    totals = Totals(
        cycles=total_cycles, seconds=seconds, macs=macs,
        tops=(2 * macs / seconds / 1e12) if seconds else 0.0,
        utilization=(macs / (peak * total_cycles)) if (peak and total_cycles) else 0.0,
        energy_j=energy_j, dram_bytes=sum(layer.dram_bytes for layer in layers),
        cycles_by_cause=attribute(engine.timeline, 0, total_cycles), energy_j_by_component=components)
    summary = {
        "peak_macs_per_cycle": peak, "clock_mhz": arch.clock_mhz, "dram_bandwidth_gbps": arch.dram.bandwidth_gbps,
        "peak_tops": 2 * peak * clock_hz / 1e12,
        "ridge_macs_per_dram_byte": (peak / dram_per_cycle) if dram_per_cycle else math.inf,
        "peak_activation_buffer_bytes": max((t.live_bytes for t in program.tasks), default=0),
        # NVDLA's "network MAC util": dense-equivalent MACs (crediting Winograd) over peak x cycles
        "network_mac_utilization": (sum(t.dense_equivalent_macs or t.macs for t in program.tasks) / (peak * total_cycles))
        if (peak and total_cycles) else 0.0,
    }
    if grid is not None:
        summary["simd_grid"] = lns_grid.run_summary(grid, pricer.grid_pj, lns_total)
    if arch.secondary_memory is not None:
        summary["peak_secondary_memory_bytes"] = max((t.secondary_live_bytes for t in program.tasks), default=0)
    return RunResult(arch=arch.name, workload=workload.name, batch=workload.batch, precision=program.precision,
                     clock_mhz=arch.clock_mhz, totals=totals, layers=tuple(layers), timeline=engine.timeline,
                     extra={"arch_summary": summary})
