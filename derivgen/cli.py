"""The ``derivgen`` command: build, solve, check, new.

    $ derivgen check problems
    problems/01-bilinear-form.yaml: ok
    ...
    14 ok, 0 failed

``main(argv)`` returns the exit status (0 all good, 1 some problem failed, 2 usage error)
instead of exiting, so tests can call it in-process. The pipeline is imported inside the
commands so that ``--help`` and ``new`` work even when a stage is broken.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
from dataclasses import replace
from functools import partial
from pathlib import Path

from derivgen import __version__
from derivgen.build.cache import BuildCache
from derivgen.build.outdir import check_output_folder, output_folder
from derivgen.errors import DerivgenError
from derivgen.problem.load import PathError, expand_paths, preamble_key
from derivgen.build.report import (EXIT_BROKEN_PIPE, EXIT_FAILED, EXIT_OK, EXIT_USAGE, Report,
                                   debug_enabled, internal_error)
from derivgen.files import silence

DEFAULT_TITLE = "Matrix calculus problems"
#: Seconds a problem may take (``--timeout``); the same as derivgen.build.batch.DEFAULT_TIMEOUT,
#: which is not imported here so that ``--help`` does not load the pipeline.
DEFAULT_TIMEOUT = 60
EXPORT_FORMATS = ("moodle", "qti", "prairielearn", "html")


def main(argv: list[str] | None = None) -> int:
    """Run one command; return its exit status.

    Run as the program (``argv`` None) after the pipeline was loaded, it ends the process
    itself: Python's teardown would free SymPy's many objects one by one, about 0.15 s.
    """
    if argv is None:
        _stop_cleanly_on_termination()
    code = _run(argv)
    if argv is None and "sympy" in sys.modules:
        _exit_without_teardown(code)
    return code


def _stop_cleanly_on_termination():
    """Ctrl-C, SIGTERM and SIGHUP stop derivgen cleanly: workers stopped, scratch folders
    removed, the output folder unlocked, its outputs all old or all new.  The first one
    interrupts; later ones (a second Ctrl-C) are ignored so that this cleaning-up finishes."""
    stopping = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)

    def interrupt(signum, frame):
        for sig in stopping:
            signal.signal(sig, signal.SIG_IGN)
        raise KeyboardInterrupt()

    for sig in stopping:
        signal.signal(sig, interrupt)
    default_hook = sys.unraisablehook

    def unraisable(info):   # an interrupt inside a finalizer: no "Exception ignored" trace
        if not (info.exc_type and issubclass(info.exc_type, KeyboardInterrupt)):
            default_hook(info)

    sys.unraisablehook = unraisable


def _exit_without_teardown(code: int):
    # Every file derivgen writes is closed by now; only the standard streams may hold output.
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):
            pass
    os._exit(code)


def _attached_answers(argv: list[str]) -> list[str]:
    """``--answer -\\mathbf{a}`` as ``--answer=-\\mathbf{a}``: an answer that starts with a
    minus sign is still the answer, not an option."""
    out, args = [], iter(argv)
    for arg in args:
        value = next(args, None) if arg == "--answer" else None
        out.append(arg if value is None else f"--answer={value}")
    return out


def _run(argv: list[str] | None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(_attached_answers(sys.argv[1:] if argv is None else argv))
    except SystemExit as exc:         # --help (0) or a usage error (2): return, don't exit
        return exc.code if isinstance(exc.code, int) else EXIT_USAGE
    if args.command is None:
        parser.print_help(sys.stderr)
        return EXIT_USAGE
    try:
        return args.run(args)
    except PathError as exc:
        print(f"derivgen {args.command}: error: {exc.message}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("derivgen: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:     # the reader of the output went away (`derivgen solve F | head`)
        silence(sys.stdout)
        return EXIT_BROKEN_PIPE


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="derivgen",
        description="Turn matrix-calculus problems (YAML + LaTeX) into verified step-by-step "
                    "derivations, typeset as worksheet, solutions and answers PDFs.",
        epilog="Exit status: 0 all good, 1 some problem failed, 2 usage error. "
               "Problem format: see README.md.")
    parser.add_argument("--version", action="version", version=f"derivgen {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    build = commands.add_parser(
        "build", help="write worksheet, solutions and answers PDFs",
        description="Derive every problem and write DIR/worksheet.pdf, DIR/solutions.pdf, "
                    "DIR/answers.pdf and their .tex. A folder may hold a set.yaml with the "
                    "set's title and order. Broken problems are reported and left out.")
    build.add_argument("paths", nargs="+", metavar="PATH", help="problem files and/or folders")
    build.add_argument("-o", "--output", default="build", metavar="DIR",
                       help="output folder (default: build)")
    build.add_argument("-q", "--quiet", action="store_true", help="print only errors")
    build.add_argument("--no-cache", action="store_true",
                       help="derive and compile everything, without reading or writing the "
                            "cache in DIR/.cache")
    build.add_argument("--variants", type=_positive, metavar="N",
                       help="one folder per student, DIR/001 ... DIR/N, each with its own "
                            "variant of the problems that declare variants:, plus "
                            "DIR/variants.json and DIR/key.pdf (the TAs' answer key)")
    build.add_argument("--roster", metavar="FILE.csv",
                       help="with --variants: name the folders by the roster's id column "
                            "(N must be the number of students)")
    _add_seed(build)
    _add_jobs(build)
    _add_detail(build)
    build.set_defaults(run=run_build)

    solve = commands.add_parser("solve", help="derive one problem and print the derivation",
                                description="Derive one problem and print its derivation.")
    solve.add_argument("file", metavar="FILE", help="a problem file")
    solve.add_argument("--json", action="store_true",
                       help="print one JSON object (id, title, function, results, steps, "
                            "verified) instead of text")
    solve.add_argument("--latex", action="store_true",
                       help="print the mathematics as LaTeX instead of Unicode")
    _add_detail(solve)
    _add_variant(solve)
    solve.set_defaults(run=run_solve)

    check = commands.add_parser(
        "check", help="validate and derive, without writing PDFs",
        description="Validate and derive every problem; print `FILE: ok` or "
                    "`FILE:LINE: message` for each.")
    check.add_argument("paths", nargs="+", metavar="PATH", help="problem files and/or folders")
    check.add_argument("-q", "--quiet", action="store_true", help="print only errors")
    check.add_argument("--variants", type=_positive, metavar="N",
                       help="check the variants of N students (as build --variants N would "
                            "make them) instead of each problem's base")
    _add_seed(check)
    _add_jobs(check)
    check.set_defaults(run=run_check)

    grade = commands.add_parser(
        "grade", help="judge students' answers against the verified derivative",
        description="Derive FILE (verified) and judge an answer written in the LaTeX of "
                    "`answer:`: one with --answer, or a CSV of them with --submissions "
                    "(columns student, answer, and wrt when FILE has several variables). "
                    "Exit status 0 when every answer was judged, whatever the verdicts; "
                    "1 when FILE fails; 2 usage error.")
    grade.add_argument("file", metavar="FILE", help="a problem file")
    given = grade.add_mutually_exclusive_group(required=True)
    given.add_argument("--answer", metavar="LATEX", help="one answer, e.g. '\\mathbf{a}\\mathbf{b}^T'")
    given.add_argument("--submissions", metavar="IN.csv",
                       help="a CSV with columns student, answer (and wrt)")
    grade.add_argument("--wrt", metavar="NAME",
                       help="the variable the answer is the derivative by (Z* for the "
                            "conjugate of a complex Z); needed when FILE has several")
    grade.add_argument("-o", "--output", metavar="OUT.csv",
                       help="with --submissions: write the verdicts here (default: stdout)")
    grade.add_argument("--json", action="store_true",
                       help="print {correct, score, diagnosis, feedback} as JSON")
    grade.add_argument("--reveal", action="store_true",
                       help="end the feedback on a wrong answer with the correct derivative")
    _add_variant(grade)
    grade.set_defaults(run=run_grade)

    export = commands.add_parser(
        "export", help="write Moodle XML, a QTI zip for Canvas, PrairieLearn questions or "
                       "a web site of solutions",
        description="Derive every problem and write it for a learning platform: moodle "
                    "(-o FILE.xml), qti (-o FILE.zip, for Canvas), prairielearn (-o DIR: "
                    "DIR/questions/<id>/), html (-o DIR: a static site). Broken problems are "
                    "reported and left out.")
    export.add_argument("format", choices=EXPORT_FORMATS, metavar="FORMAT",
                        help="one of: " + ", ".join(EXPORT_FORMATS))
    export.add_argument("paths", nargs="+", metavar="PATH", help="problem files and/or folders")
    export.add_argument("-o", "--output", required=True, metavar="OUT",
                        help="the file (moodle, qti) or folder (prairielearn, html) to write")
    export.add_argument("-q", "--quiet", action="store_true", help="print only errors")
    export.add_argument("--variants", type=_positive, metavar="N",
                        help="N per-student variants of each problem that declares them")
    export.add_argument("--seed", type=int, default=0, metavar="S",
                        help="seed of the variants and of the numeric questions' points")
    export.set_defaults(run=run_export)

    new = commands.add_parser("new", help="write a commented problem file to start from",
                              description="Write NAME.yaml, a commented example problem. "
                                          "Never overwrites an existing file.")
    new.add_argument("name", metavar="NAME", help="file to create (.yaml is added if missing)")
    new.set_defaults(run=run_new)
    return parser


def _add_detail(command):
    command.add_argument("--detail", choices=("compact", "full"), default=None,
                         help="compact: derivations as long as the lecture's (bookkeeping "
                              "steps merged); full: every rewrite its own step (default: "
                              "each problem's detail: key, else compact)")


def _add_jobs(command):
    command.add_argument("-j", "--jobs", type=_positive, metavar="N",
                         help="derive in N processes, at most one per CPU (default: one per CPU "
                              "when there are enough problems to pay off; 1: in this process)")
    command.add_argument("--timeout", type=_seconds, default=DEFAULT_TIMEOUT, metavar="SECONDS",
                         help="give up on a problem that takes longer than this (default: "
                              f"{DEFAULT_TIMEOUT}); it is reported at its file, the rest go on")


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0 < value < 10**6:
        raise argparse.ArgumentTypeError(f"expected a number of seconds, not {text!r}")
    return value


def _add_seed(command):
    command.add_argument("--seed", type=_natural, default=0, metavar="S",
                         help="seed of the variants drawn (default 0); the same seed gives "
                              "the same variants")


def _add_variant(command):
    command.add_argument("--variant", type=_positive, metavar="K",
                         help="variant K (1, 2, ...) of a problem with variants:, as in "
                              "build --variants")
    _add_seed(command)


def _natural(text: str) -> int:
    if not text.isdigit():
        raise argparse.ArgumentTypeError(f"expected a number 0, 1, 2, ..., not {text!r}")
    return int(text)


def _positive(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"expected a positive number, not {text!r}")
    return int(text)


# ---------------------------------------------------------------------------------------------
# commands


def run_check(args) -> int:
    from derivgen.build.batch import check_file
    report = Report(verb="ok", quiet=args.quiet)
    meta, files = _problem_files(args.paths, report)
    if meta.get("instructions"):        # what build would stop on in the documents' title
        from derivgen.render.prose import set_instructions
        try:
            set_instructions(meta)
        except DerivgenError as exc:
            report.fail_other(exc)
    if args.variants:
        from derivgen.build.variants import derive_variants
        from derivgen.variants.classbuild import folder_names
        derive_variants(files, folder_names(args.variants), args.seed, report, args.jobs,
                        timeout=args.timeout)
        report.summary()
        return report.exit_code
    _derive_all(check_file, files, report, args.jobs, verb="checked", timeout=args.timeout)
    report.summary()
    return report.exit_code


def run_build(args) -> int:
    """Derive what the cache does not hold, then write the documents.

    The no-change rebuild is decided here from file hashes alone (``cache`` imports only the
    standard library), before the pipeline and SymPy are imported.
    """
    if args.variants or args.roster:
        return run_build_variants(args)
    report = Report(verb="built", quiet=args.quiet)
    meta, files = _problem_files(args.paths, report)
    # One build at a time in a folder: its PDFs, .tex and cache all come from this build.
    with output_folder(args.output, on_wait=report.info) as out_dir:
        return _build_into(out_dir, args, report, meta, files)


def _build_into(out_dir: Path, args, report: Report, meta: dict, files) -> int:
    title = meta.get("title", DEFAULT_TITLE)
    cache = BuildCache(out_dir, enabled=not args.no_cache)
    detail = getattr(args, "detail", None)   # --detail full: every step, whatever the files say
    keyed = {**meta, "detail": detail} if detail else meta
    fingerprint = None if report.other_errors else cache.fingerprint(files, keyed, title)
    unchanged = cache.up_to_date(fingerprint)
    if unchanged:
        for path in files:
            report.ok(path)
        for pdf in unchanged.values():
            report.info(f"{pdf}: up to date")
        report.summary()
        return report.exit_code

    from derivgen.build.batch import render_file
    job = partial(render_file, detail=detail) if detail else render_file
    outcomes = _derive_all(job, files, report, args.jobs, verb="derived", cache=cache,
                           timeout=args.timeout, variant=f"detail={detail}" if detail else "")
    built = [outcome for outcome in outcomes if outcome.ok]
    if built:
        from derivgen.render.documents import placeholder_problem
        # A failed problem keeps its number: a placeholder says why it is missing.
        _write_documents([outcome if outcome.ok else
                          replace(outcome, value=placeholder_problem(outcome.path,
                                                                     outcome.error.message))
                          for outcome in outcomes], out_dir, meta, report, cache)
    elif files:
        report.info("nothing to build: every problem failed")
    if report.exit_code == EXIT_OK:
        cache.record_build(fingerprint)
    else:
        cache.forget_build()
    report.summary()
    return report.exit_code


def run_build_variants(args) -> int:
    """``build --variants N``: a folder per student (see ``derivgen.build.variants``)."""
    if not args.variants:
        raise PathError("--roster goes with --variants N")
    roster = None
    if args.roster:
        from derivgen.variants.classbuild import read_roster
        try:
            roster = read_roster(_read_csv_text(args.roster), args.roster)
        except DerivgenError as exc:
            print(exc.format(), file=sys.stderr)
            return EXIT_USAGE
        if len(roster) != args.variants:
            raise PathError(f"the roster {args.roster} has {len(roster)} students but "
                            f"--variants {args.variants}: give --variants {len(roster)}")
    report = Report(verb="built", quiet=args.quiet)
    meta, files = _problem_files(args.paths, report)
    from derivgen.build.variants import build_variants
    from derivgen.variants.classbuild import folder_names
    with output_folder(args.output, on_wait=report.info) as out_dir:
        try:
            build_variants(files, folder_names(args.variants, roster), args.seed, out_dir,
                           title=meta.get("title", DEFAULT_TITLE), meta=meta, report=report,
                           jobs=args.jobs, cache=not args.no_cache, timeout=args.timeout)
        except OSError as exc:      # a read-only or full output folder
            report.fail_other(DerivgenError(f"cannot write the documents: {exc.strerror or exc}",
                                            file=str(exc.filename or out_dir), line=1))
    report.summary()
    return report.exit_code


def run_solve(args) -> int:
    path = Path(args.file)
    if path.is_dir():
        raise PathError(f"{args.file} is a folder; solve takes one problem file "
                        "(use check or build for folders)")
    if not path.is_file():
        raise PathError(f"no such file: {args.file}")
    report = Report(quiet=True)
    solution = _solve_file(path, report, **_variant_options(args))
    if solution is None:
        return report.exit_code
    derivation = solution.derivation
    try:
        if args.json:
            from derivgen.render.json import derivation_json
            print(json.dumps(derivation_json(derivation), indent=2, ensure_ascii=False))
        else:
            from derivgen.render.text import derivation_text
            if args.detail:
                derivation = replace(derivation,
                                     problem=replace(derivation.problem, detail=args.detail))
            print(derivation_text(derivation, latex=args.latex))
    except DerivgenError as exc:
        report.fail(exc, path)
    except BrokenPipeError:   # the reader went away (`derivgen solve F | head`): main's
        raise
    except Exception as exc:  # noqa: BLE001 -- a renderer bug must not become a traceback
        report.internal(exc, path)
    return report.exit_code


def run_grade(args) -> int:
    path = _one_problem_file(args.file, "grade")
    if args.output and not args.submissions:
        raise PathError("-o/--output goes with --submissions")
    submissions_text = None
    if args.submissions:
        submissions_text = _read_csv_text(args.submissions)
    report = Report(quiet=True)
    solution = _solve_file(path, report, **_variant_options(args))
    if solution is None:
        return report.exit_code
    derivation = solution.derivation
    from derivgen.grade import grade
    from derivgen.grade.submissions import check_targets, grade_rows, read_submissions, \
        write_rows
    if submissions_text is None:
        try:
            verdict = grade(derivation, args.answer, args.wrt, reveal=args.reveal)
        except DerivgenError as exc:   # a --wrt the problem has no derivative by
            raise PathError(exc.message) from None
    else:
        try:
            rows = read_submissions(submissions_text, args.submissions)
        except DerivgenError as exc:   # a broken CSV
            print(exc.format(), file=sys.stderr)
            return EXIT_USAGE
        variants = {}
        for number in sorted({row.variant for row in rows if row.variant}):
            solved = _solve_file(path, report, variant=number, seed=args.seed)
            if solved is None:
                return report.exit_code
            variants[number] = solved.derivation
        try:
            check_targets(derivation, rows, args.submissions, variants)
        except DerivgenError as exc:   # a wrt the problem does not have
            print(exc.format(), file=sys.stderr)
            return EXIT_USAGE
    if submissions_text is None:
        if args.json:
            print(json.dumps(verdict.as_dict(), ensure_ascii=False))
        else:
            print(f"{verdict.diagnosis or 'correct'}: {verdict.feedback}")
        return EXIT_OK
    graded = grade_rows(derivation, rows, reveal=args.reveal, variants=variants)
    if args.json:
        print(json.dumps(graded, ensure_ascii=False, indent=2))
    elif args.output:
        with open(args.output, "w", encoding="utf-8", newline="") as stream:
            write_rows(graded, stream)
    else:
        write_rows(graded, sys.stdout)
    return EXIT_OK


def _read_csv_text(name: str) -> str:
    """A CSV file's text (a spreadsheet's BOM dropped); unreadable: a usage error."""
    try:
        return Path(name).read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise PathError(f"cannot read {name}: {exc}") from None


def _one_problem_file(name: str, command: str) -> Path:
    path = Path(name)
    if path.is_dir():
        raise PathError(f"{name} is a folder; {command} takes one problem file")
    if not path.is_file():
        raise PathError(f"no such file: {name}")
    return path


def run_new(args) -> int:
    path = Path(args.name)
    if args.name.endswith(("/", os.sep)) or path.name in ("", ".", ".."):
        raise PathError(f"NAME must name a file to create, such as my-problem, not {args.name!r}")
    if path.suffix not in (".yaml", ".yml"):
        path = path.with_name(path.name + ".yaml")
    if path.exists() or path.is_symlink():
        print(f"{path}: already exists; not overwriting it (choose another name)",
              file=sys.stderr)
        return EXIT_FAILED
    if not path.parent.is_dir():
        raise PathError(f"no such folder: {path.parent}")
    text = new_problem_text(path.stem, schema=_schema_reference(path))
    try:
        with open(path, "x", encoding="utf-8") as out:   # "x": never overwrite, even in a race
            out.write(text)
    except FileExistsError:
        print(f"{path}: already exists; not overwriting it (choose another name)",
              file=sys.stderr)
        return EXIT_FAILED
    except OSError as exc:
        print(f"{path}: cannot write it: {exc.strerror or exc}", file=sys.stderr)
        return EXIT_FAILED
    print(f"wrote {path}; edit it, then run: derivgen solve {path}")
    return EXIT_OK


# ---------------------------------------------------------------------------------------------
# pipeline glue


def _solve_file(path: Path, report: Report, **options):
    """``derivgen.api.solve(path)``; on failure report it and return None (never raise)."""
    from derivgen.api import solve
    from derivgen.build.batch import ProblemTimeout, limits, timed_out, too_big
    try:
        with limits(DEFAULT_TIMEOUT):
            return solve(path, **options)
    except DerivgenError as exc:
        report.fail(exc, path)
    except ProblemTimeout:
        report.fail(timed_out(path, DEFAULT_TIMEOUT).error)
    except (OverflowError, MemoryError, RecursionError) as exc:
        report.fail(too_big(exc, path))
    except Exception as exc:  # noqa: BLE001 -- a bug must not become a traceback
        report.internal(exc, path)
    return None


def _variant_options(args) -> dict:
    """``--variant K --seed S`` as ``api.solve``'s keywords (none without --variant)."""
    return {} if args.variant is None else {"variant": args.variant, "seed": args.seed}


