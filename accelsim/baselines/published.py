"""Published GPU measurements (MLPerf results, NVIDIA benchmark tables, GEMM tables) and the models' error.

The data file (``reports/gpu_published/results.csv``) has one row per published figure. Each row
names a GPU config of ``archs/gpus``, a kind (``network``: a built-in workload at a batch size;
``gemm``: ``count`` independent (m x k) . (k x n) products), a suite (:data:`SUITES`), the precision
it ran at, the value as published (``samples_per_second`` or ``tflops``), how many GPUs produced
it (the per-GPU value is ``value / gpus``), where it was read (``source``, ``locator``) and a status: ``V`` = read in the
retrieved text, ``M`` = recalled, not re-read (kept out of every summary).

Error convention (throughput, not time): ``error_pct = (predicted / measured - 1) x 100`` where both
are per-GPU throughputs. Positive means the model is optimistic (it predicts more throughput than
was measured, as a roofline always should); negative means the measurement beat the model.
"""
from __future__ import annotations

import math
import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from ..errors import AccelsimError, Location
from ..workload import ops as O
from ..workload.graph import Workload
from ..workload.registry import builtin_workloads, load_workload
from .csv_rows import located_rows
from .gpu_model import (
    DERATED,
    GPU_PRECISION_BYTES,
    MODELS,
    DeratedParams,
    gpu_baseline,
    layer_time,
    resolve_precision,
)
from .gpu_spec import GPUS_DIR, GpuSpec, load_gpu_spec

COLUMNS = ("id", "gpu", "kind", "suite", "workload", "m", "n", "k", "count", "precision", "batch", "scenario",
           "value", "unit", "gpus", "normalisation", "software", "source", "locator", "batch_source", "status")
KINDS = {"network": "samples_per_second", "gemm": "tflops"}
#: where a figure comes from, which decides how much software is between the model and the number
SUITES = {
    "mlperf_inference": "MLPerf Inference closed division (TensorRT, INT8, tuned harness)",
    "framework_benchmark": "framework benchmark scripts (NGC TensorFlow / PyTorch containers)",
    "gemm_table": "single-GEMM throughput tables",
}
STATUSES = ("V", "M")


@dataclass(frozen=True)
class PublishedResult:
    """One published figure. ``per_gpu`` is ``value / gpus`` in ``unit``."""

    id: str
    gpu: str
    kind: str
    suite: str
    workload: str
    m: int
    n: int
    k: int
    count: int
    precision: str
    batch: int
    scenario: str
    value: float
    unit: str
    gpus: int
    normalisation: str
    software: str
    source: str
    locator: str
    batch_source: str
    status: str
    line: int = 0

    @property
    def per_gpu(self) -> float:
        """The published value for one GPU (a system total divided by its GPU count)."""
        return self.value / self.gpus

    @property
    def shape(self) -> str:
        """The workload and batch, or the GEMM shape, as a short label."""
        if self.kind == "network":
            return f"{self.workload} b{self.batch}"
        return f"{self.count}x{self.m}x{self.n}x{self.k}" if self.count > 1 else f"{self.m}x{self.n}x{self.k}"


def _text(row: dict, column: str, where: Location, required: bool = True) -> str:
    text = (row.get(column) or "").strip()
    if required and not text:
        raise AccelsimError("must not be empty", where, field=column)
    return text


def _int(row: dict, column: str, where: Location) -> int:
    text = _text(row, column, where)
    try:
        value = int(text)
    except ValueError:
        raise AccelsimError(f"expected an integer, got {text!r}", where, field=column) from None
    if value < 1:
        raise AccelsimError(f"expected an integer >= 1, got {value}", where, field=column)
    return value


def _positive(row: dict, column: str, where: Location) -> float:
    text = _text(row, column, where)
    try:
        value = float(text)
    except ValueError:
        raise AccelsimError(f"expected a number, got {text!r}", where, field=column) from None
    if not (value > 0 and math.isfinite(value)):
        raise AccelsimError(f"expected a positive number, got {text}", where, field=column)
    return value


def _choice(row: dict, column: str, where: Location, allowed: Iterable[str]) -> str:
    text = _text(row, column, where)
    allowed = tuple(allowed)
    if text not in allowed:
        raise AccelsimError(f"unknown value {text!r}; allowed: {', '.join(allowed)}", where, field=column)
    return text


