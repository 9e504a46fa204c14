r"""``preamble:`` in set.yaml: the packages a problem set's documents load and the macros its
problem text may use.

.. code-block:: yaml

    preamble:
      packages: [bm, mathrsfs]            # from problem.commands.PACKAGES only
      macros:
        R: \mathbb{R}                     # \R
        vx: \mathbf{x}                    # \vx
        norm: '\left\|#1\right\|'         # \norm{...}: #1 ... #9 are its arguments

A macro's body is checked against the same allowlist as problem math (plus the commands of
the listed packages and the macros above it), so a macro cannot add what problem text may
not contain.  derivgen expands the macros itself, as TeX expands a ``\newcommand``
(``expand``): every problem text of the set (``statement``, ``function``, ``where``,
``answer``, ``latex:``) and the set's ``instructions`` are read with their macros
expanded, before anything else sees them.  So the formulas parse, the documents typeset
the same glyphs as with the macros defined, the web pages and course platforms need no
definitions, and no macro definition ever reaches TeX.

    >>> p = read_preamble({"macros": {"R": r"\mathbb{R}", "norm": r"\left\|#1\right\|"}})
    >>> p.expand(r"$\norm{\mathbf{x}} \in \R$")
    '$\\left\\|\\mathbf{x}\\right\\| \\in \\mathbb{R}$'
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field

from derivgen.errors import DerivgenError
from derivgen.problem.commands import (MATH_COMMANDS, MATH_SYMBOL_COMMANDS, PACKAGE_OF, PACKAGES,
                                       RESERVED, control_sequences)

PREAMBLE_KEYS = ("packages", "macros")
#: Bounds: how many macros, how long a name and a body as written, how long a body with the
#: macros it uses expanded, and how long any text may grow by expansion.
MAX_MACROS = 100
MAX_NAME = 40
MAX_BODY = 1000
MAX_EXPANDED_BODY = 2000
MAX_EXPANDED_TEXT = 40_000

#: TeX's tokens: a control word, a control symbol, a parameter #1..#9, spaces, a character.
_TOKEN = re.compile(r"\\[A-Za-z]+|\\.|#[1-9]|\s+|.", re.S)
_MACRO_NAME = re.compile(r"[A-Za-z]+\Z")


@dataclass(frozen=True)
class Macro:
    """``\name``: its number of arguments and its body as tokens, the macros it uses
    already expanded (``#1`` ... stay as tokens)."""

    name: str
    arguments: int
    body: tuple[str, ...]


@dataclass(frozen=True)
class Preamble:
    """A set's packages and macros; ``EMPTY`` for a problem outside a set with one."""

    packages: tuple[str, ...] = ()
    macros: tuple[Macro, ...] = ()
    _by_name: dict = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self):
        self._by_name.update({macro.name: macro for macro in self.macros})

    def key(self) -> str:
        """What the preamble means, as text: part of each problem's cache key."""
        if not self.packages and not self.macros:
            return ""
        return json.dumps([list(self.packages),
                           [[m.name, m.arguments, "".join(m.body)] for m in self.macros]])

    def expand(self, text: str) -> str:
        """``text`` with every macro expanded, as TeX would; DerivgenError (with the fragment
        and a column) for a macro without its arguments or a text grown too long."""
        if not self._by_name or "\\" not in text:
            return text
        tokens = [(m.group(), m.start()) for m in _TOKEN.finditer(text)]
        return _joined(_expanded(tokens, self._by_name, text, MAX_EXPANDED_TEXT))

    def check_packages(self, text: str) -> None:
        """Raise at the first command of a package this set does not load."""
        for name, position in control_sequences(text):
            package = PACKAGE_OF.get(name)
            if package is not None and package not in self.packages:
                raise DerivgenError(
                    f"\\{name} needs the package {package}: add it to set.yaml, "
                    f"`preamble: {{packages: [{package}]}}`", fragment=text, column=position)


EMPTY = Preamble()


