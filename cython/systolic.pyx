# cython: language_level=3
"""Systolic-array GEMM timing, fold by fold, with stationary-operand fetch, shift and streaming.

A GEMM (M x K) . (K x N) on an R x C array is mapped per dataflow to (Sr, Sc, T): the dimension on
the rows, on the columns, and the one streamed in time:  OS (M, N, K), WS (K, N, M), IS (K, M, N).
Folds are ceil(Sr/R) x ceil(Sc/C), column fold outer, row fold inner. For fold i:

  fetch   stationary tile from memory into a FIFO of ``fifo_depth`` tiles (0 cycles if resident)
  shift   the tile into the array (``shift_cycles``, R for a row-per-cycle shift)
  stream  T rows through the array (one per cycle)

Double buffered: tile i+1 shifts into the shadow registers while fold i streams, and streams
back to back. Serialized: fold i+1 shifts only after fold i has drained (R + C - 2 cycles of skew).
The array drains once more at the end. Every cycle of the layer is attributed to one cause:
compute (streaming, plus fill/drain skew), weight_load_stall (waiting for a fetch) or weight_shift.
Cost is O(folds), independent of M, K, N magnitudes.

Contents (semantics in docs/systolic.md and docs/scalesim_differences.md):

* ``gemm_fold_pipeline``: the fold-by-fold pipeline above (the engine's matrix-unit model);
* ``gemm_fold_pipeline_grouped``: the same results, with runs of identical folds advanced in one
  jump once periodic, so the cost does not grow with the fold count either;
* ``scalesim_layer``: one layer exactly as SCALE-Sim v2 reports it (CALC and USER modes),
  replaying SCALE-Sim's demand streams without materialising them.

Twins: accelsim/engine/systolic_ref.py (the two pipelines), accelsim/scalesim/calc_ref.py and
accelsim/scalesim/user_ref.py (``scalesim_layer``).
"""
from libc.math cimport ceil
from libc.stdlib cimport free, malloc, realloc
from libc.string cimport memset


cpdef tuple gemm_fold_pipeline(
    long long Sr, long long Sc, long long T,
    long long rows, long long cols,
    double fetch_bytes_per_element, double fetch_bytes_per_cycle,
    long long fifo_depth, long long shift_cycles, bint double_buffered,
    long long prefetch_lead=0,
):
    """Return (total, compute, weight_load_stall, weight_shift, folds, used_pe_sum).

    ``fetch_bytes_per_element`` = 0 means the stationary operand is already on chip.
    ``prefetch_lead``: cycles before the layer starts during which its fetch stream could already
    run (memory idle, FIFO free); only the first ``fifo_depth`` tiles can land early.
    ``used_pe_sum`` = sum over folds of used rows x used cols (for mapping efficiency).
    """
    cdef long long n_r = (Sr + rows - 1) // rows
    cdef long long n_c = (Sc + cols - 1) // cols
    cdef long long n = n_r * n_c
    cdef long long skew = rows + cols - 2
    cdef long long depth = fifo_depth if fifo_depth > 0 else 1
    cdef long long i, r, c, used_r, used_c, fetch_cycles
    cdef long long fetch_end = -prefetch_lead if prefetch_lead > 0 else 0
    cdef long long fetch_start, shift_start, shift_end
    cdef long long stream_start = 0, stream_end = 0, prev_stream_start = 0, prev_stream_end = 0
    cdef long long stall = 0, shift_wait = 0, gap, stall_part, used_sum = 0
    # ring of the last ``depth`` shift starts (a FIFO slot frees when its tile starts shifting in);
    # with depth >= n folds no slot is ever waited for, so n entries are enough
    cdef long long ring_size = depth if depth < n else n
    cdef long long *ring
    cdef double tile_bytes
    if n == 0 or T == 0:
        return (0, 0, 0, 0, 0, 0)
    ring = <long long *>malloc(ring_size * sizeof(long long))
    if ring == NULL:
        raise MemoryError()
    for i in range(ring_size):
        ring[i] = 0
    i = 0
    for c in range(n_c):
        used_c = cols if (c + 1) * cols <= Sc else Sc - c * cols
        for r in range(n_r):
            used_r = rows if (r + 1) * rows <= Sr else Sr - r * rows
            used_sum += used_r * used_c
            if fetch_bytes_per_element > 0.0 and fetch_bytes_per_cycle > 0.0:
                tile_bytes = <double>(used_r * used_c) * fetch_bytes_per_element
                fetch_cycles = <long long>ceil(tile_bytes / fetch_bytes_per_cycle)
            else:
                fetch_cycles = 0
            fetch_start = fetch_end
            if i >= depth and ring[(i - depth) % ring_size] > fetch_start:
                fetch_start = ring[(i - depth) % ring_size]
            fetch_end = fetch_start + fetch_cycles
            # the shadow (or, serialized, the array itself) must be free
            if i == 0:
                shift_start = fetch_end if fetch_end > 0 else 0
            elif double_buffered:
                shift_start = fetch_end if fetch_end > prev_stream_start else prev_stream_start
            else:
                shift_start = fetch_end if fetch_end > prev_stream_end + skew else prev_stream_end + skew
            ring[i % ring_size] = shift_start
            shift_end = shift_start + shift_cycles
            if i == 0:
                stream_start = shift_end
                stall += shift_start
                shift_wait += shift_cycles
            else:
                if double_buffered:
                    stream_start = shift_end if shift_end > prev_stream_end else prev_stream_end
                    gap = stream_start - prev_stream_end
                else:
                    stream_start = shift_end
                    gap = stream_start - (prev_stream_end + skew)
                # the part of the gap spent waiting for the fetch is a stall, the rest is shifting
                stall_part = fetch_end - (stream_start - gap)
                if stall_part < 0:
                    stall_part = 0
                if stall_part > gap:
                    stall_part = gap
                stall += stall_part
                shift_wait += gap - stall_part
            stream_end = stream_start + T
            prev_stream_start = stream_start
            prev_stream_end = stream_end
            i += 1
    free(ring)
    cdef long long total = stream_end + skew
    cdef long long compute = total - stall - shift_wait
    return (total, compute, stall, shift_wait, n, used_sum)



