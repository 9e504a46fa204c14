"""Does a piece of problem math compile?  The structural mistakes TeX stops on, found first.

``prose.check_math`` keeps TeX's dangerous commands out; this module finds what would still
stop pdflatex and with it a whole document: a command without its argument
(``\\frac{a}``), ``\\left(`` without ``\\right``, ``x^a^b``, a script with nothing to
raise, ``\\limits`` after a non-operator, math inside ``\\text{...}``, too deep a nesting.
Each is a DerivgenError naming the fragment, so ``check`` reports it at the problem's line
and the build leaves that one problem out instead of failing.

    >>> check_structure(r"\\frac{a}{b}^2")
    >>> check_structure(r"\\frac{a}")                   # doctest: +IGNORE_EXCEPTION_DETAIL
    Traceback (most recent call last):
    derivgen.errors.DerivgenError: \\frac needs 2 arguments
"""

from __future__ import annotations

import re

from derivgen.errors import DerivgenError
from derivgen.problem.commands import PACKAGES

#: Mandatory arguments of the commands that take any.
ARGUMENTS = {name: 1 for name in (
    "mathbf", "boldsymbol", "bm", "mathrm", "mathit", "mathsf", "mathtt", "mathcal", "mathbb",
    "mathfrak", "operatorname", "text", "textrm", "textit", "textbf", "sqrt", "boxed",
    "overline", "underline", "hat", "tilde", "bar", "vec", "dot", "ddot", "widehat",
    "widetilde", "underbrace", "overbrace", "substack", "phantom", "not", "ensuremath")}
ARGUMENTS.update({"frac": 2, "dfrac": 2, "tfrac": 2, "binom": 2})
ARGUMENTS.update({name: count for commands in PACKAGES.values()
                  for name, count in commands.items() if count})
#: Arguments in text mode: plain text only.
TEXT_ARGUMENT = {"text", "textrm", "textit", "textbf"}
#: Commands after which ``\\limits`` / ``\\nolimits`` may stand.
OPERATORS = {"sum", "prod", "int", "lim", "max", "min", "sup", "inf", "arg", "argmax",
             "argmin", "det", "log", "ln", "exp", "dim", "ker", "rank", "tr", "diag"}
#: What may follow ``\\left``, ``\\right``, ``\\middle`` and ``\\big`` and its kin.
DELIMITERS = {"(", ")", "[", "]", ".", "|", "/", "<", ">"}
DELIMITER_COMMANDS = {"{", "}", "|", "langle", "rangle", "lvert", "rvert", "lVert", "rVert",
                      "vert", "Vert", "lfloor", "rfloor", "lceil", "rceil", "lbrace", "rbrace"}
SIZED = {"big", "Big", "bigg", "Bigg", "bigl", "bigr", "Bigl", "Bigr", "biggl", "biggr",
         "Biggl", "Biggr", "bigm", "Bigm"}
#: Groups nested deeper than this are refused (TeX's own limit is 255).
MAX_DEPTH = 30

_TOKEN = re.compile(r"\\([A-Za-z]+|.)|(\s+)|(.)", re.S)


def check_structure(math: str) -> None:
    """Raise DerivgenError (with the fragment and a caret) if TeX would stop on ``math``."""
    tokens = [(m.start(), m.group(1), m.group(3)) for m in _TOKEN.finditer(math)
              if m.group(2) is None]
    _Checker(math, tokens).run()


