"""Sweep specs: parsing with located errors, point expansion (grid/zip/random), point keys, and
up-front validation that names the point and the sweep file's line. No point is simulated here."""
from __future__ import annotations

import hashlib

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from sweep_store import write

from accelsim.errors import SpecError
from accelsim.spec.loader import load_arch
from accelsim.sweep.inputs import clear_memo, load_point_arch
from accelsim.sweep.points import expand, override_text
from accelsim.sweep.prepare import prepare
from accelsim.sweep.spec import load_sweep_spec

BASE = """\
version: 1
name: t
arch: tpu_v1
workload: resnet18
"""


def test_grid_is_the_cartesian_product_in_spec_order(tmp_path):
    spec = load_sweep_spec(write(tmp_path, BASE + """\
batch: [1, 4]
set:
  matrix_unit.rows: [64, 128, 256]
  dram.bandwidth_gbps: 68
"""))
    points = expand(spec)
    assert len(points) == 2 * 3
    assert [(p.batch, p.params["set.matrix_unit.rows"]) for p in points] == [
        (1, 64), (1, 128), (1, 256), (4, 64), (4, 128), (4, 256)]
    assert points[0].overrides == ("matrix_unit.rows=64", "dram.bandwidth_gbps=68")
    assert [p.index for p in points] == list(range(6))
    assert len({p.key for p in points}) == 6


def test_zip_pairs_values_and_broadcasts_single_ones(tmp_path):
    spec = load_sweep_spec(write(tmp_path, BASE + """\
mode: zip
set:
  matrix_unit.rows: [64, 128, 256]
  matrix_unit.cols: [32, 64, 128]
  dram.bandwidth_gbps: [68]
"""))
    points = expand(spec)
    assert [(p.params["set.matrix_unit.rows"], p.params["set.matrix_unit.cols"]) for p in points] == [
        (64, 32), (128, 64), (256, 128)]
    assert all(p.params["set.dram.bandwidth_gbps"] == 68 for p in points)


def test_zip_with_unequal_lists_is_an_error_at_the_odd_list(tmp_path):
    spec = load_sweep_spec(write(tmp_path, BASE + """\
mode: zip
set:
  matrix_unit.rows: [64, 128, 256]
  matrix_unit.cols: [32, 64]
"""))
    with pytest.raises(SpecError, match=r"zip mode needs lists of one length.*rows \(3\).*cols \(2\)") as info:
        expand(spec)
    assert info.value.location.line == 8 and info.value.field.endswith("cols")  # the list that parts


def test_random_mode_samples_distinct_grid_points_reproducibly(tmp_path):
    text = BASE + """\
mode: {random: {n: 10, seed: 7}}
set:
  matrix_unit.rows: {from: 16, to: 256, step: 16}
  matrix_unit.cols: {from: 16, to: 256, factor: 2}
"""
    spec = load_sweep_spec(write(tmp_path, text))
    first, again = expand(spec), expand(load_sweep_spec(write(tmp_path, text, "again.yaml")))
    assert len(first) == 10 and len({p.key for p in first}) == 10
    assert [p.key for p in first] == [p.key for p in again]
    grid = {(r, c) for r in range(16, 257, 16) for c in (16, 32, 64, 128, 256)}
    assert {(p.params["set.matrix_unit.rows"], p.params["set.matrix_unit.cols"]) for p in first} <= grid


def test_random_n_above_grid_size_is_refused(tmp_path):
    spec = load_sweep_spec(write(tmp_path, BASE + "mode: {random: {n: 5, seed: 1}}\nset: {matrix_unit.rows: [1, 2]}\n"))
    with pytest.raises(SpecError, match=r"random.n \(5\) exceeds the number of grid points \(2\)"):
        expand(spec)


def test_ranges_are_inclusive(tmp_path):
    spec = load_sweep_spec(write(tmp_path, BASE + """\
set:
  dram.bandwidth_gbps: {from: 0.5, to: 1.5, step: 0.25}
  matrix_unit.rows: {from: 32, to: 256, factor: 2}
"""))
    assert spec.dimension("set.dram.bandwidth_gbps").values == (0.5, 0.75, 1.0, 1.25, 1.5)
    assert spec.dimension("set.matrix_unit.rows").values == (32, 64, 128, 256)


