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
#: Room kept free on every row for the estimate's error: over the ~400 display rows of the
#: layout set, TeX sets a row at most 0.91 em wider than estimated (letters by their own
#: widths, scripts at 3/4; ``tests/test_layout.py`` keeps it under 1.0), so a row packed to
#: the budget ends inside the text block.
ROW_SLACK = 1.5

_SPACING = {",": 0.17, ";": 0.28, ":": 0.22, "!": -0.17, " ": 0.33, "quad": 1.0,
            "qquad": 2.0}
_BINARY = {"odot": 1.3, "otimes": 1.3, "cdot": 0.75, "times": 1.3, "pm": 1.3, "in": 1.3}
#: Letters set upright by a command: narrower than math italic.
_UPRIGHT = {"operatorname", "mathrm", "text"}
_ZERO = {"mathbf", "boldsymbol", "bm", "operatorname", "mathrm", "text", "mathit", "mathsf",
         "mathbb", "displaystyle", "scriptstyle", "frac", "sqrt", "boxed"}
#: What a larger delimiter adds to the width of the one after it.
_SIZED = {"big": 0.1, "bigl": 0.1, "bigr": 0.1, "Big": 0.2, "Bigl": 0.2, "Bigr": 0.2,
          "bigg": 0.3, "biggl": 0.3, "biggr": 0.3, "Bigg": 0.4, "Biggl": 0.4, "Biggr": 0.4,
          "left": 0.3, "right": 0.3}   # \left( around a fraction: a \Bigg( or so
_NAMED = {"det": 1.4, "log": 1.4, "exp": 1.5, "sum": 1.2, "nabla": 0.85, "partial": 0.6,
          "infty": 1.0, "ldots": 1.2, "cdots": 1.2, "tanh": 2.0, "sinh": 2.0, "cosh": 2.0,
          "sin": 1.3, "cos": 1.4, "tan": 1.4, "ln": 1.0, "Re": 1.2, "Im": 1.0}
#: Letters in display math at 11pt, in em, as TeX sets them (measured with ``\\settowidth``):
#: bold upright (``\\mathbf``) and math italic.
_BOLD = dict(zip("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ", (
    0.56, 0.64, 0.51, 0.64, 0.53, 0.46, 0.59, 0.64, 0.32, 0.35, 0.61, 0.32, 0.96, 0.64, 0.57,
    0.64, 0.61, 0.47, 0.45, 0.45, 0.64, 0.62, 0.85, 0.61, 0.62, 0.51, 0.87, 0.82, 0.83, 0.88,
    0.76, 0.72, 0.90, 0.90, 0.44, 0.59, 0.90, 0.69, 1.09, 0.90, 0.86, 0.79, 0.86, 0.86, 0.64,
    0.80, 0.88, 0.89, 1.20, 0.87, 0.90, 0.70)))
_ITALIC = dict(zip("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ", (
    0.53, 0.43, 0.43, 0.52, 0.47, 0.60, 0.51, 0.58, 0.34, 0.47, 0.55, 0.32, 0.88, 0.60, 0.48,
    0.50, 0.48, 0.48, 0.47, 0.36, 0.57, 0.52, 0.74, 0.57, 0.53, 0.51, 0.75, 0.81, 0.79, 0.86,
    0.80, 0.78, 0.79, 0.91, 0.52, 0.65, 0.92, 0.68, 1.08, 0.91, 0.79, 0.78, 0.79, 0.77, 0.67,
    0.72, 0.79, 0.81, 1.08, 0.91, 0.80, 0.75)))
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
            pending_scale = stack[-1][0] * 0.75
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
        return _GREEK.get(command, 0.65)  # a Greek letter or other symbol
    if char in "+-":
        return 1.2  # with the medium spaces of a binary operator
    if char in "=<>":
        return 1.33  # the sign and the thick spaces of a relation
    if char in "()[]|":
        return 0.4
    if char in "'":
        return 0.3
    if char.isdigit():
        return 0.5
    if char.isalpha() and char.isascii():
        return (_BOLD if bold else _ITALIC)[char]
    return 0.55


#: Widths in em of Greek letters (Computer Modern's math italic; capitals upright) and the
#: like, from the fonts' metrics: most are narrower than the 0.65 of another symbol.
_GREEK = dict(zip(
    ("alpha beta gamma delta epsilon varepsilon zeta eta theta iota kappa lambda mu nu xi pi "
     "rho sigma tau upsilon phi varphi chi psi omega ell partial Gamma Delta Theta Lambda Xi "
     "Pi Sigma Phi Psi Omega").split(),
    (.64, .57, .52, .44, .41, .47, .44, .50, .47, .35, .58, .58, .60, .49, .44, .57,
     .52, .57, .44, .54, .60, .65, .63, .65, .62, .42, .57, .63, .83, .78, .69, .67,
     .75, .72, .72, .78, .72)))


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
