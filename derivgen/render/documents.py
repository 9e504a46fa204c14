"""Worksheet, solutions and answers PDFs for a list of derivations.

    >>> paths = build_documents(derivations, "build", title="Homework 3")  # doctest: +SKIP
    >>> sorted(paths)                                                        # doctest: +SKIP
    ['answers', 'solutions', 'worksheet']

Each problem is rendered once into a ``RenderedProblem`` (its LaTeX in each document, plain
strings: what the build cache keeps and what worker processes send back); the documents are
put together from those.  The LaTeX is written with pylatex and compiled with pdflatex (one
pass unless the log asks for a rerun), the three documents side by side, each in a scratch
folder inside ``out_dir``; each PDF then replaces the old one in one ``os.replace``, so a
failed build never leaves a truncated PDF nor removes the last good one.  TeX runs without
shell escape, with paranoid file access, and with every date and ID pinned so that two builds of the same
input give byte-identical PDFs.  All text from problem files goes through ``prose``.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from pylatex import Document, NoEscape, Package

from derivgen.derive.compact import continues, detail_of, shown_sections
from derivgen.errors import DerivgenError
from derivgen.files import replace_together
from derivgen.ir.vec import Named
from derivgen.render.facts import conclusion_prose, fact_prose, math_latex
from derivgen.render.layout import LINE_EM, ROW_SLACK, break_rows, latex_width
from derivgen.render.text import result_lhs, shown_result, where_pairs
from derivgen.render.prose import (PREAMBLE_DEFINITIONS, check_math, escape_text,
                                   restyle_transposes, sanitize_prose, set_instructions,
                                   set_packages, statement_latex, statement_with_function, transpose_style)

KINDS = ("worksheet", "solutions", "answers")
SUBTITLES = {"worksheet": "Worksheet", "solutions": "Solutions", "answers": "Answers"}

#: Vertical room left under each worksheet problem.
WORK_SPACE = "7cm"
LATEX_TIMEOUT = 300  # seconds per document


#: Stands for a problem's number in a ``RenderedProblem``; the document puts the number in.
#: Only its first occurrence is replaced: the heading comes before any text of the problem.
NUMBER_SLOT = "<<number>>"


@dataclass(frozen=True)
class RenderedProblem:
    """One problem's LaTeX in each document (``parts[kind]``), its number left as NUMBER_SLOT."""

    id: str
    parts: dict

    def latex(self, kind: str, number: int) -> str:
        return self.parts[kind].replace(NUMBER_SLOT, str(number), 1)


def render_problem(derivation) -> RenderedProblem:
    """The problem's part of every document; DerivgenError (at the problem's file) if unsafe."""
    problem = derivation.problem
    style = transpose_style(problem.function, problem.statement, problem.answer,
                            *(item.latex for item in problem.where))
    return RenderedProblem(problem.id, {
        kind: restyle_transposes(problem_latex(kind, NUMBER_SLOT, derivation), style)
        for kind in KINDS})


def placeholder_problem(path, message: str) -> RenderedProblem:
    """What stands in the documents for a problem that failed: it keeps its number, so the
    numbers match the problem files' order and a student's numbering does not shift."""
    name = escape_text(Path(path).name)
    first = message.splitlines()[0] if message else "it failed"
    reason = escape_text("".join(ch for ch in first if ch.isprintable())[:300])
    text = (rf"\subsection*{{Problem {NUMBER_SLOT}.\quad (not built)}}" + "\n"
            + rf"\textit{{{name} could not be built: {reason}}}" + "\n\n")
    return RenderedProblem(Path(path).stem, {kind: text for kind in KINDS})


