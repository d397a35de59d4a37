"""ONNX nodes -> accelsim ops: walks one shape-inferred ONNX graph and emits accelsim layers.

ONNX is NCHW; rank-4 activations become NHWC op shapes. Mapping, in short:

- Conv -> Conv2d (1-D convs get height 1); ConvTranspose -> one GEMM per group
  (input pixels × C_in/g × C_out/g·k²: the exact MAC count) plus a col2im accumulation as vector work;
- Gemm / MatMul -> MatMul (an FC with weights when the right-hand operand is an initializer, an
  activation × activation product otherwise, batched over leading dims); a following Add of a
  constant vector is folded into the FC's bias;
- Add, Sub, Mul, Div, Sqrt, Pow, ReduceMean and a few unary maths ops -> Elementwise; Relu, Sigmoid,
  Tanh, Gelu -> Activation; the Erf pattern Div -> Erf -> Add -> Mul -> Mul is folded into one GELU;
- Softmax, LayerNormalization, BatchNormalization, MaxPool/AveragePool/GlobalAveragePool map to
  their ops; Gather on an initializer is an Embedding; LSTM becomes an input projection over all
  steps, a recurrent product per step (one MatMul with ``count = steps``) and the cell's vector work;
- Flatten, Reshape, Squeeze, Unsqueeze -> free DataMovement; Transpose, Concat, Split, Slice and
  Gather of activations -> copying DataMovement; Identity, Dropout, Cast alias their input; nodes
  whose inputs are all constants (Constant, Shape arithmetic) are folded away.

Any other operator is an error listing every unsupported op type and node; with
``allow_unsupported=True`` each is costed as one element operation per output element and a
warning is issued.
"""
from __future__ import annotations

import dataclasses
import math
import warnings

from ...errors import Location, WorkloadError
from .. import ops as O
from ..graph import Workload, WorkloadBuilder

#: ONNX op types this importer maps (others are unsupported)
SUPPORTED = frozenset({
    "Conv", "ConvTranspose", "Gemm", "MatMul", "Add", "Sub", "Mul", "Div", "Relu", "Sigmoid", "Tanh", "Gelu",
    "Erf", "Softmax", "LayerNormalization", "BatchNormalization", "MaxPool", "AveragePool",
    "GlobalAveragePool", "GlobalMaxPool", "Flatten", "Reshape", "Transpose", "Concat", "Split", "Slice",
    "Squeeze", "Unsqueeze", "Gather", "ReduceMean", "Sqrt", "Pow", "Exp", "Log", "Neg", "Abs", "Reciprocal",
    "Cast", "Constant", "Identity", "Dropout", "LSTM", "Shape", "Clip", "LeakyRelu",
})
_ALIAS = frozenset({"Identity", "Dropout", "Cast"})
_BINARY = {"Add": "add", "Sub": "sub", "Mul": "mul", "Div": "div"}
_UNARY = {"Sqrt": "sqrt", "Pow": "pow", "Exp": "exp", "Log": "log", "Neg": "neg", "Abs": "abs",
          "Reciprocal": "reciprocal", "Erf": "erf", "Clip": "clip", "LeakyRelu": "leaky_relu"}
_ACT = {"Relu": "relu", "Sigmoid": "sigmoid", "Tanh": "tanh", "Gelu": "gelu"}
_MOVES = {"Flatten": ("flatten", False), "Reshape": ("reshape", False), "Squeeze": ("squeeze", False),
          "Unsqueeze": ("unsqueeze", False), "Transpose": ("transpose", True), "Slice": ("slice", True)}


def _nhwc(shape: tuple[int, ...]) -> tuple[int, ...]:
    """ONNX NCHW activation shape -> the NHWC shape accelsim ops use (other ranks unchanged)."""
    if len(shape) == 4:
        n, c, h, w = shape
        return (n, h, w, c)
    return tuple(shape)