def read_preamble(value, line_of=lambda *keys: None) -> Preamble:
    """Validate a ``preamble:`` value (``line_of(*keys)``: the line of a key inside it, for
    the error's location) into a ``Preamble``."""
    if not isinstance(value, dict):
        raise DerivgenError("'preamble' must be a mapping such as `{packages: [bm], macros: "
                            "{R: '\\mathbb{R}'}}`", line=line_of())
    for key in value:
        if key not in PREAMBLE_KEYS:
            raise DerivgenError(f"unknown key '{key}' in 'preamble'; known keys: "
                                f"{', '.join(PREAMBLE_KEYS)}", line=line_of(key))
    packages = _packages(value.get("packages", []), line_of("packages"))
    macros = _macros(value.get("macros") or {}, packages, line_of)
    return Preamble(packages, macros)


def _packages(value, line) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list):
        raise DerivgenError("'preamble.packages' must be a list of package names such as "
                            "[bm, mathtools]", line=line)
    allowed = ", ".join(sorted(PACKAGES))
    packages = []
    for name in value:
        if not isinstance(name, str) or name not in PACKAGES:
            raise DerivgenError(f"package {_brief(name)} is not one set.yaml may load; the "
                                f"allowed packages are {allowed}", line=line)
        if name not in packages:
            packages.append(name)
    return tuple(packages)


def _macros(value, packages, line_of) -> tuple[Macro, ...]:
    if not isinstance(value, dict):
        raise DerivgenError("'preamble.macros' must be a mapping of names to bodies such as "
                            "`{R: '\\mathbb{R}'}`", line=line_of("macros"))
    if len(value) > MAX_MACROS:
        raise DerivgenError(f"'preamble.macros' has {len(value)} macros; at most "
                            f"{MAX_MACROS} are allowed", line=line_of("macros"))
    allowed = set(MATH_COMMANDS) | {c for p in packages for c in PACKAGES[p]}
    defined: dict[str, Macro] = {}
    for name, body in value.items():
        line = line_of("macros", name)
        try:
            defined[name] = _macro(name, body, allowed, defined, list(value))
        except DerivgenError as err:
            raise err.located(line=line) from None
    return tuple(defined.values())


def _macro(name, body, allowed, defined, names) -> Macro:
    if not isinstance(name, str) or not _MACRO_NAME.match(name) or len(name) > MAX_NAME:
        raise DerivgenError(f"macro name {_brief(name)} must be letters only (at most "
                            f"{MAX_NAME}), as in `R: '\\mathbb{{R}}'` for \\R")
    if name in MATH_COMMANDS or name in RESERVED or any(name in c for c in PACKAGES.values()):
        raise DerivgenError(f"macro \\{name} would redefine a LaTeX command that derivgen or "
                            "TeX already uses: choose another name")
    if isinstance(body, bool) or not isinstance(body, (str, int, float)):
        raise DerivgenError(f"macro \\{name} must be a LaTeX string such as '\\mathbf{{x}}', "
                            f"not {_brief(body)}")
    body = str(body).strip()
    what = f"macro \\{name}"
    if not body:
        raise DerivgenError(f"{what} is empty")
    if len(body) > MAX_BODY:
        raise DerivgenError(f"{what} has {len(body):,} characters; at most {MAX_BODY:,}")
    _check_body(body, what, allowed, defined, names, name)
    tokens = [(m.group(), m.start()) for m in _TOKEN.finditer(body)]
    arguments = max((int(t[1]) for t, _ in tokens if t[0] == "#"), default=0)
    expanded = _expanded(tokens, defined, body, MAX_EXPANDED_BODY, what=what)
    return Macro(name, arguments, tuple(expanded))


