"""Lookup tables for logarithmic-number-system addition and subtraction.

For two values with logs x >= y (d = y - x <= 0, z = d * 2**-F):
    log2(|X| + |Y|) = x + G+(z),  G+(z) = log2(1 + 2**z)
    log2(|X| - |Y|) = x + G-(z),  G-(z) = log2(1 - 2**z)
Both are tabulated at ``table_size`` uniformly spaced points on [z_min, z_max] and linearly
interpolated. Below z_min the correction is smaller than half a code step and is taken as 0:
z_min = -(F + 2) because 2**z / ln 2 * 2**F < 0.5 there.

G- has a logarithmic singularity at z = 0. Its table stops one "near-zero band" short of 0 and the
codes in the band (at most ``MAX_NEAR_ZERO_CODES`` of them, about one table step) are read from a
small direct table of exact values, as a hardware ROM indexed by the low code bits would be.

The tables are built here with numpy for both the Cython kernels and their twins, so the two
implementations interpolate the same numbers.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from .formats import LnsFormat

MAX_NEAR_ZERO_CODES = 4096


@dataclass(frozen=True)
class LnsTables:
    """Interpolation tables for one LnsFormat (arrays are read-only)."""

    z_min: float
    plus_step: float
    plus: np.ndarray  # G+ at z_min + i * plus_step, i = 0..T-1 (last point z = 0)
    minus_step: float
    minus: np.ndarray  # G- at z_min + i * minus_step, i = 0..T-1 (last point z = -near_zero_codes * 2**-F)
    near: np.ndarray  # near[k] = G-(-k * 2**-F) for k = 1..near_zero_codes; near[0] unused

    @property
    def near_zero_codes(self) -> int:
        return self.near.shape[0] - 1


@lru_cache(maxsize=64)
def lns_tables(fmt: LnsFormat) -> LnsTables:
    """Build (and cache: the result is immutable) the G+/G- tables of ``fmt``."""
    size = fmt.table_size
    ulp = 2.0 ** -fmt.fraction_bits
    z_min = -float(fmt.fraction_bits + 2)
    plus_step = -z_min / (size - 1)
    z = z_min + plus_step * np.arange(size)
    z[-1] = 0.0
    plus = np.log2(1.0 + np.exp2(z))
    near_codes = int(min(MAX_NEAR_ZERO_CODES, max(1, round(plus_step / ulp))))
    z_near_edge = -near_codes * ulp
    minus_step = (z_near_edge - z_min) / (size - 1)
    zm = z_min + minus_step * np.arange(size)
    zm[-1] = z_near_edge
    minus = np.log2(-np.expm1(zm * np.log(2.0)))
    k = np.arange(near_codes + 1, dtype=np.float64)
    near = np.empty(near_codes + 1)
    near[0] = -np.inf
    near[1:] = np.log2(-np.expm1(-k[1:] * ulp * np.log(2.0)))
    for array in (plus, minus, near):
        array.setflags(write=False)
    return LnsTables(z_min, plus_step, plus, minus_step, minus, near)
