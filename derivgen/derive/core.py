"""The shared core of every derivation: the differential, the trace form, the read-off,
and the chain rule through ``where:`` links.

Finding the steps is this module's job; rendering them is ``render/``'s.
"""

from __future__ import annotations

from dataclasses import replace

from sympy import (Add, Identity, MatAdd, MatMul, MatrixSymbol, Mul, S, Symbol, Trace, Transpose,
                   ZeroMatrix)

from derivgen.derive.chain import Chain, link_start, parse_where, total
from derivgen.derive.facts import Equation, ReadOff
from derivgen.errors import DerivgenError
from derivgen.ir.nodes import SymmetricSymbol, noting_symmetry, D, Elementwise, Gradient, ScalarFunc, MatD, ScalarD, differential_symbol, is_one_by_one, is_zero
from derivgen.model import Derivation, Problem, Result, Section, Step
from derivgen.derive.rules.differential import DiffContext, Rule, expand_differential
from derivgen.derive.rules.definitions import name_known_functions
from derivgen.derive.rules.simplify import closed_form_identity, textbook
from derivgen.derive.rules.softmax import rewrite_under_d
from derivgen.derive.rules.trace import (COLLECT, GRADIENT_FORM, SUM_INTO_TRACE, TRACE_OF_SCALAR, TraceTerm,
                          gradient_of, needs_trace_wrap, rewrite_once, scaled, terms_of)
from derivgen.parse.scope import Scope, scope_of
from derivgen.ir.strategies import exhaust, outermost, tidy
from derivgen.ir.sums import free_indices, summed


def expand_once(expr, ctx: DiffContext):
    """Rewrite every outermost ``d(.)`` one level; ``(expr, rules)`` or None when done."""
    nodes = outermost(expr, (MatD, ScalarD))
    if not nodes:
        return None
    replacements, rules = {}, []
    with noting_symmetry() as used:
        for node in nodes:
            replacements[node], rule = (rewrite_under_d(node.arg)
                                        or expand_differential(node.arg, ctx))
            if rule.name and rule not in rules:
                rules.append(rule)
        after = tidy(expr.xreplace(replacements))
    return after, rules + symmetry_rules(used)


def symmetry_rules(used) -> list:
    """``M^T = M`` named for each symmetric variable a rewrite transposed away."""
    return [Rule("symmetry", Equation(Transpose(symbol), symbol)) for symbol in used]


def differential_section(function, ctx: DiffContext) -> Section:
    """$df = d(f) = \\dots$ until no ``d(.)`` is left."""
    start = D(function)
    steps = expansion_steps(start, ctx)
    if not steps:
        raise DerivgenError("f does not depend on the variables in wrt")
    return Section("Differential", Symbol("df"), start, tuple(steps))


def expansion_steps(start, ctx: DiffContext) -> list:
    """The steps from ``start`` until no ``d(.)`` is left, one level of each a step."""
    steps, before = [], start
    for after, rules in exhaust(lambda s: expand_once(s[0], ctx), (start, [])):
        steps.append(rule_step(rules, before, after))
        before = after
    return merge_silent(steps)


def backpropagate(chain: Chain, gradients: dict, ctx: DiffContext, scope: Scope):
    """Pass each link's gradient back through its definition, the outermost link first.

    Returns the chain-rule sections and ``{variable: gradient}`` in terms of the links'
    gradients ($\\partial f/\\partial \\mathbf{W}_2 = \\sum_i \\partial f/\\partial \\mathbf{a}_{2,i}\\,
    \\mathbf{h}_{1,i}^T$); ``chain.gradients`` gets each link's gradient, inlined.
    """
    found = {v: [g] for v, g in gradients.items() if not is_zero(g)}
    sections = []
    for link in reversed(chain.links):
        gradient = total(found.pop(link, []), link)
        if is_zero(gradient):
            continue
        chain.gradients[Gradient(link)] = chain.concrete(gradient)
        chain.shown.append((Gradient(link), gradient))
        section, parts = link_section(link, chain, ctx, scope)
        sections.append((section, link, gradient, parts))
        for target, part in parts.items():
            found.setdefault(target, []).append(part)
    shared = {k for k, parts in found.items() if len(parts) > 1}
    sections = [replace(section, conclusion=(read_off(link, gradient, parts, shared),))
                for section, link, gradient, parts in sections]
    variables = [v for v in ctx.differentials if v not in chain.definitions]
    return sections, {v: total(found.get(v, []), v) for v in variables}


