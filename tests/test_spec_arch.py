"""Architecture spec: loading, overrides, and every bad-input path (message + exit status 2)."""
from __future__ import annotations

import pytest

from accelsim.errors import SpecError
from accelsim.spec.loader import load_arch

TPU_V1_MIN = """\
version: 1
name: mini
technology: {process_nm: 28}
matrix_unit:
  rows: 16
  cols: 16
  clock_mhz: 500
dram: {kind: ddr4, bandwidth_gbps: 10}
memories:
  - {name: ub, size_kib: 64, holds: [activations]}
"""


def write(tmp_path, text, name="arch.yaml"):
    path = tmp_path / name
    path.write_text(text)
    return str(path)


def test_tpu_v1_loads_with_paper_numbers():
    arch = load_arch("tpu_v1")
    mu = arch.matrix_unit
    assert (mu.rows, mu.cols, mu.clock_mhz, mu.dataflow) == (256, 256, 700.0, "ws")
    assert mu.precisions == {"int8": 1.0, "int16": 0.25}
    assert arch.dram.bandwidth_gbps == 34
    assert arch.memory_holding("activations").size_kib == 24 * 1024
    # 92 TOPS peak (65,536 x 2 x 0.7 GHz) from the paper
    assert 2 * mu.peak_macs_per_cycle * mu.clock_mhz * 1e6 / 1e12 == pytest.approx(91.75, rel=1e-3)


def test_override_changes_field_and_list_entry_by_name():
    arch = load_arch("tpu_v1", ["matrix_unit.clock_mhz=1050", "memories.unified_buffer.size_kib=8192"])
    assert arch.clock_mhz == 1050
    assert arch.memory_holding("activations").size_kib == 8192


def test_mapping_fields_of_a_loaded_arch_are_read_only():
    """A spec may be shared (a sweep memoises one ArchSpec for every point of an arch), so its
    mapping fields refuse writes instead of leaking a change into the next user."""
    arch = load_arch("nvdla_full")
    with pytest.raises(TypeError):
        arch.matrix_unit.precisions["int8"] = 2.0
    with pytest.raises(TypeError):
        arch.energy["mac_int8_pj"] = 0.0
    with pytest.raises(TypeError):
        arch.vector_unit.op_cycles["exp"] = 1.0
    with pytest.raises(TypeError):
        del arch.function_units[0].elements_per_cycle["pool"]
    assert not hasattr(arch.matrix_unit.precisions, "update")  # no mutating methods either
    assert load_arch("nvdla_full") == arch


@pytest.mark.parametrize("text,field,fragment,line,col", [
    (TPU_V1_MIN.replace("rows: 16", "rowz: 16"), "matrix_unit.rowz", "did you mean 'rows'", 5, 3),
    (TPU_V1_MIN.replace("rows: 16", "rows: sixteen"), "matrix_unit.rows", "expected an integer", 5, 9),
    (TPU_V1_MIN.replace("rows: 16", "rows: -4"), "matrix_unit.rows", "expected a value >= 1", 5, 9),
    (TPU_V1_MIN.replace("kind: ddr4", "kind: ddr9"), "dram.kind", "expected one of", 8, 14),
    (TPU_V1_MIN.replace("technology: {process_nm: 28}\n", ""), "technology", "missing required field", 1, 1),
    (TPU_V1_MIN.replace("holds: [activations]", "holds: [activation]"), "memories[0].holds[0]", "did you mean 'activations'", 10, 38),
    (TPU_V1_MIN.replace("clock_mhz: 500", "clock_mhz: .nan"), "matrix_unit.clock_mhz", "finite", 7, 14),
])
def test_bad_arch_files_name_file_line_column_and_field(tmp_path, text, field, fragment, line, col):
    path = write(tmp_path, text)
    with pytest.raises(SpecError) as info:
        load_arch(path)
    err = info.value
    assert err.field == field
    assert fragment in err.message
    assert (err.location.file, err.location.line, err.location.column) == (path, line, col)
    assert str(err).startswith(f"{path}:{line}:{col}: {field}: ")


def test_duplicate_keys_and_yaml_syntax_errors_have_locations(tmp_path):
    path = write(tmp_path, TPU_V1_MIN + "name: again\n")
    with pytest.raises(Exception) as info:
        load_arch(path)
    assert "duplicate key 'name'" in str(info.value) and f"{path}:11:1" in str(info.value)
    path = write(tmp_path, "version: 1\nname: [unclosed\n", "bad.yaml")
    with pytest.raises(Exception) as info:
        load_arch(path)
    assert "not valid YAML" in str(info.value) and path in str(info.value)


@pytest.mark.parametrize("override,fragment", [
    ("matrix_unit.clok_mhz=3", "did you mean 'clock_mhz'"),
    ("matrix_unit.rows=0", "expected a value >= 1"),
    ("matrix_unit.dataflow=xs", "expected one of ws, os, is"),
    ("memories.ub.size_kib=1", "no entry named 'ub'"),
    ("matrix_unit.precisions.int7=1", "unknown precision 'int7'"),
    ("matrix_unit.rows", "expected FIELD.PATH=VALUE"),
    ("matrix_unit.default_precision=fp32", "not among precisions"),
])
def test_bad_overrides_exit_2_with_message(cli, override, fragment):
    status, _out, err = cli("run", "--arch", "tpu_v1", "--workload", "tpu_mlp0", "--set", override)
    assert status == 2
    assert fragment in err
    assert f"--set {override}" in err
    assert "Traceback" not in err


def test_unknown_arch_and_missing_file(cli):
    status, _, err = cli("run", "--arch", "tpu_v9", "--workload", "resnet50")
    assert status == 2 and "unknown architecture 'tpu_v9'" in err
    status, _, err = cli("run", "--arch", "nope/arch.yaml", "--workload", "resnet50")
    assert status == 2 and "no such architecture file" in err
