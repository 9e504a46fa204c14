"""Exports: the numeric question's keys, Moodle XML, the QTI package, PrairieLearn questions,
and the ``derivgen export`` command (the web site is tested in a browser: test_export_html)."""

from __future__ import annotations

import importlib.util
import json
import re
import sys
import uuid
import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path

import numpy as np
import pytest

from derivgen.api import solve as derivgen_solve
from derivgen.cli import main
from derivgen.errors import DerivgenError
from derivgen.export.common import exported, prose_html, question_uuid
from derivgen.export.moodle import moodle_xml
from derivgen.export.prairielearn import write_questions
from derivgen.export.qti import qti_package
from derivgen.export.question import DECIMALS, STAND_IN_LATEX, numeric_question
from derivgen.pipeline import solve
from derivgen.problem.load import load_problem, load_problem_data, load_yaml
from derivgen.verify.instances import GENERIC_STAND_INS

ROOT = Path(__file__).resolve().parent.parent
PROBLEMS = ROOT / "problems"
#: A spread of kinds: matrix, log det, sigmoid layer, complex, samples with a chain (Example 5).
SAMPLE = ["01-bilinear-form", "05-log-determinant", "19-sigmoid-layer",
          "30-complex-least-squares", "60-two-layer-network"]
NUMERICAL = re.compile(r"\{1:NUMERICAL:=(-?\d+(?:\.\d+)?):(\d+(?:\.\d+)?)#[^{}~]*\}")


@pytest.fixture(scope="module")
def derivations():
    return {name: solve(load_problem(PROBLEMS / f"{name}.yaml")) for name in SAMPLE}


@pytest.fixture(scope="module")
def items(derivations):
    return [exported(d) for d in derivations.values()]


# --- the numeric question ---------------------------------------------------------------

def _f(derivation, values):
    """f at ``values`` by the contract's NumPy code of the function (not of the results)."""
    code = derivation_code(derivation)
    return complex(np.asarray(eval(code, {"np": np, **values})).reshape(-1)[0])  # noqa: S307


def derivation_code(derivation):
    from derivgen.render.json import derivation_json
    return derivation_json(derivation)["function"]["numpy"]


@pytest.mark.parametrize("name", ["01-bilinear-form", "05-log-determinant", "19-sigmoid-layer",
                                  "60-two-layer-network"])
def test_every_key_is_the_slope_of_f_at_the_stated_point(derivations, name):
    """Independent of the derivation: central differences of f, entry by entry."""
    derivation = derivations[name]
    question = numeric_question(derivation)
    values = question.values
    for part in question.parts:
        base = np.asarray(values[part.wrt], dtype=float)
        for (i, row) in enumerate(part.cells):
            for (j, cell) in enumerate(row):
                step = np.zeros_like(base)
                step.reshape(len(part.cells), -1)[i, j] = 1e-5
                slope = (_f(derivation, {**values, part.wrt: base + step})
                         - _f(derivation, {**values, part.wrt: base - step})).real / 2e-5
                assert abs(slope - cell[0].key) <= 1e-4 * (1 + abs(slope)), (i, j)
                assert cell[0].tolerance >= 0.005 and cell[0].tolerance >= 0.0099 * abs(slope)


def test_the_point_is_stated_with_one_decimal(derivations):
    question = numeric_question(derivations["60-two-layer-network"])
    for value in question.values.values():
        array = np.asarray(value, dtype=complex)
        assert np.allclose(array, np.round(array.real, DECIMALS) + 1j * np.round(array.imag,
                                                                                 DECIMALS))
    numbers = re.findall(r"-?\d+\.\d+", " ".join(question.given))
    assert numbers and all(len(n.split(".")[1]) == DECIMALS for n in numbers)
    # families of samples are stated sample by sample, x_1 ... x_N
    assert any(g.startswith(r"\mathbf{x}_1 =") for g in question.given)


def test_the_same_seed_gives_the_same_question_and_another_seed_another(derivations):
    derivation = derivations["01-bilinear-form"]
    a, b = numeric_question(derivation, 3), numeric_question(derivation, 3)
    assert a.given == b.given and [x.key for x in a.blanks] == [x.key for x in b.blanks]
    assert numeric_question(derivation, 4).given != a.given


