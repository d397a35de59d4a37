"""Reading an ONNX file: load and sanity-check the model, and rewrite its batch dimension."""
from __future__ import annotations

from ...errors import Location, WorkloadError
from ...guards import onnx_names_are_text, onnx_small_tensors_are_readable
from .fold import _MAX_FOLD_ELEMENTS


def _read_model(onnx, path: str):
    try:
        with open(path, "rb") as fh:
            data = fh.read()
    except OSError as exc:
        raise WorkloadError(f"cannot read the file: {exc.strerror or exc}", Location(path)) from None
    from google.protobuf.message import DecodeError

    try:
        model = onnx.load_model_from_string(data)
    except (DecodeError, ValueError, RuntimeError, TypeError) as exc:
        raise WorkloadError(f"not a readable ONNX model ({type(exc).__name__}: {exc})", Location(path)) from None
    if not onnx_names_are_text(model) or not onnx_small_tensors_are_readable(model, _MAX_FOLD_ELEMENTS):  # guard
        raise WorkloadError("not a readable ONNX model: names or constants that do not decode (corrupt file?)", Location(path))
    if not model.HasField("graph") or len(model.graph.node) == 0:
        raise WorkloadError("not an ONNX model: no graph nodes found (corrupt or a different file type?)",
                            Location(path))
    return model


def _set_batch(model, batch: int | None) -> tuple[int, int | None]:
    """Fix the batch dimension of every graph input to ``batch`` (or the model's own, or 1).
    Returns (the batch used, the model's own fixed batch or None). Constant Reshape shapes that
    spell out a fixed batch are updated too."""
    init_names = {t.name for t in model.graph.initializer}
    inputs = [vi for vi in model.graph.input if vi.name not in init_names]
    own = None
    for vi in inputs:
        dims = vi.type.tensor_type.shape.dim
        if dims and dims[0].HasField("dim_value") and dims[0].dim_value > 0:
            own = int(dims[0].dim_value)
            break
    chosen = int(batch) if batch is not None else (own or 1)
    for vi in inputs:
        dims = vi.type.tensor_type.shape.dim
        if not dims:
            continue
        if not dims[0].HasField("dim_value") or dims[0].dim_value <= 0 or dims[0].dim_value == own:
            dims[0].Clear()
            dims[0].dim_value = chosen
    if own is not None and chosen != own:
        _rewrite_reshape_batch(model, own, chosen)
    return chosen, own


def _rewrite_reshape_batch(model, old: int, new: int) -> None:
    from onnx import numpy_helper

    shape_inputs = {n.input[1] for n in model.graph.node if n.op_type == "Reshape" and len(n.input) > 1}
    for init in model.graph.initializer:
        if init.name in shape_inputs and init.data_location != 1:
            arr = numpy_helper.to_array(init).copy()
            if arr.ndim == 1 and arr.size and arr[0] == old:
                arr[0] = new
                init.CopyFrom(numpy_helper.from_array(arr, init.name))
    for node in model.graph.node:
        if node.op_type == "Constant" and node.output[0] in shape_inputs:
            for attr in node.attribute:
                if attr.name == "value":
                    arr = numpy_helper.to_array(attr.t).copy()
                    if arr.ndim == 1 and arr.size and arr[0] == old:
                        arr[0] = new
                        attr.t.CopyFrom(numpy_helper.from_array(arr))
