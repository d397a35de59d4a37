"""Shared fixtures. Tests run against the source checkout (compiled kernels built in place by
``pip install``/``setup.py build_ext --inplace``) or an installed package alike."""
from __future__ import annotations

import pytest


@pytest.fixture
def cli(capsys):
    """Run the CLI in-process: returns (exit status, stdout, stderr)."""
    from accelsim.cli.main import main

    def run(*argv):
        status = main(list(argv))
        out = capsys.readouterr()
        return status, out.out, out.err

    return run


@pytest.fixture(autouse=True)
def _restore_sys_path():
    """Benchmarks loaded by tests may prepend the checkout to sys.path so they run uninstalled; keep
    that from leaking into later tests (whose worker processes must import the accelsim under test)."""
    import sys

    saved = list(sys.path)
    yield
    sys.path[:] = saved
