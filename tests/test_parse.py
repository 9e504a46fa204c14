"""derivgen.parse: LaTeX -> SymPy, compared with expressions built directly."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sympy import (Abs, Determinant, HadamardPower, Identity, Inverse, MatMul, OneMatrix,
                   Rational, Trace, Transpose, ZeroMatrix, adjoint, conjugate, exp,
                   hadamard_product, kronecker_product, log, sqrt)

from derivgen.errors import DerivgenError
from derivgen.ir.nodes import AsScalar, Elementwise, ScalarFunc
from derivgen.model import VarSpec
from derivgen.parse import parse_function, parse_latex
from derivgen.parse.scope import Scope


def make_scope() -> Scope:
    scope = Scope()
    for spec in [
        VarSpec("a", ("m",)), VarSpec("b", ("n",)), VarSpec("X", ("m", "n")),
        VarSpec("A", ("m", "n")), VarSpec("x", ("n",)), VarSpec("y", ("m",)),
        VarSpec("W", ("l", "m")), VarSpec("M", ("l", "l"), symmetric=True),
        VarSpec("S", ("m", "m")), VarSpec("B", ("n", "n")), VarSpec("w", ("n",)),
        VarSpec("t", ()), VarSpec("lam", (), latex=r"\lambda"),
        VarSpec("Sig", ("m", "m"), latex=r"\boldsymbol{\Sigma}"),
        VarSpec("W_1", ("p", "n")), VarSpec("b_1", ("p",)),
        VarSpec("Z", ("m", "m"), complex=True), VarSpec("z", ("m",), complex=True),
        VarSpec("mu", ("m",)),
    ]:
        scope.add_variable(spec)
    scope.functions = {"sigma": "sigmoid", "g": "generic", "softmax": "generic",
                       "tanh": "tanh"}
    return scope


SCOPE = make_scope()
V = SCOPE.symbols
a, b, X, A, x, y = V["a"], V["b"], V["X"], V["A"], V["x"], V["y"]
W, M, S, B, w, t, lam, Sig = V["W"], V["M"], V["S"], V["B"], V["w"], V["t"], V["lam"], V["Sig"]
W_1, b_1, Z, z, mu = V["W_1"], V["b_1"], V["Z"], V["z"], V["mu"]
m, n = SCOPE.dims["m"], SCOPE.dims["n"]


def sigma(arg, order=0):
    return Elementwise("sigma", "sigmoid", arg, order)


def parse(text):
    return parse_latex(text, SCOPE)


def error_of(text, parser=parse_latex) -> DerivgenError:
    with pytest.raises(DerivgenError) as caught:
        parser(text, SCOPE)
    error = caught.value
    assert error.fragment == text
    return error


# ---- the lecture's examples -------------------------------------------------------------

def test_lecture_example_1_bilinear_form():
    assert parse(r"\mathbf{a}^T \mathbf{X} \mathbf{b}") == a.T * X * b


def test_lecture_example_2_elementwise_exponential():
    assert parse(r"\mathbf{a}^T e^{\mathbf{X}\mathbf{b}}") == \
        a.T * Elementwise("exp", "exp", X * b)


def test_lecture_example_3_trace_of_sigmoid():
    text = (r"\operatorname{tr}((\sigma(\mathbf{W}\mathbf{X}))^T \mathbf{M} "
            r"\sigma(\mathbf{W}\mathbf{X}))")
    assert parse(text) == Trace(sigma(W * X).T * M * sigma(W * X))


def test_lecture_example_3_answer_with_prime():
    text = (r"\mathbf{W}^T((2\mathbf{M}\sigma(\mathbf{W}\mathbf{X})) \odot "
            r"\sigma'(\mathbf{W}\mathbf{X}))")
    expected = W.T * hadamard_product(2 * M * sigma(W * X), sigma(W * X, 1))
    assert parse(text) == expected
    assert parse(text.replace("'", r"^{\prime}")) == expected


def test_lecture_example_4_least_squares():
    residual = A * x - y
    # the transpose stays as written: (Ax - y)^T, not x^T A^T - y^T
    assert parse(r"\|\mathbf{Ax} - \mathbf{y}\|_2^2") == MatMul(Transpose(residual), residual)


# ---- products, sums, scalars ------------------------------------------------------------

@pytest.mark.parametrize("text", [
    r"\mathbf{x}^T\mathbf{B}\mathbf{x}", r"\mathbf{x}^T \cdot \mathbf{B} \cdot \mathbf{x}",
    r"x^TBx", r"\mathbf{x}^{T}\mathbf{B}\mathbf{x}", r"\mathbf{x}^\top\mathbf{B}\mathbf{x}",
    r"\mathbf{x}^{\mathsf T}\mathbf{B}\mathbf{x}", r"\mathbf{x}^\intercal\mathbf{B}\mathbf{x}",
    r"\mathbf{x}^{\top}\mathbf{B}\,\mathbf{x}", r"\mathbf{x}^{\mathsf{T}} \mathbf{Bx}",
])
def test_quadratic_form_spellings(text):
    assert parse(text) == x.T * B * x


def test_one_by_one_stays_a_matrix():
    value = parse(r"\mathbf{a}^T\mathbf{X}\mathbf{b}")
    assert value.shape == (1, 1)


def test_sum_difference_and_scalars():
    assert parse(r"2\mathbf{X} - \mathbf{A}/t + 0.5\mathbf{X}") == \
        2 * X - A * (1 / t) + Rational(1, 2) * X
    assert parse(r"-\mathbf{X} + \frac{1}{2}\mathbf{A}") == -X + Rational(1, 2) * A
    assert parse(r"\frac12 t") == t / 2


def test_scalar_plus_one_by_one():
    assert parse(r"t + \mathbf{a}^T\mathbf{y}") == t + AsScalar(a.T * y)


def test_one_by_one_times_vector_becomes_scalar():
    assert parse(r"(\mathbf{a}^T\mathbf{y})\mathbf{b}") == AsScalar(a.T * y) * b
    # a column times a 1x1 fits as a matrix product and stays one
    assert parse(r"\mathbf{b}(\mathbf{a}^T\mathbf{y})") == b * a.T * y


def test_parenthesized_one_by_one_in_a_product_is_a_scalar():
    # as the printer writes a scalar factor; read as a longer matrix product before, so
    # that printing it again dropped the parentheses
    assert parse(r"(\mathbf{b}^T\mathbf{x})\mathbf{a}^T") == AsScalar(b.T * x) * a.T
    assert parse(r"t(\mathbf{a}^T\mathbf{y})") == t * AsScalar(a.T * y)
    assert parse(r"(\mathbf{b}^T\mathbf{x})(\mathbf{a}^T\mathbf{y})") == \
        AsScalar(b.T * x) * AsScalar(a.T * y)
    assert parse(r"e^{-\|\mathbf{1}_m\|^2}") == exp(-m)  # not m times a 1 x 1 matrix


def test_squared_one_by_one():
    assert parse(r"(\mathbf{a}^T\mathbf{y})^2") == AsScalar(a.T * y) ** 2


def test_fraction_with_one_by_one_parts():
    assert parse(r"\frac{\mathbf{X}}{\mathbf{a}^T\mathbf{y}}") == X * (1 / AsScalar(a.T * y))
    assert parse(r"\frac{\mathbf{a}^T\mathbf{y}}{t}") == AsScalar(a.T * y) / t


# ---- operators ---------------------------------------------------------------------------

def test_inverse_and_inverse_transpose():
    assert parse(r"\mathbf{S}^{-1}") == S.I
    assert parse(r"\mathbf{S}^{-T}") == S.I.T
    assert parse(r"\mathbf{S}^{-\top}\mathbf{a}") == S.I.T * a
    assert parse(r"t^{-1}") == 1 / t


def test_trace_spellings():
    expected = Trace(X.T * X)
    for name in (r"\operatorname{tr}", r"\mathrm{tr}", r"\text{tr}", r"\operatorname{Tr}",
                 r"\tr"):
        assert parse(name + r"(\mathbf{X}^T\mathbf{X})") == expected


def test_determinant_spellings():
    assert parse(r"\det(\mathbf{S})") == Determinant(S)
    assert parse(r"|\mathbf{S}|") == Determinant(S)
    assert parse(r"\left|\mathbf{S}\right|") == Determinant(S)
    assert parse(r"|t|") == Abs(t)


def test_log_det_without_parentheses():
    assert parse(r"\log\det\mathbf{S}") == log(Determinant(S))
    assert parse(r"\log|\mathbf{S}|") == log(Determinant(S))
    assert parse(r"\log |\mathbf{S}| + |\mathbf{S}|") == log(Determinant(S)) + Determinant(S)


def test_hadamard_and_kronecker():
    assert parse(r"\mathbf{X} \odot \mathbf{A}") == hadamard_product(X, A)
    assert parse(r"\mathbf{X} \otimes \mathbf{A}") == kronecker_product(X, A)
    # \odot binds looser than the implicit product
    assert parse(r"\mathbf{a} \odot \mathbf{X}\mathbf{b}") == hadamard_product(a, X * b)


def test_kronecker_with_scalar_factors():
    # SymPy's KroneckerProduct fails on a product with a scalar inside: t leaves first
    assert parse(r"(t\mathbf{S}\mathbf{a}) \otimes \mathbf{b}") == \
        t * kronecker_product(S * a, b)
    assert parse(r"(2\mathbf{a}) \otimes (t\mathbf{b})") == 2 * t * kronecker_product(a, b)
    assert parse(r"\mathbf{a} \otimes (t\mathbf{b})^T") == t * kronecker_product(a, b.T)


def test_bars_around_matrix_terms_and_after_a_function():
    written = parse(r"|(\mathbf{a} - \mathbf{y})^T\mathbf{a}|")
    assert isinstance(written, Abs) and written.args[0].has(Transpose(a - y))
    # a bar after \log opens its argument, so the outer bar closes last
    assert parse(r"|\log|\mathbf{S}||") == Abs(log(Determinant(S)))
    assert parse(r"\log|\mathbf{S}| + |t|") == log(Determinant(S)) + Abs(t)


def test_hadamard_power():
    # the printer writes a \odot a as a^{\odot 2}; it must read back
    assert parse(r"\mathbf{a}^{\odot 2}") == HadamardPower(a, 2) == \
        parse(r"\mathbf{a} \odot \mathbf{a}")
    assert parse(r"(\mathbf{X}\mathbf{b})^{\circ 3}") == HadamardPower(X * b, 3)
    assert parse(r"\mathbf{y}^T\mathbf{X}^{\odot \frac{1}{2}}\mathbf{b}") == \
        y.T * HadamardPower(X, Rational(1, 2)) * b
    assert parse(r"t^{\odot 2}") == t**2
    assert "must be a scalar" in error_of(r"\mathbf{a}^{\odot \mathbf{a}}").message


def test_hadamard_power_by_its_exponent_is_refused():
    from derivgen.pipeline import solve
    from derivgen.model import Problem
    problem = Problem(path="p.yaml", id="p", title="p",
                      function=r"\mathbf{1}^T\mathbf{a}^{\odot t}", wrt=["t"],
                      variables={"a": VarSpec("a", ("m",)), "t": VarSpec("t", ())})
    with pytest.raises(DerivgenError, match="variable exponent"):
        solve(problem)


def test_complex_operators():
    assert parse(r"\mathbf{Z}^H") == adjoint(Z)
    assert parse(r"\mathbf{Z}^*") == conjugate(Z)
    assert parse(r"\overline{\mathbf{Z}}") == conjugate(Z)
    assert parse(r"\mathbf{z}^H\mathbf{Z}\mathbf{z}") == adjoint(z) * Z * z


def test_parentheses_of_every_size():
    expected = MatMul(Transpose(X + A), y)
    for text in [r"(\mathbf{X}+\mathbf{A})^T\mathbf{y}", r"[\mathbf{X}+\mathbf{A}]^T\mathbf{y}",
                 r"\left(\mathbf{X}+\mathbf{A}\right)^T\mathbf{y}",
                 r"\big(\mathbf{X}+\mathbf{A}\big)^T\mathbf{y}",
                 r"\Big(\mathbf{X}+\mathbf{A}\Big)^T\mathbf{y}",
                 r"\bigl(\mathbf{X}+\mathbf{A}\bigr)^T\mathbf{y}",
                 r"\left\{\mathbf{X}+\mathbf{A}\right\}^T\;\mathbf{y}",
                 r"\left[ \mathbf{X} + \mathbf{A} \right]^{T} \quad \mathbf{y}"]:
        assert parse(text) == expected, text


# ---- norms -------------------------------------------------------------------------------

def test_norms():
    assert parse(r"\|\mathbf{y}\|_2^2") == y.T * y
    assert parse(r"\|\mathbf{y}\|_2") == sqrt(AsScalar(y.T * y))
    assert parse(r"\|\mathbf{X}\|_F^2") == Trace(X.T * X)
    assert parse(r"\|\mathbf{X}\|_F") == sqrt(Trace(X.T * X))
    assert parse(r"\left\| \mathbf{y} \right\|_2^2") == y.T * y
    assert parse(r"\Vert \mathbf{y} \Vert_{2}^{2}") == y.T * y
    assert parse(r"\lVert \mathbf{X} \rVert_{F}^2") == Trace(X.T * X)



@pytest.mark.parametrize("written", [r"\|\mathbf{X}\|_{\mathrm{F}}^{2}", r"\|\mathbf{X}\|_\mathrm{F}^2",
                                     r"\|\mathbf{X}\|_{\text{F}}^2", r"\|\mathbf{X}\|_{ \rm F}^2",
                                     r"\left\|\mathbf{X}\right\|_{\textrm{F}}^{2}"])
def test_a_norm_label_in_a_text_font(written):
    """Instructors set the F of the Frobenius norm upright: ``_{\\mathrm{F}}``."""
    assert parse(written) == Trace(X.T * X)


def test_norm_with_latex_override():
    assert parse(r"\lambda\|\mathbf{w}\|_2^2") == lam * w.T * w


def test_norm_of_complex_vector_uses_conjugate_transpose():
    assert parse(r"\|\mathbf{z}\|_2^2") == adjoint(z) * z


# ---- functions ---------------------------------------------------------------------------

def test_exp_and_log_elementwise_or_scalar():
    assert parse(r"\exp(\mathbf{X})") == Elementwise("exp", "exp", X)
    assert parse(r"e^{\mathbf{X}}") == Elementwise("exp", "exp", X)
    assert parse(r"\log(\mathbf{X})") == Elementwise("log", "log", X)
    assert parse(r"\log t") == log(t)
    assert parse(r"e^{t}") == exp(t)
    assert parse(r"e^{-\mathbf{a}^T\mathbf{y}}") == exp(-AsScalar(a.T * y))
    assert parse(r"\sqrt{t}") == sqrt(t)


def test_declared_functions():
    assert parse(r"\sigma(\mathbf{X})") == sigma(X)
    assert parse(r"\sigma(t)") == ScalarFunc("sigma", "sigmoid", t)
    assert parse(r"\sigma(\mathbf{a}^T\mathbf{y})") == \
        ScalarFunc("sigma", "sigmoid", AsScalar(a.T * y))
    generic = Elementwise("g", "generic", X)
    for text in (r"g(\mathbf{X})", r"\operatorname{g}(\mathbf{X})", r"\mathrm{g}(\mathbf{X})",
                 r"\text{g}(\mathbf{X})"):
        assert parse(text) == generic
    assert parse(r"g'(t)") == ScalarFunc("g", "generic", t, 1)
    assert parse(r"\sigma''(\mathbf{X})") == sigma(X, 2)
    assert parse(r"\tanh(\mathbf{X})") == Elementwise("tanh", "tanh", X)
    assert parse(r"\operatorname{softmax}(\mathbf{a})") == Elementwise("softmax", "generic", a)


def test_function_then_transpose_applies_to_the_result():
    assert parse(r"\sigma(\mathbf{W}\mathbf{X})^T\mathbf{M}") == sigma(W * X).T * M


def test_function_takes_only_the_next_factor():
    assert parse(r"\sigma(\mathbf{X})\mathbf{b}") == sigma(X) * b
    assert parse(r"\log t\, t") == log(t) * t


def test_softmax_cross_entropy_shape():
    text = r"\mathbf{y}^T \log(\operatorname{softmax}(\mathbf{X}\mathbf{b}))"
    assert parse(text) == y.T * Elementwise("log", "log",
                                            Elementwise("softmax", "generic", X * b))


# ---- ones and identity -------------------------------------------------------------------

def test_ones_vector_size_inferred():
    assert parse(r"\mathbf{1}^T e^{\mathbf{a}}") == \
        OneMatrix(m, 1).T * Elementwise("exp", "exp", a)
    assert parse(r"\log(\mathbf{1}^T e^{\mathbf{a}})") == \
        log(AsScalar(OneMatrix(1, m) * Elementwise("exp", "exp", a)))


def test_identity_size_inferred():
    assert parse(r"\mathbf{S} + \mathbf{I}") == S + Identity(m)
    assert parse(r"\mathbf{X}^T\mathbf{X} + t\mathbf{I}") == X.T * X + t * Identity(n)
    assert parse(r"(\mathbf{I} + \mathbf{S})^{-1}") == (Identity(m) + S).I


def test_outer_product_of_ones():
    assert parse(r"\mathbf{X} + \mathbf{1}\mathbf{1}^T\mathbf{X}") == \
        X + OneMatrix(m, 1) * OneMatrix(1, m) * X


def test_explicit_sizes():
    assert parse(r"\mathbf{I}_n") == Identity(n)
    assert parse(r"\mathbf{1}_{m}") == OneMatrix(m, 1)
    assert parse(r"\mathbf{X} + \mathbf{0}_{m \times n}") == X + ZeroMatrix(m, n)
    assert parse(r"\mathbf{0}_{m \times n}") == ZeroMatrix(m, n)
    assert parse(r"\mathbf{0}_{n}^T") == ZeroMatrix(1, n)
    assert parse(r"\mathbf{1}_{m \times m}") == OneMatrix(m, m)
    # a Kronecker product's size, as the printer writes it
    assert parse(r"\mathbf{I}_{m \cdot n}") == Identity(m * n)
    assert parse(r"\mathbf{0}_{m \cdot m \times 2}") == ZeroMatrix(m**2, 2)


def test_dimension_as_a_number():
    # tr(I_n) = n is printed as n; a declared variable of that name would win
    assert parse(r"\frac{1}{n}\mathbf{b}^T\mathbf{w}") == b.T * w / n
    assert parse(r"m + t") == m + t


# ---- names -------------------------------------------------------------------------------

@pytest.mark.parametrize("text", [r"W_1", r"W_{1}", r"\mathbf{W}_1", r"\mathbf{W}_{1}",
                                  r"\mathbf{W_1}", r"\mathbf{W_{1}}", r"\boldsymbol{W}_1",
                                  r"\bm{W_1}"])
def test_subscripted_name_spellings(text):
    assert parse(text) == W_1


def test_subscripted_names_in_a_formula():
    assert parse(r"\mathbf{W}_1\mathbf{x} + \mathbf{b}_1") == W_1 * x + b_1
    assert parse(r"W_1x + b_1") == W_1 * x + b_1


@pytest.mark.parametrize("text", [r"\mathbf{Ax}", r"Ax", r"\mathbf{A}x", r"A\mathbf{x}"])
def test_runs_split_into_declared_names(text):
    assert parse(text) == A * x


def test_latex_overrides():
    assert parse(r"\lambda") == lam
    assert parse(r"\boldsymbol{\Sigma}^{-1}") == Sig.I
    assert parse(r"\mathbf{\Sigma}") == Sig
    assert parse(r"\Sigma\mathbf{a}") == Sig * a
    assert parse(r"\lambda t") == lam * t


def test_greek_variable_without_override():
    assert parse(r"\boldsymbol{\mu}^T\mathbf{y}") == mu.T * y
    assert parse(r"\mu") == mu


def test_intermediates_resolve_like_variables():
    scope = make_scope()
    from sympy import MatrixSymbol
    Y = MatrixSymbol("Y", scope.dims["l"], scope.dims["n"])
    scope.intermediates["Y"] = Y
    assert parse_latex(r"\operatorname{tr}(\mathbf{Y}^T\mathbf{M}\mathbf{Y})", scope) == \
        Trace(Y.T * M * Y)


# ---- parse_function ----------------------------------------------------------------------

@pytest.mark.parametrize("prefix", ["f(\\mathbf{X}) = ", "f = ", "\\ell(\\mathbf{X}, t) = ",
                                    "f\\left(\\mathbf{X}\\right) = ", "f(\\mathbf{X}):="])
def test_parse_function_strips_prefix(prefix):
    assert parse_function(prefix + r"\mathbf{a}^T\mathbf{X}\mathbf{b}", SCOPE) == a.T * X * b


def test_parse_function_without_prefix_and_math_delimiters():
    assert parse_function(r"\mathbf{a}^T\mathbf{X}\mathbf{b}", SCOPE) == a.T * X * b
    assert parse_function(r"$f(\mathbf{X}) = \mathbf{a}^T\mathbf{X}\mathbf{b}$.", SCOPE) == \
        a.T * X * b


# ---- errors ------------------------------------------------------------------------------

def test_unknown_symbol():
    error = error_of(r"\mathbf{a}^T\mathbf{q}")
    assert "unknown symbol '\\mathbf{q}'" in error.message
    assert "declare it under variables:" in error.message
    assert error.column == 12


def test_unsplittable_run():
    error = error_of(r"\mathbf{Aq}")
    assert "'\\mathbf{Aq}'" in error.message and error.column == 0


def test_shape_mismatch_names_both_operands():
    error = error_of(r"\mathbf{a}^T + \mathbf{X}\mathbf{a}")
    assert error.message == r"cannot multiply \mathbf{X} (m×n) by \mathbf{a} (m×1)"
    assert error.column == 25


def test_sum_mismatch():
    error = error_of(r"\mathbf{X} + \mathbf{a}")
    assert error.message == r"cannot add \mathbf{X} (m×n) and \mathbf{a} (m×1)"
    assert error.column == 13


def test_hadamard_mismatch():
    error = error_of(r"\mathbf{X} \odot \mathbf{S}")
    assert "\\mathbf{X} (m×n)" in error.message and "\\mathbf{S} (m×m)" in error.message


def test_det_of_non_square():
    error = error_of(r"\log\det(\mathbf{X})")
    assert error.message == r"\det needs a square matrix, got \mathbf{X} (m×n)"
    assert error.column == 9


def test_trace_of_non_square():
    error = error_of(r"\operatorname{tr}(\mathbf{X})")
    assert error.message.startswith(r"\operatorname{tr} needs a square matrix")


def test_inverse_of_non_square():
    error = error_of(r"\mathbf{X}^{-1}")
    assert "\\mathbf{X} (m×n)" in error.message and error.column == 0


def test_unbalanced_braces():
    error = error_of(r"\frac{1}{2")
    assert "unbalanced braces" in error.message and error.column == 8
    error = error_of(r"\mathbf{a}}")
    assert "unbalanced braces" in error.message and error.column == 10


def test_unbalanced_parentheses():
    error = error_of(r"(\mathbf{a}^T\mathbf{y}")
    assert "unbalanced parentheses" in error.message and error.column == 0


def test_unclosed_norm():
    error = error_of(r"\|\mathbf{y}")
    assert "never closed" in error.message


def test_unknown_command():
    error = error_of(r"\mathbf{a}^T\foo")
    assert error.message == r"unknown command \foo" and error.column == 12


def test_standard_functions_need_no_declaration():
    scope = make_scope()
    scope.functions = {}
    for name in ("sin", "cos", "tan", "tanh", "sinh", "cosh"):
        value = parse_latex(rf"\{name}(\mathbf{{X}})", scope)
        assert value.kind == name and value.shape == scope.symbols["X"].shape


def test_undeclared_function_shows_the_line_to_add():
    scope = make_scope()
    scope.functions = {}
    with pytest.raises(DerivgenError) as caught:
        parse_latex(r"\arctan(\mathbf{X})", scope)
    assert "functions: {arctan: generic}" in caught.value.message


def test_sum_needs_its_limits():
    error = error_of(r"t + \sum t")
    assert error.message == r"write a sum over samples as \sum_{i=1}^{N}" and error.column == 4


def test_equals_only_in_function_prefix():
    error = error_of(r"f = \mathbf{a}^T\mathbf{y}")
    assert "'='" in error.message and error.column == 2
    error = error_of(r"\mathbf{a}^T\mathbf{y} = t", parse_function)
    assert error.column == 23


def test_uninferable_identity():
    error = error_of(r"\mathbf{I}")
    assert "\\mathbf{I}" in error.message and error.column == 0


def test_unexpected_token():
    error = error_of(r"\mathbf{a} + + \mathbf{a}")
    assert "'+'" in error.message and error.column == 13


def test_unexpected_character():
    error = error_of(r"\mathbf{a} & \mathbf{a}")
    assert "'&'" in error.message and error.column == 11


def test_function_without_argument():
    error = error_of(r"\mathbf{a}^T\mathbf{y} + \log")
    assert "\\log needs an argument" in error.message and error.column == 25


def test_empty_formula():
    assert "empty" in error_of("  ").message


def test_absurd_nesting_is_a_clean_error():
    text = "(" * 300 + "t" + ")" * 300
    error = error_of(text)
    assert "nested too deeply" in error.message


def test_moderate_nesting_parses():
    depth = 60
    assert parse("(" * depth + "t" + ")" * depth) == t
    assert parse("\\log(" * depth + "t" + ")" * depth) is not None


def test_lark_exceptions_never_escape():
    for text in [r"\frac", r"^T", r"\mathbf{}", r"x_", r"|", r"\|", r"\left(", r"\sigma",
                 r"\mathbf{a}^", r"\operatorname{}(x)", r"'", r"\\", r"_{1}", r")("]:
        with pytest.raises(DerivgenError):
            parse(text)


def test_more_transpose_spellings():
    assert parse(r"\mathbf{a}^{\rm T}\mathbf{y}") == a.T * y
    assert parse(r"\mathbf{a}^{\text{T}}\mathbf{y}") == a.T * y
    assert parse(r"\mathbf{a}^{\mathrm{T}}\mathbf{y}") == a.T * y


def test_powers():
    assert parse(r"\mathbf{S}^2") == S ** 2
    assert parse(r"t^{1/2}") == sqrt(t)
    assert parse(r"-t^2") == -t ** 2
    assert "power" in error_of(r"\mathbf{a}^2").message


def test_real_and_imaginary_parts():
    from sympy import im, re
    assert parse(r"\operatorname{Re}\{\mathbf{Z}\}") == re(Z)
    assert parse(r"\operatorname{Im}(t)") == im(t)


def test_override_letters_inside_operator_names_are_left_alone():
    scope = make_scope()
    scope.add_variable(VarSpec("sc", (), latex="s"))
    assert parse_latex(r"s\,\operatorname{softmax}(\mathbf{a})", scope) == \
        scope.symbols["sc"] * Elementwise("softmax", "generic", a)


def test_deep_norms_are_a_clean_error():
    text = r"\|" * 150 + "t" + r"\|" * 150
    assert "nested too deeply" in error_of(text).message


def test_sympy_refusals_become_clean_errors():
    assert "zero matrix" in error_of(r"\mathbf{0}_{m \times m}^{-1}").message


FUZZ_TOKENS = [
    r"\mathbf{a}", r"\mathbf{X}", "x", "A", "t", r"\lambda", "^T", "^{-1}", "^2", "_2", "_F",
    "_{1}", "W", "(", ")", "[", "]", "{", "}", "|", r"\|", r"\left(", r"\right)", r"\left|",
    "+", "-", "/", r"\cdot", r"\odot", r"\otimes", r"\frac", r"\sqrt", r"\log", r"\det",
    r"\operatorname{tr}", r"\sigma", "'", "g", "e", "^", "_", r"\mathbf{1}", r"\mathbf{I}",
    r"\mathbf{0}", "2", "0.5", r"\overline", r"\boldsymbol{\Sigma}", "^H", "^*", r"\,",
    r"\foo", "=", "&", r"\{", r"\}", r"\mathbf", r"\sum", "1",
]


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(FUZZ_TOKENS), min_size=1, max_size=10))
def test_any_token_soup_parses_or_fails_cleanly(tokens):
    text = " ".join(tokens)
    try:
        parse_latex(text, SCOPE)
    except DerivgenError as error:
        assert error.fragment == text
        assert error.column is not None and 0 <= error.column <= len(text)


def test_written_transpose_survives_every_operator():
    written = Transpose(A * x - y)
    r = r"(\mathbf{A}\mathbf{x}-\mathbf{y})^T"
    assert parse(r"\frac{" + r + "}{t}") == MatMul(1 / t, written)
    assert parse(r + "/t") == MatMul(1 / t, written)
    assert parse(r + r"\odot\mathbf{y}^T").args == (written, y.T)
    assert parse(r + r"\otimes\mathbf{y}").args == (written, y)
    assert parse(r"((\mathbf{S}+\mathbf{S}^T)^T)^{-1}") == Inverse(Transpose(S + S.T))


def test_diag_of_a_vector():
    from sympy.matrices.expressions.diagonal import DiagMatrix
    assert parse(r"\operatorname{diag}(\mathbf{y})\mathbf{S}") == DiagMatrix(y) * S
    assert "column vector" in error_of(r"\operatorname{diag}(\mathbf{X})").message


def test_division_by_zero():
    assert error_of(r"\frac{t}{0}").message == "division by zero"
    assert error_of(r"\frac10").message == "division by zero"
    assert error_of(r"t/(1-1)").column == 2


def test_a_power_written_on_a_function_name_is_a_power_of_its_value():
    tanh = lambda arg: Elementwise("tanh", "tanh", arg, 0)   # noqa: E731
    assert parse(r"\tanh^2(\mathbf{w}^T\mathbf{x})") == parse(r"(\tanh(\mathbf{w}^T\mathbf{x}))^2")
    assert parse(r"\mathbf{1}^T\sigma^{3}(\mathbf{X}\mathbf{b})") == \
        parse(r"\mathbf{1}^T\sigma(\mathbf{X}\mathbf{b})^{\odot 3}")
    assert parse(r"\tanh^2 \mathbf{x}") == HadamardPower(tanh(x), 2)
    assert "whole number" in str(error_of(r"\mathbf{1}^T\tanh^{t}(\mathbf{x})"))
