"""Constant folding and shape inference: run ONNX shape inference, evaluate small constant
subgraphs (shape arithmetic) and infer again until no new shapes appear."""
from __future__ import annotations

import math

from ...errors import Location, WorkloadError
from ...guards import onnx_data_prop_is_safe

#: small constant computations evaluated here so that shapes computed at run time (Shape -> Gather ->
#: Concat -> Reshape, as exporters emit) become known; each maps (inputs, attributes) -> output
_MAX_FOLD_ELEMENTS = 1 << 16


def _fold_eval(op_type: str, vals: list, a: dict, in_shapes: list):
    import numpy as np

    def axes_arg():
        if len(vals) > 1 and vals[1] is not None:
            return [int(v) for v in np.atleast_1d(vals[1])]
        return [int(v) for v in a.get("axes", [])]

    x = vals[0] if vals else None
    if op_type == "Shape":
        dims = np.array(in_shapes[0], dtype=np.int64)
        return dims[a.get("start", 0):a.get("end", len(dims))]
    if op_type in ("Identity", "Cast"):
        if op_type == "Cast":
            from onnx import helper

            return x.astype(helper.tensor_dtype_to_np_dtype(a["to"]))
        return x
    if op_type == "Gather":
        return np.take(x, vals[1], axis=a.get("axis", 0))
    if op_type == "Unsqueeze":
        out = x
        for ax in sorted(v % (x.ndim + len(axes_arg())) for v in axes_arg()):
            out = np.expand_dims(out, ax)
        return out
    if op_type == "Squeeze":
        axes = axes_arg()
        return np.squeeze(x, axis=tuple(axes)) if axes else np.squeeze(x)
    if op_type == "Concat":
        return np.concatenate([np.atleast_1d(v) for v in vals], axis=a.get("axis", 0))
    if op_type == "Slice":
        starts, ends = np.atleast_1d(vals[1]), np.atleast_1d(vals[2])
        axes = np.atleast_1d(vals[3]) if len(vals) > 3 and vals[3] is not None else range(len(starts))
        steps = np.atleast_1d(vals[4]) if len(vals) > 4 and vals[4] is not None else [1] * len(starts)
        index = [slice(None)] * x.ndim
        for st, en, ax, sp in zip(starts, ends, axes, steps):
            index[int(ax)] = slice(int(max(min(st, 2**62), -2**62)), int(max(min(en, 2**62), -2**62)), int(sp))
        return x[tuple(index)]
    if op_type == "Reshape":
        target = [int(v) for v in vals[1]]
        target = [x.shape[i] if v == 0 else v for i, v in enumerate(target)]
        return x.reshape(target)
    if op_type == "ConstantOfShape":
        from onnx import numpy_helper

        fill = numpy_helper.to_array(a["value"]) if "value" in a else np.zeros(1, np.float32)
        return np.full([int(v) for v in x], fill.reshape(-1)[0], dtype=fill.dtype)
    if op_type == "Range":
        return np.arange(vals[0], vals[1], vals[2])
    binary = {"Add": np.add, "Sub": np.subtract, "Mul": np.multiply, "Mod": np.fmod, "Equal": np.equal,
              "Min": np.minimum, "Max": np.maximum, "Pow": np.power, "Less": np.less, "Greater": np.greater}
    if op_type in binary:
        return binary[op_type](vals[0], vals[1])
    if op_type == "Div":
        if np.issubdtype(np.asarray(vals[0]).dtype, np.integer):
            return (np.asarray(vals[0]) / np.asarray(vals[1])).astype(np.asarray(vals[0]).dtype)
        return np.divide(vals[0], vals[1])
    unary = {"Sqrt": np.sqrt, "Neg": np.negative, "Abs": np.abs, "Floor": np.floor, "Ceil": np.ceil,
             "Reciprocal": np.reciprocal, "Not": np.logical_not}
    if op_type in unary:
        return unary[op_type](x)
    if op_type == "Where":
        return np.where(vals[0], vals[1], vals[2])
    if op_type == "Expand":
        return x * np.ones([int(v) for v in vals[1]], dtype=x.dtype)
    if op_type == "ReduceProd":
        return np.prod(x, keepdims=bool(a.get("keepdims", 1)))
    if op_type == "Transpose":
        return np.transpose(x, a.get("perm"))
    return None


