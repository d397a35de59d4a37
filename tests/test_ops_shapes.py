"""Every operator's shape rule and MAC / parameter / element-op count against hand-computed values,
and the composite operators' expansion into primitive layers (counts preserved)."""
from __future__ import annotations

import pytest

from accelsim.errors import WorkloadError
from accelsim.lower.composite import expand_composites, expand_layer
from accelsim.workload import ops as O
from accelsim.workload.graph import Layer, WorkloadBuilder


def test_conv2d_stride_padding_dilation_groups():
    # 15x15, kernel 3 dilated by 2 spans 5; pad 1 each side, stride 2: (15 + 2 - 5) // 2 + 1 = 7
    op = O.Conv2d(2, 15, 15, 6, 8, 3, 3, 2, 2, 1, 1, 1, 1, dilation=2, groups=2, bias=True)
    op.validate()
    assert op.output_shape == (2, 7, 7, 8)
    # each output: 3x3 taps x 3 input channels of its group = 27 MACs; 2*7*7*8 = 784 outputs
    assert op.macs == 784 * 27 == 21168
    assert (op.gemm_m, op.gemm_k, op.gemm_n) == (98, 27, 4)
    assert op.params == 3 * 3 * 3 * 8 + 8 == 224
    assert op.vector_ops == 784  # the bias add
    assert op.input_elements == 2 * 15 * 15 * 6


def test_depthwise_and_pointwise_conv():
    dw = O.Conv2d(1, 112, 112, 32, 32, 3, 3, 1, 1, 1, 1, 1, 1, groups=32)
    assert dw.is_depthwise and dw.output_shape == (1, 112, 112, 32)
    assert dw.macs == 112 * 112 * 32 * 9 == 3612672
    assert dw.params == 288
    pw = O.Conv2d(1, 14, 14, 512, 512, 1, 1)
    assert not pw.is_depthwise
    assert pw.macs == 196 * 512 * 512 == 51380224
    assert pw.params == 512 * 512


@pytest.mark.parametrize("kwargs,fragment", [
    ({"groups": 4}, "groups=4 must divide"),
    ({"kernel_h": 20}, "does not fit"),
    ({"stride_h": 0}, "stride_h must be a positive integer"),
])
def test_conv2d_rejects_bad_parameters(kwargs, fragment):
    base = {"batch": 1, "in_h": 8, "in_w": 8, "in_channels": 6, "out_channels": 6, "kernel_h": 3, "kernel_w": 3}
    with pytest.raises(WorkloadError, match=fragment):
        O.Conv2d(**{**base, **kwargs}).validate()


def test_fc_and_batched_matmul():
    fc = O.MatMul(128, 768, 3072, 1, True, True, (1, 128, 3072))
    assert fc.output_shape == (1, 128, 3072)
    assert fc.macs == 128 * 768 * 3072 == 301989888
    assert fc.params == 768 * 3072 + 3072
    assert fc.vector_ops == 128 * 3072
    bmm = O.MatMul(128, 64, 128, 12, False)
    assert bmm.output_shape == (12, 128, 128)
    assert bmm.macs == 12 * 128 * 64 * 128 == 12582912
    assert bmm.params == 0
    assert bmm.input_elements == 2 * 12 * 128 * 64  # both operands are activations


def test_lstm_cell_counts():
    op = O.LstmCell(batch=4, input_size=10, hidden=20)
    assert op.output_shape == (4, 20)
    assert op.macs == 4 * 4 * 20 * (10 + 20) == 9600  # 4h(x+h) per batch row
    assert op.params == 4 * 20 * 30 + 4 * 20 == 2480
    # per element of h: bias 4, sigmoid 3, tanh(g) 1, c update 3, tanh(c) 1, o*tanh(c) 1 = 13
    assert op.vector_ops == 4 * 20 * 13
    assert op.input_elements == 4 * (10 + 2 * 20)