@pytest.mark.parametrize(("extra", "message", "line"), [
    ("bogus: 1\n", r"unknown field 'bogus'", 5),
    ("batch: [1, 0]\n", r"batch: expected an integer from 1 to 10\^7", 5),
    ("mode: spiral\n", r"mode: expected grid, zip", 5),
    ("mode: random\n", r"random mode needs its size and seed", 5),
    ("set: {matrix_unit.rows: []}\n", r"set.matrix_unit.rows: an empty list sweeps nothing", 5),
    ("set: {matrix_unit.rows: {from: 8, to: 2, step: 1}}\n", r"range 'to' \(2\) is below 'from' \(8\)", 5),
    ("objectives: [{seconds: fastest}]\n", r"objectives.seconds: expected min or max", 5),
    ("objectives: [{latency: min}]\n", r"unknown metric 'latency'", 5),
    ("constraints: {area_mm2: {below: 3}}\n", r"constraints.area_mm2: expected \{min: NUMBER\}", 5),
])
def test_spec_errors_name_file_line_and_field(tmp_path, extra, message, line):
    path = write(tmp_path, BASE + extra)
    with pytest.raises(SpecError, match=message) as info:
        load_sweep_spec(path)
    assert info.value.location.file == str(path)
    assert info.value.location.line == line


def test_missing_required_field(tmp_path):
    with pytest.raises(SpecError, match="required field is missing") as info:
        load_sweep_spec(write(tmp_path, "version: 1\nname: t\narch: tpu_v1\n"))
    assert info.value.field == "workload"


def test_key_depends_on_config_not_on_spec_layout(tmp_path):
    one = expand(load_sweep_spec(write(tmp_path, BASE + "set: {matrix_unit.rows: [128, 64]}\n", "a.yaml")))
    two = expand(load_sweep_spec(write(tmp_path, "# another sweep\n" + BASE.replace("name: t", "name: u")
                                       + "batch: null\nset:\n  matrix_unit.rows: 64\n", "b.yaml")))
    assert one[1].key == two[0].key  # same configuration, different sweep and file
    assert one[0].key != one[1].key


def test_key_follows_arch_file_content(tmp_path):
    from accelsim.spec.loader import shipped_archs

    arch_text = shipped_archs()["tpu_v1"].read_text()
    (tmp_path / "chip.yaml").write_text(arch_text)
    text = BASE.replace("arch: tpu_v1", "arch: chip.yaml")
    digest = hashlib.sha256((tmp_path / "chip.yaml").read_bytes()).hexdigest()
    before = expand(load_sweep_spec(write(tmp_path, text)))[0]
    (tmp_path / "chip.yaml").write_text(arch_text.replace("clock_mhz: 700", "clock_mhz: 701"))
    after = expand(load_sweep_spec(write(tmp_path, text)))[0]
    assert before.config["arch"] == {"file": "chip.yaml", "sha256": digest}
    assert before.key != after.key


@settings(max_examples=200, deadline=None)
@given(st.one_of(st.integers(-10**12, 10**12), st.floats(allow_nan=False, allow_infinity=False), st.booleans(),
                 st.text(alphabet=st.characters(codec="utf-8", categories=("L", "N", "P", "S", "Zs")), max_size=12),
                 st.sampled_from(["yes", "on", "1e3", "null", "0x10", "ws", " padded ", "a: b", "[x]"])))
def test_override_text_reads_back_as_the_same_value(value):
    text = override_text("a.b", value)
    assert text.startswith("a.b=")
    raw = text.split("=", 1)[1]
    parsed = yaml.safe_load(raw) if raw.strip() else ""
    assert parsed == value and type(parsed) is type(value)


