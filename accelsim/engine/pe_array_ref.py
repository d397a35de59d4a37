"""PE-level functional model of a systolic array, numpy twin of ``cython/pe_array.pyx``.

Real operand values move through an R x C grid of processing elements, one register hop per
cycle, for each dataflow (docs/systolic.md):

* WS / IS (``stationary`` engine): a stationary tile (B for WS, A^T for IS) is shifted into each
  column from the top, bottom row first, one row per cycle, column ``c`` starting ``c`` cycles
  after column 0; it is latched into one of two weight registers (chosen by fold parity). The
  streamed operand enters row ``r`` at the left ``r`` cycles late and moves right; partial sums
  enter at the top, move down and leave at the bottom into the accumulator. The top input of a
  reduction fold after the first is the accumulator's value, so every output is summed in
  reduction order: ``((0 + x0*w0) + x1*w1) + ...``, exactly like a sequential dot product.
* OS (``output_stationary`` engine): A enters from the left, B from the top, each PE accumulates
  its own output in reduction order and writes it out when its last product is added.

Edge tiles are zero-padded, so the wavefront always spans the whole array.

Fold order is column fold outer, row fold inner. Serialized: a fold's stationary tile starts
loading the cycle after the previous fold's last result left the array. Double buffered: the
next tile loads while the current fold streams (into the other weight register), and the next
fold streams as soon as its tile is in and the current fold's last row has entered. The cycle
count that comes out equals ``gemm_fold_pipeline`` with no memory fetch (shift = R cycles for
WS/IS, 0 for OS); tests check both that and the values.

fp32 products and sums are rounded to fp32 at every step (no fused multiply-add); int8 operands
multiply and accumulate in int32 (wrapping like numpy).
"""
from __future__ import annotations

import numpy as np

NO_FOLD = -1


def accumulator_dtype(dtype) -> np.dtype:
    """int32 for integer operands (int8 -> int32 accumulation), float32 otherwise."""
    return np.dtype(np.int32) if np.issubdtype(np.dtype(dtype), np.integer) else np.dtype(np.float32)


