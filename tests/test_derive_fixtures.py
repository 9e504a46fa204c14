"""Problems a new user might write (other names, shapes, orders, several variables), one
fixture file per behaviour: each must derive, verify, and agree with its ``answer:``."""

from pathlib import Path

import pytest

from derivgen.derive.compact import shown_sections
from derivgen.pipeline import solve
from derivgen.problem.load import load_problem
from derivgen.render.facts import math_latex

FIXTURES = sorted((Path(__file__).parent / "fixtures" / "derive").glob("*.yaml"))
PROBLEM_FILES = [p for p in (Path(__file__).parent.parent / "problems").glob("*.yaml")
                 if p.name != "set.yaml"]
EXERCISE_FILES = list((Path(__file__).parent / "fixtures" / "exercises").glob("*.yaml"))


@pytest.mark.parametrize("path", FIXTURES, ids=[p.stem for p in FIXTURES])
def test_fixture_derives_and_verifies(path):
    problem = load_problem(path)
    derivation = solve(problem)  # raises on a failed numerical check or a wrong answer:
    assert derivation.verified
    orders = sorted(r.order for r in derivation.results)
    complex_wrt = sum(problem.variables[name].complex for name in problem.wrt)  # two each
    assert orders == sorted([1] * (len(problem.wrt) + complex_wrt)
                            + ([2] * len(problem.wrt) if problem.hessian else []))


# Formulas the property tests found failing once; each must now derive and verify.
FOUND_BY_PROPERTIES = [
    (r"\operatorname{tr}(\mathbf{S} + \mathbf{S}^T)", ["S"]),
    (r"\operatorname{tr}(\mathbf{A})\mathbf{a}^T\mathbf{A}\mathbf{a}", ["A"]),
    (r"\operatorname{tr}((\mathbf{a}^T\mathbf{A}\mathbf{a})\mathbf{A})", ["A"]),
    (r"\operatorname{tr}(\mathbf{X}^T\mathbf{X})\,\mathbf{a}^T\mathbf{X}\mathbf{b}", ["X"]),
    (r"\|\mathbf{a}\|^2(\mathbf{x}^T\mathbf{x} + t)", ["x", "t"]),
    (r"\|\mathbf{a}\|^2 t\sigma(t)", ["t"]),
    (r"t", ["t"]),
    (r"2t - t", ["t"]),
    (r"\operatorname{tr}(\mathbf{I}_n)\|\mathbf{a}\|^2", ["a"]),
]


@pytest.mark.parametrize("function,wrt", FOUND_BY_PROPERTIES)
def test_formerly_failing_formulas(function, wrt):
    from derivgen.model import Problem, VarSpec
    specs = [VarSpec("a", ("m",)), VarSpec("b", ("n",)), VarSpec("x", ("n",)),
             VarSpec("X", ("m", "n")), VarSpec("A", ("m", "m")), VarSpec("S", ("n", "n")),
             VarSpec("t", ())]
    problem = Problem(path="inline.yaml", id="inline", title="inline", function=function,
                      wrt=wrt, variables={s.name: s for s in specs},
                      functions={"sigma": "sigmoid"})
    assert solve(problem).verified


# (variables, function, whether a step must name M^T = M): a declared symmetric matrix
# whose transpose a rewrite drops names the fact; a general one, or one never transposed,
# never does.
SYMMETRY_CASES = [
    ("M: {shape: [n, n], symmetric: true}\n  x: {shape: [n]}",
     r"\mathbf{x}^T\mathbf{M}\mathbf{x}", "x", True),
    ("M: {shape: [n, n], symmetric: true}\n  X: {shape: [n, n]}",
     r"\operatorname{tr}(\mathbf{X}^T\mathbf{M}\mathbf{X}) + \operatorname{tr}(\mathbf{M}\mathbf{X})",
     "X", True),
    ("M: {shape: [l, l], symmetric: true}\n  W: {shape: [l, m]}\n  X: {shape: [m, n]}\n"
     "functions:\n  sigma: generic",
     r"\operatorname{tr}((\sigma(\mathbf{W}\mathbf{X}))^T\mathbf{M}\sigma(\mathbf{W}\mathbf{X}))",
     "X", True),
    ("M: {shape: [n, n]}\n  x: {shape: [n]}", r"\mathbf{x}^T\mathbf{M}\mathbf{x}", "x", False),
    ("M: {shape: [n, n], symmetric: true}\n  x: {shape: [n]}",
     r"\operatorname{tr}(\mathbf{M})\mathbf{x}^T\mathbf{x}", "x", False),
]


