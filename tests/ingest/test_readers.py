"""Readers: every data row keeps its number and its file line, whichever reader read the file."""

from __future__ import annotations

from datetime import date

import duckdb
import pytest
from workforce.ingest.landing import LandingFile, scan
from workforce.ingest.readers import csv_header, line_numbers, load_cells
from workforce.spec.contract import EXPORTS_BY_NAME

HEADER = "team_code,team_name,service_area\n"


@pytest.mark.parametrize(
    ("body", "reader", "expected"),
    [
        # one line per row: lines follow from row numbers
        ("T1,One,Fostering\nT2,Two,Fostering\n", "duckdb", {1: 2, 2: 3}),
        # a blank line and a line of empty cells are not rows, but they are lines
        ("T1,One,Fostering\n\n,,\nT2,Two,Fostering\n", "duckdb", {1: 2, 2: 5}),
        # a quoted cell over two lines: the row ends on the line after
        ('T1,"One\nand a half",Fostering\nT2,Two,Fostering\n', "duckdb", {1: 3, 2: 4}),
        # a short row: DuckDB sets it aside, Python's csv reads the file and keeps the row in place
        ("T1,One,Fostering\nT2,Two\nT3,Three,Fostering\n", "python-csv", {1: 2, 2: 3, 3: 4}),
    ],
)
def test_rows_keep_their_numbers_and_lines(tmp_path, body, reader, expected):
    path = tmp_path / "hr_teams_2025-09-30.csv"
    path.write_text(HEADER + body, encoding="utf-8")
    lf = LandingFile(EXPORTS_BY_NAME["hr_teams"], path, "hr_teams/hr_teams_2025-09-30.csv", date(2025, 9, 30))
    con = duckdb.connect()
    header = csv_header(lf)
    cells = load_cells(con, lf, header, header.names, scan(path, text=True))
    assert cells.reader == reader and cells.rows == len(expected)
    assert [r[0] for r in con.execute("SELECT team_code FROM _in ORDER BY _row_number").fetchall()] == [
        f"T{n}" for n in expected]
    con.execute("CREATE TEMP TABLE _problems AS SELECT _row_number AS row_number FROM _in")  # every row
    line_numbers(con, lf, cells)
    assert dict(con.execute("SELECT row_number, line_number FROM _lines ORDER BY 1").fetchall()) == expected