def test_gru_cell_counts():
    op = O.GruCell(batch=4, input_size=10, hidden=20)
    assert op.output_shape == (4, 20)
    assert op.macs == 4 * 3 * 20 * 30 == 7200  # 3h(x+h) per batch row
    assert op.params == 3 * 20 * 30 + 6 * 20 == 1920  # PyTorch keeps b_ih and b_hh apart
    # per element of h: bias 6 (two products), gx + gh and sigmoid on r, z 4, candidate 3, update 3
    assert op.vector_ops == 4 * 20 * 16
    assert O.GruCell(4, 10, 20, bias=False).params == 1800


def test_attention_counts_and_causal_mask():
    op = O.MultiHeadAttention(batch=2, seq_q=16, seq_kv=16, d_model=64, heads=4, causal=True)
    op.validate()
    assert op.head_dim == 16 and op.output_shape == (2, 16, 64)
    assert op.scores == 2 * 4 * 16 * 16 == 2048
    assert op.macs == 2 * 2048 * 16 == 65536  # QK^T and .V
    assert op.vector_ops == 2048 * (1 + 1 + 5)  # scale, mask, softmax
    assert O.MultiHeadAttention(2, 16, 16, 64, 4).vector_ops == 2048 * 6
    with pytest.raises(WorkloadError, match="must divide d_model"):
        O.MultiHeadAttention(1, 4, 4, 10, 3).validate()
    with pytest.raises(WorkloadError, match="seq_kv >= seq_q"):
        O.MultiHeadAttention(1, 8, 4, 16, 2, causal=True).validate()


def test_norms_pools_activations_softmax_elementwise():
    ln = O.Norm((2, 128, 768), "layer", 768)
    assert ln.vector_ops == 7 * 2 * 128 * 768 and ln.params == 2 * 768 and ln.weight_elements == 1536
    bn = O.Norm((1, 7, 7, 64), "batch", 64)
    assert bn.vector_ops == 2 * 3136 and bn.weight_elements == 4 * 64  # scale, shift, mean, variance
    mp = O.Pool(1, 112, 112, 64, 3, 3, 2, 2, 1, 1, 1, 1, "max")
    assert mp.output_shape == (1, 56, 56, 64)  # (112 + 2 - 3) // 2 + 1
    assert mp.vector_ops == 56 * 56 * 64 * 9
    ceil_pool = O.Pool(1, 112, 112, 64, 3, 3, 2, 2, func="max", ceil_mode=True)
    assert ceil_pool.output_shape == (1, 56, 56, 64)  # ceil((112 - 3) / 2) + 1
    gp = O.Pool(1, 7, 7, 2048, 7, 7, func="global_avg")
    assert gp.output_shape == (1, 1, 1, 2048) and gp.vector_ops == 7 * 7 * 2048
    assert O.Softmax((2, 3, 5)).vector_ops == 150
    add3 = O.Elementwise((4, 5), "add", 3)
    assert add3.vector_ops == 40 and add3.input_elements == 60
    gelu = O.Activation((2, 8), "gelu")
    gelu.validate()
    assert gelu.vector_ops == 16
    with pytest.raises(WorkloadError, match="unknown activation 'swish2'"):
        O.Activation((2,), "swish2").validate()


def test_data_movement_and_embedding():
    b = WorkloadBuilder("t", 1)
    x = b.input("x", (1, 4, 4, 3))
    y = b.input("y", (1, 4, 4, 5))
    cat = b.concat("cat", [x, y])
    t = b.reshape("t", cat, (1, 8, 4, 4), "transpose", copies=True)
    f = b.flatten("f", t)
    w = b.build().by_name()
    assert w[cat].op.output_shape == (1, 4, 4, 8) and w[cat].op.copies
    assert w[t].op.output_elements == 128 and w[t].op.copies
    assert w[f].op.output_shape == (1, 128) and not w[f].op.copies
    emb = O.Embedding(30522, 768, 128, (1, 128, 768))
    assert emb.output_shape == (1, 128, 768)
    assert emb.params == 30522 * 768 == 23440896
    assert emb.weight_elements == 128 * 768  # only the gathered rows are read
    assert emb.macs == 0


