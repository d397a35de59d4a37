"""Stand-ins for the TPU v1 paper's production apps (Jouppi et al., ISCA 2017, Table 1).

The real layer shapes are not public. Each stand-in matches Table 1's layer counts by kind (FC, Conv,
Vector, Pool), its weight count (within 2 %) and its batch size, and its MACs per weight byte equal
Table 1's "Ops/weight-byte" column, which counts MACs (within 1 %); the structures and widths are
invented (said per network below). Layers are counted as :func:`table1_layer_counts` does: an activation directly after a
matrix layer is that layer's nonlinearity (the TPU applies it in the Activate step), not a layer.
The LSTM stand-ins are one time step: the TPU runs recurrent networks step by step.
"""
from __future__ import annotations

from ...validation.published import TPU_V1_TABLE1, TPU_V1_TABLE3
from ..graph import Workload, WorkloadBuilder
from ..ops import Activation, Conv2d, DataMovement, Elementwise, Input, MatMul, Norm, Pool, Softmax
from . import ZooEntry
from .recurrent import lstm_cell

#: Table 1 of Jouppi et al. 2017 per stand-in workload: layer counts by kind, weights, MACs per
#: weight byte and batch (the numbers live in accelsim/validation/published.py)
TABLE1 = {TPU_V1_TABLE3[app][0]: row for app, row in TPU_V1_TABLE1.items()}


def table1_layer_counts(workload: Workload) -> dict[str, int]:
    """Count layers the way Table 1 does: FC (matmuls with weights), Conv, Pool, and Vector
    (elementwise, normalisation, softmax, and activations that do not directly follow a matrix layer).
    Inputs and pure data movement are not layers."""
    counts = {"fc": 0, "conv": 0, "vector": 0, "pool": 0}
    by_name = workload.by_name()
    for layer in workload.layers:
        op = layer.op
        if isinstance(op, MatMul):
            counts["fc" if op.weights else "vector"] += 1
        elif isinstance(op, Conv2d):
            counts["conv"] += 1
        elif isinstance(op, Pool):
            counts["pool"] += 1
        elif isinstance(op, Activation):
            if not all(by_name[src].op.is_matrix for src in layer.inputs):
                counts["vector"] += 1
        elif isinstance(op, (Elementwise, Norm, Softmax)) or not isinstance(op, (Input, DataMovement)):
            counts["vector"] += 1
    return counts


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


def tpu_mlp1(batch: int = 168):
    """MLP1: 4 FC layers, 5M weights, batch 168 (Table 1). Invented: every layer is 1120 x 1120
    (4 x 1.25M = 5.02M weights), ReLU after each."""
    b = WorkloadBuilder("tpu_mlp1", batch, "TPU v1 paper MLP1 stand-in: 4 FC layers of 1120x1120, 5M weights",
                        "Jouppi et al. ISCA 2017 Table 1 (widths invented)")
    x = b.input("input", (batch, 1120))
    for i in range(4):
        x = b.act(f"relu{i}", b.fc(f"fc{i}", x, 1120, bias=True))
    return b.build()


def tpu_lstm0(batch: int = 64):
    """LSTM0: 24 FC + 34 vector layers, 52M weights, batch 64 (Table 1); one time step.
    Invented: 6 stacked LSTM cells of 1040 hidden units (input 1040), each with 4 gate FCs over
    [x; h] (8·1040² weights per cell: 51.9M in all) and 5 vector layers (f⊙c, i⊙g, add, tanh(c),
    o⊙tanh(c)); residual adds around cells 3-6 give the other 4 vector layers."""
    hidden = 1040
    b = WorkloadBuilder("tpu_lstm0", batch, "TPU v1 paper LSTM0 stand-in: 6 LSTM cells of 1040, one step",
                        "Jouppi et al. ISCA 2017 Table 1 (structure and widths invented)")
    x = b.input("x_t", (batch, hidden))
    for cell in range(6):
        h_prev = b.input(f"cell{cell}_h_prev", (batch, hidden))
        c_prev = b.input(f"cell{cell}_c_prev", (batch, hidden))
        h, _, _ = lstm_cell(b, f"cell{cell}", x, h_prev, c_prev, hidden, gate_fcs=4)
        x = b.eltwise(f"cell{cell}_residual", [h, x]) if cell >= 2 else h
    return b.build()


def tpu_lstm1(batch: int = 96):
    """LSTM1: 37 FC + 19 vector layers, 34M weights, batch 96 (Table 1); one time step.
    Invented: an input FC (600 -> 512), 7 stacked LSTM cells with projection (LSTMP, Sak et al. 2014:
    1040 cell units, 512-wide projection; 4 gate FCs + 1 projection FC per cell; cell update and
    o⊙tanh(c) as 2 fused vector layers), residual adds around cells 2-6 (5 vector layers) and an
    output FC (512 -> 600): 37 FC, 19 vector, 33.9M weights."""
    hidden, proj = 1040, 512
    b = WorkloadBuilder("tpu_lstm1", batch, "TPU v1 paper LSTM1 stand-in: 7 LSTMP cells (1040 / 512), one step",
                        "Jouppi et al. ISCA 2017 Table 1 (structure and widths invented)")
    x = b.input("x_t", (batch, 600))
    x = b.fc("input_fc", x, proj)
    for cell in range(7):
        h_prev = b.input(f"cell{cell}_r_prev", (batch, proj))
        c_prev = b.input(f"cell{cell}_c_prev", (batch, hidden))
        h, _, _ = lstm_cell(b, f"cell{cell}", x, h_prev, c_prev, hidden, gate_fcs=4, fused_update=True)
        r = b.fc(f"cell{cell}_projection", h, proj, bias=False)
        x = b.eltwise(f"cell{cell}_residual", [r, x]) if 1 <= cell <= 5 else r
    b.fc("output_fc", x, 600)
    return b.build()


