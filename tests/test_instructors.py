"""What instructors write: names that are Python keywords, standard functions, inner
products, spacing commands, numbers of samples in formulas, answers per variable.
Every check evaluates on random instances, against NumPy written here by hand."""

from __future__ import annotations

import json

import numpy as np
import pytest

from derivgen.cli import main
from derivgen.errors import DerivgenError
from derivgen.ir.codenames import code_name
from derivgen.model import Problem, VarSpec
from derivgen.parse import parse_function, parse_latex
from derivgen.parse.scope import scope_of
from derivgen.pipeline import solve
from derivgen.render.json import derivation_json
from derivgen.render.numpy import scope_dims
from derivgen.verify.numeric import evaluate


def problem(function, wrt, *specs, **keys):
    return Problem(path="inline.yaml", id="inline", title="inline", function=function,
                   wrt=list(wrt), variables={s.name: s for s in specs}, **keys)


def value_of(text, scope, env, rng=None):
    return evaluate(parse_latex(text, scope), env, scope_dims(scope))


# ---- names ------------------------------------------------------------------------------

@pytest.mark.parametrize("name,spelled", [("lambda", "lambda_"), ("in", "in_"), ("np", "np_"),
                                          ("range", "range_"), ("X", "X"), ("W_1", "W_1")])
def test_code_names(name, spelled):
    assert code_name(name) == spelled


def test_keyword_names_in_the_json_code():
    rng = np.random.default_rng(3)
    specs = (VarSpec("in", ("n",)), VarSpec("np", ("n",)), VarSpec("lambda", ()),
             VarSpec("e", ("n",)))
    derivation = solve(problem(r"\lambda\,\mathbf{in}^T\mathbf{np} + \mathbf{e}^T\mathbf{e}",
                               ["in", "lambda", "e"], *specs))
    data = derivation_json(derivation)
    assert data["names"] == {"in": "in_", "np": "np_", "lambda": "lambda_", "e": "e"}
    values = {"in_": rng.standard_normal((4, 1)), "np_": rng.standard_normal((4, 1)),
              "lambda_": float(rng.standard_normal()), "e": rng.standard_normal((4, 1))}
    by_wrt = {r["wrt"]: eval(r["numpy"], {"np": np, **values}) for r in data["results"]}
    assert np.allclose(by_wrt["in"], values["lambda_"] * values["np_"])
    assert np.allclose(by_wrt["e"], 2 * values["e"])
    assert np.isclose(float(by_wrt["lambda"]), (values["in_"].T @ values["np_"]).item())


def test_a_variable_named_I_is_that_variable():
    scope = scope_of(problem(r"\mathbf{x}^T\mathbf{I}\mathbf{x}", ["x"], VarSpec("I", ("n", "n")),
                             VarSpec("x", ("n",))))
    rng = np.random.default_rng(0)
    env = {"I": rng.standard_normal((3, 3)), "x": rng.standard_normal((3, 1))}
    got = value_of(r"\mathbf{x}^T\mathbf{I}\mathbf{x}", scope, env)
    assert np.isclose(float(np.asarray(got).item()), (env["x"].T @ env["I"] @ env["x"]).item())


# ---- notation ---------------------------------------------------------------------------

SPECS = (VarSpec("A", ("m", "n")), VarSpec("X", ("m", "n")), VarSpec("a", ("n",)),
         VarSpec("x", ("n",)), VarSpec("t", ()), VarSpec("theta", ("n",)))


@pytest.fixture()
def scope():
    return scope_of(problem("t", ["t"], *SPECS))


@pytest.fixture()
def env():
    rng = np.random.default_rng(7)
    return {"A": rng.standard_normal((2, 3)), "X": rng.standard_normal((2, 3)),
            "a": rng.standard_normal((3, 1)), "x": rng.uniform(0.5, 1.5, (3, 1)),
            "t": float(rng.uniform(0.5, 1.5)), "theta": rng.standard_normal((3, 1))}


