"""Numerical verification: nothing is typeset unless it holds on random instances.

Every result is compared with a finite-difference directional derivative of ``f`` along
a random direction, and every step of the derivation must give that same number.
Sizes are random for symbolic dimensions; square matrices under an inverse or a
determinant are drawn well conditioned; functions with a restricted domain get positive
entries; a generic function ``g`` is bound to a random smooth function and its derivatives.
"""

from __future__ import annotations

from copy import copy
from dataclasses import replace

import numpy as np
from sympy import Determinant, Inverse, MatPow, Symbol

from .errors import DerivgenError
from .model import Derivation
from .numeric import as_number, directional_derivative, evaluate
from .render.numpy import sample_axes, scope_dims
from .second_order import SECOND_ORDER_TITLES, section_variable
from .sums import Sample, SampleScalar

TRIALS = 3
RTOL = 1e-6
DF = Symbol("df")
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
        self.concrete = derivation.concrete
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


def _close(a, b, rtol=RTOL):
    a, b = np.asarray(a, dtype=complex), np.asarray(b, dtype=complex)
    if a.shape != b.shape and a.size == b.size:
        a = a.reshape(b.shape)
    scale = 1.0 + max(np.abs(a).max(initial=0), np.abs(b).max(initial=0))
    return a.shape == b.shape and np.all(np.isfinite(a)) and np.abs(a - b).max() <= rtol * scale


def _instance(derivation, rng):
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
        inst = _instance(derivation, rng)
        yield inst
        if inst.is_complex:
            yield inst.rotated()


def verify(derivation: Derivation, seed: int = 0) -> Derivation:
    """Check every result and step numerically; raise ``DerivgenError`` on a mismatch."""
    problem = derivation.problem
    for inst in random_instances(derivation, seed):
        expected = as_number(directional_derivative(inst.concrete(derivation.function),
                                                    inst.env(), inst.dims,
                                                    inst.functions))
        predicted = 0.0
        for result in derivation.results:
            if result.order == 2:
                _check_hessian(derivation, result, inst)
                continue
            gradient = np.asarray(inst.value(result.expr, False))
            direction = np.asarray(inst.directions[result.wrt])
            if result.conjugate:  # df = ... + tr((df/dZ*)^T dZ^*)
                direction = np.conj(direction)
            if gradient.shape != direction.shape and gradient.size != direction.size:
                raise _failure(problem, f"the derivative by {result.wrt} has shape "
                                        f"{gradient.shape}, not {direction.shape}")
            predicted += np.sum(gradient.reshape(direction.shape) * direction) \
                if gradient.size == direction.size else np.nan
        if not _close(predicted, expected):
            raise _failure(problem, f"verification failed: the derived gradient predicts "
                                    f"{predicted:.6g} for a directional derivative that is "
                                    f"{expected:.6g} numerically")
        for section in derivation.sections:
            if section.title in SECOND_ORDER_TITLES:
                _check_second_order_steps(derivation, section, inst)
                continue
            checks = [(step.rule, step.after) for step in section.steps]
            if section.lhs == DF:  # its start is d(f) or the previous section's end
                reference = expected
            else:  # a chain-rule section: an equation for the term of df it starts with
                reference = as_number(inst.value(section.lhs))
                checks.insert(0, ("start", section.start))
            for rule, after in checks:
                got = as_number(inst.value(after))
                if not _close(got, reference, 1e-5):
                    raise _failure(problem, f"verification failed at the step "
                                            f"'{rule}': {after}")
    results = tuple(replace(r, verified=True) for r in derivation.results)
    return replace(derivation, results=results, verified=True)


def _gradient_derivative(derivation, wrt, inst):
    """Finite differences of the gradient by ``wrt`` along that variable's direction."""
    gradient = next(r for r in derivation.results if r.wrt == wrt and r.order == 1)
    env = {**inst.values, "d" + wrt: inst.directions[wrt]}
    return env, np.asarray(directional_derivative(gradient.expr, env, inst.dims,
                                                  inst.functions))


def _check_hessian(derivation, result, inst):
    """$H\\,v$ must equal the directional derivative of the gradient along $v$; for a
    matrix variable, the ``(m, n, m, n)`` array contracted with the direction."""
    _, expected = _gradient_derivative(derivation, result.wrt, inst)
    hessian = np.asarray(inst.value(result.expr, False))
    direction = np.asarray(inst.directions[result.wrt])
    if hessian.ndim == 4:
        predicted = np.tensordot(hessian, direction, axes=2)
    else:
        predicted = hessian @ direction if hessian.ndim == 2 else hessian * direction
    if not _close(predicted, expected.reshape(np.shape(predicted)), 1e-5):
        raise _failure(derivation.problem, f"verification failed: the Hessian by {result.wrt} "
                                           f"does not match finite differences of the gradient")


def _check_second_order_steps(derivation, section, inst):
    """Each step of a second differential must equal the change of the gradient along the
    direction (vectorized column-major where the step is a ``vec``)."""
    wrt = section_variable(section)
    if wrt is None:
        return  # a constant gradient: every step is zero by construction
    env, expected = _gradient_derivative(derivation, wrt, inst)
    for step in section.steps:
        got = np.asarray(evaluate(step.after, env, inst.dims, inst.functions))
        want = expected if got.shape == expected.shape else \
            expected.reshape(-1, 1, order="F")
        if not _close(got, want, 1e-5):
            raise _failure(derivation.problem, f"verification failed at the step "
                                               f"'{step.rule}': {step.after}")


def _failure(problem, message):
    return DerivgenError(message, file=problem.path, line=problem.line_of("function"))



def check_answer(derivation: Derivation, seed: int = 1) -> None:
    """Compare the instructor's ``answer:`` (and ``answer_conjugate:``, the expected
    ``∂f/∂Z*``) with the derived results on random instances."""
    problem = derivation.problem
    for key, text, conjugate in (("answer", problem.answer, False),
                                 ("answer_conjugate", problem.answer_conjugate, True)):
        if not text:
            continue
        result = next((r for r in derivation.results if r.conjugate == conjugate), None)
        if result is None:
            raise DerivgenError(f"{key}: there is no derivative by a conjugate to compare "
                                f"with: wrt has no complex variable", file=problem.path,
                                line=problem.line_of(key))
        _check_one_answer(derivation, key, text, result, seed)


def _check_one_answer(derivation, key, text, result, seed):
    from .parse import parse_latex

    problem = derivation.problem
    line = problem.line_of(key)
    try:
        expected = parse_latex(text, derivation.scope)
    except DerivgenError as error:
        raise error.located(problem.path, line)
    rng = np.random.default_rng(seed)
    for _ in range(TRIALS):
        inst = _instance(derivation, rng)
        got = np.asarray(inst.value(result.expr, False))
        want = np.asarray(inst.value(expected, False))
        if want.size == 1 and got.size > 1:  # an answer like 2 tr(X) I_n: a scalar times I
            want = np.broadcast_to(want.reshape(()), got.shape)
        if got.size != want.size or not _close(want.reshape(got.shape), got):
            from .render.latex import to_latex
            star = "*" if result.conjugate else ""
            hint = "; answer_conjugate: is compared with ∂f/∂" + result.wrt + "*" \
                if not result.conjugate and any(r.conjugate for r in derivation.results) else ""
            raise DerivgenError(
                f"{key}: '{text}' disagrees with the derived result "
                f"∂f/∂{result.wrt}{star} = {to_latex(result.expr, derivation.scope)}{hint}",
                file=problem.path, line=line)
