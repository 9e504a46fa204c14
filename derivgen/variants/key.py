"""The class's answer key (``DIR/key.pdf``): every variant's final results, for TAs.

One section per problem: a problem without ``variants:`` lists its results once; a problem
that varies has a table with a row per distinct version -- the folders (students) that have
it, the alternatives drawn, and its results -- so that a TA grading paper finds a student's
row by their folder. The LaTeX is plain and reproducible (no dates, no PDF IDs).
"""

from __future__ import annotations

import unicodedata

from derivgen.render.prose import escape_text as escape_prose
from derivgen.render.prose import set_packages

PREAMBLE = r"""\documentclass[10pt,a4paper]{article}
\usepackage[margin=1.8cm]{geometry}
\usepackage{amsmath}
\usepackage{amssymb}
\usepackage{longtable}
\usepackage{array}
\pdfinfoomitdate=1
\pdftrailerid{}
\pdfsuppressptexinfo=-1
\setlength{\parindent}{0pt}
\pagestyle{plain}
\renewcommand{\arraystretch}{1.3}
"""


def key_latex(title: str, seed: int, problems, meta: dict | None = None) -> str:
    """``problems``: ``[(id, title, [(folders, choices, results)])]`` in the set's order;
    ``results`` are ``(lhs, latex)`` pairs; ``folders`` the folder names of one version;
    ``meta``: the set's, for the packages its ``preamble:`` loads."""
    packages = [rf"\usepackage{{{name}}}" for name in set_packages(meta)]
    parts = [PREAMBLE, *packages, r"\begin{document}", "",
             rf"{{\Large\bfseries {escape_text(title)}}}\\[0.3em]",
             rf"Answer key for every variant (seed {int(seed)}). Each row lists the folders "
             r"(students) that have that version.", ""]
    for number, (problem_id, problem_title, versions) in enumerate(problems, start=1):
        parts.append(rf"\subsection*{{{number}.\ {escape_text(problem_title)}}}")
        if len(versions) == 1 and not versions[0][1]:
            parts.append(r"Same for every student: " + _results_cell(versions[0][2]))
            parts.append("")
            continue
        parts += [r"\begin{longtable}{@{}>{\raggedright}p{0.17\linewidth}"
                  r">{\raggedright}p{0.25\linewidth}p{0.52\linewidth}@{}}",
                  r"\textbf{Folders} & \textbf{Choices} & \textbf{Results}\\ \hline \endhead"]
        for folders, choices, results in versions:
            parts.append(rf"{escape_text(_folders_text(folders))} & "
                         rf"{escape_text(_choices_text(choices))} & "
                         rf"{_results_cell(results)}\\ \hline")
        parts += [r"\end{longtable}", ""]
    parts += [r"\end{document}", ""]
    return "\n".join(parts)


def escape_text(text: str) -> str:
    """Text that pdflatex prints: the instructor's labels may hold ``ᵀ`` or ``λ``; they are
    spelled in ASCII where Unicode knows how (``ᵀ`` -> ``T``), other characters dropped."""
    ascii_text = unicodedata.normalize("NFKD", str(text)).encode("ascii", "ignore").decode()
    return escape_prose(ascii_text)


def _results_cell(results) -> str:
    if not results:
        return r"\emph{(failed: see the build's messages)}"
    return r" \newline ".join(f"${lhs} = {latex}$" for lhs, latex in results)


def _folders_text(folders) -> str:
    """``001--003, 007``: runs of consecutive numbered folders shortened."""
    if not all(f.isdigit() for f in folders):
        return ", ".join(folders)
    runs, start, previous = [], None, None
    for folder in folders:
        if previous is not None and int(folder) == int(previous) + 1:
            previous = folder
            continue
        if start is not None:
            runs.append((start, previous))
        start = previous = folder
    runs.append((start, previous))
    return ", ".join(a if a == b else f"{a}-{b}" for a, b in runs)


def _choices_text(choices: dict) -> str:
    parts = []
    for name, value in choices.items():
        if isinstance(value, dict):
            value = "; ".join(f"{k}: {v}" for k, v in value.items())
        parts.append(f"{name} = {value if value != '' else '(empty)'}")
    return "; ".join(parts)
