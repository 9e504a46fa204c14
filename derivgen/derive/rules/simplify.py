"""Textbook form of a result: transposes pushed down, neutral factors dropped."""

from __future__ import annotations

from sympy import (Add, Dummy, HadamardPower, HadamardProduct, Identity, Inverse, MatAdd, MatMul,
                   MatPow, Mul, Number, OneMatrix, Pow, Rational, S, Symbol, Transpose, cos,
                   count_ops, exp, expand, preorder_traversal, sin, sqrt)
from sympy.matrices.expressions.diagonal import DiagMatrix

from derivgen.ir.nodes import Elementwise, ScalarFunc
from derivgen.ir.strategies import bottom_up, flatten_node
from derivgen.ir.sums import MatSampleSum, SampleSum, sample_sum
from derivgen.derive.rules.softmax import name_softmax
from derivgen.derive.rules.transpose import push_transposes


def hadamard_drop_ones(expr):
    """$\\mathbf{1} \\odot A = A$."""
    if not isinstance(expr, HadamardProduct):
        return expr
    kept = [a for a in expr.args if not isinstance(a, OneMatrix)]
    if not kept:
        return expr.args[0]
    return kept[0] if len(kept) == 1 else HadamardProduct(*kept)


def hadamard_scalars_out(expr):
    """$(c A) \\odot B = c\\,(A \\odot B)$ for a scalar $c$: a factor such as the
    $\\frac{1}{2}$ of $\\sqrt{u}\\,' = \\frac{1}{2}\\sqrt{u}^{\\odot -1}$ leaves the product
    and meets the factors outside it ($2 \\cdot \\frac{1}{2} = 1$)."""
    if not isinstance(expr, HadamardProduct):
        return expr
    scalars, operands = [], []
    for arg in expr.args:
        if isinstance(arg, MatMul) and not arg.args[0].is_Matrix:
            coefficient, *rest = arg.args
            scalars.append(coefficient)
            operands.append(rest[0] if len(rest) == 1 else MatMul(*rest))
        else:
            operands.append(arg)
    if not scalars:
        return expr
    return MatMul(Mul(*scalars), HadamardProduct(*operands)).doit(deep=False)


def diagonal_of_outer_product(expr):
    """$(\\mathbf{a}\\mathbf{b}^T \\odot I)\\,\\mathbf{1} = \\mathbf{a} \\odot \\mathbf{b}$: the
    diagonal of an outer product, as the vector a textbook writes
    ($\\mathbf{x} \\odot \\mathbf{x}$ for $\\partial\\,\\mathbf{x}^T\\operatorname{diag}(\\mathbf{w})
    \\mathbf{x} / \\partial\\mathbf{w}$)."""
    if not (isinstance(expr, MatMul) and len(expr.args) == 2
            and isinstance(expr.args[1], OneMatrix) and expr.args[1].shape[1] == 1):
        return expr
    masked = expr.args[0]
    if not (isinstance(masked, HadamardProduct) and len(masked.args) == 2):
        return expr
    outer = next((a for a in masked.args if not isinstance(a, Identity)), None)
    if outer is None or not any(isinstance(a, Identity) for a in masked.args) \
            or not isinstance(outer, MatMul):
        return expr
    coeff, matrices = outer.as_coeff_matrices()
    if len(matrices) != 2 or matrices[0].shape[1] != 1 or matrices[1].shape[0] != 1:
        return expr
    column, row = matrices
    product = HadamardProduct(column, push_transposes(Transpose(row)))
    return product if coeff == 1 else MatMul(coeff, product)


def hadamard_powers_merged(expr):
    """$A^{\\odot p} \\odot A^{\\odot q} = A^{\\odot (p+q)}$ (and $A \\odot A^{\\odot q} =
    A^{\\odot (q+1)}$): $4\\mathbf{x}^{\\odot 3}$, not $4(\\mathbf{x} \\odot \\mathbf{x}^{\\odot 2})$.
    Only where a power is already written: $M \\odot M$ stays as it is."""
    if not isinstance(expr, HadamardProduct) or \
            not any(isinstance(a, HadamardPower) for a in expr.args):
        return expr
    exponents: dict = {}
    for arg in expr.args:
        base, power = (arg.base, arg.exp) if isinstance(arg, HadamardPower) else (arg, S.One)
        exponents[base] = exponents.get(base, S.Zero) + power
    if len(exponents) == len(expr.args):
        return expr
    merged = [base if power == 1 else HadamardPower(base, power)
              for base, power in exponents.items() if power != 0]
    if not merged:
        return expr
    return merged[0] if len(merged) == 1 else HadamardProduct(*merged)


