"""The LaTeX printer: exact strings in the lecture's notation (spacing is pinned here)."""

from __future__ import annotations

import pytest
from sympy import (Determinant, HadamardPower, HadamardProduct, Identity, Inverse,
                   KroneckerProduct, MatMul, MatrixSymbol, OneMatrix, Rational, Symbol, Trace,
                   Transpose, ZeroMatrix, exp, log, sqrt, symbols)
from sympy.matrices.expressions.adjoint import Adjoint

from derivgen.ir.nodes import (AsScalar, D, DiffScalar, Elementwise, MatD, ScalarFunc,
                         SymmetricSymbol, differential_symbol)
from derivgen.model import VarSpec
from derivgen.render.latex import to_latex
from derivgen.parse.scope import Scope

m, n, l = symbols("m n l", integer=True, positive=True)
a, b = MatrixSymbol("a", m, 1), MatrixSymbol("b", n, 1)
X, A = MatrixSymbol("X", m, n), MatrixSymbol("A", m, n)
x, y = MatrixSymbol("x", n, 1), MatrixSymbol("y", m, 1)
W, M = MatrixSymbol("W", l, m), SymmetricSymbol("M", l, l)
S = MatrixSymbol("S", m, m)
Y = MatrixSymbol("Y", m, m)
t = Symbol("t", real=True)
dX, dS, dx = differential_symbol(X), differential_symbol(S), differential_symbol(x)


def sigma(arg, order=0):
    return Elementwise("sigma", "sigmoid", arg, order)


def e(arg):
    return Elementwise("exp", "exp", arg)


LECTURE = [
    (a.T * X * b, r"\mathbf{a}^T\mathbf{X}\mathbf{b}"),
    (HadamardProduct(a, e(X * b)) * b.T, r"(\mathbf{a} \odot e^{\mathbf{X}\mathbf{b}})\mathbf{b}^T"),
    (2 * A.T * (A * x - y), r"2\mathbf{A}^T(\mathbf{A}\mathbf{x} - \mathbf{y})"),
    (S.I.T, r"\mathbf{S}^{-T}"),
    (W.T * HadamardProduct(2 * M * sigma(W * X), sigma(W * X, 1)),
     r"\mathbf{W}^T((2\mathbf{M}\sigma(\mathbf{W}\mathbf{X})) \odot \sigma'(\mathbf{W}\mathbf{X}))"),
    (a.T * HadamardProduct(e(X * b), dX * b),
     r"\mathbf{a}^T(e^{\mathbf{X}\mathbf{b}} \odot d\mathbf{X}\,\mathbf{b})"),
    (Trace(a.T * dX * b), r"\operatorname{tr}(\mathbf{a}^T\,d\mathbf{X}\,\mathbf{b})"),
    (MatD(a.T * X * b), r"d(\mathbf{a}^T\mathbf{X}\mathbf{b})"),
    (MatD(X), r"d\mathbf{X}"),
    (D(Trace(Y.T * M)), r"d(\operatorname{tr}(\mathbf{Y}^T\mathbf{M}))"),
    (-S.I * dS * S.I, r"-\mathbf{S}^{-1}\,d\mathbf{S}\,\mathbf{S}^{-1}"),
    (Determinant(S) * Trace(S.I * dS),
     r"\det(\mathbf{S})\operatorname{tr}(\mathbf{S}^{-1}\,d\mathbf{S})"),
    (MatD(S).T, r"(d\mathbf{S})^T"),
    ((A * dx).T * (A * x - y),
     r"(d\mathbf{x})^T\,\mathbf{A}^T(\mathbf{A}\mathbf{x} - \mathbf{y})"),
    (HadamardProduct(sigma(W * X, 1), W * differential_symbol(X)),
     r"\sigma'(\mathbf{W}\mathbf{X}) \odot \mathbf{W}\,d\mathbf{X}"),
]


@pytest.mark.parametrize("expr, expected", LECTURE)
def test_lecture_examples(expr, expected):
    assert to_latex(expr) == expected


