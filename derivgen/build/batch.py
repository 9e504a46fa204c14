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

import multiprocessing
import os
import traceback
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from derivgen.errors import DerivgenError
from derivgen.build.report import internal_error

#: Fewer files than this are derived in this process: forking workers and sending the
#: results back costs more than it saves on a few problems (see bench/run.py).
PARALLEL_MIN = 6


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


def derive_file(path) -> Outcome:
    """Load and derive one file; its Derivation, or the error located in the file."""
    return _guarded(path, lambda problem, derivation: derivation)


def check_file(path) -> Outcome:
    """Load and derive one file; nothing to send back but success or the error."""
    return _guarded(path, lambda problem, derivation: None)


def render_file(path) -> Outcome:
    """Load, derive and render one file; its ``RenderedProblem`` (plain strings, picklable)."""
    def render(problem, derivation):
        from derivgen.render.documents import render_problem
        return render_problem(derivation)
    return _guarded(path, render)


def _guarded(path, finish) -> Outcome:
    from derivgen.problem.load import load_problem
    path = Path(path)
    problem = None
    try:
        problem = load_problem(path)
        from derivgen.pipeline import solve
        return Outcome(path, finish(problem, solve(problem)))
    except DerivgenError as exc:
        if problem is not None and exc.line is None:
            # The engine did not know the line: the function is the likeliest culprit.
            exc.located(line=problem.line_of("function"))
        return Outcome(path, error=exc.located(file=str(path)))
    except (OverflowError, MemoryError, RecursionError) as exc:
        # Too big a problem, not a bug: huge exponents or constants, shapes, nesting.
        line = problem.line_of(_KEY_AT_FAULT[type(exc)]) if problem is not None else 1
        return Outcome(path, error=DerivgenError(_TOO_BIG[type(exc)], file=str(path), line=line))
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
        done: Callable[[Outcome], None] | None = None) -> list[Outcome]:
    """``job`` on every path, in order; ``done`` is called with each outcome as it is known.

    ``jobs``: number of worker processes (None: one per CPU, and only for PARALLEL_MIN
    files or more; 1: in this process; never more than the CPUs).  Workers are forked once the first file is done here, so
    they start with SymPy loaded and warm.
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
        finish(job(path))
    if jobs > 1:
        try:
            with ProcessPoolExecutor(max_workers=jobs,
                                     mp_context=multiprocessing.get_context("fork")) as pool:
                for outcome in pool.map(job, paths[1:]):
                    finish(outcome)
        except BrokenProcessPool:   # a worker was killed (out of memory?): go on in here
            for path in paths[len(outcomes):]:
                finish(job(path))
    return outcomes


def _can_fork() -> bool:
    return "fork" in multiprocessing.get_all_start_methods()
