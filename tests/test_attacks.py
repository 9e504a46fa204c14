"""Attacks: what a careless or hostile user can throw at derivgen, and the clean outcome of each.

Every case asserts no traceback, the exit code, the file and line of the message, and that
the work stayed bounded (an alias bomb fails before it is expanded, rendering is linear).
Cases that need the real TeX run build a few small problems only.
"""

from __future__ import annotations

import fcntl
import os
import re
import resource
import signal
import subprocess
import sys
import time
import unicodedata
from pathlib import Path

import pytest

from conftest import PROBLEMS, ROOT, VALID
from derivgen.cli import main

#: A problem to put hostile values into: ``{slot}`` is replaced by YAML lines.
TEMPLATE = """\
title: t
variables:
  a: {{shape: [n]}}
  x: {{shape: [n]}}
function: '\\mathbf{{a}}^T\\mathbf{{x}}'
{slot}
"""

#: 9 levels of 9 aliases each: 9**7 strings (about 4.8 million) from a few hundred bytes.
BOMB_ANCHORS = ("&a [x,x,x,x,x,x,x,x,x]", "&b [*a,*a,*a,*a,*a,*a,*a,*a,*a]",
                "&c [*b,*b,*b,*b,*b,*b,*b,*b,*b]", "&d [*c,*c,*c,*c,*c,*c,*c,*c,*c]",
                "&e [*d,*d,*d,*d,*d,*d,*d,*d,*d]", "&f [*e,*e,*e,*e,*e,*e,*e,*e,*e]",
                "&g [*f,*f,*f,*f,*f,*f,*f,*f,*f]")


def bomb_value() -> str:
    """A flow sequence whose last element holds the whole bomb (one YAML value)."""
    return "[" + ", ".join(BOMB_ANCHORS) + "]"


def run(capsys, *argv):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    assert "Traceback" not in err and "internal error" not in err, err
    return code, out, err