def _inverse_power(factor):
    """``(B, k)`` for $(B^k)^{-1}$ or $B^{-k}$ with a whole $k \\ge 2$, else None."""
    if isinstance(factor, Inverse) and isinstance(factor.arg, MatPow):
        base, k = factor.arg.base, factor.arg.exp
    elif isinstance(factor, MatPow) and factor.exp.is_Integer and factor.exp <= -2:
        base, k = factor.base, -factor.exp
    else:
        return None
    return (base, k) if k.is_Integer and k >= 2 else None


def _inverse_of_power(base, k):
    return Inverse(base) if k == 1 else Inverse(MatPow(base, k))


def power_meets_its_base(expr):
    """$(B^k)^{-1} B = B (B^k)^{-1} = (B^{k-1})^{-1}$: $\\mathbf{X}^{-1}$, not
    $(\\mathbf{X}^2)^{-1}\\mathbf{X}$."""
    if not isinstance(expr, MatMul):
        return expr
    args = list(expr.args)
    for k in range(len(args) - 1):
        left, right = args[k], args[k + 1]
        for power, other in ((_inverse_power(left), right), (_inverse_power(right), left)):
            if power is not None and power[0] == other:
                merged = _inverse_of_power(power[0], power[1] - 1)
                return power_meets_its_base(
                    MatMul(*args[:k], merged, *args[k + 2:]).doit(deep=False))
    return expr


def constants_leave_sums(expr):
    """$\\sum_i c\\,\\mathbf{A}_i = c \\sum_i \\mathbf{A}_i$ for $c$ free of $i$:
    $-\\frac{1}{N}\\sum_i y_i \\sigma(\\cdot)\\mathbf{x}_i$, not
    $\\sum_i -\\frac{y_i \\sigma(\\cdot)\\mathbf{x}_i}{N}$ (``ir.sums.sample_sum``)."""
    if not isinstance(expr, (SampleSum, MatSampleSum)):
        return expr
    return sample_sum(expr.body, expr.index, expr.upper)


def _applied(node, kind):
    """The argument of ``node`` when it is the known ``kind`` applied (order 0), else None."""
    if isinstance(node, (Elementwise, ScalarFunc)) and node.kind == kind and node.order == 0:
        return node.arg
    return None


def sinh_over_cosh(expr):
    """$\\sinh(\\mathbf{u}) \\odot \\cosh(\\mathbf{u})^{\\odot -1} = \\tanh(\\mathbf{u})$ (and
    $\\sinh u / \\cosh u = \\tanh u$ for a scalar): the derivative of
    $\\log\\cosh$ as a textbook writes it."""
    if isinstance(expr, HadamardProduct):
        args, powers = list(expr.args), HadamardPower
    elif isinstance(expr, Mul) and not expr.is_Matrix:
        args, powers = list(expr.args), Pow
    else:
        return expr
    for k, top in enumerate(args):
        u = _applied(top, "sinh")
        if u is None:
            continue
        for j, bottom in enumerate(args):
            if isinstance(bottom, powers) and bottom.exp == -1 \
                    and _applied(bottom.base, "cosh") == u:
                cls = Elementwise if isinstance(expr, HadamardProduct) else ScalarFunc
                kept = [a for i, a in enumerate(args) if i not in (k, j)]
                return expr.func(*kept, cls("tanh", "tanh", u)) if kept else cls("tanh", "tanh", u)
    return expr


def diag_of_ones(expr):
    """$\\operatorname{diag}(\\mathbf{1}) = I$."""
    if isinstance(expr, DiagMatrix) and isinstance(expr.args[0], OneMatrix):
        return Identity(expr.shape[0])
    return expr


