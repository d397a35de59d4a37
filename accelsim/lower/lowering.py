"""Lower a workload graph onto an architecture: which unit runs each op, what is fused, where each
activation tensor lives, and which bytes cross which memory level.

Stages (docs/operators.md has the per-operator table):
- composite.py expands LSTM/GRU cells and multi-head attention into primitive layers.
- Fusion: single-consumer chains after a matrix op join its output pipeline when the arch lists
  them in ``matrix_unit.fused_ops`` (bias, batch_norm, activations, pool, lrn, residual_add); fused
  work runs beside the matrix unit on the vector unit or a fixed-function unit, with no memory
  round trip.
- conv2d runs as the GEMMs of the algorithm conv_algorithms.py picks (im2col, direct, Winograd);
  matmul runs as ``count`` GEMMs (M x K) . (K x N).
- Everything else is vector work costed by vector_costs.py on the vector unit or on a
  fixed-function unit that lists the function (NVDLA PDP/CDP).
- The scalar unit's issue, loop, configuration and sync cost comes from scalar_costs.py.
- Weights stream from DRAM when DRAM holds weights, or from the secondary memory level when it
  holds them resident (choose_resident: by estimated cycles saved per byte, in the room the spilled activations leave).
- Where activations live, and the transfers that implies, is decided by memory_plan.py.
"""
from __future__ import annotations

import dataclasses
import math
from collections.abc import Collection
from dataclasses import dataclass

from ..errors import AccelsimError, WorkloadError
from ..precision import Precision, get_precision
from ..spec.arch import ArchSpec
from ..workload import ops as O
from ..workload.graph import Layer, Workload
from . import conv_algorithms, vector_costs
from .composite import expand_composites
from .memory_plan import place_activations
from .scalar_costs import scalar_instructions
from .work import GemmWork, Program, Task, Transfer

#: operator classes the lowering schedules (composites are expanded into these first)
KNOWN_OPS: tuple[type[O.Op], ...] = (O.Conv2d, O.MatMul, O.Elementwise, O.Activation, O.Pool, O.Softmax, O.Norm,
                                     O.Embedding, O.DataMovement, O.Input)


def fusable_name(op: O.Op) -> str | None:
    """The name under which ``op`` may appear in ``matrix_unit.fused_ops``, or None."""
    if isinstance(op, O.Activation):
        return op.func
    if isinstance(op, O.Norm) and op.func == "batch":
        return "batch_norm"
    if isinstance(op, O.Norm) and op.func == "lrn":
        return "lrn"
    if isinstance(op, O.Pool) and op.func in ("max", "avg"):
        return "pool"
    if isinstance(op, O.Elementwise) and op.func == "add" and op.inputs == 2:
        return "residual_add"
    if isinstance(op, O.Elementwise) and op.func == "add" and op.inputs == 1:
        return "bias"
    return None


def concat_in_place(layer: Layer, arch: ArchSpec, producer_unit: dict[str, str]) -> bool:
    """Whether ``layer`` is a channel concat the producers build in place: with ``concat`` in
    ``matrix_unit.fused_ops`` each producing matrix task's output pipeline writes its result at its
    channel offset of the concatenated tensor (NVDLA: the branch outputs of an inception module are
    written into one surface), so the concat itself moves nothing. ``producer_unit``: the unit of
    the task producing each input layer."""
    op = layer.op
    return (isinstance(op, O.DataMovement) and op.func == "concat" and arch.matrix_unit is not None
            and "concat" in arch.matrix_unit.fused_ops and bool(layer.inputs)
            and all(producer_unit.get(i) == "matrix" for i in layer.inputs))


def group_layers(workload: Workload, fusable: Collection[str], max_fused: int | None = None) -> list[list[Layer]]:
    """Split layers into fused groups: a matrix op plus the chain its output pipeline absorbs, each
    link an op whose :func:`fusable_name` is in ``fusable``, reading the previous link, which nothing
    else reads; at most ``max_fused`` links after the matrix op (None: no limit)."""
    consumers = workload.consumers()
    groups: list[list[Layer]] = []
    for layer in workload.layers:
        if groups and groups[-1][0].op.is_matrix and (max_fused is None or len(groups[-1]) <= max_fused):
            tail = groups[-1][-1]
            if (fusable_name(layer.op) in fusable and tail.name in layer.inputs
                    and len(consumers[tail.name]) == 1):
                groups[-1].append(layer)
                continue
        groups.append([layer])
    return groups


