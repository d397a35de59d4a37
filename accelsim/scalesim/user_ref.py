"""Pure-Python model of SCALE-Sim v2's USER-bandwidth mode (``InterfaceBandwidth: USER``).

SCALE-Sim splits each read operand's *prefetch order* (the operand matrix, fold by fold, rolled
out along anti-diagonals for skewed operands) into sets of ``ceil(words / 100)`` addresses. The
active window holds ``ceil(half / set)`` consecutive sets; a demanded address outside the window
triggers a prefetch: the window advances (circularly) by the prefetch half's sets, costing
``ceil(half / bw)`` lines of ``bw`` words and ``ceil(half / bw) + 1`` cycles after the previous
prefetch ended. A row's read stall is ``last prefetch cycle - issue cycle - 1`` (it can be
negative), the row's stall is the maximum over IFMAP, filter and OFMAP, and later rows issue that
much later. The OFMAP write buffer is the same as in CALC mode but drains at ``bw`` words/cycle.
"""
from __future__ import annotations

import math

from .calc_ref import IS, OS, WS, _fold_streams, _WriteBuffer, conv_address_tables


def _rollout(rows, cols, get):
    """SCALE-Sim's anti-diagonal order of a rows x cols matrix."""
    for d in range(rows + cols):
        hi = min(d, rows - 1)
        lo = max(0, d - cols + 1)
        for r in range(hi, lo - 1, -1):
            yield get(r, d - r)


