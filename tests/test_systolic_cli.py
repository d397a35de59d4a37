"""``accelsim gemm``: fast breakdown and the functional run's three answers."""
from __future__ import annotations

import json


def test_functional_run_reports_match(cli):
    status, out, err = cli("gemm", "--functional", "--m", "37", "--k", "29", "--n", "23",
                           "--rows", "8", "--cols", "4", "--dataflow", "os", "--dtype", "fp32",
                           "--double-buffered", "--seed", "2")
    assert status == 0, err
    assert "(match)" in out
    assert "result equals numpy (sequential-order reference): yes" in out


def test_functional_json(cli):
    status, out, _ = cli("gemm", "--functional", "--m", "20", "--k", "30", "--n", "10", "--rows",
                         "4", "--cols", "4", "--dataflow", "is", "--json")
    assert status == 0
    result = json.loads(out)
    assert result["functional_cycles"] == result["fast_total_cycles"]
    assert result["equals_numpy_sequential"] and result["equals_numpy_matmul"]


def test_fast_breakdown(cli):
    status, out, _ = cli("gemm", "--m", "64", "--k", "64", "--n", "64", "--rows", "64", "--cols",
                         "64", "--dataflow", "ws")
    assert status == 0
    assert "total cycles        254" in out  # 4N - 2 for N x N x N on N x N (SCALE-Sim 4N - 3)


def test_bad_size_is_a_usage_error(cli):
    status, _, err = cli("gemm", "--m", "0", "--k", "1", "--n", "1", "--rows", "1", "--cols", "1")
    assert status == 2
    assert "positive integer" in err


def test_functional_refuses_absurd_runs(cli):
    status, _, err = cli("gemm", "--functional", "--m", "100000", "--k", "100000", "--n",
                         "100000", "--rows", "256", "--cols", "256")
    assert status == 2
    assert "PE-cycles" in err
