"""accelsim run: simulate one workload on one architecture."""
from __future__ import annotations

NAME = "run"
HELP = "simulate a workload on an architecture and report cycles, time, MACs, utilization, DRAM bytes and energy"
DESCRIPTION = (HELP + ". Times are in seconds (table: microseconds/milliseconds as labelled), energy in joules, "
               "traffic in bytes, utilization as a 0..1 fraction of peak MACs (table: percent).")


def add_arguments(parser) -> None:
    from ..common import add_output_options, add_target_options

    add_target_options(parser)
    add_output_options(parser)
    # GPU baseline and extra outputs (issue 12)
    parser.add_argument("--gpu", metavar="NAME|PATH|none",
                        help="GPU baseline to compare with: k80, p100, v100, a100_40gb, a100_80gb, h100_sxm, h200, a GPU "
                             "YAML, or 'none' (default: the arch's usual comparison, e.g. k80 for tpu_v1); adds "
                             "totals.gpu_baseline with seconds, energy_j, speedup and energy_ratio")
    parser.add_argument("--gpu-model", choices=("roofline", "derated"), default=None,
                        help="GPU timing model: 'roofline' (an upper bound on GPU speed) or 'derated' (tile/wave "
                             "quantization, achievable fractions, microseconds of launch overhead per kernel); "
                             "default: roofline")
    from ...sparsity.config import SPARSITY_HELP

    parser.add_argument("--sparsity", metavar="KEY=VALUE,...", help=SPARSITY_HELP)
    parser.add_argument("--mode", choices=("inference", "training"), default="inference",
                        help="inference (forward pass) or training (one step: forward, input- and weight-gradient "
                             "GEMMs, activation gradients, optimizer update); default: %(default)s")
    parser.add_argument("--optimizer", choices=("sgd", "momentum", "adam"), default=None,
                        help="optimizer of a --mode training step (vector work per weight: sgd 2, momentum 4, "
                             "adam 12 ops); default: sgd")
    parser.add_argument("--html", metavar="FILE", help="also write a self-contained HTML report (tables, figures) to FILE")
    parser.add_argument("--trace", metavar="FILE",
                        help="also write the timeline as a Chrome trace-event JSON file (times in microseconds) to FILE")


def run(args) -> int:
    from ...api import simulate
    from ...report.render import render
    from ...workload.registry import load_workload
    from ..common import emit, parse_settings

    _check_flag_combinations(args)
    graph = load_workload(args.workload, args.batch, parse_settings(args.setting), args.allow_unsupported)
    step = _simulated_graph(graph, args)  # built once: the accelerator and the GPU time the same work
    sparsity = None
    if args.sparsity is not None:
        from ...sparsity.config import parse_sparsity

        sparsity = parse_sparsity(args.sparsity)  # parsed once: the run and its GPU baseline read it
    result = simulate(args.arch, step, precision=args.precision, overrides=tuple(args.overrides), sparsity=sparsity)
    result = _with_gpu_baseline(result, step, args, sparsity)
    emit(render(result, args.format), args.output)
    if args.html:
        from ...report.html import write_html

        write_html(result, args.html, step)  # the graph simulated: with --mode training, the whole step
    if args.trace:
        from ...report.trace import write_trace

        write_trace(result, args.trace)
    return 0


def _check_flag_combinations(args) -> None:
    """Refuse flags that would otherwise be ignored without a word."""
    from ...errors import AccelsimError

    if args.optimizer is not None and args.mode != "training":
        raise AccelsimError("only a training step has an optimizer; add --mode training", field="--optimizer")
    if args.gpu_model is not None and (args.gpu or "").lower() == "none":
        raise AccelsimError("--gpu none asks for no GPU baseline, so there is nothing for this to time; "
                            "drop one of the two", field="--gpu-model")


def _simulated_graph(graph, args):
    """The graph to simulate: with --mode training, the whole step (forward, backward and optimizer
    update; simulate keeps a training graph's weights and gradients on the device)."""
    if args.mode != "training":
        return graph
    from ...workload.training import to_training

    return to_training(graph, args.optimizer or "sgd")


def _with_gpu_baseline(result, graph, args, sparsity=None):
    """Attach the GPU baseline chosen by --gpu/--gpu-model (none with --gpu none)."""
    from ...baselines.gpu_model import attach_gpu_baseline, default_gpu_for

    gpu = args.gpu or default_gpu_for(args.arch)
    if gpu.lower() == "none":
        return result
    sparse, note = _gpu_sparsity(sparsity)
    return attach_gpu_baseline(result, graph, gpu, args.gpu_model or "roofline", sparse, note)


def _gpu_sparsity(sparsity) -> tuple[bool, str]:
    """Whether the GPU baseline of a --sparsity run uses the GPU's 2:4 sparse tensor peaks, and why.

    GPU sparse tensor cores (A100 and later) skip zeros only in 2:4 weights, so a 2:4 run is compared with the sparse peak
    and any other sparsity with the dense GPU."""
    if sparsity is None:
        return False, ""
    structure = sparsity.structure
    if structure.kind == "nm" and (structure.n, structure.m) == (2, 4):
        return True, "2:4 sparse weights at the GPU's 2:4 sparse tensor peak (weights read dense)"
    return False, (f"GPU dense: GPU sparse tensor cores skip zeros only in 2:4 weights, not {structure} "
                   "(compare --gpu-sparse for the sparse peak)")
