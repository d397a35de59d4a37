"""accelsim's SCALE-Sim mode against SCALE-Sim v2 itself: same layers, same configs, one run.

For every (network, config, dataflow) it runs SCALE-Sim (``pip install scalesim==2.0.2``; the
``bench`` extra) and ``accelsim scalesim`` each in a child process and prints:

* simulation wall time (around the simulation call only, imports excluded) and the ratio;
* whole-process wall time (interpreter start to exit, imports included) and the ratio;
* peak resident memory of each process (ru_maxrss);
* whether every field of the three reports matched (exact string comparison), else how many.

SCALE-Sim takes minutes per network (hours on small arrays), so its results can be reused from an
earlier run: ``--reuse DIR`` reads ``DIR/<network>__<config>__<dataflow>/`` folders written by
``--keep DIR`` (report CSVs plus ``timing.json``).

Examples::

    python benchmarks/vs_scalesim.py --network alexnet --config google_256x256 --dataflow ws
    python benchmarks/vs_scalesim.py --network resnet18 yolo_tiny --config google_256x256 \\
        --dataflow ws os is --keep scalesim_runs
    python benchmarks/vs_scalesim.py --accelsim-only --network resnet18 mobilenet \\
        --config scale_8x8 scale_32x32 google_256x256
"""
from __future__ import annotations

import argparse
import json
import os
import re
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WORKLOADS = ROOT / "workloads" / "scalesim"
GEMM_NETWORKS = {"bert_base_gemm", "bert_attention_gemm"}
REPORTS = ("COMPUTE_REPORT.csv", "BANDWIDTH_REPORT.csv", "DETAILED_ACCESS_REPORT.csv")


def _config_text(config: Path, dataflow: str) -> str:
    text = config.read_text()
    text = re.sub(r"(?im)^(\s*Dataflow\s*[:=]\s*)\w+", rf"\g<1>{dataflow}", text)
    return re.sub(r"(?im)^(\s*run_name\s*[:=]\s*).*$", r"\g<1>run", text)


# ------------------------------------------------------------------ child processes
def _child(tool: str, cfg: str, topo: str, itype: str, outdir: str) -> None:
    """Runs in a fresh interpreter; prints {"sim_s": ...} on its last line."""
    if tool == "scalesim":
        import contextlib
        import io

        from scalesim.scale_sim import scalesim

        sim = scalesim(save_disk_space=True, verbose=False, config=cfg, topology=topo,
                       input_type_gemm=itype == "gemm")
        start, cpu_start = time.perf_counter(), time.process_time()
        with contextlib.redirect_stdout(io.StringIO()):
            sim.run_scale(top_path=outdir)
        elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu_start
    else:
        sys.path.insert(0, str(ROOT))
        import numpy  # noqa: F401  (imports are not simulation time, for either tool)

        from accelsim.scalesim.config import load_config
        from accelsim.scalesim.model import _kernel, simulate
        from accelsim.scalesim.reports import write_reports
        from accelsim.scalesim.topology import load_topology

        _kernel()
        config = load_config(cfg)
        layers = load_topology(topo, gemm=itype == "gemm")
        start, cpu_start = time.perf_counter(), time.process_time()
        reports = simulate(config, layers)
        elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu_start
        write_reports(reports, Path(outdir) / config.run_name)
    maxrss_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"sim_s": elapsed, "sim_cpu_s": cpu, "maxrss_mb": maxrss_kb / 1024}))


def _run_child(tool: str, cfg: Path, topo: Path, itype: str, outdir: Path) -> dict:
    start = time.perf_counter()
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    # one BLAS thread: idle OpenBLAS workers would otherwise add CPU seconds to either tool
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1", MKL_NUM_THREADS="1")
    proc = subprocess.run(
        [sys.executable, str(Path(__file__).resolve()), "--child", tool, str(cfg), str(topo),
         itype, str(outdir)], check=False, capture_output=True, text=True, env=env)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode != 0:
        raise RuntimeError(f"{tool} failed:\n{proc.stderr[-2000:]}")
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    result["process_s"] = wall
    result["process_cpu_s"] = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    return result


