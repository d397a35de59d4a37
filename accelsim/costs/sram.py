"""SRAM access energy per byte as a function of capacity (45 nm, before node scaling).

Horowitz (ISSCC 2014) gives a 64-bit access at 8 KB (10 pJ), 32 KB (20 pJ) and 1 MB (100 pJ).
Between those points accelsim interpolates log(energy) linearly in log(capacity) (a piecewise power
law); outside them it extends the nearest segment's power law (energy ~ capacity^0.5 below 32 KB,
~ capacity^0.46 above). Above 1 MB this is an estimate that ignores banking: a banked 24 MiB buffer
costs less per access than the extrapolation says, so configs with large buffers should override
``sram_pj_per_byte:<buffer>`` when they have a better number. Writes are costed like reads
(estimate).
"""
from __future__ import annotations

import math

from ..errors import AccelsimError
from .tables import SRAM_64BIT_ACCESS_PJ

BYTES_PER_ACCESS = 8  # Horowitz's numbers are for 64-bit accesses


def sram_pj_per_byte_45nm(size_kib: float) -> float:
    """Read energy per byte (pJ) of an SRAM of ``size_kib`` KiB at 45 nm."""
    if not (math.isfinite(size_kib) and size_kib > 0):
        raise AccelsimError(f"SRAM size must be a positive number of KiB, got {size_kib!r}")
    size_bytes = size_kib * 1024
    points = [(math.log(b), math.log(pj / BYTES_PER_ACCESS)) for b, pj in SRAM_64BIT_ACCESS_PJ]
    x = math.log(size_bytes)
    if x <= points[1][0]:
        (x0, y0), (x1, y1) = points[0], points[1]
    else:
        (x0, y0), (x1, y1) = points[1], points[2]
    return math.exp(y0 + (x - x0) * (y1 - y0) / (x1 - x0))
