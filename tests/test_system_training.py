"""Parallel training step model, pipeline schedules and gradient compression, on hand-made layers."""
from __future__ import annotations

import math
from dataclasses import replace
from types import SimpleNamespace

import pytest

from accelsim.errors import AccelsimError
from accelsim.system.collectives import AlphaBeta, collective_cost
from accelsim.system.compression import (
    Compression,
    compressed_all_reduce_cost,
    compressed_bytes,
    parse_compression,
    selection_seconds,
    topk_recursive_doubling_bytes,
)
from accelsim.system.layers import LayerProfile, LayerRecord, profile_from_run
from accelsim.system.parallel import (
    ParallelConfig,
    bubble_fraction_formula,
    parse_parallel,
    run_pipeline,
)
from accelsim.system.spec import load_system, with_dims
from accelsim.system.training import TrainingOptions, link_cost, scaling_sweep, step_time

MS = 1e-3


def hand_profile(layers=4, forward=1 * MS, param_bytes=8e6, activation_bytes=1e6, batch_scale=True):
    """``layers`` equal layers; times scale linearly with the batch (reference batch 1)."""

    def profile(batch: int) -> LayerProfile:
        k = batch if batch_scale else 1
        records = tuple(LayerRecord(f"l{i}", forward * k, 2 * forward * k, param_bytes,
                                    activation_bytes * k) for i in range(layers))
        return LayerProfile(records, batch, 0.0, "hand-made")

    return profile


