"""Worksheet / solutions / answers PDFs, prose sanitizing, and the text rendering.

The derivations are made by hand (the lecture's examples) so these tests do not depend on
the parser or the rules engine.
"""

from __future__ import annotations

from dataclasses import replace

import shutil
import subprocess

import pytest

from sympy import HadamardProduct, MatMul, Trace, Transpose

from derivgen.errors import DerivgenError
from derivgen.render.terminal import terminal_math
from derivgen.render import documents as documents_module
from derivgen.ir.nodes import D, DiffScalar, Elementwise, MatD, differential_symbol
from derivgen.model import Derivation, Problem, Result, Section, Step, VarSpec
from derivgen.render.documents import (NUMBER_SLOT, build_documents, document_latex,
                                       worksheet_problem,
                                       overfull_boxes, render_problem, results_latex)
from derivgen.render.prose import check_math, escape_text, sanitize_prose, statement_latex
from derivgen.render.text import derivation_text
from derivgen.parse.scope import scope_of
from derivgen.pipeline import solve

from conftest import PROBLEMS
from derivgen.problem.load import load_problem

def needs_tex(test):
    """TeX Live and poppler-utils are part of the set-up (./setup.sh); a missing one is a failure."""
    assert shutil.which("pdflatex") and shutil.which("pdftotext"), "run ./setup.sh first"
    return test

PRODUCT_RULE = r"d(\mathbf{X}\mathbf{Y}) = d\mathbf{X}\,\mathbf{Y} + \mathbf{X}\,d\mathbf{Y}"


def make_problem(title, variables, wrt, statement=None, functions=None, path="p.yaml"):
    specs = {name: VarSpec(name, tuple(shape), **extra) for name, shape, extra in variables}
    return Problem(path=path, id="p", title=title, function="", wrt=list(wrt),
                   variables=specs, statement=statement, functions=dict(functions or {}),
                   lines={"title": 1, "statement": 2})


def bilinear(title="Derivative of a bilinear form", statement=None, identity=PRODUCT_RULE,
             latex_of_a=None):
    """Example 1: f = a^T X b, df = a^T dX b = tr((a b^T)^T dX)."""
    extra = {"latex": latex_of_a} if latex_of_a else {}
    problem = make_problem(title, [("a", ["m"], extra), ("X", ["m", "n"], {}),
                                   ("b", ["n"], {})], ["X"], statement)
    scope = scope_of(problem)
    a, X, b = (scope.symbols[k] for k in "aXb")
    dX, df = differential_symbol(X), DiffScalar("df", real=True)
    f = a.T * X * b
    differential = Section("Differential", df, D(f), (
        Step("product rule", identity, D(f), MatMul(a.T, MatD(X * b))),
        Step("product rule", "", None, MatMul(a.T, dX, b)),
    ))
    trace = Section("Trace form", df, Trace(MatMul(a.T, dX, b)), (
        Step("cyclic property", r"\operatorname{tr}(\mathbf{A}\mathbf{B}) = "
             r"\operatorname{tr}(\mathbf{B}\mathbf{A})", None, Trace(MatMul(b, a.T, dX))),
        Step("transpose", "", None, Trace(MatMul(Transpose(MatMul(a, b.T)), dX))),
    ), conclusion=r"Comparing with $df = \operatorname{tr}(\nabla f^T d\mathbf{X})$ gives "
                  "the gradient.")
    return Derivation(problem, scope, f, (differential, trace),
                      (Result("X", 1, False, a * b.T, True),), True,
                      remarks=(r"The gradient has the shape of $\mathbf{X}$.",))


