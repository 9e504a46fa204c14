"""An expression against a verified result: do they agree, and if not, how do they differ?

``compare(derivation, expr, result)`` is the one entry point. It evaluates both on the
verifier's well-posed random instances (``defined_instance``: several, each with its own
sizes) and returns a frozen ``Comparison`` whose ``diagnosis`` names the first explanation
that holds on every instance, in this order:

==================  =================================================================
``None``            they agree (relative tolerance ``RTOL``)
``shape``           the shapes differ (``answer_shape`` and ``expected_shape`` say how)
``transpose``       the expression is the transpose of the result (with ``factor``: times
                    a constant too, ``-X^{-1}`` for ``X^{-T}``)
``sign``            it is the result times -1
``scale``           it is the result times a constant ``factor`` (or, with ``term`` set,
                    one term of a sum carries a wrong factor)
``symmetric-part``  it would be right if the square variable ``symbol`` were symmetric
                    (``2Ax`` where ``(A + A^T)x`` is right)
``missing-term``    ``term`` of the result is absent (``extra=True``: ``term`` of the
                    expression should not be there)
``wrong``           none of these; ``note`` may say ``conjugate`` (the complex conjugate
                    of the result), ``other`` (another derivative: ``other`` holds it),
                    ``zero`` or ``undefined`` (no finite value at the instances)
==================  =================================================================

Callers: ``verify.checks.check_answer`` explains an instructor's wrong ``answer:`` with
``comparison.explain(scope)``; ``grade/`` turns a comparison into a student's verdict.
"""

from __future__ import annotations

from copy import copy
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import numpy as np
from sympy import Add, MatAdd, MatrixExpr

from derivgen.ir.sums import MatSampleSum, SampleSum, sample_sum
from derivgen.model import Derivation, Result
from derivgen.render.latex import to_latex
from derivgen.verify.instances import RTOL, close, defined_instance

#: Instances an answer is compared on (each with its own random sizes).
COMPARE_TRIALS = 4


@dataclass(frozen=True)
class Comparison:
    """How an expression relates to a verified result (see the module's table)."""

    diagnosis: str | None
    expected_shape: tuple
    answer_shape: tuple
    factor: Any = None          # scale: the answer is ``factor`` times the result (or term)
    term: Any = None            # missing-term / term-wise scale: an IR term
    extra: bool = False         # missing-term: ``term`` is the answer's, one too many
    symbol: str | None = None   # symmetric-part: the variable taken as symmetric
    note: str | None = None     # wrong: conjugate, other, zero, undefined
    other: Result | None = None

    @property
    def agrees(self) -> bool:
        return self.diagnosis is None

    def explain(self, scope=None) -> str:
        """A sentence for an instructor (it may show the result's terms)."""
        term = to_latex(self.term, scope) if self.term is not None else ""
        shape = f"it is {shape_words(self.answer_shape)}, the derivative is " \
                f"{shape_words(self.expected_shape)}"
        return {
            None: "it agrees with the derived result",
            "shape": shape,
            "transpose": "it is the transpose of the derived result" + (
                f", times {factor_text(self.factor)}" if self.factor is not None else ""),
            "sign": "it has the opposite sign",
            "scale": f"the term {term} carries a factor {factor_text(self.factor)} too many"
                     if self.term is not None else
                     f"it is {factor_text(self.factor)} times the derived result",
            "symmetric-part": f"it holds only for a symmetric {self.symbol}",
            "missing-term": f"its term {term} should not be there" if self.extra
                            else f"the term {term} of the derived result is missing",
            "wrong": {"conjugate": "it is the complex conjugate of the derived result",
                      "other": "it is a different derivative of the problem",
                      "zero": "it is zero, the derived result is not",
                      "undefined": "it has no finite value at the random instances"}
                     .get(self.note, "it differs from the derived result"),
        }[self.diagnosis]


