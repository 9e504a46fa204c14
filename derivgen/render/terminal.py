"""The LaTeX that derivgen prints, as Unicode mathematics a person reads in a terminal.

    >>> terminal_math(r"\\operatorname{tr}((\\mathbf{a}\\mathbf{b}^T)^T\\,d\\mathbf{X})")
    'tr((a bᵀ)ᵀ dX)'
    >>> terminal_math(r"\\frac{\\partial \\ell}{\\partial \\mathbf{W}_1} = \\sum_{i=1}^{N} \\mathbf{x}_i^T")
    '∂ℓ/∂W₁ = Σᵢ₌₁ᴺ xᵢᵀ'
    >>> terminal_math(r"(\\mathbf{1} + e^{\\mathbf{a}})^{\\odot -1}")
    '(1 + e^a)^(⊙-1)'

Only the subset of LaTeX that derivgen's printer and rules write is read (bold and upright
names, fractions, scripts, ``\\sum``, ``\\sqrt``, sized delimiters, named operators, Greek
letters and the operator symbols); an unknown command prints as its name.
"""

from __future__ import annotations

import re

from derivgen.render.unicode import GREEK_LETTERS, MATH_SYMBOLS

SUPERSCRIPTS = dict(zip("0123456789+-=()nijkTHNmpx*", "⁰¹²³⁴⁵⁶⁷⁸⁹⁺⁻⁼⁽⁾ⁿⁱʲᵏᵀᴴᴺᵐᵖˣ*"))
SUBSCRIPTS = dict(zip("0123456789+-=()aehijklmnoprstuvx,", "₀₁₂₃₄₅₆₇₈₉₊₋₌₍₎ₐₑₕᵢⱼₖₗₘₙₒₚᵣₛₜᵤᵥₓ,"))

#: Commands by their Unicode, beside the Greek letters and the symbols of ``unicode``.
COMMANDS = {name: char for char, name in GREEK_LETTERS.items() if char not in "ϕϵµ"}
COMMANDS.update({command[1:]: char for char, command in MATH_SYMBOLS.items()
                 if char not in "⋅√"})
COMMANDS.update({"varepsilon": "ε", "varphi": "φ"})   # the variants no character above names
COMMANDS.update({"ell": "ℓ", "prime": "′", "top": "T", "intercal": "T", "lVert": "‖", "rVert": "‖",
                 "|": "‖", "{": "{", "}": "}", ",": " ", ";": " ", ":": " ", "!": "",
                 " ": " ", "quad": "  ", "qquad": "    ", "ldots": "…", "cdots": "⋯",
                 "dots": "…", "log": "log", "exp": "exp", "det": "det", "tanh": "tanh",
                 "sin": "sin", "cos": "cos", "max": "max", "min": "min", "lvert": "|",
                 "rvert": "|", "langle": "⟨", "rangle": "⟩", "Re": "Re", "Im": "Im"})
#: Named operators: set off by a space from a factor before them.
OPERATORS = {"log", "exp", "det", "tanh", "sin", "cos", "operatorname", "max", "min"}
#: Commands that only set a font or a size: their argument prints as it is.
TRANSPARENT = {"mathbf", "boldsymbol", "bm", "mathrm", "operatorname", "text", "textrm",
               "mathit", "mathsf", "mathcal", "displaystyle", "textstyle", "boxed",
               "textit", "textbf"}
#: Delimiter sizes: dropped, the delimiter after them kept.
SIZES = {"left", "right", "big", "Big", "bigg", "Bigg", "bigl", "bigr", "Bigl", "Bigr",
         "biggl", "biggr", "Biggl", "Biggr", "middle"}
BLACKBOARD = {"R": "ℝ", "C": "ℂ", "S": "𝕊", "N": "ℕ", "Z": "ℤ"}

#: Marks around a bold name while the text is put together (removed at the end).
BOLD_START, BOLD_END = "\x02", "\x03"
BOLD = BOLD_START + BOLD_END

_TOKEN = re.compile(r"\\([A-Za-z]+|.)|(\s+)|(.)", re.S)


