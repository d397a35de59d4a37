"""lns_s1: the SIMD-grid LNS chip — spec errors, hand-computed step-level cycles on tiny grids,
LNS per-action costs, and end-to-end runs whose energy components sum to the total."""
from __future__ import annotations

import json

import pytest

from accelsim.api import simulate
from accelsim.costs.lns_grid import grid_energies
from accelsim.engine.simd_grid import gemm_mappings, grid_gemm_timing, vector_program_cost
from accelsim.errors import AccelsimError, SpecError
from accelsim.lower.vector_costs import VectorProgram, VectorStep
from accelsim.lower.work import GemmWork
from accelsim.precision import get_precision
from accelsim.report.render import to_json
from accelsim.spec.loader import load_arch

TINY_GRID = """\
version: 1
name: tiny_grid
technology: {process_nm: 45}
simd_grid:
  rows: 2
  cols: 2
  clock_mhz: 100
  local_memory_kib: 1
  link_bytes_per_cycle: 2
  core_pitch_mm: 0.1
memories:
  - {name: local_memory, size_kib: 4, holds: [activations]}
dram: {kind: ddr4, bandwidth_gbps: 1000, latency_ns: 0}
"""
# batch 4 x 4 features -> fc 4: one (4 x 4) . (4 x 4) GEMM, no bias
TINY_FC = """\
version: 1
name: tinyfc
batch: 4
inputs: [{name: x, shape: [4]}]
layers:
  - {name: fc, op: fc, out_features: 4, bias: false}
"""


@pytest.fixture
def tiny(tmp_path):
    arch, wl = tmp_path / "grid.yaml", tmp_path / "fc.yaml"
    arch.write_text(TINY_GRID)
    wl.write_text(TINY_FC)
    return str(arch), str(wl)


def _layer(result, name):
    return next(layer for layer in result.layers if layer.name == name)


def test_lns_s1_loads_with_the_reference_grid():
    arch = load_arch("lns_s1")
    g = arch.simd_grid
    assert (g.rows, g.cols, g.cores, g.precision) == (48, 44, 2112, "lns16")
    assert arch.matrix_unit is None and arch.vector_unit is None
    assert arch.clock_mhz == g.clock_mhz
    assert arch.memory_holding("activations").size_kib == 48 * 44 * g.local_memory_kib


# --- spec errors: located, with the field path, exit status 2 ------------------------------------

@pytest.mark.parametrize("old,new,field,fragment,line,col", [
    ("rows: 2", "rowz: 2", "simd_grid.rowz", "did you mean 'rows'", 5, 3),
    ("rows: 2", "rows: two", "simd_grid.rows", "expected an integer", 5, 9),
    ("link_bytes_per_cycle: 2", "link_bytes_per_cycle: 0", "simd_grid.link_bytes_per_cycle", "expected a value >=", 9, 25),
    ("clock_mhz: 100", "clock_mhz: 100\n  precision: int8", "simd_grid.precision", "log number system", 8, 14),
    ("size_kib: 4,", "size_kib: 5,", "memories[0].size_kib", "expected 4 KiB (2 x 2 cores x 1 KiB)", 12, 36),
    ("memories:", "matrix_unit: {rows: 2, cols: 2, clock_mhz: 100}\nmemories:", "matrix_unit", "has no matrix_unit", 11, 14),
])
def test_bad_grid_specs_are_located(tmp_path, old, new, field, fragment, line, col):
    path = tmp_path / "grid.yaml"
    path.write_text(TINY_GRID.replace(old, new, 1))
    with pytest.raises(SpecError) as info:
        load_arch(str(path))
    err = info.value
    assert err.field == field and fragment in err.message
    assert (err.location.file, err.location.line, err.location.column) == (str(path), line, col)


def test_bad_grid_override_exits_2(cli):
    status, _, err = cli("run", "--arch", "lns_s1", "--workload", "mnist_mlp", "--set", "simd_grid.colz=4")
    assert status == 2 and "did you mean 'cols'" in err and "Traceback" not in err
    status, _, err = cli("run", "--arch", "lns_s1", "--workload", "mnist_mlp", "--precision", "int8")
    assert status == 2 and "log number system" in err


# --- hand-computed cycles on a 2 x 2 grid -------------------------------------------------------

