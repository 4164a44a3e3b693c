"""Files written whole or not at all: a crash, a kill or a full disk never leaves half a file.

Every file the workbench writes (exports, rejected rows, vector index files) goes to a
temporary name in the same folder, is flushed to disk, then renamed over the target in one
step (``os.replace`` is atomic on POSIX and Windows). A failure removes the temporary file
and says in plain words what happened: "disk full" rather than ``OSError: [Errno 28]``.
"""

from __future__ import annotations

import errno
import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from workbench.errors import WorkbenchError

TMP_SUFFIX = ".tmp"
# Temporary files older than this are leftovers of a killed writer, never work in progress.
STALE_TMP_S = 3600
_FULL = {errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC)}


class DiskFull(WorkbenchError):
    """The disk (or the user's quota) had no room left for a file."""


def is_disk_full(exc: BaseException) -> bool:
    return isinstance(exc, OSError) and exc.errno in _FULL


def write_error(exc: OSError, path: Path) -> WorkbenchError:
    """The error a user reads when ``path`` could not be written."""
    if is_disk_full(exc):
        return DiskFull(f"Disk full: there was no room left to write {path.name} in {path.parent}. "
                        "Nothing was written; free some space and try again.")  # fmt: skip
    reason = exc.strerror or exc.__class__.__name__
    return WorkbenchError(f"Could not write {path.name} in {path.parent}: {reason}. Nothing was written.")


def temporary_name(path: Path) -> Path:
    # Unique per process and thread: two writers of the same file never share a temp file.
    return path.with_name(f".{path.name}.{os.getpid()}-{threading.get_ident()}{TMP_SUFFIX}")


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@contextmanager
def atomic_target(path: Path) -> Iterator[Path]:
    """A temporary path to write; renamed over ``path`` when the block ends without error.

    For writers that want a file name (FAISS, openpyxl). On any error the temporary file is
    removed and ``path`` is left as it was.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = temporary_name(path)
    try:
        yield tmp
        _fsync(tmp)  # the bytes are on disk before the name points at them
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


@contextmanager
def staged_write(path: Path | None, data: bytes) -> Iterator[None]:
    """Write ``data`` to ``path`` whole or not at all, around the block (e.g. an audit commit).

    The bytes reach the disk under a temporary name first; the block runs; only then does the
    file appear under its name. A full disk (DiskFull) or an error in the block leaves no
    file, so an export is never recorded without its file, nor written without its record.
    ``path`` None: only the block runs.
    """
    if path is None:
        yield
        return
    tmp = temporary_name(path)
    try:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            with open(tmp, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
        except OSError as exc:
            raise write_error(exc, path) from exc
        yield
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def write_atomically(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` whole or not at all; DiskFull / WorkbenchError on failure."""
    with staged_write(path, data):
        pass


def remove_stale_temporaries(folder: Path, *, older_than_s: float = STALE_TMP_S) -> int:
    """Delete temporary files a killed writer left in ``folder``; the number removed."""
    removed = 0
    cutoff = time.time() - older_than_s
    for tmp in folder.glob(f".*{TMP_SUFFIX}") if folder.is_dir() else ():
        try:
            if tmp.stat().st_mtime < cutoff:
                tmp.unlink()
                removed += 1
        except OSError:  # another process removed or renamed it first
            continue
    return removed
