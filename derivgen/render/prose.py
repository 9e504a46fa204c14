"""Safe LaTeX from problem prose, and the default problem statement.

Problem files come from anyone, and TeX is a programming language that can read files
(``\\input``), write them (``\\write``) and redefine itself (``\\catcode``, ``\\def``).  So:

* text outside ``$...$`` is escaped and prints literally;
* math is kept, but only letters-only commands from an allowlist may appear in it.

    >>> sanitize_prose(r"Find $\\mathbf{x}$ with 50% & more_stuff")
    'Find $\\\\mathbf{x}$ with 50\\\\% \\\\& more\\\\_stuff'
    >>> sanitize_prose(r"$\\input{/etc/passwd}$")  # doctest: +IGNORE_EXCEPTION_DETAIL
    Traceback (most recent call last):
    derivgen.errors.DerivgenError: LaTeX command \\input is not allowed in problem text
"""

from __future__ import annotations

import re

from sympy import MatrixSymbol, Symbol

from derivgen.errors import DerivgenError
from derivgen.ir.nodes import AppliedFunction
from derivgen.ir.sums import Sample, SampleScalar
from derivgen.problem.commands import MATH_COMMANDS, PACKAGE_OF, PACKAGES, first_disallowed
from derivgen.problem.load import TRANSPOSE_STYLES
from derivgen.parse.scope import top_level_equals
from derivgen.render.latex import function_name_latex, name_latex, to_latex
from derivgen.render.layout import break_rows
from derivgen.render.mathcheck import check_structure
from derivgen.render.unicode import char_latex, math_symbol, text_latex


#: Definitions in every document's preamble of the allowed commands that neither LaTeX nor
#: amsmath/amssymb define, so that every command of MATH_COMMANDS compiles.
PREAMBLE_DEFINITIONS = (
    r"\providecommand{\tr}{\operatorname{tr}}",
    r"\providecommand{\rank}{\operatorname{rank}}",
    r"\providecommand{\diag}{\operatorname{diag}}",
    r"\providecommand{\argmax}{\operatorname*{arg\,max}}",
    r"\providecommand{\argmin}{\operatorname*{arg\,min}}",
    r"\providecommand{\coloneqq}{\mathrel{\vcenter{\hbox{$:$}}}=}",
    r"\providecommand{\bm}[1]{\boldsymbol{#1}}",
)




def set_packages(meta: dict | None) -> list[str]:
    """The packages the problems' ``set.yaml`` preambles load (``expand_paths``' meta), in
    order; each from the allowlist (``problem.commands.PACKAGES``), before the documents'
    own definitions so that its commands are its own."""
    names = ((meta or {}).get("preamble") or {}).get("packages") or []
    return [name for name in names if name in PACKAGES]


def set_instructions(meta: dict) -> str:
    """``set.yaml``'s ``instructions:`` as safe LaTeX; an error is at its line in set.yaml."""
    try:
        return sanitize_prose(str(meta["instructions"]))
    except DerivgenError as err:
        raise err.located(*(meta.get("instructions_at") or (None, None))) from None


_TEXT_ESCAPES = {
    "\\": r"\textbackslash{}", "{": r"\{", "}": r"\}", "&": r"\&", "%": r"\%", "#": r"\#",
    "_": r"\_", "~": r"\textasciitilde{}", "^": r"\textasciicircum{}", "$": r"\$",
    # OT1-encoded fonts print < > | as other glyphs
    "<": r"\textless{}", ">": r"\textgreater{}", "|": r"\textbar{}",
}


def escape_text(text: str) -> str:
    """Plain text that prints literally: ``50% & a_b`` -> ``50\\% \\& a\\_b``; characters
    outside ASCII become LaTeX the default fonts can typeset (``α`` -> ``\\ensuremath{\\alpha}``)."""
    _check_characters(text)
    return text_latex(text, escape=lambda ch: _TEXT_ESCAPES.get(ch, ch))


def sanitize_prose(text: str) -> str:
    """Prose with inline math ``$...$`` (or ``$$...$$``) made safe for LaTeX.

    Raises DerivgenError naming the first disallowed command, or on unbalanced ``$``/braces.
    A backslash-dollar ``\\$`` outside math is a literal dollar sign.
    """
    out = []
    for kind, value in prose_segments(text):
        out.append(escape_text(value) if kind == "text"
                   else f"\\[{value}\\]" if kind == "display" else f"${value}$")
    return "".join(out)


