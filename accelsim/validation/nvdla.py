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


FC_BATCH = 16  # the spreadsheet's FC batch: FC weights are fetched once per 16 frames


def validate_nvdla(arch: str = "nvdla_full") -> list[NvdlaRow]:
    """Per frame, as the spreadsheet counts it: every layer at batch 1, except FC layers, which run at
    batch 16 with their time shared by the 16 frames."""
    rows = []
    for network, (workload, ms, fps, hw, net) in NVDLA_SPREADSHEET.items():
        one = simulate(arch, workload, batch=1)
        sixteen = simulate(arch, workload, batch=FC_BATCH)
        fc16 = {layer.name: layer for layer in sixteen.layers if layer.op.startswith("matmul")}
        # the whole batch-1 run (layers overlap where the units allow), with each FC layer's time replaced
        # by its batch-16 time over 16
        cycles = one.totals.cycles + sum(fc16[layer.name].cycles / FC_BATCH - layer.cycles
                                         for layer in one.layers if layer.name in fc16)
        peak = one.extra["arch_summary"]["peak_macs_per_cycle"]
        macs = one.totals.macs
        dense = sum(layer.extra.get("dense_equivalent_macs", layer.macs) for layer in one.layers)
        seconds = cycles / (one.clock_mhz * 1e6)
        rows.append(NvdlaRow(network, workload, ms, fps, hw, net, seconds * 1e3,
                             100.0 * macs / (peak * cycles), 100.0 * dense / (peak * cycles)))
    return rows
