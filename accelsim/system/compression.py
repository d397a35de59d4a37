"""Gradient compression: message sizes, selection cost on the chip, and sparse/quantized all-reduce.

Schemes (systems.md): ``topk:D`` (send the fraction D of entries with the largest magnitude as
(value, index) pairs, keep the rest in an error-feedback residual), ``qsgd:B`` (B-bit stochastic
quantization in buckets of 1024 values with one fp32 scale per bucket), ``onebit`` (1 bit per value
with error feedback, one scale per bucket), ``ternary`` ({-1, 0, +1} x scale: ceil(log2 3) = 2 bits).

Selection cost: compression is memory-bound work on the chip's vector unit and HBM. Assumption (from
systems.md, "~2-3 memory-bound passes"): top-k makes 3 passes over the gradient (read gradient and
residual and add; find the threshold and compact; write the residual), the quantizers 2 (read gradient
and residual; write quantized values and the new residual). One pass moves ``elements x
gradient_bytes`` bytes through HBM.

All-reduce of compressed data:
- top-k, allgather-based: every rank gathers everyone's k pairs, moving 2k(p-1) numbers per rank;
- top-k, recursive doubling with fill-in: before round j a rank holds the union of 2^(j-1) ranks'
  sets, density 1 - (1 - d)^(2^(j-1)); once that sparse message would be bigger than the dense buffer
  the rest of the rounds send dense (SparCML's switch);
- top-k, dense: when both sparse variants cost more than the dense all-reduce, send dense;
  the cheapest is used (recursive doubling only where the topology lets partners 2^k apart talk
  without contention, i.e. switches; on rings and tori its messages share links);
- quantized: a ring all-reduce on the compressed bytes, re-quantizing after each reduction
  (approximation: the re-quantization arithmetic is not charged beyond the selection passes).
Receivers accumulate what they receive at ``gamma`` seconds per received byte.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

from ..errors import AccelsimError, did_you_mean
from .collectives import AlphaBeta, CollectiveCost, collective_cost

KINDS = ("none", "topk", "qsgd", "onebit", "ternary")
SCALE_BYTES = 4  # one fp32 scale per bucket
SELECTION_PASSES = {"none": 0, "topk": 3, "qsgd": 2, "onebit": 2, "ternary": 2}


@dataclass(frozen=True)
class Compression:
    """A compression scheme. ``density``: fraction kept by top-k; ``bits``: per quantized value."""

    kind: str = "none"
    density: float = 1.0
    bits: int = 32
    bucket_elements: int = 1024
    value_bytes: int = 4
    index_bytes: int = 4

    @property
    def label(self) -> str:
        """Short name: ``topk:0.001``, ``qsgd:4``, ``onebit``, ``ternary`` or ``none``."""
        if self.kind == "topk":
            return f"topk:{self.density:g}"
        if self.kind == "qsgd":
            return f"qsgd:{self.bits}"
        return self.kind


NONE = Compression()


def parse_compression(text: str | None) -> Compression:
    """Parse ``topk:0.001``, ``qsgd:4``, ``onebit``, ``ternary`` or ``none``."""
    if text is None or text == "none":
        return NONE
    kind, _, arg = str(text).partition(":")
    if kind not in KINDS:
        raise AccelsimError(f"unknown compression '{kind}'{did_you_mean(kind, KINDS)}; known: "
                            "topk:DENSITY, qsgd:BITS, onebit, ternary, none", field="--compression")
    if kind == "topk":
        try:
            density = float(arg)
        except ValueError:
            raise AccelsimError(f"topk needs a density in (0, 1], e.g. topk:0.001, got {text!r}",
                                field="--compression") from None
        if not 0 < density <= 1:
            raise AccelsimError(f"topk density must be in (0, 1], got {density}",
                                field="--compression")
        return Compression("topk", density=density)
    if kind == "qsgd":
        if not arg.isdigit() or not 1 <= int(arg) <= 16:
            raise AccelsimError(f"qsgd needs a bit width from 1 to 16, e.g. qsgd:4, got {text!r}",
                                field="--compression")
        return Compression("qsgd", bits=int(arg))
    if arg:
        raise AccelsimError(f"'{kind}' takes no argument, got {text!r}", field="--compression")
    return Compression(kind, bits=1 if kind == "onebit" else 2)


def compressed_bytes(c: Compression, elements: int) -> float:
    """Bytes one rank sends for ``elements`` gradient values (before any all-reduce)."""
    if c.kind == "none":
        return elements * c.value_bytes
    if c.kind == "topk":
        return topk_count(c, elements) * (c.value_bytes + c.index_bytes)
    buckets = math.ceil(elements / c.bucket_elements)
    return elements * c.bits / 8 + buckets * SCALE_BYTES


def topk_count(c: Compression, elements: int) -> int:
    """k: entries top-k keeps (at least one)."""
    return max(1, math.ceil(c.density * elements))


def selection_seconds(c: Compression, elements: int, hbm_bytes_per_second: float) -> float:
    """Chip time to compress ``elements`` gradient values (memory-bound passes, see module doc)."""
    return SELECTION_PASSES[c.kind] * elements * c.value_bytes / hbm_bytes_per_second


def topk_recursive_doubling_bytes(c: Compression, elements: int, ranks: int) -> list[float]:
    """Bytes a rank sends in each round of recursive-doubling sparse all-reduce (with fill-in and the
    switch to dense once the sparse union would be bigger than the dense buffer)."""
    rounds = math.ceil(math.log2(ranks)) if ranks > 1 else 0
    pair = c.value_bytes + c.index_bytes
    dense = elements * c.value_bytes
    sizes = []
    switched = False
    for j in range(1, rounds + 1):
        density = 1 - (1 - c.density) ** (2 ** (j - 1))
        sparse = density * elements * pair
        switched = switched or sparse >= dense
        sizes.append(dense if switched else sparse)
    return sizes


TOPK_ALGORITHMS = ("allgather", "recursive_doubling", "dense")


def compressed_all_reduce_cost(c: Compression, elements: int, ranks: int, ab: AlphaBeta,
                               dense_algorithm: str = "ring",
                               topk_algorithms: tuple[str, ...] = TOPK_ALGORITHMS,
                               **dense_kwargs) -> CollectiveCost:
    """Time to all-reduce ``elements`` gradient values compressed with ``c`` on ``ranks`` ranks.

    ``dense_algorithm`` and ``dense_kwargs`` (dims, inner, chips_per_node, bidirectional) are used
    for uncompressed data; see the module doc for the compressed algorithms. Top-k takes the
    cheapest of ``topk_algorithms``: ``allgather``, ``recursive_doubling`` (partners 2^k apart:
    only contention-free on a switch) and ``dense`` (send the dense buffer when sparse would cost
    more, as SparCML does).
    """
    p = ranks
    a, b, g = ab.alpha_seconds, ab.beta_seconds_per_byte, ab.gamma_seconds_per_byte
    if c.kind == "none":
        return collective_cost("all_reduce", dense_algorithm, elements * c.value_bytes, p, ab,
                               **dense_kwargs)
    if p == 1:
        return CollectiveCost("all_reduce", c.label, 1, 0.0, 0.0, 0.0, 0.0)
    if c.kind == "topk":
        per_rank = compressed_bytes(c, elements)
        candidates = []
        if "allgather" in topk_algorithms:
            candidates.append(CollectiveCost("all_reduce", "topk_allgather", p, per_rank,
                                             (p - 1) * a, (p - 1) * per_rank * b,
                                             (p - 1) * per_rank * g))
        if "recursive_doubling" in topk_algorithms:
            sizes = topk_recursive_doubling_bytes(c, elements, p)
            candidates.append(CollectiveCost("all_reduce", "topk_recursive_doubling", p, per_rank,
                                             len(sizes) * a, sum(sizes) * b, sum(sizes) * g))
        if "dense" in topk_algorithms or not candidates:
            dense = collective_cost("all_reduce", dense_algorithm, elements * c.value_bytes, p,
                                    ab, **dense_kwargs)
            candidates.append(CollectiveCost("all_reduce", f"topk_dense_{dense_algorithm}", p,
                                             dense.message_bytes, dense.latency_seconds,
                                             dense.bandwidth_seconds, dense.reduction_seconds))
        return min(candidates, key=lambda cost: cost.seconds)
    wire = compressed_bytes(c, elements)
    ring = collective_cost("all_reduce", "ring", wire, p, ab)
    return CollectiveCost("all_reduce", f"{c.kind}_ring", p, wire, ring.latency_seconds,
                          ring.bandwidth_seconds, ring.reduction_seconds)
