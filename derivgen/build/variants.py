"""``derivgen build PATH... --variants N``: a folder of documents per student, the class's
``variants.json`` and answer key.

Each distinct (file, alternatives) pair is derived once (in worker processes when there are
enough) or taken from the shared store of derivations (``build.cache``: keyed by the file's
content and the alternatives, so another class, seed or output folder that has the same
version does not derive it again), every folder's documents are put together from those
renderings, and a variant that fails is reported as ``FILE:LINE: variant K (choices):
message`` and left out of its folders, like a broken problem in a plain build.

TeX: folders are built one per CPU at a time (each compiles its three documents side by
side), with the key alongside, so that the CPUs stay busy across folders; a folder's
document whose ``.tex`` is the one last compiled to its PDF is not compiled again.
Per-student files rather than one combined file split by pages: measured on 100 students,
the combined files take a quarter of the TeX time, but splitting them needs a PDF tool
(poppler's ``pdfseparate`` took over 4 minutes for the 3500 pages and gave 15 MB per
student, every page carrying all resources); see README's Performance.
"""

from __future__ import annotations

import traceback
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from derivgen.build.batch import DEFAULT_TIMEOUT, Outcome, run, usable_cpus
from derivgen.build.cache import BuildCache
from derivgen.build.report import Report, internal_error
from derivgen.errors import DerivgenError
from derivgen.files import write_atomically
from derivgen.problem.load import load_problem, preamble_key
from derivgen.render.documents import RenderedProblem, build_documents, compile_pdf
from derivgen.variants.classbuild import VariantItem, VariantRendering, plan, render_variant
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


def derive_variants(files, folders, seed: int, report: Report, jobs=None,
                    cache: BuildCache | None = None, timeout: float | None = DEFAULT_TIMEOUT):
    """Derive every distinct variant the folders need (those the shared store of ``cache``
    does not hold); report each file once it is ok, and every variant that fails. Returns
    the plan and the outcomes of its items."""
    work = plan(files, folders, seed)
    for path, error in work.errors:
        report.fail(error, path)
    if cache is None:          # `check`: derive every variant
        cache = BuildCache(Path("."), enabled=False)
    outcomes = _derive(work.items, cache, report, jobs, timeout)
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
                   report: Report, jobs=None, cache: bool = True,
                   timeout: float | None = DEFAULT_TIMEOUT) -> None:
    """Write ``out_dir/<folder>/`` for every folder, ``variants.json`` and ``key.pdf``.

    ``cache``: use the shared store of derivations and skip documents already compiled
    (``--no-cache``: neither read nor written)."""
    out_dir = Path(out_dir)
    work, outcomes = derive_variants(files, folders, seed, report, jobs,
                                     BuildCache(out_dir, enabled=cache), timeout)
    entries = _entries(work, outcomes)
    write_atomically(out_dir / "variants.json",
                     manifest_text(manifest(seed, work.folders, entries)))
    key = out_dir / "key.tex"
    key_source = key_latex(title, seed, _versions(work, outcomes), meta)
    write_atomically(key, key_source)
    key_cache = BuildCache(out_dir, enabled=cache)

    def build_key():
        if not key_cache.compiled(key, key_source, key.with_suffix(".pdf")):
            key_cache.record_compiled(key, key_source, compile_pdf(key))

    def build_folder(index):
        folder = work.folders[index]
        rendered = [outcomes[i].value.rendered for i in work.table[index]
                    if i is not None and outcomes[i].ok]
        if rendered:
            build_documents(rendered, out_dir / folder, title=f"{title} ({folder})", meta=meta,
                            cache=BuildCache(out_dir / folder, enabled=cache))

    report.status(f"compiling {len(work.folders)} folders and the key with pdflatex")
    pool = ThreadPoolExecutor(max_workers=usable_cpus())
    runs = [pool.submit(build_key)]
    runs += [pool.submit(build_folder, index) for index in range(len(work.folders))]
    try:
        pool.shutdown(wait=True)
    except KeyboardInterrupt:
        pool.shutdown(wait=True, cancel_futures=True)   # let each run clean up, then stop
        raise
    for index, done in enumerate(runs):
        try:
            done.result()
        except DerivgenError as exc:
            report.fail_other(exc if index == 0 else
                              exc.located(file=str(out_dir / work.folders[index - 1])))
    report.info(f"wrote {len(work.folders)} folders, {out_dir / 'variants.json'} and "
                f"{out_dir / 'key.pdf'}")


def _derive(items, cache: BuildCache, report: Report, jobs, timeout) -> list[Outcome]:
    """Each item's outcome: from the shared store, or derived (and then stored)."""
    keys = [cache.problem_key(item.path, repr(item.picks), preamble_key(item.path))
            for item in items]
    outcomes: list[Outcome | None] = [None] * len(items)
    for index, (item, key) in enumerate(zip(items, keys)):
        entry = cache.load_problem(item.path, key)
        rendering = _from_entry(entry) if entry is not None else None
        if rendering is not None:
            outcomes[index] = Outcome(item.path, rendering)
    todo = [index for index, outcome in enumerate(outcomes) if outcome is None]
    pending = iter(todo)
    known = len(items) - len(todo)

    def done(outcome):
        nonlocal known
        index = next(pending)
        outcomes[index] = outcome
        known += 1
        if outcome.ok:
            cache.store_problem(outcome.path, keys[index], outcome.value.rendered.id,
                                outcome.value.rendered.parts, extra=_to_entry(outcome.value))
        report.progress(known, len(items), f"derived {outcome.path.name}")

    run(variant_job, [items[index] for index in todo], jobs=jobs, done=done, timeout=timeout)
    cache.prune()
    return outcomes


def _to_entry(rendering: VariantRendering) -> dict:
    return {"results": rendering.results, "choices": rendering.choices,
            "title": rendering.title, "key_results": [list(r) for r in rendering.key_results]}


def _from_entry(entry: dict) -> VariantRendering | None:
    """A stored rendering, or None for an entry that is not one (another kind of build)."""
    extra = entry.get("extra")
    try:
        return VariantRendering(RenderedProblem(entry["id"], entry["parts"]),
                                list(extra["results"]), dict(extra["choices"]),
                                str(extra["title"]),
                                [(str(lhs), str(latex)) for lhs, latex in extra["key_results"]])
    except (TypeError, KeyError, ValueError):
        return None


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
