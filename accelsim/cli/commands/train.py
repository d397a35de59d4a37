"""accelsim train: multi-chip training step time (data, tensor and pipeline parallelism)."""
from __future__ import annotations

NAME = "train"
HELP = ("time a multi-chip training step: compute, exposed communication and pipeline bubbles, "
        "optionally as a weak or strong scaling sweep")
DESCRIPTION = (HELP + ". Per-layer times come from the single-chip simulator (or a roofline "
               "estimate); gradients are all-reduced in buckets overlapped with the backward pass. "
               "Times in the table are milliseconds, in JSON seconds; throughput in samples per "
               "second. See docs/multichip.md.")

COLLECTIVES = ("auto", "ring", "rabenseifner", "recursive_doubling", "tree", "torus2d",
               "hierarchical")


def add_arguments(parser) -> None:
    from ..common import positive_int, precision_name

    parser.add_argument("--system", required=True, metavar="NAME|PATH",
                        help="multi-chip system: a name from archs/systems (e.g. tpu_v3_pod_32x32) "
                             "or a system YAML path")
    parser.add_argument("--arch", metavar="NAME|PATH",
                        help="single-chip arch that gives per-layer times (default: the system's "
                             "'chip')")
    parser.add_argument("--workload", default="resnet50",
                        help="workload: built-in name or file (default: %(default)s)")
    parser.add_argument("--global-batch", type=positive_int, required=True, metavar="SAMPLES",
                        help="samples per training step over all chips (samples)")
    parser.add_argument("--parallel", metavar="SPEC",
                        help="layout, e.g. dp=1024 or dp=8,tp=2,pp=4,mb=16,schedule=gpipe "
                             "(counts of chips/micro-batches; default: dp over all chips)")
    parser.add_argument("--collective", choices=COLLECTIVES, default="auto",
                        help="data-parallel all-reduce algorithm (auto: torus2d on 2-D tori, "
                             "hierarchical on hierarchical systems, ring otherwise)")
    parser.add_argument("--bidirectional", action="store_true",
                        help="ring and torus2d all-reduces send half the data each way round")
    parser.add_argument("--compression", default="none", metavar="SCHEME",
                        help="gradient compression: topk:DENSITY (fraction kept), qsgd:BITS, "
                             "onebit, ternary or none (default: %(default)s)")
    parser.add_argument("--bucket-mib", type=float, default=25.0, metavar="MIB",
                        help="gradient bucket size in MiB (2^20 bytes; default: %(default)s)")
    parser.add_argument("--scaling", choices=("weak", "strong"),
                        help="sweep data-parallel chip counts (doubling from --min-chips, then dp "
                             "itself): weak keeps the per-chip batch (global batch / dp), strong "
                             "keeps the global batch")
    parser.add_argument("--min-chips", type=positive_int, default=None, metavar="CHIPS",
                        help="smallest chip count of a --scaling sweep, at most dp (chips; default: 8, "
                             "or dp when dp is smaller)")
    parser.add_argument("--event-driven", action="store_true",
                        help="time the gradient all-reduces with the event-driven network model "
                             "(contention, per-link utilization; about 7 s of CPU per 25 MiB bucket on 1024 chips)")
    parser.add_argument("--estimate", choices=("simulator", "roofline"), default="simulator",
                        help="per-layer times: the single-chip simulator, or a roofline estimate "
                             "from the system's chip_roofline (peak TFLOPS, HBM GB/s)")
    parser.add_argument("--optimizer-time", choices=("simulated", "estimate"), default="estimate",
                        help="optimizer update time: estimated as HBM-bound momentum SGD (20 bytes "
                             "per parameter at the chip_roofline HBM GB/s), or the simulator's "
                             "update layers (their share of the single-chip run of the training "
                             "graph, whose cycles they share with the backward layers they "
                             "overlap); "
                             "default: %(default)s")
    parser.add_argument("--precision", type=precision_name, help="operand precision of the single-chip simulation "
                                            "(default: the arch's)")
    parser.add_argument("--epochs", type=float, default=90.0, metavar="EPOCHS",
                        help="epochs for the time-to-train line (passes over the data set; "
                             "default: %(default)s)")
    parser.add_argument("--dataset-samples", type=positive_int, default=1_281_167,
                        metavar="SAMPLES",
                        help="samples in one epoch (default: ImageNet-1k train, %(default)s)")
    parser.add_argument("--format", choices=("table", "json"), default="table",
                        help="output format (default: %(default)s)")
    parser.add_argument("-o", "--output", metavar="FILE",
                        help="write the report to FILE (atomically) instead of standard output")


