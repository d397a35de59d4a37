"""Stacked LSTM, unrolled over time, and the LSTM cell shared with the TPU v1 stand-ins.

A cell computes gates = [x; h_prev]·W + b (4·h·(x + h) MACs per step per layer, shared reference
workloads.md), i, f, o = sigmoid, g = tanh, c = f⊙c_prev + i⊙g, h = o⊙tanh(c). Each unrolled step
is its own set of layers; the weights belong to the first step's matmul and later steps read them
through :class:`~accelsim.workload.ops.SharedWeightMatMul`, so parameters are counted once.
Default (2 layers × 1024 hidden, input 1024, 100 steps): 1.6777 GMACs, 16.79 M parameters.
"""
from __future__ import annotations

from ..graph import Workload, WorkloadBuilder
from ..ops import Activation, DataMovement, Elementwise, MatMul, SharedWeightMatMul
from . import ZooEntry, positive_setting


def gate_matmul(b: WorkloadBuilder, name: str, inputs: tuple[str, ...], k: int, n: int,
                owner: str | None) -> str:
    """One FC over the concatenation of ``inputs`` (``k`` features in all) to ``n`` outputs, with bias.
    ``owner`` names the layer holding the weights when this step reuses them."""
    m = b.shape(inputs[0])[0]
    if owner is None:
        op = MatMul(m, k, n, 1, True, True, (m, n))
    else:
        op = SharedWeightMatMul(m, k, n, 1, True, True, (m, n), owner)
    return b.add(name, op, inputs)


def lstm_cell(b: WorkloadBuilder, name: str, x: str, h_prev: str, c_prev: str, hidden: int,
              owners: tuple[str, ...] | None = None, gate_fcs: int = 1, fused_update: bool = False
              ) -> tuple[str, str, tuple[str, ...]]:
    """Add one LSTM cell step; returns (h, c, names of the gate matmuls that own weights).

    ``gate_fcs`` = 1 computes all four gates in one (x + h) × 4h product; 4 uses one product per
    gate. ``fused_update`` merges c = f⊙c + i⊙g into one 4-input elementwise layer and o⊙tanh(c)
    into one, instead of five separate vector layers (same element operations).
    """
    batch, x_features = b.shape(x)
    k = x_features + b.shape(h_prev)[-1]
    width = 4 * hidden // gate_fcs
    gates = []
    for g in range(gate_fcs):
        suffix = "gates" if gate_fcs == 1 else f"gate{'ifgo'[g]}"
        gates.append(gate_matmul(b, f"{name}_{suffix}", (x, h_prev), k, width, owners[g] if owners else None))
    shape = (batch, hidden)
    sig = b.add(f"{name}_sigmoid", Activation((batch, 3 * hidden), "sigmoid"), tuple(gates[:3]))
    tanh_g = b.add(f"{name}_tanh_g", Activation(shape, "tanh"), (gates[-1],))
    if fused_update:
        # c = f*c + i*g: 3 element ops; h = o*tanh(c): 2 (inputs=3 makes Elementwise count two)
        c = b.add(f"{name}_c", Elementwise(shape, "lstm_cell_update", 4), (sig, c_prev, tanh_g))
        h = b.add(f"{name}_h", Elementwise(shape, "tanh_mul", 3), (sig, c))
    else:
        fc = b.add(f"{name}_f_c", Elementwise(shape, "mul", 2), (sig, c_prev))
        ig = b.add(f"{name}_i_g", Elementwise(shape, "mul", 2), (sig, tanh_g))
        c = b.add(f"{name}_c", Elementwise(shape, "add", 2), (fc, ig))
        tanh_c = b.add(f"{name}_tanh_c", Activation(shape, "tanh"), (c,))
        h = b.add(f"{name}_h", Elementwise(shape, "mul", 2), (sig, tanh_c))
    return h, c, tuple(gates)


def lstm(batch: int = 1, layers: int = 2, hidden: int = 1024, steps: int = 100, input_size: int = 1024) -> Workload:
    """A stack of ``layers`` LSTM layers unrolled over ``steps`` time steps."""
    layers = positive_setting("layers", layers)
    hidden = positive_setting("hidden", hidden)
    steps = positive_setting("steps", steps)
    input_size = positive_setting("input_size", input_size)
    settings = {"layers": layers, "hidden": hidden, "steps": steps, "input_size": input_size}
    b = WorkloadBuilder("lstm", batch, f"LSTM, {layers} layers x {hidden} hidden, {steps} steps",
                        "Hochreiter & Schmidhuber 1997; cost 4h(x+h) MACs per step per layer (workloads.md)",
                        settings)
    seq = b.input("sequence", (batch, steps, input_size))
    state = []
    for layer in range(layers):
        h0 = b.input(f"l{layer}_h0", (batch, hidden))
        c0 = b.input(f"l{layer}_c0", (batch, hidden))
        state.append((h0, c0))
    owners: list[tuple[str, ...] | None] = [None] * layers
    for t in range(steps):
        x = b.add(f"x_t{t}", DataMovement((batch, steps, input_size), (batch, input_size), "slice"), (seq,))
        for layer in range(layers):
            h, c = state[layer]
            h, c, gates = lstm_cell(b, f"l{layer}_t{t}", x, h, c, hidden, owners[layer])
            if owners[layer] is None:
                owners[layer] = gates
            state[layer] = (h, c)
            x = h
    return b.build()


WORKLOADS = {
    "lstm": ZooEntry(lstm, 1, "Stacked LSTM unrolled over time (2 x 1024, 100 steps: 1.68 GMACs)",
                     "Hochreiter & Schmidhuber 1997",
                     {"layers": 2, "hidden": 1024, "steps": 100, "input_size": 1024}),
}