def _elementwise_closed_form(name, kind, arg):
    """The first derivative of the known elementwise ``kind`` at ``arg``, or None."""
    value = Elementwise(name, kind, arg)
    ones = OneMatrix(*arg.shape)
    forms = {
        "sigmoid": lambda: HadamardProduct(value, MatAdd(ones, MatMul(-1, value))),
        "tanh": lambda: MatAdd(ones, MatMul(-1, HadamardPower(value, 2))),
        "square": lambda: MatMul(2, arg),
        "exp": lambda: value,
        "log": lambda: HadamardPower(arg, -1),
        "softplus": lambda: Elementwise("sigma", "sigmoid", arg),
        "sin": lambda: Elementwise("cos", "cos", arg),
        "cos": lambda: MatMul(-1, Elementwise("sin", "sin", arg)),
        "tan": lambda: MatAdd(ones, HadamardPower(value, 2)),
        "sinh": lambda: Elementwise("cosh", "cosh", arg),
        "cosh": lambda: Elementwise("sinh", "sinh", arg),
        "sqrt": lambda: MatMul(Rational(1, 2), HadamardPower(value, -1)),
    }
    return forms[kind]() if kind in forms else None


def _scalar_closed_form(name, kind, arg):
    """The first derivative of the known function ``kind`` at the scalar ``arg``, or None."""
    value = ScalarFunc(name, kind, arg)
    forms = {
        "sigmoid": lambda: value * (1 - value),
        "tanh": lambda: 1 - value ** 2,
        "square": lambda: 2 * arg,
        "exp": lambda: exp(arg),
        "log": lambda: 1 / arg,
        "softplus": lambda: ScalarFunc("sigma", "sigmoid", arg),
        "sin": lambda: cos(arg),
        "cos": lambda: -sin(arg),
        "tan": lambda: 1 + value ** 2,
        "sinh": lambda: ScalarFunc("cosh", "cosh", arg),
        "cosh": lambda: ScalarFunc("sinh", "sinh", arg),
        "sqrt": lambda: 1 / (2 * sqrt(arg)),
    }
    return forms[kind]() if kind in forms else None


def closed_form_identity(node):
    """``f'(x) = ...`` for the known function of ``node`` (a first derivative), as an
    ``(lhs, rhs)`` pair of scalar expressions in the problem's own name of the function,
    e.g. $\\sigma'(x) = \\sigma(x)(1 - \\sigma(x))$; None for a generic or unknown one."""
    x = Symbol("x")
    closed = _scalar_closed_form(node.name, node.kind, x)
    if closed is None or node.kind in ("exp", "square"):   # e^x and x^2: no name needed
        return None
    if node.kind == "sigmoid":  # sigma(x)(1 - sigma(x)), in the textbook's order
        value = ScalarFunc(node.name, node.kind, x)
        closed = Mul(value, 1 - value, evaluate=False)
    return ScalarFunc(node.name, node.kind, x, 1), closed


def known_derivative(expr):
    """Closed forms of known functions' first derivatives; a generic $g'$ stays $g'$.

    $\\sigma'(A) = \\sigma(A) \\odot (1 - \\sigma(A))$, $\\tanh'(A) = 1 - \\tanh(A)^{\\odot 2}$,
    $\\log'(A) = A^{\\odot -1}$, $\\operatorname{softplus}'(A) = \\sigma(A)$, $\\sin' = \\cos$,
    $\\cos' = -\\sin$, $\\tan' = 1 + \\tan^2$, $\\sinh' = \\cosh$, $\\cosh' = \\sinh$, $\\sqrt{\\cdot}\\,'(A) = \\frac{1}{2}\\sqrt{A}^{\\odot -1}$, $(A^{\\odot 2})' = 2A$;
    e.g. $\\sigma'(\\mathbf{W}\\mathbf{x}) \\to \\sigma(\\mathbf{W}\\mathbf{x}) \\odot
    (\\mathbf{1} - \\sigma(\\mathbf{W}\\mathbf{x}))$.
    """
    if not isinstance(expr, (Elementwise, ScalarFunc)) or expr.order != 1:
        return expr
    closed = (_elementwise_closed_form if isinstance(expr, Elementwise)
              else _scalar_closed_form)(expr.name, expr.kind, expr.arg)
    return expr if closed is None else closed


