"""Exports of verified derivations to where courses live: Moodle, Canvas (QTI), PrairieLearn
and a static web site.

One source, many thin writers (as in R/exams): ``common.exported(derivation)`` makes an
``Exported`` problem once -- statement, worked solution, results, and a concrete numeric
question (``question.py``) -- and each writer (``moodle``, ``qti``, ``prairielearn``,
``html``) only lays those pieces out in its target's format.  Nothing here derives or
verifies: every derivation came through ``pipeline.solve``.
"""