def sigmoid_layer(title="A layer with a sigmoid"):
    """Example 3, with a deliberately long step that must be broken across rows."""
    problem = make_problem(title, [("W", ["l", "m"], {}), ("X", ["m", "n"], {}),
                                   ("M", ["l", "l"], {"symmetric": True})], ["X"],
                           functions={"sigma": "sigmoid"})
    scope = scope_of(problem)
    W, X, M = (scope.symbols[k] for k in "WXM")

    def s(arg, order=0):
        return Elementwise("sigma", "sigmoid", arg, order)

    Y, dX, df = s(W * X), differential_symbol(X), DiffScalar("df", real=True)
    dY = HadamardProduct(s(W * X, 1), MatMul(W, dX))
    f = Trace(MatMul(Transpose(Y), M, Y))
    two = Trace(MatMul(Transpose(dY), M, Y)) + Trace(MatMul(Transpose(Y), M, dY))
    three = two + Trace(MatMul(Transpose(dY), M, dY)) + Trace(MatMul(Transpose(Y), M, Y, Transpose(dY), dY))
    section = Section("Differential", df, D(f), (
        Step("trace rule", r"d\operatorname{tr}(\mathbf{X}) = \operatorname{tr}(d\mathbf{X})",
             None, Trace(MatD(MatMul(Transpose(Y), M, Y)))),
        Step("product rule", PRODUCT_RULE, None, two),
        Step("element-wise function",
             r"d\sigma(\mathbf{X}) = \sigma'(\mathbf{X}) \odot d\mathbf{X}", None, three),
    ))
    gradient = MatMul(Transpose(W), HadamardProduct(2 * M * Y, s(W * X, 1)))
    return Derivation(problem, scope, f, (section,), (Result("X", 1, False, gradient),), False)


def pdf_text(path) -> str:
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True,
                          text=True, check=True).stdout


# --- prose ------------------------------------------------------------------------------

def test_text_outside_math_prints_literally():
    assert escape_text(r"# & % _ ~ ^ { } \ $") == (
        r"\# \& \% \_ \textasciitilde{} \textasciicircum{} \{ \} \textbackslash{} \$")
    assert sanitize_prose(r"\input{/etc/passwd}") == r"\textbackslash{}input\{/etc/passwd\}"
    assert sanitize_prose(r"costs \$5, $x_1$") == r"costs \$5, $x_1$"


def test_math_is_kept_when_allowed():
    text = r"Let $\mathbf{Y} = \sigma(\mathbf{W}\mathbf{X})$ and $\|\mathbf{x}\|_2 \in \mathbb{R}$."
    assert sanitize_prose(text) == text
    assert sanitize_prose("$$a$$") == r"\[a\]"


@pytest.mark.parametrize("hostile, command", [
    (r"$\immediate\write18{ls}$", r"\immediate"),
    (r"$\input{/etc/passwd}$", r"\input"),
    (r"$\catcode`\x=12$", r"\catcode"),
    (r"$\def\x{1}$", r"\def"),
    (r"$\csname input\endcsname$", r"\csname"),
    (r"$\openin1=/etc/passwd$", r"\openin"),
    (r"$\mathbf{\input{x}}$", r"\input"),
])
def test_math_with_other_commands_is_rejected(hostile, command):
    with pytest.raises(DerivgenError, match=f"{command.replace(chr(92), chr(92) * 2)} "):
        sanitize_prose(hostile)


@pytest.mark.parametrize("hostile", ["$^^5cinput{x}$", "$x % $", "$#1$", "$a & b$",
                                     r"$\mathbf{x$", "$x}{$", "unclosed $x", "a\x00b"])
def test_math_tricks_are_rejected(hostile):
    with pytest.raises(DerivgenError):
        sanitize_prose(hostile)


def test_check_math_guards_latex_overrides():
    with pytest.raises(DerivgenError, match="input"):
        check_math(r"\input{/etc/passwd}\mathbf{X}")


def test_default_statement_follows_the_lecture():
    assert statement_latex(bilinear()) == (
        "Calculate the derivative of\n"
        r"\[f(\mathbf{X}) = \mathbf{a}^T\mathbf{X}\mathbf{b}\]" "\n"
        r"with respect to $\mathbf{X}$, where $\mathbf{a} \in \mathbb{R}^{m}$, "
        r"$\mathbf{X} \in \mathbb{R}^{m \times n}$, and $\mathbf{b} \in \mathbb{R}^{n}$.")


def test_the_function_is_shown_as_written_also_under_a_statement(tmp_path):
    path = tmp_path / "ridge.yaml"
    path.write_text("title: Ridge\nstatement: Find the gradient by $\\mathbf{W}$.\n"
                    "variables: {X: {shape: [n, N]}, Y: {shape: [m, N]}, W: {shape: [m, n]},\n"
                    "  lam: {shape: [], latex: '\\lambda'}}\n"
                    "function: '\\frac{1}{2}\\|\\mathbf{Y} - \\mathbf{W}\\mathbf{X}\\|_F^2"
                    " + \\frac{\\lambda}{2}\\|\\mathbf{W}\\|_F^2'\nwrt: W\n")
    derivation = solve(load_problem(path))
    worksheet = worksheet_problem(1, derivation)
    assert "Find the gradient by" in worksheet
    assert (r"f(\mathbf{W}) = \frac{1}{2}\|\mathbf{Y} - \mathbf{W}\mathbf{X}\|_F^2 + "
            r"\frac{\lambda}{2}\|\mathbf{W}\|_F^2") in worksheet
    statement = statement_latex(sigmoid_layer())
    assert r"$\mathbf{M} \in \mathbb{S}^{l \times l}$" in statement
    assert r"$\sigma(x) = 1/(1 + e^{-x})$ is applied element-wise" in statement


