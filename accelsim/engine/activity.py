"""Per-task action counts (MACs, vector ops, SRAM and DRAM bytes) that the cost model prices."""
from __future__ import annotations

import math
from dataclasses import dataclass

from ..lower.work import Task
from ..spec.arch import ArchSpec
from .simulator import TaskRecord


@dataclass(frozen=True)
class TaskActivity:
    macs: int
    vector_ops: int
    register_file_bytes: int
    sram_read_bytes: dict[str, int]
    sram_write_bytes: dict[str, int]
    dram_bytes: int


def task_activity(task: Task, record: TaskRecord, arch: ArchSpec, elem_bytes: float) -> TaskActivity:
    """Count what ``task`` did. Matrix tasks (WS view): inputs are re-read from the activation
    buffer once per column fold, weights pass through the weight buffer once, partial sums are
    written once per reduction fold and read back for all but the first."""
    reads: dict[str, int] = {}
    writes: dict[str, int] = {}
    act = task.activation_buffer
    vector_ops = 0
    rf_bytes = 0
    if task.gemm is not None and arch.matrix_unit is not None:
        g, mu = task.gemm, arch.matrix_unit
        col_folds = math.ceil(g.n / mu.cols)
        row_folds = math.ceil(g.k / mu.rows)
        if act:
            reads[act] = reads.get(act, 0) + int(g.count * g.m * g.k * col_folds * elem_bytes)
            writes[act] = writes.get(act, 0) + task.output_bytes
        wbuf = arch.memory_holding("weights")
        if wbuf is not None:
            nbytes = int(g.count * g.k * g.n * elem_bytes)
            writes[wbuf.name] = writes.get(wbuf.name, 0) + nbytes
            reads[wbuf.name] = reads.get(wbuf.name, 0) + nbytes
        acc = arch.memory_holding("partial_sums")
        if acc is not None:
            psum_bytes = g.count * g.m * g.n * mu.accumulator_bits // 8
            writes[acc.name] = writes.get(acc.name, 0) + psum_bytes * row_folds
            reads[acc.name] = reads.get(acc.name, 0) + psum_bytes * row_folds
        # each MAC reads its operands from PE registers: two operands per MAC
        rf_bytes = int(2 * task.macs * elem_bytes)
    if (task.vector_cycles or task.output_pipeline_cycles) and arch.vector_unit is not None:
        vector_ops = int((task.vector_cycles + task.output_pipeline_cycles) * arch.vector_unit.elements_per_cycle)
        if act and task.gemm is None:
            reads[act] = reads.get(act, 0) + task.input_bytes
            writes[act] = writes.get(act, 0) + task.output_bytes
    dram = record.dram_read_bytes + record.dram_write_bytes
    return TaskActivity(task.macs, vector_ops, rf_bytes, reads, writes, dram)
