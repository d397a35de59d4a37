#!/usr/bin/env python3
"""Report how far the GPU roofline and derated models are from measured kernels and published figures.

Usage:
    python benchmarks/gpu_model_error.py [MEASURED.csv] [--gpu h200] [-o reports/gpu_model_error.md]

MEASURED.csv comes from benchmarks/gpu_kernels.py (reports/gpu_measured/h200.csv once the H200 run is
committed). Without it, the report says the measurements are pending and keeps the published-figure
check only. Output is deterministic for the same inputs.
"""
from __future__ import annotations

import argparse
import dataclasses
import math
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from accelsim.atomic import write_atomic
from accelsim.baselines.gpu_model import DERATED, DeratedParams, gpu_baseline
from accelsim.baselines.gpu_spec import load_gpu_spec
from accelsim.baselines.measured import (
    errors_markdown,
    model_errors,
    predicted_seconds,
    read_measured_csv,
)
from accelsim.workload.registry import load_workload

# Whole networks checked against hardware.md: "Achieved GPU throughput on real networks is usually
# 20-60 % of the datasheet peak, so a plain roofline is an upper bound." (network, batch, gpu, precision)
NETWORK_CASES = (
    ("resnet50", 1, "v100", "fp16"), ("resnet50", 32, "v100", "fp16"), ("resnet50", 256, "v100", "fp16"),
    ("resnet50", 32, "a100_80gb", "bf16"), ("resnet50", 256, "a100_80gb", "bf16"),
    ("resnet50", 32, "h200", "bf16"), ("resnet50", 256, "h200", "bf16"),
    ("bert_base", 8, "a100_80gb", "bf16"), ("bert_base", 8, "h200", "bf16"),
    ("gpt2_small", 1, "h200", "bf16"), ("mlp0", 200, "k80", "fp32"),
)
PUBLISHED_BAND = (0.20, 0.60)

PARAM_NOTES = {
    "tile_m": "output tile rows per thread block (estimate: a common tensor-core tile)",
    "tile_n": "output tile columns per thread block (estimate)",
    "matrix_efficiency": "fraction of datasheet peak sustained by a large, well-shaped kernel (estimate)",
    "bandwidth_fraction": "fraction of datasheet DRAM bandwidth sustained by streaming kernels (estimate)",
    "min_split_k": "smallest reduction length per block when a GEMM is split over SMs (estimate)",
    "tile_k_overhead": "prologue/epilogue cost per tile, in reduction steps (estimate)",
    "kernel_launch_seconds": "fixed cost per kernel, seconds (estimate: a few microseconds)",
}


def _params_section(params: DeratedParams) -> list[str]:
    lines = ["## The two models", "",
             ("- **roofline**: per layer, max(ops / datasheet peak at the precision, bytes / datasheet "
             "bandwidth). An upper bound on GPU speed (a lower bound on time)."),
             ("- **derated**: the same with these size-independent parameters, identical for every GPU and "
             "workload (code: `accelsim/baselines/gpu_model.py`, `DeratedParams`):"), "",
             "| parameter | value | meaning |", "|---|---:|---|"]
    for field in dataclasses.fields(params):
        lines.append(f"| `{field.name}` | {getattr(params, field.name):g} | {PARAM_NOTES.get(field.name, '')} |")
    lines += ["", ("Whole networks additionally fuse batch norm / activation / residual add into the producing "
              "layer (as TensorRT and XLA do), so those tensors do not round-trip through DRAM."), ""]
    return lines


