"""Building SymPy expressions from pieces, with shape checks and LaTeX-quoting errors.

Every operation takes and returns ``Piece``s so an error can quote the operands as they
were written: ``cannot multiply \\mathbf{X} (m×n) by \\mathbf{a} (m×1)``.

>>> # Builder(text, scope).multiply(Piece(a.T, 0, 12), Piece(X, 12, 22)) -> Piece(a.T*X, 0, 22)
"""

from __future__ import annotations

import re

from sympy import (Abs, Determinant, HadamardPower, HadamardProduct, Identity, Integer, Inverse,
                   KroneckerProduct, MatAdd, MatMul, MatPow, MatrixExpr, MatrixSymbol, Mul,
                   Symbol,
                   OneMatrix, Rational, Trace, Transpose, ZeroMatrix, adjoint, conjugate, exp, im,
                   log, re as real_part, sqrt)
from sympy.matrices.expressions.diagonal import DiagMatrix
from sympy.matrices.expressions.hadamard import canonicalize as canonical_hadamard

from derivgen.errors import DerivgenError
from derivgen.ir.functions import SOFTMAX
from derivgen.ir.nodes import Elementwise, ScalarFunc, Softmax, is_one_by_one
from derivgen.ir.sums import sample_sum
from derivgen.parse.pieces import ExpBase, Group, Head, HoleAtom, NormAtom, Piece, Postfix, SumHead
from derivgen.parse.shapes import Unifier, as_scalar, is_scalar, shape_text

_ELEMENTWISE_BUILTIN = {"log": log, "exp": exp, "sqrt": sqrt}


