"""Published figures the validation report compares with, each with its source.

[TPU17] Jouppi et al., "In-Datacenter Performance Analysis of a Tensor Processing Unit", ISCA 2017:
Table 1 (the six production apps), Table 3 (hardware counters; host time excluded from the
percentages), Tables 2 and 8. The one copy of these numbers: the stand-in workloads and the roofline
figure read them from here.
[NVDLA] NVIDIA's open NVDLA performance spreadsheet (github.com/nvdla/hw, perf/), default config:
INT8, 2048 MACs, 512 KiB CBUF, 1 GHz, 10 GB/s DRAM, 25 GB/s on-chip SRAM interface.
"""
from __future__ import annotations

# app -> (stand-in workload, Table 3 row values in percent, TOPS)
TPU_V1_TABLE3 = {
    "MLP0": ("tpu_mlp0", {"array_active": 12.7, "useful_macs": 12.5, "weight_stall": 53.9, "weight_shift": 15.9, "non_matrix": 17.5}, 12.3),
    "MLP1": ("tpu_mlp1", {"array_active": 10.6, "useful_macs": 9.4, "weight_stall": 44.2, "weight_shift": 13.4, "non_matrix": 31.9}, 9.7),
    "LSTM0": ("tpu_lstm0", {"array_active": 8.2, "useful_macs": 8.2, "weight_stall": 58.1, "weight_shift": 15.8, "non_matrix": 17.9}, 3.7),
    "LSTM1": ("tpu_lstm1", {"array_active": 10.5, "useful_macs": 6.3, "weight_stall": 62.1, "weight_shift": 17.1, "non_matrix": 10.3}, 2.8),
    "CNN0": ("tpu_cnn0", {"array_active": 78.2, "useful_macs": 78.2, "weight_stall": 0.0, "weight_shift": 0.0, "non_matrix": 21.8}, 86.0),
    "CNN1": ("tpu_cnn1", {"array_active": 46.2, "useful_macs": 22.5, "weight_stall": 28.1, "weight_shift": 7.0, "non_matrix": 18.7}, 14.1),
}
TPU_V1_PEAK_TOPS = 92.0
# [TPU17] Table 1, per app: layers by kind (FC, Conv, Vector, Pool), weights, batch and the column the
# paper heads "Ops/weight-byte", which counts MACs per weight byte (for FC layers it equals the batch;
# the paper's roofline ridge, 1350, is 46 TMAC/s / 34 GB/s), the x axis of its roofline (shared
# reference hardware.md). The stand-in workloads (workload/zoo/tpu_apps.py) are built to match it.
TPU_V1_TABLE1 = {
    "MLP0": {"fc": 5, "conv": 0, "vector": 0, "pool": 0, "weights": 20e6, "macs_per_weight_byte": 200, "batch": 200},
    "MLP1": {"fc": 4, "conv": 0, "vector": 0, "pool": 0, "weights": 5e6, "macs_per_weight_byte": 168, "batch": 168},
    "LSTM0": {"fc": 24, "conv": 0, "vector": 34, "pool": 0, "weights": 52e6, "macs_per_weight_byte": 64, "batch": 64},
    "LSTM1": {"fc": 37, "conv": 0, "vector": 19, "pool": 0, "weights": 34e6, "macs_per_weight_byte": 96, "batch": 96},
    "CNN0": {"fc": 0, "conv": 16, "vector": 0, "pool": 0, "weights": 8e6, "macs_per_weight_byte": 2888, "batch": 8},
    "CNN1": {"fc": 4, "conv": 72, "vector": 0, "pool": 13, "weights": 100e6, "macs_per_weight_byte": 1750, "batch": 32},
}
TPU_V1_MACS_PER_WEIGHT_BYTE = {app: row["macs_per_weight_byte"] for app, row in TPU_V1_TABLE1.items()}
# [TPU17] Table 3 rows that "partly explain" the non-matrix row: read-after-write stalls and input data
# stalls, percent of cycles (shared reference hardware.md)
TPU_V1_RAW_STALL_PCT = {"MLP0": 3.3, "MLP1": 8.4, "LSTM0": 14.6, "LSTM1": 10.6, "CNN0": 3.5, "CNN1": 22.8}
TPU_V1_INPUT_STALL_PCT = {"MLP0": 6.1, "MLP1": 8.8, "LSTM0": 5.1, "LSTM1": 2.4, "CNN0": 3.4, "CNN1": 0.6}
# [TPU17] Table 8: peak Unified Buffer use per app, MiB (shared reference hardware.md)
TPU_V1_PEAK_UB_MIB = {"MLP0": 11.0, "MLP1": 2.3, "LSTM0": 4.8, "LSTM1": 4.5, "CNN0": 1.5, "CNN1": 13.9}
# [TPU17] Table 2, measured watts per die: idle, busy; thermal design power
TPU_V1_POWER_W = {"idle": 28.0, "busy": 40.0, "tdp": 75.0}

# network -> (workload, ms/frame, FPS, HW MAC util %, network MAC util %)
NVDLA_SPREADSHEET = {
    "AlexNet": ("alexnet", 0.895, 1116.8, 29.1, 39.5),
    "GoogLeNet": ("googlenet", 1.222, 818.3, 43.2, 62.7),
    "ResNet-50": ("resnet50_v1", 7.114, 140.6, 23.2, 26.7),
}

# the spreadsheet's other AlexNet row: the same config with a 4 MB on-chip SRAM behind the SRAM interface
# (shared reference hardware.md): (network, workload, ms/frame, FPS, HW MAC util %, network MAC util %)
NVDLA_SPREADSHEET_4MB_SRAM = ("AlexNet with 4 MB on-chip SRAM", "alexnet", 0.591, 1690.7, 44.1, 59.8)

# workload -> (MACs at batch 1, parameters, source) — shared reference workloads.md
WORKLOAD_TOTALS = {
    "alexnet": (0.7244e9, 60.97e6, "Krizhevsky et al. 2012 (original grouped)"),
    "vgg16": (15.470e9, 138.36e6, "Simonyan & Zisserman 2015"),
    "vgg19": (19.632e9, 143.67e6, "Simonyan & Zisserman 2015"),
    "googlenet": (1.583e9, 7.00e6, "Szegedy et al. 2015"),
    "resnet18": (1.814e9, 11.69e6, "He et al. 2016"),
    "resnet50": (4.0892e9, 25_557_032, "torchvision / MLPerf v1.5"),
    "resnet50_v1": (3.858e9, 25_557_032, "He et al. 2016"),
    "mobilenet_v1": (0.5687e9, 4.232e6, "Howard et al. 2017"),
    "mobilenet_v2": (0.3008e9, 3.505e6, "Sandler et al. 2018"),
    "bert_base": (11.174e9, 109.48e6, "Devlin et al. 2019, sequence 128"),
    "bert_large": (123.21e9, 335.14e6, "MLPerf inference, sequence 384"),
    "gpt2_small": (145.82e9, 124.44e6, "Radford et al. 2019, sequence 1024"),
    "gpt2_small_local": (131.33e9, 124.44e6, "local attention, 256 keys per query"),
    "lstm": (1.6777e9, 16.79e6, "2 x 1024 hidden, 100 steps"),
    "dlrm": (0.0005e9, 103.39e6, "Criteo Kaggle config"),
}
