"""The lecture's Examples 1-4 and every problem in problems/: derived, verified, textbook form."""

from pathlib import Path

import pytest
from sympy import HadamardProduct, Inverse, MatMul, Transpose

from derivgen.pipeline import solve
from derivgen.ir.nodes import Elementwise
from derivgen.problem.load import load_problem
from derivgen.render.latex import to_latex

PROBLEMS = Path(__file__).resolve().parent.parent / "problems"
FILES = sorted(p for p in PROBLEMS.glob("*.yaml") if p.name != "set.yaml")


def lecture(number):
    """The problem file of the lecture's Example ``number`` (named ``0N-...``)."""
    return solve(load_problem(next(PROBLEMS.glob(f"0{number}-*.yaml"))))


@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
def test_every_problem_derives_verified(path):
    derivation = solve(load_problem(path))  # raises if verification or answer: fails
    assert derivation.verified
    assert all(r.verified for r in derivation.results)
    assert derivation.sections and all(s.steps for s in derivation.sections)


def test_example_1_bilinear_form():
    d = lecture(1)
    s = d.scope.symbols
    assert d.results[0].expr == s["a"] * s["b"].T
    rules = [step.rule for step in d.sections[1].steps]
    assert "cyclic property of the trace" in rules
    # the lecture's chain: tr(a^T dX b) = tr(b a^T dX) = tr((a b^T)^T dX)
    assert d.sections[1].end == d.sections[1].end.func(*d.sections[1].end.args)
    assert to_latex(d.sections[1].end, d.scope).count(r"\operatorname{tr}") == 1


def test_example_2_elementwise_exponential():
    d = lecture(2)
    s = d.scope.symbols
    exp_xb = Elementwise("exp", "exp", s["X"] * s["b"])
    assert d.results[0].expr == MatMul(HadamardProduct(s["a"], exp_xb), s["b"].T)
    assert to_latex(d.results[0].expr, d.scope) == \
        r"(\mathbf{a} \odot e^{\mathbf{X}\mathbf{b}})\mathbf{b}^T"
    assert any(step.rule == "trace of a Hadamard product" for step in d.sections[1].steps)


def test_example_3_symmetric_quadratic_of_sigmoid_layer():
    d = lecture(3)
    s = d.scope.symbols
    sig = Elementwise("sigma", "generic", s["W"] * s["X"])
    dsig = Elementwise("sigma", "generic", s["W"] * s["X"], 1)
    assert d.results[0].expr == MatMul(2, s["W"].T, HadamardProduct(s["M"] * sig, dsig))


def test_example_4_least_squares():
    d = lecture(4)
    s = d.scope.symbols
    residual = s["A"] * s["x"] - s["y"]
    assert d.results[0].expr == MatMul(2, s["A"].T, residual)
    assert to_latex(d.results[0].expr, d.scope).startswith(r"2\mathbf{A}^T")


def test_log_det_is_inverse_transpose():
    path = next(PROBLEMS.glob("*log-det*.yaml"))
    d = solve(load_problem(path))
    X = d.scope.symbols["X"]
    assert d.results[0].expr in (Inverse(Transpose(X)), Transpose(Inverse(X)))
