"""Message schedules of collective algorithms, for the event-driven network model.

A schedule is a tuple of steps; a step is the messages every rank sends in that step. A rank starts
its sends of step s once its own sends of step s-1 are done and the messages addressed to it in step
s-1 have arrived (and been reduced, when the step reduces). Ranks are numbered 0..p-1; a placement
maps them to chips. Byte counts divide the buffer evenly (they may be fractional).
"""
from __future__ import annotations

from dataclasses import dataclass

from ..errors import AccelsimError


@dataclass(frozen=True)
class Message:
    """``nbytes`` bytes from rank ``src`` to rank ``dst``; ``reduce``: the receiver adds them in."""

    src: int
    dst: int
    nbytes: float
    reduce: bool = False


Step = tuple[Message, ...]
Schedule = tuple[Step, ...]


def _pow2(p: int, name: str) -> int:
    if p & (p - 1):
        raise AccelsimError(f"the {name} schedule needs a power-of-two number of ranks, got {p}")
    return p.bit_length() - 1


def ring_steps(group: list[int], chunk_bytes: float, steps: int, reduce: bool,
               direction: int = 1) -> list[list[Message]]:
    """``steps`` ring steps over ``group`` (ranks in ring order), each sending one chunk onwards."""
    q = len(group)
    return [[Message(group[i], group[(i + direction) % q], chunk_bytes, reduce) for i in range(q)]
            for _ in range(steps)]


def _merge(*phases: list[list[Message]]) -> list[list[Message]]:
    """Run phases side by side: step s of the result is step s of every phase."""
    length = max((len(ph) for ph in phases), default=0)
    return [[m for ph in phases if s < len(ph) for m in ph[s]] for s in range(length)]


def ring_all_reduce(p: int, n_bytes: float, bidirectional: bool = False) -> Schedule:
    """Ring reduce-scatter then ring all-gather: 2(p-1) steps of n/p bytes per rank."""
    return _ring_collective(p, n_bytes, reduce_scatter=True, all_gather=True,
                            bidirectional=bidirectional)


def _ring_collective(p: int, n_bytes: float, reduce_scatter: bool, all_gather: bool,
                     bidirectional: bool) -> Schedule:
    if p == 1:
        return ()
    group = list(range(p))
    directions = (1, -1) if bidirectional else (1,)
    chunk = n_bytes / p / len(directions)
    phases = []
    for d in directions:
        steps = []
        if reduce_scatter:
            steps += ring_steps(group, chunk, p - 1, True, d)
        if all_gather:
            steps += ring_steps(group, chunk, p - 1, False, d)
        phases.append(steps)
    return tuple(tuple(step) for step in _merge(*phases))


def rabenseifner_all_reduce(p: int, n_bytes: float) -> Schedule:
    """Recursive-halving reduce-scatter then recursive-doubling all-gather (p a power of two)."""
    rounds = _pow2(p, "rabenseifner")
    rs = []
    for k in range(rounds):
        dist = p >> (k + 1)
        size = n_bytes / (2 ** (k + 1))
        rs.append(tuple(Message(i, i ^ dist, size, True) for i in range(p)))
    ag = [tuple(Message(m.src, m.dst, m.nbytes, False) for m in step) for step in reversed(rs)]
    return tuple(rs + ag)


def recursive_doubling_all_reduce(p: int, n_bytes: float) -> Schedule:
    """log2(p) rounds; in round k rank i swaps the whole buffer with i XOR 2^k and adds it in."""
    rounds = _pow2(p, "recursive_doubling")
    return tuple(tuple(Message(i, i ^ (1 << k), n_bytes, True) for i in range(p))
                 for k in range(rounds))


def tree_all_reduce(p: int, n_bytes: float) -> Schedule:
    """Binomial-tree reduce to rank 0, then binomial broadcast from rank 0 (p a power of two)."""
    rounds = _pow2(p, "tree")
    reduce_steps = [tuple(Message(i, i - (1 << k), n_bytes, True)
                          for i in range(p) if i % (2 << k) == (1 << k)) for k in range(rounds)]
    return tuple(reduce_steps) + broadcast_tree(p, n_bytes)


def broadcast_tree(p: int, n_bytes: float) -> Schedule:
    """Binomial broadcast from rank 0 (p a power of two)."""
    rounds = _pow2(p, "tree")
    return tuple(tuple(Message(i, i + (1 << k), n_bytes, False)
                       for i in range(p) if i % (2 << k) == 0) for k in reversed(range(rounds)))


