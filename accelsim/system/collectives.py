"""Closed-form alpha-beta-gamma costs of collectives (formulas as tabulated in systems.md).

Notation: ``p`` ranks, ``n`` bytes per rank (the full buffer: input of all-reduce, reduce-scatter and
broadcast, output of all-gather, everything a rank sends in all-to-all), ``alpha`` seconds per
message, ``beta`` seconds per byte on one link direction (1 / bandwidth), ``gamma`` seconds per byte
of reduction arithmetic. Logarithmic algorithms use ceil(log2 p) steps; their schedules need p a power
of two. ``bidirectional`` rings split the data in two halves that travel opposite ways round the
ring, halving the bandwidth term.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

from ..errors import AccelsimError, did_you_mean

COLLECTIVES = ("all_reduce", "reduce_scatter", "all_gather", "broadcast", "all_to_all")
ALGORITHMS = {
    "all_reduce": ("ring", "rabenseifner", "recursive_doubling", "tree", "torus2d", "hierarchical"),
    "reduce_scatter": ("ring", "recursive_halving", "torus2d", "hierarchical"),
    "all_gather": ("ring", "recursive_doubling", "torus2d", "hierarchical"),
    "broadcast": ("tree", "scatter_allgather"),
    "all_to_all": ("pairwise", "bruck"),
}


@dataclass(frozen=True)
class AlphaBeta:
    """Link cost parameters: ``alpha_seconds`` per message, ``beta_seconds_per_byte``,
    ``gamma_seconds_per_byte`` of reduction arithmetic at the receiver."""

    alpha_seconds: float
    beta_seconds_per_byte: float
    gamma_seconds_per_byte: float = 0.0


@dataclass(frozen=True)
class CollectiveCost:
    """Time of one collective split into its latency, bandwidth and reduction terms (seconds)."""

    collective: str
    algorithm: str
    ranks: int
    message_bytes: float
    latency_seconds: float
    bandwidth_seconds: float
    reduction_seconds: float

    @property
    def seconds(self) -> float:
        """Total time in seconds."""
        return self.latency_seconds + self.bandwidth_seconds + self.reduction_seconds


def _log2(p: int) -> int:
    return max(0, math.ceil(math.log2(p))) if p > 1 else 0


def _ring(p: int, n: float, ab: AlphaBeta, phases: int, reduce_phases: int,
          bidirectional: bool) -> tuple[float, float, float]:
    """``phases`` ring passes (1 = RS or AG, 2 = RS + AG) over p ranks."""
    frac = (p - 1) / p
    lat = phases * (p - 1) * ab.alpha_seconds
    bw = phases * frac * n * ab.beta_seconds_per_byte / (2 if bidirectional else 1)
    red = reduce_phases * frac * n * ab.gamma_seconds_per_byte
    return lat, bw, red


def collective_cost(collective: str, algorithm: str, n_bytes: float, ranks: int, ab: AlphaBeta, *,
                    dims: tuple[int, ...] | None = None, inner: AlphaBeta | None = None,
                    chips_per_node: int | None = None, bidirectional: bool = False
                    ) -> CollectiveCost:
    """Closed-form cost of ``collective`` with ``algorithm`` on ``ranks`` ranks of ``n_bytes`` each.

    ``dims`` (X, Y) is needed by ``torus2d``; ``inner`` (intra-node link) and ``chips_per_node`` by
    ``hierarchical``, where ``ab`` is the inter-node link.
    """
    if collective not in ALGORITHMS:
        raise AccelsimError(f"unknown collective '{collective}'{did_you_mean(collective, COLLECTIVES)}"
                            f"; known: {', '.join(COLLECTIVES)}", field="collective")
    if algorithm not in ALGORITHMS[collective]:
        raise AccelsimError(
            f"no algorithm '{algorithm}' for {collective}"
            f"{did_you_mean(algorithm, ALGORITHMS[collective])}; known: "
            f"{', '.join(ALGORITHMS[collective])}", field="collective")
    if ranks < 1 or n_bytes < 0:
        raise AccelsimError(f"need ranks >= 1 and bytes >= 0, got {ranks} ranks, {n_bytes} bytes")
    p, n = ranks, float(n_bytes)
    a, b, g = ab.alpha_seconds, ab.beta_seconds_per_byte, ab.gamma_seconds_per_byte
    log_p = _log2(p)
    frac = (p - 1) / p
    if p == 1:
        lat = bw = red = 0.0
    elif algorithm == "torus2d":
        if not dims or len(dims) != 2 or dims[0] * dims[1] != p:
            raise AccelsimError(f"torus2d needs dims (X, Y) with X*Y = {p} ranks, got {dims}")
        x, y = dims
        # RS along X, all-reduce along Y on n/X, AG along X (systems.md; Ying et al. 2018).
        passes = {"all_reduce": 2, "reduce_scatter": 1, "all_gather": 1}[collective]
        lat = passes * ((x - 1) + (y - 1)) * a
        bw = passes * n * b * (p - 1) / p / (2 if bidirectional else 1)
        red = 0.0 if collective == "all_gather" else n * g * (p - 1) / p
    elif algorithm == "hierarchical":
        if inner is None or not chips_per_node or p % chips_per_node:
            raise AccelsimError("hierarchical needs the intra-node link and chips_per_node "
                                f"dividing {p} ranks")
        gsz, nodes = chips_per_node, p // chips_per_node
        passes = {"all_reduce": 2, "reduce_scatter": 1, "all_gather": 1}[collective]
        lat = passes * ((gsz - 1) * inner.alpha_seconds + (nodes - 1) * a)
        bw = passes * ((gsz - 1) / gsz * n * inner.beta_seconds_per_byte
                       + (nodes - 1) / nodes * (n / gsz) * b)
        red = 0.0 if collective == "all_gather" else (
            (gsz - 1) / gsz * n * inner.gamma_seconds_per_byte + (nodes - 1) / nodes * (n / gsz) * g)
    elif collective == "all_reduce":
        if algorithm == "ring":
            lat, bw, red = _ring(p, n, ab, 2, 1, bidirectional)
        elif algorithm == "rabenseifner":
            lat, bw, red = 2 * log_p * a, 2 * frac * n * b, frac * n * g
        elif algorithm == "recursive_doubling":
            lat, bw, red = log_p * a, log_p * n * b, log_p * n * g
        else:  # tree: binomial reduce then binomial broadcast
            lat, bw, red = 2 * log_p * a, 2 * log_p * n * b, log_p * n * g
    elif collective in ("reduce_scatter", "all_gather"):
        reduce_phases = 1 if collective == "reduce_scatter" else 0
        if algorithm == "ring":
            lat, bw, red = _ring(p, n, ab, 1, reduce_phases, bidirectional)
        else:  # recursive halving (RS) / doubling (AG)
            lat, bw, red = log_p * a, frac * n * b, reduce_phases * frac * n * g
    elif collective == "broadcast":
        if algorithm == "tree":
            lat, bw, red = log_p * a, log_p * n * b, 0.0
        else:  # scatter (binomial) + ring all-gather (van de Geijn)
            lat, bw, red = (log_p + p - 1) * a, 2 * frac * n * b, 0.0
    else:  # all_to_all
        if algorithm == "pairwise":
            lat, bw, red = (p - 1) * a, frac * n * b, 0.0
        else:  # Bruck: log p rounds, each moving half the buffer
            lat, bw, red = log_p * a, log_p * n / 2 * b, 0.0
    return CollectiveCost(collective, algorithm, p, n, lat, bw, red)
