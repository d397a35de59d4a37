"""Simulation time of `accelsim run` workloads (wall time of simulate(), imports excluded).

Usage: python benchmarks/run_speed.py [--repeat N]
Prints per (arch, workload): median seconds per simulation, simulated cycles, and simulated cycles
per wall second (the simulator's speed relative to the chip it models).
"""
from __future__ import annotations

import argparse
import statistics
import time

from accelsim.api import simulate

CASES = [("tpu_v1", "resnet50", None), ("tpu_v1", "resnet50", 64), ("tpu_v1", "tpu_mlp0", None),
         ("tpu_v1", "tpu_cnn1", None), ("tpu_v1", "bert_base", None), ("tpu_v1", "gpt2_small", None)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=5, help="runs per case (median reported)")
    args = parser.parse_args()
    simulate("tpu_v1", "tpu_mlp0")  # warm caches and lazy imports
    print(f"{'arch':<8} {'workload':<12} {'batch':>5} {'median_s':>9} {'cycles':>14} {'sim_cycles_per_s':>17}")
    for arch, workload, batch in CASES:
        times = []
        for _ in range(args.repeat):
            t0 = time.perf_counter()
            result = simulate(arch, workload, batch=batch)
            times.append(time.perf_counter() - t0)
        median = statistics.median(times)
        print(f"{arch:<8} {workload:<12} {result.batch:>5} {median:>9.4f} {result.totals.cycles:>14,} "
              f"{result.totals.cycles / median:>17.3g}")


if __name__ == "__main__":
    main()