def prose_segments(text: str) -> list[tuple[str, str]]:
    """``[("text", ...), ("math", ...), ("display", ...)]``: prose split at ``$...$`` and
    ``$$...$$`` (``\\$`` is a literal dollar); the math checked by ``check_math``.  What
    every output of prose (LaTeX here, HTML in ``export/``) is made from."""
    _check_characters(text)
    out, plain, i, n = [], [], 0, len(text)
    while i < n:
        if text.startswith("\\$", i):
            plain.append("$")
            i += 2
        elif text[i] == "$":
            delim = "$$" if text.startswith("$$", i) else "$"
            end = _find_closing(text, i + len(delim), delim)
            out.append(("text", "".join(plain)))
            plain = []
            out.append(("display" if delim == "$$" else "math",
                        check_math(text[i + len(delim):end], structure=True)))
            i = end + len(delim)
        else:
            plain.append(text[i])
            i += 1
    out.append(("text", "".join(plain)))
    return out


def _find_closing(text: str, start: int, delim: str) -> int:
    i = start
    while i < len(text):
        if text[i] == "\\":
            i += 2
            continue
        if text.startswith(delim, i):
            return i
        i += 1
    raise DerivgenError(f"unclosed math: {delim} without a matching {delim} in problem text",
                        fragment=text, column=start - len(delim))


def check_math(math: str, *, structure: bool = False) -> str:
    """Return ``math`` if every command in it is allowed (else raise), with characters
    outside ASCII made LaTeX (``α`` -> ``\\ensuremath{\\alpha}``).  With ``structure``
    (text from problem files), also raise where TeX would stop: ``\\frac{a}``, ``x^a^b``,
    ``\\left(`` alone (see ``mathcheck``).

        >>> check_math(r"\\mathbf{a}^T\\,d\\mathbf{X}")
        '\\\\mathbf{a}^T\\\\,d\\\\mathbf{X}'
    """
    _check_characters(math)
    pos = _unescaped(math, "$")
    if pos is not None:
        raise DerivgenError("'$' inside math: problem math is already in math mode",
                            fragment=math, column=pos)
    if "^^" in math:  # TeX reads ^^5c as a backslash: a way around any allowlist
        raise DerivgenError("'^^' is not allowed in problem math", fragment=math,
                            column=math.index("^^"))
    for ch in "#%&":
        # Unescaped # is a macro parameter, % would comment out the closing $, & breaks
        # the line: none belongs in inline math.
        pos = _unescaped(math, ch)
        if pos is not None:
            raise DerivgenError(f"character {ch!r} is not allowed in problem math "
                                f"(write \\{ch})", fragment=math, column=pos)
    # Every package's commands: whether the problem's set loads the package was checked
    # when the problem was read (problem.preamble); the documents load what the sets name.
    found = first_disallowed(math, PACKAGE_OF)
    if found is not None:
        name, position = found
        raise DerivgenError(f"LaTeX command \\{name} is not allowed in problem text",
                            fragment=math, column=position)
    depth = 0
    for match in re.finditer(r"\\.|[{}]", math, re.S):
        token = match.group()
        depth += {"{": 1, "}": -1}.get(token, 0)
        if depth < 0:
            break
    if depth != 0:
        raise DerivgenError("unbalanced braces in problem math", fragment=math, column=0)
    if not math.isascii():
        math = "".join(ch if ch.isascii() else _math_char(ch) for ch in math)
    if structure:
        check_structure(math)
    return math


def _math_char(ch: str) -> str:
    """A character outside ASCII in math: a symbol as its command, anything else as text."""
    symbol = math_symbol(ch)
    if symbol is not None:
        return rf"\ensuremath{{{symbol}}}"
    return rf"\text{{{char_latex(ch)}}}"


def check_problem_text(problem) -> None:
    """Raise DerivgenError at the key of a problem's text that LaTeX could not typeset: the
    title, the statement, a variable's ``latex:``.  (derivgen writes all the rest.)"""
    texts = [("title", problem.title, escape_text),
             ("statement", problem.statement, sanitize_prose)]
    texts += [(f"variables.{name}", spec.latex,
               lambda text: check_math(text, structure=True))
              for name, spec in problem.variables.items()]
    for key, text, typeset in texts:
        if text:
            try:
                typeset(text)
            except DerivgenError as err:
                raise err.located(problem.path, problem.line_of(key)) from None


def _unescaped(text: str, ch: str):
    for match in re.finditer(r"\\.|" + re.escape(ch), text, re.S):
        if match.group() == ch:
            return match.start()
    return None


def _check_characters(text: str) -> None:
    for pos, ch in enumerate(text):
        if (ord(ch) < 32 and ch not in "\n\t") or ord(ch) == 127:
            raise DerivgenError(f"control character {ord(ch):#04x} in problem text",
                                fragment=repr(text), column=pos)


