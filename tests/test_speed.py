"""What makes builds fast, tested as behaviour (never timed): the worker count follows the
CPUs, and the shared derivation cache (keyed by content, shared across output folders,
safe under concurrent use, rebuilt when damaged)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from conftest import PROBLEMS, ROOT
from derivgen.build import batch
from derivgen.build.cache import BuildCache
from derivgen.cli import main
from derivgen.files import write_atomically


@pytest.fixture
def pool(monkeypatch):
    """Stands in for the worker processes: records the worker count, runs jobs here."""
    sizes = []

    def run_in_workers(job, paths, jobs, finish, timeout):
        sizes.append(jobs)
        for path in paths:
            finish(job(path))

    monkeypatch.setattr(batch, "run_in_workers", run_in_workers)
    return sizes


def job(path):
    return batch.Outcome(path, value=path.name)


@pytest.mark.parametrize("cpus, asked, expected", [(2, None, 2), (2, 64, 2), (4, 3, 3),
                                                   (1, None, None), (8, 1, None)])
def test_workers_never_outnumber_the_cpus(monkeypatch, pool, tmp_path, cpus, asked, expected):
    monkeypatch.setattr(batch.os, "sched_getaffinity", lambda pid: set(range(cpus)))
    paths = [tmp_path / f"p{i}.yaml" for i in range(12)]
    outcomes = batch.run(job, paths, jobs=asked)
    assert [o.value for o in outcomes] == [p.name for p in paths]   # order kept
    assert pool == ([] if expected is None else [expected])


def test_the_default_ignores_a_momentary_load(monkeypatch, tmp_path):
    monkeypatch.setattr(batch.os, "sched_getaffinity", lambda pid: {0, 1})
    monkeypatch.setattr(batch.os, "getloadavg", lambda: (7.0, 7.0, 7.0), raising=False)
    assert batch.default_jobs() == 2


# --- the shared derivation store -------------------------------------------------------------

@pytest.fixture
def derived(monkeypatch):
    """The stems of the problems derived (in this process), in order."""
    stems, real = [], batch.render_file

    def render_file(path):
        stems.append(path.stem)
        return real(path)

    monkeypatch.setattr(batch, "render_file", render_file)
    return stems


def copy_problems(folder, stems):
    folder.mkdir(parents=True)
    for stem in stems:
        shutil.copy(PROBLEMS / f"{stem}.yaml", folder)
    return folder


def build(capsys, *args):
    code = main(["build", *map(str, args), "-q", "-j", "1"])
    err = capsys.readouterr().err
    assert code == 0, err
    return err


def test_output_folders_share_derivations(capsys, tmp_path, derived, user_cache):
    folder = copy_problems(tmp_path / "hw", ["01-bilinear-form", "06-quadratic-form"])
    build(capsys, folder, "-o", tmp_path / "class-a")
    assert derived == ["01-bilinear-form", "06-quadratic-form"]
    moved = copy_problems(tmp_path / "elsewhere" / "hw", ["01-bilinear-form", "06-quadratic-form"])
    build(capsys, moved, "-o", tmp_path / "class-b")
    assert derived == ["01-bilinear-form", "06-quadratic-form"]      # nothing derived again
    for name in ("worksheet.pdf", "solutions.pdf", "answers.pdf"):
        assert (tmp_path / "class-a" / name).read_bytes() == \
            (tmp_path / "class-b" / name).read_bytes()
    assert len(list((user_cache / "problems").glob("*.json"))) == 2


def test_one_build_derives_each_distinct_problem_once(capsys, tmp_path, derived):
    folders = [copy_problems(tmp_path / f"student{k}", ["01-bilinear-form"]) for k in range(3)]
    edited = folders[2] / "01-bilinear-form.yaml"
    edited.write_text(edited.read_text().replace("title: ", "title: Another "))
    build(capsys, *folders, "-o", tmp_path / "out")
    assert derived == ["01-bilinear-form", "01-bilinear-form"]        # two distinct contents
    assert (tmp_path / "out" / "solutions.tex").read_text().count("Problem 3.") == 1


def test_a_failing_duplicate_is_reported_at_each_path(capsys, tmp_path, derived):
    folders = [copy_problems(tmp_path / f"s{k}", ["01-bilinear-form"]) for k in range(2)]
    for folder in folders:
        path = folder / "01-bilinear-form.yaml"
        path.write_text(path.read_text().replace(r"answer: '\mathbf{a}\mathbf{b}^T'",
                                                 r"answer: '\mathbf{b}\mathbf{a}^T'"))
    code = main(["build", *map(str, folders), "-o", str(tmp_path / "out"), "-q", "-j", "1"])
    err = capsys.readouterr().err
    assert code == 1
    assert [line.split(":")[0] for line in err.splitlines() if "answer" in line] == \
        [str(folder / "01-bilinear-form.yaml") for folder in folders]


def test_the_store_keeps_the_most_recently_used_entries(tmp_path):
    cache = BuildCache(tmp_path / "out")
    parts = {"worksheet": "w", "solutions": "s", "answers": "a"}
    for k in range(5):
        cache.store_problem(tmp_path / f"p{k}.yaml", f"{k:064d}", f"p{k}", parts)
        os.utime(cache.store / f"{k:064d}.json", (k, k))
    cache.prune(limit=3)
    assert sorted(p.stem for p in cache.store.glob("*.json")) == [f"{k:064d}" for k in (2, 3, 4)]
    assert cache.load_problem(tmp_path / "p4.yaml", f"{4:064d}")["id"] == "p4"


def test_concurrent_writers_never_leave_a_partial_entry(tmp_path):
    """Many threads writing the same entries while others read: every read is whole."""
    target = tmp_path / "store" / "entry.json"
    payloads = [json.dumps({"n": n, "pad": "x" * 200_000}) for n in range(8)]
    bad = []

    def write(n):
        for _ in range(20):
            write_atomically(target, payloads[n])

    def read():
        for _ in range(200):
            try:
                text = target.read_text()
            except FileNotFoundError:
                continue
            if text not in payloads:
                bad.append(len(text))

    threads = [threading.Thread(target=write, args=(n,)) for n in range(8)]
    threads += [threading.Thread(target=read) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert bad == [] and target.read_text() in payloads
    assert [p.name for p in target.parent.iterdir()] == ["entry.json"]   # no temporary left


def test_concurrent_builds_share_the_store(tmp_path):
    """Two processes building the same problems at once into one store: both succeed and
    a third build in a new folder finds every problem there."""
    folder = copy_problems(tmp_path / "hw", ["01-bilinear-form", "06-quadratic-form",
                                             "09-frobenius-norm"])
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    runs = [subprocess.Popen([sys.executable, "-m", "derivgen", "build", str(folder), "-o",
                              str(tmp_path / f"out{k}"), "-q", "-j", "1"], env=env,
                             stderr=subprocess.PIPE, text=True) for k in range(2)]
    for run in runs:
        assert run.wait(timeout=600) == 0, run.stderr.read()
        run.stderr.close()
    entries = sorted((Path(os.environ["DERIVGEN_CACHE"]) / "problems").glob("*.json"))
    assert len(entries) == 3 and all(json.loads(p.read_text())["parts"] for p in entries)
    assert (tmp_path / "out0" / "solutions.pdf").read_bytes() == \
        (tmp_path / "out1" / "solutions.pdf").read_bytes()


# --- start-up ----------------------------------------------------------------------------------

def test_the_grammar_cache_is_written_once_and_survives_damage(tmp_path, user_cache):
    code = ("import sys; from derivgen.parse import _parser; "
            "print(type(_parser().parse(r'\\mathbf{a}^T\\mathbf{x}')).__name__)")
    env = dict(os.environ, PYTHONPATH=str(ROOT))

    def parse():
        run = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                             text=True, timeout=120)
        assert run.returncode == 0 and run.stdout.strip() == "Tree", run.stderr
        return run.stderr

    assert parse() == ""
    [cache] = user_cache.glob("grammar-*.pickle")
    written, stamp = cache.read_bytes(), cache.stat().st_mtime_ns
    assert parse() == "" and cache.stat().st_mtime_ns == stamp    # read, not rewritten
    header = written[:written.index(b"\n") + 1]
    for damaged in (written[:len(written) // 2], b"not the key\n" + written[len(header):]):
        cache.write_bytes(damaged)
        assert parse() == ""                                      # built again ...
        fresh = cache.read_bytes()                                # ... and stored again
        assert fresh != damaged and fresh.startswith(header)
        stamp = cache.stat().st_mtime_ns
        assert parse() == "" and cache.stat().st_mtime_ns == stamp  # and whole: read as is


def test_check_does_not_import_pylatex(tmp_path):
    code = ("import sys; from derivgen.cli import main; code = main(sys.argv[1:]); "
            "print('pylatex' in sys.modules, code)")
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    run = subprocess.run([sys.executable, "-c", code, "check", "-q",
                          str(PROBLEMS / "01-bilinear-form.yaml")], env=env,
                         capture_output=True, text=True, timeout=120)
    assert run.stdout.split() == ["False", "0"], run.stderr


# --- a class: --variants ---------------------------------------------------------------------

@pytest.fixture
def class_calls(monkeypatch):
    """Counts the variants derived and the documents compiled (pdflatex faked)."""
    from derivgen.build import variants as class_build
    from derivgen.render import documents
    calls = {"derived": [], "compiled": []}
    real_job = class_build.variant_job

    def variant_job(item):
        calls["derived"].append((item.path.stem, item.picks))
        return real_job(item)

    def compile_pdf(tex, resources=None):
        calls["compiled"].append(tex)
        pdf = tex.with_suffix(".pdf")
        pdf.write_bytes(b"%PDF fake of " + tex.read_bytes()[-200:])
        return pdf

    monkeypatch.setattr(class_build, "variant_job", variant_job)
    monkeypatch.setattr(documents, "compile_pdf", compile_pdf)
    monkeypatch.setattr(class_build, "compile_pdf", compile_pdf)
    return calls


def compiled_documents(calls):
    """``folder/stem`` of each compiled .tex (a folder's documents compile in a stage)."""
    return [f"{tex.parent.parent.name}/{tex.stem}" if tex.parent.name.startswith(".stage")
            else tex.stem for tex in calls["compiled"]]


def build_class(capsys, folder, out, *extra):
    code = main(["build", str(folder), "--variants", "3", "--seed", "1", "-o", str(out), "-q",
                 "-j", "1", *extra])
    err = capsys.readouterr().err
    assert code == 0, err


def test_a_class_derives_each_version_once_and_compiles_each_document_once(
        capsys, tmp_path, class_calls):
    folder = copy_problems(tmp_path / "hw", ["01-bilinear-form", "16-tanh-layer"])
    build_class(capsys, folder, tmp_path / "a")
    derived = class_calls["derived"]
    assert sorted(set(derived)) == sorted(derived)                # each version once
    assert [stem for stem, _ in derived].count("01-bilinear-form") == 1
    assert [stem for stem, _ in derived].count("16-tanh-layer") == 3
    compiled = compiled_documents(class_calls)
    assert len(compiled) == len(set(compiled)) == 3 * 3 + 1      # one run per document + key
    assert "key" in compiled and "002/solutions" in compiled
    # the same class again: nothing derived, nothing compiled
    class_calls["derived"].clear(), class_calls["compiled"].clear()
    build_class(capsys, folder, tmp_path / "a")
    assert class_calls["derived"] == [] and class_calls["compiled"] == []
    # in another output folder: the derivations are shared, the documents compiled there
    build_class(capsys, folder, tmp_path / "b")
    assert class_calls["derived"] == [] and len(class_calls["compiled"]) == 10
    for name in ("variants.json", "001/solutions.tex", "003/worksheet.tex", "key.tex"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()
    # a plain build shares nothing it cannot use, and --no-cache derives everything
    class_calls["derived"].clear()
    build_class(capsys, folder, tmp_path / "c", "--no-cache")
    assert len(class_calls["derived"]) == 4


def test_a_damaged_class_entry_is_derived_again(capsys, tmp_path, class_calls, user_cache):
    folder = copy_problems(tmp_path / "hw", ["16-tanh-layer"])
    build_class(capsys, folder, tmp_path / "a")
    entries = sorted((user_cache / "problems").glob("*.json"))
    assert len(entries) == 3
    data = json.loads(entries[0].read_text())
    data["extra"]["key_results"] = "not a list of pairs"           # foreign but valid JSON
    entries[0].write_text(json.dumps(data))
    entries[1].write_text(entries[1].read_text()[:100])            # truncated
    class_calls["derived"].clear()
    build_class(capsys, folder, tmp_path / "b")
    assert len(class_calls["derived"]) == 2
    assert (tmp_path / "a" / "variants.json").read_bytes() == \
        (tmp_path / "b" / "variants.json").read_bytes()


def test_atomic_writes_get_the_usual_permissions(tmp_path):
    target = tmp_path / "page.html"
    write_atomically(target, "<p>hello</p>")
    old = os.umask(0)
    os.umask(old)
    assert target.stat().st_mode & 0o777 == 0o666 & ~old
    assert target.read_text() == "<p>hello</p>"
