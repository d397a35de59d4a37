"""Report figures: rooflines, timeline, energy and cycle breakdowns; deterministic PNG and SVG."""
from __future__ import annotations

import matplotlib
import pytest

from accelsim.report import plots
from accelsim.report.results import LayerResult, RunResult, TimelineEvent, Totals

matplotlib.use("Agg")

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def sample_result(n_layers: int = 8, clock_mhz: float = 700.0) -> RunResult:
    layers, timeline, t = [], [], 0
    for i in range(n_layers):
        macs = 1_000_000 * (i + 1) if i % 3 != 2 else 0
        compute, stall, vector = (400 + 100 * i if macs else 0), 200 * (i % 4), (30 if macs else 150)
        cycles = compute + stall + vector
        causes = {"compute": compute, "weight_load_stall": stall, "vector": vector}
        name = f"layer{i}"
        dram = 10_000 * (i + 1)
        layers.append(LayerResult(name, "conv2d" if macs else "activation", "matrix" if macs else "vector",
                                  cycles, t, t + cycles, macs, 0.4, 1e-4 * (i + 1), dram, "memory", causes,
                                  macs / dram if i != 4 else float("inf")))
        timeline.append(TimelineEvent("dma_weights", name, "weight_load_stall", t, t + stall + 50))
        if compute:
            timeline.append(TimelineEvent("matrix_unit", name, "compute", t + stall, t + stall + compute))
        timeline.append(TimelineEvent("vector_unit", name, "vector", t + stall + compute, t + cycles))
        t += cycles
    macs = sum(layer.macs for layer in layers)
    seconds = t / (clock_mhz * 1e6)
    by_cause = {c: sum(layer.cycles_by_cause[c] for layer in layers) for c in ("compute", "weight_load_stall", "vector")}
    totals = Totals(t, seconds, macs, 2 * macs / seconds / 1e12, 0.4, 0.0123, 123_456, by_cause,
                    {"matrix_unit": 0.006, "dram": 0.004, "unified_buffer": 0.0015})
    extra = {"arch_summary": {"peak_macs_per_cycle": 65536, "clock_mhz": clock_mhz,
                              "dram_bandwidth_gbps": 34.0, "peak_tops": 91.75}}
    return RunResult("tpu_v1", "toynet", 8, "int8", clock_mhz, totals, tuple(layers), tuple(timeline), extra)


def test_roof_ridges_match_the_tpu_paper():
    tpu = plots.Roof("TPU v1", 92.0, 34.0)
    assert tpu.ridge_macs_per_byte == pytest.approx(1352.9, rel=1e-3)  # the paper rounds to 1350
    assert tpu.attainable_tops(1e5) == 92.0
    assert tpu.attainable_tops(100) == pytest.approx(2 * 100 * 34e9 / 1e12)
    k80 = plots.gpu_roofs(["k80"], "int8")[0]
    assert k80.label == "k80 fp32" and k80.ridge_macs_per_byte == pytest.approx(8.75)


def test_accelerator_roof_and_layer_points_come_from_the_result():
    result = sample_result()
    roof = plots.accelerator_roof(result)
    assert roof == plots.Roof("tpu_v1", 91.75, 34.0)
    points = plots.layer_points(result)
    assert "layer2" not in points  # no MACs, no point
    layer0 = result.layers[0]
    x, y = points["layer0"]
    assert x == layer0.operational_intensity
    assert y == pytest.approx(2 * layer0.macs / (layer0.cycles / 700e6) / 1e12)


def test_every_report_figure_renders_identically_twice():
    # two independent builds of the same figures give the same bytes (fixed SVG id salt, no dates)
    result = sample_result()
    first = {k: plots.figure_bytes(f, "svg") for k, f in plots.report_figures(result, ["k80", "v100"]).items()}
    second = {k: plots.figure_bytes(f, "svg") for k, f in plots.report_figures(result, ["k80", "v100"]).items()}
    assert list(first) == ["Roofline", "Unit timeline", "Energy by component", "Cycles per layer by cause"]
    assert first == second
    assert all(b"<svg" in data and b"dc:date" not in data for data in first.values())
    png = plots.figure_bytes(plots.roofline_figure(result, ["k80"]), "png")
    assert png.startswith(PNG_MAGIC) and png == plots.figure_bytes(plots.roofline_figure(result, ["k80"]), "png")
    assert b"matplotlib" not in png.lower()  # no Software stamp


def test_roofline_svg_names_every_roof_and_the_paper_figure_places_the_six_apps(tmp_path):
    svg = plots.figure_bytes(plots.roofline_figure(sample_result(), ["k80", "h200"]), "svg").decode()
    for label in ("tpu_v1", "k80 fp32", "h200 int8"):
        assert label in svg
    path = tmp_path / "tpu_roofline.svg"
    plots.save_figure(plots.tpu_paper_roofline_figure(other_roofs=[plots.Roof("K80 die", 2.8, 160)]), path)
    text = path.read_text()
    for app in plots.TPU17_APPS:
        assert app in text
    assert "TPU v1 (92 TOPS, 34 GB/s)" in text
    png = tmp_path / "tpu_roofline.png"
    plots.save_figure(plots.tpu_paper_roofline_figure(), png)
    assert png.read_bytes().startswith(PNG_MAGIC)


def test_empty_breakdowns_still_render():
    result = sample_result(n_layers=1)
    bare = RunResult(result.arch, result.workload, 1, "int8", 700.0,
                     Totals(0, 0.0, 0, 0.0, 0.0, 0.0, 0, {}, {}), (), (), {})
    for fig in plots.report_figures(bare).values():
        assert plots.figure_bytes(fig, "svg")


def test_unknown_format_is_refused():
    with pytest.raises(ValueError, match="unknown figure format"):
        plots.figure_bytes(plots.energy_breakdown_figure(sample_result()), "gif")


def test_app_point_uses_macs_per_weight_byte_and_overlays_simulated_apps():
    from accelsim.workload.graph import WorkloadBuilder

    b = WorkloadBuilder("fc", batch=200)
    b.input("x", (200, 2000))
    b.fc("fc1", "x", 2000, bias=False)
    workload = b.build()
    result = sample_result()
    x, y = plots.app_point(result, workload)
    # int8: 4 M weights of 1 byte; the sample result's totals give the MACs and TOPS
    assert x == pytest.approx(result.totals.macs / 4_000_000)
    assert y == result.totals.tops
    svg = plots.figure_bytes(plots.tpu_paper_roofline_figure(simulated={"MLP0": (200.0, 12.9)}), "svg").decode()
    assert "simulated" in svg and "published (Tables 1 and 3)" in svg


def test_busy_fraction_by_hand():
    timeline = (
        TimelineEvent("matrix", "a", "compute", 0, 50),
        TimelineEvent("matrix", "a", "weight_load_stall", 50, 100),   # a stall is not work
        TimelineEvent("matrix", "b", "compute", 150, 200),
        TimelineEvent("dma", "a", "weight_load_stall", 0, 100),       # a transfer track: counts
        TimelineEvent("dma", "b", "weight_load_stall", 50, 120),      # overlaps merge
    )
    base = sample_result()
    result = RunResult("x", "y", 1, "int8", 1.0, base.totals, (), timeline, {})
    edges, busy = plots.busy_fraction(result, bins=2)
    assert edges == [0.0, 100.0, 200.0]
    assert busy["matrix"] == [pytest.approx(0.5), pytest.approx(0.5)]
    assert busy["dma"] == [pytest.approx(1.0), pytest.approx(0.2)]
    assert list(busy) == ["dma", "matrix"]  # first activity at cycle 0, then by name
