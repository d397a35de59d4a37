"""TPU v1 against the paper's Table 3: achieved TOPS and where the cycles went, per app."""
from __future__ import annotations

from dataclasses import dataclass

from ..api import simulate
from ..report.results import RunResult
from .published import TPU_V1_PEAK_TOPS, TPU_V1_PEAK_UB_MIB, TPU_V1_TABLE3

ROWS = ("array_active", "weight_stall", "weight_shift", "non_matrix")


@dataclass(frozen=True)
class TpuAppRow:
    app: str
    workload: str
    published_tops: float
    simulated_tops: float
    published: dict[str, float]  # Table 3 rows, percent
    simulated: dict[str, float]  # the same rows from the simulation, percent of non-host cycles
    result: RunResult

    @property
    def tops_error_pct(self) -> float:
        return 100.0 * (self.simulated_tops - self.published_tops) / self.published_tops

    @property
    def counter_tops(self) -> float:
        """The TOPS Table 3's counters imply: its useful-MAC row times the 92 TOPS peak."""
        return TPU_V1_PEAK_TOPS * self.published["useful_macs"] / 100.0

    @property
    def counter_error_pct(self) -> float:
        return 100.0 * (self.simulated_tops - self.counter_tops) / self.counter_tops

    @property
    def table_inconsistency_pct(self) -> float:
        """How far Table 3's TOPS row is from its own useful-MAC row (percent of the latter)."""
        return 100.0 * (self.published_tops - self.counter_tops) / self.counter_tops

    @property
    def dominant_published(self) -> str:
        return max(ROWS, key=lambda r: self.published[r])

    @property
    def dominant_simulated(self) -> str:
        return max(ROWS, key=lambda r: self.simulated[r])

    @property
    def fill_published_pct(self) -> float:
        """Table 3's useful MACs over array-active MACs: the share of the weight slots holding real weights."""
        return array_fill_pct(self.published)

    @property
    def fill_simulated_pct(self) -> float:
        return array_fill_pct(self.simulated)

    @property
    def peak_ub_simulated_mib(self) -> float:
        """Peak activation bytes live in the Unified Buffer, MiB (Table 8 reports the same for the real apps)."""
        return self.result.extra["arch_summary"]["peak_activation_buffer_bytes"] / 2**20

    @property
    def peak_ub_published_mib(self) -> float:
        """[TPU17] Table 8: the real app's peak Unified Buffer use, MiB."""
        return TPU_V1_PEAK_UB_MIB[self.app]

    def cause_pct(self, *causes: str) -> float:
        """Share of the non-host cycles attributed to ``causes``, percent."""
        cycles = non_host_cycles(self.result)
        by_cause = self.result.totals.cycles_by_cause
        return 100.0 * sum(by_cause.get(c, 0) for c in causes) / cycles if cycles else 0.0

    @property
    def activation_spill_pct(self) -> float:
        """Share of the non-host cycles the array waits on activations spilled to DRAM."""
        return self.cause_pct("input_stall", "output_stall")


def non_host_cycles(result: RunResult) -> int:
    """The run's cycles without host transfers: Table 3's percentages exclude host time."""
    return result.totals.cycles - result.totals.cycles_by_cause.get("host_transfer", 0)


def array_fill_pct(rows: dict[str, float]) -> float:
    """Useful MACs over array-active MACs, percent, from Table 3-style rows."""
    return 100.0 * rows["useful_macs"] / rows["array_active"] if rows["array_active"] else 0.0


def table3_breakdown(result: RunResult) -> tuple[dict[str, float], float]:
    """Map accelsim's causes onto Table 3's rows (percent of cycles excluding host transfers, as the
    paper excludes host time) and return them with the TOPS over those cycles."""
    causes = result.totals.cycles_by_cause
    cycles = non_host_cycles(result)
    pct = {
        "array_active": causes["compute"],
        "weight_stall": causes["weight_load_stall"],
        "weight_shift": causes["weight_shift"],
    }
    pct["non_matrix"] = cycles - sum(pct.values())
    peak = result.extra["arch_summary"]["peak_macs_per_cycle"]
    pct_useful = 100.0 * result.totals.macs / (peak * cycles) if cycles else 0.0
    seconds = cycles / (result.clock_mhz * 1e6)
    tops = 2 * result.totals.macs / seconds / 1e12 if seconds else 0.0
    out = {k: 100.0 * v / cycles for k, v in pct.items()}
    out["useful_macs"] = pct_useful
    return out, tops


def validate_tpu_v1(arch: str = "tpu_v1") -> list[TpuAppRow]:
    rows = []
    for app, (workload, published, tops) in TPU_V1_TABLE3.items():
        result = simulate(arch, workload)
        simulated, sim_tops = table3_breakdown(result)
        rows.append(TpuAppRow(app, workload, tops, sim_tops, published, simulated, result))
    return rows
