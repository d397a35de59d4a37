"""`accelsim compare --precision a,b,c [--iso-area]`: precision hardware options side by side."""
from __future__ import annotations

import json


def test_precision_list_gives_one_variant_each_with_consistent_effects(cli):
    status, out, err = cli("compare", "--arch", "tpu_v1", "--workload", "tpu_mlp0", "--precision", "int8,bf16,lns16",
                           "--gpu", "none", "--format", "json")
    assert status == 0, err
    rows = {r["precision"]: r for r in json.loads(out)["rows"]}
    assert set(rows) == {"int8", "bf16", "lns16"}
    # twice the bytes per weight on a weight-bound workload: slower, more energy; bigger PEs: more area
    assert rows["bf16"]["seconds"] > 1.8 * rows["int8"]["seconds"]
    assert rows["bf16"]["energy_j"] > rows["int8"]["energy_j"]
    assert rows["bf16"]["area_mm2"] > rows["lns16"]["area_mm2"] > rows["int8"]["area_mm2"]


def test_iso_area_resizes_arrays_to_the_first_design(cli):
    status, out, err = cli("compare", "--arch", "tpu_v1", "--workload", "tpu_mlp0", "--precision", "int8,bf16",
                           "--iso-area", "--gpu", "none", "--format", "json")
    assert status == 0, err
    rows = json.loads(out)["rows"]
    assert abs(rows[1]["area_mm2"] - rows[0]["area_mm2"]) / rows[0]["area_mm2"] < 0.02
    assert rows[1]["peak_tops"] < rows[0]["peak_tops"]


def test_iso_area_without_a_list_is_a_clear_error(cli):
    status, _, err = cli("compare", "--arch", "tpu_v1", "--workload", "tpu_mlp0", "--iso-area", "--gpu", "none")
    assert status == 2 and "--iso-area needs a list of precisions" in err
