"""Secondary memory level (NVDLA's on-chip SRAM interface): spills, hand-computed transfer times,
separate read and write paths, traffic and energy, located spec errors (issue 7)."""
from __future__ import annotations

from types import SimpleNamespace

import pytest
import simpy
from toy_graphs import fc, layer

from accelsim.api import simulate
from accelsim.engine.simulator import _Machine
from accelsim.errors import SpecError
from accelsim.lower.work import Transfer
from accelsim.spec.loader import load_arch
from accelsim.workload.graph import WorkloadBuilder

# 64x64 int8 array at 1 GHz (GB/s = bytes per cycle, ns = cycles); a slow 4 B/cycle DRAM without
# latency; a 64 KiB activation buffer; no host link (host transfers take no time).
BASE = """\
version: 1
name: toy2
technology: {process_nm: 28}
matrix_unit: {rows: 64, cols: 64, clock_mhz: 1000, double_buffered: true, weight_fifo_depth: 1}
dram: {kind: ddr4, bandwidth_gbps: 4, latency_ns: 0, holds: [weights, activations]}
memories:
  - {name: ub, size_kib: 64, holds: [activations]}
  - {name: wbuf, size_kib: 16, holds: [weights]}
"""
SECONDARY = """\
secondary_memory:
  name: sram
  size_kib: {size}
  read_bandwidth_gbps: 32
  write_bandwidth_gbps: 16
  latency_ns: 100
"""


def toy(tmp_path, secondary=True, size=1024, extra=""):
    path = tmp_path / "toy2.yaml"
    path.write_text(BASE + (SECONDARY.format(size=size) if secondary else "") + extra)
    return load_arch(str(path))


