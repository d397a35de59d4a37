"""Pure-Python twin of the SCALE-Sim layer kernel in ``cython/systolic.pyx`` (``scalesim_layer``).

It replays SCALE-Sim v2's demand streams element by element, in the order SCALE-Sim issues them,
through models of its buffers (the semantics are documented in docs/scalesim_differences.md):

* read buffers in CALC mode: an address costs a DRAM read the first time it is seen within an
  *epoch*; an epoch ends after ``50 * floor(words / 100)`` such first touches (the active half of
  the SRAM, counted in sets of ``floor(words / 100)`` words), and the next epoch starts empty;
* the OFMAP write buffer: lines of ``drain_bw`` words, a drain of ``ceil(half / drain_bw)`` lines
  whenever more than half the buffer is used, partial lines padded when a drain is forced (the
  padding is counted as DRAM writes unless it sits on the last line of a drain), and stalls when
  the buffer is full during a drain.

This twin is slow (a Python loop per element); tests use it on small layers only.
"""
from __future__ import annotations

import math

OS, WS, IS = 0, 1, 2
SETS_PER_EPOCH = 50  # active half of a read SRAM, in sets of floor(words / 100) words
PREFETCH_WORDS_PER_CYCLE = 10  # CALC mode's fixed read bandwidth (affects DRAM start cycles only)


def conv_address_tables(H: int, W: int, Fh: int, Fw: int, Ch: int, Sh: int, Sw: int) -> tuple:
    """Per ofmap pixel (row of the im2col matrix) and per window element (column) the pieces of the
    ifmap address: ``addr = base[m] + off[k]`` when ``row[m] + krow[k] < H`` and
    ``col[m] + kcol[k] < W``, else no request (-1)."""
    Ho = math.ceil((H - Fh + Sh) / Sh)
    Wo = math.ceil((W - Fw + Sw) / Sw)
    M, K = Ho * Wo, Fh * Fw * Ch
    prow = [0] * M
    pcol = [0] * M
    base = [0] * M
    for m in range(M):
        oh, ow = divmod(m, Wo)
        prow[m], pcol[m] = oh * Sh, ow * Sw
        base[m] = (prow[m] * W + pcol[m]) * Ch
    krow = [0] * K
    kcol = [0] * K
    off = [0] * K
    for k in range(K):
        kr, rest = divmod(k, Fw * Ch)
        kc, kch = divmod(rest, Ch)
        krow[k], kcol[k] = kr, kc
        off[k] = (kr * W + kc) * Ch + kch
    return M, K, prow, pcol, base, krow, kcol, off


