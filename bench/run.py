#!/usr/bin/env python3
"""derivgen benchmark: every figure of the performance targets, in one run.

    python3 bench/run.py            # full run (about 2 min on 2 idle cores)
    python3 bench/run.py --quick    # one timing per problem, one build of each kind

Reports, each against its target (issue 17):

* derive-and-verify per problem, in-process (``solve(load_problem(path))``), median and p95,
  over ``problems/`` and over a generated set of problems;
* SymPy's own ``MatrixExpr.diff`` on the same parsed functions of ``problems/``: its time and
  whether its answer is right, wrong, unreadable (array expressions) or an error;
* the cold ``derivgen build problems`` (fresh output folder, empty derivation store, the
  grammar cache warm as after an install) side by side with ``latexmk -pdf`` of its three
  ``.tex`` files one after the other, and with the limit: one ``pdflatex`` pass of each,
  one after the other;
* a second build with nothing changed, one after a single problem's title was edited, and
  the cold build with ``-j 1``;
* a cold build of 1000 generated problems; ``build problems --variants 100`` when the
  command has variants;
* peak memory of each build's whole process tree (the sum of the PSS of the process and
  all its descendants, pdflatex included, sampled every 20 ms) and of this process.

The builds run with ``DERIVGEN_CACHE`` in a scratch folder, never the user's cache.
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
import threading
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from derivgen.derive.derivation import inlined_function  # noqa: E402
from derivgen.pipeline import solve  # noqa: E402
from derivgen.problem.load import load_problem  # noqa: E402
from derivgen.render.documents import PDFLATEX, latex_environment  # noqa: E402

PROBLEMS = ROOT / "problems"
GENERATED = 1000        # problems in the generated set (built as one set)
TIMED_GENERATED = 200   # of them, timed in-process one by one
LATEXMK = ["latexmk", "-norc", "-pdf", "-interaction=nonstopmode", "-halt-on-error",
           "-no-shell-escape"]  # the command line derivgen used before one pdflatex pass

TARGETS = {  # name: (limit, unit)
    "derive median": (10.0, "ms"),
    "derive p95": (60.0, "ms"),
    "cold build / limit": (2.0, "x"),
    "cold build / latexmk": (1.0, "x"),
    "no-change rebuild": (0.5, "s"),
    "1000-problem build": (12.0, "s"),
    "--variants 100 build": (30.0, "s"),
    "peak memory (tree)": (300.0, "MB"),
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


#: CPU seconds (user + system) of every finished run_child's process tree, in order.
CPU_SECONDS: list[float] = []


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_child(command, cwd=None, env=None):
    """Run a subprocess; return (seconds, exit code, peak MB of its whole process tree).

    Its CPU time (the tree's, every process having waited for its own children) is appended
    to CPU_SECONDS: on a busy machine it says what the wall time would be on an idle one."""
    start, cpu = time.perf_counter(), children_cpu()
    proc = subprocess.Popen(command, cwd=cwd, env=env, stdin=subprocess.DEVNULL,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    sampler = TreeMemory(proc.pid)
    _, stderr = proc.communicate()
    elapsed = time.perf_counter() - start
    CPU_SECONDS.append(children_cpu() - cpu)
    peak = sampler.stop()
    if proc.returncode:
        print(f"  warning: {' '.join(map(str, command[:6]))} ... exit {proc.returncode}: "
              f"{stderr.decode(errors='replace').strip()[-300:]}")
    return elapsed, proc.returncode, peak


class TreeMemory:
    """Samples the summed PSS (proportional set size: shared pages split between the
    processes that share them, so forked workers are not counted twice) of a process and
    all its descendants every 20 ms, in a thread; ``stop()`` returns the peak in MB."""

    def __init__(self, pid: int, interval: float = 0.02):
        self.pid, self.interval, self.peak = pid, interval, 0.0
        self.done = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        while not self.done.is_set():
            self.peak = max(self.peak, sum(map(_pss_mb, self._tree())))
            self.done.wait(self.interval)

    def _tree(self):
        children = {}
        for entry in os.scandir("/proc"):
            if entry.name.isdigit():
                try:
                    with open(f"/proc/{entry.name}/stat") as f:
                        ppid = int(f.read().rsplit(")", 1)[1].split()[1])
                except (OSError, ValueError, IndexError):
                    continue
                children.setdefault(ppid, []).append(int(entry.name))
        tree, todo = [], [self.pid]
        while todo:
            pid = todo.pop()
            tree.append(pid)
            todo += children.get(pid, [])
        return tree

    def stop(self) -> float:
        self.done.set()
        self.thread.join()
        return self.peak


def _pss_mb(pid: int) -> float:
    try:
        with open(f"/proc/{pid}/smaps_rollup") as f:
            for line in f:
                if line.startswith("Pss:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def self_rss_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


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

class Builds:
    """``derivgen build`` as a subprocess, with the derivation store in a scratch folder."""

    def __init__(self, tmp: Path):
        self.store = tmp / "user-cache"
        self.env = dict(os.environ, DERIVGEN_CACHE=str(self.store),
                        PYTHONPATH=os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]))

    def run(self, folder, out, *extra, cold=False):
        """(seconds, exit code, peak MB of the tree); ``cold``: an empty derivation store
        (the grammar cache kept, as after an install)."""
        if cold:
            shutil.rmtree(self.store / "problems", ignore_errors=True)
        return run_child([sys.executable, "-m", "derivgen", "build", str(folder), "-o",
                          str(out), "-q", *map(str, extra)], cwd=ROOT, env=self.env)

    def has_variants(self) -> bool:
        run = subprocess.run([sys.executable, "-m", "derivgen", "build", "--help"], cwd=ROOT,
                             env=self.env, capture_output=True, text=True)
        return "--variants" in run.stdout


def latex_alone(tex_files, work, command):
    """``command`` (latexmk, or one pdflatex pass) on each .tex in a fresh folder, one after
    the other; (seconds, exit code, peak MB)."""
    work.mkdir(parents=True)
    for tex in tex_files:
        shutil.copy(tex, work / tex.name)
    start, peak, code = time.perf_counter(), 0.0, 0
    for tex in tex_files:
        _, rc, mb = run_child(command + [tex.name], cwd=work, env=latex_environment())
        code, peak = code or rc, max(peak, mb)
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
        generated = write_generated_set(generated_dir, GENERATED)[:TIMED_GENERATED]

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
        print("\nbuilds (subprocess wall time; peak memory of the whole process tree)")
        builds = Builds(tmp)
        builds.run(sample[0], tmp / "warm-up")     # the grammar cache, as after ./setup.sh
        colds, latexes, limits, rebuilds, edits, serials, peaks = ([] for _ in range(7))
        sample_copy = tmp / "problems"
        shutil.copytree(PROBLEMS, sample_copy)
        cold_cpu, latex_cpu, limit_cpu = [], [], []
        for i in range(build_runs):
            out = tmp / f"build{i}"
            seconds, _, mb = builds.run(sample_copy, out, cold=True)
            colds.append(seconds)
            cold_cpu.append(CPU_SECONDS[-1])
            peaks.append(mb)
            tex = [out / f"{n}.tex" for n in ("worksheet", "solutions", "answers")]
            latexes.append(latex_alone(tex, tmp / f"latexmk{i}", LATEXMK)[0])
            latex_cpu.append(sum(CPU_SECONDS[-len(tex):]))
            limits.append(latex_alone(tex, tmp / f"pdflatex{i}", PDFLATEX)[0])
            limit_cpu.append(sum(CPU_SECONDS[-len(tex):]))
            rebuilds.append(builds.run(sample_copy, out)[0])
            edit_one_problem(sample_copy)
            edits.append(builds.run(sample_copy, out)[0])
            serials.append(builds.run(sample_copy, tmp / f"serial{i}", "-j", "1", cold=True)[0])
        cold, latex, limit, rebuild, edit, serial = (
            statistics.median(v) for v in (colds, latexes, limits, rebuilds, edits, serials))

        def runs(values):
            return ", ".join(f"{s:.2f}" for s in values)

        print(f"  cold build of problems/ ({len(sample)} problems): {cold:6.2f} s "
              f"(runs: {runs(colds)}; CPU {statistics.median(cold_cpu):.2f} s)")
        print(f"  latexmk of its 3 .tex, one after the other: {latex:6.2f} s (runs: {runs(latexes)})")
        print(f"  limit: one pdflatex pass of each, one after the other: {limit:6.2f} s "
              f"(runs: {runs(limits)})")
        print(f"  ratio: {cold / limit:.2f}x the limit, {cold / latex:.2f}x latexmk; "
              f"derivgen's own share ~ {max(0.0, cold - limit):.2f} s")
        print(f"  CPU seconds: cold build {statistics.median(cold_cpu):.2f}, latexmk "
              f"{statistics.median(latex_cpu):.2f}, the limit {statistics.median(limit_cpu):.2f}")
        print(f"  cold build with -j 1 (derived in one process): {serial:6.2f} s "
              f"(runs: {runs(serials)})")
        print(f"  rebuild with nothing changed:             {rebuild:6.2f} s (runs: {runs(rebuilds)})")
        print(f"  rebuild after one problem's title edited: {edit:6.2f} s (runs: {runs(edits)})")
        figures["cold build / limit"] = cold / limit
        figures["cold build / latexmk"] = cold / latex
        figures["no-change rebuild"] = rebuild

        seconds, rc, mb = builds.run(generated_dir, tmp / "build1000", cold=True)
        peaks.append(mb)
        print(f"  cold build of the generated {GENERATED}-problem set: {seconds:6.2f} s "
              f"(exit {rc}, peak {mb:.0f} MB, CPU {CPU_SECONDS[-1]:.1f} s)")
        again, rc2, _ = builds.run(generated_dir, tmp / "build1000")
        print(f"  ... its rebuild with nothing changed:      {again:6.2f} s (exit {rc2})")
        figures["1000-problem build"] = seconds

        if builds.has_variants():
            seconds, rc, mb = builds.run(PROBLEMS, tmp / "variants", "--variants", 100,
                                         cold=True)
            peaks.append(mb)
            print(f"  build problems --variants 100 (cold): {seconds:6.2f} s (exit {rc}, "
                  f"peak {mb:.0f} MB, CPU {CPU_SECONDS[-1]:.1f} s)")
            figures["--variants 100 build"] = seconds
        else:
            print("  build --variants: not in this version of derivgen")

        # -- memory -------------------------------------------------------------------------
        print("\npeak memory")
        print(f"  this process (in-process derivations, SymPy side by side): {self_peak:6.1f} MB"
              " (max RSS)")
        print(f"  build process trees (summed PSS, the largest of all builds): {max(peaks):6.1f} MB")
        figures["peak memory (tree)"] = max(peaks)

        # -- summary ---------------------------------------------------------------------------
        print(f"\nload average at the end: {os.getloadavg()[0]:.1f}")
        print("\n  figure                        measured      target  ")
        for name, (limit, unit) in TARGETS.items():
            if name not in figures:
                print(f"  {name:<26} {'-':>9} {unit:<2}  <= {limit:6.1f} {unit:<2}  not measured")
                continue
            value = figures[name]
            verdict = "PASS" if value <= limit else f"MISS ({value / limit:.1f}x the target)"
            print(f"  {name:<26} {value:9.2f} {unit:<2}  <= {limit:6.1f} {unit:<2}  {verdict}")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
