"""Softmax, log-sum-exp and one-hot labels: the node, its rewrites, and derivations with it."""

import numpy as np
import pytest
from sympy import HadamardPower, HadamardProduct, MatMul, MatrixSymbol, OneMatrix, Pow, Symbol

from derivgen import pipeline
from derivgen.errors import DerivgenError
from derivgen.ir.nodes import AsScalar, Elementwise, OneHotSymbol, Softmax
from derivgen.model import VarSpec
from derivgen.verify.numeric import evaluate
from derivgen.parse import parse_latex
from derivgen.problem.load import load_problem
from derivgen.render.latex import to_latex
from derivgen.render.numpy import dims_code, to_numpy
from derivgen.derive.rules import softmax as rs
from derivgen.parse.scope import Scope

m, N = Symbol("m", integer=True, positive=True), Symbol("N", integer=True, positive=True)
a, y = MatrixSymbol("a", m, 1), OneHotSymbol("y", m, 1)
A, Y = MatrixSymbol("A", m, N), OneHotSymbol("Y", m, N)
SYMBOLS = [a, y, A, Y]


def one_hot(rng, rows, cols):
    value = np.zeros((rows, cols))
    value[rng.integers(rows, size=cols), np.arange(cols)] = 1.0
    return value


def random_env(seed):
    rng = np.random.default_rng(seed)
    rows, cols = int(rng.integers(2, 5)), int(rng.integers(2, 5))
    return {"a": rng.standard_normal((rows, 1)), "A": rng.standard_normal((rows, cols)),
            "y": one_hot(rng, rows, 1), "Y": one_hot(rng, rows, cols)}


def value(expr, env):
    return np.asarray(evaluate(expr, env, dims_code(SYMBOLS)), dtype=float)


def softmax_columns(values):
    e = np.exp(values)
    return e / e.sum(axis=0, keepdims=True)


def exp(arg):
    return Elementwise("exp", "exp", arg)


def scope(**shapes):
    sc = Scope()
    for name, shape in shapes.items():
        onehot = name.startswith("y") or name.startswith("Y")
        sc.add_variable(VarSpec(name, shape, onehot=onehot))
    return sc


@pytest.mark.parametrize("written", [r"\operatorname{softmax}(\mathbf{a})",
                                     r"\mathrm{softmax}(\mathbf{a})", r"\text{softmax}(a)"])
def test_softmax_parses_as_a_builtin(written):
    sc = scope(a=["m"])
    assert parse_latex(written, sc) == Softmax(sc.symbols["a"])


def test_softmax_may_be_declared():
    sc = scope(a=["m"])
    sc.functions["sm"] = "softmax"
    assert parse_latex(r"\operatorname{sm}(\mathbf{a})", sc) == Softmax(sc.symbols["a"])


def test_softmax_of_a_scalar_is_refused():
    sc = scope(t=[])
    with pytest.raises(DerivgenError, match="needs a vector or a matrix"):
        parse_latex(r"\operatorname{softmax}(t)", sc)


def test_softmax_prints_and_evaluates_column_by_column():
    env = random_env(0)
    assert to_latex(Softmax(A)) == r"\operatorname{softmax}(\mathbf{A})"
    assert "axis=0" in to_numpy(Softmax(A), dims_code(SYMBOLS))
    np.testing.assert_allclose(value(Softmax(A), env), softmax_columns(env["A"]))


IDENTITIES = [
    (rs.log_softmax, Elementwise("log", "log", Softmax(a))),
    (rs.log_softmax, Elementwise("log", "log", Softmax(A))),
    (rs.softmax_definition, Softmax(a)),
    (rs.softmax_definition, Softmax(A)),
    (rs.name_softmax, MatMul(2, Pow(AsScalar(OneMatrix(1, m) * exp(a)), -1), exp(a), a.T)),
    (rs.name_softmax, HadamardProduct(exp(A), MatMul(OneMatrix(m, 1), HadamardProduct(
        OneMatrix(1, m) * Y, HadamardPower(OneMatrix(1, m) * exp(A), -1))))),
    (rs.one_hot_sums, MatMul(OneMatrix(1, m), Y, A.T)),
    (rs.one_hot_sums, MatMul(-1, y.T, a - OneMatrix(m, 1) * AsScalar(a.T * a))),
    (rs.one_hot_sums, MatMul(Y.T, A - OneMatrix(m, 1) * OneMatrix(1, m) * A)),
]


@pytest.mark.parametrize("rule, expr", IDENTITIES, ids=range(len(IDENTITIES)))
def test_rewrite_is_an_identity(rule, expr):
    rewritten = rule(expr)
    assert rewritten is not None and rewritten != expr
    for seed in range(3):
        env = random_env(seed)
        np.testing.assert_allclose(value(rewritten, env), value(expr, env), rtol=1e-10)


def test_rules_leave_other_expressions_alone():
    assert rs.name_softmax(MatMul(Pow(AsScalar(a.T * a), -1), exp(a))) is None
    assert rs.one_hot_sums(MatMul(OneMatrix(1, m), A)) is None
    assert rs.log_softmax(Elementwise("log", "log", a)) is None


def test_named_softmax_keeps_the_other_factors():
    named = rs.name_softmax(MatMul(2, Pow(AsScalar(OneMatrix(1, m) * exp(a)), -1), exp(a), a.T))
    assert named == MatMul(2, Softmax(a), a.T)


SOFTMAX_LOSS = """
title: Cross-entropy of a softmax
variables:
  a: {shape: [m]}
  y: {shape: [m]FLAG}
function: '-\\mathbf{y}^T\\log\\operatorname{softmax}(\\mathbf{a})'
wrt: a
"""


