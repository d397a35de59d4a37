"""A one-hidden-layer MLP (ReLU, softmax cross-entropy, minibatch SGD) trained with a pluggable
arithmetic. Initial weights and minibatch order depend only on the seed, so every arithmetic
variant starts from the same network and sees the same batches."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .data import Dataset


@dataclass(frozen=True)
class TrainingSetup:
    hidden_units: int = 64
    epochs: int = 10
    batch_size: int = 32
    learning_rate: float = 0.1
    seed: int = 0


def _init(features: int, hidden: int, classes: int, seed: int):
    rng = np.random.default_rng(seed)
    w1 = rng.uniform(-1, 1, (features, hidden)) * np.sqrt(6.0 / features)  # He-uniform
    w2 = rng.uniform(-1, 1, (hidden, classes)) * np.sqrt(6.0 / hidden)
    return [w1, np.zeros(hidden), w2, np.zeros(classes)]


def _softmax_grad(logits: np.ndarray, labels: np.ndarray) -> np.ndarray:
    z = logits.astype(np.float64)
    z = z - z.max(axis=1, keepdims=True)
    p = np.exp(z)
    p /= p.sum(axis=1, keepdims=True)
    p[np.arange(labels.size), labels] -= 1.0
    return p / labels.size


def _forward(arith, state, x):
    w1, b1, w2, b2 = (arith.weights(s) for s in state)
    pre = arith.add_bias(arith.matmul(x, w1, True), b1)
    hidden = np.maximum(pre, 0)
    logits = arith.add_bias(arith.matmul(hidden, w2, True), b2)
    return pre, hidden, logits


def evaluate_error(arith, state, data: Dataset, batch: int = 256) -> float:
    """Fraction of misclassified test images, evaluated in the model's own arithmetic."""
    wrong = 0
    for start in range(0, data.y_test.size, batch):
        x = arith.represent(data.x_test[start:start + batch])
        _, _, logits = _forward(arith, state, x)
        wrong += int(np.sum(np.argmax(logits, axis=1) != data.y_test[start:start + batch]))
    return wrong / data.y_test.size


def train(arith, data: Dataset, setup: TrainingSetup):
    """Train and return the final state (list of per-tensor states: w1, b1, w2, b2)."""
    params = _init(data.x_train.shape[1], setup.hidden_units, data.classes, setup.seed)
    state = [arith.store(p) for p in params]
    order_rng = np.random.default_rng(setup.seed + 1)
    n = data.y_train.size
    for _ in range(setup.epochs):
        order = order_rng.permutation(n)
        for start in range(0, n, setup.batch_size):
            idx = order[start:start + setup.batch_size]
            x = arith.represent(data.x_train[idx])
            pre, hidden, logits = _forward(arith, state, x)
            w2 = arith.weights(state[2])
            d_logits = arith.represent(_softmax_grad(logits, data.y_train[idx]))
            g_w2 = arith.matmul(hidden.T, d_logits, False)
            g_b2 = arith.column_sum(d_logits)
            d_pre = np.where(pre > 0, arith.matmul(d_logits, w2.T, False), 0)
            g_w1 = arith.matmul(x.T, d_pre, False)
            g_b1 = arith.column_sum(d_pre)
            grads = (g_w1, g_b1, g_w2, g_b2)
            state = [arith.update(s, g, setup.learning_rate) for s, g in zip(state, grads)]
    return state
