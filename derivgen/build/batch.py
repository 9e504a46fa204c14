"""Deriving many problem files, in worker processes when there are enough of them.

A job turns one file into an ``Outcome``: its value (a derivation, or its rendered LaTeX)
or the error to report, never an exception, so that one broken problem does not stop the
batch and a worker sends back only picklable data.  Outcomes come back in the order of the
files, whatever the number of workers.

    >>> outcomes = run(render_file, files, jobs=2)               # doctest: +SKIP
    >>> [o.ok for o in outcomes]                                 # doctest: +SKIP
    [True, True, False]
"""

from __future__ import annotations

import ctypes
import multiprocessing
import os
import re
import resource
import signal
import time
import traceback
from contextlib import contextmanager
from dataclasses import dataclass, replace
from multiprocessing import connection
from pathlib import Path
from typing import Callable

from derivgen.alarm import time_limit
from derivgen.errors import DerivgenError
from derivgen.build.report import internal_error

#: Fewer files than this are derived in this process: forking workers and sending the
#: results back costs more than it saves on a few problems (see bench/run.py).
PARALLEL_MIN = 6
#: Seconds one problem may take to load, derive, verify and render (``--timeout``): a
#: homework problem takes about one.
DEFAULT_TIMEOUT = 60
#: Bytes of memory one problem may add to its process.
MEMORY_LIMIT = 3 * 2**30
#: A worker still busy this many seconds after its problem's time ran out is killed.
KILL_GRACE = 5
PR_SET_PDEATHSIG = 1    # linux/prctl.h
STOPPING = {signal.SIGINT, signal.SIGTERM, signal.SIGHUP}


@dataclass
class Outcome:
    """What became of one file: ``value``, or ``error`` (and, for a bug, ``trace``)."""

    path: Path
    value: object = None
    error: DerivgenError | None = None
    trace: str | None = None     # the traceback of an internal error, for DERIVGEN_DEBUG

    @property
    def ok(self) -> bool:
        return self.error is None


def check_file(path) -> Outcome:
    """Load and derive one file; nothing to send back but success or the error."""
    return _guarded(path, lambda problem, derivation: None)


def render_file(path, detail: str | None = None) -> Outcome:
    """Load, derive and render one file; its ``RenderedProblem`` (plain strings, picklable).
    ``detail`` (``compact``/``full``) overrides the problem's own ``detail:``."""
    def render(problem, derivation):
        from derivgen.render.documents import render_problem
        if detail:
            derivation = replace(derivation, problem=replace(derivation.problem, detail=detail))
        return render_problem(derivation)
    return _guarded(path, render)


def _guarded(path, finish) -> Outcome:
    from derivgen.problem.load import load_problem
    path = Path(path)
    problem = None
    try:
        problem = load_problem(path)
        # Text LaTeX could not typeset is the problem's error, for every command alike.
        from derivgen.render.prose import check_problem_text
        check_problem_text(problem)
        from derivgen.pipeline import solve
        return Outcome(path, finish(problem, solve(problem)))
    except DerivgenError as exc:
        if problem is not None and exc.line is None:
            # The engine did not know the line: the function is the likeliest culprit.
            exc.located(line=problem.line_of("function"))
        return Outcome(path, error=exc.located(file=str(path)))
    except (OverflowError, MemoryError, RecursionError) as exc:
        return Outcome(path, error=too_big(exc, path, problem))
    except Exception as exc:  # noqa: BLE001 -- one problem's bug must not stop the batch
        return Outcome(path, error=internal_error(exc, path), trace=traceback.format_exc())


_TOO_BIG = {
    OverflowError: "the numbers overflow when the function is evaluated on random instances "
                   "(an exponent or a constant too large?): use smaller ones",
    MemoryError: "the problem needs more memory than a problem may use: use smaller numeric "
                 "dimensions (or names such as n) and a simpler function",
    RecursionError: "the function is nested too deeply to derive: write it with fewer "
                    "levels of parentheses",
}
_KEY_AT_FAULT = {OverflowError: "function", MemoryError: "variables", RecursionError: "function"}


def too_big(exc: BaseException, path, problem=None) -> DerivgenError:
    """Too big a problem, not a bug: huge exponents or constants, shapes, nesting."""
    kind = next(k for k in _TOO_BIG if isinstance(exc, k))
    line = problem.line_of(_KEY_AT_FAULT[kind]) if problem is not None else None
    return DerivgenError(_TOO_BIG[kind], file=str(path), line=line or _line_of(path, "function"))


