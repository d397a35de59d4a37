"""Cycle and energy factors: gating saves energy but no cycles, skipping saves both, unstructured
skipping pays imbalance, a 2:4 unit is exactly 2x on the stream and never more end to end."""
from __future__ import annotations

import dataclasses

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from accelsim.engine.matrix import matrix_timing
from accelsim.engine.simulator import simulate_program
from accelsim.errors import AccelsimError
from accelsim.lower.lowering import lower
from accelsim.lower.work import GemmWork
from accelsim.precision import get_precision
from accelsim.sparsity.config import parse_sparsity, parse_structure
from accelsim.sparsity.effect import sparse_gemm_effect
from accelsim.sparsity.program import SparseGemmWork, adjust_activity, apply_sparsity
from accelsim.sparsity.report import energy_breakdown, sparsity_report
from accelsim.sparsity.spec import SparsityHardwareSpec, StructuredUnitSpec, TensorFormatSpec
from accelsim.spec.loader import load_arch
from accelsim.workload.graph import WorkloadBuilder

NM24 = parse_structure("2:4")
SPARSE_TC = SparsityHardwareSpec(weight_format=TensorFormatSpec("nm"), structured=StructuredUnitSpec(2, 4))


def test_dense_hardware_changes_nothing():
    e = sparse_gemm_effect(64, 64, 64, 16, 16, "ws", 0.1, 0.3, None)
    assert (e.cycle_factor, e.mac_energy_factor, e.effective_macs) == (1.0, 1.0, 64**3)


def test_gating_keeps_cycles_and_saves_energy():
    e = sparse_gemm_effect(128, 256, 64, 16, 16, "ws", 0.4, 0.5, SparsityHardwareSpec(gating="both"))
    assert e.cycle_factor == 1.0 and e.imbalance_cycle_factor == 1.0
    assert e.mac_energy_factor == pytest.approx(0.2)
    assert e.gated_fraction == pytest.approx(0.8) and e.skipped_fraction == 0.0
    assert e.effective_macs == round(0.2 * 128 * 256 * 64)


def test_skipping_saves_cycles_and_energy_and_unstructured_pays_imbalance():
    hw = SparsityHardwareSpec(skipping="both")
    e = sparse_gemm_effect(128, 256, 64, 16, 16, "ws", 0.4, 0.5, hw)
    assert e.mac_energy_factor == pytest.approx(0.2) and e.skipped_fraction == pytest.approx(0.8)
    assert e.density_cycle_factor == pytest.approx(0.2)
    assert e.imbalance_cycle_factor > 1.0  # zero weights are private to each lane
    assert e.cycle_factor == pytest.approx(0.2 * e.imbalance_cycle_factor)
    assert 0.2 < e.cycle_factor < 1.0
    # skipping only the broadcast operand (activations) costs no imbalance
    e_act = sparse_gemm_effect(128, 256, 64, 16, 16, "ws", 0.4, 0.5, SparsityHardwareSpec(skipping="activations"))
    assert e_act.cycle_factor == pytest.approx(0.5) and e_act.imbalance_cycle_factor == 1.0
    # N:M weights (even on a unit without the structured path) give every lane the same work
    e_nm = sparse_gemm_effect(128, 256, 64, 16, 16, "ws", 0.5, 1.0, SparsityHardwareSpec(skipping="weights"), NM24)
    assert e_nm.imbalance_cycle_factor == 1.0 and e_nm.cycle_factor == pytest.approx(0.5)


def test_block_structure_moves_lanes_together():
    hw = SparsityHardwareSpec(skipping="weights", lanes=16)
    loose = sparse_gemm_effect(64, 256, 64, 16, 16, "ws", 0.25, 1.0, hw)
    blocked = sparse_gemm_effect(64, 256, 64, 16, 16, "ws", 0.25, 1.0, hw, parse_structure("block16"))
    assert loose.imbalance_cycle_factor > 1.0 and blocked.imbalance_cycle_factor == 1.0


