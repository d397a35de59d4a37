"""Figures for reports: rooflines, the TPU v1 paper's roofline, unit timelines, energy and cycles.

Every function returns a :class:`matplotlib.figure.Figure` built without pyplot (no global figure
state, any backend); :func:`figure_bytes` and :func:`save_figure` render it as PNG or SVG with fixed
metadata and SVG hash salt, so the same input always gives byte-identical files.

Units: operational intensity is MACs per DRAM byte (the TPU v1 paper's x axis); throughput is
10^12 operations per second (TOPS, 2 operations per MAC); time on timelines is microseconds.
Import this module only where figures are drawn: it imports matplotlib.
"""
from __future__ import annotations

import io
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

import matplotlib
from matplotlib.figure import Figure

from ..atomic import write_atomic
from ..validation.published import TPU_V1_MACS_PER_WEIGHT_BYTE, TPU_V1_PEAK_TOPS, TPU_V1_TABLE3
from .results import CAUSES, RunResult

FORMATS = ("png", "svg")
PNG_DPI = 100
SVG_HASH_SALT = "accelsim"
_CAUSE_COLORS = {
    "compute": "#2ca02c", "weight_shift": "#bcbd22", "weight_load_stall": "#d62728",
    "input_stall": "#ff7f0e", "output_stall": "#e377c2", "vector": "#1f77b4", "scalar": "#9467bd",
    "dependency_stall": "#8c564b", "host_transfer": "#17becf", "idle": "#c7c7c7",
}
_OTHER_COLORS = ("#393b79", "#637939", "#8c6d31", "#843c39", "#7b4173", "#3182bd", "#31a354")


def cause_color(cause: str) -> str:
    """A fixed colour per cause (causes added later get one from a fixed list, by position)."""
    if cause in _CAUSE_COLORS:
        return _CAUSE_COLORS[cause]
    extra = [c for c in CAUSES if c not in _CAUSE_COLORS]
    index = extra.index(cause) if cause in extra else sum(map(ord, cause))
    return _OTHER_COLORS[index % len(_OTHER_COLORS)]
_ROOF_COLORS = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#17becf", "#7f7f7f")

#: TPU v1 paper (Jouppi et al., ISCA 2017): (MACs per weight byte from Table 1, TeraOps/s from
#: Table 3) for the six production apps, as placed on the paper's roofline figure.
TPU17_APPS: dict[str, tuple[float, float]] = {
    app: (TPU_V1_MACS_PER_WEIGHT_BYTE[app], tops) for app, (_, _, tops) in TPU_V1_TABLE3.items()
}


@dataclass(frozen=True)
class Roof:
    """One roofline: ``peak_tops`` (10^12 ops/s) and ``bandwidth_gbps`` (10^9 bytes/s)."""

    label: str
    peak_tops: float
    bandwidth_gbps: float

    def attainable_tops(self, macs_per_byte: float) -> float:
        """min(peak, bandwidth x intensity), in 10^12 ops/s (2 ops per MAC)."""
        return min(self.peak_tops, 2.0 * macs_per_byte * self.bandwidth_gbps / 1e3)

    @property
    def ridge_macs_per_byte(self) -> float:
        """Intensity (MACs per byte) where the roof turns flat."""
        return self.peak_tops * 1e3 / (2.0 * self.bandwidth_gbps)


# --- rendering ---------------------------------------------------------------------------------

