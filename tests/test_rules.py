"""Each rule's identity, checked numerically on random instances (random sizes too)."""

import numpy as np
import pytest
from sympy import (Determinant, HadamardProduct, Identity, Inverse, KroneckerProduct, MatAdd, MatMul, MatPow,
                   MatrixSymbol, OneMatrix, S, Symbol, Trace, Transpose, exp, log, sqrt)

from derivgen.ir.nodes import (AsScalar, D, DiffSymbol, Elementwise, ScalarFunc, SymmetricSymbol,
                         differential_symbol)
from derivgen.verify.numeric import evaluate
from derivgen.render.numpy import dims_code
from derivgen.derive.rules import differential as rd
from derivgen.derive.rules import trace as rt
from derivgen.derive.rules.simplify import diagonal_of_outer_product, power_meets_its_base
from derivgen.derive.rules.transpose import push_transposes

m, n = Symbol("m", integer=True, positive=True), Symbol("n", integer=True, positive=True)
a, b, x = MatrixSymbol("a", m, 1), MatrixSymbol("b", n, 1), MatrixSymbol("x", n, 1)
X, A, B = MatrixSymbol("X", m, n), MatrixSymbol("A", m, m), MatrixSymbol("B", n, m)
Q, P = MatrixSymbol("Q", n, n), MatrixSymbol("P", n, n)
M = SymmetricSymbol("M", m, m)
t = Symbol("t", real=True)
SYMBOLS = [a, b, x, X, A, B, Q, P, M]
FUNCTIONS = {"g": np.sin, "g_prime": np.cos, "g_prime2": lambda v: -np.sin(v)}


def random_env(seed, variables):
    rng = np.random.default_rng(seed)
    sizes = {m: int(rng.integers(2, 5)), n: int(rng.integers(2, 5))}
    env = {}
    for sym in SYMBOLS:
        shape = tuple(int(sizes[s]) if not s.is_number else int(s) for s in sym.shape)
        value = rng.standard_normal(shape)
        if isinstance(sym, SymmetricSymbol):
            value = (value + value.T) / 2
        if shape[0] == shape[1] and shape[0] > 1:
            value = np.eye(shape[0]) + 0.25 * value / np.sqrt(shape[0])
        env[sym.name] = value
    env["t"] = float(rng.uniform(0.5, 1.5))
    for var in variables:
        direction = rng.standard_normal(np.shape(env[var.name]))
        env[differential_symbol(var).name] = direction if np.ndim(direction) else float(direction)
    return env


def value(expr, env):
    return np.asarray(evaluate(expr, env, dims_code(SYMBOLS), FUNCTIONS), dtype=float)


ctx_X = rd.DiffContext({X: differential_symbol(X)})
ctx_Q = rd.DiffContext({Q: differential_symbol(Q)})
ctx_x = rd.DiffContext({x: differential_symbol(x)})
ctx_t = rd.DiffContext({t: differential_symbol(t)})

DIFFERENTIAL_CASES = [
    ("diff_sum", X * b + a, ctx_X),
    ("diff_product", a.T * X * b, ctx_X),
    ("diff_product", (X * x).T * A * X * x, ctx_X),
    ("diff_transpose", Transpose(X * b), ctx_X),
    ("diff_trace", Trace(X.T * A * X), ctx_X),
    ("diff_hadamard", HadamardProduct(X, X * Q), ctx_X),
    ("diff_elementwise", Elementwise("sigma", "sigmoid", X * b), ctx_X),
    ("diff_elementwise", Elementwise("g", "generic", X), ctx_X),
    ("diff_elementwise", Elementwise("exp", "exp", X * b), ctx_X),
    ("diff_inverse", Inverse(Q), ctx_Q),
    ("diff_determinant", Determinant(Q), ctx_Q),
    ("diff_matrix_power", MatPow(Q, 3), ctx_Q),
    ("diff_kronecker", KroneckerProduct(Q, P), ctx_Q),
    ("diff_power", AsScalar(x.T * x) ** 3, ctx_x),
    ("diff_power", sqrt(AsScalar(x.T * x)), ctx_x),
    ("diff_log", log(Determinant(Q)), ctx_Q),
    ("diff_exp", exp(AsScalar(b.T * x)), ctx_x),
    ("diff_scalar_product", Trace(Q) * Determinant(Q), ctx_Q),
    ("diff_scalar_function", ScalarFunc("g", "generic", t ** 2), ctx_t),
]


@pytest.mark.parametrize("rule,expr,ctx", DIFFERENTIAL_CASES,
                         ids=[f"{c[0]}-{i}" for i, c in enumerate(DIFFERENTIAL_CASES)])
