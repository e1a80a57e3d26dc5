"""Published types hold in every output: each column of the Parquet files and of the BI file has
its type in the warehouse mart (``month_end`` a DATE, not a TIMESTAMP; an all-empty status
column a VARCHAR, never DuckDB's NULL type, which BI drivers cannot map)."""

from __future__ import annotations

import shutil

import duckdb
import pandas as pd
import pytest
from conftest import DEFAULT_MONTH
from workforce.months import ReportingMonth
from workforce.publish import publisher
from workforce.spec.catalogue import mart_tables, published_tables

pytestmark = pytest.mark.slow


def _types(con, sql: str) -> dict[str, str]:
    return {row[0]: row[1] for row in con.execute(f"DESCRIBE {sql}").fetchall()}


def _mart_types(settings) -> dict[str, dict[str, str]]:
    con = duckdb.connect(str(settings.warehouse_path), read_only=True)
    try:
        return {t.name: _types(con, f"SELECT * FROM {t.mart}") for t in mart_tables()}
    finally:
        con.close()


def _bi_types(path) -> dict[str, dict[str, str]]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        rows = con.execute("SELECT table_name, column_name, data_type FROM information_schema.columns").fetchall()
    finally:
        con.close()
    out: dict[str, dict[str, str]] = {}
    for table, column, data_type in rows:
        out.setdefault(table, {})[column] = data_type
    return out


def test_parquet_and_bi_column_types_equal_the_mart_types(published_default):
    settings, _summary = published_default
    marts = _mart_types(settings)
    bi = _bi_types(settings.published_warehouse_path)
    con = duckdb.connect()
    try:
        for table in published_tables():
            mart = marts.get(table.name) or dict(table.column_types)  # a release-stage table: the catalogue's
            parquet = _types(con, f"SELECT * FROM read_parquet('{settings.published_month_dir(DEFAULT_MONTH)}/"
                                  f"{table.name}.parquet')")
            assert parquet and parquet == {c: mart[c] for c in parquet}, table.name
            assert bi[table.name] == parquet, table.name
            assert list(bi[table.name]) == list(parquet), table.name  # same column order too
    finally:
        con.close()
    assert marts["scrutiny_workforce_monthly"]["month_end"] == "DATE"
    assert bi["scrutiny_workforce_monthly"]["inpost_fte_status"] == "VARCHAR"
    null_typed = [(t, c) for t, cols in bi.items() for c, ty in cols.items() if ty.strip('"').upper() == "NULL"]
    assert null_typed == []  # audit_log and published_months included


def test_bi_file_casts_months_published_before_types_were_kept(published_default, tmp_path):
    """A month published by an earlier version (month_end a timestamp, empty columns untyped)
    joins the BI tables with the mart's types."""
    settings, _summary = published_default
    published = shutil.copytree(settings.published_dir, tmp_path / "published")
    old = published / "2026-08"
    old.mkdir()
    for table in published_tables():
        df = pd.read_parquet(published / DEFAULT_MONTH / f"{table.name}.parquet")
        if table.monthly:
            df["month_end"] = pd.Timestamp("2026-08-31")
        df.to_parquet(old / f"{table.name}.parquet", index=False)  # no schema: the old way
    months = publisher._build_bi_warehouse(published, tmp_path / "bi.duckdb", ReportingMonth.parse(DEFAULT_MONTH))
    assert months == ["2026-08", DEFAULT_MONTH]
    marts = _mart_types(settings)
    bi = _bi_types(tmp_path / "bi.duckdb")
    for table in published_tables():
        mart = marts.get(table.name) or dict(table.column_types)  # a release-stage table: the catalogue's
        assert bi[table.name] == {c: mart[c] for c in bi[table.name]}, table.name
    con = duckdb.connect(str(tmp_path / "bi.duckdb"), read_only=True)
    try:
        assert con.execute("SELECT month, row_count > 0 FROM published_months").fetchall() == [
            ("2026-08", True), (DEFAULT_MONTH, True)
        ]
        ends = con.execute("SELECT DISTINCT month_end FROM scrutiny_workforce_monthly ORDER BY 1").fetchall()
    finally:
        con.close()
    assert [str(e[0]) for e in ends] == ["2026-08-31", "2026-09-30"]
