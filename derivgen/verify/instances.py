"""Random instances of a problem: sizes, values and directions at which f is defined."""

from __future__ import annotations

from copy import copy
from dataclasses import dataclass

import numpy as np
from sympy import (Abs, Basic, Determinant, Expr, HadamardPower, Inverse, MatMul, MatPow, Pow, log,
                   preorder_traversal)

from derivgen.errors import DerivgenError
from derivgen.ir.nodes import Elementwise, ScalarFunc
from derivgen.ir.sums import Sample, SampleScalar, free_indices
from derivgen.model import Derivation
from derivgen.render.latex import to_latex
from derivgen.render.numpy import sample_axes, scope_dims
from derivgen.verify.numeric import evaluate

TRIALS = 3
RTOL = 1e-6
#: Samples drawn for a family that no sum gives a count to.
DEFAULT_SAMPLES = 3

#: Smooth stand-ins for a generic function: (g, g', g'').
GENERIC_STAND_INS = (
    (lambda x: np.sin(x) + 0.5 * x ** 2, lambda x: np.cos(x) + x, lambda x: 1 - np.sin(x)),
    (lambda x: np.tanh(x) + 0.3 * x ** 3, lambda x: 1 - np.tanh(x) ** 2 + 0.9 * x ** 2,
     lambda x: -2 * np.tanh(x) * (1 - np.tanh(x) ** 2) + 1.8 * x),
)


@dataclass(frozen=True)
class Draw:
    """How the values of one instance are drawn.

    ``positive``: every variable positive; ``positive_constants``: the variables that are not
    differentiated by (``b`` of $\\log(b - Ax)$, $\\lambda$ of $X^TX + \\lambda I$) positive;
    ``wrt_scale`` shrinks the differentiated variables towards 0, where
    $\\log(b - Ax)$ and $\\sqrt{b - Ax}$ are defined once $b > 0$.
    """

    positive: bool = False
    positive_constants: bool = False
    wrt_scale: float = 1.0


#: Tried in order at each assignment of sizes: plain normal draws first, then into the
#: domains that logarithms, square roots and inverses need.
DRAWS = (Draw(), Draw(), Draw(positive=True), Draw(positive_constants=True),
         Draw(positive_constants=True, wrt_scale=0.2), Draw(positive=True, wrt_scale=0.2),
         Draw(positive_constants=True, wrt_scale=0.02), Draw(positive=True, wrt_scale=0.02))
#: Assignments of sizes tried before giving up (each with every ``DRAWS``).
SIZE_TRIES = 6
#: A matrix under an inverse or a determinant with a larger condition number is rejected.
COND_LIMIT = 1e6
#: Up to this condition number the tolerances are as they are; beyond, they grow with it.
COND_SCALE = 1e3


class Instance:
    """Random values for every variable, differential and generic function of a problem."""

    def __init__(self, derivation: Derivation, rng: np.random.Generator, positive: bool = False,
                 sizes: dict | None = None, draw: Draw | None = None):
        scope = derivation.scope
        if sizes is None:
            sizes = {sym: int(rng.integers(2, 5)) for sym in scope.dims.values()}
        draw = draw or Draw(positive=positive)
        conditioned = _needs_conditioning(derivation)
        self.values, self.directions = {}, {}
        self.wrt = [r.wrt for r in derivation.results]
        self.concrete = _concrete_of(derivation)
        self.slack = 1.0        # tolerances are multiplied by this (ill-conditioned draws)
        self.symbols = scope.symbols
        for name, sym in scope.symbols.items():
            spec = scope.specs[name]
            shape = tuple(int(sizes.get(s, s)) for s in _array_shape(sym, scope))
            constant = name not in self.wrt
            value = _draw(rng, shape, spec, draw.positive or (constant and draw.positive_constants),
                          conditioned)
            if not constant and draw.wrt_scale != 1.0 and not _is_conditioned(shape,
                                                                                conditioned):
                value = value * draw.wrt_scale
            self.values[name] = value
            self.directions[name] = _draw(rng, shape, spec, False, False, direction=True)
        self.dims = scope_dims(scope)
        self.functions = {}
        for fname, kind in scope.functions.items():
            if kind == "generic":
                g, g1, g2 = GENERIC_STAND_INS[int(rng.integers(len(GENERIC_STAND_INS)))]
                self.functions.update({fname: g, f"{fname}_prime": g1, f"{fname}_prime2": g2})

    def rotated(self) -> "Instance":
        """The same point with each complex variable's direction $E$ turned into $jE$.

        Along $E$ and $jE$, $tr(A^T E) + tr(B^T E^*)$ pins down $A$ and $B$ separately.
        """
        turned = copy(self)
        turned.directions = {name: 1j * value if np.iscomplexobj(value) else value
                             for name, value in self.directions.items()}
        return turned

    @property
    def is_complex(self) -> bool:
        return any(np.iscomplexobj(v) for v in self.values.values())

    def env(self, with_differentials=True):
        env = dict(self.values)
        if with_differentials:
            env.update({"d" + k: self.directions[k] for k in self.wrt})
        return env

    def count(self, index) -> int:
        """The number of samples drawn for the families indexed by ``index``."""
        return next(np.shape(self.values[name])[-1] for name, sym in self.symbols.items()
                    if isinstance(sym, (Sample, SampleScalar)) and sym.index == index)

    def value(self, expr, with_differentials=True):
        return evaluate(self.concrete(expr), self.env(with_differentials), self.dims,
                        self.functions)


