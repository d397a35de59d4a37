"""Convolution algorithms: how a conv2d layer becomes GEMMs on the matrix unit.

- ``im2col``: one GEMM per group, M = batch × output pixels, K = kernel window × input channels per
  group, N = output channels per group (the lowered input is about k²/stride² larger).
- ``direct``: input channels on the array rows and output channels on the columns, one pass per
  kernel position accumulating into the same outputs (TPU v1 paper: "R·S passes"; NVDLA's direct
  mode): kernel_h × kernel_w × groups GEMMs of M × C_in/g × C_out/g. The array is used in
  rows × cols blocks of (C_in, C_out), which is NVDLA's atomic-C × atomic-K utilisation rule.
- ``channel_extension``: NVDLA's image-input mode for a first layer with few channels: the kernel
  columns are folded into the channel dimension, kernel_h GEMMs of M × (kernel_w · C_in) × C_out, so
  a 3-channel image does not leave most array rows idle (NVDLA hwarch: "close to 50 %"). Applies to
  ungrouped layers with at most ``CHANNEL_EXTENSION_MAX_CHANNELS`` input channels.
- ``winograd_f2`` / ``winograd_f4``: Winograd minimal filtering F(m×m, 3×3) (Lavin & Gray,
  arXiv:1509.09308) for stride-1, undilated 3×3 layers. Each m×m output tile needs (m+2)²
  elementwise products instead of 9m² (2.25× fewer multiplies for F2, 4× for F4): (m+2)² GEMMs of
  (batch × tiles) × C_in/g × C_out/g. The input (Bᵀ d B) and output (Aᵀ M A) transforms are extra
  element ops, counted from the transform matrices below; the filter transform (G g Gᵀ) is done
  offline, so the stored weights grow by (m+2)²/9.

A layer uses the applicable algorithm the arch lists with the fewest estimated cycles (array passes
× streamed rows, weight fetch and transforms, whichever is longest); ties go to the earlier entry.
"""
from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from fractions import Fraction as Fr

from ..spec.arch import ArchSpec
from ..workload import ops as O
from .work import GemmWork

Matrix = tuple[tuple[Fr, ...], ...]

#: image surfaces carry at most 4 channels (RGBA/YUV pixel formats): estimate of NVDLA's image-mode limit
CHANNEL_EXTENSION_MAX_CHANNELS = 4


def _m(rows) -> Matrix:
    return tuple(tuple(Fr(v) for v in row) for row in rows)


@dataclass(frozen=True)
class WinogradVariant:
    """F(m×m, r×r) with its transform matrices: Y = Aᵀ [(G g Gᵀ) ⊙ (Bᵀ d B)] A."""

    name: str
    m: int
    r: int
    BT: Matrix
    G: Matrix
    AT: Matrix

    @property
    def tile(self) -> int:
        """Input tile edge: m + r − 1."""
        return self.m + self.r - 1

    @property
    def multiply_reduction(self) -> float:
        """Dense multiplies per output tile over Winograd multiplies: m²r² / (m+r−1)²."""
        return (self.m * self.r) ** 2 / self.tile ** 2

    @property
    def input_transform_ops(self) -> int:
        """Element ops of Bᵀ d B for one input tile of one channel (two 1-D passes of ``tile`` vectors)."""
        return 2 * self.tile * matrix_apply_ops(self.BT)

    @property
    def output_transform_ops(self) -> int:
        """Element ops of Aᵀ M A for one tile of one output channel (``tile`` then ``m`` 1-D passes)."""
        return (self.tile + self.m) * matrix_apply_ops(self.AT)


def matrix_apply_ops(matrix: Matrix) -> int:
    """Adds plus multiplies to apply ``matrix`` to one vector: per row, (nonzeros − 1) adds and one
    multiply per coefficient other than 0 and ±1 (no common subexpressions shared)."""
    ops = 0
    for row in matrix:
        nonzero = [v for v in row if v != 0]
        ops += max(0, len(nonzero) - 1) + sum(1 for v in nonzero if abs(v) != 1)
    return ops