def build_documents(problems, out_dir, *, title: str = "Matrix calculus",
                    meta: dict | None = None, cache=None, dropped: list | None = None
                    ) -> dict[str, Path]:
    """Write ``{worksheet,solutions,answers}.tex`` into ``out_dir`` and compile each to PDF.

    ``problems`` are derivations or ``RenderedProblem``s, in order.  ``meta`` may hold
    ``course`` and ``date`` (printed under the title).  With a ``cache`` (see
    ``derivgen.build.cache.BuildCache``), a document whose ``.tex`` is the one last compiled to its
    still present PDF is not compiled again.  Returns the PDF paths by kind.

    The three documents are written and compiled in a private staging folder and moved into
    ``out_dir`` together only when all three compiled, so the PDFs and ``.tex`` files in
    ``out_dir`` always come from one build.  With a ``dropped`` list, a problem whose text
    LaTeX cannot typeset (found from the line of the error in the log) is left out of all
    three documents, which are then made again, and ``(its index, the LaTeX error)`` is
    appended to ``dropped``.  Otherwise, and for any other LaTeX failure, DerivgenError is
    raised (with the relevant lines of the log) and the previous outputs stay untouched.
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    rendered = [_rendered(problem) for problem in problems]
    kept = list(range(len(rendered)))
    while True:
        chosen = [rendered[index] for index in kept]
        sources = {kind: document_latex(kind, chosen, title=title, meta=meta) for kind in KINDS}
        paths = {kind: out_dir / f"{kind}.pdf" for kind in KINDS}
        stale = [kind for kind in KINDS if cache is None
                 or not cache.compiled(out_dir / f"{kind}.tex", sources[kind], paths[kind])]
        with tempfile.TemporaryDirectory(prefix=".stage-", dir=out_dir) as scratch:
            stage = Path(scratch)
            for kind in KINDS:
                (stage / f"{kind}.tex").write_text(sources[kind], encoding="utf-8")
            failures = _compile_all(stage, stale, _resources(meta))
            if failures:
                culprits = {} if dropped is None else _culprits(stage, sources, chosen, failures)
                if not culprits:
                    raise _failure(stage, out_dir, *next(iter(failures.items())))
                for position, message in sorted(culprits.items()):
                    dropped.append((kept[position], message))
                kept = [index for position, index in enumerate(kept) if position not in culprits]
                continue
            moves = [(stage / f"{kind}.tex", out_dir / f"{kind}.tex") for kind in KINDS]
            for kind in stale:
                moves.append((stage / f"{kind}.pdf", paths[kind]))
                if (stage / f"{kind}.log").exists():
                    moves.append((stage / f"{kind}.log", out_dir / f"{kind}.log"))
            replace_together(moves)
        if cache is not None:
            for kind in stale:
                cache.record_compiled(out_dir / f"{kind}.tex", sources[kind], paths[kind])
        return paths


def _resources(meta: dict | None) -> dict[str, Path]:
    """Files a document reads besides its ``.tex``, by the name it uses: the set's logo."""
    logo = (meta or {}).get("logo")
    return {logo["name"]: Path(logo["path"])} if logo else {}


def _compile_all(stage: Path, kinds, resources: dict | None = None) -> dict[str, DerivgenError]:
    """Compile ``stage/KIND.tex`` for each kind, side by side; the failures by kind."""
    # One pdflatex per document, side by side: pdflatex is single-threaded.
    pool = ThreadPoolExecutor(max_workers=max(1, len(kinds)))
    runs = {kind: pool.submit(compile_pdf, stage / f"{kind}.tex", resources) for kind in kinds}
    try:
        pool.shutdown(wait=True)
    except KeyboardInterrupt:
        # Ctrl-C stopped pdflatex too: let each run remove its scratch folder, then stop.
        pool.shutdown(wait=True)
        raise
    failures = {}
    for kind, run in runs.items():
        try:
            run.result()
        except DerivgenError as err:
            failures[kind] = err
    return failures


def _failure(stage: Path, out_dir: Path, kind: str, error: DerivgenError) -> DerivgenError:
    """A document that failed for no one problem's text: TeX's own error lines if it gave
    any, else what stopped it (no pdflatex, a timeout, a full disk)."""
    log_path = stage / f"{kind}.log"
    log = log_path.read_text(errors="replace") if log_path.exists() else ""
    errors = log_errors(log)
    if errors:
        return DerivgenError(f"LaTeX failed on {kind}.tex:\n{errors}",
                             file=str(out_dir / f"{kind}.tex"), line=1)
    reason = error.message if "LaTeX failed" not in error.message else (
        "pdflatex stopped without an error message (is the disk full, or a file size limit "
        "reached?)")
    return DerivgenError(f"could not make {kind}.pdf: {reason}",
                         file=str(out_dir / f"{kind}.pdf"), line=1)