def pod(chips=16):
    spec = load_system("tpu_v3_pod_32x32")
    x = 2 ** math.ceil(math.log2(chips) / 2)
    return with_dims(spec, (x, chips // x))


def test_single_chip_step_is_compute_only():
    result = step_time(hand_profile(), pod(16), ParallelConfig(dp=1), 4)
    assert result.step_seconds == pytest.approx(4 * 4 * 3 * MS)
    assert result.exposed_comm_seconds == 0 and result.total_comm_seconds == 0


def test_data_parallel_overlaps_all_but_the_last_bucket():
    system = pod(16)
    ab = link_cost(system)
    options = TrainingOptions(bucket_bytes=8e6)  # one bucket per layer
    result = step_time(hand_profile(), system, ParallelConfig(dp=16), 16, options)
    one = collective_cost("all_reduce", "torus2d", 8e6, 16, ab, dims=system.topology.dims).seconds
    assert one < 2 * MS  # each bucket's all-reduce hides under the next layer's backward
    compute = 4 * 3 * MS
    assert result.compute_seconds == pytest.approx(compute)
    assert [b.ready_seconds for b in result.buckets] == pytest.approx([6 * MS, 8 * MS, 10 * MS, 12 * MS])
    assert result.exposed_comm_seconds == pytest.approx(one)
    assert result.step_seconds == pytest.approx(compute + one)
    assert result.total_comm_seconds == pytest.approx(4 * one)


def test_event_driven_step_equals_analytical_when_uncontended():
    system = pod(16)
    options = TrainingOptions(bucket_bytes=8e6)
    analytical = step_time(hand_profile(), system, ParallelConfig(dp=16), 16, options)
    event = step_time(hand_profile(), system, ParallelConfig(dp=16), 16,
                      replace(options, event_driven=True))
    assert event.step_seconds == pytest.approx(analytical.step_seconds, rel=1e-12)
    assert event.network_model == "event-driven" and event.link_utilization
    assert all(0 < u <= 1 for u in event.link_utilization.values())


@pytest.mark.parametrize("schedule", ["gpipe", "1f1b"])
@pytest.mark.parametrize("stages,micro", [(4, 8), (8, 32), (2, 1), (4, 4)])
def test_pipeline_bubble_fraction(schedule, stages, micro):
    run = run_pipeline(schedule, [1.0] * stages, [2.0] * stages, micro)
    assert run.makespan_seconds == pytest.approx((micro + stages - 1) * 3.0)
    assert run.bubble_fraction == pytest.approx(bubble_fraction_formula(stages, micro))


def test_pipeline_step_bubble_matches_formula():
    system = pod(4)
    system = replace(system, link=replace(system.link, latency_us=0.0))
    profile = hand_profile(layers=8, activation_bytes=0.0)
    result = step_time(profile, system, parse_parallel("pp=4,mb=8,schedule=gpipe"), 8)
    step = result.step_seconds - result.optimizer_seconds
    assert result.bubble_seconds / step == pytest.approx(bubble_fraction_formula(4, 8))
    assert result.compute_seconds == pytest.approx(8 * 2 * 3 * MS)


def test_tensor_parallel_splits_compute_and_adds_blocking_comm():
    system = pod(16)
    one = step_time(hand_profile(), system, ParallelConfig(dp=1), 4)
    split = step_time(hand_profile(), system, ParallelConfig(dp=1, tp=4), 4)
    assert split.compute_seconds == pytest.approx(one.compute_seconds / 4)
    ab = link_cost(system)
    per_layer = 2 * collective_cost("all_reduce", "ring", 4e6, 4, ab).seconds
    assert split.tensor_comm_seconds == pytest.approx(4 * per_layer)
    assert split.step_seconds == pytest.approx(split.compute_seconds + 4 * per_layer)


def test_parse_parallel_and_errors():
    cfg = parse_parallel("dp=8,tp=2,pp=4,mb=16,schedule=gpipe")
    assert (cfg.dp, cfg.tp, cfg.pp, cfg.microbatches, cfg.schedule, cfg.chips) == (8, 2, 4, 16, "gpipe", 64)
    with pytest.raises(AccelsimError, match="did you mean 'schedule'"):
        parse_parallel("dp=2,schedul=gpipe")
    with pytest.raises(AccelsimError, match="positive integer"):
        parse_parallel("dp=0")
    with pytest.raises(AccelsimError, match="needs 32 chips"):
        step_time(hand_profile(), pod(16), ParallelConfig(dp=32), 32)


def test_weak_and_strong_scaling_are_labelled_and_differ():
    system = load_system("tpu_v3_pod_32x32")
    weak = scaling_sweep(hand_profile(), system, [4, 16, 64], "weak", 2)
    strong = scaling_sweep(hand_profile(), system, [4, 16, 64], "strong", 64)
    assert [p.step.global_batch for p in weak] == [8, 32, 128]
    assert [p.step.global_batch for p in strong] == [64, 64, 64]
    assert all(p.scaling == "weak" for p in weak) and strong[0].efficiency == 1.0
    assert all(0 < p.efficiency <= 1 for p in weak + strong)
    assert strong[-1].efficiency < weak[-1].efficiency


# --- compression -----------------------------------------------------------------------------


def test_compressed_sizes():
    n = 1_000_000
    assert compressed_bytes(parse_compression("topk:0.001"), n) == 1000 * 8
    assert compressed_bytes(parse_compression("qsgd:4"), n) == n / 2 + math.ceil(n / 1024) * 4
    assert compressed_bytes(parse_compression("onebit"), n) == n / 8 + math.ceil(n / 1024) * 4
    assert compressed_bytes(parse_compression("ternary"), n) == n / 4 + math.ceil(n / 1024) * 4
    assert selection_seconds(parse_compression("topk:0.01"), n, 1e9) == pytest.approx(3 * 4 * n / 1e9)
    with pytest.raises(AccelsimError, match="did you mean 'topk'"):
        parse_compression("topq:0.1")
    with pytest.raises(AccelsimError, match="density"):
        parse_compression("topk:2")


def test_sparse_all_reduce_volumes():
    c = Compression("topk", density=0.001)
    n, p = 10_000_000, 16
    ab = AlphaBeta(0.0, 1.0)  # cost = bytes
    k = 10_000
    gather_bytes = (p - 1) * k * 8  # 2k(p-1) numbers of 4 bytes
    sizes = topk_recursive_doubling_bytes(c, n, p)
    assert sizes == pytest.approx([(1 - 0.999 ** (2**j)) * n * 8 for j in range(4)])
    cost = compressed_all_reduce_cost(c, n, p, ab)
    assert cost.seconds == pytest.approx(min(gather_bytes, sum(sizes)))
    # Fill-in: at high density the union passes the dense size and the rounds switch to dense.
    dense_switch = topk_recursive_doubling_bytes(Compression("topk", density=0.2), n, p)
    assert dense_switch[-1] == n * 4 and dense_switch[0] < n * 4


def test_topk_helps_when_bandwidth_bound_and_not_when_hidden():
    eth = load_system("tpu_v3_ethernet_16")
    profile = hand_profile(layers=8, forward=0.1 * MS, param_bytes=12.5e6)
    dense = step_time(profile, eth, ParallelConfig(dp=16), 16)
    topk = step_time(profile, eth, ParallelConfig(dp=16), 16,
                     TrainingOptions(compression=parse_compression("topk:0.001")))
    assert topk.exposed_comm_seconds < 0.2 * dense.exposed_comm_seconds
    assert topk.compression_seconds > 0
    assert topk.step_seconds < dense.step_seconds
    # Compute-heavy: dense communication is hidden (all but the last bucket), so top-k saves at most
    # that bucket and pays its selection passes: no meaningful speedup.
    heavy = hand_profile(layers=8, forward=20 * MS, param_bytes=12.5e6)
    dense_h = step_time(heavy, pod(16), ParallelConfig(dp=16), 16)
    topk_h = step_time(heavy, pod(16), ParallelConfig(dp=16), 16,
                       TrainingOptions(compression=parse_compression("topk:0.001")))
    assert dense_h.exposed_comm_seconds < 0.02 * dense_h.step_seconds
    assert topk_h.step_seconds > 0.995 * dense_h.step_seconds
    assert topk_h.compression_seconds > 0


def test_profile_from_run_adapter():
    layer = SimpleNamespace
    graph_layers = {
        "conv": SimpleNamespace(phase="forward", op=SimpleNamespace(params=1000, output_elements=50)),
        "relu": SimpleNamespace(phase="forward", op=SimpleNamespace(params=0, output_elements=50)),
        "fc": SimpleNamespace(phase="forward", op=SimpleNamespace(params=10, output_elements=5)),
        "image": SimpleNamespace(phase="forward", op=SimpleNamespace(params=0, output_elements=9,
                                                                     kind="input")),
        "fc/dW": SimpleNamespace(phase="backward", op=None),
        "relu/dX": SimpleNamespace(phase="backward", op=None),
        "loss/dY_sum": SimpleNamespace(phase="backward", op=None),
        "fc/update": SimpleNamespace(phase="optimizer", op=None),
    }
    for name in ("conv", "relu", "fc"):
        graph_layers[name].op.kind = "conv2d"
    graph = SimpleNamespace(by_name=lambda: graph_layers)  # a Workload's method
    def run_of(*spans):  # (name, start, end, macs, extra) in the run, one after another or overlapping
        layers = tuple(layer(name=n, start_cycle=a, end_cycle=b, cycles=b - a, macs=m, extra=e)
                       for n, a, b, m, e in spans)
        return SimpleNamespace(arch="x", workload="w", batch=2, clock_mhz=1000.0, layers=layers,
                               totals=SimpleNamespace(cycles=max(b for _, _, b, _, _ in spans)))

    forward = (("image", 0, 100, 0, {}), ("conv+relu", 100, 2100, 10, {"layers": ["conv", "relu"]}),
               ("fc", 2100, 3100, 5, {}))
    result = run_of(*forward)
    profile = profile_from_run(result, graph)
    assert [r.name for r in profile.records] == ["image", "conv+relu", "fc"]
    assert profile.records[0].backward_seconds == 0.0
    profile = replace(profile, records=profile.records[1:])
    assert profile.records[0].forward_seconds == pytest.approx(2e-6)
    assert profile.records[0].backward_seconds == pytest.approx(4e-6)
    assert profile.records[0].param_bytes == 4000 and profile.records[0].activation_bytes == 100
    assert "approximation" in profile.source
    # A training-graph run: backward layers charged to their forward layer by name.
    training = run_of(*forward, ("loss/dY_sum", 3100, 3500, 0, {}), ("fc/dW", 3500, 6500, 5, {}),
                      ("relu/dX", 6500, 7000, 0, {}), ("fc/update", 7000, 7700, 0, {}))
    trained = profile_from_run(training, graph)
    back = {r.name: r.backward_seconds for r in trained.records}
    # forward: image 0.1 us, conv+relu 2 us, fc 1 us; the unmatched 0.4 us goes by forward share
    assert back["fc"] == pytest.approx(3e-6 + 0.4e-6 * 1 / 3.1)
    assert back["conv+relu"] == pytest.approx(0.5e-6 + 0.4e-6 * 2 / 3.1)
    assert trained.optimizer_seconds == pytest.approx(0.7e-6)
    assert "training graph" in trained.source
    # Overlapping layers split the cycles they share (the update runs alongside the last 300 cycles
    # of relu/dX), so the profile adds up to the run's 7400 cycles instead of the spans' 7700.
    overlapped = run_of(*forward, ("loss/dY_sum", 3100, 3500, 0, {}), ("fc/dW", 3500, 6500, 5, {}),
                        ("relu/dX", 6500, 7000, 0, {}), ("fc/update", 6700, 7400, 0, {}))
    split = profile_from_run(overlapped, graph)
    assert split.optimizer_seconds == pytest.approx(0.4e-6 + 0.15e-6)
    assert {r.name: r.backward_seconds for r in split.records}["conv+relu"] == pytest.approx(
        0.35e-6 + 0.4e-6 * 2 / 3.1)
    assert split.forward_seconds + split.backward_seconds + split.optimizer_seconds == pytest.approx(7.4e-6)


def test_event_driven_hierarchical_step_matches_analytical():
    system = load_system("dgx_like_4x8")
    options = TrainingOptions(bucket_bytes=8e6)
    analytical = step_time(hand_profile(), system, ParallelConfig(dp=32), 32, options)
    event = step_time(hand_profile(), system, ParallelConfig(dp=32), 32,
                      replace(options, event_driven=True))
    assert analytical.collective == "hierarchical"
    assert event.step_seconds == pytest.approx(analytical.step_seconds, rel=1e-12)
    assert [b.end_seconds for b in event.buckets] == pytest.approx(
        [b.end_seconds for b in analytical.buckets], rel=1e-12)


@pytest.mark.parametrize("system_name,scheme,algorithm", [
    ("tpu_v3_ethernet_16", "topk:0.001", "topk_allgather"),
    ("tpu_v3_ethernet_16", "topk:0.3", "topk_dense_ring"),
    ("tpu_v3_ethernet_16", "qsgd:4", "qsgd_ring"),
    ("tpu_v3_ethernet_16", "onebit", "onebit_ring"),
    ("dgx_like_8", "topk:0.001", "topk_recursive_doubling"),
    ("dgx_like_8", "ternary", "ternary_ring"),
])
def test_event_driven_compressed_step_matches_analytical(system_name, scheme, algorithm):
    system = load_system(system_name)
    p = system.chips
    profile = hand_profile(layers=8, forward=0.1 * MS, param_bytes=12.5e6)
    options = TrainingOptions(compression=parse_compression(scheme))
    analytical = step_time(profile, system, ParallelConfig(dp=p), p, options)
    event = step_time(profile, system, ParallelConfig(dp=p), p, replace(options, event_driven=True))
    assert {b.algorithm for b in analytical.buckets} == {algorithm}
    assert [b.algorithm for b in event.buckets] == [b.algorithm for b in analytical.buckets]
    assert event.step_seconds == pytest.approx(analytical.step_seconds, rel=1e-9)


def test_topk_recursive_doubling_on_a_ring_is_contended():
    from accelsim.system.network_sim import Job, simulate
    from accelsim.system.schedules import sized_recursive_doubling
    from accelsim.system.topology import build_network

    ring, switch = load_system("tpu_v3_ethernet_16"), with_dims(load_system("dgx_like_8"), (16,))
    c = parse_compression("topk:0.001")
    sizes = topk_recursive_doubling_bytes(c, 3_000_000, 16)
    schedule = sized_recursive_doubling(16, sizes)
    on_ring = simulate(build_network(ring), [Job(schedule, tuple(range(16)))], None,
                       link_cost(ring).gamma_seconds_per_byte)
    cost = compressed_all_reduce_cost(c, 3_000_000, 16, link_cost(ring),
                                      topk_algorithms=("recursive_doubling",))
    assert on_ring.makespan_seconds > 2 * cost.seconds  # partners 2^k apart share ring links
    sw = simulate(build_network(switch), [Job(schedule, tuple(range(16)))], None,
                  link_cost(switch).gamma_seconds_per_byte)
    sw_cost = compressed_all_reduce_cost(c, 3_000_000, 16, link_cost(switch),
                                         topk_algorithms=("recursive_doubling",))
    assert sw.makespan_seconds == pytest.approx(sw_cost.seconds, rel=1e-9)
