"""SCALE-Sim v2 topology CSV files, read with SCALE-Sim's own rules.

* The first line is a header and is skipped; blank lines are skipped.
* Every row's last comma-separated field is dropped (rows end with a trailing comma).
* Conv rows: ``name, ifmap H, ifmap W, filter H, filter W, channels, filters, stride[, col stride]``;
  without the column stride the row stride is used for both.
* A conv layer whose name contains ``DP`` is depthwise: it becomes ``channels`` one-channel layers
  named ``<name>Channel_<i>``.
* GEMM rows (``-i gemm``): ``name, M, N, K``, simulated as an M x K ifmap (1 x K filter, N filters).
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

from ..errors import AccelsimError, Location
from ..guards import check_scalesim_layer_count


@dataclass(frozen=True)
class ScaleSimLayer:
    """One layer as SCALE-Sim sees it (batch 1, no padding)."""

    name: str
    ifmap_h: int
    ifmap_w: int
    filter_h: int
    filter_w: int
    channels: int
    num_filters: int
    stride_h: int
    stride_w: int

    @property
    def ofmap_h(self) -> int:
        return math.ceil((self.ifmap_h - self.filter_h + self.stride_h) / self.stride_h)

    @property
    def ofmap_w(self) -> int:
        return math.ceil((self.ifmap_w - self.filter_w + self.stride_w) / self.stride_w)

    @property
    def gemm_m(self) -> int:
        """Output pixels (rows of the im2col matrix)."""
        return self.ofmap_h * self.ofmap_w

    @property
    def gemm_k(self) -> int:
        """Window size (the reduction)."""
        return self.filter_h * self.filter_w * self.channels

    @property
    def gemm_n(self) -> int:
        return self.num_filters

    @property
    def macs(self) -> int:
        return self.gemm_m * self.gemm_n * self.gemm_k


def load_topology(path: str | Path, gemm: bool = False) -> list[ScaleSimLayer]:
    """Read a SCALE-Sim topology file (conv rows, or M,N,K rows when ``gemm``)."""
    file = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise AccelsimError(f"cannot read topology: {exc.strerror or exc}", Location(file)) from None
    except UnicodeDecodeError as exc:  # binary or another encoding: a bad input, not a crash
        raise AccelsimError(f"not UTF-8 text (byte {exc.start})", Location(file)) from None
    return parse_topology(text, file, gemm)


def _int_field(raw: str, file: str, line: int, col: int, field: str, minimum: int) -> int:
    try:
        value = int(raw.strip())
    except ValueError:
        raise AccelsimError(f"expected an integer, got {raw.strip()!r}", Location(file, line, col),
                            field=field) from None
    if value < minimum:
        raise AccelsimError(f"must be at least {minimum}, got {value}", Location(file, line, col),
                            field=field)
    if value > 10**9:  # guard: the native kernel counts in 64-bit integers
        raise AccelsimError(f"must be at most 10^9, got {value}", Location(file, line, col), field=field)
    return value


_CONV_FIELDS = ("IFMAP Height", "IFMAP Width", "Filter Height", "Filter Width", "Channels",
                "Num Filter", "Stride", "Column Stride")
_GEMM_FIELDS = ("M", "N", "K")


def parse_topology(text: str, file: str = "<topology>", gemm: bool = False) -> list[ScaleSimLayer]:
    """Parse topology text; see the module docstring for the rules."""
    layers: list[ScaleSimLayer] = []
    lines = text.splitlines()
    for number, line in enumerate(lines[1:], start=2):
        if not line.strip():
            continue
        parts = line.strip().split(",")[:-1]  # SCALE-Sim drops the field after the last comma
        columns = []
        position = len(line) - len(line.lstrip()) + 1
        for part in parts:
            columns.append(position)
            position += len(part) + 1
        name = parts[0].strip() if parts else ""
        wanted = _GEMM_FIELDS if gemm else _CONV_FIELDS[:7]
        if len(parts) - 1 < len(wanted):
            hint = " (does the row end with a trailing comma?)" if line.rstrip()[-1:] != "," else ""
            raise AccelsimError(
                f"expected {1 + len(wanted)} fields (name, {', '.join(wanted)}), got {len(parts)}"
                + hint, Location(file, number, 1), field=name or "layer")
        values = [
            _int_field(parts[i + 1], file, number, columns[i + 1], f"{name}.{label}", 1)
            for i, label in enumerate((_GEMM_FIELDS if gemm else _CONV_FIELDS)[: len(parts) - 1])
        ]
        if gemm:
            m, n, k = values[:3]
            layers.append(ScaleSimLayer(name, m, k, 1, k, 1, n, 1, 1))
            continue
        ifmap_h, ifmap_w, filter_h, filter_w, channels, filters, stride = values[:7]
        stride_w = values[7] if len(values) > 7 else stride
        if filter_h > ifmap_h or filter_w > ifmap_w:
            raise AccelsimError(
                f"filter {filter_h}x{filter_w} is larger than the ifmap {ifmap_h}x{ifmap_w}",
                Location(file, number, columns[3]), field=f"{name}.Filter Height")
        if "DP" in name:
            check_scalesim_layer_count(len(layers) + channels)  # resource guard before expanding
            for channel in range(channels):
                layers.append(ScaleSimLayer(f"{name}Channel_{channel}", ifmap_h, ifmap_w, filter_h,
                                            filter_w, 1, filters, stride, stride_w))
        else:
            layers.append(ScaleSimLayer(name, ifmap_h, ifmap_w, filter_h, filter_w, channels,
                                        filters, stride, stride_w))
    if not layers:
        raise AccelsimError("no layers (the first line is a header)", Location(file, 1))
    return layers
