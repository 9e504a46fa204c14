"""The documents as a reader sees them: nothing outside the text block, no overfull line,
and derivations as long as the lecture's.

One build of ``problems/`` and ``tests/fixtures/exercises/`` (every family derivgen handles:
real, complex and analytic, Hessians, sums over samples, the chain rule, softmax, generic
functions) is measured on the PDFs (``pdftotext -bbox``) and on the LaTeX it compiled.
"""

from __future__ import annotations

import re
import statistics
import subprocess
from pathlib import Path

import pytest

from derivgen.cli import main
from derivgen.pipeline import solve
from derivgen.problem.load import load_problem
from derivgen.render.documents import document_latex, placeholder_problem, render_problem
from derivgen.render.layout import LINE_EM, ROW_SLACK, latex_width

from conftest import PROBLEMS

EXERCISES = Path(__file__).resolve().parent / "fixtures" / "exercises"

#: The text block of the documents: A4 (595.28 pt wide), 2.5 cm margins, in PDF points.
LEFT, RIGHT = 70.87, 595.28 - 70.87
#: Display rows of the lecture's Examples 1-4 (differential and trace form): 2, 3, 3, 2.
#: derivgen's may take as many, Example 3 one more (the lecture names Y = sigma(WX), so its
#: differential stops at dY; the problem file inlines it, and its first two equalities
#: together take 39 of the 41 em of the line, as TeX measures them), Example 4 at most 5.
LECTURE_ROWS = {1: 2, 2: 3, 3: 4, 4: 5}

@pytest.fixture(scope="module")
def built(tmp_path_factory):
    out = tmp_path_factory.mktemp("layout")
    assert main(["build", str(PROBLEMS), str(EXERCISES), "-o", str(out), "-q", "--no-cache"]) == 0
    return out


def words_outside(pdf: Path) -> list:
    """``(page, word, xMin, xMax)`` of every word that is not inside the text block."""
    html = subprocess.run(["pdftotext", "-bbox", str(pdf), "-"], capture_output=True,
                          text=True, check=True).stdout
    outside, page = [], 0
    for line in html.splitlines():
        page += "<page" in line
        word = re.search(r'xMin="([\d.]+)" yMin="[\d.]+" xMax="([\d.]+)" yMax="[\d.]+">(.*)'
                         r'</word>', line)
        if word:
            x0, x1 = float(word.group(1)), float(word.group(2))
            if x0 < LEFT - 1 or x1 > RIGHT + 1:
                outside.append((page, word.group(3), x0, x1))
    return outside


def derivation_rows(tex: str) -> dict:
    """``{number: (title, rows, second_order)}``: display rows of each problem's derivation
    in the solutions (its ``align*`` environments, not the ``where`` list of the result)."""
    parts = re.split(r"\\section\*\{Problem (\d+)\.\\quad ([^}]*)\}", tex)[1:]
    rows = {}
    for number, title, body in zip(parts[::3], parts[1::3], parts[2::3]):
        body = re.sub(r"where\n\\begin\{align\*\}.*?\\end\{align\*\}", "", body, flags=re.S)
        envs = re.findall(r"\\begin\{align\*\}(.*?)\\end\{align\*\}", body, re.S)
        second = "Second differential" in body or "Vectorization" in body
        rows[int(number)] = (title, sum(env.count("\\\\\n") + 1 for env in envs), second)
    return rows


def test_the_set_holds_every_family():
    texts = [p.read_text() for p in EXERCISES.glob("*.yaml")]
    assert len(texts) >= 40
    for feature in ("hessian: true", "complex: true", "index: i", "where:", "softmax",
                    "generic", "onehot: true", "statement:", r"^\top"):
        assert any(feature in t for t in texts), feature


def test_no_overfull_line_in_any_document(built):
    for kind in ("worksheet", "solutions", "answers"):
        log = (built / f"{kind}.log").read_text(errors="replace")
        assert [line for line in log.splitlines() if line.startswith("Overfull")] == [], kind


def test_no_word_outside_the_text_block(built):
    for kind in ("worksheet", "solutions", "answers"):
        assert words_outside(built / f"{kind}.pdf") == [], kind


def test_derivations_are_as_long_as_the_lecture(built):
    rows = derivation_rows((built / "solutions.tex").read_text())
    assert len(rows) >= 80
    counts = [n for _, n, _ in rows.values()]
    assert statistics.median(counts) <= 8
    first_order = {k: (t, n) for k, (t, n, second) in rows.items() if not second}
    assert max(n for _, n in first_order.values()) <= 30, first_order
    for number, lecture in LECTURE_ROWS.items():  # problems 1-4 are the lecture's 1-4
        assert rows[number][1] <= lecture, (number, rows[number])