NOTATION = [
    (S.T.I, r"\mathbf{S}^{-T}"),
    (S.I, r"\mathbf{S}^{-1}"),
    (Transpose(A * x), r"(\mathbf{A}\mathbf{x})^T"),
    (MatMul(Transpose(A * x - y), Y), r"(\mathbf{A}\mathbf{x} - \mathbf{y})^T\mathbf{Y}"),
    (Adjoint(X), r"\mathbf{X}^H"),
    (X.conjugate(), r"\mathbf{X}^*"),
    (KroneckerProduct(X, A), r"\mathbf{X} \otimes \mathbf{A}"),
    # a vector of ones and I take their sizes from their neighbours; a matrix of ones and
    # a zero (which stands alone: SymPy folds it into its neighbours) are sized
    (Identity(m) + OneMatrix(m, m), r"\mathbf{I} + \mathbf{1}_{m \times m}"),
    (ZeroMatrix(m, n), r"\mathbf{0}_{m \times n}"),
    (ZeroMatrix(m, 1), r"\mathbf{0}_m"),
    (ZeroMatrix(1, n), r"\mathbf{0}_n^T"),
    (S + 2 * Identity(m), r"2\mathbf{I} + \mathbf{S}"),
    (HadamardProduct(S, Identity(m)), r"\mathbf{S} \odot \mathbf{I}"),
    (Trace(Identity(n)), r"\operatorname{tr}(\mathbf{I}_n)"),
    (KroneckerProduct(Identity(n), S), r"\mathbf{I}_n \otimes \mathbf{S}"),
    (sigma(OneMatrix(m, 1)), r"\sigma(\mathbf{1}_m)"),
    (OneMatrix(1, m) * S * OneMatrix(m, 1), r"\mathbf{1}^T\mathbf{S}\mathbf{1}"),
    (OneMatrix(m, 1) * OneMatrix(1, m) * S, r"\mathbf{1}_{m \times m}\mathbf{S}"),
    (ZeroMatrix(1, 1), "0"),
    (sigma(ZeroMatrix(m, m)), r"\sigma(\mathbf{0}_{m \times m})"),
    (ZeroMatrix(m * n, 1), r"\mathbf{0}_{m \cdot n}"),
    (Trace(Identity(m**2)), r"\operatorname{tr}(\mathbf{I}_{m \cdot m})"),
    (MatMul(2, OneMatrix(1, 1)), "2"),
    (AsScalar(a.T * y - b.T * x) + t, r"t + \mathbf{a}^T\mathbf{y} - \mathbf{b}^T\mathbf{x}"),
    (HadamardPower(a, 2), r"\mathbf{a}^{\odot 2}"),
    (HadamardPower(X * b, 3), r"(\mathbf{X}\mathbf{b})^{\odot 3}"),
    (MatrixSymbol("W_1", l, m) * x.T.T, r"\mathbf{W}_1\mathbf{x}"),
    (MatrixSymbol("a_2_i", m, 1), r"\mathbf{a}_{2,i}"),
    (MatrixSymbol("Sigma", m, m), r"\boldsymbol{\Sigma}"),
    (Symbol("lambda") * X, r"\lambda\mathbf{X}"),
    (Symbol("lambda") * t, r"\lambda t"),
    (Rational(1, 2) * X, r"\frac{1}{2}\mathbf{X}"),
    (X - 3 * A, r"\mathbf{X} - 3\mathbf{A}"),
    (-X + A, r"\mathbf{A} - \mathbf{X}"),
    (-Trace(X.T * A), r"-\operatorname{tr}(\mathbf{X}^T\mathbf{A})"),
    (AsScalar(a.T * y) * b, r"(\mathbf{a}^T\mathbf{y})\mathbf{b}"),
    (2 * AsScalar(a.T * y), r"2\mathbf{a}^T\mathbf{y}"),
    (AsScalar(a.T * y) * AsScalar(b.T * x), r"(\mathbf{a}^T\mathbf{y})(\mathbf{b}^T\mathbf{x})"),
    (t / AsScalar(a.T * y), r"\frac{t}{\mathbf{a}^T\mathbf{y}}"),
    (HadamardProduct(a, a + y), r"\mathbf{a} \odot (\mathbf{a} + \mathbf{y})"),
    (HadamardProduct(a, y) * b.T, r"(\mathbf{a} \odot \mathbf{y})\mathbf{b}^T"),
    (sigma(W * X, 2), r"\sigma''(\mathbf{W}\mathbf{X})"),
    (Elementwise("g", "generic", X, 1), r"g'(\mathbf{X})"),
    (Elementwise("softmax", "generic", a), r"\operatorname{softmax}(\mathbf{a})"),
    (Elementwise("log", "log", a), r"\log(\mathbf{a})"),
    (Elementwise("exp", "exp", a, 1), r"e^{\mathbf{a}}"),
    (Transpose(sigma(a)), r"\sigma(\mathbf{a})^T"),
    (Transpose(e(a)) * b, r"(e^{\mathbf{a}})^T\mathbf{b}"),
    (ScalarFunc("g", "generic", t, 1), r"g'(t)"),
    (log(Determinant(S)), r"\log(\det(\mathbf{S}))"),
    (exp(t), r"e^{t}"),
    (sqrt(t), r"\sqrt{t}"),
    (t**2 / 2, r"\frac{t^{2}}{2}"),
    (1 / (1 + exp(-t)), r"\frac{1}{1 + e^{-t}}"),
    (D(t * Symbol("s", real=True)), r"d(s t)"),
    (DiffScalar("dt", real=True) * Symbol("s"), r"s\,dt"),
    (2 * dX, r"2\,d\mathbf{X}"),
    (Transpose(Inverse(Transpose(S))), r"(\mathbf{S}^{-T})^T"),
    (Transpose(MatD(X * b)), r"d(\mathbf{X}\mathbf{b})^T"),
    (OneMatrix(1, m) * a, r"\mathbf{1}^T\mathbf{a}"),
    (MatMul(1 / AsScalar(a.T * a), a), r"\frac{\mathbf{a}}{\mathbf{a}^T\mathbf{a}}"),
    (MatMul(-2 / AsScalar(a.T * a), a, b.T),
     r"-\frac{2\mathbf{a}\mathbf{b}^T}{\mathbf{a}^T\mathbf{a}}"),
]


