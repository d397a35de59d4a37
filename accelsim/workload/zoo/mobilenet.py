"""MobileNet v1 (1.0, 224) and MobileNet v2 (1.0, 224).

Published totals these graphs reproduce (shared reference workloads.md, batch 1): MobileNet v1
0.5687 GMACs / 4.232 M parameters; MobileNet v2 0.3008 GMACs / 3.505 M (torchvision 3,504,872).
Convolutions have no bias; each is followed by batch norm (its scale and shift are parameters) and
ReLU (v1) or ReLU6 (v2). The classifier FC has a bias.
"""
from __future__ import annotations

from ..graph import Workload, WorkloadBuilder
from . import ZooEntry


def _conv_bn(b: WorkloadBuilder, name: str, x: str, out_c: int, k: int, stride: int, groups: int = 1,
             act: str | None = "relu") -> str:
    y = b.conv(name, x, out_c, k, stride, padding=k // 2, groups=groups)
    y = b.norm(f"{name}_bn", y, "batch")
    return b.act(f"{name}_{act}", y, act) if act else y


#: MobileNet v1 body (Howard et al., arXiv:1704.04861, Table 1): (pointwise output channels, stride)
_V1_BLOCKS = ((64, 1), (128, 2), (128, 1), (256, 2), (256, 1), (512, 2),
              (512, 1), (512, 1), (512, 1), (512, 1), (512, 1), (1024, 2), (1024, 1))


def mobilenet_v1(batch: int = 1) -> Workload:
    """MobileNet v1, width 1.0, 224x224: a 3x3 stem then 13 depthwise-separable blocks."""
    b = WorkloadBuilder("mobilenet_v1", batch, "MobileNet v1 (1.0, 224)", "Howard et al. arXiv:1704.04861 Table 1")
    x = b.input("image", (batch, 224, 224, 3))
    x = _conv_bn(b, "conv0", x, 32, 3, 2)
    for i, (out_c, stride) in enumerate(_V1_BLOCKS, start=1):
        channels = b.shape(x)[-1]
        x = _conv_bn(b, f"block{i}_dw", x, channels, 3, stride, groups=channels)
        x = _conv_bn(b, f"block{i}_pw", x, out_c, 1, 1)
    x = b.global_pool("avgpool", x)
    x = b.flatten("flatten", x)
    b.fc("fc", x, 1000)
    return b.build()


#: MobileNet v2 body (Sandler et al., CVPR 2018, Table 2): (expansion t, channels c, repeats n, stride s)
_V2_STAGES = ((1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2), (6, 96, 3, 1), (6, 160, 3, 2),
              (6, 320, 1, 1))


def mobilenet_v2(batch: int = 1) -> Workload:
    """MobileNet v2, width 1.0, 224x224: inverted residual bottlenecks with linear projections."""
    b = WorkloadBuilder("mobilenet_v2", batch, "MobileNet v2 (1.0, 224)",
                        "Sandler et al. CVPR 2018 Table 2; torchvision mobilenet_v2")
    x = b.input("image", (batch, 224, 224, 3))
    x = _conv_bn(b, "conv0", x, 32, 3, 2, act="relu6")
    block = 0
    for t, c, n, s in _V2_STAGES:
        for i in range(n):
            block += 1
            name = f"block{block}"
            in_c = b.shape(x)[-1]
            stride = s if i == 0 else 1
            y = _conv_bn(b, f"{name}_expand", x, in_c * t, 1, 1, act="relu6") if t != 1 else x
            y = _conv_bn(b, f"{name}_dw", y, in_c * t, 3, stride, groups=in_c * t, act="relu6")
            y = _conv_bn(b, f"{name}_project", y, c, 1, 1, act=None)
            x = b.eltwise(f"{name}_add", [y, x]) if stride == 1 and in_c == c else y
    x = _conv_bn(b, "conv_last", x, 1280, 1, 1, act="relu6")
    x = b.global_pool("avgpool", x)
    x = b.flatten("flatten", x)
    b.fc("fc", x, 1000)
    return b.build()


WORKLOADS = {
    "mobilenet_v1": ZooEntry(mobilenet_v1, 1, "MobileNet v1 (1.0, 224), depthwise-separable (0.57 GMACs)",
                             "Howard et al. arXiv:1704.04861"),
    "mobilenet_v2": ZooEntry(mobilenet_v2, 1, "MobileNet v2 (1.0, 224), inverted residuals (0.30 GMACs)",
                             "Sandler et al. CVPR 2018"),
}
