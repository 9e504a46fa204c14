"""The LaTeX commands problem text may use: the allowlist of math commands, and what each
package a set's ``preamble:`` may load adds to it (``problem.preamble``; ``render.prose``
checks math against the same lists).

Every command here is harmless in math mode: it cannot read or write files, run commands
or redefine TeX.  A package is listed only if it ships with TeX Live's base and recommended
sets (what ``setup.sh`` installs) and KaTeX, which typesets the web export, knows its
commands too.

    >>> "mathscr" in MATH_COMMANDS, PACKAGE_OF["mathscr"]
    (False, 'mathrsfs')
"""

from __future__ import annotations

import re

#: Greek letters, as commands.
GREEK = {
    "alpha", "beta", "gamma", "delta", "epsilon", "varepsilon", "zeta", "eta", "theta",
    "vartheta", "iota", "kappa", "lambda", "mu", "nu", "xi", "pi", "varpi", "rho", "varrho",
    "sigma", "varsigma", "tau", "upsilon", "phi", "varphi", "chi", "psi", "omega",
    "Gamma", "Delta", "Theta", "Lambda", "Xi", "Pi", "Sigma", "Upsilon", "Phi", "Psi", "Omega",
}

# Letters-only commands harmless in math mode: symbols, fonts, operators, delimiters, spacing.
MATH_COMMANDS = frozenset(GREEK) | {
    # fonts and text
    "mathbf", "boldsymbol", "bm", "mathrm", "mathit", "mathsf", "mathtt", "mathcal", "mathbb",
    "mathfrak", "operatorname", "text", "textrm", "textit", "textbf", "small", "footnotesize",
    # structures
    "frac", "dfrac", "tfrac", "sqrt", "left", "right", "middle", "boxed", "overline",
    "underline", "hat", "tilde", "bar", "vec", "dot", "ddot", "widehat", "widetilde",
    "underbrace", "overbrace", "substack", "limits", "nolimits", "phantom", "displaystyle",
    "textstyle", "scriptstyle", "binom",
    "big", "Big", "bigg", "Bigg", "bigl", "bigr", "Bigl", "Bigr", "biggl", "biggr", "Biggl",
    "Biggr", "bigm", "Bigm",
    # operators and relations
    "odot", "otimes", "oplus", "circ", "cdot", "times", "div", "pm", "mp", "ast", "star",
    "top", "intercal", "dagger", "prime", "partial", "nabla", "infty", "sum", "prod", "int",
    "lim", "max", "min", "sup", "inf", "arg", "argmax", "argmin", "log", "ln", "exp", "sin",
    "cos", "tan", "tanh", "sinh", "cosh", "arctan", "det", "tr", "rank", "diag", "dim", "ker",
    "in", "notin", "subset", "subseteq", "cup", "cap", "setminus", "emptyset", "forall",
    "exists", "mid", "neq", "ne", "leq", "le", "geq", "ge", "ll", "gg", "approx", "equiv",
    "sim", "simeq", "propto", "triangleq", "coloneqq", "to", "rightarrow", "leftarrow",
    "Rightarrow", "Leftarrow", "mapsto", "implies", "iff", "lvert", "rvert", "lVert", "rVert",
    "vert", "Vert", "langle", "rangle", "lfloor", "rfloor", "lceil", "rceil", "lbrace",
    "rbrace", "ldots", "cdots", "vdots", "ddots", "dots", "quad", "qquad", "ell", "imath",
    "jmath", "Re", "Im", "hbar", "aleph", "not", "land", "lor", "neg", "wedge", "vee",
    "bullet", "star", "sharp", "flat", "natural", "angle", "perp", "parallel",
}

# \, \; \: \! \  \| \{ \} \% \& \# \_ \$ : spacing, norms, braces and escaped specials.
MATH_SYMBOL_COMMANDS = frozenset(",;:! |{}%&#_$")

#: What each package a set may load adds: command -> number of mandatory arguments; each
#: typesets in KaTeX and in the MathJax of course platforms too.  ``bm`` and ``mathtools``
#: give ``\bm`` and ``\coloneqq`` their own forms; every document defines the two anyway
#: (``render.prose.PREAMBLE_DEFINITIONS``).
PACKAGES = {
    "amssymb": {name: 0 for name in (
        "succ", "prec", "succeq", "preceq", "succcurlyeq", "preccurlyeq", "leqslant",
        "geqslant", "lesssim", "gtrsim", "nleq", "ngeq", "subsetneq", "supseteq", "supset",
        "varnothing", "square", "blacksquare", "therefore", "because", "complement",
        "checkmark", "circledast", "boxplus", "boxtimes", "lhd", "rhd", "trianglelefteq",
        "trianglerighteq")},
    "bm": {},
    # mathtools' own commands are left out: MathJax, in Moodle and Canvas, does not load it
    "mathtools": {},
    "mathrsfs": {"mathscr": 1},
}
#: The package each package-only command needs.
PACKAGE_OF = {command: package for package, commands in PACKAGES.items()
              for command in commands if command not in MATH_COMMANDS}

#: Names a macro may not take although no allowlist has them: TeX's and LaTeX's own commands
#: (those that read, write or redefine, and the essentials of every document), and the
#: spellings the formula parser knows (``\rm T``, ``\cal``).
RESERVED = frozenset("""
    begin end def edef gdef xdef let futurelet newcommand renewcommand providecommand
    DeclareRobustCommand DeclareMathOperator newenvironment renewenvironment input include
    includeonly InputIfFileExists IfFileExists openin openout read readline write immediate
    closein closeout message catcode uccode lccode sfcode mathcode delcode csname endcsname
    expandafter noexpand unexpanded the special pdfliteral usepackage RequirePackage
    documentclass makeatletter makeatother relax par item section subsection label ref
    cite newline linebreak pagebreak newpage vspace hspace hbox vbox mbox makebox raisebox
    color textcolor includegraphics href url verb string number romannumeral uppercase
    lowercase jobname endinput afterassignment aftergroup scantokens detokenize
    ensuremath vcenter mathrel mathop mathbin mathord mathopen mathclose mathpunct
    rm sf bf it tt cal mit sl sc em emph mathnormal operatorname
    d tr T H
""".split())

_CONTROL = re.compile(r"\\([A-Za-z]+|.?)", re.S)


def control_sequences(math: str):
    """``(name, position)`` of each control sequence: ``\\mathbf`` -> ``mathbf``,
    ``\\,`` -> ``,`` (and ``""`` for a backslash at the very end)."""
    for match in _CONTROL.finditer(math):
        yield match.group(1), match.start()


def first_disallowed(math: str, allowed=frozenset()):
    """``(name, position)`` of the first command of ``math`` that is neither on the
    allowlist nor in ``allowed``, or None."""
    for name, position in control_sequences(math):
        if name[:1].isalpha():
            if name not in MATH_COMMANDS and name not in allowed:
                return name, position
        elif name not in MATH_SYMBOL_COMMANDS:
            return name, position
    return None
