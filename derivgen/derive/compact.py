"""Lecture-length derivations: bookkeeping steps merged into the steps that need them.

The derivation keeps every rewrite (and every one is verified); a solution as the lecture
writes it shows fewer.  ``compact_section`` merges, in order:

* a step whose rules are all bookkeeping (sum rule, transpose rule, linearity, a scalar is
  its own trace, a constant or a sum passing the trace, collecting terms) into the step
  before it, or, at the start, into the step after it;
* a step that only applies rules already used in the section (the product rule again, one
  level deeper) into the step before it.

A merged step is still one true equality ``before = after``: the first step's ``before``
and the last one's ``after``, with every rule it used listed.  ``detail: full`` (or
``--detail full``) shows every step instead.
"""

from __future__ import annotations

from dataclasses import replace

from derivgen.model import Section, Step

#: Rules that move terms around without using a fact of calculus.
BOOKKEEPING = frozenset({
    "sum rule", "transpose rule", "trace rule", "a scalar is its own trace",
    "linearity of the trace", "a scalar factor leaves the trace", "collect terms",
    "the differential of a sum", "a sum passes into the trace", "trace of a sum over samples",
    "collect terms, a sum passes into the trace", "symmetry",
})

DETAILS = ("compact", "full")


def compact_section(section: Section) -> Section:
    """``section`` with its bookkeeping and repeated steps merged into their neighbours."""
    groups: list[list[Step]] = []
    seen: set[str] = set()
    for step in section.steps:
        names = {name for name, _ in step.named}
        if groups and _merges(names, seen, groups[-1]):
            groups[-1].append(step)
        else:
            groups.append([step])
        seen |= names
    return replace(section, steps=tuple(merge_steps(group) for group in groups))


def _merges(names: set, seen: set, group: list) -> bool:
    previous = {name for step in group for name, _ in step.named}
    return names <= BOOKKEEPING or names <= seen or previous <= BOOKKEEPING


def merge_steps(steps: list[Step]) -> Step:
    """One step from the first ``before`` to the last ``after``, with every rule once."""
    if len(steps) == 1:
        return steps[0]
    by_rule = {}
    for name, identity in (pair for step in steps for pair in step.named):
        if not by_rule.get(name or identity, ("", ""))[1]:  # each rule once, with its identity
            by_rule[name or identity] = (name, identity)
    named = tuple(by_rule.values())
    return Step(", ".join(name for name, _ in named if name),
                r",\quad ".join(identity for _, identity in named
                                 if isinstance(identity, str) and identity),
                steps[0].before, steps[-1].after, named)


def continues(previous, section) -> bool:
    """Whether ``section`` starts where ``previous`` ended (its first row need not repeat it)."""
    return previous is not None and section.lhs == previous.lhs and section.start == previous.end


def detail_of(derivation) -> str:
    """``compact`` (the lecture's length) unless the problem asks for every step."""
    return getattr(derivation.problem, "detail", None) or "compact"


def shown_sections(derivation, detail: str = "compact") -> tuple[Section, ...]:
    """The sections a solution shows at ``detail`` (``compact`` or ``full``)."""
    if detail == "full":
        return derivation.sections
    return tuple(compact_section(section) for section in derivation.sections)
