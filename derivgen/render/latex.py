"""LaTeX for IR expressions, in the lecture's notation.

    >>> from sympy import MatrixSymbol, symbols
    >>> m, n = symbols("m n", integer=True, positive=True)
    >>> a, X, b = MatrixSymbol("a", m, 1), MatrixSymbol("X", m, n), MatrixSymbol("b", n, 1)
    >>> to_latex(a.T * X * b)
    '\\\\mathbf{a}^T\\\\mathbf{X}\\\\mathbf{b}'

Spacing is pinned: matrix products are juxtaposed without spaces (``\\mathbf{A}\\mathbf{x}``),
binary operators have one space each side (``\\mathbf{A}\\mathbf{x} - \\mathbf{y}``,
``\\mathbf{a} \\odot \\mathbf{b}``), and a differential is set off by ``\\,`` from its
neighbours in a product (``d\\mathbf{X}\\,\\mathbf{b}``).

Every ``print`` returns the text together with its precedence so the caller can decide on
parentheses; parentheses are added only where reading the text would be ambiguous.
"""

from __future__ import annotations

import re


from sympy.matrices.expressions.diagonal import DiagMatrix
from sympy import (Abs, Add, Determinant, Float, HadamardPower, HadamardProduct, Identity,
                   Inverse, KroneckerProduct, MatAdd, MatMul, MatPow, MatrixExpr, MatrixSymbol,
                   Mul, Number, OneMatrix, Pow, S, Sum, Symbol, Trace, Transpose, ZeroMatrix,
                   exp, fraction, log, preorder_traversal)
from sympy import conjugate as Conjugate
from sympy import im, re as Re
from sympy.matrices.expressions.adjoint import Adjoint
from sympy.core.function import Function
from sympy.core.sorting import default_sort_key
from sympy.printing.latex import LatexPrinter

from derivgen.ir.nodes import (DIFFERENTIALS, AsScalar, ConjugateScalar, ConjugateSymbol, DiffScalar,
                               DiffSymbol, Elementwise, Gradient, MatD, ScalarD, ScalarFunc, Softmax,
                               conjugated_name)
from derivgen.ir.sums import MatSampleSum, Sample, SampleDiff, SampleScalar, SampleSum
from derivgen.ir.vec import Commutation, HessianArray, Named, Vec
from derivgen.problem.commands import GREEK
from derivgen.parse.scope import CONSTANT, names_in, numeric_sizes

# Precedence, loosest first. A sub-expression is parenthesized when its precedence is lower
# than what its position requires.
ADD = 10        # a + b, a - b
NEG = 15        # -a: needs parentheses as a factor or operand, not as a term
HADAMARD = 20   # a \odot b, a \otimes b
MUL = 30        # juxtaposition: matrix and scalar products, \frac
DIFF = 35       # d\mathbf{X}: fine as a factor, parenthesized under ^T
FRAC = 38       # \frac{\partial f}{\partial \mathbf{a}}: a factor as it is, (...)^T
POSTFIX = 40    # x^T, x^{-1}, x^2
ATOM = 50       # symbols, f(...), \operatorname{tr}(...)


# Functions LaTeX has an operator for; the rest are \operatorname{name}.
OPERATOR_NAMES = {"log", "exp", "sin", "cos", "tan", "tanh", "sinh", "cosh", "arctan"}

# An exponent longer than this (in characters of LaTeX) is printed as \exp(...).
LONG_EXPONENT = 40


def to_latex(expr, scope=None) -> str:
    """LaTeX for an IR expression; ``scope`` supplies ``latex:`` overrides of variable names.

        >>> from sympy import MatrixSymbol
        >>> X = MatrixSymbol("X", 3, 3)
        >>> to_latex(X.I.T)
        '\\\\mathbf{X}^{-T}'
    """
    # A derivation prints the same expressions again and again (a section's start is the
    # previous one's end; results appear in the solutions and the answers): remember the
    # texts of the problem being printed, i.e. of the last scope.
    if _PRINTED["scope"] is not scope:
        _PRINTED["scope"], _PRINTED["texts"] = scope, {}
    texts = _PRINTED["texts"]
    try:
        text = texts.get(expr)
    except TypeError:           # not hashable: nothing to remember it by
        return LectureLatexPrinter(scope).text(numeric_sizes(expr))
    if text is None:
        text = texts[expr] = LectureLatexPrinter(scope).text(numeric_sizes(expr))
    return text


_PRINTED: dict = {"scope": None, "texts": {}}


def name_latex(name: str, *, bold: bool) -> str:
    """``W_1`` -> ``\\mathbf{W}_1``, ``lambda`` -> ``\\lambda``, ``Sigma`` -> ``\\boldsymbol{\\Sigma}``.

        >>> name_latex("a_12", bold=True)
        '\\\\mathbf{a}_{12}'
    """
    name = safe_identifier(name)
    base, _, sub = name.partition("_")
    if base in GREEK:
        core = "\\" + base
        core = f"\\boldsymbol{{{core}}}" if bold else core
    elif bold:
        core = f"\\mathbf{{{base}}}"
    else:
        core = base
    if not sub:
        return core
    sub_latex = ",".join(_subscript_part(part) for part in sub.split("_"))
    return f"{core}_{{{sub_latex}}}" if len(sub_latex) > 1 else f"{core}_{sub_latex}"


