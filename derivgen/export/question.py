"""A question an LMS can grade without plug-ins: the derivative at one concrete point.

Moodle and Canvas compare numbers, not matrix expressions.  So the exported question
states a point -- sizes and values drawn by the verifier's own well-posed sampler
(``verify.instances``), rounded to one decimal so that a student can copy them -- and asks
for the entries of each gradient there (and of each Hessian by a vector or a scalar), each
accepted within a stated tolerance.

A point is used only if, at the rounded values, ``f`` is defined and the gradients still
predict the finite-difference slope of ``f`` (``verify.checks.slopes``), and the Hessians
that of the gradients (``hessian_slopes``): rounding never makes a key that a right answer
would miss.  Of a few candidate points the one with the
fewest numbers to read and type is kept.

Where the entries are not unique the question asks for something that is: the gradient by
a symmetric matrix is defined only up to its skew part, so there it asks for the
directional derivative along a stated symmetric direction.  A complex entry is asked as
its real and imaginary parts.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from derivgen.errors import DerivgenError
from derivgen.ir.sums import Sample, SampleScalar
from derivgen.render.documents import result_lhs
from derivgen.render.latex import name_latex, to_latex, with_index
from derivgen.render.prose import function_name_latex
from derivgen.verify.checks import hessian_slopes, slopes
from derivgen.verify.instances import GENERIC_STAND_INS, close, defined_instance

#: Decimals of the values a question states.
DECIMALS = 1
#: An answer within this fraction of the key, or within ABS_TOL, is accepted.
REL_TOL = 0.01
ABS_TOL = 0.005
#: Points tried; the one with the fewest numbers wins.
CANDIDATES = 8
#: Most numbers (stated and asked) a question may hold: beyond, nobody types them in.
MAX_NUMBERS = 400

#: The generic functions' stand-ins of ``verify.instances.GENERIC_STAND_INS``, in LaTeX
#: (tests check them against the callables).
STAND_IN_LATEX = (r"\sin t + \tfrac{1}{2} t^2", r"\tanh t + 0.3\, t^3")


@dataclass(frozen=True)
class Blank:
    """One number to type: its ``key`` and the ``tolerance`` around it."""

    key: float
    tolerance: float
    label: str            # plain text: "entry (1, 2) of df/dX", "Im of entry (2, 1) of ..."

    @property
    def key_text(self) -> str:
        """The key in positional notation (``0.0000775``, never ``7.75e-05``): LMSs parse it."""
        return decimal_text(self.key)

    @property
    def tolerance_text(self) -> str:
        return decimal_text(self.tolerance)

    @property
    def low(self) -> float:
        return self.key - self.tolerance

    @property
    def high(self) -> float:
        return self.key + self.tolerance


def decimal_text(value: float) -> str:
    return np.format_float_positional(float(value), trim="-")


@dataclass(frozen=True)
class Part:
    """One array to fill in (a gradient) or one number (a directional derivative).

    ``cells[i][j]`` holds one blank for a real entry, two (real, imaginary) for a complex one.
    """

    lhs: str                               # LaTeX: \frac{\partial f}{\partial \mathbf{X}}
    cells: tuple[tuple[tuple[Blank, ...], ...], ...]
    wrt: str
    prompt: str = ""                       # prose with $math$, said before the array
    shown: str = ""                        # LaTeX displayed after the prompt (a matrix: its
                                           # & is no prose math, which refuses &)

    @property
    def blanks(self) -> list[Blank]:
        return [blank for row in self.cells for cell in row for blank in cell]


@dataclass(frozen=True)
class NumericQuestion:
    """The point (``given``: LaTeX equations) and the parts to answer there."""

    sizes: tuple[str, ...]       # LaTeX: "m = 2"
    given: tuple[str, ...]       # LaTeX: "\mathbf{a} = \begin{bmatrix}...\end{bmatrix}"
    functions: tuple[str, ...]   # LaTeX: "g(t) = \sin t + ..." for generic functions
    parts: tuple[Part, ...]
    seed: int
    values: dict                 # name -> the rounded value stated (arrays as NumPy binds them)

    @property
    def blanks(self) -> list[Blank]:
        return [blank for part in self.parts for blank in part.blanks]

    def instructions(self) -> str:
        """The sentence that states how answers are graded (prose with $math$)."""
        return (f"Give each number to at least three significant digits: an answer within "
                f"{REL_TOL:.0%} of the exact value, or within {ABS_TOL:g}, is accepted.")


def numeric_question(derivation, seed: int = 0) -> NumericQuestion:
    """The question at the best of ``CANDIDATES`` well-posed rounded points.

    Raises DerivgenError when no candidate point survives rounding (a clean message, never a
    wrong key)."""
    best = None
    for attempt in range(CANDIDATES):
        rng = np.random.default_rng([seed, attempt])
        try:
            inst = defined_instance(derivation, rng)
        except DerivgenError:
            continue
        if not _declared_sizes_kept(derivation, inst):
            continue
        rounded = _rounded(inst, derivation)
        if rounded is None:
            continue
        question = _question(derivation, rounded, seed)
        size = sum(np.size(v) for v in rounded.values.values()) + len(question.blanks)
        if best is None or size < best[0]:
            best = (size, question)
    if best is None:
        problem = derivation.problem
        raise DerivgenError("no random point with the declared sizes survives rounding to "
                            f"{DECIMALS} decimal(s) for a numeric question; dimensions given "
                            "as names (shape: [m, n]) let derivgen choose small sizes",
                            file=problem.path, line=problem.line_of("variables"))
    if best[0] > MAX_NUMBERS:
        problem = derivation.problem
        raise DerivgenError(f"the numeric question would hold {best[0]} numbers (at most "
                            f"{MAX_NUMBERS}): give the variables' dimensions as names "
                            "(shape: [m, n]) so that small sizes are drawn",
                            file=problem.path, line=problem.line_of("variables"))
    return best[1]


def _declared_sizes_kept(derivation, inst) -> bool:
    """Whether the point has the sizes the problem declares as numbers (``shape: [3]``): the
    question states the problem's own sizes, and the sampler may draw others."""
    for name, spec in derivation.scope.specs.items():
        shape = np.shape(inst.values[name])
        if any(isinstance(dim, int) and axis < len(shape) and shape[axis] != dim
               for axis, dim in enumerate(spec.shape)):
            return False
    return True


