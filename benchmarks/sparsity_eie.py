"""EIE-like engine on AlexNet's FC layers next to EIE's published figures -> reports/sparsity_eie.md.

    python benchmarks/sparsity_eie.py [--out reports/sparsity_eie.md]

Runs archs/eie_like.yaml on fc6/fc7/fc8 of the zoo's AlexNet (batch 1) at 10 % weight density and
30 % activation density through lower -> apply_sparsity -> engine, splits the energy into DRAM,
SRAM, compute and PE registers, and rebuilds EIE's savings cascade (DRAM->SRAM, sparsity, weight
sharing, zero-activation skipping) from five runs that switch one feature each. The report is
deterministic: the same code gives the same bytes.
"""
from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from accelsim.atomic import write_atomic
from accelsim.engine.simulator import simulate_program
from accelsim.lower.lowering import lower
from accelsim.report.build import build_result
from accelsim.sparsity.config import parse_sparsity
from accelsim.sparsity.program import SparseGemmWork, apply_sparsity
from accelsim.sparsity.report import energy_breakdown, sparsity_report
from accelsim.spec.loader import load_arch
from accelsim.workload.graph import Workload, WorkloadBuilder
from accelsim.workload.zoo.classic import alexnet

#: the brief's operating point; fc6 reads a graph input here, so its input density is set explicitly
SPARSITY = "weight_density=0.1,activation_density=0.3,fc6.activation_density=0.3"

# Published EIE figures [EIE16] (Han et al., ISCA 2016, arXiv:1602.01528).
EIE_GOPS = 102.0  # V: abstract / systems.md, on the compressed network
EIE_DENSE_EQUIVALENT_TOPS = 3.0  # V: abstract / systems.md
EIE_POWER_W = 0.6  # V: abstract / systems.md
EIE_ALEXNET_FC_FPS = 1.88e4  # V: abstract, "FC layers of AlexNet at 1.88x10^4 frames/sec"
EIE_SAVINGS = (("DRAM -> SRAM", 120.0), ("sparsity (pruning)", 10.0), ("weight sharing", 8.0),
               ("zero-activation skipping", 3.0))  # V: abstract / systems.md
# M: recalled from [EIE16] Table II (power of one PE by module), not verified here
EIE_PE_POWER_SHARES = (("SpMat read (weights, SRAM)", 54.11), ("pointer read (SRAM)", 19.73),
                       ("arithmetic", 12.68), ("activation read/write", 12.25), ("activation queue", 1.23))


def alexnet_fc() -> Workload:
    """fc6 -> ReLU -> fc7 -> ReLU -> fc8 with the zoo AlexNet's shapes (checked against it)."""
    zoo = {layer.name: layer.op for layer in alexnet(1).layers}
    b = WorkloadBuilder("alexnet_fc", 1, "AlexNet fc6-fc8, batch 1", "accelsim zoo alexnet")
    x = b.input("pool5_flat", (1, zoo["fc6"].k))
    x = b.act("fc6_relu", b.fc("fc6", x, zoo["fc6"].n))
    x = b.act("fc7_relu", b.fc("fc7", x, zoo["fc7"].n))
    b.fc("fc8", x, zoo["fc8"].n)
    workload = b.build()
    for layer in workload.layers:
        if layer.name in ("fc6", "fc7", "fc8"):
            assert (layer.op.m, layer.op.k, layer.op.n) == (zoo[layer.name].m, zoo[layer.name].k, zoo[layer.name].n)
    return workload


@dataclass(frozen=True)
class Run:
    label: str
    cycles: int
    seconds: float
    energy_j: dict[str, float]
    program: object
    report: dict

    @property
    def total_j(self) -> float:
        return sum(self.energy_j.values())

    def group(self, name: str) -> float:
        """Energy of one group: dram, sram, compute (MACs + vector ops), registers (PE pipeline
        registers + register file)."""
        if name == "sram":
            return sum(v for k, v in self.energy_j.items() if k.startswith("sram:"))
        if name == "registers":
            return self.energy_j.get("pipeline_registers", 0.0) + self.energy_j.get("register_file", 0.0)
        return self.energy_j.get(name, 0.0)


