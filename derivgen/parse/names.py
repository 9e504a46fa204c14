"""Looking names up in a problem's scope: variables, intermediates, functions.

``NameTable(scope).resolve(atom, sub)`` turns a written name into a list of meanings
(a ``Piece`` for a symbol, a ``Head`` for a function, ``ExpBase`` for ``e``, ``HoleAtom``
for ``I``), splitting runs of letters into declared names: with ``A`` and ``x``
declared, ``Ax`` and ``\\mathbf{Ax}`` mean ``A x``; with ``W_1`` declared, ``W_1``,
``W_{1}``, ``\\mathbf{W}_1`` and ``\\mathbf{W_1}`` all mean ``W_1``.
"""

from __future__ import annotations

from functools import lru_cache

from sympy import pi

from derivgen.errors import DerivgenError
from derivgen.ir.functions import STANDARD
from derivgen.parse.pieces import ExpBase, Head, HoleAtom, NameAtom, Piece, Postfix

GREEK = {
    "alpha", "beta", "gamma", "delta", "epsilon", "varepsilon", "zeta", "eta", "theta",
    "vartheta", "iota", "kappa", "lambda", "mu", "nu", "xi", "pi", "rho", "varrho", "sigma",
    "varsigma", "tau", "upsilon", "phi", "varphi", "chi", "psi", "omega", "Gamma", "Delta",
    "Theta", "Lambda", "Xi", "Pi", "Sigma", "Upsilon", "Phi", "Psi", "Omega", "ell",
}

#: Functions every formula may use: written name -> Head kind.
BUILTIN = {"log": "log", "ln": "log", "exp": "exp", "det": "det", "tr": "trace",
           "Tr": "trace", "trace": "trace", "Re": "re", "Im": "im", "diag": "diag",
           "softmax": "softmax"}

#: Commands that are functions, but only when declared under ``functions:``.
DECLARABLE = {"sin", "cos", "tan", "tanh", "sinh", "cosh", "arctan", "sgn", "max", "min"}


