"""Softmax and one-hot labels: identities that rewrite an expression before it is differentiated.

``softmax(A)`` has no differential rule of its own: under ``d(.)`` it is rewritten by its
definition (log-sum-exp under a ``log``), and in a result ``e^a / (1^T e^a)`` is named
``softmax(a)`` again.  Columns of a matrix are separate samples, so for an ``m x N`` matrix
``1^T e^A`` is the ``1 x N`` row of the columns' sums.
"""

from __future__ import annotations

from sympy import (Add, HadamardPower, HadamardProduct, MatAdd, MatMul, Mul, OneMatrix, Pow, S,
                   Trace, Transpose, log)
from sympy.matrices.expressions.diagonal import DiagMatrix

from derivgen.ir.nodes import D, AsScalar, Elementwise, OneHotSymbol, Softmax
from derivgen.ir.strategies import tidy
from derivgen.ir.sums import OneHotSample
from derivgen.derive.rules.differential import Rule
from derivgen.derive.rules.transpose import push_transposes

ONE_HOT_KINDS = (OneHotSymbol, OneHotSample)

LOG_SOFTMAX = Rule("log-softmax",
                   r"\log\operatorname{softmax}(\mathbf{a}) = "
                   r"\mathbf{a} - \mathbf{1}\log(\mathbf{1}^T e^{\mathbf{a}})")
SOFTMAX = Rule("definition of softmax",
               r"\operatorname{softmax}(\mathbf{a}) = \frac{e^{\mathbf{a}}}{\mathbf{1}^T e^{\mathbf{a}}}")
ONE_HOT = Rule("one-hot labels", r"\mathbf{1}^T\mathbf{y} = 1")
ONE_HOT_COLUMNS = Rule("one-hot labels", r"\mathbf{1}^T\mathbf{Y} = \mathbf{1}^T")


def _exp(arg):
    return Elementwise("exp", "exp", arg)


def _column_sums(arg):
    """``1^T e^A``: a scalar for a vector, else the ``1 x N`` row of column sums."""
    return MatMul(OneMatrix(1, arg.rows), _exp(arg))


def _is_column_sums(expr, arg) -> bool:
    return expr == _column_sums(arg)


def log_softmax(expr):
    """$\\log\\operatorname{softmax}(A) = A - \\mathbf{1}\\log(\\mathbf{1}^T e^{A})$.

    E.g. $\\log\\operatorname{softmax}(\\mathbf{W}\\mathbf{x}) = \\mathbf{W}\\mathbf{x} -
    \\mathbf{1}\\log(\\mathbf{1}^T e^{\\mathbf{W}\\mathbf{x}})$; for a matrix the log is taken
    of each column's sum.
    """
    if not (isinstance(expr, Elementwise) and expr.kind == "log" and expr.order == 0
            and isinstance(expr.arg, Softmax)):
        return None
    arg = expr.arg.arg
    sums = _column_sums(arg)
    ones = OneMatrix(arg.rows, 1)
    if arg.cols == 1:
        spread = MatMul(-1, log(AsScalar(sums)), ones)
    else:
        spread = MatMul(-1, ones, Elementwise("log", "log", sums))
    return MatAdd(arg, spread)


def softmax_definition(expr):
    """$\\operatorname{softmax}(\\mathbf{a}) = e^{\\mathbf{a}} / (\\mathbf{1}^T e^{\\mathbf{a}})$.

    For a matrix, column by column: $e^{A} \\odot \\mathbf{1}(\\mathbf{1}^T e^{A})^{\\odot -1}$.
    """
    if not isinstance(expr, Softmax):
        return None
    arg = expr.arg
    sums = _column_sums(arg)
    if arg.cols == 1:
        return MatMul(Pow(AsScalar(sums), -1), _exp(arg))
    spread = MatMul(OneMatrix(arg.rows, 1), HadamardPower(sums, -1))
    return HadamardProduct(_exp(arg), spread)