# ---------------------------------------------------------------------------------------------
# The same pipeline with runs of identical folds advanced in one jump once they are periodic.
# Twin: accelsim/engine/systolic_ref.py ``gemm_fold_pipeline_grouped``.
# ---------------------------------------------------------------------------------------------
DEF MAX_RING = 64
DEF VEC = 6 + MAX_RING  # fetch_end, stream start, stream end, stall, shift_wait, used_sum, ring
DEF MAX_HIST = MAX_RING + 4


cdef struct FoldState:
    long long fetch_end
    long long prev_stream_start
    long long prev_stream_end
    long long stall
    long long shift_wait
    long long used_sum
    long long i
    long long ring_len
    long long ring[MAX_RING]  # shift starts of the last ``depth`` folds, oldest first


cdef struct FoldParams:
    long long rows, cols, T, depth, shift_cycles, skew
    double fetch_bpe, fetch_bpc
    bint double_buffered


cdef void fold_step(FoldState *st, const FoldParams *p, long long used_r, long long used_c) noexcept:
    cdef long long fetch_cycles, fetch_start, fetch_end, shift_start, shift_end, stream_start
    cdef long long gap, stall_part, j
    st.used_sum += used_r * used_c
    if p.fetch_bpe > 0.0 and p.fetch_bpc > 0.0:
        fetch_cycles = <long long>ceil(<double>(used_r * used_c) * p.fetch_bpe / p.fetch_bpc)
    else:
        fetch_cycles = 0
    fetch_start = st.fetch_end
    if st.i >= p.depth and st.ring[0] > fetch_start:
        fetch_start = st.ring[0]
    fetch_end = fetch_start + fetch_cycles
    if st.i == 0:
        shift_start = fetch_end if fetch_end > 0 else 0
    elif p.double_buffered:
        shift_start = fetch_end if fetch_end > st.prev_stream_start else st.prev_stream_start
    else:
        shift_start = fetch_end if fetch_end > st.prev_stream_end + p.skew else st.prev_stream_end + p.skew
    if st.ring_len == p.depth:
        for j in range(1, st.ring_len):
            st.ring[j - 1] = st.ring[j]
        st.ring[st.ring_len - 1] = shift_start
    else:
        st.ring[st.ring_len] = shift_start
        st.ring_len += 1
    shift_end = shift_start + p.shift_cycles
    if st.i == 0:
        stream_start = shift_end
        st.stall += shift_start
        st.shift_wait += p.shift_cycles
    else:
        if p.double_buffered:
            stream_start = shift_end if shift_end > st.prev_stream_end else st.prev_stream_end
            gap = stream_start - st.prev_stream_end
        else:
            stream_start = shift_end
            gap = stream_start - (st.prev_stream_end + p.skew)
        stall_part = fetch_end - (stream_start - gap)
        if stall_part < 0:
            stall_part = 0
        if stall_part > gap:
            stall_part = gap
        st.stall += stall_part
        st.shift_wait += gap - stall_part
    st.fetch_end = fetch_end
    st.prev_stream_start = stream_start
    st.prev_stream_end = stream_start + p.T
    st.i += 1


cdef struct History:
    long long n        # snapshots held (at most MAX_HIST, newest last)
    long long width
    long long snap[MAX_HIST][VEC]


cdef void hist_reset(History *h, const FoldState *st) noexcept:
    h.n = 0
    hist_push(h, st)


cdef void hist_push(History *h, const FoldState *st) noexcept:
    cdef long long j, k
    if h.n == MAX_HIST:
        for k in range(1, MAX_HIST):
            for j in range(VEC):
                h.snap[k - 1][j] = h.snap[k][j]
        h.n -= 1
    h.snap[h.n][0] = st.fetch_end
    h.snap[h.n][1] = st.prev_stream_start
    h.snap[h.n][2] = st.prev_stream_end
    h.snap[h.n][3] = st.stall
    h.snap[h.n][4] = st.shift_wait
    h.snap[h.n][5] = st.used_sum
    for j in range(st.ring_len):
        h.snap[h.n][6 + j] = st.ring[j]
    h.width = 6 + st.ring_len
    h.n += 1


cdef bint hist_steady(const History *h, long long need) noexcept:
    """The last ``need`` steps added the same vector, moving every time stamp by the same amount."""
    cdef long long j, k, a = h.n - 1, b = h.n - 2, lam
    if h.n < need + 1:
        return False
    lam = h.snap[a][0] - h.snap[b][0]
    if h.snap[a][1] - h.snap[b][1] != lam or h.snap[a][2] - h.snap[b][2] != lam:
        return False
    for j in range(6, h.width):
        if h.snap[a][j] - h.snap[b][j] != lam:
            return False
    for k in range(2, need + 1):
        for j in range(h.width):
            if h.snap[h.n - k][j] - h.snap[h.n - k - 1][j] != h.snap[a][j] - h.snap[b][j]:
                return False
    return True


cdef void hist_jump(FoldState *st, const History *h, long long times, long long folds_per_step) noexcept:
    cdef long long a = h.n - 1, b = h.n - 2, j
    st.fetch_end += times * (h.snap[a][0] - h.snap[b][0])
    st.prev_stream_start += times * (h.snap[a][1] - h.snap[b][1])
    st.prev_stream_end += times * (h.snap[a][2] - h.snap[b][2])
    st.stall += times * (h.snap[a][3] - h.snap[b][3])
    st.shift_wait += times * (h.snap[a][4] - h.snap[b][4])
    st.used_sum += times * (h.snap[a][5] - h.snap[b][5])
    for j in range(st.ring_len):
        st.ring[j] += times * (h.snap[a][6 + j] - h.snap[b][6 + j])
    st.i += times * folds_per_step


cdef void column_fold(FoldState *st, const FoldParams *p, History *h, long long n_r,
                      long long last_r, long long used_c) noexcept:
    cdef long long done = 0
    hist_reset(h, st)
    while done < n_r - 1:
        fold_step(st, p, p.rows, used_c)
        done += 1
        hist_push(h, st)
        if done < n_r - 1 and hist_steady(h, p.depth + 2):
            hist_jump(st, h, n_r - 1 - done, 1)
            done = n_r - 1
    fold_step(st, p, last_r, used_c)


