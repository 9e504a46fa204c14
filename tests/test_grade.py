"""derivgen grade: a table of right and wrong answers per problem of problems/.

Each problem is derived once (``solved``). Its table is its own ``answer:`` (and
``answer_conjugate:``) rewritten in ways that keep it right, and in ways that make it wrong
with a known diagnosis, plus hand-written answers where a problem invites a classic mistake
(``2Ax`` for ``(A + A^T)x``, ``X^{-1}`` for ``X^{-T}``, a missing term).
"""

from __future__ import annotations

from functools import lru_cache

import pytest

from derivgen.errors import DerivgenError
from derivgen.grade import DIAGNOSES, grade, grade_answers
from derivgen.pipeline import solve
from derivgen.problem.load import load_problem
from tests.conftest import PROBLEMS

STEMS = sorted(p.stem for p in PROBLEMS.glob("*.yaml") if p.stem != "set")


@lru_cache(maxsize=None)
def solved(stem):
    return solve(load_problem(PROBLEMS / f"{stem}.yaml"))


def expected_answers(problem):
    """``[(wrt, latex)]``: the file's ``answer:`` for its first variable and, for a complex
    one, ``answer_conjugate:`` for ``Z*``."""
    first = problem.wrt[0]
    pairs = list(getattr(problem, "answers", {}).items())    # answer: {W: ..., b: ...}
    if problem.answer:
        pairs.append((first, problem.answer))
    if problem.answer_conjugate:
        pairs.append((first + "*", problem.answer_conjugate))
    return pairs


def declared_shape(problem, wrt):
    return tuple(problem.variables[wrt.rstrip("*")].shape)


# ---- the table -----------------------------------------------------------------------------

def right_forms(a, shape):
    forms = [a, rf"\left({a}\right)", rf"-(-({a}))", rf"\frac{{1}}{{2}}({a}) + \frac{{1}}{{2}}({a})",
             rf"3({a}) - 2({a})"]
    forms.append(rf"(({a})^T)^T" if shape else rf"1 \cdot ({a})")
    return forms


def wrong_forms(a, shape, problem):
    forms = [(rf"-({a})", "sign"), (rf"2({a})", "scale"), (rf"\frac{{1}}{{2}}({a})", "scale"),
             (rf"-3({a})", "scale"), (rf"({a}) + ({a})", "scale"),
             (rf"({a}) + \mathbf{{q}}", "unknown-symbol"), (rf"({a}", "syntax"),
             (rf"{a} +", "syntax"), (rf"({a}))", "syntax"), (r"\input{/etc/passwd}", "syntax"),
             (rf"({a}) \odot", "syntax")]
    if len(shape) == 1 or (len(shape) == 2 and shape[0] != shape[1]):
        forms.append((rf"({a})^T", "transpose"))
        forms.append((rf"({a})^T({a})", "shape"))
    if shape:
        forms.append((rf"0({a})", "wrong"))
    vectors = [n for n, s in problem.variables.items() if len(s.shape) == 1 and not s.index]
    if not shape and vectors:
        forms.append((rf"({a})\mathbf{{{vectors[0]}}}", "shape"))
    return forms


