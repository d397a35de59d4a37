"""Directed links of a system and the route a message takes between two chips.

Every direction of every physical link is its own channel (full duplex). Routes:
- ring / torus2d / torus3d: dimension-order routing, the shorter way round each dimension
  (ties go in the + direction);
- switch: the source chip's up-link into an ideal crossbar, then the destination's down-link;
- hierarchical: the same inside a node (intra-node crossbar), and through each chip's own NIC
  into an ideal inter-node switch between nodes.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

from ..errors import SpecError
from .spec import LinkSpec, SystemSpec


@dataclass(frozen=True)
class Link:
    """One direction of one link. ``bytes_per_second`` is its bandwidth, ``name`` a readable id."""

    name: str
    bytes_per_second: float
    latency_seconds: float


@dataclass(frozen=True)
class Network:
    """The chips of a system and its directed links, with routing between chips."""

    kind: str
    chips: int
    dims: tuple[int, ...]
    chips_per_node: int
    links: tuple[Link, ...]
    index: dict  # link name -> position in ``links``

    def coords(self, chip: int) -> tuple[int, ...]:
        """Torus coordinates of ``chip`` (first dimension varies fastest)."""
        out = []
        for size in self.dims:
            out.append(chip % size)
            chip //= size
        return tuple(out)

    def chip_at(self, coords: tuple[int, ...]) -> int:
        """Chip id at torus ``coords`` (inverse of :meth:`coords`)."""
        chip, stride = 0, 1
        for c, size in zip(coords, self.dims):
            chip += (c % size) * stride
            stride *= size
        return chip

    def route(self, src: int, dst: int) -> tuple[int, ...]:
        """Indices into ``links`` that a message from chip ``src`` to chip ``dst`` crosses."""
        if not (0 <= src < self.chips and 0 <= dst < self.chips):
            raise SpecError(f"chip id out of range: {src} -> {dst} on {self.chips} chips")
        if src == dst:
            return ()
        if self.kind == "switch":
            return (self.index[f"c{src}.up"], self.index[f"c{dst}.down"])
        if self.kind == "hierarchical":
            g = self.chips_per_node
            tier = "intra" if src // g == dst // g else "nic"
            return (self.index[f"c{src}.{tier}.up"], self.index[f"c{dst}.{tier}.down"])
        names = []
        cur = list(self.coords(src))
        goal = self.coords(dst)
        for dim, size in enumerate(self.dims):
            forward = (goal[dim] - cur[dim]) % size
            backward = (cur[dim] - goal[dim]) % size
            step, hops = (1, forward) if forward <= backward else (-1, backward)
            for _ in range(hops):
                here = self.chip_at(tuple(cur))
                names.append(f"c{here}.d{dim}{'+' if step > 0 else '-'}")
                cur[dim] = (cur[dim] + step) % size
        return tuple(self.index[n] for n in names)

    def path_bytes_per_second(self, route: tuple[int, ...]) -> float:
        """Bandwidth of a route: that of its slowest link."""
        return min(self.links[i].bytes_per_second for i in route)


def _link(name: str, spec: LinkSpec) -> Link:
    return Link(name, spec.bytes_per_second, spec.latency_seconds)


def build_network(spec: SystemSpec) -> Network:
    """Build the directed links of ``spec``'s topology."""
    topo = spec.topology
    links: list[Link] = []
    if topo.kind in ("ring", "torus2d", "torus3d"):
        for chip in range(spec.chips):
            for dim, size in enumerate(topo.dims):
                if size == 1:
                    continue
                links.append(_link(f"c{chip}.d{dim}+", spec.link))
                links.append(_link(f"c{chip}.d{dim}-", spec.link))
    elif topo.kind == "switch":
        for chip in range(spec.chips):
            links.append(_link(f"c{chip}.up", spec.link))
            links.append(_link(f"c{chip}.down", spec.link))
    elif topo.kind == "hierarchical":
        assert spec.intra_node_link is not None
        for chip in range(spec.chips):
            for tier, link in (("intra", spec.intra_node_link), ("nic", spec.link)):
                links.append(_link(f"c{chip}.{tier}.up", link))
                links.append(_link(f"c{chip}.{tier}.down", link))
    else:  # pragma: no cover - the spec parser rejects other kinds
        raise SpecError(f"unknown topology kind {topo.kind!r}")
    dims = topo.dims if topo.kind != "hierarchical" else (topo.chips_per_node, topo.dims[0])
    return Network(
        kind=topo.kind, chips=spec.chips, dims=tuple(dims), chips_per_node=topo.chips_per_node,
        links=tuple(links), index={link.name: i for i, link in enumerate(links)},
    )


def snake_order(dims: tuple[int, ...]) -> list[int]:
    """A ring over all chips of a 2-D torus that only uses neighbour links (boustrophedon).

    Row ``y`` runs +x when ``y`` is even and -x when odd; with an even number of rows the last chip,
    (0, Y-1), is a wrap-around neighbour of the first, (0, 0).
    """
    if len(dims) == 1:
        return list(range(dims[0]))
    x_size, y_size = dims[0], math.prod(dims[1:])
    order = []
    for y in range(y_size):
        xs = range(x_size) if y % 2 == 0 else range(x_size - 1, -1, -1)
        order.extend(y * x_size + x for x in xs)
    return order