def with_index(text: str, index: str) -> str:
    """``\\mathbf{x}`` + ``i`` -> ``\\mathbf{x}_i``; ``\\mathbf{a}_1`` + ``i`` -> ``\\mathbf{a}_{1,i}``."""
    found = re.search(r"_(\{([^{}]*)\}|([A-Za-z0-9]))$", text)
    if found:
        return f"{text[:found.start()]}_{{{found.group(2) or found.group(3)},{index}}}"
    return f"{text}_{index}"


def safe_identifier(name: str) -> str:
    """``name`` with anything but letters, digits and ``_`` dropped.

    Names come from problem files; the loader checks them, and this keeps a name that got
    past it from ever carrying LaTeX (``}\\input{``) into the output.
    """
    cleaned = re.sub(r"[^A-Za-z0-9_]", "", name)
    return cleaned or "x"


def _subscript_part(part: str) -> str:
    return "\\" + part if part in GREEK else part


def function_name_latex(name: str) -> str:
    """How a declared function's name is written: ``sigma`` -> ``\\sigma``, ``g`` -> ``g``."""
    name = safe_identifier(name)
    if name in GREEK:
        return "\\" + name
    if name in OPERATOR_NAMES:
        return "\\" + name
    if len(name) == 1:
        return name
    return f"\\operatorname{{{name}}}"


def primes(order: int) -> str:
    if order <= 0:
        return ""
    if order <= 3:
        return "'" * order
    return f"^{{({order})}}"


