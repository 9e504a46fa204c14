"""Differential rules: each rewrites ``d(E)`` one level down, naming the identity it used.

``expand_differential(E, ctx)`` returns ``(expression, rule)`` where the expression holds
``d(.)`` of E's parts (``D(.)``), ``dX`` for a variable and nothing for a constant.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import singledispatch

from sympy import (Add, MatrixSymbol, Symbol, Determinant, HadamardPower, HadamardProduct, Inverse, KroneckerProduct,
                   MatAdd, MatMul, MatPow, Mul, Pow, S, Trace, Transpose, ZeroMatrix,
                   Abs, Dummy, exp, log)
from sympy.core.function import Derivative, Function

from sympy.matrices.expressions.diagonal import DiagMatrix

from derivgen.errors import DerivgenError
from derivgen.ir.nodes import AsScalar, D, Elementwise, ScalarFunc, depends_on, is_zero
from derivgen.ir.sums import MatSampleSum, SampleSum, sample_sum


@dataclass(frozen=True)
class Rule:
    """A named identity; ``identity`` is LaTeX for the document."""

    name: str
    identity: str


SUM = Rule("sum rule", r"d(\mathbf{X} \pm \mathbf{Y}) = d\mathbf{X} \pm d\mathbf{Y}")
PRODUCT = Rule("product rule",
               r"d(\mathbf{X}\mathbf{Y}) = (d\mathbf{X})\mathbf{Y} + \mathbf{X}\,d\mathbf{Y}")
TRANSPOSE = Rule("transpose rule", r"d(\mathbf{X}^T) = (d\mathbf{X})^T")
TRACE = Rule("trace rule", r"d\operatorname{tr}(\mathbf{X}) = \operatorname{tr}(d\mathbf{X})")
DIAG = Rule("diag rule", r"d\operatorname{diag}(\mathbf{x}) = \operatorname{diag}(d\mathbf{x})")
HADAMARD = Rule("Hadamard product rule",
                r"d(\mathbf{X} \odot \mathbf{Y}) = d\mathbf{X} \odot \mathbf{Y}"
                r" + \mathbf{X} \odot d\mathbf{Y}")
ELEMENTWISE = Rule("elementwise function rule",
                   r"d\sigma(\mathbf{X}) = \sigma'(\mathbf{X}) \odot d\mathbf{X}")
ELEMENTWISE_LOG = Rule("logarithm rule",
                       r"d\log(\mathbf{X}) = \mathbf{X}^{\odot -1} \odot d\mathbf{X}")
INVERSE = Rule("inverse rule",
               r"d\mathbf{X}^{-1} = -\mathbf{X}^{-1}(d\mathbf{X})\mathbf{X}^{-1}")
DETERMINANT = Rule("determinant rule",
                   r"d|\mathbf{X}| = |\mathbf{X}|\operatorname{tr}(\mathbf{X}^{-1}d\mathbf{X})")
POWER = Rule("matrix power rule",
              r"d(\mathbf{X}^k) = \sum_{i=0}^{k-1}\mathbf{X}^{i}(d\mathbf{X})\mathbf{X}^{k-1-i}")
KRONECKER = Rule("Kronecker product rule",
                 r"d(\mathbf{X} \otimes \mathbf{Y}) = d\mathbf{X} \otimes \mathbf{Y}"
                 r" + \mathbf{X} \otimes d\mathbf{Y}")
SCALAR_CHAIN = Rule("chain rule", r"d\,g(u) = g'(u)\,du")
SCALAR_POWER = Rule("power rule", r"d(u^p) = p\,u^{p-1}\,du")
SCALAR_LOG = Rule("logarithm rule", r"d\log u = \frac{du}{u}")
SCALAR_ABS = Rule("absolute value rule", r"d|u| = \frac{|u|}{u}\,du")
SCALAR_EXP = Rule("exponential rule", r"d\,e^{u} = e^{u}\,du")
SCALAR = Rule("", "")


@dataclass(frozen=True)
class DiffContext:
    """The variables being differentiated, each with its differential symbol; ``functions``
    the known functions a result may be written with (``((kind, name), ...)``, see
    ``rules.definitions``)."""

    differentials: dict
    functions: tuple = ()

    def depends(self, expr) -> bool:
        return depends_on(expr, self.differentials)


def differential(expr, ctx: DiffContext):
    """``d(expr)`` as the next step writes it: ``dX`` for a variable, zero for a constant."""
    if expr in ctx.differentials:
        return ctx.differentials[expr]
    if not ctx.depends(expr):
        return ZeroMatrix(*expr.shape) if expr.is_Matrix else S.Zero
    return D(expr)


@singledispatch
def expand_differential(expr, ctx: DiffContext):
    """Rewrite ``d(expr)``; the fallback knows no rule for this node."""
    raise DerivgenError(f"no differentiation rule for {type(expr).__name__} yet: {expr}")


def _sum(terms, like):
    terms = [t for t in terms if not is_zero(t)]
    if not terms:
        return ZeroMatrix(*like.shape) if like.is_Matrix else S.Zero
    if like.is_Matrix:
        return MatAdd(*terms).doit(deep=False) if len(terms) > 1 else terms[0]
    return Add(*terms)


@expand_differential.register(MatrixSymbol)
@expand_differential.register(Symbol)
def diff_variable(expr, ctx):
    """$d(X) = dX$: the differential of a variable is written as such."""
    return differential(expr, ctx), SCALAR


@expand_differential.register(MatAdd)
@expand_differential.register(Add)
def diff_sum(expr, ctx):
    """$d(X + Y) = dX + dY$; e.g. $d(Ax - y) = d(Ax)$ for a constant $y$."""
    return _sum([differential(a, ctx) for a in expr.args], expr), SUM


def _product_terms(expr, ctx, make):
    """One term per dependent factor, with that factor replaced by its differential."""
    args = list(expr.args)
    terms = []
    for i, arg in enumerate(args):
        if ctx.depends(arg):
            terms.append(make(*args[:i], differential(arg, ctx), *args[i + 1:]))
    return terms


@expand_differential.register
def diff_product(expr: MatMul, ctx):
    """$d(XY) = (dX)Y + X\\,dY$; constant factors stay: $d(a^T X b) = a^T dX\\, b$."""
    return _sum(_product_terms(expr, ctx, _matmul), expr), PRODUCT


def _matmul(*factors):
    return MatMul(*factors).doit(deep=False)


@expand_differential.register
def diff_scalar_product(expr: Mul, ctx):
    """$d(uv) = du\\,v + u\\,dv$ for scalars."""
    return _sum(_product_terms(expr, ctx, Mul), expr), PRODUCT


@expand_differential.register
def diff_transpose(expr: Transpose, ctx):
    """$d(X^T) = (dX)^T$."""
    return Transpose(differential(expr.arg, ctx)), TRANSPOSE


@expand_differential.register
def diff_trace(expr: Trace, ctx):
    """$d\\,tr(X) = tr(dX)$."""
    return Trace(differential(expr.arg, ctx)), TRACE


@expand_differential.register
def diff_diag(expr: DiagMatrix, ctx):
    """$d\\operatorname{diag}(\\mathbf{x}) = \\operatorname{diag}(d\\mathbf{x})$."""
    return DiagMatrix(differential(expr.args[0], ctx)), DIAG


@expand_differential.register
def diff_hadamard(expr: HadamardProduct, ctx):
    """$d(X \\odot Y) = dX \\odot Y + X \\odot dY$."""
    return _sum(_product_terms(expr, ctx, HadamardProduct), expr), HADAMARD


@expand_differential.register
def diff_hadamard_power(expr: HadamardPower, ctx):
    """$d(X^{\\circ k}) = k\\,X^{\\circ (k-1)} \\odot dX$ (Hadamard product rule, repeated)."""
    base, k = expr.base, expr.exp
    if ctx.depends(k):
        raise DerivgenError(f"a variable exponent is not supported: {expr}")
    lower = base if k == 2 else HadamardPower(base, k - 1)
    return MatMul(k, HadamardProduct(lower, differential(base, ctx))).doit(deep=False), HADAMARD


@expand_differential.register
def diff_kronecker(expr: KroneckerProduct, ctx):
    """$d(X \\otimes Y) = dX \\otimes Y + X \\otimes dY$."""
    return _sum(_product_terms(expr, ctx, KroneckerProduct), expr), KRONECKER


@expand_differential.register
def diff_elementwise(expr: Elementwise, ctx):
    """$d\\sigma(X) = \\sigma'(X) \\odot dX$; $d\\log(X) = X^{\\odot -1} \\odot dX$."""
    if expr.kind == "log" and expr.order == 0:
        inverse = HadamardPower(expr.arg, -1)
        return HadamardProduct(inverse, differential(expr.arg, ctx)), ELEMENTWISE_LOG
    derivative = expr if expr.kind == "exp" else \
        Elementwise(expr.name, expr.kind, expr.arg, expr.order + 1)
    return HadamardProduct(derivative, differential(expr.arg, ctx)), ELEMENTWISE


