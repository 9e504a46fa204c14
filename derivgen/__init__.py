"""derivgen: step-by-step matrix-calculus derivations, verified, typeset."""

__version__ = "0.1.0"
