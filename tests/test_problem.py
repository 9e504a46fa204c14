"""Loading and validating problem files and sets (derivgen.problem.load)."""

from __future__ import annotations

import pytest

from conftest import PROBLEMS, VALID
from derivgen.errors import DerivgenError
from derivgen.ir.functions import KINDS
from derivgen.problem.load import PathError, expand_paths, load_problem, load_set


def error_of(path) -> DerivgenError:
    with pytest.raises(DerivgenError) as info:
        load_problem(path)
    return info.value


# ---------------------------------------------------------------------------------------------
# valid files


def test_valid_problem_fields_and_lines(write):
    path = write("bilinear.yaml", VALID)
    p = load_problem(path)
    assert p.id == "bilinear"
    assert p.path == str(path)
    assert p.title == "Derivative of a bilinear form"
    assert p.function == r"\mathbf{a}^T \mathbf{X} \mathbf{b}"
    assert p.wrt == ["X"]
    assert p.answer == r"\mathbf{a}\mathbf{b}^T"
    assert p.hessian is False and p.statement is None and p.where == [] and p.functions == {}
    assert list(p.variables) == ["a", "X", "b"]
    assert p.variables["X"].shape == ("m", "n")
    assert p.variables["a"].shape == ("m",)
    assert p.lines == {"title": 1, "variables": 2, "variables.a": 3, "variables.X": 4,
                       "variables.b": 5, "function": 6, "wrt": 7, "answer": 8}
    assert p.variables["b"].line == 5
    assert p.line_of("wrt") == 7


def test_all_optional_keys(write):
    path = write("full.yaml", r"""
        title: Everything
        statement: >-
          Calculate $f$.
        variables:
          W: {shape: [l, m]}
          X:
            shape: [m, 3]
          M: {shape: [l, l], symmetric: true}
          Z: {shape: [2, 2], complex: true}
          y: {shape: [l], onehot: true}
          lam: {shape: [], latex: '\lambda'}
        functions:
          sigma: generic
          s: sigmoid
        where:
          Y: '\sigma(\mathbf{W}\mathbf{X})'
          U: '\mathbf{M}\mathbf{Y}'
        function: '\operatorname{tr}(\mathbf{Y}^T \mathbf{U})'
        wrt: [X, W]
        hessian: true
        answer: '0'
        """)
    p = load_problem(path)
    assert p.statement == "Calculate $f$."
    assert p.variables["X"].shape == ("m", 3)
    assert p.variables["M"].symmetric and p.variables["Z"].complex and p.variables["y"].onehot
    assert p.variables["lam"].shape == () and p.variables["lam"].latex == r"\lambda"
    assert p.functions == {"sigma": "generic", "s": "sigmoid"}
    assert [(i.name, i.line) for i in p.where] == [("Y", 16), ("U", 17)]
    assert p.where[0].latex == r"\sigma(\mathbf{W}\mathbf{X})"
    assert p.wrt == ["X", "W"] and p.hessian is True
    assert p.lines["functions.s"] == 14 and p.lines["where.U"] == 17
    assert p.lines["statement"] == 2 and p.lines["hessian"] == 20


def test_where_as_list_of_pairs_keeps_order(write):
    path = write("w.yaml", VALID + "where:\n  - B: '\\mathbf{X}\\mathbf{b}'\n"
                                   "  - A: '\\mathbf{a}^T\\mathbf{B}'\n")
    p = load_problem(path)
    assert [i.name for i in p.where] == ["B", "A"]
    assert p.line_of("where.A") == 11


def test_shape_shorthand_and_numeric_answer(write):
    path = write("s.yaml", VALID.replace("{shape: [m]}", "[m]").replace(
        r"answer: '\mathbf{a}\mathbf{b}^T'", "answer: 0"))
    p = load_problem(path)
    assert p.variables["a"].shape == ("m",) and p.answer == "0"


def test_keys_that_yaml_would_read_as_booleans_stay_names(write):
    # YAML 1.1 reads a bare `on` or `no` as a boolean; as a variable name it must stay a name.
    path = write("b.yaml", VALID.replace("b: {shape: [n]}", "b: {shape: [n]}\n  no: [n]"))
    assert "no" in load_problem(path).variables


