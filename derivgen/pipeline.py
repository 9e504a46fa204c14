"""The one pipeline every command and the API use: derive, verify, check the answer.

``solve(problem)`` is what ``solve``, ``check``, ``build``, ``grade`` and the exporters call;
nothing is typeset or graded unless it came through here.
"""

from __future__ import annotations

from derivgen.derive.derivation import derive
from derivgen.model import Derivation, Problem
from derivgen.verify.checks import check_answer, verify
from derivgen.verify.facts import checked_facts


def solve(problem: Problem) -> Derivation:
    """Derive ``problem``, verify every step and result numerically, check its ``answer:``;
    raises ``DerivgenError`` on any failure."""
    derivation = verify(derive(problem))
    check_answer(derivation)
    return checked_facts(derivation)
