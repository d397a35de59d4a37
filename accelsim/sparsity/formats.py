"""Compressed size of a tensor per storage format: kept values (data) plus metadata, in bytes.

Formats (Sparseloop's taxonomy plus the N:M operand; systems.md):

========  ==========================================  ============================================
format    data                                        metadata
========  ==========================================  ============================================
dense     every element                               none
bitmask   non-zeros                                   1 bit per element
coo       non-zeros                                   one index per dimension per non-zero
csr/csc   non-zeros                                   a column (row) index per non-zero and a
                                                      pointer per row (column) plus one
rle       non-zeros                                   a run length (zeros before it) per non-zero
nm        N of every M along the last axis            ceil(log2 M) bits per kept value (2:4: 2)
========  ==========================================  ============================================

An index narrower than its dimension (csr/csc/coo) is relative, as in EIE: it counts the zeros
since the previous stored entry, and a run longer than ``2**bits - 1`` zeros needs a filler entry
(an explicit zero with its own index) per ``2**bits`` positions. rle works the same way. Fillers
are counted as metadata (value and index bits). A codebook (weight sharing) stores
``codebook_entries`` shared values once per tensor, and each kept value is an index into it.

:func:`compressed_bytes` gives the expected size for a density, with zeros placed independently
(run lengths geometric; expected fillers per non-zero q^L / (1 - q^L) with q = 1 - density,
L = 2**bits). :func:`encoded_bytes` counts the exact size of a real (pruned) tensor.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..errors import AccelsimError
from .spec import FORMATS, TensorFormatSpec

DEFAULT_RUN_BITS = 4


@dataclass(frozen=True)
class FormatBits:
    """Resolved bit widths of one format applied to one tensor."""

    format: str
    value_bits: int
    index_bits: tuple[int, ...]  # per stored coordinate (coo: one per dimension; csr/csc/rle: one)
    pointer_bits: int
    relative: bool  # index counts zeros since the previous entry (fillers where a run overflows)
    codebook_bits_total: int


def _bits_for(n: int) -> int:
    """Bits to write 0..n-1 (at least 1)."""
    return max(1, (int(n) - 1).bit_length())


def _as_format(fmt: TensorFormatSpec | str) -> TensorFormatSpec:
    if isinstance(fmt, TensorFormatSpec):
        return fmt
    if fmt not in FORMATS:
        from ..errors import did_you_mean

        raise AccelsimError(f"unknown storage format '{fmt}'{did_you_mean(str(fmt), FORMATS)}; "
                            f"known: {', '.join(FORMATS)}", field="format")
    return TensorFormatSpec(format=fmt)


def _matrix_view(shape: tuple[int, ...]) -> tuple[int, int]:
    """(rows, cols) of ``shape`` seen as a matrix: all leading dimensions are rows."""
    if len(shape) == 1:
        return 1, int(shape[0])
    return int(math.prod(shape[:-1])), int(shape[-1])


def resolve_bits(fmt: TensorFormatSpec | str, value_bits: int, shape: tuple[int, ...]) -> FormatBits:
    """The widths ``fmt`` uses on a tensor of ``shape`` whose values have ``value_bits`` bits."""
    spec = _as_format(fmt)
    elements = int(math.prod(shape))
    vbits = spec.value_bits
    if vbits is None:
        vbits = _bits_for(spec.codebook_entries) if spec.codebook_entries else int(value_bits)
    rows, cols = _matrix_view(shape)
    pointer = spec.pointer_bits or _bits_for(elements + 1)
    relative = False
    if spec.format in ("csr", "csc"):
        dim = cols if spec.format == "csr" else rows
        need = _bits_for(dim)
        idx = spec.index_bits or need
        relative = idx < need
        index = (idx,)
    elif spec.format == "coo":
        needs = tuple(_bits_for(d) for d in shape)
        index = tuple(spec.index_bits or n for n in needs)
        relative = any(i < n for i, n in zip(index, needs))
        if relative:
            raise AccelsimError(f"coo index_bits {spec.index_bits} cannot address a dimension of shape {shape}; "
                                "coordinate lists store absolute indices", field="index_bits")
    elif spec.format == "rle":
        index = (spec.index_bits or DEFAULT_RUN_BITS,)
        relative = True
    else:
        index = ()
    return FormatBits(spec.format, int(vbits), index, int(pointer), relative,
                      spec.codebook_entries * spec.codebook_bits)


def expected_fillers(nonzeros: float, density: float, index_bits: int) -> float:
    """Expected filler entries for ``nonzeros`` entries with relative indices of ``index_bits``.

    Zeros independent with probability q = 1 - density give geometric runs; a run of g zeros
    needs floor(g / L) fillers (L = 2**index_bits), whose mean is q^L / (1 - q^L).
    """
    q = 1.0 - density
    if q <= 0.0 or nonzeros <= 0:
        return 0.0
    ql = q ** (1 << min(index_bits, 60))
    if ql >= 1.0:
        return math.inf
    return nonzeros * ql / (1.0 - ql)


def _bytes(bits: float) -> int:
    return math.ceil(bits / 8 - 1e-9) if bits > 0 else 0


def compressed_bytes(elements: int, density: float, fmt: TensorFormatSpec | str, value_bits: int,
                     shape: tuple[int, ...] | None = None, nm: tuple[int, int] = (2, 4)) -> tuple[int, int]:
    """Expected (data_bytes, metadata_bytes) of a tensor of ``elements`` at ``density`` in ``fmt``.

    ``value_bits``: bits of one value at the operand precision (the format's ``value_bits`` or
    codebook overrides it). ``shape``: the tensor's shape (default ``(elements,)``); csr/csc
    view it as a matrix whose rows are all leading dimensions. ``nm``: (N, M) of the nm format.
    data + metadata is what crosses DRAM and what the buffers read.
    """
    if isinstance(elements, bool) or int(elements) != elements or elements < 0:
        raise AccelsimError(f"elements must be a non-negative integer, got {elements!r}", field="elements")
    if not 0.0 <= float(density) <= 1.0:
        raise AccelsimError(f"density must be in [0, 1], got {density!r}", field="density")
    shape = (int(elements),) if shape is None else tuple(int(d) for d in shape)
    if math.prod(shape) != elements:
        raise AccelsimError(f"shape {shape} holds {math.prod(shape)} elements, not {elements}", field="shape")
    if elements == 0:
        return 0, 0
    bits = resolve_bits(fmt, value_bits, shape)
    nnz = float(density) * elements
    rows, cols = _matrix_view(shape)
    meta = float(bits.codebook_bits_total)
    if bits.format == "dense":
        return _bytes(elements * bits.value_bits), _bytes(meta)
    if bits.format == "nm":
        n, m = nm
        if density > n / m + 1e-12:
            raise AccelsimError(f"an {n}:{m} tensor keeps at most {n / m:g} of its values, density {density:g} "
                                "does not fit", field="density")
        kept = elements * n / m  # zeros inside a kept slot are stored as zeros
        return _bytes(kept * bits.value_bits), _bytes(meta + kept * _bits_for(m))
    data = nnz * bits.value_bits
    if bits.format == "bitmask":
        meta += elements
    elif bits.format == "coo":
        meta += nnz * sum(bits.index_bits)
    else:  # csr, csc, rle
        idx = bits.index_bits[0]
        fillers = expected_fillers(nnz, density, idx) if bits.relative else 0.0
        meta += (nnz + fillers) * idx + fillers * bits.value_bits
        if bits.format in ("csr", "csc"):
            pointers = (rows if bits.format == "csr" else cols) + 1
            meta += pointers * bits.pointer_bits
    return _bytes(data), _bytes(meta)


def _fillers_along(mask: np.ndarray, index_bits: int) -> int:
    """Exact fillers for relative indices along the last axis of a boolean non-zero mask.

    Each row restarts at its first element; trailing zeros after a row's last entry need none.
    """
    span = 1 << index_bits
    total = 0
    for row in mask.reshape(-1, mask.shape[-1]) if mask.ndim > 1 else mask.reshape(1, -1):
        pos = np.flatnonzero(row)
        if pos.size == 0:
            continue
        gaps = np.diff(np.concatenate(([-1], pos))) - 1
        total += int(np.sum(gaps // span))
    return total


def encoded_bytes(tensor: np.ndarray, fmt: TensorFormatSpec | str, value_bits: int,
                  nm: tuple[int, int] = (2, 4)) -> tuple[int, int]:
    """Exact (data_bytes, metadata_bytes) of ``tensor`` (its actual zeros) stored in ``fmt``.

    rle runs over the row-major flattened tensor; csr along rows, csc along columns of the matrix
    view (leading dimensions are rows).
    """
    arr = np.asarray(tensor)
    shape = tuple(int(d) for d in arr.shape) or (1,)
    elements = int(arr.size)
    if elements == 0:
        return 0, 0
    bits = resolve_bits(fmt, value_bits, shape)
    mask = arr.reshape(shape) != 0
    nnz = int(np.count_nonzero(mask))
    rows, cols = _matrix_view(shape)
    meta = bits.codebook_bits_total
    if bits.format == "dense":
        return _bytes(elements * bits.value_bits), _bytes(meta)
    if bits.format == "nm":
        n, m = nm
        if cols % m:
            raise AccelsimError(f"the last dimension ({cols}) is not a multiple of the group size {m}", field="shape")
        groups = mask.reshape(-1, m)
        worst = int(groups.sum(axis=1).max())
        if worst > n:
            raise AccelsimError(f"tensor is not {n}:{m} sparse: a group of {m} holds {worst} non-zeros", field="tensor")
        kept = elements * n // m
        return _bytes(kept * bits.value_bits), _bytes(meta + kept * _bits_for(m))
    data = nnz * bits.value_bits
    if bits.format == "bitmask":
        meta += elements
    elif bits.format == "coo":
        meta += nnz * sum(bits.index_bits)
    else:
        idx = bits.index_bits[0]
        matrix = mask.reshape(rows, cols)
        if bits.format == "rle":
            along = matrix.reshape(1, -1)
        elif bits.format == "csc":
            along = matrix.T
        else:
            along = matrix
        fillers = _fillers_along(along, idx) if bits.relative else 0
        meta += (nnz + fillers) * idx + fillers * bits.value_bits
        if bits.format in ("csr", "csc"):
            meta += ((rows if bits.format == "csr" else cols) + 1) * bits.pointer_bits
    return _bytes(data), _bytes(meta)


def storage_ratio(elements: int, density: float, fmt: TensorFormatSpec | str, value_bits: int,
                  dense_bits: int, shape: tuple[int, ...] | None = None, nm: tuple[int, int] = (2, 4)) -> float:
    """(data + metadata) / dense bytes at ``dense_bits`` per element: < 1 saves, > 1 costs."""
    if elements == 0:
        return 1.0
    data, meta = compressed_bytes(elements, density, fmt, value_bits, shape, nm)
    return (data + meta) / (elements * dense_bits / 8)
