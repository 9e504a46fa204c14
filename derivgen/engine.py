"""The derivation engine: differential, trace form, gradient; then verification.

Finding the steps is this module's job; rendering them is ``render/``'s.
"""

from __future__ import annotations

from sympy import Add, Identity, MatAdd, MatMul, Mul, S, Symbol, Trace, Transpose, ZeroMatrix, preorder_traversal

from .errors import DerivgenError
from .ir import D, MatD, ScalarD, differential_symbol, is_one_by_one
from .model import Derivation, Problem, Result, Section, Step
from .rules.differential import DiffContext, expand_differential
from .rules.trace import (COLLECT, GRADIENT_FORM, TRACE_OF_SCALAR, TraceTerm, gradient_of,
                          needs_trace_wrap, rewrite_once, terms_of)
from .scope import Scope, scope_of
from .rules.hessian import HESSIAN, jacobian
from .rules.simplify import textbook
from .strategies import exhaust, tidy


def derive(problem: Problem) -> Derivation:
    """Parse, derive and verify one problem; raises ``DerivgenError`` on any failure."""
    from .verify import check_answer, verify

    scope = scope_of(problem)
    function = parse_problem_function(problem, scope)
    if any(spec.complex for spec in problem.variables.values()):
        from .wirtinger import derive_complex
        return derive_complex(problem, scope, function)
    wrt = [scope.symbols[name] for name in problem.wrt]
    ctx = DiffContext({v: differential_symbol(v) for v in wrt})
    require_dependence(problem, ctx, function)
    differential = differential_section(function, ctx)
    trace, gradients = trace_section(differential.end, ctx)
    results = [Result(name, 1, False, gradients[v]) for name, v in zip(problem.wrt, wrt)]
    sections = [differential, trace]
    if problem.hessian:
        for name, v in zip(problem.wrt, wrt):
            section, hessian = hessian_section(gradients[v], v, name, problem, scope)
            sections.append(section)
            results.append(Result(name, 2, False, hessian))
    derivation = Derivation(problem, scope, function, tuple(sections), tuple(results),
                            verified=False)
    derivation = verify(derivation)
    check_answer(derivation)
    return derivation


def require_dependence(problem: Problem, ctx: DiffContext, function) -> None:
    """A function that does not depend on ``wrt`` has a zero derivative: a mistake in wrt."""
    if not ctx.depends(function):
        raise DerivgenError(f"function: f = {problem.function} does not depend on "
                            f"{', '.join(problem.wrt)}, so its derivative is zero; check wrt",
                            file=problem.path, line=problem.line_of("function"))


def parse_problem_function(problem: Problem, scope: Scope):
    """The function with every ``where:`` intermediate substituted, checked to be scalar."""
    from .parse import parse_function, parse_latex

    for item in problem.where:
        scope.intermediates[item.name] = _parsed(parse_latex, item.latex, scope, problem,
                                                 item.line)
    function = _parsed(parse_function, problem.function, scope, problem,
                       problem.line_of("function"))
    if function.is_Matrix and not is_one_by_one(function):
        shape = " x ".join(str(s) for s in function.shape)
        raise DerivgenError(f"function: f must be scalar-valued, but '{problem.function}' "
                            f"has shape {shape}", file=problem.path,
                            line=problem.line_of("function"))
    return function


def _parsed(parse, text, scope, problem, line):
    try:
        return parse(text, scope)
    except DerivgenError as error:
        raise error.located(problem.path, line)


def _outermost_differentials(expr):
    walk = preorder_traversal(expr)
    for node in walk:
        if isinstance(node, (MatD, ScalarD)):
            walk.skip()
            yield node


def expand_once(expr, ctx: DiffContext):
    """Rewrite every outermost ``d(.)`` one level; ``(expr, rules)`` or None when done."""
    nodes = list(dict.fromkeys(_outermost_differentials(expr)))
    if not nodes:
        return None
    replacements, rules = {}, []
    for node in nodes:
        replacements[node], rule = expand_differential(node.arg, ctx)
        if rule.name and rule not in rules:
            rules.append(rule)
    return tidy(expr.xreplace(replacements)), rules


def differential_section(function, ctx: DiffContext) -> Section:
    """$df = d(f) = \\dots$ until no ``d(.)`` is left."""
    start = D(function)
    steps, before = [], start
    state = (start, [])
    for state in exhaust(lambda s: expand_once(s[0], ctx), state):
        after, rules = state
        steps.append(Step(_names(rules), _identities(rules), before, after))
        before = after
    if not steps:
        raise DerivgenError("f does not depend on the variables in wrt")
    return Section("Differential", Symbol("df"), start, tuple(_merge_silent(steps)))