def _rounded(inst, derivation):
    """``inst`` with its values (and the directions a question states) rounded; None when
    the gradients no longer hold there numerically."""
    symmetric = {r.wrt for r in derivation.results if _is_symmetric(derivation, r.wrt)}
    inst.values = {name: _round(value) for name, value in inst.values.items()}
    inst.directions = {name: _round(value) if name in symmetric else value
                       for name, value in inst.directions.items()}
    with np.errstate(all="ignore"):
        try:
            value = np.asarray(inst.value(derivation.function, False))
            expected, predicted = slopes(derivation, inst)
        except (ArithmeticError, ValueError, np.linalg.LinAlgError, DerivgenError):
            return None
    if not np.all(np.isfinite(value)) or (np.iscomplexobj(value) and not inst.is_complex
                                          and np.abs(value.imag).max() > 1e-12):
        return None
    if any(not np.any(inst.directions[name]) for name in symmetric):
        return None
    if not close(predicted, expected, 1e-5):
        return None
    for result in _asked_hessians(derivation):
        with np.errstate(all="ignore"):
            try:
                second_expected, second_predicted = hessian_slopes(derivation, result, inst)
            except (ArithmeticError, ValueError, np.linalg.LinAlgError, DerivgenError):
                return None
        if not close(second_predicted, second_expected, 1e-5):
            return None
    return inst


def _asked_hessians(derivation) -> list:
    """The Hessians a question asks for: by a vector or a scalar (an ``n x n`` array to fill
    in); a matrix variable's ``(m, n, m, n)`` array is shown in the solution, not asked."""
    return [r for r in derivation.results if r.order == 2
            and len(derivation.scope.specs[r.wrt].shape) <= 1
            and not _is_symmetric(derivation, r.wrt)]


def _round(value):
    if isinstance(value, complex):
        return complex(round(value.real, DECIMALS), round(value.imag, DECIMALS))
    if isinstance(value, (float, int)):
        return round(float(value), DECIMALS)
    return np.round(value, DECIMALS) + 0.0          # + 0.0: no -0.0


def _is_symmetric(derivation, name) -> bool:
    spec = derivation.scope.specs.get(name)
    return bool(spec is not None and spec.symmetric)


def _question(derivation, inst, seed) -> NumericQuestion:
    scope = derivation.scope
    parts = []
    hessians = _asked_hessians(derivation)
    for result in derivation.results:
        if result.order != 1:
            if result in hessians:
                grid = np.asarray(inst.value(result.expr, False), dtype=float).reshape(
                    (np.size(inst.values[result.wrt]),) * 2)
                parts.append(Part(result_lhs(result, derivation),
                                  _cells(grid, f"d2f/d{result.wrt}2", False), result.wrt))
            continue
        lhs = result_lhs(result, derivation)
        gradient = np.asarray(inst.value(result.expr, False))
        if _is_symmetric(derivation, result.wrt):
            parts.append(_directional_part(derivation, result, gradient, inst, lhs))
        else:
            grid = gradient.reshape(np.shape(inst.values[result.wrt]) or (1, 1))
            if grid.ndim == 1:
                grid = grid.reshape(-1, 1)
            complex_ = inst.is_complex and np.iscomplexobj(grid)
            parts.append(Part(lhs, _cells(grid, _plain(result), complex_), result.wrt))
    return NumericQuestion(sizes=_sizes(scope, inst), given=_given(scope, inst),
                           functions=_stand_ins(scope, inst), parts=tuple(parts), seed=seed,
                           values=dict(inst.values))


