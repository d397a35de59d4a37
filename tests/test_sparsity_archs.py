"""The sparse accelerator configs load with the ArchSpec schema, run, and land near the published
figures they model; archs without a sparsity section are unaffected."""
from __future__ import annotations

import importlib.util
import itertools
import sys
from pathlib import Path

import pytest

from accelsim.engine.simulator import simulate_program
from accelsim.errors import SpecError
from accelsim.lower.lowering import lower
from accelsim.report.build import build_result
from accelsim.sparsity.config import parse_sparsity
from accelsim.sparsity.program import apply_sparsity
from accelsim.sparsity.report import energy_breakdown, sparsity_report
from accelsim.spec.loader import load_arch, shipped_archs
from accelsim.workload.registry import load_workload

ROOT = Path(__file__).resolve().parent.parent


def _benchmark():
    spec = importlib.util.spec_from_file_location("sparsity_eie", ROOT / "benchmarks" / "sparsity_eie.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the class is built
    spec.loader.exec_module(module)
    return module


def test_every_shipped_arch_loads_and_dense_ones_need_no_section():
    archs = {name: load_arch(name) for name in shipped_archs()}
    assert archs["eie_like"].sparsity is not None and archs["scnn_like"].sparsity is not None
    assert archs["tpu_v1"].sparsity is None


def test_eie_like_config():
    arch = load_arch("eie_like")
    hw = arch.sparsity
    assert arch.matrix_unit.rows * arch.matrix_unit.cols == 64 and arch.clock_mhz == 800
    assert arch.technology.process_nm == 45
    assert (hw.weight_format.format, hw.weight_format.index_bits, hw.weight_format.value_bits,
            hw.weight_format.codebook_entries) == ("csc", 4, 4, 16)
    assert hw.skipping == "both" and hw.broadcast_operand == "activations"


def test_bad_sparsity_sections_point_at_the_field(tmp_path):
    with pytest.raises(SpecError, match="sparsity.skipping: expected one of none, weights, activations, both"):
        load_arch("eie_like", ["sparsity.skipping=always"])
    with pytest.raises(SpecError, match="cannot index 16 codebook entries"):
        load_arch("eie_like", ["sparsity.weight_format.value_bits=3"])
    with pytest.raises(SpecError, match="structured unit reads N:M compressed weights"):
        load_arch("eie_like", ["sparsity.structured.n=2", "sparsity.structured.m=4"])


def test_eie_like_on_alexnet_fc_lands_near_the_published_throughput():
    bench = _benchmark()
    eie = bench.run("eie_like", [])
    rep = eie.report
    # EIE (systems.md): 102 GOP/s on the compressed network, ~3 TOP/s dense-equivalent
    assert rep["effective_tops"] * 1e3 == pytest.approx(bench.EIE_GOPS, rel=0.1)
    assert rep["dense_equivalent_tops"] == pytest.approx(bench.EIE_DENSE_EQUIVALENT_TOPS, rel=0.1)
    # the on-chip model: no DRAM energy, SRAM dominates as in EIE's breakdown
    sram = eie.group("sram")
    assert eie.group("dram") == 0.0 and sram > 0.6 * eie.total_j
    assert eie.total_j / eie.seconds < 1.0  # below a watt, like EIE's 600 mW
    # each step of EIE's cascade saves energy, activation skipping roughly 1/0.3
    runs = [bench.run(label, overrides) for label, overrides in bench.CASCADE]
    totals = [r.total_j for r in runs]
    assert all(a > b for a, b in itertools.pairwise(totals))
    assert totals[-2] / totals[-1] == pytest.approx(1 / 0.3, rel=0.15)


def test_scnn_like_runs_alexnet_faster_and_cheaper_when_sparse():
    arch = load_arch("scnn_like")
    wl = load_workload("alexnet", 1, None)
    dense_program = apply_sparsity(lower(wl, arch), arch, parse_sparsity("weight_density=1"), wl)
    sparse_program = apply_sparsity(lower(wl, arch), arch, parse_sparsity("weights=0.65,activations=0.6"), wl)
    dense = simulate_program(dense_program, arch)
    sparse = simulate_program(sparse_program, arch)
    speedup = dense.total_cycles / sparse.total_cycles
    assert 1.5 < speedup < 1 / (0.35 * 0.4)
    assert sum(energy_breakdown(sparse_program, arch, sparse).values()) < \
        sum(energy_breakdown(dense_program, arch, dense).values())
    report = sparsity_report(sparse_program, arch, build_result(arch, wl, sparse_program, sparse))
    assert report["activations_dram"]["saved_bytes"] >= 0
    assert report["weights"]["saved_bytes"] > 0
    assert report["hardware"]["broadcast_operand"] == "weights"