def run(label: str, overrides: list[str], sparsity: str = SPARSITY) -> Run:
    arch = load_arch("eie_like", overrides)
    workload = alexnet_fc()
    program = apply_sparsity(lower(workload, arch), arch, parse_sparsity(sparsity), workload)
    engine = simulate_program(program, arch)
    result = build_result(arch, workload, program, engine)
    return Run(label, engine.total_cycles, result.totals.seconds, energy_breakdown(program, arch, engine),
               program, sparsity_report(program, arch, result))


#: five runs that add EIE's features one at a time (all on the eie_like PEs, int16 arithmetic)
DENSE_32BIT = ["sparsity.weight_format.format=dense", "sparsity.weight_format.value_bits=32",
               "sparsity.weight_format.codebook_entries=0", "sparsity.skipping=none"]
CASCADE = (
    ("A: dense 32-bit weights streamed from DRAM",
     DENSE_32BIT + ["dram.holds=[weights]", "memories.spmat_sram.holds=[inputs]"]),
    ("B: A with the weights resident in SRAM", DENSE_32BIT),
    ("C: B pruned to 10 % (CSC, 4-bit relative indices, zero weights skipped)",
     ["sparsity.weight_format.value_bits=32", "sparsity.weight_format.codebook_entries=0",
      "sparsity.skipping=weights"]),
    ("D: C with 4-bit codebook indices into 16 shared weights", ["sparsity.skipping=weights"]),
    ("E: D skipping zero activations (= archs/eie_like.yaml)", []),
)


def _fit_text(weights: dict, spmat_mib: float, pointer_bytes: int) -> str:
    total_mib = (weights["data_bytes"] + weights["metadata_bytes"]) / 2**20
    share = f"{100 * pointer_bytes / weights['metadata_bytes']:.0f} %"
    if total_mib <= spmat_mib:
        return f"; fits the {spmat_mib:g} MiB of SpMat SRAM. {share} of the metadata is column pointers."
    return (f": more than the {spmat_mib:g} MiB of SpMat SRAM (M). {share} of the metadata is the per-PE 16-bit "
            "column pointers (the width is an estimate); accelsim does not check the fit, since the arch keeps "
            "weights resident.")


def _pct(part: float, whole: float) -> str:
    return f"{100 * part / whole:.1f} %" if whole else "-"