def test_every_function_kind_is_accepted(write):
    text = VALID + "functions:\n" + "".join(f"  f{i}: {kind}\n" for i, kind in enumerate(KINDS))
    assert set(load_problem(write("k.yaml", text)).functions.values()) == set(KINDS)


@pytest.mark.parametrize("path", sorted(PROBLEMS.glob("[0-9]*.yaml")), ids=lambda p: p.stem)
def test_shipped_problems_load(path):
    p = load_problem(path)
    assert p.answer, "every shipped problem states its expected answer"
    assert set(p.wrt) <= set(p.variables)


# ---------------------------------------------------------------------------------------------
# invalid files: each error names the line of the offending key and says how to fix it

BAD = [
    # (name, text, line, words in the message)
    ("typo", VALID.replace("function:", "fucntion:"), 6,
     ["unknown key 'fucntion'", "did you mean 'function'"]),
    ("missing-wrt", VALID.replace("wrt: X\n", ""), 1, ["missing required key 'wrt'"]),
    ("missing-function", VALID.replace("function:", "#"), 1, ["'function'"]),
    ("missing-title", VALID.replace("title:", "#"), 2, ["'title'"]),
    ("wrt-undeclared", VALID.replace("wrt: X", "wrt: Y"), 7, ["'Y'", "not a declared variable"]),
    ("wrt-typo", VALID.replace("wrt: X", "wrt: [X, bb]"), 7, ["did you mean 'b'"]),
    ("wrt-twice", VALID.replace("wrt: X", "wrt: [X, X]"), 7, ["twice"]),
    ("wrt-empty", VALID.replace("wrt: X", "wrt: []"), 7, ["empty"]),
    ("shape-3d", VALID.replace("[m, n]", "[m, n, k]"), 4, ["3 dimensions", "at most 2"]),
    ("shape-string", VALID.replace("[m, n]", "m x n"), 4, ["must be a list"]),
    ("shape-zero", VALID.replace("[m, n]", "[0, n]"), 4, ["positive"]),
    ("shape-negative", VALID.replace("[m, n]", "[m, -2]"), 4, ["positive"]),
    ("shape-bad-name", VALID.replace("[m, n]", "[m, 2n]"), 4, ["not a valid name"]),
    ("shape-missing", VALID.replace("{shape: [m, n]}", "{latex: X}"), 4, ["no shape"]),
    ("var-key-typo", VALID.replace("{shape: [m, n]}", "{shape: [m, n], symetric: true}"), 4,
     ["unknown key 'symetric'", "did you mean 'symmetric'"]),
    ("symmetric-not-square", VALID.replace("{shape: [m, n]}", "{shape: [m, n], symmetric: true}"),
     4, ["symmetric", "square"]),
    ("onehot-scalar", VALID.replace("{shape: [m, n]}", "{shape: [], onehot: true}"),
     4, ["onehot", "vector", "not a scalar"]),
    ("onehot-wrt", VALID.replace("{shape: [m, n]}", "{shape: [m, n], onehot: true}"),
     7, ["one-hot", "wrt"]),
    ("flag-not-bool", VALID.replace("{shape: [m, n]}", "{shape: [m, n], complex: maybe}"),
     4, ["true or false"]),
    ("latex-not-string", VALID.replace("{shape: [m, n]}", "{shape: [m, n], latex: [X]}"),
     4, ["must be a string"]),
    ("var-not-mapping", VALID.replace("{shape: [m, n]}", "matrix"), 4, ["must be a mapping"]),
    ("var-bad-name", VALID.replace("  X: {", "  2X: {"), 4, ["not a valid name"]),
    ("variables-empty", "title: t\nvariables: {}\nfunction: x\nwrt: x\n", 2, ["empty"]),
    ("variables-list", "title: t\nvariables: [X]\nfunction: x\nwrt: X\n", 2,
     ["must be a mapping"]),
    ("function-kind", VALID + "functions:\n  sigma: sigmod\n", 10,
     ["unknown kind 'sigmod'", "did you mean 'sigmoid'", "generic"]),
    ("function-is-variable", VALID + "functions:\n  X: tanh\n", 10, ["both"]),
    ("where-shadows", VALID + "where:\n  X: 'a'\n", 10, ["already declared"]),
    ("where-not-string", VALID + "where:\n  Y: [1]\n", 10, ["must be a string"]),
    ("where-bad-list", VALID + "where:\n  - Y: a\n    Z: b\n", 9, ["one `name: latex` pair"]),
    ("where-twice", VALID + "where:\n  - Y: a\n  - Y: b\n", 11, ["twice"]),
    ("dim-is-variable", VALID.replace("b: {shape: [n]}", "n: {shape: []}"), 4,
     ["dimension 'n'", "variable 'n'"]),
    ("dim-is-function", VALID + "functions:\n  m: tanh\n", 10, ["dimension"]),
    ("wrt-intermediate", VALID.replace("wrt: X", "wrt: Y") + "where:\n  Y: 'a'\n", 7,
     ["intermediate 'Y'"]),
    ("hessian-not-bool", VALID + "hessian: sometimes\n", 9, ["true or false"]),
    ("title-empty", VALID.replace("title: Derivative of a bilinear form", "title: ''"), 1,
     ["empty"]),
    ("function-null", VALID.replace(r"function: '\mathbf{a}^T \mathbf{X} \mathbf{b}'",
                                    "function:"), 6, ["must be a string", "empty"]),
    ("double-quoted-latex", VALID.replace(r"'\mathbf{a}\mathbf{b}^T'", '"\\frac{1}{2}"'), 8,
     ["double quotes", "single quotes"]),
    ("duplicate-key", VALID + "wrt: b\n", 9, ["duplicate key 'wrt'", "line 7"]),
    ("bad-yaml-indent", VALID.replace("  X: {shape: [m, n]}", "   X: {shape: [m, n]}"), 4,
     ["invalid YAML"]),
    ("bad-yaml-unclosed", VALID.replace("{shape: [m, n]}", "{shape: [m, n]"), 4,
     ["invalid YAML"]),
    ("bad-yaml-escape", VALID.replace(r"'\mathbf{a}\mathbf{b}^T'", r'"\mathbf{a}"'), 8,
     ["invalid YAML", "single quotes"]),
    ("tab-indent", VALID.replace("  X:", "\tX:"), 4, ["invalid YAML", "tabs"]),
    ("empty-file", "", 1, ["empty"]),
    ("comments-only", "# nothing yet\n", 1, ["empty"]),
    ("top-level-list", "- title: x\n", 1, ["mapping", "a list"]),
    ("top-level-string", "just text\n", 1, ["mapping", "a string"]),
    ("two-documents", VALID + "---\n" + VALID, 9, ["invalid YAML"]),
]