# ------------------------------------------------------------------ comparison
def _read_report(path: Path) -> list[list[str]]:
    return [[f.strip() for f in line.split(",")] for line in path.read_text().splitlines()]


def compare_reports(theirs: Path, ours: Path) -> tuple[int, int, list[str]]:
    """(fields compared, fields different, first differences) over the three reports."""
    fields = different = 0
    notes: list[str] = []
    for name in REPORTS:
        a, b = _read_report(theirs / name), _read_report(ours / name)
        if len(a) != len(b):
            notes.append(f"{name}: {len(a)} vs {len(b)} lines")
            different += 1
            continue
        header = a[0]
        for row_a, row_b in zip(a[1:], b[1:]):
            for column, (x, y) in enumerate(zip(row_a, row_b)):
                fields += 1
                if x != y:
                    different += 1
                    if len(notes) < 5:
                        notes.append(f"{name} layer {row_a[0]} {header[column]}: {x} vs {y}")
    return fields, different, notes


def run_case(network: str, config: str, dataflow: str, args) -> dict:
    topo = WORKLOADS / f"{network}.csv"
    cfg_src = WORKLOADS / f"{config}.cfg"
    itype = "gemm" if network in GEMM_NETWORKS else "conv"
    work = Path(tempfile.mkdtemp(prefix="vs_scalesim_"))
    cfg = work / "run.cfg"
    cfg.write_text(_config_text(cfg_src, dataflow))
    row = {"network": network, "config": config, "dataflow": dataflow}
    ours = _run_child("accelsim", cfg, topo, itype, work / "accelsim")
    row.update({"accelsim_sim_s": ours["sim_s"], "accelsim_process_s": ours["process_s"],
                "accelsim_sim_cpu_s": ours["sim_cpu_s"],
                "accelsim_process_cpu_s": ours["process_cpu_s"],
                "accelsim_peak_mb": ours["maxrss_mb"]})
    key = f"{network}__{config}__{dataflow}"
    theirs_dir = None
    if args.reuse and (Path(args.reuse) / key / "timing.json").exists():
        theirs_dir = Path(args.reuse) / key / "run"
        timing = json.loads((Path(args.reuse) / key / "timing.json").read_text())
        row.update({"scalesim_sim_s": timing["sim_s"],
                    "scalesim_process_s": timing.get("process_s"),
                    "scalesim_sim_cpu_s": timing.get("sim_cpu_s"),
                    "scalesim_process_cpu_s": timing.get("process_cpu_s"),
                    "scalesim_peak_mb": timing.get("maxrss_kb", 0) / 1024 or None,
                    "scalesim_source": "reused"})
    elif not args.accelsim_only:
        try:
            import scalesim  # noqa: F401
        except ImportError:
            row["scalesim_source"] = "not installed"
        else:
            theirs = _run_child("scalesim", cfg, topo, itype, work / "scalesim")
            theirs_dir = work / "scalesim" / "run"
            row.update({"scalesim_sim_s": theirs["sim_s"],
                        "scalesim_process_s": theirs["process_s"],
                        "scalesim_sim_cpu_s": theirs["sim_cpu_s"],
                        "scalesim_process_cpu_s": theirs["process_cpu_s"],
                        "scalesim_peak_mb": theirs["maxrss_mb"], "scalesim_source": "run"})
            if args.keep:
                keep = Path(args.keep) / key
                keep.mkdir(parents=True, exist_ok=True)
                for name in REPORTS:
                    (keep / "run").mkdir(exist_ok=True)
                    (keep / "run" / name).write_text((theirs_dir / name).read_text())
                (keep / "timing.json").write_text(json.dumps({
                    "sim_s": theirs["sim_s"], "process_s": theirs["process_s"],
                    "sim_cpu_s": theirs["sim_cpu_s"], "process_cpu_s": theirs["process_cpu_s"],
                    "maxrss_kb": theirs["maxrss_mb"] * 1024}))
    if theirs_dir is not None:
        fields, different, notes = compare_reports(theirs_dir, work / "accelsim" / "run")
        row.update({"fields": fields, "mismatches": different, "notes": notes,
                    "layers": len(_read_report(theirs_dir / REPORTS[0])) - 1})
    else:
        row["layers"] = len(_read_report(work / "accelsim" / "run" / REPORTS[0])) - 1
    return row


