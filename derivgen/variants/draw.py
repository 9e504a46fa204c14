"""Which alternatives variant ``number`` of a problem takes, for a seed: same seed, same
variants, on any machine (no Python ``hash``, no global random state).

The combinations of a problem's slots are dealt out like a shuffled deck: variant 1 takes
the first card, variant 2 the second, ..., so that neighbouring students get different
versions and every combination is used before one repeats. The shuffle depends on the seed
and the problem's id only, so adding a problem to the set does not change the others.
"""

from __future__ import annotations

import random
from pathlib import Path

from derivgen.errors import DerivgenError
from derivgen.model import Problem
from derivgen.problem.load import TOP_LEVEL_KEYS, load_problem, read_problem_mapping
from derivgen.problem.variation import Slot, combinations, read_slots

#: Beyond this many combinations, each slot is drawn on its own instead of dealt.
DEAL_LIMIT = 100_000


def slots_of(path) -> list[Slot]:
    """The slots of a problem file's ``variants:`` (empty without one)."""
    return read_slots(read_problem_mapping(path), str(path), TOP_LEVEL_KEYS)


def picks_for(slots, problem_id: str, number: int, seed: int = 0) -> tuple[int, ...]:
    """The alternative (index) of each slot in variant ``number`` (1, 2, ...)."""
    if number < 1:
        raise ValueError("variants are numbered from 1")
    if not slots:
        return ()
    total = combinations(slots)
    if total <= DEAL_LIMIT:
        deck = list(range(total))
        random.Random(f"derivgen/{seed}/{problem_id}").shuffle(deck)
        card = deck[(number - 1) % total]
        picks = []
        for slot in reversed(slots):
            card, pick = divmod(card, len(slot.alternatives))
            picks.append(pick)
        return tuple(reversed(picks))
    rng = random.Random(f"derivgen/{seed}/{problem_id}/{number}")
    return tuple(rng.randrange(len(slot.alternatives)) for slot in slots)


def variant_problem(path, number: int, seed: int = 0) -> Problem:
    """Variant ``number`` of the problem file ``path``; a failure names the variant."""
    slots = slots_of(path)
    picks = picks_for(slots, Path(path).stem, number, seed)
    try:
        return load_problem(path, picks if slots else None)
    except DerivgenError as error:
        raise in_variant(error, number, dict(zip((s.name for s in slots), (
            s.plain(p) for s, p in zip(slots, picks))))) from None


def in_variant(error: DerivgenError, number: int, choices: dict) -> DerivgenError:
    """``error`` with the variant it happened in: ``variant 3 (c=2, act=tanh): ...``."""
    if choices and not error.message.startswith("variant "):
        error.message = f"variant {number} ({describe(choices)}): {error.message}"
        error.args = (error.message,)
    return error


def describe(choices: dict) -> str:
    """``c=2, act=tanh``; a mapping alternative by its keys' values, shortened."""
    parts = []
    for name, value in choices.items():
        if isinstance(value, dict):
            value = "; ".join(f"{k}: {v}" for k, v in value.items())
        text = str(value)
        parts.append(f"{name}={text if len(text) <= 40 else text[:37] + '...'}")
    return ", ".join(parts)
