"""SCALE-Sim topology CSV importer (formats and semantics in the shared reference scalesim.md)."""
from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from accelsim.errors import WorkloadError
from accelsim.workload.ops import Conv2d, MatMul
from accelsim.workload.registry import load_workload
from accelsim.workload.topology_csv import load_topology_csv

WORKLOADS = Path(__file__).resolve().parent.parent / "workloads"
CONV_HEADER = "Layer name, IFMAP Height, IFMAP Width, Filter Height, Filter Width, Channels, Num Filter, Strides,\n"


def write(tmp_path, text, name="topo.csv"):
    path = tmp_path / name
    path.write_text(text)
    return path


def convs(w):
    return [layer.op for layer in w.layers if layer.op.is_matrix]


def test_conv_rows_use_scalesim_ceiling_and_no_padding(tmp_path):
    path = write(tmp_path, CONV_HEADER + "Conv1, 224, 224, 7, 7, 3, 64, 2,\nConv2, 56, 56, 3, 3, 64, 64, 1,\n")
    first, second = convs(load_topology_csv(path))
    # scalesim.md: OFMAP = ceil((H - Fh + S) / S): ResNet-18's first layer gives 110, not 112
    assert first.output_shape == (1, 110, 110, 64)
    assert first.macs == 110 * 110 * 64 * 7 * 7 * 3
    assert second.output_shape == (1, 54, 54, 64)


def test_column_stride_depthwise_and_missing_trailing_comma(tmp_path):
    path = write(tmp_path, CONV_HEADER + "wide, 20, 40, 3, 3, 8, 16, 1, 2,\nblock_DP, 10, 10, 3, 3, 32, 1, 1\n")
    wide, dw = convs(load_topology_csv(path))
    assert wide.output_shape == (1, 18, 20, 16)  # ceil((40 - 3 + 2) / 2)
    assert dw.groups == 32 and dw.is_depthwise and dw.macs == 32 * 8 * 8 * 9


def test_gemm_rows_and_batch(tmp_path):
    path = write(tmp_path, "Layer, M, N, K,\ng1, 100, 37, 53,\ng2, 16, 16, 16,\n")
    ops = convs(load_topology_csv(path))
    assert all(isinstance(op, MatMul) and op.weights for op in ops)
    assert [(op.m, op.n, op.k) for op in ops] == [(100, 37, 53), (16, 16, 16)]
    assert load_topology_csv(path, batch=4).macs == 4 * (100 * 37 * 53 + 16 ** 3)
    assert load_workload(str(path), 2).macs == 2 * (100 * 37 * 53 + 16 ** 3)


@pytest.mark.parametrize("text,line,col,fragment", [
    (CONV_HEADER + "c1, 10, 10, 3, 3, 4, x8, 1,\n", 2, 22, "positive integer"),
    (CONV_HEADER + "c1, 10, 10, 3, 3, 4, 8,\n", 2, 22, "expected 7 or 8 numbers"),
    (CONV_HEADER + "c1, 10, 10, 3, 3, 4, 8, 1,\nc2, 2, 10, 3, 3, 4, 8, 1,\n", 3, 12, "larger than"),
    (CONV_HEADER + "c1, 10, 10, 3, 3, 0, 8, 1,\n", 2, 19, "from 1"),
    ("Layer, M, N, K,\ng, 1, 2,\n", 2, 7, "expected 3 numbers"),
    ("name, a, b, c\n", 1, 1, "cannot tell"),
])
def test_errors_name_file_line_and_column(tmp_path, text, line, col, fragment):
    path = write(tmp_path, text)
    with pytest.raises(WorkloadError) as info:
        load_topology_csv(path)
    assert fragment in str(info.value)
    assert str(info.value).startswith(f"{path}:{line}:{col}:")


def test_header_only_and_binary_files(tmp_path):
    with pytest.raises(WorkloadError, match="no layers"):
        load_topology_csv(write(tmp_path, CONV_HEADER))
    binary = tmp_path / "bin.csv"
    binary.write_bytes(b"\xff\xfe\x00\x81" * 8)
    with pytest.raises(WorkloadError, match="bin.csv"):
        load_topology_csv(binary)


@pytest.mark.parametrize("name,builtin", [("resnet18", "resnet18"), ("resnet50", "resnet50"),
                                          ("alexnet", "alexnet"), ("vgg16", "vgg16"),
                                          ("mobilenet_v1", "mobilenet_v1")])
def test_shipped_topologies_reproduce_published_macs(name, builtin):
    # shipped files give each layer the input size H + 2p - (S - 1), so SCALE-Sim's ceiling rule
    # reproduces the framework's output shapes and MACs exactly
    w = load_topology_csv(WORKLOADS / f"{name}_scalesim.csv")
    assert w.macs == load_workload(builtin, 1).macs


def test_shipped_gemm_topologies():
    bert_layer = load_topology_csv(WORKLOADS / "bert_base_layer_gemm.csv")
    assert 12 * bert_layer.macs == 12 * (12 * 128 * 768 ** 2 + 2 * 128 ** 2 * 768)
    assert load_topology_csv(WORKLOADS / "tpu_mlp0_gemm.csv").macs == 5 * 200 * 2000 * 2000
    assert isinstance(convs(load_topology_csv(WORKLOADS / "resnet18_scalesim.csv"))[0], Conv2d)


@settings(max_examples=80, deadline=None)
@given(h=st.integers(1, 60), w=st.integers(1, 60), fh=st.integers(1, 7), fw=st.integers(1, 7),
       c=st.integers(1, 16), n=st.integers(1, 16), sh=st.integers(1, 4), sw=st.integers(1, 4))
def test_any_conv_row_matches_scalesim_formulas(tmp_path_factory, h, w, fh, fw, c, n, sh, sw):
    assume(fh <= h and fw <= w)
    path = tmp_path_factory.mktemp("row") / "t.csv"
    path.write_text(CONV_HEADER + f"L, {h}, {w}, {fh}, {fw}, {c}, {n}, {sh}, {sw},\n")
    (op,) = convs(load_topology_csv(path))
    ho, wo = -(-(h - fh + sh) // sh), -(-(w - fw + sw) // sw)  # scalesim.md: ceil((H - Fh + S) / S)
    assert op.output_shape == (1, ho, wo, n)
    assert op.macs == ho * wo * fh * fw * c * n  # im2col M·K·N