def name_softmax(expr):
    """$\\frac{c\\,\\mathbf{P} e^{\\mathbf{a}} \\mathbf{Q}}{\\mathbf{1}^T e^{\\mathbf{a}}} =
    c\\,\\mathbf{P}\\operatorname{softmax}(\\mathbf{a})\\mathbf{Q}$, and column by column
    $e^{A} \\odot \\mathbf{1}(\\mathbf{w}^T \\odot (\\mathbf{1}^T e^{A})^{\\odot -1}) =
    \\operatorname{softmax}(A)\\operatorname{diag}(\\mathbf{w})$; ``None`` when no softmax is there.
    """
    if isinstance(expr, MatMul):
        return _name_in_product(expr)
    if isinstance(expr, HadamardProduct):
        return _name_in_hadamard(expr)
    return None


def _name_in_product(expr):
    scalars = Mul.make_args(Mul(*[a for a in expr.args if not a.is_Matrix]))
    matrices = [a for a in expr.args if a.is_Matrix]
    for k, factor in enumerate(scalars):
        if not (isinstance(factor, Pow) and factor.exp == -1
                and isinstance(factor.base, AsScalar)):
            continue
        for i, matrix in enumerate(matrices):
            if (isinstance(matrix, Elementwise) and matrix.kind == "exp" and matrix.order == 0
                    and _is_column_sums(factor.base.arg, matrix.arg)):
                rest = [*scalars[:k], *scalars[k + 1:]]
                named = [*matrices[:i], Softmax(matrix.arg), *matrices[i + 1:]]
                return MatMul(*rest, *named).doit(deep=False)
    return None


def _name_in_hadamard(expr):
    operands = list(expr.args)
    for exp_at, e in enumerate(operands):
        if not (isinstance(e, Elementwise) and e.kind == "exp" and e.order == 0):
            continue
        for at, spread in enumerate(operands):
            weight = _spread_weight(spread, e.arg)
            if weight is None:
                continue
            kept = [o for j, o in enumerate(operands) if j not in (exp_at, at)]
            kept.append(Softmax(e.arg))
            named = kept[0] if len(kept) == 1 else HadamardProduct(*kept)
            if weight is S.One:
                return named
            # scaling every row by w is scaling the columns: K \odot 1w = K diag(w)
            return MatMul(named, DiagMatrix(push_transposes(Transpose(weight))))
    return None


def _spread_weight(spread, arg):
    """``w`` when ``spread`` is $\\mathbf{1}(\\mathbf{w} \\odot (\\mathbf{1}^T e^{A})^{\\odot -1})$;
    ``S.One`` when there is no ``w``; ``None`` when it is something else."""
    if not (isinstance(spread, MatMul) and len(spread.args) == 2
            and isinstance(spread.args[0], OneMatrix) and spread.args[0].cols == 1):
        return None
    row = spread.args[1]
    parts = list(row.args) if isinstance(row, HadamardProduct) else [row]
    for k, part in enumerate(parts):
        if (isinstance(part, HadamardPower) and part.exp == -1
                and _is_column_sums(part.base, arg)):
            rest = parts[:k] + parts[k + 1:]
            if not rest:
                return S.One
            return rest[0] if len(rest) == 1 else HadamardProduct(*rest)
    return None


def one_hot_sums(expr):
    """$\\mathbf{1}^T\\mathbf{y} = \\mathbf{y}^T\\mathbf{1} = 1$ for a one-hot $\\mathbf{y}$
    ($\\mathbf{1}^T\\mathbf{Y} = \\mathbf{1}^T$ column by column), also where a product must be
    spread over a sum first: $\\mathbf{y}^T(\\mathbf{a} - \\mathbf{1}s) = \\mathbf{y}^T\\mathbf{a} - s$.
    """
    if isinstance(expr, AsScalar) and expr.arg == OneMatrix(1, 1):
        return S.One
    if not isinstance(expr, MatMul):
        return None
    args = list(expr.args)
    for i in range(len(args) - 1):
        merged = _one_hot_pair(args[i], args[i + 1])
        if merged is not None:
            kept = [*args[:i], *merged, *args[i + 2:]]
            if not any(a.is_Matrix for a in kept):
                return Mul(*kept)  # the 1 x 1 block is the number 1
            return MatMul(*kept).doit(deep=False)
    for i in range(len(args) - 1):
        if _one_hot_label(args[i], transposed=True) is None or not isinstance(args[i + 1], MatAdd):
            continue
        ones_terms = [t for t in args[i + 1].args if _leading_ones(t)]
        if not ones_terms:
            continue
        others = [t for t in args[i + 1].args if t not in ones_terms]
        before, after = args[:i + 1], args[i + 2:]
        parts = [MatMul(*before, *_factors(t), *after).doit(deep=False) for t in ones_terms]
        if others:
            rest = others[0] if len(others) == 1 else MatAdd(*others)
            parts.insert(0, MatMul(*before, rest, *after).doit(deep=False))
        parts = [_or_same(one_hot_sums, p) for p in parts]
        if expr.shape == (1, 1):
            return Add(*[_scalar(p) for p in parts])
        return MatAdd(*parts).doit(deep=False)
    return None


