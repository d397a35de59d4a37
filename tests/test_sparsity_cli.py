"""accelsim prune: the sparse run next to the dense one, errors as one located line (exit 2)."""
from __future__ import annotations

import json


def test_prune_table_and_json(cli):
    status, out, err = cli("prune", "--arch", "eie_like", "--workload", "mlp0", "--sparsity", "weights=0.9,activations=0.7")
    assert status == 0, err
    assert "fc" in out and "dense-equivalent" in out
    status, out, _ = cli("prune", "--arch", "tpu_v1", "--set", "sparsity.gating=both", "--workload", "mlp0",
                         "--sparsity", "weights=0.5", "--format", "json")
    data = json.loads(out)
    assert status == 0
    assert data["dense"]["cycles"] == data["sparse"]["cycles"]  # gating keeps every cycle
    assert data["sparse"]["energy_j_by_component"]["compute"] < data["dense"]["energy_j_by_component"]["compute"]
    assert data["sparsity_report"]["mac_energy_j"]["saved_by_gating"] > 0


def test_prune_errors_are_one_line(cli):
    status, _, err = cli("prune", "--arch", "tpu_v1", "--workload", "mlp0", "--sparsity", "weights=1.9")
    assert status == 2
    assert err.strip().splitlines() == [
        ("accelsim: error: --sparsity weights=1.9: --sparsity weights: 'weights' is a sparsity (fraction of zeros) "
        "in [0, 1), got 1.9; use weight_density= for a density")]
    status, _, err = cli("prune", "--arch", "tpu_v1", "--workload", "mlp0", "--sparsity", "nolayer.weights=0.5")
    assert status == 2 and "no layer named 'nolayer'" in err


def test_run_sparsity_gpu_baseline_follows_the_structure(cli):
    """A 2:4 run is compared with the GPU's 2:4 sparse tensor peak where the GPU has one; any
    other sparsity, or a GPU without sparse math, with the dense GPU, and the baseline says so."""
    def baseline(*extra):
        status, out, err = cli("run", "--arch", "tpu_v1", "--workload", "mlp0", "--batch", "2048", "--format", "json", *extra)
        assert status == 0, err
        return json.loads(out)["totals"]["gpu_baseline"]

    dense = baseline("--gpu", "a100_40gb")
    nm = baseline("--gpu", "a100_40gb", "--sparsity", "structure=2:4")
    unstructured = baseline("--gpu", "a100_40gb", "--sparsity", "weights=0.5")
    no_sparse_math = baseline("--gpu", "v100", "--sparsity", "structure=2:4")
    assert not dense["sparse"] and "note" not in dense
    assert nm["sparse"] and nm["seconds"] < dense["seconds"] and "2:4 sparse tensor peak" in nm["note"]
    assert not unstructured["sparse"] and unstructured["seconds"] == dense["seconds"]
    assert "only in 2:4 weights, not unstructured" in unstructured["note"]
    assert not no_sparse_math["sparse"] and "no 2:4 sparse" in no_sparse_math["note"]
