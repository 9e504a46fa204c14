"""Known functions recognised by their definitions in a result: $\\frac{e^{u}}{1 + e^{u}} =
\\sigma(u)$, so that a gradient reads
$\\mathbf{A}^T(\\sigma(\\mathbf{A}\\mathbf{w}) - \\mathbf{b})$.

A function is named only when the problem declares it (``functions: {sigma: sigmoid}``) or
applies it itself (``\\tanh``), and by the problem's own name for it.  Each definition is a
rational function of $t = e^{u}$: a part of an expression that depends on $e^{\\pm u}$ is
read as a function of $t$ (entrywise for Hadamard products and powers, which are products
and powers of numbers entry by entry) and compared with the definition exactly (SymPy's
``cancel``), so every spelling of it is found: $e^{u} \\oslash (\\mathbf{1} + e^{u})$,
$(\\mathbf{1} + e^{-u})^{\\odot -1}$, $1/(1 + e^{-u})$, and a number times one of them.
"""

from __future__ import annotations

from dataclasses import dataclass

from sympy import (Add, Dummy, HadamardPower, HadamardProduct, MatAdd, MatMul, Mul, Number,
                   OneMatrix, Pow, Symbol, cancel, exp, log)

from derivgen.derive.facts import Equation
from derivgen.derive.rules.differential import Rule
from derivgen.ir.nodes import Elementwise, ScalarFunc


@dataclass(frozen=True)
class Definition:
    """``kind`` as a rational function ``of(t)`` of $t = e^{u}$ (``log_of`` for a log of one)."""

    kind: str
    name: str                 # the rule's name: "definition of the sigmoid"
    of: object = None         # t -> f(u) as a function of t
    log_of: object = None     # t -> g with f(u) = log(g(t))


def _sigmoid(t):
    """$\\sigma(u) = \\frac{1}{1 + e^{-u}} = \\frac{e^{u}}{1 + e^{u}}$."""
    return t / (1 + t)


def _tanh(t):
    """$\\tanh(u) = \\frac{e^{u} - e^{-u}}{e^{u} + e^{-u}}$."""
    return (t - 1 / t) / (t + 1 / t)


def _softplus(t):
    """$\\operatorname{softplus}(u) = \\log(1 + e^{u})$."""
    return 1 + t


DEFINITIONS = (
    Definition("sigmoid", "definition of the sigmoid", of=_sigmoid),
    Definition("tanh", "definition of tanh", of=_tanh),
    Definition("softplus", "definition of softplus", log_of=_softplus),
)
KINDS = tuple(d.kind for d in DEFINITIONS)


def functions_in_use(declared: dict, *exprs) -> tuple:
    """``((kind, name), ...)`` of the known functions a result may be written with: those
    ``declared`` (``{name: kind}`` of ``functions:``) and those ``exprs`` apply (``\\tanh``)."""
    found = {}
    for name, kind in declared.items():
        if kind in KINDS:
            found.setdefault(kind, name)
    for expr in exprs:
        for node in sorted(expr.atoms(Elementwise, ScalarFunc), key=str):
            if node.kind in KINDS:
                found.setdefault(node.kind, node.name)
    return tuple(sorted(found.items()))


def definition_rule(definition: Definition, name: str) -> Rule:
    """The rule a step names: the definition in the problem's own name of the function."""
    x = Symbol("x")
    value = ScalarFunc(name, definition.kind, x)
    if definition.kind == "sigmoid":
        rhs = Equation(Pow(1 + exp(-x), -1), Mul(exp(x), Pow(1 + exp(x), -1), evaluate=False))
    elif definition.kind == "tanh":
        rhs = Mul(exp(x) - exp(-x), Pow(exp(x) + exp(-x), -1), evaluate=False)
    else:
        rhs = log(1 + exp(x))
    return Rule(definition.name, Equation(value, rhs))