def torus2d_all_reduce(dims: tuple[int, int], n_bytes: float, bidirectional: bool = False
                       ) -> Schedule:
    """Rank (x, y) = y*X + x. Ring RS along X on n, ring all-reduce along Y on n/X, ring AG along X."""
    x_size, y_size = dims
    directions = (1, -1) if bidirectional else (1,)
    rows = [[y * x_size + x for x in range(x_size)] for y in range(y_size)]
    cols = [[y * x_size + x for y in range(y_size)] for x in range(x_size)]
    steps: list[list[Message]] = []
    for d in directions:
        share = n_bytes / len(directions)
        phase: list[list[Message]] = []
        if x_size > 1:
            phase += _merge(*[ring_steps(r, share / x_size, x_size - 1, True, d) for r in rows])
        if y_size > 1:
            col_share = share / x_size / y_size
            phase += _merge(*[ring_steps(c, col_share, y_size - 1, True, d) for c in cols])
            phase += _merge(*[ring_steps(c, col_share, y_size - 1, False, d) for c in cols])
        if x_size > 1:
            phase += _merge(*[ring_steps(r, share / x_size, x_size - 1, False, d) for r in rows])
        steps = _merge(steps, phase)
    return tuple(tuple(s) for s in steps)


def hierarchical_all_reduce(chips_per_node: int, nodes: int, n_bytes: float) -> Schedule:
    """Rank = node*g + local. Ring RS in each node, ring all-reduce across nodes on n/g per chip
    (local rank j of every node forms one ring), ring AG in each node."""
    g = chips_per_node
    in_node = [[node * g + j for j in range(g)] for node in range(nodes)]
    across = [[node * g + j for node in range(nodes)] for j in range(g)]
    steps: list[list[Message]] = []
    if g > 1:
        steps += _merge(*[ring_steps(grp, n_bytes / g, g - 1, True) for grp in in_node])
    if nodes > 1:
        chunk = n_bytes / g / nodes
        steps += _merge(*[ring_steps(grp, chunk, nodes - 1, True) for grp in across])
        steps += _merge(*[ring_steps(grp, chunk, nodes - 1, False) for grp in across])
    if g > 1:
        steps += _merge(*[ring_steps(grp, n_bytes / g, g - 1, False) for grp in in_node])
    return tuple(tuple(s) for s in steps)


def ring_all_gather(p: int, n_bytes: float, accumulate: bool = False) -> Schedule:
    """Ring all-gather of an ``n_bytes`` output (n/p contributed per rank): p-1 steps.
    ``accumulate``: receivers add what arrives into a buffer (sparse all-reduce by all-gather)."""
    if p == 1:
        return ()
    return tuple(tuple(step) for step in ring_steps(list(range(p)), n_bytes / p, p - 1, accumulate))


def sized_recursive_doubling(p: int, round_bytes: list[float]) -> Schedule:
    """Recursive doubling where round k sends ``round_bytes[k]`` (sparse data that fills in)."""
    rounds = _pow2(p, "recursive_doubling")
    if len(round_bytes) != rounds:
        raise AccelsimError(f"need {rounds} round sizes for {p} ranks, got {len(round_bytes)}")
    return tuple(tuple(Message(i, i ^ (1 << k), round_bytes[k], True) for i in range(p))
                 for k in range(rounds))


def ring_reduce_scatter(p: int, n_bytes: float) -> Schedule:
    """Ring reduce-scatter of an ``n_bytes`` input: p-1 steps of n/p."""
    return _ring_collective(p, n_bytes, reduce_scatter=True, all_gather=False, bidirectional=False)


def pairwise_all_to_all(p: int, n_bytes: float) -> Schedule:
    """Step s: rank i sends its n/p block for rank (i+s) mod p."""
    return tuple(tuple(Message(i, (i + s) % p, n_bytes / p) for i in range(p)) for s in range(1, p))


def all_reduce_schedule(algorithm: str, p: int, n_bytes: float, *, dims=None,
                        chips_per_node: int | None = None, bidirectional: bool = False) -> Schedule:
    """Schedule of an all-reduce by algorithm name (see :mod:`.collectives`)."""
    if algorithm == "ring":
        return ring_all_reduce(p, n_bytes, bidirectional)
    if algorithm == "rabenseifner":
        return rabenseifner_all_reduce(p, n_bytes)
    if algorithm == "recursive_doubling":
        return recursive_doubling_all_reduce(p, n_bytes)
    if algorithm == "tree":
        return tree_all_reduce(p, n_bytes)
    if algorithm == "torus2d":
        if not dims or len(dims) != 2 or dims[0] * dims[1] != p:
            raise AccelsimError(f"torus2d needs dims (X, Y) with X*Y = {p}, got {dims}")
        return torus2d_all_reduce(tuple(dims), n_bytes, bidirectional)
    if algorithm == "hierarchical":
        if not chips_per_node or p % chips_per_node:
            raise AccelsimError(f"hierarchical needs chips_per_node dividing {p}")
        return hierarchical_all_reduce(chips_per_node, p // chips_per_node, n_bytes)
    raise AccelsimError(f"no event-driven schedule for all-reduce algorithm '{algorithm}'")
