"""Bad input, one fixture file per behaviour: ``FILE:LINE: message``, exit 1, no traceback.

Each file in ``fixtures/errors`` states on its first line what stderr must contain.
"""

from pathlib import Path

import pytest

from derivgen.cli import main

FIXTURES = sorted((Path(__file__).parent / "fixtures" / "errors").glob("*.yaml"))


def expectation(path: Path) -> str:
    first = path.read_text(encoding="utf-8").splitlines()[0]
    assert first.startswith("# expect: "), f"{path.name} must state its expectation"
    return first[len("# expect: "):]


@pytest.mark.parametrize("path", FIXTURES, ids=[p.stem for p in FIXTURES])
def test_bad_input_is_reported_at_its_line(path, capsys):
    code = main(["check", str(path)])
    err = capsys.readouterr().err
    assert code == 1
    assert f"{path}{expectation(path)}" in err, err
    assert "Traceback" not in err and "internal error" not in err


def test_one_broken_problem_does_not_stop_the_batch(tmp_path, capsys):
    good = Path(__file__).resolve().parent.parent / "problems" / "01-bilinear-form.yaml"
    (tmp_path / "a.yaml").write_text(good.read_text(encoding="utf-8"), encoding="utf-8")
    (tmp_path / "b.yaml").write_text(FIXTURES[0].read_text(encoding="utf-8"), encoding="utf-8")
    assert main(["check", str(tmp_path)]) == 1
    captured = capsys.readouterr()
    assert "a.yaml: ok" in captured.out and "b.yaml:4:" in captured.err
