"""Complex differentiability of a function of one complex scalar: the Cauchy-Riemann test.

With $z = x + jy$ and $f = u + jv$, $f$ is complex-differentiable at $z$ exactly where
$u_x = v_y$ and $v_x = -u_y$, that is where $\\partial f/\\partial z^* = \\frac{1}{2}(f_x +
jf_y) = 0$; there $f'(z) = \\partial f/\\partial z$. The section shows $u$, $v$, the four
partial derivatives and where the equations hold (everywhere: analytic; at some points;
nowhere). Every claim is checked numerically against $f$ and the verified Wirtinger
derivatives before it is shown.
"""

from __future__ import annotations

from sympy import I, Symbol, diff, expand_complex, simplify, solve

from derivgen.derive.facts import Analyticity, FunctionOf, RealImag
from derivgen.errors import DerivgenError
from derivgen.model import Section, Step

TITLE = "Complex differentiability"
#: Names for Re z and Im z, the first pair the problem does not use.
PART_NAMES = (("x", "y"), ("xi", "eta"), ("s", "t"))


def analyticity_section(derivation, rewritten, conj) -> Section | None:
    """The Cauchy-Riemann section for ``f(z)`` of one complex scalar ``z``, else None.

    ``rewritten`` is ``f`` with conjugates as variables (``conj``) and no Re, Im, |.|.
    Only a function of ``z`` alone is analysed: with other symbols the answer would depend
    on their values. Its conclusion (an ``Analyticity`` fact) is checked numerically by
    ``verify/facts.py`` before anything is shown.
    """
    problem, scope = derivation.problem, derivation.scope
    if len(problem.wrt) != 1:
        return None
    name = problem.wrt[0]
    z = scope.symbols[name]
    if z.is_Matrix or not scope.specs[name].complex:
        return None
    x, y = _part_symbols(scope)
    g = rewritten.xreplace({z: x + I * y, conj.pairs[z]: x - I * y})  # f(x + jy)
    if not g.free_symbols <= {x, y}:
        return None
    u, v = (simplify(part) for part in expand_complex(g).as_real_imag())
    ux, uy, vx, vy = diff(u, x), diff(u, y), diff(v, x), diff(v, y)
    results = {r.conjugate: r.expr for r in derivation.results}
    in_parts = {z: x + I * y, conj.pairs[z]: x - I * y}
    where = _where_equations_hold(simplify(ux - vy), simplify(vx + uy), x, y,
                                  (g, results[False].xreplace(in_parts)))
    fact = dict(z=z, x=x, y=y, u=u, v=v, partials=(ux, uy, vx, vy),
                derivative=results[False], conjugate_derivative=results[True])
    if where in ("everywhere", "nowhere"):
        fact = Analyticity(**fact, where=where)
    elif isinstance(where, list) and all(set(s) == {x, y} for s in where):
        points = [s[x] + I * s[y] for s in where]
        values = tuple((p, results[False].xreplace({z: p, conj.pairs[z]: p.conjugate()}))
                       for p in points)
        fact = Analyticity(**fact, where="points", values=values)
    else:
        conditions = tuple(tuple(s.items()) for s in where) if where else ()
        fact = Analyticity(**fact, where="conditions", conditions=conditions)
    steps = [Step(f"with {z} = {x} + j{y}", "", derivation.function, g)]
    if g != u + I * v:  # f(x + jy) is not yet written as u + jv
        steps.append(Step("real and imaginary parts", "f = u + jv", g, RealImag(u, v)))
    return Section(TITLE, FunctionOf(z), derivation.function, tuple(steps), conclusion=(fact,))


def _part_symbols(scope):
    for a, b in PART_NAMES:
        if a not in scope.symbols and b not in scope.symbols:
            return Symbol(a, real=True), Symbol(b, real=True)
    raise DerivgenError("no free names for the real and imaginary parts of z")


def _where_equations_hold(first, second, x, y, defined):
    """"everywhere", "nowhere", a list of solution dicts, or None when not decided.

    A point where one of the ``defined`` expressions is not finite (``log z`` at 0) is not
    in the domain and does not count.
    """
    if first == 0 and second == 0:
        return "everywhere"
    if not (first.is_polynomial(x, y) and second.is_polynomial(x, y)):
        return None
    solutions = solve([first, second], [x, y], dict=True)
    real = [s for s in solutions if all(v.is_real for v in s.values())
            and not (set(s) == {x, y} and any(e.subs(s).is_finite is not True
                                              for e in defined))]
    return real if real else "nowhere"
