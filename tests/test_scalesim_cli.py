"""``accelsim scalesim``: parsing rules, located errors, byte-exact report files."""
from __future__ import annotations

import json

import pytest

from accelsim.errors import AccelsimError
from accelsim.scalesim.config import parse_config
from accelsim.scalesim.topology import parse_topology

CFG = """[general]
run_name = tiny

[architecture_presets]
ArrayHeight:    8
ArrayWidth:     8
IfmapSramSzkB:    1
FilterSramSzkB:   1
OfmapSramSzkB:    1
IfmapOffset:    0
FilterOffset:   10000000
OfmapOffset:    20000000
Bandwidth : 10
Dataflow : ws
MemoryBanks: 1

[run_presets]
InterfaceBandwidth: CALC
"""
TOPO = """Layer name, IFMAP Height, IFMAP Width, Filter Height, Filter Width, Channels, Num Filter, Strides,
Conv1, 20, 20, 3, 3, 4, 10, 2,
CB2DP, 9, 9, 3, 3, 2, 1, 1,
"""
# Written by SCALE-Sim 2.0.2 (pip, numpy 2.4) for CFG + TOPO: the reports must be byte-identical.
GOLDEN = {
    "COMPUTE_REPORT.csv": """LayerID, Total Cycles, Stall Cycles, Overall Util %, Mapping Efficiency %, Compute Util %,
0, 1219, 0, 46.14438063986874, 56.25, 43.6046511627907,
1, 141, 0, 4.886968085106383, 7.03125, 4.4170673076923075,
2, 141, 0, 4.886968085106383, 7.03125, 4.4170673076923075,
""",
    "BANDWIDTH_REPORT.csv": """LayerID, Avg IFMAP SRAM BW, Avg FILTER SRAM BW, Avg OFMAP SRAM BW, Avg IFMAP DRAM BW, Avg FILTER DRAM BW, Avg OFMAP DRAM BW,
0, 5.9064807219032, 0.29532403609515995, 4.1017227235438884, 5.552587646076795, 10.0, 4.218197135636057,
1, 3.127659574468085, 0.06382978723404255, 0.6950354609929078, 9.0, 9.0, 7.538461538461538,
2, 3.127659574468085, 0.06382978723404255, 0.6950354609929078, 9.0, 9.0, 7.538461538461538,
""",
    "DETAILED_ACCESS_REPORT.csv": """LayerID, SRAM IFMAP Start Cycle, SRAM IFMAP Stop Cycle, SRAM IFMAP Reads, SRAM Filter Start Cycle, SRAM Filter Stop Cycle, SRAM Filter Reads, SRAM OFMAP Start Cycle, SRAM OFMAP Stop Cycle, SRAM OFMAP Writes, DRAM IFMAP Start Cycle, DRAM IFMAP Stop Cycle, DRAM IFMAP Reads, DRAM Filter Start Cycle, DRAM Filter Stop Cycle, DRAM Filter Reads, DRAM OFMAP Start Cycle, DRAM OFMAP Stop Cycle, DRAM OFMAP Writes,
0, 9.0, 1198.0, 7200, 1.0, 1106.0, 360, 15.0, 1213.0, 5000, -42.0, 1155.0, 6652, -36.0, -1.0, 360, 82.0, 1268.0, 5007,
1, 9.0, 128.0, 441, 1.0, 79.0, 9, 15.0, 134.0, 98, -9.0, -1.0, 81, -1.0, -1.0, 9, 141.0, 153.0, 98,
2, 9.0, 128.0, 441, 1.0, 79.0, 9, 15.0, 134.0, 98, -9.0, -1.0, 81, -1.0, -1.0, 9, 141.0, 153.0, 98,
""",
}


@pytest.fixture
def files(tmp_path):
    cfg = tmp_path / "tiny.cfg"
    cfg.write_text(CFG)
    topo = tmp_path / "tiny.csv"
    topo.write_text(TOPO)
    return cfg, topo, tmp_path / "out"