class _Importer:
    """Walks one ONNX graph in its (topological) node order and emits accelsim layers."""

    def __init__(self, model, path: str, batch: int, allow_unsupported: bool):
        self.path = path
        self.batch = batch
        self.allow_unsupported = allow_unsupported
        self.graph = model.graph
        self.initializers = {t.name: t for t in self.graph.initializer}
        self.shapes: dict[str, tuple[int, ...]] = {}
        self.static: set[str] = set(self.initializers) | {""}
        self.producer: dict[str, str] = {}  # tensor -> layer name
        self.layers: dict[str, list] = {}  # layer name -> [op, inputs]
        self.consumers: dict[str, int] = {}
        self.skip: set[int] = set()
        self.gelu_at: dict[int, tuple[str, str]] = {}  # node index -> (x tensor, output tensor)
        self.constants: dict = {}
        self.opset = 0

    # --- helpers ---------------------------------------------------------------------------
    def error(self, message: str, node=None) -> WorkloadError:
        where = f"node '{node.name}' ({node.op_type})" if node is not None else None
        return WorkloadError(message, Location(self.path), where)

    def shape(self, tensor: str, node=None) -> tuple[int, ...]:
        if tensor in self.shapes:
            return self.shapes[tensor]
        raise self.error(f"cannot infer the shape of tensor '{tensor}'; export the model with fixed input "
                         "shapes or run onnx shape inference on it", node)

    def unique(self, base: str) -> str:
        name = base or "node"
        i = 1
        while name in self.layers:
            i += 1
            name = f"{base}_{i}"
        return name

    def emit(self, node_name: str, op: O.Op, inputs, outputs) -> str:
        name = self.unique(node_name)
        srcs = []
        for t in inputs:
            src = self.producer.get(t)
            if src is not None and src not in srcs:
                srcs.append(src)
        self.layers[name] = [op, tuple(srcs)]
        for t in outputs:
            if t:
                self.producer[t] = name
        return name

    def check_shape(self, node, op: O.Op) -> None:
        """Our window arithmetic must agree with ONNX shape inference (1-D ops get height 1)."""
        inferred = self.shapes.get(node.output[0])
        if inferred is None:
            return
        if len(inferred) == 3:
            inferred = (inferred[0], inferred[1], 1, inferred[2])
        if _nhwc(inferred) != tuple(op.output_shape):
            raise self.error(f"output shape {list(op.output_shape)} (NHWC) disagrees with ONNX shape inference "
                             f"{list(_nhwc(inferred))}; the pads/strides/dilations combination is not supported", node)

    @staticmethod
    def attrs(node) -> dict:
        from onnx import helper

        return {a.name: helper.get_attribute_value(a) for a in node.attribute}

    # --- set-up ----------------------------------------------------------------------------
    def collect_shapes(self) -> None:
        def dims(vi):
            t = vi.type
            if not t.HasField("tensor_type") or not t.tensor_type.HasField("shape"):
                return None
            out = []
            for d in t.tensor_type.shape.dim:
                if d.HasField("dim_value") and d.dim_value > 0:
                    out.append(int(d.dim_value))
                else:
                    return None
            return tuple(out)

        for vi in list(self.graph.input) + list(self.graph.value_info) + list(self.graph.output):
            s = dims(vi)
            if s is not None:
                self.shapes[vi.name] = s
        for name, init in self.initializers.items():
            self.shapes[name] = tuple(int(d) for d in init.dims)

    def find_constants(self) -> None:
        from onnx import numpy_helper

        self.constants = {}
        for node in self.graph.node:
            for t in node.input:
                self.consumers[t] = self.consumers.get(t, 0) + 1
            if node.op_type == "Constant":
                for attr in node.attribute:
                    if attr.name == "value":
                        self.constants[node.output[0]] = numpy_helper.to_array(attr.t)
                        self.shapes.setdefault(node.output[0], tuple(int(d) for d in attr.t.dims))
        for t in self.graph.output:
            self.consumers[t.name] = self.consumers.get(t.name, 0) + 1

    def find_gelu_patterns(self) -> None:
        """Fold x / sqrt(2) -> Erf -> + 1 -> * x -> * 0.5 (in any of the usual orders) into one GELU."""
        nodes = list(self.graph.node)
        by_output = {o: i for i, n in enumerate(nodes) for o in n.output}
        users: dict[str, list[int]] = {}
        for i, n in enumerate(nodes):
            for t in n.input:
                users.setdefault(t, []).append(i)

        def only_user(tensor: str, op_type: str):
            us = users.get(tensor, [])
            if len(us) == 1 and nodes[us[0]].op_type == op_type and self.consumers.get(tensor, 0) == 1:
                return us[0]
            return None

        def other(node, tensor):
            rest = [t for t in node.input if t != tensor]
            return rest[0] if len(rest) == 1 else None

        for i, erf in enumerate(nodes):
            if erf.op_type != "Erf" or erf.input[0] not in by_output:
                continue
            d = by_output[erf.input[0]]
            div = nodes[d]
            if div.op_type not in ("Div", "Mul") or self.consumers.get(div.output[0], 0) != 1:
                continue
            x = div.input[0]
            if div.input[1] not in self.static and div.input[1] not in self.constants:
                continue
            a = only_user(erf.output[0], "Add")
            if a is None:
                continue
            m1 = only_user(nodes[a].output[0], "Mul")
            if m1 is None:
                continue
            o1 = other(nodes[m1], nodes[a].output[0])
            group = [d, i, a, m1]
            consts = set(self.constants) | set(self.initializers)
            if o1 == x or o1 in consts:  # (x * (1 + erf)) * 0.5  or  ((1 + erf) * 0.5) * x
                m2 = only_user(nodes[m1].output[0], "Mul")
                if m2 is None:
                    continue
                rest = other(nodes[m2], nodes[m1].output[0])
                if (o1 == x and rest not in consts) or (o1 != x and rest != x):
                    continue
                group.append(m2)
                last = m2
            elif (o1 in by_output and nodes[by_output[o1]].op_type == "Mul" and x in nodes[by_output[o1]].input
                  and self.consumers.get(o1, 0) == 1):  # (0.5 * x) * (1 + erf)
                group.append(by_output[o1])
                last = m1
            else:
                continue
            self.skip.update(group)
            self.gelu_at[min(group)] = (x, nodes[last].output[0])

    # --- node mapping ----------------------------------------------------------------------
    def run(self, name: str, description: str) -> Workload:
        self.collect_shapes()
        self.find_constants()
        self.find_gelu_patterns()
        for vi in self.graph.input:
            if vi.name not in self.initializers:
                self.emit(vi.name, O.Input(_nhwc(self.shape(vi.name))), (), (vi.name,))
        unsupported: list[tuple[str, str]] = []
        for i, node in enumerate(self.graph.node):
            if i in self.gelu_at:
                x, out = self.gelu_at[i]
                self.emit(f"gelu_{node.name or i}", O.Activation(_nhwc(self.shape(out, node)), "gelu"), (x,), (out,))
            elif i in self.skip:
                continue
            elif node.op_type in ("Constant", "Shape") or (
                    node.input and all(t in self.static for t in node.input)):
                self.static.update(node.output)  # constant folding: no run-time work
            elif node.domain not in ("", "ai.onnx") or node.op_type not in SUPPORTED:
                label = node.op_type if node.domain in ("", "ai.onnx") else f"{node.domain}.{node.op_type}"
                unsupported.append((label, node.name or f"#{i}"))
                if self.allow_unsupported:
                    self.generic(node, i)
            else:
                self.check_arity(node)
                self.map_node(node, i)
        if unsupported:
            listing = "; ".join(f"{op} (node '{n}')" for op, n in unsupported)
            if not self.allow_unsupported:
                kinds = sorted({op for op, _ in unsupported})
                raise WorkloadError(
                    f"unsupported ONNX operator type(s) {', '.join(kinds)} in {len(unsupported)} node(s): {listing}. "
                    "Use --allow-unsupported (load_onnx(..., allow_unsupported=True)) to cost them as generic "
                    "vector work", Location(self.path))
            warnings.warn(f"{self.path}: costing unsupported ONNX operators as generic vector work "
                          f"(one op per output element): {listing}", stacklevel=3)
        return self.build(name, description)

    def check_arity(self, node) -> None:
        """A node must give every input and output its operator's schema requires (a hand-edited or
        truncated model may not)."""
        from onnx import defs

        try:
            schema = defs.get_schema(node.op_type, max(self.opset, 1), "")
        except defs.SchemaError:
            return
        given = [t for t in node.input[:schema.min_input] if t]
        if len(given) < schema.min_input:
            names = ", ".join(p.name for p in schema.inputs[:schema.min_input])
            raise self.error(f"{node.op_type} needs {schema.min_input} input(s) ({names}), got "
                             f"{len([t for t in node.input if t])}", node)
        if len([t for t in node.output[:schema.min_output] if t]) < schema.min_output:
            raise self.error(f"{node.op_type} needs {schema.min_output} output(s), got "
                             f"{len([t for t in node.output if t])}", node)

    def rank(self, tensor: str, node, allowed: tuple[int, ...], what: str) -> tuple[int, ...]:
        """The shape of ``tensor`` when its rank is one of ``allowed``, else a clear error."""
        shape = self.shape(tensor, node)
        if len(shape) not in allowed:
            raise self.error(f"{node.op_type} needs {what}, got '{tensor}' of shape {list(shape)}", node)
        return shape

    def generic(self, node, index: int) -> None:
        """An unsupported node as one element operation per output element."""
        ref = next((t for t in list(node.output) + list(node.input) if t in self.shapes), None)
        if ref is None:
            raise self.error("unsupported operator whose output shape is unknown cannot be costed", node)
        shape = self.shapes[ref]
        for t in node.output:
            self.shapes.setdefault(t, shape)
        self.emit(node.name or f"{node.op_type}_{index}", O.Elementwise(_nhwc(shape), f"onnx_{node.op_type}", 1),
                  node.input, node.output)

    def build(self, name: str, description: str) -> Workload:
        b = WorkloadBuilder(name, self.batch, description, self.path, {"onnx_opset": self.opset})
        for layer_name, (op, inputs) in self.layers.items():
            try:
                b.add(layer_name, op, inputs)
            except WorkloadError as exc:
                raise WorkloadError(f"layer '{layer_name}': {exc.message}", Location(self.path)) from None
        return b.build()

    def map_node(self, node, index: int) -> None:
        t = node.op_type
        name = node.name or f"{t}_{index}"
        a = self.attrs(node)
        if t in _ALIAS:
            src = node.input[0]
            if src in self.static:
                self.static.update(node.output)
            elif src in self.producer:
                for out in node.output:
                    self.producer[out] = self.producer[src]
            self.shapes.setdefault(node.output[0], self.shapes.get(src, ()))
            return
        if t == "Conv":
            self.conv(node, name, a)
        elif t == "ConvTranspose":
            self.conv_transpose(node, name, a)
        elif t == "Gemm":
            self.gemm(node, name, a)
        elif t == "MatMul":
            self.matmul(node, name)
        elif t in _BINARY:
            self.binary(node, name, _BINARY[t])
        elif t in _UNARY:
            self.emit(name, O.Elementwise(_nhwc(self.shape(node.output[0], node)), _UNARY[t], 1),
                      node.input[:1], node.output)
        elif t in _ACT:
            self.emit(name, O.Activation(_nhwc(self.shape(node.output[0], node)), _ACT[t]), node.input[:1],
                      node.output)
        elif t == "Softmax":
            self.emit(name, O.Softmax(_nhwc(self.shape(node.output[0], node))), node.input[:1], node.output)
        elif t == "LayerNormalization":
            shape = self.rank(node.input[0], node, tuple(range(1, 9)), "an input of rank 1 or more")
            axis = a.get("axis", -1) % len(shape)
            features = math.prod(shape[axis:])
            affine = len(node.input) > 1 and node.input[1] in self.initializers
            op = O.Norm(_nhwc(shape), "layer", features, affine)  # scale (+ bias): counted as scale and shift
            self.emit(name, op, node.input[:1], node.output[:1])
        elif t == "BatchNormalization":
            shape = self.rank(node.input[0], node, tuple(range(1, 9)), "an input of rank 1 or more")
            self.emit(name, O.Norm(_nhwc(shape), "batch", shape[1] if len(shape) > 1 else shape[0]),
                      node.input[:1], node.output[:1])
        elif t in ("MaxPool", "AveragePool"):
            self.pool(node, name, a, "max" if t == "MaxPool" else "avg")
        elif t in ("GlobalAveragePool", "GlobalMaxPool"):
            n, c, h, w = self._as4d(self.shape(node.input[0], node), node)
            op = O.Pool(n, h, w, c, h, w, 1, 1, func="global_avg") if t == "GlobalAveragePool" else \
                O.Pool(n, h, w, c, h, w, 1, 1, func="max")
            self.emit(name, op, node.input[:1], node.output)
        elif t in _MOVES:
            func, copies = _MOVES[t]
            before, after = self.shape(node.input[0], node), self.shape(node.output[0], node)
            if not copies and math.prod(before) != math.prod(after):
                raise self.error(f"{t} changes the element count: {list(before)} ({math.prod(before)} elements) to "
                                 f"{list(after)} ({math.prod(after)})", node)
            self.emit(name, O.DataMovement(_nhwc(self.shape(node.input[0], node)),
                                           _nhwc(self.shape(node.output[0], node)), func, copies),
                      node.input[:1], node.output)
        elif t == "Concat":
            acts = [x for x in node.input if x not in self.static]
            total = sum(math.prod(self.shape(x, node)) for x in node.input if x)
            self.emit(name, O.DataMovement((total,), _nhwc(self.shape(node.output[0], node)), "concat", True),
                      acts, node.output)
        elif t == "Split":
            in_shape = _nhwc(self.shape(node.input[0], node))
            for k, out in enumerate(node.output):
                self.emit(f"{name}_{k}", O.DataMovement(in_shape, _nhwc(self.shape(out, node)), "split", True),
                          node.input[:1], (out,))
        elif t == "Gather":
            self.gather(node, name, a)
        elif t == "ReduceMean":
            shape = self.shape(node.input[0], node)
            self.emit(name, O.Elementwise(_nhwc(shape), "reduce_mean", 1), node.input[:1], node.output)
        elif t == "LSTM":
            self.lstm(node, name, a)
        else:  # pragma: no cover - SUPPORTED and this dispatch are kept in step
            raise self.error(f"internal: no mapping for {t}", node)

    def _as4d(self, shape, node):
        if len(shape) == 4:
            return shape
        if len(shape) == 3:
            n, c, w = shape
            return (n, c, 1, w)
        raise self.error(f"expected a 2-D (NCHW) or 1-D (NCW) tensor, got shape {list(shape)}", node)

    @staticmethod
    def _pads(a, in_hw, kernel, strides, dilations):
        auto = a.get("auto_pad", b"NOTSET")
        auto = auto.decode() if isinstance(auto, bytes) else auto
        if auto in ("SAME_UPPER", "SAME_LOWER"):
            pads_b, pads_e = [], []
            for size, k, s, d in zip(in_hw, kernel, strides, dilations):
                out = -(-size // s)
                total = max((out - 1) * s + (k - 1) * d + 1 - size, 0)
                small, big = total // 2, total - total // 2
                pads_b.append(small if auto == "SAME_UPPER" else big)
                pads_e.append(big if auto == "SAME_UPPER" else small)
            return pads_b[0], pads_e[0], pads_b[1], pads_e[1]
        if auto == "VALID":
            return 0, 0, 0, 0
        p = list(a.get("pads", [0] * (2 * len(kernel))))
        if len(kernel) == 1:
            return 0, 0, p[0], p[1]
        return p[0], p[2], p[1], p[3]  # top, bottom, left, right

    def _window(self, node, a, kernel_from=None):
        n, c, h, w = self._as4d(self.shape(node.input[0], node), node)
        kernel = list(a.get("kernel_shape", kernel_from or []))
        if len(kernel) not in (1, 2):
            raise self.error(f"only 1-D and 2-D windows are supported, got kernel {kernel}", node)
        one_d = len(kernel) == 1
        strides = list(a.get("strides", [1] * len(kernel)))
        dil = list(a.get("dilations", [1] * len(kernel)))
        if one_d:
            kernel, strides, dil = [1] + kernel, [1] + strides, [1] + dil
        pads = self._pads(a, (h, w), kernel, strides, dil)
        return n, c, h, w, kernel, strides, dil, pads

    def conv(self, node, name, a):
        wshape = self.shape(node.input[1], node)
        n, c, h, w, kernel, strides, dil, (pt, pb, pl, pr) = self._window(node, a, list(wshape[2:]))
        if dil[0] != dil[1]:
            raise self.error(f"different dilations per axis {dil} are not supported", node)
        op = O.Conv2d(n, h, w, c, int(wshape[0]), kernel[0], kernel[1], strides[0], strides[1], pt, pb, pl, pr,
                      dilation=dil[0], groups=int(a.get("group", 1)), bias=len(node.input) > 2 and bool(node.input[2]))
        self.check_shape(node, op)
        self.emit(name, op, node.input[:1], node.output)

    def conv_transpose(self, node, name, a):
        wshape = self.shape(node.input[1], node)  # (C_in, C_out / group, kH, kW)
        n, c, h, w = self._as4d(self.shape(node.input[0], node), node)
        groups = int(a.get("group", 1))
        k_area = math.prod(wshape[2:])
        out_shape = _nhwc(self._as4d(self.shape(node.output[0], node), node))
        parts = []
        for g in range(groups):
            # the output bias (C_out values) is added during col2im; its few parameters are not counted
            gemm = O.MatMul(n * h * w, c // groups, int(wshape[1]) * k_area, 1, True, False,
                            (n, h, w, int(wshape[1]) * k_area))
            parts.append(self.emit(f"{name}_gemm{g}" if groups > 1 else f"{name}_gemm", gemm, node.input[:1], ()))
        # col2im: every GEMM output element is accumulated into the output map
        op = O.Elementwise(out_shape, "col2im_add", max(2, -(-(n * h * w * int(wshape[1]) * k_area * groups)
                                                            // max(1, math.prod(out_shape))) + 1))
        lname = self.unique(f"{name}_col2im")
        self.layers[lname] = [op, tuple(parts)]
        self.producer[node.output[0]] = lname

    def gemm(self, node, name, a):
        sa, sb = self.shape(node.input[0], node), self.shape(node.input[1], node)
        if len(sa) != 2 or len(sb) != 2:  # guard: ONNX Gemm takes two matrices
            raise self.error(f"Gemm needs two 2-D inputs, got shapes {sa} and {sb}", node)
        m, k = (sa[1], sa[0]) if a.get("transA", 0) else (sa[0], sa[1])
        n = sb[0] if a.get("transB", 0) else sb[1]
        bias = len(node.input) > 2 and bool(node.input[2])
        if node.input[1] in self.static:
            op = O.MatMul(m, k, n, 1, True, bias, (m, n))
            self.emit(name, op, node.input[:1], node.output)
        else:  # two activations: a plain product, then the bias add as vector work
            self.emit(name, O.MatMul(m, k, n, 1, False, False, (m, n)), node.input[:2], node.output)
            if bias:
                self.emit(f"{name}_bias", O.Elementwise((m, n), "add", 1), node.output[:1], node.output)

    def matmul(self, node, name):
        x, y = node.input[0], node.input[1]
        sa, sb = self.shape(x, node), self.shape(y, node)
        out = self.shape(node.output[0], node)
        if len(sa) == 1:
            sa = (1,) + sa
        if len(sb) == 1:
            sb = sb + (1,)
        m, k, n = sa[-2], sa[-1], sb[-1]
        batch_dims = out[:-2] if len(out) >= 2 else ()
        count = math.prod(batch_dims)  # 1 for no batch dimensions
        if y in self.static and len(sb) == 2:
            op = O.MatMul(math.prod(sa[:-1]), k, n, 1, True, False, out)
            self.emit(name, op, (x,), node.output)
        elif x in self.static and len(sa) == 2:
            # W · X: the weight is the left operand; as an FC, (X^T W^T) has X's columns as rows
            op = O.MatMul(count * n, k, m, 1, True, False, out)
            self.emit(name, op, (y,), node.output)
        else:
            op = O.MatMul(m, k, n, count, False, False, out)
            self.emit(name, op, (x, y), node.output)

    def binary(self, node, name, func):
        out = node.output[0]
        acts = [t for t in node.input if t not in self.static]
        consts = [t for t in node.input if t in self.static]
        # fold "MatMul then + bias vector" into the FC's bias
        if func == "add" and len(acts) == 1 and consts and acts[0] in self.producer:
            layer = self.producer[acts[0]]
            op = self.layers[layer][0]
            cshape = self.shapes.get(consts[0], ())
            if (type(op) is O.MatMul and op.weights and not op.bias and self.consumers.get(acts[0], 0) == 1
                    and math.prod(cshape) == op.n):
                self.layers[layer][0] = dataclasses.replace(op, bias=True)
                self.producer[out] = layer
                return
        shape = _nhwc(self.shape(out, node))
        self.emit(name, O.Elementwise(shape, func, max(1, len(acts))), acts, node.output)

    def pool(self, node, name, a, func):
        n, c, h, w, kernel, strides, _dil, (pt, pb, pl, pr) = self._window(node, a)
        op = O.Pool(n, h, w, c, kernel[0], kernel[1], strides[0], strides[1], pt, pb, pl, pr, func,
                    bool(a.get("ceil_mode", 0)))
        self.check_shape(node, op)
        self.emit(name, op, node.input[:1], node.output)

    def gather(self, node, name, a):
        data, idx = node.input[0], node.input[1]
        out = self.shape(node.output[0], node)
        dshape = self.shape(data, node)
        if data in self.initializers and a.get("axis", 0) == 0 and len(dshape) == 2:
            lookups = math.prod(self.shapes.get(idx, (1,))) if idx in self.shapes else math.prod(out) // dshape[1]
            self.emit(name, O.Embedding(int(dshape[0]), int(dshape[1]), lookups, out), (idx,), node.output)
        else:
            self.emit(name, O.DataMovement(dshape, out, "gather", True), [t for t in node.input], node.output)

    def lstm(self, node, name, a):
        x = node.input[0]
        seq, batch, in_size = self.rank(x, node, (3,), "a 3-D input [sequence, batch, features]")
        if a.get("layout", 0):
            batch, seq = seq, batch
        h = int(a.get("hidden_size") or self.shape(node.input[2], node)[-1])
        dirs = 2 if (a.get("direction", b"forward") in (b"bidirectional", "bidirectional")) else 1
        bias = len(node.input) > 3 and bool(node.input[3])
        steps = seq * dirs
        proj = self.emit(f"{name}_input_proj", O.MatMul(seq * batch, in_size, 4 * h * dirs, 1, True, bias,
                                                       (seq, batch, 4 * h * dirs)), (x,), ())
        recur = []
        for d in range(dirs):
            op = O.MatMul(batch, h, 4 * h, seq, True, bias, (seq, batch, 4 * h))
            recur.append(self.emit(f"{name}_recurrent{'_rev' if d else ''}", op, (), ()))
        gates = self._link(f"{name}_sigmoid", O.Activation((steps, batch, 3 * h), "sigmoid"), [proj] + recur)
        tanh_g = self._link(f"{name}_tanh_g", O.Activation((steps, batch, h), "tanh"), [proj] + recur)
        cell = self._link(f"{name}_cell", O.Elementwise((steps, batch, h), "lstm_cell_update", 4), [gates, tanh_g])
        tanh_c = self._link(f"{name}_tanh_c", O.Activation((steps, batch, h), "tanh"), [cell])
        hidden = self._link(f"{name}_hidden", O.Elementwise((steps, batch, h), "mul", 2), [gates, tanh_c])
        for out in node.output:
            if out:
                self.producer[out] = hidden
        # the recurrent products read the previous step's hidden state
        for r in recur:
            self.layers[r][1] = (proj,)

    def _link(self, base: str, op: O.Op, inputs: list[str]) -> str:
        name = self.unique(base)
        self.layers[name] = [op, tuple(inputs)]
        return name
