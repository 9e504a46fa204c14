"""Sums over samples: indexed families, ``\\sum_{i=1}^{N}``, results written as sums."""

from __future__ import annotations

import json

import numpy as np
import pytest

from derivgen.errors import DerivgenError
from derivgen.model import VarSpec
from derivgen.parse import parse_function, parse_latex
from derivgen.render.latex import to_latex
from derivgen.parse.scope import Scope
from derivgen.ir.sums import MatSampleSum, Sample, SampleSum, free_indices


def samples_scope():
    scope = Scope(functions={"sigma": "sigmoid"})
    for spec in (VarSpec("x", ("n",), index="i"), VarSpec("y", ("m",), index="i"),
                 VarSpec("t", (), index="i"), VarSpec("W", ("m", "n")),
                 VarSpec("b", ("m",))):
        scope.add_variable(spec)
    return scope


@pytest.mark.parametrize("written", [
    r"\sum_{i=1}^{N} \mathbf{y}_i^T\mathbf{W}\mathbf{x}_i",
    r"\sum_{i=1}^N \mathbf{y}_{i}^T \mathbf{W} \mathbf{x}_{i}",
    r"\sum\limits_{i=1}^{N} \mathbf{y}_i^T\mathbf{W}\mathbf{x}_i",
])
def test_a_sum_sums_the_rest_of_its_product(written):
    value = parse_function(written, samples_scope())
    assert isinstance(value, SampleSum) and str(value.index) == "i" and str(value.upper) == "N"
    assert free_indices(value) == set()
    assert {s.family for s in value.atoms(Sample)} == {"x", "y"}


def test_a_sum_ends_at_plus_and_a_constant_factor_leaves_it():
    value = parse_function(r"-\sum_{i=1}^{N} t_i \mathbf{b}^T\mathbf{y}_i + "
                           r"\sum_{i=1}^{N} 2 t_i", samples_scope())
    sums = [a for a in value.atoms(SampleSum)]
    assert len(sums) == 2


def test_matrix_sum_and_its_latex_round_trip():
    scope = samples_scope()
    value = parse_latex(r"\mathbf{W}\left(\sum_{i=1}^{N}\mathbf{x}_i\mathbf{x}_i^T\right)", scope)
    assert value.atoms(MatSampleSum)
    text = to_latex(value, scope)
    assert r"\sum_{i=1}^{N}" in text and r"\mathbf{x}_i\mathbf{x}_i^T" in text
    assert parse_latex(text, scope) == value


@pytest.mark.parametrize("written,message", [
    (r"\mathbf{b}^T\mathbf{y}_i", "outside a sum over i"),
    (r"\sum_{i=1}^{N} t_i + \sum_{i=1}^{M} t_i", "must all run to the same limit"),
    (r"\sum_{i=1}^{W} t_i", "is a variable"),
    (r"\sum_{i=0}^{N} t_i", r"write a sum over samples as \sum_{i=1}^{N}"),
    (r"\sum_{i=1}^{N}", r"\sum needs something to sum"),
    (r"\mathbf{b}^T\mathbf{y}", "unknown symbol"),
])
def test_sum_errors(written, message):
    with pytest.raises(DerivgenError) as caught:
        parse_function(written, samples_scope())
    assert message in caught.value.message


def test_json_of_samples_evaluates_as_a_grader_would(run_cli):
    path = "tests/fixtures/derive/samples-least-squares.yaml"
    done = run_cli("solve", path, "--json")
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert data["samples"]["x"] == {"index": "i", "count": "N", "shape": ["n", "N"]}
    rng = np.random.default_rng(7)
    n, m, count = 3, 2, 6
    values = {"x": rng.standard_normal((n, count)), "y": rng.standard_normal((m, count)),
              "W": rng.standard_normal((m, n))}
    gradient = eval(data["results"][0]["numpy"], {"np": np, **values})  # noqa: S307
    x, y, W = values["x"], values["y"], values["W"]
    assert np.allclose(gradient, 2 * (W @ x - y) @ x.T)
    loss = eval(data["function"]["numpy"], {"np": np, **values})  # noqa: S307
    assert np.isclose(float(np.asarray(loss).reshape(-1)[0]), np.sum((W @ x - y) ** 2))


def test_solution_moves_the_sum_through_d_and_into_the_trace():
    from derivgen.pipeline import solve
    from derivgen.problem.load import load_problem
    derivation = solve(load_problem("tests/fixtures/derive/samples-least-squares.yaml"))
    rules = [step.rule for section in derivation.sections for step in section.steps]
    assert rules[0] == "squared norm, the differential of a sum"  # the norm named too
    assert any("a sum passes into the trace" in rule for rule in rules)
    assert isinstance(derivation.results[0].expr.args[-1], MatSampleSum)