@pytest.mark.parametrize("name,text,line,words", BAD, ids=[b[0] for b in BAD])
def test_invalid_files_give_located_errors(write, name, text, line, words):
    path = write(f"{name}.yaml", text)
    error = error_of(path)
    assert error.file == str(path)
    assert error.line == line, error.format()
    for word in words:
        assert word in error.message, error.format()
    assert error.format().startswith(f"{path}:{line}: ")


def test_non_utf8_file(tmp_path):
    path = tmp_path / "latin1.yaml"
    path.write_bytes("title: Ableitung f\xfcr X\n".encode("latin-1"))
    assert "UTF-8" in error_of(path).message


def test_unsafe_tags_are_rejected(write):
    path = write("evil.yaml", "title: !!python/object/apply:os.system ['true']\n")
    assert "invalid YAML" in error_of(path).message


def test_byte_order_mark_is_fine(tmp_path):
    path = tmp_path / "bom.yaml"
    path.write_text("\ufeff" + VALID.lstrip(), encoding="utf-8")
    assert load_problem(path).title == "Derivative of a bilinear form"


# ---------------------------------------------------------------------------------------------
# sets and paths


def test_folder_without_set_yaml_is_alphabetical(write, tmp_path):
    for name in ("b.yaml", "a.yaml", "c.yml"):
        write(name, VALID)
    write("notes.txt", "not a problem")
    meta, files = load_set(tmp_path)
    assert meta == {}
    assert [f.name for f in files] == ["a.yaml", "b.yaml", "c.yml"]


