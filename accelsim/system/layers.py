"""Per-layer training costs on one chip: the protocol the multi-chip model consumes.

A :class:`LayerProfile` is what one chip spends per training step at one per-chip batch: for every
layer its forward and backward seconds, the bytes of its gradient and of its output activation.
Three sources build one:

- :func:`profile_from_run` adapts a single-chip simulator :class:`~accelsim.report.results.RunResult`.
  For a run of a forward-only graph, backward = 2 x forward for layers with MACs (input-gradient
  and weight-gradient GEMMs, workloads.md: a step is ~3x the forward MACs) and 1 x forward for
  vector layers -- an approximation, labelled in ``source``.
- :func:`roofline_profile` estimates every layer as max(FLOPs / peak, bytes / HBM bandwidth) from the
  workload graph (a roofline upper bound on speed, labelled as such), with the same backward rule.
- tests build profiles by hand.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from ..errors import AccelsimError
from ..report.static_share import cycle_shares

BACKWARD_OVER_FORWARD_MATRIX = 2.0  # input-gradient + weight-gradient GEMMs (workloads.md)
BACKWARD_OVER_FORWARD_VECTOR = 1.0  # elementwise/normalisation gradients: about one more pass
# Momentum SGD update per parameter: read weight, gradient, momentum; write weight, momentum (fp32).
OPTIMIZER_BYTES_PER_PARAM = 5 * 4
# Elementwise op kinds the roofline estimate fuses into the producing layer.
FUSED_FREE = ("activation", "data_movement")
FUSED_ONE_PASS = ("norm", "elementwise")


@dataclass(frozen=True)
class LayerRecord:
    """One layer at one per-chip batch. Seconds on one chip; bytes for that whole batch."""

    name: str
    forward_seconds: float
    backward_seconds: float
    param_bytes: float  # gradient bytes this layer contributes to the all-reduce
    activation_bytes: float  # output activation bytes (what crosses a pipeline/tensor split)


@dataclass(frozen=True)
class LayerProfile:
    """A training step of one chip: layers in forward order, the optimizer update, and provenance."""

    records: tuple[LayerRecord, ...]
    batch: int
    optimizer_seconds: float = 0.0
    source: str = "hand-made"

    @property
    def forward_seconds(self) -> float:
        """Sum of forward seconds."""
        return sum(r.forward_seconds for r in self.records)

    @property
    def backward_seconds(self) -> float:
        """Sum of backward seconds."""
        return sum(r.backward_seconds for r in self.records)

    @property
    def param_bytes(self) -> float:
        """Gradient bytes of the whole model."""
        return sum(r.param_bytes for r in self.records)


#: batch -> profile of one chip at that per-chip batch
ProfileFn = Callable[[int], LayerProfile]


def roofline_profile(workload: str, batch: int, peak_tflops: float, hbm_bandwidth_gbps: float,
                     bytes_per_element: float = 2.0, gradient_bytes_per_param: float = 4.0
                     ) -> LayerProfile:
    """Roofline estimate of every layer of a built-in ``workload`` at ``batch``.

    Forward seconds = max(2 x MACs / peak, (inputs + weights + outputs) x bytes_per_element / HBM)
    for MAC and pooling layers. Elementwise layers are taken as fused into their producer (as XLA
    does): an activation costs nothing extra, a batch norm one extra read of its output (the batch
    statistics of training), a residual add one read of its second operand.
    ``peak_tflops`` in 10^12 FLOP/s, ``hbm_bandwidth_gbps`` in GB/s; ``bytes_per_element`` of
    activations and weights (bf16: 2); ``gradient_bytes_per_param`` of the all-reduced gradient.
    """
    from ..workload.registry import load_workload

    graph = load_workload(workload, batch)
    peak = peak_tflops * 1e12
    bandwidth = hbm_bandwidth_gbps * 1e9
    records = []
    params_total = 0
    for layer in graph.layers:
        op = layer.op
        if op.kind == "input":  # the first layer's read of the input is counted there
            continue
        try:
            moved = (op.input_elements + op.weight_elements + op.output_elements) * bytes_per_element
        except NotImplementedError:  # inputs and other ops without operands
            continue
        if op.kind in FUSED_FREE:
            moved = 0.0
        elif op.kind in FUSED_ONE_PASS:
            moved = op.output_elements * bytes_per_element
        forward = max(2 * op.macs / peak, moved / bandwidth)
        ratio = BACKWARD_OVER_FORWARD_MATRIX if op.macs else BACKWARD_OVER_FORWARD_VECTOR
        params_total += op.params
        records.append(LayerRecord(layer.name, forward, ratio * forward,
                                   op.params * gradient_bytes_per_param,
                                   op.output_elements * bytes_per_element))
    return LayerProfile(
        tuple(records), batch, params_total * OPTIMIZER_BYTES_PER_PARAM / bandwidth,
        f"roofline estimate ({peak_tflops:g} TFLOPS, {hbm_bandwidth_gbps:g} GB/s HBM; "
        "backward = 2x forward for MAC layers, 1x for vector layers)")


def profile_from_run(result, graph, gradient_bytes_per_param: float = 4.0,
                     activation_bytes_per_element: float = 2.0,
                     hbm_bandwidth_gbps: float | None = None,
                     simulated_optimizer: bool = True) -> LayerProfile:
    """Adapt a single-chip :class:`RunResult` of ``graph`` (the simulated Workload).

    A layer's seconds are its share of the run's cycles / clock (:func:`cycle_shares`: layers that
    run at the same time split the cycles they share, idle cycles go to the next layer to start), so
    forward + backward + optimizer seconds add up to the simulated step, as ``accelsim run``
    reports it; summing spans would count overlapped cycles twice. A result layer may be several fused workload layers
    (``extra['layers']``); their parameters are summed. In a run of a training graph
    (:func:`accelsim.workload.training.to_training`) a backward layer named ``<forward>/...`` is
    charged to the record holding ``<forward>``, unmatched ones in proportion to forward time, and
    optimizer layers make up ``optimizer_seconds`` (with ``simulated_optimizer=False`` they are
    ignored and the update is estimated as HBM-bound momentum SGD at ``hbm_bandwidth_gbps``).
    Without backward layers backward = 2 x forward for MAC layers and 1 x for vector layers
    (approximation, said in ``source``).
    """
    by_name = graph.by_name()
    hz = result.clock_mhz * 1e6
    forward: list[list] = []  # [name, seconds, macs, params, out_elements, is_input]
    owner: dict[str, int] = {}
    backward_layers: list[tuple[list[str], float]] = []
    optimizer = 0.0
    shares = cycle_shares([(layer.start_cycle, layer.end_cycle) for layer in result.layers],
                          result.totals.cycles)
    for layer, share in zip(result.layers, shares, strict=True):
        names = layer.extra.get("layers") or [layer.name]
        members = [by_name[n] for n in names if n in by_name]
        phase = members[0].phase if members else "forward"
        seconds = share / hz
        if phase == "backward":
            backward_layers.append((list(names), seconds))
            continue
        if phase == "optimizer":
            optimizer += seconds if simulated_optimizer else 0.0
            continue
        for n in names:
            owner[n] = len(forward)
        params = sum(m.op.params for m in members)
        out = members[-1].op.output_elements if members else 0
        is_input = bool(members) and all(m.op.kind == "input" for m in members)
        forward.append([layer.name, seconds, layer.macs, params, out, is_input])
    if not forward:
        raise AccelsimError(f"the run of '{result.workload}' has no forward layers to profile")
    backward = [0.0] * len(forward)
    unmatched = 0.0
    for names, seconds in backward_layers:
        index = next((owner[n.split("/")[0]] for n in names if n.split("/")[0] in owner), None)
        if index is None:
            unmatched += seconds
        else:
            backward[index] += seconds
    fwd_sum = sum(f[1] for f in forward) or 1.0
    records = []
    for i, (name, seconds, macs, params, out, is_input) in enumerate(forward):
        if backward_layers:
            back = backward[i] + unmatched * seconds / fwd_sum
        elif is_input:  # reading the input has no gradient
            back = 0.0
        else:
            back = seconds * (BACKWARD_OVER_FORWARD_MATRIX if macs else BACKWARD_OVER_FORWARD_VECTOR)
        records.append(LayerRecord(name, seconds, back, params * gradient_bytes_per_param,
                                   out * activation_bytes_per_element))
    estimated_optimizer = False
    if not optimizer and hbm_bandwidth_gbps:
        total_params = sum(f[3] for f in forward)
        optimizer = total_params * OPTIMIZER_BYTES_PER_PARAM / (hbm_bandwidth_gbps * 1e9)
        estimated_optimizer = True
    update = ("optimizer update estimated as HBM-bound momentum SGD" if estimated_optimizer
              else "optimizer layers simulated")
    source = (f"simulator ({result.arch}, training graph: backward layers simulated; {update})"
              if backward_layers else
              f"simulator ({result.arch}, forward only; backward = 2x forward for MAC layers, "
              f"1x for vector layers: approximation; {update})")
    return LayerProfile(tuple(records), result.batch, optimizer, source)


def simulator_profile_fn(arch: str, workload: str, precision: str | None = None,
                         hbm_bandwidth_gbps: float | None = None, training: bool = True,
                         optimizer: str = "momentum", simulated_optimizer: bool = True
                         ) -> ProfileFn:
    """A :data:`ProfileFn` that runs the single-chip simulator on ``workload`` at each batch.

    ``training``: simulate the training graph (forward, backward, ``optimizer`` updates; a workload
    that already is a training graph runs as it is); ``training=False``: the forward pass only,
    with backward = 2 x forward. ``simulated_optimizer=False``: estimate the update as HBM-bound
    (see :func:`profile_from_run`).
    """
    from .. import api
    from ..workload.registry import load_workload
    from ..workload.training import to_training

    cache: dict[int, LayerProfile] = {}

    def profile(batch: int) -> LayerProfile:
        if batch not in cache:
            graph = load_workload(workload, batch)
            if training:
                try:
                    graph = to_training(graph, optimizer)
                except AccelsimError:  # e.g. a workload that is already a training graph
                    pass
            try:
                result = api.simulate(arch, graph, precision=precision)
            except AccelsimError as exc:
                raise AccelsimError(f"{exc.message}; or time layers with --estimate roofline",
                                    exc.location, exc.field) from None
            cache[batch] = profile_from_run(result, graph, hbm_bandwidth_gbps=hbm_bandwidth_gbps,
                                            simulated_optimizer=simulated_optimizer)
        return cache[batch]

    return profile
