"""Complex variables: both Wirtinger derivatives, checked entry by entry against finite
differences along the real and imaginary parts; Cauchy-Riemann for scalar functions; JSON."""

from pathlib import Path

import numpy as np
import pytest
from sympy import Rational

from derivgen.derive.analytic import TITLE as ANALYTICITY
from derivgen.pipeline import solve
from derivgen.errors import DerivgenError
from derivgen.problem.load import load_problem
from derivgen.render.facts import conclusion_prose, fact_prose
from derivgen.render.json import derivation_json
from derivgen.render.latex import to_latex
from derivgen.verify.checks import verify

PROBLEMS = Path(__file__).resolve().parent.parent / "problems"

HEADER = """title: t
variables:
  A: {shape: [m, m], complex: true}
  B: {shape: [m, m]}
  Z: {shape: [m, n], complex: true}
  W: {shape: [m, m], complex: true}
  z: {shape: [m], complex: true}
  a: {shape: [m], complex: true}
  w: {shape: [], complex: true}
  c: {shape: [], complex: true}
"""

#: (function, wrt): what a new user builds from the lecture's rules.
CASES = [
    (r"\|\mathbf{A}\mathbf{z} - \mathbf{a}\|_2^2", "z"),
    (r"\mathbf{z}^H \mathbf{A} \mathbf{z}", "z"),
    (r"\mathbf{z}^H \mathbf{B} \mathbf{z}", "z"),
    (r"\operatorname{Re}\{\mathbf{a}^H \mathbf{z}\}", "z"),
    (r"\operatorname{Im}\{\mathbf{a}^H \mathbf{z}\}", "z"),
    (r"|\mathbf{a}^H\mathbf{z}|^2", "z"),
    (r"\log(\mathbf{z}^H\mathbf{z})", "z"),
    (r"\operatorname{tr}(\mathbf{Z}^H \mathbf{A}^H \mathbf{A} \mathbf{Z})", "Z"),
    (r"\|\mathbf{Z}\|_F^2", "Z"),
    (r"\operatorname{tr}(\mathbf{W}^H \mathbf{W} \mathbf{W}^H \mathbf{W})", "W"),
    (r"\log\det(\mathbf{W}^H\mathbf{W})", "W"),
    (r"|\det(\mathbf{W})|^2", "W"),
    (r"\operatorname{tr}(\mathbf{W}^{-1}\mathbf{A})", "W"),
    (r"\mathbf{z}^H \mathbf{A} \mathbf{z}", "[z, A]"),
    (r"c w^2 + \overline{c}\, w", "w"),
    (r"w^* w^2 + \operatorname{Im}\{w\}", "w"),
]


@pytest.fixture
def write(tmp_path):
    def write(text, name="p.yaml"):
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        return path
    return write


def problem(write, function, wrt, extra=""):
    return load_problem(write(HEADER + f"function: '{function}'\nwrt: {wrt}\n" + extra))


def _numbers(derivation, rng):
    """Random complex values; square matrices near I so that inverses are tame."""
    sizes = {s: int(rng.integers(2, 4)) for s in derivation.scope.dims.values()}
    values = {}
    for name, sym in derivation.scope.symbols.items():
        shape = tuple(int(sizes.get(d, d)) for d in getattr(sym, "shape", ()))
        value = rng.standard_normal(shape or None) + \
            (1j * rng.standard_normal(shape or None) if derivation.scope.specs[name].complex
             else 0)
        if len(shape) == 2 and shape[0] == shape[1]:
            value = np.eye(shape[0]) + 0.3 * value
        values[name] = value
    return values


