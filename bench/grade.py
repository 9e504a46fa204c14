#!/usr/bin/env python3
"""How fast `derivgen grade` judges: hostile answers, one class's CSV (issue 15's targets:
a hostile answer is a verdict within a second).

    python3 bench/grade.py

Prints the slowest of several runs of each hostile answer against problem 01, and the time
of judging 300 answers to problem 50 (derivation included). Always exits 0.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from derivgen.grade import grade, grade_answers  # noqa: E402
from derivgen.pipeline import solve  # noqa: E402
from derivgen.problem.load import load_problem  # noqa: E402

HOSTILE = {
    "\\input{/etc/passwd}": r"\input{/etc/passwd}",
    "1 MB answer": "x" * 1_000_000,
    "100 000 nested groups": "(" * 100_000 + "x" + ")" * 100_000,
    "1970 characters of sums": r"\mathbf{a}\mathbf{b}^T + " * 78 + r"\mathbf{a}\mathbf{b}^T",
    "nested e^{...}": r"e^{" * 12 + r"\mathbf{a}^T\mathbf{X}\mathbf{b}" + "}" * 12,
    "matrix power 10^9": r"(\mathbf{a}\mathbf{a}^T)^{1000000000}\mathbf{a}\mathbf{b}^T",
}


def main():
    bilinear = solve(load_problem(ROOT / "problems" / "01-bilinear-form.yaml"))
    print(f"{'hostile answer':28} {'slowest of 5':>12}  verdict")
    for label, answer in HOSTILE.items():
        times = []
        for _ in range(5):
            start = time.perf_counter()
            verdict = grade(bilinear, answer)
            times.append(time.perf_counter() - start)
        print(f"{label:28} {max(times) * 1000:10.1f} ms  {verdict.diagnosis}")
    start = time.perf_counter()
    softmax = solve(load_problem(ROOT / "problems" / "50-softmax-regression.yaml"))
    right_w = r"(\operatorname{softmax}(\mathbf{W}\mathbf{x} + \mathbf{b}) - \mathbf{y})\mathbf{x}^T"
    answers = [{"W": right_w, "b": r"\operatorname{softmax}(\mathbf{W}\mathbf{x} + \mathbf{b})"},
               {"W": r"\mathbf{x}(\operatorname{softmax}(\mathbf{W}\mathbf{x} + \mathbf{b}) - \mathbf{y})^T",
                "b": r"\mathbf{y}"}] * 75
    for student in answers:
        grade_answers(softmax, student)
    print(f"300 answers to problem 50 (derivation included): "
          f"{time.perf_counter() - start:.2f} s")


if __name__ == "__main__":
    main()
