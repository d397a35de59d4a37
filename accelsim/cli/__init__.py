"""Command-line interface. Each subcommand is a module in :mod:`accelsim.cli.commands`."""
