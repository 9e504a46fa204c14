"""Complex differentiability of a function of one complex scalar: the Cauchy-Riemann test.

With $z = x + jy$ and $f = u + jv$, $f$ is complex-differentiable at $z$ exactly where
$u_x = v_y$ and $v_x = -u_y$, that is where $\\partial f/\\partial z^* = \\frac{1}{2}(f_x +
jf_y) = 0$; there $f'(z) = \\partial f/\\partial z$. The section shows $u$, $v$, the four
partial derivatives and where the equations hold (everywhere: analytic; at some points;
nowhere). Every claim is checked numerically against $f$ and the verified Wirtinger
derivatives before it is shown.
"""

from __future__ import annotations

import numpy as np
from sympy import I, Symbol, diff, expand_complex, simplify, solve

from derivgen.errors import DerivgenError
from derivgen.model import Section, Step
from derivgen.render.latex import ATOM, LectureLatexPrinter, is_negative, to_latex
from derivgen.verify.numeric import evaluate

TITLE = "Complex differentiability"
#: Names for Re z and Im z, the first pair the problem does not use.
PART_NAMES = (("x", "y"), ("xi", "eta"), ("s", "t"))
CHECK_POINTS = 3


def analyticity_section(derivation, rewritten, conj) -> Section | None:
    """The Cauchy-Riemann section for ``f(z)`` of one complex scalar ``z``, else None.

    ``rewritten`` is ``f`` with conjugates as variables (``conj``) and no Re, Im, |.|.
    Only a function of ``z`` alone is analysed: with other symbols the answer would depend
    on their values.
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
    _check(derivation, name, g, u, v, (ux, uy, vx, vy), results, x, y)
    in_parts = {z: x + I * y, conj.pairs[z]: x - I * y}
    where = _where_equations_hold(simplify(ux - vy), simplify(vx + uy), x, y,
                                  (g, results[False].xreplace(in_parts)))

    def tex(expr):
        return to_latex(expr, scope)

    zt = tex(z)
    steps = [Step(f"with {zt} = {tex(x)} + j{tex(y)}", "", derivation.function, g)]
    sign, size = ("-", -v) if is_negative(v) else ("+", v)
    parts = f"{tex(u)} {sign} j\\,{LectureLatexPrinter(scope).wrap(size, ATOM)}" if v != 0 \
        else tex(u)
    if _spaceless(parts) != _spaceless(tex(g)):
        steps.append(Step("real and imaginary parts", "f = u + jv", g, parts))
    partial = {k: rf"\frac{{\partial {k[0]}}}{{\partial {k[1]}}}" for k in
               (("u", tex(x)), ("u", tex(y)), ("v", tex(x)), ("v", tex(y)))}
    p_ux, p_uy, p_vx, p_vy = partial.values()
    text = (f"So $u = {tex(u)}$ and $v = {tex(v)}$. The Cauchy--Riemann equations "
            f"${p_ux} = {p_vy}$ and ${p_vx} = -{p_uy}$ compare"
            f"$${p_ux} = {tex(ux)} \\text{{ with }} {p_vy} = {tex(vy)}, \\qquad "
            f"{p_vx} = {tex(vx)} \\text{{ with }} -{p_uy} = {tex(-uy)}.$$")
    dfdzc = rf"\frac{{\partial f}}{{\partial {zt}^*}}"
    dfdz = rf"\frac{{\partial f}}{{\partial {zt}}}"
    text += (f"Together they say that ${dfdzc} = \\frac{{1}}{{2}}\\left(\\frac{{\\partial f}}"
             f"{{\\partial {tex(x)}}} + j\\frac{{\\partial f}}{{\\partial {tex(y)}}}\\right)$ "
             f"vanishes; here ${dfdzc} = {tex(results[True])}$. ")
    if where == "everywhere":
        text += (f"They hold at every ${zt}$, so $f$ is analytic, with "
                 f"$f'({zt}) = {dfdz} = {tex(results[False])}$.")
    elif where == "nowhere":
        text += f"They hold at no ${zt}$: $f$ is complex-differentiable nowhere."
    elif isinstance(where, list) and all(set(s) == {x, y} for s in where):
        points = [s[x] + I * s[y] for s in where]
        at = ", ".join(f"${zt} = {tex(p)}$" for p in points)
        values = ", ".join(f"$f'({tex(p)}) = {tex(results[False].xreplace({z: p, conj.pairs[z]: p.conjugate()}))}$"
                           for p in points)
        text += (f"They hold only at {at}: $f$ is complex-differentiable there, with "
                 f"{values} (the value of ${dfdz}$), and analytic nowhere.")
    else:
        condition = " or ".join(", ".join(f"${tex(k)} = {tex(val)}$" for k, val in s.items())
                                for s in where) if where else f"${dfdzc} = 0$"
        text += (f"They hold only where {condition}: $f$ is complex-differentiable there, "
                 f"with $f'({zt}) = {dfdz}$, and analytic nowhere (no open set).")
    return Section(TITLE, f"f({zt})", derivation.function, tuple(steps), conclusion=text)


def _spaceless(latex: str) -> str:
    return latex.replace("\\,", "").replace(" ", "")


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


def _check(derivation, name, g, u, v, partials, results, x, y):
    """$u + jv = f$, and $\\frac12(f_x \\mp jf_y)$ from $u, v$ equal the verified
    $\\partial f/\\partial z$ and $\\partial f/\\partial z^*$, at random points."""
    ux, uy, vx, vy = partials
    wirtinger = {False: ((ux + vy) + I * (vx - uy)) / 2, True: ((ux - vy) + I * (vx + uy)) / 2}
    rng = np.random.default_rng(2)
    for _ in range(CHECK_POINTS):
        x0, y0 = rng.uniform(0.5, 1.5, 2)
        point = {x: x0, y: y0}
        env = {name: complex(x0, y0)}
        pairs = [(complex((u + I * v).evalf(subs=point)), evaluate(derivation.function, env, {}))]
        for conjugate, expr in results.items():
            pairs.append((complex(wirtinger[conjugate].evalf(subs=point)),
                          evaluate(expr, env, {})))
        for got, want in pairs:
            want = complex(np.asarray(want).reshape(-1)[0])
            if not abs(got - want) <= 1e-8 * (1 + abs(want)):
                raise DerivgenError("verification failed: the Cauchy-Riemann analysis does not "
                                    "match f", file=derivation.problem.path,
                                    line=derivation.problem.line_of("function"))
