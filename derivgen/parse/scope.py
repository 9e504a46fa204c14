"""The symbols of one problem: dimensions, variables and declared functions."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from sympy import Basic, Identity, Integer, MatrixSymbol, OneMatrix, Symbol, ZeroMatrix

from derivgen.ir.nodes import OneHotSymbol, SymmetricSymbol, conjugated_name
from derivgen.ir.sums import (MatSampleSum, OneHotSample, Sample, SampleScalar, SampleSum,
                             free_indices)
from derivgen.model import Problem, VarSpec
from derivgen.parse.names import GREEK


#: What a term without names (``1``, ``\\mathbf{I}``) is called in ``Scope.mentions``.
CONSTANT = "1"

#: Numeric sizes up to this are used as they are; larger ones are verified at small sizes.
EXACT_SIZE = 6


@dataclass
class Scope:
    """Name -> SymPy object for everything a problem's LaTeX may mention.

    ``symbols[name]`` is a ``MatrixSymbol`` (vectors are ``m x 1``), a ``SymmetricSymbol``,
    or a real ``Symbol`` for a scalar. ``intermediates`` holds ``where:`` names once parsed.
    """

    dims: dict[str, object] = field(default_factory=dict)
    symbols: dict[str, object] = field(default_factory=dict)
    specs: dict[str, VarSpec] = field(default_factory=dict)
    functions: dict[str, str] = field(default_factory=dict)
    intermediates: dict[str, object] = field(default_factory=dict)
    counts: dict[object, object] = field(default_factory=dict)   # index i -> N of its sums
    function_name: str = "f"    # how the solution calls f, as LaTeX: \mathcal{L} when the
                                # problem writes \mathcal{L}(\mathbf{W}) = ...
    #: The formulas as the instructor reads them (the function, and ``where:`` name ->
    #: definition), and the names each mentions where: the order of a printed sum's terms.
    reading: tuple = ()
    mentions: dict[str, dict] = field(default_factory=dict)
    #: The sums the function writes, at any depth: each a tuple of (offset, names of a term).
    written: dict[int, tuple] = field(default_factory=dict)

    def dim(self, value):
        """The SymPy size of a dimension: a name is a symbol; a number up to ``EXACT_SIZE``
        is itself; a larger number (``[500, 500]``, ``[100000000]``) is a symbol named
        after it, so that the derivation (which never depends on how large a size is) is
        verified at small sizes that keep every equality between dimensions, and prints
        as the number."""
        if isinstance(value, int) and value <= EXACT_SIZE:
            return Integer(value)
        value = str(value)
        if value not in self.dims:
            self.dims[value] = Symbol(value, integer=True, positive=True)
        return self.dims[value]

    def add_variable(self, spec: VarSpec):
        shape = [self.dim(v) for v in spec.shape]
        if spec.index:
            index = Symbol(spec.index, integer=True)
            rows, cols = (shape + [Integer(1)] * 2)[:2]
            kind = OneHotSample if spec.onehot else Sample
            sym = kind(spec.name, index, rows, cols) if shape else \
                SampleScalar(spec.name, index)
        elif not shape:
            sym = Symbol(spec.name) if spec.complex else Symbol(spec.name, real=True)
        else:
            rows, cols = (shape + [Integer(1)])[:2]
            cls = SymmetricSymbol if spec.symmetric else OneHotSymbol if spec.onehot \
                else MatrixSymbol
            sym = cls(spec.name, rows, cols)
        self.symbols[spec.name] = sym
        self.specs[spec.name] = spec
        return sym

    def written_names(self) -> dict:
        """Name as written in a formula -> value: a sample is ``x_i``, ``a_{1,i}``."""
        table = {}
        for name, value in {**self.symbols, **self.intermediates}.items():
            indices = sorted(free_indices(value), key=str)
            table[indexed_name(name, indices[0]) if len(indices) == 1 else name] = value
        return table

    def count_of(self, index, upper):
        """Record that sums over ``index`` run to ``upper``; False if they ran elsewhere."""
        return self.counts.setdefault(index, upper) == upper

    def mention(self, text: str, value, start: int):
        """Note that the formula ``text`` mentions ``value`` (a symbol, an intermediate, or a
        constant term: ``CONSTANT``) at offset ``start``; only the problem's own formulas
        are noted (a graded answer, parsed in a copy of the scope, is not)."""
        function, definitions = self.reading or ("", {})
        if text != function and text not in definitions.values():
            return
        seen = self.mentions.setdefault(text, {})
        for name in names_in(value) if value is not CONSTANT else [CONSTANT]:
            seen[name] = min(seen.get(name, start), start)

    def write_terms(self, text: str, terms) -> None:
        """Note a sum the function writes: its terms ``[(offset, value)]`` (``CONSTANT`` for
        a term without names)."""
        if not self.reading or text != self.reading[0]:
            return
        self.written[terms[0][0]] = tuple(
            (start, frozenset(names_in(value)) or frozenset([CONSTANT])) for start, value in terms)

    def written_order(self, names_of_terms) -> list | None:
        """Where the function writes each of some terms (given by their names), when one sum
        it writes has a term with exactly the names of each; None otherwise."""
        for _, sum_terms in sorted(self.written.items()):
            where = {names: start for start, names in reversed(sum_terms)}
            if all(names in where for names in names_of_terms):
                return [where[names] for names in names_of_terms]
        return None

    def reading_rank(self) -> dict:
        """Name -> rank of its first mention when the problem is read: the function, each
        ``where:`` name's definition read where the name is first mentioned."""
        function, definitions = self.reading or ("", {})
        rank: dict = {}

        def read(text):
            seen = self.mentions.get(text, {})
            for name in sorted(seen, key=seen.get):
                if name not in rank:
                    rank[name] = len(rank)
                    read(definitions.get(name))
        read(function)
        return rank

    def latex_name(self, name: str) -> str | None:
        spec = self.specs.get(name)
        return spec.latex if spec else None