def _profile_fn(args, system):
    from ...errors import AccelsimError
    from ...system.layers import roofline_profile, simulator_profile_fn

    if args.estimate == "roofline":
        if args.precision is not None:
            raise AccelsimError("--precision sets the single-chip simulator's precision; --estimate roofline "
                                "times layers at the system's chip_roofline peak with 2-byte operands",
                                field="--precision")
        roof = system.chip_roofline
        if roof is None:
            raise AccelsimError(f"--estimate roofline needs chip_roofline in {system.name}",
                                field="--estimate")
        return lambda batch: roofline_profile(args.workload, batch, roof.peak_tflops,
                                              roof.hbm_bandwidth_gbps)
    hbm = system.chip_roofline.hbm_bandwidth_gbps if system.chip_roofline else None
    # Without the chip's HBM bandwidth the update can only come from the simulator.
    simulated = args.optimizer_time == "simulated" or hbm is None
    return simulator_profile_fn(args.arch or system.chip, args.workload, args.precision, hbm,
                                simulated_optimizer=simulated)


def run(args) -> int:
    from ...errors import AccelsimError
    from ...system.compression import parse_compression
    from ...system.parallel import ParallelConfig, parse_parallel
    from ...system.report import scaling_json, scaling_table, step_table, to_json
    from ...system.spec import load_system
    from ...system.training import TrainingOptions, scaling_sweep, step_time, time_to_train_seconds
    from ..common import emit

    system = load_system(args.system)
    parallel = parse_parallel(args.parallel) if args.parallel is not None else ParallelConfig(dp=system.chips)
    if not 0 < args.epochs <= 1e6:
        raise AccelsimError(f"--epochs must be in (0, 10^6], got {args.epochs}", field="--epochs")
    if not 0 < args.bucket_mib <= 1e6:
        raise AccelsimError(f"--bucket-mib must be in (0, 10^6], got {args.bucket_mib}",
                            field="--bucket-mib")
    options = TrainingOptions(
        collective=args.collective, compression=parse_compression(args.compression),
        bucket_bytes=args.bucket_mib * 2**20, bidirectional=args.bidirectional,
        event_driven=args.event_driven)
    profile_fn = _profile_fn(args, system)
    if args.scaling:
        if parallel.tp > 1 or parallel.pp > 1:
            raise AccelsimError("--scaling sweeps data parallelism only (tp=1, pp=1)",
                                field="--scaling")
        if args.global_batch % parallel.dp:
            raise AccelsimError(f"global batch {args.global_batch} does not split over "
                                f"dp={parallel.dp}", field="--global-batch")
        if args.min_chips is not None and args.min_chips > parallel.dp:
            raise AccelsimError(f"{args.min_chips} chips is more than the {parallel.dp} data-parallel "
                                "chips of this layout", field="--min-chips")
        counts, chips = [], min(args.min_chips or 8, parallel.dp)
        while chips < parallel.dp:
            counts.append(chips)
            chips *= 2
        counts.append(parallel.dp)
        batch = args.global_batch // parallel.dp if args.scaling == "weak" else args.global_batch
        points = scaling_sweep(profile_fn, system, counts, args.scaling, batch, options)
        if args.format == "json":
            text = to_json({"scaling": args.scaling, "points": scaling_json(points)})
        else:
            text = scaling_table(points) + "\n"
        emit(text, args.output)
        return 0
    step = step_time(profile_fn, system, parallel, args.global_batch, options)
    ttt = time_to_train_seconds(step, args.epochs, args.dataset_samples)
    if args.format == "json":
        payload = step.as_dict()
        payload.update(time_to_train_seconds=ttt, epochs=args.epochs,
                       dataset_samples=args.dataset_samples)
        if step.link_utilization:
            payload["link_utilization_by_link"] = dict(sorted(step.link_utilization.items()))
        text = to_json(payload)
    else:
        text = step_table(step, ttt, args.epochs) + "\n"
    emit(text, args.output)
    return 0
