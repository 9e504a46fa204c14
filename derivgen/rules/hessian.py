"""Reading off a Jacobian: a column ``E`` linear in ``dx`` is rewritten as ``J dx``.

Applied to ``E = d(grad f)`` this gives the Hessian, $d(\\nabla f) = \\mathbf{H}\\,d\\mathbf{x}$.
"""

from __future__ import annotations

from sympy import Add, HadamardProduct, Identity, MatAdd, MatMul, Mul, Transpose
from sympy.matrices.expressions.diagonal import DiagMatrix

from ..errors import DerivgenError
from ..ir import AsScalar
from .differential import Rule
from .transpose import push_transposes

HESSIAN = Rule("read off the Hessian",
               r"d\left(\frac{\partial f}{\partial \mathbf{x}}\right) = \mathbf{H}\,d\mathbf{x}")


def jacobian(expr, dx):
    """``J`` with ``expr = J dx`` for a column ``expr`` linear in the column ``dx``.

    >>> from sympy import MatrixSymbol, symbols
    >>> n = symbols('n'); A, dx = MatrixSymbol('A', n, n), MatrixSymbol('dx', n, 1)
    >>> jacobian(A * dx, dx)
    A
    """
    if expr == dx:
        return Identity(dx.rows)
    if isinstance(expr, MatAdd):
        parts = [jacobian(a, dx) for a in expr.args if a.has(dx)]
        return MatAdd(*parts).doit(deep=False) if len(parts) > 1 else parts[0]
    if isinstance(expr, Transpose):
        return jacobian(push_transposes(expr), dx) if push_transposes(expr) != expr else \
            _unsupported(expr)
    if isinstance(expr, HadamardProduct):
        holders = [a for a in expr.args if a.has(dx)]
        others = [a for a in expr.args if not a.has(dx)]
        if len(holders) != 1:
            return _unsupported(expr)
        weight = others[0] if len(others) == 1 else HadamardProduct(*others)
        return MatMul(DiagMatrix(weight), jacobian(holders[0], dx)).doit(deep=False)
    if isinstance(expr, MatMul):
        return _jacobian_of_product(expr, dx)
    return _unsupported(expr)


def _jacobian_of_product(expr, dx):
    scalars = [a for a in expr.args if not a.is_Matrix]
    matrices = [a for a in expr.args if a.is_Matrix]
    held = [s for s in scalars if s.has(dx)]
    coeff = Mul(*[s for s in scalars if not s.has(dx)])
    if held:
        # E = c * M * s with a scalar s linear in dx: J = c M (row of s)
        body = matrices[0] if len(matrices) == 1 else MatMul(*matrices)
        return MatMul(coeff, body, _row(Mul(*held), dx)).doit(deep=False)
    i = next(k for k, a in enumerate(matrices) if a.has(dx))
    before, holder, after = matrices[:i], matrices[i], matrices[i + 1:]
    if holder.cols == 1:
        # E = P v R with a column v: R is 1x1, a scalar
        scalar = [AsScalar(MatMul(*after).doit(deep=False))] if after else []
        return MatMul(coeff, *scalar, *before, jacobian(holder, dx)).doit(deep=False)
    # E = P (w^T R) with a row w^T: the 1x1 block w^T R is (R^T w)^T
    block = MatMul(holder, *after).doit(deep=False)
    row = jacobian(push_transposes(Transpose(block)), dx)  # s = s^T = R^T w
    return MatMul(coeff, *before, row).doit(deep=False)


def _row(scalar, dx):
    """The row ``r`` with ``scalar = r dx``: $d(x^T a) \\to a^T$, sums and factors too."""
    if isinstance(scalar, Add):
        parts = [_row(a, dx) for a in scalar.args if a.has(dx)]
        return MatAdd(*parts).doit(deep=False) if len(parts) > 1 else parts[0]
    factors = Mul.make_args(scalar)
    held = [f for f in factors if f.has(dx)]
    if len(held) != 1 or not isinstance(held[0], AsScalar):
        return _unsupported(scalar)
    coeff = Mul(*[f for f in factors if not f.has(dx)])
    return MatMul(coeff, jacobian(held[0].arg, dx)).doit(deep=False)


def _unsupported(expr):
    raise DerivgenError(f"cannot read off the Hessian from {expr} yet")

