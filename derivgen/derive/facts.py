"""What a derivation states besides its equalities, as data: section conclusions, remarks,
and the few display items that are not expressions of the IR.

The derive stage finds these; ``render/facts.py`` writes them as prose or LaTeX. Each holds
expressions of the IR (or small tuples of them), never LaTeX or sentences.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


# --- conclusions of sections ------------------------------------------------------------

@dataclass(frozen=True)
class ReadOff:
    """A chain-rule section read off: with $\\partial f/\\partial U = G$, the definition of
    ``link`` gives each part (``target``, ``part``, ``shared``); a shared target gets more
    terms through other paths, so its part is one term of its gradient."""

    link: Any
    gradient: Any
    parts: tuple   # ((target, part, shared), ...)


@dataclass(frozen=True)
class QuadraticForm:
    """$d^2 f = (d\\mathbf{x})^T\\mathbf{H}\\,d\\mathbf{x}$ with the Hessian read off above."""

    var: Any


@dataclass(frozen=True)
class GradientNamed:
    """The names (``vec.Named``) used in a Hessian: $\\mathbf{s} = \\partial f/\\partial
    \\mathbf{x} = \\dots$."""

    var: Any
    names: tuple


@dataclass(frozen=True)
class HessianAsArray:
    """$d^2 f = \\operatorname{vec}(d\\mathbf{X})^T\\mathbf{H}\\operatorname{vec}(d\\mathbf{X})$,
    and $\\mathbf{H}$ as the lecture's $m \\times n \\times m \\times n$ array."""

    var: Any


@dataclass(frozen=True)
class Analyticity:
    """The Cauchy-Riemann analysis of $f(z)$, $z = x + jy$, $f = u + jv$.

    ``where`` is ``"everywhere"``, ``"nowhere"``, ``points`` (``values``: ``(p, f'(p))``),
    or ``"conditions"`` (``conditions``: tuples of ``(symbol, value)``, empty when unknown).
    """

    z: Any
    x: Any
    y: Any
    u: Any
    v: Any
    partials: tuple          # (u_x, u_y, v_x, v_y)
    derivative: Any          # the verified df/dz
    conjugate_derivative: Any  # the verified df/dz*
    where: str
    values: tuple = ()
    conditions: tuple = ()


# --- remarks ----------------------------------------------------------------------------

@dataclass(frozen=True)
class Convex:
    """The Hessian ``matrix`` is PSD by its form: a sum of $c\\,B^TDB$ terms (or Kronecker
    products of them), so $f$ is convex in ``var`` where each scalar in ``conditions`` is
    $\\geq 0$; ``positive`` holds the elementwise functions whose sign the form relies on."""

    matrix: Any
    var: Any
    conditions: tuple
    positive: tuple
    several: bool = False


@dataclass(frozen=True)
class SteepestAscent:
    """For a real-valued $f$ (checked numerically): $\\partial f/\\partial Z^* =
    (\\partial f/\\partial Z)^*$, the direction of steepest ascent."""

    var: Any


# --- display items that are not expressions ---------------------------------------------

@dataclass(frozen=True)
class GradientDifferential:
    """$d(\\partial f/\\partial \\mathbf{X})$, or its ``vec``: the left side of a second
    differential."""

    var: Any
    vec: bool = False


@dataclass(frozen=True)
class FunctionOf:
    """$f(z)$: the left side of the Cauchy-Riemann section."""

    var: Any


@dataclass(frozen=True)
class RealImag:
    """$u + jv$ with ``u`` and ``v`` real, kept apart (SymPy would merge them back)."""

    u: Any
    v: Any


@dataclass(frozen=True)
class Equation:
    """``lhs = rhs`` in the problem's own symbols: an identity as the step uses it
    ($d\\ell = \\operatorname{tr}((\\partial\\ell/\\partial\\mathbf{W})^T d\\mathbf{W})$)."""

    lhs: Any
    rhs: Any


@dataclass(frozen=True)
class WrittenDifferential:
    """$d(\\cdot)$ of the function as the problem file writes it (``text``, its order of
    terms and factors kept); ``expr`` is the same as an expression."""

    text: str
    expr: Any
