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
                fetch_cycles = math.ceil(used_r * used_c * fetch_bytes_per_element / fetch_bytes_per_cycle)
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


def _fold_step(st, used_r, used_c, rows, cols, T, fetch_bytes_per_element, fetch_bytes_per_cycle,
               depth, shift_cycles, double_buffered, skew):
    """One fold of gemm_fold_pipeline on the state dict ``st`` (twin of the Cython fold_step)."""
    st["used_sum"] += used_r * used_c
    if fetch_bytes_per_element > 0 and fetch_bytes_per_cycle > 0:
        fetch_cycles = math.ceil(used_r * used_c * fetch_bytes_per_element
                                 / fetch_bytes_per_cycle)
    else:
        fetch_cycles = 0
    i = st["i"]
    ring = st["ring"]  # shift starts of the last ``depth`` folds, oldest first
    fetch_start = st["fetch_end"]
    if i >= depth:
        fetch_start = max(fetch_start, ring[0])
    fetch_end = fetch_start + fetch_cycles
    if i == 0:
        shift_start = max(fetch_end, 0)
    elif double_buffered:
        shift_start = max(fetch_end, st["prev_stream_start"])
    else:
        shift_start = max(fetch_end, st["prev_stream_end"] + skew)
    ring.append(shift_start)
    if len(ring) > depth:
        ring.pop(0)
    shift_end = shift_start + shift_cycles
    if i == 0:
        stream_start = shift_end
        st["stall"] += shift_start
        st["shift_wait"] += shift_cycles
    else:
        if double_buffered:
            stream_start = max(shift_end, st["prev_stream_end"])
            gap = stream_start - st["prev_stream_end"]
        else:
            stream_start = shift_end
            gap = stream_start - (st["prev_stream_end"] + skew)
        stall_part = min(max(fetch_end - (stream_start - gap), 0), gap)
        st["stall"] += stall_part
        st["shift_wait"] += gap - stall_part
    st["fetch_end"] = fetch_end
    st["prev_stream_start"] = stream_start
    st["prev_stream_end"] = stream_start + T
    st["i"] = i + 1


_TIMES = ("fetch_end", "prev_stream_start", "prev_stream_end")
_COUNTS = ("stall", "shift_wait", "used_sum")


def _snapshot(st):
    return [st[k] for k in _TIMES + _COUNTS] + list(st["ring"])


def _jump(st, before, after, times, folds_per_step):
    """Advance ``times`` more identical steps, each adding (after - before)."""
    delta = [a - b for a, b in zip(after, before)]
    for n, key in enumerate(_TIMES + _COUNTS):
        st[key] += times * delta[n]
    base = len(_TIMES) + len(_COUNTS)
    st["ring"] = [v + times * delta[base + j] for j, v in enumerate(st["ring"])]
    st["i"] += times * folds_per_step


def _steady(history, need):
    """True when the last ``need`` steps of ``history`` all added the same vector, and that vector
    moves every time stamp (fetch end, stream start/end, the ring of shift starts) by the same
    amount: the max-plus recurrence is then periodic and no max() can change its winner."""
    if len(history) < need + 1 or len(history[-1]) != len(history[-need - 1]):
        return False
    last = [a - b for a, b in zip(history[-1], history[-2])]
    times = last[:len(_TIMES)] + last[len(_TIMES) + len(_COUNTS):]
    if any(v != times[0] for v in times):
        return False
    for k in range(2, need + 1):
        if [a - b for a, b in zip(history[-k], history[-k - 1])] != last:
            return False
    return True


def gemm_fold_pipeline_grouped(Sr: int, Sc: int, T: int, rows: int, cols: int,
                               fetch_bytes_per_element: float, fetch_bytes_per_cycle: float,
                               fifo_depth: int, shift_cycles: int, double_buffered: bool,
                               prefetch_lead: int = 0) -> tuple:
    """Same result as gemm_fold_pipeline; runs of identical folds (and identical column folds)
    are stepped only until the pipeline reaches a steady state, then advanced in one jump, so the
    cost does not grow with the number of folds."""
    n_r = -(-Sr // rows)
    n_c = -(-Sc // cols)
    if n_r * n_c == 0 or T == 0:
        return (0, 0, 0, 0, 0, 0)
    skew = rows + cols - 2
    depth = max(1, fifo_depth)
    st = {"fetch_end": -prefetch_lead if prefetch_lead > 0 else 0, "prev_stream_start": 0,
          "prev_stream_end": 0, "stall": 0, "shift_wait": 0, "used_sum": 0, "i": 0, "ring": []}
    args = (rows, cols, T, fetch_bytes_per_element, fetch_bytes_per_cycle, depth, shift_cycles,
            double_buffered, skew)
    need = depth + 2
    last_r = Sr - (n_r - 1) * rows

    def column_fold(used_c):
        history = [_snapshot(st)]
        done = 0
        while done < n_r - 1:  # identical full-row folds
            _fold_step(st, rows, used_c, *args)
            done += 1
            history.append(_snapshot(st))
            if done < n_r - 1 and _steady(history, need):
                _jump(st, history[-2], history[-1], n_r - 1 - done, 1)
                done = n_r - 1
        _fold_step(st, last_r, used_c, *args)

    blocks = [_snapshot(st)]
    done = 0
    full_c = n_c - 1 if Sc % cols else n_c
    while done < full_c:
        column_fold(cols)
        done += 1
        blocks.append(_snapshot(st))
        if done < full_c and _steady(blocks, 3):
            _jump(st, blocks[-2], blocks[-1], full_c - done, n_r)
            done = full_c
    if full_c < n_c:
        column_fold(Sc - full_c * cols)
    total = st["prev_stream_end"] + skew
    return (total, total - st["stall"] - st["shift_wait"], st["stall"], st["shift_wait"],
            n_r * n_c, st["used_sum"])
