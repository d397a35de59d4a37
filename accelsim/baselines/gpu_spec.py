"""GPU specifications for roofline baselines, parsed from ``archs/gpus/*.yaml`` into frozen dataclasses.

Units are in the key names: ``*_peak_tops`` are 10^12 operations per second (a MAC is 2 operations),
``memory_bandwidth_gbps`` is 10^9 bytes per second, ``memory_gb`` datasheet gigabytes, ``l2_mib``
MiB, ``tdp_w`` watts. Every error names ``file:line:col`` and the field.
"""
from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import Location, SpecError, did_you_mean
from ..readonly import ReadOnlyMaps
from ..spec.loader import archs_folder
from ..yamlio import MarkedDict, load_yaml_file

GPUS_DIR = archs_folder() / "gpus"

#: precision keys a GPU config may list (``fp8`` covers E4M3 and E5M2)
GPU_PRECISIONS = ("fp32", "tf32", "fp16", "bf16", "int8", "fp8")

_KEYS = ("version", "name", "description", "sm_count", "dense_peak_tops", "sparse_peak_tops",
         "vector_peak_tops", "memory_bandwidth_gbps", "memory_gb", "l2_mib", "tdp_w", "process",
         "source")
_REQUIRED = ("version", "name", "sm_count", "dense_peak_tops", "vector_peak_tops",
             "memory_bandwidth_gbps", "tdp_w")


@dataclass(frozen=True)
class GpuSpec(ReadOnlyMaps):
    """One GPU (or one die of a multi-die board) as a roofline: peaks, bandwidth, power.

    ``dense_peak_tops`` / ``sparse_peak_tops`` map a precision key (:data:`GPU_PRECISIONS`) to
    10^12 ops/s; sparse means 2:4 structured sparsity. ``vector_peak_tops`` is the CUDA-core rate
    used for non-matrix layers. Both tables are read-only (accelsim/readonly.py).
    """

    name: str
    description: str
    sm_count: int
    dense_peak_tops: Mapping[str, float]
    sparse_peak_tops: Mapping[str, float]
    vector_peak_tops: float
    memory_bandwidth_gbps: float
    memory_gb: float
    l2_mib: float
    tdp_w: float
    process: str
    source: str

    @property
    def bytes_per_second(self) -> float:
        """DRAM bandwidth in bytes per second."""
        return self.memory_bandwidth_gbps * 1e9

    def ridge_ops_per_byte(self, precision_key: str) -> float:
        """Operational intensity (ops per DRAM byte) where the roofline turns flat."""
        return self.dense_peak_tops[precision_key] * 1e12 / self.bytes_per_second


def _where(node: Any, key: str, file: str | None) -> Location:
    if isinstance(node, MarkedDict) and key in node.marks:
        return node.marks[key]
    return getattr(node, "location", None) or Location(file)


def _number(node: dict, key: str, field: str, file: str | None, maximum: float = 1e7) -> float:
    value = node[key]
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise SpecError(f"expected a finite number, got {type(value).__name__} {value!r}",
                        _where(node, key, file), field=field)
    if not 0 < value <= maximum:
        raise SpecError(f"expected a number > 0 and <= {maximum:g}, got {value}",
                        _where(node, key, file), field=field)
    return float(value)


def _text(node: dict, key: str, file: str | None, default: str = "") -> str:
    if key not in node:
        return default
    value = node[key]
    if isinstance(value, (int, float)) and not isinstance(value, bool) and key == "process":
        return str(value)
    if not isinstance(value, str) or not value.strip():
        raise SpecError(f"expected a non-empty string, got {value!r}", _where(node, key, file),
                        field=key)
    return value.strip()


