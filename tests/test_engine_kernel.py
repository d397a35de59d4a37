"""The Cython fold pipeline equals its pure-Python twin, and obeys hand-computable cases."""
from __future__ import annotations

import random

import pytest
from accelsim._native.systolic import gemm_fold_pipeline as compiled
from accelsim._native.systolic import gemm_fold_pipeline_grouped as compiled_grouped

from accelsim.engine.systolic_ref import gemm_fold_pipeline as twin


def test_compiled_equals_twin_on_random_shapes():
    rng = random.Random(1234)
    for _ in range(600):
        args = (rng.randint(1, 700), rng.randint(1, 700), rng.randint(1, 600), rng.randint(1, 80), rng.randint(1, 80),
                rng.choice([0, 0.5, 1, 2, 4]), rng.choice([0, 1.7, 48.57, 1e4]), rng.randint(1, 6), rng.randint(0, 300),
                rng.random() < 0.5, rng.choice([0, 0, 50, 5000]))
        assert compiled(*args) == twin(*args) == compiled_grouped(*args), args


def test_serialized_ws_matches_scalesim_closed_form():
    # SCALE-Sim v2 WS: ceil(K/R) ceil(N/C) (2R + C + M - 2) - 1 (its "Total Cycles" is a 0-based stamp)
    for m, k, n, r, c in [(64, 64, 64, 8, 8), (100, 53, 37, 8, 8), (16, 16, 16, 8, 8), (9, 9, 9, 8, 8)]:
        total, compute, stall, shift, _folds, _ = compiled(k, n, m, r, c, 0, 0, 1, r, False)
        assert total - 1 == -(-k // r) * -(-n // c) * (2 * r + c + m - 2) - 1
        assert stall == 0 and compute + shift == total


def test_weight_stream_stalls_exactly_as_bandwidth_predicts():
    # one 256x256 tile of int8 weights at 64 bytes/cycle takes 1024 cycles to fetch; streaming 100
    # rows takes 100: every fold after the first waits 1024 - 100 cycles for its tile (FIFO depth 1,
    # double buffered, shift 256 hidden behind the wait except as its own cause)
    rows = cols = 256
    total, compute, stall, shift, folds, _ = compiled(256 * 4, 256, 100, rows, cols, 1.0, 64.0, 1, 256, True)
    assert folds == 4
    assert total == compute + stall + shift
    assert compute == 4 * 100 + (rows + cols - 2)
    # first tile: fetch 1024 (stall) then shift 256; afterwards each fetch starts when the previous tile
    # starts shifting, so tile i lands 1024 after tile i-1's shift began
    # each later fold's 924-cycle gap is its 256-cycle shift plus 668 cycles of waiting for the fetch
    assert (stall, shift) == (1024 + 3 * (1024 - 100 - 256), 4 * 256)
    assert total == 1024 * 4 + 256 + 100 + (rows + cols - 2)


def test_double_buffering_hides_shift_when_stream_is_longer():
    t_long = compiled(256, 256 * 3, 1000, 256, 256, 0, 0, 1, 256, True)
    assert t_long[3] == 256  # only the first shift is exposed
    t_short = compiled(256, 256 * 3, 100, 256, 256, 0, 0, 1, 256, True)
    assert t_short[3] == 256 + 2 * (256 - 100)  # shift-bound when M < shift cycles


@pytest.mark.parametrize("double", [True, False])
def test_cycles_do_not_depend_on_magnitudes_beyond_folds(double):
    small = compiled(512, 512, 10**3, 256, 256, 1, 10.0, 4, 256, double)
    huge = compiled(512, 512, 10**12, 256, 256, 1, 10.0, 4, 256, double)
    assert huge[4] == small[4] == 4
    assert huge[1] - small[1] == 4 * (10**12 - 10**3)


def test_prefetch_lead_hides_only_the_first_fifo_of_tiles():
    # 8 tiles of 4096 B at 16 B/cycle = 256 cycles each, FIFO depth 2: a long lead lands tiles 0 and 1
    # before the layer starts, so the first fold starts after the shift alone
    base = compiled(64 * 8, 64, 32, 64, 64, 1.0, 16.0, 2, 64, True)
    early = compiled(64 * 8, 64, 32, 64, 64, 1.0, 16.0, 2, 64, True, 10**6)
    assert base[2] >= 256 and early[2] < base[2]
    assert base[0] - early[0] <= 2 * 256  # at most two tiles' fetch time is saved
    assert early[0] >= 6 * 256  # the remaining six tiles still stream at memory speed


def test_compiled_equals_twin_beyond_a_fifo_of_64_tiles():
    # the kernel once kept only the last 64 shift starts (a fixed ring), so FIFOs deeper than 64 tiles
    # read a later fold's slot: 3326 cycles here against the twin's 2738
    args = (1358, 2, 8, 6, 2, 1.0, 0.5, 121, 12, True, 10**6)
    assert compiled(*args) == twin(*args)
    assert compiled(*args)[0] == 2738
    rng = random.Random(7)
    for _ in range(300):
        depth = rng.randint(60, 300)
        args = (rng.randint(1, 4000), rng.randint(1, 40), rng.randint(1, 30), rng.randint(1, 8), rng.randint(1, 8),
                1.0, rng.choice([0.25, 0.5, 2.0]), depth, rng.randint(0, 16), rng.random() < 0.5,
                rng.choice([0, 10**6]))
        assert compiled(*args) == twin(*args) == compiled_grouped(*args), args
