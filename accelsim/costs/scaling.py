"""Scaling logic energy and area between process nodes.

There is no single scaling factor (energy.md; Stillmaker & Baas, "Scaling equations for the
accurate prediction of CMOS device performance from 180 nm to 7 nm", Integration 58 (2017)).
accelsim uses tables of factors relative to 45 nm (the Horowitz node) and interpolates between
nodes linearly in log(factor) against log(node). The factors are ESTIMATES shaped after the
published trends (energy per operation falls more slowly than classical C*V^2 scaling once supply
voltage stops scaling below ~45 nm, and flattens further in FinFET nodes); they are not values
read from Stillmaker & Baas' coefficient tables. Configs that need better numbers override the
per-action energies directly.

DRAM and off-chip link energies are not scaled (they do not depend on the accelerator's node).
"""
from __future__ import annotations

import itertools
import math
from numbers import Real

from ..errors import AccelsimError

MIN_NODE_NM = 3.0
MAX_NODE_NM = 180.0

# (node nm, dynamic energy per operation relative to 45 nm). Estimate.
ENERGY_FACTOR = (
    (3.0, 0.11), (5.0, 0.14), (7.0, 0.18), (10.0, 0.23), (12.0, 0.27), (14.0, 0.30),
    (16.0, 0.33), (20.0, 0.42), (22.0, 0.45), (28.0, 0.57), (32.0, 0.66), (40.0, 0.88),
    (45.0, 1.0), (65.0, 1.7), (90.0, 2.6), (130.0, 4.6), (180.0, 8.0),
)
# (node nm, logic area relative to 45 nm). Estimate: ideal (node/45)^2 down to 28 nm, then
# roughly the foundries' published density steps (16 nm ~1.9x denser than 28 nm, 7 nm ~3.3x
# denser than 16 nm, 5 nm ~1.8x denser than 7 nm).
LOGIC_AREA_FACTOR = (
    (3.0, 0.024), (5.0, 0.036), (7.0, 0.062), (10.0, 0.10), (12.0, 0.18), (14.0, 0.19),
    (16.0, 0.205), (20.0, 0.23), (22.0, 0.26), (28.0, 0.39), (32.0, 0.50), (40.0, 0.80),
    (45.0, 1.0), (65.0, 2.0), (90.0, 4.0), (130.0, 8.3), (180.0, 16.0),
)
# (node nm, SRAM area per bit relative to 45 nm), from high-density 6T bit-cell sizes
# (45 nm ~0.346 um^2, 28 nm ~0.127, 16 nm ~0.074, 7 nm ~0.027, 5 nm ~0.021). Status M: recalled.
SRAM_AREA_FACTOR = (
    (3.0, 0.058), (5.0, 0.061), (7.0, 0.078), (10.0, 0.12), (12.0, 0.17), (14.0, 0.185),
    (16.0, 0.21), (20.0, 0.23), (22.0, 0.27), (28.0, 0.37), (32.0, 0.49), (40.0, 0.80),
    (45.0, 1.0), (65.0, 1.5), (90.0, 2.9), (130.0, 5.8), (180.0, 11.6),
)


def _interp_log_log(table, process_nm: float) -> float:
    if isinstance(process_nm, bool) or not (isinstance(process_nm, Real) and math.isfinite(process_nm)):
        raise AccelsimError(f"process node must be a number of nanometres, got {process_nm!r}",
                            field="process_nm")
    if not MIN_NODE_NM <= process_nm <= MAX_NODE_NM:
        raise AccelsimError(
            f"process node {process_nm} nm is outside the modelled range "
            f"{MIN_NODE_NM:g}-{MAX_NODE_NM:g} nm", field="process_nm"
        )
    for (n0, f0), (n1, f1) in itertools.pairwise(table):
        if n0 <= process_nm <= n1:
            if process_nm == n0:
                return f0
            t = (math.log(process_nm) - math.log(n0)) / (math.log(n1) - math.log(n0))
            return math.exp(math.log(f0) + t * (math.log(f1) - math.log(f0)))
    raise AssertionError("unreachable: node inside the table range")


def energy_factor(process_nm: float) -> float:
    """Logic energy per operation at ``process_nm`` relative to 45 nm (estimate)."""
    return _interp_log_log(ENERGY_FACTOR, process_nm)


def logic_area_factor(process_nm: float) -> float:
    """Logic area at ``process_nm`` relative to 45 nm (estimate)."""
    return _interp_log_log(LOGIC_AREA_FACTOR, process_nm)


def sram_area_factor(process_nm: float) -> float:
    """SRAM area per bit at ``process_nm`` relative to 45 nm (bit-cell trend, estimate)."""
    return _interp_log_log(SRAM_AREA_FACTOR, process_nm)
