"""Side-by-side comparison of simulated accelerators and GPU baselines on one workload.

The accelerators to run are a list of :class:`Variant` (arch + precision + label), so callers can
compare one arch at several precisions, or iso-area variants, by building more variants; GPUs are
timed with :func:`accelsim.baselines.gpu_model.gpu_baseline` on the same workload graph.

Row fields carry their units: ``seconds`` per batch, ``throughput_per_s`` samples per second,
``energy_j`` joules per batch, ``tops`` achieved 10^12 ops/s (2 per MAC), ``utilization`` 0..1.
"""
from __future__ import annotations

import csv
import io
import json
import math
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, replace

from ..errors import AccelsimError, with_context
from ..workload.graph import Workload
from .gpu_model import gpu_baseline
from .gpu_spec import GpuSpec, load_gpu_spec


@dataclass(frozen=True)
class Variant:
    """One accelerator configuration to simulate. ``precision`` None means the arch's default."""

    arch: str
    precision: str | None = None
    label: str = ""
    overrides: tuple[str, ...] = ()
    note: str = ""

    @property
    def name(self) -> str:
        return self.label or self.arch


@dataclass(frozen=True)
class Row:
    """One line of the comparison (an accelerator run or a GPU baseline)."""

    name: str
    kind: str  # "accelerator" or "gpu <model>"
    precision: str
    batch: int
    seconds: float
    throughput_per_s: float | None
    energy_j: float
    tops: float | None
    peak_tops: float | None
    utilization: float | None
    note: str = ""
    area_mm2: float | None = None  # accelerators: the area model's estimate of the chip (costs/area.py)
    cycles: int | None = None  # accelerators: total cycles at the arch's reference clock
    accuracy_percent: float | None = None  # test accuracy of the matching precision-study arm, if it ran
    accuracy_arm: str | None = None  # that arm ("int8", "lns-everywhere", ... or "not run"); None: not asked


def _per_second(batch: int, seconds: float) -> float | None:
    return batch / seconds if seconds > 0 else None


def _tops(macs: int, seconds: float) -> float | None:
    return 2 * macs / seconds / 1e12 if seconds > 0 else None


def accelerator_row(variant: Variant, result) -> Row:
    """A row from an accelsim RunResult."""
    t = result.totals
    peak = (result.extra.get("arch_summary") or {}).get("peak_tops")
    from ..costs.arch_area import arch_area_mm2
    from ..spec.loader import load_arch

    area, _ = arch_area_mm2(load_arch(variant.arch, variant.overrides))
    return Row(variant.name, "accelerator", result.precision, result.batch, t.seconds,
               _per_second(result.batch, t.seconds), t.energy_j, _tops(t.macs, t.seconds),
               peak, t.utilization, variant.note, area, t.cycles)


def with_accuracy(rows: Sequence[Row], study) -> list[Row]:
    """Accelerator rows with the test accuracy of the precision-study arm their precision maps to
    (``study``: an :class:`accelsim.study.accuracy.StudyAccuracy`); GPU rows unchanged."""
    from dataclasses import replace

    return [replace(row, accuracy_percent=study.accuracy_percent(row.precision), accuracy_arm=study.arm_for(row.precision))
            if row.kind == "accelerator" else row for row in rows]


def gpu_row(spec: GpuSpec, workload: Workload, precision: str, model: str, sparse: bool = False) -> Row:
    """A row from a GPU baseline of ``workload`` at ``precision`` (after the GPU's fallback)."""
    base = gpu_baseline(workload, spec, precision, model, sparse=sparse)
    table = spec.sparse_peak_tops if sparse and base.precision in spec.sparse_peak_tops else spec.dense_peak_tops
    peak = table[base.precision]
    tops = _tops(base.macs, base.seconds)
    return Row(spec.name, f"gpu {model}", base.precision, workload.batch, base.seconds,
               _per_second(workload.batch, base.seconds), base.energy_j, tops, peak,
               tops / peak if tops is not None and peak else None, base.note)


def compare(variants: Sequence[Variant], gpus: Iterable[str | GpuSpec], workload: Workload,
            precision: str | None = None, gpu_model: str = "roofline", sparse: bool = False) -> list[Row]:
    """Simulate every variant and time every GPU on ``workload``; accelerators first, then GPUs.

    GPUs run at ``precision`` when given, else at the first accelerator's precision (the
    like-for-like comparison), else fp16.
    """
    from ..api import simulate

    rows = []
    several = len({variant.arch for variant in variants}) > 1
    for variant in variants:
        try:
            result = simulate(variant.arch, workload, precision=variant.precision or precision,
                              overrides=variant.overrides)
            rows.append(accelerator_row(variant, result))
        except AccelsimError as exc:
            if not several:
                raise
            raise with_context(exc, variant.arch) from None
    gpu_precision = precision or (rows[0].precision if rows else "fp16")
    # with variants at several precisions, say which one the GPUs were timed at
    mixed = len({row.precision for row in rows}) > 1
    for gpu in gpus:
        spec = gpu if isinstance(gpu, GpuSpec) else load_gpu_spec(gpu)
        row = gpu_row(spec, workload, gpu_precision, gpu_model, sparse)
        if mixed:
            said = f"timed at {gpu_precision}, the first row's precision, for every accelerator row"
            row = replace(row, note="; ".join(n for n in (said, row.note) if n))
        rows.append(row)
    return rows


