"""Compressed sizes per format: hand-computed data + metadata, exact encodings of pruned tensors,
the low-sparsity case where compression loses, and DRAM traffic through the whole pipeline."""
from __future__ import annotations

import math

import numpy as np
import pytest

from accelsim.engine.simulator import simulate_program
from accelsim.errors import AccelsimError
from accelsim.lower.lowering import lower
from accelsim.sparsity.config import parse_sparsity
from accelsim.sparsity.formats import (
    compressed_bytes,
    encoded_bytes,
    expected_fillers,
    storage_ratio,
)
from accelsim.sparsity.program import apply_sparsity
from accelsim.sparsity.prune import prune_magnitude, prune_n_m
from accelsim.sparsity.spec import TensorFormatSpec
from accelsim.spec.loader import load_arch
from accelsim.workload.graph import WorkloadBuilder

SHAPE = (32, 32)
Q = 0.75  # 1 - density 0.25
FILLERS = 256 * Q**16 / (1 - Q**16)


@pytest.mark.parametrize("fmt, data_bits, meta_bits", [
    ("dense", 1024 * 8, 0),
    ("bitmask", 256 * 8, 1024),                               # one bit per element
    ("coo", 256 * 8, 256 * (5 + 5)),                          # row and column index per non-zero
    ("csr", 256 * 8, 256 * 5 + 33 * 11),                      # column index + 33 row pointers of 11 bits
    ("csc", 256 * 8, 256 * 5 + 33 * 11),
    ("rle", 256 * 8, (256 + FILLERS) * 4 + FILLERS * 8),      # 4-bit runs + filler entries
])
def test_each_format_is_data_plus_its_metadata(fmt, data_bits, meta_bits):
    data, meta = compressed_bytes(1024, 0.25, fmt, 8, SHAPE)
    assert data == math.ceil(data_bits / 8)
    assert meta == math.ceil(meta_bits / 8)


def test_nm_format_stores_half_the_values_plus_two_bit_indices():
    # systems.md: 2:4 operand stored at half size plus 2-bit indices
    assert compressed_bytes(1024, 0.5, "nm", 16, SHAPE) == (1024 // 2 * 2, 1024 // 2 * 2 // 8)
    with pytest.raises(AccelsimError, match="keeps at most 0.5"):
        compressed_bytes(1024, 0.6, "nm", 16, SHAPE)


def test_codebook_and_narrow_values():
    fmt = TensorFormatSpec(format="bitmask", codebook_entries=16, codebook_bits=16)
    data, meta = compressed_bytes(1024, 0.25, fmt, 16, SHAPE)
    assert data == 256 * 4 // 8  # 4-bit indices into 16 shared values
    assert meta == (1024 + 16 * 16) // 8


@pytest.mark.parametrize("fmt", ["csr", "bitmask", "coo", "rle"])
def test_at_low_sparsity_compression_is_worse_than_dense(fmt):
    dense = 256 * 256  # int8
    data, meta = compressed_bytes(256 * 256, 0.9, fmt, 8, (256, 256))
    assert data + meta > dense
    assert storage_ratio(256 * 256, 0.9, fmt, 8, 8, (256, 256)) > 1.0
    # ... and better at high sparsity
    assert storage_ratio(256 * 256, 0.1, fmt, 8, 8, (256, 256)) < 1.0


def test_bitmask_breaks_even_at_one_bit_per_value():
    # int8: bitmask costs 1/8 byte per element, so it wins below density 7/8
    assert storage_ratio(8000, 0.875, "bitmask", 8, 8) == pytest.approx(1.0)
    assert storage_ratio(8000, 0.874, "bitmask", 8, 8) < 1.0 < storage_ratio(8000, 0.876, "bitmask", 8, 8)


def test_relative_index_fillers_exact_on_a_hand_made_row():
    row = np.zeros(60, dtype=np.int64)
    row[40] = 3  # 40 zeros before it: fillers at every 16 positions -> 2
    row[59] = 1  # 18 zeros before it -> 1 filler
    data, meta = encoded_bytes(row, TensorFormatSpec("rle", index_bits=4), 8)
    assert data == 2
    assert meta == math.ceil(((2 + 3) * 4 + 3 * 8) / 8)


@pytest.mark.parametrize("fmt", ["dense", "bitmask", "coo", "csr", "csc"])
def test_exact_encoding_of_a_pruned_tensor_equals_the_expectation(fmt):
    # magnitude pruning keeps exactly round(d x size) values, so formats without fillers agree exactly
    rng = np.random.default_rng(7)
    w = prune_magnitude(rng.normal(size=(64, 48)), 0.3)
    assert encoded_bytes(w, fmt, 16) == compressed_bytes(64 * 48, 0.3, fmt, 16, (64, 48))


@pytest.mark.parametrize("fmt, density", [("rle", 0.3), ("rle", 0.08), (TensorFormatSpec("csc", index_bits=4), 0.1)])
def test_relative_formats_match_the_geometric_expectation(fmt, density):
    rng = np.random.default_rng(3)
    mask = rng.random((256, 512)) < density
    w = np.where(mask, 1, 0)
    exact = sum(encoded_bytes(w, fmt, 8))
    expected = sum(compressed_bytes(w.size, float(mask.mean()), fmt, 8, w.shape))
    assert exact == pytest.approx(expected, rel=0.03)


def test_nm_exact_encoding_checks_the_pattern():
    rng = np.random.default_rng(0)
    w = prune_n_m(rng.normal(size=(16, 32)), 2, 4)
    assert encoded_bytes(w, "nm", 8) == compressed_bytes(16 * 32, 0.5, "nm", 8, (16, 32))
    with pytest.raises(AccelsimError, match="not 2:4 sparse"):
        encoded_bytes(np.ones((4, 8)), "nm", 8)


def test_expected_fillers_limits():
    assert expected_fillers(100, 1.0, 4) == 0.0
    assert expected_fillers(100, 0.5, 4) == pytest.approx(100 * 0.5**16 / (1 - 0.5**16))
    assert compressed_bytes(0, 0.5, "csr", 8) == (0, 0)
    with pytest.raises(AccelsimError):
        compressed_bytes(10, 1.5, "csr", 8)
    with pytest.raises(AccelsimError, match="did you mean"):
        compressed_bytes(10, 0.5, "cssr", 8)


def _fc_workload():
    b = WorkloadBuilder("fc", 1)
    b.fc("fc", b.input("x", (4, 512)), 256, bias=False)
    return b.build()


@pytest.mark.parametrize("fmt, density", [("dense", 0.3), ("bitmask", 0.3), ("coo", 0.05), ("csr", 0.3),
                                          ("csc", 0.1), ("rle", 0.2), ("bitmask", 0.95)])
def test_dram_weight_traffic_is_data_plus_metadata(fmt, density):
    """The engine streams exactly the compressed weights (one FC layer, weights from DRAM)."""
    arch = load_arch("tpu_v1", [f"sparsity.weight_format.format={fmt}"])
    wl = _fc_workload()
    program = apply_sparsity(lower(wl, arch), arch, parse_sparsity(f"weight_density={density}"), wl)
    engine = simulate_program(program, arch)
    (record,) = [r for r in engine.records if r.matrix is not None]
    data, meta = compressed_bytes(512 * 256, density, fmt, 8, (256, 512))  # (outputs, inputs), int8
    assert abs(record.matrix.fetch_bytes - (data + meta)) <= 1
    assert (record.matrix.fetch_bytes < 512 * 256) == (data + meta < 512 * 256)
