"""How a variable is spelled in the generated NumPy code.

A problem may call a variable ``lambda``, ``in`` or ``np``: sensible in mathematics, but a
Python keyword or the name of NumPy in the code. Such a name gets a trailing underscore
(``lambda`` -> ``lambda_``); every other name is spelled as it is. ``solve --json`` lists
the spelling of every variable under ``"names"``.

>>> code_name("lambda"), code_name("np"), code_name("X")
('lambda_', 'np_', 'X')
"""

from __future__ import annotations

import keyword

#: Names the generated code uses itself (``np.``, ``range`` of a sum over samples).
RESERVED = frozenset({"np", "range"})


def code_name(name: str) -> str:
    """``name`` as a Python identifier that is neither a keyword nor a name the code uses."""
    if keyword.iskeyword(name) or name in RESERVED:
        return name + "_"
    return name
