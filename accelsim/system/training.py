"""Step time of data/tensor/pipeline-parallel training on a multi-chip system.

One step on the critical chip, in seconds:

    step = pipeline makespan (compute + tensor-parallel communication + bubbles)
         + compression selection (chip time) + exposed data-parallel communication + optimizer

Data parallel: gradients are all-reduced in buckets of ``bucket_bytes`` filled in backward order;
a bucket is sent as soon as its last layer's backward is done (after its compression, when on), one
bucket at a time, overlapping the rest of the backward pass. Only the part that outlasts the chip's
own work is exposed. With pipeline stages each stage's gradients form one bucket, ready when that
stage's last backward ends.
Tensor parallel: a layer with parameters runs 1/tp of its work per chip and, as a conservative
stand-in for Megatron-style splits, all-reduces its output activations in the forward pass and its
input gradients in the backward pass over the tp chips (blocking).
Pipeline parallel: contiguous stages balanced by compute; :func:`.parallel.run_pipeline` times the
GPipe or 1F1B schedule, with one point-to-point activation transfer between stages.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

from ..errors import AccelsimError
from .collectives import AlphaBeta, collective_cost
from .compression import (
    NONE,
    Compression,
    compressed_all_reduce_cost,
    compressed_bytes,
    selection_seconds,
)
from .layers import LayerProfile, LayerRecord, ProfileFn
from .parallel import ParallelConfig, partition_layers, run_pipeline
from .spec import SystemSpec, with_dims

DEFAULT_BUCKET_BYTES = 25 * 2**20  # PyTorch DDP's default bucket size (25 MiB)
AUTO_ALGORITHM = {"torus2d": "torus2d", "ring": "ring", "switch": "ring", "torus3d": "ring",
                  "hierarchical": "hierarchical"}
# Reducing one byte reads two operands and writes one: three bytes through HBM per byte reduced.
REDUCTION_HBM_BYTES_PER_BYTE = 3


@dataclass(frozen=True)
class TrainingOptions:
    """How gradients move: all-reduce ``collective`` (an algorithm name or ``auto``), gradient
    ``compression``, ``bucket_bytes``, ``bidirectional`` rings, and ``event_driven`` network model."""

    collective: str = "auto"
    compression: Compression = NONE
    bucket_bytes: float = DEFAULT_BUCKET_BYTES
    bidirectional: bool = False
    event_driven: bool = False


@dataclass(frozen=True)
class BucketTiming:
    """One gradient bucket: its bytes (uncompressed), when it was ready and sent (seconds)."""

    layers: int
    nbytes: float
    wire_bytes: float
    ready_seconds: float
    start_seconds: float
    end_seconds: float
    algorithm: str


@dataclass(frozen=True)
class StepResult:
    """A training step broken down (seconds) with the layout and batch that produced it."""

    system: str
    chips: int
    parallel: str
    global_batch: int
    per_chip_batch: float  # samples each chip works on: global batch / dp (a tp group or pipeline shares them)
    micro_batch: int
    step_seconds: float
    compute_seconds: float
    tensor_comm_seconds: float
    bubble_seconds: float
    compression_seconds: float
    exposed_comm_seconds: float
    total_comm_seconds: float
    optimizer_seconds: float
    collective: str
    compression: str
    network_model: str
    profile_source: str
    buckets: tuple[BucketTiming, ...] = ()
    link_utilization: dict = field(default_factory=dict)

    @property
    def samples_per_second(self) -> float:
        """Training throughput of the whole system (samples per second)."""
        return self.global_batch / self.step_seconds

    def as_dict(self) -> dict:
        """JSON-ready dict (units in the key names)."""
        out = {k: getattr(self, k) for k in (
            "system", "chips", "parallel", "global_batch", "per_chip_batch", "micro_batch",
            "step_seconds", "compute_seconds", "tensor_comm_seconds", "bubble_seconds",
            "compression_seconds", "exposed_comm_seconds", "total_comm_seconds",
            "optimizer_seconds", "collective", "compression", "network_model", "profile_source")}
        out["samples_per_second"] = self.samples_per_second
        out["buckets"] = [b.__dict__ for b in self.buckets]
        if self.link_utilization:
            values = sorted(self.link_utilization.values())
            out["link_utilization"] = {
                "links_used": len(values), "mean": sum(values) / len(values), "max": values[-1],
                "min": values[0],
            }
        return out


def link_cost(system: SystemSpec) -> AlphaBeta:
    """Alpha-beta-gamma of the system's (inter-node) link; gamma from the chip's HBM bandwidth."""
    gamma = 0.0
    if system.chip_roofline is not None:
        gamma = REDUCTION_HBM_BYTES_PER_BYTE / (system.chip_roofline.hbm_bandwidth_gbps * 1e9)
    return AlphaBeta(system.link.latency_seconds, 1 / system.link.bytes_per_second, gamma)


def _dense_kwargs(system: SystemSpec, algorithm: str, ranks: int, bidirectional: bool) -> dict:
    kwargs: dict = {}
    if algorithm in ("ring", "torus2d"):
        kwargs["bidirectional"] = bidirectional
    if algorithm == "torus2d":
        if ranks != system.chips or system.topology.kind != "torus2d":
            raise AccelsimError("the torus2d all-reduce needs data parallelism over the whole 2-D "
                                f"torus ({system.chips} chips), got {ranks} ranks", field="--collective")
        kwargs["dims"] = system.topology.dims
    if algorithm == "hierarchical":
        if system.intra_node_link is None or ranks != system.chips:
            raise AccelsimError("the hierarchical all-reduce needs a hierarchical system and data "
                                "parallelism over all its chips", field="--collective")
        intra = system.intra_node_link
        kwargs["inner"] = AlphaBeta(intra.latency_seconds, 1 / intra.bytes_per_second,
                                    link_cost(system).gamma_seconds_per_byte)
        kwargs["chips_per_node"] = system.topology.chips_per_node
    return kwargs


def topk_algorithms_for(system: SystemSpec) -> tuple[str, ...]:
    """Sparse all-reduce variants that suit the topology: recursive doubling only on switches
    (on rings and tori its partners 2^k apart share links)."""
    if system.topology.kind in ("switch", "hierarchical"):
        return ("allgather", "recursive_doubling", "dense")
    return ("allgather", "dense")


def choose_algorithm(system: SystemSpec, requested: str, ranks: int) -> str:
    """The all-reduce algorithm: ``requested`` unless ``auto``, which picks the topology's natural one
    (ring when data parallelism covers only part of the system)."""
    if requested != "auto":
        return requested
    if ranks != system.chips:
        return "ring"
    return AUTO_ALGORITHM[system.topology.kind]


def _tensor_parallel(profile: LayerProfile, tp: int, ab: AlphaBeta) -> tuple[list[LayerRecord],
                                                                            list[float]]:
    """Records split ``tp`` ways, and each layer's blocking tensor-parallel communication."""
    if tp == 1:
        return list(profile.records), [0.0] * len(profile.records)
    records, comm = [], []
    for r in profile.records:
        records.append(LayerRecord(r.name, r.forward_seconds / tp, r.backward_seconds / tp,
                                   r.param_bytes / tp, r.activation_bytes))
        if r.param_bytes > 0:
            one = collective_cost("all_reduce", "ring", r.activation_bytes, tp, ab).seconds
            comm.append(2 * one)  # forward activations + backward input gradients
        else:
            comm.append(0.0)
    return records, comm


