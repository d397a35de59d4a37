"""SCALE-Sim's three report files, byte for byte in SCALE-Sim v2.0.2's format, plus a JSON form.

SCALE-Sim prints Python ``str()`` of each value, ", " between fields and a trailing ",": cycle
stamps come out as floats ("9.0"), counts as integers, ratios as full-precision floats.
"""
from __future__ import annotations

import json
from pathlib import Path

from ..atomic import write_atomic
from .model import LayerReport

COMPUTE_HEADER = ("LayerID, Total Cycles, Stall Cycles, Overall Util %, Mapping Efficiency %, "
                  "Compute Util %,")
BANDWIDTH_HEADER = ("LayerID, Avg IFMAP SRAM BW, Avg FILTER SRAM BW, Avg OFMAP SRAM BW, "
                    "Avg IFMAP DRAM BW, Avg FILTER DRAM BW, Avg OFMAP DRAM BW,")
DETAIL_HEADER = (
    "LayerID, "
    "SRAM IFMAP Start Cycle, SRAM IFMAP Stop Cycle, SRAM IFMAP Reads, "
    "SRAM Filter Start Cycle, SRAM Filter Stop Cycle, SRAM Filter Reads, "
    "SRAM OFMAP Start Cycle, SRAM OFMAP Stop Cycle, SRAM OFMAP Writes, "
    "DRAM IFMAP Start Cycle, DRAM IFMAP Stop Cycle, DRAM IFMAP Reads, "
    "DRAM Filter Start Cycle, DRAM Filter Stop Cycle, DRAM Filter Reads, "
    "DRAM OFMAP Start Cycle, DRAM OFMAP Stop Cycle, DRAM OFMAP Writes,"
)
REPORT_FILES = ("COMPUTE_REPORT.csv", "BANDWIDTH_REPORT.csv", "DETAILED_ACCESS_REPORT.csv")


def _row(layer_id: int, values) -> str:
    return f"{layer_id}, " + ", ".join(str(v) for v in values) + ",\n"


def compute_report(reports: list[LayerReport]) -> str:
    lines = [COMPUTE_HEADER + "\n"]
    for i, r in enumerate(reports):
        lines.append(_row(i, [r.total_cycles, r.stall_cycles, r.overall_util_pct,
                              r.mapping_efficiency_pct, r.compute_util_pct]))
    return "".join(lines)


def bandwidth_report(reports: list[LayerReport]) -> str:
    lines = [BANDWIDTH_HEADER + "\n"]
    for i, r in enumerate(reports):
        lines.append(_row(i, [r.avg_ifmap_sram_bw, r.avg_filter_sram_bw, r.avg_ofmap_sram_bw,
                              r.avg_ifmap_dram_bw, r.avg_filter_dram_bw, r.avg_ofmap_dram_bw]))
    return "".join(lines)


def detail_report(reports: list[LayerReport]) -> str:
    lines = [DETAIL_HEADER + "\n"]
    for i, r in enumerate(reports):
        stamp = float  # SCALE-Sim's cycle stamps are numpy floats
        lines.append(_row(i, [
            stamp(r.sram_ifmap_start_cycle), stamp(r.sram_ifmap_stop_cycle), r.sram_ifmap_reads,
            stamp(r.sram_filter_start_cycle), stamp(r.sram_filter_stop_cycle), r.sram_filter_reads,
            stamp(r.sram_ofmap_start_cycle), stamp(r.sram_ofmap_stop_cycle), r.sram_ofmap_writes,
            stamp(r.dram_ifmap_start_cycle), stamp(r.dram_ifmap_stop_cycle), r.dram_ifmap_reads,
            stamp(r.dram_filter_start_cycle), stamp(r.dram_filter_stop_cycle), r.dram_filter_reads,
            stamp(r.dram_ofmap_start_cycle), stamp(r.dram_ofmap_stop_cycle), r.dram_ofmap_writes,
        ]))
    return "".join(lines)


def json_report(reports: list[LayerReport]) -> str:
    layers = []
    for i, r in enumerate(reports):
        entry = {"layer_id": i}
        entry.update({key: getattr(r, key) for key in r.__dataclass_fields__})
        entry.update({
            "avg_ifmap_sram_bw_words_per_cycle": r.avg_ifmap_sram_bw,
            "avg_filter_sram_bw_words_per_cycle": r.avg_filter_sram_bw,
            "avg_ofmap_sram_bw_words_per_cycle": r.avg_ofmap_sram_bw,
            "avg_ifmap_dram_bw_words_per_cycle": r.avg_ifmap_dram_bw,
            "avg_filter_dram_bw_words_per_cycle": r.avg_filter_dram_bw,
            "avg_ofmap_dram_bw_words_per_cycle": r.avg_ofmap_dram_bw,
        })
        layers.append(entry)
    return json.dumps({"layers": layers}, indent=2) + "\n"


def write_reports(reports: list[LayerReport], folder: str | Path, fmt: str = "csv") -> list[Path]:
    """Write the reports into ``folder`` atomically; returns the paths written."""
    folder = Path(folder)
    if fmt == "json":
        path = folder / "REPORT.json"
        write_atomic(path, json_report(reports))
        return [path]
    texts = (compute_report(reports), bandwidth_report(reports), detail_report(reports))
    paths = []
    for name, text in zip(REPORT_FILES, texts):
        write_atomic(folder / name, text)
        paths.append(folder / name)
    return paths
