"""Tables and JSON for training steps and scaling sweeps (seconds shown as milliseconds)."""
from __future__ import annotations

import json

from .training import ScalingPoint, StepResult

BREAKDOWN = (
    ("compute", "compute_seconds"),
    ("tensor-parallel comm (blocking)", "tensor_comm_seconds"),
    ("pipeline bubble", "bubble_seconds"),
    ("compression selection", "compression_seconds"),
    ("exposed data-parallel comm", "exposed_comm_seconds"),
    ("optimizer update", "optimizer_seconds"),
)


def _ms(seconds: float) -> str:
    return f"{seconds * 1e3:.3f}"


def step_table(step: StepResult, time_to_train_seconds: float | None = None,
               epochs: float | None = None) -> str:
    """A readable breakdown of one training step."""
    lines = [
        (f"system {step.system}: {step.chips} chips, {step.parallel}, global batch "
         f"{step.global_batch} ({step.per_chip_batch:g} per chip, micro-batch {step.micro_batch})"),
        (f"all-reduce {step.collective}, compression {step.compression}, network model "
         f"{step.network_model}"),
        f"per-layer times: {step.profile_source}",
        "",
        f"{'part of the step':34} {'ms':>10} {'share':>7}",
    ]
    for label, key in BREAKDOWN:
        value = getattr(step, key)
        share = value / step.step_seconds if step.step_seconds else 0.0
        lines.append(f"{label:34} {_ms(value):>10} {share:>6.1%}")
    lines.append(f"{'step':34} {_ms(step.step_seconds):>10} {1:>6.0%}")
    lines.append("")
    lines.append(f"data-parallel comm in all (hidden + exposed): {_ms(step.total_comm_seconds)} ms "
                 f"in {len(step.buckets)} bucket(s)")
    lines.append(f"throughput: {step.samples_per_second:,.0f} samples/s")
    if step.link_utilization:
        values = sorted(step.link_utilization.values())
        lines.append(f"link utilization over the step ({len(values)} links used): mean "
                     f"{sum(values) / len(values):.1%}, max {values[-1]:.1%}, min {values[0]:.1%}")
    if time_to_train_seconds is not None:
        lines.append(f"time to train {epochs:g} epoch{'' if epochs == 1 else 's'}: {time_to_train_seconds / 60:.2f} min")
    return "\n".join(lines)


def scaling_table(points: list[ScalingPoint]) -> str:
    """One row per chip count of a scaling sweep."""
    if not points:
        return "(no points)"
    scaling = points[0].scaling
    head = (f"{scaling} scaling ("
            + ("per-chip batch fixed" if scaling == "weak" else "global batch fixed") + ")")
    rows = [head, (f"{'chips':>6} {'global':>7} {'per-chip':>8} {'step ms':>9} {'compute':>9} "
                   f"{'exposed':>9} {'select':>8} {'comm all':>9} {'samples/s':>12} {'eff':>6}")]
    for p in points:
        s = p.step
        rows.append(f"{s.chips:>6} {s.global_batch:>7} {s.per_chip_batch:>8g} "
                    f"{_ms(s.step_seconds):>9} {_ms(s.compute_seconds):>9} "
                    f"{_ms(s.exposed_comm_seconds):>9} {_ms(s.compression_seconds):>8} "
                    f"{_ms(s.total_comm_seconds):>9} {s.samples_per_second:>12,.0f} "
                    f"{p.efficiency:>6.1%}")
    return "\n".join(rows)


def to_json(payload: dict) -> str:
    """Deterministic JSON text (sorted keys, two-space indent, trailing newline)."""
    return json.dumps(payload, indent=2, sort_keys=True) + "\n"


def scaling_json(points: list[ScalingPoint]) -> list[dict]:
    """JSON-ready rows of a sweep."""
    return [dict(p.step.as_dict(), scaling=p.scaling, efficiency=p.efficiency) for p in points]