def check_one(capsys, tmp_path, text: str, name: str = "p.yaml"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    code, out, err = run(capsys, "check", path)
    return path, code, err


def line_of(text: str, start: str) -> int:
    return next(n for n, line in enumerate(text.splitlines(), 1) if line.startswith(start))


# ---------------------------------------------------------------------------------------------
# YAML: aliases, recursion, depth, size


@pytest.mark.parametrize("slot", [
    "wrt: {bomb}", "wrt: x\nhessian: {bomb}", "wrt: x\nfunctions: {{g: {bomb}}}",
    "wrt: x\nanswer: {bomb}", "wrt: x\nstatement: {bomb}", "wrt: x\ntitle2: {bomb}",
])
def test_alias_bomb_fails_fast_at_its_key(capsys, tmp_path, slot):
    text = TEMPLATE.format(slot=slot.format(bomb=bomb_value())).replace("title: t\n", "", 1)
    text = "title: t\n" + text
    key = slot.split("\n")[-1].split(":")[0]
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    path, code, err = check_one(capsys, tmp_path, text)
    grown = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before
    assert code == 1
    assert err.startswith(f"{path}:{line_of(text, key + ':')}: ")
    assert "aliases" in err and len(err) < 400
    assert grown < 200_000   # kilobytes: the bomb was measured, never expanded


@pytest.mark.parametrize("where", ["variables", "shape", "index", "order"])
def test_alias_bomb_in_a_variable_or_a_set(capsys, tmp_path, where):
    if where == "order":
        (tmp_path / "p.yaml").write_text(VALID, encoding="utf-8")
        (tmp_path / "set.yaml").write_text(f"title: s\norder: {bomb_value()}\n")
        code, _, err = run(capsys, "check", tmp_path)
        assert code == 1 and err.startswith(f"{tmp_path / 'set.yaml'}:2: ")
        return
    value = {"variables": f"variables: {bomb_value()}",
             "shape": f"variables:\n  x: {{shape: {bomb_value()}}}",
             "index": f"variables:\n  x: {{shape: [n], index: {bomb_value()}}}"}[where]
    text = f"title: t\n{value}\nfunction: 'x'\nwrt: x\n"
    path, code, err = check_one(capsys, tmp_path, text)
    assert code == 1 and err.startswith(f"{path}:2: ") and "aliases" in err


def test_a_recursive_alias_is_named_as_such(capsys, tmp_path):
    text = "title: t\nvariables: &v {x: {shape: [n]}, y: *v}\nfunction: 'x'\nwrt: x\n"
    path, code, err = check_one(capsys, tmp_path, text)
    assert code == 1 and err.startswith(f"{path}:2: ") and "recursive alias" in err
    assert "tabs" not in err


@pytest.mark.parametrize("depth", [60, 100_000])
def test_deep_nesting_is_an_error_at_its_line(capsys, tmp_path, depth):
    text = TEMPLATE.format(slot="wrt: " + "[" * depth + "]" * depth)
    path, code, err = check_one(capsys, tmp_path, text)
    assert code == 1 and err.startswith(f"{path}:6: ") and "nested too deeply" in err


def test_a_huge_file_is_refused_before_parsing(capsys, tmp_path):
    text = TEMPLATE.format(slot="wrt: x\n# " + "x" * 1_100_000)
    path, code, err = check_one(capsys, tmp_path, text)
    assert code == 1 and err.startswith(f"{path}:1: ") and "at most 1,000,000" in err


@pytest.mark.parametrize("key, value, limit", [
    ("title", "T" * 200_000, "300"), ("statement", "word " * 10_000, "20,000"),
])
def test_overlong_text_is_an_error_at_its_key(capsys, tmp_path, key, value, limit):
    text = TEMPLATE.format(slot=f"wrt: x\n{key}: '{value}'").replace("title: t\n", "") \
        if key == "title" else TEMPLATE.format(slot=f"wrt: x\n{key}: '{value}'")
    path, code, err = check_one(capsys, tmp_path, text)
    assert code == 1 and err.startswith(f"{path}:{line_of(text, key + ':')}: ")
    assert f"at most {limit}" in err and len(err) < 300


def test_overlong_set_title_is_reported_at_set_yaml(capsys, tmp_path):
    (tmp_path / "p.yaml").write_text(VALID, encoding="utf-8")
    (tmp_path / "set.yaml").write_text("order: [p]\ntitle: " + "S" * 5000 + "\n")
    code, _, err = run(capsys, "check", tmp_path)
    assert code == 1 and err.startswith(f"{tmp_path / 'set.yaml'}:2: ")


def test_huge_numeric_shape_is_verified_at_small_sizes(capsys, tmp_path):
    # the derivation does not depend on how large a size is: [10000, 10000] and [100000000]
    # are verified at small sizes that keep the equalities between dimensions
    text = ("title: t\nvariables:\n  X: {shape: [10000, 10000]}\n  y: {shape: [10000]}\n"
            "  z: {shape: [100000000]}\n"
            "function: '\\mathbf{y}^T\\mathbf{X}\\mathbf{y} + \\mathbf{z}^T\\mathbf{z}'\n"
            "wrt: [X, z]\n")
    path, code, err = check_one(capsys, tmp_path, text)
    assert code == 0, err


def test_absurd_numeric_shape_is_refused_at_its_line(capsys, tmp_path):
    text = ("title: t\nvariables:\n  X: {shape: [10000000000000, 2]}\n  y: {shape: [2]}\n"
            "function: '\\mathbf{y}^T\\mathbf{X}^T\\mathbf{X}\\mathbf{y}'\nwrt: X\n")
    path, code, err = check_one(capsys, tmp_path, text)
    assert code == 1 and err.startswith(f"{path}:3: ") and "too large" in err


def test_overflowing_power_is_a_located_error(capsys, tmp_path):
    text = TEMPLATE.format(slot="wrt: x").replace(
        "function: '\\mathbf{a}^T\\mathbf{x}'", "function: '(\\mathbf{a}^T\\mathbf{x})^{100000}'")
    path, code, err = check_one(capsys, tmp_path, text)
    assert code == 1 and err.startswith(f"{path}:5: ") and "overflow" in err


def test_a_bad_value_is_quoted_short_in_the_message(capsys, tmp_path):
    text = TEMPLATE.format(slot="wrt: x\nhessian: [" + ", ".join(["yes-no"] * 5000) + "]")
    path, code, err = check_one(capsys, tmp_path, text)
    assert code == 1 and err.startswith(f"{path}:7: ") and len(err) < 300


# ---------------------------------------------------------------------------------------------
# rendering is linear in the size of an expression


def test_breaking_a_long_sum_measures_each_token_a_bounded_number_of_times(monkeypatch):
    from derivgen.render import layout

    calls = 0
    real = layout._token_width

    def counted(*args, **kwargs):
        nonlocal calls
        calls += 1
        return real(*args, **kwargs)

    monkeypatch.setattr(layout, "_token_width", counted)
    term = r"\exp(\mathbf{a}^T\mathbf{x} / 7)\,\mathbf{a}"
    for count in (100, 1000):
        calls = 0
        latex = " + ".join([term] * count)
        rows = layout.break_rows(latex, lhs=r"\frac{\partial f}{\partial \mathbf{x}}")
        assert " + ".join(row.removeprefix("+ ") for row in rows) == latex
        assert len(rows) > count // 10
        tokens = len(layout._TOKEN.findall(latex))
        assert calls <= 2 * tokens      # measured once (plus the lhs), not once per row


# ---------------------------------------------------------------------------------------------
# problem text: typeset whatever it holds, or report it at its own line


def problem_text(title="t", statement=None, latex=None, name="p") -> str:
    lines = [f"title: '{title}'"]
    if statement is not None:
        lines.append(f"statement: '{statement}'")
    b_latex = f", latex: '{latex}'" if latex else ""
    lines += ["variables:", "  a: {shape: [m]}", "  X: {shape: [m, n]}",
              f"  b: {{shape: [n]{b_latex}}}",
              "function: '\\mathbf{a}^T \\mathbf{X} \\mathbf{b}'", "wrt: X"]
    return "\n".join(lines) + "\n"


def tex_titles(out) -> list[list[str]]:
    """The problem headings of each of the three .tex files, in order."""
    return [re.findall(r"Problem \d+\.\\quad ([^}\n]*)", (out / f"{kind}.tex").read_text())
            for kind in ("worksheet", "solutions", "answers")]


def test_unicode_and_every_listed_command_typeset(capsys, tmp_path):
    from derivgen.render.prose import MATH_COMMANDS, sanitize_prose

    statement = ("Find $\\tr(\\mathbf{X}) \\coloneqq \\argmax_x f$, $\\bm{x}$, "
                 "$α ∈ ℝ^{n}$ and naïve Gödel’s “quotes” — 50% Ж.")
    (tmp_path / "u.yaml").write_text(problem_text(
        "Gradient wrt α 😀 中文 Ω", statement, latex="\\bm{b}"), encoding="utf-8")
    # every allowed command, used as it should be, in one statement of a second problem
    takes = {"frac": "{a}{b}", "dfrac": "{a}{b}", "tfrac": "{a}{b}", "binom": "{a}{b}",
             "left": "( x \\right)", "right": "", "middle": "", "limits": "", "nolimits": "",
             "not": "=", "substack": "{i}"}
    used = []
    for name in sorted(MATH_COMMANDS):
        if name in ("right", "middle", "limits", "nolimits", "substack"):
            continue
        if name in takes:
            used.append(f"\\{name}{takes[name]}")
        elif name.startswith(("big", "Big")):
            used.append(f"\\{name}( x \\{name})" if name[-1] not in "lrm" else f"\\{name}|")
        elif name in ("mathbf", "boldsymbol", "bm", "mathrm", "mathit", "mathsf", "mathtt",
                      "mathcal", "mathbb", "mathfrak", "operatorname", "text", "textrm",
                      "textit", "textbf", "sqrt", "boxed", "overline", "underline", "hat",
                      "tilde", "bar", "vec", "dot", "ddot", "widehat", "widetilde",
                      "underbrace", "overbrace", "phantom"):
            used.append(f"\\{name}{{A}}")
        else:
            used.append(f"\\{name}")
    used += ["\\sum\\limits_{\\substack{i}} x", "\\sum\\nolimits_i x",
             "\\left( x \\middle| y \\right)"]
    every = " ".join(f"${piece}$" for piece in used)
    sanitize_prose(every)       # allowed and well formed
    (tmp_path / "v.yaml").write_text(problem_text("All commands", every.replace("'", "''")),
                                     encoding="utf-8")
    out = tmp_path / "out"
    code, stdout, err = run(capsys, "build", tmp_path, "-o", out)
    assert code == 0, err
    assert "2 built, 0 failed" in stdout
    words = unicodedata.normalize("NFKC", subprocess.run(
        ["pdftotext", out / "solutions.pdf", "-"], capture_output=True, text=True).stdout)
    assert "[grinning face]" in words and "Gödel" in words and "50% Zh" in words


@pytest.mark.parametrize("statement, latex, key", [
    ("Find $\\frac{a}$.", None, "statement"), ("$\\left( x$", None, "statement"),
    ("$x^a^b$", None, "statement"), ("$x^$", None, "statement"),
    ("$\\text{a^b}$", None, "statement"), ("$\\big x$", None, "statement"),
    ("$x\\limits$", None, "statement"), ("$" + "{" * 40 + "x" + "}" * 40 + "$", None, "statement"),
    (None, "\\frac{b}", "  b:"), (None, "b$x", "  b:"), (None, "\\mathbf", "  b:"),
])
def test_text_tex_would_stop_on_is_reported_by_check_at_its_line(capsys, tmp_path, statement,
                                                                  latex, key):
    text = problem_text("T", statement, latex)
    path, code, err = check_one(capsys, tmp_path, text)
    assert code == 1 and err.startswith(f"{path}:{line_of(text, key if key[0] == ' ' else key + ':')}: ")


def test_text_that_still_breaks_latex_leaves_only_its_problem_out(capsys, tmp_path,
                                                                    monkeypatch):
    """Should a statement get past the checks and stop LaTeX, the build finds the problem
    from the line in the log, reports it at its file, and makes all three documents
    without it."""
    from derivgen.render import prose
    monkeypatch.setattr(prose, "check_structure", lambda math: None)
    (tmp_path / "a.yaml").write_text(problem_text("First"))
    (tmp_path / "b.yaml").write_text(problem_text("Broken", "Find $\\frac{a}$ now."))
    (tmp_path / "c.yaml").write_text(problem_text("Third"))
    out = tmp_path / "out"
    code, stdout, err = run(capsys, "build", "-j", "1", tmp_path, "-o", out)
    assert code == 1
    assert err.startswith(f"{tmp_path / 'b.yaml'}:2: LaTeX cannot typeset")
    assert "2 built, 1 failed" in stdout
    assert tex_titles(out) == [["First", "Third"]] * 3
    assert all((out / f"{kind}.pdf").exists() for kind in ("worksheet", "solutions", "answers"))
    assert not list(out.glob(".stage-*"))


# ---------------------------------------------------------------------------------------------
# the output folder: checked, one build at a time, never half old and half new


def cli(*args, timeout=120, **popen):
    """``python -m derivgen ARGS`` in a subprocess, started (not waited for)."""
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    env.pop("DERIVGEN_DEBUG", None)
    return subprocess.Popen([sys.executable, "-m", "derivgen", *map(str, args)], cwd=ROOT,
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            **popen)


def finished(process, timeout=120):
    out, err = process.communicate(timeout=timeout)
    assert "Traceback" not in err and "internal error" not in err, err
    return process.returncode, out, err


def two_sets(tmp_path):
    """Two one-problem sets whose documents differ in every file."""
    sets = []
    for name, title in (("A", "Set A bilinear"), ("B", "Set B bilinear")):
        folder = tmp_path / name
        folder.mkdir()
        (folder / "p.yaml").write_text(problem_text(title))
        sets.append(folder)
    return sets


def assert_consistent(out, titles_of):
    """The .tex files come from one input, and each PDF from its .tex."""
    titles = tex_titles(out)
    assert titles[0] == titles[1] == titles[2] and titles[0] in titles_of, titles
    for kind in ("worksheet", "solutions", "answers"):
        words = subprocess.run(["pdftotext", out / f"{kind}.pdf", "-"], capture_output=True,
                               text=True).stdout
        assert titles[0][0] in words
    assert not [p for p in out.iterdir() if p.name.startswith(".stage-")]


@pytest.mark.parametrize("output, words", [
    ("", "empty"), ("/dev/null", "not a folder"), ("FILE", "not a folder"),
    ("FILE/sub", "a part of the path is a file"),
])
def test_an_output_that_cannot_be_a_folder_is_a_usage_error(capsys, tmp_path, output, words):
    (tmp_path / "p.yaml").write_text(VALID)
    (tmp_path / "FILE").write_text("keep me")
    output = output.replace("FILE", str(tmp_path / "FILE"))
    code, _, err = run(capsys, "build", tmp_path / "p.yaml", "-o", output)
    assert code == 2 and words in err
    assert (tmp_path / "FILE").read_text() == "keep me"


def test_concurrent_builds_into_one_folder_never_mix_their_outputs(tmp_path):
    set_a, set_b = two_sets(tmp_path)
    out = tmp_path / "out"
    for _ in range(2):
        runs = [cli("build", "-q", set_a, "-o", out), cli("build", "-q", set_b, "-o", out)]
        assert [finished(r)[0] for r in runs] == [0, 0]
        assert_consistent(out, [["Set A bilinear"], ["Set B bilinear"]])
    # "up to date" only when the outputs are this input's
    last = tex_titles(out)[0][0]
    other = set_a if last.startswith("Set B") else set_b
    code, stdout, _ = finished(cli("build", other, "-o", out))
    assert code == 0 and "up to date" not in stdout
    assert_consistent(out, [[last.replace("B", "A") if other is set_a else
                             last.replace("A", "B")]])


def test_a_build_waits_for_the_one_holding_the_folder(tmp_path):
    set_a, _ = two_sets(tmp_path)
    out = tmp_path / "out"
    out.mkdir()
    with open(out / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        waiting = cli("build", set_a, "-o", out)
        time.sleep(1.0)
        assert waiting.poll() is None and not (out / "worksheet.tex").exists()
    code, stdout, _ = finished(waiting)
    assert code == 0 and "waiting for another derivgen build" in stdout
    assert_consistent(out, [["Set A bilinear"]])


@pytest.mark.parametrize("damage", ["build.json", "documents.json", "problems", "entry",
                                    "cache-file"])
def test_a_damaged_cache_is_rebuilt(capsys, tmp_path, damage):
    set_a, _ = two_sets(tmp_path)
    out = tmp_path / "out"
    assert run(capsys, "build", set_a, "-o", out)[0] == 0
    cache = out / ".cache"
    if damage == "cache-file":
        import shutil
        shutil.rmtree(cache)
        cache.write_text("not a folder")
    elif damage == "entry":
        for entry in (cache / "problems").glob("*.json"):
            entry.unlink()
            entry.mkdir()
    else:
        target = cache / damage
        if target.is_dir():
            import shutil
            shutil.rmtree(target)
        else:
            target.unlink(missing_ok=True)
        target.mkdir(exist_ok=True)
    (set_a / "p.yaml").write_text(problem_text("Set A edited"))
    for _ in range(2):
        code, stdout, err = run(capsys, "build", set_a, "-o", out)
        assert code == 0 and "1 built, 0 failed" in stdout, err
    assert tex_titles(out) == [["Set A edited"]] * 3


def test_a_read_only_or_full_output_folder_is_reported_and_keeps_the_old_outputs(
        capsys, tmp_path, monkeypatch):
    set_a, _ = two_sets(tmp_path)
    out = tmp_path / "out"
    assert run(capsys, "build", set_a, "-o", out)[0] == 0
    before = {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()}
    (set_a / "p.yaml").write_text(problem_text("Set A edited"))
    from derivgen import files

    def full(source, target):
        raise OSError(28, "No space left on device", str(target))

    monkeypatch.setattr(files.os, "replace", full)
    code, stdout, err = run(capsys, "build", set_a, "-o", out)
    assert code == 1 and "No space left on device" in err
    assert "0 failed" not in stdout.splitlines()[-1] or "other error" in stdout
    monkeypatch.undo()
    after = {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()}
    assert after == before and not list(out.glob(".stage-*"))


def test_a_file_size_limit_fails_cleanly(tmp_path):
    """A full disk, as RLIMIT_FSIZE makes it: every write past 60 kB fails."""
    set_a, _ = two_sets(tmp_path)
    out = tmp_path / "out"

    def small_files():
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (60_000, 60_000))

    code, stdout, err = finished(cli("build", set_a, "-o", out, preexec_fn=small_files))
    assert code == 1 and err.startswith(f"{out}") and "1 other error" in stdout
    assert not (out / "solutions.pdf").exists() and not list(out.glob(".stage-*"))
    assert finished(cli("build", set_a, "-o", out))[0] == 0
    assert_consistent(out, [["Set A bilinear"]])


# ---------------------------------------------------------------------------------------------
# interruptions: at any moment, by any signal


def workers_of(pid: int) -> set[int]:
    """The child processes of ``pid`` (Linux)."""
    children = set()
    for task in Path(f"/proc/{pid}/task").glob("*/children"):
        try:
            children |= {int(c) for c in task.read_text().split()}
        except OSError:
            pass
    return children


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def many_problems(tmp_path, count=8):
    folder = tmp_path / "many"
    folder.mkdir()
    for n in range(count):
        (folder / f"p{n}.yaml").write_text(problem_text(f"Problem number {n}"))
    return folder


@pytest.mark.parametrize("signals, delay", [
    ((signal.SIGINT,), 0.5), ((signal.SIGINT,), 2.0), ((signal.SIGTERM,), 1.2),
    ((signal.SIGINT, signal.SIGINT), 1.5), ((signal.SIGHUP,), 2.5),
])
def test_an_interrupted_build_leaves_no_workers_no_scratch_and_consistent_outputs(
        tmp_path, signals, delay):
    folder = many_problems(tmp_path)
    out = tmp_path / "out"
    build = cli("build", "-j", "2", "--no-cache", folder, "-o", out)
    time.sleep(delay)
    workers = workers_of(build.pid)
    for number in signals:
        build.send_signal(number)
        time.sleep(0.05)
    code, _, err = finished(build, timeout=60)
    # 130: stopped cleanly; minus the signal: it came before Python ran any of derivgen
    assert code in (0, 130, -signals[0]), err
    deadline = time.monotonic() + 10
    while any(alive(w) for w in workers) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not [w for w in workers if alive(w)]
    assert not list(out.glob(".*-*")) if out.exists() else True
    if (out / "worksheet.tex").exists():
        assert_consistent(out, [[f"Problem number {n}" for n in range(8)]])
    assert finished(cli("build", "-q", folder, "-o", out))[0] == 0
    assert_consistent(out, [[f"Problem number {n}" for n in range(8)]])


def test_a_killed_build_takes_its_workers_along_and_the_next_cleans_up(tmp_path):
    folder = many_problems(tmp_path)
    out = tmp_path / "out"
    build = cli("build", "-j", "2", "--no-cache", folder, "-o", out)
    deadline = time.monotonic() + 60
    while len(workers_of(build.pid) - {0}) < 1 and time.monotonic() < deadline:
        time.sleep(0.05)
    workers = workers_of(build.pid)
    build.kill()
    build.communicate()
    deadline = time.monotonic() + 10
    while any(alive(w) for w in workers) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert workers and not [w for w in workers if alive(w)]
    (out / ".stage-left-by-a-killed-build").mkdir(parents=True)
    assert finished(cli("build", "-q", folder, "-o", out))[0] == 0
    assert not list(out.glob(".stage-*"))


# ---------------------------------------------------------------------------------------------
# limits: time and memory per problem


def slow_problem(path, terms=300):
    sums = " + ".join(rf"\exp(\mathbf{{a}}^T\mathbf{{x}} / {k})" for k in range(1, terms + 1))
    path.write_text(TEMPLATE.format(slot="wrt: x").replace(r"'\mathbf{a}^T\mathbf{x}'",
                                                           f"'{sums}'"))
    return path


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_a_problem_past_its_time_is_reported_and_the_rest_go_on(capsys, tmp_path, jobs):
    good = tmp_path / "a.yaml"
    good.write_text(VALID)
    slow = slow_problem(tmp_path / "b.yaml")
    (tmp_path / "c.yaml").write_text(VALID)
    assert run(capsys, "check", good)[0] == 0    # warm: imports do not count against it
    started = time.monotonic()
    code, out, err = run(capsys, "check", "-j", jobs, "--timeout", "1.5", tmp_path)
    assert time.monotonic() - started < 30
    assert code == 1
    assert err.startswith(f"{slow}:5: deriving and checking this problem took longer than 1.5 s")
    assert f"{good}: ok" in out and "2 ok, 1 failed" in out


def test_a_variant_past_its_time_is_reported_and_the_rest_go_on(capsys, tmp_path):
    good = tmp_path / "a.yaml"
    good.write_text(VALID)
    slow = slow_problem(tmp_path / "b.yaml")
    assert run(capsys, "check", good)[0] == 0    # warm: imports do not count against it
    started = time.monotonic()
    code, out, err = run(capsys, "check", "--variants", "2", "--timeout", "1.5", tmp_path)
    assert time.monotonic() - started < 30
    assert code == 1
    assert f"{slow}:5: deriving and checking this problem took longer than 1.5 s" in err
    assert f"{good}: ok" in out


def _stuck(path):
    """A job stuck where no signal reaches Python, as in a long NumPy call."""
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGALRM})
    if path.name == "stuck.yaml":
        time.sleep(60)
    from derivgen.build.batch import Outcome
    return Outcome(path, path.name)


