"""Lower a workload graph onto an architecture: which unit runs each op, what is fused, where each
activation tensor lives, and which bytes cross which memory level.

Rules (docs/architecture.md explains them):
- conv2d and matmul run on the matrix unit as GEMMs (im2col: M = output pixels x batch,
  K = kernel window x input channels per group, N = output channels per group, one GEMM per group).
- Single-consumer chains after a matrix op are fused into its output pipeline when the arch lists
  them in ``matrix_unit.fused_ops`` (bias, batch_norm, activations, pool, residual_add); fused work
  costs vector-unit cycles but no memory round trip.
- Everything else is vector work: element ops x per-function cost / (lanes x sublanes x rate).
- Weights stream from DRAM when DRAM holds weights.
- Where activations live, and the transfers that implies, is decided by memory_plan.py.
"""
from __future__ import annotations

import math

from ..errors import AccelsimError, WorkloadError
from ..precision import Precision, get_precision
from ..spec.arch import ArchSpec
from ..workload import ops as O
from ..workload.graph import Layer, Workload
from .memory_plan import place_activations
from .work import GemmWork, Program, Task, Transfer


def fusable_name(op: O.Op) -> str | None:
    """The name under which ``op`` may appear in ``matrix_unit.fused_ops``, or None."""
    if isinstance(op, O.Activation):
        return op.func
    if isinstance(op, O.Norm) and op.func == "batch":
        return "batch_norm"
    if isinstance(op, O.Pool) and op.func in ("max", "avg"):
        return "pool"
    if isinstance(op, O.Elementwise) and op.func == "add" and op.inputs == 2:
        return "residual_add"
    return None


def vector_cost_key(op: O.Op) -> str:
    """Key into ``vector_unit.op_cycles`` for one element operation of ``op``."""
    if isinstance(op, (O.Activation, O.Elementwise)):
        return op.func
    if isinstance(op, O.Norm):
        return f"{op.func}_norm"
    if isinstance(op, O.Pool):
        return "pool"
    return op.kind


def _group_tasks(workload: Workload, arch: ArchSpec) -> list[list[Layer]]:
    """Split layers into fused groups: a matrix op plus the chain its output pipeline absorbs."""
    fused_ops = set(arch.matrix_unit.fused_ops) if arch.matrix_unit else set()
    consumers = workload.consumers()
    groups: list[list[Layer]] = []
    group_of: dict[str, int] = {}
    for layer in workload.layers:
        if groups and groups[-1][0].op.is_matrix:
            tail = groups[-1][-1]
            name = fusable_name(layer.op)
            if (name in fused_ops and tail.name in layer.inputs and len(consumers[tail.name]) == 1
                    and all(group_of.get(i) is not None for i in layer.inputs)):
                groups[-1].append(layer)
                group_of[layer.name] = len(groups) - 1
                continue
        groups.append([layer])
        group_of[layer.name] = len(groups) - 1
    return groups


def _gemm_of(op: O.Op, arch: ArchSpec, prec: Precision, weights_in_dram: bool) -> GemmWork:
    mu = arch.matrix_unit
    rate = mu.precisions[prec.name]
    if isinstance(op, O.Conv2d):
        return GemmWork(op.gemm_m, op.gemm_k, op.gemm_n, op.groups, prec.bytes if weights_in_dram else 0.0, rate)
    assert isinstance(op, O.MatMul)
    fetch = prec.bytes if (weights_in_dram and op.weights) else 0.0
    return GemmWork(op.m, op.k, op.n, op.count, fetch, rate)


def _need_vector(vu, name: str, op: O.Op) -> None:
    if vu is None:
        raise WorkloadError(f"layer '{name}' ({op.kind}) needs a vector unit, and this architecture has none")


