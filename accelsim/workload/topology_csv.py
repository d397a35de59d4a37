"""Read SCALE-Sim v2 topology CSVs (shared reference scalesim.md) as Workloads.

Two kinds, told apart by the header row:

- convolution: ``Layer name, IFMAP Height, IFMAP Width, Filter Height, Filter Width, Channels,
  Num Filter, Strides,`` with an optional 9th column (column stride);
- GEMM: ``Layer, M, N, K,`` (IFMAP M×K times filter K×N).

Rows end with a trailing comma, which SCALE-Sim drops; a missing trailing comma is accepted too.
SCALE-Sim semantics are kept: no padding, OFMAP = ceil((H − Fh + S) / S) (reproduced by padding the
bottom/right edge by what the ceiling adds, so output size and MACs match SCALE-Sim's), and a layer
whose name contains ``DP`` is depthwise: ``Channels`` one-channel convolutions of ``Num Filter``
filters each (``groups = Channels``). Every row is an independent layer reading its own input, as
SCALE-Sim runs them. SCALE-Sim has no batch: ``batch`` multiplies conv inputs and GEMM rows (M).
"""
from __future__ import annotations

from pathlib import Path

from ..errors import Location, WorkloadError
from .graph import Workload, WorkloadBuilder
from .ops import Conv2d, Input, MatMul

CONV_COLUMNS = ("IFMAP Height", "IFMAP Width", "Filter Height", "Filter Width", "Channels", "Num Filter",
                "Strides")
GEMM_COLUMNS = ("M", "N", "K")
_MAX_DIM = 10**7


def _fields(line: str) -> list[tuple[str, int]]:
    """Split a CSV line on commas; each field with its 1-based column. A trailing empty field is dropped."""
    out = []
    start = 0
    for part in line.split(","):
        lead = len(part) - len(part.lstrip())
        out.append((part.strip(), start + lead + 1))
        start += len(part) + 1
    if out and out[-1][0] == "":
        out.pop()
    return out


def _kind(header: list[tuple[str, int]], path: str) -> str:
    cells = [c.lower().replace(" ", "") for c, _ in header]
    if any("ifmap" in c for c in cells):
        return "conv"
    if [c for c in cells[1:4]] == ["m", "n", "k"]:
        return "gemm"
    raise WorkloadError("cannot tell a convolution topology from a GEMM one by the header: expected "
                        f"'Layer name, {', '.join(CONV_COLUMNS)},' or 'Layer, M, N, K,'", Location(path, 1, 1),
                        "header")


def _positive(text: str, path: str, line: int, col: int, column: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise WorkloadError(f"expected a positive integer, got {text!r}", Location(path, line, col), column) from None
    if value < 1 or value > _MAX_DIM:
        raise WorkloadError(f"expected an integer from 1 to {_MAX_DIM}, got {value}", Location(path, line, col),
                            column)
    return value


def load_topology_csv(path: str | Path, batch: int | None = None) -> Workload:
    """Parse a SCALE-Sim topology file (conv or GEMM, detected from the header) into a Workload."""
    path = str(path)
    if batch is not None and (isinstance(batch, bool) or int(batch) < 1):
        raise WorkloadError(f"batch must be a positive integer, got {batch!r}", field="batch")
    n = int(batch) if batch is not None else 1
    try:
        with open(path, encoding="utf-8-sig") as fh:
            lines = fh.read().splitlines()
    except OSError as exc:
        raise WorkloadError(f"cannot read the file: {exc.strerror or exc}", Location(path)) from None
    except UnicodeDecodeError:
        raise WorkloadError("not a text CSV file (it is not UTF-8)", Location(path)) from None
    rows = [(i + 1, _fields(text)) for i, text in enumerate(lines) if text.strip()]
    if not rows:
        raise WorkloadError("empty topology file: expected a header row and one row per layer", Location(path, 1, 1))
    header_line, header = rows[0]
    kind = _kind(header, path)
    if len(rows) == 1:
        raise WorkloadError("the topology has a header but no layers", Location(path, header_line, 1))
    b = WorkloadBuilder(Path(path).stem, n, f"SCALE-Sim {kind} topology {Path(path).name}", path,
                        {"topology": kind})
    columns = CONV_COLUMNS if kind == "conv" else GEMM_COLUMNS
    used: set[str] = set()
    for line, fields in rows[1:]:
        if not fields or not fields[0][0]:
            raise WorkloadError("missing layer name", Location(path, line, 1), "name")
        expected = (len(columns), len(columns) + 1) if kind == "conv" else (len(columns),)
        values = fields[1:]
        if len(values) not in expected:
            col = values[-1][1] if values else fields[0][1]
            want = " or ".join(str(e) for e in expected)
            raise WorkloadError(f"expected {want} numbers after the layer name ({', '.join(columns)}"
                                f"{', column stride' if kind == 'conv' else ''}), got {len(values)}",
                                Location(path, line, col), "row")
        names = list(columns) + ["Column Stride"]
        nums = [_positive(text, path, line, col, names[j]) for j, (text, col) in enumerate(values)]
        name = fields[0][0]
        unique = name
        k = 1
        while unique in used or f"{unique}_ifmap" in used:  # SCALE-Sim allows repeated names
            k += 1
            unique = f"{name}_{k}"
        used.update((unique, f"{unique}_ifmap"))
        if kind == "conv":
            _add_conv(b, unique, nums, n, path, line, values)
        else:
            m_rows, n_cols, k_red = nums
            x = b.add(f"{unique}_ifmap", Input((m_rows * n, k_red)))
            b.add(unique, MatMul(m_rows * n, k_red, n_cols, 1, True, False, (m_rows * n, n_cols)), (x,))
    return b.build()


def _add_conv(b: WorkloadBuilder, name: str, nums: list[int], batch: int, path: str, line: int, values) -> None:
    h, w, fh, fw, c, filters, stride_h = nums[:7]
    stride_w = nums[7] if len(nums) > 7 else stride_h
    for size, k, axis, col in ((h, fh, "Filter Height", values[2][1]), (w, fw, "Filter Width", values[3][1])):
        if k > size:
            raise WorkloadError(f"filter {k} is larger than the {size}-wide input (SCALE-Sim does no padding)",
                                Location(path, line, col), axis)
    # SCALE-Sim: OFMAP = ceil((H - Fh + S) / S); pad the far edge so floor-based shapes agree
    pad_b = (-(h - fh)) % stride_h
    pad_r = (-(w - fw)) % stride_w
    depthwise = "DP" in name
    groups = c if depthwise else 1
    out_c = c * filters if depthwise else filters
    x = b.add(f"{name}_ifmap", Input((batch, h, w, c)))
    b.add(name, Conv2d(batch, h, w, c, out_c, fh, fw, stride_h, stride_w, 0, pad_b, 0, pad_r, groups=groups), (x,))
