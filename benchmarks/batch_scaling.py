"""Simulation time of one layer against batch size / sequence length (native systolic model).

The batch (or a transformer's sequence length) multiplies the GEMM's M. Under WS M is streamed
(T), so the fold count is unchanged; under OS and IS it is spread over the array (Sr or Sc), so
the fold count grows with the batch. ``gemm_fold_pipeline`` costs O(folds);
``gemm_fold_pipeline_grouped`` (same results) advances runs of identical folds in one jump, so its
time stays flat while the simulated cycle count grows linearly.

    python benchmarks/batch_scaling.py [--rows 128 --cols 128] [--repeat 20]
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from accelsim.engine.dataflow import spatial_temporal

# (name, M per sample, K, N): ResNet-18 conv3_x (28x28 output, 3x3x128 window, 128 filters) and a
# BERT-base FFN up-projection (M = tokens, K = 768, N = 3072).
LAYERS = (("resnet18_conv3_x", 28 * 28, 3 * 3 * 128, 128), ("bert_ffn_up_per_token", 1, 768, 3072))
SCALES = (1, 8, 64, 512, 4096, 32768, 262144)
FETCH = (1.0, 32.0, 4, 128)  # bytes/element, bytes/cycle, FIFO tiles, shift cycles (TPU-v1-like)


def _time_call(fn, args, repeat):
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn(*args)
        best = min(best, time.perf_counter() - start)
    return best, result


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=128, help="array rows (PEs)")
    parser.add_argument("--cols", type=int, default=128, help="array columns (PEs)")
    parser.add_argument("--repeat", type=int, default=20, help="timing repeats (best is kept)")
    parser.add_argument("--max-folds", type=float, default=2e7,
                        help="skip the fold-by-fold call above this many folds (it is O(folds))")
    args = parser.parse_args(argv)
    from accelsim._native.systolic import gemm_fold_pipeline, gemm_fold_pipeline_grouped

    bpe, bpc, fifo, shift = FETCH
    print("| layer | dataflow | batch/seq | folds | total cycles | fold-by-fold us | grouped us |")
    print("|---|---|---|---|---|---|---|")
    for name, m_per, k, n in LAYERS:
        for dataflow in ("ws", "os", "is"):
            for scale in SCALES:
                sr, sc, t = spatial_temporal(dataflow, m_per * scale, k, n)
                folds = -(-sr // args.rows) * -(-sc // args.cols)
                call = (sr, sc, t, args.rows, args.cols, bpe, bpc, fifo,
                        0 if dataflow == "os" else shift, True)
                grouped_s, grouped = _time_call(gemm_fold_pipeline_grouped, call, args.repeat)
                if folds <= args.max_folds:
                    exact_s, exact = _time_call(gemm_fold_pipeline, call,
                                                max(1, args.repeat // (1 + folds // 10000)))
                    assert exact == grouped, (name, dataflow, scale)
                    exact_text = f"{exact_s * 1e6:.1f}"
                else:
                    exact_text = "skipped"
                print(f"| {name} | {dataflow} | {scale} | {folds} | {grouped[0]} | {exact_text} |"
                      f" {grouped_s * 1e6:.1f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
