"""Counting and printing the outcome of a batch: one line per problem, a summary, an exit code.

    >>> report = Report(verb="built")
    >>> report.ok("problems/01.yaml")                       # doctest: +SKIP
    problems/01.yaml: ok
    >>> report.summary()                                    # doctest: +SKIP
    1 built, 0 failed
    >>> report.exit_code
    0
"""

from __future__ import annotations

import os
import sys
import traceback

from .errors import DerivgenError

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2


def debug_enabled() -> bool:
    """``DERIVGEN_DEBUG=1`` shows tracebacks of internal errors (for developers only)."""
    return os.environ.get("DERIVGEN_DEBUG", "") not in ("", "0")


class Report:
    """Success lines go to stdout (silenced by ``quiet``), failures always to stderr.

    Streams are looked up when printing, not when the report is made, so that a test's
    captured ``sys.stdout`` is the one written to.
    """

    def __init__(self, verb: str = "ok", quiet: bool = False):
        self.verb = verb
        self.quiet = quiet
        self.succeeded = 0
        self.failed = 0
        self.other_errors = 0     # failures that are not one problem's: a set.yaml, the PDFs

    def ok(self, path, note: str = "ok"):
        self.succeeded += 1
        if not self.quiet:
            print(f"{path}: {note}", file=sys.stdout)

    def fail(self, error: DerivgenError, path=None):
        """A problem that could not be done; ``path`` fills in a missing file name."""
        self.failed += 1
        print(error.located(file=None if path is None else str(path)).format(), file=sys.stderr)

    def fail_other(self, error: DerivgenError):
        self.other_errors += 1
        print(error.format(), file=sys.stderr)

    def internal(self, exc: BaseException, path) -> DerivgenError:
        """A bug, not the user's fault: reported like a failure, traceback only when debugging."""
        if debug_enabled():
            traceback.print_exception(exc, file=sys.stderr)
        error = internal_error(exc, path)
        self.fail(error)
        return error

    def info(self, text: str):
        if not self.quiet:
            print(text, file=sys.stdout)

    def summary(self) -> str:
        text = f"{self.succeeded} {self.verb}, {self.failed} failed"
        if not self.quiet:
            print(text, file=sys.stdout)
        return text

    @property
    def exit_code(self) -> int:
        return EXIT_FAILED if self.failed or self.other_errors else EXIT_OK


def internal_error(exc: BaseException, path) -> DerivgenError:
    message = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    text = f"internal error: {type(exc).__name__}" + (f": {message}" if message else "")
    return DerivgenError(text, file=str(path), line=1)