def test_complex_entries_are_asked_as_real_and_imaginary_parts(derivations):
    question = numeric_question(derivations["30-complex-least-squares"])
    for part in question.parts:
        assert all(len(cell) == 2 for row in part.cells for cell in row)
        assert "real part" in part.cells[0][0][0].label
        assert "imaginary part" in part.cells[0][0][1].label


def test_a_symmetric_variable_is_asked_its_directional_derivative():
    """∂f/∂X for a symmetric X is defined only up to a skew part: ask tr(Gᵀ D) instead."""
    derivation = solve(load_problem_data({
        "title": "Trace of a product", "wrt": "X",
        "variables": {"A": {"shape": ["n", "n"]}, "X": {"shape": ["n", "n"], "symmetric": True}},
        "function": r"\operatorname{tr}(\mathbf{A}\mathbf{X}\mathbf{X})"}))
    question = numeric_question(derivation)
    (part,) = question.parts
    (blank,) = part.blanks
    assert "symmetric" in part.prompt and r"\mathbf{D}" in part.lhs
    assert r"\mathbf{D} = \begin{bmatrix}" in part.shown and "&" not in part.prompt
    values = question.values
    direction = np.array(eval("[" + re.search(r"\\begin\{bmatrix\}(.*)\\end\{bmatrix\}",  # noqa
                                              part.shown).group(1)
                              .replace(r" \\ ", "], [").replace("&", ",") + "]"))
    direction = np.atleast_2d(direction)
    assert np.allclose(direction, direction.T)
    A, X = values["A"], values["X"]
    slope = (np.trace(A @ (X + 1e-6 * direction) @ (X + 1e-6 * direction))
             - np.trace(A @ (X - 1e-6 * direction) @ (X - 1e-6 * direction))) / 2e-6
    assert abs(slope - blank.key) <= 1e-4 * (1 + abs(slope))


def test_generic_functions_are_stated_by_their_stand_in():
    derivation = solve(load_problem_data({
        "title": "Generic", "wrt": "x", "functions": {"g": "generic"},
        "variables": {"a": {"shape": ["n"]}, "x": {"shape": ["n"]}},
        "function": r"\mathbf{a}^T g(\mathbf{x})"}))
    question = numeric_question(derivation)
    assert len(question.functions) == 1 and question.functions[0].startswith("g(t) = ")
    assert question.functions[0].split(" = ", 1)[1] in STAND_IN_LATEX


def test_the_stand_ins_latex_is_the_stand_ins_function():
    t = np.linspace(-2, 2, 9)
    assert len(STAND_IN_LATEX) == len(GENERIC_STAND_INS)
    assert np.allclose(GENERIC_STAND_INS[0][0](t), np.sin(t) + 0.5 * t ** 2)
    assert np.allclose(GENERIC_STAND_INS[1][0](t), np.tanh(t) + 0.3 * t ** 3)


# --- prose and math ---------------------------------------------------------------------

def test_prose_becomes_escaped_html_with_mathjax_delimiters():
    assert prose_html(r"Let $a<b$ & <script>x</script> cost \$5; $$\mathbf{x}$$") == (
        r"Let \(a&lt;b\) &amp; &lt;script&gt;x&lt;/script&gt; cost $5; \[\mathbf{x}\]")


@pytest.mark.parametrize("text", [r"$\href{javascript:alert(1)}{x}$", r"$\htmlClass{a}{b}$",
                                  r"$\input{/etc/passwd}$", "$x", r"$\url{http://x}$"])
def test_hostile_or_broken_math_in_prose_is_refused(text):
    with pytest.raises(DerivgenError):
        prose_html(text)


def test_uuid_is_stable_and_depends_on_the_mathematics_not_the_prose():
    a = load_problem(PROBLEMS / "01-bilinear-form.yaml")
    b = load_problem(PROBLEMS / "01-bilinear-form.yaml")
    b.statement, b.title = "Other words", "Other title"
    assert question_uuid(a) == question_uuid(b)
    assert uuid.UUID(str(question_uuid(a))).version == 5
    b.function = r"\mathbf{a}^T \mathbf{X}^T \mathbf{b}"
    assert question_uuid(a) != question_uuid(b)


# --- Moodle -----------------------------------------------------------------------------

