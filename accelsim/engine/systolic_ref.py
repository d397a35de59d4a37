"""Pure-Python twin of ``cython/systolic.pyx`` (same algorithm, same results; used by tests)."""
from __future__ import annotations

import math


def gemm_fold_pipeline(Sr, Sc, T, rows, cols, fetch_bytes_per_element, fetch_bytes_per_cycle,
                       fifo_depth, shift_cycles, double_buffered, prefetch_lead=0):
    """See cython/systolic.pyx. Returns (total, compute, weight_load_stall, weight_shift, folds, used_pe_sum)."""
    n_r = -(-Sr // rows)
    n_c = -(-Sc // cols)
    n = n_r * n_c
    if n == 0 or T == 0:
        return (0, 0, 0, 0, 0, 0)
    skew = rows + cols - 2
    depth = max(1, fifo_depth)
    shift_starts: list[int] = []
    fetch_end = -prefetch_lead if prefetch_lead > 0 else 0
    prev_stream_start = prev_stream_end = stream_end = 0
    stall = shift_wait = used_sum = 0
    i = 0
    for c in range(n_c):
        used_c = cols if (c + 1) * cols <= Sc else Sc - c * cols
        for r in range(n_r):
            used_r = rows if (r + 1) * rows <= Sr else Sr - r * rows
            used_sum += used_r * used_c
            if fetch_bytes_per_element > 0 and fetch_bytes_per_cycle > 0:
                fetch_cycles = int(math.ceil(used_r * used_c * fetch_bytes_per_element / fetch_bytes_per_cycle))
            else:
                fetch_cycles = 0
            fetch_start = fetch_end
            if i >= depth:
                fetch_start = max(fetch_start, shift_starts[i - depth])
            fetch_end = fetch_start + fetch_cycles
            if i == 0:
                shift_start = max(fetch_end, 0)
            elif double_buffered:
                shift_start = max(fetch_end, prev_stream_start)
            else:
                shift_start = max(fetch_end, prev_stream_end + skew)
            shift_starts.append(shift_start)
            shift_end = shift_start + shift_cycles
            if i == 0:
                stream_start = shift_end
                stall += shift_start
                shift_wait += shift_cycles
            else:
                if double_buffered:
                    stream_start = max(shift_end, prev_stream_end)
                    gap = stream_start - prev_stream_end
                else:
                    stream_start = shift_end
                    gap = stream_start - (prev_stream_end + skew)
                stall_part = min(max(fetch_end - (stream_start - gap), 0), gap)
                stall += stall_part
                shift_wait += gap - stall_part
            stream_end = stream_start + T
            prev_stream_start, prev_stream_end = stream_start, stream_end
            i += 1
    total = stream_end + skew
    return (total, total - stall - shift_wait, stall, shift_wait, n, used_sum)
