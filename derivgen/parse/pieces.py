"""What the transformer hands around: values with their source span, and the few
not-yet-evaluated things a product needs to see before it can fold
(names to split, function heads, parenthesised groups, norms, ``\\mathbf{1}``).
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Piece:
    """A built SymPy value and the span ``[start, end)`` of the LaTeX it came from.

    ``Piece(X.T, 0, 14)`` for ``\\mathbf{X}^T`` at the start of the text.
    """

    value: object
    start: int
    end: int


@dataclass(frozen=True)
class Postfix:
    """``^T``, ``^{-1}``, ``'``, ``^2``, ``_1``...: ``kind`` plus its argument, if any.

    kinds: transpose, inverse, inverse_transpose, hermitian, conjugate, prime (arg: count),
    power and hadamard_power (arg: Piece), power_char (arg: the character), subscript (arg:
    its text).
    """

    kind: str
    arg: object
    start: int
    end: int


@dataclass(frozen=True)
class NameAtom:
    """A written name, not yet looked up: ``Ax``, ``\\mathbf{W_1}``, ``\\sigma``, ``\\mathrm{tr}``.

    ``style`` is plain (a run of letters), bold, command (``\\lambda``), text
    (``\\operatorname{..}``/``\\mathrm{..}``) or alias (a ``latex:`` override placeholder).
    ``run_start`` is where the letters themselves start; ``sub`` a subscript written
    inside the bold group (``\\mathbf{W_1}``).
    """

    text: str
    style: str
    start: int
    end: int
    run_start: int
    sub: Postfix | None = None


@dataclass(frozen=True)
class Head:
    """A function waiting for its argument: ``\\log``, ``\\det``, ``\\sigma'``.

    ``kind``: log, exp, det, trace, re, im, or declared (then ``name``/``func_kind`` are
    the ``functions:`` entry, e.g. sigma/sigmoid).  ``latex`` is how it was written.
    """

    kind: str
    latex: str
    start: int
    end: int
    name: str = ""
    func_kind: str = ""
    order: int = 0
    base: str = ""      # the base of a logarithm written \log_2 or \log_{10}


@dataclass(frozen=True)
class ExpBase:
    """The letter ``e`` of ``e^{...}``."""

    start: int
    end: int


@dataclass(frozen=True)
class Group:
    """``( ... )`` and friends: kept apart so ``\\sigma(x)^T`` transposes ``\\sigma(x)``."""

    inner: Piece
    start: int
    end: int


@dataclass(frozen=True)
class NormAtom:
    """``\\| ... \\|``; its subscript (``_2``, ``_F``) and square are read from the postfixes."""

    inner: Piece
    start: int
    end: int


@dataclass(frozen=True)
class HoleAtom:
    """``\\mathbf{1}``, ``\\mathbf{0}`` or ``\\mathbf{I}``: its size comes from its neighbours."""

    kind: str       # ones, zeros, identity
    start: int
    end: int


@dataclass(frozen=True)
class Factor:
    """One item of a product: an atom and its postfixes; ``divide`` after ``/``."""

    atom: object
    postfixes: tuple[Postfix, ...]
    start: int
    end: int
    divide: bool = False


@dataclass
class Unit:
    """A factor after name splitting: a Piece, a Head, or a Group with pending postfixes."""

    thing: object
    postfixes: list = field(default_factory=list)
    divide: bool = False

    @property
    def start(self):
        return self.thing.start

    @property
    def end(self):
        return self.postfixes[-1].end if self.postfixes else self.thing.end


@dataclass(frozen=True)
class SumHead:
    """``\\sum_{i=1}^{N}``: sums the rest of its product over the samples ``i = 1..N``."""

    index: str
    upper: str
    start: int
    end: int
