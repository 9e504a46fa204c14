"""The CSV files of ``derivgen grade --submissions IN.csv [-o OUT.csv]`` (contract §4).

IN.csv has the columns ``student`` and ``answer`` (and ``wrt`` when the problem has several
derivatives; ``Z*`` names the derivative by a complex variable's conjugate), and may have
``variant``: the number of the student's variant (``build --variants``), graded against it. OUT.csv has one
row ``student,wrt,score,correct,diagnosis,feedback`` per submitted answer, grouped by student
in the order they first appear; when the problem has several derivatives, each student's
rows end with a ``total`` row whose score is the share of derivatives answered right.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

from derivgen.errors import DerivgenError
from derivgen.grade.grader import Verdict, first_derivatives, grade, target_result
from derivgen.model import Derivation

COLUMNS = ("student", "wrt", "score", "correct", "diagnosis", "feedback")
#: A cell may hold a hostile megabyte; the grader rejects it, the reader must not.
FIELD_LIMIT = 64 * 1024 * 1024
#: The wrt of a student's summary row.
TOTAL = "total"


@dataclass(frozen=True)
class Submission:
    line: int
    student: str
    wrt: str | None
    answer: str
    variant: int | None = None


def read_submissions(text: str, path: str = "<submissions>") -> list[Submission]:
    """Rows of a submissions CSV; raises ``DerivgenError`` (with the line) if it is not one."""
    csv.field_size_limit(FIELD_LIMIT)
    reader = csv.DictReader(io.StringIO(text, newline=""))
    header = [h.strip().lower() for h in (reader.fieldnames or [])]
    missing = [c for c in ("student", "answer") if c not in header]
    if missing:
        raise DerivgenError(f"the submissions need the columns student and answer; "
                            f"missing: {', '.join(missing)}", file=path, line=1)
    reader.fieldnames = header
    rows = []
    try:
        for row in reader:
            if not any((v or "").strip() for v in row.values() if isinstance(v, str)):
                continue
            rows.append(Submission(reader.line_num, (row.get("student") or "").strip(),
                                   (row.get("wrt") or "").strip() or None,
                                   row.get("answer") or "",
                                   _variant(row.get("variant"), path, reader.line_num)))
    except csv.Error as error:
        raise DerivgenError(f"not a CSV file: {error}", file=path,
                            line=reader.line_num) from None
    return rows


def _variant(text, path, line) -> int | None:
    text = (text or "").strip()
    if not text:
        return None
    if not text.isdigit() or int(text) < 1:
        raise DerivgenError(f"variant must be a number 1, 2, ..., not '{text}'", file=path,
                            line=line)
    return int(text)


def check_targets(derivation: Derivation, submissions, path: str, variants=None) -> None:
    """Raise ``DerivgenError`` at the first row whose ``wrt`` the problem has no derivative by.

    ``variants`` maps a variant's number to its derivation, for rows that name one."""
    for submission in submissions:
        try:
            target_result(_derivation(derivation, variants, submission), submission.wrt)
        except DerivgenError as error:
            raise DerivgenError(error.message, file=path, line=submission.line) from None


def grade_rows(derivation: Derivation, submissions, *, reveal: bool = False,
               variants=None) -> list[dict]:
    """OUT.csv's rows (dicts of ``COLUMNS``), with per-student totals when there are
    several derivatives; ``variants``: as for ``check_targets``."""
    by_student: dict[str, list[Verdict]] = {}
    counts: dict[str, int] = {}
    for submission in submissions:
        judged = _derivation(derivation, variants, submission)
        verdict = grade(judged, submission.answer, submission.wrt, reveal=reveal)
        by_student.setdefault(submission.student, []).append(verdict)
        counts.setdefault(submission.student, len(first_derivatives(judged)))
    rows = []
    for student, verdicts in by_student.items():
        rows += [_row(student, v.target, v.score, v.correct, v.diagnosis, v.feedback)
                 for v in verdicts]
        if counts[student] > 1:
            rows.append(_total_row(student, verdicts, counts[student]))
    return rows


def _derivation(derivation, variants, submission):
    if submission.variant is None or variants is None:
        return derivation
    return variants[submission.variant]


def write_rows(rows, stream) -> None:
    writer = csv.DictWriter(stream, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)


def _row(student, wrt, score, correct, diagnosis, feedback) -> dict:
    return {"student": student, "wrt": wrt, "score": _number(score),
            "correct": "true" if correct else "false", "diagnosis": diagnosis or "",
            "feedback": feedback}


def _total_row(student, verdicts, count) -> dict:
    """The last verdict per derivative counts; a derivative not answered counts as wrong."""
    last = {v.target: v for v in verdicts}
    right = sum(v.score for v in last.values())
    wrong = [f"{t} ({v.diagnosis})" for t, v in last.items() if not v.correct]
    unanswered = count - len(last)
    parts = [f"{_number(right)} of {count} derivatives right."]
    if wrong:
        parts.append("Wrong: " + ", ".join(wrong) + ".")
    if unanswered:
        parts.append(f"Not answered: {unanswered}.")
    return _row(student, TOTAL, right / count, right == count, None if right == count
                else "wrong", " ".join(parts))


def _number(value) -> str:
    return f"{value:.4g}"
