"""Hessians (``hessian: true``): vector and matrix variables, the contract's order-2 arrays
checked entry by entry against finite differences, the vec/Kronecker machinery, remarks."""

from dataclasses import replace

import numpy as np
import pytest
from sympy import Identity, KroneckerProduct, MatrixSymbol, symbols

from derivgen.derive.convexity import psd_conditions
from derivgen.pipeline import solve
from derivgen.errors import DerivgenError
from derivgen.problem.load import load_problem
from derivgen.render.facts import conclusion_prose, fact_prose, math_latex
from derivgen.render.json import derivation_json
from derivgen.render.latex import to_latex
from derivgen.render.numpy import to_numpy
from derivgen.derive.second_order import VECTORIZATION
from derivgen.verify.checks import verify
from derivgen.ir.vec import Commutation, Vec

from conftest import PROBLEMS

HESSIAN_PROBLEMS = ["06-quadratic-form", "14-ridge-regression", "40-logistic-hessian",
                    "41-log-sum-exp", "42-log-determinant-hessian",
                    "43-trace-quadratic-hessian", "44-matrix-least-squares-hessian"]


def _instance(problem, rng):
    sizes = {}
    values = {}
    for name, spec in problem.variables.items():
        shape = tuple(sizes.setdefault(d, int(rng.integers(2, 4))) if isinstance(d, str) else d
                      for d in spec.shape)
        shape = shape + (1,) if len(shape) == 1 else shape
        value = rng.standard_normal(shape) if shape else float(rng.uniform(0.5, 1.5))
        if len(shape) == 2 and shape[0] == shape[1] and "det" in problem.function:
            value = np.eye(shape[0]) + 0.2 * value  # log det needs det X > 0
        values[name] = value
    return values


def _run(code, env):
    return np.asarray(eval(code, {"np": np}, dict(env)))  # noqa: S307 -- our JSON's code


@pytest.mark.parametrize("stem", HESSIAN_PROBLEMS)
def test_order_2_array_matches_finite_differences_entry_by_entry(stem):
    """The JSON's numpy code: [i, j, k, l] is the second derivative by X[i, j] and X[k, l]."""
    problem = load_problem(PROBLEMS / f"{stem}.yaml")
    data = derivation_json(solve(problem))
    assert data["verified"]
    wrt = problem.wrt[0]
    gradient = next(r["numpy"] for r in data["results"] if r["order"] == 1)
    hessian_code = next(r["numpy"] for r in data["results"] if r["order"] == 2)
    env = _instance(problem, np.random.default_rng(7))
    hessian = _run(hessian_code, env)
    x = env[wrt]
    assert hessian.shape == ((x.shape[0], x.shape[0]) if x.shape[1] == 1 else x.shape * 2)
    h = 1e-5
    for k, l in np.ndindex(*x.shape):
        step = np.zeros_like(x)
        step[k, l] = h
        column = (_run(gradient, {**env, wrt: x + step}) - _run(gradient, {**env, wrt: x - step})
                  ) / (2 * h)
        got = hessian[:, k] if x.shape[1] == 1 else hessian[:, :, k, l]
        np.testing.assert_allclose(got.reshape(column.shape), column, rtol=1e-5, atol=1e-6)


def test_trace_quadratic_hessian_is_kronecker_with_identity():
    derivation = solve(load_problem(PROBLEMS / "43-trace-quadratic-hessian.yaml"))
    hessian = derivation.results[-1]
    assert to_latex(hessian.expr, derivation.scope) == \
        r"\mathbf{I}_n \otimes (\mathbf{A} + \mathbf{A}^T)"
    vec = next(s for s in derivation.sections if s.title == VECTORIZATION)
    # the gradient (A + A^T)X has one term, so there is nothing left to collect
    assert [s.rule for s in vec.steps] == ["vec of a product"]
    assert r"(\mathbf{B}^T \otimes \mathbf{A})" in vec.steps[0].identity


def test_log_det_hessian_uses_the_commutation_matrix():
    derivation = solve(load_problem(PROBLEMS / "42-log-determinant-hessian.yaml"))
    text = to_latex(derivation.results[-1].expr, derivation.scope)
    assert text == r"-(\mathbf{X}^{-1} \otimes \mathbf{X}^{-T})\mathbf{K}_{nn}"
    assert not derivation.remarks  # -(X^{-1} ⊗ X^{-T})K is not PSD: no convexity claim


def test_log_sum_exp_hessian_reads_diag_minus_outer_product():
    derivation = solve(load_problem(PROBLEMS / "41-log-sum-exp.yaml"))
    assert to_latex(derivation.results[-1].expr, derivation.scope) == \
        r"\operatorname{diag}(\mathbf{s}) - \mathbf{s}\mathbf{s}^T"
    second = next(s for s in derivation.sections if s.order == 2)
    assert second.steps[-1].rule == "in terms of the gradient"
    assert r"e^{\mathbf{x}}(e^{\mathbf{x}})^T" in to_latex(second.steps[-2].after)  # 1^T diag(v)
    assert r"\mathbf{s} = \frac{\partial f}{\partial \mathbf{x}}" in \
        conclusion_prose(second, derivation.scope)
    latex = derivation_json(derivation)["results"][1]["latex"]  # self-contained: no s
    assert r"\mathbf{s}" not in latex and \
        r"\operatorname{diag}(\operatorname{softmax}(\mathbf{x}))" in latex


