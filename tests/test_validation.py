"""`accelsim validate`: the report regenerates, and its TPU v1 mapping is sound."""
from __future__ import annotations

import pytest

from accelsim.api import simulate
from accelsim.validation.tpu_v1 import table3_breakdown


def test_table3_rows_sum_to_100_and_exclude_host_time():
    result = simulate("tpu_v1", "tpu_mlp0")
    rows, tops = table3_breakdown(result)
    assert rows["array_active"] + rows["weight_stall"] + rows["weight_shift"] + rows["non_matrix"] == pytest.approx(100.0)
    host = result.totals.cycles_by_cause["host_transfer"]
    assert host > 0
    assert tops == pytest.approx(2 * result.totals.macs / ((result.totals.cycles - host) / 700e6) / 1e12)
    assert max(("array_active", "weight_stall", "weight_shift", "non_matrix"), key=rows.get) == "weight_stall"


def test_validate_command_writes_report_and_figure(cli, tmp_path):
    target = tmp_path / "validation.md"
    status, _out, err = cli("validate", "-o", str(target))
    assert status == 0, err
    text = target.read_text()
    for app in ("MLP0", "MLP1", "LSTM0", "LSTM1", "CNN0", "CNN1"):
        assert f"| {app} |" in text
    assert "Mean absolute TOPS error" in text
    assert (tmp_path / "figures" / "tpu_v1_roofline.png").stat().st_size > 10_000


def test_committed_report_matches_what_validate_regenerates(tmp_path):
    """reports/validation.md is what `accelsim validate` writes from the shipped configs today."""
    from pathlib import Path

    from accelsim.validation.report import write_validation_report

    committed = Path(__file__).resolve().parent.parent / "reports" / "validation.md"
    if not committed.exists():  # running against an installed package without the checkout's reports/
        import pytest

        pytest.skip("no checkout reports/ folder")
    write_validation_report(tmp_path / "validation.md")
    assert (tmp_path / "validation.md").read_text() == committed.read_text(), \
        "reports/validation.md is stale: run `accelsim validate` and commit the result"


def test_tpu_v1_energy_rows_are_consistent_and_cnn0_is_near_the_implied_tops_per_watt():
    from accelsim.validation.published import TPU_V1_POWER_W
    from accelsim.validation.tpu_v1 import validate_tpu_v1
    from accelsim.validation.tpu_v1_energy import energy_row, energy_section, implied_tops_per_w

    rows = validate_tpu_v1()
    cnn0 = next(r for r in rows if r.app == "CNN0")
    e = energy_row(cnn0)
    t = cnn0.result.totals
    host_s = t.cycles_by_cause["host_transfer"] / 700e6
    # power x busy time + idle x host time gives back the run's energy
    assert e.watts * (t.seconds - host_s) + TPU_V1_POWER_W["idle"] * host_s == pytest.approx(t.energy_j)
    assert e.tops_per_w == pytest.approx(e.simulated_tops / e.watts)
    # at the published rate the model's energy per op must give 28 W + dynamic; the paper's 40 W gives 2.15
    assert e.tops_per_w_at(86.0) == pytest.approx(86.0 / (28.0 + e.dynamic_pj_per_mac * 43.0))
    hi, lo = implied_tops_per_w(86.0, 78.2)
    assert (hi, lo) == (pytest.approx(2.15), pytest.approx(1.7986, rel=1e-3))
    # the target: in the range the paper implies, here within 25 % of it (the error is in the report)
    assert 0.75 * lo <= e.tops_per_w <= 1.25 * hi
    assert 0.75 * lo <= e.tops_per_w_at(86.0) <= 1.25 * hi
    lines, summary = energy_section(rows)
    assert "### Energy" in lines and summary["tpu_v1_cnn0_tops_per_w"] == pytest.approx(e.tops_per_w)


def test_array_fill_and_unified_buffer_checks_against_table3_and_table8():
    from accelsim.validation.published import TPU_V1_PEAK_UB_MIB
    from accelsim.validation.tpu_v1 import array_fill_pct

    assert array_fill_pct({"useful_macs": 22.5, "array_active": 46.2}) == pytest.approx(48.7, abs=0.05)
    assert array_fill_pct({"useful_macs": 0.0, "array_active": 0.0}) == 0.0
    # CNN0's stand-in: 3x3 convs of 242 channels on a 19x19 board, batch 8; the largest live pair is the
    # 48-plane input and a 242-plane output (8 x 19 x 19 x (48 + 242) bytes = 0.80 MiB) or two 242-plane
    # maps (1.33 MiB), below Table 8's 1.5 MiB and well inside the 24 MiB Unified Buffer
    result = simulate("tpu_v1", "tpu_cnn0")
    live = result.extra["arch_summary"]["peak_activation_buffer_bytes"]
    assert live == 2 * 8 * 19 * 19 * 242
    assert live / 2**20 < TPU_V1_PEAK_UB_MIB["CNN0"]
    assert result.totals.cycles_by_cause.get("input_stall", 0) == 0


def test_roofline_check_flags_throughputs_above_the_papers_own_roofline():
    """Table 1's intensity x 34 GB/s x 2 bounds each app; LSTM0's counter-implied 7.5 TOPS is above
    its 2 x 64 x 34 = 4.352 TOPS, its TOPS row (3.7) is not."""
    from types import SimpleNamespace

    from accelsim.validation.report import _roofline_check

    result = SimpleNamespace(extra={"arch_summary": {"dram_bandwidth_gbps": 34.0}})  # tpu_v1's peak

    def row(app, published, counters, simulated):
        return SimpleNamespace(app=app, published_tops=published, counter_tops=counters, simulated_tops=simulated,
                               result=result)

    text = _roofline_check([row("LSTM0", 3.7, 7.5, 3.77), row("CNN0", 86.0, 71.9, 71.19)])
    assert "LSTM0 4.4, CNN0 92.0 TOPS" in text  # 4.352 rounded; CNN0's 196 TOPS capped at the peak
    assert "The TOPS row is under every bound" in text
    assert "LSTM0 (7.5 > 4.4)" in text and "simulated: LSTM0 3.77" in text
    calm = _roofline_check([row("MLP0", 12.3, 11.5, 12.07)])
    assert "so is the throughput the counters imply" in calm
    over = _roofline_check([row("MLP0", 14.0, 11.5, 12.07)])  # 2 x 200 x 34 = 13.6 TOPS
    assert "The TOPS row exceeds the bound for MLP0 (14)" in over
