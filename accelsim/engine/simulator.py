"""The event loop: simpy processes for the units, the DMA paths and the scalar issue stage.

Every task waits for its producers and for its instructions to be issued, loads what is not on
chip, runs on its unit (the matrix unit streams its weights from DRAM while it computes, holding
the DRAM for the fetch), runs fused output work on the vector unit, and stores what must leave
the chip. Shared resources (units, DRAM, the secondary memory's read path and its write path,
host link) are simpy Resources, so contention is real; a read and a write of the secondary level
overlap (tracks "<name>.read" and "<name>.write").
Everything reported is derived from the timeline of (track, task, cause, start, end) intervals.
"""
from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass

import simpy

from ..lower.work import Program, Task, Transfer
from ..precision import get_precision
from ..spec.arch import ArchSpec
from .matrix import MatrixTiming, matrix_timing
from .simd_grid import GridGemmTiming, run_grid_gemm
from .timeline import TimelineEvent


@dataclass(frozen=True)
class TaskRecord:
    """What happened to one task."""

    name: str
    ready_cycle: int
    start_cycle: int
    end_cycle: int
    matrix: MatrixTiming | None
    dram_read_bytes: int
    dram_write_bytes: int
    host_bytes: int
    grid: GridGemmTiming | None = None  # a GEMM on a simd_grid (engine/simd_grid.py)


@dataclass(frozen=True)
class EngineResult:
    total_cycles: int
    timeline: tuple[TimelineEvent, ...]
    records: tuple[TaskRecord, ...]


class _Machine:
    """The simulated chip for one run (all state lives here, nothing global)."""

    def __init__(self, env: simpy.Environment, arch: ArchSpec):
        self.env = env
        self.arch = arch
        self.units = {
            "matrix": simpy.Resource(env, capacity=1),
            "vector": simpy.Resource(env, capacity=1),
            "scalar": simpy.Resource(env, capacity=1),
        }
        self.dram = simpy.Resource(env, capacity=1)
        self.host = simpy.Resource(env, capacity=1)
        self.dram_bytes_per_cycle = arch.dram_sustained_bytes_per_cycle
        self.dram_latency = math.ceil(arch.dram.latency_ns * arch.clock_mhz / 1e3)
        link = arch.host_link
        self.host_bytes_per_cycle = (link.bandwidth_gbps * 1e9 / (arch.clock_mhz * 1e6)) if link else 0.0
        self.host_latency = math.ceil(link.latency_us * arch.clock_mhz) if link else 0
        # the secondary memory level (NVDLA's on-chip SRAM interface): separate read and write paths
        sec = arch.secondary_memory
        self.secondary = sec.name if sec is not None else None
        self.offchip = ("dram",) + ((sec.name,) if sec is not None else ())
        if sec is not None:
            cycles_per_ns = arch.clock_mhz / 1e3
            self.sec_read = simpy.Resource(env, capacity=1)
            self.sec_write = simpy.Resource(env, capacity=1)
            self.sec_read_bytes_per_cycle = sec.read_bandwidth_gbps / cycles_per_ns
            self.sec_write_bytes_per_cycle = sec.write_bandwidth_gbps / cycles_per_ns
            self.sec_latency = math.ceil(sec.latency_ns * cycles_per_ns)
        self.events: list[TimelineEvent] = []
        #: when each path last finished a transfer (weight prefetch may use the idle time after it)
        self.idle_since = {"dram": 0} | ({f"{sec.name}.read": 0} if sec is not None else {})
        #: background transfers (for traces); not cause-bearing
        self.dma_busy: list[TimelineEvent] = []

    def log(self, track: str, task: str, cause: str, start: int, end: int) -> None:
        if end > start:
            self.events.append(TimelineEvent(track, task, cause, int(start), int(end)))

    def transfer_cycles(self, tr: Transfer) -> tuple[simpy.Resource, str, int]:
        if "host" in (tr.src, tr.dst):
            if self.host_bytes_per_cycle <= 0:
                return self.host, "host_link", 0
            return self.host, "host_link", self.host_latency + math.ceil(tr.nbytes / self.host_bytes_per_cycle)
        if self.secondary is not None and tr.src == self.secondary:
            return (self.sec_read, f"{self.secondary}.read",
                    self.sec_latency + math.ceil(tr.nbytes / self.sec_read_bytes_per_cycle))
        if self.secondary is not None and tr.dst == self.secondary:
            return (self.sec_write, f"{self.secondary}.write",
                    self.sec_latency + math.ceil(tr.nbytes / self.sec_write_bytes_per_cycle))
        return self.dram, "dram", self.dram_latency + math.ceil(tr.nbytes / self.dram_bytes_per_cycle)

    def weight_path(self, level: str) -> tuple[simpy.Resource, str, float]:
        """(resource, track, bytes per cycle) of a weight stream from ``level``."""
        if self.secondary is not None and level == self.secondary:
            return self.sec_read, f"{self.secondary}.read", self.arch.fetch_bytes_per_cycle(level)
        return self.dram, "dram", self.arch.fetch_bytes_per_cycle(level)

    def hold(self, path: simpy.Resource, track: str, request, cycles: int, task: str, cause: str):
        """simpy process body: keep ``path`` (already granted to ``request``) busy with a weight
        stream for ``cycles``, logged on ``track`` as ``cause``, then free it."""
        begin = self.env.now
        yield self.env.timeout(cycles)
        self.log(track, task, cause, begin, self.env.now)
        self.idle_since[track] = max(self.idle_since[track], self.env.now)
        path.release(request)

    def move(self, task: Task, tr: Transfer, waiting_cause: str, background: bool = False):
        """Move ``tr`` over its path. A foreground move stalls its task (logged with
        ``waiting_cause``); a background one (streaming beside compute) is logged on the path's
        track as ``dma`` activity, which attribution ranks below every stall."""
        resource, track, cycles = self.transfer_cycles(tr)
        cause = "host_transfer" if track == "host_link" else waiting_cause
        start = self.env.now
        with resource.request() as req:
            yield req
            if not background:
                self.log(track, task.name, cause, start, self.env.now)
            begin = self.env.now
            yield self.env.timeout(cycles)
            if track in self.idle_since:
                self.idle_since[track] = max(self.idle_since[track], self.env.now)
            if not background:
                self.log(track, task.name, cause, begin, self.env.now)
            else:
                self.dma_busy.append(TimelineEvent(track, task.name, "dma", int(begin), int(self.env.now)))