def test_row_widths_are_estimated_within_the_slack(built, tmp_path):
    """Each display row of the solutions, set alone by TeX (``\\settowidth``): the estimate
    rows are packed by (``latex_width``) is never short by as much as the room ``ROW_SLACK``
    keeps free, so a row packed to the budget stays in the text block."""
    tex = (built / "solutions.tex").read_text()
    rows = [row.strip().replace("&", "")
            for env in re.findall(r"\\begin\{align\*\}(.*?)\\end\{align\*\}", tex, re.S)
            for row in env.split("\\\\\n")]
    measure = [tex[:tex.index("\\begin{document}")], "\\begin{document}\\newlength{\\rw}\n"]
    measure += [f"\\settowidth{{\\rw}}{{$\\displaystyle {row}$}}\\typeout{{W{k}:\\the\\rw}}\n"
                for k, row in enumerate(rows)]
    (tmp_path / "rows.tex").write_text("".join(measure) + "\\end{document}\n")
    subprocess.run(["pdflatex", "-interaction=nonstopmode", "rows.tex"], cwd=tmp_path,
                   capture_output=True, check=False)
    widths = {int(k): float(v) / 10.95 for k, v in  # pt -> em of the 11pt body font
              re.findall(r"^W(\d+):([\d.]+)pt", (tmp_path / "rows.log").read_text(), re.M)}
    assert len(widths) == len(rows) > 300
    for k, row in enumerate(rows):
        estimate = latex_width(row)
        assert widths[k] - estimate < ROW_SLACK - 0.5, (row, widths[k], estimate)
        assert widths[k] < LINE_EM - 0.5, row


def _rendered(stem):
    return render_problem(solve(load_problem(EXERCISES / f"{stem}.yaml")))


def test_the_instructors_transpose_is_used_throughout_the_problem():
    rendered = _rendered("e44-transpose-style")   # written with ^\top
    for kind in ("worksheet", "solutions", "answers"):
        assert "^T" not in rendered.parts[kind] and r"^{\top}" in rendered.parts[kind], kind
    plain = _rendered("e01-linear-form")          # ^T, unless set.yaml says otherwise
    assert "^T" in plain.parts["solutions"]
    styled = document_latex("solutions", [plain], title="HW",
                            meta={"transpose": r"\mathsf{T}"})
    assert "^T" not in styled.split("Problem 1.")[1] and r"^{\mathsf{T}}" in styled


def test_set_yaml_author_and_instructions_are_printed():
    source = document_latex("worksheet", [_rendered("e01-linear-form")], title="HW 3",
                            meta={"course": "SI231", "author": "Prof. Ada & Co.",
                                  "instructions": r"Show every step; use $\mathbf{X}^T$."})
    assert r"Prof. Ada \& Co." in source and r"Show every step; use $\mathbf{X}^T$." in source


def test_a_failed_problem_keeps_its_number():
    problems = [_rendered("e01-linear-form"),
                placeholder_problem("tests/b.yaml", "b.yaml:3: cannot add 1 and x\n  ^"),
                _rendered("e06-trace-AX")]
    source = document_latex("solutions", problems, title="HW")
    assert "Problem 2.\\quad (not built)" in source and "b.yaml could not be built" in source
    assert "Problem 3.\\quad Trace of a product" in source


def test_solve_prints_unicode_and_latex_on_request(capsys):
    assert main(["solve", str(PROBLEMS / "01-bilinear-form.yaml")]) == 0
    unicode = capsys.readouterr().out
    assert "tr((a bᵀ)ᵀ dX)" in unicode and "\\mathbf" not in unicode
    assert main(["solve", str(PROBLEMS / "01-bilinear-form.yaml"), "--latex"]) == 0
    assert r"\operatorname{tr}((\mathbf{a}\mathbf{b}^T)^T\,d\mathbf{X})" in capsys.readouterr().out


def test_detail_full_keeps_every_step_on_the_command_line(capsys):
    path = str(PROBLEMS / "04-least-squares.yaml")
    assert main(["solve", path]) == 0
    compact = capsys.readouterr().out
    assert main(["solve", path, "--detail", "full"]) == 0
    full = capsys.readouterr().out
    assert "[transpose rule, sum rule]" in full and "[transpose rule, sum rule]" not in compact
    assert len(full.splitlines()) > len(compact.splitlines()) + 4
