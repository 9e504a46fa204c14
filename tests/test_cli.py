"""The command line: exit codes, FILE:LINE messages, batches that survive broken problems.

Most tests replace the pipeline (engine, renderers) with small fakes so that they test the
CLI alone; the tests at the end run the real pipeline on the shipped problems.
"""

from __future__ import annotations

import io
import json
import os
import sys
import types
from pathlib import Path

import pytest

from conftest import PROBLEMS, ROOT, VALID
from derivgen.cli import main, new_problem_text
from derivgen.errors import DerivgenError
from derivgen.problem.load import load_problem

BAD_YAML = "title: x\nvariables:\n  X: {shape: [m, n]\n function: x\n"


# ---------------------------------------------------------------------------------------------
# a fake pipeline


class FakePipeline:
    """Stands in for derivgen.pipeline and derivgen.render.*; records what it was given."""

    def __init__(self):
        self.documents_calls = []
        self.rendered = []   # ids of the problems derived and rendered, in order
        self.fail_ids: dict[str, BaseException] = {}
        self.documents_error: BaseException | None = None

    def derive(self, problem):
        if problem.id in self.fail_ids:
            raise self.fail_ids[problem.id]
        return types.SimpleNamespace(problem=problem, verified=True)

    def derivation_json(self, derivation):
        return {"id": derivation.problem.id, "title": derivation.problem.title,
                "results": [], "steps": [], "verified": True}

    def derivation_text(self, derivation, latex=False):
        return f"Derivation of {derivation.problem.title}"

    def render_problem(self, derivation):
        self.rendered.append(derivation.problem.id)
        return self.RenderedProblem(derivation.problem.id, {"solutions": derivation.problem.title})

    @staticmethod
    def RenderedProblem(id, parts):  # noqa: N802 -- stands in for the class
        return types.SimpleNamespace(id=id, parts=parts)

    def placeholder_problem(self, path, message):
        return self.RenderedProblem("failed:" + Path(path).stem, {"solutions": message})

    def build_documents(self, problems, out_dir, *, title, meta, cache=None, dropped=None):
        if self.documents_error:
            raise self.documents_error
        self.documents_calls.append(([p.id for p in problems], title, meta))
        out_dir = Path(out_dir)
        out_dir.mkdir(parents=True, exist_ok=True)
        written = {}
        for name in ("worksheet", "solutions", "answers"):
            written[name] = out_dir / f"{name}.pdf"
            written[name].write_text("%PDF fake")
        return written


@pytest.fixture
def fake(monkeypatch):
    pipeline = FakePipeline()
    modules = {
        "derivgen.pipeline": {"solve": pipeline.derive},
        "derivgen.render.json": {"derivation_json": pipeline.derivation_json},
        "derivgen.render.text": {"derivation_text": pipeline.derivation_text},
        "derivgen.render.documents": {"build_documents": pipeline.build_documents,
                                      "render_problem": pipeline.render_problem,
                                      "check_renderable": pipeline.render_problem,
                                      "RenderedProblem": pipeline.RenderedProblem,
                                      "placeholder_problem": pipeline.placeholder_problem},
    }
    for name, attrs in modules.items():
        module = types.ModuleType(name)
        module.__dict__.update(attrs)
        monkeypatch.setitem(sys.modules, name, module)
    monkeypatch.delenv("DERIVGEN_DEBUG", raising=False)
    return pipeline


def run(capsys, *argv):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    assert "Traceback" not in err
    return code, out, err


# ---------------------------------------------------------------------------------------------
# usage


def test_help(capsys):
    code, out, _ = run(capsys, "--help")
    assert code == 0
    for command in ("build", "solve", "check", "new"):
        assert command in out


@pytest.mark.parametrize("command", ["build", "solve", "check", "new"])
def test_command_help(capsys, command):
    code, out, _ = run(capsys, command, "--help")
    assert code == 0 and "usage: derivgen " + command in out


@pytest.mark.parametrize("argv", [[], ["frobnicate"], ["build"], ["check"], ["solve"],
                                  ["solve", "a.yaml", "b.yaml"], ["build", "--bogus", "x"]])
def test_usage_errors_exit_2(capsys, argv):
    code, _, err = run(capsys, *argv)
    assert code == 2 and "usage:" in err


@pytest.mark.parametrize("command", ["build", "check", "solve"])
def test_missing_path_is_a_usage_error(capsys, tmp_path, command):
    code, _, err = run(capsys, command, tmp_path / "missing.yaml")
    assert code == 2 and "missing.yaml" in err


def test_solve_refuses_a_folder(capsys, tmp_path):
    code, _, err = run(capsys, "solve", tmp_path)
    assert code == 2 and "folder" in err