# --- LaTeX source -----------------------------------------------------------------------

def test_solutions_source_has_the_chain_rules_and_boxed_result():
    source = document_latex("solutions", [bilinear()], title="HW")
    assert r"df &= d(\mathbf{a}^T\mathbf{X}\mathbf{b})" in source
    # each step's rules are numbered over its equals sign and stated under the display
    # the product rule again, one level deeper, is merged into its first use
    assert r"\overset{(1)}{=} \mathbf{a}^T\,d\mathbf{X}\,\mathbf{b}" in source
    assert r"(1)~\textit{product rule}: $" + PRODUCT_RULE + "$" in source
    assert r"(2)~\textit{cyclic property}" in source  # numbered on, per problem


def test_detail_full_keeps_every_step():
    derivation = bilinear()
    full = replace(derivation, problem=replace(derivation.problem, detail="full"))
    source = document_latex("solutions", [full], title="HW")
    assert r"\overset{(1)}{=} \mathbf{a}^T\,d(\mathbf{X}\mathbf{b})" in source
    assert r"\overset{(1)}{=} \mathbf{a}^T\,d\mathbf{X}\,\mathbf{b}" in source
    assert r"\boxed{\frac{\partial f}{\partial \mathbf{X}} = \mathbf{a}\mathbf{b}^T}" in source
    assert "Verified numerically on random instances." in source
    assert "lastpage" not in source


def test_answers_and_worksheet_hold_only_what_they_should():
    answers = document_latex("answers", [bilinear()], title="HW")
    worksheet = document_latex("worksheet", [bilinear()], title="HW")
    assert r"\boxed{" in answers and "align*" not in answers and "Calculate" not in answers
    assert "Calculate the derivative" in worksheet and r"\boxed" not in worksheet


def test_long_steps_are_broken_at_plus_signs():
    source = document_latex("solutions", [sigmoid_layer()], title="HW")
    assert r"&\quad {}+ \operatorname{tr}(" in source


def test_result_labels_for_conjugate_and_hessian():
    d = bilinear()
    z = Result("X", 1, True, d.results[0].expr)
    h = Result("X", 2, False, d.results[0].expr)
    d = Derivation(d.problem, d.scope, d.function, (), (z, h), False)
    source = document_latex("answers", [d], title="HW")
    assert r"\frac{\partial f}{\partial \mathbf{X}^*}" in source
    assert r"\nabla^2_{\operatorname{vec}(\mathbf{X})} f = " in source  # X is a matrix


def test_rendered_problems_make_the_same_documents_with_their_numbers():
    odd = f"Calculate $a {NUMBER_SLOT} b$."   # math is kept as written, so the slot too
    derivations = [bilinear(), sigmoid_layer(), bilinear(statement=odd)]
    rendered = [render_problem(d) for d in derivations]
    assert rendered[0].id == "p" and set(rendered[0].parts) == {"worksheet", "solutions", "answers"}
    for kind in rendered[0].parts:
        source = document_latex(kind, rendered, title="HW")
        assert source == document_latex(kind, derivations, title="HW")
        assert [n for n in range(1, 5) if f"Problem {n}." in source] == [1, 2, 3]
        if kind != "answers":
            assert odd in source   # only the number's slot is filled in


# --- PDFs -------------------------------------------------------------------------------

@needs_tex
def test_builds_three_pdfs_with_the_text(tmp_path):
    paths = build_documents([bilinear(), sigmoid_layer()], tmp_path, title="Homework 3",
                            meta={"course": "SI231 Matrix Analysis", "date": "Spring 2023"})
    assert set(paths) == {"worksheet", "solutions", "answers"}
    for kind, path in paths.items():
        assert path == tmp_path / f"{kind}.pdf" and path.read_bytes().startswith(b"%PDF")
        assert (tmp_path / f"{kind}.tex").exists()
        text = pdf_text(path)
        assert "Homework 3" in text and "SI231 Matrix Analysis" in text
        assert "Derivative of a bilinear form" in text and "A layer with a sigmoid" in text
    solutions = pdf_text(paths["solutions"])
    assert "Differential" in solutions and "Trace form" in solutions
    assert "product rule" in solutions and "Verified numerically" in solutions
    assert "Calculate the derivative" in pdf_text(paths["worksheet"])
    assert "product rule" not in pdf_text(paths["answers"])
    for kind in paths:  # nothing sticks out of the text block
        assert overfull_boxes((tmp_path / f"{kind}.log").read_text()) == []
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no scratch left


