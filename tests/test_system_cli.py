"""`accelsim train`: table and JSON output, scaling sweeps, and clean errors for bad input."""
from __future__ import annotations

import json

import pytest

from accelsim.cli.main import main

BASE = ["train", "--system", "tpu_v3_pod_32x32", "--estimate", "roofline"]


def test_train_table(capsys):
    assert main(BASE + ["--global-batch", "32768"]) == 0
    out = capsys.readouterr().out
    assert "exposed data-parallel comm" in out and "torus2d" in out
    assert "time to train 90 epochs" in out and "roofline estimate" in out


def test_train_json_to_file(tmp_path):
    path = tmp_path / "step.json"
    code = main(BASE + ["--global-batch", "256", "--parallel", "dp=8", "--compression",
                        "topk:0.001", "--format", "json", "-o", str(path)])
    assert code == 0
    data = json.loads(path.read_text())
    assert data["chips"] == 8 and data["compression"] == "topk:0.001"
    assert data["compression_seconds"] > 0
    parts = (data["compute_seconds"] + data["compression_seconds"] + data["exposed_comm_seconds"]
             + data["optimizer_seconds"] + data["bubble_seconds"] + data["tensor_comm_seconds"])
    assert parts == pytest.approx(data["step_seconds"])


def test_train_per_chip_batch_is_what_each_chip_works_on(capsys):
    """A pipeline's or tensor-parallel group's chips all work on the replica's samples: per-chip
    batch = global batch / dp, not / chips."""
    assert main(BASE + ["--global-batch", "64", "--parallel", "dp=2,tp=2,pp=2,mb=4", "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["chips"] == 8 and data["per_chip_batch"] == 32 and data["micro_batch"] == 8


def test_roofline_profile_skips_the_graph_input():
    """The first layer's read of the input image is counted in that layer; the input itself costs
    no forward or backward time (it has no gradient)."""
    from accelsim.system.layers import roofline_profile

    profile = roofline_profile("resnet18", 4, 123, 900)
    assert profile.records[0].name == "conv1"


def test_train_scaling_sweep_json(capsys):
    code = main(BASE + ["--global-batch", "4096", "--parallel", "dp=128", "--scaling", "strong",
                        "--format", "json"])
    assert code == 0
    data = json.loads(capsys.readouterr().out)
    assert data["scaling"] == "strong"
    assert [p["chips"] for p in data["points"]] == [8, 16, 32, 64, 128]
    assert {p["global_batch"] for p in data["points"]} == {4096}


def test_train_event_driven_reports_links(capsys):
    code = main(["train", "--system", "dgx_like_4x8", "--estimate", "roofline", "--global-batch",
                 "256", "--event-driven", "--format", "json"])
    assert code == 0
    data = json.loads(capsys.readouterr().out)
    assert data["network_model"] == "event-driven"
    assert data["link_utilization"]["links_used"] > 0


@pytest.mark.parametrize("extra,message", [
    (["--global-batch", "100", "--parallel", "dp=64"], "does not split"),
    (["--global-batch", "64", "--compression", "topk:7"], "density"),
    (["--global-batch", "64", "--parallel", "dp=2048"], "needs 2048 chips"),
    (["--global-batch", "64", "--parallel", "dp=64", "--collective", "torus2d"], "whole 2-D torus"),
    (["--global-batch", "64", "--precision", "fp32"], "--estimate roofline times layers at"),
])
def test_train_bad_input_exits_2(capsys, extra, message):
    assert main(BASE + extra) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


def test_unknown_system_and_missing_arch(capsys):
    assert main(["train", "--system", "tpu_v3_pod", "--global-batch", "8"]) == 2
    assert "did you mean" in capsys.readouterr().err
    code = main(["train", "--system", "tpu_v3_8", "--arch", "no_such_chip", "--global-batch", "8"])
    assert code == 2
    assert "--estimate roofline" in capsys.readouterr().err
