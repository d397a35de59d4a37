"""`accelsim compare`: accelerators and GPU baselines side by side, table/json/csv, clear errors."""
from __future__ import annotations

import json

import pytest

from accelsim.baselines.comparison import Variant, compare
from accelsim.baselines.gpu_model import gpu_baseline
from accelsim.cli.main import main
from accelsim.workload.registry import load_workload


def test_compare_json_has_one_row_per_accelerator_and_gpu(capsys):
    status = main(["compare", "--arch", "tpu_v1", "--gpu", "k80", "--gpu", "h200", "--workload", "mlp0",
                   "--format", "json"])
    assert status == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["workload"] == "mlp0" and doc["batch"] == 200 and doc["gpu_model"] == "roofline"
    names = [(row["name"], row["kind"]) for row in doc["rows"]]
    assert names == [("tpu_v1", "accelerator"), ("k80", "gpu roofline"), ("h200", "gpu roofline")]
    tpu, k80, h200 = doc["rows"]
    assert tpu["precision"] == "int8" and tpu["seconds"] > 0
    assert tpu["throughput_per_s"] == pytest.approx(200 / tpu["seconds"])
    # the GPUs run the accelerator's precision where they can: K80 falls back to fp32 and says so
    assert k80["precision"] == "fp32" and "no int8" in k80["note"]
    assert h200["precision"] == "int8" and h200["note"] == ""
    expected = gpu_baseline(load_workload("mlp0"), "k80", "int8").seconds
    assert k80["seconds"] == pytest.approx(expected)
    assert k80["energy_j"] == pytest.approx(150 * expected)
    assert 0 < k80["utilization"] <= 1
    assert k80["tops"] == pytest.approx(k80["utilization"] * 2.8)


def test_compare_table_and_csv_and_default_gpu(capsys, tmp_path):
    assert main(["compare", "--arch", "tpu_v1", "--workload", "mlp0", "--batch", "8"]) == 0
    text = capsys.readouterr().out
    assert "accelsim compare: mlp0 (batch 8)" in text
    assert "k80" in text  # tpu_v1's default GPU is the paper's K80
    out = tmp_path / "cmp.csv"
    assert main(["compare", "--arch", "tpu_v1", "--gpu", "v100", "--workload", "mlp0", "--gpu-model", "derated",
                 "--format", "csv", "-o", str(out)]) == 0
    lines = out.read_text().splitlines()
    assert lines[0].startswith("name,kind,precision,batch,seconds")
    assert lines[2].startswith("v100,gpu derated,fp16,200,")
    assert main(["compare", "--arch", "tpu_v1", "--gpu", "none", "--workload", "mlp0", "--format", "json"]) == 0
    assert len(json.loads(capsys.readouterr().out)["rows"]) == 1


def test_compare_unknown_gpu_is_a_clear_error(capsys):
    assert main(["compare", "--arch", "tpu_v1", "--gpu", "v10", "--workload", "mlp0"]) == 2
    err = capsys.readouterr().err
    assert "--gpu: unknown GPU 'v10'" in err and "did you mean 'v100'" in err


def test_compare_takes_a_list_of_variants():
    workload = load_workload("mlp0", 16)
    rows = compare([Variant("tpu_v1"), Variant("tpu_v1", "int8", "tpu_v1 slow clock",
                                               ("matrix_unit.clock_mhz=350",))],
                   ["a100_80gb"], workload, gpu_model="derated")
    assert [r.name for r in rows] == ["tpu_v1", "tpu_v1 slow clock", "a100_80gb"]
    assert rows[1].seconds > rows[0].seconds
    assert rows[2].kind == "gpu derated" and rows[2].precision == "int8"


def test_compare_arch_takes_a_comma_separated_list_as_well_as_repeats(capsys):
    assert main(["compare", "--arch", "tpu_v1,nvdla_small", "--arch", "tpu_v3", "--gpu", "none",
                 "--workload", "mlp0", "--batch", "4", "--format", "json"]) == 0
    assert [row["name"] for row in json.loads(capsys.readouterr().out)["rows"]] == ["tpu_v1", "nvdla_small", "tpu_v3"]
    # a bad name inside the list is reported on its own
    assert main(["compare", "--arch", "tpu_v1,tpu_v9", "--gpu", "none", "--workload", "mlp0"]) == 2
    err = capsys.readouterr().err
    assert "unknown architecture 'tpu_v9'" in err and "did you mean" in err
