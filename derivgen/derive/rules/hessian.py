"""Reading off a Jacobian: a column ``E`` linear in ``dx`` is rewritten as ``J dx``.

Applied to ``E = d(grad f)`` this gives the Hessian, $d(\\nabla f) = \\mathbf{H}\\,d\\mathbf{x}$.
For a matrix variable the same is done after vectorizing, $\\operatorname{vec}(E) =
\\mathbf{H}\\operatorname{vec}(d\\mathbf{X})$, by ``vec_terms`` and ``collect_kronecker``.
"""

from __future__ import annotations

from sympy import (Add, HadamardProduct, Identity, KroneckerProduct, MatAdd, MatMul, Mul,
                   OneMatrix, S, Transpose)
from sympy.matrices.expressions.diagonal import DiagMatrix

from derivgen.errors import DerivgenError
from derivgen.ir.nodes import AsScalar, Softmax
from derivgen.ir.sums import MatSampleSum, SampleSum, sample_sum
from derivgen.ir.vec import Commutation, Named, Vec
from derivgen.derive.facts import Equation
from derivgen.derive.rules.differential import Rule
from derivgen.derive.rules.simplify import textbook
from derivgen.derive.rules.softmax import softmax_definition
from derivgen.derive.rules.trace import gradient_of, has_differential, rewrite_once, terms_of
from derivgen.derive.rules.transpose import push_transposes

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
    if isinstance(expr, MatSampleSum):  # dx is shared by the samples: J = sum_i J_i
        return sample_sum(jacobian(expr.body, dx), expr.index, expr.upper)
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
    if isinstance(scalar, SampleSum):
        return sample_sum(_row(scalar.body, dx), scalar.index, scalar.upper)
    if isinstance(scalar, Add):
        parts = [_row(a, dx) for a in scalar.args if a.has(dx)]
        return MatAdd(*parts).doit(deep=False) if len(parts) > 1 else parts[0]
    factors = Mul.make_args(scalar)
    held = [f for f in factors if f.has(dx)]
    if len(held) != 1 or not isinstance(held[0], (AsScalar, SampleSum)):
        return _unsupported(scalar)
    coeff = Mul(*[f for f in factors if not f.has(dx)])
    row = _row(held[0], dx) if isinstance(held[0], SampleSum) else jacobian(held[0].arg, dx)
    return MatMul(coeff, row).doit(deep=False)


VEC_PRODUCT = Rule("vec of a product",
                   r"\operatorname{vec}(\mathbf{A}\mathbf{X}\mathbf{B}) = "
                   r"(\mathbf{B}^T \otimes \mathbf{A})\operatorname{vec}(\mathbf{X})")


def vec_transpose(dX) -> Rule:
    """$\\operatorname{vec}(d\\mathbf{X}^T) = \\mathbf{K}_{mn}\\operatorname{vec}(d\\mathbf{X})$
    for an ``m x n`` $\\mathbf{X}$, stated with the sizes of the problem's own ``dX`` (an
    ``n x n`` one needs $\\mathbf{K}_{nn}$, not a generic $\\mathbf{K}_{mn}$)."""
    return Rule("commutation matrix",
                Equation(Vec(Transpose(dX)), MatMul(Commutation(*dX.shape), Vec(dX))))


VEC_HADAMARD = Rule("vec of a Hadamard product",
                    r"\operatorname{vec}(\mathbf{W} \odot \mathbf{X}) = "
                    r"\operatorname{diag}(\operatorname{vec}\mathbf{W})\operatorname{vec}(\mathbf{X})")
VEC_SCALAR = Rule("vec of a scaled matrix",
                  r"\operatorname{vec}(\mathbf{M}\operatorname{tr}(\mathbf{C}^T d\mathbf{X})) = "
                  r"\operatorname{vec}(\mathbf{M})\operatorname{vec}(\mathbf{C})^T"
                  r"\operatorname{vec}(d\mathbf{X})")
KRONECKER_SUM = Rule("bilinearity of the Kronecker product",
                     r"\mathbf{A} \otimes \mathbf{B} + \mathbf{A} \otimes \mathbf{C} = "
                     r"\mathbf{A} \otimes (\mathbf{B} + \mathbf{C})")


def vec_terms(expr, dX):
    """``[(J_k, rule_k)]`` with $\\operatorname{vec}(E) = \\sum_k J_k \\operatorname{vec}(dX)$.

    For $E = \\sum_k A_k\\,dX\\,B_k$ this is $J_k = B_k^T \\otimes A_k$ (``vec_of_product``);
    a $dX^T$ adds the commutation matrix, $W \\odot (\\cdot)$ a $\\operatorname{diag}(\\operatorname{vec} W)$,
    and a scalar factor $\\operatorname{tr}(C^T dX)$ the outer product
    $\\operatorname{vec}(M)\\operatorname{vec}(C)^T$.
    """
    return [(textbook(J), rule) for J, rule in vec_of_product([], expr, [], dX)]


