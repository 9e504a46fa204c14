"""The Python API (contract, section 6): ``derivgen.solve(path_or_dict)``.

    >>> import derivgen
    >>> s = derivgen.solve("problems/01-bilinear-form.yaml")     # doctest: +SKIP
    >>> s.results[0]["latex"], s.numpy["X"]                       # doctest: +SKIP
    ('\\\\mathbf{a}\\\\mathbf{b}^T', 'a @ b.T')

In a notebook a ``Solution`` shows itself as the typeset derivation (``_repr_latex_``).
This is the one way in for the command line's ``solve`` and ``export`` too: everything goes
through ``pipeline.solve``, so nothing reaches a user unverified.  Imports are deferred
(this module is in tests/test_architecture.py's DEFERRING set) so that ``import derivgen``
stays cheap.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from derivgen.errors import DerivgenError


def solve(problem, *, variant: int | None = None, seed: int | None = None) -> "Solution":
    """Derive and verify a problem: a path to a problem file, or a dict of its keys.

    Raises ``DerivgenError`` (``str(err)`` is ``FILE:LINE: message``) when the problem is
    invalid, cannot be derived, fails verification or disagrees with its ``answer:``.
    ``variant``/``seed`` address a per-student variant (contract, section 5); a problem that
    declares no ``variants:`` is the same in every variant.
    """
    from derivgen.pipeline import solve as pipeline_solve
    from derivgen.problem.load import load_problem, load_problem_data
    if variant is not None and isinstance(problem, (str, Path)):
        from derivgen.variants import variant_problem
        loaded = variant_problem(problem, variant, seed or 0)
    elif variant is not None or seed is not None:
        raise DerivgenError("variant= and seed= take the path of a problem file with "
                            "variants:", file=str(problem) if not isinstance(problem, Mapping)
                            else None)
    elif isinstance(problem, Mapping):
        loaded = load_problem_data(dict(problem))
    elif isinstance(problem, (str, Path)):
        loaded = load_problem(problem)
    else:
        raise TypeError(f"solve() takes a path or a dict of a problem's keys, "
                        f"not {type(problem).__name__}")
    try:
        derivation = pipeline_solve(loaded)
    except DerivgenError as err:
        if err.line is None:   # the engine did not know the line: most likely the function
            err.located(line=loaded.line_of("function"))
        if variant is not None:
            from derivgen.variants.draw import in_variant
            err = in_variant(err, variant, loaded.choices)
        raise err.located(file=loaded.path)
    return Solution(derivation)


class Solution:
    """A verified derivation.

    Attributes: ``id``, ``title``, ``results`` (the contract's objects: wrt, order,
    conjugate, latex, numpy), ``function`` ({latex, numpy}), ``steps``, ``verified``,
    ``numpy`` ({variable: NumPy code of its gradient}, plus ``"f"``), ``derivation``
    (the pipeline's ``Derivation``).
    """

    def __init__(self, derivation):
        from derivgen.render.json import derivation_json
        self.derivation = derivation
        data = derivation_json(derivation)
        self._json = data
        self.id = data["id"]
        self.title = data["title"]
        self.function = data.get("function", {})
        self.results = data.get("results", [])
        self.steps = data.get("steps", [])
        self.verified = data.get("verified", False)
        self.numpy = {"f": self.function.get("numpy")}
        self.numpy.update({r["wrt"]: r["numpy"] for r in self.results
                           if r["order"] == 1 and not r["conjugate"]})
        self._exported = None

    def json(self) -> dict:
        """The contract's JSON object (section 3), as ``derivgen solve --json`` prints it."""
        return dict(self._json)

    def exported(self):
        """The problem as every exporter sees it (``derivgen.export.common.Exported``)."""
        if self._exported is None:
            from derivgen.export.common import exported
            self._exported = exported(self.derivation)
        return self._exported

    def latex(self) -> str:
        """The derivation as one LaTeX display (``$$\\begin{aligned}...$$``)."""
        from derivgen.export.common import display_latex
        return display_latex(self.exported())

    def _repr_latex_(self) -> str:
        return self.latex()

    def text(self) -> str:
        """The derivation as ``derivgen solve`` prints it."""
        from derivgen.render.text import derivation_text
        return derivation_text(self.derivation)

    def grade(self, answer: str, wrt: str | None = None, *, reveal: bool = False) -> dict:
        """Judge a student's answer (LaTeX), as ``derivgen grade`` does: the contract's
        ``{correct, score, diagnosis, feedback}``. ``wrt``: the variable (``Z*`` for the
        conjugate of a complex ``Z``), needed when the problem has several derivatives."""
        from derivgen.grade import grade
        return grade(self.derivation, answer, wrt, reveal=reveal).as_dict()

    def __repr__(self) -> str:
        status = "verified" if self.verified else "not verified"
        results = ", ".join(f"d/d{r['wrt']}{'*' if r['conjugate'] else ''}"
                            + ("²" if r["order"] == 2 else "") for r in self.results)
        return f"<derivgen.Solution {self.id!r}: {results} ({status})>"