class LectureLatexPrinter:
    """Prints IR expressions; ``print_`` returns ``(text, precedence)``."""

    def __init__(self, scope=None):
        self.scope = scope
        self._fallback = LatexPrinter()
        # The operand being printed whose neighbours give its size (see ``wrap``), and
        # whether the node now being printed is such an operand.
        self._placed = None
        self._is_placed = False
        self._ranks = None

    def text(self, expr) -> str:
        return self.print_(expr)[0]

    def wrap(self, expr, min_prec: int, placed: bool = False) -> str:
        """The text of ``expr``, parenthesized when it binds looser than ``min_prec``.

        ``placed``: ``expr`` is an operand whose neighbours give its size when the text
        is read back, so a ``\\mathbf{1}`` or ``\\mathbf{I}`` there needs no subscript.
        """
        self._placed = expr if placed else None
        text, prec = self.print_(expr)
        if prec >= min_prec:
            return text
        return parenthesized(text)

    # Dispatch: most specific classes first (DiffSymbol is a MatrixSymbol, ...).
    def print_(self, expr):
        self._is_placed, self._placed = self._placed is expr, None
        if isinstance(expr, (Identity, OneMatrix, ZeroMatrix)):
            return self._print_constant(expr, self._is_placed)
        for cls, method in self._dispatch:
            if isinstance(expr, cls):
                return method(self, expr)
        return self._print_fallback(expr)

    # --- symbols -------------------------------------------------------------------------

    def _override(self, name: str):
        if self.scope is None:
            return None
        latex_name = getattr(self.scope, "latex_name", None)
        return latex_name(name) if latex_name else None

    def _print_matrix_symbol(self, expr):
        return self.symbol_name(expr.name, bold=True), _symbol_precedence(expr)

    def symbol_name(self, name: str, *, bold: bool) -> str:
        base = conjugated_name(name)
        if base is not None:  # the conjugate variable Z* of Wirtinger calculus
            return self.symbol_name(base, bold=bold) + "^*"
        override = self._override(name)
        if override and re.search(r"[\^_'\s]", override):
            # ``latex: 'a^2'`` is one symbol: braced, so that ``^T`` after it is no
            # double superscript
            return "{" + override + "}"
        return override if override else name_latex(name, bold=bold)

    def _hermitian_base(self, expr):
        """``\\mathbf{Z}`` for ``Z*``, ``(d\\mathbf{Z})`` for ``dZ*``: what ``^H`` is put on."""
        if not isinstance(expr, MatrixSymbol) or conjugated_name(expr.name) is None:
            return None
        if isinstance(expr, DiffSymbol):
            return f"(d{self.symbol_name(conjugated_name(expr.base_name), bold=True)})"
        return self.symbol_name(conjugated_name(expr.name), bold=True)

    def _print_diff_symbol(self, expr):
        return "d" + self.symbol_name(expr.base_name, bold=True), DIFF

    def _print_diff_scalar(self, expr):
        return "d" + self.symbol_name(expr.base_name, bold=False), DIFF

    def _print_symbol(self, expr):
        if expr.name == "df":  # the differential of the function, as the problem names it
            return "d" + self.function_name(), ATOM
        return self.symbol_name(expr.name, bold=False), _symbol_precedence(expr)

    def _print_constant(self, expr, placed: bool):
        """``\\mathbf{I}``, ``\\mathbf{1}``, ``\\mathbf{0}``, sized unless ``placed``.

        As the lecture writes them, ``\\mathbf{I}`` and a vector of ones take their size
        from their neighbours (``\\mathbf{S} + \\mathbf{I}``, ``\\mathbf{1}^T e^{\\mathbf{a}}``);
        elsewhere (``\\operatorname{tr}(\\mathbf{I}_n)``) they are sized, so that the text
        reads back. A matrix of ones is always sized (it would read back as a vector), and
        so is a zero: SymPy folds zeros into their neighbours, so one stands alone.
        """
        rows, cols = expr.shape
        if rows == 1 and cols == 1:
            return ("0" if isinstance(expr, ZeroMatrix) else "1"), ATOM
        letter = {Identity: "I", OneMatrix: "1", ZeroMatrix: "0"}[type(expr)]
        vector = rows == 1 or cols == 1
        if placed and takes_its_size(expr):
            size = ""
        elif vector or isinstance(expr, Identity):
            size = self._subscript(cols if rows == 1 else rows)
        else:
            size = self._subscript(rows, cols)
        text = f"\\mathbf{{{letter}}}{size}"
        if rows == 1:  # a row: the transposed column, 1^T x
            return text + "^T", POSTFIX
        return text, (POSTFIX if size else ATOM)

    def _subscript(self, *dims):
        """``_n``, ``_{m \\times n}``: the size of a constant matrix."""
        text = " \\times ".join(self._dimension(d) for d in dims)
        return f"_{text}" if len(text) == 1 else f"_{{{text}}}"

    def _dimension(self, dim):
        """``m``, or a Kronecker product's ``m \\cdot n``, ``m \\cdot m``: as a size reads back."""
        factors = dim.as_ordered_factors() if isinstance(dim, Mul) else [dim]
        texts = []
        for factor in factors:
            base, power = factor.as_base_exp()
            texts += [self.text(base)] * int(power) if power.is_Integer else [self.text(factor)]
        return " \\cdot ".join(texts)

    # --- differentials -------------------------------------------------------------------

    def _print_d(self, expr):
        arg = expr.arg
        if is_atom_symbol(arg):
            return "d" + self.text(arg), DIFF
        return f"d{parenthesized(self.text(arg))}", DIFF

    # --- postfix operators ---------------------------------------------------------------

    def _print_transpose(self, expr):
        arg = expr.arg
        hermitian = self._hermitian_base(arg.arg if isinstance(arg, Inverse) else arg)
        if hermitian is not None:  # (Z^*)^T = Z^H, ((Z^*)^{-1})^T = Z^{-H}
            return hermitian + ("^{-H}" if isinstance(arg, Inverse) else "^H"), POSTFIX
        if isinstance(arg, Inverse) and not isinstance(arg.arg, Transpose):
            return self.wrap(arg.arg, ATOM) + "^{-T}", POSTFIX
        if isinstance(arg, MatD) and not is_atom_symbol(arg.arg):
            # d(E)^T: the parentheses of d(...) already delimit it, and d(E)^T = d(E^T).
            return self.text(arg) + "^T", POSTFIX
        return self.wrap(arg, ATOM) + "^T", POSTFIX

    def _print_inverse(self, expr):
        arg = expr.arg
        if isinstance(arg, Transpose) and self._hermitian_base(arg.arg) is not None:
            return self._hermitian_base(arg.arg) + "^{-H}", POSTFIX
        if isinstance(arg, Transpose):
            return self.wrap(arg.arg, ATOM) + "^{-T}", POSTFIX
        if isinstance(arg, Adjoint):
            return self.wrap(arg.arg, ATOM) + "^{-H}", POSTFIX
        return self.wrap(arg, ATOM) + "^{-1}", POSTFIX

    def _print_adjoint(self, expr):
        arg = expr.arg
        if isinstance(arg, Transpose):
            # SymPy writes the entrywise conjugate of X as Adjoint(Transpose(X)).
            return self.wrap(arg.arg, ATOM) + "^*", POSTFIX
        if isinstance(arg, Inverse):
            return self.wrap(arg.arg, ATOM) + "^{-H}", POSTFIX
        return self.wrap(arg, ATOM) + "^H", POSTFIX

    def _print_conjugate(self, expr):
        return self.wrap(expr.args[0], ATOM) + "^*", POSTFIX

    def _print_matpow(self, expr):
        base, power = expr.args
        if power == -1:
            return self._print_inverse(Inverse(base))
        return f"{self.wrap(base, ATOM)}^{{{self.text(power)}}}", POSTFIX

    def _print_hadamard_power(self, expr):
        base, power = expr.args
        return f"{self.wrap(base, ATOM)}^{{\\odot {self.text(power)}}}", POSTFIX

    # --- functions -----------------------------------------------------------------------

    def _print_operator(self, expr):
        """``\\operatorname{tr}(...)`` and the other named operators of ``OPERATORS``."""
        name = next(n for cls, n in OPERATORS.items() if isinstance(expr, cls))
        return f"\\operatorname{{{name}}}{parenthesized(self.text(expr.args[0]))}", ATOM

    def _print_commutation(self, expr):
        m, n = self.text(expr.rows_of), self.text(expr.cols_of)
        sep = "" if len(m) == len(n) == 1 else ","
        return f"\\mathbf{{K}}_{{{m}{sep}{n}}}", ATOM

    def _print_named(self, expr):
        return self.symbol_name(expr.name, bold=True), ATOM

    def _print_hessian_array(self, expr):
        return self.print_(expr.hessian)

    def _print_det(self, expr):
        return f"\\det({self.text(expr.arg)})", ATOM

    def _print_applied(self, name: str, kind: str, arg, order: int):
        inner = self.text(arg)
        if kind == "exp" or (name == "exp" and kind != "generic"):
            return self._exp_text(inner)
        if kind == "sqrt" and order == 0:
            return f"\\sqrt{{{inner}}}", ATOM
        return f"{function_name_latex(name)}{primes(order)}({inner})", ATOM

    def _exp_text(self, inner: str):
        if len(inner) > LONG_EXPONENT or "\\frac" in inner:
            return f"\\exp({inner})", ATOM
        return f"e^{{{inner}}}", POSTFIX

    def _print_elementwise(self, expr):
        return self._print_applied(expr.name, expr.kind, expr.arg, expr.order)

    def _print_exp(self, expr):
        return self._exp_text(self.text(expr.args[0]))

    def _print_log(self, expr):
        return f"\\log({self.text(expr.args[0])})", ATOM

    def _print_function(self, expr):
        """SymPy's scalar functions: ``\\cos(y)``, ``\\operatorname{atan2}(y, x)``."""
        name = type(expr).__name__
        head = f"\\{name}" if name in OPERATOR_NAMES else f"\\operatorname{{{safe_identifier(name)}}}"
        return f"{head}({', '.join(self.text(a) for a in expr.args)})", ATOM

    def _print_abs(self, expr):
        return f"|{self.text(expr.args[0])}|", ATOM

    def _print_re(self, expr):
        return f"\\operatorname{{Re}}\\{{{self.text(expr.args[0])}\\}}", ATOM

    def _print_im(self, expr):
        return f"\\operatorname{{Im}}\\{{{self.text(expr.args[0])}\\}}", ATOM

    def _print_sample(self, expr):
        bold = isinstance(expr, Sample)
        return with_index(self.symbol_name(expr.family, bold=bold), str(expr.index)), ATOM

    def _print_sample_diff(self, expr):
        return "d" + self.text(expr.base), DIFF

    def _print_gradient(self, expr):
        f = self.function_name()
        return f"\\frac{{\\partial {f}}}{{\\partial {self.text(expr.of)}}}", FRAC

    def function_name(self) -> str:
        """How the solution calls the function: ``f``, or ``\\ell`` when the problem does."""
        return getattr(self.scope, "function_name", None) or "f"

    def _print_sample_sum(self, expr):
        # Printed in front of a product, the sum reads as summing the whole product; that
        # is the same value, since nothing outside the sum depends on its index.
        limits = f"\\sum_{{{expr.index}=1}}^{{{self.text(expr.upper)}}}"
        return f"{limits} {self.wrap(expr.body, MUL)}", MUL

    def _print_as_scalar(self, expr):
        return self.print_(expr.arg)

    def _print_sum(self, expr):
        body = self.wrap(expr.function, MUL)
        limits = []
        for var, low, high in expr.limits:
            limits.append(f"\\sum_{{{self.text(var)}={self.text(low)}}}^{{{self.text(high)}}}")
        return " ".join(limits) + " " + body, MUL

    # --- numbers -------------------------------------------------------------------------

    def _print_number(self, expr):
        if expr.is_Rational and expr.q != 1:
            sign = "-" if expr < 0 else ""
            return f"{sign}\\frac{{{abs(expr.p)}}}{{{expr.q}}}", NEG if sign else MUL
        if isinstance(expr, Float):
            text = f"{float(expr):g}"
        else:
            text = str(expr)
        if expr.is_number and expr.is_real and expr < 0:
            return text, NEG
        return text, ATOM

    def _print_imaginary_unit(self, expr):
        return "j", ATOM

    # --- sums ----------------------------------------------------------------------------

    def _print_add(self, expr):
        folded = transposed_sum(expr)
        if folded is not None:
            return self.wrap(folded, ATOM) + "^T", POSTFIX
        terms = list(expr.as_ordered_terms()) if isinstance(expr, Add) else list(expr.args)
        terms = self._in_reading_order(terms)
        # A sum that starts with a minus reads better with a positive term first.
        positive = next((t for t in terms if not is_negative(t)), None)
        if positive is not None and is_negative(terms[0]):
            terms = [positive] + [t for t in terms if t is not positive]
        placed = self._operands_placed(terms) if isinstance(expr, MatAdd) else \
            [False] * len(terms)
        parts = []
        for i, term in enumerate(terms):
            if is_negative(term):
                body = self.wrap(negate(term), NEG + 1, placed[i])
                parts.append(f" - {body}" if i else f"-{body}")
            else:
                # a sum of 1 x 1 matrices inside a sum of scalars needs no parentheses
                inner_sum = isinstance(term, AsScalar) and isinstance(term.arg, MatAdd)
                body = self.wrap(term, ADD if inner_sum else ADD + 1, placed[i])
                parts.append(f" + {body}" if i else body)
        return "".join(parts), ADD

    def _in_reading_order(self, terms):
        """``terms`` in the order the instructor wrote them: ``(WX - Y)X^T + \\lambda W``
        for ``\\|Y - WX\\|_F^2 + \\lambda\\|W\\|_F^2``, as a textbook writes it.

        With several variables, each variable's terms come together (``dW`` before ``db``
        when the instructor writes ``W`` first). A term belongs where the last of its names
        is first mentioned (``\\lambda W`` to the regularizer; a constant term where the
        instructor first wrote one); among those, fewer names first (``Wx + b`` before
        ``-\\mathbf{1}\\log(\\ldots)``), and SymPy's order breaks the remaining ties."""
        rank = self._rank()
        if not rank:
            return terms
        unseen = len(rank)

        def names_of(term):
            # a name the formula does not write (the N of an N-fold term) does not place it
            return frozenset(name for name in names_in(term) if name in rank) or \
                frozenset([CONSTANT])

        def differential(term):
            return min((rank.get(name, unseen) for d in term.atoms(*DIFFERENTIALS, MatD, ScalarD)
                        for name in names_in(d)), default=-1)
        names = [names_of(term) for term in terms]
        # terms the function writes as one sum (1 + e^{Aw}, tr(.) + log det S): in its order
        written = getattr(self.scope, "written_order", lambda _: None)(names)
        if written is not None:
            keys = [(differential(t), at) for t, at in zip(terms, written)]
        else:
            keys = [(differential(t), max(rank.get(n, unseen) for n in ns), len(ns))
                    for t, ns in zip(terms, names)]
        return [term for _, term in sorted(zip(keys, terms), key=lambda pair: pair[0])]

    def _rank(self):
        if self._ranks is None:
            reading_rank = getattr(self.scope, "reading_rank", None)
            self._ranks = reading_rank() if reading_rank else {}
        return self._ranks

    def _operands_placed(self, operands):
        """Operands of a sum or Hadamard product: each is sized by any other, or by the
        place of the whole."""
        sizing = [not takes_its_size(o) for o in operands]
        return [self._is_placed or any(sizing[:i] + sizing[i + 1:])
                for i in range(len(operands))]

    # --- products ------------------------------------------------------------------------

    def _print_hadamard(self, expr):
        if isinstance(expr, KroneckerProduct):  # not commutative: keep the order
            return " \\otimes ".join(self._hadamard_operand(a, False) for a in expr.args), \
                HADAMARD
        operands = sorted(expr.args, key=hadamard_order)
        placed = self._operands_placed(operands)
        return " \\odot ".join(self._hadamard_operand(a, p) for a, p in zip(operands, placed)), \
            HADAMARD

    def _hadamard_operand(self, arg, placed):
        # A scaled product is parenthesized: 2\mathbf{M}\mathbf{Y} \odot \mathbf{Z} could be
        # misread as 2 times a Hadamard product.
        if isinstance(arg, MatMul) and arg.as_coeff_mmul()[0] != 1:
            return f"({self.wrap(arg, ADD, placed)})"
        return self.wrap(arg, HADAMARD + 1, placed)

    def _print_matmul(self, expr):
        scalars = [a for a in expr.args if not isinstance(a, MatrixExpr)]
        matrices = [a for a in expr.args if isinstance(a, MatrixExpr)]
        # a 1 x 1 matrix of ones is the number 1: m\mathbf{1}^T\mathbf{1}... not m 1
        matrices = [a for a in matrices if not is_one(a)]
        if not matrices:
            return self.print_(Mul(*scalars))
        placed = self._factors_placed(matrices)
        coeff = Mul(*scalars)
        if is_negative(coeff):
            text, _ = self._product_text(negate(coeff), matrices, placed)
            return "-" + text, NEG
        return self._product_text(coeff, matrices, placed)

    def _factors_placed(self, matrices):
        """Factors of a matrix product sized by a neighbour: a column of ones by the factor
        on its left, a row by the one on its right, an identity by either; at either end,
        by the place of the whole product."""
        last = len(matrices) - 1
        sizing = [not takes_its_size(m) for m in matrices]
        placed = []
        for k, m in enumerate(matrices):
            left = sizing[k - 1] if k > 0 else self._is_placed
            right = sizing[k + 1] if k < last else self._is_placed
            rows, cols = m.shape
            placed.append(left if cols == 1 else right if rows == 1 else left or right)
        return placed

    def _product_text(self, coeff, matrices, placed):
        num, den = fraction(coeff)
        if not den.is_Number and not any(isinstance(m, MatSampleSum) for m in matrices):
            # \frac{\mathbf{a}}{\mathbf{a}^T\mathbf{x}} rather than \frac{1}{...}\mathbf{a};
            # a sum stays out of a numerator: \frac{1}{N}\sum_i, as the lecture writes it
            top, _ = self._product_text(num, matrices, placed)
            return f"\\frac{{{top}}}{{{self.text(den)}}}", MUL
        factors = []
        if coeff != 1:
            factors.extend(self._scalar_factors(coeff, in_matrix_product=True))
        for i, (m, p) in enumerate(zip(matrices, placed)):
            # a sum over samples closes a product: 2\sum_i \mathbf{a}_i, not 2(\sum_i ...)
            last_sum = i == len(matrices) - 1 and isinstance(m, MatSampleSum)
            factors.append((self.wrap(m, MUL if last_sum else MUL + 1, p), is_differential(m)))
        if spreads_a_scalar(coeff, matrices):
            factors = factors[-1:] + factors[:-1]   # 1 log(1^T e^a), as the lecture writes
        return join_factors(factors), MUL

    def _scalar_factors(self, coeff, *, in_matrix_product: bool):
        """Texts of a (positive) scalar coefficient's factors, with differential flags."""
        num, den = fraction(coeff)
        if den != 1:
            return self._fraction_factors(num, den, in_matrix_product)
        result = []
        factors = coeff.as_ordered_factors() if isinstance(coeff, Mul) else [coeff]
        # the differential last, as the lecture writes it: 2t\,dt, not 2\,dt\,t
        factors = sorted(factors, key=is_differential)
        # (a^T x)(b^T y) and (a^T x)b need parentheses, 2a^T x does not.
        many = in_matrix_product or sum(not f.is_Number for f in factors) > 1
        for f in factors:
            if isinstance(f, AsScalar) and many and isinstance(f.arg, (MatMul, MatAdd,
                                                                        HadamardProduct)):
                result.append((f"({self.text(f)})", False))
            else:
                # Scalar products associate, so a factor a^T y needs no parentheses in 2a^T y;
                # next to matrices, a product or sum of scalars does.
                min_prec = MUL + 1 if in_matrix_product else MUL
                result.append((self.wrap(f, min_prec), is_differential(f)))
        return result

    def _fraction_factors(self, num, den, in_matrix_product):
        """A constant over a number stays a coefficient, as the lecture writes it:
        ``\\frac{\\lambda}{2}\\operatorname{tr}(...)``, ``\\frac{1}{2}(a + b)``; never a sum or a
        trace in a numerator.  Anything else over something else is one fraction."""
        factors = num.as_ordered_factors() if isinstance(num, Mul) else [num]
        def is_small(f):  # 2, lambda, t^2: short enough for a numerator
            return f.is_Number or isinstance(f, Symbol) or \
                (isinstance(f, Pow) and isinstance(f.base, Symbol) and f.exp.is_Number)
        small = [f for f in factors if is_small(f)]
        rest = [f for f in factors if not is_small(f)]
        if not den.is_Number or not rest:
            return [(f"\\frac{{{self.text(num)}}}{{{self.text(den)}}}", False)]
        head = f"\\frac{{{self.text(Mul(*small))}}}{{{self.text(den)}}}"
        return [(head, False)] + self._scalar_factors(Mul(*rest),
                                                      in_matrix_product=in_matrix_product)

    def _print_mul(self, expr):
        if is_negative(expr):
            text, prec = self.print_(negate(expr))
            return "-" + (f"({text})" if prec < MUL else text), NEG
        return join_factors(self._scalar_factors(expr, in_matrix_product=False)), MUL

    def _print_pow(self, expr):
        base, power = expr.args
        if power == S.Half:
            return f"\\sqrt{{{self.text(base)}}}", ATOM
        if power.is_Number and power < 0:
            return f"\\frac{{1}}{{{self.text(1 / expr)}}}", MUL
        if isinstance(base, exp):
            return self._exp_text(self.text(base.args[0] * power))
        return f"{self.wrap(base, ATOM)}^{{{self.text(power)}}}", POSTFIX

    def _print_fallback(self, expr):
        return self._fallback.doprint(expr), ATOM

    _dispatch = ()


