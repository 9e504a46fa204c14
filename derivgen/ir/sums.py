"""Sums over samples: indexed families ``x_i`` and $\\sum_{i=1}^{N}$ in the IR.

A variable declared with ``index: i`` is a family of samples ``x_1, ..., x_N``; in a
formula ``\\mathbf{x}_i`` is ``Sample('x', i, n, 1)`` (a scalar family gives a
``SampleScalar``).  ``\\sum_{i=1}^{N} E_i`` is ``SampleSum(E, i, N)`` for a scalar body and
``MatSampleSum`` for a matrix one.  Numerically a family is one array with the samples
along its last axis: ``x`` of shape ``(n, N)``, so ``x_i`` is ``x[:, [i]]``.
"""

from __future__ import annotations

from sympy import Basic, Expr, MatMul, MatrixExpr, Mul, Symbol
from sympy.core.symbol import Str


class Sample(MatrixExpr):
    """``x_i``: sample ``i`` of the family ``x`` (a vector or matrix per sample)."""

    def __new__(cls, family, index, rows, cols):
        return Basic.__new__(cls, _str(family), index, rows, cols)

    family = property(lambda self: self.args[0].name)
    index = property(lambda self: self.args[1])

    @property
    def shape(self):
        return self.args[2], self.args[3]


class OneHotSample(Sample):
    """``y_i`` of a family declared ``onehot: true``: each sample is a one-hot vector."""


class SampleDiff(Sample):
    """``d a_i``: the differential of an indexed intermediate ``a_i``."""

    @property
    def base(self):
        return Sample(self.family, self.index, *self.shape)


class SampleScalar(Expr):
    """``y_i``: sample ``i`` of a family of scalars."""

    is_commutative = True
    is_real = True

    def __new__(cls, family, index):
        return Expr.__new__(cls, _str(family), index)

    family = property(lambda self: self.args[0].name)
    index = property(lambda self: self.args[1])


class _Summed:
    body = property(lambda self: self.args[0])
    index = property(lambda self: self.args[1])
    upper = property(lambda self: self.args[2])

    @property
    def binding(self):
        return self.index, self.upper


class SampleSum(_Summed, Expr):
    """$\\sum_{i=1}^{N} s_i$ of scalars."""

    is_commutative = True

    def __new__(cls, body, index, upper):
        return Expr.__new__(cls, body, index, upper)


class MatSampleSum(_Summed, MatrixExpr):
    """$\\sum_{i=1}^{N} \\mathbf{A}_i$ of matrices of one shape."""

    def __new__(cls, body, index, upper):
        return Basic.__new__(cls, body, index, upper)

    @property
    def shape(self):
        return self.body.shape


def sample_sum(body, index, upper):
    """$\\sum_i$ of ``body``: pulled out of the sum when ``body`` does not use ``i``."""
    if not uses_index(body, index):
        return body * upper
    if isinstance(body, (Mul, MatMul)):
        # constant scalar factors leave the sum: \sum_i 2 a_i = 2 \sum_i a_i
        # (a matrix product's scalar is one Mul: -y_i s_i / N leaves -1/N outside)
        factors = [f for a in body.args
                   for f in ((a,) if a.is_Matrix or not isinstance(body, MatMul)
                             else Mul.make_args(a))]
        outside = [a for a in factors if not a.is_Matrix and not uses_index(a, index)]
        if outside and len(outside) < len(factors):
            rest = [a for a in factors if a not in outside]
            inner = body.func(*rest).doit(deep=False) if len(rest) > 1 else rest[0]
            return body.func(*outside, sample_sum(inner, index, upper)).doit(deep=False)
    if body.is_Matrix:
        return MatSampleSum(body, index, upper)
    return SampleSum(body, index, upper)


def summed(body, bindings):
    """``body`` under the sums of ``bindings`` (outermost first)."""
    for index, upper in reversed(bindings):
        body = sample_sum(body, index, upper)
    return body


def uses_index(expr, index) -> bool:
    return any(s.index == index for s in expr.atoms(Sample, SampleScalar))


def free_indices(expr) -> set:
    """The sample indices of ``expr`` not bound by a sum inside it."""
    if isinstance(expr, (Sample, SampleScalar)):
        return {expr.index}
    if isinstance(expr, (SampleSum, MatSampleSum)):
        return free_indices(expr.body) - {expr.index}
    found = set()
    for arg in expr.args:
        if isinstance(arg, Basic) and not isinstance(arg, (Str, Symbol)):
            found |= free_indices(arg)
    return found


def _str(value):
    return value if isinstance(value, Str) else Str(value)
