"""Step-level timing of a SIMD grid of LNS cores (``simd_grid`` in the arch; docs/lns_s1.md).

One control unit issues the same instruction to every core each cycle; a core that has nothing to
do for an instruction is masked. Everything here is closed form and can be checked by hand.

GEMM (``count`` groups of (m x k) . (k x n)), output stationary, SUMMA-style systolic shifting:
each used core owns an ``a x b`` block of outputs. At each of the k steps a core receives one
packet of the shared operands over its links (A values from the west along its row, B values from
the north along its column), forwards it to the next core, and does ``a x b`` MACs, each an LNS
multiply (integer add of the logs) then an LNS add (table lookup + interpolation + add), not
pipelined. The links and the arithmetic overlap, so

    step_cycles = max(a * b * (log_multiply_cycles + log_add_cycles),  link cycles of the packet)
    link cycles = ceil(packet_elements * element_bytes / link_bytes_per_cycle)
    total       = fill + count * k * step_cycles + weight stall
    fill        = hops * (link_latency_cycles + link cycles)  (the first packet reaching the far core)

Mappings tried (the one with the fewest cycles wins, ties to the first listed; a mapping whose
output block per core exceeds half the core's local memory is used only if none fits):

- ``m_rows``: M over the grid rows, N over the columns; packets a (E-W) and b (N-S) elements,
  hops = (rows used - 1) + (cols used - 1);
- ``n_rows``: N over the rows, M over the columns;
- ``snake_n``: N over all cores in snake order (a boustrophedon path, every step one nearest-neighbour
  hop), each core a full column block of M; the A values travel the path (packet m), the core's own
  weights come from its local memory; hops = cores used - 1;
- ``snake_m``: M over the snake, each core all of N; the B values travel the path (packet n).

Weights stream from DRAM into the local memories while the grid computes (each weight fetched once
per GEMM group); the task cannot finish before they have arrived: stall = max(0, fetch - grid).

Vector work (ReLU, softmax, norms, residual adds ...) runs on the same cores, elements spread over
all of them. Per element a primitive costs the cycles of its LNS class (OP_CLASS): ``log_multiply``
(mul, reciprocal, rsqrt, pow: integer add/shift of the log), ``log_add`` (add, sub: a table
lookup), ``compare`` (max, min, select, copy: integer compare or move of the code) or ``function``
(exp, sigmoid, tanh and anything unlisted: conversions between log and linear by table).
A reduction of r rows of length L over P cores: r >= P: each core reduces whole rows,
ceil(r / P) * (L - 1) ops; otherwise each row is spread over p = min(L, P // r) cores, which reduce
their ceil(L / p) elements locally and then combine over a pr x pc sub-grid (pc = min(cols, p),
pr = ceil(p / pc)) by (pc - 1) + (pr - 1) shift-and-combine steps of (hop + op) cycles each.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import simpy

from ..lower.work import GemmWork, Task
from ..spec.simd_grid import SimdGridSpec

#: LNS class of each vector primitive (unlisted primitives are "function")
OP_CLASS = {
    "mul": "log_multiply", "reciprocal": "log_multiply", "rsqrt": "log_multiply", "sqrt": "log_multiply",
    "pow": "log_multiply", "div": "log_multiply", "scale": "log_multiply",
    "add": "log_add", "sub": "log_add",
    "max": "compare", "min": "compare", "relu": "compare", "select": "compare", "copy": "compare",
    "identity": "compare", "abs": "compare", "neg": "compare",
}
OP_CLASSES = ("log_multiply", "log_add", "compare", "function")


def op_class(func: str) -> str:
    return OP_CLASS.get(func, "function")


def class_cycles(grid: SimdGridSpec, cls: str) -> int:
    return {"log_multiply": grid.log_multiply_cycles, "log_add": grid.log_add_cycles,
            "compare": grid.compare_cycles, "function": grid.function_cycles}[cls]


def link_cycles(elements: int, elem_bytes: float, grid: SimdGridSpec) -> int:
    """Cycles one link needs for a packet of ``elements`` (0 for an empty packet)."""
    return math.ceil(elements * elem_bytes / grid.link_bytes_per_cycle) if elements > 0 else 0


@dataclass(frozen=True)
class GridMapping:
    """How one (m x k) . (k x n) GEMM's outputs sit on the grid."""

    name: str
    a: int  # output rows (M) per core
    b: int  # output columns (N) per core
    cores_used: int
    hops: int  # links the first packet crosses to reach the farthest core
    packet_a: int  # A elements a core receives per step over a link (0: its own, from local memory)
    packet_b: int  # B elements a core receives per step over a link (0: its own, from local memory)
    a_hops: int  # links each A element crosses (its broadcast)
    b_hops: int  # links each B element crosses


