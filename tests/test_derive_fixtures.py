"""Problems a new user might write (other names, shapes, orders, several variables), one
fixture file per behaviour: each must derive, verify, and agree with its ``answer:``."""

from pathlib import Path

import pytest

from derivgen.engine import derive
from derivgen.problem import load_problem

FIXTURES = sorted((Path(__file__).parent / "fixtures" / "derive").glob("*.yaml"))


@pytest.mark.parametrize("path", FIXTURES, ids=[p.stem for p in FIXTURES])
def test_fixture_derives_and_verifies(path):
    problem = load_problem(path)
    derivation = derive(problem)  # raises on a failed numerical check or a wrong answer:
    assert derivation.verified
    orders = sorted(r.order for r in derivation.results)
    assert orders == sorted([1] * len(problem.wrt) + ([2] * len(problem.wrt)
                                                      if problem.hessian else []))
