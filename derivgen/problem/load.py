"""Problem files in, validated ``Problem`` objects out; folders of them in, ordered file lists out.

Every mistake in a file becomes a ``DerivgenError`` that names the file and the line of the
offending key, so the CLI can print ``problems/05-x.yaml:7: ...`` and never a traceback::

    >>> problem = load_problem("problems/01-bilinear-form.yaml")   # doctest: +SKIP
    >>> problem.id, problem.wrt, problem.line_of("function")        # doctest: +SKIP
    ('01-bilinear-form', ['X'], 11)
"""

from __future__ import annotations

import datetime
import difflib
import hashlib
import re
from pathlib import Path

import yaml

from derivgen.errors import DerivgenError
from derivgen.ir.functions import KINDS
from derivgen.model import Intermediate, Problem, VarSpec
from derivgen.problem.preamble import EMPTY, Preamble, read_preamble
from derivgen.problem.variation import apply_choice, read_slots

TOP_LEVEL_KEYS = ("title", "statement", "variables", "functions", "where", "function",
                  "wrt", "hessian", "answer", "answer_conjugate", "detail", "space",
                  "variants")
REQUIRED_KEYS = ("title", "variables", "function", "wrt")
VARIABLE_KEYS = ("shape", "latex", "symmetric", "complex", "onehot", "index")
SET_KEYS = ("title", "course", "date", "author", "instructions", "order", "transpose", "logo",
            "preamble")
SET_FILES = ("set.yaml", "set.yml")
#: ``logo:`` in set.yaml: an image beside set.yaml, by the first bytes each kind starts with.
LOGO_KINDS = {".png": b"\x89PNG\r\n\x1a\n", ".jpg": b"\xff\xd8\xff", ".jpeg": b"\xff\xd8\xff",
              ".pdf": b"%PDF-"}
MAX_LOGO_BYTES = 2_000_000
#: ``transpose:`` in set.yaml: how every solution of the set writes a transpose.
TRANSPOSE_STYLES = ("T", r"\top", r"\mathsf{T}", r"\intercal")

#: The longest text each key may hold (``*``: any other), so that no one string can make the
#: documents or the derivation unreasonably large; a title is one heading line.
MAX_TEXT = {"title": 300, "latex": 200, "course": 300, "date": 100, "author": 300,
            "statement": 20_000, "instructions": 20_000, "*": 20_000}
#: The largest numeric dimension. Sizes above parse.scope.EXACT_SIZE are verified at small
#: sizes (a derivation does not depend on how large a size is) and printed as written.
MAX_DIMENSION = 10 ** 12

#: A variable, dimension, function or intermediate name: ``X``, ``lam``, ``W_1``, ``a_2i``.
NAME = re.compile(r"[A-Za-z][A-Za-z0-9]*(?:_[A-Za-z0-9]+)*\Z")

#: Characters that a double-quoted YAML string produces from LaTeX commands it reads as
#: escapes: "\top" -> tab, "\frac" -> form feed, "\nabla" -> newline, "\alpha" -> bell ...
ESCAPE_DAMAGE = set("\t\n\r\a\b\v\f\x1b\x00\x85\xa0\u2028\u2029")


class PathError(DerivgenError):
    """A path on the command line that does not exist: a usage error (exit 2), not a bad problem."""


# ---------------------------------------------------------------------------------------------
# one problem file


def load_problem(path, picks=None) -> Problem:
    """Read and validate one problem file.

    >>> p = load_problem("problems/04-least-squares.yaml")            # doctest: +SKIP
    >>> p.variables["x"].shape                                         # doctest: +SKIP
    ('n',)

    A file with ``variants:`` gives its base (the first alternative of every slot), or with
    ``picks`` (one alternative's index per slot, see ``problem.variation``) that variant.
    """
    path = str(path)
    preamble = folder_preamble(Path(path).parent)
    return problem_from_mapping(read_problem_mapping(path), path, picks=picks, preamble=preamble)


def read_problem_mapping(path) -> "Located":
    """The problem file's YAML mapping, every key's line kept (not validated yet)."""
    return _load_mapping(str(path), what="a problem")


def load_problem_data(data: dict, name: str = "problem") -> Problem:
    """A problem from a mapping of the problem file's keys (what the Python API takes).

    Errors name ``<name>`` as the file and line 1: a mapping has no lines.
    """
    if not isinstance(data, dict):
        raise DerivgenError(f"a problem must be a mapping of keys (title: ..., variables: ...), "
                            f"not {_kind(data)}", file=f"<{name}>", line=1)
    return problem_from_mapping(_located(data), f"<{name}>", problem_id=name)


def _located(value):
    """Plain dicts as ``Located`` mappings (every key at line 1), recursively."""
    if isinstance(value, dict):
        data = Located(1)
        for key, item in value.items():
            data.lines[key] = 1
            data[key] = _located(item)
        return data
    if isinstance(value, (list, tuple)):
        return [_located(item) for item in value]
    return value


