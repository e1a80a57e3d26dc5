"""The `workforce` command: help, clear errors for bad input, and the run summary."""

from __future__ import annotations

import subprocess
import sys

import pytest
from workforce.cli import main


def test_help_lists_commands(capsys):
    try:
        main(["--help"])
    except SystemExit as exc:
        assert exc.code == 0
    out = capsys.readouterr().out
    assert "generate" in out and "run" in out


@pytest.mark.parametrize("month", ["2026-13", "2026-9", "26-09", "September", "2026-09-30"])
def test_bad_month_is_a_clear_error(month, capsys, tmp_path, monkeypatch):
    monkeypatch.setenv("WORKFORCE_DATA_DIR", str(tmp_path))
    assert main(["run", "--month", month]) == 1
    assert "reporting month must look like YYYY-MM" in capsys.readouterr().err
    assert not (tmp_path / "published").exists()


def test_bad_config_is_a_clear_error(capsys, monkeypatch):
    monkeypatch.setenv("WORKFORCE_LA_CODE", "Devon")
    assert main(["run", "--month", "2026-09"]) == 2
    assert "WORKFORCE_LA_CODE" in capsys.readouterr().err


def test_missing_landing_folder_is_named(capsys, tmp_path, monkeypatch):
    monkeypatch.setenv("WORKFORCE_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("WORKFORCE_LANDING_DIR", str(tmp_path / "nowhere"))
    assert main(["run", "--month", "2026-09"]) == 1
    assert "nowhere" in capsys.readouterr().err


def test_console_script_is_installed():
    bin_dir = __import__("pathlib").Path(sys.executable).parent
    result = subprocess.run([str(bin_dir / "workforce"), "--help"], capture_output=True, text=True)
    assert result.returncode == 0 and "workforce run --month" in result.stdout