def gemm_mappings(m: int, n: int, grid: SimdGridSpec) -> tuple[GridMapping, ...]:
    """The candidate mappings of an m x n output (module docstring)."""
    out = []
    for name, m_span, n_span in (("m_rows", grid.rows, grid.cols), ("n_rows", grid.cols, grid.rows)):
        a, b = math.ceil(m / m_span), math.ceil(n / n_span)
        m_used, n_used = math.ceil(m / a), math.ceil(n / b)
        out.append(GridMapping(name, a, b, m_used * n_used, (m_used - 1) + (n_used - 1), a, b, n_used - 1, m_used - 1))
    cores = grid.cores
    b = math.ceil(n / cores)
    used = math.ceil(n / b)
    out.append(GridMapping("snake_n", m, b, used, used - 1, m, 0, used - 1, 0))
    a = math.ceil(m / cores)
    used = math.ceil(m / a)
    out.append(GridMapping("snake_m", a, n, used, used - 1, 0, n, 0, used - 1))
    return tuple(out)


@dataclass(frozen=True)
class GridGemmTiming:
    """Cycles of one GEMM task on the grid, split by cause, with what the cost model needs."""

    mapping: GridMapping
    steps: int  # count * k
    arith_cycles_per_step: int
    link_cycles_per_step: int
    step_cycles: int
    fill_cycles: int
    grid_cycles: int  # fill + steps * step_cycles
    compute: int  # steps * arith_cycles_per_step
    operand_shift: int  # fill + steps where the links set the pace (reported as input_stall)
    weight_load_stall: int
    total: int
    fetch_bytes: int
    fetch_cycles: int
    link_byte_hops: float  # bytes times links crossed by the shared operands
    accumulators_in_registers: bool


def _grid_cycles(mp: GridMapping, k: int, count: int, elem_bytes: float, grid: SimdGridSpec) -> tuple[int, int, int, int]:
    arith = mp.a * mp.b * grid.mac_cycles
    link = max(link_cycles(mp.packet_a, elem_bytes, grid), link_cycles(mp.packet_b, elem_bytes, grid))
    step = max(arith, link)
    fill = mp.hops * (grid.link_latency_cycles + link) if mp.hops else 0
    return arith, link, step, fill + count * k * step


def grid_gemm_timing(gemm: GemmWork, grid: SimdGridSpec, elem_bytes: float, dram_bytes_per_cycle: float) -> GridGemmTiming:
    """Time ``gemm`` on ``grid`` (module docstring); weights stream at ``dram_bytes_per_cycle``."""
    best = None
    mappings = gemm_mappings(gemm.m, gemm.n, grid)
    # a core's output block must fit half its local memory (the rest stages operands)
    fitting = tuple(mp for mp in mappings if mp.a * mp.b * elem_bytes <= grid.local_memory_bytes / 2)
    for mp in fitting or mappings:
        cyc = _grid_cycles(mp, gemm.k, gemm.count, elem_bytes, grid)
        if best is None or cyc[3] < best[1][3]:
            best = (mp, cyc)
    mp, (arith, link, step, grid_total) = best
    steps = gemm.count * gemm.k
    fill = grid_total - steps * step
    fetch_bytes = math.ceil(gemm.k * gemm.n * gemm.fetch_bytes_per_element) * gemm.count
    fetch_cycles = math.ceil(fetch_bytes / dram_bytes_per_cycle) if fetch_bytes and dram_bytes_per_cycle > 0 else 0
    stall = max(0, fetch_cycles - grid_total)
    byte_hops = gemm.count * elem_bytes * (gemm.m * gemm.k * mp.a_hops + gemm.k * gemm.n * mp.b_hops)
    return GridGemmTiming(
        mapping=mp, steps=steps, arith_cycles_per_step=arith, link_cycles_per_step=link, step_cycles=step,
        fill_cycles=fill, grid_cycles=grid_total, compute=steps * arith, operand_shift=grid_total - steps * arith,
        weight_load_stall=stall, total=grid_total + stall, fetch_bytes=fetch_bytes, fetch_cycles=fetch_cycles,
        link_byte_hops=float(byte_hops), accumulators_in_registers=mp.a * mp.b <= grid.accumulator_registers)


