"""A derivation as plain text, for ``derivgen solve FILE`` on a terminal.

    Derivative of a bilinear form

    Differential
      df = d(\\mathbf{a}^T\\mathbf{X}\\mathbf{b})
         = \\mathbf{a}^T\\,d\\mathbf{X}\\,\\mathbf{b}   [product rule]

    Result
      df/dX = \\mathbf{a}\\mathbf{b}^T

    verified: yes

Math stays LaTeX (the notation students know, and what the problem files use).
"""

from __future__ import annotations

from derivgen.render.facts import conclusion_prose, fact_prose, math_latex


def _math(value, scope) -> str:
    return math_latex(value, scope)


def section_text(section, scope) -> list[str]:
    """The lines of one section: ``lhs = start``, then ``= after   [rule]`` aligned under it."""
    lhs = _math(section.lhs, scope)
    lines = [section.title] if section.title else []
    lines.append(f"  {lhs} = {_math(section.start, scope)}")
    pad = " " * (len(lhs) + 3)
    for step in section.steps:
        rule = f"   [{step.rule}]" if step.rule else ""
        lines.append(f"{pad}= {_math(step.after, scope)}{rule}")
    if section.conclusion:
        lines.append(f"  {conclusion_prose(section, scope)}")
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


def result_label(result) -> str:
    """``df/dX``, ``df/dZ*`` (conjugate), ``d2f/dX2`` (Hessian)."""
    if result.order >= 2:
        return f"d{result.order}f/d{result.wrt}{result.order}"
    return f"df/d{result.wrt}{'*' if result.conjugate else ''}"


def derivation_text(derivation) -> str:
    """Title, sections, results and ``verified: yes/no``, one item a line."""
    scope = derivation.scope
    lines = [derivation.problem.title, ""]
    for section in derivation.sections:
        lines.extend(section_text(section, scope))
        lines.append("")
    lines.append("Result")
    for result in derivation.results:
        lines.append(f"  {result_label(result)} = {_math(shown_result(result), scope)}")
    for lhs, rhs in where_pairs(derivation):
        lines.append(f"    where {_math(lhs, scope)} = {_math(rhs, scope)}")
    for remark in derivation.remarks:
        lines.append(f"  {fact_prose(remark, scope)}")
    lines.append("")
    lines.append(f"verified: {'yes' if derivation.verified else 'no'}")
    return "\n".join(lines) + "\n"