@pytest.mark.parametrize("overrides", [
    (), ("matrix_unit.rows=128",), ("matrix_unit.rows=64", "dram.bandwidth_gbps=68.5"),
    ("memories.unified_buffer.size_kib=8192", "matrix_unit.clock_mhz=940", "matrix_unit.precisions={int8: 1.0}"),
])
def test_memoised_arch_equals_the_loader(overrides):
    from accelsim.spec.loader import shipped_archs
    from accelsim.sweep.keys import file_sha256

    clear_memo()
    sha = file_sha256(shipped_archs()["tpu_v1"])
    first = load_point_arch("tpu_v1", sha, overrides)
    assert first == load_arch("tpu_v1", overrides)
    assert load_point_arch("tpu_v1", sha, overrides) is first  # served from the memo
    assert load_point_arch("tpu_v1", sha, ()) == load_arch("tpu_v1")  # the cached tree was not mutated


def test_invalid_points_are_found_up_front_with_point_and_line(tmp_path):
    path = write(tmp_path, BASE + """\
set:
  matrix_unit.clock_mhz: 700
  matrix_unit.rows: [128, 0, 256]
""")
    spec = load_sweep_spec(path)
    prepared = prepare(spec, expand(spec))
    assert len(prepared.tasks) == 2 and len(prepared.invalid) == 1
    error = prepared.invalid[0].error
    assert error.field == "set.matrix_unit.rows"
    assert (error.location.file, error.location.line) == (str(path), 7)
    assert "point 1 (matrix_unit.rows=0)" in error.message and "expected a value >= 1" in error.message


@pytest.mark.parametrize(("extra", "field", "needle"), [
    ("precision: [int8, fp32]\n", "precision", "precision 'fp32' is not supported"),
    ("set: {matrix_unit.dataflow: [ws, diagonal]}\n", "set.matrix_unit.dataflow", "expected one of ws, os, is"),
    ("set: {memories.scratchpad.size_kib: 8}\n", "set.memories.scratchpad.size_kib", "no entry named 'scratchpad'"),
    ("workload: [resnet18, resnet19]\n", "workload", "unknown workload 'resnet19'"),
])
def test_validation_names_the_parameter(tmp_path, extra, field, needle):
    text = BASE.replace("workload: resnet18\n", "") if extra.startswith("workload") else BASE
    spec = load_sweep_spec(write(tmp_path, text + extra))
    prepared = prepare(spec, expand(spec))
    assert len(prepared.invalid) == 1
    assert prepared.invalid[0].error.field == field
    assert needle in prepared.invalid[0].error.message


def test_sparsity_points_keep_the_dense_points_keys(tmp_path):
    spec = load_sweep_spec(write(tmp_path, BASE + "sparsity: [null, 'weights=0.9, structure=2:4']\n"))
    points = expand(spec)
    assert "sparsity" not in points[0].config  # dense points keep the keys they had before sparsity existed
    assert points[1].config["sparsity"] == "weights=0.9,structure=2:4"


def test_bad_sparsity_strings_are_found_up_front(tmp_path):
    path = write(tmp_path, BASE + "sparsity: ['weights=0.5', 'weights=1.5', 'wieghts=0.5']\n")
    spec = load_sweep_spec(path)
    prepared = prepare(spec, expand(spec))
    assert len(prepared.tasks) == 1 and [i.point.index for i in prepared.invalid] == [1, 2]
    for item in prepared.invalid:
        assert item.error.field == "sparsity"
        assert (item.error.location.file, item.error.location.line) == (str(path), 5)
    assert "did you mean 'weights'" in prepared.invalid[1].error.message


def test_area_constraint_prunes_before_running(tmp_path):
    spec = load_sweep_spec(write(tmp_path, BASE + """\
set:
  matrix_unit.rows: [64, 256]
  matrix_unit.cols: [64, 256]
  memories.unified_buffer.size_kib: 4096
constraints:
  area_mm2: {max: 100}
"""))
    prepared = prepare(spec, expand(spec))
    assert prepared.tasks and prepared.pruned
    assert all(task.area_mm2 <= 100 for task in prepared.tasks)
    assert all(area > 100 for _, area, _ in prepared.pruned)
    assert (64, 64) in {(t.arch.matrix_unit.rows, t.arch.matrix_unit.cols) for t in prepared.tasks}
    assert (256, 256) in {(p.params["set.matrix_unit.rows"], p.params["set.matrix_unit.cols"])
                          for p, _, _ in prepared.pruned}
