"""accelsim prune: what a pruned (sparse) workload does on an architecture, next to the dense run."""
from __future__ import annotations

NAME = "prune"
HELP = ("simulate a workload with --sparsity (zeros in weights and activations) next to the dense run: "
        "per-layer compressed weight bytes, speed-up, imbalance and energy saved")
DESCRIPTION = (HELP + ". What the hardware does with zeros comes from the arch's 'sparsity:' section (see "
               "docs/sparsity.md and archs/eie_like.yaml); an arch without one stores and computes zeros like any "
               "value. Bytes in bytes, energy in joules, throughput in TOP/s (2 ops per MAC).")


def add_arguments(parser) -> None:
    from ...sparsity.config import SPARSITY_HELP
    from ..common import add_output_options, add_target_options

    add_target_options(parser)
    parser.add_argument("--sparsity", required=True, metavar="KEY=VALUE,...", help=SPARSITY_HELP)
    add_output_options(parser, formats=("table", "json"))


def _simulate(arch, graph, program):
    """The run of ``program`` and its energy by component: the run's own totals, so that prune's
    rows equal `accelsim run` (without and with --sparsity) on every arch."""
    from ...engine.simulator import simulate_program
    from ...report.build import build_result

    result = build_result(arch, graph, program, simulate_program(program, arch))
    return result, dict(result.totals.energy_j_by_component)


def run(args) -> int:
    import json

    from ...lower.lowering import lower
    from ...sparsity.config import parse_sparsity
    from ...sparsity.program import apply_sparsity
    from ...sparsity.report import sparsity_report
    from ...spec.loader import load_arch
    from ...workload.registry import load_workload
    from ..common import emit, parse_settings

    config = parse_sparsity(args.sparsity)
    arch = load_arch(args.arch, tuple(args.overrides))
    graph = load_workload(args.workload, args.batch, parse_settings(args.setting), args.allow_unsupported)
    dense_program = lower(graph, arch, args.precision)
    sparse_program = apply_sparsity(dense_program, arch, config, graph)
    dense, dense_energy = _simulate(arch, graph, dense_program)
    sparse, sparse_energy = _simulate(arch, graph, sparse_program)
    report = sparsity_report(sparse_program, arch, sparse)
    summary = {
        "arch": arch.name, "workload": graph.name, "batch": graph.batch, "sparsity": args.sparsity,
        "dense": {"cycles": dense.totals.cycles, "seconds": dense.totals.seconds,
                  "energy_j": sum(dense_energy.values()), "energy_j_by_component": dense_energy},
        "sparse": {"cycles": sparse.totals.cycles, "seconds": sparse.totals.seconds,
                   "energy_j": sum(sparse_energy.values()), "energy_j_by_component": sparse_energy},
        "speedup": dense.totals.cycles / sparse.totals.cycles if sparse.totals.cycles else 0.0,
        "sparsity_report": report,
    }
    if args.format == "json":
        emit(json.dumps(summary, indent=2, sort_keys=True) + "\n", args.output)
    else:
        emit(_table(summary), args.output)
    return 0


def _table(summary: dict) -> str:
    rep = summary["sparsity_report"]
    hw = rep["hardware"]
    lines = [f"{summary['workload']} (batch {summary['batch']}) on {summary['arch']} with --sparsity {summary['sparsity']}"]
    if hw is None:
        lines.append("this arch has no 'sparsity:' section: zeros are stored and computed like any value")
    else:
        lines.append(f"hardware: weights {hw['weight_format']}, activations {hw['activation_format']}, "
                     f"gating {hw['gating']}, skipping {hw['skipping']}, structured {hw['structured'] or 'no'}")
    head = f"{'layer':<24} {'w dens':>7} {'a dens':>7} {'stream':>8} {'imbal':>7} {'weights B':>13} {'compressed B':>13}"
    lines += ["", head, "-" * len(head)]
    for layer in rep["layers"]:
        lines.append(f"{layer['name'][:24]:<24} {layer['weight_density']:>7.3g} {layer['activation_density']:>7.3g} "
                     f"{layer['cycle_factor']:>8.4f} {layer['imbalance_cycle_factor']:>7.3f} "
                     f"{layer['weight_dense_bytes']:>13,} {layer['weight_compressed_bytes']:>13,}")
    d, s = summary["dense"], summary["sparse"]
    w, mac = rep["weights"], rep["mac_energy_j"]
    lines += [
        "",
        f"cycles         {d['cycles']:>15,} dense  {s['cycles']:>15,} sparse  ({summary['speedup']:.2f}x)",
        f"energy (J)     {d['energy_j']:>15.6g} dense  {s['energy_j']:>15.6g} sparse",
        f"throughput     {rep['effective_tops']:.4g} TOP/s effective, {rep['dense_equivalent_tops']:.4g} TOP/s dense-equivalent",
        f"weights (B)    {w['dense_bytes']:,} dense -> {w['data_bytes']:,} data + {w['metadata_bytes']:,} metadata",
        f"MAC energy (J) saved by skipping {mac['saved_by_skipping']:.4g}, by gating {mac['saved_by_gating']:.4g}",
        f"imbalance      {rep['imbalance_stall_cycles']:,} stall cycles",
    ]
    return "\n".join(lines) + "\n"
