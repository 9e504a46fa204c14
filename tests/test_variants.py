"""Per-student variants: the `variants:` key, seeded draws, every variant verified, class
builds reproducible byte for byte, grading against one variant."""

from __future__ import annotations

import csv
import hashlib
import io
import json

import pytest

from derivgen.api import solve as api_solve
from derivgen.cli import main
from derivgen.errors import DerivgenError
from derivgen.pipeline import solve
from derivgen.problem.load import load_problem
from derivgen.problem.variation import combinations
from derivgen.variants import picks_for, slots_of, variant_problem
from tests.conftest import PROBLEMS

VARYING = ["15-trace-quadratic", "16-tanh-layer", "20-line-search", "22-two-linear-layers"]


def test_at_least_three_sample_problems_vary():
    varying = [p.stem for p in PROBLEMS.glob("*.yaml") if p.stem != "set" and slots_of(p)]
    assert set(VARYING) <= set(varying) and len(varying) >= 3


@pytest.mark.parametrize("stem", VARYING)
def test_every_combination_derives_and_verifies(stem):
    path = PROBLEMS / f"{stem}.yaml"
    slots = slots_of(path)
    total = combinations(slots)
    seen = set()
    for number in range(1, total + 1):
        picks = picks_for(slots, stem, number, seed=7)
        seen.add(picks)
        derivation = solve(load_problem(path, picks))
        assert derivation.verified and all(r.verified for r in derivation.results)
        assert set(derivation.problem.choices) == {s.name for s in slots}
    assert len(seen) == total      # dealt like a deck: every version before any repeats


def test_the_same_seed_gives_the_same_variants_and_another_seed_others():
    slots = slots_of(PROBLEMS / "15-trace-quadratic.yaml")
    first = [picks_for(slots, "15-trace-quadratic", k, seed=1) for k in range(1, 31)]
    again = [picks_for(slots, "15-trace-quadratic", k, seed=1) for k in range(1, 31)]
    other = [picks_for(slots, "15-trace-quadratic", k, seed=2) for k in range(1, 31)]
    assert first == again and first != other
    assert len(set(first[:18])) == 18      # 3 names x 3 constants x 2 sides, all dealt


def test_without_variants_a_file_is_its_base():
    problem = load_problem(PROBLEMS / "15-trace-quadratic.yaml")
    assert problem.choices == {"V": "X", "c": "", "side": "tr(XᵀAX)"}
    assert problem.function == r"\operatorname{tr}(\mathbf{X}^T\mathbf{A}\mathbf{X})"
    assert load_problem(PROBLEMS / "01-bilinear-form.yaml").choices == {}
    assert variant_problem(PROBLEMS / "01-bilinear-form.yaml", 5, 3).function == \
        load_problem(PROBLEMS / "01-bilinear-form.yaml").function


def test_names_shapes_constants_and_whole_formulas_vary():
    path = PROBLEMS / "15-trace-quadratic.yaml"
    slots = slots_of(path)
    problems = [load_problem(path, picks) for picks in
                [(1, 2, 1), (2, 1, 0)]]
    assert problems[0].wrt == ["Y"] and problems[0].variables["A"].shape == ("n", "n")
    assert problems[0].function == r"3\operatorname{tr}(\mathbf{Y}\mathbf{A}\mathbf{Y}^T)"
    assert problems[1].wrt == ["Z"] and problems[1].variables["A"].shape == ("m", "m")
    assert len(slots) == 3


BROKEN = """
title: t
variables:
  x: {shape: [n]}
function: '<<c>>\\mathbf{x}^T\\mathbf{x}'
wrt: x
variants:
  c: ['2', '\\mathbf{q}']
"""


def test_a_failing_variant_is_reported_with_its_file_and_variant(write):
    path = write("broken.yaml", BROKEN)
    slots = slots_of(path)
    bad = next(k for k in range(1, 3) if picks_for(slots, "broken", k, 0) == (1,))
    with pytest.raises(DerivgenError) as caught:
        api_solve(path, variant=bad, seed=0)
    text = caught.value.format()
    assert text.startswith(f"{path}:4: variant {bad} (c=\\mathbf{{q}}): unknown symbol")
    assert api_solve(path, variant=3 - bad, seed=0).verified


