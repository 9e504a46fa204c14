"""Problems as instructors take them from textbook exercise lists (The Matrix Cookbook,
Magnus & Neudecker, Boyd & Vandenberghe, Bishop, Goodfellow et al., Hjørungnes), written
in their own LaTeX: each derives, verifies numerically, agrees with its ``answer:``, and
grades its answer right and the negated answer wrong."""

from pathlib import Path

import pytest

import derivgen
from derivgen.pipeline import solve
from derivgen.problem.load import load_problem
from derivgen.render.facts import math_latex
from derivgen.render.prose import restyle_transposes

TEXTBOOK = sorted((Path(__file__).parent / "fixtures" / "textbook").glob("*.yaml"))
WITH_ANSWER = [p for p in TEXTBOOK if "\nanswer: '" in p.read_text(encoding="utf-8")]


def test_the_set_is_the_textbook_list():
    assert len(TEXTBOOK) >= 30 and len(WITH_ANSWER) >= 15


@pytest.mark.parametrize("path", TEXTBOOK, ids=[p.stem for p in TEXTBOOK])
def test_textbook_problem_derives_and_verifies(path):
    problem = load_problem(path)
    derivation = solve(problem)     # raises on a failed numerical check or a wrong answer
    assert derivation.verified and all(r.verified for r in derivation.results)
    complex_wrt = sum(problem.variables[name].complex for name in problem.wrt)
    orders = sorted(r.order for r in derivation.results)
    assert orders == sorted([1] * (len(problem.wrt) + complex_wrt)
                            + ([2] * len(problem.wrt) if problem.hessian else []))


@pytest.mark.parametrize("path", WITH_ANSWER, ids=[p.stem for p in WITH_ANSWER])
def test_the_instructors_answer_grades_right_and_its_negation_wrong(path):
    problem = load_problem(path)
    solution = derivgen.solve(path)
    right = solution.grade(problem.answer, wrt=problem.wrt[0])
    assert right["correct"] and right["score"] == 1, right
    wrong = solution.grade(f"-\\left({problem.answer}\\right)", wrt=problem.wrt[0])
    assert not wrong["correct"] and wrong["diagnosis"] == "sign", wrong


@pytest.mark.parametrize("stem,written", [
    ("t09-pseudo-huber", r"\mathbf{A}^{\top}((\mathbf{A}\mathbf{x} - \mathbf{b}) \odot "),
    ("t16-smooth-lasso", r"\lambda(\mathbf{x} \odot "),
])
def test_a_scalar_leaves_a_hadamard_product(stem, written):
    """(c A) ⊙ B = c (A ⊙ B): the 1/2 of sqrt' meets the 2 of the square (was
    2Aᵀ((Ax - b) ⊙ (1/2 √(...)^⊙-1)))."""
    derivation = solve(load_problem(Path(__file__).parent / "fixtures" / "textbook"
                                    / f"{stem}.yaml"))
    latex = math_latex(derivation.results[0].expr, derivation.scope)
    latex = restyle_transposes(latex, r"\top")
    assert written in latex and r"\frac{1}{2}" not in latex and not latex.startswith("2"), latex


@pytest.mark.parametrize("stem,latex", [
    # a sum a product holds twice keeps its sign (was Σ⁻¹(μ - x)(x - μ)ᵀΣ⁻¹)
    ("t19-mahalanobis", r"-\boldsymbol{\Sigma}^{-1}(\mathbf{x} - \boldsymbol{\mu})"
                        r"(\mathbf{x} - \boldsymbol{\mu})^T\boldsymbol{\Sigma}^{-1}"),
    # the diagonal of an outer product is a Hadamard product (was (x xᵀ ⊙ I)1)
    ("t44-diag", r"\mathbf{x} \odot \mathbf{x}"),
    # a constant leaves a sum over samples (was Σᵢ (-(yᵢσ(-(wᵀxᵢ)yᵢ)xᵢ)/N))
    ("t47-logistic-pm1", r"-\frac{1}{N}\sum_{i=1}^{N} y_i\sigma(-(\mathbf{w}^T\mathbf{x}_i)y_i)"
                         r"\mathbf{x}_i"),
    # a scalar every term has is taken out (was (softmax(Wx/T)/T - y/T)xᵀ)
    ("t54-text-softmax", r"\frac{\biggl(\operatorname{softmax}\Bigl(\frac{\mathbf{W}\mathbf{x}}{T}"
                         r"\Bigr) - \mathbf{y}\biggr)\mathbf{x}^T}{T}"),
    # Hadamard powers of one base merge (was 4(x ⊙ x^⊙2))
    ("t53-circ-power", r"4\mathbf{x}^{\odot 3}"),
])
def test_results_read_in_textbook_form(stem, latex):
    derivation = solve(load_problem(Path(__file__).parent / "fixtures" / "textbook"
                                    / f"{stem}.yaml"))
    assert math_latex(derivation.results[0].expr, derivation.scope) == latex


def test_an_inverse_power_meets_its_base_in_a_hessian():
    """(X²)⁻¹X = X⁻¹ in tr(X⁻¹)'s Hessian (was ((X²)⁻¹X ⊗ ((Xᵀ)²)⁻¹)Kₙₙ + ...)."""
    derivation = solve(load_problem(Path(__file__).parent / "fixtures" / "textbook"
                                    / "t51-trace-inverse-hessian.yaml"))
    hessian = next(r for r in derivation.results if r.order == 2)
    latex = math_latex(hessian.expr, derivation.scope)
    assert r"\mathbf{X}^{-1} \otimes" in latex and r"^{-1}\mathbf{X}" not in latex, latex


def test_a_number_goes_into_a_scalar_sum_it_multiplies():
    """2λ(1/2 - α/2)β reads λ(1 - α)β."""
    derivation = solve(load_problem(Path(__file__).parent / "fixtures" / "textbook"
                                    / "t58-elastic-net-smooth.yaml"))
    latex = math_latex(derivation.results[0].expr, derivation.scope)
    assert latex.endswith(r" + \lambda(1 - \alpha)\boldsymbol{\beta}"), latex
    # and sinh(β) ⊙ cosh(β)^⊙-1, the derivative of log cosh, reads tanh(β)
    assert r"\alpha\lambda\tanh(\boldsymbol{\beta})" in latex and "cosh" not in latex, latex