def run_export(args) -> int:
    """Solve every problem through the API, then hand the verified ones to one writer."""
    _check_export_output(args.format, args.output)
    report = Report(verb="exported", quiet=args.quiet)
    meta, files = _problem_files(args.paths, report)
    problems, sources = [], {}
    for index, path in enumerate(files, start=1):
        done = _export_variants(path, report, args)
        if done:
            problems.extend(done)
            for item in done:
                sources[(item.id, item.variant)] = _problem_source(path, item.variant,
                                                                   args.seed)
            report.ok(path)
        report.progress(index, len(files), f"exported {path.name}")
    if not problems:
        report.info("nothing to export: every problem failed")
        report.summary()
        return report.exit_code
    try:
        written = _write_export(args.format, problems, sources, args.output,
                                meta.get("title", DEFAULT_TITLE))
    except DerivgenError as exc:
        print(f"derivgen export {args.format}: error: {exc.message}", file=sys.stderr)
        return EXIT_FAILED
    except OSError as exc:
        print(f"derivgen export {args.format}: error: cannot write {args.output}: "
              f"{exc.strerror}", file=sys.stderr)
        return EXIT_FAILED
    report.info(f"wrote {written}")
    report.summary()
    return report.exit_code


def _problem_source(path: Path, variant, seed: int) -> dict:
    """The problem file's keys (of that variant, ``variants:`` applied, its set's macros
    expanded): what a PrairieLearn question embeds and hands to ``derivgen.solve``."""
    from derivgen.problem.load import (TOP_LEVEL_KEYS, Located, expand_macros, folder_preamble,
                                       read_problem_mapping)
    from derivgen.problem.variation import apply_choice
    from derivgen.variants import picks_for, slots_of
    data = read_problem_mapping(path)
    if variant is not None and "variants" in data:
        slots = slots_of(path)
        picks = picks_for(slots, path.stem, variant, seed)
        data = apply_choice(data, slots, picks, str(path), TOP_LEVEL_KEYS, Located)
    # The set's macros expanded: the course platform's copy has no set.yaml beside it.
    return expand_macros(data, folder_preamble(path.parent), str(path))


