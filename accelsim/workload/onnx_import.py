"""Compatibility module: the ONNX importer lives in :mod:`accelsim.workload.onnx` (``read.py``:
load and check the file, batch rewrite; ``fold.py``: constant folding and shape inference;
``mapping.py``: ONNX node -> accelsim op). This module re-exports its public names."""
from __future__ import annotations

from .onnx import SUPPORTED, load_onnx

__all__ = ["SUPPORTED", "load_onnx"]