def _one_hot_label(expr, transposed):
    if transposed:
        return expr.arg if isinstance(expr, Transpose) and isinstance(expr.arg, ONE_HOT_KINDS) \
            else None
    return expr if isinstance(expr, ONE_HOT_KINDS) else None


def _one_hot_pair(left, right):
    """The factors replacing ``left right`` when they are $\\mathbf{1}^T Y$ or $Y^T\\mathbf{1}$:
    every column of a one-hot $Y$ sums to one, so ones stay ones (a ``1 x 1`` one is dropped)."""
    if isinstance(left, OneMatrix) and _one_hot_label(right, False):
        shape = (left.rows, right.cols)
    elif _one_hot_label(left, True) is not None and isinstance(right, OneMatrix):
        shape = (left.rows, right.cols)
    else:
        return None
    return [] if shape == (1, 1) else [OneMatrix(*shape)]


def _factors(term):
    return term.args if isinstance(term, MatMul) else (term,)


def _leading_ones(term) -> bool:
    """A term $c\\,\\mathbf{1}R$ whose first matrix factor is all ones."""
    matrices = [a for a in _factors(term) if a.is_Matrix]
    return isinstance(matrices[0], OneMatrix)


#: Identities tried on ``E`` before ``d(E)`` is expanded, first match wins: the lecture
#: rewrites the loss itself (log-softmax, then one-hot labels) before differentiating.
REWRITES_UNDER_D = ((log_softmax, LOG_SOFTMAX), (one_hot_sums, ONE_HOT),
                    (softmax_definition, SOFTMAX))


def rewrite_under_d(expr):
    """``(d(E'), rule)`` for the first identity of ``REWRITES_UNDER_D`` that changes ``E``."""
    for rule, name in REWRITES_UNDER_D:
        rewritten = everywhere(rule, expr)
        if rewritten != expr:
            if name is ONE_HOT and any(s.cols != 1 for s in expr.atoms(OneHotSymbol)):
                name = ONE_HOT_COLUMNS
            return D(tidy(rewritten)), name
    return None


def everywhere(rule, expr):
    """``rule`` applied to every node of ``expr``, children first (None leaves a node).

    A ``1 x 1`` block that became a scalar (``1^T y = 1``) is taken out of the matrix
    node around it: a sum of blocks becomes a sum of scalars, a trace is dropped.
    """
    if expr.args and not expr.is_Atom:
        args = [everywhere(rule, a) for a in expr.args]
        if any(a is not b for a, b in zip(args, expr.args)):
            expr = _rebuilt(expr, args)
    return _or_same(rule, expr)


def _rebuilt(expr, args):
    if isinstance(expr, (MatAdd, Trace, Transpose)) and any(not a.is_Matrix for a in args):
        return Add(*[_scalar(a) for a in args]) if isinstance(expr, MatAdd) else args[0]
    return expr.func(*args)


def _scalar(block):
    """A ``1 x 1`` block as a scalar, its number in front: $-\\mathbf{y}^T\\mathbf{a}$."""
    if not isinstance(block, MatMul):
        return AsScalar(block)
    coeff, matrices = block.as_coeff_matrices()
    return Mul(coeff, AsScalar(MatMul(*matrices) if len(matrices) > 1 else matrices[0]))


def _or_same(rule, expr):
    result = rule(expr)
    return expr if result is None else result
