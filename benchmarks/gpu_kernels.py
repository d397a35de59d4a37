#!/usr/bin/env python3
"""Time GEMMs and ResNet-50 convolutions on one CUDA GPU with PyTorch and write a CSV.

Standalone: needs only PyTorch with CUDA (accelsim is not imported). Method:
- GEMM C = A·B, "square" (M = N = K from 256 to 16384) and "skinny" (small M as in batched
  inference, and tall M with small N or K), in fp32 (TF32 off), tf32, bf16, fp16, fp8_e4m3
  (torch._scaled_mm, compute capability >= 8.9) and int8 (torch._int_mm) where supported.
- Convolutions: every distinct ResNet-50 v1.5 conv shape at batch 1, 32 and 256, in bf16 and fp16,
  NHWC (channels_last), cudnn.benchmark on (the autotuned algorithm is timed).
- Timing: CUDA events around ``reps`` back-to-back calls (reps chosen so one sample lasts >= 0.5 ms,
  launch overhead included as in a real layer sequence), inputs rotated over enough copies to exceed
  ~256 MB so that L2 does not hold them between calls; 3 warm-up samples, median of >= 10.
- flops = 2·MACs; bytes = (inputs + weights + outputs) elements x element width (an int8 GEMM's
  int32 output counts 4 bytes, an fp8 GEMM's bf16 output 2).

Usage: python benchmarks/gpu_kernels.py --out h200.csv [--quick] [--max-seconds 280] [--list]
Runs in about 2-4 minutes on an H200; stops starting new cases after --max-seconds.
"""
from __future__ import annotations

import argparse
import csv
import math
import statistics
import sys
import time
from dataclasses import dataclass

COLUMNS = ("kind", "precision", "m", "n", "k", "batch", "in_h", "in_w", "in_channels", "out_channels",
           "kernel", "stride", "padding", "flops", "bytes", "seconds_median", "seconds_min", "samples",
           "reps", "tflops", "device", "torch_version")

GEMM_PRECISIONS = ("fp32", "tf32", "bf16", "fp16", "fp8_e4m3", "int8")
CONV_PRECISIONS = ("bf16", "fp16")
ELEMENT_BYTES = {"fp32": 4, "tf32": 4, "bf16": 2, "fp16": 2, "fp8_e4m3": 1, "int8": 1}
OUTPUT_BYTES = {"fp32": 4, "tf32": 4, "bf16": 2, "fp16": 2, "fp8_e4m3": 2, "int8": 4}
SQUARE_SIZES = (256, 512, 1024, 2048, 4096, 8192, 16384)
SKINNY_SHAPES = tuple((m, nk, nk) for m in (1, 8, 32, 128) for nk in (1024, 4096, 16384)) + (
    (16384, 256, 1024), (16384, 1024, 256), (16384, 64, 4096))
CONV_BATCHES = (1, 32, 256)
# ResNet-50 v1.5 distinct convolutions: (input H = W, in channels, out channels, kernel, stride)
RESNET50_CONVS = (
    (224, 3, 64, 7, 2),
    (56, 64, 64, 1, 1), (56, 64, 64, 3, 1), (56, 64, 256, 1, 1), (56, 256, 64, 1, 1),
    (56, 256, 128, 1, 1), (56, 128, 128, 3, 2), (28, 128, 512, 1, 1), (56, 256, 512, 1, 2),
    (28, 512, 128, 1, 1), (28, 128, 128, 3, 1),
    (28, 512, 256, 1, 1), (28, 256, 256, 3, 2), (14, 256, 1024, 1, 1), (28, 512, 1024, 1, 2),
    (14, 1024, 256, 1, 1), (14, 256, 256, 3, 1),
    (14, 1024, 512, 1, 1), (14, 512, 512, 3, 2), (7, 512, 2048, 1, 1), (14, 1024, 2048, 1, 2),
    (7, 2048, 512, 1, 1), (7, 512, 512, 3, 1),
)
ROTATE_BYTES = 256 * 2**20   # rotate inputs over at least this many bytes (> 5x an H200's 50 MB L2)
MAX_COPIES = 1024
SAMPLE_SECONDS = 0.5e-3
WARMUP_SAMPLES = 3