def problem_from_mapping(data: "Located", path: str, problem_id: str | None = None,
                         picks=None, preamble: Preamble | None = None) -> Problem:
    """Validate a problem file's mapping (``Located``: every key's line known); with
    ``variants:``, after applying the alternatives ``picks`` (default: the base).

    ``preamble``: its set's (``EMPTY`` outside a set), whose macros are expanded in the
    problem's text and whose packages it may use; None (a mapping given to the API, which
    makes no documents): text as it is, any allowed package's commands.
    """
    slots = read_slots(data, path, TOP_LEVEL_KEYS) if "variants" in data else []
    choices = {}
    if slots:
        picks = tuple(picks) if picks is not None else (0,) * len(slots)
        data = apply_choice(data, slots, picks, path, TOP_LEVEL_KEYS, Located)
        choices = {slot.name: slot.plain(pick) for slot, pick in zip(slots, picks)}
    if preamble is not None:
        expand_macros(data, preamble, path)
    check = _Checker(path, data)
    check.keys(data, TOP_LEVEL_KEYS, where="at the top level")
    for key in REQUIRED_KEYS:
        if key not in data:
            raise DerivgenError(_missing_message(key), file=path, line=_first_line(data))

    lines = {key: data.line(key) for key in data}
    variables = _variables(check, data)
    functions = _functions(check, data, variables)
    where = _where(check, data, variables, functions)
    for name in functions:
        if any(name in spec.shape for spec in variables.values()):
            raise check.error(f"'{name}' is declared both as a dimension and as a function: "
                              "rename one of them", data["functions"].line(name))
    lines.update({f"variables.{name}": spec.line for name, spec in variables.items()})
    lines.update({f"functions.{name}": data["functions"].line(name) for name in functions})
    lines.update({f"where.{item.name}": item.line for item in where})
    wrt = _wrt(check, data, variables, where)
    answer, answers = _answer(check, data, wrt)
    lines.update({f"answer.{name}": data["answer"].line(name) for name in answers})

    return Problem(
        path=path,
        id=problem_id or Path(path).stem,
        title=check.text(data, "title", latex=False),
        statement=check.text(data, "statement", latex=True) if "statement" in data else None,
        function=check.text(data, "function", latex=True),
        wrt=wrt,
        variables=variables,
        functions=functions,
        where=where,
        hessian=check.flag(data, "hessian") if "hessian" in data else False,
        answer=answer,
        answers=answers,
        answer_conjugate=check.text(data, "answer_conjugate", latex=True)
        if "answer_conjugate" in data else None,
        detail=check.choice(data, "detail", DETAILS) if "detail" in data else None,
        space=_space(check, data) if "space" in data else None,
        lines=lines,
        choices=choices,
    )


#: ``detail:``: a solution as the lecture writes it, or every rewrite as its own step.
DETAILS = ("compact", "full")
SPACE = re.compile(r"(\d+(?:\.\d+)?)(cm|mm|in|pt|em)")
#: The most room one problem may ask for, by unit: about a page.
SPACE_MAX = {"cm": 25, "mm": 250, "in": 10, "pt": 700, "em": 65}


def _space(check, data) -> str:
    """``space: 5cm``: room for the answer under the problem on the worksheet."""
    value = str(data["space"]).strip()
    match = SPACE.fullmatch(value)
    if not match or float(match.group(1)) > SPACE_MAX[match.group(2)]:
        raise check.error(f"'space' must be a length such as 5cm or 40mm, at most a page "
                          f"(25cm), not {data['space']!r}", data.line("space"))
    return value


def _missing_message(key: str) -> str:
    examples = {
        "title": "title: Derivative of a bilinear form",
        "variables": "variables: {X: {shape: [m, n]}}",
        "function": r"function: '\mathbf{a}^T \mathbf{X} \mathbf{b}'",
        "wrt": "wrt: X",
    }
    return f"missing required key '{key}': add a line such as `{examples[key]}`"


def _first_line(data: Located) -> int:
    return min(data.lines.values(), default=data.start_line)


def expand_macros(data: "Located", preamble: Preamble, path: str) -> "Located":
    """The set's macros expanded in every LaTeX text of a problem's mapping (in place), and
    each checked for commands of packages the set does not load; errors at the key's line."""
    def expand(mapping, key):
        if isinstance(mapping[key], str):
            mapping[key] = _expanded(preamble, mapping[key], path, mapping.line(key))

    for key in ("statement", "function", "answer", "answer_conjugate", "where", "variables"):
        value = data.get(key)
        if isinstance(value, Located):      # answer: {W: ...}, where: {a: ...}
            for name, item in value.items():
                if key == "variables" and isinstance(item, Located) and "latex" in item:
                    expand(item, "latex")
                elif key != "variables":
                    expand(value, name)
        elif key in data:
            expand(data, key)
    return data