def test_reports_are_byte_identical_to_scalesim(cli, files):
    cfg, topo, out = files
    status, stdout, _ = cli("scalesim", "-c", str(cfg), "-t", str(topo), "-p", str(out))
    assert status == 0, stdout
    for name, text in GOLDEN.items():
        assert (out / "tiny" / name).read_text() == text


def test_json_format(cli, files):
    cfg, topo, out = files
    status, _, _ = cli("scalesim", "-c", str(cfg), "-t", str(topo), "-p", str(out), "--format",
                       "json", "-q")
    assert status == 0
    layers = json.loads((out / "tiny" / "REPORT.json").read_text())["layers"]
    assert [layer["total_cycles"] for layer in layers] == [1219, 141, 141]
    assert layers[0]["dram_ifmap_reads"] == 6652


def test_depthwise_rows_expand_per_channel():
    layers = parse_topology(TOPO, "t.csv")
    assert [layer.name for layer in layers] == ["Conv1", "CB2DPChannel_0", "CB2DPChannel_1"]
    assert layers[1].channels == 1 and layers[0].ofmap_h == 10


def test_column_stride_and_gemm_rows():
    conv = parse_topology("h,\nL, 10, 12, 3, 3, 2, 4, 1, 3,\n")
    assert (conv[0].stride_h, conv[0].stride_w, conv[0].ofmap_w) == (1, 3, 4)
    gemm = parse_topology("name, M, N, K,\ng, 100, 37, 53,\n", gemm=True)
    assert (gemm[0].gemm_m, gemm[0].gemm_n, gemm[0].gemm_k) == (100, 37, 53)


def test_bad_topology_value_is_located():
    with pytest.raises(AccelsimError) as err:
        parse_topology("h,\nConv1, 20, 2x0, 3, 3, 4, 10, 2,\n", "net.csv")
    assert str(err.value).startswith("net.csv:2:")
    assert "Conv1.IFMAP Width" in str(err.value)


def test_missing_trailing_comma_is_explained():
    with pytest.raises(AccelsimError, match="trailing comma"):
        parse_topology("h,\nConv1, 20, 20, 3, 3, 4, 10, 2\n", "net.csv")


def test_filter_larger_than_ifmap_rejected():
    with pytest.raises(AccelsimError, match="larger than the ifmap"):
        parse_topology("h,\nL, 2, 2, 3, 3, 1, 1, 1,\n", "net.csv")


def test_config_keys_case_insensitive_and_user_bandwidth():
    cfg = parse_config(CFG.replace("ArrayHeight", "arrayheight").replace("CALC", "USER"))
    assert cfg.array_rows == 8 and cfg.bandwidth_mode == "USER"
    assert cfg.bandwidth_words_per_cycle == 10 and cfg.ifmap_sram_words == 1024


@pytest.mark.parametrize("old,new,where", [
    ("Dataflow : ws", "Dataflow : xs", "tiny.cfg:14:12: architecture_presets.Dataflow"),
    ("ArrayWidth:     8", "ArrayWidth:     eight", "tiny.cfg:6:17: architecture_presets.ArrayWidth"),
    ("InterfaceBandwidth: CALC", "InterfaceBandwidth: FAST", "tiny.cfg:18:21"),
    ("ArrayHeight:    8\n", "", "architecture_presets.ArrayHeight: missing key"),
])
def test_bad_config_is_located(old, new, where):
    with pytest.raises(AccelsimError) as err:
        parse_config(CFG.replace(old, new), "tiny.cfg")
    assert where in str(err.value)


def test_cli_reports_bad_input_with_status_2(cli, tmp_path):
    cfg = tmp_path / "bad.cfg"
    cfg.write_text(CFG.replace("Dataflow : ws", "Dataflow : xs"))
    topo = tmp_path / "t.csv"
    topo.write_text(TOPO)
    status, _, err = cli("scalesim", "-c", str(cfg), "-t", str(topo), "-p", str(tmp_path))
    assert status == 2
    assert "bad.cfg:14:12" in err and "Traceback" not in err
