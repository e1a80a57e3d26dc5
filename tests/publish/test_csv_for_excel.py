"""Published CSVs open in Excel on Windows by double-click and still read cleanly elsewhere.

They are UTF-8 with a byte-order mark (``spreadsheet_safety.write_csv``). Excel on Windows
decodes a CSV opened by double-click as UTF-8 only when it starts with that mark, and otherwise
in the ANSI code page (Windows-1252 in the UK): ``_as_excel_opens_it`` is that rule. Power BI's
CSV connector takes the same mark as code page 65001. pandas and DuckDB drop the mark, so the
first column is ``month_end``, never ``\\ufeffmonth_end``.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from conftest import SMALL_MONTH
from workforce.publish import publisher, spreadsheet_safety
from workforce.spec.catalogue import published_tables

TEAM = "Fostering – Équipe Nörth"
MISDECODED = "Fostering â€“ Ã‰quipe NÃ¶rth"  # the same name decoded as Windows-1252


def _as_excel_opens_it(data: bytes) -> str:
    """The text Excel on Windows reads from a CSV opened by double-click (UK locale)."""
    if data.startswith(codecs.BOM_UTF8):
        return data[len(codecs.BOM_UTF8):].decode("utf-8")
    return data.decode("cp1252")


@pytest.fixture
def teams_csv(tmp_path) -> Path:
    df = pd.DataFrame({
        "month_end": [dt.date(2025, 9, 30), dt.date(2025, 9, 30)],
        "team_name": [TEAM, "Front Door"],
        "caseload_fte": [14.5, 16.25],
        "caseload_fte_status": [None, "c"],
    })
    path = tmp_path / "scrutiny_caseload_monthly.csv"
    publisher._write_csv(df, path)  # the writer publish uses
    return path


def test_the_csv_starts_with_one_utf8_byte_order_mark(teams_csv):
    data = teams_csv.read_bytes()
    assert data.startswith(codecs.BOM_UTF8 + b"month_end,")
    assert data.count(codecs.BOM_UTF8) == 1
    assert data[len(codecs.BOM_UTF8):].decode("utf-8").splitlines()[1].startswith("2025-09-30,")


def test_excel_on_windows_reads_the_team_name(teams_csv):
    text = _as_excel_opens_it(teams_csv.read_bytes())
    assert text.splitlines()[0] == "month_end,team_name,caseload_fte,caseload_fte_status"
    assert TEAM in text and MISDECODED not in text
    # Without the mark, the same bytes are what the issue saw in a default import.
    without_mark = teams_csv.read_bytes()[len(codecs.BOM_UTF8):]
    assert MISDECODED in _as_excel_opens_it(without_mark)


@pytest.mark.parametrize("encoding", [None, "utf-8-sig"], ids=["pandas-default", "pandas-utf-8-sig"])
def test_pandas_reads_the_csv_cleanly(teams_csv, encoding):
    df = pd.read_csv(teams_csv, encoding=encoding) if encoding else pd.read_csv(teams_csv)
    assert list(df.columns) == ["month_end", "team_name", "caseload_fte", "caseload_fte_status"]
    assert df.team_name.tolist() == [TEAM, "Front Door"]
    assert df.caseload_fte.tolist() == [14.5, 16.25]


def test_duckdb_reads_the_csv_cleanly(teams_csv):
    con = duckdb.connect()
    try:
        result = con.execute("SELECT * FROM read_csv(?)", [str(teams_csv)])
        columns = [d[0] for d in result.description]
        rows = result.fetchall()
        # the first column by its plain name: a BOM left in it would make this an error
        month_end = con.execute("SELECT month_end FROM read_csv(?)", [str(teams_csv)]).fetchall()
    finally:
        con.close()
    assert columns[0] == "month_end" and "\ufeffmonth_end" not in columns
    assert [row[1] for row in rows] == [TEAM, "Front Door"]
    assert month_end == [(dt.date(2025, 9, 30),), (dt.date(2025, 9, 30),)]  # read as a DATE


def test_csv_module_reads_it_with_utf8_sig(teams_csv):
    with open(teams_csv, newline="", encoding=spreadsheet_safety.CSV_ENCODING) as fh:
        rows = list(csv.DictReader(fh))
    assert list(rows[0]) == ["month_end", "team_name", "caseload_fte", "caseload_fte_status"]
    assert rows[0]["team_name"] == TEAM


@pytest.mark.pipeline
def test_every_published_csv_reads_with_the_parquet_columns(small_published):
    """Each published CSV: the mark first, and pandas and DuckDB both read the Parquet file's
    column names (the first one clean) and row count."""
    folder = small_published.published_month_dir(SMALL_MONTH)
    con = duckdb.connect()
    try:
        for table in published_tables():
            path = folder / f"{table.name}.csv"
            assert path.read_bytes().startswith(codecs.BOM_UTF8), path.name
            expected = pd.read_parquet(folder / f"{table.name}.parquet")
            by_pandas = pd.read_csv(path, dtype=str, keep_default_na=False)
            by_duckdb = con.execute("SELECT * FROM read_csv(?, all_varchar = true)", [str(path)])
            duckdb_columns = [d[0] for d in by_duckdb.description]
            assert list(by_pandas.columns) == list(expected.columns), path.name
            assert duckdb_columns == list(expected.columns), path.name
            assert len(by_pandas) == len(expected) == len(by_duckdb.fetchall()), path.name
    finally:
        con.close()
