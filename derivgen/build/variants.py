"""``derivgen build PATH... --variants N``: a folder of documents per student, the class's
``variants.json`` and answer key.

Each distinct (file, alternatives) pair is derived once (in worker processes when there are
enough), every folder's documents are put together from those renderings, and a variant
that fails is reported as ``FILE:LINE: variant K (choices): message`` and left out of its
folders, like a broken problem in a plain build.
"""

from __future__ import annotations

import traceback
from pathlib import Path

from derivgen.build.batch import Outcome, run
from derivgen.build.report import Report, internal_error
from derivgen.errors import DerivgenError
from derivgen.files import write_atomically
from derivgen.problem.load import load_problem
from derivgen.render.documents import build_documents, compile_pdf
from derivgen.variants.classbuild import VariantItem, plan, render_variant
from derivgen.variants.key import key_latex
from derivgen.variants.manifest import manifest, manifest_text


def variant_job(item: VariantItem) -> Outcome:
    """Derive and render one variant; never raises (the error goes into the outcome)."""
    try:
        return Outcome(item.path, render_variant(item))
    except DerivgenError as exc:
        return Outcome(item.path, error=exc.located(file=str(item.path), line=1))
    except Exception as exc:  # noqa: BLE001 -- one variant's bug must not stop the class
        return Outcome(item.path, error=internal_error(exc, item.path),
                       trace=traceback.format_exc())


def derive_variants(files, folders, seed: int, report: Report, jobs=None):
    """Derive every distinct variant the folders need; report each file once it is ok, and
    every variant that fails. Returns the plan and the outcomes of its items."""
    work = plan(files, folders, seed)
    for path, error in work.errors:
        report.fail(error, path)
    done = []

    def progress(outcome):
        done.append(outcome)
        report.progress(len(done), len(work.items), f"derived {outcome.path.name}")

    outcomes = run(variant_job, work.items, jobs=jobs, done=progress)
    failed_files = set()
    for outcome in outcomes:
        if not outcome.ok:
            failed_files.add(outcome.path)
            report.fail(outcome.error, outcome.path, trace=outcome.trace)
    for path in dict.fromkeys(item.path for item in work.items):
        if path not in failed_files:
            report.ok(path)
    return work, outcomes


def build_variants(files, folders, seed: int, out_dir, *, title: str, meta: dict,
                   report: Report, jobs=None) -> None:
    """Write ``out_dir/<folder>/`` for every folder, ``variants.json`` and ``key.pdf``."""
    out_dir = Path(out_dir)
    work, outcomes = derive_variants(files, folders, seed, report, jobs)
    for index, folder in enumerate(work.folders):
        rendered = [outcomes[i].value.rendered for i in work.table[index]
                    if i is not None and outcomes[i].ok]
        if not rendered:
            continue
        report.status(f"compiling {folder}/ with pdflatex")
        try:
            build_documents(rendered, out_dir / folder, title=f"{title} ({folder})", meta=meta)
        except DerivgenError as exc:
            report.fail_other(exc.located(file=str(out_dir / folder)))
    entries = _entries(work, outcomes)
    write_atomically(out_dir / "variants.json",
                     manifest_text(manifest(seed, work.folders, entries)))
    key = out_dir / "key.tex"
    write_atomically(key, key_latex(title, seed, _versions(work, outcomes)))
    try:
        compile_pdf(key)
    except DerivgenError as exc:
        report.fail_other(exc)
    report.info(f"wrote {len(work.folders)} folders, {out_dir / 'variants.json'} and "
                f"{out_dir / 'key.pdf'}")


def _entries(work, outcomes):
    def entries(index):
        for i in work.table[index]:
            if i is None:
                continue
            item, outcome = work.items[i], outcomes[i]
            yield (item.path.stem, item.choices,
                   outcome.value.results if outcome.ok else None,
                   None if outcome.ok else outcome.error.message)
    return entries


def _versions(work, outcomes):
    """Per file, in order: ``(id, title, [(folders, choices, [(lhs, latex)])])``."""
    by_file: dict[Path, dict[int, list[str]]] = {}
    for folder, row in zip(work.folders, work.table):
        for i in row:
            if i is not None:
                by_file.setdefault(work.items[i].path, {}).setdefault(i, []).append(folder)
    problems = []
    for path, versions in by_file.items():
        rows, title = [], _base_title(path)
        for i, folders in versions.items():
            outcome = outcomes[i]
            rows.append((folders, work.items[i].choices,
                         outcome.value.key_results if outcome.ok else []))
        problems.append((path.stem, title, rows))
    return problems



def _base_title(path: Path) -> str:
    """The title of the problem built without ``--variants`` (a title may vary too)."""
    try:
        return load_problem(path).title
    except DerivgenError:
        return path.stem