def _peaks(node: dict, key: str, file: str | None, required: bool) -> dict[str, float]:
    if key not in node:
        return {}
    table = node[key]
    if table is None:
        table = {}
    if not isinstance(table, dict):
        raise SpecError(f"expected a mapping of precision to 10^12 ops/s, got {table!r}",
                        _where(node, key, file), field=key)
    peaks: dict[str, float] = {}
    for precision in table:
        if precision not in GPU_PRECISIONS:
            raise SpecError(
                f"unknown precision '{precision}'{did_you_mean(str(precision), GPU_PRECISIONS)}; "
                f"allowed: {', '.join(GPU_PRECISIONS)}",
                _where(table, precision, file), field=f"{key}.{precision}")
        peaks[precision] = _number(table, precision, f"{key}.{precision}", file)
    if required and "fp32" not in peaks:
        raise SpecError("must list at least fp32 (the fallback of every other precision)",
                        _where(node, key, file), field=f"{key}.fp32")
    return peaks


def parse_gpu_spec(data: Any, file: str | None = None) -> GpuSpec:
    """Validate a parsed YAML mapping and build a :class:`GpuSpec`."""
    if not isinstance(data, dict):
        raise SpecError("a GPU config must be a mapping", getattr(data, "location", None) or Location(file))
    for key in data:
        if key not in _KEYS:
            raise SpecError(f"unknown key '{key}'{did_you_mean(key, _KEYS)}; allowed: {', '.join(_KEYS)}",
                            _where(data, key, file), field=key)
    for key in _REQUIRED:
        if key not in data:
            raise SpecError(f"missing required key '{key}'",
                            getattr(data, "location", None) or Location(file), field=key)
    if data["version"] != 1:
        raise SpecError(f"unsupported version {data['version']!r}; expected 1",
                        _where(data, "version", file), field="version")
    sm_count = data["sm_count"]
    if isinstance(sm_count, bool) or not isinstance(sm_count, int) or not 1 <= sm_count <= 10_000:
        raise SpecError(f"expected an integer in [1, 10000], got {sm_count!r}",
                        _where(data, "sm_count", file), field="sm_count")
    dense = _peaks(data, "dense_peak_tops", file, required=True)
    sparse = _peaks(data, "sparse_peak_tops", file, required=False)
    for precision in sparse:
        if precision not in dense:
            raise SpecError(f"sparse peak for '{precision}' without a dense peak for it",
                            _where(data["sparse_peak_tops"], precision, file),
                            field=f"sparse_peak_tops.{precision}")
    return GpuSpec(
        name=_text(data, "name", file),
        description=_text(data, "description", file),
        sm_count=sm_count,
        dense_peak_tops=dense,
        sparse_peak_tops=sparse,
        vector_peak_tops=_number(data, "vector_peak_tops", "vector_peak_tops", file),
        memory_bandwidth_gbps=_number(data, "memory_bandwidth_gbps", "memory_bandwidth_gbps", file),
        memory_gb=_number(data, "memory_gb", "memory_gb", file) if "memory_gb" in data else 0.0,
        l2_mib=_number(data, "l2_mib", "l2_mib", file) if "l2_mib" in data else 0.0,
        tdp_w=_number(data, "tdp_w", "tdp_w", file, maximum=1e5),
        process=_text(data, "process", file),
        source=_text(data, "source", file),
    )


def shipped_gpus() -> dict[str, Path]:
    """Names of the GPU configs shipped in ``archs/gpus`` mapped to their files, sorted."""
    if not GPUS_DIR.is_dir():
        return {}
    return {p.stem: p for p in sorted(GPUS_DIR.glob("*.yaml"))}


def load_gpu_spec(name_or_path: str | Path) -> GpuSpec:
    """Load a shipped GPU by name (``v100``) or any GPU config by path."""
    text = str(name_or_path)
    path = Path(text)
    if path.suffix.lower() not in (".yaml", ".yml"):
        known = shipped_gpus()
        key = text.lower()
        if key not in known:
            raise SpecError(f"unknown GPU '{text}'{did_you_mean(key, known)}; known: "
                            f"{', '.join(known)} (or give a path to a GPU .yaml)", field="--gpu")
        path = known[key]
    elif not path.exists():
        raise SpecError("no such GPU config file", Location(text), field="--gpu")
    return parse_gpu_spec(load_yaml_file(path), str(path))