def _measured_section(csv_path: Path | None, gpu: str, params: DeratedParams) -> list[str]:
    lines = ["## Measured kernels", ""]
    if csv_path is None or not csv_path.exists():
        where = csv_path or "reports/gpu_measured/h200.csv"
        return lines + [
            (f"**Pending.** No measurement file at `{where}` yet. On the H200: "
            "`python benchmarks/gpu_kernels.py --out reports/gpu_measured/h200.csv` (about 2-4 minutes), "
            "commit the CSV, then re-run `python benchmarks/gpu_model_error.py reports/gpu_measured/h200.csv "
            "-o reports/gpu_model_error.md`. The method is in `reports/gpu_measured/README.md`."), ""]
    kernels = read_measured_csv(csv_path)
    spec = load_gpu_spec(gpu)
    devices = sorted({k.device for k in kernels if k.device})
    lines += [(f"Source: `{csv_path.as_posix()}`, {len(kernels)} kernels on {', '.join(devices) or 'an unnamed device'}, "
              f"modelled as `{spec.name}`."), "",
              ("ratio = predicted / measured seconds: < 1 means the model is optimistic (the roofline must be), "
              "> 1 pessimistic."), "", errors_markdown(model_errors(kernels, spec, params=params)).rstrip(), ""]
    misses = sorted(kernels, key=lambda k: -abs(math.log(predicted_seconds(k, spec, "derated", params) / k.seconds)))
    lines += ["Largest derated-model misses:", "", "| line | class | measured us | derated us | roofline us |",
              "|---:|---|---:|---:|---:|"]
    for k in misses[:8]:
        lines.append(f"| {k.line} | {k.kernel_class} | {k.seconds * 1e6:.1f} | "
                     f"{predicted_seconds(k, spec, 'derated', params) * 1e6:.1f} | "
                     f"{predicted_seconds(k, spec, 'roofline', params) * 1e6:.1f} |")
    above = [k for k in kernels if predicted_seconds(k, spec, "roofline", params) > k.seconds * 1.0001]
    lines += ["", f"Kernels faster than the roofline allows: {len(above)} of {len(kernels)}"
              + (" (each one points at a wrong peak, byte count or cache reuse)." if above else "."), ""]
    return lines


def _fraction_of_peak(peak_ops_per_s: float):
    """A function giving a baseline's achieved fraction of ``peak_ops_per_s``."""
    return lambda base: 2 * base.macs / base.seconds / peak_ops_per_s


def _published_section(params: DeratedParams) -> list[str]:
    low, high = PUBLISHED_BAND
    lines = ["## Whole networks against the published band", "",
             ("Reference: `/work/shared/reference/hardware.md`, GPU table notes: achieved GPU throughput on real "
             f"networks is usually {low:.0%}-{high:.0%} of the datasheet peak (status V2). The table gives each "
             "model's achieved fraction of the dense peak at the precision run."), "",
             ("| network | batch | GPU | precision | roofline ms | roofline % of peak | derated ms | "
             "derated % of peak | derated in band |"), "|---|---:|---|---|---:|---:|---:|---:|---|"]
    for name, batch, gpu, precision in NETWORK_CASES:
        workload = load_workload(name, batch)
        spec = load_gpu_spec(gpu)
        roof = gpu_baseline(workload, spec, precision, "roofline")
        derated = gpu_baseline(workload, spec, precision, "derated", params=params)
        peak = spec.dense_peak_tops[roof.precision] * 1e12
        frac = _fraction_of_peak(peak)

        inside = "yes" if low <= frac(derated) <= high else ("above" if frac(derated) > high else "below")
        lines.append(f"| {name} | {batch} | {gpu} | {roof.precision} | {roof.seconds * 1e3:.3f} | "
                     f"{100 * frac(roof):.1f} | {derated.seconds * 1e3:.3f} | {100 * frac(derated):.1f} | {inside} |")
    lines += ["", ("K80 check against the TPU v1 paper (Jouppi et al. 2017): its roofline ridge is about 9 MACs per "
              f"byte; the k80 config gives {load_gpu_spec('k80').ridge_ops_per_byte('fp32') / 2:.2f}."), ""]
    return lines


def render_report(csv_path: Path | None, gpu: str = "h200", params: DeratedParams = DERATED) -> str:
    lines = ["# GPU baseline model error", "",
             "Generated by `python benchmarks/gpu_model_error.py"
             + (f" {csv_path.as_posix()}" if csv_path else "") + " -o reports/gpu_model_error.md`; do not edit "
             "by hand.", ""]
    lines += _params_section(params)
    lines += _measured_section(csv_path, gpu, params)
    lines += _published_section(params)
    return "\n".join(lines).rstrip() + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("csv", nargs="?", type=Path, help="measured kernels CSV from benchmarks/gpu_kernels.py")
    parser.add_argument("--gpu", default="h200", help="GPU config the measurements ran on (default: %(default)s)")
    parser.add_argument("-o", "--output", help="write the Markdown report here instead of standard output")
    args = parser.parse_args(argv)
    text = render_report(args.csv, args.gpu)
    if args.output:
        write_atomic(args.output, text)
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
