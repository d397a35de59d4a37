"""Two commands (or two outputs) asked the same question give the same answer.

Each test runs the CLI two ways on a small workload and compares the numbers they share:
prune's dense and sparse rows against `run` without and with --sparsity, the HTML report of a
training run against the run's JSON, the HTML roofline's GPU roof against the GPU baseline.
"""
from __future__ import annotations

import json
import re

import pytest


def _run_json(cli, *args):
    status, out, err = cli("run", *args, "--gpu", "none", "--format", "json")
    assert status == 0, err
    return json.loads(out)["totals"]


@pytest.mark.parametrize("arch, workload, sparsity", [
    ("lns_s1", "mnist_mlp", "weights=0.5"),  # a SIMD-grid arch: LNS per-action energies
    ("eie_like", "mlp0", "weights=0.9,activations=0.5"),
])
def test_prune_rows_equal_run_without_and_with_sparsity(cli, arch, workload, sparsity):
    """prune's dense row is `run`, its sparse row `run --sparsity`: cycles, seconds and energy by
    component. Before, prune re-priced energy without the SIMD-grid path: lns_s1 mnist_mlp dense
    0.0560 mJ against run's 0.2738 mJ."""
    status, out, err = cli("prune", "--arch", arch, "--workload", workload, "--sparsity", sparsity, "--format", "json")
    assert status == 0, err
    pruned = json.loads(out)
    for row, extra in (("dense", ()), ("sparse", ("--sparsity", sparsity))):
        ran = _run_json(cli, "--arch", arch, "--workload", workload, *extra)
        assert pruned[row]["cycles"] == ran["cycles"]
        assert pruned[row]["seconds"] == ran["seconds"]
        assert pruned[row]["energy_j_by_component"] == pytest.approx(ran["energy_j_by_component"], rel=1e-12)
        assert pruned[row]["energy_j"] == pytest.approx(ran["energy_j"], rel=1e-12)


def test_energy_breakdown_is_the_runs_energy_by_component():
    """sparsity.report.energy_breakdown (used by benchmarks) prices a run exactly as its report does."""
    from accelsim.engine.simulator import simulate_program
    from accelsim.lower.lowering import lower
    from accelsim.report.build import build_result
    from accelsim.sparsity.report import energy_breakdown
    from accelsim.spec.loader import load_arch
    from accelsim.workload.registry import load_workload

    arch, graph = load_arch("lns_s1"), load_workload("mnist_mlp", 1)
    program = lower(graph, arch, None)
    engine = simulate_program(program, arch)
    assert energy_breakdown(program, arch, engine) == build_result(arch, graph, program, engine).totals.energy_j_by_component
