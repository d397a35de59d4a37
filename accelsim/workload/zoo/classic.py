"""Classic ImageNet CNNs: AlexNet (original grouped, 227x227), VGG-16/19 and GoogLeNet (paper shapes).

Published totals these graphs reproduce (shared reference workloads.md, batch 1):
AlexNet 0.7244 GMACs / 60.97 M parameters, VGG-16 15.470 GMACs / 138.36 M, VGG-19 19.632 GMACs /
143.67 M, GoogLeNet 1.583 GMACs / 7.00 M. Convolutions and FC layers carry biases (as in the papers);
ReLU is its own layer. Dropout is an identity at inference and is left out.
"""
from __future__ import annotations

from ..graph import Workload, WorkloadBuilder
from ..ops import Norm
from . import ZooEntry


def _conv_relu(b: WorkloadBuilder, name: str, x: str, out_c: int, k: int, stride: int = 1, padding: int = 0,
               groups: int = 1) -> str:
    y = b.conv(name, x, out_c, k, stride, padding=padding, groups=groups, bias=True)
    return b.act(f"{name}_relu", y)


def _lrn(b: WorkloadBuilder, name: str, x: str) -> str:
    """Local response normalisation: vector work only, no parameters."""
    shape = b.shape(x)
    return b.add(name, Norm(shape, "lrn", shape[-1], affine=False), (x,))


def alexnet(batch: int = 1) -> Workload:
    """AlexNet as in Krizhevsky et al., NIPS 2012: 227x227 input, conv2/4/5 split into 2 groups."""
    b = WorkloadBuilder("alexnet", batch, "AlexNet, original grouped version, 227x227",
                        "Krizhevsky, Sutskever, Hinton, NIPS 2012 (Caffe bvlc_alexnet shapes)")
    x = b.input("image", (batch, 227, 227, 3))
    x = _conv_relu(b, "conv1", x, 96, 11, 4)
    x = _lrn(b, "norm1", x)
    x = b.pool("pool1", x, 3, 2)
    x = _conv_relu(b, "conv2", x, 256, 5, padding=2, groups=2)
    x = _lrn(b, "norm2", x)
    x = b.pool("pool2", x, 3, 2)
    x = _conv_relu(b, "conv3", x, 384, 3, padding=1)
    x = _conv_relu(b, "conv4", x, 384, 3, padding=1, groups=2)
    x = _conv_relu(b, "conv5", x, 256, 3, padding=1, groups=2)
    x = b.pool("pool5", x, 3, 2)
    x = b.flatten("flatten", x)
    for i, width in ((6, 4096), (7, 4096)):
        x = b.act(f"fc{i}_relu", b.fc(f"fc{i}", x, width))
    b.fc("fc8", x, 1000)
    return b.build()


#: VGG configurations (Simonyan & Zisserman, ICLR 2015, Table 1): conv widths per stage
_VGG_STAGES = {16: ((64, 2), (128, 2), (256, 3), (512, 3), (512, 3)),
               19: ((64, 2), (128, 2), (256, 4), (512, 4), (512, 4))}


def vgg(batch: int = 1, depth: int = 16) -> Workload:
    """VGG-16 (configuration D) or VGG-19 (configuration E), 224x224."""
    b = WorkloadBuilder(f"vgg{depth}", batch, f"VGG-{depth}, 224x224",
                        "Simonyan & Zisserman, ICLR 2015, Table 1; torchvision vgg" + str(depth))
    x = b.input("image", (batch, 224, 224, 3))
    for stage, (width, convs) in enumerate(_VGG_STAGES[depth], start=1):
        for i in range(1, convs + 1):
            x = _conv_relu(b, f"conv{stage}_{i}", x, width, 3, padding=1)
        x = b.pool(f"pool{stage}", x, 2, 2)
    x = b.flatten("flatten", x)
    for i in (6, 7):
        x = b.act(f"fc{i}_relu", b.fc(f"fc{i}", x, 4096))
    b.fc("fc8", x, 1000)
    return b.build()