@dataclass(frozen=True)
class GridVectorCost:
    """Cycles and actions of one vector program on the grid."""

    cycles: int
    ops_by_class: dict[str, int]
    link_byte_hops: float
    detail: str


def reduction_cost(rows: int, length: int, cls: str, grid: SimdGridSpec, elem_bytes: float) -> tuple[int, float]:
    """(cycles, link byte-hops) of reducing ``rows`` rows of ``length`` with ops of class ``cls``."""
    cyc = class_cycles(grid, cls)
    if length <= 1 or rows <= 0:
        return 0, 0.0
    cores = grid.cores
    if rows >= cores:
        return math.ceil(rows / cores) * (length - 1) * cyc, 0.0
    p = max(1, min(length, cores // rows))
    local = (math.ceil(length / p) - 1) * cyc
    pc = min(grid.cols, p)
    pr = math.ceil(p / pc)
    shifts = (pc - 1) + (pr - 1)
    hop = grid.link_latency_cycles + link_cycles(1, elem_bytes, grid)
    return local + shifts * (hop + cyc), float(rows * (p - 1) * elem_bytes)


def vector_program_cost(prog, grid: SimdGridSpec, elem_bytes: float) -> GridVectorCost:
    """Cost a ``lower.vector_costs.VectorProgram`` on ``grid``: its passes run one after another."""
    cycles = 0
    ops: dict[str, int] = {}
    hops = 0.0
    for step in prog.steps:
        cls = op_class(step.func)
        if step.is_reduction:
            c, h = reduction_cost(step.rows, step.length, cls, grid, elem_bytes)
            cycles += c
            hops += h
        else:
            cycles += math.ceil(step.elements / grid.cores) * class_cycles(grid, cls)
        if step.element_ops:
            ops[cls] = ops.get(cls, 0) + step.element_ops
    detail = f"{prog.function} on {grid.rows}x{grid.cols} LNS cores: " + ", ".join(
        f"{ops[c]} {c}" for c in OP_CLASSES if c in ops)
    return GridVectorCost(cycles, ops, hops, detail)


def run_grid_gemm(m, task: Task, grid: SimdGridSpec, elem_bytes: float):
    """simpy process body (``yield from``) of a GEMM task on the grid; returns its timing.

    ``m`` is the engine's machine (units, dram, log, hold). The weight stream holds the DRAM while it
    runs beside the grid, as a matrix unit's streamed weights do."""
    env = m.env
    if "grid" not in m.units:
        m.units["grid"] = simpy.Resource(env, capacity=1)
    with m.units["grid"].request() as req:
        yield req
        timing = grid_gemm_timing(task.gemm, grid, elem_bytes, m.dram_bytes_per_cycle)
        begin = env.now
        if timing.fetch_cycles:
            dram_req = m.dram.request()
            yield dram_req
            m.log("grid", task.name, "weight_load_stall", begin, env.now)
            env.process(m.hold(m.dram, "dram", dram_req, timing.fetch_cycles, task.name, "dma"))
        t0 = env.now
        m.log("grid", task.name, "compute", t0, t0 + timing.compute)
        m.log("grid", task.name, "input_stall", t0 + timing.compute, t0 + timing.grid_cycles)
        m.log("grid", task.name, "weight_load_stall", t0 + timing.grid_cycles, t0 + timing.total)
        yield env.timeout(timing.total)
    return timing