def _culprits(stage: Path, sources: dict, problems: list, failures: dict) -> dict[int, str]:
    """The problems (positions in ``problems``) at the lines where LaTeX failed: the error."""
    found = {}
    for kind in failures:
        log_path = stage / f"{kind}.log"
        log = log_path.read_text(errors="replace") if log_path.exists() else ""
        where = re.search(r"^l\.(\d+)", log, re.M)
        if where is None:
            continue
        line = int(where.group(1))
        position = _problem_at_line(sources[kind], kind, problems, line)
        if position is not None and position not in found:
            found[position] = log_errors(log)
    return found


def _problem_at_line(source: str, kind: str, problems: list, line: int) -> int | None:
    """Which problem's LaTeX holds ``line`` (1-based) of a document's source, if any."""
    offset = 0
    for position, problem in enumerate(problems):
        part = problem.latex(kind, position + 1)
        start = source.find(part, offset)
        if start < 0:
            return None
        first = source.count("\n", 0, start) + 1
        if first <= line <= first + part.count("\n"):
            return position
        offset = start + len(part)
    return None


def document_latex(kind: str, problems, *, title: str, meta: dict | None = None) -> str:
    """The LaTeX source of one document: ``kind`` is worksheet, solutions or answers."""
    doc = _new_document(set_packages(meta))
    if (meta or {}).get("logo"):
        doc.packages.append(Package("graphicx"))
    doc.append(NoEscape(_title_block(title, SUBTITLES[kind], meta or {})))
    style = (meta or {}).get("transpose")  # set.yaml: one style for the whole set
    for number, problem in enumerate(problems, start=1):
        latex = _rendered(problem).latex(kind, number)
        doc.append(NoEscape(restyle_transposes(latex, style) if style else latex))
    return doc.dumps() + "\n"


def _rendered(problem) -> RenderedProblem:
    return problem if isinstance(problem, RenderedProblem) else render_problem(problem)


def problem_latex(kind: str, number: int | str, derivation) -> str:
    """One problem's part of a document; errors name the problem's file."""
    render = {"worksheet": worksheet_problem, "solutions": solution_problem,
              "answers": answer_problem}[kind]
    try:
        return render(number, derivation)
    except DerivgenError as err:
        raise err.located(derivation.problem.path)


def check_renderable(derivation) -> None:
    """Raise DerivgenError (located at the problem's file) if its text cannot be typeset.

    Lets a batch build drop one problem with unsafe prose and still build the others.
    """
    render_problem(derivation)


def _new_document(packages=()) -> Document:
    # No lmodern (not in texlive-latex-recommended) and no fontenc: the default OT1 Computer
    # Modern ships as Type 1 fonts, where T1 without cm-super would fall back to bitmaps.
    doc = Document(documentclass="article", document_options=["11pt", "a4paper"],
                   fontenc=None, lmodern=False, textcomp=True, page_numbers=False,
                   geometry_options={"margin": "2.5cm"})
    doc.packages.append(Package("amsmath"))
    doc.packages.append(Package("amssymb"))
    for name in packages:       # set.yaml's preamble: before the definitions below
        doc.packages.append(Package(name))
    doc.preamble.append(NoEscape("\n".join([
        # Reproducible PDFs: no dates, no random trailer ID, no pdfTeX banner.
        r"\pdfinfoomitdate=1",
        r"\pdftrailerid{}",
        r"\pdfsuppressptexinfo=-1",
        r"\setlength{\parindent}{0pt}",
        r"\setlength{\parskip}{0.6\baselineskip}",
        # Long derivations may continue on the next page.
        r"\allowdisplaybreaks",
        r"\newcommand{\rulenote}[1]{{\small #1}}",
        r"\newcommand{\stephead}[1]{\par\medskip\noindent\textbf{#1}}",
        r"\newcommand{\rulelist}[1]{{\small\raggedright #1\par}}",
        *PREAMBLE_DEFINITIONS,
    ])))
    # pylatex's page_numbers=False sets the empty style; plain gives bare page numbers
    # without the lastpage package (not in TeX Live's base/recommended sets).
    doc.append(NoEscape(r"\pagestyle{plain}"))
    return doc


