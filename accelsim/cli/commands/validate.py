"""accelsim validate: regenerate reports/validation.md against published silicon."""
from __future__ import annotations

NAME = "validate"
HELP = "compare shipped configs with published silicon (TPU v1 Tables 2, 3 and 8, the NVDLA spreadsheet, SCALE-Sim, published model totals) and write the report"


def add_arguments(parser) -> None:
    parser.add_argument("-o", "--output", default="reports/validation.md", metavar="FILE",
                        help="report path (default: %(default)s); figures go to figures/ beside it")


def run(args) -> int:
    from ...validation.report import write_validation_report

    summary = write_validation_report(args.output)
    print(f"wrote {args.output}: " + ", ".join(f"{k} = {_short(v)}" for k, v in summary.items()))
    return 0


def _short(value) -> str:
    """A summary value to 3 significant figures (lists item by item)."""
    if isinstance(value, float):
        return f"{value:.3g}"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_short(v) for v in value) + "]"
    return str(value)
