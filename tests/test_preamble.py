r"""set.yaml ``preamble:``: packages from an allowlist, macros checked against the prose
allowlist and expanded by derivgen in every problem text, the set's documents, exports and
cache.

Each file in ``fixtures/preamble`` is a ``set.yaml`` whose first line states the error it
must give (``# expect: :LINE: message``), as in ``fixtures/errors``.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import VALID
from derivgen.build.cache import BuildCache
from derivgen.cli import main
from derivgen.errors import DerivgenError
from derivgen.problem.commands import (MATH_COMMANDS, PACKAGES, control_sequences,
                                       first_disallowed)
from derivgen.problem.load import expand_paths, load_problem, load_set, preamble_key
from derivgen.problem.preamble import MAX_EXPANDED_TEXT, read_preamble

FIXTURES = sorted((Path(__file__).parent / "fixtures" / "preamble").glob("*.yaml"))
PACKAGE = Path(__file__).resolve().parent.parent / "derivgen"


def expectation(path: Path) -> str:
    first = path.read_text(encoding="utf-8").splitlines()[0]
    assert first.startswith("# expect: "), f"{path.name} must state its expectation"
    return first[len("# expect: "):]


@pytest.mark.parametrize("path", FIXTURES, ids=[p.stem for p in FIXTURES])
def test_a_bad_preamble_is_reported_at_its_line(path, tmp_path, capsys):
    folder = tmp_path / "set"
    folder.mkdir()
    shutil.copy(path, folder / "set.yaml")
    (folder / "a.yaml").write_text(VALID, encoding="utf-8")
    assert main(["check", str(folder)]) == 1
    err = capsys.readouterr().err
    assert f"{folder / 'set.yaml'}{expectation(path)}" in err, err
    assert err.count(expectation(path)) == 1      # one mistake, said once (not per problem)
    assert "Traceback" not in err and "internal error" not in err
    # A file of the set checked alone is read with the set's preamble: the same error (the
    # set's instructions are the documents', not the file's).
    alone = main(["check", str(folder / "a.yaml")])
    err = capsys.readouterr().err
    if path.stem.startswith("instructions"):
        assert alone == 0 and err == ""
    else:
        assert alone == 1 and f"{folder / 'set.yaml'}{expectation(path)}" in err


# --- expansion, TeX's way ------------------------------------------------------------------

MACROS = {"R": r"\mathbb{R}", "vx": r"\mathbf{x}", "al": r"\alpha",
          "norm": r"\left\|#1\right\|", "nsq": r"\norm{#1}_2^2",
          "inner": r"\langle #1, #2 \rangle", "twice": "#1#1", "T": None}

EXPANSIONS = [
    (r"\R^n", r"\mathbb{R}^n"),
    (r"\vx^T\vx", r"\mathbf{x}^T\mathbf{x}"),
    (r"\al b", r"\alpha b"),                         # the space TeX skips, kept
    (r"\al{}b", r"\alpha{}b"),
    (r"\twice\al b", r"\alpha\alpha b"),             # one token as the argument
    (r"\twice{\al}x", r"\alpha\alpha x"),            # no \alphax: a control word stays one
    (r"\norm{\vx}", r"\left\|\mathbf{x}\right\|"),
    (r"\norm \vx", r"\left\|\mathbf{x}\right\|"),
    (r"\nsq{\mathbf{A}\vx - \mathbf{b}}", r"\left\|\mathbf{A}\mathbf{x} - \mathbf{b}\right\|_2^2"),
    (r"\inner{\vx}{\norm{\vx}}", r"\langle \mathbf{x}, \left\|\mathbf{x}\right\| \rangle"),
    (r"\norm{\{a\}}", r"\left\|\{a\}\right\|"),
    (r"\Rx + \vxy", r"\Rx + \vxy"),                  # other commands: left alone
    (r"costs \$5, $\R$", r"costs \$5, $\mathbb{R}$"),
    ("no macros at all", "no macros at all"),
]


@pytest.mark.parametrize("text, expected", EXPANSIONS, ids=[e[0] for e in EXPANSIONS])
def test_macros_expand_as_tex_expands_them(text, expected):
    preamble = read_preamble({"macros": {k: v for k, v in MACROS.items() if v}})
    assert preamble.expand(text) == expected


def test_a_macro_may_not_take_a_name_the_parser_or_tex_knows():
    """Every command the formula parser spells, every allowed command and every package's
    are refused as macro names; so are the TeX primitives that reach files."""
    spelled = set()
    for source in (PACKAGE / "parse").glob("*.*"):
        spelled |= set(re.findall(r"\\\\([A-Za-z]+)", source.read_text(encoding="utf-8")))
    spelled |= {"input", "write", "csname", "catcode", "def", "end", "begin", "tr"}
    spelled.discard("math")     # the prefix of \\math(sf|rm) in the grammar's patterns
    names = sorted(spelled | set(MATH_COMMANDS)
                   | {c for commands in PACKAGES.values() for c in commands})
    accepted = []
    for name in names:
        try:
            read_preamble({"macros": {name: "x"}})
            accepted.append(name)
        except DerivgenError as err:
            assert "would redefine" in err.message or "letters only" in err.message
    # one letter: what the pattern finds in regular expressions (\\s+, \\w), no command
    assert [n for n in accepted if len(n) > 1] == []


def test_every_allowed_package_ships_with_the_tex_that_setup_installs():
    for name in PACKAGES:
        found = subprocess.run(["kpsewhich", f"{name}.sty"], capture_output=True, text=True)
        path = found.stdout.strip()
        assert path.endswith(f"{name}.sty"), name
        owner = subprocess.run(["dpkg", "-S", path], capture_output=True, text=True).stdout
        assert re.match(r"texlive-(base|latex-base|latex-recommended): ", owner), owner


# --- problem text --------------------------------------------------------------------------

SET = r"""
title: Macros and packages
course: SI231
instructions: 'For $\vx \in \R^n$, $\norm{\vx}$ is the Euclidean norm.'
preamble:
  packages: [bm, mathrsfs, mathtools, amssymb]
  macros:
    R: \mathbb{R}
    vx: \mathbf{x}
    mA: \mathbf{A}
    vb: \mathbf{b}
    norm: '\left\|#1\right\|'
    nsq: '\norm{#1}_2^2'
    lam: \bm{\lambda}