def transposed_sum(expr):
    """``\\mathbf{Y}^T - \\mathbf{X}^T\\mathbf{W}^T`` as the transpose of ``\\mathbf{Y} -
    \\mathbf{W}\\mathbf{X}``, as a textbook writes it (``(\\mathbf{Y} - \\mathbf{W}\\mathbf{X})^T``);
    None unless that writes fewer transposes. Sums with a conjugate are left alone: ``^H``
    and ``^T`` are not mixed."""
    if not isinstance(expr, MatAdd) or expr.atoms(Adjoint, Conjugate) or \
            any(isinstance(a, (ConjugateSymbol, ConjugateScalar)) for a in expr.free_symbols):
        return None
    flipped = [flipped_transpose(t) for t in expr.args]
    if count_transposes(flipped) + 1 >= count_transposes(expr.args):
        return None
    return MatAdd(*flipped, evaluate=False)


def flipped_transpose(expr):
    """``expr^T`` written out by ``(AB)^T = B^T A^T`` and ``(A^T)^T = A`` only: no other
    rewrite (SymPy's own ``.T`` would also split ``(X^TAX)^{-1}``, true only for square X)."""
    if isinstance(expr, Transpose):
        return expr.arg
    if isinstance(expr, MatMul):
        scalars = [a for a in expr.args if not isinstance(a, MatrixExpr)]
        matrices = [flipped_transpose(a) for a in reversed(expr.args)
                    if isinstance(a, MatrixExpr)]
        return MatMul(*scalars, *matrices)
    return Transpose(expr)


