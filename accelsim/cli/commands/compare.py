"""accelsim compare: accelerators and GPU baselines side by side on one workload."""
from __future__ import annotations

NAME = "compare"
HELP = "compare accelerators with GPU roofline baselines on one workload (time, throughput, energy, TOPS, utilization)"
DESCRIPTION = (HELP + ". Times are per batch in seconds (table: milliseconds), throughput in samples per second, "
               "energy per batch in joules (table: millijoules), TOPS in 10^12 operations per second (2 per MAC), "
               "utilization as a fraction of peak (table: percent).")


def add_arguments(parser) -> None:
    from ..common import add_output_options, add_target_options

    add_target_options(parser, many_archs=True)
    parser.add_argument("--gpu", action="append", default=[], metavar="NAME|PATH",
                        help="GPU to compare with: k80, p100, v100, a100_40gb, a100_80gb, h100_sxm, h200 or a GPU "
                             "YAML; repeatable (default: each arch's default GPU; 'none' for no GPU)")
    parser.add_argument("--gpu-model", choices=("roofline", "derated"), default="roofline",
                        help="GPU timing model: 'roofline' (max of compute and memory time; an upper bound on GPU "
                             "speed) or 'derated' (tile/wave quantization, achievable fractions, per-kernel launch "
                             "overhead in microseconds); default: %(default)s")
    parser.add_argument("--gpu-sparse", action="store_true",
                        help="use the GPUs' 2:4 structured-sparse tensor peaks (10^12 ops/s) where they have them")
    add_output_options(parser)


def variants_from_args(args) -> list:
    """The accelerator variants to simulate: one per --arch (extend here for precision lists, iso-area)."""
    from ...baselines.comparison import Variant

    return [Variant(arch, args.precision, "", tuple(args.overrides)) for arch in args.arch]


def gpus_from_args(args) -> list[str]:
    from ...baselines.gpu_model import default_gpu_for

    named = [g for g in args.gpu if g.lower() != "none"]
    if args.gpu and not named:
        return []
    if named:
        return list(dict.fromkeys(named))
    return list(dict.fromkeys(default_gpu_for(arch) for arch in args.arch))


def run(args) -> int:
    from ...baselines.comparison import compare, render
    from ...workload.registry import load_workload
    from ..common import emit, parse_settings

    workload = load_workload(args.workload, args.batch, parse_settings(args.setting))
    rows = compare(variants_from_args(args), gpus_from_args(args), workload, args.precision,
                   args.gpu_model, args.gpu_sparse)
    emit(render(rows, workload, args.gpu_model, args.format), args.output)
    return 0
