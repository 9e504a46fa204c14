"""What every exporter shares: one ``Exported`` problem, made once from a verified derivation.

Prose stays prose with ``$math$`` (as in problem files) and math stays LaTeX; ``prose_html``
and ``math_html`` turn them into HTML with ``\\( \\)`` / ``\\[ \\]`` math, which MathJax (Moodle,
Canvas, PrairieLearn) and KaTeX's auto-render (the web site) both typeset.  Every piece of
math that reaches an exporter has passed ``render.prose.check_math``'s allowlist, so problem
text cannot smuggle ``\\href`` or ``\\htmlData`` into a page.
"""

from __future__ import annotations

import html
import json
import re
import uuid
from dataclasses import dataclass

from derivgen.errors import DerivgenError
from derivgen.ir.vec import Named
from derivgen.model import Derivation
from derivgen.derive.compact import shown_sections
from derivgen.render.documents import detail_of, math_of, result_lhs
from derivgen.render.facts import conclusion_prose, fact_prose
from derivgen.render.json import derivation_json
from derivgen.render.prose import PREAMBLE_DEFINITIONS, prose_segments, statement_latex
from derivgen.render.text import shown_result, where_pairs
from derivgen.export.question import NumericQuestion, numeric_question

#: uuid5 namespace of derivgen's questions (PrairieLearn wants a stable uuid per question).
NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "derivgen/question")


@dataclass(frozen=True)
class Row:
    """``= latex`` in a chain of equalities, with each rule it uses: ``(name, identity)``,
    the name plain text and the identity LaTeX (either may be empty)."""

    latex: str
    rules: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class WebSection:
    title: str
    lhs: str
    start: str
    rows: tuple[Row, ...]
    conclusion: str = ""         # prose with $math$
    continues: bool = False      # starts where the previous section ended: no `lhs = start`


@dataclass(frozen=True)
class Exported:
    """One problem as every exporter sees it; plain strings and numbers only."""

    id: str
    title: str
    uuid: str
    statement: str                      # prose with $math$
    function: str                       # LaTeX of f
    sections: tuple[WebSection, ...]
    results: tuple[tuple[str, str], ...]   # (lhs, rhs) LaTeX, as the solution shows them
    where: tuple[tuple[str, str], ...]     # intermediates a result by way of them uses
    remarks: tuple[str, ...]            # prose with $math$
    answers: dict                       # wrt -> LaTeX of the gradient (order 1, not conjugate)
    contract: dict                      # the contract's JSON object (section 3)
    question: NumericQuestion
    verified: bool
    variant: int | None = None          # the variant's number, when the set has variants


def exported(derivation: Derivation, seed: int = 0, variant: int | None = None) -> Exported:
    """Everything the exporters need from one verified derivation; errors name the file.

    ``variant`` numbers a per-student variant (``--variants``): its question gets an own
    point (seeded by it) and exporters group the variants of one problem."""
    try:
        return _exported(derivation, seed if variant is None else seed + 1000 * variant,
                         variant)
    except DerivgenError as err:
        raise err.located(derivation.problem.path)


def _exported(derivation: Derivation, seed: int, variant: int | None) -> Exported:
    problem, scope = derivation.problem, derivation.scope

    def math(value) -> str:
        return math_of(value, scope)

    shown = shown_sections(derivation, detail_of(derivation))   # as the PDFs show them
    sections = tuple(
        WebSection(section.title, math(section.lhs), math(section.start),
                   tuple(Row(math(step.after),
                             tuple((name or "", math(identity) if identity else "")
                                   for name, identity in step.named))
                         for step in section.steps),
                   conclusion_prose(section, scope) if section.conclusion else "",
                   continues=previous is not None and section.lhs == previous.lhs
                   and section.start == previous.end)
        for previous, section in zip((None,) + shown[:-1], shown))
    remarks = tuple(fact_prose(remark, scope) for remark in derivation.remarks)
    results = tuple((result_lhs(result, derivation),
                     math(shown_result(result)) + _named(result, math))
                    for result in derivation.results)
    contract = derivation_json(derivation)
    answers = {r["wrt"]: r["latex"] for r in contract["results"]
               if r["order"] == 1 and not r["conjugate"]}
    statement = problem.statement if problem.statement is not None \
        else statement_latex(derivation)
    for prose in (statement, *remarks, *(s.conclusion for s in sections)):
        prose_segments(prose)    # fails early (and cleanly) on unsafe or unbalanced math
    return Exported(
        id=problem.id, title=problem.title, uuid=str(question_uuid(problem)),
        statement=statement, function=math(derivation.function), sections=sections,
        results=results,
        where=tuple((math(lhs), math(rhs)) for lhs, rhs in where_pairs(derivation)),
        remarks=remarks, answers=answers, contract=contract,
        question=numeric_question(derivation, seed), verified=bool(contract["verified"]),
        variant=variant)