def count_transposes(exprs) -> int:
    return sum(1 for e in exprs for node in preorder_traversal(e) if isinstance(node, Transpose))


def hadamard_order(expr):
    """Sort key putting Hadamard operands in the lecture's order.

    SymPy sorts the operands of a (commutative) Hadamard product its own way; the lecture
    writes plain factors first, then elementwise functions by derivative order, and the
    differential last: ``\\mathbf{a} \\odot e^{\\mathbf{X}\\mathbf{b}}``,
    ``\\sigma'(\\mathbf{A}) \\odot d\\mathbf{A}``.  A function comes before an expression
    built from it, as in a closed form: ``\\sigma(\\mathbf{a}) \\odot (\\mathbf{1} -
    \\sigma(\\mathbf{a}))``; a nested Hadamard product (such a closed form) comes after
    the other operands.
    """
    has_diff = bool(expr.atoms(*DIFFERENTIALS, MatD, ScalarD))
    functions = expr.atoms(Elementwise, Softmax)
    is_function = isinstance(expr, (Elementwise, Softmax))
    order = max((getattr(f, "order", 0) for f in functions), default=0)
    # A chain rule's factors: the outer function's (more nested) before the inner one's,
    # W^T(softmax(W sigma(A)) - Y) before sigma'(A). Then symbols before compound
    # operands; SymPy's key makes the order not depend on the order the operands came in.
    return (has_diff, bool(functions), isinstance(expr, HadamardProduct),
            -function_depth(expr), order, not is_function, not isinstance(expr, MatrixSymbol),
            default_sort_key(expr))


