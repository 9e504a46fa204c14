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
def _plan(expr, dims_items):
    """How to evaluate ``expr``: the nodes that need numbers first, and the compiled code.

    A step is evaluated many times (instances, finite-difference points, samples), so its
    tree is walked and its code compiled once.  The nodes are the outermost sums over
    samples that hold a ``d(.)`` (evaluated sample by sample), then the outermost ``d(.)``
    outside them; each is replaced by a placeholder named ``_d0``, ``_d1``, ...
    """
    sums = [node for node in outermost(expr, (SampleSum, MatSampleSum))
            if node.atoms(MatD, ScalarD)]
    expr = _replaced(expr, sums, 0)
    rest = outermost(expr, (MatD, ScalarD))     # a d(.) outside the sums: a regularizer's
    expr = _replaced(expr, rest, len(sums))
    code = compile(to_numpy(expr, dict(dims_items)), "<derivgen>", "eval")
    return tuple(sums) + tuple(rest), code


def _replaced(expr, nodes, first: int):
    """``expr`` with ``nodes`` replaced by the placeholders ``_d{first}``, ``_d{first+1}``..."""
    placeholders = {node: MatrixSymbol(f"_d{k}", *node.shape) if node.is_Matrix
                    else Symbol(f"_d{k}") for k, node in enumerate(nodes, first)}
    return expr.xreplace(placeholders) if placeholders else expr


def evaluate(expr, env: dict, dims: dict, functions: dict | None = None):
    """Value of ``expr`` with ``env`` mapping symbol names to arrays (``dX`` too); the names
    are those of the problem (``lambda``), spelled for the code here (``code_name``).

    ``functions`` binds generic functions' callables (``g``, ``g_prime``, ...).
    """
    nodes, code = _plan(expr, frozenset(dims.items()))
    if nodes:
        env = dict(env)
        for k, node in enumerate(nodes):
            if isinstance(node, (SampleSum, MatSampleSum)):
                value = _sum_over_samples(node, env, dims, functions)
            else:
                value = directional_derivative(node.arg, env, dims, functions)
            env[f"_d{k}"] = value
    # One namespace: a sum over samples is a list comprehension, which sees globals only.
    namespace = {"np": np, **(functions or {}), **{code_name(k): v for k, v in env.items()}}
    with np.errstate(all="ignore"):
        try:
            return eval(code, namespace)  # noqa: S307 -- our own generated code, no user text
        except np.linalg.LinAlgError:     # a singular matrix inverted: undefined here
            return np.nan


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