def build_report() -> str:
    """The whole markdown report."""
    eie = run("eie_like", [])
    rep = eie.report
    spmat_mib = next(m.size_kib for m in load_arch("eie_like").memories if m.name == "spmat_sram") / 1024
    frames_per_s = 1.0 / eie.seconds
    energy_per_frame = eie.total_j
    power = energy_per_frame / eie.seconds
    lines = [
        "# EIE-like engine on AlexNet's FC layers vs EIE's published figures",
        "",
        "Generated by `python benchmarks/sparsity_eie.py` (deterministic; do not edit by hand).",
        "",
        "Setup: `archs/eie_like.yaml` (64 PEs, 800 MHz, 45 nm, CSC weights with 4-bit relative indices,",
        "4-bit codebook indices into 16 shared 16-bit weights, zero weights and zero activations skipped,",
        "activation queue of 8), AlexNet fc6 (9216 x 4096), fc7 (4096 x 4096), fc8 (4096 x 1000) from the",
        "zoo, batch 1, `--sparsity " + SPARSITY + "`.",
        "Published figures: [EIE16] Han et al., \"EIE: Efficient Inference Engine on Compressed Deep Neural",
        "Network\", ISCA 2016 (arXiv:1602.01528): (V) = stated in the paper's abstract (all but the frame",
        "rate also in the shared reference systems.md); (M) = recalled from the paper's tables, not verified here.",
        "",
        "## Throughput and power",
        "",
        "| quantity | accelsim | EIE published | ratio |",
        "|---|---|---|---|",
        (f"| effective throughput (GOP/s, compressed network) | {rep['effective_tops'] * 1e3:.1f} | {EIE_GOPS:g} (V) | "
        f"{rep['effective_tops'] * 1e3 / EIE_GOPS:.2f} |"),
        (f"| dense-equivalent throughput (TOP/s) | {rep['dense_equivalent_tops']:.2f} | {EIE_DENSE_EQUIVALENT_TOPS:g} (V) | "
        f"{rep['dense_equivalent_tops'] / EIE_DENSE_EQUIVALENT_TOPS:.2f} |"),
        (f"| AlexNet fc6-fc8 frames/s | {frames_per_s:,.0f} | {EIE_ALEXNET_FC_FPS:,.0f} (V) | "
        f"{frames_per_s / EIE_ALEXNET_FC_FPS:.2f} |"),
        f"| power (W) | {power:.3f} | {EIE_POWER_W:g} (V) | {power / EIE_POWER_W:.2f} |",
        (f"| energy per frame (uJ) | {energy_per_frame * 1e6:.1f} | {EIE_POWER_W / EIE_ALEXNET_FC_FPS * 1e6:.1f} "
        "(600 mW / 1.88e4 frames/s) | "
        f"{energy_per_frame / (EIE_POWER_W / EIE_ALEXNET_FC_FPS):.2f} |"),
        "",
        (f"Cycles: {eie.cycles:,} ({eie.seconds * 1e6:.1f} us per frame). MACs: {rep['dense_macs']:,} dense, "
        f"{rep['effective_macs']:,} performed. Imbalance stalls: {rep['imbalance_stall_cycles']:,} cycles."),
        "",
        "| layer | weight density | activation density | stream factor | imbalance | weights dense (B) | compressed (B) |",
        "|---|---|---|---|---|---|---|",
    ]
    for layer in rep["layers"]:
        lines.append(f"| {layer['name']} | {layer['weight_density']:g} | {layer['activation_density']:g} | "
                     f"{layer['cycle_factor']:.4f} | {layer['imbalance_cycle_factor']:.3f} | "
                     f"{layer['weight_dense_bytes']:,} | {layer['weight_compressed_bytes']:,} |")
    # pointer share of the weight bytes (read in proportion, since weight reads scale uniformly)
    pointer_bytes = 0
    for task in eie.program.tasks:
        g = task.gemm
        if isinstance(g, SparseGemmWork):
            pointer_bytes += 64 * (g.k + 1) * 16 // 8
    w = rep["weights"]
    lines += [
        "",
        (f"Weights: {w['dense_bytes']:,} B dense at 16 bit -> {w['data_bytes']:,} B of 4-bit values + "
        f"{w['metadata_bytes']:,} B of metadata (relative indices, filler entries, per-PE column pointers, "
        f"codebooks) = {w['data_bytes'] + w['metadata_bytes']:,} B "
        f"({(w['data_bytes'] + w['metadata_bytes']) / 2**20:.2f} MiB){_fit_text(w, spmat_mib, pointer_bytes)}"),
    ]
    weight_total = w["data_bytes"] + w["metadata_bytes"]
    sram_w = eie.energy_j.get("sram:spmat_sram", 0.0)
    total = eie.total_j
    pointer_j = sram_w * pointer_bytes / weight_total
    lines += [
        "",
        "## Energy split",
        "",
        "| component | accelsim (uJ/frame) | share | EIE per-PE power share (M, Table II) |",
        "|---|---|---|---|",
        f"| DRAM | {eie.group('dram') * 1e6:.2f} | {_pct(eie.group('dram'), total)} | 0 (the model is on chip) |",
        (f"| SRAM: weights, indices, fillers | {(sram_w - pointer_j) * 1e6:.2f} | {_pct(sram_w - pointer_j, total)} | "
        f"{EIE_PE_POWER_SHARES[0][1]:.1f} % (SpMat read) |"),
        (f"| SRAM: column pointers | {pointer_j * 1e6:.2f} | {_pct(pointer_j, total)} | "
        f"{EIE_PE_POWER_SHARES[1][1]:.1f} % (pointer read) |"),
        (f"| SRAM: activations | {eie.energy_j.get('sram:act_regs', 0.0) * 1e6:.2f} | "
        f"{_pct(eie.energy_j.get('sram:act_regs', 0.0), total)} | "
        f"{EIE_PE_POWER_SHARES[3][1] + EIE_PE_POWER_SHARES[4][1]:.1f} % (activation read/write + queue) |"),
        (f"| compute (MACs, ReLU) | {eie.group('compute') * 1e6:.2f} | {_pct(eie.group('compute'), total)} | "
        f"{EIE_PE_POWER_SHARES[2][1]:.1f} % (arithmetic) |"),
        (f"| PE registers (operands, partial sums) | {eie.group('registers') * 1e6:.2f} | "
        f"{_pct(eie.group('registers'), total)} | (inside the modules above) |"),
        f"| total | {total * 1e6:.2f} | 100 % | 100 % |",
        "",
        "EIE's shares are of one PE's power, which also includes clock tree and leakage that accelsim",
        "does not model (static power 0 in the config); accelsim's shares are of dynamic energy.",
        "",
        "## Savings cascade",
        "",
        "Each run adds one of EIE's features; the factor is the previous run's energy over this run's.",
        "",
        "| run | cycles | total energy (uJ/frame) | DRAM | SRAM | compute | factor (total) | factor (weight memory) | EIE (V) |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    runs = [run(label, overrides) for label, overrides in CASCADE]
    previous = None
    for i, r in enumerate(runs):
        weight_mem = r.group("dram") + r.energy_j.get("sram:spmat_sram", 0.0)
        if previous is None:
            factors = ("-", "-", "-")
        else:
            prev_mem = previous.group("dram") + previous.energy_j.get("sram:spmat_sram", 0.0)
            factors = (f"{previous.total_j / r.total_j:.1f}x", f"{prev_mem / weight_mem:.1f}x",
                       f"{EIE_SAVINGS[i - 1][1]:g}x ({EIE_SAVINGS[i - 1][0]})")
        lines.append(f"| {r.label} | {r.cycles:,} | {r.total_j * 1e6:,.1f} | {r.group('dram') * 1e6:,.1f} | "
                     f"{r.group('sram') * 1e6:,.1f} | {r.group('compute') * 1e6:,.2f} | {' | '.join(factors)} |")
        previous = r
    a, e = runs[0], runs[-1]
    lines += [
        "",
        (f"End to end, A -> E saves {a.total_j / e.total_j:,.0f}x in energy; EIE's four factors multiply to "
        f"{120 * 10 * 8 * 3:,}x."),
        "",
        "## Gaps, and why",
        "",
        "- **DRAM -> SRAM.** accelsim prices DDR3 at 160 pJ/B (Horowitz: 640 pJ per 32-bit access) and one",
        "  128 KiB SpMat bank at 4.76 pJ/B (the capacity curve through Horowitz's 8 KB / 32 KB / 1 MB",
        "  points), 34x per byte. EIE's 120x corresponds to Horowitz's small-SRAM figure (5 pJ per 32-bit",
        "  access, an 8 KB-class array: 640 / 5 = 128x). The bank size behind the per-byte energy is the",
        "  gap; with an 8 KiB bank (1.25 pJ/B) accelsim gives 128x.",
        "- **Sparsity.** 10 % density stores 10 % of the values, but the 4-bit relative indices, the filler",
        "  entries (runs longer than 15 zeros: about 0.23 per non-zero at 10 % density) and the per-PE",
        "  column pointers add metadata, so the weight bytes shrink less than 10x; EIE's 10x counts",
        "  the pruned weights alone.",
        "- **Weight sharing.** 32-bit -> 4-bit values is 8x on the values but not on the indices and",
        "  pointers, which stay; EIE's 8x is the value ratio.",
        "- **Zero-activation skipping.** At 30 % activation density accelsim skips 70 % of the columns",
        "  (weights, pointers and MACs), 3.3x on those; activation reads stay. EIE quotes 3x.",
        "- **Throughput.** accelsim uses one density for all three layers; the paper's per-layer densities",
        "  differ (not in the shared reference), and the EIE number includes the LNZD broadcast latency and",
        "  pointer-bank conflicts, which accelsim does not model. Imbalance is modelled with the queue",
        "  window of `accelsim/sparsity/effect.py` (checked against the cycle-by-cycle PE model).",
        "- **Power.** accelsim has no clock-tree or leakage energy (EIE's Table II (M) puts the clock",
        "  network at about a fifth of a PE's power), so its power is a dynamic-only lower bound.",
        "",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(ROOT / "reports" / "sparsity_eie.md"), help="report path")
    args = parser.parse_args(argv)
    write_atomic(args.out, build_report())
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