def function_depth(expr) -> int:
    """How deeply functions nest in ``expr``: 2 for softmax(W sigma(A)), 0 for W."""
    inner = max((function_depth(a) for a in expr.args), default=0)
    return inner + 1 if isinstance(expr, (Elementwise, Softmax)) else inner


def spreads_a_scalar(coeff, matrices) -> bool:
    """``s`` times a column of ones, for a function value ``s``: printed ``1 s``."""
    return (len(matrices) == 1 and isinstance(matrices[0], OneMatrix)
            and matrices[0].cols == 1 and coeff.is_Function)


def _symbol_precedence(expr):
    """A conjugate ``Z^*`` already carries a superscript: ``(\\mathbf{Z}^*)^{-1}``."""
    return POSTFIX if conjugated_name(expr.name) is not None else ATOM


def is_one(expr) -> bool:
    """A ``1 x 1`` matrix of ones, or identity."""
    return isinstance(expr, (OneMatrix, Identity)) and expr.shape == (1, 1)


def takes_its_size(expr) -> bool:
    """``\\mathbf{I}``, a vector of ones, or a multiple: written without a size, it takes
    the size of its neighbours."""
    if isinstance(expr, MatMul):
        matrices = [a for a in expr.args if isinstance(a, MatrixExpr)]
        if len(matrices) == 1:
            expr = matrices[0]
    if isinstance(expr, OneMatrix):
        return 1 in expr.shape
    return isinstance(expr, Identity)


