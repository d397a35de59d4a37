"""A self-contained HTML report of one run: tables plus figures as inline SVG, readable offline.

The file has no scripts and no external references (no ``http(s)`` src or href, fonts from the
reader's system), so it can be mailed or archived as one file. Figures come from
:mod:`accelsim.report.plots` (matplotlib is imported only when a report is written).
"""
from __future__ import annotations

import html
import math
import re
from collections.abc import Iterable
from pathlib import Path

from ..atomic import write_atomic
from .render import layer_gpu_seconds
from .results import RunResult

_STYLE = """
body { font-family: system-ui, -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; margin: 2em;
       color: #222; max-width: 1200px; }
h1 { font-size: 1.5em; } h2 { font-size: 1.2em; margin-top: 2em; border-bottom: 1px solid #ccc; }
table { border-collapse: collapse; font-size: 0.85em; margin: 0.5em 0; }
th, td { border: 1px solid #ddd; padding: 2px 8px; }
th { background: #f3f3f3; text-align: left; } td.num { text-align: right; font-variant-numeric: tabular-nums; }
figure { margin: 1em 0; } figure svg { max-width: 100%; height: auto; }
figcaption { font-size: 0.9em; color: #555; }
.note { color: #555; font-size: 0.9em; }
"""


def _e(value) -> str:
    return html.escape(str(value), quote=True)


def _fmt(value) -> str:
    if isinstance(value, bool) or value is None:
        return "–" if value is None else str(value)
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        if math.isinf(value):
            return "∞"
        if value == 0:
            return "0"
        if abs(value) >= 1e5 or abs(value) < 1:
            return f"{value:.4g}"
        return f"{value:,.4f}".rstrip("0").rstrip(".")
    return str(value)


def _table(headers: Iterable[str], rows: Iterable[Iterable]) -> str:
    head = "".join(f"<th>{_e(h)}</th>" for h in headers)
    body = []
    for row in rows:
        cells = []
        for value in row:
            numeric = isinstance(value, (int, float)) and not isinstance(value, bool)
            cells.append(f'<td class="num">{_e(_fmt(value))}</td>' if numeric else f"<td>{_e(_fmt(value))}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def inline_svg(svg_bytes: bytes) -> str:
    """An SVG document as an element to embed in HTML: no XML prolog, DOCTYPE or RDF metadata."""
    text = svg_bytes.decode("utf-8")
    text = text[text.index("<svg"):]
    return re.sub(r"<metadata>.*?</metadata>\s*", "", text, flags=re.DOTALL)


def _summary_section(result: RunResult, workload) -> str:
    t = result.totals
    rows = [
        ("architecture", result.arch), ("workload", result.workload), ("batch", result.batch),
        ("precision", result.precision), ("clock (MHz)", result.clock_mhz),
        ("cycles", t.cycles), ("time (s)", t.seconds),
        ("throughput (samples/s)", result.batch / t.seconds if t.seconds > 0 else None),
        ("MACs", t.macs), ("achieved TOPS", t.tops), ("utilization", t.utilization),
        ("energy (J)", t.energy_j), ("DRAM bytes", t.dram_bytes),
    ]
    if workload is not None:
        rows += [("workload layers", len(workload.layers)), ("workload parameters", workload.params)]
        if getattr(workload, "description", ""):
            rows.append(("workload description", workload.description))
        if getattr(workload, "source", ""):
            rows.append(("workload source", workload.source))
    return "<h2>Summary</h2>" + _table(("quantity", "value"), rows)


def _gpu_section(result: RunResult) -> str:
    gb = result.extra.get("gpu_baseline")
    if not gb:
        return ""
    rows = [(k, gb.get(k)) for k in ("gpu", "model", "precision", "sparse", "seconds", "energy_j", "speedup",
                                     "energy_ratio") if k in gb]
    parts = ["<h2>GPU baseline</h2>", _table(("quantity", "value"), rows),
             ('<p class="note">speedup = GPU seconds / accelerator seconds; energy_ratio = GPU joules / '
              "accelerator joules. "), _e(gb.get("label", "")), "</p>"]
    if gb.get("note"):
        parts.append(f'<p class="note">{_e(gb["note"])}</p>')
    return "".join(parts)


def _breakdown_section(result: RunResult) -> str:
    t = result.totals
    cycles = sum(t.cycles_by_cause.values()) or 1
    energy = sum(t.energy_j_by_component.values()) or 1.0
    cause_rows = [(c, n, 100.0 * n / cycles) for c, n in t.cycles_by_cause.items()]
    energy_rows = [(c, j, 100.0 * j / energy) for c, j in sorted(t.energy_j_by_component.items(), key=lambda kv: -kv[1])]
    return ("<h2>Where the cycles and the energy went</h2>"
            + _table(("cause", "cycles", "% of cycles"), cause_rows)
            + _table(("component", "energy (J)", "% of energy"), energy_rows))


def _layers_section(result: RunResult) -> str:
    gpu_layers = result.extra.get("gpu_layers") or {}
    headers = ["layer", "op", "unit", "cycles", "start cycle", "MACs", "utilization", "energy (J)",
               "DRAM bytes", "bound", "MACs per DRAM byte"]
    if gpu_layers:
        headers.append("GPU seconds")
    rows = []
    for layer in result.layers:
        row = [layer.name, layer.op, layer.unit, layer.cycles, layer.start_cycle, layer.macs,
               layer.utilization, layer.energy_j, layer.dram_bytes, layer.bound, layer.operational_intensity]
        if gpu_layers:
            row.append(layer_gpu_seconds(layer, gpu_layers))
        rows.append(row)
    return "<h2>Layers</h2>" + _table(headers, rows)


def _figures_section(result: RunResult, gpus) -> str:
    from . import plots

    # GPU roofs as the run's GPU baseline timed them: at the 2:4 sparse peak when it did
    sparse = bool((result.extra.get("gpu_baseline") or {}).get("sparse"))
    parts = ["<h2>Figures</h2>"]
    for title, fig in plots.report_figures(result, gpus, sparse).items():
        parts.append(f"<figure>{inline_svg(plots.figure_bytes(fig, 'svg'))}"
                     f"<figcaption>{_e(title)}</figcaption></figure>")
    return "".join(parts)


def render_html(result: RunResult, workload=None, gpus: Iterable | None = None) -> str:
    """The report as one HTML string. ``gpus`` (names or specs) add roofs to the roofline; by
    default the run's GPU baseline, if it has one."""
    if gpus is None:
        gb = result.extra.get("gpu_baseline")
        gpus = [gb["gpu"]] if gb and gb.get("gpu") else []
    title = f"accelsim: {result.workload} on {result.arch}"
    return "\n".join([
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{_e(title)}</title><style>{_STYLE}</style></head><body>",
        f"<h1>{_e(title)}</h1>",
        _summary_section(result, workload),
        _gpu_section(result),
        _breakdown_section(result),
        _figures_section(result, list(gpus)),
        _layers_section(result),
        "</body></html>",
        "",
    ])


def write_html(result: RunResult, path: str | Path, workload=None, gpus: Iterable | None = None) -> None:
    """Write the self-contained HTML report of ``result`` to ``path`` (atomically)."""
    write_atomic(path, render_html(result, workload, gpus))