#: The last few derivations' memos of ``concrete`` (each entry keeps its derivation alive, so
#: that its id is not reused while the entry exists).
_CONCRETE_MEMOS: dict = {}


def _concrete_of(derivation):
    """``derivation.concrete``, remembered for every instance of the same derivation: each
    step is inlined once, not once per instance (a chain's inlining rebuilds whole trees)."""
    if derivation.chain is None:
        return derivation.concrete
    entry = _CONCRETE_MEMOS.get(id(derivation))
    if entry is None or entry[0] is not derivation:
        while len(_CONCRETE_MEMOS) >= 4:
            del _CONCRETE_MEMOS[next(iter(_CONCRETE_MEMOS))]
        entry = _CONCRETE_MEMOS[id(derivation)] = (derivation, {})
    memo = entry[1]

    def concrete(expr):
        if expr not in memo:
            memo[expr] = derivation.concrete(expr)
        return memo[expr]
    return concrete


def _array_shape(sym, scope) -> tuple:
    """A variable's array shape; a family of samples has the samples along a last axis."""
    if isinstance(sym, (Sample, SampleScalar)):
        return sample_axes(sym) + (scope.counts.get(sym.index, DEFAULT_SAMPLES),)
    return getattr(sym, "shape", ())


def _needs_conditioning(derivation) -> bool:
    return bool(derivation.function.atoms(Inverse, Determinant, MatPow))


def _is_conditioned(shape, conditioned) -> bool:
    """Whether ``_draw`` makes a matrix of ``shape`` a well-conditioned $I + E$."""
    return conditioned and len(shape) == 2 and shape[0] == shape[1] and shape[0] > 1


def _draw(rng, shape, spec, positive, conditioned, direction=False):
    if not shape:
        value = float(rng.uniform(0.5, 1.5) if positive else rng.standard_normal())
        return complex(value, rng.standard_normal()) if spec.complex else value
    value = rng.uniform(0.5, 1.5, shape) if positive else rng.standard_normal(shape)
    if spec.complex:
        value = value + 1j * rng.standard_normal(shape)
    square = len(shape) == 2 and shape[0] == shape[1] and shape[0] > 1
    if square and spec.symmetric:
        value = (value + value.T) / 2
    if square and conditioned and not direction:
        value = np.eye(shape[0]) + 0.25 * value / np.sqrt(shape[0])
    if spec.onehot and not direction:
        value = np.zeros(shape)  # one 1 in each column, at a random row
        cols = shape[1] if len(shape) == 2 else 1
        value.reshape(shape[0], cols)[rng.integers(shape[0], size=cols), np.arange(cols)] = 1.0
    return value


def close(a, b, rtol=RTOL):
    a, b = np.asarray(a, dtype=complex), np.asarray(b, dtype=complex)
    if a.shape != b.shape and a.size == b.size:
        a = a.reshape(b.shape)
    scale = 1.0 + max(np.abs(a).max(initial=0), np.abs(b).max(initial=0))
    return a.shape == b.shape and np.all(np.isfinite(a)) and np.abs(a - b).max() <= rtol * scale