def is_atom_symbol(expr) -> bool:
    """A variable: ``d`` of it needs no parentheses (``d\\mathbf{X}``)."""
    return isinstance(expr, (MatrixSymbol, Symbol)) and not isinstance(expr, (DiffSymbol,
                                                                              DiffScalar))


def is_differential(expr) -> bool:
    """True for ``dX``, ``d(E)`` and their transposes: factors set off by ``\\,``."""
    while isinstance(expr, (Transpose, Adjoint)):
        expr = expr.arg
    return isinstance(expr, (*DIFFERENTIALS, MatD, ScalarD))


def join_factors(factors) -> str:
    """Juxtapose factor texts, with ``\\,`` next to differentials and between digits."""
    out = ""
    prev_diff = False
    for text, diff in factors:
        if out and (diff or prev_diff):
            out += "\\,"
        elif out and out[-1].isdigit() and text[:1].isdigit():
            out += " \\cdot "
        elif out and out[-1].isalnum() and text[:1].isalnum():
            out += " "  # \lambda x, not \lambdax
        out += text
        prev_diff = diff
    return out


def parenthesized(text: str) -> str:
    """``(text)``, sized to what it holds: ``\\Bigl(\\frac{..}{..}\\Bigr)``, and one size
    up around those.  ``\\Bigl``/``\\Bigr`` (not ``\\left``/``\\right``) may open and close
    on different rows of a broken expression."""
    if "\\Bigl" in text or "\\biggl" in text:
        return f"\\biggl({text}\\biggr)"
    if "\\frac" in text or "\\sum" in text:
        return f"\\Bigl({text}\\Bigr)"
    return f"({text})"


