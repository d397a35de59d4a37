# cython: language_level=3
"""Cycle-by-cycle sparse PE array (EIE-style broadcast of activations to PEs owning weight columns).

Pure-Python twin: accelsim/sparsity/pe_model.py (run_sparse_pe_ref); the semantics are described
there. Tests compare the two outputs, cycle counts, MAC counts and per-PE busy cycles, and check
both against numpy's A @ W and against the event recurrence ``schedule_cycles``.
"""
import numpy as np

cimport numpy as cnp

cnp.import_array()


def sparse_pe_run(const long long[:, ::1] a, const long long[:, ::1] w,
                  const long long[::1] ptr, const long long[::1] cols,
                  const long long[::1] item_m, const long long[::1] item_k,
                  long long lanes, long long queue_depth):
    """Return (out M x N int64, cycles, macs, busy cycles per PE).

    ``ptr``/``cols``: per (k, PE) the owned columns to multiply (pe_model.compress_slices);
    ``item_m``/``item_k``: the broadcast items in order (pe_model.broadcast_items).
    """
    cdef Py_ssize_t n_rows = a.shape[0], n_cols = w.shape[1]
    cdef long long n_items = item_m.shape[0]
    out_arr = np.zeros((n_rows, n_cols), dtype=np.int64)
    cdef long long[:, ::1] out = out_arr
    push_arr = np.zeros(max(n_items, 1), dtype=np.int64)
    cdef long long[::1] push_cycle = push_arr
    state = np.zeros((6, lanes), dtype=np.int64)
    cdef long long[:, ::1] st = state  # rows: next_item, cur, pos, end, last_finish, busy
    cdef long long p, j, slot, n, pushed = 0, cycle = 0, macs = 0, cycles = 0
    cdef bint done, room
    for p in range(lanes):
        st[1, p] = -1
    while True:
        done = pushed == n_items
        if done:
            for p in range(lanes):
                if st[1, p] >= 0 or st[0, p] != n_items:
                    done = False
                    break
        if done:
            break
        for p in range(lanes):
            if st[1, p] < 0:
                while st[0, p] < pushed and push_cycle[st[0, p]] < cycle:
                    j = st[0, p]
                    st[0, p] += 1
                    slot = item_k[j] * lanes + p
                    if ptr[slot + 1] > ptr[slot]:
                        st[1, p] = j
                        st[2, p] = ptr[slot]
                        st[3, p] = ptr[slot + 1]
                        break
                    st[4, p] = cycle
            if st[1, p] >= 0:
                j = st[1, p]
                n = cols[st[2, p]]
                out[item_m[j], n] += a[item_m[j], item_k[j]] * w[item_k[j], n]
                macs += 1
                st[5, p] += 1
                st[2, p] += 1
                if st[2, p] == st[3, p]:
                    st[1, p] = -1
                    st[4, p] = cycle + 1
        if pushed < n_items:
            room = True
            for p in range(lanes):
                if pushed - st[0, p] >= queue_depth:
                    room = False
                    break
            if room:
                push_cycle[pushed] = cycle
                pushed += 1
        cycle += 1
    if n_items:
        for p in range(lanes):
            if st[4, p] > cycles:
                cycles = st[4, p]
    return out_arr, cycles, macs, state[5].copy()
