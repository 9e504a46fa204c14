"""The chain rule through ``where:`` intermediates (the lecture's Example 5 order of steps)."""

from __future__ import annotations

import json

import numpy as np

from derivgen.pipeline import solve
from derivgen.ir.nodes import Gradient
from derivgen.problem.load import load_problem
from derivgen.render.facts import conclusion_prose
from derivgen.render.text import derivation_text

TWO_LAYER = "tests/fixtures/derive/samples-two-layer-chain.yaml"


def test_links_are_passed_back_outermost_first():
    derivation = solve(load_problem(TWO_LAYER))
    chain_sections = [s for s in derivation.sections if s.title == "Chain rule"]
    firsts = [str(s.lhs.body.args[0].args[0].args[0].of) for s in chain_sections]
    assert [name.split("(")[1].split(",")[0] for name in firsts] == ["a_2", "h_1", "a_1"]
    # each reads off what its definition is made of, in the lecture's words
    assert r"\frac{\partial \ell}{\partial \mathbf{h}_{1,i}} = \mathbf{W}_2^T" \
        in conclusion_prose(chain_sections[0], derivation.scope)
    assert r"\frac{\partial \ell}{\partial \mathbf{W}_1} = \sum_{i=1}^{N} " \
        r"\frac{\partial \ell}{\partial \mathbf{a}_{1,i}}\mathbf{x}_i^T" in \
        conclusion_prose(chain_sections[2], derivation.scope)


def test_results_read_by_way_of_links_and_evaluate_in_the_variables():
    derivation = solve(load_problem(TWO_LAYER))
    assert derivation.verified
    by_name = {r.wrt: r for r in derivation.results}
    assert by_name["W_2"].chain_form.atoms(Gradient)
    assert not by_name["W_2"].expr.atoms(Gradient)   # JSON and answers: variables only
    text = derivation_text(derivation, latex=True)
    assert r"where \mathbf{a}_{2,i} = \mathbf{W}_2\mathbf{h}_{1,i} + \mathbf{b}_2" in text


def test_json_gradient_matches_finite_differences(run_cli):
    done = run_cli("solve", TWO_LAYER, "--json")
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    rng = np.random.default_rng(3)
    n, p, m, count = 3, 4, 2, 5
    values = {"x": rng.standard_normal((n, count)), "y": rng.standard_normal((m, count)),
              "W_1": rng.standard_normal((p, n)), "b_1": rng.standard_normal((p, 1)),
              "W_2": rng.standard_normal((m, p)), "b_2": rng.standard_normal((m, 1))}

    def loss(env):
        return float(np.asarray(eval(data["function"]["numpy"], {"np": np, **env}))  # noqa: S307
                     .reshape(-1)[0])

    for result in data["results"]:
        gradient = eval(result["numpy"], {"np": np, **values})  # noqa: S307
        direction = rng.standard_normal(values[result["wrt"]].shape)
        h = 1e-6
        plus = {**values, result["wrt"]: values[result["wrt"]] + h * direction}
        minus = {**values, result["wrt"]: values[result["wrt"]] - h * direction}
        numeric = (loss(plus) - loss(minus)) / (2 * h)
        assert np.isclose(np.sum(gradient * direction), numeric, rtol=1e-5, atol=1e-7)


def test_an_intermediate_free_of_wrt_is_substituted(write):
    path = write("p.yaml", r"""
        title: t
        variables:
          A: {shape: [m, n]}
          x: {shape: [n]}
          y: {shape: [m]}
        where:
          c: '2\mathbf{y}'
          r: '\mathbf{A}\mathbf{x} - \mathbf{c}'
        function: '\mathbf{r}^T\mathbf{r}'
        wrt: x
    """)
    derivation = solve(load_problem(path))
    assert [s.title for s in derivation.sections].count("Chain rule") == 1
    assert derivation.verified