@pytest.mark.parametrize("expr, expected", NOTATION)
def test_notation(expr, expected):
    assert to_latex(expr) == expected


def test_scope_latex_override_is_used_verbatim():
    scope = Scope()
    lam = scope.add_variable(VarSpec("lam", (), latex=r"\lambda"))
    Xs = scope.add_variable(VarSpec("X", ("m", "n")))
    assert to_latex(lam * Xs, scope) == r"\lambda\mathbf{X}"
    assert to_latex(lam * Xs) == r"lam\mathbf{X}"


def test_output_has_balanced_braces_and_parentheses():
    for expr, _ in LECTURE + NOTATION:
        text = to_latex(expr)
        assert text.count("{") == text.count("}")
        assert text.count("(") == text.count(")")


ROUND_TRIP = [
    r"\mathbf{a}^T \mathbf{X} \mathbf{b}",
    r"(\mathbf{a} \odot e^{\mathbf{X}\mathbf{b}})\mathbf{b}^T",
    r"2\mathbf{A}^T(\mathbf{A}\mathbf{x} - \mathbf{y})",
    r"\mathbf{S}^{-T}",
    r"\mathbf{W}^T((2\mathbf{M}\sigma(\mathbf{W}\mathbf{X})) \odot \sigma'(\mathbf{W}\mathbf{X}))",
    r"\operatorname{tr}(\mathbf{S}^{-1}) + \log(\det(\mathbf{S}))",
    r"\det(\mathbf{S})\operatorname{tr}(\mathbf{S})",
    r"\lambda \mathbf{X} - 3\mathbf{A} + \frac{1}{2}\mathbf{X}",
    r"(\mathbf{a}^T\mathbf{y})\mathbf{b}",
    r"\frac{t}{\mathbf{a}^T\mathbf{y}}",
    r"\mathbf{a} \odot (\mathbf{a} + \mathbf{y})",
    r"\mathbf{W}_1 \mathbf{X} \otimes \mathbf{A}",
    r"e^{t} + \frac{t^{2}}{2} + \sqrt{t}",
    r"\|\mathbf{A}\mathbf{x} - \mathbf{y}\|_2^2",
    r"\operatorname{softmax}(\mathbf{a})^T g'(\mathbf{y})",
    r"\mathbf{I} + \mathbf{S}^T\mathbf{S}",
    # found by the property tests
    r"\mathbf{a} \odot \mathbf{a} + \mathbf{y}^{\odot 3}",
    r"\mathbf{X} - \mathbf{X}",
    r"\sigma(\mathbf{S} - \mathbf{S})\mathbf{a}",
    r"\mathbf{S} + \mathbf{1}\mathbf{1}^T",
    r"t\operatorname{tr}(\mathbf{S}\mathbf{S}^{-1}) + \mathbf{1}^T\sigma(\mathbf{I})\mathbf{a}",
    r"\mathbf{a}^T(\mathbf{1}\mathbf{1}^T\mathbf{S}\mathbf{S}^{-1} + \mathbf{S})\mathbf{a}",
    r"\operatorname{tr}(\mathbf{I}_m \otimes \mathbf{I}_n)"
    r" + \mathbf{1}^T\mathbf{1}_{m \times n}\mathbf{b}",
    r"|(\mathbf{a} - \mathbf{y})^T\mathbf{a}| + \|(t\mathbf{a}) \otimes \mathbf{b}\|^2",
    r"(\mathbf{x}^T\mathbf{b})\mathbf{a}^T\mathbf{y} + t(\mathbf{a}^T\mathbf{y})",
    r"\frac{t}{(\mathbf{1}^T e^{\mathbf{a}})(\mathbf{1}^T e^{\mathbf{y}})} + e^{-\|\mathbf{1}_m\|^2}",
]


