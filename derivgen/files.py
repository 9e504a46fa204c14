"""Files every stage may write: the user's cache folder, and atomic writes into it.

    >>> user_cache_dir()                                         # doctest: +SKIP
    PosixPath('/home/me/.cache/derivgen')

Standard library only: the no-change rebuild imports this before deciding to do nothing.
"""

from __future__ import annotations

import os
import signal
import tempfile
import threading
from contextlib import contextmanager
from pathlib import Path

#: Overrides where the shared cache lives (the tests point it at a temporary folder).
CACHE_ENV = "DERIVGEN_CACHE"


def user_cache_dir() -> Path | None:
    """``$DERIVGEN_CACHE``, else ``$XDG_CACHE_HOME/derivgen``, else ``~/.cache/derivgen``;
    None when there is no home to put it in (the caches are then simply not used)."""
    if os.environ.get(CACHE_ENV):
        return Path(os.environ[CACHE_ENV])
    if os.environ.get("XDG_CACHE_HOME"):
        return Path(os.environ["XDG_CACHE_HOME"]) / "derivgen"
    try:
        return Path.home() / ".cache" / "derivgen"
    except RuntimeError:
        return None


def write_atomically(path: Path, data: bytes | str) -> None:
    """Write ``data`` to a fresh temporary file beside ``path``, then rename it into place.

    Readers see the old file or the new one, never a part of either, even when several
    processes write the same path at once.  Raises OSError (and leaves no temporary file)
    when the folder cannot be written.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        # mkstemp makes the file private (0600); give it the mode any new file gets, so that a
        # web server or another user can read what derivgen wrote (an exported site, PDFs).
        os.fchmod(fd, 0o666 & ~_umask())
        with os.fdopen(fd, "wb") as out:
            out.write(data.encode("utf-8") if isinstance(data, str) else data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def replace_together(moves) -> None:
    """``os.replace(source, target)`` for each pair, with Ctrl-C and SIGTERM held back until
    all are done: a set of files that belong together (a build's PDFs and ``.tex``) is never
    left half old, half new by an interrupt.  A held-back signal takes effect right after.
    """
    with _interrupts_deferred():
        for source, target in moves:
            os.replace(source, target)


@contextmanager
def _interrupts_deferred():
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    caught: list[int] = []
    held = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
    previous = {sig: signal.signal(sig, lambda number, frame: caught.append(number))
                for sig in held}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler if handler is not None else signal.SIG_DFL)
        for sig in dict.fromkeys(caught):
            signal.raise_signal(sig)


def silence(stream) -> None:
    """Send the rest of ``stream``'s output to /dev/null: its reader has gone (``derivgen
    check | head``), and the work that is left should finish, not fail on a closed pipe."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, stream.fileno())
    finally:
        os.close(devnull)
