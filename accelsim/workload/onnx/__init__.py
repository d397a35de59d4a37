"""Import an ONNX model as a Workload (optional dependency: ``onnx``).

The model's own shapes come from ``onnx.shape_inference``; weights are never read (external data is
not loaded), only their shapes, so multi-gigabyte models import quickly. ONNX is NCHW; rank-4
activations become NHWC op shapes.

One module per job: ``read.py`` loads and checks the file and rewrites its batch; ``fold.py`` runs
shape inference with constant folding; ``mapping.py`` maps ONNX nodes to accelsim ops (its
docstring lists the mapping). ``onnx`` itself is imported only when a model is loaded, so
accelsim imports without it.
"""
from __future__ import annotations

from pathlib import Path

from ...errors import Location, WorkloadError
from ..graph import Workload
from .fold import _infer_with_folding
from .mapping import SUPPORTED, _Importer
from .read import _read_model, _set_batch

__all__ = ["SUPPORTED", "load_onnx"]


def load_onnx(path: str | Path, batch: int | None = None, allow_unsupported: bool = False) -> Workload:
    """Read an ONNX file into a Workload.

    ``batch`` replaces the first dimension of every graph input (default: the model's own, or 1 when
    it is symbolic). ``allow_unsupported`` costs unknown operators as one element operation per
    output element (with a warning) instead of raising one WorkloadError that lists them all.
    """
    try:
        import onnx
    except ImportError:
        raise WorkloadError("reading .onnx files needs the optional dependency 'onnx' (pip install onnx)",
                            Location(str(path))) from None
    path = str(path)
    if batch is not None and (isinstance(batch, bool) or int(batch) < 1):
        raise WorkloadError(f"batch must be a positive integer, got {batch!r}", field="batch")
    model = _read_model(onnx, path)
    chosen, own = _set_batch(model, batch)
    rebatched = own is not None and own != chosen
    try:
        inferred = _infer_with_folding(onnx, model, path)
        importer = _Importer(inferred, path, chosen, allow_unsupported)
        importer.opset = max((o.version for o in model.opset_import if o.domain in ("", "ai.onnx")), default=0)
        name = inferred.graph.name or Path(path).stem
        description = f"imported from {Path(path).name}" + (
            f" ({inferred.producer_name})" if inferred.producer_name else "")
        return importer.run(name, description)
    except WorkloadError as exc:
        if not rebatched or "shape" not in exc.message:
            raise
        raise WorkloadError(f"{exc.message}. The model was exported with a fixed batch of {own}, and its "
                            f"reshapes do not follow a batch of {chosen}: import it at batch {own} or export "
                            "it with a dynamic batch axis", exc.location, exc.field) from None