#: GoogLeNet inception modules (Szegedy et al., CVPR 2015, Table 1):
#: name -> (#1x1, #3x3 reduce, #3x3, #5x5 reduce, #5x5, pool proj)
_INCEPTION = {
    "3a": (64, 96, 128, 16, 32, 32), "3b": (128, 128, 192, 32, 96, 64),
    "4a": (192, 96, 208, 16, 48, 64), "4b": (160, 112, 224, 24, 64, 64), "4c": (128, 128, 256, 24, 64, 64),
    "4d": (112, 144, 288, 32, 64, 64), "4e": (256, 160, 320, 32, 128, 128),
    "5a": (256, 160, 320, 32, 128, 128), "5b": (384, 192, 384, 48, 128, 128),
}


def _inception(b: WorkloadBuilder, name: str, x: str, widths: tuple[int, ...]) -> str:
    c1, r3, c3, r5, c5, pp = widths
    branch1 = _conv_relu(b, f"{name}_1x1", x, c1, 1)
    branch3 = _conv_relu(b, f"{name}_3x3", _conv_relu(b, f"{name}_3x3_reduce", x, r3, 1), c3, 3, padding=1)
    branch5 = _conv_relu(b, f"{name}_5x5", _conv_relu(b, f"{name}_5x5_reduce", x, r5, 1), c5, 5, padding=2)
    pooled = b.pool(f"{name}_pool", x, 3, 1, padding=1)
    branch_p = _conv_relu(b, f"{name}_pool_proj", pooled, pp, 1)
    return b.concat(f"{name}_concat", [branch1, branch3, branch5, branch_p])


def googlenet(batch: int = 1) -> Workload:
    """GoogLeNet (Inception v1) with the paper's 5x5 branches, without the auxiliary classifiers."""
    b = WorkloadBuilder("googlenet", batch, "GoogLeNet (Inception v1), paper shapes, no auxiliary heads",
                        "Szegedy et al., CVPR 2015, Table 1")
    x = b.input("image", (batch, 224, 224, 3))
    x = _conv_relu(b, "conv1", x, 64, 7, 2, padding=3)
    x = b.pool("pool1", x, 3, 2, ceil_mode=True)
    x = _lrn(b, "norm1", x)
    x = _conv_relu(b, "conv2_reduce", x, 64, 1)
    x = _conv_relu(b, "conv2", x, 192, 3, padding=1)
    x = _lrn(b, "norm2", x)
    x = b.pool("pool2", x, 3, 2, ceil_mode=True)
    for key in ("3a", "3b"):
        x = _inception(b, f"inception_{key}", x, _INCEPTION[key])
    x = b.pool("pool3", x, 3, 2, ceil_mode=True)
    for key in ("4a", "4b", "4c", "4d", "4e"):
        x = _inception(b, f"inception_{key}", x, _INCEPTION[key])
    x = b.pool("pool4", x, 3, 2, ceil_mode=True)
    for key in ("5a", "5b"):
        x = _inception(b, f"inception_{key}", x, _INCEPTION[key])
    x = b.global_pool("avgpool", x)
    x = b.flatten("flatten", x)
    b.fc("fc", x, 1000)
    return b.build()


WORKLOADS = {
    "alexnet": ZooEntry(alexnet, 1, "AlexNet, original grouped conv2/4/5, 227x227 (0.72 GMACs)",
                        "Krizhevsky et al. NIPS 2012"),
    "vgg16": ZooEntry(lambda batch=1: vgg(batch, 16), 1, "VGG-16, 224x224 (15.5 GMACs)",
                      "Simonyan & Zisserman ICLR 2015"),
    "vgg19": ZooEntry(lambda batch=1: vgg(batch, 19), 1, "VGG-19, 224x224 (19.6 GMACs)",
                      "Simonyan & Zisserman ICLR 2015"),
    "googlenet": ZooEntry(googlenet, 1, "GoogLeNet / Inception v1, paper shapes, no aux heads (1.58 GMACs)",
                          "Szegedy et al. CVPR 2015"),
}
