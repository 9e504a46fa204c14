"""A student's answer is untrusted: bounded before it reaches the parser, timed while judged.

The parser itself only knows math (it cannot read files or run anything); these bounds keep
a hostile answer (a megabyte, thousands of nested groups, a TeX primitive) to a quick
``syntax`` verdict instead of a long parse or a confusing message.
"""

from __future__ import annotations

import re

from derivgen import alarm

#: Longest answer read, in characters (a long textbook answer is a few hundred).
MAX_LENGTH = 2000
#: Deepest nesting of groups: ``{``, ``(``, ``[``, ``\left``.
MAX_DEPTH = 24
#: Seconds one answer may take to be read and compared.
TIME_LIMIT = 3.0

#: LaTeX commands of math notation; any other command (``\input``, ``\def``) is a syntax error.
MATH_COMMANDS = frozenset("""
    mathbf boldsymbol bm pmb mathbfit vec mathbb operatorname mathrm text textrm textnormal
    mathit mathsf rm sf frac dfrac tfrac sqrt overline bar sum limits cdot times odot circ
    otimes Vert lVert rVert vert lvert rvert left right big bigl bigr bigm Big Bigl Bigr Bigm
    bigg biggl biggr Bigg Biggl Biggr quad qquad displaystyle textstyle top intercal dagger
    ast prime log ln exp det tr Tr trace Re Im diag softmax sin cos tan tanh sinh cosh arctan
    sgn max min partial nabla mathcal
    alpha beta gamma delta epsilon varepsilon zeta eta theta vartheta iota kappa lambda mu nu
    xi pi rho varrho sigma varsigma tau upsilon phi varphi chi psi omega Gamma Delta Theta
    Lambda Xi Pi Sigma Upsilon Phi Psi Omega ell
""".split())

_COMMAND = re.compile(r"\\([A-Za-z]+)")
_OPENERS = {"{": "}", "(": ")", "[": "]"}


class AnswerRejected(Exception):
    """The answer is refused before parsing; ``column`` points at the culprit."""

    def __init__(self, message: str, column: int = 0):
        super().__init__(message)
        self.message = message
        self.column = column


class AnswerTimeout(Exception):
    """Reading or comparing the answer took longer than ``TIME_LIMIT``."""


def screen(text, known_commands=()) -> str:
    """``text`` if it is a string within the bounds; raises ``AnswerRejected`` otherwise.

    ``known_commands``: the problem's own LaTeX names (``latex: '\\lambda'``, functions).
    """
    if not isinstance(text, str) or not text.strip():
        raise AnswerRejected("the answer is empty")
    if len(text) > MAX_LENGTH:
        raise AnswerRejected(f"the answer is too long ({len(text)} characters; at most "
                             f"{MAX_LENGTH})", MAX_LENGTH)
    if "\x00" in text or any(ord(c) < 32 and c not in "\t\n\r" for c in text):
        raise AnswerRejected("the answer holds control characters")
    depth = 0
    for at, char in enumerate(text):
        if char in _OPENERS:
            depth += 1
            if depth > MAX_DEPTH:
                raise AnswerRejected(f"the answer is nested too deeply (more than {MAX_DEPTH} "
                                     f"groups)", at)
        elif char in _OPENERS.values():
            depth -= 1
    for found in _COMMAND.finditer(text):
        name = found.group(1)
        if name not in MATH_COMMANDS and name not in known_commands:
            raise AnswerRejected(f"unknown command \\{name}", found.start())
    return text


def time_limit(seconds: float = TIME_LIMIT):
    """Raise ``AnswerTimeout`` in the block after ``seconds``; bounded elsewhere (threads
    without signals) by ``MAX_LENGTH`` and ``MAX_DEPTH``."""
    return alarm.time_limit(seconds, AnswerTimeout)