def figure_bytes(fig: Figure, fmt: str) -> bytes:
    """Render ``fig`` as ``png`` or ``svg`` bytes, deterministically (no dates, fixed ids)."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown figure format '{fmt}'; known: {', '.join(FORMATS)}")
    buffer = io.BytesIO()
    if fmt == "png":
        fig.savefig(buffer, format="png", dpi=PNG_DPI, metadata={"Software": None})
    else:
        with matplotlib.rc_context({"svg.hashsalt": SVG_HASH_SALT, "svg.fonttype": "none"}):
            fig.savefig(buffer, format="svg", metadata={"Date": None, "Creator": None})
    return buffer.getvalue()


def save_figure(fig: Figure, path: str | Path) -> None:
    """Write ``fig`` to ``path`` (format from the suffix: .png or .svg), atomically."""
    fmt = Path(path).suffix.lower().lstrip(".")
    write_atomic(path, figure_bytes(fig, fmt))


def _new_figure(width_in: float = 8.0, height_in: float = 5.0) -> Figure:
    return Figure(figsize=(width_in, height_in), layout="constrained")


# --- rooflines ---------------------------------------------------------------------------------

def _draw_roofs(ax, roofs: Iterable[Roof], x_min: float, x_max: float) -> None:
    for i, roof in enumerate(roofs):
        ridge = roof.ridge_macs_per_byte
        xs = sorted({x_min, min(max(ridge, x_min), x_max), x_max})
        ax.plot(xs, [roof.attainable_tops(x) for x in xs], color=_ROOF_COLORS[i % len(_ROOF_COLORS)],
                linewidth=2, label=f"{roof.label} ({roof.peak_tops:g} TOPS, {roof.bandwidth_gbps:g} GB/s)")


def _log_range(values: Iterable[float], pad: float = 3.0) -> tuple[float, float]:
    finite = [v for v in values if v > 0 and math.isfinite(v)]
    if not finite:
        return 0.1, 1e4
    return min(finite) / pad, max(finite) * pad


def roofline_chart(roofs: Iterable[Roof], points: Mapping[str, tuple[float, float]], title: str,
                   x_label: str = "operational intensity (MACs per DRAM byte)",
                   annotate: bool = False, second: Mapping[str, tuple[float, float]] | None = None,
                   labels: tuple[str, str] = ("layers", "simulated")) -> Figure:
    """A log-log roofline with ``points`` (label -> (MACs per byte, achieved TOPS)).

    ``second`` is an optional second point set (open markers), e.g. simulated next to published;
    ``labels`` name the two sets in the legend. Points with infinite intensity (no DRAM traffic)
    are drawn at the right edge.
    """
    roofs = tuple(roofs)
    second = dict(second or {})
    finite_x = [x for x, _ in (*points.values(), *second.values()) if math.isfinite(x) and x > 0]
    x_min, x_max = _log_range(finite_x + [r.ridge_macs_per_byte for r in roofs])
    x_min = min(x_min, 1.0)
    fig = _new_figure()
    ax = fig.add_subplot()
    ax.set_xscale("log")
    ax.set_yscale("log")
    _draw_roofs(ax, roofs, x_min, x_max)
    for index, (group, label) in enumerate(((points, labels[0]), (second, labels[1]))):
        if not group:
            continue
        xs = [x if math.isfinite(x) and x > 0 else x_max for x, _ in group.values()]
        ys = [max(y, 1e-6) for _, y in group.values()]
        style = {"color": "black"} if index == 0 else {"facecolors": "none", "edgecolors": "#d62728"}
        ax.scatter(xs, ys, s=22, zorder=3, label=label, **style)
        if annotate:
            for name, x, y in zip(group, xs, ys, strict=True):
                ax.annotate(name, (x, y), textcoords="offset points", xytext=(4, 4 if index == 0 else -11),
                            fontsize=8 if index else 9, color="black" if index == 0 else "#d62728")
    peaks = [r.peak_tops for r in roofs] + [y for _, y in (*points.values(), *second.values()) if y > 0]
    y_low, y_high = _log_range(peaks, pad=2.0)
    ax.set_ylim(min(y_low, min((r.attainable_tops(x_min) for r in roofs), default=y_low)), y_high)
    ax.set_xlim(x_min, x_max)
    ax.set_xlabel(x_label)
    ax.set_ylabel("TOPS (10^12 ops/s, 2 ops per MAC)")
    ax.set_title(title)
    ax.grid(True, which="major", linewidth=0.5, alpha=0.5)
    if roofs or points or second:
        ax.legend(loc="lower right", fontsize=8)
    else:
        ax.text(0.5, 0.5, "no roofs or layers to show", ha="center", va="center", transform=ax.transAxes)
    return fig


def accelerator_roof(result: RunResult) -> Roof | None:
    """The accelerator's roof from ``extra['arch_summary']`` (peak_tops, dram_bandwidth_gbps)."""
    summary = result.extra.get("arch_summary") or {}
    peak = summary.get("peak_tops")
    if not peak and summary.get("peak_macs_per_cycle") and summary.get("clock_mhz"):
        peak = 2 * summary["peak_macs_per_cycle"] * summary["clock_mhz"] * 1e6 / 1e12
    bandwidth = summary.get("dram_bandwidth_gbps")
    if not peak or not bandwidth:
        return None
    return Roof(result.arch, float(peak), float(bandwidth))