#: Right answers written as a student might, beyond the rewrites of ``answer:``.
MORE_RIGHT = {
    "01-bilinear-form": [r"(\mathbf{b}\mathbf{a}^T)^T", r"\mathbf{a}\mathbf{b}^{\top}",
                         r"\mathbf{a} \cdot \mathbf{b}^T"],
    "02-exp-bilinear-form": [r"\operatorname{diag}(\mathbf{a})e^{\mathbf{X}\mathbf{b}}\mathbf{b}^T",
                             r"(e^{\mathbf{X}\mathbf{b}} \odot \mathbf{a})\mathbf{b}^T"],
    "03-sigma-quadratic-form": [
        r"\mathbf{W}^T((\mathbf{M}+\mathbf{M}^T)\sigma(\mathbf{W}\mathbf{X}) \odot \sigma'(\mathbf{W}\mathbf{X}))",
        r"\mathbf{W}^T((2\mathbf{M}^T\sigma(\mathbf{W}\mathbf{X})) \odot \sigma'(\mathbf{W}\mathbf{X}))"],
    "04-least-squares": [r"2\mathbf{A}^T\mathbf{A}\mathbf{x} - 2\mathbf{A}^T\mathbf{y}",
                         r"-2\mathbf{A}^T(\mathbf{y} - \mathbf{A}\mathbf{x})",
                         r"2\mathbf{A}^T\mathbf{A}\mathbf{x} - 2(\mathbf{y}^T\mathbf{A})^T"],
    "05-log-determinant": [r"(\mathbf{X}^T)^{-1}", r"(\mathbf{X}^{-1})^T"],
    "06-quadratic-form": [r"\mathbf{A}\mathbf{x} + \mathbf{A}^T\mathbf{x}",
                          r"(\mathbf{x}^T\mathbf{A} + \mathbf{x}^T\mathbf{A}^T)^T"],
    "08-determinant": [r"\det(\mathbf{X})(\mathbf{X}^{-1})^T"],
    "09-frobenius-norm": [r"\mathbf{X} + \mathbf{X}"],
    "10-euclidean-norm": [r"\mathbf{x}/\|\mathbf{x}\|_2",
                          r"\frac{\mathbf{x}}{\sqrt{\mathbf{x}^T\mathbf{x}}}"],
    "11-exp-of-linear": [r"\mathbf{a}\exp(\mathbf{x}^T\mathbf{a})"],
    "12-trace-squared": [r"2\operatorname{tr}(\mathbf{X})\mathbf{I}",
                         r"2\operatorname{tr}(\mathbf{X}^T)\mathbf{I}_n"],
    "13-hadamard-square": [r"2\operatorname{diag}(\mathbf{a})\mathbf{x}",
                           r"2\operatorname{diag}(\mathbf{x})\mathbf{a}",
                           r"\mathbf{a} \odot \mathbf{x} + \mathbf{x} \odot \mathbf{a}"],
    "15-trace-quadratic": [r"\mathbf{A}\mathbf{X} + \mathbf{A}^T\mathbf{X}"],
    "16-tanh-layer": [
        r"\mathbf{W}^T\operatorname{diag}(\mathbf{1} - \tanh(\mathbf{W}\mathbf{x})\odot\tanh(\mathbf{W}\mathbf{x}))\mathbf{1}",
        r"\mathbf{W}^T\tanh'(\mathbf{W}\mathbf{x})"],
    "17-log-of-linear": [r"\frac{1}{\mathbf{x}^T\mathbf{a}}\mathbf{a}"],
    "19-sigmoid-layer": [r"(\mathbf{v} \odot \mathbf{h} \odot (\mathbf{1} - \mathbf{h}))\mathbf{x}^T",
                         r"\operatorname{diag}(\mathbf{v})\sigma'(\mathbf{W}\mathbf{x} + \mathbf{b})\mathbf{x}^T"],
    "21-inverse-bilinear-form": [r"-(\mathbf{X}^{-1}\mathbf{b}\mathbf{a}^T\mathbf{X}^{-1})^T"],
    "22-two-linear-layers": [r"(\mathbf{x}\mathbf{y}^T\mathbf{W}_2)^T"],
    "31-complex-quadratic-form": [r"(\mathbf{z}^H\mathbf{A})^T"],
    "41-log-sum-exp": [r"\operatorname{softmax}(\mathbf{x})"],
    "52-log-sum-exp": [r"\frac{e^{\mathbf{x}}}{\mathbf{1}^T e^{\mathbf{x}}}"],
    "62-logistic-regression-samples": [
        r"\sum_{i=1}^{N} \mathbf{x}_i(\sigma(\mathbf{w}^T\mathbf{x}_i + c) - y_i)"],
}