cpdef tuple gemm_fold_pipeline_grouped(
    long long Sr, long long Sc, long long T,
    long long rows, long long cols,
    double fetch_bytes_per_element, double fetch_bytes_per_cycle,
    long long fifo_depth, long long shift_cycles, bint double_buffered,
    long long prefetch_lead=0,
):
    """``gemm_fold_pipeline`` with the same result, in time independent of the number of folds.

    Runs of identical folds (same used rows and columns, hence the same fetch) and runs of
    identical column folds are stepped until the max-plus recurrence is periodic (every time stamp
    advances by the same amount for ``fifo_depth + 2`` folds, or 3 column folds), then advanced in
    one jump. FIFO depths above 64 fall back to the fold-by-fold function.
    """
    cdef long long n_r = (Sr + rows - 1) // rows
    cdef long long n_c = (Sc + cols - 1) // cols
    if n_r * n_c == 0 or T == 0:
        return (0, 0, 0, 0, 0, 0)
    cdef long long depth = fifo_depth if fifo_depth > 0 else 1
    if depth > MAX_RING:
        return gemm_fold_pipeline(Sr, Sc, T, rows, cols, fetch_bytes_per_element,
                                  fetch_bytes_per_cycle, fifo_depth, shift_cycles,
                                  double_buffered, prefetch_lead)
    cdef FoldParams p
    p.rows = rows
    p.cols = cols
    p.T = T
    p.depth = depth
    p.shift_cycles = shift_cycles
    p.skew = rows + cols - 2
    p.fetch_bpe = fetch_bytes_per_element
    p.fetch_bpc = fetch_bytes_per_cycle
    p.double_buffered = double_buffered
    cdef FoldState st
    st.fetch_end = -prefetch_lead if prefetch_lead > 0 else 0
    st.prev_stream_start = st.prev_stream_end = 0
    st.stall = st.shift_wait = st.used_sum = st.i = st.ring_len = 0
    cdef History *fold_hist = <History *>malloc(sizeof(History))
    cdef History *block_hist = <History *>malloc(sizeof(History))
    if fold_hist == NULL or block_hist == NULL:
        free(fold_hist)
        free(block_hist)
        raise MemoryError()
    cdef long long last_r = Sr - (n_r - 1) * rows
    cdef long long full_c = n_c - 1 if Sc % cols else n_c
    cdef long long done = 0
    hist_reset(block_hist, &st)
    while done < full_c:
        column_fold(&st, &p, fold_hist, n_r, last_r, cols)
        done += 1
        hist_push(block_hist, &st)
        if done < full_c and hist_steady(block_hist, 3):
            hist_jump(&st, block_hist, full_c - done, n_r)
            done = full_c
    if full_c < n_c:
        column_fold(&st, &p, fold_hist, n_r, last_r, Sc - full_c * cols)
    free(fold_hist)
    free(block_hist)
    cdef long long total = st.prev_stream_end + p.skew
    return (total, total - st.stall - st.shift_wait, st.stall, st.shift_wait, n_r * n_c,
            st.used_sum)


# ---------------------------------------------------------------------------------------------
# SCALE-Sim v2 compatibility: one layer in CALC mode, replaying SCALE-Sim's demand streams.
# Pure-Python twin: accelsim/scalesim/calc_ref.py (``scalesim_layer``); semantics in
# docs/scalesim_differences.md. Streams are generated on the fly (never materialised); an operand
# whose distinct addresses fit in one epoch of its read buffer skips the per-address work.
# ---------------------------------------------------------------------------------------------

cdef enum:
    DF_OS = 0
    DF_WS = 1
    DF_IS = 2


cdef enum:
    MODE_SKIP = 0     # distinct addresses fit in one epoch: DRAM reads = distinct addresses
    MODE_ONCE = 1     # every address is requested once: every request is a DRAM read
    MODE_REPLAY = 2   # addresses repeat: replay first touches per epoch with 16-bit epoch tags
    MODE_USER = 3     # USER bandwidth mode: SCALE-Sim's prefetch-window buffer


cdef struct ReadStream:
    int mode
    UserBuf *user          # MODE_USER only
    long long row_offset   # MODE_USER: service cycle - issue cycle of the current row
    unsigned short *stamp  # tag of the epoch that last fetched each address (0 = never)
    long long size
    unsigned short tag
    long long set_words
    long long epoch_words
    long long epoch
    long long in_epoch
    long long misses
    long long transitions
    long long last_transition_cycle
    long long first_cycle
    long long sram_first
    long long sram_last
    # periodic passes (MODE_REPLAY): a pass is a stretch of the stream that repeats identically
    # (OS/WS ifmap and IS filter: one column fold; OS filter: one fold). The epoch's contents at
    # the end of a pass are fixed by where in the pass its last epoch change happened (from there
    # on the same requests meet an empty epoch). When two passes in a row change epoch last at the
    # same request (or a pass misses nothing), the next pass starts in the state the previous one
    # started in, so every later pass repeats it: they are counted, not replayed, except the
    # group's last pass, which is replayed for the exact cycle stamps.
    long long tag_epoch
    long long touches
    long long last_transition_touch
    bint skipping
    bint skip_now
    bint have_prev
    long long prev_position
    long long pass_touch0
    long long pass_m0
    long long pass_t0
    long long last_pass_m
    long long last_pass_t


# SCALE-Sim's USER-mode read buffer (twin: accelsim/scalesim/user_ref.py)
cdef struct UserBuf:
    long long *offs        # CSR: set ids of address a are ids[offs[a]:offs[a+1]]
    int *ids
    long long num_lines
    long long num_active
    long long num_prefetch
    long long win_start
    long long win_end
    long long prefetch_lines
    long long bw
    long long last_prefetch
    long long reads
    long long dram_first
    bint lost             # an address outside every set (SCALE-Sim would loop forever)


cdef struct AddrCtx:
    const long long *prow
    const long long *pcol
    const long long *base
    const long long *krow
    const long long *kcol
    const long long *off
    long long H, W, M, K, N, R, C, n_r, n_c


