"""accelsim's SCALE-Sim mode against SCALE-Sim v2.0.2's own outputs, for the validation report.

``data/scalesim_vectors.csv`` holds SCALE-Sim 2.0.2 outputs measured on small GEMMs and on the RTL
validation GEMMs (N x N x N on an N x N array), all three dataflows, in CALC mode (unlimited
bandwidth) and USER mode (1 word per cycle). It is a copy of the project's shared reference vectors
(``reference/scalesim_vectors.csv``), shipped so that ``accelsim validate`` needs nothing outside the
package. CALC rows are compared field by field for equality; USER rows by the largest relative
cycle error, because three of them were measured with a SCALE-Sim whose stall count differs by 1-3
cycles from the pip 2.0.2 package (docs/scalesim_differences.md). The full network-level comparison,
which runs SCALE-Sim itself, is ``benchmarks/vs_scalesim.py`` (reports/scalesim_parity.md).
"""
from __future__ import annotations

import csv
from dataclasses import dataclass
from importlib import resources

from ..scalesim.config import ScaleSimConfig
from ..scalesim.model import LayerReport, simulate_layer
from ..scalesim.topology import ScaleSimLayer

INT_FIELDS = ("macs", "total_cycles", "stall_cycles", "sram_ifmap_reads", "sram_filter_reads",
              "sram_ofmap_writes", "dram_ifmap_reads", "dram_filter_reads", "dram_ofmap_writes")
FLOAT_FIELDS = (("overall_util_pct", "overall_util_pct"), ("mapping_eff_pct", "mapping_efficiency_pct"),
                ("compute_util_pct", "compute_util_pct"))


@dataclass(frozen=True)
class ParityGroup:
    """One bandwidth mode's rows: how many, how many match in every field, the fields compared."""

    mode: str
    rows: int
    rows_identical: int
    fields_compared: int
    fields_identical: int
    max_cycle_error_pct: float


def simulate_reference_row(row: dict) -> tuple[ScaleSimLayer, LayerReport]:
    """Run one reference row's config and layer through accelsim's SCALE-Sim mode."""
    config = ScaleSimConfig(
        run_name=row["config_name"], array_rows=int(row["array_rows"]), array_cols=int(row["array_cols"]),
        ifmap_sram_kb=int(row["ifmap_sram_kb"]), filter_sram_kb=int(row["filter_sram_kb"]),
        ofmap_sram_kb=int(row["ofmap_sram_kb"]), dataflow=row["dataflow"], bandwidth_mode=row["bw_mode"],
        bandwidth_words_per_cycle=int(row["bandwidth_words_per_cycle"]) if row["bw_mode"] == "USER" else 0)
    layer = ScaleSimLayer(row["layer_name"], *(int(row[k]) for k in (
        "ifmap_h", "ifmap_w", "filter_h", "filter_w", "channels", "num_filters", "stride_h", "stride_w")))
    return layer, simulate_layer(config, layer)


def _report_fields(row: dict) -> dict[str, float]:
    rep = simulate_reference_row(row)[1]
    fields: dict[str, float] = {name: getattr(rep, name) for name in INT_FIELDS}
    fields.update({csv_name: getattr(rep, attr) for csv_name, attr in FLOAT_FIELDS})
    return fields


def reference_rows() -> list[dict]:
    text = resources.files("accelsim.validation").joinpath("data/scalesim_vectors.csv").read_text()
    return list(csv.DictReader(text.splitlines()))


def scalesim_parity() -> list[ParityGroup]:
    """Simulate every reference row and compare it with SCALE-Sim's recorded fields."""
    groups = []
    rows = reference_rows()
    for mode in sorted({r["bw_mode"] for r in rows}):
        n_rows = identical_rows = compared = identical = 0
        worst = 0.0
        for row in (r for r in rows if r["bw_mode"] == mode):
            ours = _report_fields(row)
            same = [ours[name] == (int(row[name]) if name in INT_FIELDS else float(row[name])) for name in ours]
            n_rows += 1
            identical_rows += all(same)
            compared += len(same)
            identical += sum(same)
            expected = int(row["total_cycles"])
            worst = max(worst, 100.0 * abs(ours["total_cycles"] - expected) / expected)
        groups.append(ParityGroup(mode, n_rows, identical_rows, compared, identical, worst))
    return groups