def link_section(link, chain: Chain, ctx: DiffContext, scope: Scope):
    """$tr((\\partial f/\\partial \\mathbf{U})^T d\\mathbf{U}) = tr((\\partial f/\\partial \\mathbf{U})^T
    d(\\text{definition})) = \\dots$, read off for what the definition is made of."""
    start, sums = link_start(link, scope.counts)
    substituted = summed(Trace(MatMul(Transpose(Gradient(link)), D(chain.definitions[link]))),
                         sums)
    inner = DiffContext({k: d for k, d in ctx.differentials.items() if k != link},
                        ctx.functions)
    steps = expansion_steps(substituted, inner)
    trace, parts = trace_section(steps[-1].after if steps else substituted, inner)
    parts = {k: g for k, g in parts.items() if not is_zero(g)}
    return Section("Chain rule", start, substituted, tuple(steps) + trace.steps), parts


def read_off(link, gradient, parts, shared) -> ReadOff:
    """With $\\partial f/\\partial \\mathbf{a} = \\mathbf{G}$, what the section gives for each
    part of the definition (one term of it when the part also gets terms elsewhere)."""
    return ReadOff(link, gradient, tuple((target, part, target in shared)
                                         for target, part in parts.items()))


def merge_silent(steps):
    """Fold steps that used no named rule (``d`` of a ``1 x 1`` block) into the next one."""
    merged = []
    for step in steps:
        if merged and not merged[-1].rule:
            step = Step(step.rule, step.identity, merged.pop().before, step.after, step.rules)
        merged.append(step)
    return merged


def rule_step(rules, before, after) -> Step:
    """``before = after`` by the rules, each kept with its identity."""
    return Step(rule_names(rules), rule_identities(rules), before, after,
                tuple((r.name, r.identity) for r in rules if r.name or r.identity))


def rule_names(rules):
    return ", ".join(dict.fromkeys(r.name for r in rules))


def rule_identities(rules):
    """The rules' identities as one LaTeX string (those written as LaTeX; an ``Equation``
    of the problem's own symbols is kept in ``Step.rules`` for render/)."""
    return r",\quad ".join(r.identity for r in rules if isinstance(r.identity, str) and r.identity)


def _show(terms):
    return Add(*[t.expr() for t in terms])


def trace_section(df, ctx: DiffContext):
    """Rewrite $df$ into $\\sum_X tr(G_X^T dX)$; returns the section and ``{X: G_X}``."""
    steps = []
    start = df
    with noting_symmetry() as used:
        terms = [TraceTerm(S.One, None, df)] if df.is_Matrix else terms_of(df)
    if df.is_Matrix or needs_trace_wrap(df):
        wrapped = Trace(df) if df.is_Matrix else _show(terms)
        steps.append(rule_step(_needed([TRACE_OF_SCALAR] + symmetry_rules(used), df, wrapped,
                                       ctx), df, wrapped))
    for terms, rules in exhaust(_rewrite_terms, (terms, [])):
        _append(steps, start, rules, _show(terms), ctx)
    gradients = {}
    collected, definitions = [], []
    with noting_symmetry() as used_reading_off:
        for var, dvar in ctx.differentials.items():
            mine = [t for t in terms if t.inner == dvar]
            gradient = gradient_of(mine, dvar)
            if gradient is None:
                gradient = ZeroMatrix(*var.shape) if var.is_Matrix else S.Zero
            gradient, rules = name_known_functions(gradient, ctx.functions)
            definitions += [r for r in rules if r not in definitions]
            gradients[var] = gradient
            collected.append((mine, gradient, dvar))
    with noting_symmetry() as used:
        shown = _show_collected(collected)
    _append(steps, start, [_collect_rules(collected)] + symmetry_rules(used), shown, ctx)
    gradient_form = GRADIENT_FORM
    if all(var.is_Matrix for var in ctx.differentials):  # in the problem's own names
        named = [(m, Gradient(var), d) for (m, g, d), var in zip(collected, ctx.differentials)
                 if not is_zero(g)]
        gradient_form = Rule(GRADIENT_FORM.name, Equation(Symbol("df"), _show_gradients(named)))
    before = steps[-1].after if steps else start
    with noting_symmetry() as used:
        shown = _show_gradients(collected)
    symmetric = used_reading_off + [s for s in used if s not in used_reading_off]
    _append(steps, start, [gradient_form] + closed_form_rules(before, gradients.values())
            + definitions + symmetry_rules(symmetric), shown, ctx)
    return Section("Trace form", Symbol("df"), start, tuple(steps)), gradients


def _append(steps, start, rules, after, ctx: DiffContext):
    """Add a step unless it would show the same expression again (a no-op rewrite); a
    symmetry its rewrite used is named only when the shown equality needs it."""
    rules = rules if isinstance(rules, list) else [rules]
    before = steps[-1].after if steps else start
    if after != before:
        steps.append(rule_step(_needed(rules, before, after, ctx), before, after))


def _needed(rules, before, after, ctx: DiffContext) -> list:
    """``rules`` without ``M^T = M`` when ``before = after`` holds without it."""
    symmetric = [r for r in rules if r.name == "symmetry"]
    if symmetric and _equal_without_symmetry(before, after, ctx):
        return [r for r in rules if r not in symmetric]
    return rules


