"""A problem's ``variants:`` block: what may change between students, and one choice applied.

    variants:
      act: [sigmoid, tanh, softplus]        # a placeholder: <<act>> anywhere in the file
      c: [2, 3, 5]
      form:                                 # whole alternatives: keys of the problem replaced
        - {function: '\\mathbf{a}^T\\mathbf{X}\\mathbf{b}'}
        - {function: '\\mathbf{b}^T\\mathbf{X}^T\\mathbf{a}', side: 'right'}

Each entry is a *slot* with a list of alternatives; a variant picks one alternative per slot.
A plain alternative (text or number) replaces ``<<slot>>`` in every text of the file (keys
too, so a variable's name may vary; a shape entry that becomes a whole number is a number).
A mapping alternative replaces the problem keys it names (``function``, ``wrt``,
``variables``, ``answer`` ...) and binds each other key as a placeholder of its own
(``<<side>>`` above); its ``label``, if any, is how the choice is shown (in
``variants.json`` and the answer key) and a placeholder too. Placeholders inside replaced keys are filled in too.

The first alternative of every slot is the problem's *base*: what ``solve``, ``check`` and a
build without ``--variants`` use. ``derivgen.variants`` draws the others, per student.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from derivgen.errors import DerivgenError

PLACEHOLDER = re.compile(r"<<\s*([A-Za-z][A-Za-z0-9_]*)\s*>>")
#: Slot and placeholder names: like variable names.
SLOT_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]*\Z")
#: Most alternatives one slot may list, and most variants a file may describe.
MAX_ALTERNATIVES = 100
MAX_SLOTS = 12
#: The key of a mapping alternative that names it (not a placeholder).
LABEL = "label"


@dataclass(frozen=True)
class Slot:
    """One entry of ``variants:``: ``name`` and its alternatives (text, numbers, mappings)."""

    name: str
    alternatives: tuple
    line: int

    def plain(self, pick: int):
        """The alternative ``pick`` as shown in ``variants.json`` and the key: its
        ``label``, else plain data."""
        alternative = self.alternatives[pick]
        if hasattr(alternative, "line") and "label" in alternative:
            return str(alternative["label"])
        return _plain(alternative)


def read_slots(data, path: str, problem_keys) -> list[Slot]:
    """The slots of a problem file's ``variants:`` (none without one), validated."""
    if "variants" not in data:
        return []
    block = data["variants"]
    line = data.line("variants")
    if not hasattr(block, "line") or not block:
        raise DerivgenError("'variants' must be a mapping of slots to lists of alternatives, "
                            "e.g. variants: {c: [2, 3, 5]}", file=path, line=line)
    if len(block) > MAX_SLOTS:
        raise DerivgenError(f"'variants' has {len(block)} slots; at most {MAX_SLOTS}",
                            file=path, line=line)
    slots = []
    for name, alternatives in block.items():
        at = block.line(name)
        if not isinstance(name, str) or not SLOT_NAME.match(name) or name in problem_keys:
            raise DerivgenError(f"variants: '{name}' is not a usable slot name: use a name "
                                f"like c or act that is not a key of the problem", file=path,
                                line=at)
        if not isinstance(alternatives, list) or not alternatives:
            raise DerivgenError(f"variants.{name} must be a list of alternatives, e.g. "
                                f"{name}: [2, 3, 5]", file=path, line=at)
        if len(alternatives) > MAX_ALTERNATIVES:
            raise DerivgenError(f"variants.{name} lists {len(alternatives)} alternatives; "
                                f"at most {MAX_ALTERNATIVES}", file=path, line=at)
        for alternative in alternatives:
            _check_alternative(alternative, name, problem_keys, path, at)
        slots.append(Slot(name, tuple(alternatives), at))
    return slots


def combinations(slots) -> int:
    """How many different variants the slots describe."""
    return math.prod(len(slot.alternatives) for slot in slots)


def apply_choice(data, slots, picks, path: str, problem_keys, located):
    """``data`` (a ``Located`` mapping) with alternative ``picks[i]`` of each slot applied.

    ``located(start_line)`` makes an empty ``Located``; ``variants`` itself is dropped.
    """
    values, overrides = {}, {}
    for slot, pick in zip(slots, picks):
        alternative = slot.alternatives[pick]
        if hasattr(alternative, "line"):          # a mapping: problem keys and placeholders
            for key, value in alternative.items():
                if key in problem_keys:
                    overrides[key] = (value, alternative.line(key), alternative.style(key))
                else:
                    values[key] = _text(value)
        else:
            values[slot.name] = _text(alternative)
    chosen = located(data.start_line)
    for key, value in data.items():
        if key == "variants":
            continue
        if key in overrides:
            value, line, style = overrides.pop(key)
        else:
            line, style = data.line(key), data.style(key)
        _put(chosen, key, value, line, style)
    for key, (value, line, style) in overrides.items():
        _put(chosen, key, value, line, style)
    return _substitute(chosen, values, path, located, chosen.start_line)


# ---- helpers ------------------------------------------------------------------------------

def _check_alternative(alternative, name, problem_keys, path, line):
    if hasattr(alternative, "line"):
        for key in alternative:
            if not isinstance(key, str) or not SLOT_NAME.match(key):
                raise DerivgenError(f"variants.{name}: '{key}' is neither a key of the "
                                    f"problem nor a placeholder name", file=path,
                                    line=alternative.line(key))
        return
    if isinstance(alternative, bool) or not isinstance(alternative, (str, int, float)):
        raise DerivgenError(f"variants.{name}: an alternative is text, a number or a mapping "
                            f"of problem keys, not {type(alternative).__name__}", file=path,
                            line=line)


def _put(mapping, key, value, line, style):
    mapping[key] = value
    mapping.lines[key] = line
    if style is not None:
        mapping.styles[key] = style


def _substitute(value, values, path, located, line):
    """``value`` with every ``<<name>>`` filled in (keys of mappings too)."""
    if isinstance(value, str):
        return _fill(value, values, path, line)
    if isinstance(value, list):
        return [_substitute(v, values, path, located, line) for v in value]
    if hasattr(value, "line"):
        out = located(value.start_line)
        for key, item in value.items():
            at = value.line(key)
            new_key = _fill(key, values, path, at) if isinstance(key, str) else key
            _put(out, new_key, _substitute(item, values, path, located, at), at,
                 value.style(key))
        return out
    return value


def _fill(text, values, path, line):
    def one(match):
        name = match.group(1)
        if name not in values:
            raise DerivgenError(f"unknown placeholder <<{name}>>: declare it under variants:",
                                file=path, line=line)
        return values[name]
    filled = PLACEHOLDER.sub(one, text)
    whole = PLACEHOLDER.fullmatch(text.strip())
    if whole and re.fullmatch(r"-?[0-9]+", filled.strip()):
        return int(filled)          # a shape entry or a number that varies stays a number
    return filled


def _text(value) -> str:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value)


def _plain(value):
    if hasattr(value, "line"):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value
