"""End to end: `accelsim run` on TPU v1 — the spine's done-means, checked."""
from __future__ import annotations

import json

import pytest

from accelsim.api import simulate
from accelsim.report.render import to_json


@pytest.fixture(scope="module")
def resnet50_tpu_v1():
    return json.loads(to_json(simulate("tpu_v1", "resnet50")))


def test_resnet50_json_fields_and_bounds(resnet50_tpu_v1):
    r = resnet50_tpu_v1
    assert (r["arch"], r["workload"], r["batch"], r["precision"]) == ("tpu_v1", "resnet50", 1, "int8")
    t = r["totals"]
    for key in ("cycles", "seconds", "macs", "tops", "utilization", "energy_j", "dram_bytes"):
        assert key in t
    assert t["macs"] == pytest.approx(4.0892e9, rel=1e-3)
    assert 0 < t["utilization"] <= 1
    assert t["cycles"] >= t["macs"] / 65536
    assert t["seconds"] == pytest.approx(t["cycles"] / 700e6)
    assert t["tops"] == pytest.approx(2 * t["macs"] / t["seconds"] / 1e12)
    assert sum(t["cycles_by_cause"].values()) == t["cycles"]
    assert sum(t["energy_j_by_component"].values()) == pytest.approx(t["energy_j"], rel=1e-12)
    assert t["dram_bytes"] >= 25_557_032 * 0.99  # every weight crosses DRAM once at int8
    for layer in r["layers"]:
        for key in ("name", "op", "unit", "cycles", "macs", "utilization", "energy_j", "dram_bytes", "bound"):
            assert key in layer
        assert layer["bound"] in ("compute", "memory")
        assert 0 <= layer["utilization"] <= 1
        assert sum(layer["cycles_by_cause"].values()) == layer["cycles"]


def test_layer_macs_add_up(resnet50_tpu_v1):
    assert sum(layer["macs"] for layer in resnet50_tpu_v1["layers"]) == resnet50_tpu_v1["totals"]["macs"]


def test_mlp0_is_weight_bound_and_cnn_layers_compute_bound():
    mlp = simulate("tpu_v1", "tpu_mlp0")
    causes = mlp.totals.cycles_by_cause
    assert max(causes, key=causes.get) == "weight_load_stall"
    assert all(layer.bound == "memory" for layer in mlp.layers if layer.unit == "matrix")
    cnn = simulate("tpu_v1", "resnet50", batch=8)  # batch 8: every activation fits the 24 MiB UB
    ridge = cnn.extra["arch_summary"]["ridge_macs_per_dram_byte"]
    assert ridge == pytest.approx(65536 / (34e9 / 700e6))  # the paper's ~1350 MACs per weight byte
    convs = [layer for layer in cnn.layers if layer.op.startswith("conv2d")]
    early = [layer for layer in convs if layer.name.startswith(("layer1", "layer2"))]
    assert early and all(layer.bound == "compute" for layer in early)  # many pixels per weight
    for layer in convs:  # the label follows the arch's own roofline
        assert layer.bound == ("compute" if layer.operational_intensity >= ridge else "memory"), layer.name


def test_clock_override_scales_time_not_cycles_of_compute():
    base = simulate("tpu_v1", "resnet50", batch=8)
    fast = simulate("tpu_v1", "resnet50", batch=8, overrides=["matrix_unit.clock_mhz=1400"])
    assert fast.clock_mhz == 1400
    # at twice the clock, DRAM delivers half the bytes per cycle: never fewer cycles
    assert fast.totals.cycles >= base.totals.cycles
    assert fast.totals.seconds < base.totals.seconds


def test_cli_formats_and_output_file(cli, tmp_path):
    status, out, _ = cli("run", "--arch", "archs/tpu_v1.yaml", "--workload", "workloads/mlp0.yaml", "--batch", "200")
    assert status == 0 and "totals:" in out and "fc0" in out
    status, out, _ = cli("run", "--arch", "tpu_v1", "--workload", "tpu_mlp0", "--format", "csv")
    lines = out.strip().splitlines()
    assert status == 0 and lines[0].startswith("name,op,unit,cycles") and lines[-1].startswith("TOTAL,")
    target = tmp_path / "sub" / "r.json"
    status, out, _ = cli("run", "--arch", "tpu_v1", "--workload", "tpu_mlp0", "--format", "json", "-o", str(target))
    assert status == 0 and out == "" and json.loads(target.read_text())["workload"] == "tpu_mlp0"
    assert [p.name for p in target.parent.iterdir()] == ["r.json"]  # no temporary left behind


def test_unsupported_precision_and_bad_batch(cli):
    status, _, err = cli("run", "--arch", "tpu_v1", "--workload", "tpu_mlp0", "--precision", "bf16")
    assert status == 2 and "not supported" in err and "int8" in err
    status, _, err = cli("run", "--arch", "tpu_v1", "--workload", "tpu_mlp0", "--batch", "0")
    assert status == 2 and "positive integer" in err


def test_help_explains_options_with_units(cli):
    status, out, _ = cli("--help")
    assert status == 0 and "run" in out and "list" in out
    status, out, _ = cli("run", "--help")
    assert status == 0
    for option in ("--arch", "--workload", "--batch", "--precision", "--set", "--format", "--output"):
        assert option in out
    assert "samples" in out and "clock_mhz" in out


def test_list_precisions_shows_aliases_and_parametrised_lns(cli):
    from accelsim.precision import get_precision

    status, out, _ = cli("list", "precisions")
    assert status == 0
    rows = {line.split()[0]: line for line in out.splitlines()}
    assert "also: fp8" in rows["fp8_e4m3"] and "1 bit " in rows["binary"]
    assert get_precision("fp8").name == "fp8_e4m3"  # what the listing promises
    assert "lns_i<I>f<F>" in rows and get_precision("lns_i7f8").bits == get_precision("lns16").bits
