"""LaTeX -> SymPy for derivgen's formulas, checked against a problem's ``Scope``.

>>> # parse_latex(r"\\mathbf{a}^T \\mathbf{X} \\mathbf{b}", scope)  ->  a.T*X*b
>>> # parse_function(r"f(\\mathbf{x}) = \\|\\mathbf{Ax} - \\mathbf{y}\\|_2^2", scope)
>>> #     ->  (-y.T + x.T*A.T)*(A*x - y)

Every failure is a ``DerivgenError`` whose ``column`` is a 0-based offset into the text.
"""

from __future__ import annotations

import hashlib
import io
import re
import sys
from functools import lru_cache
from pathlib import Path

import lark
from lark import Lark
from lark.exceptions import UnexpectedCharacters, UnexpectedInput, VisitError

from derivgen.errors import DerivgenError
from derivgen.files import user_cache_dir, write_atomically
from derivgen.ir.sums import free_indices
from derivgen.parse.build import Builder
from derivgen.parse.lexing import DelimiterMatcher, check_groups, mark_aliases
from derivgen.parse.names import NameTable
from derivgen.parse.scope import FUNCTION_NAME, top_level_equals
from derivgen.parse.transform import ToSympy, sample_counts

__all__ = ["parse_latex", "parse_function"]


def parse_latex(text: str, scope, *, indexed: bool = False, elementwise: bool = False):
    """The SymPy expression for ``text``; raises ``DerivgenError`` (with a column).

    ``indexed``: a sample such as ``x_i`` may stand outside a sum over ``i`` (in ``where:``).
    ``elementwise``: a scalar added to or divided by a matrix means entry by entry
    (``1 - \\sigma(\\mathbf{x})``), as students write; problems write ``\\mathbf{1}``.
    """
    value = _parse(text, scope, allow_prefix=False, elementwise=elementwise)
    return value if indexed else _bound(value, text)


def parse_function(text: str, scope):
    """Like ``parse_latex``, but ``f(\\mathbf{X}) =``, ``f =``, ``\\ell(...) =`` may come first."""
    return _bound(_parse(text, scope, allow_prefix=True), text)


def _bound(value, text):
    """``value`` if every sample index in it is bound by a sum."""
    free = sorted(str(i) for i in free_indices(value))
    if free:
        raise DerivgenError(f"the samples indexed by {free[0]} appear outside a sum over "
                            f"{free[0]}: write \\sum_{{{free[0]}=1}}^{{N}} in front", column=0,
                            fragment=text)
    return value


# ---- pipeline ---------------------------------------------------------------------------

def _parse(text: str, scope, allow_prefix: bool, elementwise: bool = False):
    if not isinstance(text, str) or not text.strip():
        raise DerivgenError("empty formula", column=0, fragment=str(text or ""))
    work = _blank_decoration(text)
    if allow_prefix:
        work = _blank_prefix(work, text)
    if not work.strip():
        raise DerivgenError("empty formula", column=len(text), fragment=text)
    try:
        check_groups(work)
    except DerivgenError as error:     # quote the text as written, not the blanked copy
        error.fragment = text
        raise
    aliases = {name: spec.latex for name, spec in scope.specs.items() if spec.latex}
    work, placeholders = mark_aliases(work, aliases)
    for count in sample_counts(work) - set(scope.symbols):
        scope.dim(count)          # N of \sum_{i=1}^{N} is a number the formula may use
    tree = _syntax_tree(work, text)
    names = NameTable(scope, text, placeholders)
    first = Builder(text, scope, elementwise=elementwise)
    result = _run(ToSympy(first, names), tree, text)
    holes = first.hole_shapes()
    if holes:
        again = Builder(text, scope, fixed_holes=holes, elementwise=elementwise)
        result = _run(ToSympy(again, names), tree, text)
    return result.value


def _run(transformer, tree, text):
    try:
        return transformer.transform(tree)
    except VisitError as error:
        if isinstance(error.orig_exc, DerivgenError):
            raise error.orig_exc from None
        if isinstance(error.orig_exc, RecursionError):
            raise _too_deep(text) from None
        # SymPy refusing something the checks above let through: still the user's formula
        raise DerivgenError(f"cannot build this formula: {error.orig_exc}", column=0,
                            fragment=text) from None
    except RecursionError:
        raise _too_deep(text) from None


def _too_deep(text):
    return DerivgenError("formula nested too deeply", column=0, fragment=text)


@lru_cache(maxsize=1)
def _parser() -> Lark:
    """The LALR parser.  Its tables are kept in the user's cache folder (Lark's ``save`` and
    ``load``): loading them takes a few ms, analysing the grammar ~35 ms at every start."""
    grammar = (Path(__file__).parent / "grammar.lark").read_text(encoding="utf-8")
    key = hashlib.sha256(f"{grammar}\0{lark.__version__}\0{sys.version}".encode()).hexdigest()
    folder = user_cache_dir()
    path = folder / f"grammar-{key[:32]}.pickle" if folder is not None else None
    header = key.encode() + b"\n"
    try:
        data = path.read_bytes() if path is not None else b""
        if data.startswith(header):
            return Lark.load(io.BytesIO(data[len(header):]))
    except Exception:  # noqa: BLE001 -- unreadable or damaged: analyse the grammar again
        pass
    parser = Lark(grammar, parser="lalr", lexer="basic", postlex=DelimiterMatcher(),
                  propagate_positions=True)
    if path is not None:
        out = io.BytesIO(header)
        out.seek(len(header))
        parser.save(out)
        try:
            write_atomically(path, out.getvalue())
        except OSError:
            pass  # a cache that cannot be written is only slower
    return parser


