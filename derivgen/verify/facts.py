"""Facts that are found numerically, after verification: each stated only when it holds.

For complex variables: a real-valued ``f`` has $\\partial f/\\partial Z^* = (\\partial f/
\\partial Z)^*$, the direction of steepest ascent; a function of one complex scalar gets the
Cauchy-Riemann analysis (``derive/analytic.py``), its $u + jv$ and Wirtinger derivatives
checked against $f$ and the verified results at random points.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
from sympy import I

from derivgen.derive.analytic import analyticity_section
from derivgen.derive.facts import SteepestAscent
from derivgen.derive.rules.complex import through_conjugates
from derivgen.derive.wirtinger import conjugation, result_pairs
from derivgen.errors import DerivgenError
from derivgen.model import Derivation
from derivgen.verify.instances import random_instances
from derivgen.verify.numeric import evaluate

#: Relative size of an imaginary part that still counts as zero (f real-valued).
REAL_TOLERANCE = 1e-9
#: Random points at which the Cauchy-Riemann analysis is compared with f.
CHECK_POINTS = 3


def checked_facts(derivation: Derivation) -> Derivation:
    """A verified derivation with the facts that are found numerically added."""
    if not any(spec.complex for spec in derivation.problem.variables.values()):
        return derivation
    conj = conjugation(derivation.scope)
    rewritten = through_conjugates(conj.split(derivation.function), conj, [])
    derivation = replace(derivation, remarks=derivation.remarks + real_valued_facts(derivation))
    section = analyticity_section(derivation, rewritten, conj)
    if section is not None:
        check_analyticity(derivation, section.conclusion[0])
        derivation = replace(derivation, sections=derivation.sections + (section,))
    return derivation


def real_valued_facts(derivation: Derivation) -> tuple:
    """For a real-valued $f$: ``SteepestAscent`` by each complex variable; checked on random
    instances, stated only when it holds."""
    pairs = result_pairs(derivation)
    if not pairs:
        return ()
    for inst in random_instances(derivation):
        value = np.asarray(inst.value(derivation.function, False), dtype=complex)
        if np.abs(value.imag).max() > REAL_TOLERANCE * (1 + np.abs(value).max()):
            return ()
        for plain, starred in pairs:
            a = np.asarray(inst.value(plain.expr, False), dtype=complex)
            b = np.asarray(inst.value(starred.expr, False), dtype=complex)
            if a.size != b.size or not np.allclose(np.conj(a).reshape(b.shape), b,
                                                   rtol=1e-7, atol=1e-9):
                raise DerivgenError(f"verification failed: f is real-valued, but the two "
                                    f"derivatives by {plain.wrt} are not conjugates",
                                    file=derivation.problem.path,
                                    line=derivation.problem.line_of("function"))
    return tuple(SteepestAscent(derivation.scope.symbols[plain.wrt]) for plain, _ in pairs)


def check_analyticity(derivation: Derivation, fact) -> None:
    """$u + jv = f$, and $\\frac12(f_x \\mp jf_y)$ from $u, v$ equal the verified
    $\\partial f/\\partial z$ and $\\partial f/\\partial z^*$, at random points."""
    ux, uy, vx, vy = fact.partials
    wirtinger = [(fact.derivative, ((ux + vy) + I * (vx - uy)) / 2),
                 (fact.conjugate_derivative, ((ux - vy) + I * (vx + uy)) / 2)]
    name = derivation.problem.wrt[0]  # the one complex scalar analysed
    rng = np.random.default_rng(2)
    for _ in range(CHECK_POINTS):
        x0, y0 = rng.uniform(0.5, 1.5, 2)
        point = {fact.x: x0, fact.y: y0}
        env = {name: complex(x0, y0)}
        pairs = [(complex((fact.u + I * fact.v).evalf(subs=point)),
                  evaluate(derivation.function, env, {}))]
        for expr, from_parts in wirtinger:
            pairs.append((complex(from_parts.evalf(subs=point)), evaluate(expr, env, {})))
        for got, want in pairs:
            want = complex(np.asarray(want).reshape(-1)[0])
            if not abs(got - want) <= 1e-8 * (1 + abs(want)):
                raise DerivgenError("verification failed: the Cauchy-Riemann analysis does not "
                                    "match f", file=derivation.problem.path,
                                    line=derivation.problem.line_of("function"))
