"""The intermediate representation: SymPy matrix expressions plus derivgen's own nodes.

``nodes`` (differentials, elementwise functions, symmetric symbols), ``sums`` (families of
samples and sums over them), ``vec`` (vec, Kronecker, Hessian arrays), ``functions`` (the
table of known elementwise functions) and ``strategies`` (tree-walking combinators).
"""
