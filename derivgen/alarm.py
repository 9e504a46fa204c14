"""A time limit on a block of code, by a real-time alarm: a problem's derivation in a batch,
a student's answer while it is graded."""

from __future__ import annotations

import signal
import threading
import time
from contextlib import contextmanager


@contextmanager
def time_limit(seconds: float | None, expired: type[BaseException]):
    """Raise ``expired()`` in the block after ``seconds`` (none: no limit).

    Signals reach only the main thread: elsewhere (a web server's worker thread) the block
    runs unlimited.  A caller's own alarm (a batch's per-problem limit around a grader's)
    keeps running, and fires no later than it would have.
    """
    usable = hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread()
    if not seconds or not usable:
        yield
        return

    def expire(signum, frame):
        raise expired()

    outer = signal.getitimer(signal.ITIMER_REAL)[0]
    started = time.monotonic()
    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, min(seconds, outer) if outer else seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
        if outer:
            left = outer - (time.monotonic() - started)
            signal.setitimer(signal.ITIMER_REAL, max(left, 0.001))