def name_known_functions(expr, functions) -> tuple:
    """``(expr', rules)``: each part of ``expr`` that is the definition of one of
    ``functions`` (``((kind, name), ...)``) written as that function, largest parts first;
    ``rules`` names the definitions used."""
    table = [(d, dict(functions)[d.kind]) for d in DEFINITIONS if d.kind in dict(functions)]
    if not table:
        return expr, []
    used: list = []
    named = _top_down(expr, table, used)
    return named, [definition_rule(d, name) for d, name in table if d in used]


def _top_down(expr, table, used):
    """Name what ``expr`` is as a whole (again, while a sum still holds another definition),
    then what its parts are; a part without exponentials is left as it is."""
    if not _exponents(expr):
        return expr
    while True:
        found = next(((definition, named) for definition, name in table
                      for named in [_named(expr, definition, name)] if named is not None), None)
        if found is None:
            break
        used.append(found[0])
        expr = found[1]
    if not getattr(expr, "args", ()) or expr.is_Atom:
        return expr
    args = [_top_down(a, table, used) for a in expr.args]
    if all(a is b for a, b in zip(args, expr.args)):
        return expr
    rebuilt = expr.func(*args)
    return rebuilt.doit(deep=False) if isinstance(rebuilt, (MatAdd, MatMul)) else rebuilt


# --- one node: its part that depends on e^{±u}, read as a function of t --------------------

def _exponents(expr):
    """The ``u`` of each $e^{\\pm u}$ in ``expr``, each once, the sign taken out."""
    found = {}
    for node in expr.atoms(Elementwise, exp):
        if isinstance(node, Elementwise) and (node.kind != "exp" or node.order != 0):
            continue
        arg = node.arg if isinstance(node, Elementwise) else node.args[0]
        found.setdefault(_unsigned(arg), None)
    return sorted(found, key=str)


def _unsigned(arg):
    negated = _negated(arg)
    return negated if _has_minus(arg) else arg


def _has_minus(arg) -> bool:
    if isinstance(arg, MatMul):
        return bool(arg.as_coeff_matrices()[0].could_extract_minus_sign())
    return not arg.is_Matrix and arg.could_extract_minus_sign()


def _negated(arg):
    if isinstance(arg, MatMul):
        coeff, matrices = arg.as_coeff_matrices()
        return MatMul(-coeff, *matrices).doit(deep=False)
    return MatMul(-1, arg).doit(deep=False) if arg.is_Matrix else -arg


def _named(expr, definition, name):
    """``expr`` with its part that is ``definition`` at some ``u`` named, or None."""
    for u in _exponents(expr):
        t = Dummy("t", positive=True)
        if definition.log_of is not None:
            found = _named_log(expr, definition, name, u, t)
        else:
            found = _named_ratio(expr, definition, name, u, t)
        if found is not None:
            return found
    return None


def _named_log(expr, definition, name, u, t):
    """$\\log(g(e^{u})) = f(u)$ (or $f(-u)$) for the whole node ``expr``."""
    if isinstance(expr, Elementwise) and expr.kind == "log" and expr.order == 0:
        inner, make = _entrywise(expr.arg, u, t), Elementwise
    elif isinstance(expr, log):
        inner, make = _scalar(expr.args[0], u, t), ScalarFunc
    else:
        return None
    if inner is None:
        return None
    for sign, target in ((1, definition.log_of(t)), (-1, definition.log_of(1 / t))):
        if cancel(inner - target) == 0:
            return make(name, definition.kind, u if sign == 1 else _negated(u))
    return None