def layer_points(result: RunResult) -> dict[str, tuple[float, float]]:
    """Layer name -> (MACs per DRAM byte, achieved TOPS) for every layer that does MACs."""
    points = {}
    for layer in result.layers:
        if layer.macs <= 0 or layer.cycles <= 0:
            continue
        seconds = layer.cycles / (result.clock_mhz * 1e6)
        points[layer.name] = (layer.operational_intensity, 2 * layer.macs / seconds / 1e12)
    return points


def gpu_roofs(gpus: Iterable, precision: str, sparse: bool = False) -> list[Roof]:
    """Roofs of GPU specs (names or :class:`GpuSpec`) at ``precision`` after fallback; ``sparse``:
    at the 2:4 structured-sparse tensor peak where the GPU has one (as the GPU baseline times it)."""
    from ..baselines.gpu_model import resolve_precision
    from ..baselines.gpu_spec import GpuSpec, load_gpu_spec

    roofs = []
    for gpu in gpus:
        spec = gpu if isinstance(gpu, GpuSpec) else load_gpu_spec(gpu)
        key, _ = resolve_precision(spec, precision, sparse)
        if sparse and key in spec.sparse_peak_tops:
            roofs.append(Roof(f"{spec.name} {key} 2:4 sparse", spec.sparse_peak_tops[key], spec.memory_bandwidth_gbps))
        else:
            roofs.append(Roof(f"{spec.name} {key}", spec.dense_peak_tops[key], spec.memory_bandwidth_gbps))
    return roofs


def roofline_figure(result: RunResult, gpus: Iterable = (), sparse_gpus: bool = False) -> Figure:
    """The accelerator's roof, the GPUs' roofs at the run's precision (``sparse_gpus``: at their
    2:4 sparse peaks), each layer as a point."""
    roofs = [r for r in (accelerator_roof(result),) if r is not None] + gpu_roofs(gpus, result.precision, sparse_gpus)
    title = f"Roofline: {result.workload} on {result.arch} (batch {result.batch}, {result.precision})"
    return roofline_chart(roofs, layer_points(result), title)


def app_point(result: RunResult, workload) -> tuple[float, float]:
    """(MACs per weight byte, achieved TOPS) of a whole run, the TPU v1 paper's roofline axes.

    Weight bytes count every weight read (a weight matrix reused by unrolled time steps counts
    once per step), at the run's precision width.
    """
    from ..precision import get_precision

    weight_bytes = sum(layer.op.weight_elements for layer in workload.layers) * get_precision(result.precision).bytes
    intensity = result.totals.macs / weight_bytes if weight_bytes else math.inf
    return intensity, result.totals.tops


