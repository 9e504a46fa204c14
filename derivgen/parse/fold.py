"""Folding a product: split names, let function names take the next factor, multiply.

``\\log\\det\\mathbf{X}`` is three factors; ``\\log`` takes ``\\det\\mathbf{X}`` (which
takes ``\\mathbf{X}``).  A function followed by a parenthesised group takes the group's
content, and the group's postfixes apply to the result: ``\\sigma(\\mathbf{Z})^T`` is
``(\\sigma(\\mathbf{Z}))^T``.
"""

from __future__ import annotations

import re

from dataclasses import replace

from derivgen.errors import DerivgenError
from derivgen.ir.nodes import is_one_by_one
from derivgen.parse.build import Builder
from derivgen.parse.names import NameTable
from derivgen.parse.pieces import (ExpBase, Factor, Group, Head, HoleAtom, NameAtom, NormAtom, Piece,
                     Postfix, SumHead, Unit)
from derivgen.parse.shapes import as_scalar, is_scalar

#: What a norm's label may carry beside its letters: braces, spaces, a text font
#: (``\\|X\\|_{\\mathrm{F}}`` is ``\\|X\\|_F``).
_NORM_LABEL_DECORATION = re.compile(r"\\(?:mathrm|text|textrm|textnormal|rm|mathsf"
                                    r"|operatorname)(?![a-zA-Z])|[{}\s]")