def vec_of_product(left, expr, right, dX):
    """Terms of $\\operatorname{vec}(L\\,E\\,R)$ for factor lists ``left``, ``right``."""
    if expr == dX:
        return [(_kron(left, expr, right), VEC_PRODUCT)]
    if isinstance(expr, Transpose) and expr.arg == dX:
        return [(MatMul(_kron(left, expr, right), Commutation(*dX.shape)), vec_transpose(dX))]
    if isinstance(expr, Transpose):
        pushed = push_transposes(expr)
        return vec_of_product(left, pushed, right, dX) if pushed != expr else _unsupported(expr)
    if isinstance(expr, MatSampleSum):  # vec(L (sum_i E_i) R) = sum_i vec(L E_i R)
        return [(sample_sum(J, expr.index, expr.upper), rule)
                for J, rule in vec_of_product(left, expr.body, right, dX)]
    if isinstance(expr, MatAdd):
        return [t for a in expr.args if has_differential(a)
                for t in vec_of_product(left, a, right, dX)]
    if isinstance(expr, MatMul):
        return _vec_of_matmul(left, expr, right, dX)
    if isinstance(expr, HadamardProduct):
        holders = [a for a in expr.args if has_differential(a)]
        if len(holders) != 1:
            return _unsupported(expr)
        others = [a for a in expr.args if a is not holders[0]]
        weight = DiagMatrix(Vec(others[0] if len(others) == 1 else HadamardProduct(*others)))
        outer = _kron(left, expr, right)
        return [(MatMul(outer, weight, J).doit(deep=False), VEC_HADAMARD)
                for J, _ in vec_of_product([], holders[0], [], dX)]
    return _unsupported(expr)


def _vec_of_matmul(left, expr, right, dX):
    scalars = [a for a in expr.args if not a.is_Matrix]
    matrices = [a for a in expr.args if a.is_Matrix]
    coeff = Mul(*[s for s in scalars if not has_differential(s)])
    held = Mul(*[s for s in scalars if has_differential(s)])
    if held != 1:
        # vec(c L M R s) = c vec(L M R) row(s), with s = vec(C)^T vec(dX)
        block = MatMul(*left, *matrices, *right).doit(deep=False)
        gradient = _linear_form_gradient(held, dX)
        factor = S.One
        if isinstance(gradient, MatMul):  # vec(c C) = c vec(C): keep scalars out of vec
            factor = Mul(*[a for a in gradient.args if not a.is_Matrix])
            gradient = MatMul(*[a for a in gradient.args if a.is_Matrix]).doit(deep=False)
        row = Transpose(Vec(gradient))
        return [(MatMul(coeff, factor, Vec(block), row).doit(deep=False), VEC_SCALAR)]
    i = next(k for k, a in enumerate(matrices) if has_differential(a))
    terms = vec_of_product(left + matrices[:i], matrices[i], matrices[i + 1:] + right, dX)
    return [(MatMul(coeff, J).doit(deep=False), rule) for J, rule in terms]


def _kron(left, expr, right):
    """$B^T \\otimes A$ for $A$ = the product of ``left``, $B$ = that of ``right``."""
    rows, cols = expr.shape
    a = MatMul(*left).doit(deep=False) if left else Identity(rows)
    b_t = push_transposes(Transpose(MatMul(*right).doit(deep=False))) if right \
        else Identity(cols)
    if isinstance(a, Identity) and isinstance(b_t, Identity):
        return Identity(rows * cols)
    return KroneckerProduct(b_t, a)


def _linear_form_gradient(scalar, dX):
    """``C`` with $s = \\operatorname{tr}(C^T dX)$, by the trace rules of the gradient."""
    terms = [t for term in terms_of(scalar) for t in _settled(term)]
    gradient = gradient_of(terms, dX)
    return gradient if gradient is not None else _unsupported(scalar)


def _settled(term):
    result = rewrite_once(term)
    if result is None:
        return [term]
    return [t for more in result[0] for t in _settled(more)]


def collect_kronecker(terms):
    """$\\sum_k c_k (A \\otimes B_k) T = (A \\otimes \\sum_k c_k B_k) T$, then the same on the
    right factor: like Kronecker terms (same left factor, same trailing factor) are merged."""
    for side in (0, 1):
        groups: dict = {}
        for J in terms:
            parts = _kron_parts(J)
            key = (parts[1 + side], parts[3]) if parts else ("alone", len(groups))
            groups.setdefault(key, []).append(J)
        terms = [group[0] if len(group) == 1 else _merged(group, side) for group in groups.values()]
    return terms