def _syntax_tree(work: str, text: str):
    """Parse ``work`` (``text`` with placeholders); Lark errors become ``DerivgenError``."""
    try:
        return _parser().parse(work)
    except DerivgenError as error:          # from DelimiterMatcher
        error.fragment = text
        raise
    except UnexpectedCharacters as error:
        at = error.pos_in_stream
        char = text[at]
        if char == "=":
            message = "unexpected '=': only the function may start with 'f(...) ='"
        elif char == "\\":
            message = f"unexpected '{text[at:at + 2]}'"
        else:
            message = f"unexpected character '{char}'"
        raise DerivgenError(message, column=at, fragment=text) from None
    except UnexpectedInput as error:
        raise _token_error(error, text) from None
    except RecursionError:
        raise _too_deep(text) from None


_NEVER_CLOSED = {"_RBAR": "'|' is never closed", "_RNORM": "'\\|' is never closed",
                 "_RCURLY": "'\\{' is never closed"}


def _token_error(error, text) -> DerivgenError:
    token = getattr(error, "token", None)
    expected = set(getattr(error, "expected", None) or ())
    if token is None or token.type == "$END":
        reasons = [m for t, m in _NEVER_CLOSED.items() if t in expected]
        message = f"formula ends too early: {reasons[0]}" if reasons else \
            "formula ends too early"
        return DerivgenError(message, column=len(text.rstrip()), fragment=text)
    at = token.start_pos
    written = text[at:token.end_pos] or str(token)
    if token.type in ("_RBAR", "_RNORM") or (token.type in ("_LBAR", "_LNORM")
                                             and "$END" in expected):
        message = f"unexpected '{written}': unbalanced bars"
    elif re.search(r"(?:\\\||\\[rR]?Vert|\\rVert)\s*_\s*\{?\s*$", text[:at]):
        message = (f"unexpected '{written}': only the norms \\|x\\|_2 (Euclidean) and "
                   f"\\|X\\|_F (Frobenius) are supported; a nuclear, spectral, 1- or max-norm "
                   f"is not differentiable everywhere: write a smooth surrogate, e.g. "
                   f"\\|X\\|_F^2 or \\mathbf{{1}}^T\\sqrt{{x \\odot x + \\varepsilon\\mathbf{{1}}}}")
    elif token.type == "COMMA":
        message = ("unexpected ',': functions of several arguments such as \\max(a, b) are "
                   "not supported (only \\langle A, B \\rangle takes two)")
    else:
        message = f"unexpected '{written}'"
    return DerivgenError(message, column=at, fragment=text)


# ---- text clean-up that keeps every column -----------------------------------------------

_PREFIX = re.compile(r"\s*" + FUNCTION_NAME + r"\s*"
                     r"(?:(?:\\left\s*)?\(.*\)|\[.*\])?\s*:?=\s*$", re.S)


def _blank(text: str, start: int, end: int) -> str:
    return text[:start] + " " * (end - start) + text[end:]


#: Spacing commands: ignored anywhere, also inside a superscript (``^{\\!\\top}``).
_SPACING = re.compile(r"(?<!\\)\\(?:[,;:! ]|q?quad(?![a-zA-Z])|displaystyle(?![a-zA-Z])"
                      r"|textstyle(?![a-zA-Z]))")


#: A subscript label in a text font: ``\\|X\\|_{\\mathrm{F}}``, ``\\mathbf{x}_\\text{new}``.
_TEXT_SUBSCRIPT = re.compile(r"_(\s*\{?)(\s*\\(?:mathrm|text|textrm|textnormal|rm|mathsf"
                             r"|operatorname)\s*\{)(\s*[A-Za-z0-9]+\s*)\}")


def _plain_subscript(match) -> str:
    """``_{\\mathrm{F}}`` -> ``_{        F }``, ``_\\text{F}`` -> ``_{     F}``: the label as
    plain letters (its font says only that it is a label), every column kept."""
    braced, font, label = match.group(1), match.group(2), match.group(3)
    if "{" in braced:
        return "_" + braced + " " * len(font) + label + " "
    return "_" + braced + "{" + " " * (len(font) - 1) + label + "}"


def _blank_decoration(text: str) -> str:
    """Blank ``$`` delimiters, spacing commands and one trailing ``.``/``,``/``;`` (copied
    from prose); a subscript label's font (``_{\\mathrm{F}}`` reads ``_F``)."""
    work = _SPACING.sub(lambda m: " " * len(m.group()), text.replace("$", " "))
    work = _TEXT_SUBSCRIPT.sub(_plain_subscript, work)
    stripped = work.rstrip()
    if stripped and stripped[-1] in ".,;" and not stripped[-2:-1] == "\\":
        work = _blank(work, len(stripped) - 1, len(stripped))
    return work


def _blank_prefix(work: str, text: str) -> str:
    """Blank an ``f(\\mathbf{X}) =`` prefix; any other ``=`` is an error."""
    at = top_level_equals(work)
    if at < 0:
        return work
    if not _PREFIX.match(work[:at + 1]):
        raise DerivgenError("only the function's name may come before '=': a letter, a Greek "
                            "letter or a styled name, as in 'f(\\mathbf{X}) =', 'J =', "
                            "'\\ell =', '\\mathcal{L}(\\mathbf{W}) ='", column=at, fragment=text)
    return _blank(work, 0, at + 1)
