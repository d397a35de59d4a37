"""How a GEMM maps onto an R x C systolic array under each dataflow (docs/systolic.md).

A GEMM ``(M x K) . (K x N)`` becomes ``(Sr, Sc, T)``: the dimension spread over the array rows,
the one over the columns, and the one streamed through time.

* OS (output stationary): ``(M, N, K)``; operands A and B both stream, C stays in the PEs.
* WS (weight stationary): ``(K, N, M)``; B is loaded into the PEs, A streams, C flows down.
* IS (input stationary):  ``(K, M, N)``; A^T is loaded into the PEs, B streams, C^T flows down.

Folds are ``ceil(Sr / R) x ceil(Sc / C)``, column fold outer and row fold inner.
"""
from __future__ import annotations

from dataclasses import dataclass

from .._native.systolic import gemm_fold_pipeline

DATAFLOWS = ("os", "ws", "is")


@dataclass(frozen=True)
class FoldPlan:
    """The mapping of one GEMM onto one array (sizes in elements, counts unitless)."""

    dataflow: str
    rows: int
    cols: int
    spatial_rows: int  # Sr
    spatial_cols: int  # Sc
    temporal: int  # T
    row_folds: int
    col_folds: int

    @property
    def folds(self) -> int:
        return self.row_folds * self.col_folds

    @property
    def used_pe_sum(self) -> int:
        """Sum over folds of used rows x used cols."""
        return self.spatial_rows * self.spatial_cols

    @property
    def mapping_efficiency(self) -> float:
        """Mean over folds of the fraction of PEs holding a mapped element (0..1)."""
        return self.used_pe_sum / (self.folds * self.rows * self.cols)

    @property
    def stationary_load_cycles(self) -> int:
        """Cycles to shift a stationary tile in (one array row per cycle); OS has none."""
        return 0 if self.dataflow == "os" else self.rows


def check_dataflow(dataflow: str) -> str:
    """Lower-case ``dataflow`` and check it is one of os, ws, is."""
    name = dataflow.lower()
    if name not in DATAFLOWS:
        raise ValueError(f"unknown dataflow {dataflow!r}; expected one of {', '.join(DATAFLOWS)}")
    return name


def spatial_temporal(dataflow: str, m: int, k: int, n: int) -> tuple[int, int, int]:
    """(Sr, Sc, T) of an (m x k) . (k x n) GEMM under ``dataflow``."""
    name = check_dataflow(dataflow)
    if name == "os":
        return m, n, k
    if name == "ws":
        return k, n, m
    return k, m, n


def fold_plan(dataflow: str, m: int, k: int, n: int, rows: int, cols: int) -> FoldPlan:
    """The fold plan of an (m x k) . (k x n) GEMM on a rows x cols array."""
    if min(m, k, n, rows, cols) < 1:
        raise ValueError("GEMM dimensions and array size must be positive")
    sr, sc, t = spatial_temporal(dataflow, m, k, n)
    return FoldPlan(check_dataflow(dataflow), rows, cols, sr, sc, t, -(-sr // rows),
                    -(-sc // cols))


def fast_cycles(plan: FoldPlan, double_buffered: bool) -> tuple:
    """The fold pipeline's timing with operands already on chip: (total, compute,
    weight_load_stall, weight_shift, folds, used_pe_sum) in cycles (see cython/systolic.pyx)."""
    return gemm_fold_pipeline(plan.spatial_rows, plan.spatial_cols, plan.temporal, plan.rows,
                              plan.cols, 0.0, 0.0, 1, plan.stationary_load_cycles,
                              double_buffered)