def _named_ratio(expr, definition, name, u, t):
    """A product or sum whose factors (terms) that are functions of $e^{u}$ make
    $c f(\\pm u)$ for a number $c$; its other factors (terms) are kept."""
    if isinstance(expr, (HadamardProduct, MatAdd, HadamardPower)) or (
            isinstance(expr, MatMul) and len(expr.as_coeff_matrices()[1]) == 1):
        read, make = _entrywise, Elementwise
    elif isinstance(expr, (Mul, Add, Pow)) and not expr.is_Matrix:
        read, make = _scalar, ScalarFunc
    else:
        return None
    combine = {HadamardProduct: Mul, Mul: Mul, MatAdd: Add, Add: Add}.get(type(expr))
    parts = list(expr.args) if combine else [expr]
    # the factors (terms) that are functions of t; the others stay as they are
    read_parts = [(p, read(p, u, t)) for p in parts if _holds(p, u)]
    holding = [p for p, piece in read_parts if piece is not None]
    if not holding:
        return None
    value = (combine or Mul)(*[piece for _, piece in read_parts if piece is not None])
    for sign, target in ((1, definition.of(t)), (-1, definition.of(1 / t))):
        ratio = cancel(value / target)
        if ratio.is_Number and ratio != 0:
            named = make(name, definition.kind, u if sign == 1 else _negated(u))
            scaled = named if ratio == 1 else (
                MatMul(ratio, named) if named.is_Matrix else ratio * named)
            return _rebuilt(expr, [p for p in parts if p not in holding], scaled, combine)
    return None


def _rebuilt(expr, rest, named, combine):
    if not rest:
        return named
    if isinstance(expr, HadamardProduct):
        return HadamardProduct(*rest, named)
    if isinstance(expr, MatAdd):
        return MatAdd(*rest, named).doit(deep=False)
    return expr.func(*rest, named)


def _holds(expr, u) -> bool:
    """Whether ``expr`` holds $e^{u}$ or $e^{-u}$."""
    for node in expr.atoms(Elementwise, exp):
        arg = node.arg if isinstance(node, Elementwise) else node.args[0]
        if (not isinstance(node, Elementwise) or (node.kind == "exp" and node.order == 0)) \
                and _unsigned(arg) == u:
            return True
    return False


def _entrywise(expr, u, t):
    """An entrywise matrix expression as the number each entry is, $e^{\\pm u} \\to t^{\\pm 1}$;
    None when it holds anything but numbers, ones and $e^{\\pm u}$ (a matrix product, ...)."""
    if isinstance(expr, Elementwise):
        if expr.kind == "exp" and expr.order == 0:
            return t if expr.arg == u else 1 / t if expr.arg == _negated(u) else None
        return None
    if isinstance(expr, OneMatrix):
        return Number(1)
    if isinstance(expr, (HadamardProduct, MatAdd)):
        parts = [_entrywise(a, u, t) for a in expr.args]
        if any(p is None for p in parts):
            return None
        return (Mul if isinstance(expr, HadamardProduct) else Add)(*parts)
    if isinstance(expr, HadamardPower):
        base = _entrywise(expr.base, u, t)
        return None if base is None or not _small(expr.exp) else Pow(base, expr.exp)
    if isinstance(expr, MatMul):
        coeff, matrices = expr.as_coeff_matrices()
        if len(matrices) != 1 or not coeff.is_Number:
            return None
        inner = _entrywise(matrices[0], u, t)
        return None if inner is None else coeff * inner
    return None


def _small(exponent) -> bool:
    """A power a definition may hold ($(1 + e^{u})^{-1}$): a whole number up to 4, so that
    ``cancel`` never multiplies out $(1 + t)^{-100000}$."""
    return exponent.is_Integer and abs(exponent) <= 4


def _scalar(expr, u, t):
    """A scalar expression with $e^{\\pm u} \\to t^{\\pm 1}$; None when $u$ is left elsewhere."""
    if isinstance(expr, exp):
        arg = expr.args[0]
        return t if arg == u else 1 / t if arg == _negated(u) else None
    if isinstance(expr, (Add, Mul)):
        parts = [_scalar(a, u, t) for a in expr.args]
        return None if any(p is None for p in parts) else expr.func(*parts)
    if isinstance(expr, Pow):
        base = _scalar(expr.base, u, t)
        return None if base is None or not _small(expr.exp) else Pow(base, expr.exp)
    if not expr.is_Matrix and not _holds(expr, u):
        return expr   # a factor free of t (a label y_i): the match below decides
    return None
