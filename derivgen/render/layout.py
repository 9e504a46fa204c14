"""Line breaking for displayed math: estimate widths, split long sums into aligned rows.

    >>> break_rows(r"\\mathbf{a} + \\mathbf{b}", lhs="df")
    ['\\\\mathbf{a} + \\\\mathbf{b}']
    >>> long = " + ".join([r"\\operatorname{tr}(\\mathbf{A}^T\\mathbf{B}\\mathbf{C}\\,d\\mathbf{X})"] * 6)
    >>> rows = break_rows(long, lhs="df")
    >>> len(rows) > 1 and rows[1].startswith("+ ")
    True

Widths are estimates in em of the 11pt body font, good to about 10% on the printer's
output, which is enough to keep rows inside a 16cm text block.
"""

from __future__ import annotations

import re

#: Width of the text block in em (A4, 2.5cm margins, 11pt: 455pt / 10.95pt).
LINE_EM = 41.5
#: Room kept free on every row for the estimate's error: over the ~380 display rows of the
#: layout set, TeX sets a row at most 0.92 em wider than estimated (``tests/test_layout.py``
#: keeps it under 1.0), so a row packed to the budget ends inside the text block.
ROW_SLACK = 1.5

_SPACING = {",": 0.17, ";": 0.28, ":": 0.22, "!": -0.17, " ": 0.33, "quad": 1.0,
            "qquad": 2.0}
_BINARY = {"odot": 1.3, "otimes": 1.3, "cdot": 0.75, "times": 1.3, "pm": 1.3, "in": 1.3}
#: Letters set upright by a command: narrower than math italic.
_UPRIGHT = {"operatorname", "mathrm", "text"}
_ZERO = {"mathbf", "boldsymbol", "bm", "operatorname", "mathrm", "text", "mathit", "mathsf",
         "mathbb", "displaystyle", "scriptstyle", "frac", "sqrt", "boxed"}
#: What a larger delimiter adds to the width of the one after it.
_SIZED = {"left": 0.2, "right": 0.2, "big": 0.1, "bigl": 0.1, "bigr": 0.1, "Big": 0.2,
          "Bigl": 0.2, "Bigr": 0.2, "bigg": 0.3, "biggl": 0.3, "biggr": 0.3, "Bigg": 0.4, "Biggl": 0.4, "Biggr": 0.4}
_NAMED = {"det": 1.4, "log": 1.4, "exp": 1.5, "sum": 1.2, "nabla": 0.85, "partial": 0.6,
          "infty": 1.0, "ldots": 1.2, "cdots": 1.2, "tanh": 2.0, "sinh": 2.0, "cosh": 2.0,
          "sin": 1.3, "cos": 1.4, "tan": 1.4, "ln": 1.0, "Re": 1.2, "Im": 1.0}
_TOKEN = re.compile(r"\\([A-Za-z]+|.)|(.)", re.S)


def latex_width(latex: str) -> float:
    """Estimated printed width of math-mode LaTeX, in em.

        >>> round(latex_width(r"\\mathbf{a}^T\\mathbf{X}\\mathbf{b}"), 1)
        2.6
    """
    return _running_widths(latex)[len(latex)]


def _running_widths(latex: str) -> dict[int, float]:
    """The width of ``latex[:k]`` for each ``k`` where a token starts, and for the end.

    One scan of the text: the width of a slice between two top-level positions (outside
    braces, no pending ``^``) is the difference of two entries, so ``break_rows`` measures
    every candidate row in constant time instead of re-reading it.
    """
    widths: dict[int, float] = {}
    width = 0.0
    stack = [(1.0, False, False)]  # (scale, bold, upright) of the enclosing groups
    pending_scale = None    # scale for the next atom after ^ or _
    pending_bold = False    # the next group is \mathbf{...}
    pending_upright = False  # the next group is \operatorname{...}
    skip_until = -1         # the end of a fraction or sum measured as a whole
    for match in _TOKEN.finditer(latex):
        widths[match.start()] = width
        if match.start() < skip_until:
            continue
        command, char = match.group(1), match.group(2)
        scale = pending_scale if pending_scale is not None else stack[-1][0]
        stacked = _stacked(latex, match.end(), command)
        if stacked is not None:  # a fraction or a sum with limits: its widest part
            size, skip_until = stacked
            width += scale * size
            pending_scale = None
            continue
        if char == "{":
            stack.append((scale, pending_bold or stack[-1][1],
                          pending_upright or stack[-1][2]))
            pending_scale, pending_bold, pending_upright = None, False, False
            continue
        if char == "}":
            if len(stack) > 1:
                stack.pop()
            continue
        if char in ("^", "_"):
            pending_scale = stack[-1][0] * 0.8  # script fonts are drawn wider than 0.7 of the size
            continue
        if char == " ":
            continue
        if command in ("mathbf", "boldsymbol", "bm"):
            pending_bold = True
            continue
        if command in _UPRIGHT:
            pending_upright = True
            continue
        if command == "sqrt":   # the radical sign before its argument
            width += scale * 0.85
            continue
        token = _token_width(command, char, bold=stack[-1][1])
        if char is not None and char.isalpha() and stack[-1][2]:
            token = 0.8 if char in "mwMW" else 0.45   # upright roman: tr, softmax, diag
        elif char in ("=", ",") and scale < 1:
            token = 0.55 if char == "=" else 0.2  # no spaces around them in scripts
        width += scale * token
        if command is None or command not in _ZERO:
            pending_scale = None
    widths[len(latex)] = width
    return widths


