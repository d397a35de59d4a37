"""Property: a format that is no wider in any field never costs more energy, bytes or PE area."""
import itertools

from hypothesis import given, settings
from hypothesis import strategies as st

from accelsim.costs.area import pe_um2
from accelsim.costs.energy import Activity, energy_by_component, energy_params
from accelsim.precision import PRECISIONS, lns_precision


def narrower_or_equal(a, b) -> bool:
    same_family = a.kind == b.kind or (a.kind, b.kind) == ("binary", "int")
    return (same_family and a.bits <= b.bits and a.exponent_bits <= b.exponent_bits
            and a.mantissa_bits <= b.mantissa_bits)


REGISTRY_PAIRS = [(a, b) for a in PRECISIONS.values() for b in PRECISIONS.values()
                  if narrower_or_equal(a, b)]


@st.composite
def lns_pairs(draw):
    i_high, f_high = draw(st.integers(1, 12)), draw(st.integers(0, 20))
    i_low, f_low = draw(st.integers(1, i_high)), draw(st.integers(0, f_high))
    return lns_precision(i_low, f_low), lns_precision(i_high, f_high)


def test_the_registry_pairs_chain_the_shipped_formats():
    names = {(a.name, b.name) for a, b in REGISTRY_PAIRS if a.name != b.name}
    for chain in (["binary", "int2", "int4", "int8", "int16"], ["fp8_e4m3", "fp16", "fp32"],
                  ["fp8_e5m2", "fp16"], ["bf16", "fp32"], ["tf32", "fp32"]):
        assert set(itertools.pairwise(chain)) <= names, chain
    assert ("bf16", "fp16") not in names and ("fp16", "bf16") not in names  # neither field-wise narrower


pairs = st.one_of(st.sampled_from(REGISTRY_PAIRS), lns_pairs())


@settings(max_examples=300, deadline=None)
@given(pairs, st.sampled_from([5, 7, 12, 16, 28, 45, 65, 130]), st.integers(1, 10**12),
       st.sampled_from([None, 1, 9, 16, 24, 32, 34, 48]), st.sampled_from([None, 1, 8, 16, 64, 128, 256, 257]))
def test_lower_precision_never_costs_more(pair, node, macs, accumulator_bits, products_per_sum):
    low, high = pair
    params = energy_params(node, "hbm2", {}, {}, accumulator_bits=accumulator_bits, products_per_sum=products_per_sum)

    def compute_j(p):
        act = Activity({p.name: macs}, {p.name: macs}, 0, {}, {}, 0)
        return energy_by_component(params, act, 0.0, 0.0)["compute"]

    assert compute_j(low) <= compute_j(high)
    assert low.bytes * macs <= high.bytes * macs
    sums = {"accumulator_bits": accumulator_bits, "products_per_sum": products_per_sum}
    assert pe_um2(low, node, **sums) <= pe_um2(high, node, **sums)


def test_the_property_covers_the_registry_chains():
    assert len(REGISTRY_PAIRS) > 2 * len(PRECISIONS)
    chains = [("int2", "int4", "int8", "int16", "int32"), ("fp8_e4m3", "fp16", "tf32", "fp32"),
              ("fp8_e5m2", "bf16", "fp32"), ("binary", "int2"), ("lns8", "lns16")]
    for chain in chains:
        for a, b in itertools.pairwise(chain):
            assert narrower_or_equal(PRECISIONS[a], PRECISIONS[b]), (a, b)
