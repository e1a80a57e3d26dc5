"""``workforce check``: the pre-flight reports what the run would do, and writes nothing (issue 12, item 4)."""

from __future__ import annotations

import json
import os
from datetime import date

import pandas as pd
import pytest
from workforce import cli
from workforce.ingest.check import check
from workforce.ingest.extract import extract

MONTH_END = date(2025, 9, 30)


def _files_under(path):
    return sorted(p for p in path.rglob("*") if p.is_file()) if path.exists() else []


@pytest.mark.pipeline
def test_check_on_clean_exports_says_what_the_run_then_does_and_writes_nothing(small_settings):
    report = check(small_settings, MONTH_END)
    assert report.ok, report.format()
    assert _files_under(small_settings.data_dir) == [] or all(
        p.is_relative_to(small_settings.landing_dir) for p in _files_under(small_settings.data_dir))
    run = extract(small_settings, MONTH_END)
    loaded = {f.source_file: (f.rows_read, f.rows_loaded, f.rows_quarantined) for f in run.files}
    checked = {f.source_file: (f.rows_read, f.rows_loaded, f.rows_quarantined) for f in report.files}
    assert checked == loaded  # the check is the extract's own code, dry
    assert set(report.serving) >= {"hr_workers", "ssd_involvements"}
    assert "would go ahead" in report.format()


@pytest.mark.pipeline
def test_check_reports_every_problem_the_run_would_hit_and_writes_nothing(small_settings, small_landing, capsys):
    workers = small_landing / "hr_workers" / "hr_workers_2025-09-30.csv"
    frame = pd.read_csv(workers, dtype=str, keep_default_na=False)
    frame.loc[[3, 8], "spell_start_date"] = "01/02/2020"  # DD/MM/YYYY: bad_date on lines 5 and 10
    frame.loc[4, "team_code"] = "jane.doe@example.org"  # identity-shaped: withheld, still loads
    frame.to_csv(workers, index=False)
    teams = small_landing / "hr_absences" / "hr_absences_2025-09-30.csv"
    teams.write_text(teams.read_text(encoding="utf-8").replace(",", ";"), encoding="utf-8")  # rejected
    for path in (small_landing / "agency_assignments").glob("*_2025-09-30.*"):
        path.unlink()  # a required export with no extract for the month
    outside = small_settings.data_dir.parent / "elsewhere.csv"
    outside.write_text("team_code,team_name,service_area\nT1,A,Assessment\n", encoding="utf-8")
    os.symlink(outside, small_landing / "hr_teams" / "hr_teams_2025-09-15.csv")  # a link out of the folder
    before = _files_under(small_settings.data_dir)

    code = cli.main(["check", "--month", "2025-09", "--landing", str(small_landing), "--json"])
    report = json.loads(capsys.readouterr().out)
    assert code == 1 and report["ok"] is False
    problems = "\n".join(report["problems"])
    assert "agency_assignments" in problems  # readiness
    assert "hr_absences/hr_absences_2025-09-30.csv" in problems and "semicolon" in problems
    assert "hr_teams_2025-09-15.csv" in problems  # the link
    (w,) = [f for f in report["files"] if f["source_file"] == "hr_workers/hr_workers_2025-09-30.csv"]
    assert w["outcome"] == "loads with quarantine" and w["rows_quarantined"] == 2 and w["serves_month"]
    assert {"rule": "bad_date", "column": "spell_start_date", "rows": 2, "lines": [5, 10]} in w["quarantine"]
    assert w["withheld"] == [{"column": "team_code", "values": 1, "lines": [6]}]
    assert "jane.doe" not in json.dumps(report) and "01/02/2020" not in json.dumps(report)  # no values
    assert _files_under(small_settings.data_dir) == before  # nothing written

    code = cli.main(["check", "--month", "2025-09", "--landing", str(small_landing)])
    text = capsys.readouterr().out
    assert code == 1 and "would STOP" in text
    assert "quarantine bad_date on spell_start_date: 2 row(s), lines 5, 10" in text


@pytest.mark.pipeline
def test_check_counts_a_quarantine_over_the_threshold_as_a_stop(small_settings, small_landing):
    path = small_landing / "hr_establishment" / "hr_establishment_2025-09-30.xlsx"
    frame = pd.read_excel(path, dtype=str)
    frame.loc[: len(frame) // 4, "budgeted_fte"] = "lots"
    frame.to_excel(path, index=False)
    report = check(small_settings, MONTH_END)
    assert not report.ok
    assert any("WORKFORCE_QUARANTINE_MAX_PCT" in p and "hr_establishment_2025-09-30.xlsx" in p for p in report.problems)
    assert not small_settings.warehouse_path.exists()  # the check never opened the warehouse: there is none