def _result(row: dict, where: Location, gpus: Sequence[str], workloads: Sequence[str]) -> PublishedResult:
    kind = _choice(row, "kind", where, KINDS)
    unit = _choice(row, "unit", where, (KINDS[kind],))
    if kind == "network":
        workload = _choice(row, "workload", where, workloads)
        m = n = k = count = 1
    else:
        workload = _text(row, "workload", where, required=False)
        m, n, k, count = (_int(row, c, where) for c in ("m", "n", "k", "count"))
    return PublishedResult(
        id=_text(row, "id", where), gpu=_choice(row, "gpu", where, gpus), kind=kind,
        suite=_choice(row, "suite", where, SUITES), workload=workload,
        m=m, n=n, k=k, count=count, precision=_choice(row, "precision", where, GPU_PRECISION_BYTES),
        batch=_int(row, "batch", where), scenario=_text(row, "scenario", where), value=_positive(row, "value", where),
        unit=unit, gpus=_int(row, "gpus", where), normalisation=_text(row, "normalisation", where),
        software=_text(row, "software", where), source=_text(row, "source", where),
        locator=_text(row, "locator", where), batch_source=_text(row, "batch_source", where, required=kind == "network"),
        status=_choice(row, "status", where, STATUSES), line=where.line or 0)


def read_published_csv(path: str | Path) -> tuple[PublishedResult, ...]:
    """Parse the published-results CSV; every error names the file, line and column."""
    gpus = sorted(p.stem for p in GPUS_DIR.glob("*.yaml"))
    workloads = sorted(builtin_workloads())
    results, seen = [], set()
    for where, row in located_rows(path, COLUMNS):
        result = _result(row, where, gpus, workloads)
        if result.id in seen:
            raise AccelsimError(f"duplicate id {result.id!r}", where, field="id")
        seen.add(result.id)
        results.append(result)
    if not results:
        raise AccelsimError("no rows in file", Location(str(Path(path))))
    return tuple(results)


def predicted_per_gpu(result: PublishedResult, model: str, params: DeratedParams = DERATED,
                      spec: GpuSpec | None = None, workload: Workload | None = None) -> float:
    """The model's throughput for one GPU, in the row's unit (samples/s or 10^12 FLOP/s).

    ``spec`` and ``workload`` may be passed in to reuse a loaded GPU config or built workload.
    """
    spec = spec or load_gpu_spec(result.gpu)
    if result.kind == "network":
        workload = workload or load_workload(result.workload, result.batch)
        return result.batch / gpu_baseline(workload, spec, result.precision, model, params=params).seconds
    op = O.MatMul(result.m, result.k, result.n, count=result.count)
    key, _ = resolve_precision(spec, result.precision)
    return 2 * op.macs / layer_time("gemm", op, spec, key, model, params=params).seconds / 1e12


def error_pct(predicted: float, measured: float) -> float:
    """(predicted / measured - 1) x 100: > 0 when the model is optimistic."""
    return (predicted / measured - 1.0) * 100.0


@dataclass(frozen=True)
class PublishedError:
    """One published row with each model's per-GPU prediction and error (``MODELS`` order)."""

    result: PublishedResult
    predicted: tuple[float, ...]

    @property
    def errors_pct(self) -> tuple[float, ...]:
        return tuple(error_pct(p, self.result.per_gpu) for p in self.predicted)

    def error(self, model: str) -> float:
        return self.errors_pct[MODELS.index(model)]

    @property
    def above_roofline(self) -> bool:
        """The measurement beat the roofline: the modelled work exceeds what the system computed."""
        return self.predicted[MODELS.index("roofline")] < self.result.per_gpu


def published_errors(results: Iterable[PublishedResult], params: DeratedParams = DERATED) -> list[PublishedError]:
    """Both models' predictions for every row, in row order (workloads built once per name and batch)."""
    specs: dict[str, GpuSpec] = {}
    workloads: dict[tuple[str, int], Workload] = {}
    out = []
    for result in results:
        spec = specs.setdefault(result.gpu, load_gpu_spec(result.gpu))
        workload = None
        if result.kind == "network":
            key = (result.workload, result.batch)
            if key not in workloads:
                workloads[key] = load_workload(result.workload, result.batch)
            workload = workloads[key]
        out.append(PublishedError(result, tuple(predicted_per_gpu(result, model, params, spec, workload)
                                                for model in MODELS)))
    return out


@dataclass(frozen=True)
class ErrorSummary:
    """Mean and median absolute error % of one model over a group of rows."""

    group: str
    model: str
    count: int
    mean_abs_pct: float
    median_abs_pct: float
    mean_signed_pct: float
    above_roofline: int


def summarise(errors: Sequence[PublishedError], group: str, model: str) -> ErrorSummary:
    """Summary of ``model`` over ``errors`` (callers pass only the rows they mean to count)."""
    values = [e.error(model) for e in errors]
    if not values:
        raise AccelsimError(f"no rows to summarise for {group}")
    return ErrorSummary(group, model, len(values), statistics.fmean(abs(v) for v in values),
                        statistics.median(abs(v) for v in values), statistics.fmean(values),
                        sum(e.above_roofline for e in errors))
