"""Numerical verification: nothing is typeset unless it holds on random instances.

Every result is compared with a finite-difference directional derivative of ``f`` along
a random direction, and every step of the derivation must give that same number.
Sizes are random for symbolic dimensions; square matrices under an inverse or a
determinant are drawn well conditioned; functions with a restricted domain get positive
entries; a generic function ``g`` is bound to a random smooth function and its derivatives.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
from sympy import Symbol

from derivgen.errors import DerivgenError
from derivgen.ir.nodes import DiffScalar, DiffSymbol
from derivgen.model import Derivation
from derivgen.parse import parse_latex
from derivgen.parse.scope import scalar_sizes
from derivgen.render.latex import to_latex
from derivgen.verify.compare import compare
from derivgen.verify.instances import RTOL, TRIALS, close, defined_instance, random_instances
from derivgen.verify.numeric import as_number, directional_derivative, evaluate

DF = Symbol("df")


def verify(derivation: Derivation, seed: int = 0) -> Derivation:
    """Check every result and step numerically; raise ``DerivgenError`` on a mismatch."""
    problem = derivation.problem
    for inst in random_instances(derivation, seed):
        for result in derivation.results:
            if result.order == 2:
                _check_hessian(derivation, result, inst)
        expected, predicted = slopes(derivation, inst)
        if not close(predicted, expected, RTOL * inst.slack):
            raise _failure(problem, f"verification failed: the derived gradient predicts "
                                    f"{predicted:.6g} for a directional derivative that is "
                                    f"{expected:.6g} numerically")
        for section in derivation.sections:
            if section.order == 2:
                _check_second_order_steps(derivation, section, inst)
                continue
            checks = [(step.rule, step.after) for step in section.steps]
            if section.lhs == DF:  # its start is d(f) or the previous section's end
                reference = expected
            else:  # a chain-rule section: an equation for the term of df it starts with
                reference = as_number(inst.value(section.lhs))
                checks.insert(0, ("start", section.start))
            for rule, after in checks:
                got = as_number(inst.value(after))
                if not close(got, reference, 1e-5 * inst.slack):
                    raise _failure(problem, f"verification failed at the step "
                                            f"'{rule}': {after}")
    results = tuple(replace(r, verified=True) for r in derivation.results)
    return replace(derivation, results=results, verified=True)


def slopes(derivation: Derivation, inst) -> tuple:
    """``(expected, predicted)``: the directional derivative of ``f`` at ``inst`` along its
    directions, by finite differences and as the gradients predict it,
    ``sum tr(G^T dX)`` (``+ tr((df/dZ*)^T dZ^*)`` for complex variables)."""
    expected = as_number(directional_derivative(inst.concrete(derivation.function),
                                                inst.env(), inst.dims, inst.functions))
    predicted = 0.0
    for result in derivation.results:
        if result.order == 2:
            continue
        gradient = np.asarray(inst.value(result.expr, False))
        direction = np.asarray(inst.directions[result.wrt])
        if result.conjugate:  # df = ... + tr((df/dZ*)^T dZ^*)
            direction = np.conj(direction)
        if gradient.shape != direction.shape and gradient.size != direction.size:
            raise _failure(derivation.problem, f"the derivative by {result.wrt} has shape "
                                               f"{gradient.shape}, not {direction.shape}")
        predicted += np.sum(gradient.reshape(direction.shape) * direction) \
            if gradient.size == direction.size else np.nan
    return expected, predicted


def _gradient_derivative(derivation, wrt, inst):
    """Finite differences of the gradient by ``wrt`` along that variable's direction."""
    gradient = next(r for r in derivation.results if r.wrt == wrt and r.order == 1)
    env = {**inst.values, "d" + wrt: inst.directions[wrt]}
    return env, np.asarray(directional_derivative(gradient.expr, env, inst.dims,
                                                  inst.functions))


def hessian_slopes(derivation, result, inst) -> tuple:
    """``(expected, predicted)``: the directional derivative of the gradient by
    ``result.wrt`` along its direction, by finite differences and as the Hessian ``result``
    predicts it ($H\\,v$; for a matrix variable the ``(m, n, m, n)`` array contracted with
    the direction)."""
    _, expected = _gradient_derivative(derivation, result.wrt, inst)
    hessian = np.asarray(inst.value(result.expr, False))
    direction = np.asarray(inst.directions[result.wrt])
    if hessian.ndim == 4:
        predicted = np.tensordot(hessian, direction, axes=2)
    else:
        predicted = hessian @ direction if hessian.ndim == 2 else hessian * direction
    return expected.reshape(np.shape(predicted)), predicted


