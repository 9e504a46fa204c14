"""Numerical verification: random well-posed instances, finite differences, every step."""
