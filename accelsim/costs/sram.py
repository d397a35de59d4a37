"""SRAM access energy per byte: one bank's access (by the bank's capacity) plus the wire that
carries the data between the bank and the buffer's port.

Bank access (45 nm, before node scaling). Horowitz (ISSCC 2014) gives a 64-bit access at 8 KB
(10 pJ), 32 KB (20 pJ) and 1 MB (100 pJ). Between those points accelsim interpolates log(energy)
linearly in log(capacity) (a piecewise power law); outside them it extends the nearest segment's
power law (energy ~ capacity^0.5 below 32 KB, ~ capacity^0.46 above). Writes are costed like reads
(estimate).

Banking. A large buffer is built from banks (sub-arrays); an access activates one bank, so its
array energy is that of a bank of ``size / banks``, not of the whole buffer. The data then travels
between the bank and the buffer's port: with the port at the centre of a square macro of side L
fed by an H-tree, every bank is L * (1 - 1 / sqrt(banks)) of wire from the port (the H-tree's
segments L/4, L/4, L/8, L/8, ... summed over log4(banks) levels). L comes from the area model
(area.sram_mm2_per_mib at the node) and the wire energy from Dally's 0.2 pJ/bit/mm (tables.py),
so the term is ``wire_pj_per_byte_mm * distance_mm`` per byte. A buffer whose banks each sit beside
the unit they serve (e.g. one accumulator bank under each array column) moves its data a shorter,
floorplan-given distance, which a config states with ``sram_wire_mm:<buffer>``. With one bank
(the default) there is no wire term and the result is the capacity curve alone, as before.

Cross-check (not a fit): Horowitz's 1 MB point, rebuilt from 32 KiB banks at 45 nm, is
2.5 pJ/byte of bank plus 2.95 mm x 2.81 pJ/byte/mm of H-tree = 10.8 pJ/byte against the
published 12.5 (-14 %); from 16 banks of 64 KiB, 11.0 (-12 %). The published large-SRAM energy
is mostly wire, which is what the bank + wire split says.
"""
from __future__ import annotations

import math

from ..errors import AccelsimError
from .tables import SRAM_64BIT_ACCESS_PJ

BYTES_PER_ACCESS = 8  # Horowitz's numbers are for 64-bit accesses


def sram_pj_per_byte_45nm(size_kib: float) -> float:
    """Read energy per byte (pJ) of one SRAM array (bank) of ``size_kib`` KiB at 45 nm."""
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


def htree_mm(size_kib: float, banks: int, sram_mm2_per_mib: float) -> float:
    """Wire length (mm) from the centre port of a square SRAM macro of ``size_kib`` KiB to any of
    its ``banks`` banks along an H-tree, at an area density of ``sram_mm2_per_mib``."""
    if isinstance(banks, bool) or not isinstance(banks, int) or banks < 1:
        raise AccelsimError(f"bank count must be a positive integer, got {banks!r}", field="banks")
    if not (math.isfinite(size_kib) and size_kib > 0):
        raise AccelsimError(f"SRAM size must be a positive number of KiB, got {size_kib!r}")
    side_mm = math.sqrt(size_kib / 1024 * sram_mm2_per_mib)
    return side_mm * (1 - 1 / math.sqrt(banks))