@expand_differential.register
def diff_inverse(expr: Inverse, ctx):
    """$dX^{-1} = -X^{-1}(dX)X^{-1}$."""
    inv = Inverse(expr.arg)
    return MatMul(S.NegativeOne, inv, differential(expr.arg, ctx), inv), INVERSE


@expand_differential.register
def diff_determinant(expr: Determinant, ctx):
    """$d|X| = |X|\\,tr(X^{-1}dX)$."""
    inner = MatMul(Inverse(expr.arg), differential(expr.arg, ctx))
    return Mul(Determinant(expr.arg), Trace(inner)), DETERMINANT


@expand_differential.register
def diff_matrix_power(expr: MatPow, ctx):
    """$d(X^k) = \\sum_i X^i (dX) X^{k-1-i}$; a negative $k$ goes through the inverse."""
    base, k = expr.base, int(expr.exp)
    if k < 0:
        return expand_differential(Inverse(MatPow(base, -k).doit()), ctx)
    dbase = differential(base, ctx)
    terms = [_matmul(MatPow(base, i).doit(), dbase, MatPow(base, k - 1 - i).doit())
             for i in range(k)]
    return _sum(terms, expr), POWER


@expand_differential.register
def diff_as_scalar(expr: AsScalar, ctx):
    """A ``1 x 1`` matrix used as a scalar: its differential is that of the matrix."""
    return AsScalar(differential(expr.arg, ctx)), SCALAR


