"""The Hessian (``hessian: true``): the differential of the gradient, by the same rules.

For a vector $\\mathbf{x}$: $d(\\partial f/\\partial \\mathbf{x}) = \\mathbf{H}\\,d\\mathbf{x}$,
so $d^2 f = d\\mathbf{x}^T\\mathbf{H}\\,d\\mathbf{x}$.  For a matrix $\\mathbf{X}$ the
differential $\\sum_k \\mathbf{A}_k\\,d\\mathbf{X}\\,\\mathbf{B}_k$ is vectorized,
$\\operatorname{vec}(\\mathbf{A}\\,d\\mathbf{X}\\,\\mathbf{B}) = (\\mathbf{B}^T \\otimes
\\mathbf{A})\\operatorname{vec}(d\\mathbf{X})$, giving the $mn \\times mn$ Hessian $\\mathbf{H}$
with $d^2 f = \\operatorname{vec}(d\\mathbf{X})^T\\mathbf{H}\\operatorname{vec}(d\\mathbf{X})$;
its result is the lecture's $m \\times n \\times m \\times n$ array (``HessianArray``).
"""

from __future__ import annotations

from sympy import MatAdd, MatMul, Mul, S, ZeroMatrix

from derivgen.derive.convexity import convexity_fact
from derivgen.derive.facts import GradientDifferential, GradientNamed, HessianAsArray, QuadraticForm
from derivgen.derive.core import expansion_steps, merge_silent, rule_step, symmetry_rules
from derivgen.errors import DerivgenError
from derivgen.ir.nodes import D, DiffScalar, DiffSymbol, differential_symbol, is_zero, noting_symmetry
from derivgen.model import Result, Section, Step
from derivgen.derive.rules.differential import DiffContext
from derivgen.derive.rules.hessian import (GRADIENT_NAMED, HESSIAN, KRONECKER_SUM, collect_kronecker,
                            in_terms_of_gradient, jacobian, ones_times_diag, vec_terms)
from derivgen.derive.rules.simplify import textbook
from derivgen.ir.strategies import bottom_up
from derivgen.ir.vec import HessianArray, Named, Vec

SECOND_DIFFERENTIAL = "Second differential"
VECTORIZATION = "Vectorization"


def second_order(problem, scope, variables, gradients):
    """``(sections, results, remarks)`` of the Hessian by each variable in ``wrt``."""
    sections, results, remarks = [], [], []
    for name, var in zip(problem.wrt, variables):
        try:
            more, hessian = hessian_sections(gradients[var], var, scope)
        except DerivgenError as error:
            raise error.located(problem.path, problem.line_of("hessian"))
        sections.extend(more)
        results.append(Result(name, 2, False, hessian))
        remark = convexity_fact(hessian, var, several=len(problem.wrt) > 1)
        if remark:
            remarks.append(remark)
    return sections, results, remarks


def is_matrix_variable(var) -> bool:
    return var.is_Matrix and var.cols != 1


def hessian_sections(gradient, var, scope):
    """The second differential (and, for a matrix, its vec form) and the Hessian."""
    dvar = differential_symbol(var)
    start = D(gradient)
    steps = second_differential_steps(gradient, var, dvar)
    lhs = GradientDifferential(var)
    if is_matrix_variable(var):
        differential = Section(SECOND_DIFFERENTIAL, lhs, start, tuple(steps), order=2)
        vectorized, hessian = vectorization(differential.end, var, dvar)
        return [differential, vectorized], HessianArray(hessian, *var.shape)
    dgrad = steps[-1].after if steps else start
    with noting_symmetry() as used:   # (dx)^T A x = x^T A dx for a symmetric A
        hessian = read_off(dgrad, var, dvar)
    after = MatMul(hessian, dvar) if var.is_Matrix else Mul(hessian, dvar)
    if after != dgrad:
        steps.append(rule_step([HESSIAN] + symmetry_rules(used), dgrad, after))
    conclusion = (QuadraticForm(var),) if var.is_Matrix else ()
    named = in_terms_of_gradient(hessian, gradient, free_name(scope)) if var.is_Matrix else None
    if named is not None:
        steps.append(Step(GRADIENT_NAMED.name, GRADIENT_NAMED.identity, after,
                          MatMul(named, dvar)))
        hessian = named
        conclusion += (GradientNamed(var, tuple(sorted(named.atoms(Named), key=str))),)
    return [Section(SECOND_DIFFERENTIAL, lhs, start, tuple(steps), conclusion, order=2)], hessian



def second_differential_steps(gradient, var, dvar) -> list:
    """$d(\\mathbf{G}) = \\dots$ until no ``d(.)`` is left."""
    ctx = DiffContext({var: dvar})
    start = D(gradient)
    steps, before = [], start
    if not ctx.depends(gradient):  # a linear f: the gradient is constant
        before = ZeroMatrix(*gradient.shape) if gradient.is_Matrix else S.Zero
        steps.append(Step("the gradient is constant", "", start, before))
    return merge_silent(steps + expansion_steps(before, ctx))


def read_off(dgrad, var, dvar):
    """$\\mathbf{H}$ with $d(\\nabla f) = \\mathbf{H}\\,d\\mathbf{x}$ (a vector or a scalar)."""
    if is_zero(dgrad):
        return ZeroMatrix(var.rows, var.rows) if var.is_Matrix else S.Zero
    if var.is_Matrix:
        return bottom_up(ones_times_diag, textbook(jacobian(dgrad, dvar)))
    return dgrad.xreplace({dvar: S.One})


def vectorization(dgrad, var, dvar):
    """$\\operatorname{vec}(d\\mathbf{G}) = \\sum_k \\mathbf{J}_k\\operatorname{vec}(d\\mathbf{X})
    = \\mathbf{H}\\operatorname{vec}(d\\mathbf{X})$: the section and $\\mathbf{H}$."""
    size = var.rows * var.cols
    start = Vec(dgrad)
    steps = []
    if is_zero(dgrad):
        hessian = ZeroMatrix(size, size)
        steps.append(Step("vec of zero", "", start, ZeroMatrix(size, 1)))
    else:
        terms = vec_terms(dgrad, dvar)
        rules = list(dict.fromkeys(rule for _, rule in terms))
        steps.append(rule_step(rules, start, _applied(terms, dvar)))
        collected = [textbook(J) for J in collect_kronecker([J for J, _ in terms])]
        hessian = _sum(collected)
        if len(collected) < len(terms):
            steps.append(Step(KRONECKER_SUM.name, KRONECKER_SUM.identity, steps[-1].after,
                              MatMul(hessian, Vec(dvar))))
        if len(terms) > 1 and steps[-1].after != MatMul(hessian, Vec(dvar)):
            steps.append(Step(HESSIAN.name, HESSIAN.identity, steps[-1].after,
                              MatMul(hessian, Vec(dvar))))
    return Section(VECTORIZATION, GradientDifferential(var, vec=True), start,
                   tuple(steps), conclusion=(HessianAsArray(var),), order=2), hessian


def _applied(terms, dvar):
    return _sum([MatMul(J, Vec(dvar)).doit(deep=False) for J, _ in terms])


def _sum(parts):
    return MatAdd(*parts).doit(deep=False) if len(parts) > 1 else parts[0]


def free_name(scope) -> str:
    """A name for the gradient that no variable of the problem uses."""
    taken = set(getattr(scope, "symbols", {}) or {})
    return next(name for name in ("s", "g", "q", "s_0") if name not in taken)