def _group_tasks(workload: Workload, arch: ArchSpec) -> list[list[Layer]]:
    """:func:`group_layers` with the arch's ``matrix_unit.fused_ops``."""
    return group_layers(workload, set(arch.matrix_unit.fused_ops) if arch.matrix_unit else set())


def check_known_ops(layer: Layer) -> None:
    """Refuse a layer whose operator the lowering does not know (composites expanded first)."""
    if not isinstance(layer.op, KNOWN_OPS):
        known = ", ".join(sorted({c.kind for c in KNOWN_OPS} | {"lstm_cell", "gru_cell", "attention"}))
        raise WorkloadError(f"layer '{layer.name}': the lowering does not know operator '{layer.op.kind}' "
                            f"({type(layer.op).__name__}); it lowers: {known}")


@dataclass(frozen=True)
class _Context:
    """Per-run constants of one lowering."""

    arch: ArchSpec
    prec: Precision
    act_buffer: str | None
    weights_in_dram: bool

    @property
    def elem_bytes(self) -> float:
        return self.prec.bytes


@dataclass(frozen=True)
class _Pipeline:
    """The fused output pipeline of a matrix task."""

    cycles: int
    tail_cycles: int
    element_ops: int
    notes: tuple[str, ...]


def _matmul_gemm(op: O.MatMul, ctx: _Context, rate: float) -> GemmWork:
    fetch = ctx.elem_bytes if (ctx.weights_in_dram and op.weights) else 0.0
    return GemmWork(op.m, op.k, op.n, op.count, fetch, rate)


def _need_unit(cost, layer: Layer, arch: ArchSpec):
    if cost is None:
        raise WorkloadError(f"layer '{layer.name}' ({layer.op.kind}) needs a vector unit, and {arch.name} has none")
    return cost


def _output_pipeline(group: list[Layer], gemm: GemmWork, transform_ops: int, ctx: _Context) -> _Pipeline:
    """Cost the fused stages of a matrix task: bias, the absorbed chain, and Winograd transforms.
    Stages on different units run side by side (the slowest sets the pace); stages sharing the
    vector unit add unless ``vector_unit.fused_stages_parallel``."""
    arch = ctx.arch
    mu, vu = arch.matrix_unit, arch.vector_unit
    head = group[0]
    # a fused batch norm is folded into the weights (scale) and the bias (shift) at inference: it
    # leaves one add per output, shared with the layer's own bias
    folded_bn = any(isinstance(layer.op, O.Norm) and layer.op.func == "batch" for layer in group[1:])
    bias = vector_costs.bias_program(head.op)
    if bias is None and folded_bn:
        n = head.op.output_elements
        bias = vector_costs.VectorProgram("bias", n, (vector_costs.VectorStep("add", n),), 0, 0)
    progs = [bias] + [vector_costs.program_for(layer.op) for layer in group[1:]
                      if not (isinstance(layer.op, O.Norm) and layer.op.func == "batch")]
    per_unit: dict[str, list[int]] = {}
    element_ops = 0
    latency = 0
    for prog in progs:
        if prog is None:
            continue
        cost = _need_unit(vector_costs.place_program(prog, arch, streamed=True), head, arch)
        per_unit.setdefault(cost.unit, []).append(cost.cycles)
        element_ops += cost.element_ops
        latency = max(latency, cost.latency_cycles)
    notes = []
    if transform_ops:
        if mu.transform_ops_per_cycle > 0:
            per_unit.setdefault("transform", []).append(math.ceil(transform_ops / mu.transform_ops_per_cycle))
        else:
            prog = vector_costs.VectorProgram("winograd_transform", transform_ops,
                                              (vector_costs.VectorStep("add", transform_ops),), 0, 0)
            cost = _need_unit(vector_costs.place_program(prog, arch, streamed=True), head, arch)
            per_unit.setdefault(cost.unit, []).append(cost.cycles)
        element_ops += transform_ops
    if not per_unit:
        return _Pipeline(0, 0, 0, ())
    shared = vu is not None and not vu.fused_stages_parallel
    unit_cycles = {u: (sum(c) if (u == "vector" and shared) else max(c)) for u, c in per_unit.items()}
    cycles = max(unit_cycles.values())
    if len(unit_cycles) > 1 or transform_ops:
        notes.append("output pipeline: " + ", ".join(f"{u} {c} cycles" for u, c in sorted(unit_cycles.items())))
    # the last column fold's outputs leave the array at the end: that share of the pipeline follows it
    outputs = max(1, head.op.output_elements)
    share = min(1.0, gemm.m * min(gemm.n, mu.cols) / outputs)
    tail = math.ceil(cycles * share) + latency
    return _Pipeline(cycles, tail, element_ops, tuple(notes))