@pytest.mark.parametrize("stem,convex", [("14-ridge-regression", r"$\lambda \geq 0$"),
                                         ("40-logistic-hessian", r"0 < \sigma(z) < 1"),
                                         ("44-matrix-least-squares-hessian", "convex in"),
                                         ("06-quadratic-form", None),
                                         ("43-trace-quadratic-hessian", None)])
def test_convexity_remark_only_when_proven(stem, convex):
    derivation = solve(load_problem(PROBLEMS / f"{stem}.yaml"))
    if convex is None:
        assert derivation.remarks == ()
    else:
        remarks = [fact_prose(r, derivation.scope) for r in derivation.remarks]
        assert len(remarks) == 1 and convex in remarks[0]
        assert "positive semidefinite" in remarks[0]


def test_psd_conditions():
    m, n = symbols("m n")
    A, S = MatrixSymbol("A", m, n), MatrixSymbol("S", n, n)
    lam = symbols("lam")
    assert psd_conditions(2 * A.T * A + lam * Identity(n)) == {lam}
    assert psd_conditions(KroneckerProduct(Identity(m), A.T * A)) == set()
    assert psd_conditions(S + S.T) is None
    assert psd_conditions(-2 * A.T * A) is None
    assert psd_conditions(A.T * S * A) is None


def test_vec_and_commutation_code_follow_column_major_vec():
    m, n = symbols("m n")
    A = MatrixSymbol("A", m, n)
    dims = {m: "A.shape[0]", n: "A.shape[1]"}
    a = np.arange(6.0).reshape(2, 3)
    vec = _run(to_numpy(Vec(A), dims), {"A": a})
    np.testing.assert_array_equal(vec.ravel(), [0, 3, 1, 4, 2, 5])
    swapped = _run(to_numpy(Commutation(m, n) * Vec(A), dims), {"A": a})
    np.testing.assert_array_equal(swapped.ravel(), a.T.ravel(order="F"))
    assert to_latex(Commutation(m, n) * Vec(A)) == \
        r"\mathbf{K}_{mn}\operatorname{vec}(\mathbf{A})"


def test_a_wrong_second_order_step_is_caught():
    derivation = solve(load_problem(PROBLEMS / "43-trace-quadratic-hessian.yaml"))
    sections = list(derivation.sections)
    k = next(i for i, s in enumerate(sections) if s.order == 2)
    bad_step = replace(sections[k].steps[-1], after=2 * sections[k].steps[-1].after)
    sections[k] = replace(sections[k], steps=sections[k].steps[:-1] + (bad_step,))
    with pytest.raises(DerivgenError, match="verification failed at the step"):
        verify(replace(derivation, sections=tuple(sections), verified=False))


def test_matrix_hessian_with_several_variables_and_a_where(write):
    path = write("two.yaml", r"""
        title: Two matrices
        variables:
          X: {shape: [m, n]}
          W: {shape: [n, p]}
          B: {shape: [m, p]}
        where:
          R: '\mathbf{X}\mathbf{W} - \mathbf{B}'
        function: '\|\mathbf{R}\|_F^2'
        wrt: [X, W]
        hessian: true
        """)
    derivation = solve(load_problem(path))
    assert derivation.verified and [r.order for r in derivation.results] == [1, 1, 2, 2]
    assert r"\mathbf{W}\mathbf{W}^T" in to_latex(derivation.results[2].expr, derivation.scope)


COMMUTATION_CASES = [  # (X's shape, function, the commutation matrix the identity names)
    (["n", "n"], r"\log\det\mathbf{X}", r"\mathbf{K}_{nn}"),
    (["m", "n"], r"\operatorname{tr}(\mathbf{B}\mathbf{X}\mathbf{B}\mathbf{X})", r"\mathbf{K}_{mn}"),
]


@pytest.mark.parametrize("shape, function, named", COMMUTATION_CASES)
def test_the_commutation_identity_names_the_variables_own_sizes(write, shape, function, named):
    """``vec(dX^T) = K vec(dX)`` is stated with X's sizes: K_nn for a square X, not K_mn."""
    path = write("k.yaml", f"""
        title: Commutation
        variables:
          X: {{shape: [{shape[0]}, {shape[1]}]}}
          B: {{shape: [{shape[1]}, {shape[0]}]}}
        function: '{function}'
        wrt: X
        hessian: true
        """)
    derivation = solve(load_problem(path))  # solve verifies every step and result
    assert derivation.verified
    identities = [identity for section in derivation.sections for step in section.steps
                  for name, identity in step.rules if name == "commutation matrix"]
    assert len(identities) == 1
    (identity,) = identities
    assert str(identity.rhs.args[0]) == f"Commutation({shape[0]}, {shape[1]})"
    text = math_latex(identity, None)
    assert named in text and text.startswith(r"\operatorname{vec}(")
