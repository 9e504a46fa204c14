"""The Lark transformer: parse tree -> ``Piece`` holding a SymPy expression.

Leaves become pieces or the pending things of ``pieces``; ``product`` hands its factors
to ``ProductFolder``; sums and Hadamard products go to ``Builder``.  Example:
``\\mathbf{a}^T \\mathbf{X} \\mathbf{b}`` -> ``Piece(a.T*X*b, 0, 33)``.
"""

from __future__ import annotations

import re
from dataclasses import replace

from lark import Transformer, v_args

from derivgen.parse.build import Builder
from derivgen.parse.fold import ProductFolder
from derivgen.parse.names import NameTable
from derivgen.parse.pieces import Factor, Group, HoleAtom, NameAtom, NormAtom, Postfix, SumHead
from derivgen.parse.scope import CONSTANT, names_in

_SUM_LIMITS = re.compile(r"\\sum(\s*\\limits)?\s*_\s*\{\s*(?P<index>[a-zA-Z])\s*=\s*1\s*\}"
                         r"\s*\^\s*(\{\s*(?P<upper>[a-zA-Z]+|[0-9]+)\s*\}|(?P<upper1>[a-zA-Z0-9]))")


def sample_counts(text: str) -> set[str]:
    """The upper limits written as names in ``\\sum_{i=1}^{N}``: numbers of samples, which
    a formula may use anywhere, also before the sum (``\\frac{1}{N}\\sum_{i=1}^{N}``)."""
    found = (m["upper"] or m["upper1"] for m in re.finditer(_SUM_LIMITS.pattern, text))
    return {upper for upper in found if not upper.isdigit()}


