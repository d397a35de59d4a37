"""System specification: many chips joined by a network, parsed from YAML into frozen dataclasses.

Units are in the key names: ``bandwidth_gbps`` is gigabytes (10^9 bytes) per second per direction of
one link, ``latency_us`` microseconds per message, ``peak_tflops`` 10^12 floating-point operations per
second. Every error names ``file:line:col`` and the field path.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import Location, SpecError, did_you_mean
from ..spec.loader import archs_folder
from ..yamlio import MarkedDict, MarkedList, load_yaml_file

TOPOLOGY_KINDS = ("ring", "torus2d", "torus3d", "switch", "hierarchical")
# Links each chip needs (per direction pair) for a topology kind to be built as described.
LINKS_NEEDED = {"ring": 2, "torus2d": 4, "torus3d": 6, "switch": 1, "hierarchical": 1}
DIMS_NEEDED = {"ring": 1, "torus2d": 2, "torus3d": 3, "switch": 1, "hierarchical": 1}
SYSTEMS_DIR = archs_folder() / "systems"


@dataclass(frozen=True)
class LinkSpec:
    """One kind of link. ``bandwidth_gbps``: GB/s per direction; ``latency_us``: per message (alpha)."""

    bandwidth_gbps: float
    latency_us: float
    links_per_chip: int = 1

    @property
    def bytes_per_second(self) -> float:
        """Bandwidth of one direction of one link in bytes per second."""
        return self.bandwidth_gbps * 1e9

    @property
    def latency_seconds(self) -> float:
        """Per-message latency (the alpha term) in seconds."""
        return self.latency_us * 1e-6


@dataclass(frozen=True)
class TopologySpec:
    """Shape of the network. ``dims``: chips along each dimension (nodes for hierarchical)."""

    kind: str
    dims: tuple[int, ...]
    chips_per_node: int = 1


@dataclass(frozen=True)
class ChipRoofline:
    """Per-chip peak figures used by roofline estimates and compression passes."""

    peak_tflops: float
    hbm_bandwidth_gbps: float


@dataclass(frozen=True)
class SystemSpec:
    """A multi-chip system: ``chips`` copies of the single-chip arch ``chip`` on a network."""

    name: str
    description: str
    chip: str
    chips: int
    topology: TopologySpec
    link: LinkSpec
    host_link: LinkSpec
    intra_node_link: LinkSpec | None = None
    chip_roofline: ChipRoofline | None = None
    source: str | None = None


# ---------------------------------------------------------------------------------------------
# Small validators. Each takes the containing mapping, the key and the dotted field path.


def _where(node: Any, key: Any, file: str | None) -> Location:
    """Location of ``node[key]``, else of ``node``, else just the file."""
    if isinstance(node, MarkedDict) and key in node.marks:
        return node.marks[key]
    if isinstance(node, MarkedList) and isinstance(key, int) and key < len(node.marks):
        return node.marks[key]
    return getattr(node, "location", None) or Location(file)


def _check_keys(node: dict, allowed: tuple[str, ...], required: tuple[str, ...], path: str,
                file: str | None) -> None:
    for key in node:
        if key not in allowed:
            raise SpecError(
                f"unknown key '{key}'{did_you_mean(key, allowed)}; allowed: {', '.join(allowed)}",
                _where(node, key, file), field=f"{path}.{key}" if path else key,
            )
    for key in required:
        if key not in node:
            raise SpecError(
                f"missing required key '{key}'", getattr(node, "location", None) or Location(file),
                field=f"{path}.{key}" if path else key,
            )


def _mapping(node: dict, key: str, path: str, file: str | None) -> dict:
    value = node[key]
    if not isinstance(value, dict):
        raise SpecError(f"expected a mapping, got {type(value).__name__} {value!r}",
                        _where(node, key, file), field=path)
    return value


def _string(node: dict, key: str, path: str, file: str | None) -> str:
    value = node[key]
    if not isinstance(value, str) or not value.strip():
        raise SpecError(f"expected a non-empty string, got {value!r}", _where(node, key, file),
                        field=path)
    return value


def _int(node: Any, key: Any, path: str, file: str | None, minimum: int = 1,
         maximum: int = 1_000_000) -> int:
    value = node[key]
    if isinstance(value, bool) or not isinstance(value, int):
        raise SpecError(f"expected an integer, got {type(value).__name__} {value!r}",
                        _where(node, key, file), field=path)
    if not minimum <= value <= maximum:
        raise SpecError(f"expected an integer in [{minimum}, {maximum}], got {value}",
                        _where(node, key, file), field=path)
    return value


def _number(node: dict, key: str, path: str, file: str | None, minimum: float = 0.0,
            maximum: float = 1e9, exclusive_min: bool = True) -> float:
    value = node[key]
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise SpecError(f"expected a finite number, got {type(value).__name__} {value!r}",
                        _where(node, key, file), field=path)
    low_ok = value > minimum if exclusive_min else value >= minimum
    if not low_ok or value > maximum:
        bound = f"> {minimum}" if exclusive_min else f">= {minimum}"
        raise SpecError(f"expected a number {bound} and <= {maximum:g}, got {value}",
                        _where(node, key, file), field=path)
    return float(value)


def _link(node: dict, key: str, path: str, file: str | None, need_count: bool) -> LinkSpec:
    body = _mapping(node, key, path, file)
    allowed = ("bandwidth_gbps", "latency_us", "links_per_chip")
    _check_keys(body, allowed, ("bandwidth_gbps", "latency_us"), path, file)
    links = _int(body, "links_per_chip", f"{path}.links_per_chip", file, 1, 64) \
        if "links_per_chip" in body else 1
    if need_count and "links_per_chip" not in body:
        raise SpecError("missing required key 'links_per_chip'", body.location,
                        field=f"{path}.links_per_chip")
    return LinkSpec(
        bandwidth_gbps=_number(body, "bandwidth_gbps", f"{path}.bandwidth_gbps", file, 0.0, 1e6),
        latency_us=_number(body, "latency_us", f"{path}.latency_us", file, 0.0, 1e6,
                           exclusive_min=False),
        links_per_chip=links,
    )


def _topology(node: dict, file: str | None) -> TopologySpec:
    body = _mapping(node, "topology", "topology", file)
    _check_keys(body, ("kind", "dims", "chips_per_node"), ("kind", "dims"), "topology", file)
    kind = body["kind"]
    if kind not in TOPOLOGY_KINDS:
        raise SpecError(
            f"unknown topology kind {kind!r}{did_you_mean(str(kind), TOPOLOGY_KINDS)}; "
            f"known: {', '.join(TOPOLOGY_KINDS)}", _where(body, "kind", file), field="topology.kind")
    dims_node = body["dims"]
    if not isinstance(dims_node, list) or not dims_node:
        raise SpecError(f"expected a non-empty list of integers, got {dims_node!r}",
                        _where(body, "dims", file), field="topology.dims")
    dims = tuple(_int(dims_node, i, f"topology.dims[{i}]", file, 1, 4096)
                 for i in range(len(dims_node)))
    if len(dims) != DIMS_NEEDED[kind]:
        raise SpecError(f"a {kind} topology needs {DIMS_NEEDED[kind]} dims, got {len(dims)}",
                        _where(body, "dims", file), field="topology.dims")
    per_node = 1
    if kind == "hierarchical":
        if "chips_per_node" not in body:
            raise SpecError("a hierarchical topology needs 'chips_per_node'", body.location,
                            field="topology.chips_per_node")
        per_node = _int(body, "chips_per_node", "topology.chips_per_node", file, 1, 4096)
    elif "chips_per_node" in body:
        raise SpecError(f"'chips_per_node' only applies to hierarchical topologies, not {kind}",
                        _where(body, "chips_per_node", file), field="topology.chips_per_node")
    return TopologySpec(kind=kind, dims=dims, chips_per_node=per_node)


def parse_system(data: Any, file: str | None = None) -> SystemSpec:
    """Validate parsed YAML (marked containers) and build a :class:`SystemSpec`."""
    if not isinstance(data, dict):
        what = ("an empty document" if data is None else "a list" if isinstance(data, list)
                else f"{type(data).__name__} {data!r}"[:100])
        raise SpecError(f"expected a mapping of system fields (version, name, chip, chips, topology, link, "
                        f"host_link), got {what}", Location(file, 1, 1), "<root>")
    allowed = ("version", "name", "description", "chip", "chips", "topology", "link",
               "intra_node_link", "host_link", "chip_roofline")
    _check_keys(data, allowed, ("version", "name", "chip", "chips", "topology", "link",
                                "host_link"), "", file)
    if data["version"] != 1 or isinstance(data["version"], bool):
        raise SpecError(f"unsupported version {data['version']!r}; this accelsim reads version 1",
                        _where(data, "version", file), field="version")
    topology = _topology(data, file)
    chips = _int(data, "chips", "chips", file, 1, 1_000_000)
    expected = math.prod(topology.dims) * topology.chips_per_node
    if chips != expected:
        raise SpecError(f"chips is {chips} but the topology holds {expected} "
                        f"(dims {list(topology.dims)}"
                        + (f" x chips_per_node {topology.chips_per_node})" if topology.kind ==
                           "hierarchical" else ")"), _where(data, "chips", file), field="chips")
    link = _link(data, "link", "link", file, need_count=True)
    if link.links_per_chip < LINKS_NEEDED[topology.kind]:
        raise SpecError(f"a {topology.kind} topology needs at least {LINKS_NEEDED[topology.kind]} "
                        f"links per chip, got {link.links_per_chip}",
                        _where(data["link"], "links_per_chip", file), field="link.links_per_chip")
    intra = None
    if "intra_node_link" in data:
        if topology.kind != "hierarchical":
            raise SpecError("'intra_node_link' only applies to hierarchical topologies",
                            _where(data, "intra_node_link", file), field="intra_node_link")
        intra = _link(data, "intra_node_link", "intra_node_link", file, need_count=False)
    elif topology.kind == "hierarchical":
        raise SpecError("a hierarchical topology needs 'intra_node_link'", data.location
                        if isinstance(data, MarkedDict) else Location(file),
                        field="intra_node_link")
    roofline = None
    if "chip_roofline" in data:
        body = _mapping(data, "chip_roofline", "chip_roofline", file)
        _check_keys(body, ("peak_tflops", "hbm_bandwidth_gbps"),
                    ("peak_tflops", "hbm_bandwidth_gbps"), "chip_roofline", file)
        roofline = ChipRoofline(
            peak_tflops=_number(body, "peak_tflops", "chip_roofline.peak_tflops", file, 0, 1e6),
            hbm_bandwidth_gbps=_number(body, "hbm_bandwidth_gbps",
                                       "chip_roofline.hbm_bandwidth_gbps", file, 0, 1e6),
        )
    return SystemSpec(
        name=_string(data, "name", "name", file),
        description=_string(data, "description", "description", file)
        if "description" in data else "",
        chip=_string(data, "chip", "chip", file),
        chips=chips,
        topology=topology,
        link=link,
        host_link=_link(data, "host_link", "host_link", file, need_count=False),
        intra_node_link=intra,
        chip_roofline=roofline,
        source=file,
    )


def shipped_systems() -> list[str]:
    """Names of the system specs shipped in ``archs/systems``."""
    return sorted(p.stem for p in SYSTEMS_DIR.glob("*.yaml"))


def load_system(name_or_path: str | Path) -> SystemSpec:
    """Load a system by shipped name (``tpu_v3_pod_32x32``) or by path to a YAML file."""
    path = Path(name_or_path)
    if path.suffix not in (".yaml", ".yml"):
        candidate = SYSTEMS_DIR / f"{name_or_path}.yaml"
        if not candidate.exists():
            known = shipped_systems()
            raise SpecError(f"unknown system '{name_or_path}'{did_you_mean(str(name_or_path), known)};"
                            f" shipped: {', '.join(known)}; or give a path to a .yaml file",
                            field="system")
        path = candidate
    return parse_system(load_yaml_file(path), str(path))


def with_dims(spec: SystemSpec, dims: tuple[int, ...], name: str | None = None) -> SystemSpec:
    """A copy of ``spec`` cut down (or grown) to ``dims``: a slice of a pod with the same links."""
    from dataclasses import replace

    topology = replace(spec.topology, dims=tuple(dims))
    chips = math.prod(dims) * topology.chips_per_node
    return replace(spec, topology=topology, chips=chips,
                   name=name or f"{spec.name}[{'x'.join(map(str, dims))}]")
