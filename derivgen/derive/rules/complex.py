"""Complex rules: conjugates become independent variables; Re, Im and |.| go through them.

Wirtinger calculus treats ``Z`` and ``Z^*`` as independent: once every conjugate of a
complex variable is written with its own symbol ``Z^*`` (``Z^H = (Z^*)^T``), the real
rules hold unchanged over C (they use the plain transpose) and give
$df = tr(A^T dZ) + tr(B^T dZ^*)$.

>>> # Conjugation({z: z_star}).split(Adjoint(z) * A * z)  ->  Transpose(z_star) * A * z
"""

from __future__ import annotations

from sympy import (Abs, Add, Determinant, HadamardPower, HadamardProduct, Identity, Inverse,
                   KroneckerProduct, MatAdd, MatMul, MatPow, MatrixSymbol, Mul, OneMatrix, Pow,
                   Rational, S, Symbol, Trace, Transpose, ZeroMatrix, conjugate, im, re, sqrt)
from sympy.core.function import Function
from sympy.matrices.expressions.adjoint import Adjoint
from sympy.matrices.expressions.diagonal import DiagMatrix

from derivgen.errors import DerivgenError
from derivgen.ir.nodes import AsScalar, Elementwise, ScalarFunc
from derivgen.ir.functions import GENERIC
from derivgen.ir.strategies import tidy
from derivgen.derive.rules.differential import Rule
from derivgen.derive.rules.transpose import transpose_of

REAL_PART = Rule("real part", r"\operatorname{Re}\{z\} = \frac{1}{2}(z + z^*)")
IMAGINARY_PART = Rule("imaginary part", r"\operatorname{Im}\{z\} = \frac{1}{2j}(z - z^*)")
MODULUS_SQUARED = Rule("squared modulus", r"|z|^2 = z\,z^*")
MODULUS = Rule("modulus", r"|z| = \sqrt{z\,z^*}")
WIRTINGER_FORM = Rule("Wirtinger form",
                      r"df = \operatorname{tr}\left(\left(\frac{\partial f}{\partial \mathbf{Z}}"
                      r"\right)^T d\mathbf{Z}\right) + \operatorname{tr}\left(\left(\frac{"
                      r"\partial f}{\partial \mathbf{Z}^*}\right)^T d\mathbf{Z}^*\right)")

#: Nodes whose conjugate is the node of the conjugated operands: $(AB)^* = A^* B^*$, ...
_STRUCTURAL = (Add, Mul, MatAdd, MatMul, HadamardProduct, HadamardPower, KroneckerProduct,
               Transpose, Trace, Determinant, Inverse, MatPow, Pow, AsScalar, DiagMatrix)
#: Real-valued nodes: their own conjugate.
_REAL = (re, im, Abs, Identity, OneMatrix, ZeroMatrix)


class Conjugation:
    """The complex variables of a problem, each paired with its independent conjugate."""

    def __init__(self, pairs: dict):
        self.pairs = {**pairs, **{c: v for v, c in pairs.items()}}

    def is_complex(self, expr) -> bool:
        return bool(expr.has(S.ImaginaryUnit, *self.pairs))

    def of(self, expr):
        """$\\overline{E}$ of a split expression: $(A^T Z)^* = A^T Z^*$, $(jz)^* = -jz^*$."""
        if expr in self.pairs:
            return self.pairs[expr]
        if not self.is_complex(expr) or isinstance(expr, _REAL):
            return expr
        if isinstance(expr, (Elementwise, ScalarFunc)):
            if expr.kind == GENERIC:
                raise DerivgenError(f"the conjugate of the generic function {expr.name} of a "
                                    f"complex argument is not known; name a known kind")
            return type(expr)(expr.name, expr.kind, self.of(expr.arg), expr.order)
        if expr.is_number:
            return expr.conjugate()
        if isinstance(expr, _STRUCTURAL) or (isinstance(expr, Function) and len(expr.args) == 1):
            # functions with real Taylor coefficients (exp, log, sin, ...): f(z)^* = f(z^*)
            return tidy(expr.func(*[self.of(a) for a in expr.args]))
        raise DerivgenError(f"cannot take the conjugate of {type(expr).__name__}: {expr}")

    def split(self, expr):
        """``expr`` with each conjugate written with the conjugate variables.

        $z^H A z \\to (z^*)^T A z$ (printed the same), $\\overline{w} \\to w^*$.
        """
        if isinstance(expr, conjugate):
            return self.of(self.split(expr.args[0]))
        if isinstance(expr, Adjoint):
            return transpose_of(self.of(self.split(expr.arg)))
        if not expr.args or isinstance(expr, (MatrixSymbol, Symbol)):
            return expr
        args = [self.split(a) for a in expr.args]
        if all(a is b for a, b in zip(args, expr.args)):
            return expr
        return tidy(expr.func(*args))