def tpu_paper_roofline_figure(apps: Mapping[str, tuple[float, float]] = TPU17_APPS,
                              peak_tops: float = TPU_V1_PEAK_TOPS, bandwidth_gbps: float = 34.0,
                              other_roofs: Iterable[Roof] = (),
                              simulated: Mapping[str, tuple[float, float]] | None = None) -> Figure:
    """The TPU v1 paper's roofline (92 TOPS, 34 GB/s, ridge 1350 MACs per weight byte) with apps.

    ``apps``: name -> (MACs per weight byte, TOPS); defaults to the paper's six production apps.
    ``simulated``: the same for simulated runs (see :func:`app_point`), drawn as open markers.
    """
    roofs = [Roof("TPU v1", peak_tops, bandwidth_gbps), *other_roofs]
    return roofline_chart(roofs, apps, "TPU v1 roofline with the six production apps (Jouppi et al. 2017)",
                          x_label="operational intensity (MACs per weight byte)", annotate=True,
                          second=simulated, labels=("published (Tables 1 and 3)", "simulated"))


# --- timelines, energy, cycles -------------------------------------------------------------------

def timeline_tracks(result: RunResult) -> list[str]:
    """Track names in order of first activity (then name)."""
    tracks: list[str] = []
    for event in sorted(result.timeline, key=lambda e: (e.start_cycle, e.track)):
        if event.track not in tracks:
            tracks.append(event.track)
    return tracks


def busy_fraction(result: RunResult, bins: int = 100) -> tuple[list[float], dict[str, list[float]]]:
    """Per-track fraction of each time bin spent working (overlapping events merged).

    Working means any cause but ``idle`` and the ``*_stall`` causes — except on tracks that only
    have stall-labelled events (DMA engines and links, whose transfers carry the cause they
    serve), where every event is a transfer and counts. Returns the ``bins + 1`` bin edges in
    cycles and, per track, ``bins`` fractions in [0, 1].
    """
    end = max((e.end_cycle for e in result.timeline), default=0)
    if end <= 0 or bins < 1:
        return [0.0, float(end)], {t: [0.0] for t in timeline_tracks(result)}
    width = end / bins
    edges = [i * width for i in range(bins + 1)]
    out = {}
    for track in timeline_tracks(result):
        events = [e for e in result.timeline if e.track == track and e.cause != "idle" and e.end_cycle > e.start_cycle]
        working = [e for e in events if not e.cause.endswith("_stall")]
        spans = sorted((e.start_cycle, e.end_cycle) for e in (working or events))
        merged: list[list[int]] = []
        for start, stop in spans:
            if merged and start <= merged[-1][1]:
                merged[-1][1] = max(merged[-1][1], stop)
            else:
                merged.append([start, stop])
        busy = [0.0] * bins
        for start, stop in merged:
            first, last = int(start // width), min(bins - 1, int((stop - 1e-9) // width))
            for b in range(first, last + 1):
                busy[b] += min(stop, edges[b + 1]) - max(start, edges[b])
        out[track] = [min(1.0, v / width) for v in busy]
    return edges, out


def timeline_figure(result: RunResult, bins: int = 100) -> Figure:
    """Per-track busy intervals coloured by cause (top) and busy fraction per time bin (bottom).

    Time in microseconds (cycles when the clock is unknown).
    """
    tracks = timeline_tracks(result)
    fig = _new_figure(10.0, max(4.0, 0.5 * len(tracks) + 3.5))
    ax, util_ax = fig.subplots(2, 1, sharex=True, height_ratios=(max(1.0, 0.5 * len(tracks)), 2.0))
    us_per_cycle = 1.0 / result.clock_mhz if result.clock_mhz > 0 else 1.0
    bars: dict[tuple[int, str], list[tuple[float, float]]] = {}
    for event in result.timeline:
        key = (tracks.index(event.track), event.cause)
        bars.setdefault(key, []).append(
            (event.start_cycle * us_per_cycle, (event.end_cycle - event.start_cycle) * us_per_cycle))
    seen = set()
    for (row, cause), spans in sorted(bars.items()):
        label = cause if cause not in seen else None
        seen.add(cause)
        ax.broken_barh(sorted(spans), (row - 0.4, 0.8), facecolors=cause_color(cause), label=label)
    ax.set_yticks(range(len(tracks)), labels=tracks)
    ax.invert_yaxis()
    ax.set_title(f"Unit timeline: {result.workload} on {result.arch}")
    if seen:
        ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=8)
    else:
        ax.text(0.5, 0.5, "no timeline events", ha="center", va="center", transform=ax.transAxes)
    edges, fractions = busy_fraction(result, bins)
    for i, (track, values) in enumerate(fractions.items()):
        xs = [e * us_per_cycle for e in edges]
        util_ax.stairs([100.0 * v for v in values], xs, label=track, color=_ROOF_COLORS[i % len(_ROOF_COLORS)])
    util_ax.set_ylim(0, 105)
    util_ax.set_ylabel("working (% of time bin)")
    util_ax.set_xlabel("time (microseconds)" if result.clock_mhz > 0 else "cycles")
    if fractions:
        util_ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=8)
    return fig