def _named(result, math) -> str:
    """``,\\quad \\mathbf{s} = ...`` for each named sub-expression of a result."""
    named = sorted(result.expr.atoms(Named), key=str) if hasattr(result.expr, "atoms") else []
    return "".join(rf",\quad {math(n)} = {math(n.expr)}" for n in named)


def question_uuid(problem) -> uuid.UUID:
    """Stable across runs and across edits of the prose: the problem's id and its mathematics
    (function, variables, wrt) decide it."""
    content = json.dumps({"id": problem.id, "function": problem.function,
                          "wrt": list(problem.wrt),
                          "variables": sorted(problem.variables)}, sort_keys=True)
    return uuid.uuid5(NAMESPACE, content)


# --- prose and math as HTML -------------------------------------------------------------

#: ``\\ensuremath{\\alpha}`` (how the PDFs write a non-ASCII character of problem math): MathJax
#: lacks ``\\ensuremath``, and in math it means its argument.
ENSUREMATH = re.compile(r"\\ensuremath\{([^{}]*)\}")


def _shorthands() -> dict:
    """``\\tr`` -> ``\\operatorname{tr}``, ``\\bm`` -> ``\\boldsymbol``, ...: the commands the PDFs'
    preamble defines (``PREAMBLE_DEFINITIONS``), as MathJax and KaTeX know them unaided."""
    table = {}
    for definition in PREAMBLE_DEFINITIONS:
        found = re.fullmatch(r"\\providecommand\{\\(\w+)\}(\[1\])?\{(.*)\}", definition)
        name, one_argument, body = found.groups()
        if one_argument:            # \bm{#1} = \boldsymbol{#1}: the command itself
            body = re.fullmatch(r"(\\\w+)\{#1\}", body).group(1)
        table[name] = body
    table["coloneqq"] = r"\mathrel{:}="     # MathJax knows it only with mathtools loaded
    return table


SHORTHANDS = _shorthands()
_SHORTHAND = re.compile(r"\\(" + "|".join(SHORTHANDS) + r")(?![A-Za-z])")


def math_html(latex: str, display: bool = False) -> str:
    """``\\(latex\\)`` or ``\\[latex\\]``, HTML-escaped (``<`` in math must not open a tag);
    the PDFs' own shorthands spelled out, so that any LMS's MathJax reads them."""
    latex = _SHORTHAND.sub(lambda m: SHORTHANDS[m.group(1)], ENSUREMATH.sub(r"\1", latex))
    body = html.escape(latex, quote=False)
    return f"\\[{body}\\]" if display else f"\\({body}\\)"


def prose_html(text: str) -> str:
    """Prose as HTML: text escaped, math between ``\\( \\)`` (``\\[ \\]`` for ``$$``)."""
    parts = []
    for kind, value in prose_segments(text):
        if kind == "text" and not value:
            continue
        parts.append(html.escape(value, quote=False) if kind == "text"
                     else math_html(value, display=kind == "display"))
    return "".join(parts)


def rule_html(row: Row) -> str:
    """``product rule: \\(d(XY) = ...\\)``, several joined by ``;``, or empty."""
    notes = []
    for name, identity in row.rules:
        name = html.escape(name, quote=False)
        if identity:
            notes.append(f"{name}: {math_html(identity)}" if name else math_html(identity))
        elif name:
            notes.append(name)
    return "; ".join(notes)


# --- the pieces of a question and its solution, as HTML -----------------------------------

def point_html(ex: Exported) -> str:
    """The concrete point the numeric question asks about."""
    q = ex.question
    items = []
    if q.sizes:
        items.append("<p>Sizes: " + ", ".join(math_html(s) for s in q.sizes) + ".</p>")
    if q.functions:
        items.append("<p>Take " + ", ".join(math_html(s) for s in q.functions) + ".</p>")
    items.append("<p>Values:</p>")
    items.extend(f'<div class="dg-math">{math_html(given, display=True)}</div>'
                 for given in q.given)
    return "\n".join(items)


