"""Atomic file output: write to a temporary file in the same folder, then rename over the target.

A failure at any point (a full disk, Ctrl-C, SIGTERM, an exception) leaves the old file untouched
and no temporary file behind; SIGKILL or a power cut can leave a hidden ``.NAME.*.tmp`` beside it,
never a half-written target. Problems the user can fix (the path is a folder, a parent is a file, no
permission, no space) are :class:`AccelsimError`; anything else is re-raised after cleaning up.
"""
from __future__ import annotations

import os
import tempfile
from pathlib import Path

from .errors import AccelsimError, Location


def _cannot_write(path: Path, exc: OSError) -> AccelsimError:
    reason = exc.strerror or str(exc)
    if isinstance(exc, (FileExistsError, NotADirectoryError)):
        reason = "a parent of this path is a file, not a folder"
    return AccelsimError(f"cannot write output: {reason}", Location(str(path)))


def _file_mode(path: Path) -> int:
    """The mode the output gets: the old file's, else 0666 less the umask (as ``open`` would)."""
    try:
        return path.stat().st_mode & 0o7777
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


def _fsync_folder(folder: Path) -> None:
    """Flush the folder's entry for the renamed file, so a machine crash right after a write keeps the
    new file (best effort: some file systems cannot fsync a folder)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def check_writable(path: str | Path, field: str | None = None) -> None:
    """Refuse a path no file can be written to: a folder, or a path under a file (what a user can
    fix; the CLI checks its output paths with this before a run, and every write checks again)."""
    path = Path(path)
    if path.is_dir():
        raise AccelsimError("cannot write output: this is a folder; give a file name", Location(str(path)), field)
    parent = next((p for p in path.parents if p.exists()), None)
    if parent is not None and not parent.is_dir():
        raise AccelsimError(f"cannot write output: {parent} is a file, not a folder", Location(str(path)), field)


def write_atomic(path: str | Path, data: str | bytes) -> None:
    """Write ``data`` to ``path`` so that readers see either the old file or the whole new one."""
    path = Path(path)
    payload = data.encode("utf-8") if isinstance(data, str) else data
    folder = path.parent if str(path.parent) else Path(".")
    check_writable(path)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=folder)
    except OSError as exc:
        raise _cannot_write(path, exc) from None
    try:
        os.chmod(tmp, _file_mode(path))  # mkstemp makes 0600; outputs get the usual permissions
        with os.fdopen(fd, "wb") as handle:
            handle.write(payload)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException as exc:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        if isinstance(exc, OSError):
            raise _cannot_write(path, exc) from None
        raise
    _fsync_folder(folder)