@pytest.mark.parametrize("seed", [1, 2])
def test_differential_rule_is_an_identity(rule, expr, ctx, seed):
    rewritten, used = rd.expand_differential(expr, ctx)
    assert getattr(rd, rule).__doc__.startswith("$") or used.name
    env = random_env(seed, list(ctx.differentials))
    # d(E) on the left is evaluated by finite differences; the rule's output in closed form
    np.testing.assert_allclose(value(rewritten, env), value(D(expr), env), rtol=1e-6, atol=1e-8)


def test_rules_name_their_identity():
    rewritten, used = rd.expand_differential(a.T * X * b, ctx_X)
    assert used is rd.PRODUCT and "d(" in used.identity
    assert rewritten == a.T * differential_symbol(X) * b


dX, dQ = differential_symbol(X), differential_symbol(Q)
H = MatrixSymbol("H", n, 1)

TRACE_CASES = [
    (rt.trace_linearity, rt.TraceTerm(S.One, None, 3 * (a.T * dX * b + a.T * dX * b))),
    (rt.trace_cyclic, rt.TraceTerm(S(2), None, a.T * dX * b)),
    (rt.trace_cyclic, rt.TraceTerm(S.One, B, A * dX * Q)),
    (rt.trace_transpose, rt.TraceTerm(S.One, A * X, Transpose(dX))),
    (rt.trace_hadamard, rt.TraceTerm(S.One, a.T, HadamardProduct(Elementwise("exp", "exp", X * b),
                                                                 dX * b))),
    (rt.trace_hadamard, rt.TraceTerm(S.One, None, HadamardProduct(Q, dQ))),
    (rt.trace_scalar_out, rt.TraceTerm(S.One, a.T, AsScalar(b.T * Transpose(dX) * a) * X * b)),
    (rt.trace_of_scalar, rt.TraceTerm(S.One, None, AsScalar(a.T * dX * b))),
    (rt.trace_kronecker, rt.TraceTerm(S(2), None, KroneckerProduct(A, P * dQ))),
    (rt.trace_kronecker, rt.TraceTerm(S.One, None, KroneckerProduct(dQ, A))),
    (rt.trace_mixed_product, rt.TraceTerm(S.One, Transpose(KroneckerProduct(A, P)),
                                          KroneckerProduct(A, dQ))),
    (rt.trace_name_softmax, rt.TraceTerm(
        1 / AsScalar(OneMatrix(1, m) * Elementwise("exp", "exp", a)), b * Elementwise(
            "exp", "exp", a).T, dX)),
]


@pytest.mark.parametrize("rule,term", TRACE_CASES, ids=[f"{c[0].__name__}-{i}"
                                                         for i, c in enumerate(TRACE_CASES)])
def test_trace_rule_is_an_identity(rule, term):
    rewritten = rule(term)
    assert rewritten, f"{rule.__name__} did not apply"
    env = random_env(3, [X, Q])
    before = value(term.expr(), env)
    after = sum(value(t.expr(), env) for t in rewritten)
    np.testing.assert_allclose(after, before, rtol=1e-9, atol=1e-12)


def test_trace_rules_leave_other_terms_alone():
    assert rt.trace_kronecker(rt.TraceTerm(S.One, None, KroneckerProduct(X, dQ))) is None
    assert rt.trace_mixed_product(rt.TraceTerm(S.One, KroneckerProduct(X, Q),
                                               KroneckerProduct(A, dQ))) is None
    done = rt.TraceTerm(S.One, a.T, dX)
    assert rt.rewrite_once(rt.TraceTerm(S.One, b * a.T, dX)) is None
    assert rt.trace_hadamard(done) is None and rt.trace_transpose(done) is None


def test_gradient_of_reads_off_textbook_form():
    terms = [rt.TraceTerm(S.One, b * a.T, dX)]
    assert rt.gradient_of(terms, dX) == a * b.T


def test_push_transposes_keeps_hadamard_order():
    e = Elementwise("exp", "exp", X * b)
    pushed = push_transposes(Transpose(b * Transpose(HadamardProduct(a, e))))
    assert pushed == HadamardProduct(a, e) * b.T
    assert push_transposes(Transpose(M * A)) == A.T * M
    assert push_transposes(Transpose(Inverse(Q))) == Inverse(Q.T)


def test_diff_symbol_is_not_a_variable():
    assert isinstance(dX, DiffSymbol) and dX != MatrixSymbol("dX", m, n)
    assert Identity(n).shape == (n, n)


