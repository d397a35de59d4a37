"""Expand composite operators (LSTM and GRU cells, multi-head attention) into primitive layers.

The lowering schedules primitive ops only. A composite layer becomes a short chain of primitive
layers — its matrix products on the matrix unit, its gate and softmax arithmetic on the vector
unit — so the report shows each part (gate GEMM, gate activations, state update, softmax) as its
own layer. The chain's last layer keeps the composite's name, so its consumers read it unchanged;
the others are named ``<layer>/<part>``. MACs, parameters and element operations are preserved:
the parts add up to the composite's counts (tests check this).
"""
from __future__ import annotations

import dataclasses

from ..errors import WorkloadError
from ..workload import ops as O
from ..workload.graph import Layer, Workload

COMPOSITES = (O.LstmCell, O.GruCell, O.MultiHeadAttention)


def _lstm(layer: Layer, op: O.LstmCell) -> list[Layer]:
    name, (x, h_prev, c_prev) = layer.name, _inputs(layer, 3)
    b, h = op.batch, op.hidden
    shape = (b, h)
    gates = Layer(f"{name}/gates", O.MatMul(b, op.input_size + h, 4 * h, 1, True, op.bias, (b, 4 * h)), (x, h_prev), layer.phase)
    sig = Layer(f"{name}/sigmoid_ifo", O.Activation((b, 3 * h), "sigmoid"), (gates.name,), layer.phase)
    tanh_g = Layer(f"{name}/tanh_g", O.Activation(shape, "tanh"), (gates.name,), layer.phase)
    # c = f⊙c_prev + i⊙g (3 element ops: inputs=4 counts three)
    cell = Layer(f"{name}/cell", O.Elementwise(shape, "lstm_cell_update", 4), (sig.name, c_prev, tanh_g.name), layer.phase)
    # h = o⊙tanh(c) (2 element ops)
    out = Layer(name, O.Elementwise(shape, "tanh_mul", 3), (sig.name, cell.name), layer.phase)
    return [gates, sig, tanh_g, cell, out]


def _gru(layer: Layer, op: O.GruCell) -> list[Layer]:
    name, (x, h_prev) = layer.name, _inputs(layer, 2)
    b, h = op.batch, op.hidden
    shape = (b, h)
    gx = Layer(f"{name}/input_gates", O.MatMul(b, op.input_size, 3 * h, 1, True, op.bias, (b, 3 * h)), (x,), layer.phase)
    gh = Layer(f"{name}/hidden_gates", O.MatMul(b, h, 3 * h, 1, True, op.bias, (b, 3 * h)), (h_prev,), layer.phase)
    # r, z = σ(gx + gh) on 2h columns: add, sigmoid (inputs=3 counts two element ops)
    rz = Layer(f"{name}/reset_update", O.Elementwise((b, 2 * h), "gru_rz", 3), (gx.name, gh.name), layer.phase)
    # n = tanh(gx_n + r⊙gh_n): mul, add, tanh (inputs=4 counts three)
    cand = Layer(f"{name}/candidate", O.Elementwise(shape, "gru_candidate", 4), (rz.name, gx.name, gh.name), layer.phase)
    # h = n + z⊙(h_prev − n): sub, mul, add
    out = Layer(name, O.Elementwise(shape, "gru_update", 4), (rz.name, cand.name, h_prev), layer.phase)
    return [gx, gh, rz, cand, out]


def _attention(layer: Layer, op: O.MultiHeadAttention) -> list[Layer]:
    name, (q, k, v) = layer.name, _inputs(layer, 3)
    bh, dh = op.batch * op.heads, op.head_dim
    scores_shape = (op.batch, op.heads, op.seq_q, op.seq_kv)
    qk = Layer(f"{name}/qk", O.MatMul(op.seq_q, dh, op.seq_kv, bh, False, False, scores_shape), (q, k), layer.phase)
    chain = [qk, Layer(f"{name}/scale", O.Elementwise(scores_shape, "mul", 1), (qk.name,), layer.phase)]
    if op.causal:
        chain.append(Layer(f"{name}/causal_mask", O.Elementwise(scores_shape, "mask_select", 1), (chain[-1].name,), layer.phase))
    chain.append(Layer(f"{name}/softmax", O.Softmax(scores_shape), (chain[-1].name,), layer.phase))
    chain.append(Layer(name, O.MatMul(op.seq_q, op.seq_kv, dh, bh, False, False, op.output_shape),
                       (chain[-1].name, v), layer.phase))
    return chain


def _inputs(layer: Layer, n: int) -> tuple[str, ...]:
    if len(layer.inputs) != n:
        raise WorkloadError(f"layer '{layer.name}' ({layer.op.kind}) needs {n} inputs, got {len(layer.inputs)}: "
                            f"{', '.join(layer.inputs) or 'none'}")
    return layer.inputs


def expand_layer(layer: Layer) -> list[Layer]:
    """The primitive layers computing ``layer`` (``[layer]`` itself when it is already primitive)."""
    op = layer.op
    if isinstance(op, O.LstmCell):
        return _lstm(layer, op)
    if isinstance(op, O.GruCell):
        return _gru(layer, op)
    if isinstance(op, O.MultiHeadAttention):
        return _attention(layer, op)
    return [layer]


def expand_composites(workload: Workload) -> Workload:
    """``workload`` with every composite layer replaced by its primitive chain (same object if none)."""
    if not any(isinstance(layer.op, COMPOSITES) for layer in workload.layers):
        return workload
    layers: list[Layer] = []
    for layer in workload.layers:
        layers.extend(expand_layer(layer))
    return dataclasses.replace(workload, layers=tuple(layers))
