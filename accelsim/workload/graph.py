"""The workload graph: a networkx DiGraph of named layers, each holding one typed op.

Edges run producer -> consumer. Iteration order is the insertion order, which is a topological
order by construction, so every run walks the layers identically (no dependence on hashing).
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import networkx as nx

from ..errors import WorkloadError
from ..guards import MAX_LAYERS, check_layer_count
from . import ops as O


@dataclass(frozen=True)
class Layer:
    name: str
    op: O.Op
    inputs: tuple[str, ...]
    phase: str = "forward"  # "forward", "backward" or "optimizer" (training graphs)


@dataclass(frozen=True)
class Workload:
    """An immutable operator graph plus what it was built from."""

    name: str
    batch: int
    layers: tuple[Layer, ...]
    description: str = ""
    source: str = ""
    settings: dict = field(default_factory=dict)  # size parameters used to build it (seq_len, ...)

    def graph(self) -> nx.DiGraph:
        g = nx.DiGraph()
        for layer in self.layers:
            g.add_node(layer.name, layer=layer)
            for src in layer.inputs:
                g.add_edge(src, layer.name)
        return g

    def by_name(self) -> dict[str, Layer]:
        return {layer.name: layer for layer in self.layers}

    @property
    def macs(self) -> int:
        return sum(layer.op.macs for layer in self.layers)

    @property
    def params(self) -> int:
        return sum(layer.op.params for layer in self.layers)

    def consumers(self) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {layer.name: [] for layer in self.layers}
        for layer in self.layers:
            for src in layer.inputs:
                out[src].append(layer.name)
        return out


class WorkloadBuilder:
    """Builds a :class:`Workload` layer by layer, inferring shapes.

    Each method takes the name of the new layer and the name(s) of its input layer(s), and
    returns the new layer's name so calls chain naturally.
    """

    def __init__(self, name: str, batch: int, description: str = "", source: str = "", settings: dict | None = None):
        if int(batch) < 1:
            raise WorkloadError(f"batch must be a positive integer, got {batch}", field="batch")
        self.name = name
        self.batch = int(batch)
        self.description = description
        self.source = source
        self.settings = dict(settings or {})
        self._layers: dict[str, Layer] = {}

    # --- bookkeeping -------------------------------------------------------------------------
    def shape(self, name: str) -> tuple[int, ...]:
        if name not in self._layers:
            raise WorkloadError(f"input '{name}' is not defined before this layer")
        return self._layers[name].op.output_shape

    def add(self, name: str, op: O.Op, inputs: tuple[str, ...] | list[str] = (), phase: str = "forward") -> str:
        if name in self._layers:
            raise WorkloadError(f"duplicate layer name '{name}'")
        for src in inputs:
            if src not in self._layers:
                raise WorkloadError(f"layer '{name}' reads '{src}', which is not defined before it")
        op.validate()
        if len(self._layers) >= MAX_LAYERS:  # resource guard: refuse absurd networks while building
            check_layer_count(len(self._layers) + 1, f"workload '{self.name}'")
        self._layers[name] = Layer(name, op, tuple(inputs), phase)
        return name

    def build(self) -> Workload:
        if not self._layers:
            raise WorkloadError(f"workload '{self.name}' has no layers")
        return Workload(self.name, self.batch, tuple(self._layers.values()), self.description, self.source, self.settings)

    # --- layer helpers -----------------------------------------------------------------------
    def input(self, name: str, shape: tuple[int, ...]) -> str:
        return self.add(name, O.Input(tuple(int(d) for d in shape)))

    def conv(self, name: str, x: str, out_channels: int, kernel: int | tuple[int, int], stride: int = 1,
             padding: int | tuple[int, int, int, int] | str = 0, groups: int = 1, dilation: int = 1,
             bias: bool = False) -> str:
        n, h, w, c = self.shape(x)
        kh, kw = (kernel, kernel) if isinstance(kernel, int) else kernel
        if padding == "same":
            pad_h = dilation * (kh - 1)
            pad_w = dilation * (kw - 1)
            pads = (pad_h // 2, pad_h - pad_h // 2, pad_w // 2, pad_w - pad_w // 2)
        elif isinstance(padding, int):
            pads = (padding,) * 4
        else:
            pads = tuple(padding)
        op = O.Conv2d(n, h, w, c, out_channels, kh, kw, stride, stride, *pads, dilation=dilation, groups=groups, bias=bias)
        return self.add(name, op, (x,))

    def fc(self, name: str, x: str, out_features: int, bias: bool = True) -> str:
        shape = self.shape(x)
        k = shape[-1]
        m = 1
        for d in shape[:-1]:
            m *= d
        return self.add(name, O.MatMul(m, k, out_features, 1, True, bias, shape[:-1] + (out_features,)), (x,))

    def matmul(self, name: str, a: str, b: str, m: int, k: int, n: int, count: int, out_shape=None) -> str:
        return self.add(name, O.MatMul(m, k, n, count, False, False, out_shape), (a, b))

    def act(self, name: str, x: str, func: str = "relu") -> str:
        return self.add(name, O.Activation(self.shape(x), func), (x,))

    def eltwise(self, name: str, inputs: list[str], func: str = "add") -> str:
        shapes = {self.shape(i) for i in inputs}
        if not shapes:
            raise WorkloadError(f"elementwise '{name}' needs at least one input")
        if len(shapes) != 1:
            raise WorkloadError(f"elementwise '{name}' inputs have different shapes: {sorted(shapes)}")
        return self.add(name, O.Elementwise(shapes.pop(), func, len(inputs)), tuple(inputs))

    def pool(self, name: str, x: str, kernel: int, stride: int, padding: int = 0, func: str = "max",
             ceil_mode: bool = False) -> str:
        n, h, w, c = self.shape(x)
        op = O.Pool(n, h, w, c, kernel, kernel, stride, stride, padding, padding, padding, padding, func, ceil_mode)
        return self.add(name, op, (x,))

    def global_pool(self, name: str, x: str) -> str:
        n, h, w, c = self.shape(x)
        return self.add(name, O.Pool(n, h, w, c, h, w, 1, 1, func="global_avg"), (x,))

    def norm(self, name: str, x: str, func: str = "batch", size: int = 5) -> str:
        """A batch, layer or LRN (``func`` "lrn", window of ``size`` channels) normalisation."""
        shape = self.shape(x)
        return self.add(name, O.Norm(shape, func, shape[-1], size=size), (x,))

    def softmax(self, name: str, x: str) -> str:
        return self.add(name, O.Softmax(self.shape(x)), (x,))

    def reshape(self, name: str, x: str, shape: tuple[int, ...], func: str = "reshape", copies: bool = False) -> str:
        return self.add(name, O.DataMovement(self.shape(x), tuple(shape), func, copies), (x,))

    def flatten(self, name: str, x: str) -> str:
        shape = self.shape(x)
        flat = 1
        for d in shape[1:]:
            flat *= d
        return self.reshape(name, x, (shape[0], flat), "flatten")

    def concat(self, name: str, inputs: list[str], axis: int = -1) -> str:
        shapes = [self.shape(i) for i in inputs]
        if not shapes:
            raise WorkloadError(f"concat '{name}' needs at least one input")
        rank = len(shapes[0])
        if not -rank <= axis < rank:
            raise WorkloadError(f"concat '{name}': axis {axis} is out of range for inputs of rank {rank}")
        for src, shape in zip(inputs, shapes):
            if len(shape) != rank or any(d != d0 for j, (d, d0) in enumerate(zip(shape, shapes[0])) if j != axis % rank):
                raise WorkloadError(f"concat '{name}' inputs differ outside axis {axis}: '{inputs[0]}' has shape "
                                    f"{list(shapes[0])}, '{src}' has shape {list(shape)}")
        out = list(shapes[0])
        out[axis] = sum(s[axis] for s in shapes)
        total = sum(math.prod(s) for s in shapes)
        return self.add(name, O.DataMovement((total,), tuple(out), "concat", True), tuple(inputs))

    def embedding(self, name: str, x: str, rows: int, dim: int) -> str:
        shape = self.shape(x)
        lookups = math.prod(shape)
        return self.add(name, O.Embedding(rows, dim, lookups, tuple(shape) + (dim,)), (x,))
