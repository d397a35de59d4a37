"""Choosing between the compiled kernels and their numpy twins."""
from __future__ import annotations

from functools import lru_cache
from types import ModuleType

from ..errors import AccelsimError

BACKENDS = ("auto", "native", "python")


@lru_cache(maxsize=1)
def native_kernels() -> ModuleType | None:
    """The compiled kernel module, or None when it has not been built."""
    try:
        from .._native import numerics
    except ImportError:
        return None
    return numerics


def kernels(backend: str = "auto") -> ModuleType:
    """Kernel module for ``backend``: "native" (compiled; an error if not built), "python" (the
    numpy twins) or "auto" (compiled when available)."""
    if backend not in BACKENDS:
        raise AccelsimError(f"unknown numerics backend '{backend}'; known: {', '.join(BACKENDS)}")
    if backend == "python":
        from . import twin

        return twin
    native = native_kernels()
    if native is not None:
        return native
    if backend == "native":
        raise AccelsimError(
            "the compiled numerics kernels are not built; run "
            "'ACCELSIM_EXT=numerics python setup.py build_ext --inplace' or use backend 'python'"
        )
    from . import twin

    return twin
