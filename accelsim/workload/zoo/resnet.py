"""ResNet-18/50 (He et al., "Deep Residual Learning", CVPR 2016; v1.5 = torchvision/MLPerf variant
with the stride on the 3x3 convolution of each downsampling bottleneck).

Published totals these graphs reproduce (shared reference workloads.md): ResNet-50 v1.5 4.0892 GMACs,
25,557,032 parameters; ResNet-50 v1 3.858 GMACs; ResNet-18 1.814 GMACs, 11.69 M parameters.
Batch norm is kept as its own layer (inference: scale and shift); the ReLU after it is its own
layer too, and the lowering fuses what the architecture can fuse.
"""
from __future__ import annotations

from ..graph import WorkloadBuilder
from . import ZooEntry


def _conv_bn(b: WorkloadBuilder, name: str, x: str, out_c: int, k: int, stride: int, relu: bool) -> str:
    y = b.conv(f"{name}", x, out_c, k, stride, padding=k // 2)
    y = b.norm(f"{name}_bn", y, "batch")
    return b.act(f"{name}_relu", y) if relu else y


def _stem(b: WorkloadBuilder) -> str:
    x = b.input("image", (b.batch, 224, 224, 3))
    x = _conv_bn(b, "conv1", x, 64, 7, 2, True)
    return b.pool("maxpool", x, 3, 2, padding=1)


def _head(b: WorkloadBuilder, x: str) -> None:
    x = b.global_pool("avgpool", x)
    x = b.flatten("flatten", x)
    b.fc("fc", x, 1000, bias=True)


def _bottleneck(b: WorkloadBuilder, name: str, x: str, width: int, stride: int, downsample: bool, v15: bool) -> str:
    s1, s3 = (1, stride) if v15 else (stride, 1)
    y = _conv_bn(b, f"{name}_conv1", x, width, 1, s1, True)
    y = _conv_bn(b, f"{name}_conv2", y, width, 3, s3, True)
    y = _conv_bn(b, f"{name}_conv3", y, width * 4, 1, 1, False)
    shortcut = _conv_bn(b, f"{name}_down", x, width * 4, 1, stride, False) if downsample else x
    y = b.eltwise(f"{name}_add", [y, shortcut], "add")
    return b.act(f"{name}_relu", y)


def _basic(b: WorkloadBuilder, name: str, x: str, width: int, stride: int, downsample: bool) -> str:
    y = _conv_bn(b, f"{name}_conv1", x, width, 3, stride, True)
    y = _conv_bn(b, f"{name}_conv2", y, width, 3, 1, False)
    shortcut = _conv_bn(b, f"{name}_down", x, width, 1, stride, False) if downsample else x
    y = b.eltwise(f"{name}_add", [y, shortcut], "add")
    return b.act(f"{name}_relu", y)


def resnet50(batch: int = 1, v15: bool = True):
    name = "resnet50" if v15 else "resnet50_v1"
    b = WorkloadBuilder(name, batch, "ResNet-50 " + ("v1.5 (stride on the 3x3)" if v15 else "v1 (stride on the 1x1)"),
                        "He et al. CVPR 2016; torchvision resnet50")
    x = _stem(b)
    for stage, (width, blocks, stride) in enumerate(((64, 3, 1), (128, 4, 2), (256, 6, 2), (512, 3, 2)), start=1):
        for i in range(blocks):
            x = _bottleneck(b, f"layer{stage}.{i}", x, width, stride if i == 0 else 1, i == 0, v15)
    _head(b, x)
    return b.build()


def resnet18(batch: int = 1):
    b = WorkloadBuilder("resnet18", batch, "ResNet-18", "He et al. CVPR 2016; torchvision resnet18")
    x = _stem(b)
    for stage, (width, stride) in enumerate(((64, 1), (128, 2), (256, 2), (512, 2)), start=1):
        for i in range(2):
            first = i == 0
            x = _basic(b, f"layer{stage}.{i}", x, width, stride if first else 1, first and (stride != 1))
    _head(b, x)
    return b.build()


WORKLOADS = {
    "resnet50": ZooEntry(lambda batch=1: resnet50(batch, True), 1, "ResNet-50 v1.5, 224x224 (4.09 GMACs)",
                         "He et al. CVPR 2016; torchvision/MLPerf v1.5"),
    "resnet50_v1": ZooEntry(lambda batch=1: resnet50(batch, False), 1, "ResNet-50 v1, stride on the 1x1 (3.86 GMACs)",
                            "He et al. CVPR 2016"),
    "resnet18": ZooEntry(resnet18, 1, "ResNet-18, 224x224 (1.81 GMACs)", "He et al. CVPR 2016; torchvision resnet18"),
}
