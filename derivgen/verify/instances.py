"""Random instances of a problem: sizes, values and directions at which f is defined."""

from __future__ import annotations

from copy import copy

import numpy as np
from sympy import Determinant, Inverse, MatPow

from derivgen.errors import DerivgenError
from derivgen.ir.sums import Sample, SampleScalar
from derivgen.model import Derivation
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


class Instance:
    """Random values for every variable, differential and generic function of a problem."""

    def __init__(self, derivation: Derivation, rng: np.random.Generator, positive: bool):
        scope = derivation.scope
        sizes = {sym: int(rng.integers(2, 5)) for sym in scope.dims.values()}
        conditioned = _needs_conditioning(derivation)
        self.values, self.directions = {}, {}
        self.wrt = [r.wrt for r in derivation.results]
        self.concrete = _concrete_of(derivation)
        for name, sym in scope.symbols.items():
            spec = scope.specs[name]
            shape = tuple(int(sizes.get(s, s)) for s in _array_shape(sym, scope))
            self.values[name] = _draw(rng, shape, spec, positive, conditioned)
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
    """An instance at which ``f`` is finite (and real, unless some variable is complex):
    plain normal draws, else positive ones."""
    for positive in (False, False, True, True):
        instance = Instance(derivation, rng, positive)
        value = np.asarray(instance.value(derivation.function, False))
        if np.all(np.isfinite(value)) and (np.iscomplexobj(value) is False or instance.is_complex
                                            or np.abs(value.imag).max() < 1e-12):
            return instance
    raise DerivgenError("could not find a point where f is defined to verify the result")


def random_instances(derivation: Derivation, seed: int = 0, trials: int = TRIALS):
    """Random instances at which ``f`` is defined; a complex one also with $jE$ directions."""
    rng = np.random.default_rng(seed)
    for _ in range(trials):
        inst = defined_instance(derivation, rng)
        yield inst
        if inst.is_complex:
            yield inst.rotated()


