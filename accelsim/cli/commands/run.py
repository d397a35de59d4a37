"""accelsim run: simulate one workload on one architecture."""
from __future__ import annotations

NAME = "run"
HELP = "simulate a workload on an architecture and report cycles, time, MACs, utilization, DRAM bytes and energy"
DESCRIPTION = (HELP + ". Times are in seconds (table: microseconds/milliseconds as labelled), energy in joules, "
               "traffic in bytes, utilization as a 0..1 fraction of peak MACs (table: percent).")


def add_arguments(parser) -> None:
    from ..common import add_output_options, add_target_options

    add_target_options(parser)
    add_output_options(parser)


def run(args) -> int:
    from ...api import simulate
    from ...report.render import render
    from ..common import emit, parse_settings

    result = simulate(args.arch, args.workload, batch=args.batch, precision=args.precision,
                      overrides=tuple(args.overrides), settings=parse_settings(args.setting))
    emit(render(result, args.format), args.output)
    return 0
