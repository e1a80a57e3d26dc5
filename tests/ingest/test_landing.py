"""What the landing folder may hold, and the warehouse mirroring it (issue 11, classes 2 and 5)."""

from __future__ import annotations

import os
from datetime import date

import duckdb
import pytest
from workforce.ingest.extract import ExtractError, extract
from workforce.ingest.landing import scan, survey

MONTH_END = date(2025, 9, 30)


def _landing(tmp_path):
    landing = tmp_path / "landing"
    (landing / "hr_teams").mkdir(parents=True)
    (landing / "hr_teams" / "hr_teams_2025-08-31.csv").write_text("team_code,team_name,service_area\n", "utf-8")
    return landing


def test_a_link_out_of_the_landing_folder_is_refused_a_link_inside_is_followed(tmp_path):
    landing = _landing(tmp_path)
    outside = tmp_path / "elsewhere.csv"
    outside.write_text("team_code,team_name,service_area\n", "utf-8")
    os.symlink(outside, landing / "hr_teams" / "hr_teams_2025-09-30.csv")
    os.symlink(landing / "hr_teams" / "hr_teams_2025-08-31.csv", landing / "hr_teams" / "hr_teams_2025-07-31.csv")
    os.symlink(tmp_path / "missing.csv", landing / "hr_teams" / "hr_teams_2025-06-30.csv")
    found = survey(landing)
    refused = {name for r in found.refused for name in r.names}
    assert refused == {"hr_teams/hr_teams_2025-09-30.csv", "hr_teams/hr_teams_2025-06-30.csv"}
    assert all("outside the landing folder" in r.message for r in found.refused)
    assert [f.source_file for f in found.usable] == ["hr_teams/hr_teams_2025-07-31.csv",
                                                      "hr_teams/hr_teams_2025-08-31.csv"]


def test_a_linked_export_folder_outside_is_refused(tmp_path):
    landing = tmp_path / "landing"
    landing.mkdir()
    real = tmp_path / "teams"
    real.mkdir()
    os.symlink(real, landing / "hr_teams")
    assert [r.names for r in survey(landing).refused] == [("hr_teams/",)]


def test_two_extracts_of_one_export_and_date_are_refused_naming_both(tmp_path):
    landing = _landing(tmp_path)
    (landing / "hr_teams" / "hr_teams_2025-08-31.xlsx").write_bytes(b"PK")
    found = survey(landing)
    assert len(found.refused) == 1
    assert "hr_teams/hr_teams_2025-08-31.csv and hr_teams/hr_teams_2025-08-31.xlsx" in found.refused[0].message
    assert found.usable == []


def test_scan_finds_control_bytes_and_the_first_non_utf8_byte(tmp_path):
    path = tmp_path / "f.csv"
    path.write_bytes(b"a,b\n1,\xe9\n")
    s = scan(path, text=True)
    assert s.utf8_error == (6, 0xE9) and not s.control and s.lines == 2
    path.write_bytes(b"a,b\n1,x\x00y")
    s = scan(path, text=True)
    assert s.utf8_error is None and s.control and s.lines == 2


@pytest.mark.pipeline
def test_a_refused_link_stops_the_extract_before_anything_loads(small_settings, small_landing, tmp_path):
    target = sorted((small_landing / "hr_teams").glob("hr_teams_*"))[-1]
    outside = tmp_path / target.name
    target.rename(outside)
    os.symlink(outside, target)
    with pytest.raises(ExtractError, match="outside the landing folder"):
        extract(small_settings, MONTH_END)
    assert not small_settings.warehouse_path.exists() or _count(small_settings, "raw.load_manifest") == 0


def _count(settings, table, where=""):
    con = duckdb.connect(str(settings.warehouse_path), read_only=True)
    try:
        return con.execute(f"select count(*) from {table} {where}").fetchone()[0]
    finally:
        con.close()


@pytest.mark.pipeline
def test_the_warehouse_mirrors_the_landing_folder_when_a_file_is_removed(small_settings, small_landing):
    extract(small_settings, MONTH_END)
    latest = sorted((small_landing / "hr_teams").glob("hr_teams_2025-09-30.*"))[0]
    name = f"hr_teams_2025-09-15{latest.suffix}"
    extra, rel = small_landing / "hr_teams" / name, f"hr_teams/{name}"
    extra.write_bytes(latest.read_bytes())
    report = extract(small_settings, MONTH_END)
    assert {f.source_file: f.status for f in report.files}[rel] == "loaded"
    assert _count(small_settings, "raw.hr_teams", f"where _source_file = '{rel}'") > 0
    extra.unlink()
    report = extract(small_settings, MONTH_END)
    assert any(f"{rel} is no longer in the landing folder" in w for w in report.warnings)
    assert _count(small_settings, "raw.hr_teams", f"where _source_file = '{rel}'") == 0
    assert _count(small_settings, "raw.load_manifest", f"where source_file = '{rel}'") == 0