@needs_tex
def test_two_builds_are_byte_identical(tmp_path):
    first = build_documents([bilinear()], tmp_path / "one")
    second = build_documents([bilinear()], tmp_path / "two")
    for kind in first:
        assert first[kind].read_bytes() == second[kind].read_bytes()


@needs_tex
def test_hostile_text_prints_literally_and_reads_nothing(tmp_path):
    title = r"# & % _ ~ ^ { } \input{/etc/passwd}"
    statement = r"See \input{/etc/passwd} and \write18{ls} for $\mathbf{X}$."
    paths = build_documents([bilinear(title=title, statement=statement)], tmp_path)
    text = "".join(pdf_text(paths["solutions"]).split())  # pdftotext's spacing varies
    assert "#&%" in text and r"{}\input{/etc/passwd}" in text
    assert r"See\input{/etc/passwd}and\write18{ls}" in text
    assert "root:" not in text


@needs_tex
@pytest.mark.parametrize("bad", [dict(statement=r"$\immediate\write18{ls}$"),
                                 dict(latex_of_a=r"\input{/etc/passwd}")])
def test_hostile_math_is_refused_before_tex_runs(tmp_path, bad):
    with pytest.raises(DerivgenError) as info:
        build_documents([bilinear(**bad)], tmp_path)
    assert "not allowed" in str(info.value)
    assert not list(tmp_path.glob("*.pdf"))


@needs_tex
def test_failed_build_keeps_the_previous_pdf(tmp_path):
    good = build_documents([bilinear()], tmp_path)
    before = {kind: path.read_bytes() for kind, path in good.items()}
    broken = bilinear(identity=r"\left( \mathbf{X}")  # allowed commands, but bad LaTeX
    with pytest.raises(DerivgenError) as info:
        build_documents([broken], tmp_path)
    message = str(info.value)
    assert "LaTeX failed on solutions.tex" in message and "\n!" in message
    assert "l." in message
    for kind, path in good.items():
        assert path.read_bytes() == before[kind]
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]


def count_passes(monkeypatch):
    """Record each pdflatex pass's file name (the real pdflatex still runs)."""
    passes, real = [], subprocess.run

    def run(command, *args, **kwargs):
        if command[0] == "pdflatex":
            passes.append(command[-1])
        return real(command, *args, **kwargs)

    monkeypatch.setattr(documents_module.subprocess, "run", run)
    return passes


@needs_tex
def test_one_pdflatex_pass_per_document(tmp_path, monkeypatch):
    passes = count_passes(monkeypatch)
    paths = build_documents([bilinear(), sigmoid_layer()], tmp_path)
    assert sorted(passes) == ["answers.tex", "solutions.tex", "worksheet.tex"]
    assert all(path.read_bytes().startswith(b"%PDF") for path in paths.values())


@needs_tex
def test_a_second_pass_only_when_the_log_asks_for_a_rerun(tmp_path, monkeypatch):
    passes = count_passes(monkeypatch)
    tex = tmp_path / "refs.tex"
    tex.write_text("\\documentclass{article}\\begin{document}\n"
                   "See page~\\pageref{here}.\\label{here}\n\\end{document}\n")
    pdf = documents_module.compile_pdf(tex)
    assert passes == ["refs.tex", "refs.tex"]   # the first pass's log: "Rerun to get ..."
    assert "Rerun" not in (tmp_path / "refs.log").read_text()
    assert "See page 1." in pdf_text(pdf)


class RecordingCache:
    """The two calls build_documents makes on a build cache; says "compiled" for ``fresh``."""

    def __init__(self, fresh=()):
        self.fresh, self.recorded = set(fresh), []

    def compiled(self, tex, source, pdf):
        return tex.stem in self.fresh and pdf.exists()

    def record_compiled(self, tex, source, pdf):
        assert tex.read_text() == source and pdf.read_bytes().startswith(b"%PDF")
        self.recorded.append(tex.stem)