# Lavin & Gray, arXiv:1509.09308, Sec. 4 (F(2x2,3x3)) and Sec. 4.2 (F(4x4,3x3)).
WINOGRAD = {
    "winograd_f2": WinogradVariant(
        "winograd_f2", 2, 3,
        BT=_m(((1, 0, -1, 0), (0, 1, 1, 0), (0, -1, 1, 0), (0, 1, 0, -1))),
        G=_m(((1, 0, 0), (Fr(1, 2), Fr(1, 2), Fr(1, 2)), (Fr(1, 2), Fr(-1, 2), Fr(1, 2)), (0, 0, 1))),
        AT=_m(((1, 1, 1, 0), (0, 1, -1, -1)))),
    "winograd_f4": WinogradVariant(
        "winograd_f4", 4, 3,
        BT=_m(((4, 0, -5, 0, 1, 0), (0, -4, -4, 1, 1, 0), (0, 4, -4, -1, 1, 0),
               (0, -2, -1, 2, 1, 0), (0, 2, -1, -2, 1, 0), (0, 4, 0, -5, 0, 1))),
        G=_m(((Fr(1, 4), 0, 0), (Fr(-1, 6), Fr(-1, 6), Fr(-1, 6)), (Fr(-1, 6), Fr(1, 6), Fr(-1, 6)),
              (Fr(1, 24), Fr(1, 12), Fr(1, 6)), (Fr(1, 24), Fr(-1, 12), Fr(1, 6)), (0, 0, 1))),
        AT=_m(((1, 1, 1, 1, 1, 0), (0, 1, -1, 2, -2, 0), (0, 1, 1, 4, 4, 0), (0, 1, -1, 8, -8, 1)))),
}


@dataclass(frozen=True)
class ConvPlan:
    """How one conv layer runs: its GEMMs, multiplies, weights, transform work and a note."""

    algorithm: str
    gemm: GemmWork
    macs: int  # multiplies the matrix unit performs
    dense_macs: int  # multiplies of the dense (direct/im2col) computation
    weight_elements: int  # stationary-operand elements (Winograd: the transformed filters)
    transform_ops: int  # input + output transform element ops (0 unless Winograd)
    estimated_cycles: float
    note: str


def applicable(algorithm: str, op: O.Conv2d) -> bool:
    """Whether ``algorithm`` can compute ``op``."""
    if algorithm in WINOGRAD:
        r = WINOGRAD[algorithm].r
        return (op.kernel_h, op.kernel_w, op.stride_h, op.stride_w, op.dilation) == (r, r, 1, 1, 1)
    if algorithm == "channel_extension":
        return op.groups == 1 and op.in_channels <= CHANNEL_EXTENSION_MAX_CHANNELS
    return algorithm in ("im2col", "direct")


def _gemm_for(algorithm: str, op: O.Conv2d, fetch: float, rate: float) -> tuple[GemmWork, int, int]:
    """(GEMMs, matrix-unit multiplies, output tiles) of ``op`` under ``algorithm``."""
    cin, cout = op.in_channels // op.groups, op.gemm_n
    if algorithm == "im2col":
        return GemmWork(op.gemm_m, op.gemm_k, cout, op.groups, fetch, rate), op.macs, 0
    if algorithm == "direct":
        gemm = GemmWork(op.gemm_m, cin, cout, op.groups * op.kernel_h * op.kernel_w, fetch, rate)
        return gemm, op.macs, 0
    if algorithm == "channel_extension":
        return GemmWork(op.gemm_m, op.kernel_w * cin, cout, op.kernel_h, fetch, rate), op.macs, 0
    w = WINOGRAD[algorithm]
    tiles = op.batch * math.ceil(op.out_h / w.m) * math.ceil(op.out_w / w.m)
    gemm = GemmWork(tiles, cin, cout, op.groups * w.tile ** 2, fetch, rate)
    return gemm, gemm.count * tiles * cin * cout, tiles


def array_cycles(gemm: GemmWork, arch: ArchSpec) -> float:
    """Estimated matrix-unit cycles: array passes × streamed rows (no skew, no stalls)."""
    mu = arch.matrix_unit
    n_per_unit = math.ceil(gemm.n / mu.count)
    passes = gemm.count * math.ceil(gemm.k / mu.rows) * math.ceil(n_per_unit / mu.cols)
    return passes * math.ceil(gemm.m / gemm.rate)


