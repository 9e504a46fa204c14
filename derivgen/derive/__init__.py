"""Derivation: LaTeX already parsed -> steps and results, by the differential-and-trace method.

``core`` holds the shared sections (differential, trace form, read-off); ``chain``,
``second_order`` and ``wirtinger`` are modes built on it; ``rules/`` holds the identities.
Nothing here verifies: ``derivgen.pipeline.solve`` runs derive, then verify.
"""