def compare(derivation: Derivation, expr, result: Result, seed: int = 1,
            trials: int = COMPARE_TRIALS) -> Comparison:
    """Compare the IR ``expr`` (parsed with ``derivation.scope``) with ``result``."""
    want_shape, got_shape = symbolic_shape(result.expr), symbolic_shape(expr)
    found = dict(expected_shape=want_shape, answer_shape=got_shape)
    rng = np.random.default_rng(seed)
    instances = [defined_instance(derivation, rng) for _ in range(trials)]
    want = [_value(inst, result.expr) for inst in instances]
    got = [_value(inst, expr) for inst in instances]
    if any(w is None for w in want):  # cannot happen for a verified result; say so plainly
        return Comparison("wrong", note="undefined", **found)
    if any(g is None for g in got):
        return Comparison("wrong", note="undefined", **found)
    if want_shape != got_shape or any(g.shape != w.shape for g, w in zip(got, want)):
        if _all(lambda g, w: g.T.shape == w.shape and close(g.T, w), got, want):
            return Comparison("transpose", **found)
        if _all(lambda g, w: g.T.shape == w.shape, got, want):
            factor = _common_factor([g.T for g in got], want)
            if factor is not None:
                return Comparison("transpose", factor=factor, **found)
        return Comparison("shape", **found)
    if _all(close, got, want):
        return Comparison(None, **found)
    if _all(lambda g, w: close(-g, w), got, want):
        return Comparison("sign", factor=-1, **found)
    if _all(lambda g, w: g.shape[0] == g.shape[1] and close(g.T, w), got, want):
        return Comparison("transpose", **found)
    factor = _common_factor(got, want)
    if factor is not None:
        return Comparison("scale", factor=factor, **found)
    factor = _common_factor([g.T for g in got], want) if got[0].shape[0] == got[0].shape[1] \
        and not _all(lambda g, w: close(g.T, g), got, want) else None
    if factor is not None:
        return Comparison("transpose", factor=factor, **found)
    symbol = _symmetric_only(derivation, instances, expr, result)
    if symbol is not None:
        return Comparison("symmetric-part", symbol=symbol, **found)
    termwise = _term_difference(derivation, instances, expr, result, got, want)
    if termwise is not None:
        return Comparison(**termwise, **found)
    return Comparison("wrong", **_what_else(derivation, instances, expr, result, got, want),
                      **found)


# ---- the explanations ---------------------------------------------------------------------

def _common_factor(got, want, keep=lambda c: True):
    """``c`` with ``got = c * want`` on every instance (the same ``c``), else None."""
    factors = []
    for g, w in zip(got, want):
        norm = np.vdot(w, w).real
        if norm <= 1e-24:
            return None
        c = np.vdot(w, g) / norm
        if not close(g, c * w):
            return None
        factors.append(c)
    if not all(close(c, factors[0], 1e-5) for c in factors) or abs(factors[0]) < 1e-9:
        return None
    c = factors[0]
    return nice_number(c) if keep(c) else None


def _symmetric_only(derivation, instances, expr, result):
    """A square, non-symmetric variable that would make ``expr`` right if it were symmetric."""
    scope = derivation.scope
    for name, spec in scope.specs.items():
        if len(spec.shape) != 2 or spec.shape[0] != spec.shape[1] or spec.symmetric \
                or spec.index:
            continue
        symmetrized = []
        for inst in instances:
            twin = copy(inst)
            value = inst.values[name]
            twin.values = {**inst.values, name: (value + value.T) / 2}
            symmetrized.append(twin)
        want = [_value(t, result.expr) for t in symmetrized]
        got = [_value(t, expr) for t in symmetrized]
        if all(w is not None and g is not None and g.shape == w.shape and close(g, w)
               for g, w in zip(got, want)):
            return scope.latex_name(name) or name
    return None


