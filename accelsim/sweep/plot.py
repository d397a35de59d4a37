"""Pareto figure: every feasible point and the front over the first two objectives.

With a third objective the points are coloured by it. Built without pyplot and saved through
accelsim.report.plots.save_figure (fixed metadata, so the same sweep gives the same bytes).
Imports matplotlib: import this module only where a figure is drawn.
"""
from __future__ import annotations

import math
from collections.abc import Sequence

from matplotlib.figure import Figure
from matplotlib.ticker import LogFormatterSciNotation, LogLocator, NullFormatter

from .metrics import Objective
from .pareto import pareto_front

_LABELS = {"seconds": "run time of the workload (s)", "energy_j": "energy (J)", "area_mm2": "area (mm²)",
           "cycles": "cycles", "tops": "throughput (TOPS)", "utilization": "utilization (fraction of peak)",
           "dram_bytes": "DRAM traffic (bytes)", "tops_per_w": "efficiency (TOPS/W)", "pj_per_mac": "pJ per MAC"}


def axis_label(objective: Objective) -> str:
    return f"{_LABELS.get(objective.metric, objective.metric)} [{objective.sense}]"


def pareto_figure(values: Sequence[Sequence[float]], front: Sequence[int], objectives: Sequence[Objective],
                  title: str) -> Figure:
    """Scatter of ``values`` (rows of objective values) with the rows in ``front`` highlighted."""
    fig = Figure(figsize=(8.0, 5.5), layout="constrained")
    ax = fig.add_subplot()
    xs = [row[0] for row in values]
    ys = [row[1] if len(objectives) > 1 else 0.0 for row in values]
    if len(objectives) > 2:
        colours = [row[2] for row in values]
        cloud = ax.scatter(xs, ys, c=colours, s=14, cmap="viridis", alpha=0.6, linewidths=0, label="design points")
        fig.colorbar(cloud, ax=ax, label=axis_label(objectives[2]))
    else:
        ax.scatter(xs, ys, s=14, color="#9a9a9a", alpha=0.6, linewidths=0, label="design points")
    picked = sorted(front, key=lambda i: (values[i][0], values[i][1] if len(objectives) > 1 else 0.0))
    fx = [values[i][0] for i in picked]
    fy = [values[i][1] if len(objectives) > 1 else 0.0 for i in picked]
    ax.scatter(fx, fy, s=46, facecolors="none", edgecolors="#d62728", linewidths=1.5, zorder=3,
               label=f"Pareto front ({len(front)} points, all objectives)")
    if len(objectives) > 1:
        # the trade-off between the two plotted objectives alone, as a staircase
        pair = pareto_front([row[:2] for row in values], objectives[:2])
        pair = sorted(pair, key=lambda i: (values[i][0], values[i][1]))
        label = None if len(objectives) == 2 else "front of the two plotted objectives"
        ax.step([values[i][0] for i in pair], [values[i][1] for i in pair], where="post", color="#d62728",
                linewidth=1.0, zorder=2, label=label)
    _scale(ax.xaxis, ax.set_xscale, xs)
    if len(objectives) > 1:
        _scale(ax.yaxis, ax.set_yscale, ys)
    ax.set_xlabel(axis_label(objectives[0]))
    ax.set_ylabel(axis_label(objectives[1]) if len(objectives) > 1 else "")
    ax.set_title(title)
    ax.grid(True, which="major", alpha=0.3)
    ax.legend(loc="best", fontsize=9, framealpha=0.8)  # "best": the corner with the fewest points under it
    return fig


def _scale(axis, set_scale, data: Sequence[float]) -> None:
    """Log scale for positive data spanning a decade or more, labelled at 1, 2 and 5 x 10^k when it
    spans few decades (minor ticks unlabelled, so labels never crowd)."""
    low, high = min(data), max(data)
    if low <= 0 or high < 10 * low:
        return
    set_scale("log")
    subs = (1.0, 2.0, 5.0) if math.log10(high / low) < 3 else (1.0,)
    axis.set_major_locator(LogLocator(base=10, subs=subs))
    axis.set_major_formatter(LogFormatterSciNotation(labelOnlyBase=False))
    axis.set_minor_formatter(NullFormatter())