@needs_tex
def test_a_cache_skips_documents_already_compiled(tmp_path):
    first = RecordingCache()
    build_documents([bilinear()], tmp_path, cache=first)
    assert sorted(first.recorded) == ["answers", "solutions", "worksheet"]
    before = (tmp_path / "solutions.pdf").stat().st_mtime_ns
    again = RecordingCache(fresh={"solutions"})
    build_documents([bilinear()], tmp_path, cache=again)
    assert sorted(again.recorded) == ["answers", "worksheet"]
    assert (tmp_path / "solutions.pdf").stat().st_mtime_ns == before


# --- text -------------------------------------------------------------------------------

def test_derivation_text():
    text = derivation_text(bilinear(), latex=True)
    lines = text.splitlines()
    assert lines[0] == "Derivative of a bilinear form"
    assert r"  df = d(\mathbf{a}^T\mathbf{X}\mathbf{b})" in lines
    assert r"     = \mathbf{a}^T\,d\mathbf{X}\,\mathbf{b}   [product rule]" in lines
    assert r"  df/dX = \mathbf{a}\mathbf{b}^T" in lines
    assert lines[-1] == "verified: yes"


def test_derivation_text_reads_as_unicode_in_a_terminal():
    lines = derivation_text(solve(load_problem(PROBLEMS / "01-bilinear-form.yaml"))).splitlines()
    assert "  df = d(aᵀ X b)" in lines and "  ∂f/∂X = a bᵀ" in lines
    assert "     = tr((a bᵀ)ᵀ dX)   [gradient form]" in lines
    assert not any("\\" in line for line in lines)
    two_layer = derivation_text(solve(load_problem(PROBLEMS / "60-two-layer-network.yaml")))
    assert "∂ℓ/∂W₂ = Σᵢ₌₁ᴺ ∂ℓ/∂a₂,ᵢ h₁,ᵢᵀ" in two_layer and "\\" not in two_layer
    assert terminal_math(r"(\mathbf{1} + e^{\mathbf{a}})^{\odot -1}") == "(1 + e^a)^(⊙-1)"
    # every Greek letter a variable's latex: may name, the variant forms too
    assert terminal_math(r"\varepsilon\mathbf{1} + \varphi + \epsilon") == "ε1 + φ + ε"


def test_unsafe_text_is_reported_at_the_problem_file():
    from derivgen.render.documents import check_renderable

    check_renderable(bilinear())
    bad = bilinear(statement=r"$\def\x{}$")
    with pytest.raises(DerivgenError) as info:
        check_renderable(bad)
    assert info.value.file == "p.yaml" and info.value.line == 2


def test_terminal_results_name_the_function_and_variables_as_the_solution_writes_them(tmp_path):
    path = tmp_path / "gauss.yaml"
    path.write_text("title: Gaussian mean\n"
                    "variables:\n  x: {shape: [n], index: i}\n  mu: {shape: [n]}\n"
                    "  Sigma: {shape: [n, n], symmetric: true}\n"
                    "function: '\\ell = -\\frac12\\sum_{i=1}^{N}(\\mathbf{x}_i-\\boldsymbol\\mu)^T"
                    "\\boldsymbol\\Sigma^{-1}(\\mathbf{x}_i-\\boldsymbol\\mu)'\n"
                    "wrt: mu\nhessian: true\n")
    lines = derivation_text(solve(load_problem(path))).splitlines()
    assert any(line.startswith("  ∂ℓ/∂μ = ") for line in lines)
    assert any(line.startswith("  ∇²") and "ℓ =" in line for line in lines)
    assert any("d² ℓ = (dμ)ᵀH dμ" in line for line in lines)
    assert not any("mu" in line or "\\" in line for line in lines)


def test_the_box_shows_the_instructors_answer_and_the_derived_form_beside_it(tmp_path):
    base = ("title: t\nvariables:\n  x: {shape: [n]}\n  A: {shape: [n, n]}\n"
            "function: '\\mathbf{x}^T\\mathbf{A}\\mathbf{x}'\nwrt: x\n")
    other = tmp_path / "other.yaml"
    other.write_text(base + "answer: '\\mathbf{A}^T\\mathbf{x} + \\mathbf{A}\\mathbf{x}'\n")
    latex = results_latex(solve(load_problem(other)))
    assert r"\boxed{\frac{\partial f}{\partial \mathbf{x}} = \mathbf{A}^T\mathbf{x} + " \
           r"\mathbf{A}\mathbf{x}}" in latex
    assert r"\text{derived:}\ (\mathbf{A} + \mathbf{A}^T)\mathbf{x}" in latex
    same = tmp_path / "same.yaml"
    same.write_text(base + "answer: '(\\mathbf{A} + \\mathbf{A}^T)\\mathbf{x}'\n")
    latex = results_latex(solve(load_problem(same)))
    assert "derived:" not in latex and latex.count(r"\boxed") == 1



