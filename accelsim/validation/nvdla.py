"""NVDLA nv_full against NVIDIA's performance spreadsheet (default config)."""
from __future__ import annotations

from dataclasses import dataclass

from ..api import simulate
from .published import NVDLA_SPREADSHEET


@dataclass(frozen=True)
class NvdlaRow:
    network: str
    workload: str
    published_ms: float
    published_fps: float
    published_hw_util_pct: float
    published_net_util_pct: float
    simulated_ms: float
    simulated_hw_util_pct: float
    simulated_net_util_pct: float

    @property
    def simulated_fps(self) -> float:
        return 1e3 / self.simulated_ms

    @property
    def fps_error_pct(self) -> float:
        return 100.0 * (self.simulated_fps - self.published_fps) / self.published_fps

    @property
    def hw_util_error_pp(self) -> float:
        return self.simulated_hw_util_pct - self.published_hw_util_pct


def validate_nvdla(arch: str = "nvdla_full") -> list[NvdlaRow]:
    rows = []
    for network, (workload, ms, fps, hw, net) in NVDLA_SPREADSHEET.items():
        result = simulate(arch, workload, batch=1)
        t = result.totals
        peak = result.extra["arch_summary"]["peak_macs_per_cycle"]
        dense = sum(layer.extra.get("dense_equivalent_macs", layer.macs) for layer in result.layers)
        net_util = 100.0 * dense / (peak * t.cycles) if t.cycles else 0.0
        rows.append(NvdlaRow(network, workload, ms, fps, hw, net, t.seconds * 1e3, 100.0 * t.utilization, net_util))
    return rows