@dataclass(frozen=True)
class Case:
    """One kernel to time. GEMM: m, n, k. Conv: batch, in_h (= in_w), channels, kernel, stride."""

    kind: str
    precision: str
    m: int = 0
    n: int = 0
    k: int = 0
    batch: int = 0
    in_h: int = 0
    in_channels: int = 0
    out_channels: int = 0
    kernel: int = 0
    stride: int = 1

    @property
    def padding(self) -> int:
        return self.kernel // 2

    @property
    def out_hw(self) -> int:
        return (self.in_h + 2 * self.padding - self.kernel) // self.stride + 1

    @property
    def flops(self) -> int:
        if self.kind == "conv":
            return 2 * self.batch * self.out_hw**2 * self.out_channels * self.in_channels * self.kernel**2
        return 2 * self.m * self.n * self.k

    @property
    def bytes(self) -> int:
        width, out_width = ELEMENT_BYTES[self.precision], OUTPUT_BYTES[self.precision]
        if self.kind == "conv":
            inputs = self.batch * self.in_h**2 * self.in_channels
            weights = self.out_channels * self.in_channels * self.kernel**2
            outputs = self.batch * self.out_hw**2 * self.out_channels
            return (inputs + weights + outputs) * width
        return (self.m * self.k + self.k * self.n) * width + self.m * self.n * out_width

    def row(self) -> dict:
        gemm = self.kind != "conv"
        blank = ""
        return {
            "kind": self.kind, "precision": self.precision,
            "m": self.m if gemm else blank, "n": self.n if gemm else blank, "k": self.k if gemm else blank,
            "batch": blank if gemm else self.batch, "in_h": blank if gemm else self.in_h,
            "in_w": blank if gemm else self.in_h, "in_channels": blank if gemm else self.in_channels,
            "out_channels": blank if gemm else self.out_channels, "kernel": blank if gemm else self.kernel,
            "stride": blank if gemm else self.stride, "padding": blank if gemm else self.padding,
            "flops": self.flops, "bytes": self.bytes,
        }


def cases(quick: bool = False) -> list[Case]:
    """Every case in run order (cheap first, so a time limit drops the biggest ones)."""
    square = SQUARE_SIZES[::2] if quick else SQUARE_SIZES
    skinny = SKINNY_SHAPES[::3] if quick else SKINNY_SHAPES
    batches = (1, 32) if quick else CONV_BATCHES
    out = [Case("gemm_square", p, s, s, s) for s in square for p in GEMM_PRECISIONS]
    out += [Case("gemm_skinny", p, m, n, k) for m, n, k in skinny for p in GEMM_PRECISIONS]
    out += [Case("conv", p, batch=b, in_h=h, in_channels=c, out_channels=o, kernel=kk, stride=s)
            for b in batches for h, c, o, kk, s in RESNET50_CONVS for p in CONV_PRECISIONS]
    return out


# --- timing (torch is imported only here) -------------------------------------------------------

def _supported(torch, case: Case) -> str:
    """'' when the case can run on this device, else why not."""
    major, minor = torch.cuda.get_device_capability()
    if case.precision == "fp8_e4m3":
        if (major, minor) < (8, 9) or not hasattr(torch, "_scaled_mm") or not hasattr(torch, "float8_e4m3fn"):
            return "fp8 needs compute capability >= 8.9 and torch._scaled_mm"
        if case.m % 16 or case.n % 16 or case.k % 16:
            return "fp8 GEMM needs M, N, K multiples of 16"
    if case.precision == "int8":
        if not hasattr(torch, "_int_mm"):
            return "torch._int_mm missing"
        if case.m <= 16 or case.n % 8 or case.k % 8:
            return "int8 GEMM needs M > 16 and N, K multiples of 8"
    if case.precision == "bf16" and not torch.cuda.is_bf16_supported():
        return "no bf16 on this device"
    return ""


def _make_call(torch, case: Case):
    """A function of a copy index that launches the kernel once, plus the number of copies."""
    dev = "cuda"
    copies = max(1, min(MAX_COPIES, math.ceil(ROTATE_BYTES / max(1, case.bytes))))
    if case.kind == "conv":
        dtype = {"bf16": torch.bfloat16, "fp16": torch.float16}[case.precision]
        per_copy = case.batch * case.in_h**2 * case.in_channels * 2
        copies = max(1, min(copies, math.ceil(ROTATE_BYTES / per_copy)))
        xs = [torch.randn(case.batch, case.in_channels, case.in_h, case.in_h, device=dev, dtype=dtype)
              .to(memory_format=torch.channels_last) for _ in range(copies)]
        w = torch.randn(case.out_channels, case.in_channels, case.kernel, case.kernel, device=dev,
                        dtype=dtype).to(memory_format=torch.channels_last)
        conv = torch.nn.functional.conv2d
        return (lambda i: conv(xs[i % copies], w, None, case.stride, case.padding)), copies
    m, n, k = case.m, case.n, case.k
    torch.backends.cuda.matmul.allow_tf32 = case.precision == "tf32"
    if case.precision == "int8":
        a = [torch.randint(-64, 64, (m, k), device=dev, dtype=torch.int8) for _ in range(copies)]
        b = [torch.randint(-64, 64, (n, k), device=dev, dtype=torch.int8).t() for _ in range(copies)]
        return (lambda i: torch._int_mm(a[i % copies], b[i % copies])), copies
    if case.precision == "fp8_e4m3":
        f8 = torch.float8_e4m3fn
        a = [torch.randn(m, k, device=dev).to(f8) for _ in range(copies)]
        b = [torch.randn(n, k, device=dev).to(f8).t() for _ in range(copies)]  # column-major B
        one = torch.tensor(1.0, device=dev)

        def call(i):
            out = torch._scaled_mm(a[i % copies], b[i % copies], scale_a=one, scale_b=one,
                                   out_dtype=torch.bfloat16)
            return out[0] if isinstance(out, tuple) else out  # torch < 2.4 returned (out, amax)
        return call, copies
    dtype = {"fp32": torch.float32, "tf32": torch.float32, "bf16": torch.bfloat16, "fp16": torch.float16}[case.precision]
    a = [torch.randn(m, k, device=dev, dtype=dtype) for _ in range(copies)]
    b = [torch.randn(k, n, device=dev, dtype=dtype) for _ in range(copies)]
    return (lambda i: torch.mm(a[i % copies], b[i % copies])), copies


