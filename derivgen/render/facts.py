"""Prose and LaTeX for the facts a derivation states (``derive/facts.py``).

``fact_prose`` writes a conclusion or remark as a sentence with inline math (safe LaTeX
prose, passed through ``prose.sanitize_prose`` by the documents); ``math_latex`` writes an
expression or one of the display items that are not expressions (``d(\\partial f/\\partial
\\mathbf{X})``, ``f(z)``, ``u + jv``).
"""

from __future__ import annotations

from derivgen.derive.facts import (Analyticity, Convex, Equation, FunctionOf, GradientDifferential,
                                   GradientNamed, HessianAsArray, QuadraticForm, ReadOff,
                                   RealImag, SteepestAscent, WrittenDifferential)
from derivgen.ir.nodes import Gradient, differential_symbol
from derivgen.render.latex import ATOM, LectureLatexPrinter, function_name_latex, is_negative, \
    parenthesized, primes, to_latex


def function_name(scope) -> str:
    """The function's own name in LaTeX (``\\ell``, ``\\mathcal{L}``), ``f`` by default."""
    return getattr(scope, "function_name", None) or "f"


# --- display items ----------------------------------------------------------------------

def _gradient_differential(item: GradientDifferential, scope) -> str:
    f, var = function_name(scope), to_latex(item.var, scope)
    inner = rf"\frac{{\partial {f}}}{{\partial {var}}}"
    return rf"\operatorname{{vec}}\left(d\,{inner}\right)" if item.vec else rf"d\left({inner}\right)"


def _function_of(item: FunctionOf, scope) -> str:
    return f"f({to_latex(item.var, scope)})"


def _real_imag(item: RealImag, scope) -> str:
    if item.v == 0:
        return to_latex(item.u, scope)
    sign, size = ("-", -item.v) if is_negative(item.v) else ("+", item.v)
    return f"{to_latex(item.u, scope)} {sign} j\\,{LectureLatexPrinter(scope).wrap(size, ATOM)}"


def _written_differential(item: WrittenDifferential, scope) -> str:
    return "d" + parenthesized(item.text)


def _equation(item: Equation, scope) -> str:
    return f"{math_latex(item.lhs, scope)} = {math_latex(item.rhs, scope)}"


DISPLAY = {GradientDifferential: _gradient_differential, FunctionOf: _function_of,
           RealImag: _real_imag, Equation: _equation,
           WrittenDifferential: _written_differential}


def math_latex(value, scope) -> str:
    """LaTeX for an expression, a display item, or a LaTeX string as given."""
    if isinstance(value, str):
        return value
    write = DISPLAY.get(type(value))
    return write(value, scope) if write else to_latex(value, scope)


# --- sentences --------------------------------------------------------------------------

def _read_off(fact: ReadOff, scope) -> str:
    """``With $\\partial f/\\partial a = G$, this gives $\\partial f/\\partial W = ...$.``"""
    given = f"${to_latex(Gradient(fact.link), scope)} = {to_latex(fact.gradient, scope)}$"
    read = []
    for target, part, shared in fact.parts:
        name = to_latex(Gradient(target), scope)
        if shared:  # it gets other terms through other paths
            read.append(f"the term ${to_latex(part, scope)}$ of ${name}$")
        else:
            read.append(f"${name} = {to_latex(part, scope)}$")
    return f"With {given}, this gives " + ", ".join(read) + "."


def _quadratic_form(fact: QuadraticForm, scope) -> str:
    dx = to_latex(differential_symbol(fact.var), scope)
    f = function_name(scope)
    return (rf"So $d^2 {f} = ({dx})^T\mathbf{{H}}\,{dx}$ with the (symmetric) Hessian "
            rf"$\mathbf{{H}} = \nabla^2 {f}$ read off above.")


def _gradient_named(fact: GradientNamed, scope) -> str:
    """``Here $s = \\partial f/\\partial x = \\dots$.`` for the names used in the Hessian."""
    var = to_latex(fact.var, scope)
    f = function_name(scope)
    parts = [rf"${to_latex(node, scope)} = \frac{{\partial {f}}}{{\partial {var}}}"
             rf" = {to_latex(node.expr, scope)}$" for node in fact.names]
    return "Here " + ", ".join(parts) + "."


def _hessian_as_array(fact: HessianAsArray, scope) -> str:
    var, f = fact.var, function_name(scope)
    X, dX = to_latex(var, scope), to_latex(differential_symbol(var), scope)
    X = f"[{X}]" if "_" in X else X  # W_1 -> [W_1]_{ij}, not a double subscript
    m, n = to_latex(var.rows), to_latex(var.cols)
    return (rf"So $d^2 {f} = \operatorname{{vec}}({dX})^T\mathbf{{H}}\operatorname{{vec}}({dX})$"
            rf" with the Hessian $\mathbf{{H}}$ above; as the ${m} \times {n} \times {m} "
            rf"\times {n}$ array of the lecture, $[\nabla^2 {f}]_{{ijkl}} = \frac{{\partial^2 {f}}}"
            rf"{{\partial {X}_{{ij}}\,\partial {X}_{{kl}}}} = H_{{i + (j-1){m},\, k + (l-1){m}}}$.")