def test_a_stuck_worker_is_killed_at_its_deadline(tmp_path, monkeypatch):
    from derivgen.build import batch

    monkeypatch.setattr(batch, "KILL_GRACE", 0.5)
    files = [tmp_path / name for name in ("a.yaml", "stuck.yaml", "c.yaml", "d.yaml")]
    files[1].write_text(VALID)
    started = time.monotonic()
    try:
        outcomes = batch.run(_stuck, files, jobs=2, timeout=0.5)
    finally:
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGALRM})
    assert time.monotonic() - started < 20
    assert [o.ok for o in outcomes] == [True, False, True, True]
    assert "took longer than 0.5 s" in outcomes[1].error.message
    assert outcomes[1].error.line == line_of(VALID, "function:")


def test_a_problem_with_huge_numeric_sizes_is_verified_within_memory(capsys, tmp_path):
    # numeric sizes above 6 are verified at small sizes (issue 12): a [1000, 1000] Hessian
    # (a 10^12-entry array as written) needs no memory to speak of
    text = ("title: t\nvariables:\n  X: {shape: [1000, 1000]}\n"
            "function: '\\operatorname{tr}(\\mathbf{X}^T\\mathbf{X}\\mathbf{X}^T\\mathbf{X})'\n"
            "wrt: X\nhessian: true\n")
    path, code, err = check_one(capsys, tmp_path, text)
    assert code == 0, err


