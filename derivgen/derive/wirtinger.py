"""Wirtinger derivatives: the engine's path for problems with complex variables.

Each conjugate of a complex variable ``Z`` is written with an independent variable ``Z^*``
(``rules/complex.py``); the real engine's differential and trace rules then give
$df = tr(A^T dZ) + tr(B^T dZ^*)$, read off as $\\partial f/\\partial Z = A$ and
$\\partial f/\\partial Z^* = B$: the contract's two results (``conjugate`` false and true).
For a real-valued $f$ the solution adds $\\partial f/\\partial Z^* = (\\partial f/\\partial
Z)^*$; for a function of one complex scalar, the Cauchy-Riemann analysis (``analytic.py``).
"""

from __future__ import annotations

from dataclasses import replace

from sympy import Transpose

from derivgen.derive.core import rule_step, differential_section, require_dependence, trace_section
from derivgen.errors import DerivgenError
from derivgen.ir.nodes import D, conjugate_symbol, differential_symbol
from derivgen.model import Derivation, Problem, Result, Step
from derivgen.derive.rules.complex import WIRTINGER_FORM, Conjugation, through_conjugates
from derivgen.derive.rules.differential import TRANSPOSE, DiffContext, Rule
from derivgen.derive.rules.trace import GRADIENT_FORM


def derive_complex(problem: Problem, scope, function) -> Derivation:
    """Derive both Wirtinger derivatives by every variable in ``wrt`` (unverified)."""
    if problem.hessian:
        raise DerivgenError("hessian: second derivatives of functions of complex variables "
                            "are not supported yet", file=problem.path,
                            line=problem.line_of("hessian"))
    conj = conjugation(scope)
    try:
        split = conj.split(function)
        used = []
        rewritten = through_conjugates(split, conj, used)
    except DerivgenError as error:
        raise error.located(problem.path, problem.line_of("function"))
    variables = wirtinger_variables(problem, scope, conj)
    ctx = DiffContext({v: differential_symbol(v) for _, v, _ in variables})
    require_dependence(problem, ctx, rewritten)
    differential = differential_section(rewritten, ctx)
    differential = replace(differential, steps=tuple(
        _hermitian_transpose(step, conj) for step in differential.steps))
    if used:  # d(Re z) = d(\frac{1}{2}(z + z^*)), as the lecture's dRe{Z} = (dZ + dZ^*)/2
        first = rule_step(used, D(split), D(rewritten))
        differential = replace(differential, start=D(split),
                               steps=(first,) + differential.steps)
    trace, gradients = trace_section(differential.end, ctx)
    trace = replace(trace, steps=tuple(_wirtinger_form(s) for s in trace.steps))
    results = tuple(Result(name, 1, conjugate, gradients[v]) for name, v, conjugate in variables)
    return Derivation(problem, scope, function, (differential, trace), results, verified=False)


def result_pairs(derivation):
    """``(∂f/∂Z, ∂f/∂Z*)`` result pairs of the first order, one for each complex variable."""
    plain = {r.wrt: r for r in derivation.results if r.order == 1 and not r.conjugate}
    return [(plain[r.wrt], r) for r in derivation.results
            if r.order == 1 and r.conjugate and r.wrt in plain]


def conjugation(scope) -> Conjugation:
    """Each complex variable paired with its own conjugate symbol."""
    return Conjugation({sym: conjugate_symbol(sym) for name, sym in scope.symbols.items()
                        if scope.specs[name].complex})


def wirtinger_variables(problem: Problem, scope, conj: Conjugation):
    """``(name, symbol, conjugate)`` for each result: ``Z`` then ``Z^*`` for a complex ``Z``."""
    variables = []
    for name in problem.wrt:
        sym = scope.symbols[name]
        variables.append((name, sym, False))
        if scope.specs[name].complex:
            variables.append((name, conj.pairs[sym], True))
    return variables


#: The transpose rule as it reads on a conjugate: Z^H = (Z^*)^T, so d(Z^H) = (dZ)^H.
HERMITIAN_TRANSPOSE = Rule("conjugate transpose rule", r"d(\mathbf{Z}^H) = (d\mathbf{Z})^H")


def _hermitian_transpose(step: Step, conj: Conjugation) -> Step:
    """A transpose rule applied to a conjugate variable is stated with ``^H``."""
    if TRANSPOSE.name not in {name for name, _ in step.named}:
        return step
    starred = set(conj.pairs.values())
    if not any(isinstance(t, Transpose) and t.arg.free_symbols & starred
               for t in step.before.atoms(Transpose)):
        return step
    rules = [HERMITIAN_TRANSPOSE if name == TRANSPOSE.name else Rule(name, identity)
             for name, identity in step.named]
    if any(isinstance(t, Transpose) and not t.arg.free_symbols & starred
           for t in step.before.atoms(Transpose) if t.free_symbols & set(conj.pairs)):
        rules.append(TRANSPOSE)  # a plain transpose of Z too
    return rule_step(rules, step.before, step.after)


def _wirtinger_form(step: Step) -> Step:
    """The last step reads off both derivatives: state the Wirtinger identity it uses."""
    if step.rule != GRADIENT_FORM.name:
        return step
    return replace(step, rule=WIRTINGER_FORM.name, identity=WIRTINGER_FORM.identity, rules=())
