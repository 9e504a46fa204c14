"""Known functions recognised by their definitions in results (``derive/rules/definitions``):
each spelling is named only when the problem declares (or applies) the function, and every
rewrite is an exact equality, checked numerically on random instances."""

from pathlib import Path

import numpy as np
import pytest
from sympy import (Add, HadamardPower, HadamardProduct, MatAdd, MatMul, MatrixSymbol, OneMatrix,
                   Pow, Symbol, exp, log)

from derivgen.derive.compact import shown_sections
from derivgen.derive.rules.definitions import functions_in_use, name_known_functions
from derivgen.grade import grade
from derivgen.ir.nodes import Elementwise, ScalarFunc
from derivgen.pipeline import solve
from derivgen.problem.load import load_problem
from derivgen.render.latex import to_latex
from derivgen.render.numpy import dims_code
from derivgen.verify.numeric import evaluate

m, n = Symbol("m", integer=True, positive=True), Symbol("n", integer=True, positive=True)
A, w = MatrixSymbol("A", m, n), MatrixSymbol("w", n, 1)
t = Symbol("t", real=True)
u = MatMul(A, w)
ONES = OneMatrix(m, 1)
EXERCISES = Path(__file__).resolve().parent / "fixtures" / "exercises"
ALL = (("sigmoid", "sigma"), ("softplus", "zeta"), ("tanh", "tanh"))


def _e(arg):
    return Elementwise("exp", "exp", arg)


def _neg(arg):
    return MatMul(-1, *arg.args) if isinstance(arg, MatMul) else MatMul(-1, arg)


def _value(expr, seed):
    rng = np.random.default_rng(seed)
    sizes = {m: int(rng.integers(2, 5)), n: int(rng.integers(2, 5))}
    env = {"A": rng.standard_normal((sizes[m], sizes[n])) / 2,
           "w": rng.standard_normal((sizes[n], 1)), "t": float(rng.uniform(-2, 2))}
    return np.asarray(evaluate(expr, env, dims_code([A, w]), {}), dtype=float), sizes


def _same(a, b):
    for seed in range(3):
        left, _ = _value(a, seed)
        right, _ = _value(b, seed)
        np.testing.assert_allclose(left, right, rtol=1e-10, atol=1e-12)


# (written form, what it is named, the definition's rule)
FORMS = [
    (HadamardProduct(_e(u), HadamardPower(MatAdd(ONES, _e(u)), -1)),
     Elementwise("sigma", "sigmoid", u), "definition of the sigmoid"),
    (HadamardPower(MatAdd(ONES, _e(_neg(u))), -1),
     Elementwise("sigma", "sigmoid", u), "definition of the sigmoid"),
    (MatMul(2, HadamardProduct(_e(_neg(u)), HadamardPower(MatAdd(ONES, _e(_neg(u))), -1))),
     MatMul(2, Elementwise("sigma", "sigmoid", _neg(u))), "definition of the sigmoid"),
    (Pow(1 + exp(-t), -1), ScalarFunc("sigma", "sigmoid", t), "definition of the sigmoid"),
    (exp(t) / (1 + exp(t)), ScalarFunc("sigma", "sigmoid", t), "definition of the sigmoid"),
    (HadamardProduct(MatAdd(_e(u), _neg(_e(_neg(u)))),
                     HadamardPower(MatAdd(_e(u), _e(_neg(u))), -1)),
     Elementwise("tanh", "tanh", u), "definition of tanh"),
    ((exp(t) - exp(-t)) / (exp(t) + exp(-t)), ScalarFunc("tanh", "tanh", t), "definition of tanh"),
    (Elementwise("log", "log", MatAdd(ONES, _e(u))), Elementwise("zeta", "softplus", u),
     "definition of softplus"),
    (log(1 + exp(t)), ScalarFunc("zeta", "softplus", t), "definition of softplus"),
]


@pytest.mark.parametrize("written, named, rule", FORMS)
def test_a_definition_is_named_and_the_rewrite_is_exact(written, named, rule):
    found, rules = name_known_functions(written, ALL)
    assert found == named
    assert [r.name for r in rules] == [rule]
    _same(found, written)


def test_inside_a_result_only_the_definition_is_named():
    gradient = MatMul(A.T, MatAdd(HadamardProduct(_e(u), HadamardPower(MatAdd(_e(u), ONES), -1)),
                                  _neg(MatrixSymbol("b", m, 1))))
    found, rules = name_known_functions(gradient, ALL)
    assert to_latex(found) == r"\mathbf{A}^T(\sigma(\mathbf{A}\mathbf{w}) - \mathbf{b})"
    assert len(rules) == 1


NOT_A_DEFINITION = [
    HadamardProduct(_e(u), HadamardPower(MatAdd(MatMul(2, ONES), _e(u)), -1)),   # e/(2 + e)
    HadamardPower(MatAdd(ONES, _e(u)), -2),                                       # 1/(1 + e)^2
    _e(u),
    Pow(1 + exp(t) + exp(2 * t), -1),
    Add(t, exp(t)),
    exp(t) * Pow(1 + exp(t), -100000),        # hostile: never multiplied out
    HadamardProduct(_e(u), HadamardPower(MatAdd(ONES, _e(u)), -90000)),
]