def _stacked(latex: str, at: int, command):
    """``(width, end)`` of ``\\frac{a}{b}`` (its wider part), ``\\overset{(1)}{=}`` (its label
    set small, or the sign) or ``\\sum_{..}^{..}`` (its sign or its limits, set under and over
    it in a display) whose command ends at ``at``."""
    if command in ("frac", "tfrac", "dfrac"):
        parts, end = _groups(latex, at, 2)
        if len(parts) == 2:
            scale = 0.7 if command == "tfrac" else 1.0
            return scale * max(latex_width(p) for p in parts) + 0.3, end
    if command == "overset":   # a rule's number over an equals sign, set small
        parts, end = _groups(latex, at, 2)
        if len(parts) == 2:
            return max(0.7 * latex_width(parts[0]) + 0.55, latex_width(parts[1])), end
    if command == "sum" and latex.startswith("_", at):
        parts, end = _groups(latex, at + 1, 1)
        if latex.startswith("^", end):
            more, end = _groups(latex, end + 1, 1)
            parts += more
        if parts:
            return max(_NAMED["sum"], 0.7 * max(latex_width(p) for p in parts)), end
    return None


def _groups(latex: str, at: int, count: int):
    """Up to ``count`` brace groups (or single characters) from ``at``: texts and the end."""
    parts = []
    while len(parts) < count and at < len(latex):
        if latex[at] != "{":
            parts.append(latex[at])
            at += 1
            continue
        depth, i = 0, at
        while i < len(latex):
            if latex[i] == "\\":
                i += 2
                continue
            depth += {"{": 1, "}": -1}.get(latex[i], 0)
            if depth == 0:
                break
            i += 1
        parts.append(latex[at + 1:i])
        at = i + 1
    return parts, at


def _token_width(command, char, *, bold: bool = False) -> float:
    if command is not None:
        if command in _SPACING:
            return _SPACING[command]
        if command in _BINARY:
            return _BINARY[command]
        if command in _ZERO:
            return 0.0
        if command in _SIZED:
            return _SIZED[command]
        if command in _NAMED:
            return _NAMED[command]
        if command in "{}|":
            return 0.5
        return 0.65  # a Greek letter or other symbol
    if char in "+-":
        return 1.2  # with the medium spaces of a binary operator
    if char in "=<>":
        return 1.33  # with the thick spaces of a relation
    if char in "()[]|":
        return 0.4
    if char in "'":
        return 0.3
    if bold:
        return _BOLD.get(char, 0.6)
    if char.isdigit():
        return 0.5
    return _ITALIC.get(char, 0.55)


def _metrics(letters: str, widths: str) -> dict:
    return dict(zip(letters, map(float, widths.split())))


#: Widths in em of Computer Modern's math italic (cmmi) and bold (cmbx) letters, from the
#: fonts' metrics: a W is twice an l, which a flat width per letter misjudges on long rows.
_ITALIC = _metrics(
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ",
    ".53 .43 .43 .52 .47 .49 .48 .58 .35 .41 .52 .30 .88 .60 .49 .50 .45 .45 .47 .36 .57 .49 "
    ".72 .57 .49 .47 .75 .76 .72 .83 .74 .64 .79 .83 .44 .56 .85 .68 .97 .80 .76 .64 .79 .76 "
    ".61 .58 .68 .58 .94 .83 .58 .68")
_BOLD = _metrics(
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789",
    ".56 .64 .51 .64 .53 .35 .58 .64 .32 .35 .61 .32 .96 .64 .58 .64 .61 .47 .45 .45 .64 .61 "
    ".83 .61 .61 .51 .87 .82 .83 .88 .76 .72 .90 .90 .44 .59 .90 .69 1.09 .90 .86 .79 .86 .86 "
    ".64 .80 .89 .87 1.19 .87 .87 .70 .58 .58 .58 .58 .58 .58 .58 .58 .58 .58")


def break_points(latex: str):
    """``(index, paren_depth)`` of each top-level `` + `` / `` - `` (outside braces)."""
    points = []
    brace = paren = 0
    i = 0
    while i < len(latex):
        ch = latex[i]
        if ch == "\\":
            i += 2
            continue
        if ch == "{":
            brace += 1
        elif ch == "}":
            brace -= 1
        elif ch == "(":
            paren += 1
        elif ch == ")":
            paren -= 1
        elif brace == 0 and latex.startswith((" + ", " - "), i):
            points.append((i, paren))
        i += 1
    return points


def break_rows(latex: str, *, lhs: str = "", line_em: float = LINE_EM) -> list[str]:
    """Split ``latex`` at ``+``/``-`` so each row fits; rows after the first start ``+ ``.

    Breaks at the shallowest parenthesis depth that fits, latest first: a sum breaks
    between its terms before it breaks inside a term's parentheses.  Parentheses may be
    left open across rows: the printer uses plain ``(``, never ``\\left(``.
    """
    budget = line_em - ROW_SLACK - latex_width(lhs)
    widths = _running_widths(latex)
    end = len(latex)
    rows = []
    start = 0
    points = break_points(latex)
    first = 0               # points[first:] lie after start
    while widths[end] - widths[start] > budget:
        row_budget = budget if not rows else budget - 1.0  # continuation rows: \quad
        while first < len(points) and points[first][0] <= start:
            first += 1
        if first == len(points):
            break
        fitting = []
        for i, depth in points[first:]:
            if widths[i] - widths[start] > row_budget:
                break       # widths grow along the row (bar a rare \\!): none later fits
            fitting.append((i, depth))
        if fitting:
            shallowest = min(d for _, d in fitting)
            cut = max(i for i, d in fitting if d == shallowest)
        else:
            cut = points[first][0]
        rows.append(latex[start:cut])
        start = cut + 1  # the row after starts with "+ " / "- "
    rows.append(latex[start:])
    return rows
