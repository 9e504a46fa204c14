"""Problems a new user might write (other names, shapes, orders, several variables), one
fixture file per behaviour: each must derive, verify, and agree with its ``answer:``."""

from pathlib import Path

import pytest

from derivgen.pipeline import solve
from derivgen.problem.load import load_problem

FIXTURES = sorted((Path(__file__).parent / "fixtures" / "derive").glob("*.yaml"))


@pytest.mark.parametrize("path", FIXTURES, ids=[p.stem for p in FIXTURES])
def test_fixture_derives_and_verifies(path):
    problem = load_problem(path)
    derivation = solve(problem)  # raises on a failed numerical check or a wrong answer:
    assert derivation.verified
    orders = sorted(r.order for r in derivation.results)
    complex_wrt = sum(problem.variables[name].complex for name in problem.wrt)  # two each
    assert orders == sorted([1] * (len(problem.wrt) + complex_wrt)
                            + ([2] * len(problem.wrt) if problem.hessian else []))


# Formulas the property tests found failing once; each must now derive and verify.
FOUND_BY_PROPERTIES = [
    (r"\operatorname{tr}(\mathbf{S} + \mathbf{S}^T)", ["S"]),
    (r"\operatorname{tr}(\mathbf{A})\mathbf{a}^T\mathbf{A}\mathbf{a}", ["A"]),
    (r"\operatorname{tr}((\mathbf{a}^T\mathbf{A}\mathbf{a})\mathbf{A})", ["A"]),
    (r"\operatorname{tr}(\mathbf{X}^T\mathbf{X})\,\mathbf{a}^T\mathbf{X}\mathbf{b}", ["X"]),
    (r"\|\mathbf{a}\|^2(\mathbf{x}^T\mathbf{x} + t)", ["x", "t"]),
    (r"\|\mathbf{a}\|^2 t\sigma(t)", ["t"]),
    (r"t", ["t"]),
    (r"2t - t", ["t"]),
    (r"\operatorname{tr}(\mathbf{I}_n)\|\mathbf{a}\|^2", ["a"]),
]


@pytest.mark.parametrize("function,wrt", FOUND_BY_PROPERTIES)
def test_formerly_failing_formulas(function, wrt):
    from derivgen.model import Problem, VarSpec
    specs = [VarSpec("a", ("m",)), VarSpec("b", ("n",)), VarSpec("x", ("n",)),
             VarSpec("X", ("m", "n")), VarSpec("A", ("m", "m")), VarSpec("S", ("n", "n")),
             VarSpec("t", ())]
    problem = Problem(path="inline.yaml", id="inline", title="inline", function=function,
                      wrt=wrt, variables={s.name: s for s in specs},
                      functions={"sigma": "sigmoid"})
    assert solve(problem).verified
