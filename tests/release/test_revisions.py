"""Revisions (``release.revisions``): each figure of an earlier trend month that differs from its
first publication is one row, with both values; the first publication is kept once."""

from __future__ import annotations

import json
from datetime import date

import pandas as pd
import pytest
from conftest import settings_for
from workforce.frames import TypedFrame
from workforce.months import ReportingMonth
from workforce.release import revisions
from workforce.spec.catalogue import TABLE, status_column, table

AUG, SEP = ReportingMonth(2025, 8), ReportingMonth(2025, 9)


def _rows(areas: dict[str, float], status: dict[str, str] | None = None) -> pd.DataFrame:
    t = table(TABLE)
    rows = []
    for area, value in areas.items():
        row: dict = {}
        for c in t.columns:
            row[c.name] = {"la_code": "878", "month_end": AUG.end, "service_area": area}.get(
                c.name, value if c.kind not in ("key", "label") else "x")
            if c.status:
                row[status_column(c.name)] = (status or {}).get(area)
        rows.append(row)
    return pd.DataFrame(rows)[list(t.published_columns)]


@pytest.fixture
def settings(tmp_path):
    s = settings_for(tmp_path / "data", tmp_path / "landing", WORKFORCE_TREND_MONTHS="3")
    published = s.published_month_dir(AUG.label)
    published.mkdir(parents=True)
    _rows({"All": 10.0, "Fostering": 4.0}).to_parquet(published / f"{TABLE}.parquet", index=False)
    (published / "audit.json").write_text(json.dumps({"published_at": "2025-09-10T06:00:00Z", "run_id": "r1"}))
    return s


def _revisions(settings, now: pd.DataFrame) -> pd.DataFrame:
    trailing = {TABLE: TypedFrame(TABLE, now, dict(table(TABLE).column_types))}
    return revisions.revisions_table(settings, SEP, trailing, "2025-10-03T06:00:00Z").frame


def test_the_same_figures_give_no_revision(settings):
    assert _revisions(settings, _rows({"All": 10.0, "Fostering": 4.0})).empty


def test_a_changed_figure_is_one_row_with_its_first_and_current_value(settings):
    revisions.keep_first_publication(settings, AUG, settings.published_month_dir(AUG.label))
    now = _rows({"All": 10.0, "Fostering": 4.0})
    now.loc[now["service_area"] == "All", "leavers_headcount"] = 11.0
    found = _revisions(settings, now)
    assert len(found) == 1
    row = found.iloc[0]
    assert (row["revised_table"], row["month_end"], row["service_area"], row["team_code"], row["figure"]) == (
        TABLE, date(2025, 8, 31), "All", "All", "leavers_headcount")
    assert (row["first_published_value"], row["current_value"]) == (10.0, 11.0)
    assert row["first_published_at"] == "2025-09-10T06:00:00Z" and row["revised_in"] == "2025-09"
    assert row["revised_at"] == "2025-10-03T06:00:00Z"


def test_a_figure_now_suppressed_is_a_revision_of_its_status(settings):
    now = _rows({"All": 10.0, "Fostering": 4.0}, status={"Fostering": "c"})
    now.loc[now["service_area"] == "Fostering", [c.name for c in table(TABLE).columns if c.status]] = None
    found = _revisions(settings, now)
    assert set(found["service_area"]) == {"Fostering"}
    assert set(found["current_status"]) == {"c"} and found["first_published_status"].isna().all()


def test_the_first_publication_is_kept_once_and_compared_with_after_a_republication(settings):
    folder = settings.published_month_dir(AUG.label)
    assert revisions.keep_first_publication(settings, AUG, folder)
    _rows({"All": 12.0, "Fostering": 4.0}).to_parquet(folder / f"{TABLE}.parquet", index=False)  # republished
    assert not revisions.keep_first_publication(settings, AUG, folder)
    found = _revisions(settings, _rows({"All": 12.0, "Fostering": 4.0}))
    assert not found.empty and set(found["first_published_value"]) == {10.0}
    assert set(found["current_value"]) == {12.0}
