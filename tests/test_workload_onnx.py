"""ONNX importer: models built in code with onnx.helper (no downloads)."""
from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

onnx = pytest.importorskip("onnx")
from onnx import TensorProto, helper, numpy_helper

from accelsim.errors import WorkloadError
from accelsim.workload.onnx import load_onnx
from accelsim.workload.ops import Activation, Elementwise, Embedding, MatMul
from accelsim.workload.registry import load_workload


class GraphMaker:
    """A small onnx.helper wrapper. Weights are external-data stubs (shape only), so a full
    ResNet-50 costs a few kilobytes; the importer never reads weight values."""

    def __init__(self):
        self.nodes, self.inits, self.count = [], [], 0

    def fresh(self, prefix: str) -> str:
        self.count += 1
        return f"{prefix}{self.count}"

    def weight(self, dims) -> str:
        t = TensorProto()
        t.name = self.fresh("w")
        t.data_type = TensorProto.FLOAT
        t.dims.extend(int(d) for d in dims)
        t.data_location = TensorProto.EXTERNAL
        for key, value in (("location", "weights.bin"), ("offset", "0"), ("length", str(4 * math.prod(dims)))):
            entry = t.external_data.add()
            entry.key, entry.value = key, value
        self.inits.append(t)
        return t.name

    def const(self, array) -> str:
        name = self.fresh("c")
        self.inits.append(numpy_helper.from_array(np.asarray(array), name))
        return name

    def op(self, op_type: str, inputs, n_out: int = 1, domain: str = "", **attrs):
        outs = [self.fresh(op_type.lower() + "_") for _ in range(n_out)]
        self.nodes.append(helper.make_node(op_type, list(inputs), outs, name=self.fresh(op_type), domain=domain,
                                           **attrs))
        return outs[0] if n_out == 1 else outs

    def save(self, path, inputs, outputs, opset: int = 17, extra_opsets=()):
        graph = helper.make_graph(self.nodes, "test_graph", inputs, outputs, self.inits)
        model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset), *extra_opsets])
        path.write_bytes(model.SerializeToString())
        return path


def tensor(name, shape):
    return helper.make_tensor_value_info(name, TensorProto.FLOAT, shape)


