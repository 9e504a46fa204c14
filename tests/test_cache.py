"""The build cache: a rebuild with nothing changed derives and compiles nothing (and never imports
SymPy), an edited problem alone is derived again, a damaged cache is survived, ``--no-cache``
bypasses it, and the outputs are the same bytes either way.

Most tests count calls (of the derive-and-render job and of latexmk) instead of timing; a stand-in
for latexmk keeps them fast, and one test compiles for real to compare the PDFs' bytes.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import pytest

from conftest import PROBLEMS, ROOT
from derivgen.build import batch
from derivgen.build.cache import BuildCache, source_hash, store_folder
from derivgen.cli import main
from derivgen.render import documents

SAMPLE = ["01-bilinear-form", "06-quadratic-form", "22-two-linear-layers"]


@pytest.fixture
def folder(tmp_path):
    """Three shipped problems and a set.yaml in a scratch folder."""
    folder = tmp_path / "set"
    folder.mkdir()
    for stem in SAMPLE:
        shutil.copy(PROBLEMS / f"{stem}.yaml", folder)
    (folder / "set.yaml").write_text("title: Cached set\n")
    return folder


@pytest.fixture
def counted(monkeypatch):
    """Counts the problems derived and the documents compiled; latexmk is faked."""
    calls = Calls()
    real_render = batch.render_file

    def render_file(path):
        calls.derived.append(path.stem)
        return real_render(path)

    def compile_pdf(tex, resources=None):
        calls.compiled.append(tex.stem)
        pdf = tex.with_suffix(".pdf")
        pdf.write_bytes(b"%PDF fake of " + tex.read_bytes()[-200:])
        return pdf

    monkeypatch.setattr(batch, "render_file", render_file)
    monkeypatch.setattr(documents, "compile_pdf", compile_pdf)
    return calls


class Calls:
    def __init__(self):
        self.derived, self.compiled = [], []

    def reset(self):
        self.derived.clear()
        self.compiled.clear()


def build(capsys, folder, *extra):
    code = main(["build", str(folder), "-o", str(folder.parent / "out"), "-j", "1", *extra])
    out, err = capsys.readouterr()
    assert code == 0, err
    return out


def store_entries():
    """The shared store's entries (the test's own store: conftest's user_cache)."""
    return sorted(store_folder().glob("*.json"))


def outputs(out_dir) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(out_dir.iterdir())
            if p.is_file() and not p.name.startswith(".")}


def test_second_build_derives_and_compiles_nothing(capsys, folder, counted):
    first = build(capsys, folder)
    assert counted.derived == SAMPLE
    assert sorted(counted.compiled) == ["answers", "solutions", "worksheet"]
    before = outputs(folder.parent / "out")
    counted.reset()
    second = build(capsys, folder)
    assert counted.derived == [] and counted.compiled == []
    assert outputs(folder.parent / "out") == before
    assert first.splitlines()[:3] == second.splitlines()[:3]       # the same `FILE: ok` lines
    assert second.strip().endswith("3 built, 0 failed") and "up to date" in second


def test_an_edited_problem_alone_is_derived_again(capsys, folder, counted):
    build(capsys, folder)
    counted.reset()
    edited = folder / f"{SAMPLE[1]}.yaml"
    edited.write_text(edited.read_text().replace("title: ", "title: Edited "))
    out = build(capsys, folder)
    assert counted.derived == [SAMPLE[1]]
    assert "Edited" in (folder.parent / "out" / "solutions.tex").read_text()
    assert out.splitlines()[:3] == [f"{folder / s}.yaml: ok" for s in SAMPLE]
    # keyed by content: the old version's entry stays, and editing back is not derived
    edited.write_text(edited.read_text().replace("title: Edited ", "title: "))
    counted.reset()
    build(capsys, folder)
    assert counted.derived == []


def test_set_title_change_recompiles_without_deriving(capsys, folder, counted):
    build(capsys, folder)
    counted.reset()
    (folder / "set.yaml").write_text("title: Renamed set\n")
    build(capsys, folder)
    assert counted.derived == []
    assert sorted(counted.compiled) == ["answers", "solutions", "worksheet"]


def test_only_changed_documents_are_compiled(capsys, folder, counted):
    build(capsys, folder)
    counted.reset()
    edited = folder / f"{SAMPLE[0]}.yaml"
    edited.write_text(edited.read_text() + "# a comment changes the file, not the documents\n")
    build(capsys, folder)
    assert counted.derived == [SAMPLE[0]] and counted.compiled == []
    counted.reset()
    (folder.parent / "out" / "answers.pdf").unlink()
    build(capsys, folder)
    assert counted.derived == [] and counted.compiled == ["answers"]


