"""The chain rule through ``where:`` intermediates, as the lecture's Example 5 does it.

An intermediate that is a matrix or vector and depends on a variable in ``wrt`` is a *link*:
it stays a symbol (``\\mathbf{a}_{2,i}``; a sample's own when its definition uses ``x_i``).
The solution first finds $\\partial f/\\partial \\mathbf{U}$ for the outermost links, then
passes each link's gradient back through its definition:

    $\\operatorname{tr}((\\partial f/\\partial \\mathbf{a})^T d\\mathbf{a})
     = \\operatorname{tr}((\\partial f/\\partial \\mathbf{a})^T d(\\mathbf{W}\\mathbf{h} + \\mathbf{b}))
     = \\dots$, read off $\\partial f/\\partial \\mathbf{W}$, $\\partial f/\\partial \\mathbf{h}$, ...

Scalar intermediates and those that do not depend on ``wrt`` are substituted as written.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import partial

from sympy import MatAdd, MatMul, MatrixSymbol, Trace, Transpose, ZeroMatrix

from derivgen.errors import DerivgenError
from derivgen.ir.nodes import D, Gradient, depends_on, differential_symbol, is_one_by_one, is_zero
from derivgen.derive.rules.simplify import textbook
from derivgen.ir.sums import Sample, free_indices, summed
from derivgen.parse import parse_latex


@dataclass
class Chain:
    """The links of a problem, in the order ``where:`` defines them: symbol -> definition."""

    definitions: dict = field(default_factory=dict)
    gradients: dict = field(default_factory=dict)   # Gradient(U) -> its value, links inlined
    shown: list = field(default_factory=list)       # (Gradient(U), value by way of links)

    @property
    def links(self) -> list:
        return list(self.definitions)

    def where(self) -> list:
        """What a result by way of the links needs beside it: ``(lhs, rhs)`` pairs."""
        pairs = [(link, self.definitions[link]) for link in self.links]
        return pairs + list(self.shown)   # in the order the solution finds them

    def inline(self, expr):
        """``expr`` with every link replaced by its definition (the last link first)."""
        for link in reversed(self.links):
            expr = expr.xreplace({link: self.definitions[link]})
        return expr

    def concrete(self, expr):
        """``expr`` in the variables alone: links, their differentials and gradients inlined."""
        if not self.definitions:
            return expr
        mapping = dict(self.gradients)
        for link in self.links:
            mapping[differential_symbol(link)] = D(self.inline(link))
        return self.inline(expr.xreplace(mapping))


def parse_where(problem, scope, wrt, parsed, *, links: bool = True) -> Chain:
    """Parse ``where:`` in order; links become symbols in ``scope``, the rest values.

    With ``links=False`` every intermediate is substituted as written.
    """
    chain = Chain()
    for item in problem.where:
        value = parsed(partial(parse_latex, indexed=True), item.latex, scope, problem, item.line)
        if links and value.is_Matrix and not is_one_by_one(value) and \
                depends_on(value, list(wrt) + chain.links):
            link = _link_symbol(item, value, problem)
            chain.definitions[link] = value
            scope.intermediates[item.name] = link
        else:
            scope.intermediates[item.name] = value
    return chain


def _link_symbol(item, value, problem):
    indices = sorted(free_indices(value), key=str)
    if len(indices) > 1:
        raise DerivgenError(f"where: {item.name} uses the samples of two indices "
                            f"({', '.join(map(str, indices))}); use one", file=problem.path,
                            line=item.line)
    if indices:
        return Sample(item.name, indices[0], *value.shape)
    return MatrixSymbol(item.name, *value.shape)


def link_start(link, counts):
    """$\\sum_i tr((\\partial f/\\partial \\mathbf{U}_i)^T d\\mathbf{U}_i)$ for one link."""
    sums = ((link.index, counts[link.index]),) if isinstance(link, Sample) else ()
    return summed(Trace(MatMul(Transpose(Gradient(link)), differential_symbol(link))), sums), \
        sums


def total(parts, like):
    """The sum of gradient contributions, in textbook form (zero if there are none)."""
    parts = [p for p in parts if p is not None and not is_zero(p)]
    if not parts:
        return ZeroMatrix(*like.shape) if like.is_Matrix else 0
    return textbook(MatAdd(*parts).doit(deep=False) if like.is_Matrix and len(parts) > 1
                    else sum(parts[1:], parts[0]))