class Builder:
    """Shape-checked algebra on ``Piece``s for one formula.

    ``fixed_holes`` (start -> shape) gives ``\\mathbf{1}``/``\\mathbf{I}`` their sizes on
    the second pass; on the first pass they get placeholder sizes, and ``hole_shapes()``
    reports what they were inferred to be.
    """

    def __init__(self, source: str, scope, fixed_holes: dict | None = None, *,
                 elementwise: bool = False):
        self.source = source
        self.scope = scope
        self.fixed_holes = fixed_holes
        # ``1 - \sigma(\mathbf{x})``, ``\frac{1}{1 + e^{-\mathbf{x}}}``: a scalar added to
        # or divided by a matrix, entry by entry (how students write; problems say \mathbf{1})
        self.elementwise = elementwise
        self.unifier = Unifier()
        self.holes: dict[int, tuple[HoleAtom, tuple]] = {}

    # ---- errors --------------------------------------------------------------------------

    def latex(self, piece) -> str:
        return self.source[piece.start:piece.end].strip()

    def described(self, piece) -> str:
        return f"{self.latex(piece)} ({shape_text(self.unifier.resolve(piece.value))})"

    def error(self, message: str, at) -> DerivgenError:
        column = at if isinstance(at, int) else at.start
        return DerivgenError(message, column=column, fragment=self.source)

    def _settle(self, *pieces):
        return [self.unifier.resolve(p.value) for p in pieces]

    # ---- products and sums ---------------------------------------------------------------

    def multiply(self, a: Piece, b: Piece) -> Piece:
        x, y = self._settle(a, b)
        if not (is_scalar(x) or is_scalar(y)):
            if self.unifier.unify(x.cols, y.rows):
                x, y = self._settle(a, b)
            elif is_one_by_one(x):
                x = as_scalar(x)
            elif is_one_by_one(y):
                y = as_scalar(y)
            else:
                raise self.error(f"cannot multiply {self.described(a)} by {self.described(b)}",
                                 b)
        return Piece(times(x, y), a.start, b.end)

    def divide(self, a: Piece, b: Piece, start=None, end=None) -> Piece:
        """``a / b`` and ``\\frac{a}{b}``: ``b`` must be a scalar (or ``1 x 1``)."""
        x, y = self._settle(a, b)
        if not is_scalar(y) and not is_one_by_one(y) and self.elementwise:
            return self._divide_entries(a, b, x, y, start, end)
        if not is_scalar(y):
            if not is_one_by_one(y):
                raise self.error(f"cannot divide by {self.described(b)}: the denominator must "
                                 f"be a scalar", b)
            y = as_scalar(y)
        if y == 0:
            raise self.error("division by zero", b)
        if is_one_by_one(x):
            x = as_scalar(x)
        start = a.start if start is None else start
        return Piece(times(1 / y, x), start, b.end if end is None else end)

    def _divide_entries(self, a, b, x, y, start, end) -> Piece:
        """``a / b`` entry by entry: $a \\odot b^{\\odot -1}$ (``a`` a scalar or of ``b``'s shape)."""
        if is_one_by_one(x):
            x = as_scalar(x)
        if not is_scalar(x) and not (self.unifier.unify(x.rows, y.rows)
                                     and self.unifier.unify(x.cols, y.cols)):
            raise self.error(f"cannot divide {self.described(a)} by {self.described(b)}", b)
        x, y = self._settle(a, b)
        reciprocal = HadamardPower(y, -1)
        value = times(x, reciprocal) if is_scalar(x) else \
            canonical_hadamard(HadamardProduct(x, reciprocal))
        return Piece(value, a.start if start is None else start, b.end if end is None else end)

    def add(self, a: Piece, b: Piece, sign: int) -> Piece:
        x, y = self._settle(a, b)
        if is_scalar(x) != is_scalar(y):
            if is_one_by_one(x) or is_one_by_one(y):
                x, y = as_scalar(x), as_scalar(y)
            elif self.elementwise:    # c + A = c 1 1^T + A
                x, y = (times(x, OneMatrix(*y.shape)), y) if is_scalar(x) else \
                    (x, times(y, OneMatrix(*x.shape)))
            else:
                raise self._cannot_add(a, b)
        elif not is_scalar(x):
            if not (self.unifier.unify(x.rows, y.rows) and self.unifier.unify(x.cols, y.cols)):
                raise self._cannot_add(a, b)
            x, y = self._settle(a, b)
        return Piece(plus(x, y if sign > 0 else negated(y)), a.start, b.end)

    def _cannot_add(self, a, b):
        hint = ""
        x, y = self._settle(a, b)
        ones = [v for v in (x, y) if isinstance(v, OneMatrix) and v.cols == 1]
        other = y if ones and ones[0] is x else x
        if ones and not is_scalar(other) and other.cols != 1:
            rows, cols = other.shape
            hint = (f": \\mathbf{{1}} is a vector of ones; write a matrix of ones with its "
                    f"size, \\mathbf{{1}}_{{{rows} \\times {cols}}}")
        return self.error(f"cannot add {self.described(a)} and {self.described(b)}{hint}", b)

    def negate(self, a: Piece, start: int) -> Piece:
        return Piece(negated(self.unifier.resolve(a.value)), start, a.end)

    def hadamard(self, a: Piece, b: Piece) -> Piece:
        x, y = self._settle(a, b)
        if is_scalar(x) and is_scalar(y):
            return Piece(x * y, a.start, b.end)
        if is_scalar(x) or is_scalar(y) or not (self.unifier.unify(x.rows, y.rows)
                                               and self.unifier.unify(x.cols, y.cols)):
            raise self.error(f"\\odot needs two matrices of the same shape, got "
                             f"{self.described(a)} and {self.described(b)}", b)
        x, y = self._settle(a, b)
        return Piece(canonical_hadamard(HadamardProduct(x, y)), a.start, b.end)

    def kronecker(self, a: Piece, b: Piece) -> Piece:
        x, y = self._settle(a, b)
        if is_scalar(x) or is_scalar(y):
            return Piece(x * y, a.start, b.end)
        # scalars leave the product, (tX) ⊗ Y = t(X ⊗ Y); SymPy fails on (tXY) ⊗ Z
        (c, x), (k, y) = scalar_and_matrix(x), scalar_and_matrix(y)
        value = KroneckerProduct(x, y).doit(deep=False)
        return Piece(value if c * k == 1 else times(c * k, value), a.start, b.end)

    def inner_product(self, a: Piece, b: Piece, start: int, end: int) -> Piece:
        """$\\langle A, B \\rangle = \\operatorname{tr}(A^T B)$ (Frobenius; $a^T b$ for
        vectors, $ab$ for scalars), of two operands of the same shape."""
        x, y = self._settle(a, b)
        if is_scalar(x) and is_scalar(y):
            return Piece(x * y, start, end)
        if is_scalar(x) or is_scalar(y) or not (self.unifier.unify(x.rows, y.rows)
                                               and self.unifier.unify(x.cols, y.cols)):
            raise self.error(f"\\langle A, B \\rangle needs two operands of the same shape, "
                             f"got {self.described(a)} and {self.described(b)}", b)
        x, y = self._settle(a, b)
        value = times(Transpose(x), y)
        value = as_scalar(value) if is_one_by_one(value) else Trace(value)
        return Piece(value, start, end)

    # ---- atoms ---------------------------------------------------------------------------

    def fraction(self, numerator: Piece, denominator: Piece, start: int, end: int) -> Piece:
        return self.divide(numerator, denominator, start, end)

    def square_root(self, arg: Piece, start: int, end: int) -> Piece:
        return Piece(self._scalar_function("sqrt", self.unifier.resolve(arg.value)), start, end)

    def bars(self, inner: Piece, start: int, end: int) -> Piece:
        """``|t|`` is ``Abs``, ``|X|`` the determinant of a square matrix."""
        x = self.unifier.resolve(inner.value)
        if is_scalar(x) or is_one_by_one(x):
            return Piece(absolute(as_scalar(x)), start, end)
        if not self.unifier.unify(x.rows, x.cols):
            raise self.error(f"|...| needs a square matrix or a scalar, got "
                             f"{self.described(inner)}", inner)
        return Piece(Determinant(self.unifier.resolve(x)), start, end)

    def sample_sum(self, head: SumHead, body: Piece) -> Piece:
        """$\\sum_{i=1}^{N}$ of ``body``; ``N`` is a dimension (new names become one)."""
        index = Symbol(head.index, integer=True)
        upper = head.upper
        if upper.isdigit():
            count = self.scope.dim(int(upper))
        elif upper in self.scope.symbols:
            raise self.error(f"the upper limit {upper} of the sum is a variable; it must be a "
                             f"number of samples such as N", head)
        else:
            count = self.scope.dim(upper)
        if not self.scope.count_of(index, count):
            raise self.error(f"the sums over {head.index} must all run to the same limit, "
                             f"not {self.scope.counts[index]} and {upper}", head)
        value = self.unifier.resolve(body.value)
        value = sample_sum(as_scalar(value) if is_one_by_one(value) else value, index, count)
        return Piece(value, head.start, body.end)

    def conjugate(self, inner: Piece, start: int, end: int) -> Piece:
        return Piece(conjugate(self.unifier.resolve(inner.value)), start, end)

    def number(self, text: str, start: int, end: int) -> Piece:
        return Piece(Rational(text), start, end)

    def hole(self, atom: HoleAtom, sub: Postfix | None) -> Piece:
        """``\\mathbf{1}`` (ones), ``\\mathbf{0}``, ``\\mathbf{I}``; ``_n`` sizes it."""
        end = sub.end if sub else atom.end
        if sub is not None:
            shape = self._explicit_shape(atom, sub)
        elif self.fixed_holes is not None:
            shape = self.fixed_holes[atom.start]
        else:
            first = self.unifier.fresh()
            shape = (first, first) if atom.kind == "identity" else (first, Integer(1))
            self.holes[atom.start] = (atom, shape)
        rows, cols = shape
        if atom.kind == "identity":
            value = Identity(rows)
        elif atom.kind == "ones":
            value = OneMatrix(rows, cols)
        else:
            value = ZeroMatrix(rows, cols)
        return Piece(value, atom.start, end)

    def _explicit_shape(self, atom, sub):
        """``\\mathbf{I}_n`` -> (n, n); ``\\mathbf{0}_{m \\times n}`` -> (m, n)."""
        written = self.source[atom.start:sub.end].strip()
        parts = [p for p in re.split(r"\\times|×|,", sub.arg) if p.strip()]
        dims = [self._dimension(part, written, sub) for part in parts]
        if len(dims) == 1:
            dims.append(dims[0] if atom.kind == "identity" else Integer(1))
        if len(dims) != 2 or (atom.kind == "identity" and dims[0] != dims[1]):
            raise self.error(f"cannot read the size in '{written}'", sub)
        return tuple(dims)

    def _dimension(self, part, written, sub):
        """``m``, ``2``, ``m \\cdot n``: a dimension, or a product of them (a Kronecker
        product's size)."""
        value = Integer(1)
        for factor in re.split(r"\\cdot|\s+", part):
            if factor.isdigit():
                value *= self.scope.dim(int(factor))
            elif factor in self.scope.dims:
                value *= self.scope.dims[factor]
            elif factor:
                raise self.error(f"unknown dimension '{factor}' in '{written}'", sub)
        return value

    def hole_shapes(self) -> dict:
        """start -> inferred shape of each ``\\mathbf{1}``/``\\mathbf{I}``; raises if unknown."""
        shapes = {}
        for start, (atom, shape) in sorted(self.holes.items()):
            shape = tuple(self.unifier.resolve(d) for d in shape)
            if any(self.unifier.is_open(d) for d in shape):
                written = self.source[atom.start:atom.end].strip()
                raise self.error(f"cannot infer the size of {written} from its neighbours; "
                                 f"write it with a size, e.g. {written}_{{n}}", atom.start)
            shapes[start] = shape
        return shapes

    def norm(self, atom: NormAtom, kind: str | None, squared: bool, end: int) -> Piece:
        """``\\|u\\|_2^2`` -> ``u^T u``; ``\\|X\\|_F^2`` -> ``tr(X^T X)``; unsquared: the sqrt."""
        x = self.unifier.resolve(atom.inner.value)
        written = self.source[atom.start:end].strip()
        if is_scalar(x):
            value = absolute(x) ** 2 if squared else absolute(x)
            return Piece(value, atom.start, end)
        vector = x.cols == 1 or x.rows == 1
        if kind not in (None, "2", "F"):
            raise self.error(f"unsupported norm {written}: use \\|x\\|_2 or \\|X\\|_F", atom)
        if not vector and kind != "F":
            raise self.error(f"{written}: the norm of a matrix must be written "
                             f"\\|\\cdot\\|_F (Frobenius); got {self.described(atom.inner)}",
                             atom)
        dagger = adjoint if self._is_complex(x) else written_transpose
        if vector:
            value = times(dagger(x), x) if x.cols == 1 else times(x, dagger(x))
            return Piece(value if squared else sqrt(as_scalar(value)), atom.start, end)
        value = Trace(times(dagger(x), x))
        return Piece(value if squared else sqrt(value), atom.start, end)

    def _is_complex(self, x) -> bool:
        names = {s.name for s in x.free_symbols if hasattr(s, "name")}
        return any(self.scope.specs[n].complex for n in names if n in self.scope.specs)

    def exp_of(self, base: ExpBase, exponent: Piece) -> Piece:
        value = self._scalar_function("exp", self.unifier.resolve(exponent.value))
        return Piece(value, base.start, exponent.end)

    # ---- postfixes -----------------------------------------------------------------------

    def postfix(self, piece: Piece, post: Postfix) -> Piece:
        """Apply ``^T``, ``^{-1}``, ``^2``, ... to a built value."""
        x = self.unifier.resolve(piece.value)
        kind = post.kind
        if kind == "transpose":
            value = x if is_scalar(x) else written_transpose(x)
        elif kind in ("inverse", "inverse_transpose"):
            if kind == "inverse_transpose" and not is_scalar(x):
                x = written_transpose(x)        # X^{-T} = (X^T)^{-1}, as S.I.T gives it
            value = self._inverse(piece, x)
        elif kind == "hermitian":
            value = conjugate(x) if is_scalar(x) else adjoint(x)
        elif kind == "conjugate":
            value = conjugate(x)
        elif kind in ("power", "power_char"):
            value = self._power(piece, x, post)
        elif kind == "hadamard_power":
            exponent = self._exponent(post)
            value = as_scalar(x) ** exponent if is_scalar(x) or is_one_by_one(x) \
                else HadamardPower(x, exponent)
        elif kind == "prime":
            raise self.error(f"a prime (') must follow a function name, not "
                             f"{self.latex(piece)}", post)
        else:
            raise self.error(f"unexpected subscript '{self.source[post.start:post.end].strip()}'"
                             f" after {self.latex(piece)}: no such variable is declared", post)
        return Piece(value, piece.start, post.end)

    def function_power(self, piece: Piece, post: Postfix) -> Piece:
        """``\\tanh^2(x) = (\\tanh x)^2``: a whole power of a function's value, element by
        element when the function is applied element-wise."""
        x = self.unifier.resolve(piece.value)
        exponent = self._exponent(post)
        if not (exponent.is_integer and exponent >= 2):
            raise self.error(f"a power written on a function name must be a whole number "
                             f"from 2 up; write ({self.latex(piece)})^{{...}} instead", post)
        if is_scalar(x) or is_one_by_one(x):
            value = as_scalar(x) ** exponent
        elif isinstance(x, Elementwise):
            value = HadamardPower(x, exponent)
        else:
            raise self.error(f"cannot raise {self.described(piece)} to a power", post)
        return Piece(value, piece.start, piece.end)

    def _inverse(self, piece, x):
        if is_scalar(x):
            return 1 / x
        if not self.unifier.unify(x.rows, x.cols):
            raise self.error(f"cannot invert {self.described(piece)}: not a square matrix", piece)
        if isinstance(x, ZeroMatrix):
            raise self.error(f"cannot invert the zero matrix {self.latex(piece)}", piece)
        x = self.unifier.resolve(x)
        return x if isinstance(x, Identity) else Inverse(x)

    def _power(self, piece, x, post):
        exponent = self._exponent(post)
        if x == self.scope.symbols.get("e") and not exponent.is_number:
            raise self.error("e is a declared variable here, so e^{...} is its power, not the "
                             "exponential: write \\exp(...) for the exponential, or rename "
                             "the variable", post)
        if is_scalar(x) or is_one_by_one(x):
            return as_scalar(x) ** exponent
        if exponent.is_integer and self.unifier.unify(x.rows, x.cols):
            return MatPow(self.unifier.resolve(x), exponent).doit(deep=False)
        raise self.error(f"cannot raise {self.described(piece)} to a power", post)

    def _exponent(self, post):
        if post.kind == "power_char":
            if post.arg.isdigit():
                return Integer(int(post.arg))
            raise self.error(f"unsupported exponent '{post.arg}'", post)
        value = self.unifier.resolve(post.arg.value)
        if not is_scalar(value):
            if not is_one_by_one(value):
                raise self.error(f"an exponent must be a scalar, got "
                                 f"{self.described(post.arg)}", post.arg)
            value = as_scalar(value)
        return value

    # ---- functions -----------------------------------------------------------------------

    def apply(self, head: Head, arg: Piece, end: int | None = None) -> Piece:
        """``\\log``, ``\\det``, ``\\operatorname{tr}``, ``\\sigma``... applied to ``arg``.

        ``end``: where the application ends, when that is after ``arg`` (a closing paren).
        """
        x = self.unifier.resolve(arg.value)
        kind = head.kind
        if head.order and kind != "declared":
            raise self.error(f"{head.latex} cannot take a prime; declare the function under "
                             f"functions:", head)
        if kind in ("log", "exp"):
            value = self._scalar_function(kind, x)
            if head.base and head.base != "e":   # \log_b x = \log x / \log b
                value = value / log(Rational(head.base))
        elif kind in ("det", "trace"):
            value = x if is_scalar(x) else self._square_function(head, arg, x)
        elif kind == "diag":
            value = self._diagonal_matrix(head, arg, x)
        elif kind in ("re", "im"):
            value = (real_part if kind == "re" else im)(x)
        elif SOFTMAX in (kind, head.func_kind):
            value = self._softmax(head, arg, x)
        else:
            value = self._declared(head, x)
        return Piece(value, head.start, arg.end if end is None else end)

    def _square_function(self, head, arg, x):
        if not self.unifier.unify(x.rows, x.cols):
            raise self.error(f"{head.latex} needs a square matrix, got {self.described(arg)}",
                             arg)
        x = self.unifier.resolve(x)
        return Determinant(x) if head.kind == "det" else Trace(x)

    def _diagonal_matrix(self, head, arg, x):
        """``\\operatorname{diag}(\\mathbf{v})``: the diagonal matrix of a column vector."""
        if is_scalar(x):
            return x
        if x.cols != 1:
            raise self.error(f"{head.latex} needs a column vector, got {self.described(arg)}",
                             arg)
        return DiagMatrix(x)

    def _softmax(self, head, arg, x):
        """``softmax`` of a vector, or of each column of a matrix."""
        if head.order:
            raise self.error(f"{head.latex} cannot take a prime: softmax is differentiated "
                             f"through its definition", head)
        if is_scalar(x) or is_one_by_one(x):
            raise self.error(f"{head.latex} needs a vector or a matrix, got "
                             f"{self.described(arg)}", arg)
        return Softmax(x)

    @staticmethod
    def _scalar_function(kind, x):
        if is_scalar(x) or is_one_by_one(x):
            return _ELEMENTWISE_BUILTIN[kind](as_scalar(x))
        return Elementwise(kind, kind, x)

    @staticmethod
    def _declared(head, x):
        if is_scalar(x) or is_one_by_one(x):
            return ScalarFunc(head.name, head.func_kind, as_scalar(x), head.order)
        return Elementwise(head.name, head.func_kind, x, head.order)

    # ---- groups --------------------------------------------------------------------------

    @staticmethod
    def ungroup(group: Group) -> Piece:
        return Piece(group.inner.value, group.start, group.end)