@pytest.fixture
def solve(tmp_path):
    def derive_text(text):
        path = tmp_path / "problem.yaml"
        path.write_text(text, encoding="utf-8")
        return pipeline.solve(load_problem(path))
    return derive_text


def test_one_hot_cross_entropy_gives_softmax_minus_y(solve):
    d = solve(SOFTMAX_LOSS.replace("FLAG", ", onehot: true"))
    assert to_latex(d.results[0].expr, d.scope) == r"\operatorname{softmax}(\mathbf{a}) - \mathbf{y}"
    rules = [s.rule for s in d.sections[0].steps]
    assert rules[:2] == ["log-softmax", "one-hot labels"]
    assert any("definition of softmax" in s.rule for s in d.sections[1].steps)


def test_without_one_hot_the_label_sum_stays(solve):
    d = solve(SOFTMAX_LOSS.replace("FLAG", ""))
    assert to_latex(d.results[0].expr, d.scope) == \
        r"(\mathbf{y}^T\mathbf{1})\operatorname{softmax}(\mathbf{a}) - \mathbf{y}"


def test_log_sum_exp_gradient_is_softmax(solve):
    d = solve("title: t\nvariables: {x: {shape: [n]}}\n"
              "function: '\\log(\\mathbf{1}^T e^{\\mathbf{x}})'\nwrt: x\n")
    assert d.results[0].expr == Softmax(d.scope.symbols["x"])


BATCH_LOSS = """
title: Cross-entropy of a batch
variables:
  A: {shape: [m, N]}
  Y: {shape: [m, N]FLAG}
function: '-\\operatorname{tr}(\\mathbf{Y}^T\\log\\operatorname{softmax}(\\mathbf{A}))'
wrt: A
"""


def test_one_hot_columns_give_softmax_minus_labels(solve):
    d = solve(BATCH_LOSS.replace("FLAG", ", onehot: true"))
    assert to_latex(d.results[0].expr, d.scope) == r"\operatorname{softmax}(\mathbf{A}) - \mathbf{Y}"
    one_hot = [s for s in d.sections[0].steps if s.rule == "one-hot labels"]
    assert one_hot and one_hot[0].identity == r"\mathbf{1}^T\mathbf{Y} = \mathbf{1}^T"


def test_batch_without_one_hot_scales_the_columns(solve):
    d = solve(BATCH_LOSS.replace("FLAG", ""))
    assert to_latex(d.results[0].expr, d.scope) == \
        r"\operatorname{softmax}(\mathbf{A})\operatorname{diag}(\mathbf{Y}^T\mathbf{1}) - \mathbf{Y}"


def test_verifier_draws_one_hot_columns():
    from derivgen.model import VarSpec as Spec
    from derivgen.verify.instances import _draw
    rng = np.random.default_rng(3)
    labels = _draw(rng, (4, 6), Spec("Y", ("m", "N"), onehot=True), False, False)
    assert set(np.unique(labels)) == {0.0, 1.0}
    np.testing.assert_array_equal(labels.sum(axis=0), np.ones(6))


LECTURE_BATCH = {  # Example 5, batch form: dl/dA_2 = softmax(A_2) - Y, dl/dA_1 = W_2^T dl/dA_2 ⊙ σ'
    "W_2": r"(\operatorname{softmax}(\mathbf{A}_2) - \mathbf{Y})\mathbf{H}_1^T",
    "b_2": r"(\operatorname{softmax}(\mathbf{A}_2) - \mathbf{Y})\mathbf{1}",
    "W_1": r"(\mathbf{W}_2^T(\operatorname{softmax}(\mathbf{A}_2) - \mathbf{Y}) \odot "
           r"\sigma'(\mathbf{A}_1))\mathbf{X}^T",
    "b_1": r"(\mathbf{W}_2^T(\operatorname{softmax}(\mathbf{A}_2) - \mathbf{Y}) \odot "
           r"\sigma'(\mathbf{A}_1))\mathbf{1}",
}


def test_batch_network_gives_the_lecture_results():
    from pathlib import Path

    from derivgen.verify.instances import Instance
    path = next((Path(__file__).parent.parent / "problems").glob("*two-layer-network-batch*"))
    d = pipeline.solve(load_problem(path))
    assert d.verified and [r.wrt for r in d.results] == list(LECTURE_BATCH)
    instance = Instance(d, np.random.default_rng(0), positive=False)
    for result in d.results:
        expected = parse_latex(LECTURE_BATCH[result.wrt], d.scope)
        np.testing.assert_allclose(instance.value(result.expr, False),
                                   instance.value(expected, False), rtol=1e-10)
        # and in the lecture's form, by way of the intermediates' gradients
        assert to_latex(result.chain_form, d.scope) == LECTURE_BATCH_FORM[result.wrt]


LECTURE_BATCH_FORM = {
    "W_2": r"\frac{\partial \ell}{\partial \mathbf{A}_2}\mathbf{H}_1^T",
    "b_2": r"\frac{\partial \ell}{\partial \mathbf{A}_2}\mathbf{1}",
    "W_1": r"\frac{\partial \ell}{\partial \mathbf{A}_1}\mathbf{X}^T",
    "b_1": r"\frac{\partial \ell}{\partial \mathbf{A}_1}\mathbf{1}",
}


def test_log_sum_exp_spread_prints_ones_first():
    from sympy import log as scalar_log
    spread = MatMul(-1, scalar_log(AsScalar(OneMatrix(1, m) * exp(a))), OneMatrix(m, 1))
    assert to_latex(spread) == r"-\mathbf{1}_m\log(\mathbf{1}^T e^{\mathbf{a}})"