@expand_differential.register
def diff_power(expr: Pow, ctx):
    """$d(u^p) = p\\,u^{p-1}du$ for a constant exponent."""
    base, p = expr.args
    if ctx.depends(p):
        raise DerivgenError(f"a variable exponent is not supported: {expr}")
    return Mul(p, Pow(base, p - 1), differential(base, ctx)), SCALAR_POWER


@expand_differential.register
def diff_log(expr: log, ctx):
    """$d\\log u = du/u$."""
    u = expr.args[0]
    return Mul(differential(u, ctx), Pow(u, -1)), SCALAR_LOG


@expand_differential.register
def diff_abs(expr: Abs, ctx):
    """$d|u| = \\frac{|u|}{u}\\,du$ for a real $u \\neq 0$ (the sign of $u$, written so that
    $d\\log|u| = du/u$ cancels; a complex $|z|$ is rewritten as $\\sqrt{z z^*}$ before this)."""
    u = expr.args[0]
    return Mul(expr, Pow(u, -1), differential(u, ctx)), SCALAR_ABS


@expand_differential.register
def diff_exp(expr: exp, ctx):
    """$d\\,e^u = e^u du$."""
    return Mul(expr, differential(expr.args[0], ctx)), SCALAR_EXP


@expand_differential.register
def diff_scalar_function(expr: ScalarFunc, ctx):
    """$d\\,g(u) = g'(u)\\,du$."""
    derivative = ScalarFunc(expr.name, expr.kind, expr.arg, expr.order + 1)
    return Mul(derivative, differential(expr.arg, ctx)), SCALAR_CHAIN


@expand_differential.register
def diff_function(expr: Function, ctx):
    """$d\\,g(u) = g'(u)\\,du$ for SymPy's scalar functions (sin, cos, tanh, ...)."""
    if len(expr.args) != 1:
        raise DerivgenError(f"no differentiation rule for {expr.func.__name__}")
    u = expr.args[0]
    x = Dummy("x")
    derivative = expr.func(x).diff(x).subs(x, u)
    if derivative.has(Derivative):  # |u| and other functions SymPy cannot differentiate
        raise DerivgenError(f"no differentiation rule for {expr.func.__name__} yet: {expr}")
    return Mul(derivative, differential(u, ctx)), SCALAR_CHAIN



SAMPLE_SUM = Rule("the differential of a sum", r"d\sum_{i=1}^{N} f_i = \sum_{i=1}^{N} df_i")


@expand_differential.register(SampleSum)
@expand_differential.register(MatSampleSum)
def diff_sample_sum(expr, ctx):
    """$d\\sum_i f_i = \\sum_i df_i$; e.g. $d\\sum_i y_i^T W x_i = \\sum_i y_i^T dW\\,x_i$."""
    return sample_sum(differential(expr.body, ctx), expr.index, expr.upper), SAMPLE_SUM