def softmax_named(expr):
    """$\\frac{e^{\\mathbf{a}}}{\\mathbf{1}^T e^{\\mathbf{a}}} = \\operatorname{softmax}(\\mathbf{a})$
    (``rules.softmax.name_softmax``), so a result reads as the lecture writes it."""
    named = name_softmax(expr)
    return expr if named is None else named


def scalar_expanded(expr):
    """A scalar sum multiplied out when that makes it shorter:
    $(1 - y)\\sigma - y(1 - \\sigma) = \\sigma - y$. Functions and ``1 x 1`` blocks are
    kept whole (``(\\mathbf{A}\\mathbf{x})^T\\mathbf{x}`` is not multiplied out)."""
    if not isinstance(expr, Add) or expr.is_Matrix:
        return expr
    opaque = {}
    walk = preorder_traversal(expr)
    for node in walk:
        if node.is_Matrix or not isinstance(node, (Add, Mul, Pow, Number, Symbol)):
            opaque.setdefault(node, Dummy())
            walk.skip()
    plain = expr.xreplace(opaque)
    expanded = expand(plain)
    if count_ops(expanded) >= count_ops(plain):
        return expr
    return expanded.xreplace({d: node for node, d in opaque.items()})


def number_into_sum(expr):
    """$2\\lambda(\\frac{1}{2} - \\frac{\\alpha}{2}) = \\lambda(1 - \\alpha)$: a number that
    multiplies a scalar sum goes into it when that makes the product shorter."""
    if not isinstance(expr, Mul) or expr.is_Matrix:
        return expr
    number, rest = expr.as_coeff_Mul()
    sums = [f for f in Mul.make_args(rest) if isinstance(f, Add)]
    if number in (1, -1) or len(sums) != 1:
        return expr
    others = [f for f in Mul.make_args(rest) if f is not sums[0]]
    spread = expand(number * sums[0], deep=False)
    if count_ops(spread) >= count_ops(Mul(number, sums[0], evaluate=False)):
        return expr
    return Mul(*others, spread)


def _negative(term) -> bool:
    coeff = term.as_coeff_matrices()[0] if isinstance(term, MatMul) else S.One
    return bool(coeff.could_extract_minus_sign())


def _repeated(factor, others) -> bool:
    """Whether ``factor`` or its transpose is among ``others``."""
    flipped = push_transposes(Transpose(factor))
    return any(other in (factor, flipped) or push_transposes(Transpose(other)) == factor
               for other in others)


def minus_into_sum(expr):
    r"""$-c\,A(B - C)D = c\,A(C - B)D$: a minus sign in front of a product goes into a sum
    it multiplies when that sum then has no more minus signs than before, so a result
    reads $(\mathbf{W}\mathbf{X} - \mathbf{Y})\mathbf{X}^T$, not
    $-(\mathbf{Y} - \mathbf{W}\mathbf{X})\mathbf{X}^T$. A sum the product holds twice keeps
    its sign: $-\Sigma^{-1}(\mathbf{x} - \boldsymbol\mu)(\mathbf{x} - \boldsymbol\mu)^T\Sigma^{-1}$
    stays symmetric to the eye."""
    if not isinstance(expr, MatMul):
        return expr
    coeff, matrices = expr.as_coeff_matrices()
    if not coeff.could_extract_minus_sign():
        return expr
    for k, factor in enumerate(matrices):
        if isinstance(factor, MatAdd) and not _repeated(factor, matrices[:k] + matrices[k + 1:]):
            negated = MatAdd(*[MatMul(-1, t).doit(deep=False) for t in factor.args]).doit(deep=False)
            if (isinstance(negated, MatAdd)
                    and sum(map(_negative, negated.args)) <= sum(map(_negative, factor.args))):
                return MatMul(-coeff, *matrices[:k], negated, *matrices[k + 1:]).doit(deep=False)
    return expr


