"""Moodle XML: one Embedded Answers (Cloze) question per problem.

The question text is the statement, the concrete point and a grid of ``NUMERICAL`` blanks
(``{1:NUMERICAL:=key:tolerance}``), which Moodle grades without plug-ins; the worked
solution is the general feedback.  Math is ``\\( \\)`` / ``\\[ \\]`` for Moodle's MathJax
filter.  Variants of one problem (``--variants``) go into a sub-category of their own, so
that a quiz can draw one of them at random for each student.

The layout follows Moodle's own fixtures (``question/format/xml/tests/fixtures/``):
``<quiz>``, a ``category`` question, then ``<question type="cloze">`` with ``name``,
``questiontext``, ``generalfeedback``, ``penalty``, ``hidden`` and ``idnumber``.
"""

from __future__ import annotations

import html
import xml.etree.ElementTree as ET

from derivgen.export.common import (Exported, math_html, prose_html, question_intro_html,
                                    solution_html)

PENALTY = "0.3333333"


def moodle_xml(problems: list[Exported], category: str = "derivgen") -> bytes:
    """The whole quiz file (UTF-8 bytes, with its XML declaration)."""
    quiz = ET.Element("quiz")
    current = None
    for ex in problems:
        wanted = category if ex.variant is None else f"{category}/{ex.id}"
        if wanted != current:
            quiz.append(_category(wanted))
            current = wanted
        quiz.append(cloze_question(ex))
    ET.indent(quiz)
    return ET.tostring(quiz, encoding="UTF-8", xml_declaration=True) + b"\n"


def _category(path: str) -> ET.Element:
    question = ET.Element("question", type="category")
    _text(ET.SubElement(question, "category"), f"$course$/top/{path}")
    return question


def cloze_question(ex: Exported) -> ET.Element:
    question = ET.Element("question", type="cloze")
    name = ex.title if ex.variant is None else f"{ex.title} (variant {ex.variant})"
    _text(ET.SubElement(question, "name"), name)
    _text(ET.SubElement(question, "questiontext", format="html"), question_text(ex))
    _text(ET.SubElement(question, "generalfeedback", format="html"), solution_html(ex))
    ET.SubElement(question, "penalty").text = PENALTY
    ET.SubElement(question, "hidden").text = "0"
    ET.SubElement(question, "idnumber").text = ex.id if ex.variant is None \
        else f"{ex.id}-v{ex.variant}"
    return question


def _text(parent: ET.Element, text: str) -> None:
    ET.SubElement(parent, "text").text = text


def question_text(ex: Exported) -> str:
    """The statement, the point and one grid of blanks per part."""
    parts = [question_intro_html(ex)]
    for part in ex.question.parts:
        if part.prompt:
            parts.append(f"<p>{prose_html(part.prompt)}</p>")
        if part.shown:
            parts.append(f"<p>{math_html(part.shown, display=True)}</p>")
        parts.append(grid_html(part))
    return "\n".join(parts)


def grid_html(part) -> str:
    """``lhs =`` and a bracketed table of cloze blanks (a complex entry: ``re + im j``)."""
    rows = []
    for row in part.cells:
        cells = "".join(f'<td style="padding:2px 6px">{_cell(cell)}</td>' for cell in row)
        rows.append(f"<tr>{cells}</tr>")
    table = ('<table style="display:inline-table;vertical-align:middle;'
             'border-left:2px solid;border-right:2px solid">' + "".join(rows) + "</table>")
    # a <div>, not a <p>: a table cannot sit inside a paragraph (HTML closes the <p>)
    return f'<div style="margin:0.6em 0">{math_html(part.lhs + " =")} {table}</div>'


def _cell(cell) -> str:
    if len(cell) == 2:
        return f"{_blank(cell[0])} + {_blank(cell[1])}\\(\\,j\\)"
    return _blank(cell[0])


def _blank(blank) -> str:
    """A NUMERICAL sub-question; its feedback names the entry (escaped for the cloze syntax)."""
    label = html.escape(blank.label).replace("}", "&#125;").replace("#", "&#35;") \
        .replace("~", "&#126;").replace(":", "&#58;")
    return f"{{1:NUMERICAL:={blank.key_text}:{blank.tolerance_text}#{label}}}"
