"""schema/problem.schema.json: every shipped problem and the `new` template validate, bad files
do not, and the schema's keys agree with what derivgen.problem.load accepts (so the two cannot drift).
"""

from __future__ import annotations

import json
import textwrap

import jsonschema
import pytest
import yaml

from conftest import PROBLEMS, ROOT, VALID
from derivgen.problem import load as problem_module
from derivgen.cli import SCHEMA, _schema_reference, main, new_problem_text
from derivgen.ir.functions import KINDS

SCHEMA_DATA = json.loads((ROOT / "schema" / "problem.schema.json").read_text())
VALIDATOR = jsonschema.Draft7Validator(SCHEMA_DATA)

#: Keys and kinds that other branches are adding to problem.py right now; the schema already
#: knows them. Once problem.py accepts one, it may be removed here.
PENDING_TOP_LEVEL_KEYS = {"answer_conjugate"}
PENDING_VARIABLE_KEYS = {"index"}
PENDING_FUNCTION_KINDS = {"softmax"}

#: Every optional key the format has, in one file (valid for the schema and for derivgen).
FULL = r"""
title: Everything at once
statement: Calculate the derivative of $f$.
variables:
  a: {shape: [m]}
  X: [m, n]
  b: {shape: [n], latex: '\beta'}
  M: {shape: [3, 3], symmetric: true}
  Z: {shape: [m, n], complex: false}
  y: {shape: [m], onehot: true}
  lam: {shape: []}
functions:
  sigma: sigmoid
  g: generic
where:
  - Y: '\sigma(\mathbf{X}\mathbf{b})'
function: 'f = \mathbf{a}^T \mathbf{Y} + \lambda'
wrt: [X, lam]
hessian: false
answer: 0
"""


def errors(data) -> list[str]:
    """Every error's message, and those of the alternatives an ``anyOf`` tried."""
    return [e.message for error in VALIDATOR.iter_errors(data) for e in [error, *error.context]]


def test_the_schema_is_a_valid_draft_7_schema():
    jsonschema.Draft7Validator.check_schema(SCHEMA_DATA)
    assert SCHEMA == ROOT / "schema" / "problem.schema.json"


@pytest.mark.parametrize("path", sorted(p for p in PROBLEMS.glob("*.yaml") if p.stem != "set"),
                         ids=lambda p: p.stem)
def test_shipped_problems_validate(path):
    assert errors(yaml.safe_load(path.read_text())) == []


def test_new_template_validates_and_names_the_schema(tmp_path):
    assert errors(yaml.safe_load(new_problem_text("x"))) == []
    assert main(["new", str(tmp_path / "mine")]) == 0
    first = (tmp_path / "mine.yaml").read_text().splitlines()[0]
    assert first == f"# yaml-language-server: $schema={SCHEMA.as_uri()}"
    assert _schema_reference(ROOT / "problems" / "new.yaml") == "../schema/problem.schema.json"
    text = new_problem_text("x", schema="../schema/problem.schema.json")
    assert text.startswith("# yaml-language-server: $schema=../schema/problem.schema.json\n")


def test_every_optional_key_validates(tmp_path):
    assert errors(yaml.safe_load(FULL)) == []
    path = tmp_path / "full.yaml"
    path.write_text(textwrap.dedent(FULL))
    problem = problem_module.load_problem(path)   # derivgen accepts the same file
    assert problem.wrt == ["X", "lam"] and problem.variables["y"].onehot


@pytest.mark.parametrize("change, expected", [
    (lambda d: d.pop("wrt"), "'wrt' is a required property"),
    (lambda d: d.update(titel="x"), "Additional properties are not allowed ('titel'"),
    (lambda d: d["variables"].update(X={"shape": ["m", "n"], "symetric": True}), "is not valid"),
    (lambda d: d["variables"].update(X={"shape": ["m", "n", "k"]}), "is not valid"),
    (lambda d: d["variables"].update(X={"shape": [0]}), "is not valid"),
    (lambda d: d["variables"].update({"2X": {"shape": []}}), "does not match"),
    (lambda d: d.update(functions={"s": "sigmod"}), "is not one of"),
    (lambda d: d.update(hessian="yes"), "is not of type 'boolean'"),
    (lambda d: d.update(wrt=[]), "is not valid"),
    (lambda d: d.update(function="  "), "does not match"),
])
def test_mistakes_are_flagged(change, expected):
    data = yaml.safe_load(VALID)
    assert errors(data) == []
    change(data)
    found = errors(data)
    assert any(expected in message for message in found), found


def same_up_to_pending(in_schema, accepted, pending) -> bool:
    """The schema knows every accepted key, and others only if they are being added now."""
    return set(accepted) <= set(in_schema) and set(in_schema) - set(accepted) <= pending


def test_schema_and_problem_module_accept_the_same_keys():
    properties = SCHEMA_DATA["properties"]
    assert same_up_to_pending(properties, problem_module.TOP_LEVEL_KEYS, PENDING_TOP_LEVEL_KEYS)
    assert SCHEMA_DATA["required"] == list(problem_module.REQUIRED_KEYS)
    assert SCHEMA_DATA["additionalProperties"] is False
    variable = SCHEMA_DATA["definitions"]["variable"]["oneOf"][1]
    assert variable["additionalProperties"] is False and variable["required"] == ["shape"]
    assert same_up_to_pending(variable["properties"], problem_module.VARIABLE_KEYS,
                              PENDING_VARIABLE_KEYS)
    kinds = SCHEMA_DATA["definitions"]["functionKind"]["enum"]
    assert same_up_to_pending(kinds, KINDS, PENDING_FUNCTION_KINDS)
    assert SCHEMA_DATA["definitions"]["name"]["pattern"].rstrip("$") + r"\Z" == \
        "^" + problem_module.NAME.pattern


def test_every_property_has_a_description():
    def walk(node, where):
        if isinstance(node, dict):
            for key, value in node.get("properties", {}).items():
                assert value.get("description"), f"{where}.{key} has no description"
            for key, value in node.items():
                walk(value, f"{where}.{key}")
        elif isinstance(node, list):
            for item in node:
                walk(item, where)

    walk(SCHEMA_DATA, "$")