def _depthwise_note(op: O.Conv2d, gemm: GemmWork, arch: ArchSpec) -> str:
    mu = arch.matrix_unit
    rows_used, cols_used = min(gemm.k, mu.rows), min(gemm.n, mu.cols)
    share = rows_used * cols_used / (mu.rows * mu.cols)
    return (f"depthwise: each of {op.groups} groups is a {gemm.m}x{gemm.k}x{gemm.n} GEMM; only {rows_used} of "
            f"{mu.rows} rows and {cols_used} of {mu.cols} columns hold weights, so at most {share:.2%} of the "
            f"array does useful work (low utilization: a systolic array needs channel reuse that depthwise lacks)")


@dataclass(frozen=True)
class _Residency:
    """A matrix layer's plan with its weights resident in the secondary memory level."""

    plan: object  # a ConvPlan for a conv, else the GemmWork
    stored_bytes: int
    gain_cycles: float  # estimated cycles saved against streaming the weights from DRAM (>= 0)


def _residency(head: Layer, ctx: _Context, rate: float) -> _Residency | None:
    """The layer's plan with its weights resident in the secondary level, if the arch keeps weights
    there and its read path is no slower for this layer than DRAM (estimated: the longest of array
    cycles, weight fetch and transforms); else None."""
    sec = ctx.arch.spill_level("weights")
    if sec is None or not ctx.weights_in_dram or not head.op.is_matrix:
        return None
    if isinstance(head.op, O.Conv2d):
        plan = conv_algorithms.choose(head.op, ctx.arch, ctx.elem_bytes, rate, sec.name)
        gain = conv_algorithms.choose(head.op, ctx.arch, ctx.elem_bytes, rate).estimated_cycles - plan.estimated_cycles
        return _Residency(plan, plan.gemm.stored_weight_bytes, gain) if gain >= 0 else None
    gemm = _matmul_gemm(head.op, ctx, rate)
    if not gemm.fetch_bytes_per_element:
        return None
    compute = conv_algorithms.array_cycles(gemm, ctx.arch)
    gain = (max(compute, gemm.stored_weight_bytes / ctx.arch.dram_sustained_bytes_per_cycle)
            - max(compute, gemm.stored_weight_bytes / ctx.arch.fetch_bytes_per_cycle(sec.name)))
    return _Residency(dataclasses.replace(gemm, fetch_level=sec.name), gemm.stored_weight_bytes, gain) if gain >= 0 else None


def choose_resident(graph: Workload, arch: ArchSpec, ctx: _Context, room: int,
                    exclude: frozenset[str]) -> dict[str, _Residency]:
    """The matrix layers whose weights live in the secondary level, with their resident plans: by estimated cycles saved per byte
    (ties, including layers that save no time but still read cheaper SRAM, in program order) while
    they fit ``room``; layers named in ``exclude`` stay in DRAM."""
    mu = arch.matrix_unit
    if mu is None or room <= 0:
        return {}
    rate = mu.precisions[ctx.prec.name]
    options = []
    for index, group in enumerate(_group_tasks(graph, arch)):
        head = group[0]
        option = None if head.name in exclude else _residency(head, ctx, rate)
        if option is not None and 0 < option.stored_bytes <= room:
            options.append((-option.gain_cycles / option.stored_bytes, index, head.name, option))
    chosen = {}
    for _, _, name, option in sorted(options, key=lambda o: o[:2]):
        if option.stored_bytes <= room:
            chosen[name] = option
            room -= option.stored_bytes
    return chosen


