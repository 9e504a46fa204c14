"""Unicode in problem text made into LaTeX that pdflatex's default fonts can typeset.

pdflatex with the OT1-encoded Computer Modern fonts has glyphs for ASCII and, through
accent commands, for accented Latin letters; a Greek letter, a CJK character or an emoji in
a title stops the whole document ("Unicode character ... not set up for use with LaTeX").
So every character outside ASCII becomes ASCII LaTeX here: accented letters as accents
(``é`` -> ``\\'{e}``), Greek letters and common math symbols as math (``α`` ->
``\\ensuremath{\\alpha}``), typographic punctuation as TeX ligatures, Cyrillic by its usual
Latin transliteration, and anything else (CJK, emoji) as its Unicode name, ``[U+4E2D]`` or
``[grinning face]``: always something that compiles, and never a silent loss.

    >>> text_latex("Gradient wrt α, naïve")
    'Gradient wrt \\\\ensuremath{\\\\alpha}, na\\\\"{\\\\i}ve'
"""

from __future__ import annotations

import unicodedata

GREEK_LETTERS = {
    "α": "alpha", "β": "beta", "γ": "gamma", "δ": "delta", "ε": "epsilon", "ζ": "zeta",
    "η": "eta", "θ": "theta", "ι": "iota", "κ": "kappa", "λ": "lambda", "μ": "mu", "ν": "nu",
    "ξ": "xi", "π": "pi", "ρ": "rho", "σ": "sigma", "ς": "varsigma", "τ": "tau",
    "υ": "upsilon", "φ": "phi", "ϕ": "phi", "χ": "chi", "ψ": "psi", "ω": "omega",
    "ϑ": "vartheta", "ϵ": "epsilon", "ϱ": "varrho", "ϖ": "varpi", "µ": "mu",
    "Γ": "Gamma", "Δ": "Delta", "Θ": "Theta", "Λ": "Lambda", "Ξ": "Xi", "Π": "Pi",
    "Σ": "Sigma", "Υ": "Upsilon", "Φ": "Phi", "Ψ": "Psi", "Ω": "Omega",
}
#: Capital Greek letters that look like Latin ones (TeX has no command for them).
GREEK_AS_LATIN = dict(zip("ΑΒΕΖΗΙΚΜΝΟΡΤΧ", "ABEZHIKMNOPTX"))

#: Math symbols by their LaTeX command (typeset in math mode).
MATH_SYMBOLS = {
    "∂": r"\partial", "∇": r"\nabla", "∈": r"\in", "∉": r"\notin", "≤": r"\leq",
    "≥": r"\geq", "≠": r"\neq", "≈": r"\approx", "≡": r"\equiv", "∞": r"\infty",
    "∑": r"\sum", "∏": r"\prod", "∫": r"\int", "√": r"\surd", "±": r"\pm", "∓": r"\mp",
    "×": r"\times", "÷": r"\div", "·": r"\cdot", "⋅": r"\cdot", "∘": r"\circ",
    "⊙": r"\odot", "⊗": r"\otimes", "⊕": r"\oplus", "→": r"\to", "←": r"\leftarrow",
    "⇒": r"\Rightarrow", "⇐": r"\Leftarrow", "⇔": r"\iff", "↦": r"\mapsto",
    "∀": r"\forall", "∃": r"\exists", "∅": r"\emptyset", "⊂": r"\subset",
    "⊆": r"\subseteq", "∪": r"\cup", "∩": r"\cap", "∧": r"\wedge", "∨": r"\vee",
    "¬": r"\neg", "⊤": r"\top", "ᵀ": r"^{T}", "′": r"'", "°": r"^{\circ}", "ℓ": r"\ell",
    "ℝ": r"\mathbb{R}", "ℂ": r"\mathbb{C}", "ℕ": r"\mathbb{N}", "ℤ": r"\mathbb{Z}",
    "⟨": r"\langle", "⟩": r"\rangle", "‖": r"\|", "∼": r"\sim", "∝": r"\propto",
    "²": r"^{2}", "³": r"^{3}", "¹": r"^{1}", "⁻": r"^{-}",
}

