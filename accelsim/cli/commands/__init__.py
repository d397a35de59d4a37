"""Subcommands, discovered by module name.

Each module defines ``NAME`` (the subcommand), ``HELP`` (one line), ``add_arguments(parser)`` and
``run(args) -> int``. Keep module top levels light: import heavy modules inside ``run``.
"""
