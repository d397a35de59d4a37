"""Model error against measured kernels, on a small hand-made CSV; the benchmark's case arithmetic."""
from __future__ import annotations

import importlib.util
import math
import sys
from pathlib import Path

import pytest

from accelsim.baselines.gpu_spec import load_gpu_spec
from accelsim.baselines.measured import (
    errors_markdown,
    model_errors,
    predicted_seconds,
    read_measured_csv,
)
from accelsim.errors import AccelsimError

ROOT = Path(__file__).resolve().parents[1]
HEADER = ("kind,precision,m,n,k,batch,in_h,in_w,in_channels,out_channels,kernel,stride,padding,flops,bytes,"
          "seconds_median,seconds_min,samples,reps,tflops,device,torch_version\n")
# 4096^3 bf16 GEMM measured at 0.2 ms; 256^3 at 10 us; one ResNet-50 3x3 conv at batch 32
ROWS = (
    "gemm_square,bf16,4096,4096,4096,,,,,,,,,137438953472,100663296,0.0002,0.00019,10,5,687.2,NVIDIA H200,2.5\n"
    "gemm_square,bf16,256,256,256,,,,,,,,,33554432,393216,1e-05,9e-06,10,50,3.36,NVIDIA H200,2.5\n"
    "conv,fp16,,,,32,56,56,64,64,3,1,1,7398752256,25763840,5e-05,4.8e-05,10,10,148.0,NVIDIA H200,2.5\n"
)


def _csv(tmp_path, text=HEADER + ROWS):
    path = tmp_path / "measured.csv"
    path.write_text(text)
    return path


def test_roofline_ratio_of_a_compute_bound_gemm_by_hand(tmp_path):
    kernels = read_measured_csv(_csv(tmp_path))
    h200 = load_gpu_spec("h200")
    big = kernels[0]
    assert big.kernel_class == "gemm_square bf16" and big.line == 2
    assert big.op.macs * 2 == big.flops
    # roofline: 2 * 4096^3 / 989e12 = 0.13897 ms (memory 3 * 4096^2 * 2 B / 4.8 TB/s = 0.021 ms)
    assert predicted_seconds(big, h200, "roofline") == pytest.approx(2 * 4096**3 / 989e12)
    # small GEMM: memory 3 * 256^2 * 2 B / 4.8e12 = 81.9 ns beats compute 33.9 ns -> 81.9 ns
    assert predicted_seconds(kernels[1], h200, "roofline") == pytest.approx(393216 / 4.8e12)
    conv = kernels[2]
    assert conv.op.macs == 32 * 56 * 56 * 64 * 64 * 9
    assert conv.flops == 2 * conv.op.macs


def test_per_class_errors_by_hand(tmp_path):
    kernels = read_measured_csv(_csv(tmp_path))
    errors = model_errors(kernels, load_gpu_spec("h200"), models=("roofline",))
    by_class = {e.kernel_class: e for e in errors}
    assert list(by_class) == ["gemm_square bf16", "conv fp16", "all"]
    gemm = by_class["gemm_square bf16"]
    r_big = (2 * 4096**3 / 989e12) / 2e-4     # 0.6949
    r_small = (393216 / 4.8e12) / 1e-5        # 0.00819
    assert gemm.count == 2
    assert gemm.median_ratio == pytest.approx((r_big + r_small) / 2)
    assert gemm.geomean_ratio == pytest.approx(math.sqrt(r_big * r_small))
    assert gemm.max_abs_pct_error == pytest.approx((1 - r_small) * 100)
    assert gemm.median_abs_pct_error == pytest.approx(((1 - r_big) + (1 - r_small)) / 2 * 100)
    assert by_class["all"].count == 3
    # every roofline ratio is < 1: the roofline is optimistic on all of them
    assert all(e.median_ratio < 1 for e in errors)
    table = errors_markdown(errors)
    assert table.count("\n") == 2 + len(errors) and "| gemm_square bf16 | roofline | 2 |" in table


def test_derated_is_closer_than_roofline_on_the_small_gemm(tmp_path):
    kernels = read_measured_csv(_csv(tmp_path))
    h200 = load_gpu_spec("h200")
    small = kernels[1]
    roof = predicted_seconds(small, h200, "roofline")
    derated = predicted_seconds(small, h200, "derated")
    assert abs(math.log(derated / small.seconds)) < abs(math.log(roof / small.seconds))


def test_bad_csv_rows_name_file_line_and_column(tmp_path):
    with pytest.raises(AccelsimError) as info:
        read_measured_csv(_csv(tmp_path, HEADER + ROWS.replace("0.0002,", "fast,", 1)))
    assert str(info.value).startswith(f"{tmp_path / 'measured.csv'}:2: seconds_median:")
    with pytest.raises(AccelsimError, match=r":4: kernel:"):
        read_measured_csv(_csv(tmp_path, HEADER + ROWS.replace(",3,1,1,", ",x,1,1,")))
    with pytest.raises(AccelsimError, match="missing column"):
        read_measured_csv(_csv(tmp_path, "kind,precision\ngemm_square,bf16\n"))
    with pytest.raises(AccelsimError, match=r":3: flops: flops 43554432 disagree"):
        read_measured_csv(_csv(tmp_path, HEADER + ROWS.replace(",33554432,", ",43554432,")))
    with pytest.raises(AccelsimError, match="unknown kernel kind"):
        read_measured_csv(_csv(tmp_path, HEADER + ROWS.replace("conv,", "attention,")))


def _benchmark_module():
    spec = importlib.util.spec_from_file_location("gpu_kernels", ROOT / "benchmarks" / "gpu_kernels.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the class is built
    try:
        spec.loader.exec_module(module)
    finally:
        del sys.modules[spec.name]
    return module


def test_benchmark_cases_match_the_reader_and_the_op_counts(tmp_path):
    bench = _benchmark_module()
    cases = bench.cases()
    assert len(cases) == len(set(cases)) > 200
    assert {c.kind for c in cases} == {"gemm_square", "gemm_skinny", "conv"}
    assert {c.precision for c in cases} == set(bench.GEMM_PRECISIONS)
    assert bench.COLUMNS[:len(HEADER.split(","))] == tuple(HEADER.strip().split(","))
    # every case round-trips through the CSV reader with the same flops as accelsim's ops
    lines = [HEADER.rstrip("\n")]
    for case in cases:
        row = case.row() | {"seconds_median": "1e-3", "seconds_min": "1e-3", "samples": 10, "reps": 1,
                            "tflops": "0", "device": "test", "torch_version": "0"}
        lines.append(",".join(str(row[c]) for c in bench.COLUMNS))
    kernels = read_measured_csv(_csv(tmp_path, "\n".join(lines) + "\n"))
    for case, kernel in zip(cases, kernels, strict=True):
        assert kernel.flops == 2 * kernel.op.macs == case.flops
    conv1 = next(c for c in cases if c.kind == "conv" and c.kernel == 7 and c.batch == 1)
    assert conv1.out_hw == 112 and conv1.flops == 2 * 118_013_952  # ResNet-50 conv1 MACs


def test_a_csv_that_is_not_utf8_is_a_located_error(tmp_path):
    path = tmp_path / "binary.csv"
    path.write_bytes(b"gpu,kernel\n\xff\xfe\x00\n")
    with pytest.raises(AccelsimError, match="not UTF-8 text") as info:
        read_measured_csv(path)
    assert str(path) in str(info.value)
