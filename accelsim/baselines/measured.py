"""Measured GPU kernel timings (CSV from benchmarks/gpu_kernels.py) and the GPU models' error on them.

Error convention: ``ratio = predicted seconds / measured seconds``; below 1 the model is too
optimistic (a roofline always should be), above 1 too pessimistic. ``abs_pct_error`` is
``|predicted - measured| / measured x 100``. Kernels are grouped by class = kind + precision
(``gemm_square bf16``, ``conv fp16`` ...).
"""
from __future__ import annotations

import math
import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from ..errors import AccelsimError, Location
from ..workload import ops as O
from .csv_rows import located_rows
from .gpu_model import DERATED, MODELS, DeratedParams, layer_time, resolve_precision
from .gpu_spec import GpuSpec

REQUIRED_COLUMNS = ("kind", "precision", "flops", "bytes", "seconds_median")
GEMM_COLUMNS = ("m", "n", "k")
CONV_COLUMNS = ("batch", "in_h", "in_w", "in_channels", "out_channels", "kernel", "stride", "padding")


@dataclass(frozen=True)
class MeasuredKernel:
    """One timed kernel: its operator, work (flops = 2 x MACs, bytes) and median seconds."""

    kind: str
    precision: str
    op: O.Op
    flops: int
    bytes: int
    seconds: float
    device: str = ""
    line: int = 0

    @property
    def kernel_class(self) -> str:
        return f"{self.kind} {self.precision}"

    @property
    def tflops(self) -> float:
        """Achieved 10^12 floating-point operations per second."""
        return self.flops / self.seconds / 1e12


def _int(row: dict, column: str, where: Location) -> int:
    text = (row.get(column) or "").strip()
    try:
        value = int(float(text))
    except ValueError:
        raise AccelsimError(f"expected an integer, got {text!r}", where, field=column) from None
    minimum = 0 if column in ("padding", "bytes") else 1
    if value < minimum:
        raise AccelsimError(f"expected an integer >= {minimum}, got {value}", where, field=column)
    return value


def _op(row: dict, where: Location) -> O.Op:
    kind = row["kind"].strip()
    if kind.startswith("gemm"):
        m, n, k = (_int(row, c, where) for c in GEMM_COLUMNS)
        return O.MatMul(m, k, n)
    if kind == "conv":
        b, h, w, cin, cout, kernel, stride, pad = (_int(row, c, where) for c in CONV_COLUMNS)
        op = O.Conv2d(b, h, w, cin, cout, kernel, kernel, stride, stride, pad, pad, pad, pad)
        op.validate()
        return op
    raise AccelsimError(f"unknown kernel kind '{kind}'; known: gemm_square, gemm_skinny, conv", where, field="kind")


def read_measured_csv(path: str | Path) -> tuple[MeasuredKernel, ...]:
    """Parse a benchmarks/gpu_kernels.py CSV; errors name the file, line and column."""
    kernels = []
    for where, row in located_rows(path, REQUIRED_COLUMNS):
        seconds_text = (row.get("seconds_median") or "").strip()
        try:
            seconds = float(seconds_text)
        except ValueError:
            raise AccelsimError(f"expected seconds, got {seconds_text!r}", where, field="seconds_median") from None
        if not (seconds > 0 and math.isfinite(seconds)):
            raise AccelsimError(f"expected a positive time in seconds, got {seconds}", where, field="seconds_median")
        op = _op(row, where)
        flops = _int(row, "flops", where)
        if abs(flops - 2 * op.macs) > 1e-6 * flops:
            raise AccelsimError(f"flops {flops} disagree with the shape, which gives 2 x MACs = {2 * op.macs}",
                                where, field="flops")
        kernels.append(MeasuredKernel(row["kind"].strip(), row["precision"].strip(), op, flops,
                                      _int(row, "bytes", where), seconds, (row.get("device") or "").strip(), where.line))
    if not kernels:
        raise AccelsimError("no measurements in file", Location(str(Path(path))))
    return tuple(kernels)


def predicted_seconds(kernel: MeasuredKernel, spec: GpuSpec, model: str, params: DeratedParams = DERATED) -> float:
    """The model's time for one measured kernel (one kernel launch, nothing fused)."""
    key, _ = resolve_precision(spec, kernel.precision)
    return layer_time(kernel.kind, kernel.op, spec, key, model, params=params).seconds


@dataclass(frozen=True)
class ClassError:
    """How far one model is from the measurements of one kernel class."""

    kernel_class: str
    model: str
    count: int
    median_ratio: float      # median of predicted / measured
    geomean_ratio: float     # geometric mean of predicted / measured
    median_abs_pct_error: float
    max_abs_pct_error: float
    measured_median_tflops: float


def _summarise(name: str, model: str, pairs: Sequence[tuple[MeasuredKernel, float]]) -> ClassError:
    ratios = [pred / k.seconds for k, pred in pairs]
    errors = [abs(r - 1) * 100 for r in ratios]
    return ClassError(name, model, len(pairs), statistics.median(ratios),
                      math.exp(statistics.fmean(math.log(r) for r in ratios)),
                      statistics.median(errors), max(errors),
                      statistics.median(k.tflops for k, _ in pairs))


def model_errors(kernels: Iterable[MeasuredKernel], spec: GpuSpec, models: Sequence[str] = MODELS,
                 params: DeratedParams = DERATED) -> list[ClassError]:
    """Per kernel class and model (then ``all`` per model), in first-seen class order."""
    kernels = list(kernels)
    classes = list(dict.fromkeys(k.kernel_class for k in kernels))
    out = []
    for model in models:
        pairs = [(k, predicted_seconds(k, spec, model, params)) for k in kernels]
        for name in classes:
            out.append(_summarise(name, model, [p for p in pairs if p[0].kernel_class == name]))
        out.append(_summarise("all", model, pairs))
    return out


def errors_markdown(errors: Sequence[ClassError]) -> str:
    """A Markdown table of :func:`model_errors` output."""
    lines = [("| kernel class | model | kernels | measured median TFLOPS | median predicted/measured | "
             "geomean predicted/measured | median abs error % | max abs error % |"),
             "|---|---|---:|---:|---:|---:|---:|---:|"]
    for e in errors:
        lines.append(f"| {e.kernel_class} | {e.model} | {e.count} | {e.measured_median_tflops:.1f} | "
                     f"{e.median_ratio:.3f} | {e.geomean_ratio:.3f} | {e.median_abs_pct_error:.1f} | "
                     f"{e.max_abs_pct_error:.1f} |")
    return "\n".join(lines) + "\n"
