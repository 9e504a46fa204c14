"""Printed sums keep the instructor's order of terms (issue 13: results in textbook form).

Each case is a problem and the gradient as a textbook writes it; the result is verified
numerically like every other (``derivgen.solve`` raises otherwise), so only the order of the
printed terms is under test here.
"""

from __future__ import annotations

import pytest

import derivgen

RIDGE = {"X": {"shape": ["n", "N"]}, "Y": {"shape": ["m", "N"]}, "W": {"shape": ["m", "n"]},
         "lam": {"shape": [], "latex": r"\lambda"}}
LEAST_SQUARES = {"A": {"shape": ["m", "n"]}, "x": {"shape": ["n"]}, "y": {"shape": ["m"]},
                 "lam": {"shape": [], "latex": r"\lambda"}}
SOFTMAX = {"W": {"shape": ["m", "n"]}, "b": {"shape": ["m"]}, "x": {"shape": ["n"]},
           "y": {"shape": ["m"], "onehot": True}, "lam": {"shape": [], "latex": r"\lambda"}}

CASES = [
    ("data term first, as written",
     RIDGE, r"\frac{1}{2}\|\mathbf{Y} - \mathbf{W}\mathbf{X}\|_F^2"
            r" + \frac{\lambda}{2}\|\mathbf{W}\|_F^2", "W",
     r"(\mathbf{W}\mathbf{X} - \mathbf{Y})\mathbf{X}^T + \lambda\mathbf{W}"),
    ("regularizer first, as written",
     RIDGE, r"\frac{\lambda}{2}\|\mathbf{W}\|_F^2"
            r" + \frac{1}{2}\|\mathbf{Y} - \mathbf{W}\mathbf{X}\|_F^2", "W",
     r"\lambda\mathbf{W} + (\mathbf{W}\mathbf{X} - \mathbf{Y})\mathbf{X}^T"),
    ("a vector variable",
     LEAST_SQUARES, r"\|\mathbf{A}\mathbf{x} - \mathbf{y}\|_2^2 + \lambda\|\mathbf{x}\|_2^2",
     "x", r"2\mathbf{A}^T(\mathbf{A}\mathbf{x} - \mathbf{y}) + 2\lambda\mathbf{x}"),
    ("softmax regression with weight decay",
     SOFTMAX, r"-\mathbf{y}^T\log\operatorname{softmax}(\mathbf{W}\mathbf{x})"
              r" + \frac{\lambda}{2}\|\mathbf{W}\|_F^2", "W",
     r"(\operatorname{softmax}(\mathbf{W}\mathbf{x}) - \mathbf{y})\mathbf{x}^T"
     r" + \lambda\mathbf{W}"),
]


def _problem(variables, function, wrt):
    return {"title": "Order", "variables": variables, "function": function, "wrt": wrt}


@pytest.mark.parametrize("name, variables, function, wrt, expected", CASES,
                         ids=[c[0] for c in CASES])
def test_the_result_lists_terms_in_the_instructors_order(name, variables, function, wrt,
                                                          expected):
    solution = derivgen.solve(_problem(variables, function, wrt))
    assert solution.verified
    assert solution.results[0]["latex"] == expected


def test_a_constant_term_stays_where_the_instructor_wrote_it():
    variables = {"A": {"shape": ["m", "n"]}, "w": {"shape": ["n"]}}
    first = derivgen.solve(_problem(variables, r"\mathbf{1}^T\log(\mathbf{1} + "
                                    r"e^{\mathbf{A}\mathbf{w}})", "w")).latex()
    assert r"\mathbf{1} + e^{\mathbf{A}\mathbf{w}}" in first
    assert r"e^{\mathbf{A}\mathbf{w}} + \mathbf{1}" not in first
    last = derivgen.solve(_problem(variables, r"\mathbf{1}^T\log(e^{\mathbf{A}\mathbf{w}}"
                                   r" + \mathbf{1})", "w")).latex()
    assert r"e^{\mathbf{A}\mathbf{w}} + \mathbf{1}" in last


def test_each_variables_terms_come_together_in_the_order_written():
    variables = {"W": {"shape": ["m", "n"]}, "b": {"shape": ["m"]}, "x": {"shape": ["n"]},
                 "y": {"shape": ["m"]}}
    problem = _problem(variables, r"\frac{1}{2}\|\mathbf{W}\mathbf{x} + \mathbf{b} - "
                       r"\mathbf{y}\|_2^2", ["W", "b"])
    text = derivgen.solve(problem).latex()
    trace_form = text[text.index("Trace form"):]
    last_line = trace_form[trace_form.rindex(r"\operatorname{tr}(("):]
    # every line that has both differentials lists dW's terms before db's
    for line in trace_form.splitlines():
        if r"d\mathbf{W}" in line and r"d\mathbf{b}" in line:
            assert line.index(r"d\mathbf{W}") < line.index(r"d\mathbf{b}"), line
    assert r"d\mathbf{b}" in last_line


def test_terms_keep_their_place_while_their_differentials_are_expanded():
    variables = {"x": {"shape": ["n"], "index": "i"}, "mu": {"shape": ["n"]},
                 "S": {"shape": ["n", "n"], "symmetric": True}}
    function = (r"\frac{N}{2}\log\det\mathbf{S} + \frac{1}{2}\sum_{i=1}^{N}(\mathbf{x}_i - "
                r"\mathbf{mu})^T\mathbf{S}^{-1}(\mathbf{x}_i - \mathbf{mu})")
    text = derivgen.solve(_problem(variables, function, "S")).latex()
    differential = text[:text.index("Trace form")]
    rows = [row for row in differential.splitlines() if r"\sum" in row and "N" in row]
    assert len(rows) >= 3
    for row in rows:     # the log det term first on every row, as written
        assert row.index("N") < row.index(r"\sum"), row



def test_terms_written_as_one_sum_keep_its_order():
    variables = {"S": {"shape": ["n", "n"], "symmetric": True}, "A": {"shape": ["n", "n"]},
                 "b": {"shape": ["n"]}}
    function = (r"\operatorname{tr}(\mathbf{S}^{-1}\mathbf{A}) + \mathbf{b}^T\mathbf{S}^{-1}"
                r"\mathbf{b} + \log\det\mathbf{S}")
    text = derivgen.solve(_problem(variables, function, "S")).latex()
    second = text[:text.index("Trace form")].splitlines()
    row = next(line for line in second if r"\frac{d(\det" in line)
    assert row.index(r"\operatorname{tr}(d") < row.index(r"\mathbf{b}^T") < \
        row.index(r"\frac{d(\det")
    assert not any("+ -" in line for line in text.splitlines())   # - b^T S^{-1} dS S^{-1} b
