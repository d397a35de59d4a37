"""``accelsim gemm``: one GEMM on one systolic array, fast timing model or PE-level functional run."""
from __future__ import annotations

import argparse

from ..common import non_negative_int, positive_int

NAME = "gemm"
HELP = "time one GEMM on a systolic array (fast model), or run it PE by PE with --functional"
DESCRIPTION = (
    "C = A (M x K) @ B (K x N) on a ROWS x COLS systolic array. Without --functional: the fold "
    "pipeline's timing breakdown (operands already on chip). With --functional: random operands "
    "move value by value through every PE, cycle by cycle; prints the cycle count, the fast "
    "model's count and whether C equals numpy (see docs/systolic.md)."
)
MAX_FUNCTIONAL_PE_CYCLES = 2_000_000_000  # refuse runs that would take minutes


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--m", type=positive_int, required=True,
                        help="rows of A and C (elements)")
    parser.add_argument("--k", type=positive_int, required=True,
                        help="reduction length: columns of A, rows of B (elements)")
    parser.add_argument("--n", type=positive_int, required=True,
                        help="columns of B and C (elements)")
    parser.add_argument("--rows", type=positive_int, required=True, help="array rows (PEs)")
    parser.add_argument("--cols", type=positive_int, required=True, help="array columns (PEs)")
    parser.add_argument("--dataflow", choices=("ws", "os", "is"), default="ws",
                        help="weight, output or input stationary (default ws)")
    parser.add_argument("--dtype", choices=("int8", "fp32"), default="int8",
                        help="operand type: int8 (int32 accumulation) or fp32 (default int8)")
    parser.add_argument("--double-buffered", action="store_true",
                        help="load the next stationary tile while the current fold streams")
    parser.add_argument("--functional", action="store_true",
                        help="run the PE-level functional model")
    parser.add_argument("--seed", type=non_negative_int, default=0,
                        help="random seed for the operands (integer; default 0)")
    parser.add_argument("--json", action="store_true", help="print one JSON object")


def run(args: argparse.Namespace) -> int:
    import json

    from ...engine.dataflow import fast_cycles, fold_plan
    from ...errors import ResourceLimitError
    from ...guards import MAX_DIMENSION, MAX_FOLDS, MAX_TASK_CYCLES

    for option in ("m", "k", "n", "rows", "cols"):
        if getattr(args, option) > MAX_DIMENSION:
            raise ResourceLimitError(f"expected at most {MAX_DIMENSION:.0e}, got {getattr(args, option):,}",
                                     field=f"--{option}")
    plan = fold_plan(args.dataflow, args.m, args.k, args.n, args.rows, args.cols)
    folds = plan.folds
    if folds > MAX_FOLDS:
        raise ResourceLimitError(f"the GEMM needs {folds:,} stationary-tile folds on a {args.rows}x{args.cols} "
                                 f"array; at most {MAX_FOLDS:.0e} are simulated (a few seconds). Use a larger "
                                 "array or a smaller GEMM", field="--rows")
    if folds * (plan.temporal + 2 * (args.rows + args.cols)) > MAX_TASK_CYCLES:
        raise ResourceLimitError(f"the GEMM would take more than {MAX_TASK_CYCLES:.0e} cycles (the kernel counts "
                                 "in 64-bit integers); use a larger array or a smaller GEMM", field="--m")
    total, compute, stall, shift, folds, used = fast_cycles(plan, args.double_buffered)
    result = {
        "dataflow": plan.dataflow,
        "array": f"{plan.rows}x{plan.cols}",
        "double_buffered": bool(args.double_buffered),
        "spatial_rows_sr": plan.spatial_rows,
        "spatial_cols_sc": plan.spatial_cols,
        "temporal_t": plan.temporal,
        "folds": folds,
        "mapping_efficiency_pct": 100.0 * used / (folds * plan.rows * plan.cols),
        "fast_total_cycles": total,
        "fast_compute_cycles": compute,
        "fast_weight_shift_cycles": shift,
        "fast_weight_load_stall_cycles": stall,
        "macs": args.m * args.k * args.n,
        "pe_utilization_pct": 100.0 * args.m * args.k * args.n / (total * plan.rows * plan.cols),
    }
    if args.functional:
        import numpy as np

        if total * plan.rows * plan.cols > MAX_FUNCTIONAL_PE_CYCLES:
            raise ResourceLimitError(
                f"the functional model would step {total * plan.rows * plan.cols:,} PE-cycles "
                f"(limit {MAX_FUNCTIONAL_PE_CYCLES:,}); use a smaller GEMM or array",
                field="--functional")
        try:
            from ..._native.pe_array import run_gemm
        except ImportError:  # no compiled kernels: the numpy twin (slower, same results)
            from ...engine.pe_array_ref import run_gemm
        from ...engine.pe_array_ref import sequential_matmul

        rng = np.random.default_rng(args.seed)
        if args.dtype == "int8":
            a = rng.integers(-128, 128, (args.m, args.k)).astype(np.int8)
            b = rng.integers(-128, 128, (args.k, args.n)).astype(np.int8)
        else:
            a = rng.standard_normal((args.m, args.k)).astype(np.float32)
            b = rng.standard_normal((args.k, args.n)).astype(np.float32)
        out, cycles = run_gemm(a, b, plan.rows, plan.cols, plan.dataflow, args.double_buffered)
        expected = sequential_matmul(a, b)
        blas = (a.astype(np.int32) @ b.astype(np.int32)) if args.dtype == "int8" else a @ b
        result.update({
            "functional_cycles": int(cycles),
            "cycles_match_fast_model": int(cycles) == total,
            "equals_numpy_sequential": bool(np.array_equal(out, expected)),
            "equals_numpy_matmul": bool(np.array_equal(out, blas)),
            "max_abs_diff_vs_matmul": float(np.max(np.abs(out.astype(np.float64)
                                                          - blas.astype(np.float64)))),
        })
    if args.json:
        print(json.dumps(result, indent=2))
        return 0
    print(f"GEMM {args.m}x{args.k} @ {args.k}x{args.n} on {result['array']} "
          f"{plan.dataflow.upper()}, {'double-buffered' if args.double_buffered else 'serialized'}"
          f": (Sr, Sc, T) = ({plan.spatial_rows}, {plan.spatial_cols}, {plan.temporal}), "
          f"{folds} folds, mapping efficiency {result['mapping_efficiency_pct']:.2f} %")
    if args.functional:
        print(f"functional model: {result['functional_cycles']} cycles")
        print(f"fast model:       {total} cycles "
              f"({'match' if result['cycles_match_fast_model'] else 'MISMATCH'})")
        print(f"result equals numpy (sequential-order reference): "
              f"{'yes' if result['equals_numpy_sequential'] else 'NO'}")
        exact = "yes" if result["equals_numpy_matmul"] else (
            f"no, max |diff| {result['max_abs_diff_vs_matmul']:.3g} (BLAS sums in another order)")
        print(f"result equals np.matmul bit for bit: {exact}")
        ok = result["cycles_match_fast_model"] and result["equals_numpy_sequential"]
        return 0 if ok else 1
    print(f"total cycles        {total}")
    print(f"  compute (stream + fill/drain skew)  {compute}")
    print(f"  stationary tile shift               {shift}")
    print(f"  waiting for tile fetch              {stall}")
    print(f"PE utilization      {result['pe_utilization_pct']:.2f} % of {plan.rows * plan.cols} "
          f"PEs over {total} cycles")
    return 0
