"""Render a RunResult as JSON, CSV or a text table. Output is deterministic for the same result."""
from __future__ import annotations

import csv
import io
import json

from ..jsonsafe import json_safe
from .results import LayerResult, RunResult


def layer_gpu_seconds(layer: LayerResult, gpu_layers: dict[str, float] | None) -> float | None:
    """GPU seconds of everything ``layer`` (one scheduled task) ran: the sum over the workload
    layers fused into it (``layer.extra["layers"]``), so that the tasks' GPU seconds add up to
    the baseline's total; None when the baseline times none of them."""
    if not gpu_layers:
        return None
    times = [gpu_layers[name] for name in layer.extra.get("layers", (layer.name,)) if name in gpu_layers]
    return sum(times) if times else None


def to_dict(result: RunResult) -> dict:
    """The JSON report as a plain dict (documented field by field in README.md)."""
    t = result.totals
    totals = {
        "cycles": t.cycles, "seconds": t.seconds, "macs": t.macs, "flops": 2 * t.macs, "tops": t.tops,
        "utilization": t.utilization, "energy_j": t.energy_j, "dram_bytes": t.dram_bytes,
        "tops_per_w": (t.tops * 1e12 / (t.energy_j / t.seconds) / 1e12) if t.energy_j and t.seconds else None,
        "pj_per_mac": (t.energy_j / t.macs * 1e12) if t.macs else None,
        "cycles_by_cause": dict(t.cycles_by_cause),
        "energy_j_by_component": dict(t.energy_j_by_component),
    }
    if "gpu_baseline" in result.extra:
        totals["gpu_baseline"] = result.extra["gpu_baseline"]
    layers = []
    for layer in result.layers:
        row = {
            "name": layer.name, "op": layer.op, "unit": layer.unit, "cycles": layer.cycles,
            "start_cycle": layer.start_cycle, "end_cycle": layer.end_cycle, "macs": layer.macs,
            "utilization": layer.utilization, "energy_j": layer.energy_j, "dram_bytes": layer.dram_bytes,
            "bound": layer.bound, "operational_intensity": layer.operational_intensity,
            "cycles_by_cause": dict(layer.cycles_by_cause),
            "traffic": [{"tensor": tr.tensor, "level": tr.level, "read_bytes": tr.read_bytes, "write_bytes": tr.write_bytes}
                        for tr in layer.traffic],
        }
        gpu_seconds = layer_gpu_seconds(layer, result.extra.get("gpu_layers"))
        if gpu_seconds is not None:
            row["gpu_seconds"] = gpu_seconds
        row.update({k: v for k, v in layer.extra.items() if k not in row})
        layers.append(row)
    out = {"arch": result.arch, "workload": result.workload, "batch": result.batch, "precision": result.precision,
           "clock_mhz": result.clock_mhz, "totals": totals, "layers": layers}
    for key, value in result.extra.items():
        if key not in ("gpu_baseline", "gpu_layers"):
            out[key] = value
    return json_safe(out)


def to_json(result: RunResult) -> str:
    return json.dumps(to_dict(result), indent=2, allow_nan=False) + "\n"


CSV_COLUMNS = ("name", "op", "unit", "cycles", "seconds", "macs", "utilization", "energy_j", "dram_bytes", "bound")


def to_csv(result: RunResult) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    hz = result.clock_mhz * 1e6
    for layer in result.layers:
        writer.writerow([layer.name, layer.op, layer.unit, layer.cycles, repr(layer.cycles / hz), layer.macs,
                         repr(layer.utilization), repr(layer.energy_j), layer.dram_bytes, layer.bound])
    t = result.totals
    writer.writerow(["TOTAL", "", "", t.cycles, repr(t.seconds), t.macs, repr(t.utilization), repr(t.energy_j), t.dram_bytes, ""])
    return buf.getvalue()


def _si(value: float, unit: str) -> str:
    for scale, prefix in ((1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "k")):
        if abs(value) >= scale:
            return f"{value / scale:.3g} {prefix}{unit}"
    return f"{value:.3g} {unit}"


def to_table(result: RunResult, max_layers: int | None = None) -> str:
    hz = result.clock_mhz * 1e6
    header = f"{'layer':<28} {'op':<22} {'unit':<6} {'cycles':>11} {'time_us':>10} {'MACs':>11} {'util%':>6} {'DRAM_bytes':>11} {'energy_uJ':>10} bound"
    lines = [f"accelsim: {result.workload} (batch {result.batch}, {result.precision}) on {result.arch} @ {result.clock_mhz:g} MHz", "", header]
    shown = result.layers if max_layers is None else result.layers[:max_layers]
    for layer in shown:
        lines.append(f"{layer.name[:28]:<28} {layer.op[:22]:<22} {layer.unit:<6} {layer.cycles:>11,} {layer.cycles / hz * 1e6:>10.2f} "
                     f"{layer.macs:>11.4g} {layer.utilization * 100:>6.1f} {layer.dram_bytes:>11,} {layer.energy_j * 1e6:>10.2f} {layer.bound}")
    if max_layers is not None and len(result.layers) > max_layers:
        lines.append(f"... {len(result.layers) - max_layers} more layers (use --format json or csv for all)")
    t = result.totals
    lines += ["", "totals:",
              f"  cycles       {t.cycles:,}",
              f"  time         {t.seconds * 1e3:.4f} ms",
              f"  MACs         {t.macs:,} ({_si(2 * t.macs, 'FLOP')})",
              f"  throughput   {t.tops:.3f} TOPS ({t.utilization * 100:.2f} % of peak MACs)",
              f"  DRAM traffic {_si(t.dram_bytes, 'B')}",
              f"  energy       {t.energy_j * 1e3:.4f} mJ" + (f" ({t.tops / (t.energy_j / t.seconds):.3f} TOPS/W)" if t.energy_j and t.seconds else "")]
    lines.append("  cycles by cause: " + ", ".join(f"{k} {v / t.cycles * 100:.1f}%" for k, v in t.cycles_by_cause.items() if v) if t.cycles else "")
    gpu = result.extra.get("gpu_baseline")
    if gpu:
        def ratio(key: str) -> str:
            return "n/a" if gpu.get(key) is None else f"{gpu[key]:.2f}x"

        lines.append(f"  GPU baseline ({gpu.get('gpu')}, {gpu.get('model', 'roofline')}"
                     f"{', 2:4 sparse' if gpu.get('sparse') else ''}): {gpu['seconds'] * 1e3:.4f} ms, "
                     f"speedup {ratio('speedup')}, energy ratio {ratio('energy_ratio')}")
        if gpu.get("note"):
            lines.append(f"  GPU baseline note: {gpu['note']}")
    return "\n".join(lines) + "\n"


def render(result: RunResult, fmt: str) -> str:
    if fmt == "json":
        return to_json(result)
    if fmt == "csv":
        return to_csv(result)
    return to_table(result)
