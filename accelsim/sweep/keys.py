"""Stable identities: canonical JSON, content hashes of input files and of the simulator's code.

A point's key is the sha256 of the canonical JSON of its full configuration, so the same
configuration gets the same key on any machine, in any process and in any order of sweeping.
"""
from __future__ import annotations

import functools
import hashlib
import json
from pathlib import Path

#: Folders of the accelsim package that do not affect simulation results (left out of the code hash).
_CODE_HASH_EXCLUDED = ("sweep", "cli")
_CODE_SUFFIXES = (".py", ".pyx", ".so", ".pyd")


def canonical_json(value) -> str:
    """JSON with sorted keys, no whitespace, full-precision floats; NaN and infinities are refused."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), allow_nan=False, ensure_ascii=True)


def sha256_text(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def config_hash(config: dict) -> str:
    """The key of one point: sha256 (hex) of its canonical JSON configuration."""
    return sha256_text(canonical_json(config))


def file_sha256(path: str | Path) -> str:
    """sha256 (hex) of a file's bytes."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


@functools.lru_cache(maxsize=1)
def code_sha256() -> str:
    """sha256 over the accelsim sources and compiled kernels that can change a result.

    Computed once per process. Stored beside every finished point so that a sweep resumed after
    the simulator changed can say which points came from other code (see ``--recompute-stale``).
    """
    root = Path(__file__).resolve().parent.parent
    digest = hashlib.sha256()
    files = sorted(p for p in root.rglob("*") if p.suffix in _CODE_SUFFIXES and p.is_file()
                   and p.relative_to(root).parts[0] not in _CODE_HASH_EXCLUDED
                   and "__pycache__" not in p.parts)
    for path in files:
        digest.update(str(path.relative_to(root)).encode("utf-8") + b"\0")
        digest.update(file_sha256(path).encode("ascii"))
    return digest.hexdigest()
