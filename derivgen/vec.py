"""IR nodes of the vec form of a Hessian by a matrix variable.

* ``Vec``: $\\operatorname{vec}(\\mathbf{A})$, the columns of ``A`` stacked (column-major);
* ``Commutation``: $\\mathbf{K}_{mn}$ with $\\mathbf{K}_{mn}\\operatorname{vec}(\\mathbf{A})
  = \\operatorname{vec}(\\mathbf{A}^T)$ for an $m \\times n$ matrix $\\mathbf{A}$;
* ``HessianArray``: the lecture's $m \\times n \\times m \\times n$ array of a Hessian
  $\\mathbf{H}$ given in vec form, entry $[i, j, k, l] = H_{i + jm,\\, k + lm}$ (0-based).
"""

from __future__ import annotations

from sympy import Basic, Expr, MatrixExpr, sympify


class Vec(MatrixExpr):
    """$\\operatorname{vec}(\\mathbf{A})$: an ``(m n) x 1`` column."""

    def __new__(cls, arg):
        return Basic.__new__(cls, arg)

    @property
    def arg(self):
        return self.args[0]

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
