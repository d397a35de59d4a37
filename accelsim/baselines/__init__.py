"""Baselines the simulated accelerators are compared with: GPU rooflines and measured GPU kernels.

Submodules: :mod:`.gpu_spec` (GPU configs), :mod:`.gpu_model` (roofline and derated timing),
:mod:`.measured` (error of the models against measured kernel timings), :mod:`.published` (error against
published GPU results: MLPerf, NVIDIA benchmark tables, GEMM tables). Nothing heavy is imported here.
"""