def _export_variants(path: Path, report: Report, args) -> list:
    """The problem's ``Exported`` items: one, or one per variant with ``--variants``; an
    empty list when it failed (reported)."""
    from derivgen.export.common import exported
    done = []
    for variant in range(1, args.variants + 1) if args.variants else [None]:
        options = {} if variant is None else {"variant": variant, "seed": args.seed}
        solution = _solve_file(path, report, **options)
        if solution is None:
            return []
        varies = variant is not None and bool(solution.derivation.problem.choices)
        try:
            done.append(exported(solution.derivation, seed=args.seed,
                                 variant=variant if varies else None))
        except DerivgenError as exc:
            report.fail(exc, path)
            return []
        except Exception as exc:  # noqa: BLE001 -- a bug must not become a traceback
            report.internal(exc, path)
            return []
        if not varies:
            break        # no `variants:`: the same problem in every variant, exported once
    return done


def _check_export_output(kind: str, output: str) -> None:
    """A usage error, before any work, for an output that cannot be written: an empty name,
    a folder where one file goes (moodle, qti), a file where a folder goes."""
    if not str(output).strip():
        raise PathError(f"-o needs a {'file' if kind in ONE_FILE_EXPORTS else 'folder'} name "
                        f"(it was empty)")
    out = Path(output)
    if kind not in ONE_FILE_EXPORTS:
        check_output_folder(out)
    elif out.is_dir():
        raise PathError(f"-o {output} is a folder; {kind} writes one file, e.g. "
                        f"-o {Path(output) / ('questions.xml' if kind == 'moodle' else 'questions.zip')}")
    elif not out.parent.is_dir():
        raise PathError(f"-o {output}: no such folder: {out.parent}")


