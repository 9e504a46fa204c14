"""PrairieLearn questions (v3 format): ``DIR/questions/<id>/`` per problem.

* ``info.json``: a stable uuid (``common.question_uuid``: the problem's id and mathematics),
  title, topic, tags, ``type: v3``.
* ``question.html``: the statement, one ``pl-string-input`` per variable for the student's
  LaTeX, their feedback, and the worked solution in ``pl-answer-panel``.  Everything with
  math comes in through ``params`` and triple braces, so Mustache never reads LaTeX's
  ``{{``.
* ``server.py``: ``generate()`` seeds the variant (``data["variant_seed"]``) and fills
  ``params`` and ``correct_answers``; ``grade()`` judges each typed answer with derivgen's
  own grader, exactly as ``derivgen grade`` does -- it imports the ``derivgen`` package,
  which the course installs into ``serverFilesCourse`` (README: PrairieLearn).  The problem
  is embedded as JSON, so the question needs no other file.
"""

from __future__ import annotations

import json
from pathlib import Path

from derivgen import __version__
from derivgen.files import write_atomically
from derivgen.export.common import Exported, math_html, prose_html, results_html, solution_html


def write_questions(problems: list[Exported], out_dir, sources: dict) -> list[Path]:
    """Write one question folder per problem; ``sources[(id, variant)]`` is the problem's
    mapping (the file's keys, of that variant), embedded in ``server.py``.  Returns the
    folders written."""
    root = Path(out_dir) / "questions"
    folders = []
    for ex in problems:
        folder = root / question_id(ex)
        folder.mkdir(parents=True, exist_ok=True)
        write_atomically(folder / "info.json", info_json(ex))
        write_atomically(folder / "question.html", question_html(ex))
        write_atomically(folder / "server.py", server_py(ex, sources[(ex.id, ex.variant)]))
        folders.append(folder)
    return folders


def question_id(ex: Exported) -> str:
    return ex.id if ex.variant is None else f"{ex.id}-v{ex.variant}"



def info_json(ex: Exported) -> str:
    info = {"uuid": ex.uuid, "title": ex.title, "topic": "Matrix calculus",
            "tags": ["derivgen", "matrix-calculus"], "type": "v3",
            "gradingMethod": "Internal"}
    return json.dumps(info, indent=2, ensure_ascii=False) + "\n"


def question_html(ex: Exported) -> str:
    """Static markup only (answer names are plain identifiers); all math is in ``params``."""
    inputs, feedback = [], []
    for wrt, _ in _labels(ex):
        name = answer_name(wrt)
        inputs.append(f'<p>{{{{{{params.labels.{name}}}}}}}</p>\n'
                      f'<pl-string-input answers-name="{name}" remove-spaces="false" '
                      f'display="block" size="60" placeholder="LaTeX"></pl-string-input>')
        feedback.append(f"<p>{{{{{{params.labels.{name}}}}}}} {{{{feedback.{name}}}}}</p>")
    return ("<pl-question-panel>\n{{{params.statement_html}}}\n"
            "<p>Write each derivative in LaTeX, as in the problem "
            "(e.g. <code>\\mathbf{a}\\mathbf{b}^T</code>).</p>\n</pl-question-panel>\n\n"
            + "\n".join(inputs) + "\n\n<pl-submission-panel>\n" + "\n".join(feedback)
            + "\n</pl-submission-panel>\n\n<pl-answer-panel>\n{{{params.results_html}}}\n"
            "{{{params.solution_html}}}\n</pl-answer-panel>\n")


def server_py(ex: Exported, source: dict) -> str:
    """The question's ``server.py``: the problem and its HTML as data, and the two hooks."""
    inputs = [{"name": answer_name(wrt), "wrt": wrt} for wrt, _ in _labels(ex)]
    params = {"statement_html": f"<p>{prose_html(ex.statement)}</p>",
              "results_html": results_html(ex), "solution_html": solution_html(ex),
              "labels": {answer_name(wrt): math_html(f"{lhs} =") for wrt, lhs in _labels(ex)},
              "inputs": inputs}
    return SERVER_TEMPLATE.format(
        title=ex.title.replace('"""', "'''"), version=__version__,
        # the file's key order kept: `where:` is ordered
        problem=repr(json.dumps(source, ensure_ascii=True, default=str)),
        params=repr(json.dumps(params, sort_keys=True, ensure_ascii=True)),
        answers=repr(json.dumps(ex.answers, sort_keys=True, ensure_ascii=True)),
        variant=repr(ex.variant))


def answer_name(wrt: str) -> str:
    return f"d_{wrt}"


def _labels(ex: Exported):
    """``(wrt, lhs)`` of each first-order, non-conjugate result: what the student types."""
    for (lhs, _), result in zip(ex.results, ex.contract["results"]):
        if result["order"] == 1 and not result["conjugate"]:
            yield result["wrt"], lhs


SERVER_TEMPLATE = '''\
"""PrairieLearn server code for "{title}" (written by derivgen {version}).

grade() judges the typed LaTeX with derivgen's own grader, the one behind
`derivgen grade`: install derivgen into the course's serverFilesCourse folder
(see derivgen's README, section PrairieLearn).
"""

import json

#: The problem file's keys, as derivgen read them.
PROBLEM = json.loads({problem})
#: HTML shown by question.html (statement, inputs, results, worked solution).
PARAMS = json.loads({params})
#: The verified results in LaTeX, one per variable.
ANSWERS = json.loads({answers})
#: Which of derivgen's variants this question is (None: the problem as written).
VARIANT = {variant}


_SOLVED = []


def _solution():
    """derivgen's verified derivation, made once per process (grading reuses it)."""
    if not _SOLVED:
        import derivgen   # imported on first use: generate() needs no SymPy
        _SOLVED.append(derivgen.solve(PROBLEM))
    return _SOLVED[0]


def generate(data):
    """Fill params and correct answers; the variant seed is PrairieLearn's."""
    data["params"].update(json.loads(json.dumps(PARAMS)))
    data["params"]["seed"] = int(data.get("variant_seed") or 0)
    data["params"]["variant"] = VARIANT
    for item in PARAMS["inputs"]:
        data["correct_answers"][item["name"]] = ANSWERS[item["wrt"]]


def grade(data):
    """Each typed answer judged like `derivgen grade`: score and feedback per answer."""
    solution = _solution()
    total = 0.0
    for item in PARAMS["inputs"]:
        name = item["name"]
        answer = data["submitted_answers"].get(name) or ""
        verdict = solution.grade(str(answer), wrt=item["wrt"])
        score = float(verdict["score"])
        data["partial_scores"][name] = {{"score": score, "weight": 1,
                                        "feedback": verdict["feedback"]}}
        data["feedback"][name] = verdict["feedback"]
        total += score
    data["score"] = total / max(1, len(PARAMS["inputs"]))
'''