def is_negative(expr) -> bool:
    """True when ``expr`` prints with a leading minus sign."""
    if isinstance(expr, Number):
        return bool(expr.is_real and expr < 0)
    if isinstance(expr, MatMul):
        scalars = [a for a in expr.args if not isinstance(a, MatrixExpr)]
        return is_negative(Mul(*scalars)) if scalars else False
    if isinstance(expr, Mul):
        coeff = expr.as_coeff_Mul()[0]
        return bool(coeff.is_real and coeff < 0)
    if isinstance(expr, AsScalar):      # a 1 x 1 product with a minus sign: -b^T S b
        return is_negative(expr.arg)
    return False


def negate(expr):
    """``-expr`` without the sign: for MatMul, keep the matrices' order."""
    if isinstance(expr, MatMul):
        scalars = [a for a in expr.args if not isinstance(a, MatrixExpr)]
        matrices = [a for a in expr.args if isinstance(a, MatrixExpr)]
        coeff = -Mul(*scalars)
        args = ([coeff] if coeff != 1 else []) + matrices
        return MatMul(*args) if len(args) > 1 else args[0]
    if isinstance(expr, AsScalar):
        return AsScalar(negate(expr.arg))
    return -expr


#: Nodes printed as a named operator applied to their one argument.
OPERATORS = {Trace: "tr", DiagMatrix: "diag", Vec: "vec", Softmax: "softmax"}

LectureLatexPrinter._dispatch = (
    (DiffSymbol, LectureLatexPrinter._print_diff_symbol),
    (DiffScalar, LectureLatexPrinter._print_diff_scalar),
    ((MatD, ScalarD), LectureLatexPrinter._print_d),
    (MatrixSymbol, LectureLatexPrinter._print_matrix_symbol),
    (Symbol, LectureLatexPrinter._print_symbol),
    (Transpose, LectureLatexPrinter._print_transpose),
    (Inverse, LectureLatexPrinter._print_inverse),
    (Adjoint, LectureLatexPrinter._print_adjoint),
    (Conjugate, LectureLatexPrinter._print_conjugate),
    (MatPow, LectureLatexPrinter._print_matpow),
    (HadamardPower, LectureLatexPrinter._print_hadamard_power),
    (tuple(OPERATORS), LectureLatexPrinter._print_operator),
    (Commutation, LectureLatexPrinter._print_commutation),
    (HessianArray, LectureLatexPrinter._print_hessian_array),
    (Named, LectureLatexPrinter._print_named),
    (Determinant, LectureLatexPrinter._print_det),
    ((Elementwise, ScalarFunc), LectureLatexPrinter._print_elementwise),
    (exp, LectureLatexPrinter._print_exp),
    (log, LectureLatexPrinter._print_log),
    (Abs, LectureLatexPrinter._print_abs),
    (Re, LectureLatexPrinter._print_re),
    (im, LectureLatexPrinter._print_im),
    (AsScalar, LectureLatexPrinter._print_as_scalar),
    (SampleDiff, LectureLatexPrinter._print_sample_diff),
    ((Sample, SampleScalar), LectureLatexPrinter._print_sample),
    (Gradient, LectureLatexPrinter._print_gradient),
    ((SampleSum, MatSampleSum), LectureLatexPrinter._print_sample_sum),
    (Sum, LectureLatexPrinter._print_sum),
    (type(S.ImaginaryUnit), LectureLatexPrinter._print_imaginary_unit),
    (Function, LectureLatexPrinter._print_function),
    (Number, LectureLatexPrinter._print_number),
    ((Add, MatAdd), LectureLatexPrinter._print_add),
    ((HadamardProduct, KroneckerProduct), LectureLatexPrinter._print_hadamard),
    (MatMul, LectureLatexPrinter._print_matmul),
    (Mul, LectureLatexPrinter._print_mul),
    (Pow, LectureLatexPrinter._print_pow),
)
