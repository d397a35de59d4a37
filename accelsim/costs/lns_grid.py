"""Energy of a SIMD grid of LNS cores, per action, and of one task on it (docs/lns_s1.md).

Per action at 45 nm (Horowitz, tables.py), then scaled to the arch's node (scaling.py):

- LNS multiply: one integer add of the format's width (16 bits: 0.05 pJ, published).
- LNS add x + G(y - x): one table read of two neighbouring entries (the interpolation pair) from a
  ROM of ``table_entries`` x ``table_entry_bits``, priced per byte from the SRAM capacity curve
  (sram.py); one ``interpolation_bits`` integer multiply; three adds of the format's width (the
  difference y - x, the interpolation add, the final x + G).
- compare-class op (max, min, ReLU, select, copy): one integer add of the format's width (a
  comparator is an adder).
- function-class op (exp, sigmoid, tanh ...): two LNS adds' worth (a log->linear and a
  linear->log conversion by table, each a lookup + interpolation). Estimate.
- local memory: per byte from the SRAM curve at ONE core's capacity (``local_memory_kib``), not the
  aggregate; the register file as the rest of accelsim (32-bit access / 4 per byte).
- links: wire energy (Dally, 0.2 pJ per bit per mm at 28 nm) times ``core_pitch_mm`` per hop.

A GEMM step reads its two operands from registers, reads and writes its accumulator (registers when
the core's output block fits ``accumulator_registers``, else local memory), and the weights that
stream from DRAM are written into and read out of local memory once. The components are those of
costs/energy.py (compute, register_file, sram:<buffer>, dram, interconnect, static), produced by
its ``energy_by_component`` with the LNS arithmetic added to ``compute``, so they sum to the total.
"""
from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass

from ..engine.activity import TaskActivity, Traffic
from ..lower.work import Task
from ..precision import Precision
from ..spec.arch import ArchSpec
from ..spec.simd_grid import SimdGridSpec
from . import arithmetic, scaling
from .energy import PJ, Activity, EnergyParams, energy_by_component
from .sram import sram_pj_per_byte_45nm

E45 = arithmetic.ENERGY_45NM


@dataclass(frozen=True)
class GridEnergies:
    """Per-action energies (pJ) of one grid at its node."""

    log_multiply_pj: float
    log_add_pj: float
    table_read_pj: float  # the share of log_add_pj spent reading the G table
    compare_pj: float
    function_pj: float
    local_memory_pj_per_byte: float
    link_pj_per_byte_hop: float

    def class_pj(self, cls: str) -> float:
        return {"log_multiply": self.log_multiply_pj, "log_add": self.log_add_pj,
                "compare": self.compare_pj, "function": self.function_pj}[cls]


def grid_energies(grid: SimdGridSpec, prec: Precision, process_nm: float, wire_pj_per_byte_mm: float) -> GridEnergies:
    """Per-action energies of ``grid`` computing in ``prec`` (module docstring)."""
    factor = scaling.energy_factor(process_nm)
    width = prec.bits
    add = arithmetic.int_add(E45, width)
    table_kib = grid.table_entries * grid.table_entry_bits / 8 / 1024
    table = sram_pj_per_byte_45nm(table_kib) * 2 * grid.table_entry_bits / 8
    log_add = table + arithmetic.int_mult(E45, grid.interpolation_bits) + 3 * add
    return GridEnergies(
        log_multiply_pj=add * factor,
        log_add_pj=log_add * factor,
        table_read_pj=table * factor,
        compare_pj=add * factor,
        function_pj=2 * log_add * factor,
        local_memory_pj_per_byte=sram_pj_per_byte_45nm(grid.local_memory_kib) * factor,
        link_pj_per_byte_hop=wire_pj_per_byte_mm * grid.core_pitch_mm,
    )


def grid_params(params: EnergyParams, arch: ArchSpec) -> EnergyParams:
    """``params`` with the local-memory buffer priced at one core's capacity (unless overridden)."""
    grid = arch.simd_grid
    mem = arch.memory_holding("activations")
    if mem is None or f"sram_pj_per_byte:{mem.name}" in params.overridden:
        return params
    per_byte = sram_pj_per_byte_45nm(grid.local_memory_kib) * params.energy_factor
    read, write = dict(params.sram_read_pj_per_byte), dict(params.sram_write_pj_per_byte)
    read[mem.name] = write[mem.name] = per_byte
    return dataclasses.replace(params, sram_read_pj_per_byte=read, sram_write_pj_per_byte=write)