#: Wrong answers with the diagnosis a student must get.
MORE_WRONG = {
    "01-bilinear-form": [(r"\mathbf{b}\mathbf{a}^T", "transpose"),
                         (r"-2\mathbf{b}\mathbf{a}^T", "transpose"),
                         (r"\mathbf{a}^T\mathbf{b}", "shape")],
    "04-least-squares": [(r"2\mathbf{A}^T\mathbf{A}\mathbf{x}", "missing-term"),
                         (r"\mathbf{A}^T(\mathbf{A}\mathbf{x} - \mathbf{y})", "scale"),
                         (r"2\mathbf{A}(\mathbf{A}\mathbf{x} - \mathbf{y})", "shape")],
    "05-log-determinant": [(r"\mathbf{X}^{-1}", "transpose"), (r"-\mathbf{X}^{-1}", "transpose"),
                           (r"2\mathbf{X}^{-1}", "transpose")],
    "06-quadratic-form": [(r"2\mathbf{A}\mathbf{x}", "symmetric-part"),
                          (r"2\mathbf{A}^T\mathbf{x}", "symmetric-part"),
                          (r"\mathbf{A}\mathbf{x}", "missing-term"),
                          (r"\mathbf{x}^T(\mathbf{A} + \mathbf{A}^T)", "transpose")],
    "07-trace-of-inverse": [(r"-\mathbf{X}^{-1}\mathbf{B}\mathbf{A}\mathbf{X}^{-1}", "transpose")],
    "08-determinant": [(r"|\mathbf{X}|\mathbf{X}^{-1}", "transpose")],
    "12-trace-squared": [(r"2\operatorname{tr}(\mathbf{X})", "shape")],
    "14-ridge-regression": [
        (r"2\mathbf{A}^T(\mathbf{A}\mathbf{x}-\mathbf{y})", "missing-term"),
        (r"2\mathbf{A}^T\mathbf{A}\mathbf{x} + 2\lambda\mathbf{x}", "missing-term"),
        (r"2\mathbf{A}^T(\mathbf{A}\mathbf{x}-\mathbf{y}) + \lambda\mathbf{x}", "scale")],
    "15-trace-quadratic": [(r"2\mathbf{A}\mathbf{X}", "symmetric-part"),
                           (r"\mathbf{A}\mathbf{X}", "missing-term")],
    "21-inverse-bilinear-form": [(r"-\mathbf{X}^{-1}\mathbf{a}\mathbf{b}^T\mathbf{X}^{-1}", "symmetric-part"),
                                 (r"-\mathbf{X}^{-T}\mathbf{b}\mathbf{a}^T\mathbf{X}^{-T}", "wrong")],
    "31-complex-quadratic-form": [(r"\mathbf{A}^H\mathbf{z}", "wrong")],
    "43-trace-quadratic-hessian": [(r"2\mathbf{A}\mathbf{X}", "symmetric-part")],
    "50-softmax-regression": [
        (r"\operatorname{softmax}(\mathbf{W}\mathbf{x} + \mathbf{b})\mathbf{x}^T", "missing-term"),
        (r"\mathbf{x}(\operatorname{softmax}(\mathbf{W}\mathbf{x} + \mathbf{b}) - \mathbf{y})^T",
         "transpose")],
    "60-two-layer-network": [(r"\sum_{i=1}^{N} \mathbf{x}_i", "shape")],
}

#: Problems whose answer is 0 or a square matrix: their tables are written out here.
ZERO_OR_SQUARE = {
    "35-conjugate-nowhere": {
        "z": ([r"0", r"z - z", r"0 \cdot z", r"z^* - \overline{z}", r"(z - z)^2"],
              [(r"1", "wrong"), (r"z", "wrong"), (r"z^*", "wrong"), (r"2", "wrong"),
               (r"\mathbf{q}", "unknown-symbol"), (r"z +", "syntax"), (r"(z", "syntax"),
               (r"\input{/etc/passwd}", "syntax"), (r"z)", "syntax"), (r"\frac{1}{", "syntax")]),
    },
}


def table(stem):
    derivation = solved(stem)
    problem = derivation.problem
    right, wrong = [], []
    for wrt, text in expected_answers(problem):
        if stem in ZERO_OR_SQUARE and wrt in ZERO_OR_SQUARE[stem]:
            r, w = ZERO_OR_SQUARE[stem][wrt]
            right += [(wrt, a) for a in r]
            wrong += [(wrt, a, d) for a, d in w]
            continue
        if text.strip() == "0":
            right += [(wrt, a) for a in ("0", "z - z", r"0 \cdot z")]
            continue
        shape = declared_shape(problem, wrt)
        right += [(wrt, a) for a in right_forms(text, shape)]
        wrong += [(wrt, a, d) for a, d in wrong_forms(text, shape, problem)]
    first = problem.wrt[0]
    right += [(first, a) for a in MORE_RIGHT.get(stem, [])]
    wrong += [(first, a, d) for a, d in MORE_WRONG.get(stem, [])]
    return derivation, right, wrong


