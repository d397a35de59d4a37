"""The arithmetic variants a study network can be trained with.

Each variant implements the same few operations on numpy arrays; the training loop in mlp.py does
not know which one it is using.

- fp32: IEEE single precision everywhere (numpy float32).
- bf16: every matmul operand, matmul result, bias and stored weight rounded to bf16 (round to
  nearest even); matmuls accumulate in fp32 (as TPU v2/v3 do); softmax in fp32.
- int8: quantisation-aware training. Forward matmuls use symmetric per-tensor int8 weights and
  activations with exact integer accumulation (32-bit accumulators; the sizes here cannot
  overflow them); the backward pass, biases and master weights stay fp32 (straight-through).
- lns-matmul: every matmul (forward and both backward ones) runs in LNS: operands encoded,
  products by log addition, sums by LNS addition in order. Everything else is fp32.
- lns-everywhere: additionally bias additions, bias-gradient sums, the learning-rate scaling and
  the weight update run in LNS, and weights are stored in LNS. Softmax and the cross-entropy
  gradient are computed in float from the LNS logits and encoded back (they are a small part of
  the arithmetic).
- lns-kahan: as lns-everywhere, but the weight update is Kahan-compensated, in LNS arithmetic:
  y = delta - c; t = w + y; c = (t - w) - y; w = t.
"""
from __future__ import annotations

import numpy as np

from .. import numerics as nm


class Fp32:
    """IEEE single precision everywhere."""

    name = "fp32"

    def store(self, w: np.ndarray):
        return {"w": w.astype(np.float32)}

    def weights(self, state) -> np.ndarray:
        return state["w"]

    def matmul(self, a: np.ndarray, b: np.ndarray, forward: bool) -> np.ndarray:
        return (a.astype(np.float32) @ b.astype(np.float32)).astype(np.float32)

    def add_bias(self, z: np.ndarray, bias: np.ndarray) -> np.ndarray:
        return (z + bias).astype(np.float32)

    def column_sum(self, d: np.ndarray) -> np.ndarray:
        return d.sum(axis=0, dtype=np.float32)

    def represent(self, x: np.ndarray) -> np.ndarray:
        """Convert a float result (e.g. the softmax gradient) into this arithmetic."""
        return x.astype(np.float32)

    def update(self, state, grad: np.ndarray, lr: float):
        return {"w": (state["w"] - np.float32(lr) * grad.astype(np.float32)).astype(np.float32)}


class Bf16(Fp32):
    """bf16 storage and operands, fp32 accumulation."""

    name = "bf16"

    def _bf(self, x):
        return nm.quantize_float(x, "bf16").astype(np.float32)

    def store(self, w):
        return {"w": self._bf(w)}

    def matmul(self, a, b, forward):
        return self._bf(self._bf(a) @ self._bf(b))

    def add_bias(self, z, bias):
        return self._bf(z + bias)

    def column_sum(self, d):
        return self._bf(d.sum(axis=0, dtype=np.float32))

    def represent(self, x):
        return self._bf(x)

    def update(self, state, grad, lr):
        step = self._bf(np.float32(lr) * self._bf(grad))
        return {"w": self._bf(state["w"] - step)}


class Int8(Fp32):
    """int8 forward matmuls (quantisation-aware training), fp32 elsewhere."""

    name = "int8"

    def matmul(self, a, b, forward):
        if not forward:
            return super().matmul(a, b, forward)
        sa, sb = nm.int_scale(a, 8), nm.int_scale(b, 8)
        qa, qb = nm.quantize_int(a, 8, sa), nm.quantize_int(b, 8, sb)
        acc = qa @ qb  # exact in int64; |acc| <= K * 128 * 128 stays inside a 32-bit accumulator
        assert np.abs(acc).max(initial=0) < 2**31
        return (acc * (sa * sb)).astype(np.float32)


class LnsMatmul(Fp32):
    """LNS matrix multiplies, fp32 elsewhere."""

    name = "lns-matmul"

    def __init__(self, fmt: nm.LnsFormat):
        self.fmt = fmt

    def _enc(self, x):
        return nm.lns_encode(x, self.fmt)

    def matmul(self, a, b, forward):
        return nm.lns_decode(nm.lns_matmul(self._enc(a), self._enc(b))).astype(np.float32)


class LnsEverywhere(LnsMatmul):
    """LNS for matmuls, bias adds and sums, learning-rate scaling, weight storage and updates.

    Values travel between operations as float64 arrays that hold LNS values exactly; every
    operation re-encodes (exact for values already in the format) and decodes its result."""

    name = "lns-everywhere"

    def __init__(self, fmt: nm.LnsFormat, kahan: bool = False):
        super().__init__(fmt)
        self.kahan = kahan
        if kahan:
            self.name = "lns-kahan"

    def _lns(self, result: nm.LnsArray) -> np.ndarray:
        return nm.lns_decode(result)

    def store(self, w):
        state = {"w": self._lns(self._enc(w))}
        if self.kahan:
            state["c"] = np.zeros_like(state["w"])
        return state

    def matmul(self, a, b, forward):
        return self._lns(nm.lns_matmul(self._enc(a), self._enc(b)))

    def add_bias(self, z, bias):
        return self._lns(nm.lns_add(self._enc(z), self._enc(bias[None, :])))

    def column_sum(self, d):
        ones = np.ones((1, d.shape[0]))
        return self._lns(nm.lns_matmul(self._enc(ones), self._enc(d)))[0]

    def represent(self, x):
        return self._lns(self._enc(x))

    def update(self, state, grad, lr):
        delta = nm.lns_neg(nm.lns_mul(self._enc(np.full(grad.shape, lr)), self._enc(grad)))
        w = self._enc(state["w"])
        if not self.kahan:
            return {"w": self._lns(nm.lns_add(w, delta))}
        c = self._enc(state["c"])
        y = nm.lns_add(delta, nm.lns_neg(c))
        t = nm.lns_add(w, y)
        c = nm.lns_add(nm.lns_add(t, nm.lns_neg(w)), nm.lns_neg(y))
        return {"w": self._lns(t), "c": self._lns(c)}


def make_arithmetic(name: str, lns_fmt: nm.LnsFormat):
    """The arithmetic variant called ``name`` (see VARIANTS)."""
    factories = {
        "fp32": Fp32, "bf16": Bf16, "int8": Int8,
        "lns-matmul": lambda: LnsMatmul(lns_fmt),
        "lns-everywhere": lambda: LnsEverywhere(lns_fmt),
        "lns-kahan": lambda: LnsEverywhere(lns_fmt, kahan=True),
    }
    return factories[name]()


VARIANTS = ("fp32", "bf16", "int8", "lns-matmul", "lns-everywhere", "lns-kahan")
