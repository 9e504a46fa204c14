"""What a student reads: one or two sentences per diagnosis, never the answer itself.

Each function turns a ``Comparison`` (or a reading error) into feedback; ``reveal`` adds the
derived result at the end, for a teacher's key or after the deadline.
"""

from __future__ import annotations

from derivgen.verify.compare import Comparison, factor_text, shape_words


def comparison_feedback(comparison: Comparison, name: str, symbols_of) -> str:
    """Feedback for a judged answer; ``name`` is how the derivative is written (``∂f/∂X``),
    ``symbols_of(term)`` the variables a term involves, as the student writes them."""
    diagnosis = comparison.diagnosis
    if diagnosis is None:
        return "Correct."
    if diagnosis == "shape":
        return (f"Your answer is {shape_words(comparison.answer_shape)}, but {name} is "
                f"{shape_words(comparison.expected_shape)}: the derivative has the shape of "
                f"the variable. Check the order of the factors and the transposes.")
    if diagnosis == "transpose" and comparison.factor is not None:
        return (f"Your answer is the transpose of {name}, times {factor_text(comparison.factor)}. "
                f"Read the gradient off df = tr(Gᵀ dX) as G, not Gᵀ, and check the constants.")
    if diagnosis == "transpose":
        return (f"Your answer is the transpose of {name}. Read the gradient off "
                f"df = tr(Gᵀ dX) as G, not Gᵀ.")
    if diagnosis == "sign":
        return "Your answer has the wrong sign. Check the signs in the differential."
    if diagnosis == "scale" and comparison.term is not None:
        involved = _involving(symbols_of(comparison.term))
        return (f"One term of your answer{involved} is {factor_text(comparison.factor)} times "
                f"what it should be. Check its coefficient.")
    if diagnosis == "scale":
        return (f"Your answer is {factor_text(comparison.factor)} times {name}. Check the "
                f"constant factors (a square gives a factor 2, for instance).")
    if diagnosis == "symmetric-part":
        s = comparison.symbol
        return (f"Your answer would be right only if {s} were symmetric, and {s} is a general "
                f"matrix: keep {s} and {s}ᵀ apart.")
    if diagnosis == "missing-term" and comparison.extra:
        return ("Your answer has a term too many. Check which terms of f depend on the "
                "variable.")
    if diagnosis == "missing-term":
        involved = _involving(symbols_of(comparison.term))
        return (f"Your answer misses a term of {name}{involved}. Differentiate every term "
                f"and every factor that depends on the variable.")
    return {
        "conjugate": f"Your answer is the complex conjugate of {name}. Check which of z and "
                     f"z* each term is differentiated by.",
        "other": f"Your answer is {_other_name(comparison)}, not {name}.",
        "zero": f"Your answer is zero, but {name} is not.",
        "undefined": "Your answer has no finite value at points where f is defined. Check "
                     "the inverses, logarithms and divisions.",
    }.get(comparison.note, f"Your answer does not agree with {name} at random points. "
                           f"Check each step of the differential.")


def derivative_name(wrt: str, conjugate: bool, function_name: str = "f") -> str:
    """``∂f/∂X`` or ``∂f/∂Z*``."""
    return f"∂{_plain(function_name)}/∂{wrt}{'*' if conjugate else ''}"


def _other_name(comparison: Comparison) -> str:
    other = comparison.other
    return derivative_name(other.wrt, other.conjugate) if other is not None \
        else "another derivative"


def _involving(symbols) -> str:
    if not symbols:
        return ""
    listed = ", ".join(symbols)
    return f" (one with {listed})"


def _plain(name: str) -> str:
    return {"\\ell": "ℓ"}.get(name, name)