def _check_body(body: str, what: str, allowed, defined, names, name) -> None:
    """The allowlist of problem math, for a body: no file, no definitions, no catcodes."""
    def fail(message, column):
        return DerivgenError(f"{what}: {message}", fragment=body, column=column)

    for column, char in enumerate(body):
        if not (char.isascii() and (char.isprintable() or char == " ")):
            raise fail("only printable ASCII characters may be in a macro (write \\alpha, "
                       "not α)", column)
    if "^^" in body:
        raise fail("'^^' is not allowed", body.index("^^"))
    depth = 0
    for match in re.finditer(r"\\.|#.?|[{}$%&]", body, re.S):
        token, column = match.group(), match.start()
        if token[0] == "#" and not re.fullmatch(r"#[1-9]", token):
            raise fail("'#' must be followed by an argument's number, 1 to 9 (#1)", column)
        if token in "$%&":
            raise fail(f"{token!r} is not allowed in a macro (math is already in math mode)",
                       column)
        depth += {"{": 1, "}": -1}.get(token, 0)
        if depth < 0:
            raise fail("'}' without a matching '{'", column)
    if depth:
        raise fail("unbalanced braces", 0)
    for command, column in control_sequences(body):
        if command[:1].isalpha():
            if command == name:
                raise fail(f"uses \\{name} itself: a macro cannot be recursive", column)
            if command in names and command not in defined:
                raise fail(f"uses \\{command}, defined below it: a macro may use only the "
                           "macros above it", column)
            if command not in allowed and command not in defined:
                package = PACKAGE_OF.get(command)
                need = f" (it needs `packages: [{package}]`)" if package else ""
                raise fail(f"LaTeX command \\{command} is not allowed in problem math{need}",
                           column)
        elif command not in MATH_SYMBOL_COMMANDS:
            raise fail(f"LaTeX command \\{command} is not allowed in problem math", column)


def _expanded(tokens, macros: dict, text: str, limit: int, what: str = "the text"):
    """The tokens with every macro expanded, TeX's way: the arguments are put into the body
    and read again.  At most ``limit`` characters come out, and at most ``10 * limit``
    tokens are moved, so no set of macros can make a text blow up or take long."""
    pending = list(reversed(tokens))       # (token, column in ``text``), read from the end
    out: list[str] = []
    size = moved = 0
    while pending:
        token, column = pending.pop()
        macro = macros.get(token[1:]) if token[:1] == "\\" and token[1:2].isalpha() else None
        if macro is None:
            out.append(token)
            size += len(token)
            if size > limit:
                raise DerivgenError(f"{what} is longer than {limit:,} characters once the "
                                    "set's macros are expanded", fragment=text, column=column)
            continue
        arguments = [_argument(pending, macro, text, column) for _ in range(macro.arguments)]
        body = []
        for part in macro.body:
            if part[0] == "#" and len(part) == 2:
                body += arguments[int(part[1]) - 1]
            else:
                body.append((part, column))
        moved += len(body) + 1
        if moved > 10 * limit:     # macros that pass their arguments on, nested deeply
            raise DerivgenError(f"{what} expands too many macros, nested too deeply",
                                fragment=text, column=column)
        pending.extend(reversed(body))
    return out


def _argument(pending: list, macro: Macro, text: str, column: int) -> list:
    """One undelimited argument, TeX's way: a ``{group}`` (without its braces) or one token."""
    while pending and pending[-1][0].isspace():
        pending.pop()
    if not pending or pending[-1][0] in ("}", "$"):     # $: the end of the math, in prose
        count = macro.arguments
        raise DerivgenError(f"\\{macro.name} needs {count} argument{'s' if count > 1 else ''} "
                            "in braces", fragment=text, column=column)
    first = pending.pop()
    if first[0] != "{":
        return [first]
    group, depth = [], 1
    while pending:
        token = pending.pop()
        depth += {"{": 1, "}": -1}.get(token[0], 0)
        if depth == 0:
            return group
        group.append(token)
    raise DerivgenError(f"the argument of \\{macro.name} has no closing '}}'", fragment=text,
                        column=first[1])


def _joined(tokens) -> str:
    """Tokens as text; a space after a control word that a letter would otherwise extend
    (``\\alpha`` then ``b`` is ``\\alpha b``, not ``\\alphab``)."""
    out = []
    for token in tokens:
        if out and token[:1].isalpha() and re.fullmatch(r"\\[A-Za-z]+", out[-1]):
            out.append(" ")
        out.append(token)
    return "".join(out)


def _brief(value, limit: int = 40) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[:limit] + "..."