def _expanded(preamble: Preamble, text: str, path: str, line: int) -> str:
    try:
        text = preamble.expand(text)
        preamble.check_packages(text)
    except DerivgenError as err:
        raise err.located(path, line) from None
    return text


class _Checker:
    """Type checks that raise errors located at a key of one file."""

    def __init__(self, path: str, root: Located):
        self.path = path
        self.root = root

    def error(self, message: str, line: int | None) -> DerivgenError:
        return DerivgenError(message, file=self.path, line=line)

    def keys(self, mapping: Located, known, *, where: str):
        for key in mapping:
            if not isinstance(key, str) or key not in known:
                raise self.error(f"unknown key '{key}' {where}{_did_you_mean(key, known)}; "
                                 f"known keys: {', '.join(known)}", mapping.line(key))

    def text(self, mapping: Located, key: str, *, latex: bool, label: str | None = None) -> str:
        """A string value; numbers are accepted as text (``answer: 0``)."""
        value = mapping[key]
        label = label or key
        if isinstance(value, bool) or not isinstance(value, (str, int, float)):
            raise self.error(f"'{label}' must be a string, not {_kind(value)}"
                             + (r"; write LaTeX in single quotes: '\mathbf{a}^T \mathbf{x}'"
                                if latex else ""), mapping.line(key))
        text = str(value)
        if latex and mapping.style(key) == '"' and ESCAPE_DAMAGE & set(text):
            raise self.error(
                f"'{label}' is in double quotes, where YAML reads backslashes as escapes "
                r"(\t in \top, \f in \frac, \n in \nabla); use single quotes: '\frac{1}{2}' "
                "or a block scalar (>-)", mapping.line(key))
        text = text.strip()
        if not text:
            raise self.error(f"'{label}' is empty", mapping.line(key))
        limit = MAX_TEXT.get(label.rpartition(".")[2], MAX_TEXT["*"])
        if len(text) > limit:
            raise self.error(f"'{label}' has {len(text):,} characters; at most {limit:,} "
                             "are allowed", mapping.line(key))
        return text

    def choice(self, mapping: Located, key: str, choices) -> str:
        value = mapping[key]
        if value not in choices:
            raise self.error(f"'{key}' must be one of {', '.join(choices)}, not {value!r}",
                             mapping.line(key))
        return value

    def flag(self, mapping: Located, key: str, label: str | None = None) -> bool:
        value = mapping[key]
        if not isinstance(value, bool):
            raise self.error(f"'{label or key}' must be true or false, not {_brief(value)}",
                             mapping.line(key))
        return value

    def mapping(self, mapping: Located, key: str, example: str) -> Located:
        value = mapping[key]
        if not isinstance(value, Located):
            raise self.error(f"'{key}' must be a mapping such as `{example}`, "
                             f"not {_kind(value)}", mapping.line(key))
        return value

    def name(self, name, line: int | None, what: str) -> str:
        if not isinstance(name, str) or not NAME.match(name):
            raise self.error(f"{what} name {_brief(name)} is not a valid name: use letters and digits, "
                             "starting with a letter, optionally with _ (X, lam, W_1)", line)
        return name


def _variables(check: _Checker, data: Located) -> dict[str, VarSpec]:
    table = check.mapping(data, "variables", "{X: {shape: [m, n]}, b: {shape: [n]}}")
    if not table:
        raise check.error("'variables' is empty: declare every symbol, e.g. "
                          "`X: {shape: [m, n]}`", data.line("variables"))
    specs = {}
    for name, entry in table.items():
        line = table.line(name)
        check.name(name, line, "variable")
        specs[name] = _variable(check, name, entry, line)
    for name, spec in specs.items():
        if name.startswith("d") and name[1:] in specs:
            # dX is the differential of X in every derivation and in the verifier's values
            raise check.error(f"variable '{name}' would read as the differential of "
                              f"'{name[1:]}': rename it, e.g. {name[0]}_{name[1:]} or "
                              f"delta_{name[1:]}", spec.line)
    for spec in specs.values():
        for dim in spec.shape:
            if dim in specs:
                # Dimensions and variables share one namespace in the generated NumPy code.
                raise check.error(f"dimension '{dim}' of '{spec.name}' has the same name as the "
                                  f"variable '{dim}': rename one of them", spec.line)
    return specs


