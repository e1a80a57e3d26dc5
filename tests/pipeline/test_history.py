"""History for trends (``pipeline.step_history``): one run publishes the trend months before the
reporting month, each from the extracts that serve it (a backcast before the first extract), a
rerun with nothing new rebuilds nothing, and a figure that changed since its first publication
(a late-recorded leaver) is a revision.

The small sample's extracts are of 31 July, 31 August and 30 September 2025; with
``WORKFORCE_TREND_MONTHS=3`` the run of August publishes June (a backcast from July's extract)
and July too.
"""

from __future__ import annotations

import csv
import html as html_text
import json
import shutil

import pandas as pd
import pytest
from conftest import copy_data, settings_for
from workforce.months import ReportingMonth
from workforce.spec.catalogue import TABLE, mart_tables

pytestmark = pytest.mark.slow  # two dbt builds and four validations of the small sample (minutes)

MONTH = "2025-08"
TREND = ("2025-06", "2025-07")
#: The late-recorded leaver: left on 15 July 2025, recorded only in the 31 August extract.
LEFT = "2025-07-15"


def _record_a_late_leaver(landing) -> str:
    path = landing / "hr_workers" / "hr_workers_2025-08-31.csv"
    with path.open(newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    row = next(r for r in rows if not r["spell_end_date"] and not r["leaving_date"]
               and r["contract_type"] == "PERMANENT" and r["spell_start_date"] < "2025-01-01")
    row.update(spell_end_date=LEFT, leaving_date=LEFT, leaving_reason="1", leaver_destination="1")
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return row["employee_id"]


@pytest.fixture(scope="module")
def history(small_landing_cache, tmp_path_factory):
    from workforce.pipeline import run_month

    base = tmp_path_factory.mktemp("history")
    landing = shutil.copytree(small_landing_cache, base / "landing")
    _record_a_late_leaver(landing)
    settings = settings_for(base / "data", landing, WORKFORCE_TREND_MONTHS="3")
    lines: list[str] = []
    summary = run_month(MONTH, settings, progress=lines.append)
    print("first run:", {k: round(v, 1) for k, v in summary.timings.items()}, summary.history.to_dict())
    return settings, summary, lines


def _audit(settings, month: str) -> dict:
    return json.loads((settings.published_month_dir(month) / "audit.json").read_text(encoding="utf-8"))


def _serving_dates(audit: dict) -> set[str]:
    return {i["extract_date"] for i in audit["inputs"] if i["used_for_month"]}


def test_each_trend_month_is_published_from_the_extracts_that_serve_it(history):
    settings, summary, lines = history
    assert [m.month.label for m in summary.history.months] == list(TREND)
    assert {*TREND, MONTH} <= {p.name for p in settings.published_dir.iterdir()}
    expected = {"2025-06": "2025-07-31", "2025-07": "2025-07-31", MONTH: "2025-08-31"}
    for month, day in expected.items():
        audit = _audit(settings, month)
        assert audit["status"] == "published" and audit["reporting_month"] == month
        assert _serving_dates(audit) == {day}, month
        assert audit["checks"]["failed_critical"] == 0
        df = pd.read_parquet(settings.published_month_dir(month) / f"{TABLE}.parquet")
        assert set(pd.to_datetime(df["month_end"]).dt.strftime("%Y-%m")) == {month}
    for n, month in enumerate(TREND, 1):
        assert any(line.startswith(f"history {n}/2: {month}") for line in lines), month
    # months served by the same extracts share a build: June is taken from July's
    assert summary.history.builds == 1


def test_a_month_before_the_first_extract_is_marked_as_a_backcast(history):
    settings, summary, _lines = history
    marks = {m: _audit(settings, m)["built_by"]["backcast"] for m in (*TREND, MONTH)}
    assert marks == {"2025-06": True, "2025-07": False, MONTH: False}
    assert _audit(settings, "2025-06")["built_by"]["derived_from"]["month"] == "2025-07"
    assert [m.backcast for m in summary.history.months] == [True, False]


def test_a_late_recorded_leaver_is_a_revision_with_its_first_and_current_value(history):
    settings, _summary, _lines = history
    revisions = pd.read_parquet(settings.published_month_dir(MONTH) / "scrutiny_revisions.parquet")
    inpost = revisions[(revisions["revised_table"] == TABLE) & (revisions["figure"] == "inpost_headcount")
                       & (revisions["service_area"] == "All")]
    assert sorted(pd.to_datetime(inpost["month_end"]).dt.strftime("%Y-%m")) == ["2025-07"]
    for _, row in inpost.iterrows():
        month = pd.Timestamp(row["month_end"]).strftime("%Y-%m")
        published = pd.read_parquet(settings.published_month_dir(month) / f"{TABLE}.parquet")
        first = published.loc[published["service_area"] == "All", "inpost_headcount"].iloc[0]
        assert row["first_published_value"] == first  # what the month's own extract gave
        assert row["current_value"] == first - 1  # the August extract records the leaver
        assert row["first_published_at"] == _audit(settings, month)["published_at"]
        assert row["revised_in"] == MONTH
    # June: in post in both extracts (the leaver left in July), so no in-post revision
    assert "2025-06" not in set(pd.to_datetime(inpost["month_end"]).dt.strftime("%Y-%m"))
    # the trend months' own folders keep their first publication
    assert _audit(settings, MONTH)["revisions"] == len(revisions)
    july = pd.read_parquet(settings.published_month_dir("2025-07") / f"{TABLE}.parquet")
    first_kept = pd.read_parquet(settings.data_dir / "first_published" / "2025-07" / f"{TABLE}.parquet")
    pd.testing.assert_frame_equal(july, first_kept)


def test_a_rerun_with_nothing_new_rebuilds_nothing(history, tmp_path, monkeypatch):
    from workforce.model import build
    from workforce.pipeline import run_month

    settings, _summary, _lines = history
    copy = copy_data(settings, tmp_path, WORKFORCE_TREND_MONTHS="3")
    before = {m: _audit(copy, m)["run_id"] for m in (*TREND, MONTH)}

    def no_dbt(*args, **kwargs):
        raise AssertionError("dbt ran on a rerun with nothing new")

    monkeypatch.setattr(build, "run_dbt", no_dbt)
    summary = run_month(MONTH, copy, progress=lambda _m: None)
    assert [(m.transform, m.validated, m.published) for m in summary.history.months] == [("kept", False, False)] * 2
    assert summary.history.builds == 0
    assert {m: _audit(copy, m)["run_id"] for m in (*TREND, MONTH)} == before


def test_a_shared_build_gives_the_rows_of_the_months_own_build(history, tmp_path):
    """June (a backcast) taken from July's build equals June built on its own (dbt var backcast)."""
    from workforce.frames import read_parquet
    from workforce.pipeline import step_history

    settings, _summary, _lines = history
    copy = copy_data(settings, tmp_path, WORKFORCE_TREND_MONTHS="3")
    shutil.rmtree(copy.data_dir / "model" / "2025-06")
    report = step_history(MONTH, copy, progress=lambda _m: None, share_builds=False)
    assert [m.transform for m in report.months] == ["built", "kept"]
    own = json.loads((copy.data_dir / "model" / "2025-06" / "capture.json").read_text(encoding="utf-8"))
    assert own["backcast"] is True and own["derived_from"] is None
    for t in mart_tables():
        shared = read_parquet(settings.data_dir / "model" / "2025-06" / f"{t.name}.parquet", t.name)
        alone = read_parquet(copy.data_dir / "model" / "2025-06" / f"{t.name}.parquet", t.name)
        assert shared.column_types == alone.column_types
        if t.monthly:  # a whole table is the build's (benchmarks reach the build's month): see decision 0012
            pd.testing.assert_frame_equal(shared.frame, alone.frame, obj=t.name)
    assert _serving_dates(_audit(copy, "2025-06")) == {"2025-07-31"}


def test_a_trend_month_that_fails_its_gate_stops_the_run_naming_it(history, tmp_path, monkeypatch):
    from workforce import pipeline
    from workforce.quality.results import QualityGateError

    settings, _summary, _lines = history
    copy = copy_data(settings, tmp_path, WORKFORCE_TREND_MONTHS="3")
    real = pipeline.step_validate

    def gate(month, *args, **kwargs):
        if ReportingMonth.of(month).label == "2025-07":
            raise QualityGateError("1 critical check failed")
        return real(month, *args, **kwargs)

    monkeypatch.setattr(pipeline, "step_validate", gate)
    with pytest.raises(pipeline.HistoryError, match=r"trend month 2025-07 failed its quality gate.*2025-08 is not"):
        pipeline.step_history(MONTH, copy, progress=lambda _m: None)


def test_the_pack_shows_the_trend_months_and_the_revisions(history, tmp_path):
    from workforce.pack import build_pack

    settings, _summary, _lines = history
    copy = copy_data(settings, tmp_path, WORKFORCE_TREND_MONTHS="3")
    report = build_pack(copy, MONTH, progress=lambda _m: None)
    assert report.months == [*TREND, MONTH]
    html = html_text.unescape(" ".join((report.directory / "scrutiny_pack.html").read_text(encoding="utf-8").split()))
    assert "3 published month(s), 30 June 2025 to 31 August 2025" in html
    assert "months before 1 July 2025 (before the council's first extract) are computed from the extract of " \
           "31 July 2025" in html
    revisions = pd.read_parquet(copy.published_month_dir(MONTH) / "scrutiny_revisions.parquet")
    named = ", ".join(sorted({pd.Timestamp(d).strftime("%B %Y") for d in revisions["month_end"]},
                             key=lambda m: pd.Timestamp(f"1 {m}")))
    assert f"{len(revisions):,} figure(s) revised since first published, for {named} " in html
    assert "Revised since first published" in html and "(revised in 2025-08)" in html
