"""Training graphs: a forward workload plus its backward pass and optimizer updates.

:func:`to_training` keeps the forward layers (phase ``"forward"``) and appends, in reverse order,
the gradient layers (phase ``"backward"``) and one parameter update per trained layer (phase
``"optimizer"``). Work is counted as the shared reference workloads.md counts it: a training step
costs about 3× the forward MACs (forward, input-gradient and weight-gradient GEMMs) plus optimizer
updates that are pure vector work.

- Conv2d / MatMul with weights: an input-gradient product and a weight-gradient product, each with
  exactly the forward MACs. A stride-1 "same" convolution's input gradient is itself a convolution
  (over dY with the filters transposed); other convolutions use the GEMM form dX_col = dY·Wᵀ plus a
  col2im accumulation as vector work. Bias gradients are reductions (vector work).
- MatMul between activations (attention): a gradient product for each operand (2× forward MACs).
- Activations, norms, pooling, softmax, elementwise ops and embeddings: vector work per element
  (see ``_VECTOR_GRAD_OPS``); data movement is undone by the inverse movement.
- No input gradient is computed for a layer whose inputs need none (e.g. the first convolution,
  which reads the image), and a tensor read by several layers gets a gradient-sum layer.
- Optimizer updates, per parameter: SGD 2 element ops (w -= lr·g), momentum 4 (v = μv + g;
  w -= lr·v), Adam 12 (two moment updates, bias-corrected step with a square root and a division);
  workloads.md gives SGD ~2, momentum ~4, Adam ~10–15. Optimizer state (elements and bytes at
  32 bits) is recorded in the workload's ``settings``.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

from ..errors import WorkloadError
from . import ops as O
from .graph import Layer, Workload, WorkloadBuilder


@dataclass(frozen=True)
class Optimizer:
    """An optimizer's cost: element operations per parameter per step and state elements per parameter."""

    name: str
    ops_per_weight: int
    state_per_weight: int


OPTIMIZERS = {
    "sgd": Optimizer("sgd", 2, 0),
    "momentum": Optimizer("momentum", 4, 1),
    "adam": Optimizer("adam", 12, 2),
}

#: element operations per element for the gradient of vector layers (estimates: ReLU's gradient is a
#: compare-and-select; sigmoid/tanh/GELU derivatives need a few multiplies; batch norm backward needs
#: two reductions and a normalise; layer norm also recomputes its statistics)
_VECTOR_GRAD_OPS = {"relu": 1, "relu6": 1, "identity": 1, "sigmoid": 2, "tanh": 2, "silu": 3, "gelu": 4,
                    "batch": 6, "layer": 9, "lrn": 7, "softmax": 4, "max": 1, "avg": 1, "global_avg": 1}


