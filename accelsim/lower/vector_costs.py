"""What vector work each operator needs, and what it costs on a vector or fixed-function unit.

An operator's vector work is a :class:`VectorProgram`: the function it computes (``softmax``,
``layer_norm``, ``pool``, ``sigmoid`` ...) plus its decomposition into primitive passes — element
maps (``add``, ``mul``, ``exp``, ``rsqrt`` ...) and reductions along the last axis. How it is costed:

- A fixed-function unit (NVDLA PDP, CDP) that lists the function runs it in one pass at its own
  elements-per-cycle rate.
- On the vector unit, a function listed in ``vector_unit.op_cycles`` is native: one pass costing
  that many lane-cycles per element. Otherwise the primitive passes run one after another, each
  element costing ``op_cycles[primitive]`` lane-cycles (1 when unlisted), spread over
  lanes × sublanes × ops_per_lane_per_cycle × count lanes.
- A reduction of R rows of length L first combines lane-wide chunks elementwise (R·(L − lanes)
  element ops at full width), then reduces across lanes with a log-depth tree: ⌈log2 min(L, lanes)⌉
  levels of ``reduction_level_cycles`` each, for sublanes × ALUs × count rows at a time (short rows
  are packed several to a lane vector).
- A transpose uses the transpose unit when the arch has one, else it is a copy through the unit.
- Unfused work also reads and writes the unit's local memory: the cycles are at least
  loads / ``load_elements_per_cycle`` and stores / ``store_elements_per_cycle``.
- Latency: the unit's ``latency_cycles`` plus ``op_latency_cycles`` of each dependent pass.

Element-op counts here are what the unit executes; ``Op.vector_ops`` is the operator's nominal
count (docs/operators.md gives both).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

from ..spec.arch import ArchSpec, FunctionUnitSpec, VectorUnitSpec
from ..workload import ops as O


@dataclass(frozen=True)
class VectorStep:
    """One pass: ``func`` on ``elements`` elements, or a reduction of ``rows`` rows of ``length``."""

    func: str
    elements: int
    rows: int = 0
    length: int = 0

    @property
    def is_reduction(self) -> bool:
        return self.rows > 0

    @property
    def element_ops(self) -> int:
        return self.rows * max(0, self.length - 1) if self.is_reduction else self.elements


def _map(func: str, elements: int) -> VectorStep:
    return VectorStep(func, int(elements))


def _reduce(func: str, rows: int, length: int) -> VectorStep:
    return VectorStep(func, int(rows) * max(0, int(length) - 1), int(rows), int(length))


@dataclass(frozen=True)
class VectorProgram:
    """The vector work of one operator (see module docstring)."""

    function: str
    #: elements one native pass processes (outputs; inputs for pooling, which reads each once)
    elements: int
    steps: tuple[VectorStep, ...]
    loads: int  # elements read from local memory when not streamed from the matrix unit
    stores: int  # elements written

    @property
    def element_ops(self) -> int:
        return sum(step.element_ops for step in self.steps)


@dataclass(frozen=True)
class VectorCost:
    """Cycles (at the arch's reference clock) of one program on the unit that runs it."""

    unit: str  # "vector" or a function unit's name
    cycles: int  # without latency
    latency_cycles: int
    element_ops: int
    detail: str

    @property
    def total_cycles(self) -> int:
        return self.cycles + self.latency_cycles


def _numel(shape) -> int:
    return math.prod(int(d) for d in shape)


def _softmax_steps(n: int, length: int) -> tuple[VectorStep, ...]:
    rows = n // max(1, length)
    return (_reduce("max", rows, length), _map("sub", n), _map("exp", n), _reduce("add", rows, length),
            _map("reciprocal", rows), _map("mul", n))


def _norm_program(op: O.Norm) -> VectorProgram:
    n = _numel(op.shape)
    if op.func == "batch":
        return VectorProgram("batch_norm", n, (_map("mul", n), _map("add", n)), n, n)
    if op.func == "lrn":
        # square, sum over the window of op.size channels, power, scale
        steps = (_map("mul", n), _map("add", (op.size - 1) * n), _map("pow", n), _map("mul", n))
        return VectorProgram("lrn", n, steps, n, n)
    length = op.features or int(op.shape[-1])
    rows = n // max(1, length)
    steps = [_reduce("add", rows, length), _map("mul", rows), _map("sub", n), _map("mul", n),
             _reduce("add", rows, length), _map("rsqrt", rows), _map("mul", n)]
    if op.affine:
        steps += [_map("mul", n), _map("add", n)]
    return VectorProgram(f"{op.func}_norm", n, tuple(steps), n, n)


def _activation_program(op: O.Activation) -> VectorProgram:
    n = _numel(op.shape)
    steps = {
        "identity": (),
        "relu": (_map("max", n),),
        "relu6": (_map("max", n), _map("min", n)),
        "sigmoid": (_map("sigmoid", n),),
        "tanh": (_map("tanh", n),),
        # tanh form: 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³)))
        "gelu": (_map("mul", 5 * n), _map("add", 2 * n), _map("tanh", n)),
        "silu": (_map("sigmoid", n), _map("mul", n)),
    }.get(op.func, (_map(op.func, n),))
    return VectorProgram(op.func, n, steps, n, n)


#: elementwise functions that stand for several primitive passes (per output element)
_COMPOUND = {
    "lstm_cell_update": (("mul", 2), ("add", 1)),  # f⊙c + i⊙g
    "tanh_mul": (("tanh", 1), ("mul", 1)),  # o⊙tanh(c)
    "gru_rz": (("add", 1), ("sigmoid", 1)),  # σ(gx + gh)
    "gru_candidate": (("mul", 1), ("add", 1), ("tanh", 1)),  # tanh(xn + r⊙hn)
    "gru_update": (("sub", 1), ("mul", 1), ("add", 1)),  # n + z⊙(h − n)
    "div": (("reciprocal", 1), ("mul", 1)),
    "mask_select": (("select", 1),),
}


def _elementwise_program(op: O.Elementwise) -> VectorProgram:
    n = _numel(op.shape)
    if op.func in _COMPOUND:
        steps = tuple(_map(f, k * n) for f, k in _COMPOUND[op.func])
    else:
        steps = (_map(op.func, n * max(1, op.inputs - 1)),)
    return VectorProgram(op.func, n, steps, n * op.inputs, n)


def _pool_program(op: O.Pool) -> VectorProgram:
    n_in, n_out = op.input_elements, op.output_elements
    if op.func == "global_avg":
        # channels lie along the lanes: the plane is summed elementwise, no cross-lane tree
        steps = (_map("add", n_in - n_out), _map("mul", n_out))
    else:
        window = op.kernel_h * op.kernel_w
        combine = "max" if op.func == "max" else "add"
        steps = (_map(combine, n_out * (window - 1)),) + ((_map("mul", n_out),) if op.func != "max" else ())
    return VectorProgram("pool", n_in, steps, n_in, n_out)


def program_for(op: O.Op) -> VectorProgram | None:
    """The vector work of a non-matrix ``op``; None when it has none (graph inputs, relabellings)."""
    if isinstance(op, O.Activation):
        return _activation_program(op)
    if isinstance(op, O.Elementwise):
        return _elementwise_program(op)
    if isinstance(op, O.Softmax):
        n = _numel(op.shape)
        return VectorProgram("softmax", n, _softmax_steps(n, int(op.shape[-1])), n, n)
    if isinstance(op, O.Norm):
        return _norm_program(op)
    if isinstance(op, O.Pool):
        return _pool_program(op)
    if isinstance(op, O.Embedding):
        n = op.output_elements
        return VectorProgram("gather", n, (_map("copy", n),), n, n)
    if isinstance(op, O.DataMovement) and op.copies:
        n_out = op.output_elements
        return VectorProgram(op.func, n_out, (_map("copy", n_out),), op.input_elements, n_out)
    return None


def bias_program(op: O.Op) -> VectorProgram | None:
    """The bias add a conv/matmul applies to its outputs in the output pipeline, if it has a bias."""
    if getattr(op, "bias", False) and op.vector_ops:
        n = op.vector_ops
        return VectorProgram("bias", n, (_map("add", n),), 0, 0)
    return None


def _scale(cycles: float, unit_mhz: float | None, ref_mhz: float) -> float:
    return cycles * ref_mhz / unit_mhz if unit_mhz and unit_mhz != ref_mhz else cycles


def cost_on_function_unit(prog: VectorProgram, fu: FunctionUnitSpec, ref_mhz: float) -> VectorCost:
    """``prog`` as one native pass on fixed-function unit ``fu`` (which must list its function)."""
    rate = fu.elements_per_cycle[prog.function]
    cycles = math.ceil(_scale(prog.elements / rate, fu.clock_mhz, ref_mhz))
    latency = math.ceil(_scale(fu.latency_cycles, fu.clock_mhz, ref_mhz))
    return VectorCost(fu.name, cycles, latency, prog.elements,
                      f"{prog.function} on {fu.name}: {prog.elements} elements at {rate:g}/cycle")


def reduction_cycles(step: VectorStep, vu: VectorUnitSpec) -> float:
    """Cycles of one reduction pass on ``vu`` (see module docstring)."""
    rows, length, lanes = step.rows, step.length, vu.lanes
    cost = vu.op_cycles.get(step.func, 1.0)
    partial = rows * max(0, length - lanes) * cost / vu.elements_per_cycle
    width = min(length, lanes)
    levels = math.ceil(math.log2(width)) if width > 1 else 0
    rows_per_vector = max(1, lanes // length) if length < lanes else 1
    parallel_rows = vu.sublanes * vu.ops_per_lane_per_cycle * vu.count * rows_per_vector
    tree = math.ceil(rows / parallel_rows) * levels * vu.reduction_level_cycles
    return partial + tree


def cost_on_vector_unit(prog: VectorProgram, vu: VectorUnitSpec, ref_mhz: float, streamed: bool = False) -> VectorCost:
    """``prog`` on the programmable vector unit. ``streamed``: its operands arrive from the matrix
    unit's output pipeline, so local-memory load/store limits do not apply."""
    epc = vu.elements_per_cycle
    reductions = [s for s in prog.steps if s.is_reduction]
    latency = float(vu.latency_cycles)
    if prog.function == "transpose" and vu.transpose_elements_per_cycle > 0:
        compute = prog.elements / vu.transpose_elements_per_cycle
        latency += vu.transpose_latency_cycles
        detail = f"transpose unit: {prog.elements} elements at {vu.transpose_elements_per_cycle:g}/cycle"
        element_ops = prog.elements
    elif prog.function in vu.op_cycles:
        compute = prog.elements * vu.op_cycles[prog.function] / epc
        latency += vu.op_latency_cycles.get(prog.function, 0.0)
        detail = f"{prog.function}: native, {prog.elements} elements x {vu.op_cycles[prog.function]:g} lane-cycles"
        element_ops = prog.elements
    else:
        compute = 0.0
        for step in prog.steps:
            if step.is_reduction:
                compute += reduction_cycles(step, vu)
            else:
                compute += step.elements * vu.op_cycles.get(step.func, 1.0) / epc
            latency += vu.op_latency_cycles.get(step.func, 0.0)
        element_ops = prog.element_ops
        detail = f"{prog.function}: {len(prog.steps) - len(reductions)} element passes"
        if reductions:
            r = reductions[0]
            width = min(r.length, vu.lanes)
            levels = math.ceil(math.log2(width)) if width > 1 else 0
            detail += (f" + {len(reductions)} reductions of {r.rows} rows x {r.length} "
                       f"({levels}-level cross-lane tree)")
    memory = 0.0
    if not streamed:
        if vu.load_elements_per_cycle > 0:
            memory = max(memory, prog.loads / vu.load_elements_per_cycle)
        if vu.store_elements_per_cycle > 0:
            memory = max(memory, prog.stores / vu.store_elements_per_cycle)
        if memory > compute:
            detail += f"; bound by local-memory bandwidth ({math.ceil(memory)} > {math.ceil(compute)} compute cycles)"
    cycles = math.ceil(_scale(max(compute, memory), vu.clock_mhz, ref_mhz))
    return VectorCost("vector", cycles, math.ceil(_scale(latency, vu.clock_mhz, ref_mhz)), int(element_ops), detail)


def function_unit_for(prog: VectorProgram, arch: ArchSpec) -> FunctionUnitSpec | None:
    """The first fixed-function unit listing ``prog``'s function, if any."""
    for fu in arch.function_units:
        if prog.function in fu.elements_per_cycle:
            return fu
    return None


def place_program(prog: VectorProgram, arch: ArchSpec, streamed: bool = False) -> VectorCost | None:
    """Cost ``prog`` on the unit that runs it: a fixed-function unit listing its function, else the
    vector unit; None when the arch has neither."""
    fu = function_unit_for(prog, arch)
    if fu is not None:
        return cost_on_function_unit(prog, fu, arch.clock_mhz)
    if arch.vector_unit is None:
        return None
    return cost_on_vector_unit(prog, arch.vector_unit, arch.clock_mhz, streamed)