def _variable(check: _Checker, name: str, entry, line: int) -> VarSpec:
    if isinstance(entry, list):             # shorthand: ``X: [m, n]``
        return VarSpec(name=name, shape=_shape(check, name, entry, line), line=line)
    if not isinstance(entry, Located):
        raise check.error(f"variable '{name}' must be a mapping such as "
                          f"`{name}: {{shape: [m, n]}}`, not {_kind(entry)}", line)
    check.keys(entry, VARIABLE_KEYS, where=f"in variable '{name}'")
    if "shape" not in entry:
        raise check.error(f"variable '{name}' has no shape: add `shape: [m, n]` (matrix), "
                          "`shape: [m]` (vector) or `shape: []` (scalar)", line)
    shape = _shape(check, name, entry["shape"], entry.line("shape"))
    flags = {key: check.flag(entry, key, f"{name}.{key}")
             for key in ("symmetric", "complex", "onehot") if key in entry}
    if flags.get("symmetric") and (len(shape) != 2 or shape[0] != shape[1]):
        raise check.error(f"variable '{name}' is symmetric, so it must be square: "
                          f"give it a shape like [n, n], not {_shape_text(shape)}",
                          entry.line("symmetric"))
    if flags.get("onehot") and not shape:
        raise check.error(f"variable '{name}' is onehot, so it must be a vector (shape [m]) "
                          f"or a matrix of one-hot columns (shape [m, N]), not a scalar",
                          entry.line("onehot"))
    latex = check.text(entry, "latex", latex=True, label=f"{name}.latex") if "latex" in entry \
        else None
    index = _index(check, name, entry) if "index" in entry else None
    return VarSpec(name=name, shape=shape, latex=latex, line=line, index=index, **flags)


def _index(check: _Checker, name: str, entry) -> str:
    """``index: i``: the variable is a family of samples, written ``x_i`` under a sum."""
    value = entry["index"]
    if not isinstance(value, str) or not re.fullmatch(r"[a-zA-Z]", value):
        raise check.error(f"index of '{name}' must be one letter such as i, not {_brief(value)}: "
                          f"the samples are then written {name}_i", entry.line("index"))
    return value


def _shape(check: _Checker, name: str, shape, line: int) -> tuple:
    hint = "use [m, n] for a matrix, [m] for a vector, [] for a scalar"
    if not isinstance(shape, list):
        raise check.error(f"shape of '{name}' must be a list, not {_kind(shape)}: {hint}", line)
    if len(shape) > 2:
        raise check.error(f"shape of '{name}' has {len(shape)} dimensions; at most 2 are "
                          f"supported: {hint}", line)
    dims = []
    for dim in shape:
        if isinstance(dim, bool) or not (isinstance(dim, (int, str))):
            raise check.error(f"dimension {_brief(dim)} of '{name}' must be a name (m) "
                              "or a positive integer", line)
        if isinstance(dim, int) and dim <= 0:
            raise check.error(f"dimension {dim} of '{name}' must be positive", line)
        if isinstance(dim, int) and dim > MAX_DIMENSION:
            raise check.error(f"dimension {dim} of '{name}' is too large to verify numerically "
                              f"(at most {MAX_DIMENSION}): use a name such as n instead", line)
        if isinstance(dim, str) and not NAME.match(dim):
            raise check.error(f"dimension {_brief(dim)} of '{name}' is not a valid name: use a letter "
                              "such as m, n, or a positive integer", line)
        dims.append(dim)
    return tuple(dims)


def _shape_text(shape: tuple) -> str:
    return "[" + ", ".join(str(d) for d in shape) + "]"


def _functions(check: _Checker, data: Located, variables) -> dict[str, str]:
    if "functions" not in data:
        return {}
    table = check.mapping(data, "functions", "{sigma: sigmoid, g: generic}")
    functions = {}
    for name, kind in table.items():
        line = table.line(name)
        check.name(name, line, "function")
        if name in variables:
            raise check.error(f"'{name}' is declared both as a variable and as a function: "
                              "rename one of them", line)
        if not isinstance(kind, str) or kind not in KINDS:
            raise check.error(f"function '{name}' has unknown kind {_brief(kind)}"
                              f"{_did_you_mean(kind, KINDS)}; known kinds: {', '.join(KINDS)} "
                              "(generic: any function, its derivative written g')", line)
        functions[name] = kind
    return functions


def _where(check: _Checker, data: Located, variables, functions) -> list[Intermediate]:
    if "where" not in data:
        return []
    items = _where_items(check, data)
    where, seen = [], set()
    for name, parent in items:
        line = parent.line(name)
        check.name(name, line, "intermediate")
        if name in variables or name in functions:
            kind = "variable" if name in variables else "function"
            raise check.error(f"intermediate '{name}' is already declared as a {kind}: "
                              "give it another name", line)
        if name in seen:
            raise check.error(f"intermediate '{name}' is defined twice", line)
        seen.add(name)
        latex = check.text(parent, name, latex=True, label=f"where.{name}")
        where.append(Intermediate(name=name, latex=latex, line=line))
    return where