#: Exports written as one file; the others write a folder.
ONE_FILE_EXPORTS = ("moodle", "qti")


def _write_export(kind: str, problems, sources, output: str, title: str) -> str:
    out = Path(output)
    if kind in ("moodle", "qti"):
        if out.is_dir():
            raise DerivgenError(f"{output} is a folder; {kind} writes one file")
        if kind == "moodle":
            from derivgen.export.moodle import moodle_xml
            data = moodle_xml(problems)
        else:
            from derivgen.export.qti import qti_package
            data = qti_package(problems, title=title)
        from derivgen.files import write_atomically
        write_atomically(out, data)
        return str(out)
    if out.exists() and not out.is_dir():
        raise DerivgenError(f"{output} is a file; {kind} writes a folder")
    if kind == "prairielearn":
        from derivgen.export.prairielearn import write_questions
        write_questions(problems, out, sources)
        return str(out / "questions")
    from derivgen.export.html import write_site
    write_site(problems, out, title=title)
    return str(out / "index.html")


def _derive_all(job, files, report: Report, jobs, *, verb: str, cache: BuildCache | None = None,
                timeout: float | None = DEFAULT_TIMEOUT, variant: str = ""):
    """``job`` on every file, maybe in parallel; with a ``cache``, only on the files whose
    content the shared store does not hold, and once per distinct content (the rest share
    that outcome); new successes are stored.

    Returns the outcomes of all files in order; each is reported as soon as it and those
    before it are known, and the progress bar counts them.
    """
    from derivgen.build.batch import Outcome, run
    outcomes, keys, first = {}, [None] * len(files), {}
    if cache is not None:
        for index, path in enumerate(files):
            keys[index] = key = cache.problem_key(path, variant, preamble_key(path))
            entry = cache.load_problem(path, key)
            if entry is not None:
                outcomes[index] = Outcome(path, _rendered_problem(entry))
    todo = []
    for index in range(len(files)):
        if index not in outcomes and (keys[index] is None or keys[index] not in first):
            todo.append(index)
            if keys[index] is not None:
                first[keys[index]] = index
    shared = [index for index in range(len(files))
              if index not in outcomes and index not in todo]
    pending = iter(todo)
    reported = 0

    def report_ready():
        nonlocal reported
        while reported < len(files) and reported in outcomes:
            outcome = outcomes[reported]
            if outcome.ok:
                report.ok(outcome.path)
            else:
                report.fail(outcome.error, outcome.path, trace=outcome.trace)
            reported += 1

    def done(outcome):
        index = next(pending)
        outcomes[index] = outcome
        if cache is not None and outcome.ok:
            cache.store_problem(outcome.path, keys[index], outcome.value.id,
                                outcome.value.parts)
        for same in (i for i in shared if keys[i] == keys[index] and outcome.ok):
            outcomes[same] = Outcome(files[same], outcome.value)
        report_ready()
        report.progress(len(outcomes), len(files), f"{verb} {outcome.path.name}")

    report_ready()
    run(job, [files[index] for index in todo], jobs=jobs, done=done, timeout=timeout)
    # The same content as a file that failed: derived on its own, for a message at its path.
    again = [index for index in shared if index not in outcomes]
    pending = iter(again)
    run(job, [files[index] for index in again], jobs=jobs, done=done, timeout=timeout)
    report_ready()
    if cache is not None:
        cache.prune()
    return [outcomes[index] for index in range(len(files))]