def time_case(torch, case: Case, samples: int) -> tuple[float, float, int, int]:
    """(median seconds per call, min seconds per call, samples, reps per sample)."""
    call, copies = _make_call(torch, case)
    start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
    counter = 0

    def sample(reps: int) -> float:
        nonlocal counter
        start.record()
        for _ in range(reps):
            call(counter)
            counter += 1
        end.record()
        end.synchronize()
        return start.elapsed_time(end) * 1e-3 / reps

    sample(1)  # first call: cuDNN/cuBLAS heuristics and autotuning
    one = min(sample(1) for _ in range(3))
    reps = max(1, min(200, math.ceil(SAMPLE_SECONDS / max(one, 1e-7)), 4 * copies))
    for _ in range(WARMUP_SAMPLES):
        sample(reps)
    times = [sample(reps) for _ in range(samples)]
    return statistics.median(times), min(times), samples, reps


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", default="gpu_kernels.csv", help="CSV file to write (default: %(default)s)")
    parser.add_argument("--quick", action="store_true", help="a small subset of the cases (smoke test)")
    parser.add_argument("--samples", type=int, default=10, help="timed samples per case, >= 10 (default: %(default)s)")
    parser.add_argument("--max-seconds", type=float, default=280.0,
                        help="stop starting new cases after this many seconds of wall time (default: %(default)s)")
    parser.add_argument("--list", action="store_true", help="print the cases (flops, bytes) and exit; no GPU needed")
    args = parser.parse_args(argv)
    todo = cases(args.quick)
    if args.list:
        for case in todo:
            print(case.kind, case.precision, case.flops, case.bytes)
        print(f"{len(todo)} cases", file=sys.stderr)
        return 0
    import torch

    if not torch.cuda.is_available():
        print("no CUDA device visible to PyTorch", file=sys.stderr)
        return 1
    device = torch.cuda.get_device_name(0)
    torch.backends.cudnn.benchmark = True
    torch.backends.cudnn.allow_tf32 = False
    began = time.monotonic()
    rows, skipped = [], []
    with open(args.out, "w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=COLUMNS, lineterminator="\n")
        writer.writeheader()
        for case in todo:
            if time.monotonic() - began > args.max_seconds:
                skipped.append((case, "time limit"))
                continue
            why = _supported(torch, case)
            if why:
                skipped.append((case, why))
                continue
            try:
                median_s, min_s, n, reps = time_case(torch, case, max(10, args.samples))
            except (RuntimeError, TypeError, ValueError) as exc:  # unsupported shape/dtype on this build
                skipped.append((case, f"{type(exc).__name__}: {str(exc).splitlines()[0][:120]}"))
                torch.cuda.empty_cache()
                continue
            row = case.row() | {"seconds_median": repr(median_s), "seconds_min": repr(min_s), "samples": n,
                                "reps": reps, "tflops": repr(case.flops / median_s / 1e12), "device": device,
                                "torch_version": torch.__version__}
            writer.writerow(row)
            handle.flush()
            rows.append(row)
            shape = f"{case.m}x{case.n}x{case.k}" if case.kind != "conv" else (
                f"b{case.batch} {case.in_h}x{case.in_h}x{case.in_channels}->{case.out_channels} k{case.kernel} s{case.stride}")
            print(f"{case.kind:<12} {case.precision:<9} {shape:<34} {median_s * 1e6:>11.2f} us "
                  f"{case.flops / median_s / 1e12:>8.2f} TFLOPS", flush=True)
            torch.cuda.empty_cache()
    for case, why in skipped:
        print(f"skipped {case.kind} {case.precision} {case.m or case.batch}: {why}", file=sys.stderr)
    print(f"{len(rows)} kernels timed, {len(skipped)} skipped, {time.monotonic() - began:.0f} s on {device} "
          f"(torch {torch.__version__}); wrote {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