@pytest.mark.parametrize("stem", STEMS)
def test_every_problem_has_a_table_of_right_and_wrong_answers(stem):
    derivation, right, wrong = table(stem)
    assert len(right) >= 5 and len(wrong) >= 10
    misjudged = []
    for wrt, answer in right:
        verdict = grade(derivation, answer, wrt)
        if not (verdict.correct and verdict.score == 1 and verdict.diagnosis is None):
            misjudged.append((wrt, answer, "right", verdict.diagnosis, verdict.feedback))
    for wrt, answer, diagnosis in wrong:
        verdict = grade(derivation, answer, wrt)
        if verdict.correct or verdict.score != 0 or verdict.diagnosis != diagnosis:
            misjudged.append((wrt, answer, diagnosis, verdict.diagnosis, verdict.feedback))
        assert verdict.diagnosis in DIAGNOSES
        assert verdict.feedback and verdict.feedback[-1] in ".^"
    assert misjudged == []


# ---- what the student reads ----------------------------------------------------------------

def test_feedback_never_gives_the_answer_away_unless_revealed():
    derivation = solved("14-ridge-regression")
    answer = r"2\mathbf{A}^T(\mathbf{A}\mathbf{x}-\mathbf{y})"
    hidden = grade(derivation, answer)
    assert hidden.diagnosis == "missing-term"
    assert "\\lambda" in hidden.feedback and "2\\lambda\\mathbf{x}" not in hidden.feedback
    shown = grade(derivation, answer, reveal=True)
    assert shown.feedback.startswith(hidden.feedback)
    assert "\\lambda" in shown.feedback.split("The derivative is")[1]


@pytest.mark.parametrize("answer, words", [
    (r"\mathbf{A}\mathbf{x}", ["vector of length m", "vector of length n"]),
    (r"\mathbf{x}^T\mathbf{x}", ["a scalar", "vector of length n"]),
])
def test_a_wrong_shape_names_both_shapes(answer, words):
    verdict = grade(solved("04-least-squares"), answer)
    assert verdict.diagnosis == "shape"
    assert all(w in verdict.feedback for w in words)


def test_a_transpose_times_a_constant_names_both():
    verdict = grade(solved("05-log-determinant"), r"-\mathbf{X}^{-1}")
    assert verdict.diagnosis == "transpose" and "times -1" in verdict.feedback


def test_scale_names_the_factor_and_symmetric_part_the_matrix():
    assert "2 times" in grade(solved("09-frobenius-norm"), r"4\mathbf{X}").feedback
    verdict = grade(solved("06-quadratic-form"), r"2\mathbf{A}\mathbf{x}")
    assert "only if A were symmetric" in verdict.feedback


def test_a_syntax_error_shows_where_with_a_caret():
    verdict = grade(solved("01-bilinear-form"), r"\mathbf{a}\mathbf{b}^T)")
    lines = verdict.feedback.split("\n")
    assert verdict.diagnosis == "syntax"
    assert lines[1].strip() == r"\mathbf{a}\mathbf{b}^T)"
    assert lines[2].index("^") == lines[1].index(")")


def test_unknown_symbol_names_it():
    verdict = grade(solved("01-bilinear-form"), r"\mathbf{a}\mathbf{c}^T")
    assert verdict.diagnosis == "unknown-symbol" and "\\mathbf{c}" in verdict.feedback


def test_answering_the_other_wirtinger_derivative_is_pointed_out():
    derivation = solved("31-complex-quadratic-form")
    assert grade(derivation, r"\mathbf{A}\mathbf{z}", "z*").correct
    verdict = grade(derivation, r"\mathbf{A}\mathbf{z}", "z")
    assert verdict.diagnosis == "wrong" and "∂f/∂z*" in verdict.feedback