def defined_instance(derivation, rng):
    """An instance at which ``f`` is finite (and real, unless some variable is complex) and
    every matrix under an inverse or a determinant is well conditioned.

    A bounded search: ``SIZE_TRIES`` assignments of sizes (square products under an inverse
    kept tall: $N \\geq n$ for $(X^TX)^{-1}$ with $X$ of shape $N \\times n$), each with
    every ``DRAWS``.  The tolerances of an instance grow with its condition number
    (``Instance.slack``).  When no instance is found, the error names the sub-expression
    that is undefined.
    """
    function = derivation.function
    inverted = _inverted_matrices(derivation.concrete(function))
    tall = _tall_constraints(inverted)
    restricted = _restricted_arguments(derivation.concrete(function))
    instance = None
    for sizes in _size_assignments(derivation.scope, tall, rng):
        for draw in DRAWS:
            instance = Instance(derivation, rng, sizes=sizes, draw=draw)
            if _is_defined(instance, function) and _conditioned(instance, inverted) \
                    and _inside_the_domain(instance, restricted):
                return instance
    raise DerivgenError(_undefined_message(derivation, instance))


def _is_defined(instance, function) -> bool:
    value = np.asarray(instance.value(function, False))
    return bool(np.all(np.isfinite(value))) and (not np.iscomplexobj(value) or instance.is_complex
                                                 or np.abs(value.imag).max() < 1e-12)


def _inverted_matrices(function) -> list:
    """The matrices ``f`` inverts or takes the determinant of (as the variables alone)."""
    found = [node.arg for node in preorder_traversal(function)
             if isinstance(node, (Inverse, Determinant)) and not free_indices(node.arg)]
    found += [node.base for node in preorder_traversal(function)
              if isinstance(node, MatPow) and node.exp.is_negative and not free_indices(node)]
    return list(dict.fromkeys(found))


def _conditioned(instance, inverted) -> bool:
    """Each inverted matrix's condition number below ``COND_LIMIT``; sets the slack."""
    worst = 1.0
    for matrix in inverted:
        value = np.asarray(instance.value(matrix, False))
        if value.ndim != 2 or value.shape[0] != value.shape[1] or value.shape[0] == 0:
            continue
        with np.errstate(all="ignore"):
            cond = np.linalg.cond(value) if np.all(np.isfinite(value)) else np.inf
        if not np.isfinite(cond) or cond > COND_LIMIT:
            return False
        worst = max(worst, float(cond))
    instance.slack = max(1.0, worst / COND_SCALE)
    return True


#: How far the argument of a log or a square root, or a denominator, must stay from 0: the
#: finite differences of a function close to the edge of its domain are not accurate.
MARGIN = 0.05


def _restricted_arguments(function) -> list:
    """``(argument, positive)`` for every log or square root (``positive``) and denominator
    in ``function``."""
    found = []
    for node in preorder_traversal(function):
        if isinstance(node, (Elementwise, ScalarFunc)) and node.kind in ("log", "sqrt") \
                and node.order == 0:
            found.append((node.arg, True))
        elif isinstance(node, log):
            found.append((node.args[0], True))
        elif isinstance(node, Pow) and node.exp.is_Rational and not node.exp.is_Integer:
            found.append((node.base, True))
        elif isinstance(node, (Pow, HadamardPower)) and node.exp.is_negative:
            found.append((node.base, False))
        elif isinstance(node, Abs):         # |u| is not differentiable at u = 0
            found.append((node.args[0], False))
    return list(dict.fromkeys(found))


def _inside_the_domain(instance, restricted) -> bool:
    """Each log's or square root's argument at least ``MARGIN`` above 0, each denominator
    at least ``MARGIN`` away from it (real instances only)."""
    if instance.is_complex:
        return True
    for argument, positive in restricted:
        try:
            value = np.real(_value_for_all_samples(instance, argument))
        except Exception:       # cannot stand alone: the function's own check decides
            continue
        if value.size and (value.min() if positive else np.abs(value).min()) < MARGIN:
            return False
    return True