class _Checker:
    def __init__(self, math: str, tokens):
        self.math = math
        self.tokens = tokens        # (position, command or None, character or None)
        self.i = 0

    def error(self, message: str, position: int) -> DerivgenError:
        return DerivgenError(f"{message} in problem math", fragment=self.math, column=position)

    def run(self):
        self.sequence(depth=0, closing=None)
        if self.i < len(self.tokens):
            raise self.error("'}' without a matching '{'", self.tokens[self.i][0])

    def sequence(self, depth: int, closing: int | None):
        """Tokens up to the ``}`` of the current group (or the end); checks scripts and
        ``\\left``/``\\right`` pairs, which TeX wants inside one group."""
        if depth > MAX_DEPTH:
            raise self.error(f"groups nested more than {MAX_DEPTH} deep", closing or 0)
        lefts: list[int] = []
        scripts: set[str] = set()      # "^" / "_" already on the current atom
        previous = None                 # the command before, for \limits
        while self.i < len(self.tokens):
            position, command, char = self.tokens[self.i]
            if char == "}":
                break
            self.i += 1
            if char in ("^", "_", "'"):
                if char == "'":
                    if "^" in scripts:
                        raise self.error("a prime after a superscript (write x'^2, "
                                         "not x^2')", position)
                    continue
                if char in scripts:
                    raise self.error(f"double {'super' if char == '^' else 'sub'}script: "
                                     "put braces around one of them", position)
                scripts.add(char)
                self.argument(position, depth, what=f"'{char}'")
                continue
            scripts = set()
            if char == "{":
                self.sequence(depth + 1, position)
                self.close(position)
            elif command == "left":
                self.delimiter(position, "\\left")
                lefts.append(position)
            elif command == "right":
                if not lefts:
                    raise self.error("\\right without a \\left before it in the same group",
                                     position)
                lefts.pop()
                self.delimiter(position, "\\right")
            elif command == "middle":
                if not lefts:
                    raise self.error("\\middle outside \\left ... \\right", position)
                self.delimiter(position, "\\middle")
            elif command in SIZED:
                self.delimiter(position, "\\" + command)
            elif command in ("limits", "nolimits"):
                if previous not in OPERATORS:
                    raise self.error(f"\\{command} must follow an operator such as \\sum",
                                     position)
            elif command in ARGUMENTS:
                if command == "sqrt":
                    self.optional(position)
                for _ in range(ARGUMENTS[command]):
                    self.argument(position, depth, what=f"\\{command}",
                                  text=command in TEXT_ARGUMENT, count=ARGUMENTS[command])
            previous = command if command in OPERATORS else None
        if lefts:
            raise self.error("\\left without a matching \\right in the same group", lefts[-1])

    def close(self, opening: int):
        if self.i >= len(self.tokens) or self.tokens[self.i][2] != "}":
            raise self.error("'{' without a matching '}'", opening)
        self.i += 1

    def argument(self, position: int, depth: int, *, what: str, text: bool = False,
                 count: int = 1):
        """One argument: a ``{group}``, or a single token that is not a brace or a script."""
        if self.i >= len(self.tokens):
            raise self.error(self._needs(what, count), position)
        start, command, char = self.tokens[self.i]
        if char == "{":
            self.i += 1
            if text:
                self.text_group(start)
            else:
                self.sequence(depth + 1, start)
            self.close(start)
            return
        if char in ("}", "^", "_") or command in ("left", "right", "middle", "limits",
                                                   "nolimits") or command in ARGUMENTS:
            raise self.error(self._needs(what, count), position)
        if text and command is not None and command not in ",;:! ":
            raise self.error(f"only plain text may follow {what}", start)
        self.i += 1

    @staticmethod
    def _needs(what: str, count: int) -> str:
        if what.startswith("'"):
            return f"{what} needs something to raise or lower after it"
        return f"{what} needs {count} argument{'s' if count > 1 else ''} in braces"

    def text_group(self, opening: int):
        """The inside of ``\\text{...}``: text mode, so no math (``^``, ``_``, commands)."""
        nested = 0
        while self.i < len(self.tokens):
            position, command, char = self.tokens[self.i]
            if char == "}" and nested == 0:
                return
            if char == "{":
                nested += 1
            elif char == "}":
                nested -= 1
            elif char in ("^", "_"):
                raise self.error(f"'{char}' inside \\text{{...}} (text, not math)", position)
            elif command is not None and not (command in ("textit", "textbf", "textrm",
                                                          "ensuremath", "i", "j")
                                              or not command[0].isalpha()):
                raise self.error(f"\\{command} inside \\text{{...}} (only plain text there)",
                                 position)
            self.i += 1

    def optional(self, position: int):
        """``\\sqrt[3]{x}``: skip the optional argument."""
        if self.i < len(self.tokens) and self.tokens[self.i][2] == "[":
            while self.i < len(self.tokens) and self.tokens[self.i][2] != "]":
                if self.tokens[self.i][2] in ("{", "}"):
                    raise self.error("braces inside \\sqrt[...]", self.tokens[self.i][0])
                self.i += 1
            if self.i >= len(self.tokens):
                raise self.error("\\sqrt[ without its ]", position)
            self.i += 1

    def delimiter(self, position: int, what: str):
        if self.i < len(self.tokens):
            _, command, char = self.tokens[self.i]
            if char in DELIMITERS or command in DELIMITER_COMMANDS:
                self.i += 1
                return
        raise self.error(f"{what} needs a delimiter after it, such as ( or \\| or .", position)
