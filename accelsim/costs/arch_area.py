"""Area of an architecture from the area model (area.py): matrix-unit PEs + on-chip SRAM + glue.

Modelling decision: a multi-precision array is costed once, in the widest format it runs at full
rate (rate >= 1 MAC per PE per cycle; TPU v1's int16 at quarter rate reuses its int8 multipliers),
or in its widest format when none runs at full rate, with its adder at the matrix unit's
in-array partial-sum width (the width the MAC's energy is priced at). The vector and scalar units are not in the
area model; every on-chip memory counts as SRAM.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from ..precision import get_precision
from .area import area_mm2, total_area_mm2

if TYPE_CHECKING:
    from ..spec.arch import ArchSpec


def pe_precision(arch: ArchSpec) -> str | None:
    """The format the matrix unit's PEs are costed in (see the module docstring), or None."""
    mu = arch.matrix_unit
    if mu is None or not mu.precisions:
        return None
    full_rate = [name for name, rate in mu.precisions.items() if rate >= 1.0] or list(mu.precisions)
    return max(full_rate, key=lambda name: (get_precision(name).bits, name))


def arch_area_mm2(arch: ArchSpec) -> tuple[float, dict[str, float]]:
    """(total mm^2, breakdown by part in mm^2) of ``arch``."""
    macs = {}
    precision = pe_precision(arch)
    if precision is not None:
        macs[precision] = arch.matrix_unit.peak_macs_per_cycle
    sram_kib = float(sum(mem.size_kib for mem in arch.memories))
    parts = area_mm2(arch.technology.process_nm, macs, sram_kib, **arch.partial_sum_shape())
    return total_area_mm2(parts), parts