def _where_items(check: _Checker, data: Located) -> list[tuple[str, Located]]:
    """``where`` as (name, mapping holding it) pairs: a mapping, or a list of one-key mappings."""
    value = data["where"]
    example = r"{Y: '\sigma(\mathbf{W}\mathbf{X})'}"
    if isinstance(value, Located):
        return [(name, value) for name in value]
    if isinstance(value, list):
        items = []
        for entry in value:
            if not isinstance(entry, Located) or len(entry) != 1:
                raise check.error("each entry of the 'where' list must be one `name: latex` "
                                  f"pair such as `- {example[1:-1]}`", data.line("where"))
            items.append((next(iter(entry)), entry))
        return items
    raise check.error(f"'where' must be a mapping such as `{example}`, not {_kind(value)}",
                      data.line("where"))


def _answer(check: _Checker, data: Located, wrt: list[str]):
    """``answer: '...'`` (the result by the first ``wrt``), or one per variable:
    ``answer: {W: '...', b: '...'}``; returns (single answer or None, {name: answer})."""
    if "answer" not in data:
        return None, {}
    value = data["answer"]
    if not isinstance(value, Located):
        return check.text(data, "answer", latex=True), {}
    if not value:
        raise check.error("'answer' is empty: write `answer: '...'` or one answer per variable, "
                          f"`answer: {{{wrt[0]}: '...'}}`", data.line("answer"))
    answers = {}
    for name in value:
        if name not in wrt:
            raise check.error(f"'answer' has an entry for '{name}', which is not in wrt"
                              f"{_did_you_mean(str(name), wrt)}; wrt: {', '.join(wrt)}",
                              value.line(name))
        answers[name] = check.text(value, name, latex=True, label=f"answer.{name}")
    return None, answers


def _wrt(check: _Checker, data: Located, variables, where) -> list[str]:
    value = data["wrt"]
    line = data.line("wrt")
    names = value if isinstance(value, list) else [value]
    if not names:
        raise check.error("'wrt' is empty: name the variable to differentiate by, e.g. wrt: X",
                          line)
    result = []
    for name in names:
        if not isinstance(name, str):
            raise check.error(f"'wrt' must name variables, not {_kind(name)} {_brief(name)}", line)
        if any(item.name == name for item in where):
            raise check.error(f"'wrt' names the intermediate '{name}': differentiate by the "
                              "variables it is made of instead", line)
        if name not in variables:
            raise check.error(f"'wrt' names '{name}', which is not a declared variable"
                              f"{_did_you_mean(name, list(variables))}; declared: "
                              f"{', '.join(variables)}", line)
        if name in result:
            raise check.error(f"'wrt' names '{name}' twice", line)
        if variables[name].index:
            raise check.error(f"'wrt' names the samples '{name}' (index: "
                              f"{variables[name].index}): differentiate by a parameter shared "
                              f"by all samples", line)
        if variables[name].onehot:
            raise check.error(f"'wrt' names the one-hot labels '{name}': labels are data, "
                              f"not something to differentiate by", line)
        result.append(name)
    return result


# ---------------------------------------------------------------------------------------------
# folders and sets


def load_set(folder) -> tuple[dict, list[Path]]:
    """The problem files of a folder, in the order of its ``set.yaml`` (if any), and its meta.

    Files that ``order`` does not list follow alphabetically.

    >>> meta, files = load_set("problems")                           # doctest: +SKIP
    >>> meta["title"], files[0].name                                  # doctest: +SKIP
    ('Matrix Calculus and Derivatives', '01-bilinear-form.yaml')
    """
    folder = Path(folder)
    files = sorted((p for p in folder.iterdir() if p.is_file() and _is_problem_file(p)),
                   key=lambda p: p.name)
    set_file = _set_file(folder)
    if set_file is None:
        return {}, files
    path = str(set_file)
    data = _load_mapping(path, what="a problem set")
    check = _Checker(path, data)
    check.keys(data, SET_KEYS, where="in set.yaml")
    meta = {}
    preamble = folder_preamble(folder)
    for key in SET_KEYS:
        if key in ("order", "preamble") or key not in data:
            continue
        value = data[key]
        if key == "transpose" and value not in TRANSPOSE_STYLES:
            raise check.error(f"'transpose' must be one of {', '.join(TRANSPOSE_STYLES)} "
                              f"(in single quotes), not {value!r}", data.line(key))
        if key == "logo":
            meta[key] = _logo(check, data, folder)
            continue
        if isinstance(value, (datetime.date, datetime.datetime)):   # YAML reads 2024-03-01
            meta[key] = value.isoformat()
        elif isinstance(value, str) and not value.strip():
            meta[key] = value
        else:   # a number as text; too long a text is an error at its line
            meta[key] = check.text(data, key, latex=False)
        if key == "instructions":
            meta[key] = _expanded(preamble, meta[key], path, data.line(key))
            meta["instructions_at"] = [path, data.line(key)]   # for an error in its math
    ordered = _ordered(check, data, files) if "order" in data else []
    rest = [p for p in files if p not in ordered]
    return meta, ordered + rest


