"""Grading students' answers against verified derivations (contract §4).

``grade(derivation, answer, wrt=None)`` -> ``Verdict`` (``.as_dict()`` is the contract's
JSON object); ``grade_answers`` gives partial credit over several derivatives;
``grade.submissions`` reads and writes the CSV files of ``derivgen grade --submissions``.
"""

from derivgen.grade.grader import DIAGNOSES, Grade, Verdict, grade, grade_answers, target_result

__all__ = ["DIAGNOSES", "Grade", "Verdict", "grade", "grade_answers", "target_result"]
