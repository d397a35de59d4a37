"""Training graphs: backward GEMMs with forward MACs, vector-work gradients, optimizer updates."""
from __future__ import annotations

import networkx as nx
import pytest

from accelsim.errors import WorkloadError
from accelsim.workload.ops import Conv2d, SharedWeightConv2d
from accelsim.workload.registry import load_workload
from accelsim.workload.training import OPTIMIZERS, phase_totals, to_training


def test_resnet50_step_is_about_three_forwards():
    fwd = load_workload("resnet50", 2)
    train = to_training(fwd, "sgd")
    conv1 = fwd.by_name()["conv1"].op.macs
    # forward + weight gradients (= forward) + input gradients (= forward minus the first conv,
    # whose input is the image and needs no gradient)
    assert train.macs == 3 * fwd.macs - conv1
    assert 2.9 < train.macs / fwd.macs < 3.0
    totals = phase_totals(train)
    assert totals["forward"]["macs"] == fwd.macs
    assert totals["backward"]["macs"] == 2 * fwd.macs - conv1
    assert totals["optimizer"]["macs"] == 0
    assert totals["optimizer"]["vector_ops"] == 2 * fwd.params == 2 * 25_557_032
    assert train.params == fwd.params  # gradient layers reuse the forward weights
    names = train.by_name()
    assert "conv1/dW" in names and "conv1/dX" not in names and "conv1/dX_col" not in names
    assert nx.is_directed_acyclic_graph(train.graph())


def test_optimizers_ops_and_state():
    fwd = load_workload("mnist_mlp", 8)
    for name, opt in OPTIMIZERS.items():
        train = to_training(fwd, name)
        assert phase_totals(train)["optimizer"]["vector_ops"] == opt.ops_per_weight * fwd.params
        assert train.settings["optimizer"] == name
        assert train.settings["optimizer_state_bytes_fp32"] == 4 * opt.state_per_weight * fwd.params
    assert [OPTIMIZERS[n].ops_per_weight for n in ("sgd", "momentum", "adam")] == [2, 4, 12]
    # 784-512-512-10: the first FC needs no input gradient
    first = 8 * 784 * 512
    assert to_training(fwd).macs == 3 * fwd.macs - first


def test_same_convolution_input_gradient_is_a_convolution():
    train = to_training(load_workload("vgg16", 1))
    fwd = train.by_name()["conv2_1"].op
    dx = train.by_name()["conv2_1/dX"].op
    assert isinstance(dx, SharedWeightConv2d) and isinstance(dx, Conv2d)
    assert dx.macs == fwd.macs and dx.params == 0
    assert dx.output_shape == (1, fwd.in_h, fwd.in_w, fwd.in_channels)
    assert dx.shared_with == "conv2_1"


def test_attention_gets_two_operand_gradients():
    fwd = load_workload("bert_base", 1, {"seq_len": 64})
    train = to_training(fwd, "adam")
    assert train.macs == 3 * fwd.macs  # embeddings need no GEMMs; every matmul gets dX and dW
    by_name = train.by_name()
    qk = by_name["l0_attn_qk"].op
    assert by_name["l0_attn_qk/dA"].op.macs == qk.macs == by_name["l0_attn_qk/dB"].op.macs
    assert {layer.phase for layer in train.layers} == {"forward", "backward", "optimizer"}
    assert by_name["tok_embed/update"].op.vector_ops == 12 * 30522 * 768
    assert train.settings["seq_len"] == 64 and train.settings["optimizer_state_elements"] == 2 * fwd.params


def test_tied_head_gradient_feeds_the_embedding_update():
    train = to_training(load_workload("gpt2_small", 1, {"seq_len": 32}), "momentum")
    update = train.by_name()["tok_embed/update"]
    assert "lm_head/dW" in update.inputs and "tok_embed/dW" in update.inputs


def test_residual_fan_out_sums_gradients_and_errors():
    train = to_training(load_workload("resnet18", 1))
    sums = [layer for layer in train.layers if layer.name.endswith("/dY_sum")]
    assert sums and all(layer.phase == "backward" for layer in sums)
    with pytest.raises(WorkloadError, match="optimizer"):
        to_training(load_workload("resnet18", 1), "lion")
    with pytest.raises(WorkloadError, match="already"):
        to_training(train)


def test_topology_rows_can_all_get_input_gradients():
    from pathlib import Path

    from accelsim.workload.topology_csv import load_topology_csv

    w = load_topology_csv(Path(__file__).resolve().parent.parent / "workloads" / "resnet18_scalesim.csv")
    assert to_training(w).macs == 2 * w.macs  # independent rows: inputs need no gradient
    assert to_training(w, input_grads="all").macs == 3 * w.macs
    with pytest.raises(WorkloadError, match="input_grads"):
        to_training(w, input_grads="some")
