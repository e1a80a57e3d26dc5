"""End to end: generated exports -> published tables, checked against DfE's published ranges and
an independent recomputation from the raw generated rows (tests/reference_metrics.py), plus
reruns, broken exports and failed quality checks leaving the published version intact."""

from __future__ import annotations

import hashlib
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

import duckdb
import pandas as pd
import pytest
import reference_metrics
from conftest import DEFAULT_MONTH, INDICATORS, PUBLISHED_COLUMNS, RATES_BY_NAME, SMALL_MONTH
from workforce.ingest.extract import ExtractError
from workforce.pipeline import run_month
from workforce.quality.results import QualityGateError
from workforce.spec.catalogue import published_tables, status_column

pytestmark = pytest.mark.slow
LA = "All"


def _published(settings, month):
    return pd.read_csv(settings.published_month_dir(month) / "scrutiny_workforce_monthly.csv", dtype={"la_code": str})


def _round_half_away(value: float, places: int) -> float:
    quantum = Decimal(1).scaleb(-places)
    return float(Decimal(repr(value)).quantize(quantum, rounding=ROUND_HALF_UP))


def _fingerprint(settings, month) -> dict[str, str]:
    """Every published table's bytes (CSV, Parquet) and BI content; not the audit record's run id."""
    month_dir = settings.published_month_dir(month)
    files = [month_dir / f"{t.name}.{ext}" for t in published_tables() for ext in ("csv", "parquet")]
    prints = {f.name: hashlib.sha256(f.read_bytes()).hexdigest() for f in files}
    con = duckdb.connect(str(settings.published_warehouse_path), read_only=True)
    try:
        for t in published_tables():
            table = con.execute(f"select * from {t.name} order by all").df()
            prints[f"bi:{t.name}"] = hashlib.sha256(table.to_csv(index=False).encode()).hexdigest()
    finally:
        con.close()
    return prints


def test_published_table_shape(published_default):
    settings, summary = published_default
    df = _published(settings, DEFAULT_MONTH)
    assert tuple(df.columns) == PUBLISHED_COLUMNS
    assert (df.month_end == "2026-09-30").all()
    assert (df.la_code == settings.la_code).all()
    assert (df.service_area == LA).sum() == 1
    assert df.service_area.nunique() == len(df) >= 5
    assert summary.publish.rows == len(df)
    con = duckdb.connect(str(settings.published_warehouse_path), read_only=True)
    try:
        bi = con.execute("select * from scrutiny_workforce_monthly").df()
        assert list(bi.columns) == list(PUBLISHED_COLUMNS)
        assert len(bi) == len(df)
    finally:
        con.close()


def test_september_la_figures_within_dfe_published_ranges(published_default, dfe_indicators_path):
    settings, _ = published_default
    row = _published(settings, DEFAULT_MONTH).set_index("service_area").loc[LA]
    dfe = pd.read_csv(dfe_indicators_path, dtype=str)
    councils = dfe[(dfe.geographic_level == "Local authority") & (dfe.time_period == dfe.time_period.max())]
    failures = []
    for indicator in INDICATORS:
        values = pd.to_numeric(councils[indicator], errors="coerce").dropna()
        if indicator.endswith(("_fte", "_headcount")) and not RATES_BY_NAME.get(indicator) and values.max() > 1000:
            values = values[values < values.quantile(0.98)]  # the largest councils dwarf the demo one
        low, high = values.min(), values.max()
        if not (low <= row[indicator] <= high):
            failures.append(f"{indicator}={row[indicator]} outside DfE's {low}..{high}")
    assert not failures, failures


DENOMINATOR_OF_SUPPRESSIBLE = {"agency_rate_fte_denominator", "vacancy_rate_fte_denominator", "cases_unmatched"}


def _any_suppressed(row) -> bool:
    return any(row.get(status_column(i)) == "c" for i in INDICATORS)


