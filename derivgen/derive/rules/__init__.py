"""Rewrite rules, one module per family; each rule states its identity in its docstring."""