def lower(workload: Workload, arch: ArchSpec, precision: str | None = None) -> Program:
    """Turn ``workload`` into a :class:`Program` for ``arch`` at ``precision`` (default: the arch's)."""
    mu, vu, su = arch.matrix_unit, arch.vector_unit, arch.scalar_unit
    prec_name = precision or (mu.default_precision if mu else "fp32")
    prec = get_precision(prec_name)
    if mu is not None and prec.name not in mu.precisions:
        raise AccelsimError(
            f"precision '{prec.name}' is not supported by {arch.name}'s matrix unit; supported: {', '.join(mu.precisions)}",
            field="--precision")
    elem = prec.bytes
    act_mem = arch.memory_holding("activations")
    weights_in_dram = "weights" in arch.dram.holds
    consumers = workload.consumers()
    groups = _group_tasks(workload, arch)
    task_of = {layer.name: g[0].name for g in groups for layer in g}

    tasks: list[Task] = []
    for group in groups:
        head, tail = group[0], group[-1]
        name = head.name
        members = {layer.name for layer in group}
        deps = tuple(dict.fromkeys(task_of[i] for layer in group for i in layer.inputs if i not in members))
        notes: list[str] = []
        out_bytes = int(math.ceil(tail.op.output_elements * elem))
        macs = sum(layer.op.macs for layer in group)
        weight_bytes = int(math.ceil(sum(layer.op.weight_elements for layer in group) * elem))

        # --- unit and cycles ---------------------------------------------------------------
        gemm = None
        vector_cycles = pipeline_cycles = tail_cycles = 0
        if head.op.is_matrix:
            if mu is None:
                raise WorkloadError(f"layer '{name}' ({head.op.kind}) needs a matrix unit, and {arch.name} has none")
            gemm = _gemm_of(head.op, arch, prec, weights_in_dram)
            unit = "matrix"
            if isinstance(head.op, O.Conv2d) and head.op.is_depthwise:
                notes.append(f"depthwise: each of {head.op.groups} groups is a {gemm.m}x{gemm.k}x{gemm.n} GEMM; "
                             f"only {min(gemm.k, mu.rows)} of {mu.rows} rows and {min(gemm.n, mu.cols)} of {mu.cols} columns hold weights")
            stages = [(layer.op, layer.op.vector_ops) for layer in group if layer.op.vector_ops]
            if stages:
                _need_vector(vu, name, head.op)
                rate = vu.elements_per_cycle
                # stages run side by side as results stream out: the slowest stage sets the pace
                pipeline_cycles = max(int(math.ceil(n * vu.op_cycles.get(vector_cost_key(op), 1.0) / rate)) for op, n in stages)
                tail_cycles = int(math.ceil(gemm.m * min(gemm.n, mu.cols) / rate)) + vu.latency_cycles
        elif isinstance(head.op, O.Input) or (isinstance(head.op, O.DataMovement) and not head.op.copies):
            unit = "none"
        else:
            unit = "vector"
            _need_vector(vu, name, head.op)
            work = [(layer.op, layer.op.output_elements if isinstance(layer.op, (O.DataMovement, O.Embedding)) else layer.op.vector_ops)
                    for layer in group]
            lane_cycles = sum(n * vu.op_cycles.get(vector_cost_key(op), 1.0) for op, n in work)
            vector_cycles = int(math.ceil(lane_cycles / vu.elements_per_cycle)) + vu.latency_cycles
        if vu is not None and vu.clock_mhz and vu.clock_mhz != arch.clock_mhz:
            scale = arch.clock_mhz / vu.clock_mhz
            vector_cycles, pipeline_cycles, tail_cycles = (int(math.ceil(c * scale)) for c in (vector_cycles, pipeline_cycles, tail_cycles))

        loads: list[Transfer] = []
        if isinstance(head.op, O.Embedding):
            loads.append(Transfer("weights", "dram", act_mem.name if act_mem else "unit", weight_bytes))
        input_bytes = out_bytes if isinstance(head.op, O.Input) else 0

        folds = 0
        if gemm is not None:
            rows, cols = mu.rows, mu.cols
            folds = gemm.count * math.ceil(gemm.k / rows) * math.ceil(gemm.n / cols)
        scalar_instructions = 0.0
        if su is not None and unit != "none":
            scalar_instructions = su.instructions_per_layer + su.instructions_per_tile * folds
        tasks.append(Task(
            name=name, layers=tuple(layer.name for layer in group),
            op="+".join(layer.op.kind if not isinstance(layer.op, (O.Activation,)) else layer.op.func for layer in group),
            unit=unit, deps=deps, macs=macs, gemm=gemm, vector_cycles=vector_cycles,
            output_pipeline_cycles=pipeline_cycles, output_tail_cycles=tail_cycles,
            scalar_instructions=scalar_instructions, loads=tuple(loads), stores=(),
            weight_bytes=weight_bytes if (weights_in_dram or isinstance(head.op, O.Embedding)) else 0,
            input_bytes=input_bytes, output_bytes=out_bytes,
            activation_buffer=act_mem.name if act_mem else None, live_bytes=0, notes=tuple(notes),
            is_graph_input=isinstance(head.op, O.Input)))
    return Program(arch.name, workload.name, workload.batch, prec.name, place_activations(tuple(tasks), arch))
