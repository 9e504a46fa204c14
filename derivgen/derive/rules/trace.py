"""Trace rules: rewrite ``df`` term by term until each term reads ``tr(L dX)``.

A term is ``coeff * tr(left @ inner)`` where ``inner`` holds the differential. Each rule
moves one layer out of ``inner`` into ``left`` (or ``coeff``) by a true identity, and
returns the new terms, or ``None`` when it does not apply.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from sympy import (Add, HadamardProduct, Identity, KroneckerProduct, MatAdd, MatMul, Mul,
                   OneMatrix, S, Trace, Transpose)
from sympy.matrices.expressions.diagonal import DiagMatrix

from derivgen.errors import DerivgenError
from derivgen.ir.nodes import DIFFERENTIALS, AsScalar, note_symmetry, noting_symmetry
from derivgen.ir.sums import MatSampleSum, SampleSum, free_indices, summed, uses_index
from derivgen.derive.rules.differential import Rule
from derivgen.derive.rules.simplify import hadamard_drop_ones, textbook
from derivgen.derive.rules.softmax import SOFTMAX, everywhere, name_softmax
from derivgen.derive.rules.transpose import push_transposes

TRACE_OF_SCALAR = Rule("a scalar is its own trace", r"x = \operatorname{tr}(x)")
LINEARITY = Rule("linearity of the trace",
                 r"\operatorname{tr}(\mathbf{X} \pm \mathbf{Y}) = "
                 r"\operatorname{tr}(\mathbf{X}) \pm \operatorname{tr}(\mathbf{Y})")
CYCLIC = Rule("cyclic property of the trace",
              r"\operatorname{tr}(\mathbf{A}\mathbf{B}\mathbf{C}) = "
              r"\operatorname{tr}(\mathbf{C}\mathbf{A}\mathbf{B})")
TRANSPOSE = Rule("trace of a transpose",
                 r"\operatorname{tr}(\mathbf{A}^T) = \operatorname{tr}(\mathbf{A})")
HADAMARD = Rule("trace of a Hadamard product",
                r"\operatorname{tr}(\mathbf{A}^T(\mathbf{B} \odot \mathbf{C})) = "
                r"\operatorname{tr}((\mathbf{A} \odot \mathbf{B})^T \mathbf{C})")
KRONECKER = Rule("trace of a Kronecker product",
                 r"\operatorname{tr}(\mathbf{A} \otimes \mathbf{X}) = "
                 r"\operatorname{tr}(\mathbf{A})\operatorname{tr}(\mathbf{X})")
MIXED_PRODUCT = Rule("mixed-product property",
                     r"(\mathbf{A} \otimes \mathbf{B})(\mathbf{C} \otimes \mathbf{D}) = "
                     r"\mathbf{A}\mathbf{C} \otimes \mathbf{B}\mathbf{D}")
SCALAR_OUT = Rule("a scalar factor leaves the trace",
                  r"\operatorname{tr}(\mathbf{A}\,s\,\mathbf{B}) = "
                  r"s\operatorname{tr}(\mathbf{A}\mathbf{B})")
COLLECT = Rule("collect terms", r"\operatorname{tr}(\mathbf{A}\,d\mathbf{X}) + "
               r"\operatorname{tr}(\mathbf{B}\,d\mathbf{X}) = "
               r"\operatorname{tr}((\mathbf{A} + \mathbf{B})\,d\mathbf{X})")
SUM_INTO_TRACE = Rule("a sum passes into the trace",
                      r"\sum_{i=1}^{N} \operatorname{tr}(\mathbf{A}_i\,d\mathbf{X}) = "
                      r"\operatorname{tr}\Big(\Big(\sum_{i=1}^{N}\mathbf{A}_i\Big)d\mathbf{X}\Big)")
TRACE_OF_SUM = Rule("trace of a sum over samples",
                    r"\operatorname{tr}\Big(\mathbf{L}\sum_{i=1}^{N}\mathbf{E}_i\Big) = "
                    r"\sum_{i=1}^{N}\operatorname{tr}(\mathbf{L}\,\mathbf{E}_i)")
DIAGONAL = Rule("trace with a diagonal matrix",
                r"\operatorname{tr}(\mathbf{A}\operatorname{diag}(\mathbf{v})) = "
                r"((\mathbf{A}^T \odot \mathbf{I})\mathbf{1})^T\mathbf{v}")
GRADIENT_FORM = Rule("gradient form",
                     r"df = \operatorname{tr}\left(\left(\frac{\partial f}{\partial "
                     r"\mathbf{X}}\right)^T d\mathbf{X}\right)")


@dataclass(frozen=True)
class TraceTerm:
    """``coeff * tr(left @ inner)``; ``left`` is None for the identity.

    ``sums`` holds the ``(index, N)`` of the sums over samples the term is under,
    outermost first: the term is $\\sum_i c_i\\,tr(L_i E_i)$.
    """

    coeff: object
    left: object
    inner: object
    sums: tuple = ()

    @property
    def done(self) -> bool:
        return isinstance(self.inner, DIFFERENTIALS)

    def expr(self):
        """The term as an expression, for display and for numerical checks."""
        if not self.inner.is_Matrix:
            body = self.inner
        else:
            body = Trace(self.inner if self.left is None else
                         MatMul(self.left, self.inner).doit(deep=False))
        outside, inside = split_by_sums(self.coeff, self.sums)
        return Mul(outside, summed(Mul(inside, body), self.sums))

    def replace(self, **changes) -> "TraceTerm":
        return replace(self, **changes)


def split_by_sums(coeff, sums):
    """``coeff`` as (the factors free of the sums' indices, the factors that use them)."""
    def bound(factor):
        return any(uses_index(factor, index) for index, _ in sums)
    factors = Mul.make_args(coeff)
    return (Mul(*[f for f in factors if not bound(f)]), Mul(*[f for f in factors if bound(f)]))


def has_differential(expr) -> bool:
    return bool(expr.atoms(*DIFFERENTIALS))


def _split_sum(expr):
    if isinstance(expr, (Add, MatAdd)):
        return [t for a in expr.args for t in _split_sum(a)]
    if isinstance(expr, Mul):
        sums = [a for a in expr.args if isinstance(a, Add) and has_differential(a)]
        if sums:
            rest = [a for a in expr.args if a is not sums[0]]
            return [t for a in sums[0].args for t in _split_sum(Mul(*rest, a))]
    return [expr]


def terms_of(df):
    """Split a linear scalar form into trace terms: $df = \\sum_k c_k\\,tr(E_k)$."""
    terms = []
    for part in _split_sum(df):
        if not has_differential(part):
            continue
        if part.is_Matrix:
            terms.append(TraceTerm(S.One, None, part))
            continue
        factors = Mul.make_args(part)
        inner = [f for f in factors if has_differential(f)]
        if len(inner) != 1:
            raise ValueError(f"not linear in the differential: {part}")
        coeff = Mul(*[f for f in factors if not has_differential(f)])
        if isinstance(inner[0], SampleSum):
            terms.extend(t.replace(coeff=Mul(coeff, t.coeff), sums=(inner[0].binding,) + t.sums)
                         for t in terms_of(inner[0].body))
            continue
        terms.append(TraceTerm(coeff, None, _scalar_content(inner[0])))
    return terms


def _scalar_content(scalar):
    """The matrix inside a scalar differential: $tr(E) \\to E$, $x^T dx \\to x^T dx$."""
    if isinstance(scalar, Trace):
        return scalar.arg
    if isinstance(scalar, AsScalar):
        return scalar.arg
    return scalar


def needs_trace_wrap(df) -> bool:
    """True when ``df`` has a differential outside every trace (``a^T dX b``)."""
    if df.is_Matrix:
        return True
    for part in _split_sum(df):
        for factor in Mul.make_args(part):
            if isinstance(factor, SampleSum):
                if needs_trace_wrap(factor.body):
                    return True
            elif has_differential(factor) and not isinstance(factor, Trace):
                return True
    return False


def trace_linearity(term: TraceTerm):
    """$tr(L(A + B)) = tr(LA) + tr(LB)$; also pulls constant scalars out of the trace."""
    inner = term.inner
    if isinstance(inner, MatAdd):
        return [term.replace(inner=a) for a in inner.args if has_differential(a)]
    if isinstance(inner, MatMul):
        scalars = [a for a in inner.args if not a.is_Matrix and not has_differential(a)]
        if scalars:
            rest = [a for a in inner.args if a not in scalars]
            body = rest[0] if len(rest) == 1 else MatMul(*rest)
            return [term.replace(coeff=Mul(term.coeff, *scalars), inner=body)]
    return None


def trace_scalar_out(term: TraceTerm):
    """$tr(L\\,A\\,s\\,B) = s\\,tr(LAB)$ for a scalar $s$ that holds the differential."""
    if not isinstance(term.inner, MatMul):
        return None
    scalars = [a for a in term.inner.args if not a.is_Matrix and has_differential(a)]
    if not scalars:
        return None
    s = scalars[0]
    rest = [a for a in term.inner.args if a is not s]
    body = MatMul(*rest) if len(rest) > 1 else rest[0]
    full = body if term.left is None else MatMul(term.left, body)
    constant = [f for f in Mul.make_args(s) if not has_differential(f)]
    held = Mul(*[f for f in Mul.make_args(s) if has_differential(f)])
    remaining = AsScalar(full) if full.shape == (1, 1) else Trace(full)
    # the held scalar may be a sum of differentials: split it into terms again
    return [t.replace(sums=term.sums + t.sums)
            for t in terms_of(Mul(term.coeff, *constant, remaining, held))]


def trace_cyclic(term: TraceTerm):
    """$tr(L\\,A\\,E\\,B) = tr(B\\,L\\,A\\,E)$, bringing the differential's factor last."""
    inner = term.inner
    if not isinstance(inner, MatMul) or any(not a.is_Matrix for a in inner.args):
        return None
    factors = list(inner.args)
    holders = [i for i, a in enumerate(factors) if has_differential(a)]
    if len(holders) != 1:
        return None
    i = holders[0]
    before, after = factors[:i], factors[i + 1:]
    middle = [] if term.left is None else [term.left]
    left = after + middle + before
    new_left = left[0] if len(left) == 1 else MatMul(*left)
    return [term.replace(left=new_left, inner=factors[i])]


def trace_transpose(term: TraceTerm):
    """$tr(L\\,E^T) = tr(E\\,L^T) = tr(L^T E)$."""
    if not isinstance(term.inner, Transpose):
        return None
    left = None if term.left is None else Transpose(term.left)
    return [term.replace(left=left, inner=term.inner.arg)]


def trace_hadamard(term: TraceTerm):
    """$tr(L(H \\odot E)) = tr((L^T \\odot H)^T E)$."""
    inner = term.inner
    if not isinstance(inner, HadamardProduct):
        return None
    holders = [a for a in inner.args if has_differential(a)]
    if len(holders) != 1:
        return None
    others = [a for a in inner.args if a is not holders[0]]
    left_t = Identity(inner.rows) if term.left is None else push_transposes(Transpose(term.left))
    weight = hadamard_drop_ones(HadamardProduct(left_t, *others))
    return [term.replace(left=Transpose(weight), inner=holders[0])]


def trace_diagonal(term: TraceTerm):
    """$tr(L\\operatorname{diag}(v)) = \\sum_i L_{ii} v_i = \\mathbf{1}^T(L^T \\odot I)\\,v$."""
    inner = term.inner
    if not isinstance(inner, DiagMatrix):
        return None
    size = inner.rows
    ones = OneMatrix(1, size)
    if term.left is None:
        return [term.replace(left=ones, inner=inner.args[0])]
    weight = HadamardProduct(push_transposes(Transpose(term.left)), Identity(size))
    return [term.replace(left=MatMul(ones, weight), inner=inner.args[0])]


def trace_of_sample_sum(term: TraceTerm):
    """$tr(L\\sum_i E_i) = \\sum_i tr(L\\,E_i)$ for an $L$ that does not depend on $i$."""
    inner = term.inner
    if not isinstance(inner, MatSampleSum):
        return None
    if term.left is not None and uses_index(term.left, inner.index):
        return None
    return [term.replace(inner=inner.body, sums=term.sums + (inner.binding,))]


def trace_kronecker(term: TraceTerm):
    """$tr(P \\otimes E) = tr(P)\\,tr(E)$ for square $P$ and $E$, the differential in one."""
    inner = term.inner
    if term.left is not None or not _kronecker_pair(inner):
        return None
    if any(f.rows != f.cols for f in inner.args):
        return None
    holders = [k for k, f in enumerate(inner.args) if has_differential(f)]
    if len(holders) != 1:
        return None
    k = holders[0]
    return [term.replace(coeff=Mul(term.coeff, Trace(inner.args[1 - k])), inner=inner.args[k])]


def trace_mixed_product(term: TraceTerm):
    """$tr((L_1 \\otimes L_2)(P \\otimes E)) = tr(L_1P \\otimes L_2E)$ when the shapes match."""
    if term.left is None or not _kronecker_pair(term.inner):
        return None
    left = push_transposes(term.left)
    if not _kronecker_pair(left):
        return None
    if any(l.cols != f.rows for l, f in zip(left.args, term.inner.args)):
        return None
    products = [MatMul(l, f).doit(deep=False) for l, f in zip(left.args, term.inner.args)]
    return [term.replace(left=None, inner=KroneckerProduct(*products))]


def _kronecker_pair(expr) -> bool:
    return isinstance(expr, KroneckerProduct) and len(expr.args) == 2


def trace_of_scalar(term: TraceTerm):
    """$tr(s) = s$ for a ``1 x 1`` block held as a scalar: $tr(L\\,x) \\to$ its matrix."""
    if isinstance(term.inner, AsScalar):
        return [term.replace(inner=term.inner.arg)]
    return None


#: The order in which the rules are tried on a term; the first that applies wins.
TRACE_RULES = (
    (trace_linearity, LINEARITY),
    (trace_of_scalar, TRACE_OF_SCALAR),
    (trace_scalar_out, SCALAR_OUT),
    (trace_cyclic, CYCLIC),
    (trace_transpose, TRANSPOSE),
    (trace_hadamard, HADAMARD),
    (trace_diagonal, DIAGONAL),
    (trace_of_sample_sum, TRACE_OF_SUM),
    (trace_kronecker, KRONECKER),
    (trace_mixed_product, MIXED_PRODUCT),
)


def trace_name_softmax(term: TraceTerm):
    """$\\frac{\\operatorname{tr}((e^{\\mathbf{a}})^T d\\mathbf{a})}{\\mathbf{1}^T e^{\\mathbf{a}}} =
    \\operatorname{tr}(\\operatorname{softmax}(\\mathbf{a})^T d\\mathbf{a})$, in a finished term."""
    if term.left is None:
        return None
    weight = MatMul(term.coeff, push_transposes(Transpose(term.left))).doit(deep=False)
    named = everywhere(name_softmax, weight)
    if named == weight:
        return None
    coeff, matrices = named.as_coeff_matrices() if isinstance(named, MatMul) else (S.One, [named])
    body = matrices[0] if len(matrices) == 1 else MatMul(*matrices)
    return [term.replace(coeff=coeff, left=push_transposes(Transpose(body)))]


#: Rules for a finished term ``tr(L dX)``: they only rename what ``L`` is made of.
FINISHING_RULES = ((trace_name_softmax, SOFTMAX),)


def rewrite_once(term: TraceTerm):
    """Apply the first rule of ``TRACE_RULES`` that fits; ``(terms, rule)`` or None."""
    for rule, name in FINISHING_RULES if term.done else TRACE_RULES:
        result = _tried(rule, term)
        if result is not None:
            return result, name
    if term.done:
        return None
    # e.g. a differential inside a Kronecker product: a limit of the rules, not a bad input
    raise DerivgenError(f"no trace rule applies to tr({term.left} {term.inner}) yet")


def _tried(rule, term):
    """``rule(term)``; a rule that does not apply has used no symmetry of the step."""
    with noting_symmetry(propagate=False) as used:
        result = rule(term)
    for symbol in used if result is not None else ():
        note_symmetry(symbol)
    return result


def canonical_scalar(expr):
    """A ``1 x 1`` block as $u^T v$ or $v^T u$ (equal), whichever has fewer transposes.

    Choosing one spelling lets equal scalars collect: $x^T a + a^T x = 2a^T x$.
    """
    def canonical(block):
        candidates = []
        for spelling in (block.arg, Transpose(block.arg)):
            with noting_symmetry(propagate=False) as used:  # only the chosen one uses it
                candidates.append((push_transposes(spelling), used))
        chosen, used = min(candidates, key=lambda c: (len(c[0].atoms(Transpose)), str(c[0])))
        for symbol in used:
            note_symmetry(symbol)
        return AsScalar(chosen)
    return expr.replace(lambda e: isinstance(e, AsScalar), canonical)


def gradient_of(terms, differential):
    """$\\sum_k c_k tr(L_k\\,dX) \\Rightarrow G = \\sum_k c_k L_k^T$, in textbook form."""
    groups: dict = {}
    for t in terms:
        if t.inner != differential:
            continue
        if t.left is None:
            left_t = Identity(differential.rows) if differential.is_Matrix else S.One
        else:
            left_t = push_transposes(Transpose(t.left))
        groups.setdefault(t.sums, []).append(scaled(t.coeff, left_t))
    if not groups:
        return None
    # one sum over the samples for all the terms under it that use them: \sum_i (A_i + B_i);
    # a term that does not stays N-fold (N X^{-T} + \sum_i A_i); the gradient by a sample's
    # own differential da_i is that sample's, not summed
    own = free_indices(differential)
    totals = []
    for sums, parts in groups.items():
        bindings = [b for b in sums if b[0] not in own]
        varying = [p for p in parts if any(uses_index(p, index) for index, _ in bindings)]
        totals += [summed(p, bindings) for p in parts if p not in varying]
        if varying:
            totals.append(summed(_total(varying, differential), bindings))
    return textbook(_total(totals, differential))


def scaled(coeff, expr):
    """``coeff * expr`` for a scalar or a matrix ``expr``."""
    return MatMul(coeff, expr).doit(deep=False) if expr.is_Matrix else Mul(coeff, expr)


def _total(parts, like):
    if like.is_Matrix:
        return MatAdd(*parts).doit(deep=False) if len(parts) > 1 else parts[0]
    return canonical_scalar(Add(*parts))

