"""Settings that cannot give a true figure are refused before anything runs (issue 11, class 1)."""

from __future__ import annotations

import pytest
from workforce.config import MIN_HISTORY_MONTHS, ConfigError, load_settings


@pytest.mark.parametrize("months", ["-3", "0", "1", "6", "11"])
def test_a_history_shorter_than_a_12_month_window_is_refused(monkeypatch, months):
    """With fewer month-ends than a 12-month figure averages over, FTE-years would be computed from
    part of their window (6 months halved them and doubled the cost per FTE-year)."""
    monkeypatch.setenv("WORKFORCE_HISTORY_MONTHS", months)
    with pytest.raises(ConfigError, match=rf"WORKFORCE_HISTORY_MONTHS is {months}\b.*at least {MIN_HISTORY_MONTHS}"):
        load_settings()


@pytest.mark.parametrize("months", ["12", "13", "96"])
def test_a_history_covering_the_window_is_accepted(monkeypatch, months):
    monkeypatch.setenv("WORKFORCE_HISTORY_MONTHS", months)
    assert load_settings().history_months == int(months)


@pytest.mark.parametrize("raw", ["twelve", "12.5", ""])
def test_a_history_that_is_not_a_whole_number_is_refused(monkeypatch, raw):
    monkeypatch.setenv("WORKFORCE_HISTORY_MONTHS", raw)
    if raw == "":  # empty means unset: the default
        assert load_settings().history_months == 96
    else:
        with pytest.raises(ConfigError, match="WORKFORCE_HISTORY_MONTHS must be a whole number"):
            load_settings()


def test_the_dbt_calendar_refuses_a_short_history_too():
    """dbt run by hand (not through workforce.config) gets the same refusal, from the model."""
    from pathlib import Path

    sql = (Path(__file__).parents[1] / "dbt_project/models/intermediate/workforce/int_calendar__month_ends.sql")
    text = sql.read_text(encoding="utf-8")
    assert f"var('history_months') | int < {MIN_HISTORY_MONTHS}" in text
    assert "{{ fail(" in text


@pytest.mark.parametrize("name", ["WORKFORCE_DUCKDB_MEMORY_LIMIT", "WORKFORCE_EXTRACT_MEMORY_LIMIT"])
@pytest.mark.parametrize(("value", "ok"), [("4GB", True), ("768MB", True), ("1.5GiB", True), ("512 mb", True),
                                           ("lots", False), ("4", False), ("-1GB", False), ("4 GB RAM", False)])
def test_memory_limits_are_checked_before_anything_runs(monkeypatch, name, value, ok):
    monkeypatch.setenv(name, value)
    if ok:
        load_settings()
    else:
        with pytest.raises(ConfigError, match=rf"{name} must be an amount of memory"):
            load_settings()


@pytest.mark.parametrize("value", ["0", "-2"])
def test_threads_must_be_at_least_one(monkeypatch, value):
    monkeypatch.setenv("WORKFORCE_DUCKDB_THREADS", value)
    with pytest.raises(ConfigError, match="WORKFORCE_DUCKDB_THREADS must be at least 1"):
        load_settings()


@pytest.mark.parametrize(("raw", "code"), [("878", "878"), ("314 / 318", "314 / 318"), ("314/318", "314 / 318"),
                                          (" 940  /941 ", "940 / 941"), ("201", "201")])
def test_la_codes_and_joint_returns_as_dfe_writes_them(monkeypatch, raw, code):
    monkeypatch.setenv("WORKFORCE_LA_CODE", raw)
    assert load_settings().la_code == code


@pytest.mark.parametrize("raw", ["E06000061", "87", "8780", "314 /", "314 & 318", "Devon", "314 / 318 / x"])
def test_other_council_codes_are_refused(monkeypatch, raw):
    monkeypatch.setenv("WORKFORCE_LA_CODE", raw)
    with pytest.raises(ConfigError, match="WORKFORCE_LA_CODE must be DfE's old_la_code"):
        load_settings()


def test_every_council_code_dfe_publishes_is_accepted():
    import csv
    from pathlib import Path

    from workforce.config import normalise_la_code

    seed = Path(__file__).parents[1] / "dbt_project/seeds/dfe/dfe_csww_indicators.csv"
    with seed.open(encoding="utf-8") as fh:
        codes = {row["old_la_code"] for row in csv.DictReader(fh) if row["geographic_level"] == "Local authority"}
    assert {"314 / 318", "940 / 941"} <= codes and len(codes) > 140
    assert all(normalise_la_code(code) == code for code in codes)
    import re

    from workforce.spec.catalogue import load_catalogue

    pattern = next(c.pattern for t in load_catalogue().tables for c in t.columns if c.name == "la_code")
    assert pattern and all(re.match(pattern, code) for code in codes)  # what config accepts, the checks accept


@pytest.mark.parametrize(("history", "trend", "ok"), [("36", "1", True), ("36", "25", True), ("36", "26", False),
                                                       ("36", "0", False), ("12", "1", True), ("12", "2", False)])
def test_trend_months_leave_each_trend_month_its_twelve_month_ends(monkeypatch, history, trend, ok):
    monkeypatch.setenv("WORKFORCE_HISTORY_MONTHS", history)
    monkeypatch.setenv("WORKFORCE_TREND_MONTHS", trend)
    if ok:
        assert load_settings().trend_months == int(trend)
    else:
        with pytest.raises(ConfigError, match=r"WORKFORCE_TREND_MONTHS is -?\d+: it must be at least 1"):
            load_settings()


def test_trend_months_default_to_24_or_what_the_history_allows(monkeypatch):
    monkeypatch.delenv("WORKFORCE_TREND_MONTHS", raising=False)
    monkeypatch.setenv("WORKFORCE_HISTORY_MONTHS", "96")
    assert load_settings().trend_months == 24
    monkeypatch.setenv("WORKFORCE_HISTORY_MONTHS", "20")
    assert load_settings().trend_months == 9