def _compare(published: pd.DataFrame, expected: dict, month: str) -> list[str]:
    problems = []
    rows = published.set_index("service_area")
    assert set(expected) <= set(rows.index) | {"Unknown"}, (set(expected), set(rows.index))
    for area, values in expected.items():
        if area not in rows.index:
            problems += [f"{area}: no published row"] if any(v for v in values.values()) else []
            continue
        row = rows.loc[area]
        for name in (*INDICATORS, "cases_unmatched", "agency_rate_fte_denominator", "vacancy_rate_fte_denominator"):
            want = values[name]
            got = row[name]
            status = row.get(status_column(name))
            if status == "c" or (pd.isna(got) and name in DENOMINATOR_OF_SUPPRESSIBLE and _any_suppressed(row)):
                continue  # suppressed as a small number (tests/test_disclosure.py checks the rules)
            if want is None:
                if not pd.isna(got) or pd.isna(row.get(status_column(name), None)):
                    problems.append(f"{month} {area} {name}: expected no value with a status, got {got}")
                continue
            if name in RATES_BY_NAME:
                ok = not pd.isna(got) and abs(got - _round_half_away(want, 1)) <= 0.05 + 1e-9
            elif name.endswith("_headcount") or name in ("cases", "cases_unmatched"):
                ok = got == want
            else:
                ok = not pd.isna(got) and abs(got - want) <= 0.005 + 1e-9
            if not ok:
                problems.append(f"{month} {area} {name}: published {got}, recomputed {want}")
    return problems


def test_every_indicator_equals_independent_recomputation(published_default):
    settings, _ = published_default
    exports = reference_metrics.load_landing(settings.landing_dir, date(2026, 9, 30))
    assert all(frame.attrs.get("quarantined", 0) == 0 for frame in exports.values())
    expected = reference_metrics.compute_indicators(exports, date(2026, 9, 30))
    problems = _compare(_published(settings, DEFAULT_MONTH), expected, DEFAULT_MONTH)
    assert not problems, "\n".join(problems[:30])


def test_rerun_publishes_identical_tables_and_survives_a_reader(small_settings):
    run_month(SMALL_MONTH, small_settings, progress=lambda _m: None)
    first = _fingerprint(small_settings, SMALL_MONTH)
    reader = duckdb.connect(str(small_settings.published_warehouse_path), read_only=True)
    try:
        before = reader.execute("select count(*) from scrutiny_workforce_monthly").fetchone()[0]
        run_month(SMALL_MONTH, small_settings, progress=lambda _m: None)  # a BI tool holds the file open
        assert reader.execute("select count(*) from scrutiny_workforce_monthly").fetchone()[0] == before
    finally:
        reader.close()
    assert _fingerprint(small_settings, SMALL_MONTH) == first
    exports = reference_metrics.load_landing(small_settings.landing_dir, date(2025, 9, 30))
    expected = reference_metrics.compute_indicators(exports, date(2025, 9, 30))
    problems = _compare(_published(small_settings, SMALL_MONTH), expected, SMALL_MONTH)
    assert not problems, "\n".join(problems[:30])


def _latest(landing, export):
    return sorted((landing / export).glob(f"{export}_*.*"))[-1]


def test_broken_export_stops_the_run_and_keeps_the_published_version(small_settings, small_landing):
    run_month(SMALL_MONTH, small_settings, progress=lambda _m: None)
    published = _fingerprint(small_settings, SMALL_MONTH)
    path = _latest(small_landing, "hr_workers")
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    frame.drop(columns=["la_service_start_date"]).to_csv(path, index=False)
    with pytest.raises(ExtractError) as err:
        run_month(SMALL_MONTH, small_settings, progress=lambda _m: None)
    assert f"hr_workers/{path.name}" in str(err.value) and "'la_service_start_date'" in str(err.value)
    assert _fingerprint(small_settings, SMALL_MONTH) == published


def test_failed_quality_check_stops_before_publish(small_settings, small_landing):
    run_month(SMALL_MONTH, small_settings, progress=lambda _m: None)
    published = _fingerprint(small_settings, SMALL_MONTH)
    path = _latest(small_landing, "hr_workers")
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    frame.loc[:3, "ethnicity"] = "MARTIAN"  # 4 rows quarantined: over the 2% threshold
    frame.to_csv(path, index=False)
    with pytest.raises(QualityGateError) as err:
        run_month(SMALL_MONTH, small_settings, progress=lambda _m: None)
    assert "raw_hr_workers" in str(err.value) and "ethnicity" in str(err.value)
    assert _fingerprint(small_settings, SMALL_MONTH) == published