def test_gemm_4x4x4_on_2x2_grid_by_hand(tiny):
    arch = load_arch(tiny[0])
    grid = arch.simd_grid
    # m_rows: each core owns a 2 x 2 output block; a step is 2*2 MACs x (1 multiply + 3 add) = 16
    # cycles, the 2-element packets take 2 cycles on a 2 B/cycle link; fill: 2 hops x (1 + 2) = 6
    t = grid_gemm_timing(GemmWork(4, 4, 4, 1, 2.0, 1.0), grid, 2.0, dram_bytes_per_cycle=1e4)
    assert t.mapping.name == "m_rows" and (t.mapping.a, t.mapping.b, t.mapping.cores_used) == (2, 2, 4)
    assert (t.arith_cycles_per_step, t.link_cycles_per_step, t.step_cycles) == (16, 2, 16)
    assert (t.fill_cycles, t.compute, t.operand_shift, t.total) == (6, 64, 6, 70)
    # the engine runs the same task: 64 compute + 6 operand-shift cycles
    result = simulate(arch, tiny[1])
    fc = _layer(result, "fc")
    assert fc.cycles == 70
    assert (fc.cycles_by_cause["compute"], fc.cycles_by_cause["input_stall"]) == (64, 6)
    assert fc.extra["grid"]["mapping"] == "m_rows"


def test_link_bound_and_dram_bound_gemm_by_hand(tiny):
    # 1 + 1 cycle MACs, 0.25 B/cycle links: the 2-element (4-byte) packets take 16 cycles > 8 arithmetic
    arch = load_arch(tiny[0], ["simd_grid.log_add_cycles=1", "simd_grid.link_bytes_per_cycle=0.25"])
    t = grid_gemm_timing(GemmWork(4, 4, 4, 1, 2.0, 1.0), arch.simd_grid, 2.0, 1e4)
    assert (t.arith_cycles_per_step, t.link_cycles_per_step, t.step_cycles) == (8, 16, 16)
    assert (t.fill_cycles, t.total, t.compute, t.operand_shift) == (2 * (1 + 16), 98, 32, 66)
    # DRAM at 1 GB/s and 100 MHz: 10 B/cycle; 4 x 4 weights x 2 B = 32 B take 4 cycles (hidden) ...
    t = grid_gemm_timing(GemmWork(4, 4, 4, 1, 2.0, 1.0), load_arch(tiny[0]).simd_grid, 2.0, 0.1)
    # ... at 0.1 B/cycle they take 320 cycles: 250 of them after the 70-cycle grid work
    assert (t.fetch_bytes, t.fetch_cycles, t.weight_load_stall, t.total) == (32, 320, 250, 320)
    slow = simulate(load_arch(tiny[0], ["dram.bandwidth_gbps=0.01"]), tiny[1])
    fc = _layer(slow, "fc")
    assert fc.cycles == 320 and fc.cycles_by_cause["weight_load_stall"] == 250


def test_batch_one_fc_prefers_the_snake_mapping(tiny):
    grid = load_arch(tiny[0]).simd_grid
    # 1 x 3 x 4: 2-D mappings use 2 cores with 1 x 2 blocks (8-cycle steps, fill 1 x (1 + 2) = 3):
    # 3 + 3 x 8 = 27; the snake gives each of the 4 cores one output (4-cycle steps, 1-element packets,
    # fill 3 x (1 + 1) = 6): 6 + 3 x 4 = 18
    names = [mp.name for mp in gemm_mappings(1, 4, grid)]
    assert names == ["m_rows", "n_rows", "snake_n", "snake_m"]
    t = grid_gemm_timing(GemmWork(1, 3, 4, 1, 0.0, 1.0), grid, 2.0, 1e4)
    assert (t.mapping.name, t.mapping.cores_used, t.step_cycles, t.fill_cycles, t.total) == ("snake_n", 4, 4, 6, 18)


def test_vector_steps_by_hand(tiny):
    grid = load_arch(tiny[0]).simd_grid
    # 10 elements over 4 cores: 3 rounds of a 1-cycle compare
    relu = VectorProgram("relu", 10, (VectorStep("max", 10),), 10, 10)
    assert vector_program_cost(relu, grid, 2.0).cycles == 3
    # one row of 8 summed over 4 cores (2 x 2): 1 local add (3 cycles), then (2-1)+(2-1) shift-and-add
    # steps of hop (1 + 1) + add (3): 3 + 2 x 5 = 13
    row_sum = VectorProgram("sum", 8, (VectorStep("add", 7, 1, 8),), 8, 1)
    cost = vector_program_cost(row_sum, grid, 2.0)
    assert cost.cycles == 13 and cost.ops_by_class == {"log_add": 7} and cost.link_byte_hops == 1 * 3 * 2
    # 8 rows of 3 (rows >= cores): each core reduces 2 whole rows locally, 2 x 2 adds x 3 cycles
    rows = VectorProgram("sum", 24, (VectorStep("add", 16, 8, 3),), 24, 8)
    assert vector_program_cost(rows, grid, 2.0).cycles == 12


