"""Attacks: what a careless or hostile user can throw at derivgen, and the clean outcome of each.

Every case asserts no traceback, the exit code, the file and line of the message, and that
the work stayed bounded (an alias bomb fails before it is expanded, rendering is linear).
Cases that need the real TeX run build a few small problems only.
"""

from __future__ import annotations

import resource

import pytest

from conftest import VALID
from derivgen.cli import main

#: A problem to put hostile values into: ``{slot}`` is replaced by YAML lines.
TEMPLATE = """\
title: t
variables:
  a: {{shape: [n]}}
  x: {{shape: [n]}}
function: '\\mathbf{{a}}^T\\mathbf{{x}}'
{slot}
"""

#: 9 levels of 9 aliases each: 9**7 strings (about 4.8 million) from a few hundred bytes.
BOMB_ANCHORS = ("&a [x,x,x,x,x,x,x,x,x]", "&b [*a,*a,*a,*a,*a,*a,*a,*a,*a]",
                "&c [*b,*b,*b,*b,*b,*b,*b,*b,*b]", "&d [*c,*c,*c,*c,*c,*c,*c,*c,*c]",
                "&e [*d,*d,*d,*d,*d,*d,*d,*d,*d]", "&f [*e,*e,*e,*e,*e,*e,*e,*e,*e]",
                "&g [*f,*f,*f,*f,*f,*f,*f,*f,*f]")


def bomb_value() -> str:
    """A flow sequence whose last element holds the whole bomb (one YAML value)."""
    return "[" + ", ".join(BOMB_ANCHORS) + "]"


def run(capsys, *argv):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    assert "Traceback" not in err and "internal error" not in err, err
    return code, out, err