def _fmt(value, digits=3):
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.{digits}g}" if value < 1000 else f"{value:.0f}"
    return str(value)


def _ratio(a, b):
    return a / b if a and b else None


def print_table(rows: list[dict]) -> None:
    """Markdown table. Wall seconds suffer on a shared machine; CPU seconds are the fair ratio."""
    head = ("network", "config", "df", "layers", "SCALE-Sim sim s (cpu)", "accelsim sim s (cpu)",
            "sim ratio wall (cpu)", "SCALE-Sim process s", "accelsim process s",
            "process ratio wall (cpu)", "SCALE-Sim MB", "accelsim MB", "match")
    print("| " + " | ".join(head) + " |")
    print("|" + "|".join("---" for _ in head) + "|")
    for r in rows:
        if "mismatches" in r:
            match = "all {} fields".format(r["fields"]) if r["mismatches"] == 0 else \
                f"{r['mismatches']} of {r['fields']} differ"
        else:
            match = r.get("scalesim_source", "not compared")
        cells = [
            r["network"], r["config"], r["dataflow"], str(r["layers"]),
            f"{_fmt(r.get('scalesim_sim_s'))} ({_fmt(r.get('scalesim_sim_cpu_s'))})",
            f"{_fmt(r['accelsim_sim_s'])} ({_fmt(r['accelsim_sim_cpu_s'])})",
            (f"{_fmt(_ratio(r.get('scalesim_sim_s'), r['accelsim_sim_s']))} "
            f"({_fmt(_ratio(r.get('scalesim_sim_cpu_s'), r['accelsim_sim_cpu_s']))})"),
            f"{_fmt(r.get('scalesim_process_s'))} ({_fmt(r.get('scalesim_process_cpu_s'))})",
            f"{_fmt(r['accelsim_process_s'])} ({_fmt(r['accelsim_process_cpu_s'])})",
            (f"{_fmt(_ratio(r.get('scalesim_process_s'), r['accelsim_process_s']))} "
            f"({_fmt(_ratio(r.get('scalesim_process_cpu_s'), r['accelsim_process_cpu_s']))})"),
            _fmt(r.get("scalesim_peak_mb")), _fmt(r["accelsim_peak_mb"]), match]
        print("| " + " | ".join(cells) + " |")
        for note in r.get("notes", []):
            print(f"    {note}")


def main(argv=None) -> int:
    if argv is None and len(sys.argv) > 1 and sys.argv[1] == "--child":
        _child(*sys.argv[2:7])
        return 0
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--network", nargs="+", default=["alexnet"],
                        help="topologies in workloads/scalesim/ (names without .csv)")
    parser.add_argument("--config", nargs="+", default=["google_256x256"],
                        help="configs in workloads/scalesim/ (names without .cfg)")
    parser.add_argument("--dataflow", nargs="+", default=["ws"], choices=("os", "ws", "is"))
    parser.add_argument("--reuse", help="folder of earlier SCALE-Sim results (see --keep)")
    parser.add_argument("--keep", help="save SCALE-Sim's reports and timings in this folder")
    parser.add_argument("--accelsim-only", action="store_true",
                        help="time accelsim only (no SCALE-Sim runs)")
    parser.add_argument("--json", help="also write the rows to this JSON file")
    args = parser.parse_args(argv)
    rows = []
    for network in args.network:
        for config in args.config:
            for dataflow in args.dataflow:
                rows.append(run_case(network, config, dataflow, args))
                print(f"done {network} {config} {dataflow}", file=sys.stderr, flush=True)
    print_table(rows)
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=2))
    bad = [r for r in rows if r.get("mismatches")]
    return 1 if bad else 0


if __name__ == "__main__":
    os.environ.setdefault("PYTHONHASHSEED", "0")
    sys.exit(main())