def test_empty_folder_is_a_usage_error(capsys, tmp_path):
    code, _, err = run(capsys, "check", tmp_path)
    assert code == 2 and "no problem files" in err


def test_version(capsys):
    code, out, _ = run(capsys, "--version")
    assert code == 0 and out.startswith("derivgen ")


# ---------------------------------------------------------------------------------------------
# bad input: FILE:LINE: message on stderr, exit 1, never a traceback (no pipeline needed)


@pytest.mark.parametrize("command", ["check", "solve", "build"])
def test_bad_yaml_reports_file_and_line(capsys, write, tmp_path, command):
    path = write("broken.yaml", BAD_YAML)
    extra = ["-o", tmp_path / "out"] if command == "build" else []
    code, _, err = run(capsys, command, path, *extra)
    assert code == 1
    assert err.startswith(f"{path}:3: invalid YAML")


def test_validation_error_reports_line_of_key(capsys, write):
    path = write("typo.yaml", VALID.replace("wrt: X", "wrt: Q"))
    code, _, err = run(capsys, "check", path)
    assert code == 1
    assert f"{path}:7: 'wrt' names 'Q'" in err


def test_every_bad_file_is_reported(capsys, write, tmp_path):
    write("a-empty.yaml", "")
    write("b-list.yaml", "- 1\n")
    write("c-typo.yaml", VALID.replace("title:", "titel:"))
    code, out, err = run(capsys, "check", tmp_path)
    assert code == 1
    assert [line.split(":")[0] for line in err.splitlines()] == [
        str(tmp_path / n) for n in ("a-empty.yaml", "b-list.yaml", "c-typo.yaml")]
    assert "did you mean 'title'" in err
    assert out.strip().endswith("0 ok, 3 failed")


def test_subprocess_exit_codes(run_cli, write):
    bad = write("bad.yaml", BAD_YAML)
    result = run_cli("check", bad)
    assert result.returncode == 1
    assert f"{bad}:3:" in result.stderr and "Traceback" not in result.stderr
    assert run_cli("--help").returncode == 0
    usage = run_cli("check")
    assert usage.returncode == 2 and "Traceback" not in usage.stderr
    assert run_cli("check", bad.parent / "nope.yaml").returncode == 2


# ---------------------------------------------------------------------------------------------
# batches with a fake pipeline


def test_check_reports_each_problem(capsys, write, fake, tmp_path):
    good = write("a.yaml", VALID)
    write("b.yaml", BAD_YAML)
    code, out, err = run(capsys, "check", tmp_path)
    assert code == 1
    assert f"{good}: ok" in out
    assert out.strip().splitlines()[-1] == "1 ok, 1 failed"
    assert err.startswith(f"{tmp_path / 'b.yaml'}:3:")


def test_check_all_good_exits_0(capsys, write, fake, tmp_path):
    write("a.yaml", VALID)
    write("b.yaml", VALID)
    code, out, err = run(capsys, "check", tmp_path)
    assert code == 0 and err == "" and "2 ok, 0 failed" in out


def test_quiet_prints_only_errors(capsys, write, fake, tmp_path):
    write("a.yaml", VALID)
    code, out, err = run(capsys, "check", "-q", tmp_path)
    assert code == 0 and out == "" and err == ""
    code, out, _ = run(capsys, "build", "-q", tmp_path, "-o", tmp_path / "out")
    assert code == 0 and out == ""


def test_derivation_error_is_located(capsys, write, fake):
    path = write("a.yaml", VALID)
    fake.fail_ids["a"] = DerivgenError("the answer disagrees", line=8)
    code, _, err = run(capsys, "check", path)
    assert code == 1 and err.strip() == f"{path}:8: the answer disagrees"


def test_derivation_error_without_line_points_at_function(capsys, write, fake):
    path = write("a.yaml", VALID)
    fake.fail_ids["a"] = DerivgenError("cannot differentiate")
    code, _, err = run(capsys, "check", path)
    assert err.strip() == f"{path}:6: cannot differentiate"


def test_internal_error_is_one_line(capsys, write, fake, tmp_path):
    write("a.yaml", VALID)
    bad = write("b.yaml", VALID)
    write("c.yaml", VALID)
    fake.fail_ids["b"] = ZeroDivisionError("division by zero")
    code, out, err = run(capsys, "build", tmp_path, "-o", tmp_path / "out")
    assert code == 1
    assert err.strip() == f"{bad}:1: internal error: ZeroDivisionError: division by zero"
    assert fake.documents_calls[0][0] == ["a", "failed:b", "c"]  # b keeps its number
    assert "2 built, 1 failed" in out


def test_debug_shows_traceback(capsys, write, fake, monkeypatch):
    path = write("a.yaml", VALID)
    fake.fail_ids["a"] = RuntimeError("boom")
    monkeypatch.setenv("DERIVGEN_DEBUG", "1")
    assert main(["check", str(path)]) == 1
    err = capsys.readouterr().err
    assert "Traceback" in err and "internal error: RuntimeError: boom" in err