def _directional_part(derivation, result, gradient, inst, lhs) -> Part:
    name = result.wrt
    variable = to_latex(derivation.scope.symbols[name], derivation.scope)
    direction = inst.directions[name]
    f = getattr(derivation.scope, "function_name", "f")
    slope = np.sum(gradient.reshape(np.shape(direction)) * direction)
    prompt = (f"The gradient by the symmetric ${variable}$ is defined only up to a skew part, "
              f"so give the directional derivative along the symmetric "
              f"$\\mathbf{{D}}$:")
    shown = rf"\mathbf{{D}} = {matrix_latex(direction)}"
    lhs = (rf"\left.\frac{{d}}{{dt}} {f}({variable} + t\mathbf{{D}})\right|_{{t=0}} = "
           rf"\operatorname{{tr}}\Big(\Big({lhs}\Big)^T \mathbf{{D}}\Big)")
    blank = _blanks(slope, "the directional derivative along D",
                    inst.is_complex and np.iscomplexobj(slope))
    return Part(lhs, ((blank,),), name, prompt, shown)


def _plain(result) -> str:
    return f"df/d{result.wrt}{'*' if result.conjugate else ''}"


def _cells(grid, label, complex_: bool) -> tuple:
    rows, cols = grid.shape
    return tuple(tuple(_blanks(grid[i, j], f"entry ({i + 1}, {j + 1}) of {label}", complex_)
                       for j in range(cols)) for i in range(rows))


def _blanks(value, label, complex_: bool) -> tuple[Blank, ...]:
    value = complex(value)
    if complex_:
        return (_blank(value.real, f"real part of {label}"),
                _blank(value.imag, f"imaginary part of {label}"))
    return (_blank(value.real, label),)


def _blank(value: float, label: str) -> Blank:
    key = float(f"{value:.6g}") + 0.0
    return Blank(key, float(f"{max(REL_TOL * abs(key), ABS_TOL):.3g}"), label)


# --- what the question states -----------------------------------------------------------

def number_latex(value) -> str:
    """``1.5``, ``-0.3``, ``0.2 - 1.1j`` (values are rounded already)."""
    value = complex(value)
    real = f"{value.real:.{DECIMALS}f}"
    if value.imag == 0:
        return real
    sign = "-" if value.imag < 0 else "+"
    return f"{real} {sign} {abs(value.imag):.{DECIMALS}f}j"


def matrix_latex(array) -> str:
    """A number, or ``\\begin{bmatrix} ... \\end{bmatrix}`` (a vector as a column)."""
    array = np.asarray(array)
    if array.ndim == 0 or array.size == 1 and array.ndim < 2:
        return number_latex(array.reshape(-1)[0])
    if array.ndim == 1:
        array = array.reshape(-1, 1)
    rows = [" & ".join(number_latex(v) for v in row) for row in array]
    return r"\begin{bmatrix}" + r" \\ ".join(rows) + r"\end{bmatrix}"


def _given(scope, inst) -> tuple[str, ...]:
    given = []
    for name, sym in scope.symbols.items():
        value = np.asarray(inst.values[name])
        if isinstance(sym, (Sample, SampleScalar)):
            base = _base_latex(scope, name)
            samples = value.shape[-1]
            for k in range(samples):
                given.append(f"{with_index(base, str(k + 1))} = "
                             f"{matrix_latex(value[..., k])}")
        else:
            given.append(f"{to_latex(sym, scope)} = {matrix_latex(value)}")
    return tuple(given)


def _base_latex(scope, name) -> str:
    spec = scope.specs[name]
    return spec.latex or name_latex(name, bold=bool(spec.shape))


def _sizes(scope, inst) -> tuple[str, ...]:
    sizes = {}
    for name, spec in scope.specs.items():
        shape = np.shape(inst.values[name])
        for axis, dim in enumerate(spec.shape):
            if isinstance(dim, str) and axis < len(shape):
                sizes.setdefault(dim, shape[axis])
        sym = scope.symbols[name]
        if isinstance(sym, (Sample, SampleScalar)) and shape:
            count = scope.counts.get(sym.index)
            if count is not None and not count.is_number:
                sizes.setdefault(str(count), shape[-1])
    return tuple(f"{name_latex(dim, bold=False)} = {size}" for dim, size in sizes.items())


def _stand_ins(scope, inst) -> tuple[str, ...]:
    out = []
    for fname, kind in scope.functions.items():
        if kind != "generic":
            continue
        chosen = inst.functions.get(fname)
        index = next(k for k, triple in enumerate(GENERIC_STAND_INS) if triple[0] is chosen)
        out.append(f"{function_name_latex(fname)}(t) = {STAND_IN_LATEX[index]}")
    return tuple(out)