def grid_task_activity(task: Task, record, arch: ArchSpec, prec: Precision) -> tuple[TaskActivity, dict[str, float], float]:
    """(activity, LNS ops by class, link byte-hops) of one task on the grid."""
    e = prec.bytes
    mem = arch.memory_holding("activations")
    local = mem.name if mem else None
    reads: dict[str, float] = {}
    writes: dict[str, float] = {}
    ops: dict[str, float] = {}
    rf = 0.0
    hops = 0.0
    timing = record.grid
    if timing is not None:
        g = task.gemm
        ops = {"log_multiply": task.macs, "log_add": task.macs}
        rf = 2 * e * task.macs  # the two operands of every MAC
        if timing.accumulators_in_registers:
            rf += 2 * e * task.macs
            writes["output"] = g.count * g.m * g.n * e
        else:
            reads["partial_sums"] = writes["partial_sums"] = task.macs * e
        # the owner reads each resident operand element once to send it; streamed weights are
        # written into local memory and read out once
        reads["input"] = g.count * g.m * g.k * e
        if timing.fetch_bytes:
            reads["weights"] = writes["weights"] = timing.fetch_bytes
        hops = timing.link_byte_hops
    else:
        actions = dict(task.grid_actions)
        for cls in ("log_multiply", "log_add", "compare", "function"):
            if actions.get(cls):
                ops[cls] = actions[cls]
        rf = 2 * e * sum(ops.values())
        hops = actions.get("link_byte_hops", 0.0)
        if actions.get("local_read_bytes"):
            reads["input"] = actions["local_read_bytes"]
        if actions.get("local_write_bytes"):
            writes["output"] = actions["local_write_bytes"]
    traffic: list[Traffic] = []
    if local:
        for tensor in sorted(set(reads) | set(writes)):
            traffic.append(Traffic(tensor, local, int(reads.get(tensor, 0)), int(writes.get(tensor, 0))))
    if timing is not None and timing.fetch_bytes:
        traffic.append(Traffic("weights", "dram", timing.fetch_bytes, 0))
    for tr in task.loads:
        if tr.src in ("dram", "host"):
            traffic.append(Traffic("weights" if tr.tensor == "weights" else "input", tr.src, tr.nbytes, 0))
    for tr in task.stores:
        if tr.dst in ("dram", "host"):
            traffic.append(Traffic("output", tr.dst, 0, tr.nbytes))
    vector_ops = int(sum(ops.values())) if timing is None else 0
    return TaskActivity(task.macs, vector_ops, int(rf), tuple(traffic)), ops, hops


def grid_task_energy(params: EnergyParams, energies: GridEnergies, act: TaskActivity, ops: dict[str, float],
                     link_byte_hops: float, core_pitch_mm: float, buffers: set[str], static_power_w: float,
                     seconds: float) -> tuple[dict[str, float], dict[str, float]]:
    """(energy by component in J, LNS arithmetic energy by op class in J) of one grid task.

    The components come from costs/energy.py's ``energy_by_component``; the LNS arithmetic is added
    to ``compute`` and the link hops are its ``wire_byte_mm``."""
    sram_read, sram_write = act.sram_bytes(buffers)
    activity = Activity(macs_by_precision={}, vector_ops_by_precision={}, register_file_bytes=act.register_file_bytes,
                        sram_read_bytes=sram_read, sram_write_bytes=sram_write, dram_bytes=act.dram_bytes,
                        wire_byte_mm=link_byte_hops * core_pitch_mm)
    out = energy_by_component(params, activity, static_power_w, seconds)
    by_class = {cls: n * energies.class_pj(cls) * PJ for cls, n in sorted(ops.items())}
    out["compute"] += math.fsum(by_class.values())
    return out, by_class


def timing_summary(timing, grid: SimdGridSpec, gemm) -> dict:
    """The per-layer ``extra.grid`` record of a GEMM task (JSON-ready)."""
    mp = timing.mapping
    return {"mapping": mp.name, "outputs_per_core": [mp.a, mp.b], "cores_used": mp.cores_used,
            "core_utilization": round(mp.cores_used / grid.cores, 6),
            "gemm": {"m": gemm.m, "k": gemm.k, "n": gemm.n, "count": gemm.count},
            "steps": timing.steps, "step_cycles": timing.step_cycles,
            "arith_cycles_per_step": timing.arith_cycles_per_step, "link_cycles_per_step": timing.link_cycles_per_step,
            "fill_cycles": timing.fill_cycles, "weight_fetch_cycles": timing.fetch_cycles,
            "accumulators": "registers" if timing.accumulators_in_registers else "local_memory"}


def run_summary(grid: SimdGridSpec, energies: GridEnergies, lns_energy_j: dict[str, float]) -> dict:
    """The run's ``arch_summary.simd_grid`` record: the grid, its per-action energies and the LNS
    arithmetic energy by op class (a split of the ``compute`` component)."""
    return {"rows": grid.rows, "cols": grid.cols, "cores": grid.cores, "mac_cycles": grid.mac_cycles,
            "energy_pj": {"log_multiply": energies.log_multiply_pj, "log_add": energies.log_add_pj,
                          "log_add_table_read": energies.table_read_pj, "compare": energies.compare_pj,
                          "function": energies.function_pj,
                          "local_memory_per_byte": energies.local_memory_pj_per_byte,
                          "link_per_byte_hop": energies.link_pj_per_byte_hop},
            "lns_arithmetic_energy_j": dict(sorted(lns_energy_j.items()))}
