"""Identity-shaped values in label and free-text columns never pass ingest in clear (issue 11,
class 3): they are replaced by a keyed ``withheld-...`` label and recorded without the value.

Unit checks run the rules' SQL on a few rows (no pipeline); the pipeline checks run the extract
on the small sample with identities planted in its files.
"""

from __future__ import annotations

from datetime import date

import duckdb
import pandas as pd
import pytest
from workforce.ingest.extract import extract
from workforce.ingest.pseudonymise import Pseudonymiser
from workforce.ingest.rules import WITHHELD_PREFIX, find_problems, identity_pattern, type_cells
from workforce.sample import reference
from workforce.spec import contract
from workforce.spec.contract import EXPORTS_BY_NAME

KEY = b"k" * 32
TEAM_NAME = EXPORTS_BY_NAME["hr_teams"].column("team_name")
TEAM_CODE = EXPORTS_BY_NAME["hr_teams"].column("team_code")

#: Labels a council's exports really hold: none of them may be withheld.
ORDINARY_LABELS = sorted({
    *contract.SERVICE_AREAS, *reference.AGENCY_NAMES, *reference.LOCALITIES, *reference.JOB_TITLES.values(),
    "Children's Social Care", "Emergency Duty Team", "Assessment Team 3", "Safeguarding South",
    "Fostering & Adoption", "Team Manager - Grade 10", "Level 3", "North Locality", "Youth Justice",
    "Leaving Care (16+)", "0-5s Team", "Children With Disabilities", "MASH", "Front Door / MASH",
    "IRO", "CW", "ALLOCATED CASE WORKER", "Drummond Street Team", "St Mary's Team", "Team 2024",
})

#: Shapes of a person's identity planted into a label: each must be withheld.
IDENTITIES = [
    "Jane Smith SW123456", "sw 105340 duty", "Team of E108080", "C5160195 placement", "P10040's team",
    "jane.smith@council.gov.uk", "j_o'neil+team@example.org", "call 07700 900123", "020 7946 0958",
    "+44 20 7946 0958", "AB 12 34 56 C", "ab123456c team", "943 476 5919", "born 13/03/1984",
    "1984-03-13 team", "DOB 13.03.84", "EX4 3SR", "SW1A 1AA office", "Ms Jones team", "Mr. Patel",
    "mrs o'brien", "Dr Okafor duty", "Mx Rivera",
]


def _typed(export: str, rows: list[dict], con=None, pseudonymiser=None):
    spec = EXPORTS_BY_NAME[export]
    con = con or duckdb.connect()
    columns = [c.name for c in spec.raw_columns]
    con.execute(f"CREATE OR REPLACE TEMP TABLE _in (_row_number BIGINT, _line_number BIGINT, _malformed BOOLEAN"
                f"{''.join(f', {chr(34)}{c}{chr(34)} VARCHAR' for c in columns)})")
    for n, row in enumerate(rows, 1):
        con.execute(f"INSERT INTO _in VALUES (?, ?, false{', ?' * len(columns)})",
                    [n, n + 1, *(row.get(c) for c in columns)])
    type_cells(con, spec, set(columns), date(2025, 9, 30), pseudonymiser or Pseudonymiser(KEY))
    find_problems(con, spec, len(columns))
    return con


def _matches(value: str, col=TEAM_NAME) -> bool:
    return duckdb.connect().execute("SELECT regexp_matches(?, ?)", [value, identity_pattern(col)]).fetchone()[0]


@pytest.mark.parametrize("label", ORDINARY_LABELS)
def test_ordinary_labels_are_not_identity_shaped(label):
    assert not _matches(label)


@pytest.mark.parametrize("value", IDENTITIES)
def test_identity_shapes_in_a_name_are_found(value):
    assert _matches(value)


def test_a_code_label_may_be_a_cost_centre_number_but_not_an_e_mail_or_a_phone_number():
    assert not _matches("400123", TEAM_CODE) and _matches("400123", TEAM_NAME)
    assert _matches("jane.smith@council.gov.uk", TEAM_CODE) and _matches("07700 900123", TEAM_CODE)


def test_an_identity_shaped_label_is_replaced_and_flagged_and_its_row_loads():
    rows = [{"team_code": "T1", "team_name": "Jane Smith SW123456", "service_area": "Assessment"},
            {"team_code": "T2", "team_name": "Front Door", "service_area": "Front Door"},
            {"team_code": "T3", "team_name": "Front Door", "service_area": "mrs o'brien 13/03/1984"}]
    con = _typed("hr_teams", rows)
    typed = con.execute("SELECT team_code, team_name, service_area FROM _typed ORDER BY _row_number").fetchall()
    assert typed[1] == ("T2", "Front Door", "Front Door")
    assert typed[0][1].startswith(WITHHELD_PREFIX) and typed[2][2].startswith(WITHHELD_PREFIX)
    assert con.execute("SELECT * FROM _flagged ORDER BY ALL").fetchall() == [(1, "team_name"), (3, "service_area")]
    assert con.execute("SELECT count(*) FROM _problems").fetchone()[0] == 0  # flagged, not quarantined
    text = str(con.execute("SELECT team_code, team_name, service_area, locality FROM _typed").fetchall())  # as stored
    assert "SW123456" not in text and "Smith" not in text and "brien" not in text


