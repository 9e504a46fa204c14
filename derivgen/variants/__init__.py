"""Per-student variants of problems (contract §5): draw, derive, record, and a class key.

``variant_problem(path, number, seed)`` is one student's version of a problem file;
``draw`` says which alternatives it takes; ``manifest`` writes ``variants.json``; ``key``
typesets the TAs' answer key. A problem without ``variants:`` is the same in every variant.
"""

from derivgen.variants.draw import describe, picks_for, slots_of, variant_problem

__all__ = ["describe", "picks_for", "slots_of", "variant_problem"]
