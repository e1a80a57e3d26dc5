"""The scrutiny tables are published beside scrutiny_workforce_monthly, filled for the sample
council, and the benchmarks reproduce DfE's published figures exactly."""

from __future__ import annotations

import csv
import re

import duckdb
import pandas as pd
import pytest
from conftest import DEFAULT_MONTH
from workforce.spec.catalogue import mart_tables

#: the scrutiny marts; the revisions table (empty when nothing was revised) has tests of its own
SCRUTINY_TABLES = [t for t in mart_tables() if t.name != "scrutiny_workforce_monthly"]

pytestmark = pytest.mark.slow


@pytest.mark.parametrize("table", SCRUTINY_TABLES, ids=lambda t: t.name)
def test_every_scrutiny_table_is_published_and_filled(published_default, table):
    settings, _summary = published_default
    month_dir = settings.published_dir / DEFAULT_MONTH
    df = pd.read_parquet(month_dir / f"{table.name}.parquet")
    assert (month_dir / f"{table.name}.csv").exists()
    assert len(df) > 0
    with duckdb.connect(str(settings.published_warehouse_path), read_only=True) as con:
        assert con.execute(f"select count(*) from {table.name}").fetchone()[0] >= len(df)
    # status columns (DfE symbols) are empty when every value is published; all others have data
    empty = [c for c in df.columns if not (c == "status" or c.endswith("_status")) and df[c].isna().all()]
    assert not empty, f"{table.name}: entirely null column(s) {empty}"


def test_monthly_scrutiny_tables_have_council_service_area_and_team_rows(published_default):
    settings, _summary = published_default
    df = pd.read_parquet(settings.published_dir / DEFAULT_MONTH / "scrutiny_caseload_monthly.parquet")
    assert set(df["breakdown_level"]) == {"council", "service_area", "team"}
    council = df[df["breakdown_level"] == "council"]
    assert len(council) == 1 and council.iloc[0]["service_area"] == "All"
    assert (council.iloc[0]["case_holders_over_target"]
            == council.iloc[0]["case_holders_100_to_120pct_of_target"]
            + council.iloc[0]["case_holders_over_120pct_of_target"])


def _benchmarks(settings) -> pd.DataFrame:
    return pd.read_parquet(settings.published_dir / DEFAULT_MONTH / "scrutiny_benchmarks.parquet")


def test_benchmarks_reproduce_devon_2023_exactly(published_default):
    settings, _summary = published_default
    assert settings.la_code == "878"
    df = _benchmarks(settings)
    council = df[(df["geography_level"] == "council") & (df["time_period"] == 2023)].set_index("indicator")
    assert council.loc["turnover_rate_fte", "value"] == 22.9
    assert council.loc["agency_rate_fte", "value"] == 31.6
    assert pd.isna(council.loc["turnover_rate_fte", "status"])
    assert pd.isna(council.loc["agency_rate_fte", "status"])


def test_benchmarks_region_and_england_rows_equal_the_published_file(published_default, dfe_indicators_path):
    settings, _summary = published_default
    df = _benchmarks(settings)
    with dfe_indicators_path.open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.DictReader(fh))
    expected = {}
    for row in rows:
        if row["geographic_level"] == "National":
            key = ("england", "E92000001")
        elif row["geographic_level"] == "Regional" and row["region_code"] == "E12000009":
            key = ("region", "E12000009")
        else:
            continue
        for indicator in ("turnover_rate_fte", "agency_rate_fte", "caseload_fte", "inpost_fte", "vacancy_rate_fte"):
            expected[(*key, int(row["time_period"]), indicator)] = row[indicator]
    assert len(expected) == 2 * 9 * 5  # 2017-2025, England and the South West
    got = {
        (r.geography_level, r.geography_code, r.time_period, r.indicator): (r.value, r.status)
        for r in df.itertuples()
    }
    for key, text in expected.items():
        value, status = got[key]
        try:
            number = float(text)
        except ValueError:
            assert pd.isna(value) and status == text, key
        else:
            assert value == number and pd.isna(status), key


def test_benchmarks_keep_dfe_symbols(published_default):
    settings, _summary = published_default
    df = _benchmarks(settings)
    symbols = df[df["status"].notna()]
    assert set(symbols["status"]) <= {"c", "x", "z", "u", "low"}
    assert symbols["value"].isna().all()


def test_benchmarks_neighbours_rows_are_the_mean_and_range_of_dfes_figures(published_default, dfe_indicators_path):
    """Recomputed from the shared files: Devon's ten neighbours in DfE's 2021 grouping, their
    published figures in DfE's Indicators file, averaged over those published as numbers."""
    settings, _summary = published_default
    df = _benchmarks(settings)
    with (dfe_indicators_path.parent / "statistical_neighbours_2021.csv").open(encoding="utf-8-sig", newline="") as fh:
        grouping = next(r for r in csv.reader(fh) if r[2] == settings.la_code)
    neighbours = grouping[5:25:2]
    with dfe_indicators_path.open(encoding="utf-8-sig", newline="") as fh:
        rows = [r for r in csv.DictReader(fh) if r["geographic_level"] == "Local authority"]
    got = df[df["geography_level"] == "statistical_neighbours"].set_index(["time_period", "indicator"])
    assert got["geography_code"].eq(", ".join(neighbours)).all()
    checked = 0
    for indicator in ("turnover_rate_fte", "agency_rate_fte", "caseload_fte", "vacancy_rate_fte", "inpost_fte"):
        for year in range(2017, 2026):
            figures = []
            for r in rows:
                ours = int(r["time_period"]) == year and set(r["old_la_code"].split(" / ")) & set(neighbours)
                if ours and re.fullmatch(r"-?\d+(\.\d+)?", r[indicator].strip()):  # a DfE symbol is left out
                    figures.append(float(r[indicator]))
            row = got.loc[(year, indicator)]
            if figures:
                mean = sum(figures) / len(figures)  # published to 1 dp: within half a unit of the last digit
                assert abs(row["value"] - mean) <= 0.05 + 1e-9 and row["value"] == round(row["value"], 1), (
                    year, indicator, row["value"], mean)
                assert (row["neighbours_min"], row["neighbours_max"]) == (min(figures), max(figures))
                assert row["neighbours_with_value"] == len(figures) and pd.isna(row["status"])
                checked += 1
            else:
                assert pd.isna(row["value"]) and row["status"] == "x"
    assert checked > 30
