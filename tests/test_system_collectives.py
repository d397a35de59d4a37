"""Closed-form collective costs and the event-driven network model that must agree with them."""
from __future__ import annotations

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from accelsim.errors import AccelsimError
from accelsim.system.collectives import AlphaBeta, collective_cost
from accelsim.system.network_sim import Job, simulate
from accelsim.system.schedules import all_reduce_schedule, ring_all_reduce, torus2d_all_reduce
from accelsim.system.spec import load_system, with_dims
from accelsim.system.topology import build_network, snake_order

# Dyadic numbers: every sum the simulator makes is exact in binary floating point.
ALPHA = 2.0**-20
BETA = 2.0**-34
N_BYTES = 2.0**26


def test_ring_all_reduce_formula_exact():
    ab = AlphaBeta(1.7e-6, 1 / 81e9, 3e-12)
    for p in (2, 3, 8, 1024):
        n = 123_456_789.0
        cost = collective_cost("all_reduce", "ring", n, p, ab)
        assert cost.latency_seconds == 2 * (p - 1) * ab.alpha_seconds
        assert cost.bandwidth_seconds == 2 * (p - 1) / p * n * ab.beta_seconds_per_byte
        assert cost.reduction_seconds == (p - 1) / p * n * ab.gamma_seconds_per_byte


def test_formula_table():
    ab = AlphaBeta(1e-6, 1e-9, 0.0)
    p, n = 16, 1e6
    rab = collective_cost("all_reduce", "rabenseifner", n, p, ab)
    assert rab.latency_seconds == pytest.approx(2 * 4 * 1e-6)
    assert rab.bandwidth_seconds == pytest.approx(2 * 15 / 16 * n * 1e-9)
    rd = collective_cost("all_reduce", "recursive_doubling", n, p, ab)
    assert rd.seconds == pytest.approx(4 * 1e-6 + 4 * n * 1e-9)
    tree = collective_cost("all_reduce", "tree", n, p, ab)
    assert tree.seconds == pytest.approx(8 * 1e-6 + 8 * n * 1e-9)
    torus = collective_cost("all_reduce", "torus2d", n, p, ab, dims=(4, 4))
    assert torus.latency_seconds == pytest.approx((2 * 3 + 2 * 3) * 1e-6)
    assert torus.bandwidth_seconds == pytest.approx(2 * n * 1e-9 * 15 / 16)
    inner = AlphaBeta(1e-7, 1e-10)
    hier = collective_cost("all_reduce", "hierarchical", n, p, ab, inner=inner, chips_per_node=4)
    assert hier.seconds == pytest.approx(2 * 3 * 1e-7 + 2 * 3 * 1e-6 + 2 * 3 / 4 * n * 1e-10
                                         + 2 * 3 / 4 * (n / 4) * 1e-9)
    rs = collective_cost("reduce_scatter", "ring", n, p, ab)
    ag = collective_cost("all_gather", "ring", n, p, ab)
    ring = collective_cost("all_reduce", "ring", n, p, ab)
    assert rs.seconds + ag.seconds == pytest.approx(ring.seconds)
    assert collective_cost("all_to_all", "pairwise", n, p, ab).seconds == pytest.approx(
        15e-6 + 15 / 16 * n * 1e-9)
    assert collective_cost("broadcast", "tree", n, p, ab).seconds == pytest.approx(4e-6 + 4e-3)


def test_unknown_algorithm_suggests():
    with pytest.raises(AccelsimError, match="did you mean 'ring'"):
        collective_cost("all_reduce", "rnig", 1.0, 4, AlphaBeta(1, 1))


def _ring_system(p):
    spec = with_dims(load_system("tpu_v3_ethernet_16"), (p,))
    return spec, build_network(spec)


@pytest.mark.parametrize("p", [2, 5, 16])
def test_event_driven_ring_equals_analytical_exactly(p):
    _spec, net = _ring_system(p)
    bandwidth = 1 / BETA
    net = net.__class__(net.kind, net.chips, net.dims, net.chips_per_node,
                        tuple(link.__class__(link.name, bandwidth, ALPHA) for link in net.links),
                        net.index)
    n = N_BYTES * p  # chunks of 2^26 bytes: exact
    result = simulate(net, [Job(ring_all_reduce(p, n), tuple(range(p)))], ALPHA)
    analytical = collective_cost("all_reduce", "ring", n, p, AlphaBeta(ALPHA, BETA))
    assert result.makespan_seconds == analytical.seconds
    assert result.makespan_seconds == 2 * (p - 1) * ALPHA + 2 * (p - 1) / p * n * BETA


def test_event_driven_torus_and_tree_match_analytical():
    spec = with_dims(load_system("tpu_v3_pod_32x32"), (4, 4))
    net = build_network(spec)
    ab = AlphaBeta(spec.link.latency_seconds, 1 / spec.link.bytes_per_second, 2e-12)
    n = 64e6
    torus = simulate(net, [Job(torus2d_all_reduce((4, 4), n), tuple(range(16)))],
                     ab.alpha_seconds, ab.gamma_seconds_per_byte)
    expected = collective_cost("all_reduce", "torus2d", n, 16, ab, dims=(4, 4)).seconds
    assert torus.makespan_seconds == pytest.approx(expected, rel=1e-12)
    bidir = simulate(net, [Job(torus2d_all_reduce((4, 4), n, True), tuple(range(16)))],
                     ab.alpha_seconds, ab.gamma_seconds_per_byte)
    expected_bidir = collective_cost("all_reduce", "torus2d", n, 16, ab, dims=(4, 4),
                                     bidirectional=True).seconds
    assert bidir.makespan_seconds == pytest.approx(expected_bidir, rel=1e-12)
    snake = simulate(net, [Job(ring_all_reduce(16, n), tuple(snake_order((4, 4))))], ab.alpha_seconds,
                     ab.gamma_seconds_per_byte)
    ring = collective_cost("all_reduce", "ring", n, 16, ab).seconds
    assert snake.makespan_seconds == pytest.approx(ring, rel=1e-12)


