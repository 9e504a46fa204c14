"""Everything done to the text and the token stream before the LALR parser sees it.

* ``check_groups``: balanced ``{ }``, ``( )``, ``[ ]`` and a nesting limit, with precise
  columns (the parser's own errors for these are vague);
* ``DelimiterMatcher``: tells opening from closing bars, ``|X|`` and ``\\|x\\|_2``;
* ``mark_aliases``: replaces each written form of a variable with a ``latex:`` override
  (``\\lambda``, ``\\boldsymbol{\\Sigma}``) by one private-use character plus padding, so
  that columns stay those of the original text.
"""

from __future__ import annotations

import re

from lark import Token

from derivgen.errors import DerivgenError

#: Deeper nesting than this is refused (the parse tree is walked recursively).
MAX_NESTING = 100

_OPENERS = {"{": "}", "(": ")", "[": "]"}
_CLOSERS = {v: k for k, v in _OPENERS.items()}
_KIND = {"{": "braces", "(": "parentheses", "[": "brackets"}

#: Private-use characters stand for variables with a ``latex:`` override.
ALIAS_BASE = 0xE000


def check_groups(text: str) -> None:
    """Raise on unbalanced ``{}``/``()``/``[]`` or nesting deeper than ``MAX_NESTING``.

    >>> check_groups(r"\\frac{1}{2")
    Traceback (most recent call last):
    ...
    derivgen.errors.DerivgenError: <input>:1: unbalanced braces: '{' is never closed...
    """
    stack: list[tuple[str, int]] = []
    i = 0
    while i < len(text):
        char = text[i]
        if char == "\\":        # \{ \} \| and commands are not groups
            i += 2
            continue
        if char in _OPENERS:
            stack.append((char, i))
            if len(stack) > MAX_NESTING:
                raise DerivgenError(f"formula nested too deeply (more than {MAX_NESTING} "
                                    f"groups)", column=i, fragment=text)
        elif char in _CLOSERS:
            opener = _CLOSERS[char]
            if not stack:
                raise DerivgenError(f"unbalanced {_KIND[opener]}: '{char}' without '{opener}'",
                                    column=i, fragment=text)
            if stack[-1][0] != opener:
                open_char, at = stack[-1]
                raise DerivgenError(f"unbalanced {_KIND[open_char]}: '{open_char}' at column "
                                    f"{at} is closed by '{char}'", column=i, fragment=text)
            stack.pop()
        i += 1
    if stack:
        open_char, at = stack[-1]
        raise DerivgenError(f"unbalanced {_KIND[open_char]}: '{open_char}' is never closed",
                            column=at, fragment=text)


# ---- bars and norms ---------------------------------------------------------------------

#: After these tokens an operand is expected, so a bar there opens.
_EXPECTS_OPERAND = {"_PLUS", "_MINUS", "_SLASH", "_CDOT", "_ODOT", "_OTIMES", "LPAR", "LSQB",
                    "LBRACE", "_LCURLY", "_LBAR", "_LNORM", "CIRCUMFLEX", "COMMA",
                    "_LANGLE"}
_BARS = {"BAR": ("_LBAR", "_RBAR"), "NORM": ("_LNORM", "_RNORM")}
#: Function names: a bar after one opens its argument, as in ``|\log|\mathbf{X}||``.
_FUNCTION_COMMANDS = {"\\log", "\\ln", "\\det", "\\exp"}
_GROUP_OPEN = {"LPAR": "RPAR", "LSQB": "RSQB", "LBRACE": "RBRACE", "_LCURLY": "_RCURLY"}
_GROUP_CLOSE = set(_GROUP_OPEN.values())


class DelimiterMatcher:
    """Lark post-lexer: ``BAR``/``NORM`` become ``LBAR``/``RBAR``, ``LNORM``/``RNORM``.

    A bar opens after an operator, an opening delimiter, a function name such as
    ``\\log``, or after ``\\left``; it closes
    after ``\\right`` or when the innermost open delimiter is the same kind of bar;
    otherwise it opens.  So ``\\log|X| |Y|`` reads as two determinants, and
    ``|a + |b||`` nests.  ``\\left``/``\\right``/``\\big`` tokens are dropped here.
    """

    always_accept = ("BAR", "NORM", "SIZER")

    def process(self, stream):
        stack: list[str] = []
        previous = None
        side = None             # 'left' / 'right' from a preceding \left, \right, \bigl...
        for token in stream:
            if token.type == "SIZER":
                side = _sizer_side(token.value)
                continue
            if token.type in _BARS:
                token = self._classify(token, stack, previous, side)
            side = None
            if token.type == "COMMAND" and token.value in _FUNCTION_COMMANDS:
                previous = "FUNCTION"
                yield token
                continue
            if token.type in _GROUP_OPEN or token.type in ("_LBAR", "_LNORM"):
                stack.append(token.type)
                if len(stack) > MAX_NESTING:
                    raise DerivgenError(f"formula nested too deeply (more than {MAX_NESTING} "
                                        f"groups)", column=token.start_pos)
            elif (token.type in _GROUP_CLOSE or token.type in ("_RBAR", "_RNORM")) and stack:
                stack.pop()
            previous = token.type
            yield token

    @staticmethod
    def _classify(token, stack, previous, side):
        opening, closing = _BARS[token.type]
        value = token.value
        if side == "left" or value.startswith("\\l"):
            kind = opening
        elif side == "right" or value.startswith("\\r"):
            kind = closing
        elif previous is None or previous in _EXPECTS_OPERAND or previous == "FUNCTION":
            kind = opening
        elif stack and stack[-1] == opening:
            kind = closing
        else:
            kind = opening
        return Token.new_borrow_pos(kind, value, token)


