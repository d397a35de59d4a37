# cython: language_level=3
"""PE-level functional systolic array: real values, one register hop per cycle, every PE.

Numpy twin: accelsim/engine/pe_array_ref.py, whose docstring states the semantics (stationary
engine for WS/IS with column-skewed tile loading into two weight registers, output-stationary
engine for OS, zero-padded edge tiles, partial sums read back at the top of later reduction
folds so results are summed in reduction order). Tests compare the two, compare the values with
a sequential numpy reference and the cycle counts with ``gemm_fold_pipeline``.

Registers are updated in place, PEs visited bottom-right first, so that each PE reads its left
and upper neighbours' values from the previous cycle. fp32 multiplies and adds go through
``volatile`` temporaries so the C compiler can never fuse them (numpy rounds after each);
int32 arithmetic wraps (through unsigned) like numpy's.
"""
import numpy as np

cimport numpy as cnp
from libc.stdlib cimport malloc, calloc, free

cnp.import_array()

cdef extern from *:
    """
    static inline float accelsim_mul_f32(float a, float b) { volatile float p = a * b; return p; }
    static inline float accelsim_add_f32(float a, float b) { volatile float s = a + b; return s; }
    static inline int accelsim_mul_i32(int a, int b) { return (int)((unsigned)a * (unsigned)b); }
    static inline int accelsim_add_i32(int a, int b) { return (int)((unsigned)a + (unsigned)b); }
    """
    float accelsim_mul_f32(float a, float b) nogil
    float accelsim_add_f32(float a, float b) nogil
    int accelsim_mul_i32(int a, int b) nogil
    int accelsim_add_i32(int a, int b) nogil

ctypedef fused value_t:
    float
    int


cdef inline value_t mac(value_t acc, value_t a, value_t b) noexcept nogil:
    if value_t is float:
        return accelsim_add_f32(acc, accelsim_mul_f32(a, b))
    else:
        return accelsim_add_i32(acc, accelsim_mul_i32(a, b))


cdef class _Buffers:
    """Owns the C arrays of one run (freed even when the run raises)."""
    cdef void *ptrs[16]
    cdef int count

    def __cinit__(self):
        self.count = 0

    cdef void *take(self, size_t n, size_t size) except NULL:
        cdef void *p = calloc(n if n > 0 else 1, size)
        if p == NULL:
            raise MemoryError()
        self.ptrs[self.count] = p
        self.count += 1
        return p

    def __dealloc__(self):
        cdef int i
        for i in range(self.count):
            free(self.ptrs[i])


def stationary(value_t[:, ::1] stat, value_t[:, ::1] stream, int rows, int cols,
               bint double_buffered):
    """Stationary-operand engine (WS, IS): returns (stream @ stat, cycles).

    ``stat``: Sr x Sc, held in the PEs; ``stream``: T x Sr, one row enters per cycle.
    """
    cdef Py_ssize_t sr = stat.shape[0], sc = stat.shape[1], t_len = stream.shape[0]
    cdef Py_ssize_t n_r = (sr + rows - 1) // rows, n_c = (sc + cols - 1) // cols
    cdef Py_ssize_t n = n_r * n_c, pes = rows * cols
    dtype = np.float32 if value_t is float else np.int32
    out_a = np.zeros((t_len, sc), dtype=dtype)
    cdef value_t[:, ::1] out = out_a
    buf = _Buffers()
    cdef value_t *act = <value_t *>buf.take(pes, sizeof(value_t))
    cdef value_t *psum = <value_t *>buf.take(pes, sizeof(value_t))
    cdef value_t *chain = <value_t *>buf.take(pes, sizeof(value_t))
    cdef value_t *weights = <value_t *>buf.take(2 * pes, sizeof(value_t))
    cdef long long *act_fold = <long long *>buf.take(pes, sizeof(long long))
    cdef long long *act_m = <long long *>buf.take(pes, sizeof(long long))
    cdef long long *load_start = <long long *>buf.take(n, sizeof(long long))
    cdef long long *stream_start = <long long *>buf.take(n, sizeof(long long))
    cdef long long *outputs_seen = <long long *>buf.take(n, sizeof(long long))
    cdef char *latched0 = <char *>buf.take(n, 1)
    cdef char *row0_done = <char *>buf.take(n, 1)
    cdef long long i, r, c, f, g, m, k, j, col, cycle = 0, finished = -1
    cdef long long started = 0, loads = 1, first_load = 0
    cdef long long fr, fc
    cdef value_t a, p
    for i in range(pes):
        act_fold[i] = -1
    for i in range(n):
        load_start[i] = -1
        stream_start[i] = -1
    load_start[0] = 0
    while finished < 0:
        for r in range(rows - 1, -1, -1):
            for c in range(cols - 1, -1, -1):
                i = r * cols + c
                if c > 0:
                    f = act_fold[i - 1]
                    a = act[i - 1]
                    m = act_m[i - 1]
                else:
                    f = -1
                    a = 0
                    m = 0
                    g = started - 1
                    while g >= 0:  # the newest fold this row has reached
                        m = cycle - stream_start[g] - r
                        if m >= 0:
                            if m < t_len:
                                f = g
                                k = (g % n_r) * rows + r
                                a = stream[m, k] if k < sr else 0
                            break
                        g -= 1
                act_fold[i] = f
                act[i] = a
                act_m[i] = m
                if f < 0:
                    psum[i] = 0
                    continue
                fr = f % n_r
                fc = f // n_r
                if r > 0:
                    p = psum[i - cols]
                else:
                    col = fc * cols + c
                    p = out[m, col] if fr > 0 and col < sc else 0
                p = mac(p, a, weights[(f % 2) * pes + i])
                psum[i] = p
                if r == rows - 1:
                    col = fc * cols + c
                    if col < sc:
                        out[m, col] = p
                    outputs_seen[f] += 1
                    if outputs_seen[f] == t_len * cols:
                        if f == n - 1:
                            finished = cycle
                        elif not double_buffered:
                            load_start[f + 1] = cycle + 1
                            loads = f + 2
        # stationary tiles shift down their columns, column c starting c cycles late
        for g in range(first_load, loads):
            if load_start[g] < 0:
                continue
            if cycle - load_start[g] - (cols - 1) >= rows:
                if g == first_load:
                    first_load += 1
                continue
            fr = g % n_r
            fc = g // n_r
            for c in range(cols):
                j = cycle - load_start[g] - c
                if j < 0 or j >= rows:
                    continue
                for r in range(rows - 1, 0, -1):
                    chain[r * cols + c] = chain[(r - 1) * cols + c]
                k = fr * rows + rows - 1 - j
                col = fc * cols + c
                chain[c] = stat[k, col] if k < sr and col < sc else 0
                if j == rows - 1:
                    for r in range(rows):
                        weights[(g % 2) * pes + r * cols + c] = chain[r * cols + c]
                    if c == 0:
                        latched0[g] = 1
        # controller
        if started > 0 and cycle == stream_start[started - 1] + t_len - 1:
            row0_done[started - 1] = 1
        if started < n and latched0[started] and (
                started == 0 or not double_buffered or row0_done[started - 1]):
            stream_start[started] = cycle + 1
            if double_buffered and started + 1 < n:
                load_start[started + 1] = cycle + 1
                loads = started + 2
            started += 1
        cycle += 1
    return out_a, finished + 1


