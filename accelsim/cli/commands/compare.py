"""accelsim compare: accelerators and GPU baselines side by side on one workload."""
from __future__ import annotations

NAME = "compare"
HELP = ("compare accelerators with GPU baselines (roofline or derated) on one workload (cycles, time, "
        "throughput, energy, TOPS, utilization, area; with a --precision list also the precision study's test accuracy)")
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
    parser.add_argument("--iso-area", action="store_true",
                        help="with a --precision list: resize each variant's array so its area (mm^2, costs/area.py) "
                             "matches the first precision's design (rows = cols = floor(sqrt(PEs)))")
    parser.add_argument("--accuracy-from", metavar="FILE", default=None,
                        help="precision-study JSON whose test errors fill the accuracy column of a --precision "
                             "list (default: accelsim/study/data/precision_study_digits.json; 'none' for no accuracy column)")
    add_output_options(parser)


def study_from_args(args):
    """The precision-study result for the accuracy column, or None (no precision list, or 'none')."""
    precisions = [p for p in (args.precision or "").split(",") if p.strip()]
    if len(precisions) <= 1 or (args.accuracy_from or "").lower() == "none":
        return None
    from ...study.accuracy import DEFAULT_STUDY_FILE, load_study

    return load_study(args.accuracy_from or DEFAULT_STUDY_FILE)


def variants_from_args(args) -> list:
    """The accelerator variants to simulate: one per --arch, or, with ``--precision a,b,c``, one per
    (arch, precision), each a hypothetical version of the arch whose matrix unit is built for that
    precision at full rate (optionally resized to the first precision's area: --iso-area)."""
    from ...baselines.comparison import Variant

    precisions = [p.strip() for p in (args.precision or "").split(",") if p.strip()]
    if len(precisions) <= 1:
        if args.iso_area:
            from ...errors import AccelsimError

            raise AccelsimError("--iso-area needs a list of precisions, e.g. --precision int8,bf16,fp8", field="--iso-area")
        return [Variant(arch, args.precision, "", tuple(args.overrides)) for arch in args.arch]
    from ...errors import AccelsimError, with_context

    variants = []
    for arch in args.arch:
        try:
            variants += precision_variants(arch, precisions, tuple(args.overrides), args.iso_area)
        except AccelsimError as exc:
            if len(args.arch) == 1:
                raise
            raise with_context(exc, arch) from None
    return variants


def precision_variants(arch: str, precisions: list[str], overrides: tuple[str, ...], iso_area: bool) -> list:
    """One Variant per precision: the arch's matrix unit rebuilt for it (full rate), same buffers."""
    import math

    from ...baselines.comparison import Variant
    from ...costs.area import pe_um2
    from ...precision import get_precision
    from ...spec.arch import products_per_sum
    from ...spec.loader import load_arch

    base = load_arch(arch, overrides)
    mu = base.matrix_unit
    if mu is None:
        from ...errors import AccelsimError

        raise AccelsimError(f"{arch} has no matrix unit to rebuild for other precisions", field="--precision")
    names = [get_precision(p).name for p in precisions]
    node = base.technology.process_nm

    def pe_area(name: str, rows: int) -> float:  # the PE's adder depends on the rows a sum runs down
        return pe_um2(name, node, accumulator_bits=mu.accumulator_bits,
                      products_per_sum=products_per_sum(mu.dataflow, rows))

    first_pe = pe_area(names[0], mu.rows)
    built_rate = {get_precision(p).name: rate for p, rate in mu.precisions.items()}
    variants = []
    for name in names:
        sets = [f"matrix_unit.precisions={{{name}: 1.0}}", f"matrix_unit.default_precision={name}"]
        rate = built_rate.get(name)
        if rate == 1.0:
            note = f"as built: {arch}'s array runs {name} at full rate"
        else:
            note = (f"hypothetical: {arch}'s array built for {name} at full rate (as built: "
                    + (f"{rate:g} of full rate)" if rate else f"no {name})"))
        rows, cols = mu.rows, mu.cols
        if iso_area:
            area = mu.rows * mu.cols * first_pe
            rows = max(1, math.isqrt(int(area / pe_area(name, mu.rows))))
            rows = cols = max(1, math.isqrt(int(area / pe_area(name, rows))))  # at the new height
            sets += [f"matrix_unit.rows={rows}", f"matrix_unit.cols={cols}"]
            if name == names[0]:
                note += f"; its {rows}x{cols} array's area is the one the other rows are sized to"
            else:
                note += f", resized to {rows}x{cols} for the area of the {names[0]} array"
        variants.append(Variant(arch, name, f"{arch}@{name}" + (f" {rows}x{cols}" if iso_area else ""),
                                overrides + tuple(sets), note))
    return variants


def gpus_from_args(args) -> list[str]:
    from ...baselines.gpu_model import default_gpu_for

    named = [g for g in args.gpu if g.lower() != "none"]
    if args.gpu and not named:
        return []
    if named:
        return list(dict.fromkeys(named))
    return list(dict.fromkeys(default_gpu_for(arch) for arch in args.arch))


def arch_list(values: list[str]) -> list[str]:
    """--arch values as given, each comma-separated list split into its names (a file whose name holds a
    comma is taken whole)."""
    from pathlib import Path

    out = []
    for value in values:
        if "," in value and not Path(value).exists():
            out += [name.strip() for name in value.split(",") if name.strip()]
        else:
            out.append(value)
    return out


def run(args) -> int:
    from ...baselines.comparison import compare, render, with_accuracy
    from ...workload.registry import load_workload
    from ..common import emit, parse_settings

    args.arch = arch_list(args.arch)
    workload = load_workload(args.workload, args.batch, parse_settings(args.setting), args.allow_unsupported)
    variants = variants_from_args(args)
    gpu_precision = args.precision if args.precision and "," not in args.precision else None
    study = study_from_args(args)
    rows = compare(variants, gpus_from_args(args), workload, gpu_precision, args.gpu_model, args.gpu_sparse)
    if study is not None:
        rows = with_accuracy(rows, study)
    emit(render(rows, workload, args.gpu_model, args.format, study.source if study else None), args.output)
    return 0