def check_one(capsys, tmp_path, text: str, name: str = "p.yaml"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    code, out, err = run(capsys, "check", path)
    return path, code, err


def line_of(text: str, start: str) -> int:
    return next(n for n, line in enumerate(text.splitlines(), 1) if line.startswith(start))


# ---------------------------------------------------------------------------------------------
# YAML: aliases, recursion, depth, size


@pytest.mark.parametrize("slot", [
    "wrt: {bomb}", "wrt: x\nhessian: {bomb}", "wrt: x\nfunctions: {{g: {bomb}}}",
    "wrt: x\nanswer: {bomb}", "wrt: x\nstatement: {bomb}", "wrt: x\ntitle2: {bomb}",
])
def test_alias_bomb_fails_fast_at_its_key(capsys, tmp_path, slot):
    text = TEMPLATE.format(slot=slot.format(bomb=bomb_value())).replace("title: t\n", "", 1)
    text = "title: t\n" + text
    key = slot.split("\n")[-1].split(":")[0]
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    path, code, err = check_one(capsys, tmp_path, text)
    grown = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before
    assert code == 1
    assert err.startswith(f"{path}:{line_of(text, key + ':')}: ")
    assert "aliases" in err and len(err) < 400
    assert grown < 200_000   # kilobytes: the bomb was measured, never expanded


@pytest.mark.parametrize("where", ["variables", "shape", "index", "order"])
def test_alias_bomb_in_a_variable_or_a_set(capsys, tmp_path, where):
    if where == "order":
        (tmp_path / "p.yaml").write_text(VALID, encoding="utf-8")
        (tmp_path / "set.yaml").write_text(f"title: s\norder: {bomb_value()}\n")
        code, _, err = run(capsys, "check", tmp_path)
        assert code == 1 and err.startswith(f"{tmp_path / 'set.yaml'}:2: ")
        return
    value = {"variables": f"variables: {bomb_value()}",
             "shape": f"variables:\n  x: {{shape: {bomb_value()}}}",
             "index": f"variables:\n  x: {{shape: [n], index: {bomb_value()}}}"}[where]
    text = f"title: t\n{value}\nfunction: 'x'\nwrt: x\n"
    path, code, err = check_one(capsys, tmp_path, text)
    assert code == 1 and err.startswith(f"{path}:2: ") and "aliases" in err


def test_a_recursive_alias_is_named_as_such(capsys, tmp_path):
    text = "title: t\nvariables: &v {x: {shape: [n]}, y: *v}\nfunction: 'x'\nwrt: x\n"
    path, code, err = check_one(capsys, tmp_path, text)
    assert code == 1 and err.startswith(f"{path}:2: ") and "recursive alias" in err
    assert "tabs" not in err


@pytest.mark.parametrize("depth", [60, 100_000])
def test_deep_nesting_is_an_error_at_its_line(capsys, tmp_path, depth):
    text = TEMPLATE.format(slot="wrt: " + "[" * depth + "]" * depth)
    path, code, err = check_one(capsys, tmp_path, text)
    assert code == 1 and err.startswith(f"{path}:6: ") and "nested too deeply" in err


def test_a_huge_file_is_refused_before_parsing(capsys, tmp_path):
    text = TEMPLATE.format(slot="wrt: x\n# " + "x" * 1_100_000)
    path, code, err = check_one(capsys, tmp_path, text)
    assert code == 1 and err.startswith(f"{path}:1: ") and "at most 1,000,000" in err


@pytest.mark.parametrize("key, value, limit", [
    ("title", "T" * 200_000, "300"), ("statement", "word " * 10_000, "20,000"),
])
def test_overlong_text_is_an_error_at_its_key(capsys, tmp_path, key, value, limit):
    text = TEMPLATE.format(slot=f"wrt: x\n{key}: '{value}'").replace("title: t\n", "") \
        if key == "title" else TEMPLATE.format(slot=f"wrt: x\n{key}: '{value}'")
    path, code, err = check_one(capsys, tmp_path, text)
    assert code == 1 and err.startswith(f"{path}:{line_of(text, key + ':')}: ")
    assert f"at most {limit}" in err and len(err) < 300


def test_overlong_set_title_is_reported_at_set_yaml(capsys, tmp_path):
    (tmp_path / "p.yaml").write_text(VALID, encoding="utf-8")
    (tmp_path / "set.yaml").write_text("order: [p]\ntitle: " + "S" * 5000 + "\n")
    code, _, err = run(capsys, "check", tmp_path)
    assert code == 1 and err.startswith(f"{tmp_path / 'set.yaml'}:2: ")


def test_huge_numeric_shape_is_verified_at_small_sizes(capsys, tmp_path):
    # the derivation does not depend on how large a size is: [10000, 10000] and [100000000]
    # are verified at small sizes that keep the equalities between dimensions
    text = ("title: t\nvariables:\n  X: {shape: [10000, 10000]}\n  y: {shape: [10000]}\n"
            "  z: {shape: [100000000]}\n"
            "function: '\\mathbf{y}^T\\mathbf{X}\\mathbf{y} + \\mathbf{z}^T\\mathbf{z}'\n"
            "wrt: [X, z]\n")
    path, code, err = check_one(capsys, tmp_path, text)
    assert code == 0, err


def test_absurd_numeric_shape_is_refused_at_its_line(capsys, tmp_path):
    text = ("title: t\nvariables:\n  X: {shape: [10000000000000, 2]}\n  y: {shape: [2]}\n"
            "function: '\\mathbf{y}^T\\mathbf{X}^T\\mathbf{X}\\mathbf{y}'\nwrt: X\n")
    path, code, err = check_one(capsys, tmp_path, text)
    assert code == 1 and err.startswith(f"{path}:3: ") and "too large" in err


def test_overflowing_power_is_a_located_error(capsys, tmp_path):
    text = TEMPLATE.format(slot="wrt: x").replace(
        "function: '\\mathbf{a}^T\\mathbf{x}'", "function: '(\\mathbf{a}^T\\mathbf{x})^{100000}'")
    path, code, err = check_one(capsys, tmp_path, text)
    assert code == 1 and err.startswith(f"{path}:5: ") and "overflow" in err


def test_a_bad_value_is_quoted_short_in_the_message(capsys, tmp_path):
    text = TEMPLATE.format(slot="wrt: x\nhessian: [" + ", ".join(["yes-no"] * 5000) + "]")
    path, code, err = check_one(capsys, tmp_path, text)
    assert code == 1 and err.startswith(f"{path}:7: ") and len(err) < 300


# ---------------------------------------------------------------------------------------------
# rendering is linear in the size of an expression


def test_breaking_a_long_sum_measures_each_token_a_bounded_number_of_times(monkeypatch):
    from derivgen.render import layout

    calls = 0
    real = layout._token_width

    def counted(*args, **kwargs):
        nonlocal calls
        calls += 1
        return real(*args, **kwargs)

    monkeypatch.setattr(layout, "_token_width", counted)
    term = r"\exp(\mathbf{a}^T\mathbf{x} / 7)\,\mathbf{a}"
    for count in (100, 1000):
        calls = 0
        latex = " + ".join([term] * count)
        rows = layout.break_rows(latex, lhs=r"\frac{\partial f}{\partial \mathbf{x}}")
        assert " + ".join(row.removeprefix("+ ") for row in rows) == latex
        assert len(rows) > count // 10
        tokens = len(layout._TOKEN.findall(latex))
        assert calls <= 2 * tokens      # measured once (plus the lhs), not once per row
