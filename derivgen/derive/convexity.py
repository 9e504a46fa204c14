"""A remark for the instructor when the Hessian is positive semidefinite by its form alone.

Only what the symbols prove is claimed, never what numbers suggest.  ``psd_conditions``
knows that these are positive semidefinite (PSD):

* $\\mathbf{I}$, $\\mathbf{0}$, and $\\operatorname{diag}(\\mathbf{w})$ for $\\mathbf{w} \\geq 0$
  entrywise by its form (ones, $e^{(\\cdot)}$, $\\operatorname{softplus}'$, ...);
* $\\mathbf{B}^T\\mathbf{M}\\mathbf{B}$ for a PSD $\\mathbf{M}$ (or none: $\\mathbf{B}^T\\mathbf{B}$);
* $c\\,\\mathbf{M}$ for a PSD $\\mathbf{M}$ and $c > 0$ a number, or a scalar variable $c$
  (then on the condition $c \\geq 0$); sums and Kronecker products of PSD matrices.
"""

from __future__ import annotations

from sympy import (HadamardPower, HadamardProduct, Identity, KroneckerProduct, MatAdd,
                   MatMul, Mul, Number, OneMatrix, Symbol, ZeroMatrix)
from sympy.matrices.expressions.diagonal import DiagMatrix

from derivgen.ir.nodes import Elementwise
from derivgen.derive.facts import Convex
from derivgen.derive.rules.transpose import transpose_of
from derivgen.ir.vec import HessianArray

#: (kind, derivative order) of elementwise functions that are positive everywhere:
#: e^x; softplus' = sigmoid, softplus'' = sigmoid (1 - sigmoid); sigmoid; sigmoid' too.
POSITIVE_FUNCTIONS = {("exp", k) for k in range(4)} | {("softplus", 1), ("softplus", 2),
                                                       ("sigmoid", 0), ("sigmoid", 1),
                                                       ("square", 2)}


def psd_conditions(expr):
    """The scalar symbols that must be $\\geq 0$ for ``expr`` to be PSD, or None if unproven.

    >>> from sympy import MatrixSymbol, symbols
    >>> A, lam = MatrixSymbol('A', 3, 2), symbols('lam')
    >>> sorted(psd_conditions(2 * A.T * A + lam * Identity(2)), key=str)
    [lam]
    """
    if isinstance(expr, (Identity, ZeroMatrix)):
        return set()
    if isinstance(expr, (MatAdd, KroneckerProduct)):
        parts = [psd_conditions(a) for a in expr.args]
        return None if any(p is None for p in parts) else set().union(*parts)
    if isinstance(expr, DiagMatrix):
        return set() if is_nonnegative(expr.args[0]) else None
    if isinstance(expr, MatMul):
        return _product_conditions(expr)
    return None


def _product_conditions(expr):
    conditions = set()
    for factor in Mul.make_args(Mul(*[a for a in expr.args if not a.is_Matrix])):
        if (isinstance(factor, Number) and factor > 0) or factor.is_positive:
            continue        # a number, or a size such as N: positive by declaration
        if isinstance(factor, Symbol):
            conditions.add(factor)
            continue
        return None
    matrices = [a for a in expr.args if a.is_Matrix]
    while len(matrices) >= 2 and transpose_of(matrices[0]) == matrices[-1]:
        matrices = matrices[1:-1]  # B^T M B is PSD when M is
    if not matrices:
        return conditions
    if len(matrices) > 1:
        return None
    inner = psd_conditions(matrices[0])
    return None if inner is None else conditions | inner


def is_nonnegative(expr) -> bool:
    """True when every entry of ``expr`` is $\\geq 0$ by its form."""
    if isinstance(expr, OneMatrix):
        return True
    if isinstance(expr, Elementwise):
        return (expr.kind, expr.order) in POSITIVE_FUNCTIONS
    if isinstance(expr, HadamardProduct):
        return all(is_nonnegative(a) for a in expr.args)
    if isinstance(expr, MatAdd) and len(expr.args) == 2:  # 1 - sigma(z), 1 - tanh(z)^2
        ones = [a for a in expr.args if isinstance(a, OneMatrix)]
        rest = [a for a in expr.args if not isinstance(a, OneMatrix)]
        return bool(ones) and len(rest) == 1 and _at_most_one(-rest[0])
    if isinstance(expr, HadamardPower):
        return bool(expr.exp.is_Integer and expr.exp % 2 == 0) or is_nonnegative(expr.base)
    if isinstance(expr, MatMul):
        scalars = Mul(*[a for a in expr.args if not a.is_Matrix])
        matrices = [a for a in expr.args if a.is_Matrix]
        return scalars.is_Number and scalars > 0 and len(matrices) == 1 and \
            is_nonnegative(matrices[0])
    return False


def _at_most_one(expr) -> bool:
    """Entries in $[0, 1]$ by their form: $\\sigma(z)$, $\\tanh(z)^{\\odot 2}$."""
    if isinstance(expr, MatMul) and len(expr.args) == 2 and expr.args[0] == 1:
        expr = expr.args[1]
    if isinstance(expr, Elementwise):
        return (expr.kind, expr.order) == ("sigmoid", 0)
    return isinstance(expr, HadamardPower) and expr.exp == 2 and \
        isinstance(expr.base, Elementwise) and (expr.base.kind, expr.base.order) == ("tanh", 0)


def convexity_fact(hessian, var, *, several: bool = False) -> Convex | None:
    """The fact that the Hessian is PSD by its form (and so ``f`` convex), else None."""
    matrix = hessian.hessian if isinstance(hessian, HessianArray) else hessian
    if not getattr(matrix, "is_Matrix", False) or isinstance(matrix, ZeroMatrix):
        return None
    conditions = psd_conditions(matrix)
    if conditions is None:
        return None
    return Convex(matrix, var, tuple(sorted(conditions, key=str)), positive_functions(matrix),
                  several)


def positive_functions(matrix) -> tuple:
    """The known-positive elementwise functions of ``matrix`` (not ``exp``: that is known)."""
    return tuple(node for node in sorted(matrix.atoms(Elementwise), key=str)
                 if (node.kind, node.order) in POSITIVE_FUNCTIONS and node.kind != "exp")
