#!/usr/bin/env python3
"""derivgen benchmark: every figure of the performance targets, in one run.

    python3 bench/run.py            # full run (about 40 s on 2 idle cores)
    python3 bench/run.py --quick    # one timing per problem, one build of each kind

Reports, each against its target:

* derive-and-verify per problem, in-process (``solve(load_problem(path))``), median and p95,
  over ``problems/`` and over a generated set of problems;
* the cold ``derivgen build problems`` (fresh output folder, so an empty cache) against
  ``latexmk -pdf`` of its three emitted ``.tex`` files alone, one after the other (the
  target's baseline) and side by side (as derivgen runs them), and the ratios;
* a second build with nothing changed (the cache's whole-build fingerprint), and one after a
  single problem's title was edited (that problem derived again, the documents compiled);
* derivgen build with ``-j 1`` against the default (problems derived in worker processes);
* ``derivgen build`` of a generated 200-problem set;
* peak memory: the build subprocesses (``wait4`` rusage, the largest single process of the
  tree, pdflatex included) and this process (in-process derivations);
* SymPy's own ``MatrixExpr.diff`` on the same parsed functions of ``problems/``: its time and
  whether its answer is right, wrong, unreadable (array expressions) or an error.

Uses only the standard library, NumPy and SymPy (and derivgen itself). Always exits 0.
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from derivgen.derive.derivation import inlined_function
from derivgen.pipeline import solve  # noqa: E402
from derivgen.problem.load import load_problem  # noqa: E402

PROBLEMS = ROOT / "problems"
LATEXMK = ["latexmk", "-norc", "-pdf", "-interaction=nonstopmode", "-halt-on-error",
           "-no-shell-escape"]  # the command line derivgen itself uses

TARGETS = {  # name: (limit, unit)
    "derive median": (100.0, "ms"),
    "derive p95": (500.0, "ms"),
    "cold build / latex alone": (1.5, "x"),
    "no-change rebuild": (0.5, "s"),
    "200-problem build": (30.0, "s"),
    "peak memory": (300.0, "MB"),
}


# ---------------------------------------------------------------------------------------------
# helpers

def percentile(values, q):
    """Nearest-rank percentile (q in 0..100)."""
    ordered = sorted(values)
    k = max(0, min(len(ordered) - 1, int(np.ceil(q / 100 * len(ordered))) - 1))
    return ordered[k]


def problem_files(folder: Path):
    return sorted(p for p in folder.glob("*.yaml") if p.stem != "set")


def run_child(command, cwd=None):
    """Run a subprocess; return (seconds, exit code, peak RSS in MB of its process tree)."""
    start = time.perf_counter()
    proc = subprocess.Popen(command, cwd=cwd, stdin=subprocess.DEVNULL,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    # wait4 gives the rusage of this child and of the descendants it waited for;
    # ru_maxrss is the largest single process among them (KB on Linux).
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    proc.stderr.close()
    return elapsed, proc.returncode, usage.ru_maxrss / 1024


def self_rss_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def children_rss_mb():
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024


# ---------------------------------------------------------------------------------------------
# a generated problem set

MATRIX_NAMES = list("ABCMNPQRUVW")
VECTOR_NAMES = list("abcuvwyz")
DIMS = ["m", "n", "k", "p", "r", "s"]


def bold(name):
    return rf"\mathbf{{{name}}}"


def _matrix_terms(X, square):
    """Term makers for a matrix variable X: each takes fresh names and returns (latex, vars)."""
    rows, cols = X[1]
    x = bold(X[0])
    terms = [
        lambda a, b, A: (rf"{bold(a)}^T {x} {bold(b)}", {a: [rows], b: [cols]}, {}),
        lambda a, b, A: (rf"{bold(a)}^T e^{{{x}{bold(b)}}}", {a: [rows], b: [cols]}, {}),
        lambda a, b, A: (rf"\|{x}\|_F^2", {}, {}),
        lambda a, b, A: (rf"\operatorname{{tr}}({bold(A)}^T{x})", {A: [rows, cols]}, {}),
        lambda a, b, A: (rf"\operatorname{{tr}}({x}^T{bold(A)}{x})", {A: [rows, rows]}, {}),
        lambda a, b, A: (rf"\mathbf{{1}}^T\tanh({x}{bold(b)})", {b: [cols]}, {"tanh": "tanh"}),
    ]
    if square:
        terms += [
            lambda a, b, A: (rf"\log\det{x}", {}, {}),
            lambda a, b, A: (rf"\operatorname{{tr}}({bold(A)}{x}^{{-1}})", {A: [rows, rows]},
                             {}),
            lambda a, b, A: (rf"{bold(a)}^T{x}^{{-1}}{bold(b)}", {a: [rows], b: [rows]}, {}),
            lambda a, b, A: (rf"(\operatorname{{tr}}{x})^2", {}, {}),
        ]
    return terms


def _vector_terms(xv, other_dim):
    x = bold(xv[0])
    n = xv[1][0]
    m = other_dim
    return [
        lambda a, b, A: (rf"{x}^T{bold(A)}{x}", {A: [n, n]}, {}),
        lambda a, b, A: (rf"\|{bold(A)}{x} - {bold(b)}\|_2^2", {A: [m, n], b: [m]}, {}),
        lambda a, b, A: (rf"\|{x}\|_2", {}, {}),
        lambda a, b, A: (rf"e^{{{bold(a)}^T{x}}}", {a: [n]}, {}),
        lambda a, b, A: (rf"\mathbf{{1}}^T\tanh({bold(A)}{x})", {A: [m, n]}, {"tanh": "tanh"}),
        lambda a, b, A: (rf"{bold(a)}^T({x}\odot{x})", {a: [n]}, {}),
        lambda a, b, A: (rf"{bold(a)}^T{x}", {a: [n]}, {}),
        lambda a, b, A: (rf"\|{x}\|_2^2", {}, {}),
    ]


def generate_problem(rng: random.Random, index: int) -> str:
    """YAML text of one random problem (no ``answer:``): 1-3 terms in one variable."""
    dims = rng.sample(DIMS, 2)
    square = False
    if rng.random() < 0.5:  # a matrix variable
        square = rng.random() < 0.5
        shape = [dims[0], dims[0]] if square else dims
        wrt = (rng.choice(["X", "Z", "Y", "T"]), shape)
        makers = _matrix_terms(wrt, square)
    else:
        wrt = (rng.choice(["x", "z", "q", "h"]), [dims[0]])
        makers = _vector_terms(wrt, dims[1])
    variables = {wrt[0]: wrt[1]}
    functions = {}
    matrices = [n for n in MATRIX_NAMES if n != wrt[0]]
    vectors = [n for n in VECTOR_NAMES if n != wrt[0]]
    rng.shuffle(matrices)
    rng.shuffle(vectors)
    parts = []
    chosen = rng.sample(makers, rng.choice([1, 1, 2, 2, 3]))
    if len(chosen) > 1:  # (tr X)^2 beside other terms: internal error in the engine (see README)
        chosen = [m for m in chosen if m is not makers[-1] or not square] or chosen[:1]
    for k, make in enumerate(chosen):
        latex, new_vars, funcs = make(vectors.pop(), vectors.pop(), matrices.pop())
        variables.update(new_vars)
        functions.update(funcs)
        coefficient = rng.choice(["", "", "2", "3", r"\frac{1}{2}"])
        sign = "" if k == 0 else rng.choice([" + ", " - "])
        parts.append(f"{sign}{coefficient}{latex}")
    function = "".join(parts)
    lines = [f"title: Generated problem {index}", "variables:"]
    for name, shape in variables.items():
        lines.append(f"  {name}: {{shape: [{', '.join(shape)}]}}")
    if functions:
        lines.append("functions:")
        lines += [f"  {k}: {v}" for k, v in functions.items()]
    lines.append(f"function: '{function}'")
    lines.append(f"wrt: {wrt[0]}")
    linear = not wrt[0].isupper() and all(m is makers[-2] for m in chosen)  # a^T x only: no Hessian to read off
    if rng.random() < 0.15 and len(wrt[1]) == 1 and not linear:
        lines.append("hessian: true")
    return "\n".join(lines) + "\n"


def write_generated_set(folder: Path, count: int, seed: int = 231) -> list[Path]:
    rng = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "set.yaml").write_text(f"title: Generated set of {count} problems\n")
    paths = []
    for i in range(count):
        path = folder / f"g{i:03d}.yaml"
        path.write_text(generate_problem(rng, i))
        paths.append(path)
    return paths


# ---------------------------------------------------------------------------------------------
# in-process derive-and-verify

def time_derivations(paths, repeats):
    """Per problem, the median of ``repeats`` timings (ms); failures listed apart."""
    times, failures = {}, {}
    for path in paths:
        samples = []
        for _ in range(repeats):
            start = time.perf_counter()
            try:
                solve(load_problem(path))
            except Exception as exc:  # noqa: BLE001 -- a failing problem is a result
                failures[path] = f"{type(exc).__name__}: {str(exc).splitlines()[0][:90]}"
                break
            samples.append((time.perf_counter() - start) * 1000)
        if samples:
            times[path] = statistics.median(samples)
    return times, failures


# ---------------------------------------------------------------------------------------------
# SymPy's own MatrixExpr.diff, side by side

ARRAY_NODES = ("PermuteDims", "ArrayTensorProduct", "ArrayContraction", "ArrayDiagonal",
               "ArrayAdd", "ArrayDerivative", "Derivative")


def sympy_side_by_side(paths):
    from derivgen.verify.instances import defined_instance
    rows = []
    limit = sys.getrecursionlimit()
    for path in paths:
        problem = load_problem(path)
        if len(problem.wrt) != 1 or not problem.variables[problem.wrt[0]].shape:
            continue  # a single matrix/vector variable only
        derivation = solve(problem)
        scope, function = inlined_function(problem)
        symbol = scope.symbols[problem.wrt[0]]
        start = time.perf_counter()
        try:
            answer = function.diff(symbol)
            try:
                answer = answer.doit()
            except Exception:  # noqa: BLE001
                pass
            error = None
        except RecursionError:
            answer, error = None, "RecursionError"
        except Exception as exc:  # noqa: BLE001
            answer, error = None, f"{type(exc).__name__}: {str(exc)[:60]}"
        finally:
            sys.setrecursionlimit(limit)
        elapsed = (time.perf_counter() - start) * 1000
        if error:
            rows.append((path.stem, elapsed, "error", error))
            continue
        verdict, detail = classify(answer, derivation, defined_instance)
        rows.append((path.stem, elapsed, verdict, detail))
    return rows


def classify(answer, derivation, make_instance):
    text = str(answer)
    if any(node in text for node in ARRAY_NODES):
        try:
            from sympy.tensor.array.expressions import convert_array_to_matrix
            converted = convert_array_to_matrix(answer)
        except Exception:  # noqa: BLE001
            converted = answer
        if any(node in str(converted) for node in ARRAY_NODES):
            kind = "unevaluated Derivative" if "Derivative(" in text and "Permute" not in text \
                else text.split("(")[0]
            return "unreadable", f"{kind}: {_short(text)}"
        answer = converted
    if getattr(answer, "is_ZeroMatrix", False) or answer == 0:
        return "wrong", "returns 0"
    expected_expr = next(r.expr for r in derivation.results if r.order == 1)
    rng = np.random.default_rng(7)
    for _ in range(2):
        inst = make_instance(derivation, rng)
        try:
            got = np.asarray(inst.value(answer, False), dtype=float)
        except Exception as exc:  # noqa: BLE001
            return "unreadable", f"cannot evaluate ({type(exc).__name__}): {_short(text)}"
        want = np.asarray(inst.value(expected_expr, False), dtype=float)
        if got.size != want.size:
            return "wrong", f"shape {got.shape} vs {want.shape}: {_short(text)}"
        got = got.reshape(want.shape)
        if not np.allclose(got, want, rtol=1e-8, atol=1e-10):
            return "wrong", f"differs: {_short(text)}"
    return "right", _short(text)


def _short(text, n=58):
    return text if len(text) <= n else text[:n - 3] + "..."


# ---------------------------------------------------------------------------------------------
# builds

def build(folder, out, *extra):
    return run_child([sys.executable, "-m", "derivgen", "build", str(folder), "-o", str(out),
                      "-q", *extra], cwd=ROOT)


def latex_alone(tex_files, work, side_by_side=False):
    """latexmk each .tex in a fresh folder: one after the other, or all at once."""
    work.mkdir(parents=True)
    for tex in tex_files:
        shutil.copy(tex, work / tex.name)
    start, peak, code = time.perf_counter(), 0.0, 0
    if side_by_side:
        procs = [subprocess.Popen(LATEXMK + [tex.name], cwd=work, stdin=subprocess.DEVNULL,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                 for tex in tex_files]
        for proc in procs:
            _, status, usage = os.wait4(proc.pid, 0)
            proc.returncode = os.waitstatus_to_exitcode(status)
            code, peak = code or proc.returncode, max(peak, usage.ru_maxrss / 1024)
        return time.perf_counter() - start, code, peak
    for tex in tex_files:
        _, rc, rss = run_child(LATEXMK + [tex.name], cwd=work)
        code, peak = code or rc, max(peak, rss)
    return time.perf_counter() - start, code, peak


def edit_one_problem(folder: Path):
    """Change the title of the folder's first problem: one derivation and new documents."""
    path = problem_files(folder)[0]
    text = path.read_text()
    path.write_text(text.replace("title: ", "title: Edited ", 1) if "Edited" not in text
                    else text.replace("title: Edited ", "title: ", 1))