def test_partial_credit_is_the_share_of_derivatives_answered_right():
    derivation = solved("50-softmax-regression")
    right_w = r"(\operatorname{softmax}(\mathbf{W}\mathbf{x} + \mathbf{b}) - \mathbf{y})\mathbf{x}^T"
    result = grade_answers(derivation, {"W": right_w, "b": r"\mathbf{y}"})
    assert result.score == 0.5 and not result.correct
    complete = grade_answers(derivation, {
        "W": right_w, "b": r"\operatorname{softmax}(\mathbf{W}\mathbf{x} + \mathbf{b}) - \mathbf{y}"})
    assert complete.score == 1 and complete.correct
    assert grade_answers(derivation, {"W": right_w}).score == 0.5


def test_a_wrt_the_problem_does_not_have_is_the_callers_error():
    with pytest.raises(DerivgenError, match="no derivative by 'q'"):
        grade(solved("01-bilinear-form"), r"\mathbf{a}", "q")
    with pytest.raises(DerivgenError, match="several derivatives"):
        grade(solved("50-softmax-regression"), r"\mathbf{b}")


def test_one_student_cannot_change_what_the_next_may_write():
    derivation = solved("62-logistic-regression-samples")
    before = dict(derivation.scope.counts), dict(derivation.scope.dims)
    grade(derivation, r"\sum_{i=1}^{M} \mathbf{x}_i", "w")
    grade(derivation, r"\mathbf{0}_{k \times 1}", "w")
    assert (dict(derivation.scope.counts), dict(derivation.scope.dims)) == before


# ---- hostile answers -----------------------------------------------------------------------

HOSTILE = [
    r"\input{/etc/passwd}",
    r"\include{secret}\write18{rm -rf /}",
    r"\def\x{\x}\x",
    "x" * 1_000_000,
    "(" * 100_000 + "x" + ")" * 100_000,
    "{" * 30 + r"\mathbf{a}" + "}" * 30,
    r"\mathbf{X}^{" * 20 + "2" + "}" * 20,
    "\x00\x01",
    r"e^{e^{e^{e^{e^{e^{e^{e^{\mathbf{a}^T\mathbf{X}\mathbf{b}}}}}}}}}",
    r"\mathbf{a}\mathbf{b}^T" + r" + \mathbf{a}\mathbf{b}^T" * 120,
    "é∂∑" * 10,
    12345,
    None,
]


@pytest.mark.parametrize("answer", HOSTILE, ids=range(len(HOSTILE)))
def test_a_hostile_answer_is_a_verdict(answer):
    """(How fast: bench/grade.py; here only that it is a verdict, never an error.)"""
    verdict = grade(solved("01-bilinear-form"), answer)
    assert verdict.diagnosis in DIAGNOSES and not verdict.correct
    assert len(verdict.feedback) < 600


@pytest.mark.parametrize("answer, reason", [
    ("x" * 1_000_000, "too long"), ("(" * 100_000 + "x" + ")" * 100_000, "too long"),
    ("{" * 30 + "x" + "}" * 30, "nested too deeply"), (r"\input{/etc/passwd}", "\\input"),
])
def test_huge_deep_and_tex_answers_are_refused_before_parsing(answer, reason, monkeypatch):
    import derivgen.grade.grader as grader

    def no_parsing(*args, **kwargs):
        raise AssertionError("parsed")
    monkeypatch.setattr(grader, "parse_latex", no_parsing)
    verdict = grade(solved("01-bilinear-form"), answer)
    assert verdict.diagnosis == "syntax" and reason in verdict.feedback


def test_a_long_answer_within_the_bounds_is_still_judged():
    derivation = solved("01-bilinear-form")
    answer = " + ".join([r"\mathbf{a}\mathbf{b}^T"] * 40) + r" - 39\mathbf{a}\mathbf{b}^T"
    assert grade(derivation, answer).correct


def test_graders_in_threads_agree_with_one_grader():
    """A web server grades in worker threads (no alarm signal there): same verdicts."""
    from concurrent.futures import ThreadPoolExecutor
    derivation = solved("06-quadratic-form")
    answers = [r"(\mathbf{A} + \mathbf{A}^T)\mathbf{x}", r"2\mathbf{A}\mathbf{x}",
               r"\mathbf{x}^T(\mathbf{A} + \mathbf{A}^T)", r"\input{x}", "(" * 50, r"\mathbf{A}"] * 4
    alone = [grade(derivation, a).as_dict() for a in answers]
    with ThreadPoolExecutor(max_workers=6) as pool:
        together = list(pool.map(lambda a: grade(derivation, a).as_dict(), answers))
    assert together == alone
    assert [v["diagnosis"] for v in alone[:6]] == [None, "symmetric-part", "transpose",
                                                  "syntax", "syntax", "shape"]


