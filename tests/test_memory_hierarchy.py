"""Memory hierarchy: hand-computable stalls, traffic, tiling and double buffering (issue 4)."""
from __future__ import annotations

import pytest
from toy_graphs import fc, layer

from accelsim.api import simulate
from accelsim.errors import SpecError
from accelsim.spec.loader import load_arch

# A 64x64 int8 array at 1 GHz: bandwidth_gbps equals bytes per cycle. No vector, scalar or host
# costs, so a layer's cycles are the matrix pipeline's alone.
ARCH = """\
version: 1
name: toy
technology: {{process_nm: 28}}
matrix_unit: {{rows: 64, cols: 64, clock_mhz: 1000, double_buffered: true, weight_fifo_depth: 1}}
dram: {{kind: ddr4, bandwidth_gbps: {bw}, latency_ns: 0, holds: [weights, activations]}}
memories:
  - {{name: ub, size_kib: {ub_kib}, holds: [activations]}}
  - {{name: wbuf, size_kib: 16, holds: [weights]}}
"""


def toy(tmp_path, bw=64, ub_kib=1024):
    path = tmp_path / "toy.yaml"
    path.write_text(ARCH.format(bw=bw, ub_kib=ub_kib))
    return load_arch(str(path))


def test_weight_stream_stalls_exactly_as_bandwidth_predicts(tmp_path):
    # 4 weight tiles of 64x64 int8 = 4096 B; at 16 B/cycle each takes 256 cycles to fetch; each
    # streams 32 rows; shifting a tile takes 64 cycles; drain skew 64 + 64 - 2 = 126.
    # Fetches run back to back (the FIFO slot frees when a tile starts shifting): the layer takes
    # 4 x 256 (fetch) + 64 (last shift) + 32 (last stream) + 126 (drain) cycles.
    r = simulate(toy(tmp_path, bw=16), fc(32, 64, 256))
    c = layer(r).cycles_by_cause
    assert layer(r).cycles == 4 * 256 + 64 + 32 + 126
    assert c["compute"] == 4 * 32 + 126
    assert c["weight_shift"] == 4 * 64
    assert c["weight_load_stall"] == 256 + 3 * (256 - 64 - 32)
    assert layer(r).bound == "memory"


def test_fast_memory_leaves_only_shifts_exposed(tmp_path):
    # at 64 B/cycle a tile arrives in 64 cycles, while the previous one shifts: no weight stall
    # after the first fetch; each fold waits max(shift, stream) = 64 cycles.
    r = simulate(toy(tmp_path, bw=64), fc(32, 64, 256))
    c = layer(r).cycles_by_cause
    assert c["weight_load_stall"] == 64
    assert c["weight_shift"] == 64 + 3 * (64 - 32)
    assert c["compute"] == 4 * 32 + 126


def test_layer_that_fits_moves_each_operand_once(tmp_path):
    r = simulate(toy(tmp_path), fc(32, 64, 256))
    by = {(t.tensor, t.level): t for t in layer(r).traffic}
    assert by[("weights", "dram")].read_bytes == 64 * 256  # every weight once
    assert ("input", "dram") not in by and ("output", "dram") not in by  # activations stay in the UB
    assert by[("output", "host")].write_bytes == 32 * 256
    assert layer(r).dram_bytes == 64 * 256
    assert r.totals.dram_bytes == 64 * 256


def test_layer_that_does_not_fit_moves_the_predicted_extra_bytes(tmp_path):
    # input 1024x128 B = 128 KiB, output 1024x64 B = 64 KiB: 192 KiB > a 64 KiB UB. Tiles of at
    # most half the UB (32 KiB): ceil(192 / 32) = 6 tiles. Activations cross DRAM once each way;
    # weights (128 x 64 B = 8 KiB) are fetched once per tile.
    r = simulate(toy(tmp_path, ub_kib=64), fc(1024, 128, 64))
    fc_layer = layer(r)
    assert fc_layer.extra["tiles"] == 6
    by = {(t.tensor, t.level): t for t in fc_layer.traffic}
    assert by[("weights", "dram")].read_bytes == 6 * 128 * 64
    assert by[("input", "dram")].read_bytes == 1024 * 128
    assert by[("output", "dram")].write_bytes == 1024 * 64
    fits = layer(simulate(toy(tmp_path, ub_kib=1024), fc(1024, 128, 64)))
    assert fits.extra["tiles"] == 1
    assert fc_layer.dram_bytes - fits.dram_bytes == 5 * 128 * 64 + 1024 * 128 + 1024 * 64