def _problem_files(paths, report: Report):
    try:
        meta, files = expand_paths(paths)
    except PathError:              # a missing path: a usage error, handled by main()
        raise
    except DerivgenError as exc:   # a broken set.yaml: say so, then do its folder's files
        report.fail_other(exc)
        meta, files = {}, _fallback_files(paths)
    if not files:
        raise PathError("no problem files (*.yaml) in " + ", ".join(map(str, paths)))
    return meta, files


def _fallback_files(paths) -> list[Path]:
    files = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            files += sorted(p for p in path.glob("*.y*ml") if p.stem != "set")
        else:
            files.append(path)
    return files


def _rendered_problem(entry: dict):
    from derivgen.render.documents import RenderedProblem
    return RenderedProblem(entry["id"], entry["parts"])


def _write_documents(built, out_dir: Path, meta: dict, report: Report, cache: BuildCache):
    """Compile the documents of the problems ``built`` (outcomes); a problem whose text
    LaTeX cannot typeset is reported at its file and left out of all three."""
    dropped: list[tuple[int, str]] = []
    try:
        from derivgen.render.documents import build_documents
        report.status("compiling the PDFs with pdflatex")
        written = build_documents([outcome.value for outcome in built], out_dir,
                                  title=meta.get("title", DEFAULT_TITLE), meta=meta,
                                  cache=cache, dropped=dropped)
    except DerivgenError as exc:
        written = None
        report.fail_other(exc.located(file=str(out_dir)))
    except OSError as exc:      # a read-only or full output folder
        written = None
        report.fail_other(DerivgenError(f"cannot write the documents: {exc.strerror or exc}",
                                        file=str(exc.filename or out_dir), line=1))
    except Exception as exc:  # noqa: BLE001
        written = None
        if debug_enabled():
            import traceback
            traceback.print_exception(exc, file=sys.stderr)
        report.fail_other(internal_error(exc, out_dir))
    for index, message in dropped:
        path = built[index].path
        report.retract(DerivgenError("LaTeX cannot typeset this problem's text; it was left "
                                     f"out of the documents:\n{message}",
                                     file=str(path), line=_latex_line(path, message)))
    for path in (written or {}).values():
        report.info(f"wrote {path}")