def simulate_program(program: Program, arch: ArchSpec) -> EngineResult:
    """Run ``program`` on ``arch`` and return its timeline and per-task records."""
    env = simpy.Environment()
    m = _Machine(env, arch)
    done = {t.name: env.event() for t in program.tasks}
    issued = {t.name: env.event() for t in program.tasks}
    issued_at: dict[str, int] = {}
    records: dict[str, TaskRecord] = {}
    su = arch.scalar_unit
    elem_bytes = get_precision(program.precision).bytes

    def issue_stage():
        # the scalar unit issues each task's instructions in program order, running ahead of execution
        for task in program.tasks:
            if su is not None and task.scalar_instructions > 0:
                cycles = math.ceil(task.scalar_instructions * su.cpi)
                if su.clock_mhz and su.clock_mhz != arch.clock_mhz:
                    cycles = math.ceil(cycles * arch.clock_mhz / su.clock_mhz)
                with m.units["scalar"].request() as req:
                    yield req
                    start = env.now
                    yield env.timeout(cycles)
                    m.log("scalar", task.name, "scalar", start, env.now)
            issued_at[task.name] = env.now
            issued[task.name].succeed()

    def run_task(task: Task):
        yield env.all_of([done[d] for d in task.deps] + [issued[task.name]])
        ready = env.now
        tiles = max(1, task.tiles)
        # with tiling, only the first tile's inputs load up front; the rest stream beside compute
        for tr in task.loads:
            first = tr if tiles == 1 or tr.src not in m.offchip else dataclasses.replace(tr, nbytes=-(-tr.nbytes // tiles))
            yield from m.move(task, first, "input_stall")
        streaming = None
        if tiles > 1:
            rest = [dataclasses.replace(tr, nbytes=tr.nbytes - (-(-tr.nbytes // tiles))) for tr in task.loads if tr.src in m.offchip]
            rest += [dataclasses.replace(tr, nbytes=tr.nbytes - (-(-tr.nbytes // tiles))) for tr in task.stores if tr.dst in m.offchip]
            streaming = _stream(m, task, rest)
        start = env.now
        timing = None
        if task.unit == "matrix":
            mu = arch.matrix_unit
            with m.units["matrix"].request() as req:
                yield req
                begin = env.now
                # the weight stream's path: DRAM, or the secondary level's read path when the weights
                # are resident there
                path, track, bytes_per_cycle = m.weight_path(task.gemm.fetch_level)
                # Read_Weights is decoupled: the first FIFO-full of tiles may have been fetched while
                # the path sat idle after this task was issued
                lead = (max(0, begin - max(issued_at[task.name], m.idle_since[track]))
                        if path.count == 0 else 0)
                timing = matrix_timing(task.gemm, mu, bytes_per_cycle, lead)
                if timing.fetch_cycles:
                    path_req = path.request()
                    yield path_req
                    m.log("matrix", task.name, "weight_load_stall", begin, env.now)
                    hold = max(0, timing.fetch_cycles - (lead if env.now == begin else 0))
                    env.process(m.hold(path, track, path_req, hold, task.name, "weight_load_stall"))
                t0 = env.now
                # causes inside the layer, as consecutive blocks of the counted lengths
                m.log("matrix", task.name, "weight_load_stall", t0, t0 + timing.weight_load_stall)
                t1 = t0 + timing.weight_load_stall
                m.log("matrix", task.name, "weight_shift", t1, t1 + timing.weight_shift)
                t2 = t1 + timing.weight_shift
                m.log("matrix", task.name, "compute", t2, t2 + timing.compute)
                yield env.timeout(timing.total)
            if task.output_pipeline_cycles:
                # the output pipeline ran beside the matrix unit; what it has left is exposed
                exposed = max(task.output_tail_cycles, task.output_pipeline_cycles - timing.total)
                with m.units["vector"].request() as req:
                    yield req
                    m.log("vector", task.name, "vector", begin, begin + timing.total)
                    tail_start = env.now
                    yield env.timeout(exposed)
                    m.log("vector", task.name, "vector", tail_start, env.now)
        grid = None
        if task.unit == "grid":
            grid = yield from run_grid_gemm(m, task, arch.simd_grid, elem_bytes)
        if task.vector_cycles:
            # a named vector-like unit (NVDLA PDP, CDP) is its own resource, working beside the others
            unit_name = task.subunit or "vector"
            if unit_name not in m.units:
                m.units[unit_name] = simpy.Resource(env, capacity=1)
            with m.units[unit_name].request() as req:
                yield req
                begin = env.now
                yield env.timeout(task.vector_cycles)
                m.log(unit_name, task.name, "vector", begin, env.now)
        if streaming is not None:
            waited = env.now
            yield streaming  # double buffering hides the stream only while it is shorter than compute
            m.log("dma", task.name, "input_stall", waited, env.now)
        for tr in task.stores:
            last = tr if tiles == 1 or tr.dst not in m.offchip else dataclasses.replace(tr, nbytes=-(-tr.nbytes // tiles))
            yield from m.move(task, last, "output_stall")
        weights_from_dram = timing.fetch_bytes if timing and task.gemm.fetch_level == "dram" else 0
        dram_read = (sum(tr.nbytes for tr in task.loads if tr.src == "dram") + weights_from_dram
                     + (grid.fetch_bytes if grid else 0))
        dram_write = sum(tr.nbytes for tr in task.stores if tr.dst == "dram")
        host = sum(tr.nbytes for tr in task.loads + task.stores if "host" in (tr.src, tr.dst))
        records[task.name] = TaskRecord(task.name, ready, start, env.now, timing, dram_read, dram_write, host, grid)
        done[task.name].succeed()

    env.process(issue_stage())
    for task in program.tasks:
        env.process(run_task(task))
    env.run()
    total = max((r.end_cycle for r in records.values()), default=0)
    ordered = tuple(records[t.name] for t in program.tasks)
    timeline = tuple(sorted(m.events + m.dma_busy, key=lambda e: (e.start_cycle, e.track, e.layer, e.cause)))
    return EngineResult(int(total), timeline, ordered)


def _stream(m: _Machine, task: Task, transfers: list[Transfer]) -> simpy.Event:
    """Move a tiled task's remaining activation tiles while it computes: one process per path
    (DRAM, the secondary level's read path, its write path), so separate paths overlap."""
    by_path: dict[int, list[Transfer]] = {}
    for tr in transfers:
        if tr.nbytes > 0:
            by_path.setdefault(id(m.transfer_cycles(tr)[0]), []).append(tr)
    return m.env.all_of([m.env.process(_stream_path(m, task, group)) for group in by_path.values()])


def _stream_path(m: _Machine, task: Task, transfers: list[Transfer]):
    for tr in transfers:
        yield from m.move(task, tr, "input_stall", background=True)
