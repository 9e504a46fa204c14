"""A derivation as text, for ``derivgen solve FILE`` on a terminal.

    Derivative of a bilinear form

    Differential
      df = d(aᵀX b)
         = aᵀ dX b   [product rule]
    ...
    Result
      ∂f/∂X = a bᵀ

    verified: yes

Mathematics is Unicode a person reads in a terminal (``render/terminal.py``); with
``latex=True`` (``solve --latex``) it is the LaTeX of the documents.  The steps are those
the solutions show (``detail:``).
"""

from __future__ import annotations

import re

from derivgen.derive.compact import continues, detail_of, shown_sections
from derivgen.render.facts import conclusion_prose, fact_prose, math_latex
from derivgen.render.prose import check_math, escape_text
from derivgen.render.terminal import terminal_math


def _math(value, scope, latex: bool = True) -> str:
    text = math_latex(value, scope)
    return text if latex else terminal_math(text)


def _prose(text: str, latex: bool) -> str:
    """Prose with inline ``$...$``; its math as Unicode unless ``latex``."""
    if latex:
        return text
    return re.sub(r"\$\$(.+?)\$\$|\$(.+?)\$",
                  lambda m: terminal_math(m.group(1) or m.group(2)), text, flags=re.S)


def section_text(section, scope, latex: bool = True, skip_start: bool = False) -> list[str]:
    """The lines of one section: ``lhs = start``, then ``= after   [rule]`` aligned under it;
    with ``skip_start`` (the previous section ended there) the first step takes its place."""
    lhs = _math(section.lhs, scope, latex)
    lines = [section.title] if section.title else []
    rows = [] if skip_start and section.steps else [(_math(section.start, scope, latex), "")]
    rows += [(_math(step.after, scope, latex), f"   [{step.rule}]" if step.rule else "")
             for step in section.steps]
    pad = " " * (len(lhs) + 3)
    for k, (math, rule) in enumerate(rows):
        lines.append(f"  {lhs} = {math}{rule}" if k == 0 else f"{pad}= {math}{rule}")
    if section.conclusion:
        lines.append(f"  {_prose(conclusion_prose(section, scope), latex)}")
    return lines


def shown_result(result):
    """A result as the solution writes it: by way of the intermediates' gradients if any."""
    return result.chain_form if result.chain_form is not None else result.expr


def where_pairs(derivation) -> list:
    """The intermediates and their gradients that a result by way of them refers to."""
    chain = derivation.chain
    if chain is None or not any(r.chain_form is not None for r in derivation.results):
        return []
    return chain.where()


def result_lhs(result, derivation) -> str:
    """``\\frac{\\partial f}{\\partial \\mathbf{X}}``, ``\\nabla^2 f``, or ``.../\\partial \\mathbf{z}^*``."""
    scope = derivation.scope
    f = getattr(scope, "function_name", "f")
    symbol = scope.symbols.get(result.wrt) if scope is not None else None
    wrt = check_math(math_latex(symbol, scope)) if symbol is not None \
        else escape_text(result.wrt)
    if result.order >= 2 and symbol is not None and symbol.is_Matrix and symbol.cols != 1:
        return rf"\nabla^2_{{\operatorname{{vec}}({wrt})}} {f}"  # the mn x mn form
    if result.order >= 2:
        several = len(derivation.problem.wrt) > 1
        return rf"\nabla^2_{{{wrt}}} {f}" if several else rf"\nabla^2 {f}"
    star = "^*" if result.conjugate else ""
    return rf"\frac{{\partial {f}}}{{\partial {wrt}{star}}}"


def result_label(result, derivation, latex: bool = True) -> str:
    """``df/dX``, ``df/dZ*`` (conjugate), ``d2f/dX2`` (Hessian); in Unicode the solution's own
    left-hand side, ``∂ℓ/∂μ``, ``∇²f``."""
    if not latex:
        return terminal_math(result_lhs(result, derivation))
    if result.order >= 2:
        return f"d{result.order}f/d{result.wrt}{result.order}"
    return f"df/d{result.wrt}{'*' if result.conjugate else ''}"


def derivation_text(derivation, latex: bool = False) -> str:
    """Title, sections, results and ``verified: yes/no``, one item a line."""
    scope = derivation.scope
    lines = [derivation.problem.title, ""]
    previous = None
    for section in shown_sections(derivation, detail_of(derivation)):
        lines.extend(section_text(section, scope, latex, continues(previous, section)))
        lines.append("")
        previous = section
    lines.append("Result")
    for result in derivation.results:
        shown = _math(shown_result(result), scope, latex)
        lines.append(f"  {result_label(result, derivation, latex)} = {shown}")
    for lhs, rhs in where_pairs(derivation):
        lines.append(f"    where {_math(lhs, scope, latex)} = {_math(rhs, scope, latex)}")
    for remark in derivation.remarks:
        lines.append(f"  {_prose(fact_prose(remark, scope), latex)}")
    lines.append("")
    lines.append(f"verified: {'yes' if derivation.verified else 'no'}")
    return "\n".join(lines) + "\n"
