"""ReportingMonth: strict parsing, month ends, the run-date rule, ordering, and dbt's var."""

from __future__ import annotations

import dataclasses
from datetime import date, datetime

import pytest
from conftest import settings_for
from workforce.model.build import dbt_vars
from workforce.months import ReportingMonth


def test_parse_gives_label_start_and_end():
    month = ReportingMonth.parse("2026-09")
    assert (month.year, month.month) == (2026, 9)
    assert month.label == str(month) == f"{month}" == "2026-09"
    assert month.start == date(2026, 9, 1)
    assert month.end == date(2026, 9, 30)


@pytest.mark.parametrize(
    ("label", "end"),
    [("2024-02", date(2024, 2, 29)), ("2025-02", date(2025, 2, 28)), ("2025-12", date(2025, 12, 31)),
     ("2026-04", date(2026, 4, 30)), ("2000-02", date(2000, 2, 29)), ("1900-02", date(1900, 2, 28))],
)
def test_end_is_the_last_calendar_day(label, end):
    assert ReportingMonth.parse(label).end == end


@pytest.mark.parametrize(
    "text",
    ["2026-13", "2026-00", "2026-9", "26-09", "September", "2026-09-30", "0000-01", " 2026-09", "2026-09\n",
     "2026/09", "\uff12\uff10\uff12\uff16-09", "", None, 202609, date(2026, 9, 30)],
)
def test_anything_but_yyyy_mm_is_a_clear_error(text):
    with pytest.raises(ValueError, match=r"reporting month must look like YYYY-MM \(e\.g\. 2026-09\), got ") as err:
        ReportingMonth.parse(text)
    assert repr(text) in str(err.value)


def test_constructor_refuses_impossible_months():
    with pytest.raises(ValueError, match="no such reporting month"):
        ReportingMonth(2026, 13)
    with pytest.raises(ValueError, match="no such reporting month"):
        ReportingMonth(0, 5)
    with pytest.raises(TypeError):
        ReportingMonth("2026", 9)


@pytest.mark.parametrize(
    ("run_date", "reported"),
    [(date(2026, 10, 3), "2026-09"), (date(2026, 1, 3), "2025-12"), (date(2026, 3, 31), "2026-02"),
     (date(2026, 10, 1), "2026-09"), (datetime(2026, 1, 1, 6, 0), "2025-12")],
)
def test_a_run_in_month_m_plus_1_reports_month_m(run_date, reported):
    assert ReportingMonth.for_run_date(run_date) == ReportingMonth.parse(reported)


def test_months_order_compare_and_hash_by_time():
    labels = ["2026-01", "2025-12", "2026-10", "2024-02", "2026-09"]
    months = sorted(ReportingMonth.parse(m) for m in labels)
    assert [m.label for m in months] == sorted(labels)
    assert ReportingMonth(2025, 12) < ReportingMonth(2026, 1) < ReportingMonth(2026, 2)
    assert ReportingMonth(2026, 9) == ReportingMonth.parse("2026-09")
    assert len({ReportingMonth(2026, 9), ReportingMonth.parse("2026-09"), ReportingMonth(2026, 10)}) == 2
    assert ReportingMonth(2026, 1).previous() == ReportingMonth(2025, 12)


def test_frozen_and_of_converts_once():
    month = ReportingMonth(2026, 9)
    with pytest.raises(dataclasses.FrozenInstanceError):
        month.month = 10
    assert ReportingMonth.of(month) is month
    assert ReportingMonth.of("2026-09") == month
    with pytest.raises(ValueError, match="YYYY-MM"):
        ReportingMonth.of("2026-9")


def test_dbt_gets_the_label(tmp_path):
    settings = settings_for(tmp_path / "data", tmp_path / "landing")
    assert dbt_vars(settings, ReportingMonth(2025, 3))["reporting_month"] == "2025-03"


def test_month_folders_are_the_months_only(tmp_path):
    """No reader takes a temporary folder of an unfinished publish (or anything else) for a month."""
    from workforce.months import month_folders

    for name in ("2025-09", "2024-12", ".2025-10.123-0a1b2c3d.tmp", "2025-13", "0000-01", "2025-9", "notes",
                 "2025-09.old"):
        (tmp_path / name).mkdir()
    (tmp_path / "2025-11").write_text("a file, not a folder", encoding="utf-8")
    assert [p.name for p in month_folders(tmp_path)] == ["2024-12", "2025-09"]
    assert month_folders(tmp_path / "missing") == []
