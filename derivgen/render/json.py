"""The contract's JSON object for ``derivgen solve --json``."""

from __future__ import annotations

from ..model import Derivation
from .numpy import dims_code, to_numpy


def derivation_json(derivation: Derivation) -> dict:
    """``{id, title, function, results, steps, verified}`` as in the contract, section 3."""
    from .latex import to_latex

    scope = derivation.scope
    dims = dims_code(scope.symbols.values())

    def latex(expr):
        return expr if isinstance(expr, str) else to_latex(expr, scope)

    return {
        "id": derivation.problem.id,
        "title": derivation.problem.title,
        "function": {"latex": latex(derivation.function),
                     "numpy": to_numpy(derivation.function, dims)},
        "results": [{"wrt": r.wrt, "order": r.order, "conjugate": r.conjugate,
                     "latex": latex(r.expr), "numpy": to_numpy(r.expr, dims)}
                    for r in derivation.results],
        "steps": [{"rule": step.rule or section.title.lower(), "section": section.title,
                   "latex": latex(step.after)}
                  for section in derivation.sections for step in section.steps],
        "verified": bool(derivation.verified and all(r.verified for r in derivation.results)),
    }
