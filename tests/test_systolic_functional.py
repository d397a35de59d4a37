"""The PE-level functional model: exact values (int8->int32 and fp32) and the fast model's cycles."""
from __future__ import annotations

import random

import numpy as np
import pytest

from accelsim._native import pe_array as native
from accelsim.engine import pe_array_ref
from accelsim.engine.dataflow import fast_cycles, fold_plan


def _operands(rng, m, k, n, dtype):
    if dtype == "int8":
        return (rng.integers(-128, 128, (m, k)).astype(np.int8),
                rng.integers(-128, 128, (k, n)).astype(np.int8))
    return (rng.standard_normal((m, k)).astype(np.float32),
            rng.standard_normal((k, n)).astype(np.float32))


def _cases(count, seed, max_dim, max_array):
    rnd = random.Random(seed)
    for _ in range(count):
        yield (rnd.choice(["os", "ws", "is"]), rnd.random() < 0.5, rnd.choice(["int8", "fp32"]),
               rnd.randint(1, max_dim), rnd.randint(1, max_dim), rnd.randint(1, max_dim),
               rnd.randint(1, max_array), rnd.randint(1, max_array))


def test_hundreds_of_shapes_exact_values_and_cycles():
    """400 random GEMMs on arrays up to 64 x 64: C equals the sequential numpy reference bit for
    bit and the cycle count equals gemm_fold_pipeline with no memory fetch."""
    rng = np.random.default_rng(7)
    failures = []
    for df, db, dtype, m, k, n, rows, cols in _cases(400, 7, 70, 64):
        a, b = _operands(rng, m, k, n, dtype)
        out, cycles = native.run_gemm(a, b, rows, cols, df, db)
        expected = pe_array_ref.sequential_matmul(a, b)
        fast = fast_cycles(fold_plan(df, m, k, n, rows, cols), db)[0]
        if out.dtype != expected.dtype or not np.array_equal(out, expected) or cycles != fast:
            failures.append((df, db, dtype, m, k, n, rows, cols, cycles, fast))
    assert not failures, failures[:5]


@pytest.mark.parametrize("df", ["os", "ws", "is"])
@pytest.mark.parametrize("db", [False, True])
def test_int8_equals_np_matmul(df, db):
    rng = np.random.default_rng(3)
    a, b = _operands(rng, 45, 70, 33, "int8")
    out, _ = native.run_gemm(a, b, 16, 8, df, db)
    assert out.dtype == np.int32
    assert np.array_equal(out, a.astype(np.int32) @ b.astype(np.int32))


def test_fp32_close_to_matmul_and_exact_to_sequential_order():
    """np.matmul (BLAS) may sum in another order; the array sums like a sequential dot product."""
    rng = np.random.default_rng(5)
    a, b = _operands(rng, 40, 300, 20, "fp32")
    out, _ = native.run_gemm(a, b, 32, 8, "ws", True)
    assert np.array_equal(out, pe_array_ref.sequential_matmul(a, b))
    assert np.allclose(out, a @ b, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("case", list(_cases(40, 11, 12, 6)))
def test_native_equals_numpy_twin(case):
    df, db, dtype, m, k, n, rows, cols = case
    rng = np.random.default_rng(m * 1000 + k * 10 + n)
    a, b = _operands(rng, m, k, n, dtype)
    out_native, cycles_native = native.run_gemm(a, b, rows, cols, df, db)
    out_twin, cycles_twin = pe_array_ref.run_gemm(a, b, rows, cols, df, db)
    assert cycles_native == cycles_twin
    assert np.array_equal(out_native, out_twin)


def test_double_buffering_hides_tile_loads():
    """WS with T >= R: serialized pays R + skew per fold, double-buffered R once."""
    rng = np.random.default_rng(0)
    a, b = _operands(rng, 40, 24, 16, "int8")  # T = M = 40 >= R = 8
    _, serial = native.run_gemm(a, b, 8, 8, "ws", False)
    _, overlapped = native.run_gemm(a, b, 8, 8, "ws", True)
    folds = 3 * 2
    skew = 8 + 8 - 2
    assert serial == folds * (8 + 40 + skew)
    assert overlapped == 8 + folds * 40 + skew
