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


def result_label(result, latex: bool = True) -> str:
    """``df/dX``, ``df/dZ*`` (conjugate), ``d2f/dX2`` (Hessian); ``∂f/∂X``, ``∇²f`` in Unicode."""
    if not latex:
        if result.order >= 2:
            return f"∇²f by {result.wrt}"
        return f"∂f/∂{result.wrt}{'*' if result.conjugate else ''}"
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
        lines.append(f"  {result_label(result, latex)} = {shown}")
    for lhs, rhs in where_pairs(derivation):
        lines.append(f"    where {_math(lhs, scope, latex)} = {_math(rhs, scope, latex)}")
    for remark in derivation.remarks:
        lines.append(f"  {_prose(fact_prose(remark, scope), latex)}")
    lines.append("")
    lines.append(f"verified: {'yes' if derivation.verified else 'no'}")
    return "\n".join(lines) + "\n"