def hessian_section(gradient, var, name, problem, scope):
    """$d(\\partial f/\\partial x) = \\dots = H\\,dx$: the second differential, read off."""
    if var.is_Matrix and var.cols != 1:
        raise DerivgenError(f"hessian: the Hessian by the matrix {name} is not supported yet; "
                            f"ask for it by a vector or a scalar", file=problem.path,
                            line=problem.line_of("hessian"))
    dvar = differential_symbol(var)
    ctx = DiffContext({var: dvar})
    start = D(gradient)
    steps, before = [], start
    if not ctx.depends(gradient):  # a linear f: the gradient is constant
        before = ZeroMatrix(*gradient.shape) if gradient.is_Matrix else S.Zero
        steps.append(Step("the gradient is constant", "", start, before))
    for after, rules in exhaust(lambda s: expand_once(s[0], ctx), (before, [])):
        steps.append(Step(_names(rules), _identities(rules), before, after))
        before = after
    dgrad = before
    if not steps or dgrad == 0 or isinstance(dgrad, ZeroMatrix):
        hessian = ZeroMatrix(var.rows, var.rows) if var.is_Matrix else S.Zero
    elif var.is_Matrix:
        hessian = textbook(jacobian(dgrad, dvar))
    else:
        hessian = dgrad.xreplace({dvar: S.One})
    after = MatMul(hessian, dvar) if var.is_Matrix else Mul(hessian, dvar)
    if after != before:
        steps.append(Step(HESSIAN.name, HESSIAN.identity, before, after))
    from .render.latex import to_latex
    lhs = rf"d\left(\frac{{\partial f}}{{\partial {to_latex(var, scope)}}}\right)"
    return Section("Second differential", lhs, start, tuple(_merge_silent(steps))), hessian


def _merge_silent(steps):
    """Fold steps that used no named rule (``d`` of a ``1 x 1`` block) into the next one."""
    merged = []
    for step in steps:
        if merged and not merged[-1].rule:
            step = Step(step.rule, step.identity, merged.pop().before, step.after)
        merged.append(step)
    return merged


def _names(rules):
    return ", ".join(r.name for r in rules)


def _identities(rules):
    return r",\quad ".join(r.identity for r in rules if r.identity)


def _show(terms):
    return Add(*[t.expr() for t in terms])


def trace_section(df, ctx: DiffContext):
    """Rewrite $df$ into $\\sum_X tr(G_X^T dX)$; returns the section and ``{X: G_X}``."""
    steps = []
    start = df
    if df.is_Matrix:
        terms = [TraceTerm(S.One, None, df)]
        steps.append(Step(TRACE_OF_SCALAR.name, TRACE_OF_SCALAR.identity, df, Trace(df)))
    else:
        terms = terms_of(df)
        if needs_trace_wrap(df):
            steps.append(Step(TRACE_OF_SCALAR.name, TRACE_OF_SCALAR.identity, df, _show(terms)))
    for terms, rules in exhaust(_rewrite_terms, (terms, [])):
        _append(steps, start, rules, _show(terms))
    gradients = {}
    collected = []
    for var, dvar in ctx.differentials.items():
        mine = [t for t in terms if t.inner == dvar]
        gradient = gradient_of(mine, dvar)
        if gradient is None:
            gradient = ZeroMatrix(*var.shape) if var.is_Matrix else S.Zero
        gradients[var] = gradient
        collected.append((mine, gradient, dvar))
    _append(steps, start, COLLECT, _show_collected(collected))
    _append(steps, start, GRADIENT_FORM, _show_gradients(collected))
    return Section("Trace form", Symbol("df"), start, tuple(steps)), gradients


def _append(steps, start, rules, after):
    """Add a step unless it would show the same expression again (a no-op rewrite)."""
    rules = rules if isinstance(rules, list) else [rules]
    before = steps[-1].after if steps else start
    if after != before:
        steps.append(Step(_names(rules), _identities(rules), before, after))


def _rewrite_terms(state):
    terms, _ = state
    new_terms, rules, changed = [], [], False
    for term in terms:
        result = rewrite_once(term)
        if result is None:
            new_terms.append(term)
            continue
        changed = True
        more, rule = result
        new_terms.extend(more)
        if rule not in rules:
            rules.append(rule)
    return (new_terms, rules) if changed else None


def _show_collected(collected):
    parts = []
    for mine, _, dvar in collected:
        if len({(t.coeff, t.left) for t in mine}) <= 1:  # nothing to collect: Add did it
            parts.extend(t.expr() for t in mine)
            continue
        if dvar.is_Matrix:
            lefts = [MatMul(t.coeff, Identity(dvar.rows) if t.left is None else t.left)
                     .doit(deep=False) for t in mine]
            total = MatAdd(*lefts).doit(deep=False)
            parts.append(Trace(MatMul(total, dvar)))
        else:
            parts.append(Mul(Add(*[t.coeff for t in mine]), dvar))
    return Add(*parts)


def _show_gradients(collected):
    parts = []
    for _, gradient, dvar in collected:
        if gradient == 0 or isinstance(gradient, ZeroMatrix):
            continue
        if dvar.is_Matrix:
            parts.append(Trace(MatMul(Transpose(gradient), dvar)))
        else:
            parts.append(Mul(gradient, dvar))
    return Add(*parts)