def step_time(profile_fn: ProfileFn, system: SystemSpec, parallel: ParallelConfig,
              global_batch: int, options: TrainingOptions = TrainingOptions()) -> StepResult:
    """Time one training step of ``global_batch`` samples with layout ``parallel`` on ``system``."""
    if parallel.chips > system.chips:
        raise AccelsimError(f"layout {parallel.label} needs {parallel.chips} chips; "
                            f"{system.name} has {system.chips}", field="--parallel")
    if global_batch % (parallel.dp * parallel.microbatches):
        raise AccelsimError(f"global batch {global_batch} does not split into dp={parallel.dp} x "
                            f"{parallel.microbatches} micro-batches", field="--global-batch")
    micro = global_batch // (parallel.dp * parallel.microbatches)
    profile = profile_fn(micro)
    ab = link_cost(system)
    records, tp_comm = _tensor_parallel(profile, parallel.tp, ab)
    m = parallel.microbatches
    algorithm = choose_algorithm(system, options.collective, parallel.dp)
    hbm = system.chip_roofline.hbm_bandwidth_gbps * 1e9 if system.chip_roofline else None
    comp = options.compression
    if comp.kind != "none" and hbm is None:
        raise AccelsimError(f"compression needs the chip's HBM bandwidth: add chip_roofline to "
                            f"{system.name}", field="--compression")
    if options.event_driven and (parallel.tp > 1 or parallel.pp > 1):
        raise AccelsimError("the event-driven network model supports data parallelism only "
                            "(tp=1, pp=1)", field="--event-driven")
    value_bytes = comp.value_bytes

    topk_algorithms = topk_algorithms_for(system)

    def allreduce(nbytes: float):
        elements = max(1, round(nbytes / value_bytes))
        return compressed_all_reduce_cost(comp, elements, parallel.dp, ab, algorithm,
                                          topk_algorithms,
                                          **_dense_kwargs(system, algorithm, parallel.dp,
                                                          options.bidirectional))

    compute = m * sum(r.forward_seconds + r.backward_seconds for r in records)
    buckets: list[BucketTiming] = []
    utilization: dict = {}
    if parallel.pp == 1:
        tensor_comm = m * sum(tp_comm)
        bubble = 0.0
        # Backward of the last micro-batch, in reverse layer order, with buckets in flight.
        # (earlier micro-batches only accumulate gradients locally).
        clock = (m - 1) * (sum(r.forward_seconds + r.backward_seconds for r in records)
                           + sum(tp_comm)) \
            + sum(r.forward_seconds for r in records) + sum(tp_comm) / 2
        pending: list[tuple[int, float, float]] = []  # (layers, bytes, ready)
        fill_layers, fill_bytes, selection_total = 0, 0.0, 0.0
        for index in range(len(records) - 1, -1, -1):
            r = records[index]
            clock += r.backward_seconds + tp_comm[index] / 2
            fill_layers += 1
            fill_bytes += r.param_bytes
            if fill_bytes >= options.bucket_bytes or (index == 0 and fill_bytes > 0):
                if comp.kind != "none" and parallel.dp > 1:
                    select = selection_seconds(comp, round(fill_bytes / value_bytes), hbm)
                    clock += select
                    selection_total += select
                pending.append((fill_layers, fill_bytes, clock))
                fill_layers, fill_bytes = 0, 0.0
        chip_end = clock
        if parallel.dp > 1:
            if options.event_driven:
                buckets, utilization = _event_driven_buckets(system, pending, parallel.dp,
                                                             algorithm, comp, ab, options)
            else:
                free = 0.0
                for layers, nbytes, ready in pending:
                    cost = allreduce(nbytes)
                    start = max(free, ready)
                    free = start + cost.seconds
                    wire = nbytes if cost.algorithm.startswith("topk_dense") else \
                        compressed_bytes(comp, round(nbytes / value_bytes))
                    buckets.append(BucketTiming(layers, nbytes, wire, ready, start, free,
                                                cost.algorithm))
        comm_end = max((b.end_seconds for b in buckets), default=0.0)
        exposed = max(0.0, comm_end - chip_end)
        makespan = chip_end - selection_total
    else:
        bounds = partition_layers([r.forward_seconds + r.backward_seconds + c
                                   for r, c in zip(records, tp_comm)], parallel.pp)
        fwd = [sum(records[i].forward_seconds + tp_comm[i] / 2 for i in range(a, b))
               for a, b in bounds]
        bwd = [sum(records[i].backward_seconds + tp_comm[i] / 2 for i in range(a, b))
               for a, b in bounds]
        boundary = max(records[b - 1].activation_bytes for a, b in bounds[:-1])
        transfer = ab.alpha_seconds + boundary * ab.beta_seconds_per_byte
        run = run_pipeline(parallel.schedule, fwd, bwd, m, transfer)
        busiest = max(range(parallel.pp), key=lambda s: run.busy_seconds[s])
        a, b = bounds[busiest]
        compute = m * sum(records[i].forward_seconds + records[i].backward_seconds
                          for i in range(a, b))
        tensor_comm = m * sum(tp_comm[a:b])
        bubble = run.makespan_seconds - run.busy_seconds[busiest]
        makespan = run.makespan_seconds
        selection_total = 0.0
        comm_end = 0.0
        if parallel.dp > 1:
            for s, (a, b) in enumerate(bounds):
                nbytes = sum(records[i].param_bytes for i in range(a, b))
                select = selection_seconds(comp, round(nbytes / value_bytes), hbm) \
                    if comp.kind != "none" else 0.0
                selection_total = max(selection_total, select)
                ready = run.last_backward_end_seconds[s] + select
                cost = allreduce(nbytes)
                wire = nbytes if cost.algorithm.startswith("topk_dense") else \
                    compressed_bytes(comp, round(nbytes / value_bytes))
                buckets.append(BucketTiming(b - a, nbytes, wire, ready, ready,
                                            ready + cost.seconds, cost.algorithm))
                comm_end = max(comm_end, ready + cost.seconds)
        exposed = max(0.0, comm_end - (makespan + selection_total))
    total_comm = sum(bk.end_seconds - bk.start_seconds for bk in buckets)
    step = makespan + selection_total + exposed + profile.optimizer_seconds
    return StepResult(
        system=system.name, chips=parallel.chips, parallel=parallel.label,
        global_batch=global_batch, per_chip_batch=(global_batch // parallel.dp if global_batch % parallel.dp == 0
                        else global_batch / parallel.dp),
        micro_batch=micro, step_seconds=step, compute_seconds=compute,
        tensor_comm_seconds=tensor_comm, bubble_seconds=bubble,
        compression_seconds=selection_total, exposed_comm_seconds=exposed,
        total_comm_seconds=total_comm, optimizer_seconds=profile.optimizer_seconds,
        collective=algorithm if parallel.dp > 1 else "none", compression=comp.label,
        network_model="event-driven" if options.event_driven else "analytical",
        profile_source=profile.source, buckets=tuple(buckets), link_utilization=utilization,
    )