def _sum(layers, attr):
    return sum(getattr(layer.op, attr) for layer in layers)


@pytest.mark.parametrize("op,inputs", [
    (O.LstmCell(4, 10, 20), ("x", "h", "c")),
    (O.GruCell(4, 10, 20), ("x", "h")),
    (O.MultiHeadAttention(2, 16, 16, 64, 4, causal=True), ("q", "k", "v")),
    (O.MultiHeadAttention(2, 16, 32, 64, 4), ("q", "k", "v")),
])
def test_composite_expansion_preserves_counts(op, inputs):
    layer = Layer("cell", op, inputs)
    parts = expand_layer(layer)
    assert parts[-1].name == "cell"  # consumers keep reading the composite's name
    assert all(p.name.startswith("cell/") for p in parts[:-1])
    assert _sum(parts, "macs") == op.macs
    assert _sum(parts, "params") == op.params
    assert _sum(parts, "vector_ops") == op.vector_ops
    assert parts[-1].op.output_elements == op.output_elements


def test_expand_composites_keeps_graph_order_and_inputs():
    b = WorkloadBuilder("cells", 4)
    x = b.input("x", (4, 10))
    h = b.input("h", (4, 20))
    c = b.input("c", (4, 20))
    cell = b.add("cell", O.LstmCell(4, 10, 20), (x, h, c))
    b.act("out", cell, "relu")
    w = b.build()
    expanded = expand_composites(w)
    names = [layer.name for layer in expanded.layers]
    assert names == ["x", "h", "c", "cell/gates", "cell/sigmoid_ifo", "cell/tanh_g", "cell/cell", "cell", "out"]
    assert expanded.macs == w.macs == 9600
    assert expanded.by_name()["cell/gates"].inputs == ("x", "h")
    with pytest.raises(WorkloadError, match="needs 3 inputs"):
        expand_layer(Layer("bad", O.LstmCell(4, 10, 20), ("x",)))


@pytest.mark.parametrize("func", ["relu", "relu6", "sigmoid", "tanh", "gelu", "silu", "identity"])
def test_activations_count_one_op_per_element(func):
    op = O.Activation((3, 7), func)
    op.validate()
    assert (op.output_shape, op.vector_ops, op.macs, op.params) == ((3, 7), 21, 0, 0)


def test_residual_add_and_split():
    b = WorkloadBuilder("res", 1)
    x = b.input("x", (1, 8, 8, 16))
    y = b.act("y", x, "relu")
    add = b.eltwise("add", [x, y])
    w = b.build().by_name()
    assert w[add].op.vector_ops == 8 * 8 * 16 and w[add].op.input_elements == 2 * 8 * 8 * 16
    with pytest.raises(WorkloadError, match="different shapes"):
        b.eltwise("bad", [x, b.input("z", (1, 4, 4, 16))])
    split = O.DataMovement((1, 8, 8, 16), (1, 8, 8, 8), "split", True)
    assert (split.input_elements, split.output_elements, split.macs) == (1024, 512, 0)


def test_op_types_lists_every_kind_once_under_its_own_name():
    assert all(cls.kind == kind for kind, cls in O.OP_TYPES.items())

    def subclasses(cls):
        for sub in cls.__subclasses__():
            yield sub
            yield from subclasses(sub)

    public = {cls for cls in subclasses(O.Op) if cls.__module__ == O.__name__ and not cls.__name__.startswith("_")}
    assert {cls.kind for cls in public} == set(O.OP_TYPES)
    # the shared-weight variants are their base kinds, not kinds of their own
    assert O.SharedWeightMatMul.kind == "matmul" and O.SharedWeightConv2d.kind == "conv2d"
    assert not hasattr(O, "_cls")
