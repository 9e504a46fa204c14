"""Numerical evaluation of IR expressions, by way of their NumPy code.

Unevaluated differentials ``d(E)`` have no closed form yet, so they are evaluated as
directional derivatives of ``E`` by finite differences along the bound differentials
(``dX`` is the direction for ``X``): that lets every step of a derivation be checked.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
from sympy import MatrixSymbol, Symbol

from derivgen.ir.codenames import code_name
from derivgen.ir.nodes import MatD, ScalarD
from derivgen.ir.strategies import outermost
from derivgen.ir.sums import MatSampleSum, SampleSum
from derivgen.render.numpy import to_numpy

#: Step of the finite differences, relative to the size of the variables.
FD_STEP = 1e-3


@lru_cache(maxsize=4096)
def _compiled(expr, dims_items):
    return compile(to_numpy(expr, dict(dims_items)), "<derivgen>", "eval")


def evaluate(expr, env: dict, dims: dict, functions: dict | None = None):
    """Value of ``expr`` with ``env`` mapping symbol names to arrays (``dX`` too); the names
    are those of the problem (``lambda``), spelled for the code here (``code_name``).

    ``functions`` binds generic functions' callables (``g``, ``g_prime``, ...).
    """
    env = dict(env)
    # sums that hold a d(.) first, sample by sample; then the d(.) outside any such sum
    expr = _bind(expr, _sums_of_differentials(expr), env,
                 lambda node: _sum_over_samples(node, env, dims, functions))
    expr = _bind(expr, outermost(expr, (MatD, ScalarD)), env,
                 lambda node: directional_derivative(node.arg, env, dims, functions))
    code = _compiled(expr, tuple(sorted(dims.items(), key=str)))
    # One namespace: a sum over samples is a list comprehension, which sees globals only.
    namespace = {"np": np, **(functions or {}), **{code_name(k): v for k, v in env.items()}}
    with np.errstate(all="ignore"):
        return eval(code, namespace)  # noqa: S307 -- our own generated code, no user text


def _bind(expr, nodes, env, value_of):
    """``expr`` with each of ``nodes`` replaced by a fresh name bound in ``env`` to its value."""
    placeholders = {}
    for node in nodes:
        name = f"_d{sum(1 for k in env if k.startswith('_d'))}"
        env[name] = value_of(node)
        placeholders[node] = MatrixSymbol(name, *node.shape) if node.is_Matrix else Symbol(name)
    return expr.xreplace(placeholders) if placeholders else expr


def _sums_of_differentials(expr):
    """The outermost sums over samples that hold a ``d(.)``: evaluated sample by sample."""
    return [node for node in outermost(expr, (SampleSum, MatSampleSum))
            if node.atoms(MatD, ScalarD)]


def _sum_over_samples(node, env, dims, functions):
    count = int(evaluate(node.upper, env, dims, functions))
    return sum(np.asarray(evaluate(node.body, {**env, str(node.index): k}, dims, functions))
               for k in range(count))


def directional_derivative(expr, env: dict, dims: dict, functions: dict | None = None):
    """``d(expr)`` along the bound differentials, by a fourth-order central difference."""
    directions = {k[1:]: v for k, v in env.items()
                  if k.startswith("d") and k[1:] in env and not k.startswith("_")}

    def at(t):
        shifted = dict(env)
        for name, direction in directions.items():
            shifted[name] = env[name] + t * direction
        return np.asarray(evaluate(expr, shifted, dims, functions))

    h = FD_STEP
    return (8 * (at(h) - at(-h)) - (at(2 * h) - at(-2 * h))) / (12 * h)


def as_number(value):
    """A scalar from a number or a ``1 x 1`` array."""
    array = np.asarray(value)
    return array.reshape(-1)[0] if array.size == 1 else array

