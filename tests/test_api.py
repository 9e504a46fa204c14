"""The Python API (contract, section 6): derivgen.solve, its Solution, the README's example,
and that `import derivgen` stays cheap."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import derivgen
from derivgen.errors import DerivgenError

ROOT = Path(__file__).resolve().parent.parent
PROBLEMS = ROOT / "problems"


def test_readme_api_example_runs(tmp_path):
    """The README's ```python block under "Python API", run as written, from the repo root."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("## Python API"):]
    code = re.search(r"```python\n(.*?)```", section, re.S).group(1)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    run = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env,
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    assert "a @ b.T" in run.stdout


def test_solve_a_path_gives_the_contract_results_and_numpy_code():
    s = derivgen.solve(PROBLEMS / "04-least-squares.yaml")
    assert s.verified and s.id == "04-least-squares"
    (result,) = s.results
    assert set(result) == {"wrt", "order", "conjugate", "latex", "numpy"}
    rng = np.random.default_rng(7)
    A, x, y = rng.standard_normal((5, 3)), rng.standard_normal((3, 1)), rng.standard_normal((5, 1))
    env = {"np": np, "A": A, "x": x, "y": y}
    gradient = eval(s.numpy["x"], env)  # noqa: S307 -- our own code
    f = lambda xv: float(np.asarray(eval(s.numpy["f"], {**env, "x": xv})).reshape(-1)[0])  # noqa
    h = 1e-6
    numeric = [(f(x + h * e) - f(x - h * e)) / (2 * h) for e in np.eye(3)[:, :, None]]
    assert np.allclose(gradient.ravel(), numeric, rtol=1e-5, atol=1e-6)
    assert s.json()["results"] == s.results


def test_solve_a_dict_of_the_keys():
    s = derivgen.solve({"title": "Quadratic form", "wrt": "x",
                        "variables": {"A": {"shape": ["n", "n"]}, "x": {"shape": ["n"]}},
                        "function": r"\mathbf{x}^T\mathbf{A}\mathbf{x}",
                        "answer": r"(\mathbf{A} + \mathbf{A}^T)\mathbf{x}"})
    assert s.verified and s.results[0]["wrt"] == "x"


def test_latex_for_notebooks_is_one_display():
    s = derivgen.solve(PROBLEMS / "01-bilinear-form.yaml")
    text = s._repr_latex_()
    assert text == s.latex()
    assert text.startswith("$$\\begin{aligned}") and text.endswith("\\end{aligned}$$")
    assert r"\mathbf{a}\mathbf{b}^T" in text and "product rule" in text
    assert "verified" in repr(s)
    assert "Result" in s.text()


@pytest.mark.parametrize("problem, message", [
    ({"title": "x"}, "missing required key"),
    ({"title": "t", "variables": {"x": {"shape": ["n"]}}, "function": r"\mathbf{x}^T\mathbf{y}",
      "wrt": "x"}, "y"),
    ({"title": "t", "variables": {"x": {"shape": ["n"]}}, "function": r"\mathbf{x}^T\mathbf{x}",
      "wrt": "x", "answer": r"\mathbf{x}"}, "answer"),
])
def test_bad_problems_raise_a_located_error(problem, message):
    with pytest.raises(DerivgenError) as info:
        derivgen.solve(problem)
    assert message in str(info.value) and re.match(r"<?[\w./-]+>?:\d+: ", str(info.value))


def test_a_missing_file_is_a_located_error(tmp_path):
    with pytest.raises(DerivgenError) as info:
        derivgen.solve(tmp_path / "nope.yaml")
    assert "nope.yaml:1: cannot read the file" in str(info.value)


def test_solve_rejects_other_types():
    for value in (42, [1, 2], None):
        with pytest.raises(TypeError):
            derivgen.solve(value)


def test_import_derivgen_does_not_import_sympy():
    code = ("import sys, derivgen; assert 'sympy' not in sys.modules; "
            "assert 'solve' in dir(derivgen); derivgen.solve; "
            "assert 'sympy' not in sys.modules; print('ok')")
    run = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                         text=True, env={**os.environ, "PYTHONPATH": str(ROOT)}, timeout=60)
    assert run.stdout.strip() == "ok", run.stderr


def test_unknown_attribute_is_an_attribute_error():
    with pytest.raises(AttributeError):
        derivgen.no_such_thing  # noqa: B018


def test_grade_judges_like_derivgen_grade():
    s = derivgen.solve(PROBLEMS / "01-bilinear-form.yaml")
    right = s.grade(r"(\mathbf{b}\mathbf{a}^T)^T")
    assert right == {"correct": True, "score": 1.0, "diagnosis": None,
                     "feedback": right["feedback"]}
    wrong = s.grade(r"\mathbf{b}\mathbf{a}^T", wrt="X")
    assert wrong["correct"] is False and wrong["diagnosis"] == "transpose"
    hostile = s.grade(r"\input{/etc/passwd}")
    assert hostile["correct"] is False and hostile["diagnosis"] == "syntax"