def prefetch_order(df: int, R: int, C: int, M: int, N: int, K: int, ifmap_addr,
                   filter_addr) -> tuple[list[int], list[int]]:
    """(ifmap sequence, filter sequence) of addresses (-1 = padding) in SCALE-Sim's prefetch order."""
    n = {OS: (-(-M // R), -(-N // C)), WS: (-(-K // R), -(-N // C)), IS: (-(-K // R), -(-M // C))}
    n_r, n_c = n[df]
    if df == OS:
        ifm = list(_rollout(n_r * K, R, lambda r, c: ifmap_addr(r // K * R + c, r % K)
                            if r // K * R + c < M else -1))
        fil = list(_rollout(n_c * K, C, lambda r, c: filter_addr(r % K, r // K * C + c)
                            if r // K * C + c < N else -1))
    elif df == WS:
        ifm = list(_rollout(n_r * M, R, lambda r, c: ifmap_addr(r % M, r // M * R + c)
                            if r // M * R + c < K else -1))
        fil = [filter_addr(r % K, r // K * C + c) if r // K * C + c < N else -1
               for r in range(n_c * K) for c in range(C)]
    else:
        ifm = [ifmap_addr(r // K * C + c, r % K) if r // K * C + c < M else -1
               for r in range(n_c * K) for c in range(C)]
        fil = list(_rollout(n_r * N, R, lambda r, c: filter_addr(r // N * R + c, r % N)
                            if r // N * R + c < K else -1))
    return ifm, fil


class _UserReadBuffer:
    def __init__(self, words, bw, sequence):
        self.bw = bw
        active = math.ceil(words * 0.5)
        self.prefetch_words = words - active
        self.active_words = active
        per_set = math.ceil(words / 100)
        self.sets: dict[int, list[int]] = {}
        line, count = 0, 0
        for a in sequence:
            if a != -1:
                ids = self.sets.setdefault(a, [])
                if not ids or ids[-1] != line:
                    ids.append(line)
                count += 1
            if count >= per_set:
                line += 1
                count = 0
        self.num_lines = line + 1
        self.num_active = min(self.num_lines, math.ceil(active / per_set))
        self.num_prefetch = min(self.num_lines - self.num_active,
                                math.ceil(self.prefetch_words / per_set))
        self.fetch_rows = math.ceil(len(sequence) / bw)
        self.started = False
        self.reads = 0
        self.last_prefetch = -1
        self.dram_first = None
        self.window = (0, self.num_active)
        self.sram_first = None
        self.sram_last = None

    def _hit(self, addr):
        start, end = self.window
        for s in self.sets.get(addr, ()):
            if (start <= s < end) if start < end else (s >= start or s < end):
                return True
        return False

    def _prefetch(self):
        start = (self.window[0] + self.num_prefetch) % self.num_lines
        self.window = (start, (start + self.num_active) % self.num_lines)
        lines = math.ceil(self.prefetch_words / self.bw)
        self.reads += lines * self.bw
        self.last_prefetch += lines + 1

    def row(self, cycle, addresses):
        if not self.started:
            lines = min(math.ceil(self.active_words / self.bw), self.fetch_rows)
            self.reads += lines * self.bw
            self.dram_first = cycle - lines
            self.last_prefetch = cycle - 1
            self.started = True
        offset = 1
        any_valid = False
        for a in addresses:
            if a == -1:
                continue
            any_valid = True
            guard = 0
            while not self._hit(a):
                self._prefetch()
                offset = self.last_prefetch - cycle
                guard += 1
                if guard > self.num_lines + 2:
                    raise RuntimeError("address never enters the prefetch window")
        out = cycle + offset
        if any_valid:
            if self.sram_first is None:
                self.sram_first = out
            self.sram_last = out
        return offset - 1


def scalesim_layer_user(df: int, R: int, C: int, H: int, W: int, Fh: int, Fw: int, Ch: int,
                        N: int, Sh: int, Sw: int, ifmap_words: int, filter_words: int,
                        ofmap_words: int, bw: int) -> dict:
    """One layer in SCALE-Sim v2 USER mode at ``bw`` words/cycle; same keys as the CALC kernel."""
    M, K, prow, pcol, base, krow, kcol, off = conv_address_tables(H, W, Fh, Fw, Ch, Sh, Sw)

    def ifmap_addr(m, k):
        if prow[m] + krow[k] < H and pcol[m] + kcol[k] < W:
            return base[m] + off[k]
        return -1

    def filter_addr(k, n):
        return n * K + k

    ifm_seq, fil_seq = prefetch_order(df, R, C, M, N, K, ifmap_addr, filter_addr)
    ifm = _UserReadBuffer(ifmap_words, bw, ifm_seq)
    fil = _UserReadBuffer(filter_words, bw, fil_seq)
    ofm = _WriteBuffer(ofmap_words, bw)
    Sr, Sc = (M, N) if df == OS else ((K, N) if df == WS else (K, M))
    T = K if df == OS else (M if df == WS else N)
    n_r, n_c = -(-Sr // R), -(-Sc // C)
    row = stalls = last_out = 0
    map_eff, comp_util = [], []
    for fc in range(n_c):
        for fr in range(n_r):
            used = min(R, Sr - fr * R) * min(C, Sc - fc * C)
            map_eff.append(used / (R * C))
            cycles = T + R + C - 2 if df == OS else 2 * R + 2 * C + T - 3
            comp_util.append(used * T / (R * C * cycles))
            for irow, frow, w in _fold_streams(df, R, C, M, N, K, fr, fc, ifmap_addr, filter_addr,
                                               None):
                cycle = row + stalls
                s_i = ifm.row(cycle, irow)
                s_f = fil.row(cycle, frow)
                out = ofm.row(cycle, w)
                stalls += int(max(s_i, s_f, out - cycle - 1))
                last_out = out
                row += 1
    ofm.finish(last_out)
    sram_ofmap = M * N + n_r * n_c * (R + C) if df == OS else M * N * n_r
    return {
        "total_cycles": last_out,
        "stall_cycles": stalls,
        "macs": M * N * K,
        "mapping_eff_sum": sum(map_eff),
        "compute_util_sum": sum(comp_util),
        "folds": n_r * n_c,
        "sram_ifmap_reads": M * K * (n_c if df != IS else 1),
        "sram_filter_reads": K * N * (n_r if df == OS else (n_c if df == IS else 1)),
        "sram_ofmap_writes": sram_ofmap,
        "sram_ifmap_start": ifm.sram_first, "sram_ifmap_stop": ifm.sram_last,
        "sram_filter_start": fil.sram_first, "sram_filter_stop": fil.sram_last,
        "sram_ofmap_start": ofm.sram_first, "sram_ofmap_stop": ofm.sram_last,
        "dram_ifmap_start": ifm.dram_first, "dram_ifmap_stop": ifm.last_prefetch,
        "dram_ifmap_reads": ifm.reads,
        "dram_filter_start": fil.dram_first, "dram_filter_stop": fil.last_prefetch,
        "dram_filter_reads": fil.reads,
        "dram_ofmap_start": ofm.dram_first, "dram_ofmap_stop": ofm.dram_last,
        "dram_ofmap_writes": ofm.writes,
    }