def written_transpose(x):
    """``x^T`` as written: ``(Ax - y)^T`` stays a transpose of the sum, as a textbook has it.

    Only what SymPy simplifies without changing the look is evaluated: ``X^T`` of a symbol,
    ``M^T = M`` for a symmetric ``M``, and ``(X^T)^T = X``.
    """
    if isinstance(x, (MatrixSymbol, Transpose, OneMatrix, Identity, ZeroMatrix)):
        return x.T
    return Transpose(x)


def scalar_and_matrix(x):
    """``2tAB`` -> ``(2t, AB)``: the scalar factors of a matrix product, and the rest."""
    if isinstance(x, Transpose):
        c, inner = scalar_and_matrix(x.arg)
        return c, (x if c == 1 else written_transpose(inner))
    if not isinstance(x, MatMul):
        return 1, x
    scalars = [f for f in x.args if is_scalar(f)]
    matrices = [f for f in x.args if not is_scalar(f)]
    rest = MatMul(*matrices).doit(deep=False) if len(matrices) > 1 else matrices[0]
    return Mul(*scalars), rest


def absolute(x):
    """``|x|``; not evaluated when ``x`` holds matrices: SymPy's sign simplification
    fails on matrix terms (``|(\\mathbf{a} - \\mathbf{b})^T\\mathbf{a}|``)."""
    return Abs(x, evaluate=not x.has(MatrixExpr))


# SymPy's operators call doit() on the whole tree, which would rewrite a written (Ax - y)^T
# into x^T A^T - y^T; these build the node and canonicalize only its top level.

def times(x, y):
    if is_scalar(x) and is_scalar(y):
        return x * y
    return MatMul(x, y).doit(deep=False)


def plus(x, y):
    if is_scalar(x) and is_scalar(y):
        return x + y
    return MatAdd(x, y).doit(deep=False)


def negated(x):
    return -x if is_scalar(x) else MatMul(-1, x).doit(deep=False)
