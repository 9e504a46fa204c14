"""Shared fixtures: writing problem files into a temporary folder, running the CLI."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PROBLEMS = ROOT / "problems"

#: A small valid problem (the lecture's Example 1) to start tests from.
VALID = r"""
title: Derivative of a bilinear form
variables:
  a: {shape: [m]}
  X: {shape: [m, n]}
  b: {shape: [n]}
function: '\mathbf{a}^T \mathbf{X} \mathbf{b}'
wrt: X
answer: '\mathbf{a}\mathbf{b}^T'
"""


@pytest.fixture(autouse=True)
def user_cache(tmp_path_factory, monkeypatch):
    """Each test its own empty shared cache (grammar, derivations), never ~/.cache: tests
    count derivations, and a developer's cache must not decide them."""
    folder = tmp_path_factory.mktemp("user-cache")
    monkeypatch.setenv("DERIVGEN_CACHE", str(folder))
    return folder


@pytest.fixture
def write(tmp_path):
    """``write("name.yaml", text)`` -> path of a file in tmp_path; text is dedented."""

    def _write(name: str, text: str) -> Path:
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
        return path

    return _write


@pytest.fixture
def run_cli():
    """Run ``python -m derivgen ARGS`` in a subprocess: the real exit code and streams."""

    def _run(*args, cwd=None) -> subprocess.CompletedProcess:
        env = dict(os.environ)
        env.pop("DERIVGEN_DEBUG", None)
        env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
        return subprocess.run([sys.executable, "-m", "derivgen", *map(str, args)],
                              capture_output=True, text=True, cwd=cwd or ROOT, env=env,
                              timeout=600)

    return _run