def test_set_yaml_orders_and_describes(write, tmp_path):
    for name in ("a", "b", "c", "d"):
        write(f"{name}.yaml", VALID)
    write("set.yaml", "title: Week 3\ncourse: SI231\ndate: 2024-03-01\norder: [c, a.yaml]\n")
    meta, files = load_set(tmp_path)
    assert meta == {"title": "Week 3", "course": "SI231", "date": "2024-03-01"}
    assert [f.name for f in files] == ["c.yaml", "a.yaml", "b.yaml", "d.yaml"]


@pytest.mark.parametrize("text,line,words", [
    ("order: [a, nope]\n", 1, ["'nope'", "no nope.yaml"]),
    ("title: x\norder: [a, a]\n", 2, ["twice"]),
    ("title: x\norder: a\n", 2, ["must be a list"]),
    ("titel: x\n", 1, ["did you mean 'title'"]),
    ("- a\n", 1, ["mapping"]),
])
def test_bad_set_yaml(write, tmp_path, text, line, words):
    write("a.yaml", VALID)
    set_file = write("set.yaml", text)
    with pytest.raises(DerivgenError) as info:
        load_set(tmp_path)
    assert info.value.file == str(set_file) and info.value.line == line
    for word in words:
        assert word in info.value.message


def test_expand_paths_mixes_files_and_folders(write, tmp_path):
    a = write("set1/a.yaml", VALID)
    write("set1/b.yaml", VALID)
    write("set1/set.yaml", "title: One\n")
    c = write("c.yaml", VALID)
    meta, files = expand_paths([c, tmp_path / "set1", a])
    assert meta == {"title": "One"}
    assert [f.name for f in files] == ["c.yaml", "a.yaml", "b.yaml"]


def test_expand_paths_set_file_means_its_folder(write, tmp_path):
    write("b.yaml", VALID)
    write("a.yaml", VALID)
    set_file = write("set.yaml", "title: Two\norder: [b]\n")
    meta, files = expand_paths([set_file])
    assert meta == {"title": "Two"} and [f.name for f in files] == ["b.yaml", "a.yaml"]


def test_expand_paths_missing_path(tmp_path):
    with pytest.raises(PathError, match="no such file"):
        expand_paths([tmp_path / "missing.yaml"])


def test_shipped_set_orders_every_problem():
    meta, files = load_set(PROBLEMS)
    assert meta["title"] and meta["course"]
    assert len(files) >= 14
    assert [f.name for f in files][:4] == ["01-bilinear-form.yaml", "02-exp-bilinear-form.yaml",
                                           "03-sigma-quadratic-form.yaml",
                                           "04-least-squares.yaml"]


PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 16


def test_a_logo_is_named_by_its_content(write, tmp_path):
    write("a.yaml", VALID)
    write("set.yaml", "title: x\nlogo: crest.png\n")
    (tmp_path / "crest.png").write_bytes(PNG)
    first = load_set(tmp_path)[0]["logo"]
    assert first["path"] == str((tmp_path / "crest.png").resolve())
    assert first["name"].startswith("logo-") and first["name"].endswith(".png")
    (tmp_path / "crest.png").write_bytes(PNG + b"new")
    assert load_set(tmp_path)[0]["logo"]["name"] != first["name"]


@pytest.mark.parametrize("logo, content, words", [
    ("missing.png", None, ["no file 'missing.png'"]),
    ("crest.gif", b"GIF89a", ["must be a .png, .jpg, .jpeg, .pdf image"]),
    ("crest.png", b"<html>", ["is not a .png image"]),
    ("../outside.png", PNG, ["in the set's folder"]),
    ("[a, b]", None, ["must name an image file"]),
])
def test_a_bad_logo_is_an_error_at_its_line(write, tmp_path, logo, content, words):
    folder = tmp_path / "set"
    write("set/a.yaml", VALID)
    set_file = write("set/set.yaml", f"title: x\nlogo: {logo}\n")
    if content is not None:
        (folder / logo).resolve().write_bytes(content)
    with pytest.raises(DerivgenError) as info:
        load_set(folder)
    assert info.value.file == str(set_file) and info.value.line == 2
    for word in words:
        assert word in info.value.message
