"""Style needs no review: ruff (Python) and sqlfluff (dbt SQL) pass with the repo's config."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ROOT

BIN = Path(sys.executable).parent
pytestmark = pytest.mark.lint


def test_ruff_passes():
    run = subprocess.run([str(BIN / "ruff"), "check", "include", "dags", "tests", "scripts"],
                         cwd=ROOT, capture_output=True, text=True)
    assert run.returncode == 0, run.stdout[-3000:]


def test_sqlfluff_passes():
    run = subprocess.run([str(BIN / "sqlfluff"), "lint", "dbt_project/models", "dbt_project/macros",
                          "dbt_project/tests", "--processes", "2", "--nocolor"],
                         cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stdout[-3000:]