def default_jobs() -> int:
    """One worker per CPU this process may use.

    Not fewer when other programs look busy: an instant's count of running processes counts
    NumPy's idle threads and this build's own helpers, and turned an idle machine serial.
    """
    return usable_cpus()


def usable_cpus() -> int:
    """The CPUs this process may run on: its affinity, and a container's CPU quota."""
    try:
        cpus = len(os.sched_getaffinity(0))
    except AttributeError:          # not on Linux
        cpus = os.cpu_count() or 1
    try:  # cgroup v2: "max 100000" (no quota) or "200000 100000" (2 CPUs' worth)
        quota, period = Path("/sys/fs/cgroup/cpu.max").read_text().split()[:2]
        if quota != "max":
            cpus = min(cpus, max(1, -(-int(quota) // int(period))))
    except (OSError, ValueError):
        pass
    return max(1, cpus)


def run(job: Callable[[Path], Outcome], paths, *, jobs: int | None = None,
        done: Callable[[Outcome], None] | None = None,
        timeout: float | None = DEFAULT_TIMEOUT) -> list[Outcome]:
    """``job`` on every path, in order; ``done`` is called with each outcome as it is known.

    ``jobs``: number of worker processes (None: one per CPU, and only for PARALLEL_MIN
    files or more; 1: in this process; never more than the CPUs).  Workers are forked once
    the first file is done here, so they start with SymPy loaded and warm.  Each file may
    take ``timeout`` seconds and MEMORY_LIMIT more bytes; past them its outcome is an error.
    """
    paths = list(paths)
    if jobs is None:
        jobs = default_jobs() if len(paths) >= PARALLEL_MIN else 1
    # More workers than CPUs only add memory and switching; -j 64 on 2 CPUs means 2.
    jobs = min(jobs, usable_cpus(), len(paths) - 1) if _can_fork() else 1
    outcomes: list[Outcome] = []

    def finish(outcome: Outcome):
        outcomes.append(outcome)
        if done:
            done(outcome)

    # The first file in this process: it also warms up what every worker would otherwise
    # build again (the LaTeX grammar's tables, NumPy and the verifier, SymPy's caches).
    for path in paths[:1] if jobs > 1 else paths:
        finish(limited(job, path, timeout))
    if jobs > 1:
        run_in_workers(job, paths[1:], jobs, finish, timeout)
    return outcomes


# --- limits ------------------------------------------------------------------------------

class ProblemTimeout(BaseException):
    """Raised in a job when its time is up; a BaseException, so no ``except Exception``
    inside SymPy or derivgen swallows it."""


def limited(job: Callable[[Path], Outcome], path, timeout: float | None) -> Outcome:
    """``job(path)`` with at most ``timeout`` seconds and MEMORY_LIMIT more bytes."""
    try:
        with limits(timeout):
            return job(path)
    except ProblemTimeout:
        return timed_out(path, timeout)


@contextmanager
def limits(timeout: float | None):
    """At most ``timeout`` seconds (then ProblemTimeout) and MEMORY_LIMIT more bytes (then
    MemoryError) for what runs inside."""
    with time_limit(timeout, ProblemTimeout), _memory_limit(MEMORY_LIMIT):
        yield


def timed_out(path, timeout: float) -> Outcome:
    """The outcome of a file whose time ran out: an error at the line of its function.
    (``path`` may be a work item with a ``path``, such as a variant.)"""
    path = getattr(path, "path", path)
    return Outcome(Path(path), error=DerivgenError(
        f"deriving and checking this problem took longer than {timeout:g} s, the limit: "
        "simplify the function, or raise the limit with --timeout", file=str(path),
        line=_line_of(path, "function")))


def _line_of(path, key: str) -> int:
    from derivgen.problem.load import load_problem
    try:
        return load_problem(path).line_of(key) or 1
    except DerivgenError:
        return 1


@contextmanager
def _memory_limit(extra: int):
    """Let the process's data (its heap, NumPy's arrays) grow by ``extra`` bytes at most:
    past that an allocation fails with MemoryError (reported at the problem) instead of the
    machine swapping or the kernel killing the build.  RLIMIT_DATA rather than RLIMIT_AS:
    address space that threads and libraries only reserve does not count."""
    try:
        status = Path("/proc/self/status").read_text()
        used = int(re.search(r"^VmData:\s+(\d+) kB", status, re.M).group(1)) * 1024
        soft, hard = resource.getrlimit(resource.RLIMIT_DATA)
    except (OSError, ValueError, AttributeError):
        yield               # not Linux: no limit
        return
    limit = used + extra
    if hard != resource.RLIM_INFINITY:
        limit = min(limit, hard)
    if soft != resource.RLIM_INFINITY:
        limit = min(limit, soft)
    resource.setrlimit(resource.RLIMIT_DATA, (limit, hard))
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_DATA, (soft, hard))


# --- worker processes --------------------------------------------------------------------

class _Worker:
    """A forked process that runs jobs sent over a pipe, one at a time."""

    def __init__(self, job, timeout):
        context = multiprocessing.get_context("fork")
        self.conn, child = context.Pipe()
        self.process = context.Process(target=_serve, args=(child, job, timeout, os.getpid()),
                                       daemon=True)
        # No interrupt in the middle of a fork (it would land in an at-fork hook and be
        # lost); one that comes meanwhile takes effect right after.
        blocked = signal.pthread_sigmask(signal.SIG_BLOCK, STOPPING)
        try:
            self.process.start()
        finally:
            signal.pthread_sigmask(signal.SIG_SETMASK, blocked)
        child.close()
        self.task = None            # (index, path) being worked on
        self.deadline = None

    def give(self, index: int, path, timeout: float | None):
        self.conn.send(path)
        self.task = (index, path)
        # The worker stops itself at the timeout; past this, it is stuck where no signal
        # reaches Python (a long NumPy call) and is killed.
        self.deadline = None if not timeout else time.monotonic() + timeout + KILL_GRACE

    def stop(self):
        self.process.kill()
        self.process.join()
        self.conn.close()


def run_in_workers(job, paths, jobs: int, finish, timeout: float | None):
    """``job`` on ``paths`` in ``jobs`` workers; ``finish`` gets the outcomes in order."""
    tasks = list(enumerate(paths))
    tasks.reverse()                 # popped from the end: in order
    results: dict[int, Outcome] = {}
    delivered = 0
    workers: list[_Worker] = []
    try:
        workers = [_Worker(job, timeout) for _ in range(min(jobs, len(paths)))]
        for worker in workers:
            if tasks:
                worker.give(*tasks.pop(), timeout)
        while delivered < len(paths):
            busy = [worker for worker in workers if worker.task is not None]
            deadlines = [worker.deadline for worker in busy if worker.deadline is not None]
            wait = max(0.0, min(deadlines) - time.monotonic()) if deadlines else None
            ready = connection.wait([worker.conn for worker in busy], timeout=wait)
            for slot, worker in enumerate(workers):
                if worker.task is None:
                    continue
                index, path = worker.task
                if worker.conn in ready:
                    try:
                        results[index] = worker.conn.recv()
                        worker.task = None
                    except (EOFError, OSError):     # killed (out of memory?): again, here
                        worker.stop()
                        results[index] = limited(job, path, timeout)
                        workers[slot] = worker = _Worker(job, timeout)
                elif worker.deadline is not None and time.monotonic() > worker.deadline:
                    worker.stop()
                    results[index] = timed_out(path, timeout)
                    workers[slot] = worker = _Worker(job, timeout)
                else:
                    continue
                if tasks:
                    worker.give(*tasks.pop(), timeout)
            while delivered in results:
                finish(results.pop(delivered))
                delivered += 1
    finally:
        # Also on Ctrl-C: no worker outlives the batch.  (Should this process die before
        # it gets here, the kernel kills them: see _serve.)
        for worker in workers:
            worker.stop()


def _serve(conn, job, timeout: float | None, parent: int):
    """A worker's life: jobs in, outcomes out, until the pipe closes."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)   # Ctrl-C is the parent's to handle
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGHUP, signal.SIG_DFL)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, STOPPING)
    _die_with_parent(parent)
    while True:
        try:
            path = conn.recv()
        except (EOFError, OSError):
            break
        conn.send(limited(job, path, timeout))
    os._exit(0)         # no teardown of SymPy, no atexit handlers of the parent


def _die_with_parent(parent: int):
    """Ask Linux to kill this process when its parent dies, however the parent ends."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    except (OSError, AttributeError):   # not Linux
        pass
    if os.getppid() != parent:          # the parent died before the request was made
        os._exit(1)


def _can_fork() -> bool:
    return "fork" in multiprocessing.get_all_start_methods()