def _title_block(title: str, subtitle: str, meta: dict) -> str:
    logo = meta.get("logo")
    # The name is the content's hash, letters, digits and a suffix: safe in TeX as it is.
    lines = [rf"\includegraphics[height=1.5cm]{{{logo['name']}}}\\[0.6em]"] if logo else []
    lines += [rf"{{\LARGE\bfseries {escape_text(title)}}}\\[0.4em]",
             rf"{{\large {subtitle}}}"]
    for key in ("course", "author", "date"):
        if meta.get(key):
            lines[-1] += r"\\[0.2em]"
            lines.append(escape_text(str(meta[key])))
    block = "\\begin{center}\n" + "\n".join(lines) + "\n\\end{center}\n"
    if meta.get("instructions") and subtitle != SUBTITLES["answers"]:
        # its own paragraph: the first problem's minipage must not join its last line
        block += set_instructions(meta) + "\n\n"
    return block + "\\bigskip\n"


# --- one problem in each document -------------------------------------------------------

def problem_heading(number: int, derivation, *, size: str = "section") -> str:
    problem = derivation.problem
    try:
        title = escape_text(problem.title)
    except DerivgenError as err:
        raise err.located(problem.path, problem.line_of("title"))
    return rf"\{size}*{{Problem {number}.\quad {title}}}" + "\n"


def problem_statement(derivation) -> str:
    problem = derivation.problem
    try:
        if problem.statement is None:
            return statement_latex(derivation)
        return statement_with_function(derivation)
    except DerivgenError as err:
        raise err.located(problem.path, problem.line_of("statement"))


def worksheet_problem(number: int, derivation) -> str:
    # The minipage keeps the heading with its statement; the space after it is dropped at a
    # page break, so a problem never starts with an empty page-top.
    return ("\\noindent\\begin{minipage}{\\linewidth}\n"
            + problem_heading(number, derivation, size="subsection")
            + problem_statement(derivation)
            + "\n\\end{minipage}\n\\par\\vspace{"
            + (getattr(derivation.problem, "space", None) or WORK_SPACE) + "}\n")


def solution_problem(number: int, derivation) -> str:
    parts = [problem_heading(number, derivation), problem_statement(derivation) + "\n"]
    notes, previous = RuleNotes(derivation.scope), None
    for section in shown_sections(derivation, detail_of(derivation)):
        parts.append(section_latex(section, derivation.scope, notes,
                                   skip_start=continues(previous, section)))
        previous = section
    if derivation.results:
        if not (derivation.sections and derivation.sections[-1].title.lower() == "result"):
            parts.append(r"\stephead{Result}")
        parts.append(results_latex(derivation))
    for remark in derivation.remarks:
        parts.append(_located(derivation, lambda: sanitize_prose(fact_prose(remark, derivation.scope))) + "\n")
    if derivation.verified:
        parts.append(r"\textit{Verified numerically on random instances.}" + "\n")
    return "\n".join(parts) + "\n\\bigskip\n"


def answer_problem(number: int, derivation) -> str:
    return problem_heading(number, derivation, size="subsection") + results_latex(derivation)


def _located(derivation, make):
    try:
        return make()
    except DerivgenError as err:
        raise err.located(derivation.problem.path)


# --- derivation sections ----------------------------------------------------------------

def math_of(value, scope) -> str:
    """LaTeX for an expression, or a LaTeX string as given; checked against the allowlist."""
    return check_math(math_latex(value, scope))