@pytest.mark.parametrize("text,numpy", [
    (r"\langle \mathbf{A}, \mathbf{X} \rangle", lambda v: np.sum(v["A"] * v["X"])),
    (r"\langle \mathbf{a}, \mathbf{x} \rangle", lambda v: (v["a"].T @ v["x"]).item()),
    (r"\sin t + \cos t + \tan t", lambda v: np.sin(v["t"]) + np.cos(v["t"]) + np.tan(v["t"])),
    (r"\sinh(t)\cosh(t)\tanh(t)", lambda v: np.sinh(v["t"]) * np.cosh(v["t"]) * np.tanh(v["t"])),
    (r"\log_2(t) + \log_{10}(t) + \ln t", lambda v: np.log2(v["t"]) + np.log10(v["t"])
     + np.log(v["t"])),
    (r"\mathbf{1}^T\sqrt{\mathbf{x}}", lambda v: np.sum(np.sqrt(v["x"]))),
    (r"\boldsymbol\theta^{\!\top}\mathbf{a}", lambda v: (v["theta"].T @ v["a"]).item()),
    (r"\mathbf{a}^{\,T}\,\mathbf{x}\;", lambda v: (v["a"].T @ v["x"]).item()),
])
def test_notation_evaluates_as_written(scope, env, text, numpy):
    got = np.asarray(value_of(text, scope, env)).reshape(-1)[0]
    assert np.isclose(got, numpy(env))


def test_inner_product_needs_equal_shapes(scope):
    with pytest.raises(DerivgenError) as caught:
        parse_latex(r"\langle \mathbf{A}, \mathbf{a} \rangle", scope)
    assert "same shape" in caught.value.message


def test_the_number_of_samples_in_a_formula():
    specs = (VarSpec("x", ("n",), index="i"), VarSpec("w", ("n",)))
    scope = scope_of(problem("t", ["w"], *specs))
    expr = parse_function(r"\frac{1}{N}\sum_{i=1}^{N}\mathbf{w}^T\mathbf{x}_i", scope)
    rng = np.random.default_rng(1)
    env = {"x": rng.standard_normal((3, 5)), "w": rng.standard_normal((3, 1))}
    got = evaluate(expr, env, scope_dims(scope))
    assert np.isclose(float(np.asarray(got).item()), np.mean(env["w"].T @ env["x"]))


# ---- answers per variable ---------------------------------------------------------------

def write(tmp_path, text):
    path = tmp_path / "p.yaml"
    path.write_text(text, encoding="utf-8")
    return path


AFFINE = """title: t
variables:
  W: {shape: [m, n]}
  b: {shape: [m]}
  x: {shape: [n]}
  y: {shape: [m]}
function: '\\frac{1}{2}\\|\\mathbf{W}\\mathbf{x} + \\mathbf{b} - \\mathbf{y}\\|_2^2'
wrt: [W, b]
answer:
  W: '(\\mathbf{W}\\mathbf{x} + \\mathbf{b} - \\mathbf{y})\\mathbf{x}^T'
  b: %s
"""


def test_answers_per_variable_agree(tmp_path, capsys):
    path = write(tmp_path, AFFINE % "'\\mathbf{W}\\mathbf{x} + \\mathbf{b} - \\mathbf{y}'")
    assert main(["check", str(path)]) == 0, capsys.readouterr().err


def test_a_wrong_answer_for_one_variable_is_reported_at_its_line(tmp_path, capsys):
    path = write(tmp_path, AFFINE % "'\\mathbf{W}\\mathbf{x} - \\mathbf{y}'")
    assert main(["check", str(path)]) == 1
    err = capsys.readouterr().err
    assert f"{path}:11: answer.b:" in err and "disagrees" in err


def test_an_answer_for_a_variable_not_in_wrt(tmp_path, capsys):
    text = AFFINE.replace("  W: '", "  x: '") % "'\\mathbf{b}'"
    path = write(tmp_path, text)
    assert main(["check", str(path)]) == 1
    err = capsys.readouterr().err
    assert f"{path}:10: 'answer' has an entry for 'x', which is not in wrt" in err