def _set_file(folder: Path) -> Path | None:
    return next((folder / name for name in SET_FILES if (folder / name).is_file()), None)


_PREAMBLES: dict = {}


def folder_preamble(folder) -> Preamble:
    """The ``preamble:`` of the ``set.yaml`` in ``folder`` (``EMPTY`` if there is none):
    what every problem file in that folder is read with, also alone (``solve``, ``check``
    of one file).  Read once per content of the file."""
    set_file = _set_file(Path(folder))
    if set_file is None:
        return EMPTY
    try:    # by content, not by time: an edit within the clock's granularity counts too
        memo = (str(set_file.resolve()), hashlib.sha256(set_file.read_bytes()).hexdigest())
    except OSError:
        memo = None
    if memo is not None and memo in _PREAMBLES:
        return _PREAMBLES[memo]
    path = str(set_file)
    data = _load_mapping(path, what="a problem set")
    preamble = EMPTY
    if "preamble" in data:
        value = data["preamble"]

        def line_of(*keys):
            mapping, line = value, data.line("preamble")
            for key in keys:
                if not isinstance(mapping, Located):
                    break
                line, mapping = mapping.line(key), mapping.get(key)
            return line
        try:
            preamble = read_preamble(value, line_of)
        except DerivgenError as err:
            raise err.located(path, data.line("preamble")) from None
    if memo is not None:
        _PREAMBLES[memo] = preamble
    return preamble


def preamble_key(path) -> str | None:
    """The meaning of the preamble a problem file is read with, for its cache key (None if
    its set.yaml cannot be read: then nothing is cached)."""
    try:
        return folder_preamble(Path(path).parent).key()
    except DerivgenError:
        return None


def _logo(check: _Checker, data: Located, folder: Path) -> dict:
    """``logo: file`` -> ``{path, name}``: an image in the set's folder (PNG, JPEG or PDF,
    at most 2 MB), named by its content so that a new logo makes new documents."""
    value, line = data["logo"], data.line("logo")
    kinds = ", ".join(LOGO_KINDS)
    if not isinstance(value, str) or not value.strip():
        raise check.error(f"'logo' must name an image file next to set.yaml ({kinds})", line)
    path = (folder / value).resolve()
    if not path.is_relative_to(folder.resolve()):
        raise check.error(f"'logo' must be a file in the set's folder, not {_brief(value)}", line)
    signature = LOGO_KINDS.get(path.suffix.lower())
    if signature is None:
        raise check.error(f"'logo' must be a {kinds} image, not {_brief(value)}", line)
    if not path.is_file():
        raise check.error(f"'logo': there is no file {_brief(value)} in {folder}", line)
    if path.stat().st_size > MAX_LOGO_BYTES:
        raise check.error(f"'logo': {_brief(value)} is larger than 2 MB", line)
    data_bytes = path.read_bytes()
    if not data_bytes.startswith(signature):
        raise check.error(f"'logo': {_brief(value)} is not a {path.suffix} image", line)
    digest = hashlib.sha256(data_bytes).hexdigest()[:16]
    return {"path": str(path), "name": f"logo-{digest}{path.suffix.lower()}"}


def _is_problem_file(path: Path) -> bool:
    return path.suffix in (".yaml", ".yml") and path.stem != "set"


def _ordered(check: _Checker, data: Located, files: list[Path]) -> list[Path]:
    order = data["order"]
    line = data.line("order")
    if not isinstance(order, list):
        raise check.error("'order' must be a list of problem files, e.g. "
                          "[01-bilinear-form, 02-exp]", line)
    by_name = {p.stem: p for p in files} | {p.name: p for p in files}
    result = []
    for entry in order:
        entry = str(entry)
        if entry not in by_name:
            raise check.error(f"'order' lists {_brief(entry)}, but there is no {_brief(entry)[1:-1]}"
                              f"{'' if entry.endswith(('.yaml', '.yml')) else '.yaml'} "
                              f"in this folder{_did_you_mean(entry, list(by_name))}", line)
        if by_name[entry] in result:
            raise check.error(f"'order' lists {_brief(entry)} twice", line)
        result.append(by_name[entry])
    return result