def factor_common(expr):
    """$A\\mathbf{x}^T + B\\mathbf{x}^T = (A + B)\\mathbf{x}^T$, $CA + CB = C(A + B)$ and
    $A \\odot K - B \\odot K = (A - B) \\odot K$: a factor that every term of a sum ends
    (or starts) with, or an operand of every term's Hadamard product, is taken out."""
    if not isinstance(expr, MatAdd):
        return expr
    terms = [t.as_coeff_matrices() if isinstance(t, MatMul) else (S.One, [t])
             for t in expr.args]
    scalar = _common_scalar([c for c, _ in terms])
    if scalar is not None:
        inner = MatAdd(*[MatMul(c / scalar, *m).doit(deep=False) for c, m in terms])
        return MatMul(scalar, factor_common(inner.doit(deep=False))).doit(deep=False)
    if all(len(matrices) >= 2 for _, matrices in terms):
        for side in (-1, 0):
            common = terms[0][1][side]
            if all(matrices[side] == common for _, matrices in terms):
                rests = [MatMul(c, *(m[:-1] if side == -1 else m[1:])).doit(deep=False)
                         for c, m in terms]
                inner = factor_common(MatAdd(*rests).doit(deep=False))
                factors = (inner, common) if side == -1 else (common, inner)
                return MatMul(*factors).doit(deep=False)
    if all(len(m) == 1 and isinstance(m[0], HadamardProduct) for _, m in terms):
        return _factor_hadamard(terms) or expr
    return _factor_some(expr, terms)


def _common_scalar(coefficients):
    """The symbolic factors every coefficient of a sum has, as one product, or None:
    $\\frac{1}{T}\\mathbf{s} - \\frac{1}{T}\\mathbf{y} = \\frac{1}{T}(\\mathbf{s} - \\mathbf{y})$
    (numbers stay in the terms)."""
    shared = None
    for c in coefficients:
        factors = [f for f in Mul.make_args(c) if not f.is_Number]
        shared = factors if shared is None else [f for f in shared if f in factors]
        if not shared:
            return None
    return Mul(*shared)


def _factor_some(expr, terms):
    r"""$\lambda W - YX^T + SX^T = (S - Y)X^T + \lambda W$: the one largest group of at
    least two (not all) terms that end (or start) with the same factor has it taken out;
    with two such groups ($ab^T + Xbb^T + ax^T$) which to take is a matter of taste, so
    the sum is left as it is."""
    groups = []
    for side in (-1, 0):
        by_factor: dict = {}
        for k, (_, matrices) in enumerate(terms):
            if len(matrices) >= 2:
                by_factor.setdefault(matrices[side], []).append(k)
        groups += [members for members in by_factor.values() if len(members) >= 2]
    if not groups:
        return expr
    largest = max(map(len, groups))
    best = [members for members in groups if len(members) == largest]
    if len(best) > 1:
        return expr
    members = best[0]
    grouped = factor_common(MatAdd(*[expr.args[k] for k in members]).doit(deep=False))
    others = [a for k, a in enumerate(expr.args) if k not in members]
    return MatAdd(grouped, *others).doit(deep=False)


def _factor_hadamard(terms):
    operands = [list(m[0].args) for _, m in terms]
    common = [o for o in operands[0] if all(o in others for others in operands[1:])]
    rests = [[o for o in ops if o not in common] for ops in operands]
    if not common or not all(rests):
        return None
    parts = [MatMul(c, rest[0] if len(rest) == 1 else HadamardProduct(*rest)).doit(deep=False)
             for (c, _), rest in zip(terms, rests)]
    return HadamardProduct(factor_common(MatAdd(*parts).doit(deep=False)), *common)


TEXTBOOK_RULES = (known_derivative, hadamard_drop_ones, hadamard_scalars_out, flatten_node,
                  hadamard_powers_merged, power_meets_its_base, constants_leave_sums,
                  sinh_over_cosh,
                  diag_of_ones, diagonal_of_outer_product,
                  softmax_named, number_into_sum, scalar_expanded, factor_common, minus_into_sum)


def textbook(expr):
    """Apply ``TEXTBOOK_RULES`` bottom up, after pushing transposes to the symbols."""
    expr = push_transposes(expr)
    for rule in TEXTBOOK_RULES:
        expr = bottom_up(rule, expr)
    return expr
