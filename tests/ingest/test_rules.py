"""The row rules' SQL, checked value by value against what the contract says (no pipeline run)."""

from __future__ import annotations

from datetime import date, timedelta

import duckdb
import pytest
from workforce.ingest.pseudonymise import Pseudonymiser, age_band
from workforce.ingest.readers import WHITESPACE, clean, sql_literal
from workforce.ingest.rules import RULES, find_problems, parse_date, type_cells
from workforce.spec.contract import EXPORTS_BY_NAME


def _scalar(sql: str):
    return duckdb.connect().execute(sql).fetchone()[0]


@pytest.mark.parametrize(
    ("text", "expected"),
    [("2025-01-31", date(2025, 1, 31)), ("2025-01-31 00:00:00", date(2025, 1, 31)), ("31/01/2025", None),
     ("2025-02-30", None), ("2025-1-5", None), ("43833", None), ("2025-01-31 09:30:00", None), ("2025-01-31x", None)],
)
def test_dates_accept_iso_and_an_xlsx_midnight_only(text, expected):
    assert _scalar(f"SELECT {parse_date(sql_literal(text))}") == expected


def test_cells_are_trimmed_as_python_strips_them():
    for text in (" a ", "\u00a0b\u2028", "\tc\r\n", "d", "   ", "\u3000", "e f"):
        assert _scalar(f"SELECT {clean(sql_literal(text))}") == (text.strip() or None)
    assert all(c.isspace() for c in WHITESPACE) and "\x00" not in WHITESPACE


def _problems(export: str, rows: list[dict], extract_date=date(2025, 9, 30)):
    spec = EXPORTS_BY_NAME[export]
    con = duckdb.connect()
    columns = [c.name for c in spec.raw_columns]
    cols = "".join(f', "{c}" VARCHAR' for c in columns)
    con.execute(f"CREATE TEMP TABLE _in (_row_number BIGINT, _line_number BIGINT, _malformed BOOLEAN{cols})")
    for n, row in enumerate(rows, 1):
        con.execute(f"INSERT INTO _in VALUES (?, ?, false{', ?' * len(columns)})",
                    [n, n + 1, *(row.get(c) for c in columns)])
    type_cells(con, spec, set(columns), extract_date, Pseudonymiser(b"k" * 32))
    find_problems(con, spec, len(columns))
    found = con.execute("SELECT row_number, column_name, rule, value FROM _problems ORDER BY ALL").fetchall()
    typed = con.execute("SELECT * FROM _typed ORDER BY _row_number").df()
    return found, typed


AGENCY = {"assignment_id": "A1", "swe_registration": "SW1", "agency_name": "Ag", "team_code": "T1", "org_role": "1",
          "fte": "1", "start_date": "2025-01-01", "covering_vacancy": "Y"}


@pytest.mark.parametrize(
    ("fte", "rule"),
    [("0,5", "bad_number"), ("1.5", "fte_out_of_range"), ("0", "fte_out_of_range"), ("-0.5", "fte_out_of_range"),
     ("nan", "bad_number"), ("inf", "bad_number"), ("1e0", None), ("0.5", None), ("1,000", "fte_out_of_range")],
)
def test_agency_fte_never_loads_outside_0_to_1_nor_from_a_decimal_comma(fte, rule):
    found, _typed = _problems("agency_assignments", [{**AGENCY, "fte": fte}])
    assert [r[2] for r in found] == ([rule] if rule else [])


def test_placeholder_dates_and_implausible_birth_dates_never_load():
    worker = {"employee_id": "E1", "swe_registration": "SW1", "date_of_birth": "1980-05-01", "gender": "1",
              "ethnicity": "WBRI", "spell_id": "S1", "team_code": "T1", "org_role": "1", "career_grade": "SW",
              "contract_type": "PERMANENT", "fte": "1", "spell_start_date": "2020-01-01",
              "la_service_start_date": "2020-01-01", "is_overseas_recruit": "N"}
    rows = [worker,
            {**worker, "spell_id": "S2", "date_of_birth": "1900-01-01"},
            {**worker, "spell_id": "S3", "date_of_birth": "2015-01-01"},
            {**worker, "spell_id": "S4", "spell_end_date": "9999-12-31"},
            {**worker, "spell_id": "S5", "date_of_birth": "01/05/1980"}]
    found, typed = _problems("hr_workers", rows)
    by_row = {r[0]: (r[1], r[2], r[3]) for r in found}
    assert 1 not in by_row and typed.loc[0, "age_band"] == "40-49"
    assert by_row[2] == ("date_of_birth", "implausible_date", "[personal data withheld]")
    assert by_row[3] == ("date_of_birth", "implausible_date", "[personal data withheld]")
    assert by_row[4] == ("spell_end_date", "implausible_date", "9999-12-31")
    assert by_row[5] == ("date_of_birth", "bad_date", "[personal data withheld]")
    assert {r[2] for r in found} <= set(RULES)


def test_sql_age_bands_match_the_reference_function():
    as_at = date(2025, 9, 30)
    births = [as_at.replace(year=as_at.year - years) + timedelta(days=d)
              for years in range(17, 99, 3) for d in (-1, 0, 1)]
    worker = {"employee_id": "E1", "swe_registration": "SW1", "gender": "1", "ethnicity": "WBRI", "team_code": "T1",
              "org_role": "1", "career_grade": "SW", "contract_type": "PERMANENT", "fte": "1",
              "spell_start_date": "2020-01-01", "la_service_start_date": "2020-01-01", "is_overseas_recruit": "N"}
    rows = [{**worker, "spell_id": f"S{i}", "date_of_birth": b.isoformat()} for i, b in enumerate(births)]
    found, typed = _problems("hr_workers", rows, as_at)
    assert found == []
    assert typed["age_band"].tolist() == [age_band(b, as_at) for b in births]


def test_control_characters_are_quarantined_and_keys_checked_in_sql():
    teams = [{"team_code": "T1", "team_name": "A\x00B", "service_area": "Fostering"},
             {"team_code": "T2", "team_name": "Two", "service_area": "Fostering"},
             {"team_code": "T2", "team_name": "Again", "service_area": "Fostering"}]
    found, _typed = _problems("hr_teams", teams)
    assert (1, "team_name", "control_character", "A\x00B") in found
    assert [(r[0], r[2], r[3]) for r in found if r[2] == "duplicate_key"] == [(2, "duplicate_key", "T2"),
                                                                               (3, "duplicate_key", "T2")]


def test_every_rule_is_documented_in_the_export_contract():
    from pathlib import Path

    doc = (Path(__file__).parents[2] / "docs" / "spec" / "export-contract.md").read_text(encoding="utf-8")
    assert [rule for rule in RULES if f"`{rule}`" not in doc] == []
