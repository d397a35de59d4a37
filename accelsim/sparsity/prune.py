"""Pruning passes (numpy) that turn dense tensors into real sparse ones for functional checks.

- :func:`prune_magnitude`: unstructured, keep the largest |values| (ties broken by position, so the
  kept count is exact: round(density x size)).
- :func:`prune_n_m`: keep the N largest |values| in every group of M along the last axis.
- :func:`prune_block`: keep the k x k blocks (over the last two axes) with the largest L1 norm.
- :func:`prune`: dispatch on a :class:`~accelsim.sparsity.config.SparsityStructure`.
- :func:`relu_like`: a random activation tensor with a given density (zeros where a ReLU cut).

All functions are pure: they return new arrays and take an explicit ``numpy.random.Generator``
where randomness is needed.
"""
from __future__ import annotations

import numpy as np

from ..errors import AccelsimError
from .config import SparsityStructure


def _check_density(density: float) -> None:
    if not 0.0 <= float(density) <= 1.0:
        raise AccelsimError(f"density must be in [0, 1], got {density!r}", field="density")


def density_of(tensor: np.ndarray) -> float:
    """Fraction of non-zero elements (1.0 for an empty tensor)."""
    arr = np.asarray(tensor)
    return 1.0 if arr.size == 0 else float(np.count_nonzero(arr)) / arr.size


def _keep_largest(scores: np.ndarray, keep: int) -> np.ndarray:
    """Boolean mask of the ``keep`` largest ``scores`` (flattened; ties go to the lower index)."""
    flat = scores.reshape(-1)
    mask = np.zeros(flat.size, dtype=bool)
    if keep > 0:
        order = np.argsort(-flat, kind="stable")
        mask[order[:keep]] = True
    return mask.reshape(scores.shape)


def prune_magnitude(tensor: np.ndarray, density: float) -> np.ndarray:
    """Zero all but the round(density x size) largest-magnitude elements."""
    _check_density(density)
    arr = np.asarray(tensor)
    keep = round(float(density) * arr.size)
    return np.where(_keep_largest(np.abs(arr), keep), arr, 0).astype(arr.dtype, copy=False)


def prune_n_m(tensor: np.ndarray, n: int, m: int) -> np.ndarray:
    """Keep the ``n`` largest |values| in every group of ``m`` consecutive elements of the last axis."""
    if not 1 <= n < m:
        raise AccelsimError(f"N:M pruning needs 1 <= N < M, got {n}:{m}", field="structure")
    arr = np.asarray(tensor)
    if arr.ndim == 0 or arr.shape[-1] % m:
        raise AccelsimError(f"the last dimension ({arr.shape[-1] if arr.ndim else 0}) is not a multiple of {m}",
                            field="shape")
    groups = arr.reshape(-1, m)
    # rank within each group: stable argsort of -|x| keeps the earlier element on ties
    order = np.argsort(-np.abs(groups), axis=1, kind="stable")
    mask = np.zeros_like(groups, dtype=bool)
    np.put_along_axis(mask, order[:, :n], True, axis=1)
    return np.where(mask, groups, 0).reshape(arr.shape).astype(arr.dtype, copy=False)


def prune_block(tensor: np.ndarray, density: float, block: int) -> np.ndarray:
    """Keep the round(density x blocks) k x k blocks (last two axes) with the largest L1 norms."""
    _check_density(density)
    arr = np.asarray(tensor)
    if arr.ndim < 2:
        raise AccelsimError("block pruning needs a tensor with at least two dimensions", field="shape")
    rows, cols = arr.shape[-2], arr.shape[-1]
    if rows % block or cols % block:
        raise AccelsimError(f"the last two dimensions {rows}x{cols} are not multiples of the block {block}",
                            field="shape")
    lead = arr.shape[:-2]
    tiles = arr.reshape(*lead, rows // block, block, cols // block, block)
    norms = np.abs(tiles).sum(axis=(-3, -1))  # (*lead, rows/block, cols/block)
    keep = round(float(density) * norms.size)
    kept = _keep_largest(norms, keep)
    mask = np.repeat(np.repeat(kept, block, axis=-2), block, axis=-1)
    return np.where(mask, arr, 0).astype(arr.dtype, copy=False)


def prune(tensor: np.ndarray, density: float, structure: SparsityStructure) -> np.ndarray:
    """Prune ``tensor`` to ``density`` with the given structure (N:M ignores ``density``: it keeps N/M)."""
    if structure.kind == "nm":
        return prune_n_m(tensor, structure.n, structure.m)
    if structure.kind == "block":
        return prune_block(tensor, density, structure.block)
    return prune_magnitude(tensor, density)


def relu_like(shape: tuple[int, ...], density: float, rng: np.random.Generator,
              low: int = 1, high: int = 8) -> np.ndarray:
    """An int64 activation tensor whose elements are non-zero (uniform in [low, high]) with
    probability ``density``, independently: the statistical model the fast cost model assumes."""
    _check_density(density)
    values = rng.integers(low, high + 1, size=shape, dtype=np.int64)
    return np.where(rng.random(shape) < density, values, 0)