def _event_driven_buckets(system, pending, dp, algorithm, comp, ab, options):
    from .compression import compressed_all_reduce_cost, topk_recursive_doubling_bytes
    from .network_sim import Job, simulate
    from .schedules import (
        all_reduce_schedule,
        ring_all_gather,
        ring_all_reduce,
        sized_recursive_doubling,
    )
    from .topology import build_network, snake_order

    network = build_network(system)
    # Ring schedules on a 2-D torus follow the snake embedding (neighbour links only when dp is
    # every chip); the other algorithms number ranks as chips.
    snake = tuple(snake_order(system.topology.dims))[:dp] \
        if system.topology.kind == "torus2d" else tuple(range(dp))
    in_order = tuple(range(dp))
    jobs, labels, wires = [], [], []
    kwargs = {}
    if algorithm == "torus2d":
        kwargs["dims"] = system.topology.dims
    if algorithm == "hierarchical":
        kwargs["chips_per_node"] = system.topology.chips_per_node
    if algorithm in ("ring", "torus2d"):
        kwargs["bidirectional"] = options.bidirectional
    dense_placement = snake if algorithm == "ring" else in_order
    for _, nbytes, ready in pending:
        elements = max(1, round(nbytes / comp.value_bytes))
        wire = compressed_bytes(comp, elements)
        label = algorithm
        if comp.kind == "topk":  # the variant the closed form picks
            label = compressed_all_reduce_cost(
                comp, elements, dp, ab, algorithm, topk_algorithms_for(system),
                **_dense_kwargs(system, algorithm, dp, options.bidirectional)).algorithm
        if comp.kind == "none" or label.startswith("topk_dense"):
            schedule, placement = all_reduce_schedule(algorithm, dp, nbytes, **kwargs), \
                dense_placement
            wire = nbytes
        elif label == "topk_recursive_doubling":
            schedule, placement = sized_recursive_doubling(
                dp, topk_recursive_doubling_bytes(comp, elements, dp)), in_order
        elif label == "topk_allgather":
            schedule, placement = ring_all_gather(dp, wire * dp, accumulate=True), snake
        else:  # quantizers: ring all-reduce on the compressed bytes
            schedule, placement, label = ring_all_reduce(dp, wire), snake, f"{comp.kind}_ring"
        jobs.append(Job(schedule, placement, ready, len(jobs) - 1 if jobs else None))
        labels.append(label)
        wires.append(wire)
    result = simulate(network, jobs, None, ab.gamma_seconds_per_byte)
    buckets = tuple(
        BucketTiming(layers, nbytes, wire, ready, start, end, label)
        for (layers, nbytes, ready), wire, start, end, label in zip(
            pending, wires, result.job_start_seconds, result.job_end_seconds, labels))
    return list(buckets), result.link_utilization()