class RuleNotes:
    """The rules a solution uses, numbered per problem in the order they first appear.

    A step's equals sign carries the numbers of its rules, $\\overset{(1,2)}{=}$; the list
    under each display names and states the rules it numbered first.  A justification
    therefore always fits: it is a paragraph of the text block, never a margin note.
    """

    def __init__(self, scope=None):
        self.scope = scope
        self.numbers: dict = {}
        self.pending: list = []

    def marker(self, step) -> str:
        """``=`` or ``\\overset{(1,2)}{=}`` for one step."""
        refs = []
        for name, identity in step.named:
            key = name or identity  # a rule used again keeps its number
            if key not in self.numbers:
                self.numbers[key] = len(self.numbers) + 1
                self.pending.append((key, name, identity))
            if self.numbers[key] not in refs:
                refs.append(self.numbers[key])
        if not refs:
            return "="
        return rf"\overset{{({','.join(map(str, refs))})}}{{=}}"

    def flush(self) -> str:
        """The rules numbered since the last call, as one small paragraph."""
        items = []
        for key, name, identity in self.pending:
            text = rf"\textit{{{escape_text(name)}}}" if name else ""
            if identity:
                math = f"${math_of(identity, self.scope)}$"
                text = f"{text}: {math}" if text else math
            items.append(rf"({self.numbers[key]})~{text}")
        self.pending = []
        return (r"\rulelist{" + ";\\quad ".join(items) + "}\n") if items else ""


def section_latex(section, scope, notes: RuleNotes | None = None, *, skip_start=False) -> str:
    """A small heading, the chain of equalities as ``align*``, the rules it numbered first,
    then the conclusion.

    Short equalities share a row, as in the lecture; a long expression is broken at its
    ``+`` and ``-`` into rows of its own.  With ``skip_start`` the start (just shown as the
    previous section's end) is left out and the chain begins with the first step.
    """
    notes = notes if notes is not None else RuleNotes(scope)
    lhs = math_of(section.lhs, scope)
    items = [] if skip_start and section.steps else [("=", math_of(section.start, scope))]
    items += [(notes.marker(step), math_of(step.after, scope)) for step in section.steps]
    rows = pack_rows(lhs, items)
    # The heading and the display share a paragraph: no empty line between them, and TeX
    # never breaks a page just before a display.
    out = [(rf"\stephead{{{escape_text(section.title)}}}" if section.title else "")
           + "\\begin{align*}\n" + " \\\\\n".join(rows) + "\n\\end{align*}"]
    out.append(notes.flush().rstrip("\n"))
    if section.conclusion:
        out.append(sanitize_prose(conclusion_prose(section, scope)))
    return "\n".join(part for part in out if part) + "\n"


def pack_rows(lhs: str, items) -> list[str]:
    """Rows of ``lhs = e_1 = e_2 ...``: equalities share a row while it fits the line."""
    budget = LINE_EM - ROW_SLACK - latex_width(lhs)
    rows, current, width = [], "", 0.0
    for marker, expr in items:
        piece_width = latex_width(marker) + latex_width(expr)
        if current and width + piece_width <= budget:
            current += f" {marker} {expr}"
            width += piece_width
            continue
        if current:
            rows.append(current)
        pieces = break_rows(expr, lhs=lhs + marker)
        head = (f"{lhs} &{marker} " if not rows else f"&{marker} ") + pieces[0]
        if len(pieces) > 1:
            rows.append(head)
            rows.extend(f"&\\quad {{}}{piece}" for piece in pieces[1:-1])
            current, width = f"&\\quad {{}}{pieces[-1]}", 1.0 + latex_width(pieces[-1])
        else:
            current, width = head, piece_width
    if current:
        rows.append(current)
    return rows


def _continued(pieces: list[str]) -> str:
    """Rows of one long expression: the first after ``&=``, the rest indented under it."""
    rows = pieces[:1] + [f"&\\quad {{}}{piece}" for piece in pieces[1:]]
    return " \\\\\n".join(rows)


# --- results ----------------------------------------------------------------------------