class ProductFolder:
    """Turns the factors of one product into a ``Piece``."""

    def __init__(self, builder: Builder, names: NameTable):
        self.builder = builder
        self.names = names

    def fold(self, factors: list[Factor]) -> Piece:
        units = [unit for factor in factors for unit in self.units(factor)]
        if units[0].divide:
            raise self.builder.error("'/' needs something to divide", units[0].start - 1)
        return self.fold_from(units, 0)

    def fold_from(self, units: list[Unit], i: int) -> Piece:
        """The product of ``units[i:]``, left to right."""
        result, i = self.take_factor(units, i, None)
        while i < len(units):
            divide = units[i].divide
            operand, i = self.take_factor(units, i, result)
            result = (self.builder.divide if divide else self.builder.multiply)(result, operand)
        return result

    def take_factor(self, units: list[Unit], i: int, before: Piece | None):
        """Like ``take``; a parenthesized ``1 x 1`` factor of a longer product is a scalar,
        as the printer writes a scalar factor: ``(\\mathbf{x}^T\\mathbf{x})\\mathbf{a}^T`` is
        the scalar times the row, not a longer matrix product. Only right after a column
        is it a matrix: ``\\mathbf{b}(\\mathbf{a}^T\\mathbf{y}) = \\mathbf{b}\\mathbf{a}^T\\mathbf{y}``."""
        piece, j = self.take(units, i)
        if len(units) > 1 and isinstance(units[i].thing, Group):
            value = self.builder.unifier.resolve(piece.value)
            left = None if before is None else self.builder.unifier.resolve(before.value)
            after_column = left is not None and not is_scalar(left) and left.cols == 1 \
                and left.rows != 1
            if is_one_by_one(value) and not after_column:
                piece = replace(piece, value=as_scalar(value))
        return piece, j

    # ---- factor -> units -----------------------------------------------------------------

    def units(self, factor: Factor) -> list[Unit]:
        """``Ax^T`` -> [A, x with ^T]; ``\\mathbf{W}_1`` -> [W_1]; ``\\sigma'`` -> [Head]."""
        postfixes = list(factor.postfixes)
        atom = factor.atom
        if isinstance(atom, NameAtom):
            sub = atom.sub
            if sub is None and postfixes and postfixes[0].kind == "subscript":
                sub = postfixes[0]
            meanings, merged = self.names.resolve(atom, sub)
            if merged and atom.sub is None:
                postfixes.pop(0)
            elif atom.sub is not None and not merged:
                postfixes.insert(0, atom.sub)
            units = [Unit(meaning) for meaning in meanings]
        else:
            units = [Unit(atom)]
        units[-1].postfixes = postfixes
        units[0].divide = factor.divide
        return units

    # ---- units -> pieces -----------------------------------------------------------------

    def take(self, units: list[Unit], i: int) -> tuple[Piece, int]:
        """The operand starting at ``units[i]`` and the index after it."""
        unit = units[i]
        if isinstance(unit.thing, SumHead):
            return self.summation(units, i), len(units)
        if not isinstance(unit.thing, Head):
            return self.evaluate(unit), i + 1
        head, power = self.head(unit)
        if i + 1 == len(units) or units[i + 1].divide:
            raise self.builder.error(f"{head.latex} needs an argument", head)
        following = units[i + 1]
        if isinstance(following.thing, Group):
            group = following.thing
            applied = self.builder.apply(head, group.inner, end=group.end)
            applied = self.builder.function_power(applied, power) if power else applied
            return self.with_postfixes(applied, following.postfixes), i + 2
        argument, j = self.take(units, i + 1)
        applied = self.builder.apply(head, argument)
        return (self.builder.function_power(applied, power) if power else applied), j

    def summation(self, units: list[Unit], i: int) -> Piece:
        """``\\sum_{i=1}^{N}`` sums the rest of its product, as a textbook reads it."""
        head = units[i].thing
        if units[i].postfixes:
            raise self.builder.error("put the sum's body after it, not a postfix",
                                     units[i].postfixes[0])
        if i + 1 == len(units) or units[i + 1].divide:
            raise self.builder.error(r"\sum needs something to sum", head)
        return self.builder.sample_sum(head, self.fold_from(units, i + 1))

    def head(self, unit: Unit) -> tuple[Head, Postfix | None]:
        """A function name with its primes (``\\sigma''`` has order 2) and the power written
        on it, as in ``\\tanh^2(x)``: a power of the value, never of the function."""
        head, power = unit.thing, None
        for post in unit.postfixes:
            if post.kind in ("power", "power_char") and power is None:
                power = post
                continue
            if post.kind == "subscript" and head.kind == "log" and not head.base \
                    and _is_log_base(post.arg):
                head = replace(head, base=post.arg.strip("{} "), end=post.end)
                continue
            if post.kind != "prime":
                written = self.builder.source[post.start:post.end].strip()
                raise self.builder.error(f"cannot apply {written} to the function {head.latex}"
                                         f"; write it after the argument", post)
            head = replace(head, order=head.order + post.arg, end=post.end)
        return head, power

    def evaluate(self, unit: Unit) -> Piece:
        thing, postfixes = unit.thing, list(unit.postfixes)
        if isinstance(thing, Group):
            piece = self.builder.ungroup(thing)
        elif isinstance(thing, NormAtom):
            piece = self.norm(thing, postfixes)
        elif isinstance(thing, HoleAtom):
            sub = postfixes.pop(0) if postfixes and postfixes[0].kind == "subscript" else None
            piece = self.builder.hole(thing, sub)
        elif isinstance(thing, ExpBase):
            piece = self.exponential(thing, postfixes)
        else:
            piece = thing
        return self.with_postfixes(piece, postfixes)

    def with_postfixes(self, piece: Piece, postfixes) -> Piece:
        for post in postfixes:
            piece = self.builder.postfix(piece, post)
        return piece

    def norm(self, atom: NormAtom, postfixes: list) -> Piece:
        """Consumes the norm's ``_2``/``_F`` and a following ``^2`` from ``postfixes``."""
        kind, end = None, atom.end
        if postfixes and postfixes[0].kind == "subscript":
            post = postfixes.pop(0)
            kind, end = _NORM_LABEL_DECORATION.sub("", post.arg), post.end
        squared = bool(postfixes) and _is_square(postfixes[0])
        if squared:
            end = postfixes.pop(0).end
        return self.builder.norm(atom, kind, squared, end)

    def exponential(self, base: ExpBase, postfixes: list) -> Piece:
        if not postfixes or postfixes[0].kind not in ("power", "power_char"):
            raise DerivgenError("unknown symbol 'e': declare it under variables:, or write "
                                "e^{...} for the exponential", column=base.start,
                                fragment=self.builder.source)
        post = postfixes.pop(0)
        if post.kind == "power_char":
            exponent = self._char_exponent(post)
        else:
            exponent = replace(post.arg, end=post.end)
        return self.builder.exp_of(base, exponent)

    def _char_exponent(self, post) -> Piece:
        """``e^x``: the single character after ``^`` as a number or a name."""
        char = post.arg
        if char.isdigit():
            return self.builder.number(char, post.start, post.end)
        atom = NameAtom(char, "plain", post.end - 1, post.end, post.end - 1)
        meanings, _ = self.names.resolve(atom, None)
        if len(meanings) != 1 or not isinstance(meanings[0], Piece):
            raise self.builder.error(f"unsupported exponent '{char}'", post)
        return meanings[0]


def _is_log_base(text: str) -> bool:
    """``\\log_2``, ``\\log_{10}``: a number greater than 1 (``\\log_e`` is ``\\log``)."""
    text = text.strip("{} ")
    return text == "e" or (text.replace(".", "", 1).isdigit() and float(text) > 1)


def _is_square(post) -> bool:
    if post.kind == "power_char":
        return post.arg == "2"
    return post.kind == "power" and post.arg.value == 2