def _wirtinger_by_differences(f, values, name, h=1e-6):
    """$\\partial f/\\partial Z_{ij} = \\frac12(f_x - jf_y)$, $\\partial f/\\partial Z^*_{ij}
    = \\frac12(f_x + jf_y)$ by central differences along each entry's real and imaginary part."""
    base = np.asarray(values[name], dtype=complex)
    plain, starred = np.zeros_like(base), np.zeros_like(base)
    for index in np.ndindex(base.shape):
        partials = []
        for step in (h, 1j * h):
            shifted = []
            for sign in (1, -1):
                moved = base.copy()
                moved[index] += sign * step
                shifted.append(complex(np.asarray(f({**values, name: moved})).reshape(-1)[0]))
            partials.append((shifted[0] - shifted[1]) / (2 * h))
        fx, fy = partials
        plain[index], starred[index] = (fx - 1j * fy) / 2, (fx + 1j * fy) / 2
    return plain, starred


@pytest.mark.parametrize("function, wrt", CASES, ids=[f"{f} by {w}" for f, w in CASES])
def test_both_wirtinger_derivatives_match_finite_differences(write, function, wrt):
    derivation = solve(problem(write, function, wrt))
    assert derivation.verified
    data = derivation_json(derivation)

    def run(code, values):
        return eval(code, {"np": np}, dict(values))  # noqa: S307 -- the program's own output

    rng = np.random.default_rng(7)
    values = _numbers(derivation, rng)
    for result in data["results"]:
        name = result["wrt"]
        if not derivation.scope.specs[name].complex:
            continue
        plain, starred = _wirtinger_by_differences(
            lambda env: run(data["function"]["numpy"], env), values, name)
        expected = starred if result["conjugate"] else plain
        got = np.asarray(run(result["numpy"], values), dtype=complex)
        got = np.broadcast_to(got, expected.shape) if got.size == 1 else got.reshape(expected.shape)
        assert np.allclose(got, expected, rtol=1e-5, atol=1e-6), (result, got, expected)
    conjugates = [r["conjugate"] for r in data["results"] if derivation.scope.specs[r["wrt"]].complex]
    assert conjugates.count(True) == conjugates.count(False) >= 1


def test_swapped_wirtinger_derivatives_fail_verification(write):
    from dataclasses import replace

    derivation = solve(problem(write, r"\mathbf{z}^H \mathbf{A} \mathbf{z}", "z"))
    plain, starred = derivation.results
    swapped = (replace(plain, expr=starred.expr), replace(starred, expr=plain.expr))
    with pytest.raises(DerivgenError, match="verification failed"):
        verify(replace(derivation, results=swapped, verified=False))


def test_differential_shows_dz_and_dz_conjugate_step_by_step(write):
    derivation = solve(problem(write, r"\mathbf{z}^H \mathbf{A} \mathbf{z}", "z"))
    differential, trace = derivation.sections[:2]
    assert r"(d\mathbf{z})^H" in to_latex(differential.end, derivation.scope)
    end = to_latex(trace.end, derivation.scope)
    assert r"d\mathbf{z}^*" in end and r"\,d\mathbf{z})" in end
    assert trace.steps[-1].rule == "Wirtinger form"
    assert [to_latex(r.expr, derivation.scope) for r in derivation.results] == \
        [r"\mathbf{A}^T\mathbf{z}^*", r"\mathbf{A}\mathbf{z}"]


def test_real_part_is_rewritten_through_the_conjugate(write):
    derivation = solve(problem(write, r"\operatorname{Re}\{w\}", "w"))
    first = derivation.sections[0].steps[0]
    assert first.rule == "real part"
    assert to_latex(first.after, derivation.scope) == r"d\Bigl(\frac{1}{2}(w^* + w)\Bigr)"
    assert [r.expr for r in derivation.results] == [Rational(1, 2), Rational(1, 2)]


def test_real_valued_f_states_the_conjugate_relation_and_steepest_ascent(write):
    least_squares = solve(load_problem(PROBLEMS / "30-complex-least-squares.yaml"))
    remarks = [fact_prose(r, least_squares.scope) for r in least_squares.remarks]
    assert any("steepest ascent" in r and "real-valued" in r for r in remarks)
    general = solve(problem(write, r"\mathbf{z}^H \mathbf{A} \mathbf{z}", "z"))
    assert not general.remarks  # complex-valued: df/dz* is not (df/dz)*


