"""--sparsity parsing: sparsity vs density spellings, structures, per-layer overrides, clear errors."""
from __future__ import annotations

import pytest

from accelsim.errors import AccelsimError
from accelsim.sparsity.config import (
    LayerSparsity,
    SparsityConfig,
    SparsityStructure,
    parse_sparsity,
    parse_structure,
)


def test_weights_and_activations_are_sparsities_densities_are_densities():
    a = parse_sparsity("weights=0.9,activations=0.5")
    b = parse_sparsity("weight_density=0.1,activation_density=0.5")
    assert a == b
    assert a.weight_density == 0.1  # exactly, not 0.09999999999999998
    assert a.relu_density == 0.5  # defaults to the activation density


def test_relu_density_and_structure():
    cfg = parse_sparsity("relu_activations=0.7, structure=2:4")
    assert cfg.relu_density == pytest.approx(0.3)
    assert cfg.activation_density == 1.0
    assert cfg.structure == SparsityStructure("nm", n=2, m=4)
    # an N:M structure without a weight density means N/M of the weights are kept
    assert cfg.weight_density_for(("conv1",)) == 0.5


def test_per_layer_overrides_take_precedence():
    cfg = parse_sparsity("weights=0.9,fc6.weights=0.91,fc6.activation_density=0.35")
    assert cfg.layers == (LayerSparsity("fc6", pytest.approx(0.09), 0.35),)
    assert cfg.weight_density_for(("fc6",)) == pytest.approx(0.09)
    assert cfg.weight_density_for(("fc7",)) == pytest.approx(0.1)


@pytest.mark.parametrize("text", ["unstructured", "2:4", "1:8", "block4", "block4x4"])
def test_structures_round_trip(text):
    structure = parse_structure(text)
    expected = "block4x4" if text.startswith("block") else text
    assert str(structure) == expected


@pytest.mark.parametrize("text, fragment", [
    ("weights=1.5", "is a sparsity (fraction of zeros) in [0, 1)"),
    ("weight_density=0", "is a density (fraction of non-zeros) in (0, 1]"),
    ("wieghts=0.5", "did you mean 'weights'"),
    ("weights=0.5,weight_density=0.5", "given twice"),
    ("weights=abc", "expected a number"),
    ("structure=4:2", "unknown structure"),
    ("structure=block4x2", "only square blocks"),
    ("fc6.structure=2:4", "whole run"),
    ("weights", "expected KEY=VALUE"),
    ("", "expected KEY=VALUE pairs"),
    ("weights=0.2,structure=2:4", "keeps at most 0.5 of the weights"),
])
def test_errors_name_the_key_and_say_what_is_accepted(text, fragment):
    with pytest.raises(AccelsimError) as info:
        parse_sparsity(text)
    message = str(info.value)
    assert fragment in message
    assert message.startswith(f"--sparsity {text}")


def test_config_validates_directly():
    with pytest.raises(AccelsimError):
        SparsityConfig(weight_density=1.2)
    with pytest.raises(AccelsimError):
        SparsityConfig(layers=(LayerSparsity("x", activation_density=0.0),))
    assert SparsityConfig().is_dense
    assert not parse_sparsity("weights=0.5").is_dense
