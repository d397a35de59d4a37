"""Calibration of the area model against published die areas (not imported by the model itself).

Anchors (energy.md, hardware.md):
- TPU v1, 28 nm, die <= 331 mm^2: the 256x256 int8 matrix unit is about 1/4 of the die and the
  24 MiB Unified Buffer about 1/3 (Jouppi et al., ISCA 2017; the die is "at most half of a 662 mm^2
  Haswell", so these are upper bounds).
- NVDLA nv_full: 2048 int8 MACs + 512 KiB convolution buffer ~ 5.5 mm^2 at 28 nm, 3.3 mm^2 at
  16 nm; nv_small: 64 MACs + 128 KiB ~ 0.91 mm^2 at 28 nm (nvdla/doc primer).
The fit minimises the sum of squared log-ratios (predicted / published) over PE overhead, SRAM
density at 28 nm and glue fraction, by a coarse-to-fine grid search (numpy only).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from . import area


@dataclass(frozen=True)
class Anchor:
    name: str
    process_nm: float
    int8_macs: int
    sram_kib: float
    published_mm2: float
    includes_glue: bool  # whole accelerator (True) or one block of a die (False)
    accumulator_bits: int  # accumulator width (the archs/ YAML's, with its source)
    array_rows: int  # products a partial sum collects in the (WS) array (the archs/ YAML's rows)


ANCHORS = (
    Anchor("TPU v1 matrix unit (1/4 of <=331 mm^2)", 28.0, 65536, 0.0, 331.0 / 4, False, 32, 256),
    Anchor("TPU v1 Unified Buffer (1/3 of <=331 mm^2)", 28.0, 0, 24 * 1024.0, 331.0 / 3, False, 32, 256),
    Anchor("NVDLA nv_full 28 nm", 28.0, 2048, 512.0, 5.5, True, 34, 64),
    Anchor("NVDLA nv_full 16 nm", 16.0, 2048, 512.0, 3.3, True, 34, 64),
    Anchor("NVDLA nv_small 28 nm", 28.0, 64, 128.0, 0.91, True, 34, 8),
)


def predict_mm2(anchor: Anchor, pe_overhead: float, sram_mm2_per_mib_28nm: float, glue: float) -> float:
    """Model area of one anchor for the given parameters, mm^2."""
    pe = anchor.int8_macs * area.pe_um2("int8", anchor.process_nm, pe_overhead, anchor.accumulator_bits, anchor.array_rows) * 1e-6
    sram = anchor.sram_kib / 1024 * area.sram_mm2_per_mib(anchor.process_nm, sram_mm2_per_mib_28nm)
    return (pe + sram) * (1 + glue if anchor.includes_glue else 1)


def _loss(o, s, g) -> np.ndarray:
    total = np.zeros(np.broadcast(o, s, g).shape)
    for a in ANCHORS:
        pe = a.int8_macs * area.pe_um2("int8", a.process_nm, 1.0, a.accumulator_bits, a.array_rows) * 1e-6 * o
        sram = a.sram_kib / 1024 * area.sram_mm2_per_mib(a.process_nm, 1.0) * s
        pred = (pe + sram) * ((1 + g) if a.includes_glue else 1)
        total = total + np.log(pred / a.published_mm2) ** 2
    return total


def fit_area_model() -> tuple[tuple[float, float, float], list[tuple[str, float, float, float]]]:
    """Fit (pe_overhead, sram_mm2_per_mib_28nm, glue_fraction). Returns the parameters and, per
    anchor, (name, published mm^2, predicted mm^2, relative residual)."""
    lo = np.array([0.5, 0.5, 0.0])
    hi = np.array([30.0, 20.0, 1.0])
    best = None
    for _ in range(6):
        axes = [np.linspace(lo[i], hi[i], 61) for i in range(3)]
        o, s, g = np.meshgrid(*axes, indexing="ij")
        loss = _loss(o, s, g)
        i = np.unravel_index(np.argmin(loss), loss.shape)
        best = np.array([o[i], s[i], g[i]])
        span = (hi - lo) / 10
        lo = np.maximum(best - span, [0.01, 0.01, 0.0])
        hi = best + span
    params = tuple(float(round(v, 2)) for v in best)
    rows = []
    for a in ANCHORS:
        pred = predict_mm2(a, *params)
        rows.append((a.name, a.published_mm2, pred, pred / a.published_mm2 - 1))
    return params, rows


if __name__ == "__main__":  # print the fit for docs/energy_and_precision.md
    fitted, residuals = fit_area_model()
    print("pe_overhead, sram_mm2_per_mib_28nm, glue_fraction =", fitted)
    for name, published, predicted, rel in residuals:
        print(f"| {name} | {published:.2f} | {predicted:.2f} | {100 * rel:+.1f} % |")
    print("rms log residual", math.sqrt(float(_loss(*fitted)) / len(ANCHORS)))