@pytest.mark.parametrize("expr", NOT_A_DEFINITION)
def test_what_is_not_a_definition_is_left_alone(expr):
    assert name_known_functions(expr, ALL) == (expr, [])


def test_nothing_is_named_that_the_problem_does_not_declare_or_use():
    form = HadamardProduct(_e(u), HadamardPower(MatAdd(ONES, _e(u)), -1))
    assert name_known_functions(form, ()) == (form, [])
    assert name_known_functions(form, (("tanh", "tanh"),)) == (form, [])
    assert functions_in_use({"sigma": "sigmoid", "g": "generic"}) == (("sigmoid", "sigma"),)
    assert functions_in_use({}, Elementwise("tanh", "tanh", u)) == (("tanh", "tanh"),)


def _gradient_steps(derivation):
    return [step for section in shown_sections(derivation) for step in section.steps]


def test_a_declared_sigmoid_is_named_in_the_logistic_gradient():
    derivation = solve(load_problem(EXERCISES / "e48-logistic-sigmoid.yaml"))
    assert derivation.verified
    assert to_latex(derivation.results[0].expr) == \
        r"\mathbf{A}^T(\sigma(\mathbf{A}\mathbf{w}) - \mathbf{b})"
    named = [s for s in _gradient_steps(derivation)
             if any(name == "definition of the sigmoid" for name, _ in s.named)]
    assert len(named) == 1 and "gradient form" in named[0].rule
    # the instructor's sigma and the closed form are both right answers, compared numerically
    closed = r"(\mathbf{1} + e^{-\mathbf{A}\mathbf{w}})^{\odot -1}"
    for answer in (r"\mathbf{A}^T(\sigma(\mathbf{A}\mathbf{w}) - \mathbf{b})",
                   rf"\mathbf{{A}}^T({closed} - \mathbf{{b}})"):
        assert grade(derivation, answer).correct, answer
    wrong = r"\mathbf{A}^T(\sigma(-\mathbf{A}\mathbf{w}) - \mathbf{b})"
    assert not grade(derivation, wrong).correct


def test_without_the_declaration_the_gradient_keeps_its_exponentials():
    derivation = solve(load_problem(EXERCISES / "e23-logistic.yaml"))
    kinds = {e.kind for e in derivation.results[0].expr.atoms(Elementwise)}
    assert kinds == {"exp"}
    assert all("definition" not in s.rule for s in _gradient_steps(derivation))


def test_the_hessian_differentiates_the_named_sigmoid(write):
    path = write("h.yaml", r"""
        title: Logistic Hessian
        variables: {A: {shape: [m, n]}, w: {shape: [n]}}
        functions: {sigma: sigmoid}
        function: '\mathbf{1}^T\log(\mathbf{1} + e^{\mathbf{A}\mathbf{w}})'
        wrt: w
        hessian: true
        answer: '\mathbf{A}^T\sigma(\mathbf{A}\mathbf{w})'
        """)
    derivation = solve(load_problem(path))
    assert derivation.verified
    gradient, hessian = (to_latex(r.expr) for r in derivation.results)
    assert gradient == r"\mathbf{A}^T\sigma(\mathbf{A}\mathbf{w})"
    assert "e^" not in hessian and r"\sigma(\mathbf{A}\mathbf{w})" in hessian


def test_sums_over_samples_and_scalars_name_the_sigmoid(write):
    samples = write("s.yaml", r"""
        title: Logistic loss over samples
        variables:
          x: {shape: [n], index: i}
          y: {shape: [], index: i}
          w: {shape: [n]}
        functions: {s: sigmoid}
        function: '\sum_{i=1}^{N}\log(1 + e^{-y_i\mathbf{w}^T\mathbf{x}_i})'
        wrt: w
        answer: '-\sum_{i=1}^{N} y_i s(-y_i\mathbf{w}^T\mathbf{x}_i)\mathbf{x}_i'
        """)
    scalar = write("t.yaml", r"""
        title: Scalar
        variables: {t: {shape: []}, a: {shape: []}}
        functions: {sigma: sigmoid, zeta: softplus}
        function: '\log(1 + e^{a t})^2'
        wrt: t
        """)
    for path, name in ((samples, "s"), (scalar, r"\sigma")):
        derivation = solve(load_problem(path))
        assert derivation.verified
        result = to_latex(derivation.results[0].expr)
        assert name + "(" in result and "e^" not in result, result
    kinds = {f.kind for f in solve(load_problem(scalar)).results[0].expr.atoms(ScalarFunc)}
    assert kinds == {"sigmoid", "softplus"}


def test_many_exponentials_are_searched_in_bounded_time(write):
    terms = " + ".join(rf"\mathbf{{1}}^T\log(\mathbf{{1}} + e^{{{k}\mathbf{{A}}\mathbf{{w}}}})"
                       for k in range(2, 26))
    path = write("many.yaml", f"""
        title: Many exponentials
        variables: {{A: {{shape: [m, n]}}, w: {{shape: [n]}}}}
        functions: {{sigma: sigmoid}}
        function: '{terms}'
        wrt: w
        """)
    derivation = solve(load_problem(path))   # the batch's time limit bounds it in a build
    assert derivation.verified
    assert "e^" not in to_latex(derivation.results[0].expr)