def terminal_math(latex: str) -> str:
    """``latex`` as Unicode text (see the module's examples)."""
    tokens = [(m.group(1), m.group(2), m.group(3)) for m in _TOKEN.finditer(latex)]
    text, _ = _read(tokens, 0, stop=None)
    # juxtaposed bold names read apart: a bᵀ, not abᵀ
    text = re.sub(BOLD_END + r"([^" + BOLD + r"\s(){}+\-=/,]*)" + BOLD_START, r"\1 ", text)
    text = text.replace(BOLD_START, "").replace(BOLD_END, "")
    text = re.sub(r"([(\[]) +| +([)\]])", r"\1\2", re.sub(r" {2,}", " ", text))
    return text.strip()


def _read(tokens, i, stop):
    """Text of tokens from ``i`` up to the closing ``stop`` (``}``); ``(text, next)``."""
    out = []
    while i < len(tokens):
        command, space, char = tokens[i]
        if char == stop and stop is not None:
            return "".join(out), i + 1
        if space is not None:
            out.append(" ")
            i += 1
        elif char == "{":
            inner, i = _read(tokens, i + 1, "}")
            out.append(inner)
        elif char in ("^", "_"):
            arg, i = _argument(tokens, i + 1)
            out.append(_script(arg, SUPERSCRIPTS if char == "^" else SUBSCRIPTS,
                               "^" if char == "^" else "_"))
        elif char is not None:
            out.append(char)
            i += 1
        else:
            text, i = _command(command, tokens, i + 1)
            before = "".join(out[-1:]).rstrip(BOLD)[-1:]
            if command in OPERATORS and before and before not in " (-+|‖[":
                text = " " + text     # yᵢᵀ log(...), λ tr(...)
            out.append(text)
    return "".join(out), i


def _argument(tokens, i):
    """One argument: a group, a command, or a character."""
    while i < len(tokens) and tokens[i][1] is not None:
        i += 1
    if i >= len(tokens):
        return "", i
    command, _, char = tokens[i]
    if char == "{":
        return _read(tokens, i + 1, "}")
    if command is not None:
        return _command(command, tokens, i + 1)
    return char, i + 1


def _command(name, tokens, i):
    if name in ("mathbf", "boldsymbol", "bm"):
        arg, i = _argument(tokens, i)
        return BOLD_START + arg + BOLD_END, i
    if name in TRANSPARENT:
        return _argument(tokens, i)
    if name in SIZES:
        return "", i
    if name in ("frac", "dfrac", "tfrac"):
        top, i = _argument(tokens, i)
        bottom, i = _argument(tokens, i)
        return f"{_operand(top)}/{_operand(bottom)} ", i
    if name == "sqrt":
        arg, i = _argument(tokens, i)
        return f"√{_operand(arg)}", i
    if name == "mathbb":
        arg, i = _argument(tokens, i)
        return BLACKBOARD.get(arg, arg), i
    if name in ("overset", "stackrel"):
        _, i = _argument(tokens, i)
        return _argument(tokens, i)
    if name == "sum":
        return "Σ", i
    return COMMANDS.get(name, name), i


def _operand(text: str) -> str:
    """``text`` as an operand of ``/`` or ``√``: parenthesized unless it is one atom."""
    text = re.sub(r"([∂d])\s+", r"\1", text.strip())
    juxtaposed = re.search(BOLD_END + ".*" + BOLD_START, text)  # a b reads as two factors
    if re.fullmatch(r"[∂d]?\S*", text) and not juxtaposed and \
            not re.search(r"[+\-=/]", text[1:]):
        return text
    return f"({text})"


def _script(arg: str, table: dict, mark: str) -> str:
    """Superscript or subscript characters when Unicode has them all, else ``^(..)``."""
    arg = arg.replace(" ", "")
    if arg and all(ch in table or ch == "′" for ch in arg):
        return "".join(table.get(ch, ch) for ch in arg)
    visible = arg.replace(BOLD_START, "").replace(BOLD_END, "")
    return f"{mark}{arg}" if len(visible) == 1 else f"{mark}({arg})"   # ^(⊙-1), e^(A x)
