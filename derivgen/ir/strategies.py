"""Strategy combinators, kept apart from the rules (after ``sympy.strategies``)."""

from __future__ import annotations

from functools import lru_cache

from sympy import Add, HadamardProduct, MatAdd, MatMul, Mul, preorder_traversal


def bottom_up(rule, expr):
    """Apply ``rule`` to every node, children first."""
    if not expr.args or expr.is_Atom:
        return rule(expr)
    args = [bottom_up(rule, a) for a in expr.args]
    if any(a is not b for a, b in zip(args, expr.args)):
        expr = expr.func(*args)
    return rule(expr)


def outermost(expr, kinds) -> list:
    """The outermost nodes of ``kinds`` in ``expr``, each once, in a fixed order."""
    found, walk = {}, preorder_traversal(expr)
    for node in walk:
        if isinstance(node, kinds):
            walk.skip()
            found[node] = None
    return list(found)


# Both are pure functions of an immutable tree, asked again and again about the same
# subtrees while a derivation is tidied step after step (SymPy's canonicalizing doit is costly).
@lru_cache(maxsize=16384)
def flatten_node(expr):
    """Merge nested sums and products that a substitution left behind: $A(BC) = ABC$,
    $A \\odot (B \\odot C) = A \\odot B \\odot C$."""
    if isinstance(expr, (MatMul, MatAdd)):
        return expr.doit(deep=False)
    if isinstance(expr, HadamardProduct) and any(isinstance(a, HadamardProduct)
                                                 for a in expr.args):
        return HadamardProduct(*[b for a in expr.args
                                 for b in (a.args if isinstance(a, HadamardProduct) else (a,))])
    if isinstance(expr, (Mul, Add)):
        return expr.func(*expr.args)
    return expr


@lru_cache(maxsize=4096)
def tidy(expr):
    """Canonical flat form of ``expr`` (no nested products or sums)."""
    return bottom_up(flatten_node, expr)


def exhaust(step, state, cap: int = 200):
    """Apply ``step`` until it returns None; yields each new state. Stops after ``cap``."""
    for _ in range(cap):
        state = step(state)
        if state is None:
            return
        yield state
    raise RuntimeError(f"rewriting did not finish within {cap} steps")
