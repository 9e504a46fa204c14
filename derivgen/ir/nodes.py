"""The expression IR: SymPy matrix expressions plus the few nodes SymPy lacks.

Variables are ``MatrixSymbol`` (a vector of length m is ``m x 1``) or, for scalars, a real
``Symbol``.  The extra nodes are

* ``SymmetricSymbol``: a matrix variable declared ``symmetric: true`` (``M^T = M``);
* ``DiffSymbol`` / ``DiffScalar``: the differential ``dX`` of a variable ``X``;
* ``MatD`` / ``ScalarD``: an unevaluated differential ``d(E)``, removed by the rules;
* ``Elementwise``: a function applied entrywise, ``sigma(X)``, ``e^{X}``, or its k-th
  derivative ``sigma'(X)``;
* ``ScalarFunc``: a declared function applied to a scalar, ``g(t)``;
* ``AsScalar``: a ``1 x 1`` matrix used as a scalar, ``(a^T x) b``;
* ``Softmax``: ``softmax(A)``, column by column;
* ``OneHotSymbol``: a variable declared ``onehot: true`` (each column one-hot, ``1^T Y = 1^T``).
* ``ConjugateSymbol`` / ``ConjugateScalar``: ``Z^*`` of a complex variable ``Z``, an
  independent variable for Wirtinger derivatives; its name is ``Z*`` (so ``dZ*`` is its
  differential).
"""

from __future__ import annotations

from contextlib import contextmanager
from contextvars import ContextVar

from sympy import Basic, Expr, Integer, MatrixExpr, MatrixSymbol, Symbol, ZeroMatrix
from sympy.core.symbol import Str

from derivgen.ir.sums import Sample, SampleDiff


#: The symmetric variables whose ``M^T = M`` a rewrite used, while one is being noted.
_SYMMETRY_USES: ContextVar = ContextVar("symmetry_uses", default=None)


class SymmetricSymbol(MatrixSymbol):
    """A square matrix variable with ``M^T = M``."""

    def _eval_transpose(self):
        note_symmetry(self)
        return self


def note_symmetry(symbol) -> None:
    """Record that a rewrite replaced ``symbol^T`` by ``symbol`` (see :func:`noting_symmetry`)."""
    uses = _SYMMETRY_USES.get()
    if uses is not None and symbol not in uses:
        uses.append(symbol)


@contextmanager
def noting_symmetry(propagate: bool = True):
    """``with noting_symmetry() as used:`` collects the symmetric variables whose
    ``M^T = M`` the rewrites inside used, so that the step can name the fact; with
    ``propagate=False`` an enclosing step does not count them (a candidate not chosen)."""
    outer, used = _SYMMETRY_USES.get(), []
    token = _SYMMETRY_USES.set(used)
    try:
        yield used
    finally:
        _SYMMETRY_USES.reset(token)
        for symbol in used:  # an enclosing step used the fact too
            note_symmetry(symbol) if outer is not None and propagate else None


class OneHotSymbol(MatrixSymbol):
    """A vector (or a matrix of columns) of one-hot labels: ``1^T y = 1``, ``1^T Y = 1^T``."""


class DiffSymbol(MatrixSymbol):
    """``dX``: the differential of the matrix (or vector) variable ``X``."""

    @property
    def base_name(self) -> str:
        return self.name[1:]


class DiffScalar(Symbol):
    """``dt``: the differential of the scalar variable ``t``."""

    @property
    def base_name(self) -> str:
        return self.name[1:]


def differential_symbol(var):
    """The differential ``dX`` of a variable symbol ``X`` (matrix or scalar), or of ``a_i``."""
    if isinstance(var, Sample):
        return SampleDiff(var.family, var.index, *var.shape)
    if isinstance(var, MatrixSymbol):
        return DiffSymbol("d" + var.name, *var.shape)
    return DiffScalar("d" + var.name, **({"real": True} if var.is_real else {}))


#: The suffix that marks the name of a conjugate variable: ``Z*`` is ``Z^*``, ``dZ*`` its ``d``.
CONJUGATE_MARK = "*"


class ConjugateSymbol(MatrixSymbol):
    """``Z^*``: the conjugate of a complex matrix variable, treated as independent of ``Z``."""

    @property
    def base_name(self) -> str:
        return self.name[:-1]