"""

LEAST_SQUARES = r"""
title: Least squares, in the set's notation
statement: 'Let $\mA \in \R^{m \times n}$, $\vb \in \R^m$ and $\mathscr{L}(\vx) \coloneqq \nsq{\mA\vx - \vb}$, with $\vx \succeq 0$ not assumed.'
variables:
  A: {shape: [m, n]}
  x: {shape: [n]}
  b: {shape: [m]}
  r: {shape: [], latex: '\lam'}
function: '\nsq{\mA\vx - \vb} + \lam\vx^T\vx'
wrt: x
answer: '2\mA^T(\mA\vx - \vb) + 2\lam\vx'
"""

CHAIN = r"""
title: A chain rule with macros
variables:
  W: {shape: [m, n]}
  x: {shape: [n]}
where:
  z: '\mathbf{W}\vx'
function: '\norm{\mathbf{z}}^2'
wrt: W
answer: '2\mathbf{W}\vx\vx^T'
"""


@pytest.fixture
def macro_set(tmp_path):
    folder = tmp_path / "set"
    folder.mkdir()
    (folder / "set.yaml").write_text(SET, encoding="utf-8")
    (folder / "01-ls.yaml").write_text(LEAST_SQUARES, encoding="utf-8")
    (folder / "02-chain.yaml").write_text(CHAIN, encoding="utf-8")
    return folder


def test_a_problem_is_read_with_its_sets_macros_expanded(macro_set):
    problem = load_problem(macro_set / "01-ls.yaml")
    assert problem.function == (r"\left\|\mathbf{A}\mathbf{x} - \mathbf{b}\right\|_2^2 + "
                                r"\bm{\lambda}\mathbf{x}^T\mathbf{x}")
    assert problem.answer == r"2\mathbf{A}^T(\mathbf{A}\mathbf{x} - \mathbf{b}) + 2\bm{\lambda}\mathbf{x}"
    assert problem.variables["r"].latex == r"\bm{\lambda}"
    assert r"\mathbb{R}^{m \times n}" in problem.statement and "\\R" not in problem.statement
    chain = load_problem(macro_set / "02-chain.yaml")
    assert chain.where[0].latex == r"\mathbf{W}\mathbf{x}"
    meta, files = expand_paths([macro_set])
    assert meta["instructions"] == (r"For $\mathbf{x} \in \mathbb{R}^n$, "
                                    r"$\left\|\mathbf{x}\right\|$ is the Euclidean norm.")
    assert meta["preamble"]["packages"] == ["bm", "mathrsfs", "mathtools", "amssymb"]
    assert len(files) == 2


def test_solve_and_check_of_one_file_of_the_set(macro_set, capsys):
    assert main(["solve", str(macro_set / "01-ls.yaml")]) == 0
    out = capsys.readouterr().out
    assert "\\" not in out.split("Result")[-1]      # Unicode, the macros long gone
    assert main(["check", str(macro_set / "02-chain.yaml")]) == 0
    capsys.readouterr()
    assert main(["solve", "--json", str(macro_set / "02-chain.yaml")]) == 0
    assert json.loads(capsys.readouterr().out)["results"][0]["latex"]


@pytest.mark.parametrize("key, value, line, words", [
    ("function", r"'\norm'", 8, r"\norm needs 1 argument in braces"),
    ("function", r"'\norm{\mathbf{x}'", 8, r"the argument of \norm has no closing '}'"),
    ("statement", r"'Minimize $\mathscr{L}$.'", 2, r"\mathscr needs the package mathrsfs"),
    ("statement", "'" + r"$\twice{" * 30 + "x" + "}" * 30 + "$'", 2,
     "longer than 40,000 characters once the set's macros are expanded"),
    ("function", r"'\norm{\mathbf{x}} + \input{x}'", 8, r"unknown command \input"),
])
def test_a_bad_use_of_a_macro_is_an_error_at_the_problems_line(tmp_path, capsys, key, value,
                                                                 line, words):
    folder = tmp_path / "set"
    folder.mkdir()
    (folder / "set.yaml").write_text(
        "preamble:\n  macros:\n    norm: '\\left\\|#1\\right\\|'\n    twice: '#1#1'\n")
    text = ("title: t\nstatement: s\nvariables:\n  x: {shape: [n]}\n  y: {shape: [n]}\n"
            "  z: {shape: [n]}\nwrt: x\nfunction: '\\norm{\\mathbf{x}}^2'\n")
    text = re.sub(rf"(?m)^{key}: .*$", lambda _: f"{key}: {value}", text)
    (folder / "p.yaml").write_text(text, encoding="utf-8")
    started = time.monotonic()
    assert main(["check", str(folder / "p.yaml")]) == 1
    err = capsys.readouterr().err
    assert f"p.yaml:{line}: " in err and words in err, err
    assert "Traceback" not in err and "internal error" not in err
    assert time.monotonic() - started < 30        # no blow-up (a nested \twice is 2^30)


def test_package_commands_need_the_package_even_without_a_set(write, capsys):
    path = write("p.yaml", VALID + "statement: 'Let $\\mathscr{L} \\coloneqq f$.'\n")
    assert main(["check", str(path)]) == 1
    assert "p.yaml:9: \\mathscr needs the package mathrsfs" in capsys.readouterr().err


# --- documents, cache, exports ----------------------------------------------------------------

def test_the_set_builds_with_its_packages_and_no_overfull_line(macro_set, tmp_path):
    out = tmp_path / "out"
    assert main(["build", str(macro_set), "-o", str(out), "-q"]) == 0
    for kind in ("worksheet", "solutions", "answers"):
        tex = (out / f"{kind}.tex").read_text(encoding="utf-8")
        head = tex[:tex.index(r"\begin{document}")]
        assert [line for line in head.splitlines() if "usepackage{" in line][-3:] == [
            r"\usepackage{bm}%", r"\usepackage{mathrsfs}%", r"\usepackage{mathtools}%"]
        assert head.index(r"\usepackage{bm}") < head.index(r"\providecommand{\bm}")
        assert not re.search(r"\\(R|vx|mA|vb|norm|nsq|lam)(?![A-Za-z])", tex)
        log = (out / f"{kind}.log").read_text(encoding="latin-1")
        assert "Overfull" not in log and "Undefined control sequence" not in log
    text = subprocess.run(["pdftotext", str(out / "solutions.pdf"), "-"], capture_output=True,
                          text=True).stdout
    assert "Euclidean norm" in text and "\\" not in text


def test_a_changed_macro_rebuilds_and_changes_the_documents(macro_set, tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["build", str(macro_set), "-o", str(out), "-q"]) == 0
    before = (out / "solutions.tex").read_text(encoding="utf-8")
    key = preamble_key(macro_set / "01-ls.yaml")
    # Another title: the problems' entries are still good (the key leaves the title out).
    set_file = macro_set / "set.yaml"
    set_file.write_text(SET.replace("title: Macros and packages", "title: Week 2"))
    assert preamble_key(macro_set / "01-ls.yaml") == key
    # Another body: new keys, and new documents (no stale entry, no "up to date").
    set_file.write_text(SET.replace(r"vx: \mathbf{x}", r"vx: \boldsymbol{x}"))
    assert preamble_key(macro_set / "01-ls.yaml") != key
    capsys.readouterr()
    assert main(["build", str(macro_set), "-o", str(out)]) == 0
    assert "up to date" not in capsys.readouterr().out
    after = (out / "solutions.tex").read_text(encoding="utf-8")
    assert r"\boldsymbol{x}" in after and r"\boldsymbol{x}" not in before
    assert r"\mathbf{x}" in before
    cache = BuildCache(out)
    assert cache.problem_key(macro_set / "01-ls.yaml", "", key) \
        != cache.problem_key(macro_set / "01-ls.yaml", "", preamble_key(macro_set / "01-ls.yaml"))


def test_exports_carry_the_macros_expanded(macro_set, tmp_path):
    unexpanded = re.compile(r"\\(R|vx|mA|vb|norm|nsq|lam)(?![A-Za-z])")
    assert main(["export", "moodle", str(macro_set), "-o", str(tmp_path / "q.xml"), "-q"]) == 0
    assert not unexpanded.search((tmp_path / "q.xml").read_text(encoding="utf-8"))
    assert main(["export", "qti", str(macro_set), "-o", str(tmp_path / "q.zip"), "-q"]) == 0
    with zipfile.ZipFile(tmp_path / "q.zip") as archive:
        for name in archive.namelist():
            assert not unexpanded.search(archive.read(name).decode("utf-8")), name
    course = tmp_path / "course"
    assert main(["export", "prairielearn", str(macro_set), "-o", str(course), "-q"]) == 0
    servers = sorted(course.glob("questions/*/server.py"))
    assert len(servers) == 2
    for server in servers:
        source = server.read_text(encoding="utf-8")
        assert not unexpanded.search(source.replace("\\\\", "\\"))
        # The embedded problem solves on its own, without the set beside it.
        namespace: dict = {}
        exec(compile(source, str(server), "exec"), namespace)  # noqa: S102 -- our own output
        assert namespace["_solution"]().verified
        data = {"params": {}, "correct_answers": {}, "variant_seed": 1}
        namespace["generate"](data)
        data.update(submitted_answers=dict(data["correct_answers"]), partial_scores={},
                    feedback={})
        namespace["grade"](data)
        assert data["correct_answers"] and data["score"] == 1.0
    site = tmp_path / "site"
    assert main(["export", "html", str(macro_set), "-o", str(site), "-q"]) == 0
    for page in site.glob("*.html"):
        assert not unexpanded.search(page.read_text(encoding="utf-8")), page.name


def test_the_package_commands_typeset_in_the_browser(macro_set, tmp_path):
    from test_export_html import rendered    # the browser helpers of the web export's tests
    math = " ".join(f"\\{name}" + "{x}" * count for commands in PACKAGES.values()
                    for name, count in commands.items())
    (macro_set / "03-all.yaml").write_text(VALID + f"statement: 'All of them: ${math}$.'\n")
    site = tmp_path / "site"
    assert main(["export", "html", str(macro_set), "-o", str(site), "-q"]) == 0
    for name in ("01-ls", "03-all"):
        page_path = site / f"{name}.html"
        source = page_path.read_text(encoding="utf-8")
        assert r"\mathscr{" in source and r"\succeq" in source
        page, _ = rendered(tmp_path, page_path)
        assert page.rendered_flag and page.katex > 5 and page.errors == 0


def test_variants_of_a_set_with_a_preamble(tmp_path):
    folder = tmp_path / "set"
    folder.mkdir()
    (folder / "set.yaml").write_text("title: V\npreamble:\n  packages: [bm]\n"
                                     "  macros:\n    vx: \\mathbf{x}\n")
    (folder / "v.yaml").write_text(
        "title: Scaled quadratic\nvariables:\n  x: {shape: [n]}\n  A: {shape: [n, n]}\n"
        "function: '<<k>>\\vx^T\\mathbf{A}\\vx'\nwrt: x\n"
        "answer: '<<k>>(\\mathbf{A} + \\mathbf{A}^T)\\vx'\nvariants:\n  k: [2, 3]\n",
        encoding="utf-8")
    out = tmp_path / "class"
    assert main(["build", str(folder), "--variants", "2", "-o", str(out), "-q"]) == 0
    assert r"\usepackage{bm}" in (out / "key.tex").read_text(encoding="utf-8")
    sources = [(out / f"{n:03d}" / "solutions.tex").read_text(encoding="utf-8") for n in (1, 2)]
    assert all(r"\mathbf{x}^T\mathbf{A}\mathbf{x}" in s and "\\vx" not in s for s in sources)


def test_load_set_keeps_the_preamble_out_of_the_printed_meta(macro_set):
    meta, _ = load_set(macro_set)
    assert "preamble" not in meta and meta["course"] == "SI231"


def test_the_same_file_in_two_sets_gets_each_sets_macros_even_built_at_once(tmp_path):
    """The shared store is keyed by content: the same problem file (name and bytes) in two
    sets whose \\vx differ must not get the other set's entry, also when both build at the
    same time into the same store."""
    problem = ("title: q\nvariables:\n  x: {shape: [n]}\n  A: {shape: [n, n]}\n"
               "function: '\\vx^T\\mathbf{A}\\vx'\nwrt: x\n")
    bodies = {"one": r"\mathbf{x}", "two": r"\boldsymbol{x}"}
    for name, body in bodies.items():
        (tmp_path / name).mkdir()
        (tmp_path / name / "set.yaml").write_text(f"preamble:\n  macros:\n    vx: '{body}'\n")
        (tmp_path / name / "q.yaml").write_text(problem)
    env = {**os.environ, "PYTHONPATH": str(PACKAGE.parent)}
    runs = [subprocess.Popen([sys.executable, "-m", "derivgen", "build", str(tmp_path / name),
                              "-o", str(tmp_path / f"out-{name}"), "-q"], env=env,
                             stderr=subprocess.PIPE, text=True) for name in bodies]
    assert [run.wait(timeout=300) for run in runs] == [0, 0], [r.stderr.read() for r in runs]
    for name, body in bodies.items():     # the function as written: with the set's \vx
        tex = (tmp_path / f"out-{name}" / "worksheet.tex").read_text(encoding="utf-8")
        tex = tex[tex.index(r"\begin{document}"):]
        assert f"{body}^T\\mathbf{{A}}{body}" in tex
        assert ("boldsymbol" in tex) == (name == "two")


def test_at_most_a_hundred_macros(tmp_path):
    many = {f"q{chr(97 + i // 26)}{chr(97 + i % 26)}": "x" for i in range(101)}
    with pytest.raises(DerivgenError, match="has 101 macros; at most 100"):
        read_preamble({"macros": many})
    assert len(read_preamble({"macros": dict(list(many.items())[:100])}).macros) == 100


def test_every_command_of_every_package_typesets(tmp_path):
    """Each package's commands, all in one statement, compile with the set's packages."""
    folder = tmp_path / "set"
    folder.mkdir()
    (folder / "set.yaml").write_text(f"preamble:\n  packages: [{', '.join(PACKAGES)}]\n")
    math = " ".join(f"\\{name}" + "{x}" * count for commands in PACKAGES.values()
                    for name, count in commands.items())
    (folder / "p.yaml").write_text(VALID + f"statement: 'All of them: ${math}$.'\n")
    out = tmp_path / "out"
    assert main(["build", str(folder), "-o", str(out), "-q"]) == 0
    log = (out / "worksheet.log").read_text(encoding="latin-1")
    assert "Undefined control sequence" not in log and "Overfull" not in log
    assert math in (out / "worksheet.tex").read_text(encoding="utf-8")


PIECES = [r"\mathbf{x}", r"\alpha", "x", "+", "^T", "{", "}", " ", "#1", "#2", r"\frac{a}{b}",
          r"\left(", r"\right)", r"\aa", r"\bb", r"\cc", r"\input", "$", "%", r"\\", "^^5c"]


@settings(max_examples=300, deadline=None, derandomize=True)
@given(bodies=st.lists(st.lists(st.sampled_from(PIECES), max_size=8).map("".join),
                       min_size=1, max_size=3),
       text=st.lists(st.sampled_from(PIECES + [r"\aa", r"\bb", r"\cc"] * 3), max_size=40)
       .map("".join))
def test_expansion_never_lets_a_disallowed_command_through(bodies, text):
    """Any macros (valid or not) and any text: a DerivgenError, or a result whose commands
    are the allowlist's or the text's own (macros add nothing outside the allowlist)."""
    try:
        preamble = read_preamble({"macros": dict(zip(["aa", "bb", "cc"], bodies))})
    except DerivgenError:
        return
    for macro in preamble.macros:
        assert first_disallowed("".join(macro.body).replace("#", "")) is None
    try:
        expanded = preamble.expand(text)
    except DerivgenError as err:
        assert err.fragment == text and 0 <= err.column <= len(text)
        return
    assert len(expanded) <= MAX_EXPANDED_TEXT
    own = {name for name, _ in control_sequences(text)}
    found = {name for name, _ in control_sequences(expanded)}
    assert found <= set(MATH_COMMANDS) | set(",;:! |{}%&#_$") | own
    assert not found & {macro.name for macro in preamble.macros}


def test_a_build_reports_bad_instructions_at_their_line_in_set_yaml(tmp_path, capsys):
    folder = tmp_path / "set"
    folder.mkdir()
    (folder / "set.yaml").write_text("title: t\ninstructions: 'Mind $\\norm{x}$ and $\\csname$.'\n"
                                     "preamble:\n  macros:\n    norm: '\\left\\|#1\\right\\|'\n")
    (folder / "a.yaml").write_text(VALID, encoding="utf-8")
    assert main(["build", str(folder), "-o", str(tmp_path / "out"), "-q"]) == 1
    err = capsys.readouterr().err
    assert f"{folder / 'set.yaml'}:2: LaTeX command \\csname is not allowed" in err, err
