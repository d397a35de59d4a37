"""Shared by the memory-hierarchy tests: a one-layer FC workload and a layer of a result by name."""
from __future__ import annotations

from accelsim.workload.graph import WorkloadBuilder


def fc(m, k, n):
    """A workload of one bias-free FC layer named ``fc``: (m, k) inputs times a (k, n) weight."""
    b = WorkloadBuilder("fc", m)
    x = b.input("x", (m, k))
    b.fc("fc", x, n, bias=False)
    return b.build()


def layer(result, name="fc"):
    return next(layer for layer in result.layers if layer.name == name)
