"""The one error class: every user-facing failure carries file, line and column."""

from __future__ import annotations


class DerivgenError(Exception):
    """A problem the user can fix; printed as ``FILE:LINE: message``, never as a traceback.

    ``fragment`` is the offending LaTeX (or YAML) text and ``column`` a 0-based offset
    into it; when both are known the message shows the fragment with a caret under it.
    """

    def __init__(self, message: str, *, file: str | None = None, line: int | None = None,
                 column: int | None = None, fragment: str | None = None):
        super().__init__(message)
        self.message = message
        self.file = file
        self.line = line
        self.column = column
        self.fragment = fragment

    def located(self, file: str | None = None, line: int | None = None) -> "DerivgenError":
        """Fill in the location where the raiser did not know it (keeps what is known)."""
        if self.file is None:
            self.file = file
        if self.line is None:
            self.line = line
        return self

    def format(self) -> str:
        where = f"{self.file or '<input>'}:{self.line or 1}: "
        text = where + self.message
        if self.fragment is not None and self.column is not None:
            fragment, column = _window(self.fragment, self.column)
            text += f"\n    {fragment}\n    {' ' * column}^"
        return text

    def __str__(self) -> str:
        return self.format()


def _window(fragment: str, column: int, width: int = 76) -> tuple[str, int]:
    """At most ``width`` characters of one line of ``fragment`` around ``column``: a long
    statement is not printed whole to point at one character."""
    start = fragment.rfind("\n", 0, column) + 1
    end = fragment.find("\n", column)
    line, column = fragment[start:end if end >= 0 else len(fragment)], column - start
    if len(line) <= width:
        return line, column
    left = max(0, min(column - width // 2, len(line) - width))
    shown = line[left:left + width]
    prefix = "..." if left else ""
    suffix = "..." if left + width < len(line) else ""
    return prefix + shown + suffix, column - left + len(prefix)