def _infer_with_folding(onnx, model, path: str):
    """Shape inference, then evaluate small constant subgraphs (shape arithmetic), bake their values
    in as initializers and infer again, until no new shapes appear."""
    import numpy as np
    from onnx import helper, numpy_helper

    def infer(m):
        try:
            return onnx.shape_inference.infer_shapes(m, strict_mode=False, data_prop=onnx_data_prop_is_safe(onnx, m))
        except (onnx.shape_inference.InferenceError, ValueError, RuntimeError) as exc:
            raise WorkloadError(f"ONNX shape inference failed: {exc}", Location(path)) from None

    def known_shapes(m):
        out = {}
        for vi in list(m.graph.input) + list(m.graph.value_info) + list(m.graph.output):
            dims = vi.type.tensor_type.shape.dim if vi.type.HasField("tensor_type") else []
            if vi.type.HasField("tensor_type") and vi.type.tensor_type.HasField("shape") and all(
                    d.HasField("dim_value") for d in dims):
                out[vi.name] = tuple(int(d.dim_value) for d in dims)
        for t in m.graph.initializer:
            out[t.name] = tuple(int(d) for d in t.dims)
        return out

    current = infer(model)
    for _ in range(8):
        shapes = known_shapes(current)
        values = {}
        for t in current.graph.initializer:
            if t.data_location != 1 and math.prod(t.dims) <= _MAX_FOLD_ELEMENTS:
                values[t.name] = numpy_helper.to_array(t)
        folded = set()
        for index, node in enumerate(current.graph.node):
            a = {x.name: helper.get_attribute_value(x) for x in node.attribute}
            if node.op_type == "Constant" and "value" in a:
                values[node.output[0]] = numpy_helper.to_array(a["value"])
                folded.add(index)
                continue
            if node.domain not in ("", "ai.onnx") or len(node.output) != 1:
                continue
            ins = [t for t in node.input]
            if node.op_type == "Shape":
                if ins[0] not in shapes:
                    continue
                vals, in_shapes = [None], [shapes[ins[0]]]
            else:
                if not ins or any(t and t not in values for t in ins):
                    continue
                vals, in_shapes = [values.get(t) if t else None for t in ins], []
            try:
                result = _fold_eval(node.op_type, vals, a, in_shapes)
            except (ValueError, TypeError, IndexError, KeyError, np.AxisError):
                result = None
            if result is None or np.asarray(result).size > _MAX_FOLD_ELEMENTS:
                continue
            values[node.output[0]] = np.asarray(result)
            folded.add(index)
        if not folded:
            break
        kept = [n for i, n in enumerate(current.graph.node) if i not in folded]
        needed = {t for n in kept for t in n.input} | {o.name for o in current.graph.output}
        new_inits = [numpy_helper.from_array(np.asarray(v), name) for name, v in values.items()
                     if name in needed and name not in {t.name for t in current.graph.initializer}]
        if not new_inits and len(kept) == len(current.graph.node):
            break
        graph = helper.make_graph(kept, current.graph.name, current.graph.input, current.graph.output,
                                  list(current.graph.initializer) + new_inits)
        rebuilt = helper.make_model(graph, opset_imports=current.opset_import, producer_name=current.producer_name,
                                    ir_version=current.ir_version)
        before = len(shapes)
        current = infer(rebuilt)
        if len(known_shapes(current)) <= before and len(kept) == len(graph.node) and not new_inits:
            break
    return current