def test_textbook_drops_neutral_factors():
    from sympy import OneMatrix
    from sympy.matrices.expressions.diagonal import DiagMatrix

    from derivgen.derive.rules.simplify import textbook
    assert textbook(HadamardProduct(OneMatrix(m, 1), a)) == a
    assert textbook(DiagMatrix(OneMatrix(n, 1))) == Identity(n)
    assert textbook(Transpose(b * a.T)) == a * b.T


HESSIAN_CASES = [
    # d(grad) for x^T Q x, a^T (x ⊙ x) style, a quotient-like scalar factor, a row holder
    Q * differential_symbol(x) + Q.T * differential_symbol(x),
    2 * HadamardProduct(b, differential_symbol(x)),
    AsScalar(x.T * differential_symbol(x)) * b,
    b * Transpose(differential_symbol(x)) * x,
]


@pytest.mark.parametrize("expr", HESSIAN_CASES, ids=range(len(HESSIAN_CASES)))
def test_jacobian_reads_off_a_linear_map(expr):
    from derivgen.derive.rules.hessian import jacobian
    dx = differential_symbol(x)
    J = jacobian(expr, dx)
    env = random_env(5, [x])
    np.testing.assert_allclose(value(J, env) @ env["dx"], value(expr, env), rtol=1e-10)


KNOWN_KINDS = ["sigmoid", "tanh", "exp", "log", "sin", "cos", "softplus", "sqrt", "square"]


@pytest.mark.parametrize("kind", KNOWN_KINDS)
def test_known_derivative_is_the_derivative(kind):
    from derivgen.derive.rules.simplify import known_derivative
    env = random_env(7, [])
    env["X"] = np.abs(env["X"]) + 0.5  # log and sqrt need positive entries
    env["t"] = abs(env["t"]) + 0.5
    for generic, arg in ((Elementwise, X), (ScalarFunc, t)):
        derivative = generic("f", kind, arg, 1)
        closed = known_derivative(derivative)
        assert all(f.order == 0 for f in closed.atoms(Elementwise, ScalarFunc))
        np.testing.assert_allclose(value(closed, env), value(derivative, env), rtol=1e-12)


def test_generic_derivative_stays_primed():
    from derivgen.derive.rules.simplify import known_derivative
    g1 = Elementwise("g", "generic", X, 1)
    assert known_derivative(g1) == g1


def test_closed_forms_print_in_the_lecture_order():
    from derivgen.render.latex import to_latex
    from derivgen.derive.rules.simplify import textbook
    sig = Elementwise("sigma", "sigmoid", X, 1)
    assert to_latex(textbook(sig)) == \
        r"\sigma(\mathbf{X}) \odot (\mathbf{1}_{m \times n} - \sigma(\mathbf{X}))"
    assert to_latex(textbook(Elementwise("log", "log", X, 1))) == r"\mathbf{X}^{\odot -1}"
    assert to_latex(textbook(Elementwise("sp", "softplus", X, 1))) == r"\sigma(\mathbf{X})"


def test_textbook_takes_out_a_common_factor_and_shortens_scalars():
    from derivgen.derive.rules.simplify import factor_common, scalar_expanded
    assert factor_common(A * a + A.T * a) == (A + A.T) * a
    assert factor_common(X.T * a + X.T * X * b) == X.T * (a + X * b)
    assert factor_common(a * b.T + X * b * b.T + a * x.T) == a * b.T + X * b * b.T + a * x.T
    s = ScalarFunc("sigma", "sigmoid", AsScalar(a.T * a))
    assert scalar_expanded((1 - t) * s - t * (1 - s)) == s - t
    quadratic = AsScalar((A * a).T * a) * (1 - t)
    assert scalar_expanded(quadratic + t) == quadratic + t


KRONECKER_PROBLEMS = [  # function, the expected gradient as printed
    (r"\operatorname{tr}(\mathbf{A} \otimes \mathbf{X})", r"\operatorname{tr}(\mathbf{A})\mathbf{I}_n"),
    (r"\operatorname{tr}((\mathbf{A} \otimes \mathbf{X})^T(\mathbf{A} \otimes \mathbf{B}))",
     r"\operatorname{tr}(\mathbf{A}^T\mathbf{A})\mathbf{B}"),
    (r"\|\mathbf{A} \otimes \mathbf{X}\|_F^2", r"2\operatorname{tr}(\mathbf{A}^T\mathbf{A})\mathbf{X}"),
    (r"\operatorname{tr}(\mathbf{X} \otimes \mathbf{X})", r"2\operatorname{tr}(\mathbf{X})\mathbf{I}_n"),
]


