# cython: language_level=3
"""Systolic-array GEMM timing, fold by fold, with stationary-operand fetch, shift and streaming.

Pure-Python twin: accelsim/engine/systolic_ref.py (tests compare the two on random shapes).

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
"""
from libc.math cimport ceil


cpdef tuple gemm_fold_pipeline(
    long long Sr, long long Sc, long long T,
    long long rows, long long cols,
    double fetch_bytes_per_element, double fetch_bytes_per_cycle,
    long long fifo_depth, long long shift_cycles, bint double_buffered,
):
    """Return (total, compute, weight_load_stall, weight_shift, folds, used_pe_sum).

    ``fetch_bytes_per_element`` = 0 means the stationary operand is already on chip.
    ``used_pe_sum`` = sum over folds of used rows x used cols (for mapping efficiency).
    """
    cdef long long n_r = (Sr + rows - 1) // rows
    cdef long long n_c = (Sc + cols - 1) // cols
    cdef long long n = n_r * n_c
    cdef long long skew = rows + cols - 2
    cdef long long depth = fifo_depth if fifo_depth > 0 else 1
    cdef long long i, r, c, used_r, used_c, fetch_cycles
    cdef long long fetch_end = 0, fetch_start, shift_start, shift_end
    cdef long long stream_start = 0, stream_end = 0, prev_stream_start = 0, prev_stream_end = 0
    cdef long long stall = 0, shift_wait = 0, gap, stall_part, used_sum = 0
    # ring of the last ``depth`` shift starts (a FIFO slot frees when its tile starts shifting in)
    cdef long long ring_size = depth if depth < 64 else 64
    cdef long long ring[64]
    cdef double tile_bytes
    for i in range(ring_size):
        ring[i] = 0
    if n == 0 or T == 0:
        return (0, 0, 0, 0, 0, 0)
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
                shift_start = fetch_end
            elif double_buffered:
                shift_start = fetch_end if fetch_end > prev_stream_start else prev_stream_start
            else:
                shift_start = fetch_end if fetch_end > prev_stream_end + skew else prev_stream_end + skew
            ring[i % ring_size] = shift_start
            shift_end = shift_start + shift_cycles
            if i == 0:
                stream_start = shift_end
                stall += fetch_end
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
    cdef long long total = stream_end + skew
    cdef long long compute = total - stall - shift_wait
    return (total, compute, stall, shift_wait, n, used_sum)