# --- LNS costs: an add (table lookup) costs more than a multiply (integer add) -------------------

def test_lns_add_costs_more_than_multiply_in_cycles_and_energy(tiny):
    for arch in (load_arch("lns_s1"), load_arch(tiny[0])):
        g = arch.simd_grid
        assert g.log_add_cycles > g.log_multiply_cycles
        e = grid_energies(g, get_precision(g.precision), arch.technology.process_nm, 1.6)
        assert e.log_add_pj > e.log_multiply_pj and e.table_read_pj < e.log_add_pj
    # by hand at 45 nm: multiply = a 16-bit add (0.05 pJ); add = a 2-entry read from a 2 KiB table
    # (0.625 pJ/B x 4 B on the SRAM curve) + an 8-bit multiply (0.2) + three 16-bit adds (0.15)
    e = grid_energies(load_arch(tiny[0]).simd_grid, get_precision("lns16"), 45, 1.6)
    assert e.log_multiply_pj == pytest.approx(0.05)
    assert e.log_add_pj == pytest.approx(2.5 + 0.2 + 0.15)
    assert e.local_memory_pj_per_byte == pytest.approx(1.25 * (1 / 8) ** 0.5)  # 1 KiB core memory
    assert e.link_pj_per_byte_hop == pytest.approx(1.6 * 0.1)


def test_tiny_run_energy_by_hand(tiny):
    result = simulate(load_arch(tiny[0]), tiny[1])
    comp = result.totals.energy_j_by_component
    # 64 MACs x (0.05 + 2.85) pJ; nothing else computes
    assert comp["compute"] == pytest.approx(64 * 2.9e-12)
    assert result.extra["arch_summary"]["simd_grid"]["lns_arithmetic_energy_j"]["log_add"] == pytest.approx(64 * 2.85e-12)
    assert sum(comp.values()) == pytest.approx(result.totals.energy_j, rel=1e-12)


# --- end to end on the shipped config ------------------------------------------------------------

@pytest.mark.parametrize("workload", ["mnist_mlp", "resnet50"])
def test_lns_s1_runs_with_consistent_totals(workload):
    r = json.loads(to_json(simulate("lns_s1", workload)))
    t = r["totals"]
    assert sum(t["cycles_by_cause"].values()) == t["cycles"]
    assert sum(t["energy_j_by_component"].values()) == pytest.approx(t["energy_j"], rel=1e-12)
    assert 0 < t["utilization"] <= 1
    assert t["cycles"] >= t["macs"] / r["arch_summary"]["peak_macs_per_cycle"]
    assert t["seconds"] == pytest.approx(t["cycles"] / 400e6)
    lns = r["arch_summary"]["simd_grid"]["lns_arithmetic_energy_j"]
    assert lns["log_add"] > lns["log_multiply"] > 0
    assert sum(lns.values()) == pytest.approx(t["energy_j_by_component"]["compute"], rel=1e-9)
    grid_layers = [layer for layer in r["layers"] if layer["unit"] == "grid"]
    assert grid_layers and all(layer["grid"]["cores_used"] <= 2112 for layer in grid_layers)
    for layer in r["layers"]:
        assert sum(layer["cycles_by_cause"].values()) == layer["cycles"]
    assert sum(layer["macs"] for layer in r["layers"]) == t["macs"]


def test_resnet50_is_compute_bound_and_mlp_weight_bound():
    cnn = simulate("lns_s1", "resnet50").totals.cycles_by_cause
    assert max(cnn, key=cnn.get) == "compute"
    mlp = simulate("lns_s1", "mnist_mlp").totals.cycles_by_cause
    assert max(mlp, key=mlp.get) == "weight_load_stall"  # batch 1: every weight used once, from DRAM


def test_non_lns_precision_is_refused():
    with pytest.raises(AccelsimError, match="log number system"):
        simulate("lns_s1", "mnist_mlp", precision="fp16")
    assert simulate("lns_s1", "mnist_mlp", precision="lns8").precision == "lns8"