def test_json_has_names_for_every_variable(tmp_path, capsys):
    path = write(tmp_path, AFFINE % "'\\mathbf{W}\\mathbf{x} + \\mathbf{b} - \\mathbf{y}'")
    assert main(["solve", str(path), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["names"] == {"W": "W", "b": "b", "x": "x", "y": "y"}


# ---- the function's name ----------------------------------------------------------------

@pytest.mark.parametrize("prefix,name", [
    (r"\mathcal{L}(\mathbf{x}) =", r"\mathcal{L}"), (r"J(\boldsymbol\theta) =", "J"),
    (r"R(\mathbf{x}) =", "R"), (r"\ell =", r"\ell"), ("F =", "F"), ("Q(x) :=", "Q"),
    (r"\operatorname{MSE}(\mathbf{x}) =", r"\operatorname{MSE}"), ("f_1(x) =", "f_1"),
    (r"D_{\mathrm{KL}} =", r"D_{\mathrm{KL}}"), (r"J_\text{reg}(\mathbf{x}) =", r"J_\text{reg}"),
    (r"E_D(\mathbf{x}) =", "E_D"),
    ("", "f"),
])
def test_the_function_keeps_its_name(prefix, name):
    specs = (VarSpec("x", ("n",)), VarSpec("theta", ("n",)), VarSpec("a", ("n",)))
    derivation = solve(problem(prefix + r" \mathbf{a}^T\mathbf{x}", ["x"], *specs))
    assert derivation.function_name == name
    rng = np.random.default_rng(2)
    env = {"x": rng.standard_normal((3, 1)), "a": rng.standard_normal((3, 1)),
           "theta": rng.standard_normal((3, 1))}
    result = evaluate(derivation.results[0].expr, env, scope_dims(derivation.scope))
    assert np.allclose(result, env["a"])


def test_a_prefix_that_is_not_a_name_says_what_to_write():
    scope = scope_of(problem("t", ["t"], VarSpec("t", ())))
    with pytest.raises(DerivgenError) as caught:
        parse_function(r"\input{x}(t) = t", scope)
    assert r"'\mathcal{L}(\mathbf{W}) ='" in caught.value.message


# ---- instances --------------------------------------------------------------------------

def test_an_inverted_gram_matrix_is_drawn_tall_and_well_conditioned():
    from derivgen.derive.derivation import derive
    from derivgen.verify.instances import COND_LIMIT, random_instances
    specs = (VarSpec("X", ("N", "n")), VarSpec("y", ("N",)), VarSpec("lambda", ()))
    derivation = derive(problem(
        r"\mathbf{y}^T\mathbf{X}(\mathbf{X}^T\mathbf{X} + \lambda\mathbf{I})^{-1}\mathbf{X}^T"
        r"\mathbf{y}", ["lambda"], *specs))
    for seed in range(5):
        for inst in random_instances(derivation, seed):
            X, lam = inst.values["X"], inst.values["lambda"]
            assert X.shape[0] >= X.shape[1]
            assert np.linalg.cond(X.T @ X + lam * np.eye(X.shape[1])) < COND_LIMIT


def test_logs_of_a_residual_are_drawn_inside_their_domain():
    from derivgen.derive.derivation import derive
    from derivgen.verify.instances import MARGIN, random_instances
    specs = (VarSpec("A", ("m", "n")), VarSpec("b", ("m",)), VarSpec("x", ("n",)))
    derivation = derive(problem(r"-\mathbf{1}^T\log(\mathbf{b} - \mathbf{A}\mathbf{x})", ["x"],
                                *specs))
    for inst in random_instances(derivation, 4):
        v = inst.values
        assert np.all(v["b"] - v["A"] @ v["x"] >= MARGIN)


def test_a_singular_inverse_evaluates_to_nan_not_an_exception():
    scope = scope_of(problem("t", ["X"], VarSpec("X", ("n", "n"))))
    value = evaluate(parse_latex(r"\operatorname{tr}(\mathbf{X}^{-1})", scope),
                     {"X": np.zeros((3, 3))}, scope_dims(scope))
    assert np.isnan(value)


def test_large_numeric_sizes_are_symbols_that_print_as_numbers():
    from derivgen.render.latex import to_latex
    specs = (VarSpec("X", (500, 500)), VarSpec("a", (500,)), VarSpec("b", (1,)),
             VarSpec("c", (3,)))
    derivation = solve(problem(r"\operatorname{tr}(\mathbf{I}_{500})\operatorname{tr}("
                               r"\mathbf{X}^T\mathbf{X}) + \mathbf{a}^T\mathbf{X}\mathbf{a}",
                               ["X"], *specs))
    scope = derivation.scope
    assert scope.symbols["b"].shape == (1, 1) and scope.symbols["c"].shape == (3, 1)
    assert scope.symbols["X"].shape[0] == scope.symbols["a"].shape[0]   # one size
    assert to_latex(derivation.results[0].expr, scope) == \
        r"1000\mathbf{X} + \mathbf{a}\mathbf{a}^T"


@pytest.mark.parametrize("answer_b,reason", [
    ("'2(\\mathbf{W}\\mathbf{x} + \\mathbf{b} - \\mathbf{y})'", "it is 2 times the derived result"),
    ("'\\mathbf{y} - \\mathbf{W}\\mathbf{x} - \\mathbf{b}'", "it has the opposite sign"),
])
def test_a_wrong_answer_says_what_kind_of_wrong(tmp_path, capsys, answer_b, reason):
    path = write(tmp_path, AFFINE % answer_b)
    assert main(["check", str(path)]) == 1
    err = capsys.readouterr().err
    assert f"{path}:11: answer.b:" in err and reason in err, err


def test_a_transposed_answer_is_called_so(tmp_path, capsys):
    text = (AFFINE % "'\\mathbf{W}\\mathbf{x} + \\mathbf{b} - \\mathbf{y}'").replace(
        "  W: '(\\mathbf{W}\\mathbf{x} + \\mathbf{b} - \\mathbf{y})\\mathbf{x}^T'",
        "  W: '\\mathbf{x}(\\mathbf{W}\\mathbf{x} + \\mathbf{b} - \\mathbf{y})^T'")
    path = write(tmp_path, text)
    assert main(["check", str(path)]) == 1
    err = capsys.readouterr().err
    assert f"{path}:10: answer.W:" in err and "it is the transpose of the derived result" in err


def test_a_message_never_echoes_a_huge_formula(tmp_path, capsys):
    huge = " + ".join([r"\mathbf{W}\mathbf{x}"] * 400)
    path = write(tmp_path, AFFINE % f"'{huge}'")
    assert main(["check", str(path)]) == 1
    err = capsys.readouterr().err
    assert "answer.b:" in err and len(err) < 1000


def test_pi_is_the_number(scope, env):
    assert np.isclose(float(value_of(r"\log(2\pi) + t", scope, env)),
                      np.log(2 * np.pi) + env["t"])


def test_a_numeric_count_of_samples_in_the_json(tmp_path, capsys):
    path = write(tmp_path, "title: t\nvariables:\n  x: {shape: [n], index: i}\n"
                           "  w: {shape: [n]}\nfunction: '\\frac{1}{100}\\sum_{i=1}^{100}"
                           "(\\mathbf{w}^T\\mathbf{x}_i)^2'\nwrt: w\n")
    assert main(["solve", str(path), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["samples"]["x"]["shape"] == ["n", 100]
    rng = np.random.default_rng(5)
    x, w = rng.standard_normal((3, 100)), rng.standard_normal((3, 1))
    got = eval(data["results"][0]["numpy"], {"np": np, "x": x, "w": w})
    assert np.allclose(got, 2 / 100 * x @ (x.T @ w))