cdef inline long long ctx_ifmap(const AddrCtx *x, long long m, long long k) noexcept nogil:
    if x.prow[m] + x.krow[k] < x.H and x.pcol[m] + x.kcol[k] < x.W:
        return x.base[m] + x.off[k]
    return -1


cdef enum:
    PF_OS_IFMAP = 0
    PF_OS_FILTER = 1
    PF_WS_IFMAP = 2
    PF_WS_FILTER = 3
    PF_IS_IFMAP = 4
    PF_IS_FILTER = 5


cdef inline long long pf_elem(const AddrCtx *x, int kind, long long r, long long c) noexcept nogil:
    """Element (r, c) of SCALE-Sim's prefetch matrix of ``kind`` (-1: padding)."""
    cdef long long m, n, k
    if kind == PF_OS_IFMAP:
        m = (r // x.K) * x.R + c
        return ctx_ifmap(x, m, r % x.K) if m < x.M else -1
    if kind == PF_OS_FILTER or kind == PF_WS_FILTER:
        n = (r // x.K) * x.C + c
        return n * x.K + r % x.K if n < x.N else -1
    if kind == PF_WS_IFMAP:
        k = (r // x.M) * x.R + c
        return ctx_ifmap(x, r % x.M, k) if k < x.K else -1
    if kind == PF_IS_IFMAP:
        m = (r // x.K) * x.C + c
        return ctx_ifmap(x, m, r % x.K) if m < x.M else -1
    k = (r // x.N) * x.R + c  # PF_IS_FILTER
    return (r % x.N) * x.K + k if k < x.K else -1


cdef long long user_scan(const AddrCtx *x, int kind, long long rows, long long cols, bint rollout,
                         long long per_set, long long *last, long long *offs, int *ids) noexcept:
    """Walk the prefetch order once, giving every address the sets it falls in (each set once per
    address). Counting pass when ``ids`` is NULL (offs[a] += count), else filling pass (offs[a] is
    the next free slot). Returns the number of sets."""
    cdef long long d, r, r_hi, r_lo, c, a, line = 0, count = 0
    cdef long long total = rows + cols if rollout else rows
    for d in range(total):
        if rollout:
            r_hi = d if d < rows - 1 else rows - 1
            r_lo = d - cols + 1 if d - cols + 1 > 0 else 0
        else:
            r_hi = cols - 1
            r_lo = 0
        for r in range(r_hi, r_lo - 1, -1):
            if rollout:
                a = pf_elem(x, kind, r, d - r)
            else:
                a = pf_elem(x, kind, d, cols - 1 - r)
            if a >= 0:
                if last[a] != line:
                    last[a] = line
                    if ids == NULL:
                        offs[a] += 1
                    else:
                        ids[offs[a]] = <int>line
                        offs[a] += 1
                count += 1
            if count >= per_set:
                line += 1
                count = 0
    return line + 1


cdef inline bint user_hit(const UserBuf *u, long long addr) noexcept nogil:
    cdef long long j, s
    for j in range(u.offs[addr], u.offs[addr + 1]):
        s = u.ids[j]
        if u.win_start < u.win_end:
            if u.win_start <= s < u.win_end:
                return True
        elif s >= u.win_start or s < u.win_end:
            return True
    return False


cdef inline void user_touch(UserBuf *u, long long addr, long long cycle, long long *offset) noexcept nogil:
    cdef long long guard = 0
    while not user_hit(u, addr):
        u.win_start = (u.win_start + u.num_prefetch) % u.num_lines
        u.win_end = (u.win_start + u.num_active) % u.num_lines
        u.reads += u.prefetch_lines * u.bw
        u.last_prefetch += u.prefetch_lines + 1
        offset[0] = u.last_prefetch - cycle
        guard += 1
        if guard > u.num_lines + 2:
            u.lost = True
            return


def _user_buffer_arrays(long long size, long long words, long long bw, int kind, long long rows,
                        long long cols, bint rollout, object ctx_arrays, tuple dims):
    """numpy arrays (offs, ids) and the set counts of one USER-mode read buffer."""
    import numpy as np
    cdef long long per_set = (words + 99) // 100
    cdef AddrCtx x
    cdef long long[::1] prow = ctx_arrays[0], pcol = ctx_arrays[1], base = ctx_arrays[2]
    cdef long long[::1] krow = ctx_arrays[3], kcol = ctx_arrays[4], off = ctx_arrays[5]
    x.prow = &prow[0]
    x.pcol = &pcol[0]
    x.base = &base[0]
    x.krow = &krow[0]
    x.kcol = &kcol[0]
    x.off = &off[0]
    x.H, x.W, x.M, x.K, x.N, x.R, x.C, x.n_r, x.n_c = dims
    last_a = np.full(size, -1, dtype=np.int64)
    offs_a = np.zeros(size + 1, dtype=np.int64)
    cdef long long[::1] last = last_a, offs = offs_a
    cdef long long lines = user_scan(&x, kind, rows, cols, rollout, per_set, &last[0], &offs[1],
                                     NULL)
    np.cumsum(offs_a, out=offs_a)
    ids_a = np.zeros(max(1, int(offs_a[size])), dtype=np.int32)
    cdef int[::1] ids = ids_a
    fill_a = offs_a[:size].copy()
    cdef long long[::1] fill = fill_a
    last_a.fill(-1)
    user_scan(&x, kind, rows, cols, rollout, per_set, &last[0], &fill[0], &ids[0])
    return offs_a, ids_a, lines, per_set


cdef struct WriteBuffer:
    long long total
    long long drain_size
    long long bw
    long long free_words
    long long line_fill
    long long drain_end
    long long writes
    long long dram_first
    long long dram_last
    long long sram_first
    long long sram_last
    # queue of runs of lines: run_lines[i] lines holding run_words[i] words each
    long long *run_lines
    long long *run_words
    long long head
    long long tail
    long long cap


cdef inline void rs_new_epochs(ReadStream *rs, long long count, long long cycle) noexcept nogil:
    rs.epoch += count
    rs.transitions += count
    rs.last_transition_cycle = cycle
    if rs.mode == MODE_REPLAY:
        rs.last_transition_touch = rs.touches
        rs.tag_epoch += 1  # one epoch at a time in this mode
        rs.tag = <unsigned short>(rs.tag_epoch % 65535 + 1)
        if rs.tag == 1:  # tags wrapped: forget every old tag
            memset(rs.stamp, 0, rs.size * sizeof(unsigned short))


cdef inline void rs_pass_begin(ReadStream *rs, bint last) noexcept nogil:
    rs.skip_now = rs.mode == MODE_REPLAY and rs.skipping and not last
    rs.pass_touch0 = rs.touches
    rs.pass_m0 = rs.misses
    rs.pass_t0 = rs.transitions


cdef inline void rs_pass_end(ReadStream *rs) noexcept nogil:
    cdef long long pm, pt, position
    if rs.mode != MODE_REPLAY:
        return
    if rs.skip_now:
        rs.misses += rs.last_pass_m
        rs.transitions += rs.last_pass_t
        return
    pm = rs.misses - rs.pass_m0
    pt = rs.transitions - rs.pass_t0
    position = rs.last_transition_touch - rs.pass_touch0 if pt > 0 else -1
    if pm == 0 or (pt > 0 and rs.have_prev and position == rs.prev_position):
        rs.skipping = True
    rs.prev_position = position
    rs.last_pass_m = pm
    rs.last_pass_t = pt
    rs.have_prev = True


cdef inline void rs_group_reset(ReadStream *rs) noexcept nogil:
    rs.have_prev = False
    rs.skipping = False
    rs.skip_now = False


cdef inline void rs_touch(ReadStream *rs, long long addr, long long cycle) noexcept nogil:
    if rs.mode == MODE_USER:
        user_touch(rs.user, addr, cycle, &rs.row_offset)
        return
    rs.touches += 1
    if rs.stamp[addr] == rs.tag:
        return
    rs.stamp[addr] = rs.tag
    rs.misses += 1
    rs.in_epoch += 1
    if rs.in_epoch == rs.epoch_words:
        rs.in_epoch = 0
        rs_new_epochs(rs, 1, cycle)


cdef inline void rs_count(ReadStream *rs, long long n, long long cycle) noexcept nogil:
    """``n`` requests that are all first touches (MODE_ONCE)."""
    cdef long long full
    rs.misses += n
    rs.in_epoch += n
    if rs.in_epoch >= rs.epoch_words:
        full = rs.in_epoch // rs.epoch_words
        rs.in_epoch -= full * rs.epoch_words
        rs_new_epochs(rs, full, cycle)


cdef inline void rs_row_seen(ReadStream *rs, long long cycle) noexcept nogil:
    cdef long long out = cycle + (rs.row_offset if rs.mode == MODE_USER else 1)
    if rs.first_cycle < 0:
        rs.first_cycle = cycle
        rs.sram_first = out
    rs.sram_last = out


cdef int wb_push(WriteBuffer *wb, long long n_lines, long long words) except -1:
    cdef long long i, n
    if n_lines <= 0:
        return 0
    if wb.tail > wb.head and wb.run_words[wb.tail - 1] == words:
        wb.run_lines[wb.tail - 1] += n_lines
        return 0
    if wb.tail == wb.cap:
        n = wb.tail - wb.head
        if wb.head > 0 and n < wb.cap // 2:
            for i in range(n):
                wb.run_lines[i] = wb.run_lines[wb.head + i]
                wb.run_words[i] = wb.run_words[wb.head + i]
            wb.head = 0
            wb.tail = n
        else:
            wb.cap *= 2
            wb.run_lines = <long long *>realloc(wb.run_lines, wb.cap * sizeof(long long))
            wb.run_words = <long long *>realloc(wb.run_words, wb.cap * sizeof(long long))
            if wb.run_lines == NULL or wb.run_words == NULL:
                raise MemoryError()
    wb.run_lines[wb.tail] = n_lines
    wb.run_words[wb.tail] = words
    wb.tail += 1
    return 0


cdef int wb_store(WriteBuffer *wb, long long n) except -1:
    cdef long long full
    wb.line_fill += n
    wb.free_words -= n
    full = wb.line_fill // wb.bw
    if full:
        wb_push(wb, full, wb.bw)
        wb.line_fill -= full * wb.bw
    return 0


cdef long long wb_drain(WriteBuffer *wb, long long start_cycle):
    """Drain up to ceil(half / bw) lines from ``start_cycle``; returns the last drain cycle."""
    cdef long long want = (wb.drain_size + wb.bw - 1) // wb.bw
    cdef long long got = 0, take, last_words = 0, size
    while got < want and wb.head < wb.tail:
        take = wb.run_lines[wb.head]
        if take > want - got:
            take = want - got
        got += take
        last_words = wb.run_words[wb.head]
        wb.run_lines[wb.head] -= take
        if wb.run_lines[wb.head] == 0:
            wb.head += 1
    if got == 0:
        return start_cycle - 1
    size = got * wb.bw - (wb.bw - last_words)
    wb.writes += size
    wb.free_words += size
    if wb.dram_first == -(1 << 62):
        wb.dram_first = start_cycle
    wb.dram_last = start_cycle + got - 1
    return start_cycle + got - 1


cdef long long wb_row(WriteBuffer *wb, long long cycle, long long n) except? -1:
    """Write ``n`` words issued at ``cycle``; returns the cycle at which the row completes."""
    cdef long long current = cycle, j
    cdef long long active = wb.total - wb.drain_size
    while n > 0:
        if current < wb.drain_end:
            if wb.free_words - n > 0:
                wb_store(wb, n)
                n = 0
            else:
                j = wb.free_words if wb.free_words > 1 else 1
                wb_store(wb, j)
                n -= j
                current = wb.drain_end
        else:
            j = wb.free_words - active + 1
            if j < 1:
                j = 1
            if j > n:
                wb_store(wb, n)
                n = 0
            else:
                wb_store(wb, j)
                n -= j
                if wb.line_fill:
                    wb_push(wb, 1, wb.line_fill)
                    wb.line_fill = 0
                wb.drain_end = wb_drain(wb, current)
    return current


cdef long long covered(long long size, long long window, long long stride, long long outs):
    """How many of ``size`` positions at least one of ``outs`` windows touches."""
    cdef long long o, lo, hi, count = 0, reach = 0
    for o in range(outs):
        lo = o * stride
        hi = lo + window
        if hi > size:
            hi = size
        if lo < reach:
            lo = reach
        if hi > lo:
            count += hi - lo
            reach = hi
    return count


cdef void user_setup(UserBuf *u, object offs_a, object ids_a, long long lines, long long per_set,
                     long long words, long long bw, long long sequence_len):
    cdef long long[::1] offs = offs_a
    cdef int[::1] ids = ids_a
    cdef long long active = (words + 1) // 2
    cdef long long prefetch_words = words - active
    cdef long long fetch_rows = (sequence_len + bw - 1) // bw
    cdef long long first_lines = (active + bw - 1) // bw
    u.offs = &offs[0]
    u.ids = &ids[0]
    u.num_lines = lines
    u.num_active = min(lines, (active + per_set - 1) // per_set)
    u.num_prefetch = min(lines - u.num_active, (prefetch_words + per_set - 1) // per_set)
    u.win_start = 0
    u.win_end = u.num_active
    u.bw = bw
    u.prefetch_lines = (prefetch_words + bw - 1) // bw
    if first_lines > fetch_rows:
        first_lines = fetch_rows
    u.reads = first_lines * bw
    u.dram_first = -first_lines  # the first row is serviced at cycle 0
    u.last_prefetch = -1
    u.lost = False


def scalesim_layer(int df, long long R, long long C, long long H, long long W, long long Fh,
                   long long Fw, long long Ch, long long N, long long Sh, long long Sw,
                   long long ifmap_words, long long filter_words, long long ofmap_words,
                   long long ofmap_bw, long long user_bw=0):
    """One layer in SCALE-Sim v2 CALC mode (``user_bw`` = 0) or USER mode at ``user_bw``
    words/cycle. Twins: accelsim/scalesim/calc_ref.py, accelsim/scalesim/user_ref.py.

    ``df``: 0 OS, 1 WS, 2 IS. Sizes in words (1 byte each), ``ofmap_bw`` in words/cycle (CALC:
    ArrayWidth; USER: the same as ``user_bw``). Returns a dict with the same keys as the twins.
    """
    import numpy as np
    cdef long long Ho = (H - Fh + Sh + Sh - 1) // Sh
    cdef long long Wo = (W - Fw + Sw + Sw - 1) // Sw
    cdef long long M = Ho * Wo, K = Fh * Fw * Ch
    cdef long long m, k, kr, kc, rest
    prow_a = np.empty(M, dtype=np.int64)
    pcol_a = np.empty(M, dtype=np.int64)
    base_a = np.empty(M, dtype=np.int64)
    krow_a = np.empty(K, dtype=np.int64)
    kcol_a = np.empty(K, dtype=np.int64)
    off_a = np.empty(K, dtype=np.int64)
    cdef long long[::1] prow = prow_a, pcol = pcol_a, base = base_a
    cdef long long[::1] krow = krow_a, kcol = kcol_a, off = off_a
    for m in range(M):
        prow[m] = (m // Wo) * Sh
        pcol[m] = (m % Wo) * Sw
        base[m] = (prow[m] * W + pcol[m]) * Ch
    for k in range(K):
        kr = k // (Fw * Ch)
        rest = k % (Fw * Ch)
        kc = rest // Ch
        krow[k] = kr
        kcol[k] = kc
        off[k] = (kr * W + kc) * Ch + rest % Ch

    cdef long long Sr, Sc, T
    if df == DF_OS:
        Sr, Sc, T = M, N, K
    elif df == DF_WS:
        Sr, Sc, T = K, N, M
    else:
        Sr, Sc, T = K, M, N
    cdef long long n_r = (Sr + R - 1) // R, n_c = (Sc + C - 1) // C
    cdef long long length = T + R + C - 2 if df == DF_OS else 2 * R + C + T - 2
    cdef long long util_len = T + R + C - 2 if df == DF_OS else 2 * R + 2 * C + T - 3

    cdef ReadStream ifm, fil
    cdef WriteBuffer wb
    cdef long long ifmap_unique = covered(H, Fh, Sh, Ho) * covered(W, Fw, Sw, Wo) * Ch
    cdef long long filter_unique = K * N
    ifm.set_words = ifmap_words // 100
    ifm.epoch_words = 50 * ifm.set_words
    fil.set_words = filter_words // 100
    fil.epoch_words = 50 * fil.set_words
    ifm.epoch = fil.epoch = 0
    ifm.in_epoch = fil.in_epoch = 0
    ifm.transitions = fil.transitions = 0
    ifm.last_transition_cycle = fil.last_transition_cycle = 0
    ifm.first_cycle = fil.first_cycle = -1
    ifm.sram_first = fil.sram_first = -1
    ifm.sram_last = fil.sram_last = -1
    # how each read stream is replayed (see MODE_*): the per-address replay only where needed
    # A stream made of identical passes, each without a repeated address, misses on every
    # request once a pass holds at least an epoch of addresses: the addresses still in the epoch
    # when a pass ends are the pass's last ones, and the next pass reaches them only after an
    # epoch change has forgotten them. (Smaller operands take MODE_SKIP.) Passes: OS/WS ifmap and
    # IS filter, one per column fold; OS filter, one per fold; WS filter and IS ifmap, one.
    cdef bint ifmap_no_dup = Fh <= Sh and Fw <= Sw  # windows never overlap: no repeated address
    cdef bint ifmap_once, filter_once
    cdef long long last_used_c = Sc - (n_c - 1) * C
    ifmap_once = ifmap_no_dup
    if df == DF_OS:
        filter_once = n_r == 1 or K * last_used_c >= 50 * (filter_words // 100)
    else:
        filter_once = True
    ifm.misses = fil.misses = 0
    ifm.tag_epoch = fil.tag_epoch = 0
    ifm.touches = fil.touches = 0
    ifm.last_transition_touch = fil.last_transition_touch = 0
    rs_group_reset(&ifm)
    rs_group_reset(&fil)
    ifm.tag = fil.tag = 1
    ifm.stamp = fil.stamp = NULL
    ifm.size = H * W * Ch
    fil.size = K * N
    ifm_stamp_a = None
    fil_stamp_a = None
    cdef unsigned short[::1] ifm_stamp_v, fil_stamp_v
    ifm.row_offset = fil.row_offset = 1
    ifm.user = fil.user = NULL
    cdef UserBuf ub_ifm, ub_fil
    user_keep = []  # keeps the USER-mode arrays alive
    if user_bw > 0:
        ifm.mode = fil.mode = MODE_USER
        dims = (H, W, M, K, N, R, C, n_r, n_c)
        tables = (prow_a, pcol_a, base_a, krow_a, kcol_a, off_a)
        if df == DF_OS:
            specs = ((PF_OS_IFMAP, n_r * K, R, True), (PF_OS_FILTER, n_c * K, C, True))
        elif df == DF_WS:
            specs = ((PF_WS_IFMAP, n_r * M, R, True), (PF_WS_FILTER, n_c * K, C, False))
        else:
            specs = ((PF_IS_IFMAP, n_c * K, C, False), (PF_IS_FILTER, n_r * N, R, True))
        for which in range(2):
            kind, pf_rows, pf_cols, rollout = specs[which]
            words = ifmap_words if which == 0 else filter_words
            size = H * W * Ch if which == 0 else K * N
            offs_a, ids_a, lines, per_set = _user_buffer_arrays(
                size, words, user_bw, kind, pf_rows, pf_cols, rollout, tables, dims)
            user_keep.append((offs_a, ids_a))
            if which == 0:
                user_setup(&ub_ifm, offs_a, ids_a, lines, per_set, words, user_bw,
                           pf_rows * pf_cols)
                ifm.user = &ub_ifm
            else:
                user_setup(&ub_fil, offs_a, ids_a, lines, per_set, words, user_bw,
                           pf_rows * pf_cols)
                fil.user = &ub_fil
    elif ifmap_unique < ifm.epoch_words:
        ifm.mode = MODE_SKIP
        ifm.misses = ifmap_unique
    elif ifmap_once:
        ifm.mode = MODE_ONCE
    else:
        ifm.mode = MODE_REPLAY
        ifm_stamp_a = np.zeros(ifm.size, dtype=np.uint16)
        ifm_stamp_v = ifm_stamp_a
        ifm.stamp = &ifm_stamp_v[0]
    if user_bw > 0:
        pass
    elif filter_unique < fil.epoch_words:
        fil.mode = MODE_SKIP
        fil.misses = filter_unique
    elif filter_once:
        fil.mode = MODE_ONCE
    else:
        fil.mode = MODE_REPLAY
        fil_stamp_a = np.zeros(fil.size, dtype=np.uint16)
        fil_stamp_v = fil_stamp_a
        fil.stamp = &fil_stamp_v[0]

    wb.total = ofmap_words
    wb.drain_size = ofmap_words - (ofmap_words + 1) // 2
    wb.bw = ofmap_bw
    wb.free_words = ofmap_words
    wb.line_fill = 0
    wb.drain_end = 0
    wb.writes = 0
    wb.dram_first = -(1 << 62)
    wb.dram_last = 0
    wb.sram_first = -1
    wb.sram_last = -1
    wb.cap = 64
    wb.head = wb.tail = 0
    wb.run_lines = <long long *>malloc(wb.cap * sizeof(long long))
    wb.run_words = <long long *>malloc(wb.cap * sizeof(long long))
    if wb.run_lines == NULL or wb.run_words == NULL:
        raise MemoryError()

    cdef long long fr, fc, t, c, lo, hi, used_r, used_c, row = 0, stalls = 0, cycle, out = 0
    cdef long long last_out = 0, n_words, s, a, kk, mm, nn, nvalid
    cdef bint ifm_touch, fil_touch
    cdef double map_sum = 0.0, util_sum = 0.0
    # every im2col entry is a real address when the last window fits inside the ifmap
    cdef bint all_valid = (Ho - 1) * Sh + Fh <= H and (Wo - 1) * Sw + Fw <= W
    try:
        for fc in range(n_c):
            used_c = C if (fc + 1) * C <= Sc else Sc - fc * C
            if df != DF_IS:
                rs_pass_begin(&ifm, fc == n_c - 1)
            elif df == DF_IS:
                rs_pass_begin(&fil, fc == n_c - 1)
            if df == DF_OS:
                rs_group_reset(&fil)
            for fr in range(n_r):
                used_r = R if (fr + 1) * R <= Sr else Sr - fr * R
                map_sum += <double>(used_r * used_c) / <double>(R * C)
                util_sum += <double>(used_r * used_c * T) / <double>(R * C * util_len)
                if df == DF_OS:
                    rs_pass_begin(&fil, fr == n_r - 1)
                ifm_touch = (ifm.mode == MODE_REPLAY and not ifm.skip_now) or ifm.mode == MODE_USER
                fil_touch = (fil.mode == MODE_REPLAY and not fil.skip_now) or fil.mode == MODE_USER
                for t in range(length):
                    cycle = row + stalls
                    ifm.row_offset = 1
                    fil.row_offset = 1
                    # ---- IFMAP row ----
                    nvalid = 0
                    lo = 0
                    hi = -1
                    if df == DF_OS or df == DF_WS:
                        if df == DF_OS:
                            lo = t - T + 1
                            hi = t
                        else:
                            lo = t - R - T + 1
                            hi = t - R
                        if lo < 0:
                            lo = 0
                        if hi > used_r - 1:
                            hi = used_r - 1
                    elif t < R and fr * R + R - 1 - t < K:
                        hi = used_c - 1
                    if hi >= lo:
                        if all_valid:
                            nvalid = hi - lo + 1
                            if ifm_touch:
                                if df == DF_OS:
                                    for c in range(lo, hi + 1):
                                        rs_touch(&ifm, base[fr * R + c] + off[t - c], cycle)
                                elif df == DF_WS:
                                    for c in range(lo, hi + 1):
                                        rs_touch(&ifm, base[t - c - R] + off[fr * R + c], cycle)
                                else:
                                    kk = fr * R + R - 1 - t
                                    for c in range(lo, hi + 1):
                                        rs_touch(&ifm, base[fc * C + c] + off[kk], cycle)
                        else:
                            for c in range(lo, hi + 1):
                                if df == DF_OS:
                                    mm = fr * R + c
                                    kk = t - c
                                elif df == DF_WS:
                                    mm = t - c - R
                                    kk = fr * R + c
                                else:
                                    mm = fc * C + c
                                    kk = fr * R + R - 1 - t
                                if prow[mm] + krow[kk] < H and pcol[mm] + kcol[kk] < W:
                                    nvalid += 1
                                    if ifm_touch:
                                        rs_touch(&ifm, base[mm] + off[kk], cycle)
                                    elif ifm.mode != MODE_ONCE:
                                        break
                    if nvalid:
                        if ifm.mode == MODE_ONCE:
                            rs_count(&ifm, nvalid, cycle)
                        rs_row_seen(&ifm, cycle)
                    # ---- FILTER row (every filter address is a real request) ----
                    lo = 0
                    hi = -1
                    if df == DF_OS:
                        lo = t - T + 1
                        if lo < 0:
                            lo = 0
                        hi = t if t < used_c - 1 else used_c - 1
                    elif df == DF_WS:
                        if t < R and fr * R + R - 1 - t < K:
                            hi = used_c - 1
                    else:
                        lo = t - R - T + 1
                        hi = t - R
                        if lo < 0:
                            lo = 0
                        if hi > used_r - 1:
                            hi = used_r - 1
                    if hi >= lo:
                        if fil.mode == MODE_ONCE:
                            rs_count(&fil, hi - lo + 1, cycle)
                        elif fil_touch:
                            if df == DF_OS:
                                for c in range(lo, hi + 1):
                                    rs_touch(&fil, (fc * C + c) * K + t - c, cycle)
                            elif df == DF_WS:
                                kk = fr * R + R - 1 - t
                                for c in range(lo, hi + 1):
                                    rs_touch(&fil, (fc * C + c) * K + kk, cycle)
                            else:
                                for c in range(lo, hi + 1):
                                    rs_touch(&fil, (t - c - R) * K + fr * R + c, cycle)
                        rs_row_seen(&fil, cycle)
                    # ---- OFMAP row ----
                    if df == DF_OS:
                        lo = t - (T - 1) - (R - 1)
                        hi = t - (T - 1) - (R - used_r)
                    else:
                        lo = t - (2 * R - 1) - T + 1
                        hi = t - (2 * R - 1)
                    if lo < 0:
                        lo = 0
                    if hi > used_c - 1:
                        hi = used_c - 1
                    n_words = hi - lo + 1 if hi >= lo else 0
                    out = wb_row(&wb, cycle, n_words) if n_words else cycle
                    if n_words:
                        if wb.sram_first < 0:
                            wb.sram_first = out
                        wb.sram_last = out
                    if user_bw > 0:  # the row's stall: the worst of the three (can be < 0)
                        n_words = out - cycle - 1
                        if ifm.row_offset - 1 > n_words:
                            n_words = ifm.row_offset - 1
                        if fil.row_offset - 1 > n_words:
                            n_words = fil.row_offset - 1
                        stalls += n_words
                    elif out - cycle - 1 > 0:
                        stalls += out - cycle - 1
                    last_out = out
                    row += 1
                if df == DF_OS:
                    rs_pass_end(&fil)
            if df != DF_IS:
                rs_pass_end(&ifm)
            else:
                rs_pass_end(&fil)
        # final drain of the write buffer
        if wb.line_fill:
            wb_push(&wb, 1, wb.line_fill)
            wb.line_fill = 0
        cycle = last_out
        while wb.head < wb.tail:
            wb.drain_end = wb_drain(&wb, cycle)
            cycle = wb.drain_end + 1
    finally:
        free(wb.run_lines)
        free(wb.run_words)

    cdef long long i0, i1, f0, f1, sets
    if ifm.transitions == 0:
        sets = (ifm.misses + ifm.set_words - 1) // ifm.set_words
        i0 = -((sets * ifm.set_words + 9) // 10)
        i1 = -1
    else:
        i0 = ifm.first_cycle - (ifm.epoch_words + 9) // 10
        i1 = ifm.last_transition_cycle + 1
    if fil.transitions == 0:
        sets = (fil.misses + fil.set_words - 1) // fil.set_words
        f0 = -((sets * fil.set_words + 9) // 10)
        f1 = -1
    else:
        f0 = fil.first_cycle - (fil.epoch_words + 9) // 10
        f1 = fil.last_transition_cycle + 1
    if user_bw > 0:
        if ub_ifm.lost or ub_fil.lost:
            raise RuntimeError("an address never enters SCALE-Sim's prefetch window")
        i0, i1, ifm.misses = ub_ifm.dram_first, ub_ifm.last_prefetch, ub_ifm.reads
        f0, f1, fil.misses = ub_fil.dram_first, ub_fil.last_prefetch, ub_fil.reads
    if df == DF_OS:
        sram_ofmap = M * N + n_r * n_c * (R + C)
    else:
        sram_ofmap = M * N * n_r
    return {
        "total_cycles": last_out,
        "stall_cycles": stalls,
        "macs": M * N * K,
        "mapping_eff_sum": map_sum,
        "compute_util_sum": util_sum,
        "folds": n_r * n_c,
        "sram_ifmap_reads": M * K * (n_c if df != DF_IS else 1),
        "sram_filter_reads": K * N * (n_r if df == DF_OS else (n_c if df == DF_IS else 1)),
        "sram_ofmap_writes": sram_ofmap,
        "sram_ifmap_start": ifm.sram_first, "sram_ifmap_stop": ifm.sram_last,
        "sram_filter_start": fil.sram_first, "sram_filter_stop": fil.sram_last,
        "sram_ofmap_start": wb.sram_first, "sram_ofmap_stop": wb.sram_last,
        "dram_ifmap_start": i0, "dram_ifmap_stop": i1, "dram_ifmap_reads": ifm.misses,
        "dram_filter_start": f0, "dram_filter_stop": f1, "dram_filter_reads": fil.misses,
        "dram_ofmap_start": wb.dram_first, "dram_ofmap_stop": wb.dram_last,
        "dram_ofmap_writes": wb.writes,
    }
