"""Speed of the numerics kernels: compiled (Cython) against the numpy twins.

Usage: python benchmarks/numerics_speed.py [--repeats N] [-o FILE.csv]
Prints nanoseconds per element (per MAC for the matmuls) and the speed-up of the compiled kernels.
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout without installing

from accelsim import numerics as nm
from accelsim.atomic import write_atomic
from accelsim.numerics.backend import native_kernels


def _best_seconds(fn, repeats: int) -> float:
    best = float("inf")
    for _ in range(repeats):
        started = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - started)
    return best


def cases():
    rng = np.random.default_rng(0)
    x = rng.standard_normal(200_000)
    fmt = nm.LnsFormat(7, 8, 1024)
    la, lb = nm.lns_encode(x, fmt), nm.lns_encode(rng.standard_normal(200_000), fmt)
    ma, mb = nm.lns_encode(rng.standard_normal((64, 64)), fmt), nm.lns_encode(rng.standard_normal((64, 64)), fmt)
    ia, ib = rng.integers(-128, 128, (64, 64)), rng.integers(-128, 128, (64, 64))
    x32 = x.astype(np.float32)
    return [
        ("quantize_float bf16 RNE", x.size, lambda b: nm.quantize_float(x, "bf16", backend=b)),
        ("quantize_float fp8_e4m3 stochastic", x.size,
         lambda b: nm.quantize_float(x, "fp8_e4m3", "stochastic", seed=1, backend=b)),
        ("quantize_int int8", x.size, lambda b: nm.quantize_int(x, 8, 0.05, backend=b)),
        ("lns_add lns16", x.size, lambda b: nm.lns_add(la, lb, backend=b)),
        ("lns_matmul lns16 64x64x64 (per MAC)", 64**3, lambda b: nm.lns_matmul(ma, mb, backend=b)),
        ("int_matmul int8/int32-sat 64x64x64 (per MAC)", 64**3,
         lambda b: nm.int_matmul(ia, ib, 32, backend=b)),
        ("kahan_sum float32", 20_000, lambda b: nm.kahan_sum(x32[:20_000], backend=b)),
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3, help="timing repeats per case (best is kept)")
    parser.add_argument("-o", "--output", help="also write the table as CSV to this file")
    args = parser.parse_args()
    backends = ["python"] + (["native"] if native_kernels() is not None else [])
    rows = [("case", *(f"{b}_ns_per_element" for b in backends), "speedup")]
    for name, count, fn in cases():
        ns = [_best_seconds(lambda b=b, fn=fn: fn(b), args.repeats) / count * 1e9 for b in backends]
        speedup = ns[0] / ns[1] if len(ns) == 2 else float("nan")
        rows.append((name, *(f"{v:.2f}" for v in ns), f"{speedup:.1f}"))
    widths = [max(len(str(r[i])) for r in rows) for i in range(len(rows[0]))]
    for r in rows:
        print("  ".join(str(v).ljust(w) for v, w in zip(r, widths)))
    if args.output:
        write_atomic(args.output, "\n".join(",".join(r) for r in rows) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