def _term_difference(derivation, instances, expr, result, got, want):
    """A term of the result missing from ``expr`` (or carrying a wrong factor), or a term of
    ``expr`` that is one too many."""
    terms = terms_of(derivation.concrete(result.expr))
    if len(terms) >= 2:
        differences = [g - w for g, w in zip(got, want)]
        for term in terms:
            values = [_value(inst, term) for inst in instances]
            if any(v is None or v.shape != d.shape for v, d in zip(values, differences)):
                continue
            c = _common_factor(differences, values)
            if c is None:
                continue
            if c == -1:
                return dict(diagnosis="missing-term", term=term)
            return dict(diagnosis="scale", term=term, factor=nice_number(1 + complex(c)))
    for term in terms_of(expr):
        values = [_value(inst, term) for inst in instances]
        if len(terms_of(expr)) >= 2 and all(
                v is not None and v.shape == g.shape and close(g - v, w)
                for v, g, w in zip(values, got, want)):
            return dict(diagnosis="missing-term", term=term, extra=True)
    return None


def _what_else(derivation, instances, expr, result, got, want):
    """Why a wrong answer is wrong, when that can be told: conjugate, another derivative."""
    if _all(lambda g, w: close(np.conj(g), w), got, want):
        return dict(note="conjugate")
    for other in derivation.results:
        if other is result or other.order != 1:
            continue
        values = [_value(inst, other.expr) for inst in instances]
        if all(v is not None and v.shape == g.shape and close(g, v)
               for v, g in zip(values, got)):
            return dict(note="other", other=other)
    if all(np.abs(g).max(initial=0) == 0 for g in got):
        return dict(note="zero")
    return {}


# ---- helpers ------------------------------------------------------------------------------

def terms_of(expr) -> list:
    """The terms of a sum (a sum over samples of a sum: one sum per term); else ``[expr]``.

    A product with a sum inside is expanded (``2A^T(Ax - y)`` has the terms ``2A^TAx`` and
    ``-2A^Ty``) when SymPy can.
    """
    if isinstance(expr, (MatAdd, Add)):
        return [t for arg in expr.args for t in terms_of(arg)]
    if isinstance(expr, (MatSampleSum, SampleSum)):
        inner = terms_of(expr.body)
        if len(inner) > 1:
            return [sample_sum(t, expr.index, expr.upper) for t in inner]
        return [expr]
    try:
        expanded = expr.expand()
    except Exception:  # noqa: BLE001 -- SymPy cannot expand every derivgen node; keep it whole
        return [expr]
    if isinstance(expanded, (MatAdd, Add)) and expanded != expr:
        return list(expanded.args)
    return [expr]


def symbolic_shape(expr) -> tuple:
    """``(rows, cols)`` of a matrix expression, ``(1, 1)`` for a scalar."""
    if isinstance(expr, MatrixExpr):
        return tuple(expr.shape)
    return (1, 1)


def shape_words(shape) -> str:
    rows, cols = shape
    if rows == 1 and cols == 1:
        return "a scalar"
    if cols == 1:
        return f"a vector of length {rows}"
    if rows == 1:
        return f"a row vector of length {cols}"
    return f"a matrix of size {rows}×{cols}"


def nice_number(value):
    """``value`` as an int, a small fraction, or a float/complex when it is none of those."""
    value = complex(value)
    if abs(value.imag) > 1e-9 * max(1.0, abs(value)):
        return value
    real = value.real
    fraction = Fraction(real).limit_denominator(24)
    if abs(float(fraction) - real) <= 1e-7 * max(1.0, abs(real)):
        return int(fraction) if fraction.denominator == 1 else fraction
    return real


def factor_text(factor) -> str:
    if isinstance(factor, complex):
        return f"({factor.real:.4g}{factor.imag:+.4g}j)"
    return str(factor) if not isinstance(factor, float) else f"{factor:.4g}"


def _value(inst, expr):
    """``expr`` at ``inst`` as a 2-d array (a scalar as 1×1), or None if not finite."""
    try:
        value = np.asarray(inst.value(expr, False))
    except Exception:  # noqa: BLE001 -- an answer may be undefined (singular, overflow)
        return None
    if value.ndim < 2:
        value = value.reshape((-1, 1)) if value.size != 1 else value.reshape(1, 1)
    if not np.all(np.isfinite(value)):
        return None
    return value


def _all(test, got, want) -> bool:
    return all(test(g, w) for g, w in zip(got, want))


__all__ = ["Comparison", "compare", "terms_of", "RTOL"]