# ---------------------------------------------------------------------------------------------

def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true",
                        help="time each problem once and each build once")
    args = parser.parse_args(argv)
    repeats = 1 if args.quick else 5
    build_runs = 1 if args.quick else 3
    figures = {}
    tmp = Path(tempfile.mkdtemp(prefix="derivgen-bench-"))
    print(f"derivgen benchmark ({'quick' if args.quick else 'full'}); Python "
          f"{sys.version.split()[0]}, {os.cpu_count()} CPUs; scratch {tmp}; load average "
          f"{os.getloadavg()[0]:.1f} (timings are only meaningful on an idle machine)\n")
    try:
        sample = problem_files(PROBLEMS)
        generated_dir = tmp / "generated"
        generated = write_generated_set(generated_dir, 200)

        # -- in-process derive-and-verify --------------------------------------------------
        solve(load_problem(sample[0]))  # warm-up: imports, grammar, caches
        t_sample, f_sample = time_derivations(sample, repeats)
        t_gen, f_gen = time_derivations(generated, max(1, repeats // 2))
        print("derive-and-verify, in-process (ms per problem; median of "
              f"{repeats} runs for problems/, {max(1, repeats // 2)} for the generated set)")
        for label, times, failures in (("problems/", t_sample, f_sample),
                                       ("generated", t_gen, f_gen)):
            values = list(times.values())
            print(f"  {label:<10} n={len(values):3d}  median {statistics.median(values):7.1f}"
                  f"  p95 {percentile(values, 95):7.1f}  max {max(values):7.1f}"
                  f"  failed {len(failures)}")
        slowest = sorted({**t_sample, **t_gen}.items(), key=lambda kv: -kv[1])[:5]
        print("  slowest: " + ", ".join(f"{p.stem} {t:.0f}" for p, t in slowest))
        for path, message in list(f_gen.items())[:5]:
            print(f"  generated failure {path.name}: {message}")
        both = list(t_sample.values()) + list(t_gen.values())
        figures["derive median"] = statistics.median(both)
        figures["derive p95"] = percentile(both, 95)

        # -- SymPy side by side -------------------------------------------------------------
        print("\nSymPy 1.14 MatrixExpr.diff on the same parsed functions "
              "(single matrix/vector wrt)")
        rows = sympy_side_by_side(sample)
        for stem, ms, verdict, detail in rows:
            print(f"  {stem:<26} {ms:8.1f} ms  {verdict:<10} {detail}")
        counts = {v: sum(1 for r in rows if r[2] == v)
                  for v in ("right", "wrong", "unreadable", "error")}
        print("  " + ", ".join(f"{k} {v}" for k, v in counts.items()) +
              f" of {len(rows)}; derivgen: all {len(t_sample)} verified")
        self_peak = self_rss_mb()

        # -- builds --------------------------------------------------------------------------
        print("\nbuilds (subprocess wall time)")
        colds, latexes, parallel_latexes, rebuilds, edits, serials, peaks = ([] for _ in range(7))
        sample_copy = tmp / "problems"
        shutil.copytree(PROBLEMS, sample_copy)
        for i in range(build_runs):
            out = tmp / f"build{i}"
            seconds, rc, rss = build(sample_copy, out)
            colds.append(seconds)
            peaks.append(rss)
            seconds2, rc2, rss2 = build(sample_copy, out)
            rebuilds.append(seconds2)
            peaks.append(rss2)
            edit_one_problem(sample_copy)
            seconds3, rc3, rss3 = build(sample_copy, out)
            edits.append(seconds3)
            seconds4, rc4, rss4 = build(sample_copy, tmp / f"serial{i}", "-j", "1")
            serials.append(seconds4)
            peaks += [rss3, rss4]
            tex = [out / f"{n}.tex" for n in ("worksheet", "solutions", "answers")]
            lt, lrc, lrss = latex_alone(tex, tmp / f"latex{i}")
            latexes.append(lt)
            plt, plrc, plrss = latex_alone(tex, tmp / f"platex{i}", side_by_side=True)
            parallel_latexes.append(plt)
            if rc or rc2 or rc3 or rc4 or lrc or plrc:
                print(f"  warning: exit codes builds {rc} {rc2} {rc3} {rc4}, "
                      f"latexmk {lrc} {plrc}")
        cold, latex, platex, rebuild, edit, serial = (
            statistics.median(v) for v in (colds, latexes, parallel_latexes, rebuilds, edits,
                                           serials))

        def runs(values):
            return ", ".join(f"{s:.2f}" for s in values)

        print(f"  cold build of problems/ ({len(sample)} problems): {cold:6.2f} s "
              f"(runs: {runs(colds)})")
        print(f"  latexmk of its 3 .tex alone, one by one:  {latex:6.2f} s (runs: {runs(latexes)})")
        print(f"  latexmk of its 3 .tex alone, side by side:{platex:6.2f} s "
              f"(runs: {runs(parallel_latexes)})")
        print(f"  ratio: {cold / latex:.2f}x one by one, {cold / platex:.2f}x side by side; "
              f"derivgen's own share ~ {cold - platex:.2f} s")
        print(f"  cold build with -j 1 (derived in one process): {serial:6.2f} s "
              f"(runs: {runs(serials)})")
        print(f"  rebuild with nothing changed:             {rebuild:6.2f} s (runs: {runs(rebuilds)})")
        print(f"  rebuild after one problem's title edited: {edit:6.2f} s (runs: {runs(edits)})")
        seconds, rc, rss = build(generated_dir, tmp / "build200")
        peaks.append(rss)
        print(f"  build of the generated 200-problem set:   {seconds:6.2f} s (exit {rc})")
        seconds200, rc200, _ = build(generated_dir, tmp / "build200")
        print(f"  ... its rebuild with nothing changed:     {seconds200:6.2f} s (exit {rc200})")
        figures["cold build / latex alone"] = cold / latex
        figures["no-change rebuild"] = rebuild
        figures["200-problem build"] = seconds

        # -- memory -------------------------------------------------------------------------
        print("\npeak memory (max RSS)")
        print(f"  this process (in-process derivations, SymPy side by side): {self_peak:6.1f} MB")
        print(f"  build subprocess trees, largest single process:         {max(peaks):6.1f} MB"
              f" (RUSAGE_CHILDREN: {children_rss_mb():.1f} MB)")
        figures["peak memory"] = max(self_peak, max(peaks))

        # -- summary ---------------------------------------------------------------------------
        print(f"\nload average at the end: {os.getloadavg()[0]:.1f}")
        print("\n  figure                        measured      target  ")
        for name, (limit, unit) in TARGETS.items():
            value = figures[name]
            verdict = "PASS" if value <= limit else f"MISS ({value / limit:.1f}x the target)"
            print(f"  {name:<26} {value:9.2f} {unit:<2}  <= {limit:6.1f} {unit:<2}  {verdict}")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