@pytest.mark.parametrize("block, message, line", [
    ("variants: 3", "'variants' must be a mapping", 6),
    ("variants:\n  function: [a, b]", "not a usable slot name", 7),
    ("variants:\n  c: []", "must be a list of alternatives", 7),
    ("variants:\n  c: [[1, 2]]", "an alternative is text, a number or a mapping", 7),
    ("variants:\n  k: [1, 2]", "unknown placeholder <<c>>", 4),
])
def test_a_broken_variants_block_says_where(write, block, message, line):
    text = "title: t\nvariables:\n  x: {shape: [n]}\nfunction: '<<c>>\\mathbf{x}^T\\mathbf{x}'\nwrt: x\n" + block + "\n"
    path = write("p.yaml", text)
    with pytest.raises(DerivgenError) as caught:
        load_problem(path)
    assert message in caught.value.message and caught.value.line == line


def test_solve_and_grade_address_one_variant(capsys):
    path = str(PROBLEMS / "22-two-linear-layers.yaml")
    slots = slots_of(path)
    second = next(k for k in (1, 2) if picks_for(slots, "22-two-linear-layers", k, 4) == (1,))
    assert main(["solve", path, "--variant", str(second), "--seed", "4", "--json"]) == 0
    results = json.loads(capsys.readouterr().out)["results"]
    assert [r["wrt"] for r in results] == ["W_2"]
    answer = r"\mathbf{y}\mathbf{x}^T\mathbf{W}_1^T"
    assert main(["grade", path, "--variant", str(second), "--seed", "4", "--answer", answer,
                 "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["correct"] is True
    assert main(["grade", path, "--variant", str(3 - second), "--seed", "4", "--answer",
                 answer, "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["diagnosis"] == "shape"


# ---- class builds -------------------------------------------------------------------------

def tree(folder):
    """Every output file's bytes (logs are pdflatex's diary, not output)."""
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file() and p.suffix != ".log"}


@pytest.fixture(scope="module")
def small_set(tmp_path_factory):
    folder = tmp_path_factory.mktemp("set")
    for stem in ("01-bilinear-form", "16-tanh-layer", "22-two-linear-layers"):
        (folder / f"{stem}.yaml").write_bytes((PROBLEMS / f"{stem}.yaml").read_bytes())
    return folder


def test_a_class_build_is_reproducible_byte_for_byte(small_set, tmp_path, capsys):
    first, second = tmp_path / "a", tmp_path / "b"
    for out in (first, second):
        assert main(["build", str(small_set), "--variants", "3", "--seed", "1", "-o", str(out),
                     "-q", "-j", "1"]) == 0
    assert tree(first) == tree(second)
    files = tree(first)
    for folder in ("001", "002", "003"):
        for kind in ("worksheet", "solutions", "answers"):
            assert f"{folder}/{kind}.pdf" in files and f"{folder}/{kind}.tex" in files
    assert "key.pdf" in files and "variants.json" in files
    manifest = json.loads((first / "variants.json").read_text())
    assert manifest["seed"] == 1 and [v["folder"] for v in manifest["variants"]] == \
        ["001", "002", "003"]
    tanh = [next(p for p in v["problems"] if p["id"] == "16-tanh-layer")
            for v in manifest["variants"]]
    assert sorted(p["choices"]["act"] for p in tanh) == ["sigmoid", "softplus", "tanh"]
    assert all(p["results"][0]["wrt"] == "x" and p["results"][0]["latex"] for p in tanh)
    fixed = [next(p for p in v["problems"] if p["id"] == "01-bilinear-form")
             for v in manifest["variants"]]
    assert all(p == fixed[0] for p in fixed) and fixed[0]["choices"] == {}
    worksheets = [(first / f / "worksheet.tex").read_text() for f in ("001", "002", "003")]
    assert len(set(worksheets)) == 3
    key = (first / "key.tex").read_text()
    assert "Same for every student" in key and "act = softplus" in key
    other_seed = tmp_path / "c"
    main(["build", str(small_set), "--variants", "3", "--seed", "2", "-o", str(other_seed),
          "-q", "-j", "1"])
    assert (other_seed / "variants.json").read_bytes() != (first / "variants.json").read_bytes()


def test_a_roster_names_the_folders(small_set, tmp_path, capsys):
    roster = tmp_path / "roster.csv"
    roster.write_text("id,name\nalice,Alice A\nbob,Bob B\n", encoding="utf-8")
    out = tmp_path / "out"
    single = tmp_path / "one"
    single.mkdir()
    (single / "16-tanh-layer.yaml").write_bytes((small_set / "16-tanh-layer.yaml").read_bytes())
    assert main(["build", str(single), "--variants", "2", "--roster", str(roster), "-o",
                 str(out), "-q"]) == 0
    assert (out / "alice" / "worksheet.pdf").is_file() and (out / "bob" / "answers.pdf").is_file()
    manifest = json.loads((out / "variants.json").read_text())
    assert [v["folder"] for v in manifest["variants"]] == ["alice", "bob"]
    assert main(["build", str(single), "--variants", "3", "--roster", str(roster), "-o",
                 str(out)]) == 2
    assert "has 2 students but --variants 3" in capsys.readouterr().err
    roster.write_text("id\n../evil\n", encoding="utf-8")
    assert main(["build", str(single), "--variants", "1", "--roster", str(roster), "-o",
                 str(out)]) == 2
    assert "cannot name a folder" in capsys.readouterr().err


def test_a_failing_variant_fails_the_build_but_not_the_others(write, tmp_path, capsys):
    path = write("broken.yaml", BROKEN)
    out = tmp_path / "out"
    assert main(["build", str(path), "--variants", "2", "-o", str(out), "-q"]) == 1
    err = capsys.readouterr().err
    assert "broken.yaml:4: variant" in err and "(c=\\mathbf{q})" in err
    manifest = json.loads((out / "variants.json").read_text())
    entries = [v["problems"][0] for v in manifest["variants"]]
    assert sorted("error" in e for e in entries) == [False, True]


def test_a_huge_variants_block_is_drawn_without_enumerating_it(write):
    slots = "\n".join(f"  s{k}: [{', '.join(str(v) for v in range(1, 101))}]" for k in range(12))
    text = ("title: t\nvariables:\n  x: {shape: [n]}\n"
            "function: '<<s0>>\\mathbf{x}^T\\mathbf{x}'\nwrt: x\nvariants:\n" + slots + "\n")
    path = write("huge.yaml", text)
    found = slots_of(path)
    assert combinations(found) == 100 ** 12
    picks = [picks_for(found, "huge", k, 5) for k in (1, 2, 1)]
    assert picks[0] == picks[2] and picks[0] != picks[1]
    problem = load_problem(path, picks[1])
    assert problem.function == f"{picks[1][0] + 1}\\mathbf{{x}}^T\\mathbf{{x}}"


def test_a_placeholder_inside_a_value_is_not_expanded_again(write):
    """One pass: an alternative that holds <<c>> cannot make the file grow without end."""
    path = write("loop.yaml", "title: t\nvariables:\n  x: {shape: [n]}\n"
                              "function: '<<c>>\\mathbf{x}^T\\mathbf{x}'\nwrt: x\n"
                              "variants:\n  c: ['<<c>><<c>>']\n")
    assert load_problem(path).function == "<<c>><<c>>\\mathbf{x}^T\\mathbf{x}"


def test_check_variants_derives_every_variant_and_names_a_failing_one(write, capsys):
    path = write("broken.yaml", BROKEN)
    assert main(["check", str(path), "--variants", "2", "--seed", "3"]) == 1
    err = capsys.readouterr().err
    assert err.count("broken.yaml:4: variant") == 1 and "(c=\\mathbf{q})" in err
    assert main(["check", str(PROBLEMS / "16-tanh-layer.yaml"), "--variants", "3"]) == 0
    assert "16-tanh-layer.yaml: ok" in capsys.readouterr().out