def test_an_answer_written_with_braced_scripts_is_not_shown_twice(tmp_path):
    """``^\\top`` and ``^{\\top}``, ``^2`` and ``^{2}``, ``\\left(`` and ``(`` are one spelling:
    no ``derived:``."""
    latex = _results_of(
        tmp_path, "title: t\nvariables:\n  A: {shape: [m, n]}\n  X: {shape: [n, n]}\n"
        "  B: {shape: [m, n]}\nfunction: '\\tfrac{1}{2}\\|\\mathbf{A}\\mathbf{X}"
        "-\\mathbf{B}\\|_F^2 + \\operatorname{tr}(\\mathbf{X}^\\top)'\nwrt: X\n"
        "answer: '\\mathbf{A}^\\top\\left(\\mathbf{A}\\mathbf{X}-\\mathbf{B}\\right) + \\mathbf{I}'\n")
    assert r"\mathbf{A}^\top\left(\mathbf{A}\mathbf{X}-\mathbf{B}\right) + \mathbf{I}}" in latex
    assert "derived:" not in latex and latex.count(r"\boxed") == 1


def _results_of(tmp_path, problem_yaml: str) -> str:
    path = tmp_path / "problem.yaml"
    path.write_text(problem_yaml)
    return results_latex(solve(load_problem(path)))


def test_a_named_function_names_its_matrix_hessian(tmp_path):
    latex = _results_of(tmp_path, "title: t\nvariables: {A: {shape: [n, n]}, X: {shape: [n, n]}}\n"
                        "function: 'J = \\operatorname{tr}(\\mathbf{X}^T\\mathbf{A}\\mathbf{X})'\n"
                        "wrt: X\nhessian: true\n")
    assert r"\nabla^2_{\operatorname{vec}(\mathbf{X})} J = " in latex and " f " not in latex


def test_a_set_logo_heads_every_document_and_a_new_logo_makes_new_ones(tmp_path):
    import zlib

    from derivgen.cli import main as cli_main
    import struct

    def png(red):
        raw = b"".join(b"\x00" + bytes([red, 0, 0] * 8) for _ in range(4))

        def chunk(kind, data):
            return (struct.pack(">I", len(data)) + kind + data
                    + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))
        return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 8, 4, 8, 2, 0, 0, 0))
                + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))

    folder = tmp_path / "set"
    folder.mkdir()
    (folder / "a.yaml").write_text((PROBLEMS / "01-bilinear-form.yaml").read_text())
    (folder / "set.yaml").write_text("title: Week 1\nlogo: crest.png\n")
    (folder / "crest.png").write_bytes(png(200))
    out = tmp_path / "out"
    assert cli_main(["build", str(folder), "-o", str(out), "-q"]) == 0
    first = {kind: (out / f"{kind}.pdf").read_bytes() for kind in ("worksheet", "solutions")}
    for kind in ("worksheet", "solutions", "answers"):
        assert r"\includegraphics[height=1.5cm]{logo-" in (out / f"{kind}.tex").read_text()
    (folder / "crest.png").write_bytes(png(20))
    assert cli_main(["build", str(folder), "-o", str(out), "-q"]) == 0
    assert all((out / f"{kind}.pdf").read_bytes() != data for kind, data in first.items())


def test_a_declared_function_the_formula_does_not_use_is_offered_for_the_answer(tmp_path):
    path = tmp_path / "logistic.yaml"
    path.write_text("title: Logistic\nvariables: {A: {shape: [m, n]}, w: {shape: [n]},"
                    " b: {shape: [m]}}\nfunctions: {sigma: sigmoid}\n"
                    "function: '\\mathbf{1}^T\\log(\\mathbf{1} + e^{\\mathbf{A}\\mathbf{w}})"
                    " - \\mathbf{b}^T\\mathbf{A}\\mathbf{w}'\nwrt: w\n")
    statement = statement_latex(solve(load_problem(path)))
    assert r"The answer may use $\sigma(x) = 1/(1 + e^{-x})$, applied element-wise." \
        in statement
    assert "is applied element-wise" not in statement