def energy_breakdown_figure(result: RunResult) -> Figure:
    """Energy per component (Totals.energy_j_by_component), joules, largest first."""
    parts = sorted(result.totals.energy_j_by_component.items(), key=lambda kv: (-kv[1], kv[0]))
    fig = _new_figure(8.0, max(2.5, 0.4 * len(parts) + 1.5))
    ax = fig.add_subplot()
    total = sum(v for _, v in parts)
    if parts:
        names = [k for k, _ in parts]
        values = [v for _, v in parts]
        ax.barh(range(len(parts)), values, color="#1f77b4")
        ax.set_yticks(range(len(parts)), labels=names)
        ax.invert_yaxis()
        for i, value in enumerate(values):
            share = f" {100 * value / total:.1f} %" if total > 0 else ""
            ax.text(value, i, f" {value:.3g} J{share}", va="center", fontsize=8)
        ax.set_xlim(0, max(values) * 1.35 if max(values) > 0 else 1)
    else:
        ax.text(0.5, 0.5, "no energy breakdown", ha="center", va="center", transform=ax.transAxes)
    ax.set_xlabel("energy (J)")
    ax.set_title(f"Energy by component: {result.workload} on {result.arch} (total {result.totals.energy_j:.3g} J)")
    return fig


def layer_cycles_figure(result: RunResult) -> Figure:
    """Per-layer cycles stacked by cause (LayerResult.cycles_by_cause), layers in order."""
    layers = result.layers
    fig = _new_figure(max(8.0, min(24.0, 0.12 * len(layers) + 4)), 5.0)
    ax = fig.add_subplot()
    causes = [c for c in CAUSES if any(layer.cycles_by_cause.get(c) for layer in layers)]
    causes += sorted({c for layer in layers for c in layer.cycles_by_cause} - set(CAUSES))
    bottoms = [0.0] * len(layers)
    xs = list(range(len(layers)))
    for cause in causes:
        heights = [float(layer.cycles_by_cause.get(cause, 0)) for layer in layers]
        ax.bar(xs, heights, bottom=bottoms, width=0.85, label=cause, color=cause_color(cause))
        bottoms = [b + h for b, h in zip(bottoms, heights, strict=True)]
    step = max(1, math.ceil(len(layers) / 40))
    ax.set_xticks(xs[::step], labels=[layer.name for layer in layers][::step], rotation=90, fontsize=7)
    ax.set_ylabel("cycles")
    ax.set_title(f"Cycles per layer by cause: {result.workload} on {result.arch}")
    if causes:
        ax.legend(fontsize=8, ncols=min(4, len(causes)))
    return fig


def report_figures(result: RunResult, gpus: Iterable = (), sparse_gpus: bool = False) -> dict[str, Figure]:
    """Every figure of a run report, by title, in display order."""
    return {
        "Roofline": roofline_figure(result, gpus, sparse_gpus),
        "Unit timeline": timeline_figure(result),
        "Energy by component": energy_breakdown_figure(result),
        "Cycles per layer by cause": layer_cycles_figure(result),
    }