class _ReadStream:
    """SCALE-Sim's CALC-mode read buffer: counts DRAM reads and remembers epoch boundaries."""

    def __init__(self, words):
        self.set_words = words // 100
        self.epoch_words = SETS_PER_EPOCH * self.set_words
        self.seen: dict[int, int] = {}
        self.epoch = 0
        self.in_epoch = 0
        self.misses = 0
        self.transitions = 0
        self.last_transition_cycle = 0
        self.first_cycle = None  # cycle of the first row holding a request
        self.sram_first = None
        self.sram_last = None

    def row(self, cycle, addresses):
        any_valid = False
        for a in addresses:
            if a < 0:
                continue
            any_valid = True
            if self.seen.get(a) == self.epoch:
                continue
            self.seen[a] = self.epoch
            self.misses += 1
            self.in_epoch += 1
            if self.in_epoch == self.epoch_words:
                self.epoch += 1
                self.in_epoch = 0
                self.transitions += 1
                self.last_transition_cycle = cycle
        if any_valid:
            if self.first_cycle is None:
                self.first_cycle = cycle
            if self.sram_first is None:
                self.sram_first = cycle + 1  # read hit latency
            self.sram_last = cycle + 1

    def dram_window(self):
        """(first, last) cycle of DRAM activity in SCALE-Sim's trace."""
        if self.transitions == 0:
            sets = -(-self.misses // self.set_words)
            cycles = -(-(sets * self.set_words) // PREFETCH_WORDS_PER_CYCLE)
            return -cycles, -1
        cycles = -(-self.epoch_words // PREFETCH_WORDS_PER_CYCLE)
        return self.first_cycle - cycles, self.last_transition_cycle + 1


class _WriteBuffer:
    """SCALE-Sim's OFMAP write buffer (drains half the buffer at ``bw`` words per cycle)."""

    def __init__(self, words, bw):
        self.total = words
        self.drain_size = words - math.ceil(words * 0.5)
        self.bw = bw
        self.free = words
        self.line_fill = 0
        self.lines: list[int] = []  # valid words per line, in trace order
        self.drain_line = 0
        self.drain_end = 0
        self.writes = 0
        self.dram_first = None
        self.dram_last = None
        self.sram_first = None
        self.sram_last = None

    def _flush_partial(self):
        if self.line_fill:
            self.lines.append(self.line_fill)
            self.line_fill = 0

    def _drain(self, start_cycle):
        n_lines = -(-self.drain_size // self.bw)
        end = min(self.drain_line + n_lines, len(self.lines))
        n = end - self.drain_line
        size = n * self.bw - (self.bw - self.lines[end - 1])  # padding counts except on the last line
        self.writes += size
        self.free += size
        if self.dram_first is None:
            self.dram_first = start_cycle
        self.dram_last = start_cycle + n - 1
        self.drain_line = end
        return start_cycle + n - 1

    def row(self, cycle, n_words):
        """Write ``n_words`` at ``cycle``; returns the cycle the row completes."""
        current = cycle
        for _ in range(n_words):
            self.line_fill += 1
            self.free -= 1
            if self.line_fill == self.bw:
                self.lines.append(self.bw)
                self.line_fill = 0
            if current < self.drain_end:
                if self.free <= 0:
                    current = self.drain_end
            elif self.free < self.total - self.drain_size:
                self._flush_partial()
                self.drain_end = self._drain(current)
        if n_words:
            if self.sram_first is None:
                self.sram_first = current
            self.sram_last = current
        return current

    def finish(self, cycle):
        self._flush_partial()
        while self.drain_line < len(self.lines):
            self.drain_end = self._drain(cycle)
            cycle = self.drain_end + 1


def _fold_streams(df, R, C, M, N, K, fr, fc, ifmap_addr, filter_addr, ofmap_valid):
    """Yield (ifmap row, filter row, ofmap word count) for every cycle of one fold."""
    if df == OS:
        T = K
        length = T + R + C - 2
        for t in range(length):
            irow = []
            for c in range(R):
                s, m = t - c, fr * R + c
                irow.append(ifmap_addr(m, s) if 0 <= s < T and m < M else -1)
            frow = []
            for c in range(C):
                s, n = t - c, fc * C + c
                frow.append(filter_addr(s, n) if 0 <= s < T and n < N else -1)
            w = 0
            for c in range(C):
                s = t - c - (T - 1)
                if 0 <= s < R and fr * R + R - 1 - s < M and fc * C + c < N:
                    w += 1
            yield irow, frow, w
        return
    T = M if df == WS else N
    length = 2 * R + C + T - 2
    for t in range(length):
        if df == WS:
            irow = []
            for c in range(R):
                s, k = t - c - R, fr * R + c
                irow.append(ifmap_addr(s, k) if 0 <= s < T and k < K else -1)
            frow = []
            for c in range(C):
                k, n = fr * R + R - 1 - t, fc * C + c
                frow.append(filter_addr(k, n) if t < R and k < K and n < N else -1)
            limit = N
        else:
            irow = []
            for c in range(C):
                k, m = fr * R + R - 1 - t, fc * C + c
                irow.append(ifmap_addr(m, k) if t < R and k < K and m < M else -1)
            frow = []
            for c in range(R):
                s, k = t - c - R, fr * R + c
                frow.append(filter_addr(k, s) if 0 <= s < T and k < K else -1)
            limit = M
        w = 0
        for c in range(C):
            s = t - c - (2 * R - 1)
            if 0 <= s < T and fc * C + c < limit:
                w += 1
        yield irow, frow, w


def scalesim_layer(df: int, R: int, C: int, H: int, W: int, Fh: int, Fw: int, Ch: int, N: int,
                   Sh: int, Sw: int, ifmap_words: int, filter_words: int, ofmap_words: int,
                   ofmap_bw: int) -> dict:
    """One layer in SCALE-Sim v2 CALC mode. Returns a dict of report fields (cycles are ints).

    ``df``: 0 OS, 1 WS, 2 IS; ``R x C`` array; ifmap ``H x W x Ch``, ``N`` filters of
    ``Fh x Fw``, strides ``Sh``, ``Sw``; SRAM sizes in words; ``ofmap_bw`` in words/cycle.
    """
    M, K, prow, pcol, base, krow, kcol, off = conv_address_tables(H, W, Fh, Fw, Ch, Sh, Sw)

    def ifmap_addr(m, k):
        if prow[m] + krow[k] < H and pcol[m] + kcol[k] < W:
            return base[m] + off[k]
        return -1

    def filter_addr(k, n):
        return n * K + k

    Sr, Sc = (M, N) if df == OS else ((K, N) if df == WS else (K, M))
    n_r, n_c = -(-Sr // R), -(-Sc // C)
    ifm, fil = _ReadStream(ifmap_words), _ReadStream(filter_words)
    ofm = _WriteBuffer(ofmap_words, ofmap_bw)
    row = 0
    stalls = 0
    last_out = 0
    map_eff = []
    comp_util = []
    T = K if df == OS else (M if df == WS else N)
    for fc in range(n_c):
        for fr in range(n_r):
            used = min(R, Sr - fr * R) * min(C, Sc - fc * C)
            map_eff.append(used / (R * C))
            cycles = T + R + C - 2 if df == OS else 2 * R + 2 * C + T - 3
            comp_util.append(used * T / (R * C * cycles))
            for irow, frow, w in _fold_streams(df, R, C, M, N, K, fr, fc, ifmap_addr, filter_addr,
                                               None):
                cycle = row + stalls
                ifm.row(cycle, irow)
                fil.row(cycle, frow)
                out = ofm.row(cycle, w)
                stalls += max(0, out - cycle - 1)
                last_out = out
                row += 1
    ofm.finish(last_out)
    if df == OS:
        sram_ofmap = M * N + n_r * n_c * (R + C)
    else:
        sram_ofmap = M * N * n_r
    ifmap_reads = M * K * (n_c if df != IS else 1)
    filter_reads = K * N * (n_r if df == OS else (n_c if df == IS else 1))
    i0, i1 = ifm.dram_window()
    f0, f1 = fil.dram_window()
    return {
        "total_cycles": last_out,
        "stall_cycles": stalls,
        "macs": M * N * K,
        "mapping_eff_sum": sum(map_eff),
        "compute_util_sum": sum(comp_util),
        "folds": n_r * n_c,
        "sram_ifmap_reads": ifmap_reads,
        "sram_filter_reads": filter_reads,
        "sram_ofmap_writes": sram_ofmap,
        "sram_ifmap_start": ifm.sram_first, "sram_ifmap_stop": ifm.sram_last,
        "sram_filter_start": fil.sram_first, "sram_filter_stop": fil.sram_last,
        "sram_ofmap_start": ofm.sram_first, "sram_ofmap_stop": ofm.sram_last,
        "dram_ifmap_start": i0, "dram_ifmap_stop": i1, "dram_ifmap_reads": ifm.misses,
        "dram_filter_start": f0, "dram_filter_stop": f1, "dram_filter_reads": fil.misses,
        "dram_ofmap_start": ofm.dram_first, "dram_ofmap_stop": ofm.dram_last,
        "dram_ofmap_writes": ofm.writes,
    }