def tpu_cnn0(batch: int = 8):
    """CNN0: 16 conv layers, 8M weights, batch 8, 2888 = 8 × 361 MACs per weight byte (Table 1).
    361 MACs per weight per image is a 19×19 output plane, so this stand-in is a Go-board network:
    invented 48 input feature planes on 19×19, 16 same-padded 3×3 convolutions of 242 channels with
    ReLU (8.01M weights)."""
    b = WorkloadBuilder("tpu_cnn0", batch, "TPU v1 paper CNN0 stand-in: 16 3x3 convs of 242 on a 19x19 board",
                        "Jouppi et al. ISCA 2017 Table 1 (structure and widths invented)")
    x = b.input("board", (batch, 19, 19, 48))
    for i in range(16):
        x = b.act(f"conv{i}_relu", b.conv(f"conv{i}", x, 242, 3, padding=1, bias=True))
    return b.build()


def _cnn1_module(b: WorkloadBuilder, name: str, x: str, width: int) -> str:
    """An inception-style module of ``width`` output channels: 6 convs and a stride-1 pool branch."""
    def conv(n: str, src: str, c: int, k: int) -> str:
        return b.act(f"{n}_relu", b.conv(n, src, c, k, padding=k // 2, bias=True))

    a = conv(f"{name}_1x1", x, width // 4, 1)
    t = conv(f"{name}_3x3", conv(f"{name}_3x3_reduce", x, width // 4, 1), width // 2, 3)
    f = conv(f"{name}_5x5", conv(f"{name}_5x5_reduce", x, width // 16, 1), width // 8, 5)
    p = conv(f"{name}_pool_proj", b.pool(f"{name}_pool", x, 3, 1, padding=1), width // 8, 1)
    return b.concat(f"{name}_concat", [a, t, f, p])


def tpu_cnn1(batch: int = 32):
    """CNN1: 4 FC + 72 conv + 13 pool layers, 100M weights, batch 32, 1750 MACs per weight byte (Table 1).
    Invented: a 224×224 image, a 6-conv stem (7×7/2 64, 3×3/2 128, 1×1 128, 3×3/2 256, 1×1 256,
    3×3 512), max pool to 14×14, 5 inception-style modules of 1232 channels (6 convs and a stride-1
    pool branch each), max pool to 7×7, 6 more modules, then the 7×7×1232 map flattened into FC
    layers of 1024, 1024, 1024 and 1000 (2 + 11 = 13 pools, 6 + 66 = 72 convs): 99.5M weights,
    1748 MACs per weight byte at batch 32."""
    b = WorkloadBuilder("tpu_cnn1", batch, "TPU v1 paper CNN1 stand-in: inception-style, 72 convs, 4 FC",
                        "Jouppi et al. ISCA 2017 Table 1 (structure and widths invented)")
    x = b.input("image", (batch, 224, 224, 3))
    for i, (c, k, s) in enumerate(((64, 7, 2), (128, 3, 2), (128, 1, 1), (256, 3, 2), (256, 1, 1), (512, 3, 1))):
        x = b.act(f"stem{i}_relu", b.conv(f"stem{i}", x, c, k, s, padding=k // 2, bias=True))
    x = b.pool("pool1", x, 3, 2, padding=1)
    for i in range(5):
        x = _cnn1_module(b, f"mod{i}", x, 1232)
    x = b.pool("pool2", x, 3, 2, padding=1)
    for i in range(5, 11):
        x = _cnn1_module(b, f"mod{i}", x, 1232)
    x = b.flatten("flatten", x)
    for i in range(4):
        y = b.fc(f"fc{i}", x, 1024 if i < 3 else 1000)
        x = b.act(f"fc{i}_relu", y) if i < 3 else y
    return b.build()


WORKLOADS = {
    "tpu_mlp0": ZooEntry(tpu_mlp0, 200, "TPU v1 MLP0 stand-in: 5 FC layers, 20M weights, batch 200",
                         "Jouppi et al. ISCA 2017 Table 1 (layer widths invented)"),
    "tpu_mlp1": ZooEntry(tpu_mlp1, 168, "TPU v1 MLP1 stand-in: 4 FC layers, 5M weights, batch 168",
                         "Jouppi et al. ISCA 2017 Table 1 (layer widths invented)"),
    "tpu_lstm0": ZooEntry(tpu_lstm0, 64, "TPU v1 LSTM0 stand-in: 24 FC + 34 vector layers, 52M weights, batch 64",
                          "Jouppi et al. ISCA 2017 Table 1 (structure invented)"),
    "tpu_lstm1": ZooEntry(tpu_lstm1, 96, "TPU v1 LSTM1 stand-in: 37 FC + 19 vector layers, 34M weights, batch 96",
                          "Jouppi et al. ISCA 2017 Table 1 (structure invented)"),
    "tpu_cnn0": ZooEntry(tpu_cnn0, 8, "TPU v1 CNN0 stand-in: 16 convs on a 19x19 board, 8M weights, batch 8",
                         "Jouppi et al. ISCA 2017 Table 1 (structure invented)"),
    "tpu_cnn1": ZooEntry(tpu_cnn1, 32, "TPU v1 CNN1 stand-in: 72 convs, 13 pools, 4 FC, 100M weights, batch 32",
                         "Jouppi et al. ISCA 2017 Table 1 (structure invented)"),
}