def output_stationary(value_t[:, ::1] a_mat, value_t[:, ::1] b_mat, int rows, int cols,
                      bint double_buffered):
    """Output-stationary engine (OS): returns (a @ b, cycles); a is M x K, b is K x N."""
    cdef Py_ssize_t m_len = a_mat.shape[0], k_len = a_mat.shape[1], n_len = b_mat.shape[1]
    cdef Py_ssize_t n_r = (m_len + rows - 1) // rows, n_c = (n_len + cols - 1) // cols
    cdef Py_ssize_t n = n_r * n_c, pes = rows * cols
    dtype = np.float32 if value_t is float else np.int32
    out_a = np.zeros((m_len, n_len), dtype=dtype)
    cdef value_t[:, ::1] out = out_a
    buf = _Buffers()
    cdef value_t *a_reg = <value_t *>buf.take(pes, sizeof(value_t))
    cdef value_t *b_reg = <value_t *>buf.take(pes, sizeof(value_t))
    cdef value_t *acc = <value_t *>buf.take(pes, sizeof(value_t))
    cdef long long *a_fold = <long long *>buf.take(pes, sizeof(long long))
    cdef long long *a_k = <long long *>buf.take(pes, sizeof(long long))
    cdef long long *stream_start = <long long *>buf.take(n, sizeof(long long))
    cdef long long *done = <long long *>buf.take(n, sizeof(long long))
    cdef long long i, r, c, f, g, k, row, col, cycle = 0, finished = -1, started = 1
    cdef value_t a, b
    for i in range(pes):
        a_fold[i] = -1
    stream_start[0] = 0
    while finished < 0:
        for r in range(rows - 1, -1, -1):
            for c in range(cols - 1, -1, -1):
                i = r * cols + c
                if c > 0:
                    f = a_fold[i - 1]
                    a = a_reg[i - 1]
                    k = a_k[i - 1]
                else:
                    f = -1
                    a = 0
                    k = 0
                    g = started - 1
                    while g >= 0:  # the newest fold this row has reached
                        k = cycle - stream_start[g] - r
                        if k >= 0:
                            if k < k_len:
                                f = g
                                row = (g % n_r) * rows + r
                                a = a_mat[row, k] if row < m_len else 0
                            break
                        g -= 1
                if r > 0:
                    b = b_reg[i - cols]
                elif f >= 0:
                    col = (f // n_r) * cols + c
                    b = b_mat[k, col] if col < n_len else 0
                else:
                    b = 0
                a_fold[i] = f
                a_reg[i] = a
                a_k[i] = k
                b_reg[i] = b
                if f < 0:
                    continue
                acc[i] = mac(<value_t>0 if k == 0 else acc[i], a, b)
                if k == k_len - 1:
                    row = (f % n_r) * rows + r
                    col = (f // n_r) * cols + c
                    if row < m_len and col < n_len:
                        out[row, col] = acc[i]
                    done[f] += 1
                    if done[f] == pes:
                        if f == n - 1:
                            finished = cycle
                        elif not double_buffered:
                            stream_start[f + 1] = cycle + 1
                            started = f + 2
        if double_buffered and started < n and cycle == stream_start[started - 1] + k_len - 1:
            stream_start[started] = cycle + 1
            started += 1
        cycle += 1
    return out_a, finished + 1


def run_gemm(a, b, int rows, int cols, str dataflow, bint double_buffered=False):
    """C = A @ B on a rows x cols array under ``dataflow``; returns (C, cycles).

    Integer operands (int8) accumulate in int32, others in float32.
    """
    acc_t = np.int32 if np.issubdtype(np.asarray(a).dtype, np.integer) else np.float32
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
