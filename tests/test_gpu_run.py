"""`accelsim run` with a GPU baseline, an HTML report and a trace file."""
from __future__ import annotations

import json

import matplotlib
import pytest

from accelsim.cli.main import main

matplotlib.use("Agg")


def test_run_json_totals_carry_the_default_gpu_baseline_and_writes_html_and_trace(capsys, tmp_path):
    html, trace = tmp_path / "r.html", tmp_path / "r.trace.json"
    assert main(["run", "--arch", "tpu_v1", "--workload", "mlp0", "--batch", "16", "--format", "json",
                 "--html", str(html), "--trace", str(trace)]) == 0
    doc = json.loads(capsys.readouterr().out)
    gb = doc["totals"]["gpu_baseline"]
    assert gb["gpu"] == "k80" and gb["model"] == "roofline"  # tpu_v1's paper comparison
    assert gb["speedup"] == pytest.approx(gb["seconds"] / doc["totals"]["seconds"])
    assert gb["energy_ratio"] == pytest.approx(gb["energy_j"] / doc["totals"]["energy_j"])
    assert "<svg" in html.read_text() and "k80" in html.read_text()
    events = json.loads(trace.read_text())["traceEvents"]
    assert any(e["ph"] == "X" for e in events)


def test_run_gpu_choice_model_and_none(capsys):
    assert main(["run", "--arch", "tpu_v1", "--workload", "mlp0", "--format", "json", "--gpu", "h200",
                 "--gpu-model", "derated"]) == 0
    gb = json.loads(capsys.readouterr().out)["totals"]["gpu_baseline"]
    assert gb["gpu"] == "h200" and gb["model"] == "derated" and gb["precision"] == "int8"
    assert main(["run", "--arch", "tpu_v1", "--workload", "mlp0", "--format", "json", "--gpu", "none"]) == 0
    assert "gpu_baseline" not in json.loads(capsys.readouterr().out)["totals"]


def test_run_json_layer_gpu_seconds_add_up_to_the_baseline_and_match_the_html(capsys, tmp_path):
    # a task that fused layers (conv + norm + relu) reports the GPU time of all of them,
    # not only of the layer it is named after (resnet18 on tpu_v3: 71.0 us of 86.0 us before)
    html = tmp_path / "r.html"
    assert main(["run", "--arch", "tpu_v3", "--workload", "resnet18", "--batch", "1", "--format", "json",
                 "--html", str(html)]) == 0
    doc = json.loads(capsys.readouterr().out)
    layers = doc["layers"]
    fused = [row for row in layers if len(row["layers"]) > 1]
    assert fused  # the check below needs fused tasks
    total = doc["totals"]["gpu_baseline"]["seconds"]
    assert sum(row.get("gpu_seconds", 0.0) for row in layers) == pytest.approx(total, rel=1e-12)
    text = html.read_text()
    for row in fused[:3]:
        assert f'<td class="num">{row["gpu_seconds"]:.4g}</td></tr>' in text  # the last column of its row
