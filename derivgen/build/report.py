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

from derivgen.errors import DerivgenError
from derivgen.files import silence

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_BROKEN_PIPE = 141  # as a program killed by SIGPIPE: what shells expect of `... | head`


def debug_enabled() -> bool:
    """``DERIVGEN_DEBUG=1`` shows tracebacks of internal errors (for developers only)."""
    return os.environ.get("DERIVGEN_DEBUG", "") not in ("", "0")


class Report:
    """Success lines go to stdout (silenced by ``quiet``), failures always to stderr.

    Streams are looked up when printing, not when the report is made, so that a test's
    captured ``sys.stdout`` is the one written to.  On a terminal (stderr a TTY, not
    ``quiet``) a one-line progress bar, ``[12/22] derived 13-ridge.yaml``, is kept updated
    at the bottom of stderr; elsewhere (pipes, logs, tests) there is none.
    """

    def __init__(self, verb: str = "ok", quiet: bool = False):
        self.verb = verb
        self.quiet = quiet
        self.succeeded = 0
        self.failed = 0
        self.other_errors = 0     # failures that are not one problem's: a set.yaml, the PDFs
        self._progress_shown = False
        self._said: set[str] = set()

    def ok(self, path, note: str = "ok"):
        self.succeeded += 1
        if not self.quiet:
            self._print(f"{path}: {note}", sys.stdout)

    def fail(self, error: DerivgenError, path=None, trace: str | None = None):
        """A problem that could not be done; ``path`` fills in a missing file name.

        ``trace`` is the traceback text of an internal error, shown only when debugging.
        """
        self.failed += 1
        if trace and debug_enabled():
            self._print(trace.rstrip("\n"), sys.stderr)
        self._say_once(error.located(file=None if path is None else str(path)).format())

    def retract(self, error: DerivgenError):
        """A problem reported ``ok`` that failed later (its text broke LaTeX): count it failed."""
        self.succeeded -= 1
        self.fail(error)

    def fail_other(self, error: DerivgenError):
        self.other_errors += 1
        self._say_once(error.format())

    def _say_once(self, text: str):
        """An error at the same place with the same words is printed once: a broken
        ``set.yaml`` preamble fails every problem of its set, but is one mistake."""
        if text not in self._said:
            self._said.add(text)
            self._print(text, sys.stderr)

    def internal(self, exc: BaseException, path) -> DerivgenError:
        """A bug, not the user's fault: reported like a failure, traceback only when debugging."""
        error = internal_error(exc, path)
        self.fail(error, trace="".join(traceback.format_exception(exc)))
        return error

    def info(self, text: str):
        if not self.quiet:
            self._print(text, sys.stdout)

    def progress(self, done: int, total: int, text: str):
        """Show ``[done/total] text`` in place of the last progress line (terminals only)."""
        self.status(f"[{done}/{total}] {text}")

    def status(self, text: str):
        """Show ``text`` as the progress line (terminals only); the next output replaces it."""
        if self.quiet or not _is_terminal(sys.stderr):
            return
        sys.stderr.write(f"\r\x1b[K{text}")
        sys.stderr.flush()
        self._progress_shown = True

    def summary(self) -> str:
        text = f"{self.succeeded} {self.verb}, {self.failed} failed"
        if self.other_errors:   # never "N built, 0 failed" with exit status 1
            text += f", {self.other_errors} other error{'s' if self.other_errors > 1 else ''}"
        if not self.quiet:
            self._print(text, sys.stdout)
        self._clear_progress()
        return text

    def _print(self, text: str, stream):
        self._clear_progress()
        try:
            print(text, file=stream, flush=True)
        except BrokenPipeError:
            silence(stream)

    def _clear_progress(self):
        if self._progress_shown:
            sys.stderr.write("\r\x1b[K")
            sys.stderr.flush()
            self._progress_shown = False

    @property
    def exit_code(self) -> int:
        return EXIT_FAILED if self.failed or self.other_errors else EXIT_OK


def _is_terminal(stream) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):     # replaced or closed streams
        return False


def internal_error(exc: BaseException, path) -> DerivgenError:
    message = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    text = f"internal error: {type(exc).__name__}" + (f": {message}" if message else "")
    return DerivgenError(text, file=str(path), line=1)