#: The element structure of Moodle's own fixture question/format/xml/tests/fixtures/
#: multianswer.xml (a category question, then a cloze question), read with `fetch`.
MOODLE_CATEGORY = ["category"]
MOODLE_CLOZE = ["name", "questiontext", "generalfeedback", "penalty", "hidden"]


def test_moodle_xml_is_well_formed_and_shaped_like_moodles_fixtures(items):
    root = ET.fromstring(moodle_xml(items))
    assert root.tag == "quiz"
    category, *questions = list(root)
    assert category.get("type") == "category"
    assert [c.tag for c in category] == MOODLE_CATEGORY
    assert category.find("category/text").text.startswith("$course$/")
    assert len(questions) == len(items)
    for question, ex in zip(questions, items):
        assert question.get("type") == "cloze"
        tags = [c.tag for c in question]
        assert tags[:len(MOODLE_CLOZE)] == MOODLE_CLOZE and tags[-1] == "idnumber"
        assert question.find("name/text").text == ex.title
        assert question.find("questiontext").get("format") == "html"
        assert question.find("generalfeedback").get("format") == "html"
        float(question.find("penalty").text)
        text = question.find("questiontext/text").text
        keys = [float(k) for k, _ in NUMERICAL.findall(text)]
        assert keys == [b.key for b in ex.question.blanks]
        assert text.count("{1:") == len(keys)           # nothing else looks like a blank
        assert r"\(" in text and "$" not in text.replace("$course$", "")
        feedback = question.find("generalfeedback/text").text
        assert "Result" in feedback and r"\boxed{" in feedback


def test_moodle_cloze_tolerances_are_stated_and_used(items):
    root = ET.fromstring(moodle_xml(items[:1]))
    text = root.find("question[@type='cloze']/questiontext/text").text
    assert "within 1%" in text and "0.005" in text
    for key, tolerance in NUMERICAL.findall(text):
        assert float(tolerance) >= max(0.0049, 0.0099 * abs(float(key)))


def test_moodle_variants_go_into_a_category_per_problem(derivations):
    d = derivations["01-bilinear-form"]
    root = ET.fromstring(moodle_xml([exported(d, variant=1), exported(d, variant=2)]))
    kinds = [(q.get("type"), q.findtext("category/text") or q.findtext("name/text"))
             for q in root]
    assert kinds[0] == ("category", "$course$/top/derivgen/01-bilinear-form")
    assert [k for k, _ in kinds] == ["category", "cloze", "cloze"]
    texts = [q.findtext("questiontext/text") for q in root[1:]]
    assert texts[0] != texts[1]          # each variant its own point


# --- QTI (Canvas) ------------------------------------------------------------------------

QTI = "{http://www.imsglobal.org/xsd/ims_qtiasiv1p2}"
CP = "{http://www.imsglobal.org/xsd/imscp_v1p1}"


def test_qti_package_is_a_consistent_zip(items):
    data = qti_package(items, title="Homework 3")
    archive = zipfile.ZipFile(__import__("io").BytesIO(data))
    names = archive.namelist()
    assert "imsmanifest.xml" in names
    manifest = ET.fromstring(archive.read("imsmanifest.xml"))
    resources = manifest.findall(f"{CP}resources/{CP}resource")
    assert len(resources) == 1 and resources[0].get("type") == "imsqti_xmlv1p2"
    hrefs = [f.get("href") for f in resources[0].findall(f"{CP}file")]
    assert hrefs == [resources[0].get("href")] and set(hrefs) <= set(names)
    root = ET.fromstring(archive.read(hrefs[0]))
    assessment = root.find(f"{QTI}assessment")
    assert assessment.get("title") == "Homework 3"
    assert assessment.get("ident") == resources[0].get("identifier")
    item_list = assessment.findall(f".//{QTI}item")
    assert len(item_list) == sum(len(ex.question.blanks) for ex in items)
    assert len({i.get("ident") for i in item_list}) == len(item_list)
    blanks = [b for ex in items for b in ex.question.blanks]
    for item, blank in zip(item_list, blanks):
        fields = {f.findtext(f"{QTI}fieldlabel"): f.findtext(f"{QTI}fieldentry")
                  for f in item.iter(f"{QTI}qtimetadatafield")}
        assert fields["question_type"] == "numerical_question"
        assert item.find(f".//{QTI}render_fib").get("fibtype") == "Decimal"
        low = float(item.findtext(f".//{QTI}vargte"))
        high = float(item.findtext(f".//{QTI}varlte"))
        key = float(item.findtext(f".//{QTI}varequal"))
        assert low < key < high and key == blank.key
        assert np.isclose(high - key, blank.tolerance)
    first_items = [i for i in item_list if i.find(f"{QTI}itemfeedback") is not None]
    assert len(first_items) == len(items)     # the worked solution once per problem
    assert qti_package(items, title="Homework 3") == data     # byte for byte


