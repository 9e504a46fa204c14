"""Results in textbook form (issue 13): N-fold terms stay collected, absolute values cancel.

Each result is verified numerically like every other (``derivgen.solve`` raises otherwise).
"""

from __future__ import annotations

import derivgen


def _problem(variables, function, wrt):
    return {"title": "Textbook", "variables": variables, "function": function, "wrt": wrt}


def test_a_term_that_does_not_use_the_samples_stays_n_fold():
    variables = {"X": {"shape": ["n", "n"]}, "a": {"shape": ["n"], "index": "i"}}
    function = (r"\sum_{i=1}^{N} \left(\log\det\mathbf{X} + "
                r"\mathbf{a}_i^T\mathbf{X}\mathbf{a}_i\right)")
    solution = derivgen.solve(_problem(variables, function, "X"))
    assert solution.verified
    assert solution.results[0]["latex"] == \
        r"N\mathbf{X}^{-T} + \sum_{i=1}^{N} \mathbf{a}_i\mathbf{a}_i^T"


def test_log_abs_det_reads_as_the_textbook_writes_it():
    solution = derivgen.solve({"title": "log |det X|", "variables": {"X": {"shape": ["n", "n"]}},
                               "function": r"\log|\det\mathbf{X}|", "wrt": "X"})
    assert solution.results[0]["latex"] == r"\mathbf{X}^{-T}"
    assert r"\frac{d(\det(\mathbf{X}))}{\det(\mathbf{X})}" in solution.latex()


def test_a_sum_over_samples_stays_out_of_a_numerator():
    variables = {"x": {"shape": ["n"], "index": "i"}, "w": {"shape": ["n"]}}
    function = r"\frac{1}{N}\sum_{i=1}^{N} (\mathbf{w}^T\mathbf{x}_i)^2"
    latex = derivgen.solve(_problem(variables, function, "w")).results[0]["latex"]
    assert latex.startswith(r"\frac{2}{N}\sum_{i=1}^{N}"), latex