def _hog(path):
    """Asks for more memory than a problem may have (calloc: free unless refused)."""
    from derivgen.build.batch import MEMORY_LIMIT, Outcome
    try:
        block = bytearray(MEMORY_LIMIT + 2**30)
    except MemoryError:
        return Outcome(path, "refused")
    del block
    return Outcome(path, "allocated")


def test_a_problem_may_not_take_more_than_its_memory(tmp_path):
    from derivgen.build import batch

    files = [tmp_path / f"{n}.yaml" for n in range(3)]
    assert [o.value for o in batch.run(_hog, files, jobs=2)] == ["refused"] * 3
    assert bytearray(2**20)         # the limit is lifted after the batch


def test_running_out_of_memory_is_an_error_at_the_variables(capsys, tmp_path, monkeypatch):
    from derivgen import pipeline

    def exhausted(problem):
        raise MemoryError()

    monkeypatch.setattr(pipeline, "solve", exhausted)
    path, code, err = check_one(capsys, tmp_path, VALID)
    assert code == 1 and err.startswith(f"{path}:{line_of(VALID, 'variables:')}: ")
    assert "more memory" in err


def test_a_file_of_gigabytes_is_refused_without_reading_it_all(capsys, tmp_path):
    path = tmp_path / "huge.yaml"
    with open(path, "wb") as out:
        out.truncate(3 * 2**30)         # sparse: 3 GB of zero bytes, nothing on disk
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    code, _, err = run(capsys, "check", path)
    assert code == 1 and err.startswith(f"{path}:1: the file is too large")
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before < 100_000