def _equal_without_symmetry(before, after, ctx: DiffContext) -> bool:
    """Whether ``before`` and ``after`` (linear in the differentials) give the same gradients
    with every symmetric matrix taken as a general one: then ``M^T = M`` is not what makes
    the two equal (the rewrite used it on the way, the shown equality does not need it).
    Different gradients may still be equal: the fact is kept then."""
    general = {s: MatrixSymbol(s.name, *s.shape)
               for s in before.atoms(SymmetricSymbol) | after.atoms(SymmetricSymbol)}
    plain = DiffContext(ctx.differentials, ctx.functions)
    try:
        return _read_off(before.xreplace(general), plain) == _read_off(after.xreplace(general),
                                                                       plain)
    except (DerivgenError, ValueError, RuntimeError):   # not a form the trace rules read
        return False


def _read_off(df, ctx: DiffContext) -> tuple:
    """The gradients a linear form ``df`` gives, in textbook form."""
    terms = [TraceTerm(S.One, None, df)] if df.is_Matrix else terms_of(df)
    for terms, _ in exhaust(_rewrite_terms, (terms, [])):
        pass
    return tuple(name_known_functions(gradient_of(terms, d), ctx.functions)[0]
                 if any(t.inner == d for t in terms) else None
                 for d in ctx.differentials.values())


def _rewrite_terms(state):
    terms, _ = state
    new_terms, rules, changed = [], [], False
    with noting_symmetry() as used:
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
    return (new_terms, rules + symmetry_rules(used)) if changed else None


#: Collecting terms that sit under sums over samples: the identity that matters is the sum's.
COLLECT_UNDER_SUMS = Rule(f"{COLLECT.name}, {SUM_INTO_TRACE.name}", SUM_INTO_TRACE.identity)


def _own_sums(mine, dvar):
    """The sums a per-sample differential ``da_i`` stays under ($\\sum_i tr(G_i^T da_i)$),
    and for each term the sums that go into the trace."""
    own = free_indices(dvar)
    outer = {b for t in mine for b in t.sums if b[0] in own}
    inner = [[b for b in t.sums if b[0] not in own] for t in mine]
    return sorted(outer, key=str), inner


def _show_collected(collected):
    parts = []
    for mine, _, dvar in collected:
        outer, inner = _own_sums(mine, dvar)
        if len({(t.coeff, t.left) for t in mine}) <= 1 and not any(inner):
            parts.extend(t.expr() for t in mine)  # nothing to collect: Add did it
            continue
        if dvar.is_Matrix:
            lefts = [summed(scaled(t.coeff, Identity(dvar.rows) if t.left is None else t.left),
                            sums) for t, sums in zip(mine, inner)]
            total = MatAdd(*lefts).doit(deep=False) if len(lefts) > 1 else lefts[0]
            parts.append(summed(Trace(MatMul(total, dvar)), outer))
        else:
            coeffs = Add(*[summed(t.coeff, sums) for t, sums in zip(mine, inner)])
            parts.append(summed(Mul(coeffs, dvar), outer))
    return Add(*parts)


def _collect_rules(collected):
    into_trace = any(any(_own_sums(mine, dvar)[1]) for mine, _, dvar in collected)
    return COLLECT_UNDER_SUMS if into_trace else COLLECT


def _show_gradients(collected):
    parts = []
    for mine, gradient, dvar in collected:
        if is_zero(gradient):
            continue
        outer, _ = _own_sums(mine, dvar)
        if dvar.is_Matrix:
            parts.append(summed(Trace(MatMul(Transpose(gradient), dvar)), outer))
        else:
            parts.append(summed(Mul(gradient, dvar), outer))
    return Add(*parts)


def closed_form_rules(before, gradients) -> list:
    """The closed forms of known functions' derivatives that reading off the gradients
    substitutes ($\\sigma' = \\sigma(1 - \\sigma)$, $\\tanh' = 1 - \\tanh^2$), each a named rule."""
    primed = {(n.name, n.kind): n for n in before.atoms(Elementwise, ScalarFunc) if n.order == 1}
    rules = []
    for (name, kind), node in sorted(primed.items()):
        identity = closed_form_identity(node)
        still = any((m.name, m.kind, m.order) == (name, kind, 1)
                    for g in gradients for m in g.atoms(Elementwise, ScalarFunc))
        if identity is not None and not still:
            rules.append(Rule(f"derivative of {kind}", Equation(*identity)))
    return rules


def require_dependence(problem: Problem, ctx: DiffContext, function) -> None:
    """A function that does not depend on ``wrt`` has a zero derivative: a mistake in wrt."""
    if not ctx.depends(function):
        raise DerivgenError(f"function: f = {problem.function} does not depend on "
                            f"{', '.join(problem.wrt)}, so its derivative is zero; check wrt",
                            file=problem.path, line=problem.line_of("function"))