# fc(1024, 128, 64): input 128 KiB, output 64 KiB; 192 KiB > the 64 KiB buffer: ceil(192 / 32) = 6
# tiles. The graph input (128 KiB) does not fit the buffer either, so it arrives in the secondary
# level (or DRAM without one); the first input tile loads before the array starts, the last output
# tile stores after it stops, the rest stream beside the (weight-bound) compute.
FIRST_IN = -(-1024 * 128 // 6)  # 21,846 B
LAST_OUT = -(-1024 * 64 // 6)  # 10,923 B


def _move(result, track, cause, which=-1):
    """Cycles of a ``cause`` transfer logged on ``track`` (the last by default: the move itself,
    after any queueing; the first when it did not queue)."""
    event = [e for e in result.timeline if e.track == track and e.cause == cause][which]
    return event.end_cycle - event.start_cycle


def test_spill_to_secondary_level_costs_bytes_over_its_bandwidth_plus_latency(tmp_path):
    r = simulate(toy(tmp_path), fc(1024, 128, 64))
    assert layer(r).extra["tiles"] == 6
    # 100 + 683 cycles over the 32 B/cycle read path: all of it exposed before the array starts
    assert layer(r).cycles_by_cause["input_stall"] == 100 + -(-FIRST_IN // 32)
    assert _move(r, "sram.read", "input_stall") == 100 + -(-FIRST_IN // 32)
    # 100 + 683 cycles over the 16 B/cycle write path (attributed to the weight stream it overlaps)
    assert _move(r, "sram.write", "output_stall") == 100 + -(-LAST_OUT // 16)


def test_same_spill_through_dram_without_the_secondary_level(tmp_path):
    r = simulate(toy(tmp_path, secondary=False), fc(1024, 128, 64))
    assert _move(r, "dram", "input_stall", 0) == -(-FIRST_IN // 4)
    # the other tiles share the one DRAM port with the weight stream: more input stall than above
    assert layer(r).cycles_by_cause["input_stall"] > -(-FIRST_IN // 4)
    assert _move(r, "dram", "output_stall") == -(-LAST_OUT // 4)
    assert not any(e.track.startswith("sram") for e in r.timeline)
    fast = simulate(toy(tmp_path), fc(1024, 128, 64))
    assert layer(fast).cycles < layer(r).cycles


def test_traffic_goes_to_the_secondary_level_and_energy_prices_it(tmp_path):
    arch = toy(tmp_path)
    r = simulate(arch, fc(1024, 128, 64))
    by = {(t.tensor, t.level): t for t in layer(r).traffic}
    assert by[("input", "sram")].read_bytes == 1024 * 128
    assert by[("output", "sram")].write_bytes == 1024 * 64
    assert ("input", "dram") not in by and ("output", "dram") not in by
    assert layer(r).dram_bytes == 6 * 128 * 64  # only the weights, once per tile
    # while fc runs, its input and its output (on the way to the host) are both in the secondary level
    assert r.extra["arch_summary"]["peak_secondary_memory_bytes"] == 1024 * 128 + 1024 * 64
    components = r.totals.energy_j_by_component
    assert components["sram:sram"] > 0
    assert r.totals.energy_j == sum(components.values())
    plain = simulate(toy(tmp_path, secondary=False), fc(1024, 128, 64))
    assert "sram:sram" not in plain.totals.energy_j_by_component
    assert "peak_secondary_memory_bytes" not in plain.extra["arch_summary"]
    assert plain.totals.dram_bytes - r.totals.dram_bytes == 1024 * 128 + 1024 * 64


def test_full_secondary_level_falls_back_to_dram(tmp_path):
    # a 64 KiB secondary level cannot hold the 128 KiB input: it goes to DRAM; the 64 KiB output fits
    r = simulate(toy(tmp_path, size=64), fc(1024, 128, 64))
    by = {(t.tensor, t.level): t for t in layer(r).traffic}
    assert by[("input", "dram")].read_bytes == 1024 * 128
    assert by[("output", "sram")].write_bytes == 1024 * 64
    assert _move(r, "dram", "input_stall", 0) == -(-FIRST_IN // 4)


def test_read_and_write_paths_overlap_while_dram_serialises(tmp_path):
    arch = toy(tmp_path)
    task = SimpleNamespace(name="t")

    def run(transfers):
        env = simpy.Environment()
        m = _Machine(env, arch)
        for tr in transfers:
            env.process(m.move(task, tr, "input_stall"))
        env.run()
        return env.now, {e.track for e in m.events}

    read = Transfer("input:a", "sram", "ub", 3200)  # 100 + 3200 / 32 = 200 cycles
    write = Transfer("output", "ub", "sram", 1600)  # 100 + 1600 / 16 = 200 cycles
    assert run([read]) == (200, {"sram.read"})
    assert run([write]) == (200, {"sram.write"})
    assert run([read, write])[0] == 200  # full duplex: side by side
    assert run([read, read])[0] == 400  # one read path: back to back
    dram_in = Transfer("input:a", "dram", "ub", 800)  # 800 / 4 = 200 cycles
    dram_out = Transfer("output", "ub", "dram", 800)
    assert run([dram_in, dram_out])[0] == 400  # one DRAM port


def test_tpu_v1_has_no_secondary_level():
    assert load_arch("tpu_v1").secondary_memory is None
    nvdla = load_arch("nvdla_full").secondary_memory
    assert (nvdla.read_bandwidth_gbps, nvdla.write_bandwidth_gbps, nvdla.latency_ns) == (25, 25, 128)


@pytest.mark.parametrize("extra,field,fragment,line", [
    ("secondary_memory: {name: ub, size_kib: 64, read_bandwidth_gbps: 1, write_bandwidth_gbps: 1}\n",
     "secondary_memory.name", "is taken", 9),
    ("secondary_memory: {name: dram, size_kib: 64, read_bandwidth_gbps: 1, write_bandwidth_gbps: 1}\n",
     "secondary_memory.name", "is taken", 9),
    ("secondary_memory:\n  size_kib: 64\n  read_bandwidth_gbps: 1\n  write_bandwidth_gbps: 1\n  holds: [partial_sums]\n",
     "secondary_memory.holds[0]", "expected one of weights, activations", 13),
    ("secondary_memory:\n  size_kib: 64\n  read_bandwidth_gbps: 0\n  write_bandwidth_gbps: 1\n",
     "secondary_memory.read_bandwidth_gbps", "expected a value >=", 11),
    ("secondary_memory:\n  size_kib: 64\n  read_bandwidth_gbps: 1\n",
     "secondary_memory.write_bandwidth_gbps", "missing required field", 10),
    ("secondary_memory:\n  size_kib: 64\n  read_bandwidth_gbps: 1\n  write_bandwidth_gbps: 1\n  bandwidth_gbps: 3\n",
     "secondary_memory.bandwidth_gbps", "unknown key", 13),
])
def test_bad_secondary_memory_is_located(tmp_path, extra, field, fragment, line):
    with pytest.raises(SpecError) as info:
        toy(tmp_path, secondary=False, extra=extra)
    err = info.value
    assert err.field == field and fragment in err.message
    assert err.location is not None and err.location.line == line


# Weights resident in the secondary level (secondary_memory.holds lists weights): preloaded in
# program order while they fit, then streamed over its 32 B/cycle read path instead of the 4 B/cycle
# DRAM. fc(16, 64, 64): one 64x64 weight tile of 4096 B, all of whose fetch is exposed.
def resident_toy(tmp_path, size=1024, holds="[weights, activations]", dram_holds="[weights, activations]"):
    path = tmp_path / "toy2.yaml"
    path.write_text(BASE.replace("holds: [weights, activations]}", f"holds: {dram_holds}}}")
                    + SECONDARY.format(size=size) + f"  holds: {holds}\n")
    return load_arch(str(path))


def test_resident_weights_stream_over_the_secondary_read_path(tmp_path):
    from_dram = layer(simulate(toy(tmp_path), fc(16, 64, 64)))
    r = simulate(resident_toy(tmp_path), fc(16, 64, 64))
    resident = layer(r)
    assert from_dram.cycles_by_cause["weight_load_stall"] == 4096 // 4
    assert resident.cycles_by_cause["weight_load_stall"] == 4096 // 32
    assert from_dram.cycles - resident.cycles == 4096 // 4 - 4096 // 32
    by = {(t.tensor, t.level): t for t in resident.traffic}
    assert by[("weights", "sram")].read_bytes == 4096 and ("weights", "dram") not in by
    assert resident.dram_bytes == 0 and from_dram.dram_bytes == 4096
    assert any(e.track == "sram.read" and e.cause == "weight_load_stall" for e in r.timeline)
    assert not any(e.track == "dram" for e in r.timeline)
    assert r.extra["arch_summary"]["peak_secondary_memory_bytes"] == 4096
    assert any("weights resident in sram (4 KiB" in note for note in resident.extra["notes"])


def two_fc():
    b = WorkloadBuilder("two_fc", 16)
    x = b.input("x", (16, 128))
    h = b.fc("fc1", x, 256, bias=False)  # 32 KiB of weights
    b.fc("fc2", h, 256, bias=False)  # 64 KiB of weights
    return b.build()


def test_resident_weights_with_equal_gain_per_byte_go_in_program_order(tmp_path):
    # both layers are weight-bound, so each saves (1/4 - 1/32) cycles per byte from the faster path:
    # fc1 (32 KiB) comes first; the 32 KiB left cannot take fc2's 64 KiB
    r = simulate(resident_toy(tmp_path, size=64), two_fc())
    first = {(t.tensor, t.level) for t in layer(r, "fc1").traffic}
    second = {(t.tensor, t.level) for t in layer(r, "fc2").traffic}
    assert ("weights", "sram") in first and ("weights", "dram") not in first
    assert ("weights", "dram") in second and ("weights", "sram") not in second
    assert layer(r, "fc2").dram_bytes == 256 * 256


def test_a_layer_reading_activations_from_the_level_keeps_its_weights_in_dram(tmp_path):
    # fc(1024, 128, 64)'s 128 KiB input does not fit the 64 KiB buffer: it streams from the secondary
    # level's read path, where a weight stream would queue behind it; its weights stay in DRAM
    r = simulate(resident_toy(tmp_path), fc(1024, 128, 64))
    by = {(t.tensor, t.level): t for t in layer(r).traffic}
    assert by[("input", "sram")].read_bytes == 1024 * 128
    assert ("weights", "sram") not in by and by[("weights", "dram")].read_bytes == layer(r).extra["tiles"] * 128 * 64


def test_spilled_activations_keep_their_peak_room_and_weights_take_the_rest(tmp_path):
    # fc1's output (16 x 256 = 4 KiB) fits the 64 KiB buffer: nothing spills (peak 0), so a 40 KiB
    # level takes fc1's 32 KiB of weights and then fc2's 4 KiB
    b = WorkloadBuilder("wide", 16)
    x = b.input("x", (16, 128))
    h = b.fc("fc1", x, 256, bias=False)
    b.fc("fc2", h, 16, bias=False)
    r = simulate(resident_toy(tmp_path, size=40), b.build())
    assert ("weights", "sram") in {(t.tensor, t.level) for t in layer(r, "fc1").traffic}
    assert ("weights", "sram") in {(t.tensor, t.level) for t in layer(r, "fc2").traffic}
    assert r.extra["arch_summary"]["peak_secondary_memory_bytes"] == 128 * 256 + 256 * 16


def test_weights_get_only_the_room_the_spilled_activations_leave(tmp_path):
    # fc1's 96 KiB output spills and, while fc2 runs, sits in the level beside fc2's 4 KiB output on its
    # way to the host: a 100 KiB peak (measured with activations alone). A 100 KiB level holding
    # weights too keeps that room for them, so fc0's 256 B of weights stay in DRAM
    b = WorkloadBuilder("spill", 512)
    x = b.input("x", (512, 16))
    h = b.fc("fc1", b.fc("fc0", x, 16, bias=False), 192, bias=False)
    b.fc("fc2", h, 8, bias=False)
    workload = b.build()
    alone = simulate(toy(tmp_path), workload)
    assert alone.extra["arch_summary"]["peak_secondary_memory_bytes"] == 100 * 1024
    r = simulate(resident_toy(tmp_path, size=100), workload)
    assert ("weights", "dram") in {(t.tensor, t.level) for t in layer(r, "fc0").traffic}
    assert ("output", "sram") in {(t.tensor, t.level) for t in layer(r, "fc2").traffic}
    # one more KiB of level: fc0's weights fit beside the activations' peak
    r = simulate(resident_toy(tmp_path, size=101), workload)
    assert ("weights", "sram") in {(t.tensor, t.level) for t in layer(r, "fc0").traffic}
    assert ("output", "sram") in {(t.tensor, t.level) for t in layer(r, "fc2").traffic}


def test_resident_weights_on_resnet50_go_to_the_layers_that_save_most_per_byte():
    base = simulate("nvdla_full", "resnet50_v1", batch=1, overrides=["secondary_memory.size_kib=4096"])
    r = simulate("nvdla_full", "resnet50_v1", batch=1,
                 overrides=["secondary_memory.size_kib=4096", "secondary_memory.holds=[weights, activations]"])
    resident = {layer.name: t.read_bytes for layer in r.layers for t in layer.traffic
                if t.tensor == "weights" and t.level == "sram"}
    # a late, weight-bound 1 MiB layer ranks ahead of early layers that come first in program order
    assert resident["layer4.0_conv3"] == 512 * 2048
    assert "layer1.1_conv1" not in resident
    # activations are placed as before, so DRAM carries exactly the resident weights less
    assert base.totals.dram_bytes - r.totals.dram_bytes == sum(resident.values())
    assert r.totals.cycles < base.totals.cycles


def test_resident_weights_need_dram_to_preload_from(tmp_path):
    with pytest.raises(SpecError) as info:
        resident_toy(tmp_path, dram_holds="[activations]")
    assert info.value.field == "secondary_memory.holds" and "dram.holds" in info.value.message


def _two_branches(m=512, k=16, n=120):
    """x (8 KiB) feeds fc a and fc b (60 KiB outputs each); c consumes a, d consumes b, so a is
    still live when b is placed."""
    b = WorkloadBuilder("two", m)
    x = b.input("x", (m, k))
    a = b.fc("a", x, n, bias=False)
    other = b.fc("b", x, n, bias=False)
    b.fc("c", a, 8, bias=False)
    b.fc("d", other, 8, bias=False)
    return b.build()


@pytest.mark.parametrize("size,b_level", [(64, "dram"), (128, "sram")])
def test_spilled_outputs_share_the_secondary_capacity(tmp_path, size, b_level):
    # neither 60 KiB output fits the 64 KiB UB beside x: both spill. A 64 KiB secondary level takes
    # a (60 KiB) but not b beside it (120 KiB): b goes to DRAM; a 128 KiB level takes both.
    r = simulate(toy(tmp_path, size=size), _two_branches())
    out = {name: {t.level for t in layer(r, name).traffic if t.tensor == "output" and t.write_bytes}
           for name in ("a", "b")}
    assert out["a"] == {"ub", "sram"}
    assert out["b"] == {"ub", b_level}
    d_input = {t.level for t in layer(r, "d").traffic if t.tensor == "input" and t.level != "ub"}
    assert d_input == {b_level}


def test_a_consumed_spill_frees_its_secondary_capacity(tmp_path):
    # x (8 KiB) -> a (60 KiB, spilled to the 64 KiB secondary level) -> c (4 KiB) -> e (62 KiB)
    # -> f. When e is placed, a's only consumer has run: its 60 KiB are free again, so e (which
    # does not fit the UB beside c: 66 KiB) spills to the secondary level too, not to DRAM.
    b = WorkloadBuilder("chain", 512)
    x = b.input("x", (512, 16))
    a = b.fc("a", x, 120, bias=False)
    c = b.fc("c", a, 8, bias=False)
    e = b.fc("e", c, 124, bias=False)
    b.fc("f", e, 8, bias=False)
    r = simulate(toy(tmp_path, size=64), b.build())
    for name in ("a", "e"):
        assert {t.level for t in layer(r, name).traffic if t.tensor == "output" and t.write_bytes} == {"ub", "sram"}
    assert ("input", "sram") in {(t.tensor, t.level) for t in layer(r, "f").traffic}
