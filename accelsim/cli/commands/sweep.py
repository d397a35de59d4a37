"""accelsim sweep: run a design-space sweep, export its database, print and plot its Pareto front."""
from __future__ import annotations

import argparse
import os

from ...errors import AccelsimError

NAME = "sweep"
HELP = "sweep arch parameters x workloads x batch x precision in parallel into SQLite; export it; find its Pareto front"
DESCRIPTION = (
    "Three forms:\n"
    "  accelsim sweep SPEC.yaml [--db FILE] [--workers N | --dask-local N | --scheduler ADDR]\n"
    "      run the sweep (points already in the database are skipped; Ctrl-C or a kill loses no finished point)\n"
    "  accelsim sweep export DB [--format csv|json|parquet] [-o FILE]\n"
    "  accelsim sweep pareto DB [--objective seconds:min --objective energy_j:min] [--plot FILE.png|svg]\n"
    "Metrics carry their units in their names: seconds (per run of the workload), energy_j (joules), "
    "area_mm2 (mm^2), dram_bytes (bytes), utilization (0..1 of peak MACs). See docs/sweeps.md."
)
ACTIONS = ("run", "export", "pareto")
_RUN_OPTIONS = ("db", "workers", "scheduler", "dask_local", "chunk_points", "retry_errors", "recompute_stale",
                "skip_invalid", "no_memo", "progress")
_EXPORT_OPTIONS = ("format", "output", "sweep")
_PARETO_OPTIONS = ("objective", "constraint", "plot", "format", "output", "sweep")


def add_arguments(parser) -> None:
    from ..common import positive_int

    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.usage = ("accelsim sweep SPEC.yaml [run options]\n"
                    "       accelsim sweep export DB [export options]\n"
                    "       accelsim sweep pareto DB [pareto options]")
    parser.add_argument("words", nargs="+", metavar="SPEC.yaml | export DB | pareto DB",
                        help="a sweep spec to run, or export/pareto and a sweep database")
    run = parser.add_argument_group("run options")
    run.add_argument("--db", metavar="FILE.sqlite",
                     help="SQLite database of results (default: NAME.sqlite in the current folder, NAME from the spec)")
    run.add_argument("--workers", type=positive_int, metavar="N",
                     help="local worker processes (default: the number of CPUs; 1 runs in this process)")
    run.add_argument("--scheduler", metavar="tcp://HOST:PORT",
                     help="run on a running Dask scheduler at this address (needs the 'dask' extra)")
    run.add_argument("--dask-local", type=positive_int, metavar="N",
                     help="run on a local Dask cluster of N single-thread worker processes (needs the 'dask' extra)")
    run.add_argument("--chunk-points", type=positive_int, metavar="N",
                     help="points per task sent to a worker (default: sized to the sweep, at most 32)")
    run.add_argument("--retry-errors", action="store_true", default=None,
                     help="run points recorded as failed or invalid again")
    run.add_argument("--recompute-stale", action="store_true", default=None,
                     help="run finished points again if they were computed by a different accelsim build")
    run.add_argument("--skip-invalid", action="store_true", default=None,
                     help="record invalid points (bad arch field, workload or precision) and run the rest "
                          "instead of stopping before any point runs")
    run.add_argument("--no-memo", action="store_true", default=None,
                     help="do not memoise parsed archs and workloads per process (for measuring; slower)")
    run.add_argument("--progress", choices=("auto", "on", "off"), default=None,
                     help="progress bar with rate (points/s) and ETA on stderr (default: auto, only on a terminal)")
    out = parser.add_argument_group("export and pareto options")
    out.add_argument("--sweep", metavar="NAME", help="which sweep of the database (default: its only one)")
    out.add_argument("--format", dest="format", metavar="FORMAT",
                     help="export: csv, json or parquet (default: csv); pareto: table, csv or json (default: table)")
    out.add_argument("-o", "--output", metavar="FILE", help="write to FILE (atomically) instead of standard output")
    out.add_argument("--objective", action="append", metavar="METRIC:min|max",
                     help="pareto: an objective, e.g. seconds:min, energy_j:min, area_mm2:min, tops:max; "
                          "repeatable (default: the spec's objectives)")
    out.add_argument("--constraint", action="append", metavar="METRIC<=X | METRIC>=X",
                     help="pareto: keep only points within a bound, in the metric's unit, e.g. area_mm2<=300; "
                          "repeatable (default: the spec's constraints)")
    out.add_argument("--plot", metavar="FILE.png|FILE.svg", help="pareto: also draw the front to FILE")


def _given(args, names) -> list[str]:
    return [f"--{n.replace('_', '-')}" for n in names if getattr(args, n, None) not in (None, False)]


def _reject(args, action: str, allowed: tuple[str, ...]) -> None:
    every = set(_RUN_OPTIONS) | set(_EXPORT_OPTIONS) | set(_PARETO_OPTIONS)
    stray = _given(args, sorted(every - set(allowed)))
    if stray:
        also = f" (nor {', '.join(stray[1:])})" if len(stray) > 1 else ""
        form = "SPEC.yaml" if action == "run" else f"{action} DB"
        raise AccelsimError(f"not an option of `accelsim sweep {form}`{also}", field=stray[0])