@pytest.mark.parametrize("answer", [
    r"\frac{\partial f}{\partial \mathbf{X}} = \mathbf{a}\mathbf{b}^T",
    r"\nabla_{\mathbf{X}} f = \mathbf{a}\mathbf{b}^T",
    r"\frac{\partial f}{\partial \mathbf{X}} = (\mathbf{b}\mathbf{a}^T)^T.",
])
def test_an_answer_may_start_with_its_left_hand_side(answer):
    assert grade(solved("01-bilinear-form"), answer).correct


def test_a_caret_after_a_left_hand_side_still_points_at_the_spot():
    answer = r"\nabla f = \mathbf{a}\mathbf{b}^T)"
    lines = grade(solved("01-bilinear-form"), answer).feedback.split("\n")
    assert lines[2].index("^") == lines[1].index(")")


def test_grading_keeps_a_callers_alarm_running():
    import signal
    derivation = solved("01-bilinear-form")
    fired = []
    previous = signal.signal(signal.SIGALRM, lambda *_: fired.append(True))
    try:
        signal.setitimer(signal.ITIMER_REAL, 30)
        assert grade(derivation, r"\mathbf{a}\mathbf{b}^T").correct
        left = signal.getitimer(signal.ITIMER_REAL)[0]
        assert 20 < left <= 30 and not fired
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


ELEMENTWISE = [
    # (problem, answer as students write it, right?)
    ("18-logistic-regression", r"\mathbf{X}^T(\frac{1}{1+e^{-\mathbf{X}\mathbf{w}}} - \mathbf{y})",
     True),
    ("18-logistic-regression",
     r"\mathbf{X}^T(\frac{e^{\mathbf{X}\mathbf{w}}}{1 + e^{\mathbf{X}\mathbf{w}}} - \mathbf{y})",
     True),
    ("19-sigmoid-layer", r"(\mathbf{v} \odot \sigma(\mathbf{W}\mathbf{x} + \mathbf{b}) \odot "
                         r"(1 - \sigma(\mathbf{W}\mathbf{x} + \mathbf{b})))\mathbf{x}^T", True),
    ("18-logistic-regression", r"\mathbf{X}^T(\frac{1}{2+e^{-\mathbf{X}\mathbf{w}}} - \mathbf{y})",
     False),
    ("19-sigmoid-layer", r"(\mathbf{v} \odot (1 - \sigma(\mathbf{W}\mathbf{x} + \mathbf{b})))"
                         r"\mathbf{x}^T", False),
    ("05-log-determinant", r"1/\mathbf{X}", False),    # entry by entry: not X^{-T}
]


@pytest.mark.parametrize("stem, answer, right", ELEMENTWISE)
def test_a_number_added_to_or_divided_by_a_matrix_is_read_entry_by_entry(stem, answer, right):
    verdict = grade(solved(stem), answer)
    assert verdict.correct is right, verdict.feedback
    assert "Read entry by entry" in verdict.feedback


def test_problem_files_still_say_where_a_vector_of_ones_is_meant(tmp_path):
    path = tmp_path / "p.yaml"
    path.write_text("title: p\nvariables: {A: {shape: [m, n]}, w: {shape: [n]}}\n"
                    "function: '\\mathbf{1}^T\\log(1 + e^{\\mathbf{A}\\mathbf{w}})'\nwrt: w\n")
    with pytest.raises(DerivgenError, match="cannot add 1"):
        solve(load_problem(path))


def test_grading_answers_leaves_the_problems_scope_as_it_was():
    derivation = solved("04-least-squares")
    before = {text: dict(names) for text, names in derivation.scope.mentions.items()}
    for k in range(20):
        grade(derivation, rf"{k + 2}\mathbf{{A}}^T(\mathbf{{A}}\mathbf{{x}} - \mathbf{{y}})")
    assert derivation.scope.mentions == before
