"""Typed operators with shape rules and work counts.

Every op is a frozen dataclass that knows its input shapes and parameters and derives:
``output_shape``, ``macs`` (multiply-accumulates), ``params`` (trainable parameters),
``vector_ops`` (element operations that are not MACs) and element counts of its operands.
Shapes are NHWC for images and (..., features) for sequences; batch is part of every shape.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import ClassVar

from ..errors import WorkloadError


def conv_out(size: int, kernel: int, stride: int, pad_before: int, pad_after: int, dilation: int = 1) -> int:
    """Output length of a convolution/pooling window along one axis."""
    span = dilation * (kernel - 1) + 1
    return (size + pad_before + pad_after - span) // stride + 1


@dataclass(frozen=True)
class Op:
    """Base class. Subclasses set ``kind`` and implement the derived quantities."""

    kind: ClassVar[str] = "op"
    #: whether the op is a matrix (MAC) op that lowers to the matrix unit
    is_matrix: ClassVar[bool] = False

    @property
    def output_shape(self) -> tuple[int, ...]:
        raise NotImplementedError

    @property
    def macs(self) -> int:
        return 0

    @property
    def params(self) -> int:
        return 0

    @property
    def vector_ops(self) -> int:
        """Non-MAC element operations (adds, compares, transcendental evaluations...)."""
        return 0

    @property
    def input_elements(self) -> int:
        """Activation elements read (all activation inputs)."""
        raise NotImplementedError

    @property
    def weight_elements(self) -> int:
        return self.params

    @property
    def output_elements(self) -> int:
        return math.prod(self.output_shape)

    def validate(self) -> None:
        """Raise WorkloadError when the parameters make no sense."""


@dataclass(frozen=True)
class Conv2d(Op):
    """2-D convolution, NHWC. ``groups == in_channels == out_channels`` is depthwise."""

    kind: ClassVar[str] = "conv2d"
    is_matrix: ClassVar[bool] = True
    batch: int
    in_h: int
    in_w: int
    in_channels: int
    out_channels: int
    kernel_h: int
    kernel_w: int
    stride_h: int = 1
    stride_w: int = 1
    pad_top: int = 0
    pad_bottom: int = 0
    pad_left: int = 0
    pad_right: int = 0
    dilation: int = 1
    groups: int = 1
    bias: bool = False

    def validate(self) -> None:
        for name in ("batch", "in_h", "in_w", "in_channels", "out_channels", "kernel_h", "kernel_w",
                     "stride_h", "stride_w", "dilation", "groups"):
            if int(getattr(self, name)) < 1:
                raise WorkloadError(f"conv2d {name} must be a positive integer, got {getattr(self, name)}")
        if self.in_channels % self.groups or self.out_channels % self.groups:
            raise WorkloadError(
                f"conv2d groups={self.groups} must divide in_channels={self.in_channels} and out_channels={self.out_channels}")
        if min(self.out_h, self.out_w) < 1:
            raise WorkloadError(f"conv2d kernel {self.kernel_h}x{self.kernel_w} does not fit a {self.in_h}x{self.in_w} input with this padding")

    @property
    def out_h(self) -> int:
        return conv_out(self.in_h, self.kernel_h, self.stride_h, self.pad_top, self.pad_bottom, self.dilation)

    @property
    def out_w(self) -> int:
        return conv_out(self.in_w, self.kernel_w, self.stride_w, self.pad_left, self.pad_right, self.dilation)

    @property
    def output_shape(self):
        return (self.batch, self.out_h, self.out_w, self.out_channels)

    @property
    def is_depthwise(self) -> bool:
        return self.groups > 1 and self.groups == self.in_channels

    @property
    def gemm_m(self) -> int:
        """GEMM rows after im2col: output pixels × batch."""
        return self.batch * self.out_h * self.out_w

    @property
    def gemm_k(self) -> int:
        """GEMM reduction length per group: kernel window × input channels per group."""
        return self.kernel_h * self.kernel_w * (self.in_channels // self.groups)

    @property
    def gemm_n(self) -> int:
        """GEMM columns per group: output channels per group."""
        return self.out_channels // self.groups

    @property
    def macs(self) -> int:
        return self.groups * self.gemm_m * self.gemm_k * self.gemm_n

    @property
    def params(self) -> int:
        return self.kernel_h * self.kernel_w * (self.in_channels // self.groups) * self.out_channels + (
            self.out_channels if self.bias else 0)

    @property
    def vector_ops(self) -> int:
        return self.output_elements if self.bias else 0

    @property
    def input_elements(self) -> int:
        return self.batch * self.in_h * self.in_w * self.in_channels


@dataclass(frozen=True)
class MatMul(Op):
    """``count`` independent (m × k) · (k × n) products.

    ``weights=True`` means the (k × n) operand is a trained parameter shared by all ``count``
    products (a fully connected layer); ``False`` means both operands are activations
    (attention's QKᵀ and ·V, batched matmul).
    """

    kind: ClassVar[str] = "matmul"
    is_matrix: ClassVar[bool] = True
    m: int
    k: int
    n: int
    count: int = 1
    weights: bool = True
    bias: bool = False
    #: fraction of the m×n outputs actually computed (causal masks skip nothing on dense hardware; kept 1.0)
    out_shape: tuple[int, ...] | None = None

    def validate(self) -> None:
        for name in ("m", "k", "n", "count"):
            if int(getattr(self, name)) < 1:
                raise WorkloadError(f"matmul {name} must be a positive integer, got {getattr(self, name)}")

    @property
    def output_shape(self):
        return self.out_shape if self.out_shape is not None else (self.count, self.m, self.n)

    @property
    def macs(self) -> int:
        return self.count * self.m * self.k * self.n

    @property
    def params(self) -> int:
        if not self.weights:
            return 0
        return self.k * self.n + (self.n if self.bias else 0)

    @property
    def vector_ops(self) -> int:
        return self.count * self.m * self.n if self.bias else 0

    @property
    def input_elements(self) -> int:
        a = self.count * self.m * self.k
        return a if self.weights else a + self.count * self.k * self.n


@dataclass(frozen=True)
class Elementwise(Op):
    """An n-ary elementwise op (add, sub, mul, div, max, residual add...) on equal shapes."""

    kind: ClassVar[str] = "elementwise"
    shape: tuple[int, ...]
    func: str = "add"
    inputs: int = 2

    @property
    def output_shape(self):
        return tuple(self.shape)

    @property
    def vector_ops(self) -> int:
        return math.prod(self.shape) * max(1, self.inputs - 1)

    @property
    def input_elements(self) -> int:
        return math.prod(self.shape) * self.inputs


ACTIVATIONS = ("relu", "relu6", "gelu", "sigmoid", "tanh", "silu", "identity")


@dataclass(frozen=True)
class Activation(Op):
    kind: ClassVar[str] = "activation"
    shape: tuple[int, ...]
    func: str = "relu"

    def validate(self) -> None:
        if self.func not in ACTIVATIONS:
            raise WorkloadError(f"unknown activation '{self.func}'; known: {', '.join(ACTIVATIONS)}")

    @property
    def output_shape(self):
        return tuple(self.shape)

    @property
    def vector_ops(self) -> int:
        return math.prod(self.shape)

    @property
    def input_elements(self) -> int:
        return math.prod(self.shape)


@dataclass(frozen=True)
class Pool(Op):
    """Max/average pooling over NHWC windows; ``func='global_avg'`` pools the whole plane."""

    kind: ClassVar[str] = "pool"
    batch: int
    in_h: int
    in_w: int
    channels: int
    kernel_h: int
    kernel_w: int
    stride_h: int = 1
    stride_w: int = 1
    pad_top: int = 0
    pad_bottom: int = 0
    pad_left: int = 0
    pad_right: int = 0
    func: str = "max"
    ceil_mode: bool = False

    def validate(self) -> None:
        for name in ("batch", "in_h", "in_w", "channels", "kernel_h", "kernel_w", "stride_h", "stride_w"):
            if int(getattr(self, name)) < 1:
                raise WorkloadError(f"pool {name} must be a positive integer, got {getattr(self, name)}")
        if self.func == "global_avg":
            return
        for side, pad in (("pad_top", self.pad_top), ("pad_bottom", self.pad_bottom), ("pad_left", self.pad_left),
                          ("pad_right", self.pad_right)):
            if int(pad) < 0:
                raise WorkloadError(f"pool {side} must be a non-negative integer, got {pad}")
        # A pad as wide as the window lets a window cover padding only (no input element): ONNX Runtime
        # refuses such a pool ("Pad should be smaller than kernel"), PyTorch already past half the window.
        if max(self.pad_top, self.pad_bottom) >= self.kernel_h or max(self.pad_left, self.pad_right) >= self.kernel_w:
            raise WorkloadError(f"pool padding (top {self.pad_top}, bottom {self.pad_bottom}, left {self.pad_left}, "
                                f"right {self.pad_right}) must be smaller than the {self.kernel_h}x{self.kernel_w} "
                                "window: a window would cover padding only")
        if min(self.output_shape[1:3]) < 1:
            raise WorkloadError(f"pool window {self.kernel_h}x{self.kernel_w} does not fit a {self.in_h}x{self.in_w} "
                                "input with this padding")

    def _out(self, size, k, s, a, b):
        if self.ceil_mode:
            return -(-(size + a + b - k) // s) + 1
        return conv_out(size, k, s, a, b)

    @property
    def output_shape(self):
        if self.func == "global_avg":
            return (self.batch, 1, 1, self.channels)
        return (self.batch, self._out(self.in_h, self.kernel_h, self.stride_h, self.pad_top, self.pad_bottom),
                self._out(self.in_w, self.kernel_w, self.stride_w, self.pad_left, self.pad_right), self.channels)

    @property
    def vector_ops(self) -> int:
        if self.func == "global_avg":
            return self.batch * self.in_h * self.in_w * self.channels
        return self.output_elements * self.kernel_h * self.kernel_w

    @property
    def input_elements(self) -> int:
        return self.batch * self.in_h * self.in_w * self.channels


@dataclass(frozen=True)
class Softmax(Op):
    """Softmax over the last axis: max, subtract, exp, sum, divide (≈5 ops per element)."""

    kind: ClassVar[str] = "softmax"
    shape: tuple[int, ...]

    @property
    def output_shape(self):
        return tuple(self.shape)

    @property
    def vector_ops(self) -> int:
        return 5 * math.prod(self.shape)

    @property
    def input_elements(self) -> int:
        return math.prod(self.shape)


@dataclass(frozen=True)
class Norm(Op):
    """Batch norm (inference: scale and shift, 2 ops/element), layer norm (mean, variance,
    normalise, scale, shift: ≈7 ops/element) or local response normalisation (``func`` "lrn": a
    square, a sum over a window of ``size`` channels, a power and a product: size + 2
    ops/element). ``features`` is the size of the normalised axis; ``size`` is read for LRN only
    (ONNX LRN's ``size``; AlexNet and GoogLeNet use 5)."""

    kind: ClassVar[str] = "norm"
    shape: tuple[int, ...]
    func: str = "batch"
    features: int = 0
    affine: bool = True
    size: int = 5

    def validate(self) -> None:
        if self.func == "lrn" and (isinstance(self.size, bool) or not isinstance(self.size, int) or self.size < 1):
            raise WorkloadError(f"lrn size must be a positive integer, got {self.size!r}")

    @property
    def output_shape(self):
        return tuple(self.shape)

    @property
    def params(self) -> int:
        return 2 * self.features if self.affine else 0

    @property
    def weight_elements(self) -> int:
        # batch norm at inference also reads running mean and variance
        return self.params * (2 if self.func == "batch" else 1)

    @property
    def vector_ops(self) -> int:
        per_element = {"batch": 2, "lrn": self.size + 2}.get(self.func, 7)
        return per_element * math.prod(self.shape)

    @property
    def input_elements(self) -> int:
        return math.prod(self.shape)


@dataclass(frozen=True)
class Embedding(Op):
    """Table lookup (a gather): ``lookups`` rows of ``dim`` elements from a ``rows × dim`` table."""

    kind: ClassVar[str] = "embedding"
    rows: int
    dim: int
    lookups: int
    out_shape: tuple[int, ...] | None = None

    @property
    def output_shape(self):
        return self.out_shape if self.out_shape is not None else (self.lookups, self.dim)

    @property
    def params(self) -> int:
        return self.rows * self.dim

    @property
    def weight_elements(self) -> int:
        # only the gathered rows are read
        return min(self.rows, self.lookups) * self.dim

    @property
    def input_elements(self) -> int:
        return self.lookups  # indices


@dataclass(frozen=True)
class DataMovement(Op):
    """Reshape, transpose, concat, split, slice, flatten: moves or relabels data, no arithmetic.

    ``copies`` is True when the op must physically move elements (transpose, concat into a new
    buffer); reshape/flatten/squeeze are free relabellings.
    """

    kind: ClassVar[str] = "data_movement"
    in_shape: tuple[int, ...]
    out_shape_: tuple[int, ...]
    func: str = "reshape"
    copies: bool = False

    @property
    def output_shape(self):
        return tuple(self.out_shape_)

    @property
    def input_elements(self) -> int:
        return math.prod(self.in_shape)


@dataclass(frozen=True)
class Input(Op):
    """A graph input (image, token ids...) arriving from the host."""

    kind: ClassVar[str] = "input"
    shape: tuple[int, ...]

    @property
    def output_shape(self):
        return tuple(self.shape)

    @property
    def input_elements(self) -> int:
        return 0


@dataclass(frozen=True)
class SharedWeightMatMul(MatMul):
    """A fully connected product whose (k × n) weight matrix is owned by another layer.

    Used for an LM head tied to the token embedding (GPT-2) and for the time steps of an unrolled
    recurrent layer after the first: the weights are read like any FC layer's (``weight_elements``)
    but counted as parameters only once, by the layer named in ``shared_with``. ``kind`` stays
    ``"matmul"`` so every consumer of MatMul handles it unchanged.
    """

    shared_with: str = ""

    @property
    def params(self) -> int:
        return 0

    @property
    def weight_elements(self) -> int:
        return self.k * self.n + (self.n if self.bias else 0)


@dataclass(frozen=True)
class SharedWeightConv2d(Conv2d):
    """A convolution reading the filters of another layer (``shared_with``), e.g. the input-gradient
    convolution of a training step. Filters are read (``weight_elements``) but not counted again as
    parameters. ``kind`` stays ``"conv2d"`` so every consumer of Conv2d handles it unchanged."""

    shared_with: str = ""

    @property
    def params(self) -> int:
        return 0

    @property
    def weight_elements(self) -> int:
        return self.kernel_h * self.kernel_w * (self.in_channels // self.groups) * self.out_channels


# --- composite operators (lowered by accelsim/lower/composite.py into primitive tasks) -----------

@dataclass(frozen=True)
class _RecurrentCell(Op):
    """Shared fields and shape rule of one recurrent-cell time step: input (batch, input_size) and
    state (batch, hidden) in, new state (batch, hidden) out."""

    is_matrix: ClassVar[bool] = True
    batch: int
    input_size: int
    hidden: int
    bias: bool = True

    def validate(self) -> None:
        for name in ("batch", "input_size", "hidden"):
            if int(getattr(self, name)) < 1:
                raise WorkloadError(f"{self.kind} {name} must be a positive integer, got {getattr(self, name)}")

    @property
    def output_shape(self):
        return (self.batch, self.hidden)


@dataclass(frozen=True)
class LstmCell(_RecurrentCell):
    """One time step of an LSTM cell (Hochreiter & Schmidhuber 1997), batch-major.

    gates = [x; h_prev]·W + b with W of (input_size + hidden) × 4·hidden; i, f, o = σ(·), g = tanh(·);
    c = f⊙c_prev + i⊙g; h = o⊙tanh(c). Inputs: x (batch, input_size), h_prev and c_prev
    (batch, hidden). Output: h (batch, hidden). ``bias`` is one 4·hidden vector (frameworks that keep
    separate input and recurrent biases hold 8·hidden; their sum is what the hardware adds).
    """

    kind: ClassVar[str] = "lstm_cell"

    @property
    def macs(self) -> int:
        return self.batch * 4 * self.hidden * (self.input_size + self.hidden)

    @property
    def params(self) -> int:
        return 4 * self.hidden * (self.input_size + self.hidden) + (4 * self.hidden if self.bias else 0)

    @property
    def vector_ops(self) -> int:
        # per element of h: bias 4, sigmoid 3, tanh(g) 1, f⊙c + i⊙g 3, tanh(c) 1, o⊙tanh(c) 1
        return self.batch * self.hidden * ((4 if self.bias else 0) + 9)

    @property
    def input_elements(self) -> int:
        return self.batch * (self.input_size + 2 * self.hidden)


@dataclass(frozen=True)
class GruCell(_RecurrentCell):
    """One time step of a GRU cell (Cho et al. 2014; PyTorch's formulation).

    Two products, as PyTorch computes them: gx = x·W_ih + b_ih and gh = h_prev·W_hh + b_hh (each
    3·hidden wide; 3·hidden·(input_size + hidden) MACs per batch row in all). Then r, z = σ(gx + gh) on
    the first 2·hidden columns, n = tanh(gx_n + r⊙gh_n), h = n + z⊙(h_prev − n). With ``bias``, 6·hidden
    bias terms (the recurrent biases stay apart because r multiplies only the recurrent part of n).
    """

    kind: ClassVar[str] = "gru_cell"

    @property
    def macs(self) -> int:
        return self.batch * 3 * self.hidden * (self.input_size + self.hidden)

    @property
    def params(self) -> int:
        return 3 * self.hidden * (self.input_size + self.hidden) + (6 * self.hidden if self.bias else 0)

    @property
    def vector_ops(self) -> int:
        # per element of h: bias 6 (3 per product), gx + gh and σ on 2 columns (r, z): 4,
        # r⊙gh_n + gx_n and tanh: 3, h_prev − n, z⊙(·), + n: 3
        return self.batch * self.hidden * ((6 if self.bias else 0) + 10)

    @property
    def input_elements(self) -> int:
        return self.batch * (self.input_size + self.hidden)


@dataclass(frozen=True)
class MultiHeadAttention(Op):
    """The attention core of a transformer layer: softmax(Q·Kᵀ/√d_head + mask)·V for every head.

    Inputs: Q (batch, seq_q, d_model), K and V (batch, seq_kv, d_model), already projected. Output
    (batch, seq_q, d_model). MACs: 2·batch·heads·seq_q·seq_kv·d_head (QKᵀ and ·V). ``causal`` adds a
    mask select per score; dense hardware still computes every score (nothing is skipped).
    """

    kind: ClassVar[str] = "attention"
    is_matrix: ClassVar[bool] = True
    batch: int
    seq_q: int
    seq_kv: int
    d_model: int
    heads: int
    causal: bool = False

    def validate(self) -> None:
        for name in ("batch", "seq_q", "seq_kv", "d_model", "heads"):
            if int(getattr(self, name)) < 1:
                raise WorkloadError(f"attention {name} must be a positive integer, got {getattr(self, name)}")
        if self.d_model % self.heads:
            raise WorkloadError(f"attention heads={self.heads} must divide d_model={self.d_model}")
        if self.causal and self.seq_kv < self.seq_q:
            raise WorkloadError(f"causal attention needs seq_kv >= seq_q, got {self.seq_kv} < {self.seq_q}")

    @property
    def head_dim(self) -> int:
        return self.d_model // self.heads

    @property
    def scores(self) -> int:
        """Elements of the score matrix, all heads: batch·heads·seq_q·seq_kv."""
        return self.batch * self.heads * self.seq_q * self.seq_kv

    @property
    def output_shape(self):
        return (self.batch, self.seq_q, self.d_model)

    @property
    def macs(self) -> int:
        return 2 * self.scores * self.head_dim

    @property
    def vector_ops(self) -> int:
        # scale 1 + mask 1 (causal) + softmax 5 per score
        return self.scores * (6 + (1 if self.causal else 0))

    @property
    def input_elements(self) -> int:
        return self.batch * self.d_model * (self.seq_q + 2 * self.seq_kv)


#: every op kind -> its class (the key is the class's ``kind``). SharedWeightMatMul and
#: SharedWeightConv2d are not kinds of their own: they are matmul and conv2d whose weights another
#: layer owns (``kind`` "matmul" and "conv2d"), built directly where they are used.
OP_TYPES: dict[str, type[Op]] = {
    "conv2d": Conv2d,
    "matmul": MatMul,
    "elementwise": Elementwise,
    "activation": Activation,
    "pool": Pool,
    "softmax": Softmax,
    "norm": Norm,
    "embedding": Embedding,
    "data_movement": DataMovement,
    "input": Input,
    "lstm_cell": LstmCell,
    "gru_cell": GruCell,
    "attention": MultiHeadAttention,
}
