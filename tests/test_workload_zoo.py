"""Built-in networks reproduce the published totals in the shared reference workloads.md."""
from __future__ import annotations

import pytest

from accelsim.errors import WorkloadError
from accelsim.workload.ops import MatMul, SharedWeightMatMul
from accelsim.workload.registry import builtin_workloads, load_workload
from accelsim.workload.zoo.tpu_apps import TABLE1, table1_layer_counts

# name, settings, MACs at batch 1, parameters, relative tolerance: half a unit in the last digit
# workloads.md prints (0 = the reference is exact); the task allows 0.5 % at most
PUBLISHED = [
    ("alexnet", {}, 0.7244e9, 60.97e6, 5e-4),
    ("vgg16", {}, 15.470e9, 138_357_544, 1e-4),
    ("vgg19", {}, 19.632e9, 143.67e6, 1e-4),
    ("googlenet", {}, 1.583e9, 7.00e6, 1e-3),
    ("resnet18", {}, 1.814e9, 11.69e6, 5e-4),
    ("resnet50", {}, 4_089_184_256, 25_557_032, 0),
    ("resnet50_v1", {}, 3.858e9, 25_557_032, 1e-4),
    ("mobilenet_v1", {}, 0.5687e9, 4.232e6, 1e-4),
    ("mobilenet_v2", {}, 0.3008e9, 3_504_872, 5e-4),
    ("bert_base", {}, 11.174e9, 109.48e6, 1e-4),
    ("bert_base", {"seq_len": 384}, 35.333e9, 109.48e6, 1e-4),
    ("bert_large", {}, 123.21e9, 335.14e6, 1e-4),
    ("gpt2_small", {}, 145.82e9, 124.44e6, 1e-4),
    ("gpt2_small_local", {}, 131.33e9, 124.44e6, 1e-4),
    ("gpt2_small", {"local_window": 256}, 131.33e9, 124.44e6, 1e-4),
    ("lstm", {}, 1.6777e9, 16.79e6, 3e-4),
    ("tpu_mlp0", {}, 200 * 20e6, 20.01e6, 1e-3),
    ("dlrm", {}, 0.0005e9, 103.39e6, 0.05),  # the published 0.0005 GMACs has one significant digit
]


@pytest.mark.parametrize("name,settings,macs,params,tol", PUBLISHED, ids=lambda v: str(v))
def test_published_totals(name, settings, macs, params, tol):
    w = load_workload(name, 1 if name != "tpu_mlp0" else 200, settings)
    assert w.macs == pytest.approx(macs, rel=max(tol, 1e-12))
    assert w.params == pytest.approx(params, rel=min(max(tol, 1e-12), 5e-3))


def test_exact_integer_totals():
    assert load_workload("vgg16", 1).params == 138_357_544
    assert load_workload("mobilenet_v2", 1).params == 3_504_872
    assert load_workload("bert_base", 1).params == 109_482_240  # HF bert-base-uncased with pooler
    assert load_workload("gpt2_small", 1).params == 124_439_808  # HF gpt2
    assert load_workload("dlrm", 1).params == 103_390_881
    assert load_workload("mnist_mlp", 1).params == 669_706  # Keras mnist_mlp summary


def test_every_builtin_scales_with_batch():
    # (how fast the builders run is measured in benchmarks/, not asserted here)
    for name, entry in builtin_workloads().items():
        one = entry.build(1)
        three = entry.build(3)
        assert three.batch == 3 and one.batch == 1
        assert three.macs == 3 * one.macs, name
        assert three.params == one.params, name
        names = [layer.name for layer in one.layers]
        assert len(names) == len(set(names)), name


def test_attention_is_activation_matmul_with_batch_heads_count():
    w = load_workload("bert_base", 2, {"seq_len": 64})
    qk = w.by_name()["l0_attn_qk"].op
    assert isinstance(qk, MatMul) and not qk.weights
    assert (qk.count, qk.m, qk.k, qk.n) == (2 * 12, 64, 64, 64)
    kinds = {layer.op.kind for layer in w.layers}
    assert {"softmax", "norm", "activation"} <= kinds
    assert any(getattr(layer.op, "func", "") == "gelu" for layer in w.layers)


def test_gpt2_head_is_tied_and_local_window_shrinks_only_attention():
    full = load_workload("gpt2_small", 1, {"seq_len": 512})
    local = load_workload("gpt2_small", 1, {"seq_len": 512, "local_window": 128})
    head = full.by_name()["lm_head"].op
    assert isinstance(head, SharedWeightMatMul) and head.params == 0 and head.weight_elements == 768 * 50257
    attn = 12 * 2 * 512 * 768
    assert full.macs - local.macs == attn * (512 - 128)


def test_lstm_cost_formula_and_shared_weights():
    w = load_workload("lstm", 2, {"layers": 3, "hidden": 64, "steps": 5, "input_size": 32})
    per_step = 4 * 64 * (32 + 64) + 2 * 4 * 64 * (64 + 64)
    assert w.macs == 2 * 5 * per_step
    assert w.params == 4 * 64 * (32 + 64) + 2 * 4 * 64 * (64 + 64) + 3 * 4 * 64


def test_tpu_stand_ins_match_table1():
    for name, row in TABLE1.items():
        w = load_workload(name)
        assert w.batch == row["batch"]
        counts = table1_layer_counts(w)
        assert counts == {k: row[k] for k in ("fc", "conv", "vector", "pool")}, name
        assert w.params == pytest.approx(row["weights"], rel=0.02), name
        assert w.macs / w.params == pytest.approx(row["macs_per_weight_byte"], rel=0.01), name


def test_bad_settings_are_workload_errors():
    with pytest.raises(WorkloadError, match="seq_len"):
        load_workload("bert_base", 1, {"seq_len": 0})
    with pytest.raises(WorkloadError, match="seq_len"):
        load_workload("bert_base", 1, {"seq_len": 1000})
    with pytest.raises(WorkloadError, match="unknown setting"):
        load_workload("resnet50", 1, {"seq_len": 3})
    assert load_workload("bert_base", 1, {"seq_len": "64"}).settings["seq_len"] == 64


def test_shipped_lenet5_yaml():
    w = load_workload("lenet5")
    assert (w.macs, w.params) == (416_520, 61_706)  # totals stated in the file's header comment
    assert load_workload("lenet5", 4).macs == 4 * 416_520
