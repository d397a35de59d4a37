"""`accelsim run --mode training`: a step costs about 3x the forward MACs plus optimizer vector work."""
from __future__ import annotations

import pytest

from accelsim.api import simulate


def test_training_step_macs_and_optimizer_work_on_tpu_v1():
    fwd = simulate("tpu_v1", "resnet18", batch=4)
    step = simulate("tpu_v1", "resnet18", batch=4, mode="training", optimizer="momentum")
    # forward + weight gradient (one forward's MACs) + input gradient (one forward's, except conv1:
    # nothing needs the image's gradient); conv1 = 112 x 112 x 64 x (7 x 7 x 3) MACs per image
    conv1 = next(layer for layer in fwd.layers if layer.macs)
    assert conv1.macs == 4 * 112 * 112 * 64 * 7 * 7 * 3
    assert step.totals.macs == 3 * fwd.totals.macs - conv1.macs
    assert step.totals.cycles > 2 * fwd.totals.cycles
    updates = [layer for layer in step.layers if layer.name.endswith("/update")]
    assert updates and all(layer.unit == "vector" and layer.cycles > 0 for layer in updates)
    params = sum(1 for _ in updates)
    assert params == len([layer for layer in fwd.layers if layer.op.startswith(("conv2d", "matmul"))]) + \
        sum(1 for layer in fwd.layers for name in layer.extra["layers"] if name.endswith("_bn"))
    # updated weights go back to DRAM, never to the host
    host_out = sum(t.write_bytes for layer in step.layers for t in layer.traffic if t.level == "host")
    assert host_out == 0
    assert all(t.level != "host" or t.write_bytes == 0 for layer in updates for t in layer.traffic)


def test_bad_mode_is_a_clear_error(cli):
    status, _, err = cli("run", "--arch", "tpu_v1", "--workload", "resnet18", "--mode", "train")
    assert status == 2 and "invalid choice" in err


def test_gpu_baseline_of_a_training_run_times_the_whole_step(cli):
    """The GPU is timed on the graph the accelerator ran: forward, backward and update, not the
    forward pass alone (it was: a training step's speedup compared against GPU inference)."""
    import json

    from accelsim.baselines.gpu_model import gpu_baseline
    from accelsim.workload.registry import load_workload
    from accelsim.workload.training import to_training

    runs = {}
    for mode in ("inference", "training"):
        optimizer = ("--optimizer", "adam") if mode == "training" else ()
        status, out, err = cli("run", "--arch", "tpu_v1", "--workload", "resnet18", "--batch", "4", "--mode", mode,
                               *optimizer, "--gpu", "v100", "--format", "json")
        assert status == 0, err
        runs[mode] = json.loads(out)["totals"]["gpu_baseline"]
    step = to_training(load_workload("resnet18", 4), "adam")
    assert runs["training"]["seconds"] == gpu_baseline(step, "v100", "int8").seconds
    assert runs["training"]["seconds"] > 2.5 * runs["inference"]["seconds"]


def test_a_ready_made_training_graph_simulates_like_mode_training():
    """`accelsim train` hands simulate() a graph built by to_training; its weights and gradients
    must stay on the device as in `run --mode training` (they went to the host: tpu_v3, resnet18
    batch 4, momentum: optimizer layers 34.37 ms instead of 0.17 ms)."""
    from accelsim.workload.registry import load_workload
    from accelsim.workload.training import to_training

    graph = to_training(load_workload("resnet18", 4), "momentum")
    ready_made = simulate("tpu_v3", graph)
    built_here = simulate("tpu_v3", "resnet18", batch=4, mode="training", optimizer="momentum")
    assert ready_made.totals == built_here.totals
    assert [layer.cycles for layer in ready_made.layers] == [layer.cycles for layer in built_here.layers]


def test_train_single_chip_step_matches_run_mode_training(cli):
    """One chip, dp=1, simulated optimizer: `accelsim train`'s step is the training step `accelsim
    run --mode training` simulates, and its update time is the update layers' share of that run's
    cycles (layers running at the same time split the cycles they share)."""
    import json

    from accelsim.report.static_share import cycle_shares
    from accelsim.workload.registry import load_workload
    from accelsim.workload.training import to_training

    status, out, _ = cli("train", "--system", "tpu_v3_8", "--arch", "tpu_v3", "--workload", "mnist_mlp",
                         "--global-batch", "4", "--parallel", "dp=1", "--optimizer-time", "simulated",
                         "--format", "json")
    assert status == 0
    train = json.loads(out)
    status, out, _ = cli("run", "--arch", "tpu_v3", "--workload", "mnist_mlp", "--batch", "4", "--mode", "training",
                         "--optimizer", "momentum", "--format", "json", "--gpu", "none")
    assert status == 0
    run = json.loads(out)
    assert train["step_seconds"] == pytest.approx(run["totals"]["seconds"], rel=1e-9)
    phase = {layer.name: layer.phase for layer in to_training(load_workload("mnist_mlp", 4), "momentum").layers}
    hz = run["clock_mhz"] * 1e6
    shares = cycle_shares([(row["start_cycle"], row["end_cycle"]) for row in run["layers"]],
                          run["totals"]["cycles"])
    is_update = [phase[row["layers"][0]] == "optimizer" for row in run["layers"]]
    update = sum(share for share, yes in zip(shares, is_update, strict=True) if yes) / hz
    spans = sum(row["cycles"] for row, yes in zip(run["layers"], is_update, strict=True) if yes) / hz
    assert 0 < update < spans  # the updates overlap other layers here
    assert train["optimizer_seconds"] == pytest.approx(update, rel=1e-12)
