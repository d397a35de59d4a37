"""Published GPU results: the data file, the error arithmetic by hand, and the committed report section."""
from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from accelsim.baselines.gpu_model import DeratedParams
from accelsim.baselines.published import (
    COLUMNS,
    SUITES,
    error_pct,
    predicted_per_gpu,
    published_errors,
    read_published_csv,
    summarise,
)
from accelsim.errors import AccelsimError

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "reports" / "gpu_published" / "results.csv"
HEADER = ",".join(COLUMNS) + "\n"


def _row(**over) -> str:
    row = {"id": "r1", "gpu": "h200", "kind": "gemm", "suite": "gemm_table", "workload": "", "m": "4096",
           "n": "4096", "k": "4096", "count": "1", "precision": "bf16", "batch": "1", "scenario": "hand-made",
           "value": "500", "unit": "tflops", "gpus": "1", "normalisation": "one GPU", "software": "none",
           "source": "https://example.org/x", "locator": "table 1", "batch_source": "", "status": "V"}
    row.update(over)
    return ",".join(str(row[c]) for c in COLUMNS) + "\n"


def _csv(tmp_path, *rows) -> Path:
    path = tmp_path / "published.csv"
    path.write_text(HEADER + "".join(rows))
    return path


def _benchmark_module():
    spec = importlib.util.spec_from_file_location("gpu_model_error", ROOT / "benchmarks" / "gpu_model_error.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_shipped_data_loads_and_every_row_is_sourced():
    rows = read_published_csv(DATA)
    assert len(rows) >= 10
    assert {r.kind for r in rows} == {"network", "gemm"}
    assert len({r.gpu for r in rows}) >= 4
    assert {r.suite for r in rows} <= set(SUITES)
    for r in rows:
        assert r.source.startswith("https://"), r.id
        assert r.locator and r.normalisation and r.software, r.id
        assert r.status in ("V", "M"), r.id
        if r.kind == "network":
            assert r.batch_source, r.id
    # an 8-GPU MLPerf total is divided by 8
    h200 = next(r for r in rows if r.id == "mlperf-inf-v4.1-h200x8-resnet50")
    assert (h200.gpus, h200.per_gpu) == (8, pytest.approx(756960 / 8))


def test_gemm_error_by_hand(tmp_path):
    (row,) = read_published_csv(_csv(tmp_path, _row()))
    # roofline: 2 * 4096^3 FLOP at 989 TFLOPS (compute-bound: 3 * 4096^2 * 2 B / 4.8 TB/s is 7x shorter)
    assert predicted_per_gpu(row, "roofline") == pytest.approx(989.0)
    (e,) = published_errors([row])
    assert e.error("roofline") == pytest.approx((989.0 / 500.0 - 1) * 100)   # +97.8 %
    assert not e.above_roofline
    # derated with 128x128 tiles: 1024 tiles on 132 SMs -> 8 waves, each tile 2*128*128*(4096+32) FLOP
    # at 0.8 * 989e12 / 132 FLOP/s per SM, plus 3 us launch
    per_sm = 0.8 * 989e12 / 132
    seconds = 8 * 2 * 128 * 128 * (4096 + 32) / per_sm + 3e-6
    assert predicted_per_gpu(row, "derated") == pytest.approx(2 * 4096**3 / seconds / 1e12)


def test_network_row_divides_batch_by_model_seconds(tmp_path):
    text = _row(id="n1", kind="network", suite="mlperf_inference", workload="mnist_mlp", m="", n="", k="", count="",
                precision="fp16", batch="64", value="4000", unit="samples_per_second", gpus="8",
                batch_source="hand-made")
    (row,) = read_published_csv(_csv(tmp_path, text))
    assert row.per_gpu == 500
    from accelsim.baselines.gpu_model import gpu_baseline
    from accelsim.workload.registry import load_workload
    seconds = gpu_baseline(load_workload("mnist_mlp", 64), "h200", "fp16", "roofline").seconds
    assert predicted_per_gpu(row, "roofline") == pytest.approx(64 / seconds)


def test_error_and_summary_arithmetic(tmp_path):
    assert error_pct(150.0, 100.0) == pytest.approx(50.0)
    assert error_pct(80.0, 100.0) == pytest.approx(-20.0)
    rows = read_published_csv(_csv(tmp_path, _row(), _row(id="r2", value="2000")))
    errors = published_errors(rows)
    # r2 claims 2000 TFLOPS on a 989 TFLOPS part: above the roofline
    assert [e.above_roofline for e in errors] == [False, True]
    s = summarise(errors, "all", "roofline")
    e1, e2 = (989 / 500 - 1) * 100, (989 / 2000 - 1) * 100
    assert s.count == 2 and s.above_roofline == 1
    assert s.mean_abs_pct == pytest.approx((abs(e1) + abs(e2)) / 2)
    assert s.mean_signed_pct == pytest.approx((e1 + e2) / 2)


def test_derated_params_are_used(tmp_path):
    (row,) = read_published_csv(_csv(tmp_path, _row()))
    slow = published_errors([row], DeratedParams(matrix_efficiency=0.4))[0]
    fast = published_errors([row])[0]
    assert slow.predicted[1] < fast.predicted[1]
    assert slow.predicted[0] == fast.predicted[0]          # the roofline takes no parameters


@pytest.mark.parametrize("field, value, message", [
    ("gpu", "h300", "unknown value 'h300'"),
    ("kind", "conv", "unknown value 'conv'"),
    ("unit", "samples_per_second", "unknown value 'samples_per_second'"),
    ("precision", "fp64", "unknown value 'fp64'"),
    ("value", "-3", "expected a positive number"),
    ("m", "0", "expected an integer >= 1"),
    ("source", "", "must not be empty"),
    ("status", "X", "unknown value 'X'"),
    ("suite", "blog", "unknown value 'blog'"),
])
def test_bad_rows_name_file_line_and_column(tmp_path, field, value, message):
    path = _csv(tmp_path, _row(), _row(id="r2", **{field: value}))
    with pytest.raises(AccelsimError) as info:
        read_published_csv(path)
    assert info.value.location.line == 3
    assert info.value.field == field
    assert message in info.value.message


def test_duplicate_id_and_missing_column(tmp_path):
    with pytest.raises(AccelsimError, match="duplicate id"):
        read_published_csv(_csv(tmp_path, _row(), _row()))
    path = tmp_path / "short.csv"
    path.write_text("id,gpu\nx,h200\n")
    with pytest.raises(AccelsimError, match="missing column"):
        read_published_csv(path)


def test_committed_report_matches_the_generator():
    module = _benchmark_module()
    committed = (ROOT / "reports" / "gpu_model_error.md").read_text()
    measured = ROOT / "reports" / "gpu_measured" / "h200.csv"
    fresh = module.render_report(Path("reports/gpu_measured/h200.csv") if measured.exists() else None)
    assert committed == fresh
    assert "## Published GPU measurements" in fresh
