"""``accelsim`` entry point: builds the parser from the command modules and maps errors to exit codes.

Exit status: 0 success, 2 bad input (a message naming file, line, column and field), 1 internal
error (a short message; ``--debug`` shows the traceback), 130 interrupted (Ctrl-C), 143 terminated
(SIGTERM). Both stop the command the same way: outputs being written are left as they were (no
half-written file, no temporary file), a sweep keeps every finished point and stops its workers.
"""
from __future__ import annotations

import argparse
import contextlib
import importlib
import pkgutil
import re
import signal
import sys
import warnings

from .. import __version__
from ..errors import AccelsimError, did_you_mean
from . import commands as _commands_pkg
from .common import check_output_paths

ISSUES_URL = "the accelsim issue tracker"


def _printable(text: str) -> str:
    """Control characters that came from the input (CR, ESC, ...) shown escaped, never sent raw to
    the terminal; line breaks the message itself uses are kept."""
    return "\n".join("".join(c if c.isprintable() else c.encode("unicode_escape").decode("ascii") for c in line)
                     for line in text.split("\n"))


def _show_warning(message, category, filename, lineno, file=None, line=None) -> None:
    """Warnings as one ``accelsim: warning:`` line, without the Python file and source line."""
    print(f"accelsim: warning: {_printable(str(message))}", file=sys.stderr)


def _command_modules():
    names = sorted(m.name for m in pkgutil.iter_modules(_commands_pkg.__path__) if not m.name.startswith("_"))
    return [importlib.import_module(f"{_commands_pkg.__name__}.{name}") for name in names]


class Terminated(KeyboardInterrupt):
    """SIGTERM (``kill``, a batch scheduler, a container stop), raised where Ctrl-C would be."""


def _raise_terminated(signum, frame):
    raise Terminated


@contextlib.contextmanager
def _sigterm_as_interrupt():
    """While a command runs, SIGTERM unwinds it as Ctrl-C does instead of ending the process on the spot."""
    try:
        previous = signal.signal(signal.SIGTERM, _raise_terminated)
    except ValueError:  # not the main thread: signals are not ours to handle
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


class _Parser(argparse.ArgumentParser):
    """An ArgumentParser whose usage errors exit with status 2 and a one-line message (the usage
    block stays behind --help), with a did-you-mean for a misspelled choice."""

    def error(self, message):  # argparse API
        match = re.search(r"invalid choice: '([^']*)' \(choose from (.*)\)$", message)
        if match:
            choices = [c.strip().strip("'") for c in match.group(2).split(",")]
            message += did_you_mean(match.group(1), choices)
        self.exit(2, f"{self.prog}: error: {message}; '{self.prog} --help' lists the options\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="accelsim",
        description="Cycle-level simulator of deep-learning accelerators. "
        "Describe an accelerator in YAML, pick a workload, read cycles, time, energy and utilization.",
    )
    parser.add_argument("--version", action="version", version=f"accelsim {__version__}")
    parser.add_argument("--debug", action="store_true", help="show the Python traceback of internal errors")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for module in _command_modules():
        cmd = sub.add_parser(module.NAME, help=module.HELP, description=getattr(module, "DESCRIPTION", module.HELP))
        cmd.add_argument("--debug", action="store_true", default=argparse.SUPPRESS, help="show the Python traceback of internal errors")
        module.add_arguments(cmd)
        cmd.set_defaults(_run=module.run)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the CLI with ``argv`` (default ``sys.argv[1:]``) and return the exit status."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse exits on --help and usage errors
        return int(exc.code or 0) if isinstance(exc.code, int) else 2
    if not getattr(args, "command", None):
        parser.print_help()
        return 2
    try:
        with warnings.catch_warnings(), _sigterm_as_interrupt():  # restores the usual warning display afterwards
            if not getattr(args, "debug", False):
                warnings.showwarning = _show_warning
            check_output_paths(args)
            return int(args._run(args) or 0)
    except AccelsimError as exc:
        print(f"accelsim: error: {_printable(str(exc))}", file=sys.stderr)
        return exc.exit_status
    except Terminated:
        print("accelsim: terminated", file=sys.stderr)
        return 143
    except KeyboardInterrupt:
        print("accelsim: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0
    except Exception as exc:  # an internal error: a bug, not the user's fault
        if getattr(args, "debug", False):
            raise
        print(
            f"accelsim: internal error: {type(exc).__name__}: {_printable(str(exc))}\n"
            f"This is a bug in accelsim; please report it to {ISSUES_URL} with the command you ran. "
            "Re-run with --debug for the traceback.",
            file=sys.stderr,
        )
        return 1


def console_entry() -> None:
    sys.exit(main())