class NameTable:
    """The names a formula may use, from a ``Scope``; ``placeholders`` from ``mark_aliases``."""

    def __init__(self, scope, text: str, placeholders: dict[str, str]):
        # a dimension is a number too (the printer writes tr(I_n) as n); variables win
        self.values = {**scope.dims, **scope.written_names()}
        self.scope = scope
        self.functions = dict(scope.functions)
        self.text = text
        self.placeholders = placeholders
        words = {n for n in self.values if n.isalpha()}
        words |= {n for n in self.functions if n.isalpha() and n not in GREEK}
        self._split = lru_cache(maxsize=None)(self._split_uncached)
        self._words = words

    # ---- public --------------------------------------------------------------------------

    def resolve(self, atom: NameAtom, sub: Postfix | None) -> tuple[list, bool]:
        """Meanings of ``atom`` (left to right) and whether ``sub`` was merged into a name."""
        if atom.style == "alias":
            return self._resolve_whole(self.placeholders[atom.text], atom, sub)
        if atom.style == "command":
            return self._resolve_command(atom, sub)
        if atom.style == "text":
            return self._resolve_text(atom, sub)
        return self._resolve_run(atom, sub)

    # ---- the styles ----------------------------------------------------------------------

    def _resolve_whole(self, name, atom, sub):
        merged = self._subscripted(name, sub)
        if merged is not None:
            return [self._piece(merged, atom.start, sub.end)], True
        if name in self.values:
            return [self._piece(name, atom.start, atom.end)], False
        raise self._unknown(atom)

    def _resolve_command(self, atom, sub):
        name = atom.text
        if name in self.values or self._subscripted(name, sub) is not None:
            return self._resolve_whole(name, atom, sub)
        head = self._head(name, atom, command=True)
        if head is not None:
            return [head], False
        if name == "pi":        # \pi is the number unless a variable is called pi
            return [Piece(pi, atom.start, atom.end)], False
        if name in GREEK:
            abbreviation = self._abbreviation_of(name)
            if abbreviation is not None:
                spec = self.scope.specs[abbreviation]
                shape = list(spec.shape)
                raise DerivgenError(
                    f"unknown symbol '{self._source(atom)}': the variable `{abbreviation}` is "
                    f"written as its name; to write it '\\{name}', give it a latex key "
                    f"(`{abbreviation}: {{shape: {shape}, latex: '\\{name}'}}`) or name it "
                    f"`{name}`", column=atom.start, fragment=self.text)
            kind = "sigmoid" if name == "sigma" else "generic"
            if self.text[atom.end:].lstrip().startswith(("(", "\\left", "\\big", "\\Big")):
                raise DerivgenError(f"unknown function '{self._source(atom)}': declare it under "
                                    f"functions:, e.g. `functions: {{{name}: {kind}}}`",
                                    column=atom.start, fragment=self.text)
            raise DerivgenError(f"unknown symbol '{self._source(atom)}': declare it under "
                                f"variables: (`{name}: {{shape: []}}`) or, if it is a "
                                f"function, under functions: (`functions: {{{name}: {kind}}}`)",
                                column=atom.start, fragment=self.text)
        raise DerivgenError(f"unknown command \\{name}", column=atom.start,
                            fragment=self.text)

    def _resolve_text(self, atom, sub):
        name = atom.text
        head = self._head(name, atom, command=False)
        if head is not None:
            return [head], False
        if name in self.values or self._subscripted(name, sub) is not None:
            return self._resolve_whole(name, atom, sub)
        if name == "vec":
            raise DerivgenError("\\operatorname{vec} cannot be used in a formula yet: write "
                                "\\operatorname{vec}(\\mathbf{A})^T\\operatorname{vec}(\\mathbf{X}) "
                                "as \\operatorname{tr}(\\mathbf{A}^T\\mathbf{X}) or "
                                "\\langle \\mathbf{A}, \\mathbf{X} \\rangle",
                                column=atom.start, fragment=self.text)
        raise DerivgenError(f"unknown function '{self._source(atom)}': declare it under "
                            f"functions:, e.g. `functions: {{{name}: generic}}`",
                            column=atom.start, fragment=self.text)

    def _resolve_run(self, atom, sub):
        run = atom.text
        words = None
        if sub is not None:
            words = self._split_with_subscript(run, sub.arg)
        merged = words is not None
        if words is None:
            words = self._split(run)
        if words is None:
            raise self._unknown(atom)
        meanings = []
        for index, (word, offset) in enumerate(words):
            last = index == len(words) - 1
            start = atom.start if len(words) == 1 else atom.run_start + offset
            if last:
                end = sub.end if merged else atom.end
            else:
                end = atom.run_start + words[index + 1][1]
            meanings.append(self._meaning(word, start, end))
        return meanings, merged

    # ---- helpers -------------------------------------------------------------------------

    def _meaning(self, word, start, end):
        if word in self.values:
            return self._piece(word, start, end)
        if word in self.functions:
            return Head("declared", self.text[start:end], start, end, name=word,
                        func_kind=self.functions[word])
        if word == "e":
            return ExpBase(start, end)
        return HoleAtom("identity", start, end)         # word == "I"

    def _head(self, name, atom, command):
        latex = self._source(atom)
        if name in ("log", "ln", "exp"):
            return Head(BUILTIN[name], latex, atom.start, atom.end)
        if name in self.functions and (not command or name in GREEK or name in DECLARABLE):
            return Head("declared", latex, atom.start, atom.end, name=name,
                        func_kind=self.functions[name])
        if name in BUILTIN:
            return Head(BUILTIN[name], latex, atom.start, atom.end)
        if command and name in STANDARD:   # \sin, \tanh: standard, no declaration needed
            return Head("declared", latex, atom.start, atom.end, name=name, func_kind=name)
        if command and name in DECLARABLE:
            raise DerivgenError(f"function {latex} is not declared: add it under functions:, "
                                f"e.g. `functions: {{{name}: generic}}`",
                                column=atom.start, fragment=self.text)
        return None

    def _abbreviation_of(self, greek):
        """The declared variable without a ``latex:`` key that abbreviates the Greek letter
        ``greek`` (``lam`` for ``\\lambda``, ``eps`` for ``\\varepsilon``): an instructor
        who declares ``lam`` and writes ``\\lambda`` means it."""
        letter = greek.removeprefix("var")
        for name, spec in self.scope.specs.items():
            if spec.latex is None and len(name) >= 2 and name != letter \
                    and letter.startswith(name):
                return name
        return None

    def _subscripted(self, name, sub):
        if sub is None:
            return None
        for text in _subscript_variants(sub.arg):
            if f"{name}_{text}" in self.values:
                return f"{name}_{text}"
        return None

    def _split_with_subscript(self, run, sub_text):
        """``xW`` + ``_1`` -> [x, W_1] when ``W_1`` is declared (longest tail first)."""
        for k in range(len(run)):
            tail = run[k:]
            merged = self._subscripted(tail, Postfix("subscript", sub_text, 0, 0))
            if merged is None:
                continue
            head = self._split(run[:k]) if k else ()
            if head is not None:
                return list(head) + [(merged, k)]
        return None

    def _split_uncached(self, run: str):
        """Split a run of letters into known words, longest first; None if impossible."""
        if not run:
            return ()
        if run in self._words:
            return ((run, 0),)
        for size in range(len(run), 0, -1):
            word = run[:size]
            if word in self._words or (size == 1 and word in ("e", "I")
                                       and word not in self.values):
                rest = self._split(run[size:])
                if rest is not None:
                    return ((word, 0),) + tuple((w, o + size) for w, o in rest)
        return None

    def _piece(self, name, start, end):
        self.scope.mention(self.text, self.values[name], start)
        return Piece(self.values[name], start, end)

    def _source(self, atom):
        return self.text[atom.start:atom.end]

    def _unknown(self, atom):
        return DerivgenError(f"unknown symbol '{self._source(atom)}': declare it under "
                             f"variables:", column=atom.start, fragment=self.text)


def _subscript_variants(text: str):
    """``2,i`` may name ``a_2,i``, ``a_2i`` or ``a_2_i``."""
    variants = [text, text.replace(",", ""), text.replace(",", "_")]
    return list(dict.fromkeys(variants))