def modulus_squared(expr, conj: Conjugation):
    """$|z|^{2k} = (z z^*)^k$; e.g. $|w|^2 = w\\,w^*$."""
    if not (isinstance(expr, Pow) and isinstance(expr.base, Abs) and expr.exp.is_integer
            and expr.exp.is_even and conj.is_complex(expr.base.args[0])):
        return None
    u = expr.base.args[0]
    return Pow(Mul(u, conj.of(u)), expr.exp / 2)


def modulus(expr, conj: Conjugation):
    """$|z| = \\sqrt{z z^*}$; e.g. $|w| = \\sqrt{w\\,w^*}$."""
    if not (isinstance(expr, Abs) and conj.is_complex(expr.args[0])):
        return None
    u = expr.args[0]
    return sqrt(Mul(u, conj.of(u)))


def real_part(expr, conj: Conjugation):
    """$\\operatorname{Re}\\{z\\} = \\frac{1}{2}(z + z^*)$; e.g. $\\operatorname{Re}\\{w^2\\}
    = \\frac{1}{2}(w^2 + (w^*)^2)$."""
    if not (isinstance(expr, re) and conj.is_complex(expr.args[0])):
        return None
    u = expr.args[0]
    return Mul(Rational(1, 2), Add(u, conj.of(u)), evaluate=False)


def imaginary_part(expr, conj: Conjugation):
    """$\\operatorname{Im}\\{z\\} = \\frac{1}{2j}(z - z^*)$; e.g. $\\operatorname{Im}\\{w\\}
    = \\frac{w - w^*}{2j}$."""
    if not (isinstance(expr, im) and conj.is_complex(expr.args[0])):
        return None
    u = expr.args[0]
    return Mul(Add(u, -conj.of(u)), Pow(2 * S.ImaginaryUnit, -1, evaluate=False),
               evaluate=False)


#: Tried top-down on each node, the first that applies wins: $|z|^2$ before $|z|$.
COMPLEX_RULES = ((modulus_squared, MODULUS_SQUARED), (modulus, MODULUS),
                 (real_part, REAL_PART), (imaginary_part, IMAGINARY_PART))


def through_conjugates(expr, conj: Conjugation, used: list):
    """``expr`` with every Re, Im and |.| of a complex quantity written with conjugates.

    The names of the rules that fired are appended to ``used`` (once each).
    """
    for rule, name in COMPLEX_RULES:
        result = rule(expr, conj)
        if result is not None:
            if name not in used:
                used.append(name)
            return through_conjugates(result, conj, used)
    if not expr.args or isinstance(expr, (MatrixSymbol, Symbol)):
        return expr
    args = [through_conjugates(a, conj, used) for a in expr.args]
    if all(a is b for a, b in zip(args, expr.args)):
        return expr
    return expr.func(*args, evaluate=False) if isinstance(expr, (Mul, Add)) else \
        tidy(expr.func(*args))
