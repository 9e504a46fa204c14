"""Textbook form of a result: transposes pushed down, neutral factors dropped."""

from __future__ import annotations

from sympy import HadamardProduct, Identity, OneMatrix
from sympy.matrices.expressions.diagonal import DiagMatrix

from ..strategies import bottom_up, flatten_node
from .transpose import push_transposes


def hadamard_drop_ones(expr):
    """$\\mathbf{1} \\odot A = A$."""
    if not isinstance(expr, HadamardProduct):
        return expr
    kept = [a for a in expr.args if not isinstance(a, OneMatrix)]
    if not kept:
        return expr.args[0]
    return kept[0] if len(kept) == 1 else HadamardProduct(*kept)


def diag_of_ones(expr):
    """$\\operatorname{diag}(\\mathbf{1}) = I$."""
    if isinstance(expr, DiagMatrix) and isinstance(expr.args[0], OneMatrix):
        return Identity(expr.shape[0])
    return expr


TEXTBOOK_RULES = (hadamard_drop_ones, diag_of_ones, flatten_node)


def textbook(expr):
    """Apply ``TEXTBOOK_RULES`` bottom up, after pushing transposes to the symbols."""
    expr = push_transposes(expr)
    for rule in TEXTBOOK_RULES:
        expr = bottom_up(rule, expr)
    return expr
