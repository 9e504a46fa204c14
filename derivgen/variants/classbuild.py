"""A class's variants: which distinct problems to derive, and what each folder holds.

``plan(files, folders, seed)`` reads every file's slots once and lists the distinct
(file, alternatives) pairs to derive -- a problem without ``variants:`` once for the whole
class, a problem with few combinations once per combination -- and, for each folder, which
of them it holds. ``render_variant(item)`` derives, verifies and renders one of them; it
returns plain data, so that worker processes can send it back.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from pathlib import Path

from derivgen.errors import DerivgenError
from derivgen.pipeline import solve
from derivgen.problem.load import load_problem
from derivgen.render.documents import RenderedProblem, render_problem, result_lhs
from derivgen.render.json import derivation_json
from derivgen.variants.draw import in_variant, picks_for, slots_of

#: A roster id becomes a folder name: letters, digits, ``.``, ``_``, ``-``.
FOLDER_ID = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}\Z")


@dataclass(frozen=True)
class VariantItem:
    """One distinct problem to derive: a file with one alternative per slot."""

    path: Path
    number: int            # the first variant that has these alternatives
    picks: tuple
    choices: dict = field(default_factory=dict, compare=False, hash=False)

    @property
    def varies(self) -> bool:
        return bool(self.picks)


@dataclass
class VariantRendering:
    """What a derived variant gives the documents, ``variants.json`` and the key."""

    rendered: RenderedProblem
    results: list          # the objects of contract §3
    choices: dict
    title: str = ""
    key_results: list = field(default_factory=list)   # (lhs, latex) for the answer key


@dataclass
class Plan:
    folders: list[str]
    items: list[VariantItem]
    #: per folder, per file: the index into ``items`` (None: the file failed to load)
    table: list[list[int | None]]
    errors: list[tuple[Path, DerivgenError]]


def folder_names(count: int, roster: list[str] | None = None) -> list[str]:
    """``001``, ``002``, ... (wider past 999), or the roster's ids."""
    if roster is not None:
        return list(roster)
    width = max(3, len(str(count)))
    return [f"{k:0{width}d}" for k in range(1, count + 1)]


def read_roster(text: str, path: str) -> list[str]:
    """The ids of a roster CSV: its ``id`` column (or its first), unique and folder-safe."""
    rows = [row for row in csv.reader(io.StringIO(text)) if any(c.strip() for c in row)]
    if not rows:
        raise DerivgenError("the roster is empty", file=path, line=1)
    header = [c.strip().lower() for c in rows[0]]
    column = header.index("id") if "id" in header else 0
    start = 1 if "id" in header or header[0] in ("student", "name") else 0
    ids, seen = [], {}
    for line, row in enumerate(rows[start:], start=start + 1):
        value = row[column].strip() if column < len(row) else ""
        if not FOLDER_ID.match(value) or value in (".", ".."):
            raise DerivgenError(f"'{value}' cannot name a folder: use letters, digits, '.', "
                                f"'_' and '-' (at most 64)", file=path, line=line)
        if value in seen:
            raise DerivgenError(f"'{value}' appears twice (first at line {seen[value]})",
                                file=path, line=line)
        seen[value] = line
        ids.append(value)
    if not ids:
        raise DerivgenError("the roster has no ids", file=path, line=1)
    return ids


def plan(files, folders: list[str], seed: int) -> Plan:
    """The distinct problems to derive for ``folders`` (variant k is folder k)."""
    items: dict[tuple, int] = {}
    ordered: list[VariantItem] = []
    table: list[list[int | None]] = [[] for _ in folders]
    errors = []
    for path in map(Path, files):
        try:
            slots = slots_of(path)
        except DerivgenError as error:
            errors.append((path, error.located(file=str(path))))
            for row in table:
                row.append(None)
            continue
        for number, row in enumerate(table, start=1):
            picks = picks_for(slots, path.stem, number, seed)
            key = (str(path), picks)
            if key not in items:
                items[key] = len(ordered)
                choices = {s.name: s.plain(p) for s, p in zip(slots, picks)}
                ordered.append(VariantItem(path, number, picks, choices))
            row.append(items[key])
    return Plan(list(folders), ordered, table, errors)


def render_variant(item: VariantItem) -> VariantRendering:
    """Load, derive, verify and render one variant; a failure names the variant."""
    problem = None
    try:
        problem = load_problem(item.path, item.picks if item.varies else None)
        derivation = solve(problem)
        rendered = render_problem(derivation)
    except DerivgenError as error:
        if problem is not None and error.line is None:
            error.located(line=problem.line_of("function"))   # the likeliest culprit
        raise in_variant(error, item.number, item.choices) from None
    results = derivation_json(derivation)["results"]
    key = [(result_lhs(r, derivation), shown["latex"])
           for r, shown in zip(derivation.results, results)]
    return VariantRendering(rendered, results, item.choices, derivation.problem.title, key)