def results_latex(derivation) -> str:
    """Each result boxed in display math; a long one as an ``aligned`` inside the box."""
    boxes = []
    for result in derivation.results:
        lhs = result_lhs(result, derivation)
        derived = math_of(shown_result(result), derivation.scope) + _names_of(result, derivation)
        written = instructors_answer(derivation, result)
        boxes.append(_boxed(lhs, math_of(written, derivation.scope) if written else derived))
        if written and _plain(written) != _plain(derived):  # verified equal, another form
            pieces = break_rows(derived, lhs=DERIVED)
            rows = pieces[0] if len(pieces) == 1 else (
                r"\begin{aligned}[t]" + r" \\ \quad ".join(pieces) + r"\end{aligned}")
            boxes.append(DERIVED + rows)
    if not boxes:
        return ""
    return ("\\begin{gather*}\n" + " \\\\[0.5em]\n".join(boxes) + "\n\\end{gather*}\n"
            + where_latex(derivation))


#: Beside an instructor's ``answer:`` shown in the box, the result as derived.
DERIVED = r"\text{derived:}\ "


def _boxed(lhs: str, math: str) -> str:
    """``\\boxed{lhs = math}``; a long one as an ``aligned`` inside the box."""
    pieces = break_rows(math, lhs=lhs)
    if len(pieces) == 1:
        return rf"\boxed{{{lhs} = {pieces[0]}}}"
    body = f"{lhs} &= {pieces[0]} \\\\ " + " \\\\ ".join(f"&\\quad {{}}{p}" for p in pieces[1:])
    return rf"\boxed{{\begin{{aligned}}{body}\end{{aligned}}}}"


def _plain(latex: str) -> str:
    """``latex`` without spacing or delimiter sizes, every transpose spelled ``^T`` (the documents restyle the
    derived form to the problem's), and a one-token script unbraced (``^{2}`` is ``^2``):
    two spellings of one formula compare equal."""
    latex = re.sub(r"\s+|\\[,;!: ]|\\(?:left|right|[bB]igg?[lr]?)(?![a-zA-Z])", "", latex)
    latex = restyle_transposes(latex, "T")
    return re.sub(r"([\^_])\{(\\[A-Za-z]+|[^{}\\])\}", r"\1\2", latex)


def instructors_answer(derivation, result) -> str | None:
    """The instructor's ``answer:`` for this result, as written, if the problem has one: it
    was checked against the result on random instances before anything is typeset."""
    problem = derivation.problem
    if result.order != 1:
        return None
    if result.conjugate:
        return problem.answer_conjugate
    if result.wrt in problem.answers:
        return problem.answers[result.wrt]
    first = next((r for r in derivation.results if not r.conjugate), None)
    return problem.answer if result is first else None


def where_latex(derivation) -> str:
    """``where`` and the intermediates and gradients a result by way of them refers to."""
    pairs = where_pairs(derivation)
    if not pairs:
        return ""
    rows = []
    for lhs, rhs in pairs:
        left = math_of(lhs, derivation.scope)
        pieces = break_rows(math_of(rhs, derivation.scope), lhs=left)
        rows.append(f"{left} &= " + _continued(pieces))
    return ("where\n\\begin{align*}\n" + " \\\\\n".join(rows) + "\n\\end{align*}\n")


def _names_of(result, derivation) -> str:
    """``,\\quad \\mathbf{s} = ...`` for each named sub-expression (``vec.Named``) of a result."""
    named = sorted(result.expr.atoms(Named), key=str) if hasattr(result.expr, "atoms") else []
    scope = derivation.scope
    return "".join(rf",\quad {math_of(n, scope)} = {math_of(n.expr, scope)}" for n in named)


# --- compiling --------------------------------------------------------------------------

def latex_environment() -> dict[str, str]:
    env = dict(os.environ)
    env.update({
        "openin_any": "p",          # kpathsea: no reading outside the build folder
        "openout_any": "p",         # ... nor writing
        "shell_escape": "f",
        "SOURCE_DATE_EPOCH": "0",   # fixed dates for anything that still asks
        "FORCE_SOURCE_DATE": "1",
    })
    return env


