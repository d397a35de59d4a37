"""Where each activation tensor lives, and the DRAM/secondary-memory/host transfers that follow.

Walk the tasks in program order keeping the set of live activation tensors (produced, with
consumers still to run) in the buffer that holds ``activations``. A task's output stays on chip
if it fits beside what is live; otherwise it is written to the arch's secondary memory level
(``secondary_memory``, e.g. NVDLA's on-chip SRAM) while it fits beside the spilled outputs live
there and the weights resident there (lowering.py), else to DRAM, and its consumers read it back from that level.
Graph inputs arrive over the host link; outputs nobody consumes return over it. Relabellings
(reshape, flatten, a concat built in place: unit "none") live wherever their inputs live and load
nothing; their consumers load them if they are off chip.

Tiling driven by capacity: a task whose input and output together exceed the buffer is split
into ``tiles`` chunks along its rows (M: batch x pixels), each at most half the buffer (the other
half holds the next tile: double buffering). Its activations stream through DRAM (or the secondary level), overlapped with compute, and a
matrix task fetches its weights once per chunk (the re-fetch traffic tiling implies).
"""
from __future__ import annotations

import dataclasses

from ..spec.arch import ArchSpec
from .work import Task, Transfer


def place_activations(tasks: tuple[Task, ...], arch: ArchSpec) -> tuple[Task, ...]:
    """Return ``tasks`` with loads, stores, input bytes and live bytes filled in."""
    act_mem = arch.memory_holding("activations")
    capacity = act_mem.size_bytes if act_mem else 0
    buffer_name = act_mem.name if act_mem else "unit"
    spill = arch.spill_level("activations")
    # weights the lowering made resident in the secondary level occupy it for the whole run
    sec = arch.secondary_memory
    resident = sum(t.gemm.stored_weight_bytes for t in tasks
                   if sec is not None and t.gemm is not None and t.gemm.fetch_level == sec.name)
    consumers: dict[str, int] = {t.name: 0 for t in tasks}
    for t in tasks:
        for d in t.deps:
            consumers[d] += 1
    out_bytes = {t.name: t.output_bytes for t in tasks}
    home: dict[str, str] = {}  # where each output lives: buffer_name, the secondary level's name or "dram"
    live: dict[str, int] = {}  # live outputs on chip
    spilled: dict[str, int] = {}  # live outputs in the secondary level
    pending = dict(consumers)
    placed = []

    def spill_to(nbytes: int) -> str:
        """The secondary level while it has room for ``nbytes`` beside its live outputs, else DRAM."""
        if spill is not None and resident + sum(spilled.values()) + nbytes <= spill.size_bytes:
            return spill.name
        return "dram"

    for t in tasks:
        loads = list(t.loads)
        stores: list[Transfer] = []
        notes = list(t.notes)
        input_bytes = t.input_bytes
        for dep in t.deps:
            input_bytes += out_bytes[dep]
            if home.get(dep, "dram") != buffer_name and t.unit != "none":  # a relabelling moves nothing
                loads.append(Transfer(f"input:{dep}", home.get(dep, "dram"), buffer_name, out_bytes[dep]))
        on_chip = sum(live.values())
        fits = act_mem is not None and on_chip + t.output_bytes <= capacity
        out_level = "dram"
        if t.is_graph_input:
            out_level = buffer_name if fits else spill_to(t.output_bytes)
            loads.append(Transfer("input", "host", out_level, t.output_bytes))
        elif t.unit == "none":
            fits = all(home.get(d) == buffer_name for d in t.deps) if t.deps else fits
            if not fits and t.deps and spill is not None and all(home.get(d) in (buffer_name, spill.name) for d in t.deps):
                out_level = spill.name  # a relabelling of data held in the secondary level stays there
        elif not fits:
            out_level = spill_to(t.output_bytes)
            stores.append(Transfer("output", buffer_name, out_level, t.output_bytes))
            if act_mem is not None:
                notes.append(f"output does not fit {act_mem.name} ({(on_chip + t.output_bytes) / 2**20:.1f} MiB live > "
                             f"{capacity / 2**20:.1f} MiB): spilled to {_level_name(out_level)}")
        tiles = 1
        if t.unit != "none" and not t.is_graph_input and act_mem is not None:
            working = input_bytes + t.output_bytes
            if working > capacity:
                tiles = -(-working // max(1, capacity // 2))
        gemm = t.gemm
        if tiles > 1:
            if gemm is not None:
                tiles = min(tiles, gemm.m)
                gemm = dataclasses.replace(gemm, m=-(-gemm.m // tiles), count=gemm.count * tiles)
            if tiles > 1:
                # inputs stream from where they live; on-chip ones through the secondary level if any
                stream = spill.name if spill is not None else "dram"
                offchip = ("dram", stream)
                if fits:
                    out_level = spill_to(t.output_bytes)
                notes.append(f"input + output ({working / 2**20:.1f} MiB) exceed {act_mem.name} "
                             f"({capacity / 2**20:.1f} MiB): {tiles} double-buffered tiles streamed through "
                             f"{_level_name(stream)}"
                             + (", weights fetched once per tile" if gemm is not None and gemm.fetch_bytes_per_element else ""))
                fits = False
                loads = [tr for tr in loads if tr.src not in offchip or not tr.tensor.startswith("input:")]
                loads += [Transfer(f"input:{dep}", home.get(dep, "dram") if home.get(dep, "dram") != buffer_name else stream,
                                   buffer_name, out_bytes[dep]) for dep in t.deps]
                if not any(tr.dst in offchip for tr in stores):
                    stores.append(Transfer("output", buffer_name, out_level, t.output_bytes))
        if consumers[t.name] == 0:
            stores.append(Transfer("output", buffer_name if fits else out_level, "host", t.output_bytes))
        home[t.name] = buffer_name if fits else out_level
        live_bytes = on_chip + (t.output_bytes if fits else 0)
        if consumers[t.name]:
            if fits:
                live[t.name] = t.output_bytes
            elif spill is not None and out_level == spill.name:
                spilled[t.name] = t.output_bytes
        in_secondary = spill is not None and not fits and out_level == spill.name
        secondary_live = resident + sum(spilled.values()) + (t.output_bytes if in_secondary and not consumers[t.name] else 0)
        for dep in t.deps:
            pending[dep] -= 1
            if pending[dep] == 0:
                live.pop(dep, None)
                spilled.pop(dep, None)
        placed.append(dataclasses.replace(t, loads=tuple(loads), stores=tuple(stores), input_bytes=input_bytes,
                                          live_bytes=live_bytes, notes=tuple(notes), gemm=gemm, tiles=tiles,
                                          secondary_live_bytes=secondary_live))
    return tuple(placed)


def _level_name(level: str) -> str:
    return "DRAM" if level == "dram" else level


def keep_training_state_on_device(program, workload):
    """Training graphs: updated weights (optimizer outputs) and gradients nobody consumes are written
    back to DRAM, where the weights live, instead of being returned to the host."""
    phase = {layer.name: layer.phase for layer in workload.layers}
    tasks = []
    for t in program.tasks:
        if phase.get(t.name, "forward") != "forward":
            stores = tuple(dataclasses.replace(tr, dst="dram") if tr.dst == "host" else tr for tr in t.stores)
            t = dataclasses.replace(t, stores=stores)
        tasks.append(t)
    return dataclasses.replace(program, tasks=tuple(tasks))
