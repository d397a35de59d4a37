"""Pareto figure: every feasible point and the front over the first two objectives.

With a third objective the points are coloured by it. Built without pyplot and saved through
accelsim.report.plots.save_figure (fixed metadata, so the same sweep gives the same bytes).
Imports matplotlib: import this module only where a figure is drawn.
"""
from __future__ import annotations

from collections.abc import Sequence

from matplotlib.figure import Figure

from .metrics import Objective

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
    if len(objectives) == 2:
        ax.step(fx, fy, where="post", color="#d62728", linewidth=1.0, zorder=2)
    positive = all(v > 0 for v in xs) and all(v > 0 for v in ys)
    if positive and len(objectives) > 1:
        ax.set_xscale("log")
        ax.set_yscale("log")
    ax.set_xlabel(axis_label(objectives[0]))
    ax.set_ylabel(axis_label(objectives[1]) if len(objectives) > 1 else "")
    ax.set_title(title)
    ax.grid(True, which="major", alpha=0.3)
    ax.legend(loc="upper right", fontsize=9)
    return fig
