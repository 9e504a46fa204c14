"""The contract's JSON object for ``derivgen solve --json``."""

from __future__ import annotations

from derivgen.model import Derivation
from derivgen.ir.codenames import code_name
from derivgen.ir.sums import Sample, SampleScalar
from derivgen.ir.vec import unnamed
from derivgen.render.facts import math_latex
from derivgen.render.numpy import sample_axes, scope_dims, to_numpy


def derivation_json(derivation: Derivation) -> dict:
    """``{id, title, function, results, steps, verified}`` as in the contract, section 3,
    plus ``names`` (how each variable is spelled in the ``numpy`` code) and ``samples``."""
    scope = derivation.scope
    dims = scope_dims(scope)

    def latex(expr):
        return math_latex(expr, scope)

    result = {
        "id": derivation.problem.id,
        "title": derivation.problem.title,
        "function": {"latex": latex(derivation.function),
                     "numpy": to_numpy(derivation.function, dims)},
        "results": [{"wrt": r.wrt, "order": r.order, "conjugate": r.conjugate,
                     "latex": latex(unnamed(r.expr)), "numpy": to_numpy(r.expr, dims)}
                    for r in derivation.results],
        "steps": [{"rule": step.rule or section.title.lower(), "section": section.title,
                   "latex": latex(step.after)}
                  for section in derivation.sections for step in section.steps],
        "verified": bool(derivation.verified and all(r.verified for r in derivation.results)),
        # each variable's spelling in the numpy code: lambda is lambda_ (a Python keyword)
        "names": {name: code_name(name) for name in scope.symbols},
    }
    samples = samples_json(scope)
    if samples:
        result["samples"] = samples
    return result


def samples_json(scope) -> dict:
    """How to bind each family of samples: one array, the samples along its last axis.

    ``{"x": {"index": "i", "count": "N", "shape": ["n", "N"]}}``: ``x_i`` is ``x[:, [i]]``.
    """
    families = {}
    for name, sym in scope.symbols.items():
        if isinstance(sym, (Sample, SampleScalar)):
            count = scope.counts.get(sym.index)
            axes = sample_axes(sym) + ((count,) if count is not None else ())
            families[name] = {"index": str(sym.index), "count": str(count),
                              "shape": [int(str(a)) if a.is_number or str(a).isdigit()
                                        else str(a) for a in axes]}
    return families