def question_intro_html(ex: Exported) -> str:
    """Title-less statement, then the point and what to give there."""
    return (f"<p>{prose_html(ex.statement)}</p>\n"
            "<p>Evaluate your result at the following point.</p>\n" + point_html(ex)
            + f"\n<p>{prose_html(ex.question.instructions())}</p>")


def solution_html(ex: Exported) -> str:
    """The worked solution: each section a heading and one display per row (readable on a
    phone: a long row scrolls by itself, not the page), then the results and remarks."""
    out = []
    for section in ex.sections:
        if section.title:
            out.append(f"<h4>{html.escape(section.title, quote=False)}</h4>")
        if not section.continues:
            out.append(f'<div class="dg-math">'
                       f'{math_html(f"{section.lhs} = {section.start}", True)}</div>')
        for row in section.rows:
            rule = rule_html(row)
            out.append(f'<div class="dg-step"><div class="dg-math">'
                       f'{math_html("= " + row.latex, True)}</div>'
                       + (f'<div class="dg-rule">{rule}</div>' if rule else "") + "</div>")
        if section.conclusion:
            out.append(f"<p>{prose_html(section.conclusion)}</p>")
    out.append("<h4>Result</h4>")
    out.append(results_html(ex))
    for remark in ex.remarks:
        out.append(f"<p>{prose_html(remark)}</p>")
    if ex.verified:
        out.append("<p><em>Verified numerically on random instances.</em></p>")
    return "\n".join(out)


def results_html(ex: Exported) -> str:
    out = [f'<div class="dg-math dg-result">{math_html(_boxed(lhs, rhs), True)}</div>'
           for lhs, rhs in ex.results]
    if ex.where:
        out.append("<p>where</p>")
        out.extend(f'<div class="dg-math">{math_html(f"{lhs} = {rhs}", True)}</div>'
                   for lhs, rhs in ex.where)
    return "\n".join(out)


def _boxed(lhs: str, rhs: str) -> str:
    return rf"\boxed{{{lhs} = {rhs}}}"


def key_html(ex: Exported) -> str:
    """The numeric answers at the point, as the key shows them."""
    out = []
    for part in ex.question.parts:
        values = [[_cell_value(cell) for cell in row] for row in part.cells]
        out.append(f'<div class="dg-math">{math_html(f"{part.lhs} = {matrix_latex_of(values)}", True)}'
                   "</div>")
    return "\n".join(out)


def _cell_value(cell) -> complex:
    return complex(cell[0].key, cell[1].key) if len(cell) == 2 else cell[0].key


def matrix_latex_of(values) -> str:
    """Keys as a LaTeX matrix (full precision of the key, not the point's one decimal)."""
    def number(v):
        v = complex(v)
        text = f"{v.real:.4g}"
        if v.imag:
            text += f" {'-' if v.imag < 0 else '+'} {abs(v.imag):.4g}j"
        return text
    if len(values) == 1 and len(values[0]) == 1:
        return number(values[0][0])
    rows = [" & ".join(number(v) for v in row) for row in values]
    return r"\begin{bmatrix}" + r" \\ ".join(rows) + r"\end{bmatrix}"


def display_latex(ex: Exported) -> str:
    """The whole solution as one LaTeX display (``aligned``), for notebooks and ``.latex()``."""
    rows = []
    for section in ex.sections:
        if section.title:
            rows.append(rf"& \textbf{{{_text(section.title)}}} \\")
        if not section.continues:
            rows.append(rf"{section.lhs} &= {section.start} \\")
        for row in section.rows:
            names = ", ".join(name for name, _ in row.rules if name)
            note = rf" && \text{{{_text(names)}}}" if names else ""
            rows.append(rf"&= {row.latex}{note} \\")
    rows.append(r"& \textbf{Result} \\")
    for lhs, rhs in ex.results:
        rows.append(rf"{lhs} &= {rhs} \\")
    for lhs, rhs in ex.where:
        rows.append(rf"\text{{where }} {lhs} &= {rhs} \\")
    body = "\n".join(rows).rstrip("\\ \n")
    return "$$\\begin{aligned}\n" + body + "\n\\end{aligned}$$"


def _text(text: str) -> str:
    """Plain text safe inside ``\\text{}``."""
    return "".join(ch if ch.isalnum() or ch in " -'.,:;()/" else " " for ch in text)