@pytest.mark.parametrize("where", ["build.json", "store"])
def test_a_folder_in_place_of_a_cache_file_is_cleared_even_by_a_failing_build(
        capsys, tmp_path, where):
    set_a, _ = two_sets(tmp_path)
    out = tmp_path / "out"
    assert run(capsys, "build", set_a, "-o", out)[0] == 0
    if where == "build.json":
        (out / ".cache" / "build.json").unlink()
        (out / ".cache" / "build.json").mkdir()
    else:
        store = Path(os.environ["DERIVGEN_CACHE"]) / "problems"
        for entry in store.glob("*.json"):
            entry.unlink()
            (entry / "inside").mkdir(parents=True)
    (set_a / "q.yaml").write_text("title: [broken\n")
    code, _, err = run(capsys, "build", set_a, "-o", out)
    assert code == 1 and err.startswith(f"{set_a / 'q.yaml'}:")
    (set_a / "q.yaml").unlink()
    for _ in range(2):
        assert run(capsys, "build", set_a, "-o", out)[0] == 0
    assert not (out / ".cache" / "build.json").is_dir()


def test_a_huge_jobs_count_is_capped_at_the_cpus(capsys, tmp_path, monkeypatch):
    from derivgen.build import batch

    sizes = []
    monkeypatch.setattr(batch, "run_in_workers",
                        lambda job, paths, jobs, finish, timeout: (sizes.append(jobs),
                                                                   [finish(job(p)) for p in paths]))
    folder = many_problems(tmp_path, count=3)
    code, out, _ = run(capsys, "check", "-j", "99999999999999999999", folder)
    assert code == 0 and sizes and sizes[0] <= batch.usable_cpus()


@pytest.mark.parametrize("name", ["", ".", "/", "sub/"])
def test_new_needs_a_file_name(capsys, tmp_path, name, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code, _, err = run(capsys, "new", name)
    assert code == 2 and "NAME must name a file" in err
    assert list(tmp_path.iterdir()) == []


def test_a_fifo_is_not_a_missing_file(capsys, tmp_path):
    fifo = tmp_path / "p.yaml"
    os.mkfifo(fifo)
    code, _, err = run(capsys, "check", fifo)
    assert code == 2 and "not a regular file" in err and "no such" not in err