# --- the default statement -------------------------------------------------------------

KIND_DEFINITIONS = {
    "sigmoid": r"1/(1 + e^{-x})",
    "softplus": r"\log(1 + e^{x})",
    "tanh": r"\tanh(x)",
}


def statement_latex(derivation) -> str:
    """The default statement, in the lecture's words, as safe LaTeX prose, the function
    displayed as the problem file writes it (``function_display``).

    "Calculate the derivative of \\[f(\\mathbf{X}) = \\mathbf{a}^T \\mathbf{X} \\mathbf{b}\\]
    with respect to $\\mathbf{X}$, where $\\mathbf{a} \\in \\mathbb{R}^{m}$,
    $\\mathbf{X} \\in \\mathbb{R}^{m \\times n}$, and $\\mathbf{b} \\in \\mathbb{R}^{n}$."
    """
    problem, scope = derivation.problem, derivation.scope
    wrt = [variable_latex(name, scope) for name in problem.wrt]
    what = "the first and second derivatives" if problem.hessian else "the derivative"
    respect = ["$" + w + "$" for w in wrt]
    complex_wrt = [w for w, name in zip(wrt, problem.wrt) if problem.variables[name].complex]
    if complex_wrt:  # Wirtinger: Z and Z^* as independent variables
        what = "the Wirtinger derivatives"
        respect += [f"${w}^*$" for w in complex_wrt]
    sentence = (f"Calculate {what} of\n{function_display(derivation)}"
                f"with respect to {_and_list(respect)}")
    domains = [f"${variable_latex(name, scope)} \\in {domain_latex(spec)}$"
               for name, spec in problem.variables.items()]
    if domains:
        sentence += ", where " + _and_list(domains)
    sentence += "."
    return sentence + _functions_sentence(derivation)


def statement_with_function(derivation) -> str:
    """An instructor's ``statement:``, followed by the function (and ``where:``) displayed
    as written unless the statement already shows the function."""
    problem = derivation.problem
    text = sanitize_prose(problem.statement)
    if _squeezed(problem.function) in _squeezed(problem.statement):
        return text
    return text + "\n" + function_display(derivation)


def _squeezed(text: str) -> str:
    return re.sub(r"\s+", "", text)


def function_display(derivation) -> str:
    """The function and each ``where:`` definition as display math, as the problem file
    writes them (parsed already, so known commands only; checked against the allowlist)."""
    problem, scope = derivation.problem, derivation.scope
    text = " ".join(problem.function.split()) or to_latex(derivation.function, scope)
    rows = []
    if top_level_equals(text) < 0:
        name = getattr(scope, "function_name", None) or "f"
        wrt = ", ".join(variable_latex(n, scope) for n in problem.wrt)
        rows.append((f"{name}({wrt})", text))
    else:
        at = top_level_equals(text)
        rows.append((text[:at].strip(), text[at + 1:].strip()))
    for item in problem.where:
        rows.append((_intermediate_latex(item.name, scope), " ".join(item.latex.split())))
    lines = []
    for lhs, rhs in rows:
        lhs, rhs = check_math(lhs), check_math(rhs)
        pieces = break_rows(spaced_signs(rhs), lhs=lhs) if "\\left" not in rhs else [rhs]
        if len(pieces) == 1:
            lines.append(f"{lhs} = {rhs}")
        else:
            body = f" \\\\ &\\quad {{}}".join(pieces)
            lines.append(f"\\begin{{aligned}}{lhs} &= {body}\\end{{aligned}}")
    if len(lines) == 1:
        return "\\[" + lines[0] + "\\]\n"
    # gathered, not gather*: the function and its where: list stay together on one page
    return "\\[\\begin{gathered}\n" + " \\\\\n".join(lines) + "\n\\end{gathered}\\]\n"


def _intermediate_latex(name: str, scope) -> str:
    """``\\mathbf{a}_{1,i}``: how the solution writes a ``where:`` name."""
    value = (getattr(scope, "intermediates", None) or {}).get(name)
    if isinstance(value, (MatrixSymbol, Sample, SampleScalar)):  # a link of the chain rule
        return to_latex(value, scope)
    return name_latex(_check_name(name), bold=bool(getattr(value, "is_Matrix", False)))


def spaced_signs(latex: str) -> str:
    """``a+b`` as ``a + b`` between top-level terms, so that a long formula can be broken
    there; inside braces, after ``^``, ``_`` or an opening bracket, signs are left alone."""
    out, depth = [], 0
    for at, char in enumerate(latex):
        depth += {"{": 1, "}": -1}.get(char, 0)
        before = latex[:at].rstrip()
        if char in "+-" and depth == 0 and before and before[-1] not in "^_({[=,&" \
                and not before.endswith(("\\left(", "\\Bigl(", "\\bigl(")):
            if not (before.endswith("\\") and not before.endswith("\\\\")):
                out.append(f" {char} ")
                continue
        out.append(char)
    return re.sub(r"  +", " ", "".join(out))