def test_build_uses_set_order_and_title(capsys, write, fake, tmp_path):
    for name in ("a", "b", "c"):
        write(f"set/{name}.yaml", VALID)
    write("set/set.yaml", "title: Week 1\ncourse: SI231\norder: [c, a]\n")
    out_dir = tmp_path / "out"
    code, out, _ = run(capsys, "build", tmp_path / "set", "-o", out_dir)
    assert code == 0
    ids, title, meta = fake.documents_calls[0]
    assert ids == ["c", "a", "b"] and title == "Week 1" and meta["course"] == "SI231"
    assert (out_dir / "worksheet.pdf").exists()
    assert "wrote" in out and out.strip().endswith("3 built, 0 failed")


def test_build_with_broken_set_yaml_still_builds(capsys, write, fake, tmp_path):
    write("a.yaml", VALID)
    write("set.yaml", "order: [nope]\n")
    code, _, err = run(capsys, "build", tmp_path, "-o", tmp_path / "out")
    assert code == 1 and "set.yaml:1:" in err
    assert fake.documents_calls[0][0] == ["a"]


def test_build_document_failure_exits_1(capsys, write, fake, tmp_path):
    write("a.yaml", VALID)
    fake.documents_error = DerivgenError("LaTeX error: Undefined control sequence",
                                         file="build/solutions.tex", line=42)
    code, _, err = run(capsys, "build", tmp_path, "-o", tmp_path / "out")
    assert code == 1 and "build/solutions.tex:42: LaTeX error" in err


def test_build_when_everything_fails_writes_nothing(capsys, write, fake, tmp_path):
    write("a.yaml", BAD_YAML)
    code, _, _ = run(capsys, "build", tmp_path, "-o", tmp_path / "out")
    assert code == 1 and fake.documents_calls == []


def test_solve_prints_text_and_json(capsys, write, fake):
    path = write("bilinear.yaml", VALID)
    code, out, _ = run(capsys, "solve", path)
    assert code == 0 and "Derivation of Derivative of a bilinear form" in out
    code, out, _ = run(capsys, "solve", path, "--json")
    assert code == 0 and json.loads(out)["id"] == "bilinear"


def test_solve_failure_exits_1(capsys, write, fake):
    path = write("a.yaml", VALID)
    fake.fail_ids["a"] = DerivgenError("verification failed", line=6)
    code, out, err = run(capsys, "solve", path, "--json")
    assert code == 1 and out == "" and err.startswith(f"{path}:6: verification failed")


class TerminalStream(io.StringIO):
    def isatty(self):
        return True


def test_progress_bar_only_on_a_terminal(capsys, write, fake, tmp_path, monkeypatch):
    write("a.yaml", VALID)
    write("b.yaml", VALID)
    code, _, err = run(capsys, "build", tmp_path, "-o", tmp_path / "out")
    assert code == 0 and err == ""                # not a TTY: no progress at all
    terminal = TerminalStream()
    monkeypatch.setattr(sys, "stderr", terminal)
    assert main(["check", str(tmp_path)]) == 0
    shown = terminal.getvalue()
    assert "\r\x1b[K[1/2] checked a.yaml" in shown and "[2/2] checked b.yaml" in shown
    assert shown.endswith("\r\x1b[K")           # the bar is erased before the shell prompt
    quiet = TerminalStream()
    monkeypatch.setattr(sys, "stderr", quiet)
    assert main(["check", "-q", str(tmp_path)]) == 0
    assert quiet.getvalue() == ""


def test_jobs_must_be_positive(capsys, tmp_path):
    code, _, err = run(capsys, "check", "-j", "0", tmp_path)
    assert code == 2 and "positive" in err


def test_parallel_outcomes_equal_serial_ones(tmp_path):
    from derivgen.build import batch

    broken = tmp_path / "broken.yaml"
    broken.write_text(BAD_YAML)
    files = [SHIPPED[0], broken, *SHIPPED[4:9]]
    serial = batch.run(batch.render_file, files, jobs=1)
    parallel = batch.run(batch.render_file, files, jobs=2)
    assert [o.path for o in parallel] == files
    assert [o.value for o in parallel] == [o.value for o in serial]
    assert all(o.ok for i, o in enumerate(parallel) if i != 1)
    assert parallel[1].error.format() == serial[1].error.format() == (
        f"{broken}:3: " + serial[1].error.message)


def _dies_in_a_worker(path):
    from derivgen.build.batch import Outcome
    if os.getpid() != MAIN_PROCESS:
        os._exit(1)            # as if killed by the kernel
    return Outcome(path, path.name)