@pytest.mark.parametrize("bw,hidden", [(64, True), (1, False)])
def test_double_buffering_hides_streaming_only_when_shorter_than_compute(tmp_path, bw, hidden):
    r = simulate(toy(tmp_path, bw=bw, ub_kib=64), fc(1024, 128, 64))
    c = layer(r).cycles_by_cause
    tiles = layer(r).extra["tiles"]
    first_in = -(-1024 * 128 // tiles)
    last_out = -(-1024 * 64 // tiles)
    first_tile_cycles = -(-first_in // bw)
    last_tile_cycles = -(-last_out // bw)
    if hidden:  # the other tiles stream while the array computes: only the first load and last store show
        assert c["input_stall"] == first_tile_cycles
        assert c["output_stall"] == last_tile_cycles
    else:  # streaming takes longer than compute: the difference is exposed as input stall
        assert c["input_stall"] > first_tile_cycles + c["compute"]


def test_dram_bandwidth_changes_memory_bound_layers_only():
    slow = simulate("tpu_v1", "resnet50", batch=8)
    fast = simulate("tpu_v1", "resnet50", batch=8, overrides=["dram.bandwidth_gbps=68"])
    ridge_fast = fast.extra["arch_summary"]["ridge_macs_per_dram_byte"]
    changed_memory_bound = 0
    for a, b in zip(slow.layers, fast.layers):
        if a.unit != "matrix":
            continue
        if a.operational_intensity > 2 * ridge_fast:  # comfortably compute-bound at both bandwidths
            assert b.cycles == a.cycles, a.name
        if a.bound == "memory" and b.bound == "memory":
            assert b.cycles < a.cycles, a.name
            changed_memory_bound += 1
    assert changed_memory_bound > 5


def test_bad_memory_configs_name_the_field():
    with pytest.raises(SpecError) as info:
        load_arch("tpu_v1", ["memories.weight_fifo.size_kib=32"])
    assert info.value.field == "memories[2].size_kib" and "smaller than one 256x256 weight tile" in info.value.message
    with pytest.raises(SpecError) as info:
        load_arch("tpu_v1", ["dram.holds=[weights]", "memories.unified_buffer.holds=[inputs]"])
    assert "no memory holds activations" in info.value.message
    with pytest.raises(SpecError) as info:
        load_arch("tpu_v1", ["dram.bandwidth_gbps=0"])
    assert info.value.field == "dram.bandwidth_gbps"


def test_peak_buffer_occupancy_is_reported():
    r = simulate("tpu_v1", "tpu_mlp0")
    # two 200 x 2000 int8 activations are live at once (a layer's input and output)
    assert r.extra["arch_summary"]["peak_activation_buffer_bytes"] == 2 * 200 * 2000


def test_sustained_fraction_slows_streams_but_not_the_roofline(tmp_path):
    # bandwidth 32 B/cycle at a sustained fraction of 0.5 streams like the 16 B/cycle case above
    # (4 x 256 fetch + 64 + 32 + 126), while the roofline keeps the 32 B/cycle peak.
    path = tmp_path / "half.yaml"
    path.write_text(ARCH.format(bw=32, ub_kib=1024).replace("latency_ns: 0,", "latency_ns: 0, sustained_fraction: 0.5,"))
    arch = load_arch(str(path))
    assert arch.dram_bytes_per_cycle == 32 and arch.dram_sustained_bytes_per_cycle == 16
    r = simulate(arch, fc(32, 64, 256))
    assert layer(r).cycles == 4 * 256 + 64 + 32 + 126
    full = simulate(toy(tmp_path, bw=32), fc(32, 64, 256))
    assert layer(full).cycles < layer(r).cycles
    assert r.extra["arch_summary"]["dram_bandwidth_gbps"] == 32


@pytest.mark.parametrize("value", ["0", "1.5", "fast"])
def test_bad_sustained_fraction_names_the_field(value):
    with pytest.raises(SpecError) as info:
        load_arch("tpu_v1", [f"dram.sustained_fraction={value}"])
    assert info.value.field == "dram.sustained_fraction"


def _events(result, track, cause, name="fc"):
    return [(e.start_cycle, e.end_cycle) for e in result.timeline
            if e.track == track and e.cause == cause and e.layer == name]


def test_dram_latency_is_paid_by_every_foreground_transfer(tmp_path):
    # fc(1024, 128, 64) in a 64 KiB UB: 6 tiles (as above). At 1 GHz, 100 ns of DRAM latency is
    # 100 cycles: the first input tile (ceil(131072 / 6) = 21,846 B at 64 B/cycle = 342 cycles)
    # and the last output tile (10,923 B: 171 cycles) each pay it once.
    path = tmp_path / "slow.yaml"
    path.write_text(ARCH.format(bw=64, ub_kib=64).replace("latency_ns: 0,", "latency_ns: 100,"))
    r = simulate(load_arch(str(path)), fc(1024, 128, 64))
    c = layer(r).cycles_by_cause
    assert (c["input_stall"], c["output_stall"]) == (100 + 342, 100 + 171)
    assert _events(r, "dram", "input_stall")[0] == (0, 442)


@pytest.mark.parametrize("bw,first_in,last_out", [(5, 4370, 2185), (2, 10923, 5462)])
def test_first_and_last_tiles_round_their_bytes_up(tmp_path, bw, first_in, last_out):
    # fc(1024, 128, 64) in 6 tiles: the first input tile is ceil(131072 / 6) = 21,846 B, the last
    # output tile ceil(65536 / 6) = 10,923 B. At 5 B/cycle: 4,370 and 2,185 cycles (21,845 B would
    # take 4,369); at 2 B/cycle: 10,923 and 5,462 (10,922 B would take 5,461).
    r = simulate(toy(tmp_path, bw=bw, ub_kib=64), fc(1024, 128, 64))
    assert _events(r, "dram", "input_stall")[0] == (0, first_in)
    assert layer(r).cycles_by_cause["output_stall"] == last_out


def test_host_link_transfers_pay_latency_plus_bytes_over_bandwidth(tmp_path):
    # 1 GB/s at 1 GHz is 1 B/cycle and 2 us of latency 2000 cycles: the 32 x 64 int8 input
    # arrives in 2000 + 2048 cycles, the 32 x 256 output leaves in 2000 + 8192
    path = tmp_path / "host.yaml"
    path.write_text(ARCH.format(bw=64, ub_kib=1024) + "host_link: {bandwidth_gbps: 1, latency_us: 2}\n")
    r = simulate(load_arch(str(path)), fc(32, 64, 256))
    assert layer(r, "x").cycles_by_cause["host_transfer"] == 2000 + 2048
    assert layer(r).cycles_by_cause["host_transfer"] == 2000 + 8192


@pytest.mark.parametrize("scalar,cycles", [
    ("{cpi: 1.5, instructions_per_layer: 3}", 5),  # 3 x 1.5 = 4.5 cycles, rounded up
    ("{cpi: 1, clock_mhz: 250, instructions_per_layer: 3}", 12),  # 3 cycles at 250 MHz = 12 at 1 GHz
])
def test_scalar_issue_cycles(tmp_path, scalar, cycles):
    path = tmp_path / "scalar.yaml"
    path.write_text(ARCH.format(bw=64, ub_kib=1024) + f"scalar_unit: {scalar}\n")
    with_scalar = simulate(load_arch(str(path)), fc(32, 64, 256))
    assert _events(with_scalar, "scalar", "scalar") == [(0, cycles)]
    # the layer cannot start before it is issued: the run is exactly that much longer
    assert with_scalar.totals.cycles == simulate(toy(tmp_path), fc(32, 64, 256)).totals.cycles + cycles


def test_an_output_that_exactly_fills_the_buffer_stays_on_chip(tmp_path):
    # a 1 KiB UB: the 8 x 64 int8 input (512 B) and the 8 x 64 output (512 B) fill it exactly, so
    # nothing spills or tiles; one more output column (8 x 65 = 520 B) no longer fits: the output
    # spills to DRAM and input + output (1032 B) split into ceil(1032 / 512) = 3 tiles
    exact = layer(simulate(toy(tmp_path, ub_kib=1), fc(8, 64, 64)))
    by = {(t.tensor, t.level): t for t in exact.traffic}
    assert exact.extra["tiles"] == 1
    assert ("output", "dram") not in by and ("input", "dram") not in by
    assert by[("output", "host")].write_bytes == 8 * 64
    over = layer(simulate(toy(tmp_path, ub_kib=1), fc(8, 64, 65)))
    assert over.extra["tiles"] == 3
    assert {(t.tensor, t.level) for t in over.traffic} >= {("output", "dram"), ("input", "dram")}


def test_a_gemm_splits_into_at_most_one_tile_per_row(tmp_path):
    # fc 2 x 4096 -> 64 in a 1 KiB UB: input + output = 8192 + 128 B would need ceil(8320 / 512)
    # = 17 tiles, but two rows split into at most two: 2 GEMMs of 1 x 4096 x 64
    r = simulate(toy(tmp_path, ub_kib=1), fc(2, 4096, 64))
    assert layer(r).extra["tiles"] == 2
    assert layer(r).extra["gemm"] == {"m": 1, "k": 4096, "n": 64, "count": 2}