def expand_paths(paths) -> tuple[dict, list[Path]]:
    """Files and folders from the command line -> (set meta, problem files in build order).

    Meta comes from the first folder that has a ``set.yaml``; a file named twice counts once;
    a ``set.yaml`` given as a file stands for its folder.  ``meta["preamble"]``: the
    packages that the ``preamble:`` of every problem's set loads.
    Raises ``PathError`` for a path that does not exist.
    """
    meta: dict = {}
    files: list[Path] = []
    seen = set()
    for raw in paths:
        path = Path(raw)
        if path.is_file() and path.name in ("set.yaml", "set.yml"):
            path = path.parent              # naming a set's file means the whole set
        if path.is_dir():
            folder_meta, found = load_set(path)
            meta = meta or folder_meta
        elif path.is_file():
            found = [path]
        elif path.exists():         # a FIFO, a device, a socket: reading it could block
            raise PathError(f"{raw} is not a regular file or folder", file=str(raw))
        else:
            raise PathError(f"no such file or folder: {raw}", file=str(raw))
        for file in found:
            key = file.resolve()
            if key not in seen:
                seen.add(key)
                files.append(file)
    preambles = [folder_preamble(folder) for folder in dict.fromkeys(f.parent for f in files)]
    preambles = [p for p in preambles if p.key()]
    if preambles:       # what the documents load, and what a no-change rebuild compares
        packages = dict.fromkeys(name for p in preambles for name in p.packages)
        meta = {**meta, "preamble": {"packages": list(packages),
                                     "macros": [p.key() for p in preambles]}}
    return meta, files


# ---------------------------------------------------------------------------------------------
# YAML with line numbers


class Located(dict):
    """A YAML mapping that remembers the 1-based line of each key and how its value was quoted."""

    def __init__(self, start_line: int = 1):
        super().__init__()
        self.start_line = start_line
        self.lines: dict = {}
        self.styles: dict = {}

    def line(self, key) -> int:
        return self.lines.get(key, self.start_line)

    def style(self, key) -> str | None:
        return self.styles.get(key)


class _LineLoader(yaml.SafeLoader):
    """SafeLoader whose mappings are ``Located``: safe tags only, plus key positions."""


def _construct_located(loader: _LineLoader, node: yaml.MappingNode):
    data = Located(node.start_mark.line + 1)
    yield data                                  # first, so that aliases and recursion work
    loader.flatten_mapping(node)                # merge keys (<<: *base)
    for key_node, value_node in node.value:
        # A plain scalar key stays text: a variable named `on` or `1` is not a bool or an int.
        if isinstance(key_node, yaml.ScalarNode):
            key = key_node.value
        else:
            key = loader.construct_object(key_node, deep=True)
            if not isinstance(key, (str, int, float, bool)):
                raise _KeyProblem("a key must be a plain name, not a list or mapping",
                                  key_node.start_mark.line + 1)
        line = key_node.start_mark.line + 1
        if key in data.lines:
            raise _KeyProblem(f"duplicate key '{key}' (first at line {data.lines[key]}): "
                              "remove one of them", line)
        data.lines[key] = line
        if isinstance(value_node, yaml.ScalarNode):
            data.styles[key] = value_node.style
        data[key] = loader.construct_object(value_node, deep=True)


_LineLoader.add_constructor("tag:yaml.org,2002:map", _construct_located)


class _KeyProblem(Exception):
    def __init__(self, message: str, line: int):
        super().__init__(message)
        self.message, self.line = message, line


def load_yaml(path: str):
    """Parse a YAML file safely; mappings come back as ``Located``. Errors -> DerivgenError."""
    try:
        with open(path, "rb") as source:    # at most what the limit lets through, not more
            data = source.read(4 * MAX_FILE_CHARS + 1)
        if len(data) > 4 * MAX_FILE_CHARS:
            raise DerivgenError(f"the file is too large: a problem file may have at most "
                                f"{MAX_FILE_CHARS:,} characters", file=path, line=1)
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise DerivgenError(f"the file is not UTF-8 text ({exc.reason} at byte {exc.start})",
                            file=path, line=1) from None
    except OSError as exc:
        raise DerivgenError(f"cannot read the file: {exc.strerror}", file=path, line=1) from None
    if text.startswith("\ufeff"):               # a BOM from some Windows editors
        text = text[1:]
    if len(text) > MAX_FILE_CHARS:
        raise DerivgenError(f"the file has {len(text):,} characters; a problem file may have "
                            f"at most {MAX_FILE_CHARS:,}", file=path, line=1)
    loader = _LineLoader(text)
    try:
        try:
            node = loader.get_single_node()
            if node is None:
                return None
            _check_size(node)                   # before anything is built from the tree
            return loader.construct_document(node)
        finally:
            loader.dispose()
    except RecursionError:
        raise DerivgenError(f"the YAML is nested too deeply: at most {MAX_DEPTH} levels of "
                            "lists and mappings", file=path, line=loader.line + 1) from None
    except _KeyProblem as exc:
        raise DerivgenError(exc.message, file=path, line=exc.line) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        if exc.context_mark and ("<stream end>" in (exc.problem or "")
                                 or "flow" in (exc.context or "")):
            mark = exc.context_mark         # an unclosed [ or {: point at where it opened
        line = mark.line + 1 if mark else 1
        raise DerivgenError(_yaml_message(exc), file=path, line=line) from None
    except yaml.YAMLError as exc:
        raise DerivgenError(f"invalid YAML: {exc}", file=path, line=1) from None


