"""HTML report: one self-contained file (parses, no external URLs, figures inline); optional
headless-Chromium screenshot when a browser is installed."""
from __future__ import annotations

import dataclasses
import shutil
import subprocess
from html.parser import HTMLParser

import matplotlib
import pytest

from accelsim.report.html import _gpu_section, render_html, write_html
from accelsim.report.results import LayerResult, RunResult, TimelineEvent, Totals

matplotlib.use("Agg")


def sample_result() -> RunResult:
    layers, timeline, t = [], [], 0
    for i in range(6):
        macs = 2_000_000 * (i + 1) if i % 2 == 0 else 0
        compute, stall, vector = (600 if macs else 0), 100 * i, (20 if macs else 200)
        cycles = compute + stall + vector
        name = f"conv{i}" if macs else f"relu{i}"
        layers.append(LayerResult(name, "conv2d" if macs else "activation", "matrix" if macs else "vector",
                                  cycles, t, t + cycles, macs, 0.5, 1e-4, 20_000, "compute",
                                  {"compute": compute, "weight_load_stall": stall, "vector": vector},
                                  macs / 20_000))
        timeline.append(TimelineEvent("dma", name, "weight_load_stall", t, t + stall))
        timeline.append(TimelineEvent("matrix_unit" if macs else "vector_unit", name,
                                      "compute" if macs else "vector", t + stall, t + cycles))
        t += cycles
    macs = sum(layer.macs for layer in layers)
    totals = Totals(t, t / 700e6, macs, 2 * macs / (t / 700e6) / 1e12, 0.3, 0.02, 120_000,
                    {"compute": 1800, "weight_load_stall": 1500, "vector": 660},
                    {"matrix_unit": 0.012, "dram": 0.008})
    extra = {
        "arch_summary": {"peak_macs_per_cycle": 65536, "clock_mhz": 700.0, "dram_bandwidth_gbps": 34.0,
                         "peak_tops": 91.75},
        "gpu_baseline": {"gpu": "k80", "model": "roofline", "precision": "fp32", "seconds": 2e-5,
                         "energy_j": 3e-3, "speedup": 3.5, "energy_ratio": 0.15,
                         "label": "roofline: upper bound on GPU speed (lower bound on time)",
                         "note": "k80 has no int8 math; modelled at fp32"},
        "gpu_layers": {"conv0": 1e-6},
    }
    return RunResult("tpu_v1", "toy<net>", 4, "int8", 700.0, totals, tuple(layers), tuple(timeline), extra)


class _Collector(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags: list[str] = []
        self.links: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        for name, value in attrs:
            if name in ("src", "href", "xlink:href", "action", "data") and value:
                self.links.append(value)

    def handle_data(self, data):
        self.text.append(data)


def test_html_report_is_self_contained_and_embeds_every_figure(tmp_path):
    path = tmp_path / "report.html"
    write_html(sample_result(), path)
    text = path.read_text(encoding="utf-8")
    parser = _Collector()
    parser.feed(text)
    parser.close()
    assert parser.tags[0] == "html" and "body" in parser.tags
    assert parser.tags.count("svg") == 4          # roofline, timeline, energy, cycles
    assert parser.tags.count("figure") == 4
    assert parser.tags.count("table") >= 4
    assert "script" not in parser.tags and "link" not in parser.tags and "img" not in parser.tags
    for link in parser.links:
        assert not link.lower().startswith(("http:", "https:", "//")), link
    assert "<?xml" not in text and "<!DOCTYPE svg" not in text
    body = "".join(parser.text)
    assert "toy<net>" in body                      # escaped in the source, intact when parsed
    assert "k80 has no int8 math" in body
    assert "k80 fp32" in text                      # the GPU roof is on the roofline figure
    for name in ("conv0", "relu1", "conv4"):
        assert name in body
    assert render_html(sample_result()) == text  # deterministic: same result, same bytes


def test_gpu_section_only_with_a_baseline():
    result = sample_result()
    assert "GPU baseline" in _gpu_section(result)
    assert _gpu_section(dataclasses.replace(result, extra={})) == ""


def _browser() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome", "headless_shell"):
        found = shutil.which(name)
        if found:
            return found
    return None


@pytest.mark.skipif(_browser() is None, reason="no headless Chromium installed")
def test_html_report_renders_in_headless_chromium(tmp_path):
    from matplotlib.image import imread

    page = tmp_path / "report.html"
    shot = tmp_path / "shot.png"
    write_html(sample_result(), page)
    cmd = [_browser(), "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
           "--no-first-run", f"--user-data-dir={tmp_path / 'profile'}", "--window-size=1200,1600",
           f"--screenshot={shot}", page.as_uri()]
    try:
        subprocess.run(cmd, capture_output=True, timeout=90, check=False)
    except subprocess.TimeoutExpired:
        pytest.skip("headless Chromium did not finish in 90 s")
    if not shot.exists():
        pytest.skip("headless Chromium produced no screenshot in this environment")
    pixels = imread(shot)
    assert pixels.shape[0] >= 1000 and pixels.shape[1] >= 1000
    # the page is not blank: text and figures make many distinct colours
    assert pixels[..., :3].reshape(-1, 3).std(axis=0).max() > 0.05