def _lower_group(group: list[Layer], ctx: _Context, task_of: dict[str, str], unit_of: dict[str, str],
                 resident: _Residency | None = None) -> Task:
    arch = ctx.arch
    mu, vu, su = arch.matrix_unit, arch.vector_unit, arch.scalar_unit
    head, tail = group[0], group[-1]
    for layer in group:
        check_known_ops(layer)
    name = head.name
    members = {layer.name for layer in group}
    deps = tuple(dict.fromkeys(task_of[i] for layer in group for i in layer.inputs if i not in members))
    elem = ctx.elem_bytes
    notes: list[str] = []
    out_bytes = math.ceil(tail.op.output_elements * elem)
    macs = sum(layer.op.macs for layer in group)
    dense_macs = macs
    weight_elements = sum(layer.op.weight_elements for layer in group)
    gemm = None
    algorithm = ""
    subunit = ""
    vector_cycles = pipeline_cycles = tail_cycles = 0
    element_ops = 0
    if head.op.is_matrix:
        if mu is None:
            raise WorkloadError(f"layer '{name}' ({head.op.kind}) needs a matrix unit, and {arch.name} has none")
        rate = mu.precisions[ctx.prec.name]
        transform_ops = 0
        if isinstance(head.op, O.Conv2d):
            fetch = elem if ctx.weights_in_dram else 0.0
            conv = resident.plan if resident else conv_algorithms.choose(head.op, arch, fetch, rate)
            gemm, algorithm, transform_ops = conv.gemm, conv.algorithm, conv.transform_ops
            macs += conv.macs - head.op.macs
            weight_elements += conv.weight_elements - head.op.weight_elements + (head.op.out_channels if head.op.bias else 0)
            notes.append(conv.note)
            if head.op.is_depthwise:
                notes.append(_depthwise_note(head.op, gemm, arch))
        else:
            gemm = resident.plan if resident else _matmul_gemm(head.op, ctx, rate)
        if resident is not None:
            notes.append(f"weights resident in {gemm.fetch_level} ({gemm.stored_weight_bytes / 1024:.0f} KiB, preloaded "
                         f"from DRAM before the run; estimated {resident.gain_cycles:.0f} cycles saved): streamed over "
                         "its read path")
        unit = "matrix"
        pipe = _output_pipeline(group, gemm, transform_ops, ctx)
        pipeline_cycles, tail_cycles, element_ops = pipe.cycles, pipe.tail_cycles, pipe.element_ops
        notes.extend(pipe.notes)
    elif isinstance(head.op, O.Input) or (isinstance(head.op, O.DataMovement) and not head.op.copies):
        unit = "none"
    elif concat_in_place(head, arch, {i: unit_of.get(task_of[i], "none") for i in head.inputs}):
        unit = "none"
        notes.append("concat built in place: each producer writes its output at its channel offset")
    else:
        unit = "vector"
        for layer in group:
            prog = vector_costs.program_for(layer.op)
            if prog is None:
                continue
            cost = _need_unit(vector_costs.place_program(prog, arch), layer, arch)
            vector_cycles += cost.total_cycles
            element_ops += cost.element_ops
            if cost.unit != "vector":
                subunit = cost.unit
            notes.append(cost.detail)
    weight_bytes = math.ceil(weight_elements * elem)

    loads: list[Transfer] = []
    if isinstance(head.op, O.Embedding):
        loads.append(Transfer("weights", "dram", ctx.act_buffer or "unit", weight_bytes))
        notes.append(f"gather: {head.op.lookups} rows of {head.op.dim} read from DRAM (memory-bound)")
    input_bytes = out_bytes if isinstance(head.op, O.Input) else 0

    folds = 0
    if gemm is not None:
        folds = gemm.count * math.ceil(gemm.k / mu.rows) * math.ceil(math.ceil(gemm.n / mu.count) / mu.cols) * mu.count
    scalar = 0.0
    if su is not None and unit != "none":
        cross = sum(1 for d in deps if unit_of.get(d, "none") not in ("none", unit))
        scalar = scalar_instructions(su, folds=folds, vector_element_ops=element_ops,
                                     vector_width=vu.vector_width if vu else 0, cross_unit_producers=cross)
    return Task(
        name=name, layers=tuple(layer.name for layer in group),
        op="+".join(layer.op.func if isinstance(layer.op, O.Activation) else layer.op.kind for layer in group),
        unit=unit, deps=deps, macs=macs, gemm=gemm, vector_cycles=vector_cycles,
        output_pipeline_cycles=pipeline_cycles, output_tail_cycles=tail_cycles,
        scalar_instructions=scalar, loads=tuple(loads), stores=(),
        weight_bytes=weight_bytes if (ctx.weights_in_dram or isinstance(head.op, O.Embedding)) else 0,
        input_bytes=input_bytes, output_bytes=out_bytes,
        activation_buffer=ctx.act_buffer, live_bytes=0, notes=tuple(notes),
        is_graph_input=isinstance(head.op, O.Input),
        dense_equivalent_macs=dense_macs, conv_algorithm=algorithm, subunit=subunit,
        vector_element_ops=element_ops)


