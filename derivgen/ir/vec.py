"""IR nodes of Hessians: the vec form by a matrix variable, and named sub-expressions.

* ``Vec``: $\\operatorname{vec}(\\mathbf{A})$, the columns of ``A`` stacked (column-major);
* ``Commutation``: $\\mathbf{K}_{mn}$ with $\\mathbf{K}_{mn}\\operatorname{vec}(\\mathbf{A})
  = \\operatorname{vec}(\\mathbf{A}^T)$ for an $m \\times n$ matrix $\\mathbf{A}$;
* ``Named``: a sub-expression shown by a name, such as the gradient $\\mathbf{s}$;
* ``HessianArray``: the lecture's $m \\times n \\times m \\times n$ array of a Hessian
  $\\mathbf{H}$ given in vec form, entry $[i, j, k, l] = H_{i + jm,\\, k + lm}$ (0-based).
"""

from __future__ import annotations

from sympy import Basic, Expr, MatrixExpr, sympify
from sympy.core.symbol import Str

from derivgen.ir.nodes import UnaryMatrix


class Vec(UnaryMatrix):
    """$\\operatorname{vec}(\\mathbf{A})$: an ``(m n) x 1`` column."""

    @property
    def shape(self):
        rows, cols = self.arg.shape
        return rows * cols, sympify(1)


class Commutation(MatrixExpr):
    """$\\mathbf{K}_{mn}$, the ``mn x mn`` permutation with $K\\,vec(A) = vec(A^T)$."""

    def __new__(cls, rows, cols):
        return Basic.__new__(cls, sympify(rows), sympify(cols))

    rows_of = property(lambda self: self.args[0])
    cols_of = property(lambda self: self.args[1])

    @property
    def shape(self):
        size = self.args[0] * self.args[1]
        return size, size


class HessianArray(Expr):
    """The ``(m, n, m, n)`` array of the vec-form Hessian ``H`` by an ``m x n`` matrix."""

    def __new__(cls, hessian, rows, cols):
        return Expr.__new__(cls, hessian, sympify(rows), sympify(cols))

    hessian = property(lambda self: self.args[0])
    rows_of = property(lambda self: self.args[1])
    cols_of = property(lambda self: self.args[2])


class Named(MatrixExpr):
    """A sub-expression shown by a name, $\\mathbf{s}$, that stands for ``expr`` (the
    gradient in a Hessian $\\operatorname{diag}(\\mathbf{s}) - \\mathbf{s}\\mathbf{s}^T$);
    its NumPy code is that of ``expr``, so steps using it are checked like any other."""

    def __new__(cls, name, expr):
        return Basic.__new__(cls, name if isinstance(name, Str) else Str(name), expr)

    name = property(lambda self: self.args[0].name)
    expr = property(lambda self: self.args[1])

    @property
    def shape(self):
        return self.expr.shape


def unnamed(expr):
    """``expr`` with every ``Named`` replaced by what it stands for."""
    return expr.replace(lambda e: isinstance(e, Named), lambda e: e.expr)