@pytest.mark.parametrize("structure, density, factor", [("2:4", 0.5, 0.5), ("1:4", 0.25, 0.5), ("2:8", 0.25, 1.0)])
def test_structured_unit_is_exactly_twice_as_fast_and_never_more(structure, density, factor):
    e = sparse_gemm_effect(512, 512, 512, 128, 128, "ws", density, 1.0, SPARSE_TC, parse_structure(structure))
    assert e.cycle_factor == factor  # 1:4 fits the 2:4 unit but runs no faster; 2:8 does not fit
    assert e.structured == (factor == 0.5)
    unstructured = sparse_gemm_effect(512, 512, 512, 128, 128, "ws", 0.5, 1.0, SPARSE_TC)
    assert unstructured.cycle_factor == 1.0  # the structured path needs the N:M pattern


def _gemm_bound_arch():
    # TPU v1 with weights resident in the weight buffer: no DRAM stalls, the stream dominates
    return load_arch("tpu_v1", ["dram.holds=[activations]", "memories.weight_fifo.size_kib=65536",
                                "sparsity.weight_format.format=nm", "sparsity.structured.n=2", "sparsity.structured.m=4"])


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 20_000), st.integers(1, 2048), st.integers(1, 2048), st.integers(1, 4))
def test_two_four_end_to_end_never_more_than_twice(m, k, n, count):
    arch = _gemm_bound_arch()
    mu = arch.matrix_unit
    e = sparse_gemm_effect(m, k, n, mu.rows, mu.cols, mu.dataflow, 0.5, 1.0, arch.sparsity, NM24)
    dense = GemmWork(m, k, n, count, 0.0, 1.0)
    sparse = dataclasses.replace(dense, rate=1.0 / e.cycle_factor)
    t_dense = matrix_timing(dense, mu, arch.dram_bytes_per_cycle).total
    t_sparse = matrix_timing(sparse, mu, arch.dram_bytes_per_cycle).total
    assert t_sparse <= t_dense <= 2 * t_sparse
    if m >= 16_000:  # GEMM-bound: the stream dwarfs fill, drain and the first shift
        assert t_dense / t_sparse > 1.9


def _gemm_workload(m: int = 4096, k: int = 1024, n: int = 1024, relu: bool = True):
    b = WorkloadBuilder("gemm", 1)
    y = b.fc("fc", b.input("x", (m, k)), n, bias=False)
    if relu:
        b.act("relu", y)
    return b.build()


def test_two_four_through_the_pipeline_is_about_twice_as_fast():
    arch = _gemm_bound_arch()
    wl = _gemm_workload()
    dense = simulate_program(lower(wl, arch), arch)
    program = apply_sparsity(lower(wl, arch), arch, parse_sparsity("structure=2:4"), wl)
    sparse = simulate_program(program, arch)
    matrix = [(d.matrix.total, s.matrix.total) for d, s in zip(dense.records, sparse.records) if d.matrix]
    (t_dense, t_sparse), = matrix
    assert 1.9 < t_dense / t_sparse <= 2.0


def _variant(option: str):
    arch = load_arch("tpu_v1", [option])
    wl = _gemm_workload(2048, 512, 512, relu=False)
    # the layer reads a graph input (dense by default): its override sets the activation density
    program = apply_sparsity(lower(wl, arch), arch, parse_sparsity("weights=0.6,fc.activations=0.5"), wl)
    engine = simulate_program(program, arch)
    return arch, program, engine