# --- PrairieLearn -------------------------------------------------------------------------

def _load_server(folder: Path):
    spec = importlib.util.spec_from_file_location(f"pl_server_{folder.name}".replace("-", "_"),
                                                  folder / "server.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _pl_data(seed: int) -> dict:
    """The keys of PrairieLearn's ``data`` dict that generate() and grade() see."""
    return {"params": {}, "correct_answers": {}, "submitted_answers": {},
            "raw_submitted_answers": {}, "format_errors": {}, "partial_scores": {},
            "score": 0.0, "feedback": {}, "variant_seed": seed, "options": {},
            "answers_names": {}}


@pytest.fixture(scope="module")
def pl_course(items, tmp_path_factory):
    out = tmp_path_factory.mktemp("pl")
    sources = {(ex.id, None): load_yaml(str(PROBLEMS / f"{ex.id}.yaml")) for ex in items}
    folders = write_questions(items, out, sources)
    return out, folders


def test_prairielearn_questions_have_the_v3_files(items, pl_course):
    out, folders = pl_course
    assert [f.name for f in folders] == [ex.id for ex in items]
    for folder, ex in zip(folders, items):
        info = json.loads((folder / "info.json").read_text())
        assert info["uuid"] == ex.uuid and info["type"] == "v3" and info["title"] == ex.title
        markup = (folder / "question.html").read_text()
        assert "<pl-question-panel>" in markup and "<pl-answer-panel>" in markup
        inputs = re.findall(r'<pl-string-input answers-name="([^"]+)"', markup)
        assert inputs == [f"d_{w}" for w in ex.answers]
        # Mustache reads only our tags: no LaTeX braces in the template itself
        tags = re.findall(r"\{\{\{?([^{}]*)\}?\}\}", markup)
        assert all(re.fullmatch(r"(params|feedback)\.[A-Za-z0-9_.]+", t) for t in tags), tags
        assert "\\mathbf{X}" not in markup.replace(r"\mathbf{a}\mathbf{b}^T", "")
    uuids = [json.loads((f / "info.json").read_text())["uuid"] for f in folders]
    assert len(set(uuids)) == len(uuids)


def test_prairielearn_generate_fills_params_and_correct_answers(items, pl_course):
    _, folders = pl_course
    for folder, ex in zip(folders, items):
        server = _load_server(folder)
        data = _pl_data(seed=1234)
        server.generate(data)
        json.dumps(data)                          # PrairieLearn stores data as JSON
        assert data["params"]["seed"] == 1234
        assert set(data["correct_answers"]) == {f"d_{w}" for w in ex.answers}
        assert data["correct_answers"] == {f"d_{w}": latex for w, latex in ex.answers.items()}
        assert r"\boxed{" in data["params"]["results_html"]
        assert "Result" in data["params"]["solution_html"]
        assert set(data["params"]["labels"]) == set(data["correct_answers"])


def test_prairielearn_server_embeds_the_problem_it_was_made_from(items, pl_course):
    _, folders = pl_course
    server = _load_server(folders[0])
    assert server.PROBLEM["function"] == load_problem(PROBLEMS / f"{items[0].id}.yaml").function
    assert load_problem_data(server.PROBLEM).wrt == ["X"]


# --- the command ------------------------------------------------------------------------

def _run(capsys, *argv):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    assert "Traceback" not in err
    return code, out, err


def test_export_reports_a_broken_problem_and_exports_the_others(capsys, tmp_path):
    good = tmp_path / "good.yaml"
    good.write_text((PROBLEMS / "01-bilinear-form.yaml").read_text())
    bad = tmp_path / "bad.yaml"
    bad.write_text("title: Bad\nvariables: {x: {shape: [n]}}\n"
                   "statement: 'Find $\\href{javascript:alert(1)}{x}$'\n"
                   "function: '\\mathbf{x}^T\\mathbf{x}'\nwrt: x\n")
    code, _, err = _run(capsys, "export", "moodle", tmp_path, "-o", tmp_path / "q.xml")
    assert code == 1
    assert re.search(r"bad\.yaml:\d+: .*\\href", err), err
    root = ET.parse(tmp_path / "q.xml").getroot()
    assert [q.findtext("name/text") for q in root.findall("question[@type='cloze']")] == \
        ["Derivative of a bilinear form"]


def test_export_usage_errors(capsys, tmp_path):
    code, _, err = _run(capsys, "export", "moodle", tmp_path / "missing", "-o", tmp_path / "x")
    assert code == 2
    code, _, err = _run(capsys, "export", "pdf", PROBLEMS / "01-bilinear-form.yaml", "-o", "x")
    assert code == 2 and "invalid choice" in err
    (tmp_path / "dir").mkdir()
    code, _, err = _run(capsys, "export", "qti", PROBLEMS / "01-bilinear-form.yaml",
                        "-o", tmp_path / "dir")
    assert code == 2 and "is a folder" in err   # a usage error, as build -o FILE


def test_export_writes_each_format(capsys, tmp_path):
    files = [PROBLEMS / "01-bilinear-form.yaml", PROBLEMS / "04-least-squares.yaml"]
    assert _run(capsys, "export", "moodle", *files, "-o", tmp_path / "q.xml", "-q")[0] == 0
    assert _run(capsys, "export", "qti", *files, "-o", tmp_path / "q.zip", "-q")[0] == 0
    assert _run(capsys, "export", "prairielearn", *files, "-o", tmp_path / "pl", "-q")[0] == 0
    assert len(ET.parse(tmp_path / "q.xml").getroot().findall("question")) == 3
    assert zipfile.ZipFile(tmp_path / "q.zip").testzip() is None
    assert sorted(p.name for p in (tmp_path / "pl" / "questions").iterdir()) == \
        ["01-bilinear-form", "04-least-squares"]


def test_concurrent_exports_to_one_file_leave_a_whole_file(tmp_path):
    """Two exports racing for one output: each writes a temporary file and renames it, so
    the file is always one whole export, never a mix or a truncated one."""
    import subprocess
    env_path = str(ROOT)
    cmd = [sys.executable, "-m", "derivgen", "export", "moodle",
           str(PROBLEMS / "01-bilinear-form.yaml"), "-o", str(tmp_path / "q.xml"), "-q"]
    runs = [subprocess.Popen(cmd, env={"PYTHONPATH": env_path, "PATH": "/usr/bin:/bin"})
            for _ in range(3)]
    assert [r.wait(timeout=120) for r in runs] == [0, 0, 0]
    ET.parse(tmp_path / "q.xml")
    assert [p.name for p in tmp_path.iterdir()] == ["q.xml"]


def test_prairielearn_grade_judges_typed_answers_like_derivgen_grade(items, pl_course):
    """generate() then grade() on PrairieLearn's data dict, for Example 5's four inputs."""
    _, folders = pl_course
    folder = folders[[ex.id for ex in items].index("60-two-layer-network")]
    server = _load_server(folder)
    data = _pl_data(seed=99)
    server.generate(data)
    answers = dict(data["correct_answers"])            # the verified results, as typed
    answers["d_W_2"] = r"\sum_{i=1}^{N} \mathbf{h}_{1,i} (\operatorname{softmax}" \
                       r"(\mathbf{a}_{2,i}) - \mathbf{y}_i)^T"   # transposed
    answers["d_b_2"] = r"\input{/etc/passwd}"                       # hostile
    data["submitted_answers"] = answers
    data["raw_submitted_answers"] = dict(answers)
    server.grade(data)
    json.dumps(data)
    scores = {name: part["score"] for name, part in data["partial_scores"].items()}
    assert scores == {"d_W_1": 1.0, "d_b_1": 1.0, "d_W_2": 0.0, "d_b_2": 0.0}
    assert data["score"] == 0.5
    assert data["feedback"]["d_b_2"] and data["feedback"]["d_W_2"]


def test_a_problem_without_variants_is_exported_once_with_variants(capsys, tmp_path):
    """Contract, section 5: a problem without `variants:` is the same in every variant."""
    code, _, _ = _run(capsys, "export", "moodle", PROBLEMS / "01-bilinear-form.yaml",
                      "--variants", "3", "-o", tmp_path / "q.xml", "-q")
    assert code == 0
    root = ET.parse(tmp_path / "q.xml").getroot()
    assert [q.get("type") for q in root] == ["category", "cloze"]
    assert root.find("question/category/text").text == "$course$/top/derivgen"


def test_variants_become_questions_of_their_own(capsys, tmp_path):
    """16-tanh-layer declares variants (the elementwise function): each variant is its own
    Moodle question in the problem's category, and its own PrairieLearn question whose
    server.py solves that variant."""
    problem = PROBLEMS / "16-tanh-layer.yaml"
    code, _, err = _run(capsys, "export", "moodle", problem, "--variants", "3", "--seed", "5",
                        "-o", tmp_path / "q.xml", "-q")
    assert code == 0, err
    root = ET.parse(tmp_path / "q.xml").getroot()
    assert [q.get("type") for q in root] == ["category", "cloze", "cloze", "cloze"]
    assert root.find("question/category/text").text == "$course$/top/derivgen/16-tanh-layer"
    assert [q.findtext("idnumber") for q in root[1:]] == [f"16-tanh-layer-v{k}" for k in (1, 2, 3)]
    code, _, err = _run(capsys, "export", "prairielearn", problem, "--variants", "3",
                        "--seed", "5", "-o", tmp_path / "pl", "-q")
    assert code == 0, err
    functions = []
    for k in (1, 2, 3):
        server = _load_server(tmp_path / "pl" / "questions" / f"16-tanh-layer-v{k}")
        assert server.VARIANT == k and "variants" not in server.PROBLEM
        expected = derivgen_solve(problem, variant=k, seed=5)
        assert solve(load_problem_data(server.PROBLEM)).function == expected.derivation.function
        functions.append(server.PROBLEM["function"])
    assert len(set(functions)) > 1


def test_non_ascii_math_reaches_mathjax_without_ensuremath():
    """The PDFs write α in problem math as \\ensuremath{\\alpha}; MathJax has no such command."""
    assert prose_html("Soit $α ≥ 0$.") == r"Soit \(\alpha \geq 0\)."


def test_exported_files_are_readable_like_any_new_file(capsys, tmp_path):
    """A site goes on a web server: its pages must not be private (0600) like temp files."""
    import os
    old = os.umask(0o022)
    try:
        assert _run(capsys, "export", "moodle", PROBLEMS / "01-bilinear-form.yaml",
                    "-o", tmp_path / "q.xml", "-q")[0] == 0
    finally:
        os.umask(old)
    assert (tmp_path / "q.xml").stat().st_mode & 0o777 == 0o644


def test_a_huge_numeric_question_is_refused_with_advice(capsys, tmp_path):
    problem = tmp_path / "big.yaml"
    problem.write_text("title: Big\nvariables:\n  A: {shape: [30, 30]}\n  x: {shape: [30]}\n"
                       "function: '\\mathbf{x}^T\\mathbf{A}\\mathbf{x}'\nwrt: A\n")
    code, _, err = _run(capsys, "export", "qti", problem, "-o", tmp_path / "q.zip")
    assert code == 1 and "big.yaml:2: " in err and "numeric question" in err
    assert "shape: [m, n]" in err and not (tmp_path / "q.zip").exists()


def test_a_point_has_the_sizes_the_problem_declares(derivations):
    """shape: [3] means 3 in the question too: stated sizes are the problem's own."""
    derivation = solve(load_problem_data({
        "title": "Fixed sizes", "wrt": "x",
        "variables": {"A": {"shape": [3, 3]}, "x": {"shape": [3]}},
        "function": r"\mathbf{x}^T\mathbf{A}\mathbf{x}"}))
    try:
        question = numeric_question(derivation)
    except DerivgenError as err:       # the sampler never kept the sizes: said, not wrong
        assert "declared sizes" in str(err)
    else:
        assert np.shape(question.values["A"]) == (3, 3)
        assert len(question.blanks) == 3


@pytest.mark.parametrize("kind, output, says", [
    ("moodle", "", "-o needs a file name"),
    ("qti", "", "-o needs a file name"),
    ("prairielearn", "", "-o needs a folder name"),
    ("html", "", "-o needs a folder name"),
    ("qti", "{tmp}", "is a folder; qti writes one file"),
    ("moodle", "{tmp}/missing/q.xml", "no such folder"),
    ("html", "{tmp}/a-file", "not a folder"),
])
def test_an_output_that_cannot_be_written_is_a_usage_error_before_any_work(
        kind, output, says, tmp_path, capsys, monkeypatch):
    (tmp_path / "a-file").write_text("keep me")
    monkeypatch.chdir(tmp_path)          # `-o ''` must not write into the current folder
    before = sorted(p.name for p in tmp_path.iterdir())
    code = main(["export", kind, str(PROBLEMS / "01-bilinear-form.yaml"),
                 "-o", output.format(tmp=tmp_path)])
    err = capsys.readouterr().err
    assert code == 2 and says in err and "Traceback" not in err
    assert sorted(p.name for p in tmp_path.iterdir()) == before
    assert (tmp_path / "a-file").read_text() == "keep me"


@pytest.mark.parametrize("target,out", [("moodle", "q.xml"), ("qti", "q.zip"),
                                        ("prairielearn", "pl"), ("html", "site")])
def test_a_symmetric_variable_exports_to_every_target(tmp_path, target, out, capsys):
    """The direction D of a symmetric variable's question is a matrix (its & once made the
    Moodle and Canvas exports refuse every problem by a symmetric matrix)."""
    problem = tmp_path / "logdet.yaml"
    problem.write_text("title: Log-determinant\nvariables: {S: {shape: [n, n], symmetric: true}}"
                       "\nfunction: '\\log\\det\\mathbf{S}'\nwrt: S\n", encoding="utf-8")
    assert main(["export", target, str(problem), "-o", str(tmp_path / out)]) == 0, \
        capsys.readouterr().err
    if target == "moodle":
        text = (tmp_path / out).read_text(encoding="utf-8")
        assert r"\mathbf{D} = \begin{bmatrix}" in text and "NUMERICAL" in text
    if target == "qti":
        with zipfile.ZipFile(tmp_path / out) as package:
            assert any(r"\mathbf{D} = \begin{bmatrix}" in package.read(name).decode()
                       for name in package.namelist() if name.endswith(".xml"))


def test_the_pdfs_shorthands_reach_mathjax_spelled_out():
    html = prose_html(r"Find $\hat{\mathbf{x}} = \argmax_{\mathbf{x}} \tr(\bm{X}) - \diag(t)$"
                      r" and $\mathbf{y} \coloneqq \argmin \rank(\mathbf{A})$.")
    for shorthand in (r"\argmax", r"\argmin", r"\tr(", r"\bm{", r"\diag", r"\rank",
                      r"\coloneqq"):
        assert shorthand not in html, shorthand
    assert r"\operatorname*{arg\,max}_{\mathbf{x}}" in html and r"\boldsymbol{X}" in html
    assert r"\operatorname{tr}(\boldsymbol{X})" in html


@pytest.mark.parametrize("name", ["06-quadratic-form", "14-ridge-regression",
                                  "40-logistic-hessian"])
def test_a_hessian_by_a_vector_is_asked_and_keyed_by_second_differences_of_f(name):
    """Independent of the derivation: second central differences of f, entry by entry."""
    derivation = solve(load_problem(PROBLEMS / f"{name}.yaml"))
    question = numeric_question(derivation)
    hessians = [p for p in question.parts if p.lhs.startswith(r"\nabla^2")]
    assert len(hessians) == 1
    part, values = hessians[0], question.values
    base = np.asarray(values[part.wrt], dtype=float).reshape(-1)
    n, h = base.size, 1e-3
    assert len(part.cells) == n and all(len(row) == n for row in part.cells)

    def f(shift):
        return _f(derivation, {**values, part.wrt: (base + shift).reshape(
            np.shape(values[part.wrt]))}).real
    for i in range(n):
        for j in range(n):
            ei, ej = np.eye(n)[i] * h, np.eye(n)[j] * h
            second = (f(ei + ej) - f(ei - ej) - f(-ei + ej) + f(-ei - ej)) / (4 * h * h)
            key = part.cells[i][j][0].key
            assert abs(second - key) <= 1e-3 * (1 + abs(second)), (i, j, second, key)
    assert "d2f/d" in part.cells[0][0][0].label
    xml = moodle_xml([exported(derivation)])
    assert xml.count(b"NUMERICAL") >= n * n + n