def test_the_same_value_gets_the_same_replacement_in_every_export_so_joins_hold():
    pseudonymiser = Pseudonymiser(KEY)
    con = _typed("hr_teams", [{"team_code": "jo.bloggs@x.org", "team_name": "A", "service_area": "Assessment"}],
                 pseudonymiser=pseudonymiser)
    in_teams = con.execute("SELECT team_code FROM _typed").fetchone()[0]
    workers = {c.name: "1" for c in EXPORTS_BY_NAME["hr_workers"].raw_columns}
    con = _typed("hr_workers", [{**workers, "team_code": "jo.bloggs@x.org"}], pseudonymiser=Pseudonymiser(KEY))
    assert con.execute("SELECT team_code FROM _typed").fetchone()[0] == in_teams
    other = _typed("hr_teams", [{"team_code": "jo.bloggs@y.org", "team_name": "A", "service_area": "Assessment"}])
    assert other.execute("SELECT team_code FROM _typed").fetchone()[0] != in_teams  # distinct values stay distinct


def test_a_label_holding_an_identifier_of_the_run_is_withheld_whatever_its_shape():
    """An identifier seen in an identifier column earlier in the run (here a staff id with no
    digit run the patterns would know) is found inside a label by its words."""
    pseudonymiser = Pseudonymiser(KEY)
    con = duckdb.connect()
    _typed("ssd_professionals", [{"prof_professional_id": "KXQZ", "prof_professional_job_title": "Social Worker"}],
           con=con, pseudonymiser=pseudonymiser)
    _typed("hr_teams", [{"team_code": "T1", "team_name": "Duty (kxqz)", "service_area": "Assessment"},
                        {"team_code": "T2", "team_name": "Duty", "service_area": "Assessment"}],
           con=con, pseudonymiser=pseudonymiser)
    assert con.execute("SELECT * FROM _flagged").fetchall() == [(1, "team_name")]


def test_a_quarantined_row_shows_the_replacement_never_the_identity():
    """A free-text value that breaks a rule (a control character) and is identity-shaped: the
    quarantine row (restricted, but past ingest) holds the replacement."""
    con = _typed("hr_exit_interviews", [{"employee_id": "E1", "leaving_date": "2025-01-01", "primary_reason": "PAY",
                                          "other_reasons": "told Ms Jones on 07700 900123\x07"}])
    (value,) = con.execute("SELECT value FROM _problems WHERE rule = 'control_character'").fetchone()
    assert value.startswith(WITHHELD_PREFIX)


def test_every_label_column_of_the_contract_is_searched():
    """Text that can reach a published table or group a figure is a label; free text is checked too."""
    checked = {(e.name, c.name) for e in contract.EXPORTS for c in e.columns if c.checked_for_identity}
    assert ("hr_teams", "team_name") in checked and ("hr_exit_interviews", "other_reasons") in checked
    assert all(not c.pseudonym and not c.drop for e in contract.EXPORTS for c in e.columns if c.checked_for_identity)
    assert all(c.type == contract.TEXT for e in contract.EXPORTS for c in e.columns if c.checked_for_identity)


@pytest.mark.pipeline
def test_extract_records_withheld_values_with_lines_and_nothing_on_the_clean_sample(small_settings, small_landing):
    extract(small_settings, date(2025, 9, 30))
    con = duckdb.connect(str(small_settings.warehouse_path), read_only=True)
    try:
        assert con.execute("SELECT count(*) FROM raw.withheld_values").fetchone()[0] == 0  # no false alarm
    finally:
        con.close()
    path = small_landing / "hr_exit_interviews" / "hr_exit_interviews_2025-09-30.csv"
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    frame.loc[1, "other_reasons"] = "PAY; spoke to Mr Plantedname, jane.plantedname@example.org"
    frame.to_csv(path, index=False)
    report = extract(small_settings, date(2025, 9, 30))
    (load,) = [f for f in report.files if f.source_file.endswith(path.name)]
    assert load.values_withheld == 1 and load.rows_quarantined == 0
    con = duckdb.connect(str(small_settings.warehouse_path), read_only=True)
    try:
        rows = con.execute("SELECT row_number, line_number, column_name, rule FROM raw.withheld_values").fetchall()
        assert rows == [(2, 3, "other_reasons", "identity_shaped")]
        everything = " ".join(str(r) for t in ("hr_exit_interviews", "withheld_values", "quarantine")
                              for r in con.execute(f"SELECT * FROM raw.{t}").fetchall())
        assert "lantedname" not in everything
    finally:
        con.close()