#: Bounds on what a problem file can make the loader build: a few kilobytes of YAML
#: aliases (``&a [*b, *b, ...]``) would otherwise expand to gigabytes.
MAX_FILE_CHARS = 1_000_000
MAX_DEPTH = 40
MAX_NODES = 20_000


def _check_size(root: yaml.Node) -> None:
    """Reject a node tree that is recursive, too deep, or too large once aliases are expanded.

    Sizes are counted on the composed nodes (an alias is the same node object again), with
    each node's size and height computed once, so a bomb is measured without expanding it.
    The error is at the line of the top-level key whose value is at fault.
    """
    measured: dict[int, tuple[int, int]] = {}    # id(node) -> (expanded size, height)
    open_nodes: set[int] = set()

    def measure(node: yaml.Node, line: int) -> tuple[int, int]:
        key = id(node)
        if key in measured:
            return measured[key]
        if key in open_nodes:
            raise _KeyProblem("a YAML alias refers to the value that contains it (a recursive "
                              "alias such as `&a [*a]`): write the value out instead", line)
        if len(open_nodes) > MAX_DEPTH:
            raise _KeyProblem(f"the value is nested too deeply: at most {MAX_DEPTH} levels of "
                              "lists and mappings", line)
        open_nodes.add(key)
        size, height = 1, 0
        children = node.value if isinstance(node, (yaml.SequenceNode, yaml.MappingNode)) else []
        for child in children:
            for item in (child if isinstance(node, yaml.MappingNode) else (child,)):
                item_size, item_height = measure(item, line)
                size, height = size + item_size, max(height, item_height + 1)
                if size > MAX_NODES:
                    raise _KeyProblem(f"the value is too large: more than {MAX_NODES:,} "
                                      "items once its YAML aliases (*name) are expanded", line)
        open_nodes.discard(key)
        measured[key] = (size, height)
        return size, height

    if isinstance(root, yaml.MappingNode):
        total = 0
        for key_node, value_node in root.value:
            total += measure(key_node, key_node.start_mark.line + 1)[0]
            total += measure(value_node, key_node.start_mark.line + 1)[0]
            if total > MAX_NODES:
                raise _KeyProblem(f"the file is too large: more than {MAX_NODES:,} items once "
                                  "its YAML aliases (*name) are expanded",
                                  key_node.start_mark.line + 1)
    else:
        measure(root, root.start_mark.line + 1)


def _yaml_message(exc: yaml.MarkedYAMLError) -> str:
    problem = exc.problem or str(exc)
    message = f"invalid YAML: {problem}"
    if exc.context:
        message += f" ({exc.context})"
    if "escape character" in problem:
        message += (r"; LaTeX in double quotes breaks on backslashes: use single quotes, "
                    r"'\mathbf{x}', or a block scalar (>-)")
    elif "'\\t'" in problem or re.search(r"\btabs?\b", problem.lower()):
        message += "; indent with spaces, not tabs"
    elif "mapping values are not allowed" in problem:
        message += "; a value containing ': ' must be quoted"
    elif "found character '`'" in problem or "found character '@'" in problem:
        message += "; quote the value"
    return message


# ---------------------------------------------------------------------------------------------
# helpers


def _load_mapping(path: str, *, what: str) -> Located:
    data = load_yaml(path)
    if data is None:
        raise DerivgenError(f"the file is empty; {what} file needs at least the keys "
                            "title, variables, function and wrt" if what == "a problem"
                            else "the file is empty", file=path, line=1)
    if not isinstance(data, Located):
        raise DerivgenError(f"the top level must be a mapping of keys (title: ..., "
                            f"variables: ...), not {_kind(data)}", file=path, line=1)
    return data


def _did_you_mean(word, choices) -> str:
    if not isinstance(word, str):
        return ""
    close = difflib.get_close_matches(word, [str(c) for c in choices], n=1, cutoff=0.6)
    return f" (did you mean '{close[0]}'?)" if close else ""


def _brief(value, limit: int = 60) -> str:
    """``repr`` of a value for a message, cut short: a value may be huge (YAML aliases)."""
    text = repr(value)
    return text if len(text) <= limit else text[:limit] + "..."


def _kind(value) -> str:
    if value is None:
        return "nothing (the value is empty)"
    if isinstance(value, Located):
        return "a mapping"
    return {bool: "a boolean", int: "a number", float: "a number", str: "a string",
            list: "a list"}.get(type(value), type(value).__name__)