def lower(workload: Workload, arch: ArchSpec, precision: str | None = None) -> Program:
    """Turn ``workload`` into a :class:`Program` for ``arch`` at ``precision`` (default: the arch's)."""
    if arch.simd_grid is not None:  # a grid of LNS SIMD cores: its own lowering (grid_lowering.py)
        from .grid_lowering import lower_for_grid  # in here: grid_lowering imports this module

        return lower_for_grid(workload, arch, precision)
    mu = arch.matrix_unit
    prec_name = precision or (mu.default_precision if mu else "fp32")
    prec = get_precision(prec_name)
    if mu is not None and prec.name not in mu.precisions:
        raise AccelsimError(
            f"precision '{prec.name}' is not supported by {arch.name}'s matrix unit; supported: {', '.join(mu.precisions)}",
            field="--precision")
    act_mem = arch.memory_holding("activations")
    ctx = _Context(arch, prec, act_mem.name if act_mem else None, "weights" in arch.dram.holds)
    graph = expand_composites(workload)
    placed = place_activations(_lower_tasks(graph, arch, ctx, {}), arch)
    sec = arch.spill_level("weights")
    if sec is not None and ctx.weights_in_dram:
        # spilled activations keep the room they need at their peak; weights take what is left, for
        # layers that read no activations over the level's read path (a weight stream there would
        # queue behind them, where from DRAM it runs beside them)
        peak = max((t.secondary_live_bytes for t in placed), default=0)
        busy = frozenset(t.name for t in placed if any(tr.src == sec.name for tr in t.loads))
        resident = choose_resident(graph, arch, ctx, sec.size_bytes - peak, busy)
        if resident:
            placed = place_activations(_lower_tasks(graph, arch, ctx, resident), arch)
    return Program(arch.name, workload.name, workload.batch, prec.name, placed)


def _lower_tasks(graph: Workload, arch: ArchSpec, ctx: _Context,
                 resident: dict[str, _Residency]) -> tuple[Task, ...]:
    """Lower every task group in program order; the matrix layers named in ``resident`` run its plan,
    their weights in the secondary level (choose_resident)."""
    task_of: dict[str, str] = {}
    unit_of: dict[str, str] = {}
    tasks: list[Task] = []
    for group in _group_tasks(graph, arch):
        task = _lower_group(group, ctx, task_of, unit_of, resident.get(group[0].name))
        tasks.append(task)
        unit_of[task.name] = task.unit
        for layer in group:
            task_of[layer.name] = task.name
    return tuple(tasks)
