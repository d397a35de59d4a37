"""``accelsim scalesim``: SCALE-Sim v2 compatible run (its .cfg and topology in, its reports out)."""
from __future__ import annotations

import argparse

NAME = "scalesim"
HELP = "run a SCALE-Sim v2 config + topology and write SCALE-Sim's three CSV reports"
DESCRIPTION = (
    "Reads a SCALE-Sim v2 config (.cfg) and topology (.csv) and writes COMPUTE_REPORT.csv, "
    "BANDWIDTH_REPORT.csv and DETAILED_ACCESS_REPORT.csv into OUTDIR/<run_name>/ with SCALE-Sim's "
    "column names and number formats. CALC mode reproduces SCALE-Sim v2.0.2 exactly; see "
    "docs/scalesim_differences.md for USER mode."
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("-c", "--config", required=True, metavar="CONFIG.cfg",
                        help="SCALE-Sim config file (array in PEs, SRAM sizes in kB, "
                             "bandwidth in words/cycle)")
    parser.add_argument("-t", "--topology", required=True, metavar="TOPOLOGY.csv",
                        help="SCALE-Sim topology file (dimensions in elements)")
    parser.add_argument("-i", "--input-type", choices=("conv", "gemm"), default="conv",
                        help="topology rows: conv layers or M,N,K GEMMs (unitless sizes; "
                             "default conv)")
    parser.add_argument("-p", "--outdir", default=".", metavar="OUTDIR",
                        help="folder for the reports; they go to OUTDIR/<run_name>/ (a path)")
    parser.add_argument("--format", choices=("csv", "json"), default="csv",
                        help="csv: SCALE-Sim's three reports; json: one REPORT.json (cycles, "
                             "words and words/cycle)")
    parser.add_argument("--dataflow", choices=("os", "ws", "is"), default=None,
                        help="override the config's Dataflow")
    parser.add_argument("-q", "--quiet", action="store_true", help="print nothing on success")


def run(args: argparse.Namespace) -> int:
    import dataclasses
    from pathlib import Path

    from ...guards import check_scalesim
    from ...scalesim.config import load_config
    from ...scalesim.model import simulate
    from ...scalesim.reports import write_reports
    from ...scalesim.topology import load_topology

    config = load_config(args.config)
    if args.dataflow:
        config = dataclasses.replace(config, dataflow=args.dataflow)
    layers = load_topology(args.topology, gemm=args.input_type == "gemm")
    check_scalesim(config, layers, args.topology)  # resource guard naming the topology file
    reports = simulate(config, layers)
    folder = Path(args.outdir) / config.run_name
    paths = write_reports(reports, folder, args.format)
    if not args.quiet:
        total = sum(r.total_cycles for r in reports)
        stalls = sum(r.stall_cycles for r in reports)
        print(f"{len(reports)} layers, {config.array_rows}x{config.array_cols} "
              f"{config.dataflow.upper()} {config.bandwidth_mode}: total {total} cycles "
              f"({stalls} stall cycles)")
        for path in paths:
            print(f"wrote {path}")
    return 0