def _tall_constraints(inverted) -> list:
    """``(inner, outer)`` size pairs with ``inner >= outer`` needed for the square products
    under an inverse to be nonsingular: $X^TX$ ($n \\times n$ through $N$) needs $N \\geq n$."""
    pairs = []
    for matrix in inverted:
        for node in preorder_traversal(matrix):
            if isinstance(node, MatMul) and node.is_Matrix and node.rows == node.cols:
                factors = [a for a in node.args if a.is_Matrix]
                pairs += [(a.cols, node.rows) for a in factors[:-1] if a.cols != node.rows]
    return pairs


def _size_assignments(scope, tall, rng):
    """``SIZE_TRIES`` assignments of small sizes to the symbolic dimensions, each a little
    wider than the one before, with ``tall`` made to hold where it can."""
    dims = list(scope.dims.values())
    for attempt in range(SIZE_TRIES):
        sizes = {sym: int(rng.integers(2, 5 + attempt)) for sym in dims}
        for _ in range(3):                  # a few rounds settle chains of constraints
            for inner, outer in tall:
                low = sizes.get(outer, outer)
                if inner in sizes and sizes[inner] < low:
                    sizes[inner] = int(low) + int(rng.integers(0, 2))
                elif outer in sizes and not inner.free_symbols and int(inner) < sizes[outer]:
                    sizes[outer] = max(1, int(inner))
        yield sizes


def _undefined_message(derivation, instance) -> str:
    """Which part of ``f`` is undefined at every point tried, as the problem writes it."""
    scope = derivation.scope
    part = _undefined_part(instance, derivation.concrete(derivation.function))
    if part is None:
        return "could not find a point where f is defined to verify the result"
    if isinstance(part, (Inverse, Determinant)) or (isinstance(part, MatPow) and part.exp < 0):
        inner = getattr(part, "arg", None) or part.base
        what = f"the matrix {to_latex(inner, scope)} is singular"
    else:
        what = f"{to_latex(part, scope)} is undefined"
    return (f"could not find a point where f is defined to verify the result: {what} at every "
            f"point tried ({SIZE_TRIES * len(DRAWS)} random draws of sizes and values, positive "
            f"and small ones included); check the formula, or state a domain in which it is "
            f"defined")


def _undefined_part(instance, function):
    """The innermost sub-expression of ``function`` that is not finite (or real, or not
    invertible) at ``instance`` while its operands are; None if none is found."""
    inverted = set(_inverted_matrices(function))

    def bad(node):
        try:
            value = _value_for_all_samples(instance, node)
        except Exception:       # a node that cannot stand alone (a bare sum index): skip it
            return False
        if not np.all(np.isfinite(value)) or (np.iscomplexobj(value) and not instance.is_complex
                                               and np.abs(value.imag).max() > 1e-12):
            return True
        if node in inverted and value.ndim == 2 and value.shape[0] == value.shape[1]:
            return np.linalg.cond(value) > COND_LIMIT
        return False

    def walk(node):
        for arg in node.args:
            if isinstance(arg, Basic) and (arg.is_Matrix or isinstance(arg, Expr)):
                found = walk(arg)
                if found is not None:
                    return found
        if node in inverted and bad(node):
            return Inverse(node) if node.is_Matrix else node
        return node if bad(node) else None

    return walk(function)


def _value_for_all_samples(instance, node):
    """``node``'s value; with a free sample index, its values at every sample, stacked."""
    indices = sorted(free_indices(node), key=str)
    if not indices:
        return np.asarray(instance.value(node, False), dtype=complex)
    index = indices[0]
    count = instance.count(index)
    env = instance.env(False)
    return np.stack([np.asarray(evaluate(instance.concrete(node), {**env, str(index): k},
                                         instance.dims, instance.functions), dtype=complex)
                     for k in range(count)])


def random_instances(derivation: Derivation, seed: int = 0, trials: int = TRIALS):
    """Random instances at which ``f`` is defined; a complex one also with $jE$ directions."""
    rng = np.random.default_rng(seed)
    for _ in range(trials):
        inst = defined_instance(derivation, rng)
        yield inst
        if inst.is_complex:
            yield inst.rotated()