def _latex_line(path: Path, log: str) -> int:
    """The line of the key whose text a LaTeX error shows: a variable's ``latex:``, else the
    statement, else the title (derivgen writes the rest itself)."""
    from derivgen.problem.load import load_problem
    try:
        problem = load_problem(path)
    except DerivgenError:
        return 1
    for name, spec in problem.variables.items():
        if spec.latex and spec.latex in log:
            return problem.line_of(f"variables.{name}") or 1
    return problem.line_of("statement") or problem.line_of("title") or 1


# ---------------------------------------------------------------------------------------------
# the `new` template


#: The JSON Schema of problem files, for YAML-aware editors (validation, completion, help).
SCHEMA = Path(__file__).resolve().parent.parent / "schema" / "problem.schema.json"


def new_problem_text(name: str, schema: str | None = None) -> str:
    """A complete, valid problem file with every key explained; ``name`` gives the title.

    ``schema`` (a path or URL) becomes a first line that YAML-aware editors read.
    """
    title = name.replace("-", " ").replace("_", " ").strip().capitalize() or "New problem"
    header = f"# yaml-language-server: $schema={schema}\n" if schema else ""
    return header + NEW_TEMPLATE.replace("@TITLE@", title)


def _schema_reference(problem_path: Path) -> str | None:
    """The schema's path relative to a new file in derivgen's folder, else a file:// URL.

    None when the schema is not there (an install without the source tree).
    """
    if not SCHEMA.is_file():
        return None
    folder = problem_path.resolve().parent
    if folder.is_relative_to(SCHEMA.parent.parent):
        return Path(os.path.relpath(SCHEMA, folder)).as_posix()
    return SCHEMA.as_uri()