#: Letters and punctuation that text mode has a command or a ligature for.
TEXT_SYMBOLS = {
    "ß": r"\ss{}", "æ": r"\ae{}", "Æ": r"\AE{}", "œ": r"\oe{}", "Œ": r"\OE{}", "ø": r"\o{}",
    "Ø": r"\O{}", "ł": r"\l{}", "Ł": r"\L{}", "å": r"\aa{}", "Å": r"\AA{}", "ı": r"\i{}",
    "“": "``", "”": "''", "„": ",,", "‘": "`", "’": "'", "‚": ",", "«": "<<", "»": ">>",
    "–": "--", "—": "---", "−": "-", "…": r"\ldots{}", "\u00a0": "~", "\u2009": r"\,",
    "\u202f": r"\,", "•": r"\textbullet{}", "§": r"\S{}", "¶": r"\P{}", "©": r"\copyright{}",
    "£": r"\pounds{}", "€": "EUR", "™": "(TM)", "®": "(R)", "†": r"\dag{}", "‡": r"\ddag{}",
    "¿": r"?`", "¡": r"!`",
}

#: Combining accents that the OT1 fonts can put on a letter.
ACCENTS = {"\u0300": "`", "\u0301": "'", "\u0302": "^", "\u0303": "~", "\u0304": "=",
           "\u0306": "u", "\u0307": ".", "\u0308": '"', "\u030a": "r", "\u030b": "H",
           "\u030c": "v", "\u0327": "c"}

CYRILLIC = dict(zip(
    "абвгдеёжзийклмнопрстуфхцчшщъыьэюя",
    ["a", "b", "v", "g", "d", "e", "e", "zh", "z", "i", "i", "k", "l", "m", "n", "o", "p",
     "r", "s", "t", "u", "f", "kh", "ts", "ch", "sh", "shch", "", "y", "", "e", "iu", "ia"]))


def text_latex(text: str, escape=lambda ch: ch) -> str:
    """``text`` with every non-ASCII character made ASCII LaTeX for text mode; ASCII
    characters go through ``escape`` (the caller's escaping of TeX's specials)."""
    return "".join(escape(ch) if ch.isascii() else char_latex(ch) for ch in text)


def char_latex(ch: str) -> str:
    """One non-ASCII character as ASCII LaTeX for text mode."""
    if ch in TEXT_SYMBOLS:
        return TEXT_SYMBOLS[ch]
    if ch in GREEK_AS_LATIN:
        return GREEK_AS_LATIN[ch]
    math = math_symbol(ch)
    if math is not None:
        return rf"\ensuremath{{{math}}}"
    accented = _accented(ch)
    if accented is not None:
        return accented
    if ch.lower() in CYRILLIC:
        latin = CYRILLIC[ch.lower()]
        return latin.capitalize() if ch.isupper() else latin
    category = unicodedata.category(ch)
    if category in ("Zs", "Zl", "Zp"):
        return " "
    if category in ("Cf", "Mn", "Me", "Cc", "Co", "Cs", "Cn") or 0xFE00 <= ord(ch) <= 0xFE0F:
        return ""       # joiners, variation selectors, stray combining marks: nothing to print
    folded = unicodedata.normalize("NFKC", ch)
    if folded != ch and folded.isascii() and folded.isprintable():   # ﬁ, full-width A
        return "".join(ch if ch.isalnum() or ch in " .,;:!?()-+=/" else "" for ch in folded)
    return _named(ch)


def math_symbol(ch: str) -> str | None:
    """The math-mode LaTeX of a Greek letter or math symbol, else None."""
    if ch in GREEK_LETTERS:
        return "\\" + GREEK_LETTERS[ch]
    return MATH_SYMBOLS.get(ch)


def _accented(ch: str) -> str | None:
    """``é`` -> ``\\'{e}``, ``ï`` -> ``\\"{\\i}``; None unless a letter with OT1 accents."""
    base, *marks = unicodedata.normalize("NFD", ch)
    if not (base.isascii() and base.isalpha()) or not marks \
            or not all(mark in ACCENTS for mark in marks):
        return None
    out = {"i": r"\i", "j": r"\j"}.get(base, base)
    for mark in marks:
        out = f"\\{ACCENTS[mark]}{{{out}}}"
    return out


def _named(ch: str) -> str:
    """``[grinning face]``, or ``[U+4E2D]`` for characters named by their number."""
    name = unicodedata.name(ch, "")
    if not name or any(part in name for part in ("IDEOGRAPH", "SYLLABLE", "-")):
        return f"[U+{ord(ch):04X}]"
    return "[" + name.lower() + "]"
