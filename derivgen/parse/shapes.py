"""Shapes while building: printing them, and inferring the size of ``\\mathbf{1}``/``\\mathbf{I}``.

A matrix whose size comes from its neighbours is first built with placeholder
dimensions (``Dummy`` symbols); ``Unifier.unify`` binds a placeholder to the dimension
it meets, so in ``\\mathbf{1}^T e^{\\mathbf{a}}`` the ones vector becomes ``m x 1``.
"""

from __future__ import annotations

from sympy import Dummy, Identity, Integer, MatMul, MatrixExpr, OneMatrix, ZeroMatrix

from derivgen.ir.nodes import AsScalar


def is_scalar(value) -> bool:
    return not isinstance(value, MatrixExpr)


def dim_text(dim) -> str:
    return "?" if isinstance(dim, Dummy) else str(dim)


def shape_text(value) -> str:
    """``m×n`` for a matrix, ``scalar`` otherwise."""
    if is_scalar(value):
        return "scalar"
    return "×".join(dim_text(d) for d in value.shape)


def as_scalar(value):
    """A ``1 x 1`` matrix as a scalar, factors outside: ``2 a^T x`` -> ``2 AsScalar(a^T x)``.

    A ``1 x 1`` matrix of ones, identity or zeros is the number 1 or 0 (``\\|\\mathbf{1}_n\\|^2 = n``).
    """
    if is_scalar(value):
        return value
    if isinstance(value, (OneMatrix, Identity, ZeroMatrix)):
        return Integer(0 if isinstance(value, ZeroMatrix) else 1)
    if isinstance(value, MatMul):
        coeff, matrices = value.as_coeff_matrices()
        if coeff != 1 and matrices:
            rest = matrices[0] if len(matrices) == 1 else MatMul(*matrices)
            return coeff * as_scalar(rest)
    return AsScalar(value)


class Unifier:
    """Placeholder dimensions and what they were bound to."""

    def __init__(self):
        self.placeholders: set = set()
        self.bindings: dict = {}

    def fresh(self):
        dim = Dummy("d", integer=True, positive=True)
        self.placeholders.add(dim)
        return dim

    def resolve(self, expr):
        """``expr`` with every bound placeholder replaced (following chains)."""
        if not self.bindings or not hasattr(expr, "xreplace"):
            return expr
        for _ in range(len(self.bindings) + 1):
            new = expr.xreplace(self.bindings)
            if new == expr:
                break
            expr = new
        return expr

    def unify(self, a, b) -> bool:
        """Make dimensions ``a`` and ``b`` equal if a placeholder allows it."""
        a, b = self.resolve(a), self.resolve(b)
        if a == b:
            return True
        if a in self.placeholders:
            self.bindings[a] = b
            return True
        if b in self.placeholders:
            self.bindings[b] = a
            return True
        return False

    def is_open(self, dim) -> bool:
        return self.resolve(dim) in self.placeholders
