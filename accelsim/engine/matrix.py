"""Matrix-unit timing of one lowered GEMM task: dataflow mapping + the Cython fold pipeline."""
from __future__ import annotations

import math
from dataclasses import dataclass

from .._native.systolic import gemm_fold_pipeline
from ..lower.work import GemmWork
from ..spec.arch import MatrixUnitSpec
from .dataflow import spatial_temporal


@dataclass(frozen=True)
class MatrixTiming:
    """Cycles of one GEMM task on the matrix unit(s), split by cause."""

    total: int
    compute: int
    weight_load_stall: int
    weight_shift: int
    folds: int
    used_pe_sum: int  # sum over folds of used rows x cols
    fetch_cycles: int  # cycles the stationary-operand stream occupies memory
    fetch_bytes: int

    def mapping_efficiency(self, rows: int, cols: int) -> float:
        """Mean over folds of the fraction of a ``rows`` x ``cols`` array's PEs holding a mapped
        element (0..1): used_pe_sum / (folds x rows x cols); 0.0 when there are no folds."""
        return self.used_pe_sum / (self.folds * rows * cols) if self.folds else 0.0


def matrix_timing(gemm: GemmWork, mu: MatrixUnitSpec, fetch_bytes_per_cycle: float, prefetch_lead: int = 0) -> MatrixTiming:
    """Time ``gemm`` on ``mu`` with the stationary operand fetched at ``fetch_bytes_per_cycle``.

    ``count`` groups run back to back with their folds pipelined, so the fill/drain skew is paid
    once. With several matrix units the output columns (N) are split between them and they share
    the fetch bandwidth. For OS and IS the weights are the streamed operand; their fetch is
    compared with the compute time at layer level (a stall when it is longer). ``prefetch_lead``:
    cycles the weight stream could run before the layer started (the first FIFO-full of tiles).
    """
    units = mu.count
    n_per_unit = math.ceil(gemm.n / units)
    sr, sc, t = spatial_temporal(mu.dataflow, gemm.m, gemm.k, n_per_unit)
    t_eff = math.ceil(t / gemm.rate)
    bw = fetch_bytes_per_cycle / units
    skew = mu.rows + mu.cols - 2
    shift = mu.shift_cycles if mu.dataflow != "os" else 0
    stationary_fetch = gemm.fetch_bytes_per_element if mu.dataflow == "ws" else 0.0
    total, compute, stall, shift_wait, folds, used = gemm_fold_pipeline(
        sr, sc, t_eff, mu.rows, mu.cols, stationary_fetch, bw, mu.weight_fifo_depth, shift, mu.double_buffered,
        prefetch_lead)
    fetch_bytes = math.ceil(gemm.k * gemm.n * gemm.fetch_bytes_per_element) * gemm.count
    fetch_cycles = math.ceil(fetch_bytes / fetch_bytes_per_cycle) if fetch_bytes and fetch_bytes_per_cycle > 0 else 0
    if mu.dataflow != "ws" and fetch_cycles > 0:
        # streamed weights: the layer cannot finish before its weights have arrived
        per_group = math.ceil(fetch_cycles / gemm.count)
        extra = max(0, per_group - (total - stall - shift_wait))
        stall += extra
        total += extra
    c = gemm.count
    if c > 1:
        total = c * (total - skew) + skew
        compute = c * (compute - skew) + skew
        stall, shift_wait, folds, used = c * stall, c * shift_wait, c * folds, c * used
    return MatrixTiming(total, compute, stall, shift_wait, folds * units, used * units, fetch_cycles, fetch_bytes)