class ConjugateScalar(Symbol):
    """``z^*``: the conjugate of a complex scalar variable, treated as independent of ``z``."""

    @property
    def base_name(self) -> str:
        return self.name[:-1]


def conjugate_symbol(var):
    """The independent conjugate ``Z^*`` of a complex variable symbol ``Z``."""
    if isinstance(var, MatrixSymbol):
        return ConjugateSymbol(var.name + CONJUGATE_MARK, *var.shape)
    return ConjugateScalar(var.name + CONJUGATE_MARK)


def conjugated_name(name: str) -> str | None:
    """``Z`` for the name ``Z*`` of a conjugate (or ``dZ`` for ``dZ*``); None otherwise."""
    return name[:-1] if name.endswith(CONJUGATE_MARK) else None


class UnaryMatrix(MatrixExpr):
    """A matrix node of one argument ``arg``, with the argument's shape unless it says else."""

    def __new__(cls, arg):
        return Basic.__new__(cls, arg)

    arg = property(lambda self: self.args[0])

    @property
    def shape(self):
        return self.arg.shape


class MatD(UnaryMatrix):
    """Unevaluated differential ``d(E)`` of a matrix expression ``E``."""

    def _eval_transpose(self):
        return None


class ScalarD(Expr):
    """Unevaluated differential ``d(s)`` of a scalar expression ``s``."""

    is_commutative = True

    def __new__(cls, arg):
        return Expr.__new__(cls, arg)

    @property
    def arg(self):
        return self.args[0]


def D(expr):
    """``d(expr)``, unevaluated, as a matrix or a scalar node to match ``expr``."""
    return MatD(expr) if isinstance(expr, MatrixExpr) else ScalarD(expr)


class AppliedFunction:
    """What ``Elementwise`` and ``ScalarFunc`` share: their args are (name, kind, arg, order)."""

    name = property(lambda self: self.args[0].name)
    kind = property(lambda self: self.args[1].name)
    arg = property(lambda self: self.args[2])
    order = property(lambda self: int(self.args[3]))


class Elementwise(AppliedFunction, MatrixExpr):
    """``f^{(order)}`` applied entrywise to a matrix: ``sigma(X)``, ``sigma'(X)``, ``e^{X}``.

    ``name`` is how the problem calls the function (``sigma``), ``kind`` what it is
    (``sigmoid``, ``exp``, ``generic``, ...; see ``derivgen.ir.functions``).
    """

    def __new__(cls, name, kind, arg, order=0):
        return Basic.__new__(cls, _str(name), _str(kind), arg, Integer(order))


    @property
    def shape(self):
        return self.arg.shape


class ScalarFunc(AppliedFunction, Expr):
    """A declared function (or its derivative) applied to a scalar: ``g(t)``, ``g'(t)``."""

    is_commutative = True

    def __new__(cls, name, kind, arg, order=0):
        return Expr.__new__(cls, _str(name), _str(kind), arg, Integer(order))



class Softmax(UnaryMatrix):
    """``softmax(A)``: each column of ``e^A`` divided by its sum, ``e^a / (1^T e^a)``."""


class AsScalar(Expr):
    """A ``1 x 1`` matrix expression used as a scalar; printed as the matrix itself."""

    is_commutative = True

    def __new__(cls, arg):
        if not isinstance(arg, MatrixExpr):
            return arg
        return Expr.__new__(cls, arg)

    @property
    def arg(self):
        return self.args[0]

    def _eval_conjugate(self):
        return None


def _str(value):
    return value if isinstance(value, Str) else Str(value)


def is_one_by_one(expr) -> bool:
    return isinstance(expr, MatrixExpr) and expr.shape == (1, 1)


def is_zero(expr) -> bool:
    """A zero scalar or zero matrix: a gradient or a term that contributes nothing."""
    return isinstance(expr, ZeroMatrix) or expr == 0


def depends_on(expr, symbols) -> bool:
    """True when ``expr`` contains any of ``symbols`` (variables, samples or differentials)."""
    atoms = expr.atoms(MatrixSymbol, Symbol, Sample)
    return any(s in atoms for s in symbols)


class Gradient(UnaryMatrix):
    """$\\partial f/\\partial \\mathbf{U}$ of an intermediate ``U``, a name in a chain rule."""

    of = property(lambda self: self.args[0])


#: The differentials of variables and intermediates: what a trace term ends with.
DIFFERENTIALS = (DiffSymbol, DiffScalar, SampleDiff)