class _Backward:
    def __init__(self, workload: Workload, input_grads: bool):
        self.w = workload
        self.input_grads = input_grads
        self.by_name = workload.by_name()
        self.consumers = workload.consumers()
        self.requires = self._requires_grad()
        self.contrib: dict[str, list[str]] = {layer.name: [] for layer in workload.layers}
        self.weight_grads: dict[str, list[str]] = {}
        self.out: list[Layer] = []
        self.names = set(self.by_name)

    def _requires_grad(self) -> dict[str, bool]:
        req: dict[str, bool] = {}
        for layer in self.w.layers:
            req[layer.name] = (self.input_grads and isinstance(layer.op, O.Input)) or layer.op.params > 0 or isinstance(layer.op, (O.SharedWeightMatMul, O.SharedWeightConv2d)) \
                or any(req[src] for src in layer.inputs)
        return req

    def add(self, base: str, op: O.Op, inputs, phase: str = "backward") -> str:
        name = base
        k = 1
        while name in self.names:
            k += 1
            name = f"{base}_{k}"
        self.names.add(name)
        self.out.append(Layer(name, op, tuple(dict.fromkeys(i for i in inputs if i)), phase))
        return name

    def grad_of(self, layer: Layer) -> str | None:
        """The layer holding dL/d(output of ``layer``), summing several contributions when needed."""
        parts = list(dict.fromkeys(self.contrib[layer.name]))
        shape = layer.op.output_shape
        if not self.consumers[layer.name]:
            # a network output: gradient of the loss (e.g. softmax cross-entropy: y - t)
            return self.add(f"{layer.name}/dLoss", O.Elementwise(shape, "loss_grad", 2), (layer.name,))
        if not parts:
            return None
        if len(self.contrib[layer.name]) == 1:
            return parts[0]
        return self.add(f"{layer.name}/dY_sum", O.Elementwise(shape, "add", len(self.contrib[layer.name])), parts)

    def give(self, layer: Layer, grad: str, to=None) -> None:
        for src in (to if to is not None else layer.inputs):
            if self.requires.get(src):
                self.contrib[src].append(grad)

    def needs_input_grad(self, layer: Layer) -> bool:
        return any(self.requires.get(src) for src in layer.inputs)

    def run(self) -> list[Layer]:
        for layer in reversed(self.w.layers):
            if isinstance(layer.op, O.Input) or not self.requires[layer.name]:
                continue
            dy = self.grad_of(layer)
            if dy is None:
                continue
            self.backward(layer, dy)
        return self.out

    # --- per op ----------------------------------------------------------------------------
    def backward(self, layer: Layer, dy: str) -> None:
        op = layer.op
        if isinstance(op, O.Conv2d):
            self.conv(layer, op, dy)
        elif isinstance(op, O.MatMul) and op.weights:
            self.fc(layer, op, dy)
        elif isinstance(op, O.MatMul):
            self.activation_matmul(layer, op, dy)
        elif isinstance(op, O.Embedding):
            g = self.add(f"{layer.name}/dW", O.Elementwise((op.lookups, op.dim), "embedding_grad_scatter", 2), (dy,))
            self.weight_grads.setdefault(layer.name, []).append(g)
        elif isinstance(op, O.DataMovement):
            if self.needs_input_grad(layer):
                for src in layer.inputs:
                    if self.requires.get(src):
                        shape = self.by_name[src].op.output_shape
                        g = self.add(f"{layer.name}/dX", O.DataMovement(op.output_shape, shape, f"{op.func}_grad",
                                                                       op.copies), (dy,))
                        self.give(layer, g, (src,))
        elif isinstance(op, O.Elementwise):
            self.elementwise(layer, op, dy)
        else:
            self.vector(layer, op, dy)

    def vector(self, layer: Layer, op: O.Op, dy: str) -> None:
        """Activation, Norm, Pool, Softmax and unknown ops: vector work over the larger of input/output."""
        func = getattr(op, "func", None) or op.kind
        ops_per = _VECTOR_GRAD_OPS.get(func, 2)
        if isinstance(op, O.Softmax):
            ops_per = _VECTOR_GRAD_OPS["softmax"]
        in_shape = self.by_name[layer.inputs[0]].op.output_shape if layer.inputs else op.output_shape
        shape = in_shape if math.prod(in_shape) >= math.prod(op.output_shape) else op.output_shape
        grad = O.Elementwise(tuple(shape), f"{func}_grad", ops_per + 1)
        g = self.add(f"{layer.name}/dX", grad, (dy, layer.name))
        if op.params:
            self.weight_grads.setdefault(layer.name, []).append(g)
        self.give(layer, g)

    def elementwise(self, layer: Layer, op: O.Elementwise, dy: str) -> None:
        if op.func in ("add", "sub") and not op.params:
            self.give(layer, dy)  # the gradient passes through unchanged
            return
        for src in layer.inputs:
            if self.requires.get(src):
                g = self.add(f"{layer.name}/d_{src}", O.Elementwise(op.shape, f"{op.func}_grad", 2), (dy,) + layer.inputs)
                self.give(layer, g, (src,))

    def conv(self, layer: Layer, op: O.Conv2d, dy: str) -> None:
        x = layer.inputs[0] if layer.inputs else None
        owner = getattr(op, "shared_with", "") or layer.name
        k, n, m = op.gemm_k, op.gemm_n, op.gemm_m
        dw = self.add(f"{layer.name}/dW", O.MatMul(k, m, n, op.groups, False, False,
                                                   (op.kernel_h, op.kernel_w, op.in_channels // op.groups,
                                                    op.out_channels)), (dy, x))
        self.weight_grads.setdefault(owner, []).append(dw)
        if op.bias:
            self.weight_grads[owner].append(self.add(f"{layer.name}/dB", O.Elementwise(op.output_shape, "bias_grad", 1),
                                                     (dy,)))
        if not self.needs_input_grad(layer):
            return
        same = op.stride_h == op.stride_w == 1 and (op.out_h, op.out_w) == (op.in_h, op.in_w)
        span_h, span_w = op.dilation * (op.kernel_h - 1), op.dilation * (op.kernel_w - 1)
        if same and min(span_h - op.pad_top, span_h - op.pad_bottom, span_w - op.pad_left, span_w - op.pad_right) >= 0:
            dx_op = O.SharedWeightConv2d(op.batch, op.out_h, op.out_w, op.out_channels, op.in_channels, op.kernel_h,
                                         op.kernel_w, 1, 1, span_h - op.pad_top, span_h - op.pad_bottom,
                                         span_w - op.pad_left, span_w - op.pad_right, op.dilation, op.groups,
                                         False, owner)
            dx = self.add(f"{layer.name}/dX", dx_op, (dy,))
        else:
            cols = self.add(f"{layer.name}/dX_col", O.SharedWeightMatMul(m, n, k, op.groups, True, False,
                                                                        (op.groups, m, k), owner), (dy,))
            in_shape = (op.batch, op.in_h, op.in_w, op.in_channels)
            overlap = max(1, -(-(m * k * op.groups) // math.prod(in_shape)))
            dx = self.add(f"{layer.name}/dX", O.Elementwise(in_shape, "col2im_add", overlap + 1), (cols,))
        self.give(layer, dx)

    def fc(self, layer: Layer, op: O.MatMul, dy: str) -> None:
        owner = getattr(op, "shared_with", "") or layer.name
        x = layer.inputs[0] if layer.inputs else None
        dw = self.add(f"{layer.name}/dW", O.MatMul(op.k, op.m, op.n, op.count, False, False, (op.k, op.n)), (dy, x))
        self.weight_grads.setdefault(owner, []).append(dw)
        if op.bias:
            self.weight_grads[owner].append(self.add(f"{layer.name}/dB", O.Elementwise((op.count * op.m, op.n),
                                                                                       "bias_grad", 1), (dy,)))
        if self.needs_input_grad(layer):
            in_shape = self.by_name[x].op.output_shape if x else (op.count, op.m, op.k)
            if math.prod(in_shape) != op.count * op.m * op.k:
                in_shape = (op.count, op.m, op.k)
            dx = self.add(f"{layer.name}/dX", O.SharedWeightMatMul(op.m, op.n, op.k, op.count, True, False,
                                                                  tuple(in_shape), owner), (dy,))
            self.give(layer, dx)

    def activation_matmul(self, layer: Layer, op: O.MatMul, dy: str) -> None:
        a = layer.inputs[0] if layer.inputs else None
        b = layer.inputs[1] if len(layer.inputs) > 1 else a
        if self.requires.get(a):
            g = self.add(f"{layer.name}/dA", O.MatMul(op.m, op.n, op.k, op.count, False, False,
                                                      (op.count, op.m, op.k)), (dy, b))
            self.give(layer, g, (a,))
        if self.requires.get(b):
            g = self.add(f"{layer.name}/dB", O.MatMul(op.k, op.m, op.n, op.count, False, False,
                                                      (op.count, op.k, op.n)), (dy, a))
            self.give(layer, g, (b,))


def to_training(workload: Workload, optimizer: str = "sgd", input_grads: str = "needed") -> Workload:
    """Return ``workload`` extended into one training step (forward, backward, optimizer update).

    ``optimizer`` is ``"sgd"``, ``"momentum"`` or ``"adam"``. ``input_grads="needed"`` computes an
    input gradient only where an upstream layer has parameters; ``"all"`` also differentiates with
    respect to graph inputs (use it for SCALE-Sim topologies, whose rows are independent layers
    that stand for consecutive layers of one network). The returned workload's ``settings`` record
    the optimizer, its element operations per weight and its state size.
    """
    if input_grads not in ("needed", "all"):
        raise WorkloadError(f"input_grads must be 'needed' or 'all', got {input_grads!r}", field="input_grads")
    if optimizer not in OPTIMIZERS:
        raise WorkloadError(f"unknown optimizer {optimizer!r}; choose one of {', '.join(OPTIMIZERS)}",
                            field="optimizer")
    if any(layer.phase != "forward" for layer in workload.layers):
        raise WorkloadError(f"workload '{workload.name}' already contains backward or optimizer layers",
                            field="training")
    opt = OPTIMIZERS[optimizer]
    back = _Backward(workload, input_grads == "all")
    backward = back.run()
    updates = []
    trained = 0
    names = back.names
    for layer in workload.layers:
        params = layer.op.params
        if params <= 0:
            continue
        trained += params
        name = f"{layer.name}/update"
        while name in names:
            name += "_"
        names.add(name)
        grads = tuple(dict.fromkeys(back.weight_grads.get(layer.name, [])))
        updates.append(Layer(name, O.Elementwise((params,), f"{opt.name}_update", opt.ops_per_weight + 1),
                             grads, "optimizer"))
    settings = dict(workload.settings)
    settings.update({
        "training": True,
        "input_grads": input_grads,
        "optimizer": opt.name,
        "optimizer_ops_per_weight": opt.ops_per_weight,
        "trained_params": trained,
        "optimizer_state_elements": trained * opt.state_per_weight,
        "optimizer_state_bytes_fp32": 4 * trained * opt.state_per_weight,
        "gradient_bytes_fp32": 4 * trained,
    })
    b = WorkloadBuilder(f"{workload.name}_train_{opt.name}", workload.batch,
                        f"{workload.description} — training step ({opt.name})".strip(" —"), workload.source, settings)
    for layer in (*workload.layers, *backward, *updates):
        b.add(layer.name, layer.op, layer.inputs, layer.phase)
    return b.build()


def phase_totals(workload: Workload) -> dict[str, dict[str, int]]:
    """MACs and vector operations per phase ("forward", "backward", "optimizer")."""
    out: dict[str, dict[str, int]] = {}
    for layer in workload.layers:
        row = out.setdefault(layer.phase, {"macs": 0, "vector_ops": 0, "layers": 0})
        row["macs"] += layer.op.macs
        row["vector_ops"] += layer.op.vector_ops
        row["layers"] += 1
    return out