def _transform_rate(arch: ArchSpec) -> tuple[float, str]:
    """(element ops per cycle, where) of the Winograd transforms on ``arch``."""
    mu, vu = arch.matrix_unit, arch.vector_unit
    if mu.transform_ops_per_cycle > 0:
        return mu.transform_ops_per_cycle, "the convolution pipeline's transform adders"
    if vu is not None:
        return vu.elements_per_cycle, "the vector unit"
    return 0.0, "nothing (no vector unit)"


def plan(algorithm: str, op: O.Conv2d, arch: ArchSpec, fetch_bytes_per_element: float, rate: float,
         fetch_level: str = "dram") -> ConvPlan:
    """``op`` under ``algorithm`` on ``arch`` (``applicable`` must hold), its weights streamed from
    ``fetch_level`` (DRAM or a secondary memory level holding them)."""
    gemm, macs, tiles = _gemm_for(algorithm, op, fetch_bytes_per_element, rate)
    gemm = dataclasses.replace(gemm, fetch_level=fetch_level)
    weight_elements = gemm.count * gemm.k * gemm.n
    compute = array_cycles(gemm, arch)
    fetch = (weight_elements * fetch_bytes_per_element / arch.fetch_bytes_per_cycle(fetch_level)
             if fetch_bytes_per_element else 0.0)
    transform_ops = 0
    if algorithm in WINOGRAD:
        w = WINOGRAD[algorithm]
        transform_ops = tiles * (op.in_channels * w.input_transform_ops + op.out_channels * w.output_transform_ops)
        t_rate, where = _transform_rate(arch)
        transform = transform_ops / t_rate if t_rate else math.inf
        note = (f"conv algorithm {algorithm}: F({w.m}x{w.m},3x3) on {tiles} output tiles, {w.tile ** 2} GEMMs of "
                f"{gemm.m}x{gemm.k}x{gemm.n} per group; {macs} multiplies vs {op.macs} dense "
                f"({op.macs / macs:.2f}x fewer); transforms {transform_ops} element ops on {where}; "
                f"filters stored transformed ({w.tile ** 2}/9 = {w.tile ** 2 / 9:.2f}x the weight bytes)")
    else:
        transform = 0.0
        if algorithm == "direct":
            note = (f"conv algorithm direct: {op.kernel_h * op.kernel_w} kernel positions x {op.groups} group(s) of "
                    f"{gemm.m}x{gemm.k}x{gemm.n} GEMMs accumulating (input channels on rows, output channels on columns)")
        elif algorithm == "channel_extension":
            note = (f"conv algorithm channel_extension: {op.kernel_h} kernel rows of {gemm.m}x{gemm.k}x{gemm.n} GEMMs "
                    f"(kernel width x {op.in_channels} channels folded onto the array rows)")
        else:
            note = f"conv algorithm im2col: {op.groups} GEMM(s) of {gemm.m}x{gemm.k}x{gemm.n}"
    return ConvPlan(algorithm, gemm, macs, op.macs, weight_elements, transform_ops, max(compute, fetch, transform), note)


def choose(op: O.Conv2d, arch: ArchSpec, fetch_bytes_per_element: float, rate: float,
           fetch_level: str = "dram") -> ConvPlan:
    """The plan with the fewest estimated cycles among the arch's applicable algorithms, its weights
    streamed from ``fetch_level``."""
    listed = tuple(arch.matrix_unit.conv_algorithms) or ("im2col",)
    candidates = [a for a in listed if applicable(a, op)] or ["im2col"]
    plans = [plan(a, op, arch, fetch_bytes_per_element, rate, fetch_level) for a in candidates]
    best = min(plans, key=lambda p: p.estimated_cycles)  # min keeps the first of equals
    if len(plans) > 1:
        others = ", ".join(f"{p.algorithm} {p.estimated_cycles:.0f}" for p in plans if p is not best)
        best = ConvPlan(best.algorithm, best.gemm, best.macs, best.dense_macs, best.weight_elements,
                        best.transform_ops, best.estimated_cycles,
                        f"{best.note} (estimated {best.estimated_cycles:.0f} cycles; {others})")
    return best