def test_gating_vs_skipping_through_the_pipeline():
    dense_arch = load_arch("tpu_v1")
    wl = _gemm_workload(2048, 512, 512, relu=False)
    dense_program = lower(wl, dense_arch)
    dense = simulate_program(dense_program, dense_arch)
    dense_energy = energy_breakdown(dense_program, dense_arch, dense)
    arch, program, gated = _variant("sparsity.gating=both")
    gated_energy = energy_breakdown(program, arch, gated)
    assert gated.total_cycles == dense.total_cycles
    assert gated_energy["compute"] == pytest.approx(dense_energy["compute"] * 0.4 * 0.5, rel=1e-3)
    arch, program, skipped = _variant("sparsity.skipping=both")
    skipped_energy = energy_breakdown(program, arch, skipped)
    assert skipped.total_cycles < dense.total_cycles
    assert skipped_energy["compute"] == pytest.approx(gated_energy["compute"])
    task = next(t for t in program.tasks if isinstance(t.gemm, SparseGemmWork))
    assert task.dense_equivalent_macs == 2048 * 512 * 512 and task.macs == round(0.2 * 2048 * 512 * 512)


def test_report_shows_imbalance_for_unstructured_and_none_for_two_four():
    from accelsim.report.build import build_result

    arch, program, engine = _variant("sparsity.skipping=both")
    wl = _gemm_workload(2048, 512, 512, relu=False)
    report = sparsity_report(program, arch, build_result(arch, wl, program, engine))
    assert report["imbalance_stall_cycles"] > 0
    assert report["mac_energy_j"]["saved_by_skipping"] > 0 and report["mac_energy_j"]["saved_by_gating"] == 0
    assert report["dense_equivalent_tops"] > report["effective_tops"]
    assert report["dense_macs"] == 2048 * 512 * 512
    arch = _gemm_bound_arch()
    program = apply_sparsity(lower(wl, arch), arch, parse_sparsity("structure=2:4"), wl)
    report = sparsity_report(program, arch, build_result(arch, wl, program, simulate_program(program, arch)))
    assert report["imbalance_stall_cycles"] == 0
    assert report["weights"]["data_bytes"] == 512 * 512 // 2
    assert report["weights"]["metadata_bytes"] == 512 * 512 // 2 * 2 // 8


def test_adjust_activity_scales_weight_reads_by_compression_and_skipped_activations():
    from accelsim.engine.activity import task_activity

    arch = load_arch("eie_like")
    b = WorkloadBuilder("fc", 1)
    b.fc("fc", b.input("x", (1, 1024)), 512, bias=False)
    wl = b.build()
    program = apply_sparsity(lower(wl, arch), arch, parse_sparsity("weight_density=0.1,fc.activation_density=0.3"), wl)
    engine = simulate_program(program, arch)
    task = next(t for t in program.tasks if t.gemm is not None)
    rec = next(r for r in engine.records if r.name == task.name)
    dense = task_activity(task, rec, arch, get_precision("int16"))
    sparse = adjust_activity(task, dense, arch)
    read = {(t.tensor, t.level): t.read_bytes for t in sparse.traffic}
    dense_read = {(t.tensor, t.level): t.read_bytes for t in dense.traffic}
    g = task.gemm
    assert read[("weights", "spmat_sram")] == round(dense_read[("weights", "spmat_sram")] * g.weight_storage_ratio * 0.3)
    assert adjust_activity(program.tasks[0], dense, arch) is dense  # non-GEMM tasks untouched


def test_apply_sparsity_rejects_unknown_layers_and_bad_inputs():
    arch = load_arch("tpu_v1")
    wl = _gemm_workload(64, 64, 64)
    with pytest.raises(AccelsimError, match="did you mean 'fc'"):
        apply_sparsity(lower(wl, arch), arch, parse_sparsity("fcc.weights=0.5"), wl)
    with pytest.raises(AccelsimError, match="does not run on the matrix unit"):
        apply_sparsity(lower(wl, arch), arch, parse_sparsity("x.weights=0.5"), wl)
    with pytest.raises(AccelsimError):
        sparse_gemm_effect(0, 1, 1, 1, 1, "ws", 0.5, 0.5, None)
    with pytest.raises(AccelsimError):
        sparse_gemm_effect(1, 1, 1, 1, 1, "ws", 0.0, 0.5, None)