@pytest.mark.parametrize("damage", ["garbage", "truncate", "wrong-key", "empty-dir"])
def test_a_damaged_cache_is_survived(capsys, folder, counted, damage):
    build(capsys, folder)
    before = outputs(folder.parent / "out")
    cache = folder.parent / "out" / ".cache"
    for entry in [cache / "build.json", cache / "documents.json",
                  *store_entries()]:
        text = entry.read_text()
        if damage == "garbage":
            entry.write_bytes(b"\x00\xff not json")
        elif damage == "truncate":
            entry.write_text(text[: len(text) // 2])
        elif damage == "wrong-key":
            data = json.loads(text)
            data.update(key="0" * 64, fingerprint="0" * 64, documents={})
            entry.write_text(json.dumps(data))
    if damage == "empty-dir":
        shutil.rmtree(cache)
        cache.write_text("not a folder")          # the cache cannot even be written
        shutil.rmtree(store_folder())
        store_folder().write_text("not a folder")
    counted.reset()
    build(capsys, folder)
    assert counted.derived == SAMPLE
    assert outputs(folder.parent / "out") == before
    if damage != "empty-dir":   # the damaged entries were replaced: another folder reuses them
        counted.reset()
        assert main(["build", str(folder), "-o", str(folder.parent / "other"), "-j", "1"]) == 0
        capsys.readouterr()
        assert counted.derived == []


def test_a_code_change_invalidates_everything(capsys, folder, counted, monkeypatch):
    build(capsys, folder)
    counted.reset()
    monkeypatch.setattr("derivgen.build.cache._SOURCE_HASH", "another version of derivgen")
    build(capsys, folder)
    assert counted.derived == SAMPLE and len(counted.compiled) == 3


def test_no_cache_derives_everything_and_writes_no_cache(capsys, folder, counted):
    build(capsys, folder, "--no-cache")
    assert not (folder.parent / "out" / ".cache").exists()
    build(capsys, folder)
    counted.reset()
    build(capsys, folder, "--no-cache")
    assert counted.derived == SAMPLE and len(counted.compiled) == 3


def test_failed_problems_are_never_cached(capsys, folder, counted):
    broken = folder / "zz-broken.yaml"
    broken.write_text((folder / f"{SAMPLE[0]}.yaml").read_text()
                      .replace(r"answer: '\mathbf{a}\mathbf{b}^T'", r"answer: '\mathbf{b}\mathbf{a}^T'"))
    out_dir = folder.parent / "out"
    for _ in range(2):
        counted.reset()
        assert main(["build", str(folder), "-o", str(out_dir), "-j", "1"]) == 1
        err = capsys.readouterr().err
        assert err.startswith(f"{broken}:") and "answer" in err
        assert counted.derived[-1] == "zz-broken"
    assert counted.derived == ["zz-broken"]      # the good ones came from the cache
    assert not (out_dir / ".cache" / "build.json").exists()
    assert len(store_entries()) == len(SAMPLE)


def test_cache_keys_follow_content_and_code(tmp_path):
    cache = BuildCache(tmp_path / "out")
    path = tmp_path / "p.yaml"
    path.write_text("title: a\n")
    key = cache.problem_key(path)
    assert key == cache.problem_key(path) and len(source_hash()) == 64
    path.write_text("title: b\n")
    assert cache.problem_key(path) != key
    assert cache.problem_key(tmp_path / "missing.yaml") is None
    assert cache.load_problem(path, None) is None
    parts = {"worksheet": "w", "solutions": "s", "answers": "a"}
    cache.store_problem(path, key, "p", parts)
    assert cache.load_problem(path, key) == {"id": "p", "parts": parts}
    assert BuildCache(tmp_path / "out", enabled=False).load_problem(path, key) is None
    assert not [p for p in store_folder().iterdir()
                if p.name.startswith(".")]     # no temporary file left behind
    # the content and the file's name, not its folder; the variant too
    other = tmp_path / "elsewhere" / "p.yaml"
    other.parent.mkdir()
    other.write_text("title: b\n")
    assert cache.problem_key(other) == cache.problem_key(path)
    assert cache.problem_key(other) != cache.problem_key(other, variant="007")
    renamed = tmp_path / "q.yaml"
    renamed.write_text("title: b\n")
    assert cache.problem_key(renamed) != cache.problem_key(path)


def test_no_change_rebuild_does_not_import_sympy(tmp_path, folder):
    out_dir = tmp_path / "out"
    code = ("import sys; from derivgen.cli import main; code = main(sys.argv[1:]); "
            "print('sympy' in sys.modules, code)")
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    env.pop("DERIVGEN_DEBUG", None)
    args = [sys.executable, "-c", code, "build", str(folder), "-o", str(out_dir), "-q"]
    first = subprocess.run(args, capture_output=True, text=True, env=env, timeout=600)
    assert first.stdout.split() == ["True", "0"], first.stderr
    pdfs = {p.name: p.read_bytes() for p in out_dir.glob("*.pdf")}
    again = subprocess.run(args, capture_output=True, text=True, env=env, timeout=600)
    assert again.stdout.split() == ["False", "0"] and again.stderr == ""
    # PDFs from cached fragments are the bytes of an uncached build
    (out_dir / "solutions.pdf").unlink()
    (out_dir / "worksheet.tex").unlink()
    assert main(["build", str(folder), "-o", str(out_dir), "-q"]) == 0
    assert main(["build", str(folder), "-o", str(tmp_path / "plain"), "-q", "--no-cache"]) == 0
    for name, data in pdfs.items():
        assert (out_dir / name).read_bytes() == data == (tmp_path / "plain" / name).read_bytes()


def test_a_problem_that_cannot_be_typeset_is_left_out(capsys, folder, counted):
    unsafe = folder / "zz-unsafe.yaml"
    unsafe.write_text((folder / f"{SAMPLE[0]}.yaml").read_text()
                      .replace("statement: >-", "statement: >-\n  $\\def\\x{}$"))
    out_dir = folder.parent / "out"
    assert main(["build", str(folder), "-o", str(out_dir), "-j", "1"]) == 1
    out, err = capsys.readouterr()
    assert err.startswith(f"{unsafe}:") and r"\def" in err
    assert "3 built, 1 failed" in out
    assert r"\def" not in (out_dir / "solutions.tex").read_text()
    assert sorted(counted.compiled) == ["answers", "solutions", "worksheet"]