def _check_hessian(derivation, result, inst):
    expected, predicted = hessian_slopes(derivation, result, inst)
    if not close(predicted, expected, 1e-5 * inst.slack):
        raise _failure(derivation.problem, f"verification failed: the Hessian by {result.wrt} "
                                           f"does not match finite differences of the gradient")


def _check_second_order_steps(derivation, section, inst):
    """Each step of a second differential must equal the change of the gradient along the
    direction (vectorized column-major where the step is a ``vec``)."""
    wrt = section_variable(section)
    if wrt is None:
        return  # a constant gradient: every step is zero by construction
    env, expected = _gradient_derivative(derivation, wrt, inst)
    for step in section.steps:
        got = np.asarray(evaluate(step.after, env, inst.dims, inst.functions))
        want = expected if got.shape == expected.shape else \
            expected.reshape(-1, 1, order="F")
        if not close(got, want, 1e-5 * inst.slack):
            raise _failure(derivation.problem, f"verification failed at the step "
                                               f"'{step.rule}': {step.after}")


def _failure(problem, message):
    return DerivgenError(message, file=problem.path, line=problem.line_of("function"))



def check_answer(derivation: Derivation, seed: int = 1) -> None:
    """Compare the instructor's ``answer:`` (one expected result, or one per variable:
    ``answer: {W: ..., b: ...}``) and ``answer_conjugate:`` (the expected ``∂f/∂Z*``) with
    the derived results on random instances."""
    problem = derivation.problem
    for key, text, conjugate in (("answer", problem.answer, False),
                                 ("answer_conjugate", problem.answer_conjugate, True)):
        if not text:
            continue
        result = next((r for r in derivation.results if r.conjugate == conjugate), None)
        if result is None:
            raise DerivgenError(f"{key}: there is no derivative by a conjugate to compare "
                                f"with: wrt has no complex variable", file=problem.path,
                                line=problem.line_of(key))
        _check_one_answer(derivation, key, text, result, seed)
    for name, text in problem.answers.items():
        result = next(r for r in derivation.results
                      if r.wrt == name and r.order == 1 and not r.conjugate)
        _check_one_answer(derivation, f"answer.{name}", text, result, seed)


def _check_one_answer(derivation, key, text, result, seed):
    problem = derivation.problem
    line = problem.line_of(key)
    try:
        expected = parse_latex(text, derivation.scope)
    except DerivgenError as error:
        raise error.located(problem.path, line)
    if not (_agrees(derivation, result.expr, expected, seed)
            or _agrees(derivation, scalar_sizes(result.expr), scalar_sizes(expected), seed)):
        star = "*" if result.conjugate else ""
        f = derivation.function_name
        hint = f"; answer_conjugate: is compared with ∂{f}/∂{result.wrt}*" \
            if not result.conjugate and any(r.conjugate for r in derivation.results) else ""
        comparison = compare(derivation, expected, result, seed)
        why = "" if comparison.agrees else f" ({comparison.explain(derivation.scope)})"
        raise DerivgenError(
            f"{key}: '{_shortened(text)}' disagrees with the derived result "
            f"∂{f}/∂{result.wrt}{star} = "
            f"{_shortened(to_latex(result.expr, derivation.scope))}{why}{hint}",
            file=problem.path, line=line)


#: Formulas longer than this are shortened in messages (a message is one readable line).
MESSAGE_FORMULA = 160


def _shortened(text: str) -> str:
    return text if len(text) <= MESSAGE_FORMULA else text[:MESSAGE_FORMULA - 1] + "…"


def _agrees(derivation, derived, expected, seed) -> bool:
    """Whether ``expected`` equals ``derived`` on random instances.

    Called a second time with the large numeric sizes that stand as scalars written as
    their numbers (``scalar_sizes``), so that an answer may say ``1000\\mathbf{X}`` for
    $2\\operatorname{tr}(\\mathbf{I}_{500})\\mathbf{X}$, which is verified at small sizes.
    """
    rng = np.random.default_rng(seed)
    for _ in range(TRIALS):
        inst = defined_instance(derivation, rng)
        got = np.asarray(inst.value(derived, False))
        want = np.asarray(inst.value(expected, False))
        if want.size == 1 and got.size > 1:  # an answer like 2 tr(X) I_n: a scalar times I
            want = np.broadcast_to(want.reshape(()), got.shape)
        if got.size != want.size or not close(want.reshape(got.shape), got,
                                              RTOL * inst.slack):
            return False
    return True


def section_variable(section):
    """The name of the variable whose differential a second-order section holds, or None."""
    for step in section.steps:
        for symbol in step.after.atoms(DiffSymbol, DiffScalar):
            return symbol.base_name
    return None
