"""engine/matrix.py: how one lowered GEMM task is mapped onto the matrix unit(s) before the fold
pipeline runs. Every expected number is counted by hand in the comment beside it (8 x 8 arrays,
so the fold pipeline's closed forms stay small: skew = 8 + 8 - 2 = 14, one tile shift = 8)."""
from __future__ import annotations

import pytest

from accelsim.engine.matrix import matrix_timing
from accelsim.lower.work import GemmWork
from accelsim.spec.arch import MatrixUnitSpec


def _mu(dataflow="ws", rows=8, cols=8, count=1):
    return MatrixUnitSpec(rows=rows, cols=cols, clock_mhz=1000, dataflow=dataflow, count=count)


def test_input_stationary_folds_follow_k_on_rows_and_m_on_columns():
    # IS on an 8-row x 4-column array, m = 12, k = 8, n = 5: K = 8 on the rows (1 row fold),
    # M = 12 on the columns (3 column folds), N = 5 rows streamed per fold. No fetch, double
    # buffered: the first shift (8) is exposed; later shifts (8) exceed the 5-row stream, so each
    # later fold waits 8 - 5 = 3 more; drain skew 8 + 4 - 2 = 10.
    t = matrix_timing(GemmWork(12, 8, 5, 1, 0.0, 1.0), _mu("is", rows=8, cols=4), 64.0)
    assert t.folds == 3
    assert t.used_pe_sum == 8 * 12
    assert t.weight_shift == 8 + 2 * 3
    assert t.total == 8 + 3 * 5 + 2 * 3 + 10


def test_count_groups_pay_the_drain_skew_once():
    # one group: WS, m = 20, k = 16, n = 8 -> 2 row folds of 20 streamed rows; double buffered
    # with T = 20 >= 8 hides the second shift: 8 + 2 x 20 + 14 = 62 cycles.
    one = matrix_timing(GemmWork(20, 16, 8, 1, 0.0, 1.0), _mu(), 64.0)
    assert (one.total, one.weight_shift, one.folds) == (62, 8, 2)
    # three groups back to back: each pays its first shift and its two streams, the 14-cycle
    # drain once at the end: 3 x (8 + 40) + 14 = 158 (compute 3 x 40 + 14 = 134)
    three = matrix_timing(GemmWork(20, 16, 8, 3, 0.0, 1.0), _mu(), 64.0)
    assert (three.total, three.compute, three.weight_shift, three.folds) == (158, 134, 24, 6)
    assert three.used_pe_sum == 3 * 16 * 8


def test_several_units_split_the_output_columns_rounding_up():
    # 17 output columns over 2 units: the busier unit holds ceil(17 / 2) = 9 columns, two column
    # folds of an 8-wide array (one unit alone would need 3). m = 20, k = 8: per unit
    # 8 + 2 x 20 + 14 = 62 cycles; folds are counted over both units: 2 x 2 = 4.
    two = matrix_timing(GemmWork(20, 8, 17, 1, 0.0, 1.0), _mu(count=2), 64.0)
    assert (two.total, two.folds) == (62, 4)
    one = matrix_timing(GemmWork(20, 8, 17, 1, 0.0, 1.0), _mu(), 64.0)
    assert (one.total, one.folds) == (8 + 3 * 20 + 14, 3)


def test_streamed_weights_stall_an_input_stationary_layer_until_they_arrive():
    # IS, m = 8, k = 8, n = 16: one fold, shift 8 + stream 16 + skew 14 = 38 cycles, 30 of them
    # compute. The weights (the streamed operand) are k x n = 128 B of int8 at 1 B/cycle: 128
    # cycles, compared with the 30 compute cycles: a 98-cycle stall, 38 + 98 = 136 in all.
    t = matrix_timing(GemmWork(8, 8, 16, 1, 1.0, 1.0), _mu("is"), 1.0)
    assert (t.fetch_bytes, t.fetch_cycles) == (128, 128)
    assert (t.weight_load_stall, t.weight_shift, t.compute, t.total) == (98, 8, 30, 136)
    # at 64 B/cycle the 2-cycle fetch hides behind compute
    fast = matrix_timing(GemmWork(8, 8, 16, 1, 1.0, 1.0), _mu("is"), 64.0)
    assert (fast.weight_load_stall, fast.total) == (0, 38)


def test_streamed_weights_of_an_output_stationary_layer():
    # OS, m = 8, k = 16, n = 8: one fold streaming K = 16, no shift: 16 + 14 = 30 cycles. 128 B of
    # weights at 2 B/cycle take 64 cycles: stall 64 - 30 = 34, total 64.
    t = matrix_timing(GemmWork(8, 16, 8, 1, 1.0, 1.0), _mu("os"), 2.0)
    assert (t.weight_load_stall, t.weight_shift, t.total) == (34, 0, 64)


@pytest.mark.parametrize("rate,expected", [(1.0, 8 + 20 + 14), (0.5, 8 + 40 + 14), (0.25, 8 + 80 + 14),
                                           (0.75, 8 + 27 + 14)])
def test_slower_precisions_stretch_the_stream(rate, expected):
    # a precision at rate r streams ceil(T / r) cycles: T = 20 rows at half rate take 40, at
    # three-quarter rate 26.7, rounded up to 27
    t = matrix_timing(GemmWork(20, 8, 8, 1, 0.0, rate), _mu(), 64.0)
    assert t.total == expected