@v_args(inline=True, meta=True)
class ToSympy(Transformer):
    """One use per pass; ``builder`` keeps the state of ``\\mathbf{1}``/``\\mathbf{I}`` sizes."""

    def __init__(self, builder: Builder, names: NameTable):
        super().__init__()
        self.builder = builder
        self.names = names
        self.folder = ProductFolder(builder, names)

    def start(self, meta, piece):
        return piece

    # ---- sums and products ---------------------------------------------------------------

    def terms(self, meta, first, *addends):
        """``a + b - c``: the terms added left to right."""
        terms = (first, *(term for _, term in addends))
        for term in terms:
            if not names_in(term.value):     # where the instructor puts a constant term
                self.names.scope.mention(self.names.text, CONSTANT, term.start)
        if addends:
            self.names.scope.write_terms(self.names.text, [(t.start, t.value) for t in terms])
        result = first
        for sign, term in addends:
            result = self.builder.add(result, term, sign)
        return result

    def plus_term(self, meta, term):
        return +1, term

    def minus_term(self, meta, term):
        return -1, term

    def negate(self, meta, operand):
        return self.builder.negate(operand, meta.start_pos)

    def unary_plus(self, meta, operand):
        return replace(operand, start=meta.start_pos)

    def hadamard_product(self, meta, left, right):
        return self.builder.hadamard(left, right)

    def kronecker_product(self, meta, left, right):
        return self.builder.kronecker(left, right)

    def product(self, meta, *factors):
        return self.folder.fold(list(factors))

    def explicit_product(self, meta, factor):
        return factor

    def divided(self, meta, factor):
        return replace(factor, divide=True)

    def factor(self, meta, atom, *postfixes):
        return Factor(atom, postfixes, meta.start_pos, meta.end_pos)

    # ---- atoms ---------------------------------------------------------------------------

    def number(self, meta, token):
        return self.builder.number(str(token), meta.start_pos, meta.end_pos)

    def name(self, meta, token):
        style = "alias" if token.type == "VARREF" else "plain"
        return NameAtom(str(token), style, meta.start_pos, meta.end_pos, token.start_pos)

    def command(self, meta, token):
        return NameAtom(str(token)[1:], "command", meta.start_pos, meta.end_pos,
                        token.start_pos)

    def bold(self, meta, inner):
        style = "bold" if inner.style == "plain" else inner.style
        return replace(inner, style=style, start=meta.start_pos, end=meta.end_pos)

    def bold_unbraced(self, meta, token):
        """``\\boldsymbol\\theta``: a bold command takes one token without braces."""
        inner = self.name(meta, token) if token.type == "VARREF" else self.command(meta, token)
        return self.bold(meta, inner)

    def inner_product(self, meta, left, right):
        return self.builder.inner_product(left, right, meta.start_pos, meta.end_pos)

    def bold_name(self, meta, token, sub=None):
        return replace(self.name(meta, token), sub=sub)

    def bold_command(self, meta, token, sub=None):
        return replace(self.command(meta, token), sub=sub)

    def operator_name(self, meta, token):
        return NameAtom(str(token), "text", meta.start_pos, meta.end_pos, token.start_pos)

    def ones(self, meta):
        return HoleAtom("ones", meta.start_pos, meta.end_pos)

    def zeros(self, meta):
        return HoleAtom("zeros", meta.start_pos, meta.end_pos)

    def identity(self, meta):
        if "I" in self.names.values:     # a variable named I: \mathbf{I} is that variable
            return NameAtom("I", "bold", meta.start_pos, meta.end_pos, meta.start_pos)
        return HoleAtom("identity", meta.start_pos, meta.end_pos)

    def group(self, meta, inner):
        return Group(inner, meta.start_pos, meta.end_pos)

    def fraction(self, meta, numerator, denominator):
        return self.builder.fraction(numerator, denominator, meta.start_pos, meta.end_pos)

    def digit_fraction(self, meta, digits):
        """``\\frac12``: two single-digit arguments."""
        if len(digits) != 2 or not digits.isdigit():
            raise self.builder.error(r"write \frac{..}{..} with braces", meta.start_pos)
        start = meta.start_pos
        numerator, denominator = (self.builder.number(digit, start, start) for digit in digits)
        return self.builder.divide(numerator, denominator, start, meta.end_pos)

    def square_root(self, meta, argument):
        return self.builder.square_root(argument, meta.start_pos, meta.end_pos)

    def bars(self, meta, inner):
        return self.builder.bars(inner, meta.start_pos, meta.end_pos)

    def norm(self, meta, inner):
        return NormAtom(inner, meta.start_pos, meta.end_pos)

    def overline(self, meta, inner):
        return self.builder.conjugate(inner, meta.start_pos, meta.end_pos)

    def summation(self, meta, token):
        """``\\sum_{i=1}^{N}``: the index and the upper limit; the sum starts at 1."""
        found = _SUM_LIMITS.fullmatch(str(token))
        if found is None:
            raise self.builder.error(r"write a sum over samples as \sum_{i=1}^{N}",
                                     meta.start_pos)
        upper = found["upper"] or found["upper1"]
        return SumHead(found["index"], upper, meta.start_pos, meta.end_pos)

    # ---- postfixes -----------------------------------------------------------------------

    def _postfix(kind):
        def method(self, meta, token):
            return Postfix(kind, None, meta.start_pos, meta.end_pos)
        method.__name__ = kind
        return method

    transpose = _postfix("transpose")
    inverse = _postfix("inverse")
    inverse_transpose = _postfix("inverse_transpose")
    hermitian = _postfix("hermitian")
    conjugate = _postfix("conjugate")
    del _postfix

    def prime(self, meta, token):
        count = token.count("'") or token.count("\\prime")
        return Postfix("prime", count, meta.start_pos, meta.end_pos)

    def power_char(self, meta, token):
        return Postfix("power_char", token[-1], meta.start_pos, meta.end_pos)

    def power(self, meta, exponent):
        return Postfix("power", exponent, meta.start_pos, meta.end_pos)

    def hadamard_power(self, meta, exponent):
        return Postfix("hadamard_power", exponent, meta.start_pos, meta.end_pos)

    def subscript_char(self, meta, token):
        return Postfix("subscript", token[-1], meta.start_pos, meta.end_pos)

    def subscript_group(self, meta, *tokens):
        """``_{1}`` -> '1', ``_{2,i}`` -> '2,i' (taken from the source, spaces dropped)."""
        written = self.builder.source[meta.start_pos:meta.end_pos]
        inner = written[written.index("{") + 1:written.rindex("}")]
        text = inner if "\\" in inner else "".join(inner.split())
        return Postfix("subscript", text.strip(), meta.start_pos, meta.end_pos)
