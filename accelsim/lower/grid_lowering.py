"""Lower a workload onto a SIMD grid of LNS cores (``simd_grid`` archs such as lns_s1).

The grid has no separate matrix and vector units: every layer runs on the same cores, one after
another. Conv (im2col) and matmul layers become GEMM tasks on unit ``grid``, timed by the engine
(engine/simd_grid.py). A batch norm right after a conv or matmul is folded into its weights and
bias (standard inference practice) and a bias is the accumulators' initial value, so both cost
nothing. Every other op is vector work costed here per LNS class and run on the ``grid`` resource.
Activation placement (aggregate local memory, spills and tiling through DRAM) is memory_plan.py's,
as for every arch.
"""
from __future__ import annotations

import math

from ..engine.simd_grid import vector_program_cost
from ..errors import AccelsimError, WorkloadError
from ..precision import get_precision
from ..spec.arch import ArchSpec
from ..workload import ops as O
from ..workload.graph import Workload
from . import vector_costs
from .composite import expand_composites
from .lowering import check_known_ops, group_layers
from .memory_plan import place_activations
from .work import GemmWork, Program, Task, Transfer

#: what a GEMM absorbs on the grid: one batch norm right after it (folded into its weights and bias)
GRID_FUSED_OPS = frozenset({"batch_norm"})


def _gemm(op: O.Op, elem: float, weights_in_dram: bool) -> GemmWork:
    if isinstance(op, O.Conv2d):  # im2col: one GEMM per group
        return GemmWork(op.gemm_m, op.gemm_k, op.gemm_n, op.groups, elem if weights_in_dram else 0.0, 1.0)
    fetch = elem if (weights_in_dram and op.weights) else 0.0
    return GemmWork(op.m, op.k, op.n, op.count, fetch, 1.0)


def lower_for_grid(workload: Workload, arch: ArchSpec, precision: str | None = None) -> Program:
    """Turn ``workload`` into a :class:`Program` for a ``simd_grid`` arch (module docstring)."""
    grid = arch.simd_grid
    prec = get_precision(precision or grid.precision)
    if prec.kind != "lns":
        raise AccelsimError(f"{arch.name} computes in a log number system; precision '{prec.name}' is {prec.kind} "
                            f"(use {grid.precision}, lns8 or lns_i<I>f<F>)", field="--precision")
    elem = prec.bytes
    act_mem = arch.memory_holding("activations")
    act_buffer = act_mem.name if act_mem else None
    weights_in_dram = "weights" in arch.dram.holds
    graph = expand_composites(workload)
    task_of: dict[str, str] = {}
    tasks: list[Task] = []
    for group in group_layers(graph, GRID_FUSED_OPS, max_fused=1):
        head, tail = group[0], group[-1]
        for layer in group:
            check_known_ops(layer)
        members = {layer.name for layer in group}
        deps = tuple(dict.fromkeys(task_of[i] for layer in group for i in layer.inputs if i not in members))
        notes: list[str] = []
        gemm = None
        vector_cycles = element_ops = 0
        actions: dict[str, float] = {}
        loads: list[Transfer] = []
        weight_elements = sum(layer.op.weight_elements for layer in group)
        if head.op.is_matrix:
            unit = "grid"
            gemm = _gemm(head.op, elem, weights_in_dram)
            notes.append(f"{gemm.count} GEMM(s) of {gemm.m}x{gemm.k}x{gemm.n}"
                         + (" (conv im2col)" if isinstance(head.op, O.Conv2d) else "")
                         + ("; batch norm folded into weights and bias" if len(group) > 1 else ""))
        elif isinstance(head.op, O.Input) or (isinstance(head.op, O.DataMovement) and not head.op.copies):
            unit = "none"
        else:
            unit = "vector"
            prog = vector_costs.program_for(head.op)
            if prog is not None:
                cost = vector_program_cost(prog, grid, elem)
                vector_cycles = cost.cycles
                element_ops = prog.element_ops
                for cls, n in cost.ops_by_class.items():
                    actions[cls] = actions.get(cls, 0) + n
                if cost.link_byte_hops:
                    actions["link_byte_hops"] = cost.link_byte_hops
                actions["local_read_bytes"] = math.ceil(prog.loads * elem)
                actions["local_write_bytes"] = math.ceil(prog.stores * elem)
                notes.append(cost.detail)
        if isinstance(head.op, O.Embedding):
            loads.append(Transfer("weights", "dram", act_buffer or "unit", math.ceil(weight_elements * elem)))
            notes.append(f"gather: {head.op.lookups} rows of {head.op.dim} read from DRAM (memory-bound)")
        out_bytes = math.ceil(tail.op.output_elements * elem)
        weight_bytes = math.ceil(weight_elements * elem)
        tasks.append(Task(
            name=head.name, layers=tuple(layer.name for layer in group),
            op="+".join(layer.op.func if isinstance(layer.op, O.Activation) else layer.op.kind for layer in group),
            unit=unit, deps=deps, macs=sum(layer.op.macs for layer in group), gemm=gemm,
            vector_cycles=vector_cycles, output_pipeline_cycles=0, output_tail_cycles=0, scalar_instructions=0.0,
            loads=tuple(loads), stores=(),
            weight_bytes=weight_bytes if (weights_in_dram or isinstance(head.op, O.Embedding)) else 0,
            input_bytes=out_bytes if isinstance(head.op, O.Input) else 0, output_bytes=out_bytes,
            activation_buffer=act_buffer, live_bytes=0, notes=tuple(notes), is_graph_input=isinstance(head.op, O.Input),
            dense_equivalent_macs=sum(layer.op.macs for layer in group),
            conv_algorithm="im2col" if isinstance(head.op, O.Conv2d) else "",
            subunit="grid" if unit == "vector" else "", vector_element_ops=element_ops,
            grid_actions=tuple(sorted(actions.items()))))
        for layer in group:
            task_of[layer.name] = head.name
    if not tasks and not graph.layers:
        raise WorkloadError(f"workload '{workload.name}' has no layers")
    return Program(arch.name, workload.name, workload.batch, prec.name, place_activations(tuple(tasks), arch))