def names_in(expr):
    """The names of the variables, samples and sizes in ``expr``, in preorder; a
    differential ``dX`` or a conjugate ``X*`` counts as its variable ``X``; the sizes of a
    symbol or of a constant matrix (``\\mathbf{1}_m``) are not names written in it."""
    if isinstance(expr, (Sample, SampleScalar)):
        return [expr.family]
    if isinstance(expr, (MatrixSymbol, Symbol)):
        name = getattr(expr, "base_name", expr.name)
        return [conjugated_name(name) or name]
    if isinstance(expr, (Identity, OneMatrix, ZeroMatrix)) or not isinstance(expr, Basic):
        return []
    if isinstance(expr, (SampleSum, MatSampleSum)):   # its index and count are not names
        return names_in(expr.body)
    return [name for arg in expr.args for name in names_in(arg)]


def numeric_sizes(expr):
    """``expr`` with each size that stands for a large number (``500``) written as that number
    again: what the derivation means for the problem as written (``2 \\cdot 500 = 1000``)."""
    if not hasattr(expr, "xreplace"):
        return expr
    sizes = {s: Integer(int(s.name)) for s in expr.free_symbols
             if isinstance(s, Symbol) and s.name.isdigit()}
    return expr.xreplace(sizes) if sizes else expr


#: Nodes whose size arguments are shapes, not scalars: ``scalar_sizes`` leaves them alone.
_SHAPED = (MatrixSymbol, Identity, OneMatrix, ZeroMatrix, Sample, SampleScalar,
           SampleSum, MatSampleSum)


def scalar_sizes(expr):
    """``expr`` with each large numeric size that stands as a scalar (``2 \\cdot 500``, from
    $\\operatorname{tr}(\\mathbf{I}_{500})$) written as its number, shapes left as they are."""
    if isinstance(expr, Symbol) and expr.name.isdigit():
        return Integer(int(expr.name))
    if isinstance(expr, _SHAPED) or not getattr(expr, "args", ()) or \
            not any(isinstance(s, Symbol) and s.name.isdigit() for s in expr.free_symbols):
        return expr
    return expr.func(*[scalar_sizes(a) if isinstance(a, Basic) else a for a in expr.args])


def indexed_name(name: str, index) -> str:
    """``x`` and ``i`` -> ``x_i``; ``a_1`` and ``i`` -> ``a_1,i`` (written ``a_{1,i}``)."""
    return f"{name}{',' if '_' in name else '_'}{index}"


#: A subscript label in a text font, as in ``D_{\\mathrm{KL}}``.
_TEXT_LABEL = r"\\(?:mathrm|text|textrm|textnormal|mathsf|operatorname)\s*\{\s*[A-Za-z0-9]+\s*\}"

#: The name of the function in an ``f(\\mathbf{X}) =`` prefix, as LaTeX: a letter, a Greek
#: letter (``\\ell``, ``\\phi``) or a styled name (``\\mathcal{L}``, ``\\operatorname{MSE}``),
#: optionally subscripted (``f_1``, ``E_D``, ``J_{\\text{reg}}``, ``D_{\\mathrm{KL}}``).
FUNCTION_NAME = (r"(?:[A-Za-z]|\\(?:" + "|".join(sorted(GREEK, key=len, reverse=True))
                 + r")(?![A-Za-z])|\\(?:mathcal|mathscr|mathbb|mathrm|mathit|mathsf|mathbf"
                 r"|operatorname|text)\s*\{\s*[A-Za-z]+\s*\})"
                 r"(?:\s*_\s*(?:\{\s*(?:[A-Za-z0-9]+|" + _TEXT_LABEL + r")\s*\}|[A-Za-z0-9]"
                 r"|" + _TEXT_LABEL + r"))?")

_NAMED = re.compile(r"\s*(" + FUNCTION_NAME + r")\s*(?:\(|\\left\s*\(|\[|:?=)")


def function_name(text: str) -> str:
    """The name an ``L(\\mathbf{W}) =`` or ``\\ell =`` prefix gives the function, as LaTeX
    (``\\mathcal{L}``, ``J``, ``\\ell``), spaces dropped; ``f`` without a prefix."""
    found = _NAMED.match(text or "")
    if not found or top_level_equals(text) < 0:
        return "f"                       # g(x) alone is a function call, not a name
    return re.sub(r"\s+", "", found.group(1))


def top_level_equals(text: str) -> int:
    """Offset of the first ``=`` outside braces (``\\sum_{i=1}`` has one inside), or -1."""
    depth = 0
    for at, char in enumerate(text):
        depth += {"{": 1, "}": -1}.get(char, 0)
        if char == "=" and depth == 0:
            return at
    return -1


def scope_of(problem: Problem) -> Scope:
    scope = Scope(functions=dict(problem.functions), function_name=function_name(problem.function),
                  reading=(problem.function, {w.name: w.latex for w in problem.where}))
    for spec in problem.variables.values():
        scope.add_variable(spec)
    return scope
