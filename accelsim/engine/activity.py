"""Per-task action counts (MACs, vector ops, bits latched in the matrix unit's pipeline registers,
bytes per tensor per memory level) for the report's traffic counters and the cost model.

Pipeline registers of a systolic matrix unit (the same rule for every architecture; no register
file is read per MAC). Per MAC, every operand that moves through the PE is latched once (operand
width) and the partial sum is latched once, at its in-array width
(costs.arithmetic.partial_sum_bits: for integers the exact width of a sum of ``rows`` products,
capped at ``accumulator_bits``; TPU v1's int8 sums are 24 bits in the array, 32 in the
accumulators): WS and IS move one operand and the partial sum, OS moves both operands and keeps the sum in
the PE. Loading a stationary operand (WS: weights, IS: inputs) shifts each element down the array,
through (rows + 1) / 2 registers on average; OS drains each finished sum the same way.

Accumulator traffic: per reduction fold one write of each output row, and one read (the
read-back for the next fold's add, or at the last fold the read by the output stage); for a WS
array that is 2 accesses of ``accumulator_bits`` per ``rows`` MACs per column.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

from ..costs.arithmetic import partial_sum_bits
from ..lower.work import Task
from ..precision import Precision
from ..spec.arch import ArchSpec
from .simulator import TaskRecord


@dataclass(frozen=True)
class Traffic:
    tensor: str  # "weights", "input", "output", "partial_sums"
    level: str  # a buffer name, the secondary memory's name, "dram" or "host"
    read_bytes: int
    write_bytes: int


@dataclass(frozen=True)
class TaskActivity:
    macs: int
    vector_ops: int
    register_file_bytes: int
    traffic: tuple[Traffic, ...]
    pipeline_register_bits: int = 0

    def _by_level(self, attr: str, levels: set[str]) -> dict[str, int]:
        out: dict[str, int] = {}
        for t in self.traffic:
            if t.level in levels and getattr(t, attr):
                out[t.level] = out.get(t.level, 0) + getattr(t, attr)
        return out

    def sram_bytes(self, buffers: set[str]) -> tuple[dict[str, int], dict[str, int]]:
        """(read bytes, write bytes) per on-chip buffer."""
        return self._by_level("read_bytes", buffers), self._by_level("write_bytes", buffers)

    @property
    def dram_bytes(self) -> int:
        return sum(t.read_bytes + t.write_bytes for t in self.traffic if t.level == "dram")


def task_activity(task: Task, record: TaskRecord, arch: ArchSpec, precision: Precision) -> TaskActivity:
    """Count what ``task`` did. Matrix tasks (WS view): inputs are re-read from the activation
    buffer once per column fold, weights pass through the weight buffer once per pass, partial
    sums are written once per reduction fold and read back for each."""
    traffic: list[Traffic] = []
    act = task.activation_buffer
    elem_bytes = precision.bytes
    vector_ops = pipeline_bits = 0
    if task.gemm is not None and arch.matrix_unit is not None:
        g, mu = task.gemm, arch.matrix_unit
        col_folds = math.ceil(g.n / mu.cols)
        row_folds = math.ceil(g.k / mu.rows)
        if act:
            traffic.append(Traffic("input", act, int(g.count * g.m * g.k * col_folds * elem_bytes), 0))
            traffic.append(Traffic("output", act, 0, task.output_bytes))
        wbuf = arch.memory_holding("weights")
        if wbuf is not None:
            nbytes = int(g.count * g.k * g.n * elem_bytes)
            traffic.append(Traffic("weights", wbuf.name, nbytes, nbytes))
        acc = arch.memory_holding("partial_sums")
        if acc is not None:
            psum_bytes = g.count * g.m * g.n * mu.accumulator_bits // 8
            traffic.append(Traffic("partial_sums", acc.name, psum_bytes * row_folds, psum_bytes * row_folds))
        pipeline_bits = pipeline_register_bits(mu.dataflow, g.count, g.m, g.k, g.n, task.macs,
                                               elem_bytes * 8,
                                               partial_sum_bits(precision, mu.accumulator_bits, mu.products_per_sum),
                                               mu.rows)
    if (task.vector_cycles or task.output_pipeline_cycles) and arch.vector_unit is not None:
        vector_ops = task.vector_element_ops or int((task.vector_cycles + task.output_pipeline_cycles) * arch.vector_unit.elements_per_cycle)
        if act and task.gemm is None:
            traffic.append(Traffic("input", act, task.input_bytes, 0))
            traffic.append(Traffic("output", act, 0, task.output_bytes))
    if record.matrix is not None and record.matrix.fetch_bytes:
        traffic.append(Traffic("weights", task.gemm.fetch_level, record.matrix.fetch_bytes, 0))
    # off-chip levels: DRAM, the host, and the secondary memory level (read from / written to)
    levels = ("dram", "host") + ((arch.secondary_memory.name,) if arch.secondary_memory is not None else ())
    for tr in task.loads:
        tensor = "weights" if tr.tensor == "weights" else "input"
        if tr.src in levels:
            traffic.append(Traffic(tensor, tr.src, tr.nbytes, 0))
    for tr in task.stores:
        if tr.dst in levels:
            traffic.append(Traffic("output", tr.dst, 0, tr.nbytes))
    merged: dict[tuple[str, str], list[int]] = {}
    for t in traffic:
        slot = merged.setdefault((t.tensor, t.level), [0, 0])
        slot[0] += t.read_bytes
        slot[1] += t.write_bytes
    # register_file_bytes 0: systolic PEs latch operands in pipeline registers instead of reading a
    # register file (costs/energy.py docstring); the LNS grid's activity (costs/lns_grid.py) fills it
    return TaskActivity(task.macs, vector_ops, 0,
                        tuple(Traffic(k[0], k[1], v[0], v[1]) for k, v in merged.items()),
                        pipeline_bits)


def pipeline_register_bits(dataflow: str, count: int, m: int, k: int, n: int, macs: int,
                           operand_bits: float, psum_bits: int, rows: int) -> int:
    """Bits latched in a systolic array's PE pipeline registers for ``count`` GEMMs of
    (m x k) . (k x n) doing ``macs`` MACs (fewer than count*m*k*n when zeros are skipped); see the
    module docstring."""
    hops = (rows + 1) / 2  # registers an element shifted in from the array edge passes on average
    if dataflow == "os":
        per_mac = 2 * operand_bits + psum_bits
        edge = count * m * n * psum_bits * hops  # finished sums drain out
    else:
        per_mac = operand_bits + psum_bits
        stationary = k * n if dataflow == "ws" else m * k
        edge = count * stationary * operand_bits * hops
    return round(macs * per_mac + edge)
