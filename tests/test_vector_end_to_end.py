"""End to end through the API: transformer and recurrent networks on TPU v1 and v2 report their
vector-unit work (softmax, layer norm, gates) as separate layers; depthwise layers on TPU v1 show low
utilization with the reason; composite ops run; an unknown operator is a clear error."""
from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import pytest

from accelsim.api import simulate
from accelsim.errors import WorkloadError
from accelsim.workload import ops as O
from accelsim.workload.graph import Layer, Workload, WorkloadBuilder


def _vector_layers(result, fragment):
    return [r for r in result.layers if fragment in r.op and r.unit == "vector"]


@pytest.mark.parametrize("arch", ["tpu_v1", "tpu_v2"])
def test_bert_base_softmax_and_layer_norm_are_vector_layers(arch):
    r = simulate(arch, "bert_base")
    assert r.totals.macs == pytest.approx(11.174e9, rel=1e-3)
    softmax = _vector_layers(r, "softmax")
    norms = _vector_layers(r, "norm")
    assert len(softmax) == 12 and len(norms) == 25  # one softmax per layer; embedding LN + 2 per layer
    for layer in softmax + norms:
        assert layer.cycles_by_cause["vector"] > 0 and layer.macs == 0
        assert "cross-lane tree" in " ".join(layer.extra["notes"])
    # softmax over 12 x 128 x 128 scores costs more vector time than a 128 x 768 layer norm
    assert softmax[0].cycles_by_cause["vector"] > norms[1].cycles_by_cause["vector"]
    assert r.totals.cycles_by_cause["vector"] > 0


@pytest.mark.parametrize("arch", ["tpu_v1", "tpu_v2"])
@pytest.mark.parametrize("workload,steps", [("lstm", 100), ("tpu_lstm0", 1)])
def test_lstm_gates_are_vector_layers(arch, workload, steps):
    r = simulate(arch, workload)
    sigmoid, tanh = _vector_layers(r, "sigmoid"), _vector_layers(r, "tanh")
    cells = 2 * steps if workload == "lstm" else 6
    assert len(sigmoid) == cells
    assert len(tanh) >= cells
    assert all(layer.cycles_by_cause["vector"] > 0 for layer in sigmoid + tanh)
    assert any(layer.unit == "matrix" and layer.macs for layer in r.layers)  # the gate products


def test_mobilenet_v1_depthwise_layers_have_low_utilization_with_the_reason():
    r = simulate("tpu_v1", "mobilenet_v1")
    dw = [layer for layer in r.layers if layer.name.endswith("_dw")]
    pw = [layer for layer in r.layers if layer.name.endswith("_pw")]
    assert len(dw) == len(pw) == 13
    for layer in dw:
        # 9 of 256 rows and 1 of 256 columns hold weights: at most 0.014 % of the array is useful
        assert layer.utilization < 0.0002
        assert layer.extra["mapping_efficiency"] <= 9 / 65536 + 1e-9
        notes = " ".join(layer.extra["notes"])
        assert "depthwise" in notes and "low utilization" in notes and "0.01%" in notes
    assert min(p.utilization for p in pw) > 10 * max(d.utilization for d in dw)


def _cells_and_attention() -> Workload:
    b = WorkloadBuilder("cells", 8)
    x = b.input("x", (8, 64))
    h = b.input("h", (8, 128))
    c = b.input("c", (8, 128))
    lstm = b.add("lstm", O.LstmCell(8, 64, 128), (x, h, c))
    b.add("gru", O.GruCell(8, 128, 128), (lstm, h))
    q = b.input("q", (2, 32, 64))
    b.add("attn", O.MultiHeadAttention(2, 32, 32, 64, 4, causal=True), (q, q, q))
    return b.build()


def test_composite_operators_run_as_their_parts():
    w = _cells_and_attention()
    r = simulate("tpu_v2", w)
    names = {layer.name: layer for layer in r.layers}
    assert r.totals.macs == w.macs
    assert names["lstm/gates"].unit == "matrix" and names["lstm/gates"].macs == 8 * 4 * 128 * (64 + 128)
    for part in ("lstm/sigmoid_ifo", "lstm/tanh_g", "lstm", "gru/reset_update", "gru", "attn/softmax", "attn/causal_mask"):
        assert names[part].unit == "vector" and names[part].cycles_by_cause["vector"] > 0, part
    assert names["attn/qk"].unit == names["attn"].unit == "matrix"


@dataclass(frozen=True)
class Mystery(O.Op):
    kind: ClassVar[str] = "mystery_op"
    shape: tuple[int, ...] = (1, 4)

    @property
    def output_shape(self):
        return self.shape

    @property
    def input_elements(self) -> int:
        return 4


def test_unknown_operator_is_a_clear_error_naming_op_and_layer():
    w = Workload("odd", 1, (Layer("x", O.Input((1, 4)), ()), Layer("strange_layer", Mystery(), ("x",))))
    with pytest.raises(WorkloadError) as info:
        simulate("tpu_v1", w)
    message = str(info.value)
    assert "strange_layer" in message and "mystery_op" in message and "conv2d" in message
    assert info.value.exit_status == 2
