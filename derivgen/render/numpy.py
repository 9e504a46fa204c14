"""NumPy code for IR expressions: the contract's ``numpy`` strings and the verifier's evaluator.

SymPy's NumPy printer knows neither ``Trace`` nor ``Determinant`` nor elementwise functions
of matrices, so this is a small printer of its own: one ``singledispatch`` case per node.

>>> from sympy import MatrixSymbol, symbols
>>> m, n = symbols('m n')
>>> a, X, b = MatrixSymbol('a', m, 1), MatrixSymbol('X', m, n), MatrixSymbol('b', n, 1)
>>> to_numpy(a.T * X * b)
'(a.T @ X @ b)'
"""

from __future__ import annotations

from functools import singledispatch

from sympy import (Abs, Add, Determinant, HadamardPower, HadamardProduct, Identity,
                   Inverse, KroneckerProduct, MatAdd, MatMul, MatPow, MatrixSymbol, Mul,
                   Number, OneMatrix, Pow, Rational, S, Symbol, Trace, Transpose, ZeroMatrix,
                   conjugate, cos, exp, im, log, re, sin, tanh)
from sympy.core.numbers import NumberSymbol
from sympy.matrices.expressions.adjoint import Adjoint
from sympy.matrices.expressions.diagonal import DiagMatrix

from derivgen.ir.codenames import code_name
from derivgen.ir.functions import numpy_code
from derivgen.ir.nodes import AsScalar, Elementwise, ScalarFunc, Softmax, conjugated_name
from derivgen.ir.sums import MatSampleSum, Sample, SampleScalar, SampleSum
from derivgen.ir.vec import Commutation, HessianArray, Named, Vec


def to_numpy(expr, dims: dict | None = None) -> str:
    """One Python expression in ``np`` and the variables' names.

    ``dims`` maps a dimension symbol to code that computes it from the variables
    (``{n: 'X.shape[1]'}``); it is needed for ``\\mathbf{I}`` and ``\\mathbf{1}``.
    """
    return _code(expr, dims or {})


def dims_code(symbols, counts=None) -> dict:
    """``{dimension: 'X.shape[k]'}`` from the first variable that has each dimension.

    ``counts`` maps a sample index to its number of samples, read off a family's last axis.
    """
    found: dict = {}
    for sym in symbols:
        if isinstance(sym, (Sample, SampleScalar)) and counts and sym.index in counts:
            axis = len(sample_axes(sym))
            found.setdefault(counts[sym.index], f"{code_name(sym.family)}.shape[{axis}]")
        if isinstance(sym, Sample):
            for axis, size in enumerate(sample_axes(sym)):
                if not size.is_number:
                    found.setdefault(size, f"{code_name(sym.family)}.shape[{axis}]")
        elif isinstance(sym, MatrixSymbol):
            for axis, size in enumerate(sym.shape):
                if not size.is_number:
                    found.setdefault(size, f"{code_name(sym.name)}.shape[{axis}]")
    return found


def scope_dims(scope) -> dict:
    """``dims_code`` for all of a problem's variables, numbers of samples included."""
    return dims_code(scope.symbols.values(), scope.counts)


def _dim(size, dims) -> str:
    if size.is_number:
        return str(int(size))
    if size in dims:
        return dims[size]
    if isinstance(size, Mul):  # the m n rows of a vec or a Kronecker product
        return "(" + " * ".join(_dim(f, dims) for f in size.args) + ")"
    if isinstance(size, Pow) and size.exp.is_Integer:  # n^2 of a square matrix
        return f"({_dim(size.base, dims)} ** {int(size.exp)})"
    if size.free_symbols and size.free_symbols <= set(dims):  # m*n: a Kronecker product's
        return _code(size, dims)
    raise ValueError(f"no variable has the dimension {size}")


@singledispatch
def _code(expr, dims) -> str:
    raise TypeError(f"no NumPy code for {type(expr).__name__}: {expr}")


def _variable(name: str) -> str:
    """A variable's name; the independent conjugate ``Z*`` (or ``dZ*``) is ``np.conj(Z)``."""
    base = conjugated_name(name)
    return code_name(name) if base is None else f"np.conj({code_name(base)})"


@_code.register
def _(expr: MatrixSymbol, dims):
    return _variable(expr.name)


def sample_axes(sym) -> tuple:
    """The axes of one sample: ``(n,)`` for vectors (``x[:, [i]]``), ``(m, n)``, ``()``."""
    if isinstance(sym, SampleScalar):
        return ()
    rows, cols = sym.shape
    return (rows,) if cols == 1 else (rows, cols)


@_code.register
def _(expr: Sample, dims):
    index, family = str(expr.index), code_name(expr.family)
    return f"{family}[:, [{index}]]" if expr.cols == 1 else f"{family}[:, :, {index}]"


@_code.register
def _(expr: SampleScalar, dims):
    return f"{code_name(expr.family)}[{expr.index}]"


def _sum_code(expr, dims):
    return (f"np.sum([{_code(expr.body, dims)} for {expr.index} in "
            f"range({_dim(expr.upper, dims)})], axis=0)")


_code.register(SampleSum)(_sum_code)
_code.register(MatSampleSum)(_sum_code)