@pytest.mark.parametrize("variables, function, wrt, named", SYMMETRY_CASES)
def test_a_used_symmetry_is_a_named_step(write, variables, function, wrt, named):
    path = write("sym.yaml", f"title: Symmetry\nvariables:\n  {variables}\n"
                             f"function: '{function}'\nwrt: {wrt}\n")
    derivation = solve(load_problem(path))  # every step verified on random instances
    assert derivation.verified
    facts = [(step, identity) for section in derivation.sections for step in section.steps
             for name, identity in step.rules if name == "symmetry"]
    assert bool(facts) == named
    for step, identity in facts:
        assert math_latex(identity, None) == r"\mathbf{M}^T = \mathbf{M}"
        assert "symmetry" in step.rule
    for section in shown_sections(derivation):  # the lecture-length form names it too
        for step in section.steps:
            assert ("symmetry" in step.rule) <= any(n == "symmetry" for n, _ in step.named)
    if named:
        assert any("symmetry" in step.rule for s in shown_sections(derivation) for step in s.steps)


def _twins_without(derivation, flag, count=2):
    """Instances of ``derivation`` at which the variables declared ``flag`` lose it: a
    symmetric matrix gets a random skew part (kept near its draw, so inverses stay
    defined), a one-hot label becomes any vector."""
    from copy import copy
    import numpy as np
    from derivgen.verify.instances import random_instances
    rng = np.random.default_rng(11)
    names = [n for n, spec in derivation.problem.variables.items() if getattr(spec, flag)]
    twins = []
    for inst in list(random_instances(derivation, 0))[:count]:
        twin = copy(inst)
        twin.values = dict(inst.values)
        for name in names:
            noise = rng.standard_normal(np.shape(inst.values[name]))
            twin.values[name] = (inst.values[name] + 0.3 * (noise - noise.T)
                                 if flag == "symmetric" else noise)
        twins.append(twin)
    return twins


#: Each assumption a variable may carry, and the fact a step names when it uses it.
ASSUMPTIONS = {"symmetric": "symmetry", "onehot": "one-hot labels"}
ASSUMING = [(p, flag) for p in sorted(PROBLEM_FILES + EXERCISE_FILES + FIXTURES)
            for flag in ASSUMPTIONS if f"{flag}: true" in p.read_text()]


@pytest.mark.parametrize("path, flag", ASSUMING, ids=[f"{p.stem}-{f}" for p, f in ASSUMING])
def test_an_assumption_is_named_exactly_where_the_shown_equality_needs_it(path, flag):
    """Where the assumption fails (a non-symmetric M, a label that is not one-hot), a step
    that names it must fail (else the fact is spurious there) and a step that does not name
    it must still hold (else it is used silently); in the lecture-length form and with every
    step shown."""
    import numpy as np
    from derivgen.derive.facts import WrittenDifferential
    from derivgen.verify.instances import close
    derivation = solve(load_problem(path))
    twins = _twins_without(derivation, flag)
    for sections in (derivation.sections, shown_sections(derivation)):
        for section in sections:
            before = section.start
            for step in section.steps:
                start = before.expr if isinstance(before, WrittenDifferential) else before
                holds = all(close(np.asarray(t.value(start)), np.asarray(t.value(step.after)),
                                  1e-6) for t in twins)
                named = any(name == ASSUMPTIONS[flag] for name, _ in step.named)
                assert holds != named, (section.title, step.rule, step.after)
                before = step.after
