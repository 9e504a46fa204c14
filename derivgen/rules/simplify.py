"""Textbook form of a result: transposes pushed down, neutral factors dropped."""

from __future__ import annotations

from sympy import HadamardPower, HadamardProduct, Identity, MatAdd, MatMul, OneMatrix
from sympy.matrices.expressions.diagonal import DiagMatrix

from ..ir import Elementwise
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


def known_derivative(expr):
    """$\\sigma'(A) = \\sigma(A) \\odot (1 - \\sigma(A))$, $\\tanh'(A) = 1 - \\tanh(A)^{\\circ 2}$,
    $(A^{\\circ 2})' = 2A$: closed forms for the functions a problem names as known kinds."""
    if not isinstance(expr, Elementwise) or expr.order != 1:
        return expr
    value = Elementwise(expr.name, expr.kind, expr.arg)
    ones = OneMatrix(*expr.shape)
    if expr.kind == "sigmoid":
        return HadamardProduct(value, MatAdd(ones, MatMul(-1, value)))
    if expr.kind == "tanh":
        return MatAdd(ones, MatMul(-1, HadamardPower(value, 2)))
    if expr.kind == "square":
        return MatMul(2, expr.arg)
    return expr


TEXTBOOK_RULES = (known_derivative, hadamard_drop_ones, diag_of_ones, flatten_node)


def textbook(expr):
    """Apply ``TEXTBOOK_RULES`` bottom up, after pushing transposes to the symbols."""
    expr = push_transposes(expr)
    for rule in TEXTBOOK_RULES:
        expr = bottom_up(rule, expr)
    return expr