def _sizer_side(value: str):
    if value == "\\left" or value.endswith("l"):
        return "left"
    if value == "\\right" or value.endswith("r"):
        return "right"
    return None


# ---- variables with a latex: override ---------------------------------------------------

_TOKEN = re.compile(r"\\[a-zA-Z]+|\\.|\s+|.", re.S)
_BOLD = {r"\mathbf", r"\boldsymbol", r"\bm"}


def _tokens(text: str):
    """(value, start, end) of each LaTeX token, whitespace dropped."""
    return [(m.group(), m.start(), m.end()) for m in _TOKEN.finditer(text)
            if not m.group().isspace()]


_TEXT_COMMANDS = {r"\operatorname", r"\mathrm", r"\text", r"\textrm", r"\textnormal",
                  r"\mathit", r"\mathsf"}


def _after_group(tokens, i: int) -> int:
    """Index after the brace group starting at ``tokens[i]`` (or ``i`` if none starts there)."""
    if i >= len(tokens) or tokens[i][0] != "{":
        return i
    depth = 0
    for j in range(i, len(tokens)):
        depth += {"{": 1, "}": -1}.get(tokens[j][0], 0)
        if depth == 0:
            return j + 1
    return len(tokens)


def alias_forms(latex: str) -> list[tuple[str, ...]]:
    """The token sequences that write a variable with override ``latex``.

    ``\\boldsymbol{\\Sigma}`` is also accepted as ``\\Sigma`` (and so ``\\mathbf{\\Sigma}``).

    >>> alias_forms(r"\\boldsymbol{\\Sigma}")
    [('\\\\boldsymbol', '{', '\\\\Sigma', '}'), ('\\\\Sigma',)]
    """
    full = tuple(value for value, _, _ in _tokens(latex))
    forms = [full] if full else []
    if len(full) >= 4 and full[0] in _BOLD and full[1] == "{" and full[-1] == "}":
        forms.append(full[2:-1])
    return forms


def mark_aliases(text: str, aliases: dict[str, str]) -> tuple[str, dict[str, str]]:
    """Replace override spellings by placeholders; returns (new text, placeholder -> name).

    ``aliases`` maps variable name -> its ``latex:``.  The new text has the same length
    as ``text``: a placeholder character followed by spaces.

    >>> mark_aliases(r"\\lambda x", {"lam": r"\\lambda"})[0] == chr(0xE000) + "       x"
    True
    """
    forms = []
    for index, (name, latex) in enumerate(sorted(aliases.items())):
        if _plain_spelling(name, latex):
            continue
        for form in alias_forms(latex):
            forms.append((form, chr(ALIAS_BASE + index), name))
    forms.sort(key=lambda f: -len(f[0]))
    placeholders = {char: name for _, char, name in forms}
    if not forms:
        return text, placeholders
    tokens = _tokens(text)
    chars = list(text)
    i = 0
    while i < len(tokens):
        if tokens[i][0] in _TEXT_COMMANDS:        # \operatorname{softmax}: not names
            i = _after_group(tokens, i + 1)
            continue
        for form, char, _ in forms:
            window = tokens[i:i + len(form)]
            if tuple(value for value, _, _ in window) == form:
                start, end = window[0][1], window[-1][2]
                chars[start:end] = [char] + [" "] * (end - start - 1)
                i += len(form)
                break
        else:
            i += 1
    return "".join(chars), placeholders


def _plain_spelling(name: str, latex: str) -> bool:
    """True when ``latex`` is ``name`` or ``name`` in bold: it needs no placeholder."""
    core = re.sub(r"^\\(mathbf|boldsymbol|bm)\s*\{(.*)\}$", r"\2", latex.strip(), flags=re.S)
    return core.replace(" ", "") == name
