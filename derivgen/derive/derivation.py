"""One problem's derivation: the real, complex (Wirtinger) and second-order modes.

``derive`` finds the steps and results and leaves ``verified`` false; the pipeline
(``derivgen.pipeline.solve``) verifies them and then adds the facts that are found
numerically (``derivgen.verify.facts.checked_facts``).
"""

from __future__ import annotations

import re
from dataclasses import replace

from derivgen.derive.chain import parse_where
from derivgen.derive.core import (backpropagate, differential_section, require_dependence,
                                  rule_step, trace_section)
from derivgen.derive.facts import WrittenDifferential
from derivgen.derive.rules.differential import Rule
from derivgen.derive.rules.differential import DiffContext
from derivgen.derive.rules.definitions import functions_in_use
from derivgen.derive.rules.simplify import textbook
from derivgen.derive.second_order import second_order
from derivgen.derive.wirtinger import derive_complex
from derivgen.errors import DerivgenError
from derivgen.ir.nodes import differential_symbol, is_one_by_one
from derivgen.model import Derivation, Problem, Result, Section
from derivgen.parse import parse_function, top_level_equals
from derivgen.parse.scope import Scope, scope_of


def derive(problem: Problem) -> Derivation:
    """Parse and derive one problem, unverified; raises ``DerivgenError`` on any failure."""
    scope = scope_of(problem)
    wrt = [scope.symbols[name] for name in problem.wrt]
    is_complex = any(spec.complex for spec in problem.variables.values())
    chain = parse_where(problem, scope, wrt, _parsed, links=not is_complex)
    function = parse_problem_function(problem, scope)
    if is_complex:
        return derive_complex(problem, scope, function)
    ctx = DiffContext({v: differential_symbol(v) for v in wrt + chain.links},
                      functions_in_use(scope.functions, function, *chain.definitions.values()))
    require_dependence(problem, ctx, function)
    differential = as_written(problem, differential_section(function, ctx))
    trace, gradients = trace_section(differential.end, ctx)
    sections, remarks = [differential, trace], []
    if chain.links:
        links, gradients = backpropagate(chain, gradients, ctx, scope)
        sections.extend(links)
    results = [_result(name, gradients[v], chain) for name, v in zip(problem.wrt, wrt)]
    if problem.hessian:
        inlined = {v: _gradient_of(results, name) for name, v in zip(problem.wrt, wrt)}
        more_sections, more_results, remarks = second_order(problem, scope, wrt, inlined)
        sections.extend(more_sections)
        results.extend(more_results)
    function = chain.concrete(function)
    return Derivation(problem, scope, function, tuple(sections), tuple(results),
                      verified=False, remarks=tuple(remarks), chain=chain)


#: Norms rewritten as products when the function is read: a named fact of the first step.
NORMS = (
    (re.compile(r"\\\|.*\\\|_\{?F\}?\^\{?2"),
     Rule("Frobenius norm", r"\|\mathbf{X}\|_F^2 = \operatorname{tr}(\mathbf{X}^T\mathbf{X})")),
    (re.compile(r"\\\|.*\\\|_\{?2\}?\^\{?2"),
     Rule("squared norm", r"\|\mathbf{x}\|_2^2 = \mathbf{x}^T\mathbf{x}")),
    (re.compile(r"\\\|.*\\\|_\{?2\}?(?!\s*\^)"),
     Rule("Euclidean norm", r"\|\mathbf{x}\|_2 = \sqrt{\mathbf{x}^T\mathbf{x}}")),
)


def as_written(problem: Problem, section: Section) -> Section:
    """The differential section starting from $d(\\cdot)$ of the function as written (the
    instructor's order of terms), its first step naming the norms it rewrites."""
    text = " ".join(problem.function.split())
    text = text[top_level_equals(text) + 1:].strip()   # after an "\ell =" prefix
    if not text or not section.steps:
        return section
    norms = [rule for pattern, rule in NORMS if pattern.search(text)]
    first = section.steps[0]
    if norms:
        first = rule_step(norms + [Rule(n, i) for n, i in first.named], first.before, first.after)
    return replace(section, start=WrittenDifferential(text, section.start),
                   steps=(first,) + section.steps[1:])


def _result(name, gradient, chain):
    """The gradient in the variables alone; by way of the links' gradients when there are any."""
    if not chain.links:
        return Result(name, 1, False, gradient)
    return Result(name, 1, False, textbook(chain.concrete(gradient)), chain_form=gradient)


def _gradient_of(results, name):
    return next(r.expr for r in results if r.wrt == name and r.order == 1)


def inlined_function(problem: Problem):
    """``(scope, f)`` with every ``where:`` intermediate substituted: f in the variables alone."""
    scope = scope_of(problem)
    parse_where(problem, scope, [], _parsed, links=False)
    return scope, parse_problem_function(problem, scope)


def parse_problem_function(problem: Problem, scope: Scope):
    """The function, its ``where:`` names already in ``scope``, checked to be scalar."""
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