#: pdflatex's command line: no shell escape, stop at the first error instead of prompting.
PDFLATEX = ["pdflatex", "-interaction=nonstopmode", "-halt-on-error", "-no-shell-escape"]
#: A document that still asks for a rerun after this many passes is left as it is.
MAX_PASSES = 3
#: What LaTeX and its packages write to the log when the next pass would change the output
#: ("Label(s) may have changed. Rerun to get cross-references right", "Please rerun LaTeX").
#: A false match (a problem's text in an overfull-box line) only costs one more pass.
RERUN = re.compile(r"\brerun\b|Label\(s\) may have changed", re.IGNORECASE)


def compile_pdf(tex_path: Path, resources: dict | None = None) -> Path:
    """Compile ``tex_path`` in a scratch folder next to it; move the PDF into place.

    One pdflatex pass, and another only while the log asks for a rerun (our documents have
    no labels, so one pass gives the same bytes as latexmk's two).  Returns the PDF path;
    raises DerivgenError with the log's error lines on failure.
    """
    tex_path = Path(tex_path)
    out_dir, name = tex_path.parent, tex_path.stem
    if shutil.which("pdflatex") is None:
        raise DerivgenError("pdflatex not found: install TeX Live (pdflatex) to build PDFs",
                            file=str(tex_path))
    # Same file system as out_dir, so os.replace below is an atomic rename.
    with tempfile.TemporaryDirectory(prefix=f".{name}-", dir=out_dir) as scratch:
        work = Path(scratch)
        shutil.copyfile(tex_path, work / tex_path.name)
        for used_as, source in (resources or {}).items():  # TeX reads nothing outside work
            shutil.copyfile(source, work / used_as)
        log_path = work / f"{name}.log"
        for _ in range(MAX_PASSES):
            run = _pdflatex(work, tex_path)
            log = log_path.read_text(errors="replace") if log_path.exists() else ""
            if run.returncode != 0 or not RERUN.search(log):
                break
        if log:
            os.replace(log_path, out_dir / f"{name}.log")
        pdf = work / f"{name}.pdf"
        if run.returncode != 0 or not pdf.exists():
            details = log_errors(log) or (run.stdout + run.stderr).strip()[-2000:]
            raise DerivgenError(f"LaTeX failed on {tex_path.name}:\n{details}",
                                file=str(tex_path))
        target = out_dir / f"{name}.pdf"
        os.replace(pdf, target)
    return target


def _pdflatex(work: Path, tex_path: Path) -> subprocess.CompletedProcess:
    """One pdflatex pass over the copy of ``tex_path`` in ``work``."""
    try:
        return subprocess.run(PDFLATEX + [tex_path.name], cwd=work, env=latex_environment(),
                              stdin=subprocess.DEVNULL, capture_output=True, text=True,
                              errors="replace", timeout=LATEX_TIMEOUT)
    except subprocess.TimeoutExpired:
        raise DerivgenError(f"LaTeX took longer than {LATEX_TIMEOUT}s on {tex_path.name}",
                            file=str(tex_path)) from None


def log_errors(log: str, limit: int = 12) -> str:
    """The lines of a TeX log that explain an error: ``! message`` up to the ``l.NN`` line."""
    lines = log.splitlines()
    picked: list[str] = []
    i = 0
    while i < len(lines) and len(picked) < limit:
        if lines[i].startswith("!"):
            j = i
            while j < len(lines) and j - i < 8:
                picked.append(lines[j])
                if re.match(r"l\.\d+", lines[j]):
                    if j + 1 < len(lines) and lines[j + 1].strip():
                        picked.append(lines[j + 1])  # the rest of the offending line
                    break
                j += 1
            i = j
        i += 1
    return "\n".join(picked[:limit])


def overfull_boxes(log: str) -> list[str]:
    """The ``Overfull \\hbox`` warnings of a TeX log (the build succeeds, the page is ugly)."""
    return [line for line in log.splitlines() if line.startswith("Overfull \\hbox")]
