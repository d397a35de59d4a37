"""Rows of a measurement CSV, each with its file and line, after checking the header."""
from __future__ import annotations

import csv
from collections.abc import Iterator, Sequence
from pathlib import Path

from ..errors import AccelsimError, Location


def located_rows(path: str | Path, required: Sequence[str]) -> Iterator[tuple[Location, dict]]:
    """Yield ``(location, row)`` for each data row of ``path``; an unreadable file or a missing
    required column is an AccelsimError naming the file (and line 1 for the header)."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise AccelsimError(f"cannot read file: {exc.strerror or exc}", Location(str(path))) from None
    except UnicodeDecodeError as exc:  # binary or another encoding: a bad input, not a crash
        raise AccelsimError(f"not UTF-8 text (byte {exc.start})", Location(str(path))) from None
    reader = csv.DictReader(text.splitlines())
    missing = [c for c in required if c not in (reader.fieldnames or ())]
    if missing:
        raise AccelsimError(f"missing column(s) {', '.join(missing)}", Location(str(path), 1), field=missing[0])
    for index, row in enumerate(reader, start=2):
        yield Location(str(path), index), row
