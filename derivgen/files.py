"""Files every stage may write: the user's cache folder, and atomic writes into it.

    >>> user_cache_dir()                                         # doctest: +SKIP
    PosixPath('/home/me/.cache/derivgen')

Standard library only: the no-change rebuild imports this before deciding to do nothing.
"""

from __future__ import annotations

import os
import tempfile
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
        with os.fdopen(fd, "wb") as out:
            out.write(data.encode("utf-8") if isinstance(data, str) else data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
