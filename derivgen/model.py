"""Plain data passed between the pipeline's stages: problem in, derivation out."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class VarSpec:
    """One entry of ``variables:``; ``shape`` holds dimension names or positive ints."""

    name: str
    shape: tuple
    latex: str | None = None
    symmetric: bool = False
    complex: bool = False
    onehot: bool = False
    line: int | None = None
    index: str | None = None   # a family of samples x_1..x_N, written x_i


@dataclass(frozen=True)
class Intermediate:
    """One entry of ``where:``: ``name = latex``."""

    name: str
    latex: str
    line: int | None = None


@dataclass
class Problem:
    """A validated problem file. ``lines`` maps a key (``function``, ``variables.X``) to its line."""

    path: str
    id: str
    title: str
    function: str
    wrt: list[str]
    variables: dict[str, VarSpec]
    statement: str | None = None
    functions: dict[str, str] = field(default_factory=dict)
    where: list[Intermediate] = field(default_factory=list)
    hessian: bool = False
    answer: str | None = None
    answer_conjugate: str | None = None  # expected ∂f/∂Z* for a complex Z
    detail: str | None = None  # "compact" (the lecture's length) or "full" (every step)
    space: str | None = None   # room for the answer on the worksheet, e.g. "5cm"
    answers: dict[str, str] = field(default_factory=dict)  # answer: {W: ..., b: ...}, by wrt
    lines: dict[str, int] = field(default_factory=dict)
    choices: dict = field(default_factory=dict)   # a variant's alternatives: {slot: value}

    def line_of(self, key: str) -> int | None:
        return self.lines.get(key)


@dataclass(frozen=True)
class Step:
    """One rewrite: ``before = after`` by ``rule``; ``identity`` is its LaTeX statement."""

    rule: str
    identity: str
    before: Any
    after: Any
    rules: tuple = ()   # ((name, identity), ...) of each rule when the step uses several

    @property
    def named(self) -> tuple:
        """Each rule the step uses, ``(name, identity)``; empty for a silent step."""
        if self.rules:
            return self.rules
        return ((self.rule, self.identity),) if self.rule or self.identity else ()


@dataclass(frozen=True)
class Section:
    """A chain of equalities ``lhs = start = steps[0].after = ...`` with a heading."""

    title: str
    lhs: Any
    start: Any
    steps: tuple[Step, ...]
    conclusion: tuple = ()    # facts (derive/facts.py) that render/ writes as prose
    order: int = 1            # 2: its steps equal the differential of a gradient, not ``df``

    @property
    def end(self):
        return self.steps[-1].after if self.steps else self.start


@dataclass(frozen=True)
class Result:
    """A derivative: ``order`` 1 is the gradient (shape of the variable), 2 the Hessian."""

    wrt: str
    order: int
    conjugate: bool
    expr: Any
    verified: bool = False
    chain_form: Any = None    # the same by way of intermediates' gradients, for display


@dataclass(frozen=True)
class Derivation:
    """Everything a renderer needs; renderers never derive anything themselves."""

    problem: Problem
    scope: Any
    function: Any
    sections: tuple[Section, ...]
    results: tuple[Result, ...]
    verified: bool
    remarks: tuple = ()       # facts (derive/facts.py), written as prose by render/
    chain: Any = None         # the ``where:`` links (derivgen.derive.chain.Chain), if any

    @property
    def function_name(self) -> str:
        """How the problem names its function, as LaTeX: ``f``, ``J``, ``\\mathcal{L}``."""
        return getattr(self.scope, "function_name", None) or "f"

    def concrete(self, expr):
        """``expr`` in the variables alone (intermediates, their d and gradients inlined)."""
        return self.chain.concrete(expr) if self.chain is not None else expr
