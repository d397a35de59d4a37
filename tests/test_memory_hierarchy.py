"""Memory hierarchy: hand-computable stalls, traffic, tiling and double buffering (issue 4)."""
from __future__ import annotations

import pytest

from accelsim.api import simulate
from accelsim.errors import SpecError
from accelsim.spec.loader import load_arch
from accelsim.workload.graph import WorkloadBuilder

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


def fc(m, k, n):
    b = WorkloadBuilder("fc", m)
    x = b.input("x", (m, k))
    b.fc("fc", x, n, bias=False)
    return b.build()


def layer(result, name="fc"):
    return next(layer for layer in result.layers if layer.name == name)


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