# ---------------------------------------------------------------------------------------------
# Scaling sweeps


def slice_dims(system: SystemSpec, chips: int) -> tuple[int, ...]:
    """Dims of a ``chips``-chip slice of ``system`` (near-square for 2-D tori)."""
    kind = system.topology.kind
    if chips > system.chips:
        raise AccelsimError(f"{system.name} has {system.chips} chips, cannot slice {chips}")
    if kind == "torus2d":
        y = 2 ** int(math.log2(chips) // 2) if chips & (chips - 1) == 0 else 1
        return (chips // y, y)
    if kind == "hierarchical":
        g = system.topology.chips_per_node
        if chips % g:
            raise AccelsimError(f"{chips} chips is not a whole number of {g}-chip nodes")
        return (chips // g,)
    if kind == "torus3d":
        raise AccelsimError("scaling sweeps over torus3d systems are not supported yet")
    return (chips,)


@dataclass(frozen=True)
class ScalingPoint:
    """One point of a scaling sweep; ``efficiency`` against the sweep's reference (see sweep)."""

    scaling: str
    step: StepResult
    efficiency: float


def scaling_sweep(profile_fn: ProfileFn, system: SystemSpec, chip_counts: list[int],
                  scaling: str, batch: int, options: TrainingOptions = TrainingOptions()
                  ) -> list[ScalingPoint]:
    """Data-parallel sweep over ``chip_counts`` slices of ``system``.

    ``scaling='weak'``: ``batch`` is the per-chip batch, kept fixed; efficiency = one chip's step
    time (same per-chip batch, no communication) / step time. ``scaling='strong'``: ``batch`` is the
    global batch, kept fixed; efficiency = (throughput / chips) / (throughput / chips at the smallest
    chip count of the sweep).
    """
    if scaling not in ("weak", "strong"):
        raise AccelsimError(f"scaling must be 'weak' or 'strong', got {scaling!r}", field="--scaling")
    points: list[ScalingPoint] = []
    single = None
    if scaling == "weak":
        profile = profile_fn(batch)
        single = profile.forward_seconds + profile.backward_seconds + profile.optimizer_seconds
    reference = None
    for chips in chip_counts:
        sub = with_dims(system, slice_dims(system, chips), name=f"{system.name}[{chips}]")
        global_batch = batch * chips if scaling == "weak" else batch
        step = step_time(profile_fn, sub, ParallelConfig(dp=chips), global_batch, options)
        if scaling == "weak":
            eff = single / step.step_seconds
        else:
            per_chip = step.samples_per_second / chips
            reference = reference or per_chip
            eff = per_chip / reference
        points.append(ScalingPoint(scaling, step, eff))
    return points


def time_to_train_seconds(step: StepResult, epochs: float, dataset_samples: int) -> float:
    """Seconds to train ``epochs`` passes over ``dataset_samples`` at this step's time and batch."""
    steps = math.ceil(epochs * dataset_samples / step.global_batch)
    return steps * step.step_seconds

