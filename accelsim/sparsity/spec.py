"""The arch YAML ``sparsity:`` section: how the hardware stores and exploits zeros.

Follows Sparseloop's taxonomy (Wu, Tsai, Sze, Emer, MICRO'22; reference systems.md): per tensor a
storage **format** with its metadata cost; **gating** (the operation keeps its cycle, its energy is
saved) and **skipping** (cycle and energy saved), each conditioned on zeros in the weights, the
activations or both; plus a structured-sparse matrix unit (NVIDIA 2:4: a 2:4 operand runs at
twice the math rate, never more).

Example (archs/eie_like.yaml)::

    sparsity:
      weight_format: {format: csc, value_bits: 4, index_bits: 4, codebook_entries: 16}
      activation_format: {format: dense}
      skipping: both
      lanes: 64
      broadcast_operand: activations

A 2:4 sparse tensor core: ``structured: {n: 2, m: 4}`` with ``weight_format: {format: nm}``.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from ..errors import Location, SpecError
from ..spec.schema import spec_field

#: storage formats (Sparseloop's list plus the N:M compressed operand)
FORMATS = ("dense", "bitmask", "coo", "csr", "csc", "rle", "nm")
#: which operand's zeros a gating or skipping unit looks at
CONDITIONS = ("none", "weights", "activations", "both")
OPERANDS = ("weights", "activations")

_NM = re.compile(r"^\s*(\d{1,3})\s*:\s*(\d{1,3})\s*$")


def parse_nm(text: str) -> tuple[int, int] | None:
    """``"2:4"`` -> (2, 4); None when ``text`` is not an N:M pattern with 1 <= N < M <= 64."""
    match = _NM.match(str(text))
    if not match:
        return None
    n, m = int(match.group(1)), int(match.group(2))
    if not (1 <= n < m <= 64):
        return None
    return n, m


@dataclass(frozen=True)
class TensorFormatSpec:
    """How one tensor is stored in memory (DRAM and on-chip buffers alike)."""

    format: str = spec_field("dense", doc=f"storage format: {', '.join(FORMATS)}", choices=FORMATS)
    value_bits: int | None = spec_field(
        None, doc="bits stored per kept value (default: the operand precision; 4 for a 16-entry codebook index)",
        min=1, max=64)
    index_bits: int | None = spec_field(
        None, doc="bits per coordinate (coo/csr/csc; default: enough for the dimension; narrower: relative "
                  "index with filler zeros where a run is longer) or per run length (rle; default 4)",
        min=1, max=64)
    pointer_bits: int | None = spec_field(
        None, doc="bits per row/column pointer (csr/csc; default: enough to address every element)", min=1, max=64)
    codebook_entries: int = spec_field(
        0, doc="shared values per tensor (weight sharing; 0: values stored directly)", min=0, max=1 << 20)
    codebook_bits: int = spec_field(16, doc="bits per codebook entry", min=1, max=64)

    def check(self, where: Location | None, path: str) -> None:
        if self.codebook_entries and self.value_bits is not None and (1 << self.value_bits) < self.codebook_entries:
            raise SpecError(f"value_bits {self.value_bits} cannot index {self.codebook_entries} codebook entries "
                            f"(needs {(self.codebook_entries - 1).bit_length()} bits)", where, f"{path}.value_bits")


@dataclass(frozen=True)
class StructuredUnitSpec:
    """A matrix unit that runs N:M structured-sparse weights (N kept in every M) at M/N times the rate.

    Written as a mapping because YAML 1.1 reads an unquoted ``2:4`` as the base-60 integer 124.
    """

    n: int = spec_field(doc="values kept in every group of m (NVIDIA: 2)", min=1, max=63)
    m: int = spec_field(doc="group size (NVIDIA: 4)", min=2, max=64)

    def check(self, where: Location | None, path: str) -> None:
        if self.n >= self.m:
            raise SpecError(f"n ({self.n}) must be smaller than m ({self.m})", where, f"{path}.n")


@dataclass(frozen=True)
class SparsityHardwareSpec:
    """What the hardware does with zeros. Without this section an arch is dense: zeros cost like any value."""

    weight_format: TensorFormatSpec = spec_field(
        default_factory=TensorFormatSpec, doc="storage format of weights (DRAM traffic and weight-buffer reads)")
    activation_format: TensorFormatSpec = spec_field(
        default_factory=TensorFormatSpec, doc="storage format of activations (DRAM spills and activation-buffer reads)")
    gating: str = spec_field(
        "none", doc="MACs with a zero in these operands keep their cycle but spend no energy", choices=CONDITIONS)
    skipping: str = spec_field(
        "none", doc="MACs with a zero in these operands are skipped: no cycle, no energy", choices=CONDITIONS)
    structured: StructuredUnitSpec | None = spec_field(
        None, doc="N:M pattern the matrix unit runs at M/N times the math rate ({n: 2, m: 4}: 2x, never more)")
    lanes: int | None = spec_field(
        None, doc="PEs (or PE rows) that skip independently and wait for the slowest at each sync "
                  "(default: the matrix unit's rows)", min=1, max=10_000_000)
    broadcast_operand: str = spec_field(
        "activations", doc="operand shared by all lanes: skipping its zeros costs no imbalance", choices=OPERANDS)
    queue_depth: int | None = spec_field(
        None, doc="broadcast items a lane may queue ahead of the slowest (EIE's activation queue); lanes then own "
                  "interleaved outputs and take one broadcast item per cycle. Default: lanes synchronise at "
                  "the end of each fold's stream", min=1, max=1_000_000)

    def check(self, where: Location | None, path: str) -> None:
        fmt = self.weight_format.format
        if self.structured is not None and fmt not in ("nm", "dense"):
            raise SpecError(f"a structured unit reads N:M compressed weights; weight_format.format is '{fmt}' "
                            "(use nm)", where, f"{path}.weight_format.format")

    @property
    def structured_pattern(self) -> tuple[int, int] | None:
        """(N, M) of the structured unit, or None."""
        return None if self.structured is None else (self.structured.n, self.structured.m)

    def skips(self, operand: str) -> bool:
        """True when zeros in ``operand`` ("weights"/"activations") are skipped."""
        return self.skipping in (operand, "both")

    def gates(self, operand: str) -> bool:
        """True when zeros in ``operand`` are gated (skipping implies the energy saving too)."""
        return self.gating in (operand, "both") or self.skips(operand)
