"""The output folder of a build: checked before any work, owned by one build at a time.

Two builds into one folder at once would interleave their PDFs, ``.tex`` files and cache
records.  So a build holds an exclusive ``flock`` on ``DIR/.lock`` from before it reads the
cache until its outputs are in place; a second build waits for it (and says so).  The lock
dies with its process, however that ends, so a killed build never leaves the folder locked.
Under the lock, scratch folders that a killed build left behind are removed.

    >>> with output_folder("build", on_wait=print) as out:        # doctest: +SKIP
    ...     ...                                                    # build into out

Standard library only: the no-change rebuild takes the lock before it loads SymPy.
"""

from __future__ import annotations

import errno
import fcntl
import os
import shutil
from contextlib import contextmanager
from pathlib import Path

from derivgen.problem.load import PathError

LOCK_NAME = ".lock"
#: Scratch folders derivgen makes inside an output folder: the staging folder of a build,
#: and (from older versions) one per compiled document.
SCRATCH_PREFIXES = (".stage-", ".worksheet-", ".solutions-", ".answers-")


def check_output_folder(name) -> Path:
    """The output folder, created if missing; PathError (a usage error) if it cannot be one."""
    text = str(name)
    if not text.strip():
        raise PathError("-o needs a folder name (it was empty)")
    path = Path(text)
    if path.exists() and not path.is_dir():
        raise PathError(f"-o {text}: not a folder (a file of that name exists); "
                        "name a folder")
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise PathError(f"cannot create the output folder {text}: "
                        f"{_reason(exc)}") from None
    if not os.access(path, os.W_OK | os.X_OK):
        raise PathError(f"cannot write into the output folder {text}: permission denied")
    return path


@contextmanager
def output_folder(name, on_wait=None):
    """Check, create and lock the output folder for one build; yields its path.

    ``on_wait(message)`` is called once if another build holds the folder; this one then
    waits for it (Ctrl-C stops the wait).
    """
    path = check_output_folder(name)
    try:
        fd = os.open(path / LOCK_NAME, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
    except OSError as exc:
        raise PathError(f"cannot write into the output folder {name}: {_reason(exc)}") from None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            if on_wait is not None:
                on_wait(f"waiting for another derivgen build into {name} to finish")
            fcntl.flock(fd, fcntl.LOCK_EX)
        remove_scratch(path)
        yield path
    finally:
        os.close(fd)        # releases the lock


def remove_scratch(path: Path) -> None:
    """Remove scratch folders a killed build left (only ever called under the lock)."""
    try:
        entries = list(os.scandir(path))
    except OSError:
        return
    for entry in entries:
        if entry.name.startswith(SCRATCH_PREFIXES) and entry.is_dir(follow_symlinks=False):
            shutil.rmtree(entry.path, ignore_errors=True)


def _reason(exc: OSError) -> str:
    if exc.errno == errno.ENOTDIR:
        return "a part of the path is a file, not a folder"
    return exc.strerror or str(exc)
