"""GPU configs: every shipped one parses, figures match hardware.md, bad input names file:line:col."""
from __future__ import annotations

import pytest

from accelsim.baselines.gpu_spec import load_gpu_spec, shipped_gpus
from accelsim.errors import SpecError

EXPECTED = {  # hardware.md GPU table: (fp32 TFLOPS, dense fp16 TFLOPS or None, GB/s, TDP W)
    "k80": (2.8, None, 160, 150),
    "p100": (10.6, 21.2, 732, 300),
    "v100": (15.7, 125, 900, 300),
    "a100_40gb": (19.5, 312, 1555, 400),
    "a100_80gb": (19.5, 312, 2039, 400),
    "h100_sxm": (67, 989, 3350, 700),
    "h200": (67, 989, 4800, 700),
}


def test_every_shipped_gpu_parses_with_the_reference_figures():
    assert set(shipped_gpus()) == set(EXPECTED)
    for name, (fp32, fp16, bw, tdp) in EXPECTED.items():
        spec = load_gpu_spec(name)
        assert spec.name == name
        assert spec.dense_peak_tops["fp32"] == fp32
        assert spec.dense_peak_tops.get("fp16") == fp16
        assert spec.memory_bandwidth_gbps == bw
        assert spec.tdp_w == tdp
        for key, sparse in spec.sparse_peak_tops.items():  # 2:4 sparse = 2 x dense (±1 rounding)
            assert sparse == pytest.approx(2 * spec.dense_peak_tops[key], abs=1.0)


def test_k80_ridge_point_matches_the_tpu_paper():
    # TPU v1 paper: the K80 roofline turns flat at about 9 MACs per byte (2.8 TFLOPS, 160 GB/s)
    k80 = load_gpu_spec("k80")
    assert k80.ridge_ops_per_byte("fp32") / 2 == pytest.approx(8.75)


def test_unknown_gpu_name_suggests_a_close_one():
    with pytest.raises(SpecError, match="did you mean 'v100'"):
        load_gpu_spec("v10")


def _write(tmp_path, text):
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    return path


GOOD = """version: 1
name: toy
sm_count: 4
dense_peak_tops:
  fp32: 1.0
vector_peak_tops: 1.0
memory_bandwidth_gbps: 100
tdp_w: 50
"""


def test_bad_precision_key_names_line_column_and_field(tmp_path):
    path = _write(tmp_path, GOOD.replace("  fp32: 1.0", "  fp32: 1.0\n  fp64: 2.0"))
    with pytest.raises(SpecError) as info:
        load_gpu_spec(path)
    message = str(info.value)
    assert message.startswith(f"{path}:6:")
    assert "dense_peak_tops.fp64" in message


def test_negative_bandwidth_is_rejected_with_its_location(tmp_path):
    path = _write(tmp_path, GOOD.replace("memory_bandwidth_gbps: 100", "memory_bandwidth_gbps: -5"))
    with pytest.raises(SpecError) as info:
        load_gpu_spec(path)
    assert str(info.value).startswith(f"{path}:7:24: memory_bandwidth_gbps:")


def test_missing_fp32_and_unknown_key_are_rejected(tmp_path):
    with pytest.raises(SpecError, match="fp32"):
        load_gpu_spec(_write(tmp_path, GOOD.replace("  fp32: 1.0", "  fp16: 1.0")))
    with pytest.raises(SpecError, match="unknown key 'tdp'"):
        load_gpu_spec(_write(tmp_path, GOOD.replace("tdp_w: 50", "tdp: 50")))
