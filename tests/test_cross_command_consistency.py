"""Two commands (or two outputs) asked the same question give the same answer.

Each test runs the CLI two ways on a small workload and compares the numbers they share:
prune's dense and sparse rows against `run` without and with --sparsity, the HTML report of a
training run against the run's JSON, the HTML roofline's GPU roof against the GPU baseline.
"""
from __future__ import annotations

import dataclasses
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


def _html_summary(text: str) -> dict[str, str]:
    first_table = text.split("<table>", 2)[1]
    return dict(re.findall(r"<tr><td>([^<]*)</td><td[^>]*>([^<]*)</td></tr>", first_table))


def test_training_run_html_describes_the_simulated_step(cli, tmp_path, monkeypatch):
    """The HTML of `run --mode training` describes the graph the run simulated (the training step),
    as the JSON does; before, it gave the forward graph's 14 layers of lenet5 (the step has 43)
    and called training samples 'inferences/s'."""
    from accelsim.report import html

    monkeypatch.setattr(html, "_figures_section", lambda result, gpus: "")  # figures: not under test, slow
    page = tmp_path / "train.html"
    status, out, err = cli("run", "--arch", "tpu_v3", "--workload", "lenet5", "--batch", "2", "--mode", "training",
                           "--gpu", "none", "--format", "json", "--html", str(page))
    assert status == 0, err
    report = json.loads(out)
    summary = _html_summary(page.read_text())
    from accelsim.workload.registry import load_workload
    from accelsim.workload.training import to_training

    step = to_training(load_workload("lenet5", 2), "sgd")
    assert summary["workload"] == report["workload"] == step.name
    assert summary["workload layers"] == str(len(step.layers))
    assert "training step" in summary["workload description"]
    assert "throughput (samples/s)" in summary
    assert float(summary["throughput (samples/s)"]) == pytest.approx(report["batch"] / report["totals"]["seconds"], rel=1e-3)


def test_html_roofline_draws_the_gpu_roof_the_baseline_timed():
    """With a 2:4 sparse GPU baseline, the report's roofline draws the GPU's 2:4 sparse peak (the one
    the baseline used), not its dense peak: a100_40gb bf16 624 TOPS, not 312."""
    from accelsim.baselines.gpu_spec import load_gpu_spec
    from accelsim.report import plots

    spec = load_gpu_spec("a100_40gb")
    sparse, dense = plots.gpu_roofs(["a100_40gb"], "bf16", sparse=True)[0], plots.gpu_roofs(["a100_40gb"], "bf16")[0]
    assert (sparse.peak_tops, dense.peak_tops) == (spec.sparse_peak_tops["bf16"], spec.dense_peak_tops["bf16"]) == (624, 312)
    assert "2:4 sparse" in sparse.label and "sparse" not in dense.label
    # a GPU without sparse math keeps its dense roof, as the baseline falls back to dense
    v100 = plots.gpu_roofs(["v100"], "bf16", sparse=True)[0]
    assert v100.peak_tops == load_gpu_spec("v100").dense_peak_tops["fp16"] and "sparse" not in v100.label


def test_html_figures_use_the_baselines_sparsity(monkeypatch):
    from test_plots_html import sample_result

    from accelsim.report import plots
    from accelsim.report.html import render_html

    seen = []
    monkeypatch.setattr(plots, "report_figures", lambda result, gpus, sparse=False: seen.append(sparse) or {})
    result = sample_result()
    render_html(result)
    sparse_baseline = dict(result.extra["gpu_baseline"], sparse=True)
    render_html(dataclasses.replace(result, extra={**result.extra, "gpu_baseline": sparse_baseline}))
    assert seen == [False, True]


def test_utilization_is_against_the_peak_at_the_run_precision(cli):
    """TPU v1 runs int16 at a quarter of its int8 rate: an int16 run's peak is a quarter of the
    int8 peak, and utilization, TOPS and that peak agree (compare's util% means the same for
    accelerator and GPU rows: achieved over the peak at the row's precision)."""
    runs = {}
    for precision in ("int8", "int16"):
        status, out, err = cli("run", "--arch", "tpu_v1", "--workload", "mlp0", "--precision", precision,
                               "--gpu", "none", "--format", "json")
        assert status == 0, err
        runs[precision] = json.loads(out)
    assert runs["int16"]["arch_summary"]["peak_tops"] == pytest.approx(0.25 * runs["int8"]["arch_summary"]["peak_tops"])
    for run in runs.values():
        t = run["totals"]
        assert t["utilization"] == pytest.approx(t["tops"] / run["arch_summary"]["peak_tops"], rel=1e-9)
    assert runs["int16"]["totals"]["utilization"] > runs["int8"]["totals"]["utilization"]
