"""derivgen: step-by-step matrix-calculus derivations, verified, typeset.

``derivgen.solve(path_or_dict)`` (see ``derivgen.api``) is loaded on first use: a plain
``import derivgen`` -- which every command does -- must not import SymPy.
"""

__version__ = "0.1.0"

#: Names of the public API, each loaded from ``derivgen.api`` when first used.
_API = ("solve", "Solution")


def __getattr__(name):
    if name in _API:
        from derivgen import api
        return getattr(api, name)
    raise AttributeError(f"module 'derivgen' has no attribute {name!r}")


def __dir__():
    return sorted(list(globals()) + list(_API))