@pytest.mark.parametrize("function, gradient", KRONECKER_PROBLEMS)
def test_kronecker_problems_derive_and_verify(tmp_path, function, gradient):
    from derivgen.pipeline import solve
    from derivgen.problem.load import load_problem
    from derivgen.render.latex import to_latex
    answer = gradient  # a lone identity is printed with its size, so it reads back
    path = tmp_path / "kron.yaml"
    path.write_text("title: t\nvariables: {A: [p, p], X: [n, n], B: [n, n]}\n"
                    f"function: '{function}'\nwrt: X\nanswer: '{answer}'\n", encoding="utf-8")
    d = solve(load_problem(path))  # raises unless verified and equal to the answer
    assert d.verified and to_latex(d.results[0].expr, d.scope) == gradient
    assert any("Kronecker" in step.rule for step in d.sections[1].steps)


# (input, textbook form): a minus sign goes into the sum it multiplies, and the one largest
# group of terms sharing a last (or first) factor has it taken out; each an exact equality.
TEXTBOOK_FORMS = [
    (lambda: MatMul(-1, MatAdd(A, -X * B), a), lambda: MatMul(MatAdd(X * B, -A), a)),
    (lambda: MatMul(-t, MatAdd(Q, -P), x), lambda: MatMul(t, MatAdd(P, -Q), x)),
    (lambda: MatMul(-1, MatAdd(Q, P), x), lambda: MatMul(-1, MatAdd(Q, P), x)),  # no gain
    (lambda: MatAdd(t * Q, -P * x * x.T, Q * x * x.T),
     lambda: MatAdd(MatMul(MatAdd(Q, -P), x, x.T), t * Q)),
    (lambda: MatAdd(t * Q, MatMul(-1, MatAdd(x * b.T * P, -Q * x * b.T * P))),
     lambda: MatAdd(MatMul(MatAdd(Q * x, -x), b.T, P), t * Q)),
    (lambda: a * b.T + X * b * b.T + a * x.T,  # two groups of two: left as it is
     lambda: a * b.T + X * b * b.T + a * x.T),
]


@pytest.mark.parametrize("given, expected", TEXTBOOK_FORMS)
def test_textbook_form_is_an_exact_equality(given, expected):
    from derivgen.derive.rules.simplify import textbook
    result = textbook(given())
    assert str(result) == str(expected())  # the form, as printed
    for seed in range(3):
        env = random_env(seed, [])
        np.testing.assert_allclose(value(result, env), value(given(), env), rtol=1e-9)


def test_diagonal_of_outer_product_is_a_hadamard_product():
    n = Symbol("n", integer=True, positive=True)
    a, b = MatrixSymbol("a", n, 1), MatrixSymbol("b", n, 1)
    expr = MatMul(HadamardProduct(MatMul(3, a, b.T), Identity(n)), OneMatrix(n, 1))
    assert diagonal_of_outer_product(expr) == MatMul(3, HadamardProduct(a, b))
    rng = np.random.default_rng(0)
    va, vb = rng.standard_normal((4, 1)), rng.standard_normal((4, 1))
    assert np.allclose((3 * (va @ vb.T) * np.eye(4)) @ np.ones((4, 1)), 3 * va * vb)
    square = MatrixSymbol("M", n, n)        # not an outer product: kept
    kept = MatMul(HadamardProduct(square, Identity(n)), OneMatrix(n, 1))
    assert diagonal_of_outer_product(kept) == kept


@pytest.mark.parametrize("k", [2, 3])
def test_a_power_meets_its_base(k):
    """(Bᵏ)⁻¹B = B(Bᵏ)⁻¹ = (Bᵏ⁻¹)⁻¹, on a random well-conditioned B."""
    n = Symbol("n", integer=True, positive=True)
    B, C = MatrixSymbol("B", n, n), MatrixSymbol("C", n, n)
    left = power_meets_its_base(MatMul(C, Inverse(MatPow(B, k)), B))
    right = power_meets_its_base(MatMul(B, MatPow(B, -k), C))
    fewer = Inverse(B) if k == 2 else Inverse(MatPow(B, k - 1))
    assert left == MatMul(C, fewer) and right == MatMul(fewer, C)
    rng = np.random.default_rng(k)
    vb = np.eye(4) + 0.3 * rng.standard_normal((4, 4))
    power = np.linalg.matrix_power(vb, k)
    assert np.allclose(np.linalg.inv(power) @ vb, np.linalg.inv(np.linalg.matrix_power(vb, k - 1)))
    assert power_meets_its_base(MatMul(Inverse(MatPow(B, 2)), C)) == MatMul(Inverse(MatPow(B, 2)), C)
