"""The elementwise functions a problem may name in ``functions:``, and the built-ins."""

from __future__ import annotations

#: kind -> NumPy code of f, f', f'' with ``{x}`` for the argument.
KNOWN: dict[str, tuple[str, str, str]] = {
    "sigmoid": ("1/(1+np.exp(-{x}))",
                "np.exp(-{x})/(1+np.exp(-{x}))**2",
                "np.exp(-{x})*(np.exp(-{x})-1)/(1+np.exp(-{x}))**3"),
    "tanh": ("np.tanh({x})", "1-np.tanh({x})**2", "-2*np.tanh({x})*(1-np.tanh({x})**2)"),
    "exp": ("np.exp({x})", "np.exp({x})", "np.exp({x})"),
    "log": ("np.log({x})", "1/{x}", "-1/{x}**2"),
    "sin": ("np.sin({x})", "np.cos({x})", "-np.sin({x})"),
    "cos": ("np.cos({x})", "-np.sin({x})", "-np.cos({x})"),
    "tan": ("np.tan({x})", "1/np.cos({x})**2", "2*np.tan({x})/np.cos({x})**2"),
    "sinh": ("np.sinh({x})", "np.cosh({x})", "np.sinh({x})"),
    "cosh": ("np.cosh({x})", "np.sinh({x})", "np.cosh({x})"),
    "softplus": ("np.log1p(np.exp({x}))", "1/(1+np.exp(-{x}))",
                 "np.exp(-{x})/(1+np.exp(-{x}))**2"),
    "sqrt": ("np.sqrt({x})", "1/(2*np.sqrt({x}))", "-1/(4*{x}**1.5)"),
    "square": ("{x}**2", "2*{x}", "2+0*{x}"),
}

#: LaTeX commands that are these functions without a ``functions:`` entry (``\\sin(x)``).
STANDARD = ("sin", "cos", "tan", "tanh", "sinh", "cosh")

GENERIC = "generic"
#: Functions of a whole vector (column by column for a matrix), not entrywise.
SOFTMAX = "softmax"
KINDS = tuple(KNOWN) + (GENERIC, SOFTMAX)


def numpy_code(kind: str, order: int, arg: str, name: str = "g") -> str:
    """NumPy code for the ``order``-th derivative of ``kind`` applied to the code ``arg``.

    A generic function ``g`` is called as ``g(.)``, ``g_prime(.)``, ``g_prime2(.)``.
    """
    if kind == GENERIC:
        suffix = "" if order == 0 else "_prime" if order == 1 else f"_prime{order}"
        return f"{name}{suffix}({arg})"
    return "(" + KNOWN[kind][order].format(x=f"({arg})") + ")"
