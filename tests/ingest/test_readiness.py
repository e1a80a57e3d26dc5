"""Which extract serves a month: the latest dated inside the month's window, never an earlier month's."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest
from workforce.config import ConfigError, load_settings
from workforce.ingest import readiness
from workforce.ingest.extract import discover


def _touch(landing, export, day):
    folder = landing / export
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{export}_{day}.csv"
    path.write_text("x\n", encoding="utf-8")
    return path


def test_the_latest_extract_in_the_window_serves_the_month(small_settings, small_landing):
    _touch(small_landing, "hr_workers", "2025-10-03")  # landed early in October, for September
    result = readiness.assess(small_settings, date(2025, 9, 30))
    assert result.ready
    assert result.serving["hr_workers"] == "hr_workers/hr_workers_2025-10-03.csv"
    assert result.serving["hr_teams"] == "hr_teams/hr_teams_2025-09-30.xlsx"  # teams come as XLSX
    assert result.window == (date(2025, 9, 23), date(2025, 10, 14))


def test_an_extract_serves_one_month_only(small_settings, small_landing):
    """The windows of consecutive months never overlap: October cannot use September's files."""
    result = readiness.assess(small_settings, date(2025, 10, 31))
    assert not result.ready
    assert "hr_workers" in result.missing_required
    line = next(p for p in result.problems() if "'hr_workers'" in p)
    assert "newest extract found is dated 2025-09-30" in line and "2025-10-24 to 2025-11-14" in line


def test_an_extract_dated_after_the_window_does_not_serve(small_settings, small_landing):
    files, _ = discover(small_landing)
    late = [f for f in files if f.extract_date > date(2025, 10, 14)]
    assert late == []
    _touch(small_landing, "hr_workers", "2025-10-20")
    result = readiness.assess(small_settings, date(2025, 9, 30))
    assert result.serving["hr_workers"] == "hr_workers/hr_workers_2025-09-30.csv"


def test_a_narrow_window_is_honoured(small_settings, small_landing):
    narrow = replace(small_settings, extract_window_days_before=0, extract_window_days_after=0)
    for f in (small_landing / "hr_establishment").glob("*_2025-09-30.*"):
        f.rename(f.with_name("hr_establishment_2025-09-29" + f.suffix))
    assert readiness.assess(narrow, date(2025, 9, 30)).missing_required == ["hr_establishment"]
    assert readiness.assess(small_settings, date(2025, 9, 30)).ready


@pytest.mark.parametrize(("before", "after"), [("-1", "14"), ("14", "14"), ("7", "x")])
def test_windows_that_could_serve_two_months_are_refused(monkeypatch, before, after):
    monkeypatch.setenv("WORKFORCE_EXTRACT_WINDOW_DAYS_BEFORE", before)
    monkeypatch.setenv("WORKFORCE_EXTRACT_WINDOW_DAYS_AFTER", after)
    with pytest.raises(ConfigError, match="WORKFORCE_EXTRACT_WINDOW_DAYS"):
        load_settings()


def test_the_old_age_setting_is_refused_with_its_replacement(monkeypatch):
    monkeypatch.setenv("WORKFORCE_MAX_EXTRACT_AGE_DAYS", "45")
    with pytest.raises(ConfigError, match="no longer used.*WORKFORCE_EXTRACT_WINDOW_DAYS_BEFORE"):
        load_settings()


def test_the_dags_sensor_says_which_exports_it_waits_for(small_settings, small_landing):
    """``pipeline.exports_ready``, which the DAG's wait_for_exports sensor pokes."""
    from workforce.pipeline import exports_ready

    said: list[str] = []
    october = exports_ready("2025-10", small_settings, said.append)
    assert not october.ready
    assert any("required export 'hr_workers' has no extract for the month ending 2025-10-31" in s for s in said)
    assert all(s.startswith("waiting for exports: ") for s in said)
    said.clear()
    assert exports_ready("2025-09", small_settings, said.append).ready
    assert said and said[-1].startswith("the exports for 2025-09 are in: ")


def test_a_trend_month_before_the_first_extract_is_a_backcast_from_the_earliest_later_one(small_settings):
    """The small sample's extracts are of 31 July, 31 August and 30 September 2025."""
    own = readiness.assess_history(small_settings, date(2025, 7, 31))
    assert own.ready and not own.backcast
    back = readiness.assess_history(small_settings, date(2025, 5, 31))
    assert back.ready and back.backcast
    assert back.serving["hr_workers"] == "hr_workers/hr_workers_2025-07-31.csv"  # the earliest, not the latest
    assert back.to_dict()["backcast"] is True
    assert not readiness.assess(small_settings, date(2025, 5, 31)).ready  # the reporting month's rule is unchanged


def test_a_month_between_extracts_with_none_of_its_own_is_a_gap_not_a_backcast(small_settings, small_landing):
    for path in (small_landing / "hr_workers").glob("hr_workers_2025-08-31.*"):
        path.unlink()
    gap = readiness.assess_history(small_settings, date(2025, 8, 31))
    assert not gap.ready and not gap.backcast
    assert "hr_workers" in gap.missing_required
