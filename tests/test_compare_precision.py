"""`accelsim compare --precision a,b,c [--iso-area]`: precision hardware options side by side."""
from __future__ import annotations

import json

import pytest

from accelsim.study.accuracy import DEFAULT_STUDY_FILE


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


def test_precision_list_tabulates_cycles_energy_area_and_study_accuracy(cli):
    from accelsim.study.accuracy import load_study

    study = load_study()
    status, out, err = cli("compare", "--arch", "tpu_v1", "--workload", "resnet50", "--precision", "int8,bf16,fp8,lns16",
                           "--gpu", "none", "--format", "json")
    assert status == 0, err
    doc = json.loads(out)
    rows = {r["precision"]: r for r in doc["rows"]}
    assert set(rows) == {"int8", "bf16", "fp8_e4m3", "lns16"}
    for r in rows.values():
        assert isinstance(r["cycles"], int) and r["cycles"] > 0
        assert r["energy_j"] > 0 and r["area_mm2"] > 0
    assert rows["int8"]["accuracy_arm"] == "int8"
    assert rows["int8"]["accuracy_percent"] == pytest.approx(100 - study.errors_percent["int8"])
    assert rows["bf16"]["accuracy_percent"] == pytest.approx(100 - study.errors_percent["bf16"])
    assert rows["lns16"]["accuracy_arm"] == "lns-everywhere"  # the study's LNS is I7 F8 = lns16
    assert rows["lns16"]["accuracy_percent"] == pytest.approx(100 - study.errors_percent["lns-everywhere"])
    assert rows["fp8_e4m3"]["accuracy_arm"] == "not run" and rows["fp8_e4m3"]["accuracy_percent"] is None
    assert "digits" in doc["accuracy_source"] and "seed 0" in doc["accuracy_source"]
    # the table says where the accuracy comes from
    status, out, err = cli("compare", "--arch", "tpu_v1", "--workload", "resnet50", "--precision", "int8,fp8",
                           "--gpu", "none")
    assert status == 0, err
    assert "accuracy%" in out and "cycles" in out and "not run" in out
    assert "precision study on digits" in out and "seed 0" in out


def test_accuracy_comes_from_the_given_study_file(cli, tmp_path):
    doc = json.loads(DEFAULT_STUDY_FILE.read_text())
    doc["seed"] = 7
    doc["lns_fraction_bits"] = 3
    doc["lns_integer_bits"] = 4
    for r in doc["results"]:
        r["test_error_percent"] = {"int8": 12.5, "lns-everywhere": 40.0}.get(r["variant"], 1.0)
    study = tmp_path / "study.json"
    study.write_text(json.dumps(doc))
    status, out, err = cli("compare", "--arch", "tpu_v1", "--workload", "tpu_mlp0", "--precision", "int8,lns16,lns8",
                           "--gpu", "none", "--format", "json", "--accuracy-from", str(study))
    assert status == 0, err
    rows = {r["precision"]: r for r in json.loads(out)["rows"]}
    assert rows["int8"]["accuracy_percent"] == pytest.approx(87.5)
    assert rows["lns8"]["accuracy_percent"] == pytest.approx(60.0)  # the file's LNS is now I4 F3 = lns8
    assert rows["lns16"]["accuracy_arm"] == "not run"
    assert "seed 7" in json.loads(out)["accuracy_source"]


def test_missing_or_bad_study_file_is_a_clear_error(cli, tmp_path):
    status, _, err = cli("compare", "--arch", "tpu_v1", "--workload", "tpu_mlp0", "--precision", "int8,bf16",
                         "--gpu", "none", "--accuracy-from", str(tmp_path / "nope.json"))
    assert status == 2 and "not found" in err and "precision-study" in err and "Traceback" not in err
    bad = tmp_path / "bad.json"
    bad.write_text('{"dataset": "digits"}')
    status, _, err = cli("compare", "--arch", "tpu_v1", "--workload", "tpu_mlp0", "--precision", "int8,bf16",
                         "--gpu", "none", "--accuracy-from", str(bad))
    assert status == 2 and "not a precision-study result" in err
    # 'none' drops the column
    status, out, err = cli("compare", "--arch", "tpu_v1", "--workload", "tpu_mlp0", "--precision", "int8,bf16",
                           "--gpu", "none", "--accuracy-from", "none")
    assert status == 0 and "accuracy%" not in out


def test_committed_study_file_is_what_the_documented_command_gives():
    """Each arm trains from the same seed independently, so two fast arms rerun here must give the
    committed errors (the whole file: `python -m accelsim precision-study --dataset digits --format json
    --no-timings -o accelsim/study/data/precision_study_digits.json`, about 30 s)."""
    pytest.importorskip("sklearn")
    from accelsim.study.accuracy import load_study
    from accelsim.study.precision_study import run_precision_study

    committed = load_study()
    assert (committed.dataset, committed.seed, committed.epochs, committed.hidden_units) == ("digits", 0, 30, 64)
    fresh = run_precision_study(dataset="digits", seed=0, epochs=30, variants=("int8", "bf16"), hidden_units=64)
    for r in fresh.results:
        assert r.test_error_percent == committed.errors_percent[r.variant]


def test_precision_study_no_timings_gives_the_same_bytes_twice(cli, tmp_path):
    pytest.importorskip("sklearn")
    outs = []
    for name in ("a.json", "b.json"):
        status, _, err = cli("precision-study", "--dataset", "digits", "--epochs", "2", "--variants", "int8",
                             "--format", "json", "--no-timings", "-o", str(tmp_path / name))
        assert status == 0, err
        outs.append((tmp_path / name).read_bytes())
    assert outs[0] == outs[1] and b"train_seconds" not in outs[0] and b"test_error_percent" in outs[0]


def test_notes_say_which_variant_is_the_array_as_built(cli):
    status, out, err = cli("compare", "--arch", "tpu_v1", "--workload", "tpu_mlp0", "--precision", "int8,int16,bf16",
                           "--gpu", "none", "--format", "json")
    assert status == 0, err
    notes = {r["precision"]: r["note"] for r in json.loads(out)["rows"]}
    assert notes["int8"] == "as built: tpu_v1's array runs int8 at full rate"
    assert notes["int16"].startswith("hypothetical") and "as built: 0.25 of full rate" in notes["int16"]
    assert notes["bf16"].startswith("hypothetical") and "as built: no bf16" in notes["bf16"]


def test_gpu_rows_say_which_precision_they_were_timed_at(cli):
    """One GPU row serves every variant of a precision list; its note says at which precision."""
    status, out, err = cli("compare", "--arch", "tpu_v1", "--workload", "mlp0", "--precision", "int8,bf16",
                           "--gpu", "a100_40gb", "--format", "json")
    assert status == 0, err
    gpu = json.loads(out)["rows"][-1]
    assert gpu["name"] == "a100_40gb" and gpu["precision"] == "int8"
    assert gpu["note"] == "timed at int8, the first row's precision, for every accelerator row"
    status, out, err = cli("compare", "--arch", "tpu_v1", "--workload", "mlp0", "--gpu", "a100_40gb",
                           "--format", "json")
    assert status == 0, err
    assert json.loads(out)["rows"][-1]["note"] == ""
