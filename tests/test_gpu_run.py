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
