"""``DIR/variants.json``: for each variant folder, each problem's id, choices and results.

    {"seed": 1, "count": 30, "variants": [
      {"folder": "001", "variant": 1, "problems": [
        {"id": "01-bilinear-form", "choices": {}, "results": [{"wrt": "X", ...}]}, ...]}]}

``results`` are the objects of ``derivgen solve --json`` (contract §3); a problem whose
variant failed has ``"error"`` instead. Keys keep a fixed order: the same seed gives the
same bytes.
"""

from __future__ import annotations

import json


def manifest(seed: int, folders, problems) -> dict:
    """``problems(folder_index)`` yields ``(id, choices, results or None, error or None)``."""
    variants = []
    for index, folder in enumerate(folders):
        entries = []
        for problem_id, choices, results, error in problems(index):
            entry = {"id": problem_id, "choices": choices}
            if error is None:
                entry["results"] = results
            else:
                entry["error"] = error
            entries.append(entry)
        variants.append({"folder": folder, "variant": index + 1, "problems": entries})
    return {"seed": seed, "count": len(folders), "variants": variants}


def manifest_text(data: dict) -> str:
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"