def _analyticity(derivation):
    return next(s for s in derivation.sections if s.title == ANALYTICITY)


def _analyticity_prose(derivation):
    return conclusion_prose(_analyticity(derivation), derivation.scope)


def test_square_is_analytic_with_derivative_2z():
    derivation = solve(load_problem(PROBLEMS / "34-analytic-square.yaml"))
    conclusion = _analyticity_prose(derivation)
    assert "u = x^{2} - y^{2}" in conclusion and "v = 2 x y" in conclusion
    assert "at every $z$" in conclusion and "f'(z)" in conclusion
    assert "= 2 z$" in conclusion
    assert [to_latex(r.expr) for r in derivation.results] == ["2 z", "0"]


def test_conjugate_is_complex_differentiable_nowhere():
    derivation = solve(load_problem(PROBLEMS / "35-conjugate-nowhere.yaml"))
    conclusion = _analyticity_prose(derivation)
    assert "u = x" in conclusion and "v = -y" in conclusion
    assert "at no $z$" in conclusion and "nowhere" in conclusion
    assert [to_latex(r.expr) for r in derivation.results] == ["0", "1"]


def test_squared_modulus_is_complex_differentiable_only_at_zero():
    derivation = solve(load_problem(PROBLEMS / "36-squared-modulus.yaml"))
    conclusion = _analyticity_prose(derivation)
    assert "u = x^{2} + y^{2}" in conclusion and "v = 0" in conclusion
    assert "only at $z = 0$" in conclusion and "f'(0) = 0" in conclusion
    assert "analytic nowhere" in conclusion


def test_a_pole_is_not_a_point_of_complex_differentiability(write):
    derivation = solve(problem(write, r"\log(w) + w \overline{w}", "w"))
    assert "at no $w$" in _analyticity_prose(derivation)


def test_json_has_both_results_and_numpy_that_takes_complex_arrays():
    derivation = solve(load_problem(PROBLEMS / "31-complex-quadratic-form.yaml"))
    data = derivation_json(derivation)
    assert [(r["wrt"], r["order"], r["conjugate"]) for r in data["results"]] == \
        [("z", 1, False), ("z", 1, True)]
    assert data["results"][0]["numpy"] == "(A.T @ np.conj(z))"
    rng = np.random.default_rng(3)
    A = rng.standard_normal((3, 3)) + 1j * rng.standard_normal((3, 3))
    z = rng.standard_normal((3, 1)) + 1j * rng.standard_normal((3, 1))
    env = {"A": A, "z": z}
    assert np.allclose(eval(data["results"][0]["numpy"], {"np": np}, env), A.T @ z.conj())
    assert np.allclose(eval(data["results"][1]["numpy"], {"np": np}, env), A @ z)
    assert np.isclose(complex(eval(data["function"]["numpy"], {"np": np}, env).item()),
                      complex((z.conj().T @ A @ z).item()))
    assert data["verified"] is True


def test_answer_conjugate_is_checked(write):
    extra = "answer: '\\mathbf{A}^T\\mathbf{z}^*'\nanswer_conjugate: '\\mathbf{A}^H\\mathbf{z}'\n"
    with pytest.raises(DerivgenError, match=r"answer_conjugate: .* disagrees .*∂f/∂z\*"):
        solve(problem(write, r"\mathbf{z}^H \mathbf{A} \mathbf{z}", "z", extra))


def test_answer_conjugate_needs_a_complex_variable(write):
    text = ("title: t\nvariables: {x: {shape: [n]}}\nfunction: '\\mathbf{x}^T\\mathbf{x}'\n"
            "wrt: x\nanswer_conjugate: '0'\n")
    with pytest.raises(DerivgenError, match="answer_conjugate: .*no complex variable"):
        solve(load_problem(write(text)))