@pytest.mark.parametrize("source", ROUND_TRIP)
def test_printed_latex_parses_back_to_the_same_expression(source):
    from derivgen import parse
    specs = [("a", ["m"], {}), ("b", ["n"], {}), ("X", ["m", "n"], {}), ("A", ["m", "n"], {}),
             ("x", ["n"], {}), ("y", ["m"], {}), ("W", ["l", "m"], {}),
             ("M", ["l", "l"], {"symmetric": True}), ("S", ["m", "m"], {}), ("t", [], {}),
             ("lam", [], {"latex": r"\lambda"}), ("W_1", ["m", "m"], {})]
    from derivgen.model import Problem
    from derivgen.parse.scope import scope_of

    problem = Problem(path="p.yaml", id="p", title="p", function="", wrt=["X"],
                      variables={n: VarSpec(n, tuple(s), **e) for n, s, e in specs},
                      functions={"sigma": "sigmoid", "g": "generic", "softmax": "generic"})
    scope = scope_of(problem)
    expr = parse.parse_latex(source, scope)
    assert parse.parse_latex(to_latex(expr, scope), scope) == expr


TRANSPOSED_SUMS = [
    # fewer transposes as the transpose of a sum, as a textbook writes it
    (Y.T - (S * Y).T, r"(\mathbf{Y} - \mathbf{S}\mathbf{Y})^T"),
    (x.T * A.T - y.T, r"(\mathbf{A}\mathbf{x} - \mathbf{y})^T"),
    # as many either way: left as it is
    (S.T + S, r"\mathbf{S} + \mathbf{S}^T"),
    # the inverse of a product is never split (true only for square factors)
    (Transpose(MatMul(X, Inverse(A.T * S * A))) + Transpose(MatMul(A, Inverse(A.T * S * A))),
     None),
]


@pytest.mark.parametrize("expr, expected", TRANSPOSED_SUMS)
def test_a_sum_of_transposes_prints_as_a_transposed_sum(expr, expected):
    text = to_latex(expr)
    if expected is not None:
        assert text == expected
    assert r"\mathbf{S}^{-1}" not in text and r"\mathbf{A}^{-1}" not in text