MAIN_PROCESS = os.getpid()


def test_a_killed_worker_does_not_stop_the_batch(tmp_path):
    from derivgen.build import batch

    files = [tmp_path / f"{n}.yaml" for n in range(4)]
    outcomes = batch.run(_dies_in_a_worker, files, jobs=2)
    assert [o.value for o in outcomes] == [f.name for f in files]


# ---------------------------------------------------------------------------------------------
# new


def test_new_writes_a_valid_commented_problem(capsys, tmp_path):
    code, out, _ = run(capsys, "new", tmp_path / "my-first-problem")
    path = tmp_path / "my-first-problem.yaml"
    assert code == 0 and str(path) in out
    text = path.read_text()
    assert text.count("#") > 10
    problem = load_problem(path)
    assert problem.title == "My first problem" and problem.wrt == ["X"]


def test_new_refuses_to_overwrite(capsys, tmp_path):
    path = tmp_path / "mine.yaml"
    path.write_text("keep me")
    code, _, err = run(capsys, "new", path)
    assert code == 1 and "already exists" in err
    assert path.read_text() == "keep me"


def test_new_template_title_from_name():
    assert "title: Trace squared" in new_problem_text("trace_squared")


# ---------------------------------------------------------------------------------------------
# the real pipeline on the shipped problems (needs engine, verify and render)

SHIPPED = sorted(PROBLEMS.glob("[0-9]*.yaml"))


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.stem)
def test_shipped_problem_solves_verified(capsys, path):
    code, out, err = run(capsys, "solve", path, "--json")
    assert code == 0, err
    data = json.loads(out)
    problem = load_problem(path)
    assert data["id"] == path.stem and data["title"] == problem.title
    assert data["verified"] is True
    assert {"latex", "numpy"} <= set(data["function"])
    firsts = [r for r in data["results"] if r["order"] == 1 and not r["conjugate"]]
    assert [r["wrt"] for r in firsts] == problem.wrt
    assert all(r["latex"] and r["numpy"] for r in data["results"])
    assert any(r["order"] == 2 for r in data["results"]) == problem.hessian
    assert data["steps"] and all({"rule", "latex"} <= set(s) for s in data["steps"])


def test_check_shipped_problems(capsys):
    code, out, err = run(capsys, "check", PROBLEMS)
    assert code == 0, err
    assert out.strip().splitlines()[-1] == f"{len(SHIPPED)} ok, 0 failed"


def test_solve_prints_a_text_derivation(capsys):
    code, out, err = run(capsys, "solve", PROBLEMS / "01-bilinear-form.yaml")
    assert code == 0, err
    assert len(out.strip().splitlines()) > 2


def test_wrong_answer_fails_with_answer_line(capsys, write):
    path = write("wrong.yaml", VALID.replace(r"'\mathbf{a}\mathbf{b}^T'", r"'\mathbf{b}\mathbf{a}^T'"))
    code, _, err = run(capsys, "check", path)
    assert code == 1 and err.startswith(f"{path}:8: ")


def test_bad_latex_fails_with_function_line(capsys, write):
    path = write("bad-latex.yaml", VALID.replace(r"\mathbf{X} \mathbf{b}'", r"\mathbf{X} \mathbf{b}}'"))
    code, _, err = run(capsys, "check", path)
    assert code == 1 and err.startswith(f"{path}:6: ")


def test_build_shipped_problems_writes_pdfs(run_cli, tmp_path):
    out_dir = tmp_path / "build"
    result = run_cli("build", "problems", "-o", out_dir, cwd=ROOT)
    assert result.returncode == 0, result.stderr
    for name in ("worksheet", "solutions", "answers"):
        assert (out_dir / f"{name}.pdf").read_bytes().startswith(b"%PDF")
        assert (out_dir / f"{name}.tex").exists()


@pytest.mark.parametrize("command, first_line", [
    (["check", "problems", "-j", "1"], b": ok\n"),
    (["solve", "problems/60-two-layer-network.yaml"], b"(lecture Example 5)\n"),
    (["solve", "problems/60-two-layer-network.yaml", "--json"], b"{\n"),
])
def test_a_reader_that_goes_away_ends_no_command_in_a_traceback(command, first_line):
    """`derivgen check problems | head -1`, `derivgen solve F | head -1`: the rest is not
    read, and no traceback or internal error follows."""
    import subprocess
    root = Path(__file__).resolve().parent.parent
    proc = subprocess.Popen([sys.executable, "-m", "derivgen", *command],
                            cwd=root, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            bufsize=0)
    first = proc.stdout.readline()
    proc.stdout.close()
    err = proc.stderr.read().decode()
    code = proc.wait(timeout=300)
    assert first.endswith(first_line)
    assert "Traceback" not in err and "internal error" not in err
    assert code in (0, 141)