def sequential_matmul(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """A @ B summed in reduction order, rounding after every multiply and every add.

    ``np.matmul`` on fp32 may use a blocked or fused order and differ in the last bits; this is
    the order a systolic column (and a sequential dot product) uses.
    """
    acc_t = accumulator_dtype(a.dtype)
    out = np.zeros((a.shape[0], b.shape[1]), dtype=acc_t)
    a_acc = a.astype(acc_t)
    b_acc = b.astype(acc_t)
    for k in range(a.shape[1]):
        out = out + a_acc[:, k:k + 1] * b_acc[k:k + 1, :]
    return out


def _folds(sr, sc, rows, cols):
    return [(fr, fc) for fc in range(-(-sc // cols)) for fr in range(-(-sr // rows))]


def stationary(stat: np.ndarray, stream: np.ndarray, rows: int, cols: int,
               double_buffered: bool) -> tuple[np.ndarray, int]:
    """Stationary-operand engine: returns (stream @ stat, cycles).

    ``stat`` is Sr x Sc (held in the PEs), ``stream`` is T x Sr (one row enters per cycle).
    """
    acc_t = stat.dtype
    sr, sc = stat.shape
    t_len = stream.shape[0]
    folds = _folds(sr, sc, rows, cols)
    n = len(folds)
    tiles = []
    feeds = []
    for fr, fc in folds:
        tile = np.zeros((rows, cols), dtype=acc_t)
        part = stat[fr * rows:(fr + 1) * rows, fc * cols:(fc + 1) * cols]
        tile[:part.shape[0], :part.shape[1]] = part
        tiles.append(tile)
        feed = np.zeros((t_len, rows), dtype=acc_t)
        part = stream[:, fr * rows:(fr + 1) * rows]
        feed[:, :part.shape[1]] = part
        feeds.append(feed)
    out = np.zeros((t_len, sc), dtype=acc_t)
    act = np.zeros((rows, cols), dtype=acc_t)
    act_fold = np.full((rows, cols), NO_FOLD, dtype=np.int64)
    act_m = np.zeros((rows, cols), dtype=np.int64)
    psum = np.zeros((rows, cols), dtype=acc_t)
    chain = np.zeros((rows, cols), dtype=acc_t)
    weights = np.zeros((2, rows, cols), dtype=acc_t)
    load_start: dict[int, int] = {0: 0}
    stream_start: dict[int, int] = {}
    outputs_seen = [0] * n
    latched_col0 = [False] * n
    row0_done = [False] * n
    col_idx = np.arange(cols)
    row_idx = np.arange(rows)
    cycle = 0
    finished = None
    while finished is None:
        # -- activations move right; row r's feeder injects its fold's element (skewed by r)
        new_act = np.empty_like(act)
        new_fold = np.empty_like(act_fold)
        new_m = np.empty_like(act_m)
        new_act[:, 1:] = act[:, :-1]
        new_fold[:, 1:] = act_fold[:, :-1]
        new_m[:, 1:] = act_m[:, :-1]
        new_act[:, 0] = 0
        new_fold[:, 0] = NO_FOLD
        for f, start in stream_start.items():
            m = cycle - start - row_idx
            live = (m >= 0) & (m < t_len)
            if live.any():
                new_act[live, 0] = feeds[f][m[live], row_idx[live]]
                new_fold[live, 0] = f
                new_m[live, 0] = m[live]
        valid = new_fold != NO_FOLD
        # -- partial sums move down; the top row reads the accumulator after the first k-fold
        psum_in = np.zeros_like(psum)
        psum_in[1:, :] = psum[:-1, :]
        for c in np.nonzero(valid[0])[0]:
            f = new_fold[0, c]
            fr, fc = folds[f]
            col = fc * cols + c
            if fr > 0 and col < sc:
                psum_in[0, c] = out[new_m[0, c], col]
        w_sel = np.where(new_fold % 2 == 0, weights[0], weights[1])
        new_psum = np.where(valid, psum_in + new_act * w_sel, 0).astype(acc_t)
        # -- results leave the bottom row into the accumulator
        for c in np.nonzero(valid[rows - 1])[0]:
            f = new_fold[rows - 1, c]
            fr, fc = folds[f]
            col = fc * cols + c
            if col < sc:
                out[new_m[rows - 1, c], col] = new_psum[rows - 1, c]
            outputs_seen[f] += 1
            if outputs_seen[f] == t_len * cols:
                if f == n - 1:
                    finished = cycle
                elif not double_buffered:
                    load_start[f + 1] = cycle + 1
        act, act_fold, act_m, psum = new_act, new_fold, new_m, new_psum
        # -- stationary tiles shift down their columns (column c starts c cycles late)
        for g, start in list(load_start.items()):
            j = cycle - start - col_idx
            shifting = (j >= 0) & (j < rows)
            if not shifting.any():
                continue
            chain[1:, shifting] = chain[:-1, shifting]
            chain[0, shifting] = tiles[g][rows - 1 - j[shifting], col_idx[shifting]]
            latch = j == rows - 1
            weights[g % 2][:, latch] = chain[:, latch]
            if latch[0]:
                latched_col0[g] = True
        # -- controller: when does each fold start streaming, when does the next tile load
        for f, start in stream_start.items():
            if cycle == start + t_len - 1:
                row0_done[f] = True
        g = len(stream_start)
        if g < n and latched_col0[g] and (g == 0 or not double_buffered or row0_done[g - 1]):
            stream_start[g] = cycle + 1
            if double_buffered and g + 1 < n:
                load_start[g + 1] = cycle + 1
        cycle += 1
    return out, finished + 1


def output_stationary(a: np.ndarray, b: np.ndarray, rows: int, cols: int,
                      double_buffered: bool) -> tuple[np.ndarray, int]:
    """Output-stationary engine: returns (a @ b, cycles); a is M x K, b is K x N."""
    acc_t = a.dtype
    m_len, k_len = a.shape
    n_len = b.shape[1]
    folds = _folds(m_len, n_len, rows, cols)
    n = len(folds)
    a_tiles, b_tiles = [], []
    for fr, fc in folds:
        tile = np.zeros((rows, k_len), dtype=acc_t)
        part = a[fr * rows:(fr + 1) * rows]
        tile[:part.shape[0]] = part
        a_tiles.append(tile)
        tile = np.zeros((k_len, cols), dtype=acc_t)
        part = b[:, fc * cols:(fc + 1) * cols]
        tile[:, :part.shape[1]] = part
        b_tiles.append(tile)
    out = np.zeros((m_len, n_len), dtype=acc_t)
    a_reg = np.zeros((rows, cols), dtype=acc_t)
    a_fold = np.full((rows, cols), NO_FOLD, dtype=np.int64)
    a_k = np.zeros((rows, cols), dtype=np.int64)
    b_reg = np.zeros((rows, cols), dtype=acc_t)
    acc = np.zeros((rows, cols), dtype=acc_t)
    stream_start = {0: 0}
    done = [0] * n
    idx_r = np.arange(rows)
    idx_c = np.arange(cols)
    cycle = 0
    finished = None
    while finished is None:
        new_a = np.empty_like(a_reg)
        new_fold = np.empty_like(a_fold)
        new_k = np.empty_like(a_k)
        new_b = np.empty_like(b_reg)
        new_a[:, 1:] = a_reg[:, :-1]
        new_fold[:, 1:] = a_fold[:, :-1]
        new_k[:, 1:] = a_k[:, :-1]
        new_b[1:, :] = b_reg[:-1, :]
        new_a[:, 0] = 0
        new_fold[:, 0] = NO_FOLD
        new_b[0, :] = 0
        for f, start in stream_start.items():
            k = cycle - start - idx_r
            live = (k >= 0) & (k < k_len)
            new_a[live, 0] = a_tiles[f][idx_r[live], k[live]]
            new_fold[live, 0] = f
            new_k[live, 0] = k[live]
            k = cycle - start - idx_c
            live = (k >= 0) & (k < k_len)
            new_b[0, live] = b_tiles[f][k[live], idx_c[live]]
        valid = new_fold != NO_FOLD
        base = np.where(new_k == 0, np.zeros_like(acc), acc)
        acc = np.where(valid, base + new_a * new_b, acc).astype(acc_t)
        last = valid & (new_k == k_len - 1)
        for r, c in zip(*np.nonzero(last)):
            f = new_fold[r, c]
            fr, fc = folds[f]
            if fr * rows + r < m_len and fc * cols + c < n_len:
                out[fr * rows + r, fc * cols + c] = acc[r, c]
            done[f] += 1
            if done[f] == rows * cols:
                if f == n - 1:
                    finished = cycle
                elif not double_buffered:
                    stream_start[f + 1] = cycle + 1
        a_reg, a_fold, a_k, b_reg = new_a, new_fold, new_k, new_b
        g = len(stream_start)
        if double_buffered and g < n and cycle == stream_start[g - 1] + k_len - 1:
            stream_start[g] = cycle + 1
        cycle += 1
    return out, finished + 1


def run_gemm(a: np.ndarray, b: np.ndarray, rows: int, cols: int, dataflow: str,
             double_buffered: bool = False) -> tuple[np.ndarray, int]:
    """C = A @ B on a rows x cols array under ``dataflow``; returns (C, cycles)."""
    acc_t = accumulator_dtype(a.dtype)
    a_acc = np.ascontiguousarray(a, dtype=acc_t)
    b_acc = np.ascontiguousarray(b, dtype=acc_t)
    if dataflow == "os":
        return output_stationary(a_acc, b_acc, rows, cols, double_buffered)
    if dataflow == "ws":
        return stationary(b_acc, a_acc, rows, cols, double_buffered)
    if dataflow == "is":
        out_t, cycles = stationary(np.ascontiguousarray(a_acc.T), np.ascontiguousarray(b_acc.T),
                                   rows, cols, double_buffered)
        return np.ascontiguousarray(out_t.T), cycles
    raise ValueError(f"unknown dataflow {dataflow!r}")
