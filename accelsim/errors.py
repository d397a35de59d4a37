"""User-facing errors. Every one carries where the problem is and what would be accepted.

The CLI prints ``str(error)`` and exits with status 2; it never shows a traceback for these.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Location:
    """A place in an input file (1-based line and column); any part may be unknown."""

    file: str | None = None
    line: int | None = None
    column: int | None = None

    def __str__(self) -> str:
        parts = [self.file or "<input>"]
        if self.line is not None:
            parts.append(str(self.line))
            if self.column is not None:
                parts.append(str(self.column))
        return ":".join(parts)


class AccelsimError(Exception):
    """Bad input a user can fix. Rendered as ``file:line:col: field.path: message``."""

    exit_status = 2

    def __init__(self, message: str, location: Location | None = None, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.location = location
        self.field = field

    def __str__(self) -> str:
        prefix = ""
        if self.location is not None:
            prefix = f"{self.location}: "
        if self.field:
            prefix += f"{self.field}: "
        return prefix + self.message


def with_context(exc: AccelsimError, context: str) -> AccelsimError:
    """``exc`` again, of the same kind, with `` (in CONTEXT)`` after its message (which of several
    inputs it came from)."""
    return type(exc)(f"{exc.message} (in {context})", exc.location, exc.field)


class SpecError(AccelsimError):
    """Invalid architecture, system or sweep specification."""


class WorkloadError(AccelsimError):
    """Invalid workload description or an operator the lowering cannot handle."""


class ResourceLimitError(AccelsimError):
    """A request that would need absurd memory or time; rejected before any work starts."""


def did_you_mean(name: str, choices) -> str:
    """A ' (did you mean X?)' suffix for the closest choice, or ''."""
    import difflib

    close = difflib.get_close_matches(name, sorted(choices), n=1, cutoff=0.6)
    return f" (did you mean '{close[0]}'?)" if close else ""