def _kron_parts(J):
    """``(c, A, B, tail)`` for ``J = c (A ⊗ B) tail``, else None."""
    args = J.args if isinstance(J, MatMul) else (J,)
    scalars = [a for a in args if not a.is_Matrix]
    matrices = [a for a in args if a.is_Matrix]
    if not matrices or not isinstance(matrices[0], KroneckerProduct) or \
            len(matrices[0].args) != 2:
        return None
    tail = MatMul(*matrices[1:]).doit(deep=False) if len(matrices) > 2 else \
        (matrices[1] if len(matrices) == 2 else None)
    return Mul(*scalars), matrices[0].args[0], matrices[0].args[1], tail


def _merged(group, side):
    parts = [_kron_parts(J) for J in group]
    shared, tail = parts[0][1 + side], parts[0][3]
    varying = MatAdd(*[MatMul(c, p[2 - side]).doit(deep=False) if c != 1 else p[2 - side]
                       for p in parts for c in [p[0]]]).doit(deep=False)
    kron = KroneckerProduct(shared, varying) if side == 0 else KroneckerProduct(varying, shared)
    return MatMul(kron, tail).doit(deep=False) if tail is not None else kron


def ones_times_diag(expr):
    """$\\mathbf{1}^T\\operatorname{diag}(\\mathbf{v}) = \\mathbf{v}^T$ and
    $\\operatorname{diag}(\\mathbf{v})\\mathbf{1} = \\mathbf{v}$ inside a product; e.g.
    $\\mathbf{u}\\mathbf{1}^T\\operatorname{diag}(e^{\\mathbf{x}}) = \\mathbf{u}(e^{\\mathbf{x}})^T$."""
    if not isinstance(expr, MatMul):
        return expr
    args, out, changed = list(expr.args), [], False
    for arg in args:
        previous = out[-1] if out else None
        if isinstance(arg, DiagMatrix) and isinstance(previous, OneMatrix) and previous.rows == 1:
            out[-1], changed = push_transposes(Transpose(arg.args[0])), True
        elif isinstance(arg, OneMatrix) and arg.cols == 1 and isinstance(previous, DiagMatrix):
            out[-1], changed = previous.args[0], True
        else:
            out.append(arg)
    return MatMul(*out).doit(deep=False) if changed else expr


GRADIENT_NAMED = Rule("in terms of the gradient",
                      r"\frac{\operatorname{diag}(\mathbf{u})}{c} = \operatorname{diag}(\mathbf{s}),"
                      r"\ \frac{\mathbf{u}\mathbf{u}^T}{c^2} = \mathbf{s}\mathbf{s}^T"
                      r"\text{ for } \mathbf{s} = \frac{\mathbf{u}}{c}")


def in_terms_of_gradient(hessian, gradient, name):
    """$c^{-1}\\operatorname{diag}(\\mathbf{u}) = \\operatorname{diag}(\\mathbf{s})$ and
    $c^{-2}\\mathbf{u}\\mathbf{u}^T = \\mathbf{s}\\mathbf{s}^T$ for a gradient
    $\\mathbf{s} = \\mathbf{u}/c$; e.g. log-sum-exp's Hessian becomes
    $\\operatorname{diag}(\\mathbf{s}) - \\mathbf{s}\\mathbf{s}^T$.  None unless every term is
    such a term with a numeric coefficient; a gradient named softmax is read as its
    definition $e^{\\mathbf{a}}/(\\mathbf{1}^T e^{\\mathbf{a}})$."""
    named = gradient
    if isinstance(gradient, Softmax) and gradient.arg.cols == 1:
        gradient = softmax_definition(gradient)
    if not isinstance(gradient, MatMul):
        return None
    scale = Mul(*[a for a in gradient.args if not a.is_Matrix])
    vectors = [a for a in gradient.args if a.is_Matrix]
    if scale.is_Number or len(vectors) != 1:
        return None
    u, s = vectors[0], Named(name, named)
    parts = []
    for term in (hessian.args if isinstance(hessian, MatAdd) else [hessian]):
        args = term.args if isinstance(term, MatMul) else (term,)
        coeff = Mul(*[a for a in args if not a.is_Matrix])
        matrices = [a for a in args if a.is_Matrix]
        if matrices == [DiagMatrix(u)] and (coeff / scale).is_Number:
            parts.append(MatMul(coeff / scale, DiagMatrix(s)).doit(deep=False))
        elif matrices == [u, push_transposes(Transpose(u))] and (coeff / scale ** 2).is_Number:
            parts.append(MatMul(coeff / scale ** 2, s, Transpose(s)).doit(deep=False))
        else:
            return None
    return MatAdd(*parts).doit(deep=False) if len(parts) > 1 else parts[0]


def _unsupported(expr):
    raise DerivgenError(f"cannot read off the Hessian from {expr} yet")

