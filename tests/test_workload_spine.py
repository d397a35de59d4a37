"""Workload graph: published totals, YAML format, and its errors."""
from __future__ import annotations

import pytest

from accelsim.errors import WorkloadError
from accelsim.workload.registry import load_workload


def test_mlp0_yaml_equals_builtin():
    yaml_w = load_workload("workloads/mlp0.yaml")
    builtin = load_workload("tpu_mlp0")
    assert yaml_w.batch == builtin.batch == 200
    assert yaml_w.macs == builtin.macs == 200 * 5 * 2000 * 2000
    assert yaml_w.params == builtin.params == 5 * (2000 * 2000 + 2000)


def test_yaml_shape_inference_and_residual(tmp_path):
    path = tmp_path / "net.yaml"
    path.write_text("""
version: 1
name: tiny
inputs: [{name: img, shape: [32, 32, 3]}]
layers:
  - {name: c1, op: conv2d, out_channels: 8, kernel: 3, padding: same}
  - {name: r1, op: relu}
  - {name: c2, op: conv2d, out_channels: 8, kernel: 3, padding: 1}
  - {name: add, op: add, inputs: [c2, r1]}
  - {name: pool, op: global_avgpool}
  - {name: flat, op: flatten}
  - {name: fc, op: fc, out_features: 10}
""")
    w = load_workload(str(path), batch=2)
    by = w.by_name()
    assert by["c1"].op.output_shape == (2, 32, 32, 8)
    assert by["c1"].op.macs == 2 * 32 * 32 * 8 * 3 * 3 * 3
    assert by["fc"].op.macs == 2 * 8 * 10
    assert by["add"].inputs == ("c2", "r1")


@pytest.mark.parametrize("body,fragment,field,line", [
    ("  - {name: c1, op: conv3d, out_channels: 8, kernel: 3}", "unknown op 'conv3d' (did you mean 'conv2d'?)", "layers[0].op", 6),
    ("  - {name: c1, op: conv2d, out_channels: 8}", "needs 'kernel'", "layers[0]", 6),
    ("  - {name: c1, op: conv2d, out_channels: 8, kernel: 3, strid: 2}", "did you mean 'stride'", "layers[0].strid", 6),
    ("  - {name: c1, op: conv2d, out_channels: -8, kernel: 3}", "expected an integer >= 1", "layers[0].out_channels", 6),
    ("  - {name: c1, op: relu, input: nothere}", "'nothere' is not defined", "layers[0]", 6),
    ("  - {name: c1, op: conv2d, out_channels: 8, kernel: 9}", "does not fit", "layers[0]", 6),
])
def test_bad_workload_yaml(tmp_path, body, fragment, field, line):
    path = tmp_path / "bad.yaml"
    path.write_text(f"version: 1\nname: bad\ninputs:\n  - {{name: x, shape: [4, 4, 3]}}\nlayers:\n{body}\n")
    with pytest.raises(WorkloadError) as info:
        load_workload(str(path))
    err = info.value
    assert fragment in err.message
    assert err.field == field
    assert err.location.file == str(path) and err.location.line == line


def test_unknown_workload_suggests(cli):
    status, _, err = cli("run", "--arch", "tpu_v1", "--workload", "resnt50")
    assert status == 2 and "did you mean 'resnet50'" in err