NEW_TEMPLATE = r"""# A derivgen problem. Check it with `derivgen solve THIS-FILE`.
# Write LaTeX in single quotes ('...') or after >- on the next lines: in double quotes
# YAML would read the backslashes of \top, \frac, \nabla as escapes.

title: @TITLE@                  # required: shown as the problem's heading

# optional: the text students see, with LaTeX math in $...$;
# without it, one is generated from `function` and `wrt`
statement: >-
  Calculate the derivative of $f(\mathbf{X}) = \mathbf{a}^T \mathbf{X} \mathbf{b}$
  with respect to $\mathbf{X}$.

# required: every symbol used in `function` (and `where`).
# shape: [m, n] matrix, [m] column vector, [] scalar; dimensions are names or numbers.
# optional flags: symmetric: true (square only), complex: true, onehot: true (one-hot columns),
# latex: '\lambda' (how the name is written; default: the name, in bold if not a scalar)
variables:
  a: {shape: [m]}
  X: {shape: [m, n]}
  b: {shape: [n]}

# optional: elementwise functions used by name, e.g. sigma: sigmoid, g: generic
# (known: sigmoid, tanh, exp, log, sin, cos, softplus, sqrt, square, generic)
# functions:
#   sigma: sigmoid

# optional, ordered: named intermediates the solution goes through
# where:
#   Y: '\mathbf{X}\mathbf{b}'

function: '\mathbf{a}^T \mathbf{X} \mathbf{b}'   # required: a scalar-valued expression
wrt: X                                           # required: a variable or a list [X, b]
hessian: false                                   # optional: also the second derivative
answer: '\mathbf{a}\mathbf{b}^T'                 # optional: your expected result, checked
"""
