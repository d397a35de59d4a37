"""Option parsing helpers shared by subcommands (kept light: no heavy imports)."""
from __future__ import annotations

import argparse

from ..errors import AccelsimError


def _int_at_least(text: str, minimum: int, kind: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a {kind} integer, got {text!r}") from None
    if value < minimum:
        raise argparse.ArgumentTypeError(f"expected a {kind} integer, got {value}")
    return value


def positive_int(text: str) -> int:
    return _int_at_least(text, 1, "positive")


def non_negative_int(text: str) -> int:
    return _int_at_least(text, 0, "non-negative")


def batch_size(text: str) -> int:
    """``--batch``: samples per batch, 1 to 10^7 (as :func:`accelsim.api.simulate` accepts)."""
    from ..guards import MAX_BATCH

    value = positive_int(text)
    if value > MAX_BATCH:
        raise argparse.ArgumentTypeError(f"expected at most {MAX_BATCH:,} samples, got {value:,}")
    return value


def precision_name(text: str) -> str:
    """``--precision``: a precision name, checked here so that a typo or an empty name is a usage
    error, not a silent default."""
    from ..precision import get_precision

    if not text.strip():
        raise argparse.ArgumentTypeError(f"expected a precision name such as int8 or bf16, got {text!r}")
    try:
        get_precision(text.strip())
    except AccelsimError as exc:
        raise argparse.ArgumentTypeError(exc.message) from None
    return text


def precision_list(text: str) -> str:
    """``compare --precision``: one precision name or a comma-separated list of them."""
    for name in text.split(","):
        if not name.strip():
            raise argparse.ArgumentTypeError(f"expected a precision name such as int8 or a comma-separated list "
                                             f"such as int8,bf16, got {text!r}")
        precision_name(name)
    return text


def parse_settings(items: list[str] | None) -> dict:
    """``["seq_len=384", "layers=2"]`` -> ``{"seq_len": 384, "layers": 2}`` (values parsed as YAML scalars)."""
    import yaml

    out = {}
    for item in items or ():
        if "=" not in item:
            raise AccelsimError(f"expected NAME=VALUE, got {item!r}", field="--setting")
        key, raw = item.split("=", 1)
        try:
            out[key.strip()] = yaml.safe_load(raw)
        except (yaml.YAMLError, RecursionError):
            raise AccelsimError(f"cannot parse value {raw[:80]!r}; expected a number or a word such as 384",
                                field=f"--setting {key}") from None
    return out


def add_target_options(parser: argparse.ArgumentParser, *, many_archs: bool = False) -> None:
    """--arch/--workload/--batch/--precision/--set/--setting, as every simulating command takes them."""
    if many_archs:
        parser.add_argument("--arch", action="append", required=True, metavar="NAME|PATH",
                            help="architecture: a shipped name (see `accelsim list archs`) or a YAML file; repeatable, "
                                 "or several as a comma-separated list (tpu_v1,nvdla_full)")
    else:
        parser.add_argument("--arch", required=True, metavar="NAME|PATH",
                            help="architecture: a shipped name (see `accelsim list archs`) or a YAML file")
    parser.add_argument("--workload", required=True, metavar="NAME|PATH",
                        help="workload: a built-in name (see `accelsim list workloads`), a workload YAML, an ONNX model or a SCALE-Sim topology CSV")
    parser.add_argument("--batch", type=batch_size, metavar="N",
                        help="batch size in samples, at most 10^7 (default: the workload's own)")
    parser.add_argument("--precision", type=precision_list if many_archs else precision_name,
                        metavar="NAME[,NAME...]" if many_archs else "NAME",
                        help="operand precision, e.g. int8, bf16, fp16, fp8_e4m3 (or fp8), lns16 (default: the arch's "
                             "default_precision)" + ("; a comma-separated list compares the arch built for each"
                                                     if many_archs else ""))
    parser.add_argument("--set", action="append", default=[], metavar="FIELD.PATH=VALUE", dest="overrides",
                        help="override an arch field, e.g. matrix_unit.clock_mhz=1050 or memories.unified_buffer.size_kib=8192 "
                             "(units as in the field name); repeatable")
    parser.add_argument("--allow-unsupported", action="store_true",
                        help="ONNX models: cost operators accelsim does not know as generic vector work (one element op "
                             "per output element) and warn, instead of failing")
    parser.add_argument("--setting", action="append", default=[], metavar="NAME=VALUE",
                        help="size parameter of a built-in workload, e.g. seq_len=384 (see `accelsim list workloads`); repeatable")


def add_output_options(parser: argparse.ArgumentParser, formats=("table", "json", "csv")) -> None:
    parser.add_argument("--format", choices=formats, default=formats[0], help="output format (default: %(default)s)")
    parser.add_argument("-o", "--output", metavar="FILE", help="write the report to FILE (atomically) instead of standard output")


OUTPUT_OPTIONS = {"output": "--output", "html": "--html", "trace": "--trace", "plot": "--plot"}
PLOT_SUFFIXES = (".png", ".svg")


def check_output_paths(args) -> None:
    """Refuse, before anything runs, an output path that cannot be written: a folder, a path under a
    file, or a plot that is not .png/.svg (a long run should not end in a path error)."""
    from pathlib import Path

    from ..atomic import check_writable
    from ..errors import AccelsimError

    for attr, flag in OUTPUT_OPTIONS.items():
        value = getattr(args, attr, None)
        if not isinstance(value, str) or not value:
            continue
        check_writable(value, flag)
        if attr == "plot" and Path(value).suffix.lower() not in PLOT_SUFFIXES:
            raise AccelsimError(f"expected a .png or .svg file, got {value!r}", field=flag)


def emit(text: str, output: str | None) -> None:
    """Print ``text`` or write it atomically to ``output``."""
    import sys

    if output:
        from ..atomic import write_atomic

        write_atomic(output, text)
    else:
        sys.stdout.write(text)