def resnet50_onnx(path):
    g = GraphMaker()
    channels = {"image": 3}

    def conv_bn(x, cout, k, stride, relu):
        cin = channels[x]
        y = g.op("Conv", [x, g.weight((cout, cin, k, k))], kernel_shape=[k, k], strides=[stride, stride],
                 pads=[k // 2] * 4)
        y = g.op("BatchNormalization", [y] + [g.weight((cout,)) for _ in range(4)])
        if relu:
            y = g.op("Relu", [y])
        channels[y] = cout
        return y

    x = conv_bn("image", 64, 7, 2, True)
    x = g.op("MaxPool", [x], kernel_shape=[3, 3], strides=[2, 2], pads=[1, 1, 1, 1])
    channels[x] = 64
    for width, blocks, stride in ((64, 3, 1), (128, 4, 2), (256, 6, 2), (512, 3, 2)):
        for i in range(blocks):
            s = stride if i == 0 else 1
            y = conv_bn(x, width, 1, 1, True)
            y = conv_bn(y, width, 3, s, True)
            y = conv_bn(y, width * 4, 1, 1, False)
            short = conv_bn(x, width * 4, 1, s, False) if i == 0 else x
            x = g.op("Relu", [g.op("Add", [y, short])])
            channels[x] = width * 4
    x = g.op("Flatten", [g.op("GlobalAveragePool", [x])])
    out = g.op("Gemm", [x, g.weight((1000, 2048)), g.weight((1000,))], transB=1)
    return g.save(path, [tensor("image", ["N", 3, 224, 224])], [tensor(out, None)])


def test_resnet50_built_in_code_matches_builtin(tmp_path):
    path = resnet50_onnx(tmp_path / "resnet50.onnx")
    assert path.stat().st_size < 200_000  # weights are stubs
    w = load_onnx(path, batch=1)
    builtin = load_workload("resnet50", 1)
    assert w.macs == 4_089_184_256 == builtin.macs
    assert w.params == 25_557_032
    convs = [layer.op for layer in w.layers if layer.op.kind == "conv2d"]
    assert len(convs) == 53 and convs[0].output_shape == (1, 112, 112, 64)  # NHWC
    assert load_onnx(path, batch=4).macs == 4 * 4_089_184_256
    # the registry routes .onnx files here and passes --batch
    assert load_workload(str(path), 2).macs == 2 * 4_089_184_256


def transformer_block(path, seq=16, d=64, heads=4):
    g = GraphMaker()
    dh = d // heads
    x = "tokens"

    def linear(src, k, n):
        return g.op("Add", [g.op("MatMul", [src, g.weight((k, n))]), g.weight((n,))])

    def split_heads(src, perm):
        return g.op("Transpose", [g.op("Reshape", [src, g.const(np.array([0, 0, heads, dh], np.int64))])], perm=perm)

    ln1 = g.op("LayerNormalization", [x, g.weight((d,)), g.weight((d,))], axis=-1)
    q = split_heads(linear(ln1, d, d), [0, 2, 1, 3])
    k = split_heads(linear(ln1, d, d), [0, 2, 3, 1])
    v = split_heads(linear(ln1, d, d), [0, 2, 1, 3])
    scores = g.op("Div", [g.op("MatMul", [q, k]), g.const(np.array(math.sqrt(dh), np.float32))])
    ctx = g.op("MatMul", [g.op("Softmax", [scores], axis=-1), v])
    ctx = g.op("Reshape", [g.op("Transpose", [ctx], perm=[0, 2, 1, 3]), g.const(np.array([0, 0, d], np.int64))])
    x = g.op("Add", [linear(ctx, d, d), x])
    h = linear(g.op("LayerNormalization", [x, g.weight((d,)), g.weight((d,))], axis=-1), d, 4 * d)
    # GELU exported the Erf way: x * 0.5 * (1 + erf(x / sqrt(2)))
    e = g.op("Erf", [g.op("Div", [h, g.const(np.array(math.sqrt(2), np.float32))])])
    gelu = g.op("Mul", [g.op("Mul", [h, g.op("Add", [e, g.const(np.array(1.0, np.float32))])]),
                        g.const(np.array(0.5, np.float32))])
    out = g.op("Add", [linear(gelu, 4 * d, d), x])
    return g.save(path, [tensor("tokens", ["B", seq, d])], [tensor(out, None)])


def test_transformer_block_with_erf_gelu(tmp_path):
    seq, d = 16, 64
    path = transformer_block(tmp_path / "block.onnx", seq, d)
    w = load_onnx(path)
    assert w.batch == 1
    assert w.macs == 12 * seq * d * d + 2 * seq * seq * d
    assert w.params == 12 * d * d + 9 * d + 4 * d  # 6 FC weights + biases, 2 layer norms
    acts = [layer.op for layer in w.layers if isinstance(layer.op, Activation)]
    assert [a.func for a in acts] == ["gelu"] and acts[0].output_shape == (1, seq, 4 * d)
    assert not any(isinstance(layer.op, Elementwise) and layer.op.func == "erf" for layer in w.layers)
    fcs = [layer.op for layer in w.layers if isinstance(layer.op, MatMul) and layer.op.weights]
    assert len(fcs) == 6 and all(op.bias for op in fcs)  # MatMul + Add(bias) folded
    attn = [layer.op for layer in w.layers if isinstance(layer.op, MatMul) and not layer.op.weights]
    assert [(op.count, op.m, op.k, op.n) for op in attn] == [(4, seq, 16, seq), (4, seq, seq, 16)]
    kinds = {layer.op.kind for layer in w.layers}
    assert {"softmax", "norm", "data_movement"} <= kinds
    three = load_onnx(path, batch=3)
    assert three.macs == 3 * w.macs and three.batch == 3


def lstm_model(path, direction="forward", seq=10, batch=4, in_size=32, hidden=64):
    g = GraphMaker()
    dirs = 2 if direction == "bidirectional" else 1
    y = g.op("LSTM", ["x", g.weight((dirs, 4 * hidden, in_size)), g.weight((dirs, 4 * hidden, hidden)),
                      g.weight((dirs, 8 * hidden))], n_out=3, hidden_size=hidden, direction=direction)
    return g.save(path, [tensor("x", [seq, batch, in_size])], [tensor(y[0], None)])


def test_lstm_node(tmp_path):
    w = load_onnx(lstm_model(tmp_path / "lstm.onnx"))
    assert w.macs == 10 * 4 * 4 * 64 * (32 + 64)  # steps × batch × 4h(x + h)
    assert w.params == 4 * 64 * (32 + 64) + 8 * 64
    funcs = {getattr(layer.op, "func", None) for layer in w.layers}
    assert {"sigmoid", "tanh"} <= funcs
    bi = load_onnx(lstm_model(tmp_path / "bi.onnx", "bidirectional"))
    assert bi.macs == 2 * w.macs and bi.params == 2 * w.params


def test_unsupported_ops_are_listed_in_one_error(tmp_path):
    g = GraphMaker()
    a = g.op("Relu", ["x"])
    b = g.op("Hardmax", [a])
    c = g.op("Mystery", [b], domain="com.acme")
    d = g.op("Round", [c])
    path = g.save(tmp_path / "odd.onnx", [tensor("x", [2, 8])], [tensor(d, None)],
                  extra_opsets=[helper.make_opsetid("com.acme", 1)])
    with pytest.raises(WorkloadError) as info:
        load_onnx(path)
    text = str(info.value)
    assert "odd.onnx" in text and "--allow-unsupported" in text
    for token in ["Hardmax", "com.acme.Mystery", "Round"] + [f"'{n.name}'" for n in g.nodes[1:]]:
        assert token in text
    assert f"'{g.nodes[0].name}'" not in text  # Relu is supported
    assert text.count("unsupported ONNX operator") == 1
    with pytest.warns(UserWarning, match="Hardmax"):
        w = load_onnx(path, allow_unsupported=True)
    generic = [layer.op for layer in w.layers if isinstance(layer.op, Elementwise)]
    assert [op.func for op in generic] == ["onnx_Hardmax", "onnx_Mystery", "onnx_Round"]
    assert all(op.vector_ops == 16 for op in generic)


def test_gemm_transposes_conv_transpose_and_embedding(tmp_path):
    g = GraphMaker()
    gemm = g.op("Gemm", ["a", g.weight((20, 30))], transA=1, transB=1)  # a: (K=30, M=5), B: (N=20, K=30)
    up = g.op("ConvTranspose", ["img", g.weight((8, 4, 3, 3))], strides=[2, 2])
    emb = g.op("Gather", [g.weight((1000, 24)), "ids"])
    path = g.save(tmp_path / "mix.onnx",
                  [tensor("a", [30, 5]), tensor("img", [1, 8, 5, 5]), helper.make_tensor_value_info(
                      "ids", TensorProto.INT64, [1, 7])],
                  [tensor(gemm, None), tensor(up, None), tensor(emb, None)])
    w = load_onnx(path)
    ops = {layer.name: layer.op for layer in w.layers}
    gemm_op = next(op for op in ops.values() if isinstance(op, MatMul) and op.k == 30)
    assert (gemm_op.m, gemm_op.k, gemm_op.n) == (5, 30, 20)
    deconv = next(op for name, op in ops.items() if name.endswith("_gemm"))
    assert deconv.macs == 5 * 5 * 8 * 4 * 9  # input pixels × C_in × C_out × k²
    emb_op = next(op for op in ops.values() if isinstance(op, Embedding))
    assert (emb_op.rows, emb_op.dim, emb_op.lookups, emb_op.output_shape) == (1000, 24, 7, (1, 7, 24))


def test_corrupt_and_wrong_files(tmp_path):
    bad = tmp_path / "garbage.onnx"
    bad.write_bytes(b"\x00\xff this is not protobuf \x12\x34" * 10)
    with pytest.raises(WorkloadError, match="garbage.onnx"):
        load_onnx(bad)
    text = tmp_path / "notes.onnx"
    text.write_text("name: not a model\n")
    with pytest.raises(WorkloadError, match="notes.onnx"):
        load_onnx(text)
    with pytest.raises(WorkloadError, match="no such workload file"):
        load_workload(str(tmp_path / "missing.onnx"))


def test_constant_shape_arithmetic_is_folded(tmp_path):
    g = GraphMaker()
    shp = g.op("Shape", ["x"])
    first = g.op("Gather", [shp, g.const(np.array([0], np.int64))], axis=0)
    new_shape = g.op("Concat", [first, g.const(np.array([-1], np.int64))], axis=0)
    y = g.op("Reshape", ["x", new_shape])
    path = g.save(tmp_path / "shape.onnx", [tensor("x", [3, 4, 5])], [tensor(y, None)])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        w = load_onnx(path)
    assert [layer.op.kind for layer in w.layers] == ["input", "data_movement"]
    assert w.layers[-1].op.output_shape == (3, 20)


@pytest.mark.parametrize("order", ["x_then_half", "half_then_x", "half_x_first", "gelu_op"])
def test_gelu_variants_fold_to_one_activation(tmp_path, order):
    g = GraphMaker()
    x = g.op("MatMul", ["t", g.weight((8, 8))])
    if order == "gelu_op":
        y = g.op("Gelu", [x])
        opset = 20
    else:
        opset = 17
        e = g.op("Erf", [g.op("Div", [x, g.const(np.array(1.4142135, np.float32))])])
        one = g.op("Add", [g.const(np.array(1.0, np.float32)), e])
        half = g.const(np.array(0.5, np.float32))
        if order == "x_then_half":
            y = g.op("Mul", [g.op("Mul", [x, one]), half])
        elif order == "half_then_x":
            y = g.op("Mul", [g.op("Mul", [one, half]), x])
        else:
            y = g.op("Mul", [g.op("Mul", [x, half]), one])
    out = g.op("MatMul", [y, g.weight((8, 4))])
    w = load_onnx(g.save(tmp_path / f"{order}.onnx", [tensor("t", [2, 8])], [tensor(out, None)], opset=opset))
    kinds = [(layer.op.kind, getattr(layer.op, "func", None)) for layer in w.layers]
    assert kinds == [("input", None), ("matmul", None), ("activation", "gelu"), ("matmul", None)]
    # the second FC reads the GELU's output
    assert w.layers[-1].inputs == (w.layers[2].name,)


def test_split_slice_concat_and_pools(tmp_path):
    g = GraphMaker()
    a, b = g.op("Split", ["x", g.const(np.array([3, 5], np.int64))], n_out=2, axis=1)
    s = g.op("Slice", [b, g.const(np.array([1], np.int64)), g.const(np.array([4], np.int64)),
                       g.const(np.array([1], np.int64))])
    c = g.op("Concat", [a, s], axis=1)
    p = g.op("MaxPool", [c], kernel_shape=[3, 3], strides=[2, 2], ceil_mode=1)
    q = g.op("AveragePool", [p], kernel_shape=[2, 2], auto_pad="SAME_UPPER")
    r = g.op("ReduceMean", [q], axes=[2, 3], keepdims=1)
    w = load_onnx(g.save(tmp_path / "moves.onnx", [tensor("x", [1, 8, 16, 16])], [tensor(r, None)]))
    ops = [layer.op for layer in w.layers]
    assert [op.kind for op in ops] == ["input", "data_movement", "data_movement", "data_movement", "data_movement",
                                       "pool", "pool", "elementwise"]
    assert ops[4].output_shape == (1, 16, 16, 6)  # NHWC: 3 + 3 channels
    assert ops[5].output_shape == (1, 8, 8, 6)  # ceil((16 - 3) / 2) + 1
    assert ops[6].output_shape == (1, 8, 8, 6)


def test_torch_exported_encoder_layer_with_dynamic_batch(tmp_path):
    """Exporters compute reshape targets at run time (Shape -> Gather -> Concat -> Reshape); the
    importer folds that arithmetic so shapes are known at any batch."""
    torch = pytest.importorskip("torch")
    class Encoder(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.layer = torch.nn.TransformerEncoderLayer(64, 4, 256, dropout=0.0, activation="gelu",
                                                          batch_first=True)

        def forward(self, x):
            return self.layer(x)

    layer = Encoder().eval()
    path = tmp_path / "encoder.onnx"
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            torch.onnx.export(layer, (torch.randn(2, 16, 64),), str(path), dynamo=False, opset_version=17,
                              input_names=["x"], dynamic_axes={"x": {0: "batch"}})
    except Exception as exc:  # noqa: BLE001 - exporter availability differs between torch builds
        pytest.skip(f"torch.onnx.export unavailable: {exc}")
    per_sample = 12 * 16 * 64 * 64 + 2 * 16 * 16 * 64  # QKV + out + FFN(4d), QK^T and ·V
    for batch in (1, 3):
        w = load_onnx(path, batch=batch)
        assert w.macs == batch * per_sample
        assert w.params == sum(p.numel() for p in layer.parameters())
    assert [getattr(layer.op, "func", None) for layer in w.layers].count("gelu") == 1


@settings(max_examples=60, deadline=None)
@given(size=st.integers(5, 20), k=st.integers(1, 5), stride=st.integers(1, 3), dil=st.integers(1, 2),
       pads=st.tuples(*[st.integers(0, 2)] * 4), groups=st.sampled_from([1, 2]),
       auto=st.sampled_from(["NOTSET", "SAME_UPPER", "SAME_LOWER", "VALID"]), pool=st.booleans(),
       ceil=st.booleans())
def test_window_arithmetic_agrees_with_onnx_shape_inference(tmp_path_factory, size, k, stride, dil, pads, groups,
                                                            auto, pool, ceil):
    # a pool pad as wide as its window is refused (test_pool_padding_as_wide_as_the_window_is_refused)
    assume(dil * (k - 1) + 1 <= size and not (pool and auto == "NOTSET" and max(pads) >= k))
    g = GraphMaker()
    attrs = {"kernel_shape": [k, k], "strides": [stride, stride]}
    if auto == "NOTSET":
        attrs["pads"] = list(pads)
    else:
        attrs["auto_pad"] = auto
    if pool:
        y = g.op("MaxPool", ["x"], ceil_mode=int(ceil and auto == "NOTSET"), **attrs)
    else:
        y = g.op("Conv", ["x", g.weight((4, 4 // groups, k, k))], group=groups, dilations=[dil, dil], **attrs)
    path = g.save(tmp_path_factory.mktemp("win") / "w.onnx", [tensor("x", [1, 4, size, size + 1])],
                  [tensor(y, None)])
    op = load_onnx(path).layers[-1].op  # the importer raises if its shape disagrees with ONNX's
    if not pool:
        _, ho, wo, _ = op.output_shape
        assert op.macs == ho * wo * 4 * (4 // groups) * k * k


def test_pool_padding_as_wide_as_the_window_is_refused(tmp_path):
    """ONNX shape inference accepts a pad as wide as the window (a window over padding only); the
    importer refuses it as ONNX Runtime does, and one pad narrower is accepted."""
    for pad, refused in ((2, True), (1, False)):
        g = GraphMaker()
        y = g.op("MaxPool", ["x"], kernel_shape=[2, 2], strides=[2, 2], pads=[0, 0, pad, pad])
        path = g.save(tmp_path / f"p{pad}.onnx", [tensor("x", [1, 4, 8, 8])], [tensor(y, None)])
        if refused:
            with pytest.raises(WorkloadError, match="must be smaller than the 2x2 window"):
                load_onnx(path)
        else:
            assert load_onnx(path).layers[-1].op.output_shape == (1, 4, 4, 4)


@pytest.mark.parametrize("command", ["run", "compare"])
def test_allow_unsupported_reaches_the_loader_of_every_command(command, tmp_path, cli):
    g = GraphMaker()
    y = g.op("Hardmax", [g.op("Relu", ["x"])])
    path = g.save(tmp_path / "odd.onnx", [tensor("x", [2, 8])], [tensor(y, None)])
    argv = [command, "--arch", "tpu_v1", "--workload", str(path), "--gpu", "none"]
    status, _, err = cli(*argv)
    assert status == 2 and "--allow-unsupported" in err
    status, _, err = cli(*argv, "--allow-unsupported")
    assert status == 0 and "costing unsupported ONNX operators" in err and "Hardmax" in err, err