def run(args) -> int:
    words = list(args.words)
    action = words[0] if words[0] in ACTIONS else "run"
    operands = words[1:] if words[0] in ACTIONS else words
    if len(operands) != 1:
        what = "a sweep spec (YAML)" if action == "run" else "one sweep database"
        raise AccelsimError(f"expected {what}, got {len(operands)} arguments: {' '.join(operands) or '(none)'}",
                            field=f"sweep {action}")
    if action == "run":
        _reject(args, action, _RUN_OPTIONS)
        return _run_sweep(operands[0], args)
    if action == "export":
        _reject(args, action, _EXPORT_OPTIONS)
        return _export(operands[0], args)
    _reject(args, action, _PARETO_OPTIONS)
    return _pareto(operands[0], args)


def _run_sweep(spec_path: str, args) -> int:
    from ...sweep.executors import ExecutorChoice
    from ...sweep.runner import RunOptions, run_sweep
    from ...sweep.spec import load_sweep_spec

    if sum(x is not None for x in (args.workers, args.scheduler, args.dask_local)) > 1:
        raise AccelsimError("choose one of --workers, --scheduler and --dask-local", field="--workers")
    spec = load_sweep_spec(spec_path)
    choice = ExecutorChoice(workers=args.workers or os.cpu_count() or 1, scheduler=args.scheduler,
                            dask_local=args.dask_local)
    progress = {"on": True, "off": False}.get(args.progress or "auto")
    options = RunOptions(executor=choice, chunk_points=args.chunk_points, retry_errors=bool(args.retry_errors),
                         recompute_stale=bool(args.recompute_stale), skip_invalid=bool(args.skip_invalid),
                         memoize=not args.no_memo, progress=progress)
    db = args.db or f"{spec.name}.sqlite"
    try:
        summary = run_sweep(spec, db, options)
    except KeyboardInterrupt:
        import sys

        print(f"accelsim sweep: stopped; every finished point is in {db}; run the same command again to resume",
              file=sys.stderr)
        raise
    print(summary.describe())
    return 0


def _table(db: str, args):
    from ...sweep.store import SweepStore
    from ...sweep.table import build_table

    with SweepStore(db, create=False) as store:
        sweep = store.sweep(args.sweep)
        points = store.points(sweep.name)
    constraints = None
    if getattr(args, "constraint", None):
        from ...sweep.metrics import parse_constraint_text

        constraints = tuple(parse_constraint_text(text) for text in args.constraint)
    return build_table(sweep, points, constraints)


def _export(db: str, args) -> int:
    import sys

    from ...atomic import write_atomic
    from ...sweep.export import FORMATS, export

    fmt = args.format or "csv"
    if fmt not in FORMATS:
        raise AccelsimError(f"expected one of {', '.join(FORMATS)}, got {fmt!r}", field="--format")
    data = export(_table(db, args), fmt)
    if args.output:
        write_atomic(args.output, data)
    elif isinstance(data, bytes):
        raise AccelsimError("Parquet is binary: give a file with -o FILE.parquet", field="--output")
    else:
        sys.stdout.write(data)
    return 0


def _pareto(db: str, args) -> int:
    from ...sweep.export import FRONT_FORMATS, render_front
    from ...sweep.metrics import parse_objective_text
    from ...sweep.table import front_of
    from ..common import emit

    fmt = args.format or "table"
    if fmt not in FRONT_FORMATS:
        raise AccelsimError(f"expected table, csv or json, got {fmt!r}", field="--format")
    table = _table(db, args)
    objectives = (tuple(parse_objective_text(t) for t in args.objective) if args.objective
                  else table.sweep.objectives)
    if not objectives:
        raise AccelsimError("no objectives: give --objective METRIC:min|max (the spec has none)", field="--objective")
    result = front_of(table, objectives)
    emit(render_front(table, result, objectives, fmt), args.output)
    if args.plot:
        _plot(table, result, objectives, args.plot)
    return 0


def _plot(table, result, objectives, path: str) -> None:
    if not result.candidates:  # the path itself was checked before the run (common.check_output_paths)
        raise AccelsimError("nothing to plot: no finished feasible point has every objective", field="--plot")
    try:
        from ...report.plots import save_figure
        from ...sweep.plot import pareto_figure
    except ImportError as exc:
        raise AccelsimError(f"plotting needs matplotlib ({exc}); pip install 'accelsim[plots]'", field="--plot") from None

    values = [[row[o.metric] for o in objectives] for row in result.candidates]
    front_keys = {row["key"] for row in result.front}
    front = [i for i, row in enumerate(result.candidates) if row["key"] in front_keys]
    title = f"{table.sweep.name}: {len(result.candidates)} feasible points, {len(front)} on the Pareto front"
    save_figure(pareto_figure(values, front, objectives, title), path)
