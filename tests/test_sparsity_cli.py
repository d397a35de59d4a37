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