def test_hierarchical_and_switch_match_analytical():
    spec = load_system("dgx_like_4x8")
    net = build_network(spec)
    out = AlphaBeta(spec.link.latency_seconds, 1 / spec.link.bytes_per_second)
    inner = AlphaBeta(spec.intra_node_link.latency_seconds, 1 / spec.intra_node_link.bytes_per_second)
    n = 32e6
    sched = all_reduce_schedule("hierarchical", 32, n, chips_per_node=8)
    # alpha=None: every message pays the latency of its own links (intra-node or NIC).
    result = simulate(net, [Job(sched, tuple(range(32)))])
    expected = collective_cost("all_reduce", "hierarchical", n, 32, out, inner=inner,
                               chips_per_node=8).seconds
    assert result.makespan_seconds == pytest.approx(expected, rel=1e-12)
    switch = load_system("dgx_like_8")
    ab = AlphaBeta(switch.link.latency_seconds, 1 / switch.link.bytes_per_second)
    for algorithm in ("ring", "rabenseifner", "recursive_doubling", "tree"):
        res = simulate(build_network(switch), [Job(all_reduce_schedule(algorithm, 8, n),
                                                   tuple(range(8)))], ab.alpha_seconds)
        assert res.makespan_seconds == pytest.approx(
            collective_cost("all_reduce", algorithm, n, 8, ab).seconds, rel=1e-12), algorithm


def test_contention_costs_more():
    spec = with_dims(load_system("tpu_v3_pod_32x32"), (4, 4))
    net = build_network(spec)
    alpha = spec.link.latency_seconds
    n = 64e6
    good = tuple(snake_order((4, 4)))
    alone = simulate(net, [Job(ring_all_reduce(16, n), good)], alpha)
    # A ring embedded badly: random rank order, so messages take several hops and share links.
    shuffled = list(range(16))
    random.Random(7).shuffle(shuffled)
    bad = simulate(net, [Job(ring_all_reduce(16, n), tuple(shuffled))], alpha)
    assert bad.makespan_seconds > 1.3 * alone.makespan_seconds
    # Two collectives at once on the same links take longer than one.
    both = simulate(net, [Job(ring_all_reduce(16, n), good), Job(ring_all_reduce(16, n), good)], alpha)
    assert both.makespan_seconds > 1.9 * alone.makespan_seconds
    # Utilization: the uncontended snake ring keeps its 16 links busy most of the time.
    util = alone.link_utilization()
    assert len(util) == 16 and min(util.values()) > 0.9


def test_other_collective_schedules_match_on_a_switch():
    from accelsim.system.schedules import (
        broadcast_tree,
        pairwise_all_to_all,
        ring_all_gather,
        ring_reduce_scatter,
    )

    switch = load_system("dgx_like_8")
    net = build_network(switch)
    ab = AlphaBeta(switch.link.latency_seconds, 1 / switch.link.bytes_per_second)
    n = 8e6
    cases = [
        (ring_reduce_scatter(8, n), collective_cost("reduce_scatter", "ring", n, 8, ab)),
        (ring_all_gather(8, n), collective_cost("all_gather", "ring", n, 8, ab)),
        (broadcast_tree(8, n), collective_cost("broadcast", "tree", n, 8, ab)),
        (pairwise_all_to_all(8, n), collective_cost("all_to_all", "pairwise", n, 8, ab)),
    ]
    for schedule, cost in cases:
        result = simulate(net, [Job(schedule, tuple(range(8)))])
        assert result.makespan_seconds == pytest.approx(cost.seconds, rel=1e-12), cost.collective


def test_torus3d_routes_use_neighbour_links():
    from dataclasses import replace

    from accelsim.system.spec import TopologySpec

    base = load_system("tpu_v3_pod_32x32")
    spec = replace(base, chips=64, topology=TopologySpec("torus3d", (4, 4, 4)),
                   link=replace(base.link, links_per_chip=6))
    net = build_network(spec)
    assert len(net.links) == 64 * 6
    far = net.chip_at((2, 3, 1))
    route = net.route(0, far)
    assert len(route) == 2 + 1 + 1  # 2 hops in x, 1 in y (wrap-around), 1 in z
    assert [net.links[i].name for i in route][-1].endswith("d2+")


@settings(max_examples=25, deadline=None)
@given(p=st.integers(2, 12), n=st.floats(1e3, 1e9), algorithm=st.sampled_from(
    ["ring", "rabenseifner", "recursive_doubling", "tree"]))
def test_switch_event_driven_matches_closed_form(p, n, algorithm):
    if algorithm != "ring":
        p = 1 << (p.bit_length() - 1)  # logarithmic schedules need a power of two
    switch = with_dims(load_system("dgx_like_8"), (p,))
    ab = AlphaBeta(switch.link.latency_seconds, 1 / switch.link.bytes_per_second)
    result = simulate(build_network(switch), [Job(all_reduce_schedule(algorithm, p, n),
                                                  tuple(range(p)))])
    assert result.makespan_seconds == pytest.approx(
        collective_cost("all_reduce", algorithm, n, p, ab).seconds, rel=1e-9)