def variable_latex(name: str, scope) -> str:
    symbol = scope.symbols.get(name) if scope is not None else None
    if symbol is None:
        symbol = Symbol(_check_name(name))
    return check_math(to_latex(symbol, scope))


def domain_latex(spec) -> str:
    """``\\mathbb{R}^{m \\times n}``, ``\\mathbb{S}^{l \\times l}``, ``\\mathbb{C}^{m}``, ``\\mathbb{R}``."""
    field = r"\mathbb{C}" if spec.complex else r"\mathbb{S}" if spec.symmetric else r"\mathbb{R}"
    dims = [_dim_latex(d) for d in spec.shape]
    if not dims:
        return field
    times = " \\times "
    return f"{field}^{{{times.join(dims)}}}"


def _dim_latex(dim) -> str:
    if isinstance(dim, int):
        return str(dim)
    return name_latex(_check_name(str(dim)), bold=False)


def _check_name(name: str) -> str:
    if not re.fullmatch(r"[A-Za-z][A-Za-z0-9_]*", name):
        raise DerivgenError(f"invalid name {name!r}")
    return name


def _functions_sentence(derivation) -> str:
    """What each declared function is: applied element-wise where the function uses it;
    one the function does not use (a sigmoid for the result of a logistic loss written with
    ``e^{\\mathbf{A}\\mathbf{w}}``) is offered for the answer."""
    functions = dict(getattr(derivation.problem, "functions", {}) or {})
    used = {f.name for f in getattr(derivation.function, "atoms", lambda *_: ())(AppliedFunction)}
    applied, offered = [], []
    for name, kind in functions.items():
        fname = function_name_latex(_check_name(name))
        definition = KIND_DEFINITIONS.get(kind)
        if definition and not definition.startswith(fname + "("):  # not tanh(x) = tanh(x)
            text = f"${fname}(x) = {definition}$"
        else:
            text = f"${fname}$"
        (applied if name in used or not used else offered).append(text)
    sentence = ""
    if applied:
        verb = "is" if len(applied) == 1 else "are"
        sentence += f" The function{'s' if len(applied) > 1 else ''} {_and_list(applied)} " \
                    f"{verb} applied element-wise."
    if offered:
        sentence += f" The answer may use {_and_list(offered)}, applied element-wise."
    return sentence


def _and_list(items: list[str]) -> str:
    if len(items) <= 1:
        return "".join(items)
    if len(items) == 2:
        return f"{items[0]} and {items[1]}"
    return ", ".join(items[:-1]) + ", and " + items[-1]


# --- the instructor's transpose ---------------------------------------------------------

#: How a transpose is written: the mark after ``^`` for each style a problem file or
#: ``set.yaml`` may use.
TRANSPOSE_MARKS = {style: style for style in TRANSPOSE_STYLES}
_TRANSPOSE = re.compile(r"\^(?:\{(-?)(?:T|\\top|\\mathsf\{T\}|\\mathsf T|\\intercal)\}"
                        r"|(?:T|\\top|\\intercal)(?![A-Za-z]))")
_STYLES = ((r"\mathsf{T}", r"\^\s*\{\s*-?\s*\\mathsf\s*\{?\s*T"),
           (r"\top", r"\^\s*\{?\s*-?\s*\\top(?![A-Za-z])"),
           (r"\intercal", r"\^\s*\{?\s*-?\s*\\intercal(?![A-Za-z])"))


def transpose_style(*texts) -> str:
    """The transpose the instructor writes in ``texts`` (``T`` when none other is)."""
    joined = " ".join(t for t in texts if t)
    return next((style for style, pattern in _STYLES if re.search(pattern, joined)), "T")


def restyle_transposes(latex: str, style: str) -> str:
    r"""Every transpose in ``latex`` written in ``style`` (a key of ``TRANSPOSE_MARKS``):
    ``\mathbf{A}^T`` -> ``\mathbf{A}^{\top}``, ``\mathbf{X}^{-T}`` -> ``\mathbf{X}^{-\top}``."""
    mark = TRANSPOSE_MARKS[style]

    def one(match):
        if match.group(1) == "-":
            return "^{-" + mark + "}"
        return "^T" if mark == "T" else "^{" + mark + "}"
    return _TRANSPOSE.sub(one, latex)