@_code.register
def _(expr: Symbol, dims):
    return dims.get(expr, _variable(expr.name))  # a dimension, e.g. tr(I_n) = n, is read off a shape


@_code.register
def _(expr: Number, dims):
    if isinstance(expr, Rational) and not expr.is_Integer:
        return f"({expr.p}/{expr.q})"
    if expr.is_Float:
        return repr(float(expr))
    return f"({expr})" if expr < 0 else str(expr)


def _join(parts, op):
    return "(" + f" {op} ".join(parts) + ")"


@_code.register
def _(expr: MatMul, dims):
    scalars = [a for a in expr.args if not a.is_Matrix]
    matrices = [a for a in expr.args if a.is_Matrix]
    product = _join([_code(m, dims) for m in matrices], "@") if len(matrices) > 1 \
        else _code(matrices[0], dims)
    if not scalars:
        return product
    return _join([_code(s, dims) for s in scalars] + [product], "*")


@_code.register
def _(expr: Pow, dims):
    base, power = _code(expr.base, dims), expr.exp
    if power == Rational(1, 2):
        return f"np.sqrt({base})"
    if power == -1:
        return f"(1 / {base})"
    return f"({base} ** {_code(power, dims)})"


@_code.register(NumberSymbol)
def _(expr, dims):
    return repr(float(expr))        # pi


@_code.register(type(S.ImaginaryUnit))
def _(expr, dims):
    return "1j"


@_code.register
def _(expr: HadamardPower, dims):
    return f"({_code(expr.base, dims)} ** {_code(expr.exp, dims)})"


@_code.register
def _(expr: KroneckerProduct, dims):
    code = _code(expr.args[0], dims)
    for arg in expr.args[1:]:
        code = f"np.kron({code}, {_code(arg, dims)})"
    return code


@_code.register
def _(expr: MatPow, dims):
    return f"np.linalg.matrix_power({_code(expr.base, dims)}, {int(expr.exp)})"


@_code.register
def _(expr: Identity, dims):
    return f"np.eye({_dim(expr.rows, dims)})"


@_code.register
def _(expr: AsScalar, dims):
    return f"{_code(expr.arg, dims)}.item()"


@_code.register
def _(expr: Softmax, dims):
    exp = f"np.exp({_code(expr.arg, dims)})"
    return f"({exp} / np.sum({exp}, axis=0, keepdims=True))"


#: Nodes printed as a call of one NumPy function on their single argument.
_CALLS = {Inverse: "np.linalg.inv", Determinant: "np.linalg.det", Trace: "np.trace",
          DiagMatrix: "np.diagflat", log: "np.log", exp: "np.exp", Abs: "np.abs", sin: "np.sin",
                     cos: "np.cos", tanh: "np.tanh", conjugate: "np.conj", re: "np.real",
                     im: "np.imag"}

for _function, _name in _CALLS.items():
    _code.register(_function)(lambda expr, dims, _name=_name: f"{_name}({_code(expr.args[0], dims)})")


#: Nodes printed as their operands joined by one infix operator.
_INFIX = {MatAdd: "+", Add: "+", Mul: "*", HadamardProduct: "*"}

for _node, _op in _INFIX.items():
    _code.register(_node)(lambda expr, dims, _op=_op:
                          _join([_code(a, dims) for a in expr.args], _op))

#: Nodes printed as a suffix on their single argument.
_SUFFIXES = {Transpose: ".T", Adjoint: ".conj().T"}

for _node, _suffix in _SUFFIXES.items():
    _code.register(_node)(lambda expr, dims, _suffix=_suffix:
                          f"{_code(expr.args[0], dims)}{_suffix}")

#: Constant arrays of a given shape.
_FILLED = {OneMatrix: "np.ones", ZeroMatrix: "np.zeros"}

for _node, _fill in _FILLED.items():
    _code.register(_node)(lambda expr, dims, _fill=_fill:
                          f"{_fill}(({_dim(expr.rows, dims)}, {_dim(expr.cols, dims)}))")

for _node in (Elementwise, ScalarFunc):
    _code.register(_node)(lambda expr, dims: numpy_code(expr.kind, expr.order,
                                                        _code(expr.arg, dims), expr.name))


@_code.register
def _(expr: Vec, dims):
    return f"np.reshape({_code(expr.arg, dims)}, (-1, 1), order='F')"  # vec stacks columns


@_code.register
def _(expr: Commutation, dims):
    # Row j + n i of K_mn picks entry i + m j of vec(A): the transposed index grid, flattened.
    m, n = _dim(expr.rows_of, dims), _dim(expr.cols_of, dims)
    return f"np.eye({m} * {n})[np.arange({m} * {n}).reshape({n}, {m}).T.reshape(-1)]"


@_code.register
def _(expr: HessianArray, dims):
    # H[i + j m, k + l m] = array[i, j, k, l]: a column-major reshape of the vec-form Hessian
    m, n = _dim(expr.rows_of, dims), _dim(expr.cols_of, dims)
    return f"np.reshape({_code(expr.hessian, dims)}, ({m}, {n}, {m}, {n}), order='F')"


@_code.register
def _(expr: Named, dims):
    return _code(expr.expr, dims)