def _convex(fact: Convex, scope) -> str:
    where = ""
    if fact.conditions:
        names = ", ".join(to_latex(c, scope) for c in fact.conditions)
        where = f" for ${names} \\geq 0$"
    facts = []
    for node in fact.positive:
        name = function_name_latex(node.name)
        known = f"0 < {name}(z) < 1" if (node.kind, node.order) == ("sigmoid", 0) \
            else f"{name}{primes(node.order)}(z) > 0"
        if known not in facts:
            facts.append(known)
    facts = f" (here ${', '.join(facts)}$)" if facts else ""
    others = " with the other variables fixed" if fact.several else ""
    taken = set(getattr(scope, "symbols", {}) or {})
    B = next(letter for letter in "BCMPQRUV" if letter not in taken)  # not a problem's name
    D = next(letter for letter in "DEFGLNT" if letter not in taken)
    return (f"Remark: the Hessian ${to_latex(fact.matrix, scope)}$ is positive semidefinite at "
            f"every point{where}: it is a sum of terms $c\\,\\mathbf{{{B}}}^T\\mathbf{{{D}}}"
            f"\\mathbf{{{B}}}$ (or Kronecker products of such terms) with $c \\geq 0$ and "
            f"$\\mathbf{{{D}}}$ the identity or diagonal with nonnegative entries{facts}. "
            f"So ${function_name(scope)}$ is convex in ${to_latex(fact.var, scope)}${others}{where}.")


def _steepest_ascent(fact: SteepestAscent, scope) -> str:
    wrt, f = to_latex(fact.var, scope), function_name(scope)
    dz = rf"\frac{{\partial {f}}}{{\partial {wrt}}}"
    dzc = rf"\frac{{\partial {f}}}{{\partial {wrt}^*}}"
    pairing = rf"\operatorname{{tr}}\left(\left({dzc}\right)^H d{wrt}\right)" if fact.var.is_Matrix \
        else rf"\left({dzc}\right)^* d{wrt}"
    return (f"Since ${f}$ is real-valued, ${dzc} = \\left({dz}\\right)^*$ (checked "
            f"numerically), so $d{f} = 2\\operatorname{{Re}}\\{{{pairing}\\}}$: "
            f"${dzc}$ is the direction of steepest ascent of ${f}$ in ${wrt}$.")


def _analyticity(fact: Analyticity, scope) -> str:
    def tex(expr):
        return to_latex(expr, scope)

    zt, x, y = tex(fact.z), tex(fact.x), tex(fact.y)
    ux, uy, vx, vy = fact.partials
    p_ux, p_uy, p_vx, p_vy = (rf"\frac{{\partial {f}}}{{\partial {v}}}"
                              for f, v in (("u", x), ("u", y), ("v", x), ("v", y)))
    text = (f"So $u = {tex(fact.u)}$ and $v = {tex(fact.v)}$. The Cauchy--Riemann equations "
            f"${p_ux} = {p_vy}$ and ${p_vx} = -{p_uy}$ compare"
            f"$${p_ux} = {tex(ux)} \\text{{ with }} {p_vy} = {tex(vy)}, \\qquad "
            f"{p_vx} = {tex(vx)} \\text{{ with }} -{p_uy} = {tex(-uy)}.$$")
    dfdzc = rf"\frac{{\partial f}}{{\partial {zt}^*}}"
    dfdz = rf"\frac{{\partial f}}{{\partial {zt}}}"
    text += (f"Together they say that ${dfdzc} = \\frac{{1}}{{2}}\\left(\\frac{{\\partial f}}"
             f"{{\\partial {x}}} + j\\frac{{\\partial f}}{{\\partial {y}}}\\right)$ "
             f"vanishes; here ${dfdzc} = {tex(fact.conjugate_derivative)}$. ")
    if fact.where == "everywhere":
        text += (f"They hold at every ${zt}$, so $f$ is analytic, with "
                 f"$f'({zt}) = {dfdz} = {tex(fact.derivative)}$.")
    elif fact.where == "nowhere":
        text += f"They hold at no ${zt}$: $f$ is complex-differentiable nowhere."
    elif fact.where == "points":
        at = ", ".join(f"${zt} = {tex(p)}$" for p, _ in fact.values)
        values = ", ".join(f"$f'({tex(p)}) = {tex(value)}$" for p, value in fact.values)
        text += (f"They hold only at {at}: $f$ is complex-differentiable there, with "
                 f"{values} (the value of ${dfdz}$), and analytic nowhere.")
    else:
        condition = " or ".join(", ".join(f"${tex(k)} = {tex(val)}$" for k, val in s)
                                for s in fact.conditions) if fact.conditions \
            else f"${dfdzc} = 0$"
        text += (f"They hold only where {condition}: $f$ is complex-differentiable there, "
                 f"with $f'({zt}) = {dfdz}$, and analytic nowhere (no open set).")
    return text


PROSE = {ReadOff: _read_off, QuadraticForm: _quadratic_form, GradientNamed: _gradient_named,
         HessianAsArray: _hessian_as_array, Convex: _convex, SteepestAscent: _steepest_ascent,
         Analyticity: _analyticity}


def fact_prose(fact, scope) -> str:
    """One fact as a sentence (or a few) with inline math."""
    return fact if isinstance(fact, str) else PROSE[type(fact)](fact, scope)


def conclusion_prose(section, scope) -> str:
    """A section's conclusion: its facts' sentences, one after the other."""
    if isinstance(section.conclusion, str):
        return section.conclusion
    return " ".join(fact_prose(fact, scope) for fact in section.conclusion)
