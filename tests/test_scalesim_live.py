"""Against the real SCALE-Sim package (``pip install scalesim==2.0.2``; skipped when absent):
the three report files must be byte-identical, CALC and USER mode, all dataflows."""
from __future__ import annotations

import contextlib
import io

import pytest

scale_sim = pytest.importorskip("scalesim.scale_sim")

CFG = """[general]
run_name = live

[architecture_presets]
ArrayHeight : {rows}
ArrayWidth : {cols}
IfmapSramSzkB : {kb}
FilterSramSzkB : 1
OfmapSramSzkB : {kb}
IfmapOffset : 0
FilterOffset : 10000000
OfmapOffset : 20000000
Bandwidth : {bw}
Dataflow : {df}
MemoryBanks : 1

[run_presets]
InterfaceBandwidth : {mode}
"""
TOPO = """Layer name, IFMAP Height, IFMAP Width, Filter Height, Filter Width, Channels, Num Filter, Strides,
A, 17, 15, 3, 2, 5, 13, 2, 1,
B, 12, 12, 1, 1, 7, 21, 3,
"""
CASES = [(df, mode, rows, cols, kb, bw)
         for df in ("os", "ws", "is")
         for mode, rows, cols, kb, bw in (("CALC", 5, 7, 1, 10), ("USER", 4, 6, 1, 3))]


@pytest.mark.parametrize("case", CASES, ids=["-".join(map(str, c[:2])) for c in CASES])
def test_reports_match_scalesim(case, tmp_path, cli):
    df, mode, rows, cols, kb, bw = case
    cfg = tmp_path / "live.cfg"
    cfg.write_text(CFG.format(rows=rows, cols=cols, kb=kb, bw=bw, df=df, mode=mode))
    topo = tmp_path / "net.csv"
    topo.write_text(TOPO)
    sim = scale_sim.scalesim(save_disk_space=True, verbose=False, config=str(cfg),
                             topology=str(topo), input_type_gemm=False)
    with contextlib.redirect_stdout(io.StringIO()):
        sim.run_scale(top_path=str(tmp_path / "theirs"))
    status, _, err = cli("scalesim", "-c", str(cfg), "-t", str(topo), "-p", str(tmp_path / "ours"),
                         "-q")
    assert status == 0, err
    for name in ("COMPUTE_REPORT.csv", "BANDWIDTH_REPORT.csv", "DETAILED_ACCESS_REPORT.csv"):
        theirs = (tmp_path / "theirs" / "live" / name).read_text()
        ours = (tmp_path / "ours" / "live" / name).read_text()
        assert ours == theirs, name