# --- rendering ---------------------------------------------------------------------------------

GPU_MODEL_NOTES = {
    "roofline": "roofline GPU times are lower bounds (the GPU can only be slower).",
    "derated": "derated GPU times add tile/wave quantization, achievable fractions of peak and "
               "bandwidth, and launch overhead (estimates, see reports/gpu_model_error.md).",
}

def _clean(value):
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def to_json(rows: Sequence[Row], workload: Workload, gpu_model: str, accuracy_source: str | None = None) -> str:
    doc = {"workload": workload.name, "batch": workload.batch, "gpu_model": gpu_model,
           "rows": [{k: _clean(v) for k, v in asdict(row).items()} for row in rows]}
    if accuracy_source:
        doc["accuracy_source"] = accuracy_source
    return json.dumps(doc, indent=2, allow_nan=False) + "\n"


def to_csv(rows: Sequence[Row]) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    fields = list(Row.__dataclass_fields__)
    writer.writerow(fields)
    for row in rows:
        writer.writerow(["" if v is None else repr(v) if isinstance(v, float) else v
                         for v in (getattr(row, f) for f in fields)])
    return buf.getvalue()


def _num(value, scale: float = 1.0, digits: int = 4) -> str:
    if value is None:
        return "-"
    scaled = value * scale
    if 10 ** digits <= abs(scaled) < 1e9:
        return f"{scaled:,.0f}"
    return f"{scaled:.{digits}g}"


def to_table(rows: Sequence[Row], workload: Workload, gpu_model: str, accuracy_source: str | None = None) -> str:
    header = (f"{'name':<20} {'kind':<16} {'precision':<9} {'cycles':>11} {'time_ms':>10} {'samples/s':>10} "
              f"{'energy_mJ':>10} {'TOPS':>8} {'peak_TOPS':>9} {'util%':>6} {'vs_first':>8} {'area_mm2':>9}")
    if accuracy_source:
        header += f" {'accuracy%':>9} {'study arm':<15}"
    has_gpu = any(row.kind != "accelerator" for row in rows)
    title = f"accelsim compare: {workload.name} (batch {workload.batch})" + (f"; GPU model: {gpu_model}" if has_gpu else "")
    lines = [title, "", header.rstrip()]
    first = rows[0].seconds if rows else 0.0
    for row in rows:
        relative = row.seconds / first if first > 0 else None
        line = (f"{row.name[:20]:<20} {row.kind[:16]:<16} {row.precision:<9} "
                f"{'-' if row.cycles is None else f'{row.cycles:,}':>11} {_num(row.seconds, 1e3):>10} "
                f"{_num(row.throughput_per_s):>10} {_num(row.energy_j, 1e3):>10} {_num(row.tops):>8} "
                f"{_num(row.peak_tops):>9} {_num(row.utilization, 100, 3):>6} {_num(relative, 1, 3):>8} "
                f"{_num(row.area_mm2):>9}")
        if accuracy_source:
            acc = "-" if row.accuracy_percent is None else f"{row.accuracy_percent:.2f}"
            line += f" {acc:>9} {row.accuracy_arm or '-':<15}"
        lines.append(line.rstrip())
    notes = [f"  {row.name}: {row.note}" for row in rows if row.note]
    lines += ["", "time and energy per batch; vs_first = time / time of the first row (> 1: slower)"
              + (";" if has_gpu else ".")]
    if has_gpu:
        lines.append("GPU energy = TDP x time; " + GPU_MODEL_NOTES.get(gpu_model, ""))
    if accuracy_source:
        lines += [(f"accuracy: test accuracy of the study arm with that arithmetic ('not run': no such arm), "
                   f"from the {accuracy_source}")]
    if notes:
        lines += ["notes:", *notes]
    return "\n".join(lines) + "\n"


def render(rows: Sequence[Row], workload: Workload, gpu_model: str, fmt: str,
           accuracy_source: str | None = None) -> str:
    """The comparison as ``table``, ``json`` or ``csv`` text; ``accuracy_source`` (a line naming the
    precision study's dataset and seed) adds the accuracy column and says where it comes from."""
    if fmt == "json":
        return to_json(rows, workload, gpu_model, accuracy_source)
    if fmt == "csv":
        return to_csv(rows)
    return to_table(rows, workload, gpu_model, accuracy_source)
