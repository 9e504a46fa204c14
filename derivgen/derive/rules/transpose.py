"""Transpose rules: push ``^T`` down to the symbols, as a textbook prints a result.

SymPy's own ``.T`` reorders Hadamard factors; these keep the written order.
"""

from __future__ import annotations

from functools import singledispatch

from sympy import (HadamardPower, HadamardProduct, Identity, Inverse, KroneckerProduct,
                   MatAdd, MatMul, MatPow, OneMatrix, Transpose, ZeroMatrix)

from sympy.matrices.expressions.diagonal import DiagMatrix

from derivgen.ir.nodes import SymmetricSymbol, note_symmetry
from derivgen.ir.sums import MatSampleSum, sample_sum


@singledispatch
def transpose_of(expr):
    """$(A)^T$ with the transpose pushed inside; the fallback keeps ``Transpose(A)``.

    >>> from sympy import MatrixSymbol, symbols
    >>> m, n = symbols('m n'); a, b = MatrixSymbol('a', m, 1), MatrixSymbol('b', n, 1)
    >>> transpose_of(b * a.T)
    a*b.T
    """
    if not expr.is_Matrix:
        return expr
    return Transpose(expr)


@transpose_of.register
def _(expr: Transpose):
    """$(A^T)^T = A$."""
    return expr.arg


@transpose_of.register
def _(expr: SymmetricSymbol):
    """$M^T = M$ for a symmetric $M$ (noted, so that the step names it)."""
    note_symmetry(expr)
    return expr


@transpose_of.register
def _(expr: MatMul):
    """$(c\\,AB)^T = c\\,B^T A^T$."""
    scalars = [a for a in expr.args if not a.is_Matrix]
    matrices = [transpose_of(a) for a in reversed(expr.args) if a.is_Matrix]
    return MatMul(*scalars, *matrices).doit(deep=False)


@transpose_of.register
def _(expr: MatSampleSum):
    """$(\\sum_i A_i)^T = \\sum_i A_i^T$."""
    return sample_sum(transpose_of(expr.body), expr.index, expr.upper)


@transpose_of.register
def _(expr: MatAdd):
    """$(A + B)^T = A^T + B^T$."""
    return MatAdd(*[transpose_of(a) for a in expr.args]).doit(deep=False)


@transpose_of.register
def _(expr: HadamardProduct):
    """$(A \\odot B)^T = A^T \\odot B^T$."""
    return HadamardProduct(*[transpose_of(a) for a in expr.args])


@transpose_of.register
def _(expr: HadamardPower):
    return HadamardPower(transpose_of(expr.base), expr.exp)


@transpose_of.register
def _(expr: KroneckerProduct):
    """$(A \\otimes B)^T = A^T \\otimes B^T$."""
    return KroneckerProduct(*[transpose_of(a) for a in expr.args])


@transpose_of.register
def _(expr: DiagMatrix):
    """$\\operatorname{diag}(\\mathbf{v})^T = \\operatorname{diag}(\\mathbf{v})$."""
    return expr


@transpose_of.register
def _(expr: Inverse):
    """$(A^{-1})^T = (A^T)^{-1}$, printed $A^{-T}$; $((B^{-1})^{-1})^T = B^T$."""
    inner = transpose_of(expr.arg)
    return inner.arg if isinstance(inner, Inverse) else Inverse(inner)


@transpose_of.register
def _(expr: MatPow):
    return MatPow(transpose_of(expr.base), expr.exp)


@transpose_of.register(Identity)
@transpose_of.register(ZeroMatrix)
def _(expr):
    return expr if expr.rows == expr.cols else type(expr)(expr.cols, expr.rows)


@transpose_of.register
def _(expr: OneMatrix):
    return OneMatrix(expr.cols, expr.rows)


def push_transposes(expr):
    """Rewrite every ``Transpose(A)`` in ``expr`` by :func:`transpose_of`, bottom up.

    >>> from sympy import MatrixSymbol, Transpose, symbols
    >>> m, n = symbols('m n'); a, b = MatrixSymbol('a', m, 1), MatrixSymbol('b', n, 1)
    >>> push_transposes(Transpose(b * a.T))
    a*b.T
    """
    if not expr.args:
        return expr
    args = [push_transposes(a) for a in expr.args]
    if isinstance(expr, Transpose):
        return transpose_of(args[0])
    if any(a is not b for a, b in zip(args, expr.args)):
        expr = expr.func(*args)
        if isinstance(expr, (MatMul, MatAdd)):
            expr = expr.doit(deep=False)
    return expr
