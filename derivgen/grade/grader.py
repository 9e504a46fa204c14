"""Judging a student's answer against a verified derivation (contract §4).

    >>> verdict = grade(derivation, r"\\mathbf{b}\\mathbf{a}^T")          # doctest: +SKIP
    >>> verdict.correct, verdict.diagnosis                              # doctest: +SKIP
    (False, 'transpose')
    >>> verdict.as_dict()                                               # doctest: +SKIP
    {'correct': False, 'score': 0.0, 'diagnosis': 'transpose', 'feedback': '...'}

The answer is parsed with the problem's own declarations (a copy of its scope, so one
student cannot change what the next one may write), compared numerically with the verified
result by ``verify.compare``, and every failure on the student's side (unreadable, hostile,
too slow) is a verdict, never an exception. Only a ``wrt`` the problem does not have is an
error: that is the caller's mistake, not the student's.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from derivgen.errors import DerivgenError
from derivgen.grade.feedback import comparison_feedback, derivative_name
from derivgen.grade.safety import AnswerRejected, AnswerTimeout, screen, time_limit
from derivgen.model import Derivation, Result
from derivgen.parse import parse_latex
from derivgen.render.latex import to_latex
from derivgen.verify.compare import Comparison, compare

#: Diagnoses of contract §4, besides ``None`` (correct).
DIAGNOSES = ("syntax", "unknown-symbol", "shape", "transpose", "scale", "sign",
             "symmetric-part", "missing-term", "wrong")

#: Parser messages that mean the answer names something the problem does not declare.
_UNKNOWN = ("unknown symbol", "unknown function", "function ")
#: Parser messages that mean the answer is readable but its shapes do not fit together.
_SHAPES = ("cannot multiply", "cannot add", "cannot divide", "\\odot needs", "cannot invert",
           "needs a square matrix", "needs a column vector", "needs a vector", "|...| needs",
           "an exponent must be a scalar", "cannot raise")


@dataclass(frozen=True)
class Verdict:
    """The object of contract §4, plus the derivative it is about (``wrt``, ``conjugate``)."""

    correct: bool
    score: float
    diagnosis: str | None
    feedback: str
    wrt: str | None = None
    conjugate: bool = False
    comparison: Comparison | None = None

    def as_dict(self) -> dict:
        """``{"correct", "score", "diagnosis", "feedback"}``: what ``--json`` prints."""
        return {"correct": self.correct, "score": self.score, "diagnosis": self.diagnosis,
                "feedback": self.feedback}

    @property
    def target(self) -> str:
        """``X`` or ``Z*``: the derivative judged, as the ``wrt`` column writes it."""
        return f"{self.wrt}*" if self.conjugate else (self.wrt or "")


@dataclass(frozen=True)
class Grade:
    """Several answers to one problem: partial credit is the share of right derivatives."""

    score: float
    verdicts: tuple[Verdict, ...]

    @property
    def correct(self) -> bool:
        return all(v.correct for v in self.verdicts)


def grade(derivation: Derivation, answer, wrt: str | None = None, *, reveal: bool = False,
          seed: int = 1) -> Verdict:
    """Judge ``answer`` (LaTeX, as ``answer:`` is written) as the derivative by ``wrt``.

    ``wrt``: a variable's name, or ``Z*`` for the derivative by a complex ``Z``'s conjugate;
    it may be left out when the problem has one derivative. Raises ``DerivgenError`` only for
    a ``wrt`` that the problem has no derivative by.
    """
    result = target_result(derivation, wrt)
    name = derivative_name(result.wrt, result.conjugate, derivation.scope.function_name)
    judged = Verdict(False, 0.0, None, "", result.wrt, result.conjugate)
    try:
        with time_limit():
            verdict = _judge(derivation, answer, result, name, seed)
    except AnswerTimeout:
        verdict = _unreadable("your answer takes too long to evaluate; write it more simply")
    except RecursionError:
        verdict = _unreadable("your answer is nested too deeply")
    verdict = replace(verdict, wrt=judged.wrt, conjugate=judged.conjugate)
    if reveal and not verdict.correct:
        shown = to_latex(result.chain_form if result.chain_form is not None else result.expr,
                         derivation.scope)
        verdict = replace(verdict, feedback=f"{verdict.feedback} The derivative is {shown}.")
    return verdict


def grade_answers(derivation: Derivation, answers: dict, *, reveal: bool = False,
                  seed: int = 1) -> Grade:
    """Judge one student's answers, ``{wrt: latex}``; the score is the share of the problem's
    first derivatives answered right (an unanswered one counts as wrong)."""
    verdicts = tuple(grade(derivation, text, wrt, reveal=reveal, seed=seed)
                     for wrt, text in answers.items())
    total = len(first_derivatives(derivation)) or 1
    return Grade(round(sum(v.score for v in verdicts) / total, 4), verdicts)


def first_derivatives(derivation: Derivation) -> list[Result]:
    return [r for r in derivation.results if r.order == 1]


def target_result(derivation: Derivation, wrt: str | None) -> Result:
    """The first derivative a ``wrt`` names (``Z*``/``Z^*``: by the conjugate)."""
    results = first_derivatives(derivation)
    names = ", ".join(dict.fromkeys(r.wrt + ("*" if r.conjugate else "") for r in results))
    if wrt is None or not str(wrt).strip():
        plain = [r for r in results if not r.conjugate]
        if len(plain) == 1:
            return plain[0]
        raise DerivgenError(f"the problem has several derivatives ({names}): say which one "
                            f"the answer is (wrt)")
    text = str(wrt).strip()
    conjugate = text.endswith("*")
    base = text.rstrip("*").removesuffix("^").strip()
    for result in results:
        if result.wrt == base and result.conjugate == conjugate:
            return result
    raise DerivgenError(f"the problem has no derivative by '{text}': it has {names}")


# ---- judging ------------------------------------------------------------------------------

def _judge(derivation, answer, result, name, seed) -> Verdict:
    scope = derivation.scope
    try:
        text = screen(answer, _known_commands(scope))
        expr, elementwise = _parse_answer(_without_lhs(text), derivation, result)
    except AnswerRejected as error:
        return _unreadable(error.message, answer, error.column)
    except DerivgenError as error:
        return _parse_verdict(error, answer)
    except (AnswerTimeout, RecursionError):
        raise
    except Exception:  # noqa: BLE001 -- SymPy refusing a strange formula: still a verdict
        return _unreadable("this is not a formula derivgen can read", answer, 0)
    comparison = compare(derivation, expr, result, seed=seed)
    feedback = comparison_feedback(comparison, name, lambda term: _symbols_in(term, scope,
                                                                              expr))
    if elementwise:
        feedback += ELEMENTWISE_NOTE
    return Verdict(comparison.agrees, 1.0 if comparison.agrees else 0.0,
                   comparison.diagnosis, feedback, comparison=comparison)


def _without_lhs(text: str) -> str:
    """``\\frac{\\partial f}{\\partial X} = G`` or ``\\nabla f = G``: the ``G`` a student
    means (after the last ``=`` outside braces), the rest blanked so columns still match."""
    depth, cut = 0, -1
    for at, char in enumerate(text):
        if char == "{":
            depth += 1
        elif char == "}":
            depth -= 1
        elif char == "=" and depth == 0:
            cut = at
    if cut < 0 or not text[cut + 1:].strip():
        return text
    return " " * (cut + 1) + text[cut + 1:]


#: What a student reads when a number added to (or divided by) a matrix was read entry by entry.
ELEMENTWISE_NOTE = (" (Read entry by entry: a number added to, or divided by, a vector or "
                    "matrix applies to each of its entries.)")


def _parse_answer(text, derivation, result) -> tuple:
    """``(expression, read_elementwise)``: parsed with a copy of the scope; ``\\mathbf{I}``
    alone takes the derivative's size; ``1 - \\sigma(\\mathbf{x})`` and
    ``\\frac{1}{1 + e^{-\\mathbf{x}}}``, which do not parse as matrix algebra, entry by entry."""
    try:
        return _parse_sized(text, derivation, result, elementwise=False), False
    except DerivgenError as error:
        if not error.message.startswith(("cannot add", "cannot divide")):
            raise
        try:
            return _parse_sized(text, derivation, result, elementwise=True), True
        except DerivgenError:
            raise error from None


def _parse_sized(text, derivation, result, *, elementwise):
    scope = replace(derivation.scope, dims=dict(derivation.scope.dims),
                    counts=dict(derivation.scope.counts))
    try:
        return parse_latex(text, scope, elementwise=elementwise)
    except DerivgenError as error:
        shape = getattr(result.expr, "shape", None)
        if not error.message.startswith("cannot infer the size") or shape is None:
            raise
        rows, cols = (str(d) for d in shape)
        try:   # adding zeros of the right size lets the parser infer the rest
            return parse_latex(rf"0 \cdot \mathbf{{1}}_{{{rows} \times {cols}}} + ({text})", scope,
                               elementwise=elementwise)
        except DerivgenError:
            raise error from None


def _parse_verdict(error: DerivgenError, answer) -> Verdict:
    message = error.message
    if message.startswith(_UNKNOWN):
        what = message.split(":")[0].removeprefix("unknown ").removeprefix("function ")
        what = what.removesuffix(" is not declared")
        return Verdict(False, 0.0, "unknown-symbol",
                       f"Your answer uses {what}, which the problem does not have: use only "
                       f"its variables and functions." + _caret(answer, error.column))
    if message.startswith(_SHAPES):
        return Verdict(False, 0.0, "shape", f"Your answer is not defined: {message}."
                       + _caret(answer, error.column))
    return _unreadable(message, answer, error.column)


def _unreadable(message, answer=None, column=None) -> Verdict:
    return Verdict(False, 0.0, "syntax", f"Your answer could not be read: {message}."
                   + _caret(answer, column))


def _caret(answer, column, width=60) -> str:
    """The answer around ``column`` with a caret under it (clipped for long answers)."""
    if not isinstance(answer, str) or not answer.strip() or column is None \
            or len(answer) > 4 * width:
        return ""
    start = max(0, column - width // 2)
    shown = answer[start:start + width].replace("\n", " ")
    return f"\n    {shown}\n    {' ' * (column - start)}^"


def _known_commands(scope) -> set:
    known = set(scope.functions)
    for spec in scope.specs.values():
        if spec.latex:
            known.update(word.lstrip("\\") for word in spec.latex.split("\\") if word)
    return {word.strip("{} ") for word in known}


def _symbols_in(term, scope, answer) -> list[str]:
    """The variables of ``term`` that the answer lacks (all of them if it has them all),
    written as in the problem (``\\lambda`` for ``lam``)."""
    names = [name for name, symbol in {**scope.symbols, **scope.intermediates}.items()
             if term.has(symbol)]
    missing = [n for n in names if not answer.has({**scope.symbols,
                                                   **scope.intermediates}[n])]
    return [scope.latex_name(n) or n for n in (missing or names)]
