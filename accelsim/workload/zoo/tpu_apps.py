"""Stand-ins for the TPU v1 paper's production apps (Jouppi et al., ISCA 2017, Table 1).

The real layer shapes are not public. Each stand-in matches Table 1's layer count, weight count and
batch size; the widths are invented so that the weights come out right (said per network below).
"""
from __future__ import annotations

from ..graph import WorkloadBuilder
from . import ZooEntry


def tpu_mlp0(batch: int = 200):
    """MLP0: 5 FC layers, 20M weights, batch 200 (Table 1). Invented: every layer is 2000 x 2000
    (5 x 4M = 20.0M weights), ReLU after each."""
    b = WorkloadBuilder("tpu_mlp0", batch, "TPU v1 paper MLP0 stand-in: 5 FC layers of 2000x2000, 20M weights",
                        "Jouppi et al. ISCA 2017 Table 1 (widths invented)")
    x = b.input("input", (batch, 2000))
    for i in range(5):
        x = b.fc(f"fc{i}", x, 2000, bias=True)
        x = b.act(f"relu{i}", x)
    return b.build()


WORKLOADS = {
    "tpu_mlp0": ZooEntry(tpu_mlp0, 200, "TPU v1 MLP0 stand-in: 5 FC layers, 20M weights, batch 200",
                         "Jouppi et al. ISCA 2017 Table 1 (layer widths invented)"),
}
