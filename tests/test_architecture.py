"""The package's import graph: no cycles, no private names across modules, deferred
imports only where start-up time needs them."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "derivgen"

#: Modules that import inside functions on purpose: a no-change rebuild and `check` must
#: not pay for SymPy or PyLaTeX they do not use.
DEFERRING = {"derivgen.cli", "derivgen.build.batch", "derivgen", "derivgen.api"}


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules() -> dict[str, Path]:
    return {module_name(p): p for p in PACKAGE.rglob("*.py")}


def imports(path: Path):
    """``(module, names, nested)`` for each ``from derivgen... import`` in the file."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    top = set(map(id, tree.body))
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0 \
                and node.module.split(".")[0] == "derivgen":
            yield node.module, [a.name for a in node.names], id(node) not in top
        elif isinstance(node, ast.ImportFrom) and node.level:
            yield "." * node.level + (node.module or ""), [], id(node) not in top


def target(known, module, name):
    """The module an ``from module import name`` reaches: a submodule or the module."""
    return f"{module}.{name}" if f"{module}.{name}" in known else module


def graph():
    known = modules()
    edges = {m: set() for m in known}
    for mod, path in known.items():
        for module, names, _ in imports(path):
            for name in names or [""]:
                t = target(known, module, name)
                if t in known and t != mod:
                    edges[mod].add(t)
    return edges


def test_imports_are_absolute():
    relative = [(m, i) for m, p in modules().items() for i, _, _ in imports(p) if i[0] == "."]
    assert relative == []


def test_the_import_graph_has_no_cycle():
    edges = graph()
    state, cycles = {}, []

    def visit(node, stack):
        state[node] = "open"
        for nxt in sorted(edges[node]):
            if state.get(nxt) == "open":
                cycles.append(stack[stack.index(nxt):] + [nxt])
            elif nxt not in state:
                visit(nxt, stack + [nxt])
        state[node] = "done"

    for node in sorted(edges):
        if node not in state:
            visit(node, [node])
    assert cycles == []


def test_no_module_imports_another_modules_private_names():
    known = modules()
    private = [(mod, module, name) for mod, path in known.items()
               for module, names, _ in imports(path) for name in names
               if name.startswith("_") and not name.startswith("__")
               and target(known, module, name) != mod]
    assert private == []


def test_imports_sit_at_the_top_except_where_start_up_needs_deferring():
    nested = sorted({mod for mod, path in modules().items()
                     for _, _, inside in imports(path) if inside} - DEFERRING)
    assert nested == []


def test_stages_import_only_earlier_stages():
    """The pipeline's order: a stage never imports a later one."""
    order = ["errors", "alarm", "files", "model", "ir", "problem", "parse", "derive", "render", "verify",
             "pipeline", "grade", "variants", "export", "build", "api", "cli", "__main__"]

    def stage(mod):
        parts = mod.split(".")
        return parts[1] if len(parts) > 1 else "__init__"

    late = [(m, t) for m, ts in graph().items() for t in ts
            if stage(m) in order and stage(t) in order
            and order.index(stage(t)) > order.index(stage(m))]
    assert late == []


def test_the_graph_has_the_edges_of_the_pipeline():
    """The checks above are not vacuous: the graph sees the imports."""
    edges = graph()
    assert "derivgen.derive.core" in edges["derivgen.derive.derivation"]
    assert "derivgen.verify.checks" in edges["derivgen.pipeline"]
    assert "derivgen.derive.facts" in edges["derivgen.render.facts"]


def test_derive_writes_no_prose():
    """Steps stay data: derive/ returns expressions and facts, render/ writes them."""
    edges = graph()
    writing = [(m, t) for m, ts in edges.items() for t in ts
               if m.startswith("derivgen.derive") and t.startswith("derivgen.render")]
    assert writing == []
