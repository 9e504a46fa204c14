"""``derivgen grade`` on the command line: one answer, a CSV of submissions, exit codes."""

from __future__ import annotations

import csv
import io
import json

from derivgen.cli import main
from tests.conftest import PROBLEMS

BILINEAR = str(PROBLEMS / "01-bilinear-form.yaml")
SOFTMAX = str(PROBLEMS / "50-softmax-regression.yaml")


def test_one_answer_as_json(capsys):
    assert main(["grade", BILINEAR, "--answer", r"\mathbf{b}\mathbf{a}^T", "--json"]) == 0
    verdict = json.loads(capsys.readouterr().out)
    assert verdict == {"correct": False, "score": 0.0, "diagnosis": "transpose",
                       "feedback": verdict["feedback"]}
    assert "transpose" in verdict["feedback"] and "mathbf" not in verdict["feedback"]


def test_reveal_adds_the_derivative(capsys):
    main(["grade", BILINEAR, "--answer", r"\mathbf{b}\mathbf{a}^T", "--reveal"])
    out = capsys.readouterr().out
    assert out.startswith("transpose: ") and r"\mathbf{a}\mathbf{b}^T" in out


def test_a_hostile_answer_is_judged_with_exit_0(capsys):
    assert main(["grade", BILINEAR, "--answer", r"\input{/etc/passwd}", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["diagnosis"] == "syntax"


def test_submissions_in_and_scores_out(tmp_path, capsys):
    answers = tmp_path / "in.csv"
    rows = [("ann", "W", r"(\operatorname{softmax}(\mathbf{W}\mathbf{x} + \mathbf{b}) - \mathbf{y})\mathbf{x}^T"),
            ("bob", "W", r"\mathbf{x}(\operatorname{softmax}(\mathbf{W}\mathbf{x} + \mathbf{b}) - \mathbf{y})^T"),
            ("ann", "b", r"\operatorname{softmax}(\mathbf{W}\mathbf{x} + \mathbf{b}) - \mathbf{y}"),
            ("eve", "b", "x" * 1_000_000)]
    with answers.open("w", newline="") as stream:
        writer = csv.writer(stream)
        writer.writerow(["student", "wrt", "answer"])
        writer.writerows(rows)
    out = tmp_path / "out.csv"
    assert main(["grade", SOFTMAX, "--submissions", str(answers), "-o", str(out)]) == 0
    graded = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8"))))
    assert list(graded[0]) == ["student", "wrt", "score", "correct", "diagnosis", "feedback"]
    table = [(r["student"], r["wrt"], r["score"], r["correct"], r["diagnosis"]) for r in graded]
    assert table == [("ann", "W", "1", "true", ""), ("ann", "b", "1", "true", ""),
                     ("ann", "total", "1", "true", ""),
                     ("bob", "W", "0", "false", "transpose"),
                     ("bob", "total", "0", "false", "wrong"),
                     ("eve", "b", "0", "false", "syntax"),
                     ("eve", "total", "0", "false", "wrong")]


def test_usage_errors_exit_2(tmp_path, capsys):
    assert main(["grade", BILINEAR]) == 2
    assert main(["grade", BILINEAR, "--answer", "x", "--wrt", "q"]) == 2
    assert "no derivative by 'q'" in capsys.readouterr().err
    assert main(["grade", SOFTMAX, "--answer", r"\mathbf{b}"]) == 2
    bad = tmp_path / "bad.csv"
    bad.write_text("name,text\nann,x\n", encoding="utf-8")
    assert main(["grade", BILINEAR, "--submissions", str(bad)]) == 2
    assert "bad.csv:1: the submissions need the columns student and answer" \
        in capsys.readouterr().err
    wrong_wrt = tmp_path / "wrt.csv"
    wrong_wrt.write_text("student,wrt,answer\nann,X,x\nbob,Y,x\n", encoding="utf-8")
    assert main(["grade", BILINEAR, "--submissions", str(wrong_wrt)]) == 2
    assert "wrt.csv:3: the problem has no derivative by 'Y'" in capsys.readouterr().err
    assert main(["grade", str(tmp_path / "missing.yaml"), "--answer", "x"]) == 2


def test_a_broken_problem_exits_1(write, capsys):
    path = write("broken.yaml", """
        title: t
        variables: {x: {shape: [n]}}
        function: '\\mathbf{x}^T\\mathbf{q}'
        wrt: x
    """)
    assert main(["grade", str(path), "--answer", "x"]) == 1
    assert "broken.yaml:" in capsys.readouterr().err


def test_each_submission_is_graded_against_its_students_variant(tmp_path, capsys):
    """A `variant` column (the student's number in build --variants) picks the derivation."""
    from derivgen.variants import picks_for, slots_of
    path = PROBLEMS / "22-two-linear-layers.yaml"
    slots = slots_of(path)
    first = next(k for k in (1, 2) if picks_for(slots, path.stem, k, 9) == (0,))
    w1 = r"\mathbf{W}_2^T\mathbf{y}\mathbf{x}^T"
    w2 = r"\mathbf{y}\mathbf{x}^T\mathbf{W}_1^T"
    answers = tmp_path / "in.csv"
    answers.write_text("student,variant,answer\n"
                       f"ann,{first},\"{w1}\"\nbob,{3 - first},\"{w2}\"\n"
                       f"cat,{3 - first},\"{w1}\"\n", encoding="utf-8")
    assert main(["grade", str(path), "--submissions", str(answers), "--seed", "9"]) == 0
    graded = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert [(r["student"], r["wrt"], r["correct"], r["diagnosis"]) for r in graded] == \
        [("ann", "W_1", "true", ""), ("bob", "W_2", "true", ""), ("cat", "W_2", "false", "shape")]
    answers.write_text("student,variant,answer\nann,first,x\n", encoding="utf-8")
    assert main(["grade", str(path), "--submissions", str(answers)]) == 2
    assert "variant must be a number" in capsys.readouterr().err


def test_an_answer_with_a_leading_minus_is_an_answer_not_an_option(capsys):
    assert main(["grade", BILINEAR, "--answer", r"-\mathbf{a}\mathbf{b}^T", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["diagnosis"] == "sign"
