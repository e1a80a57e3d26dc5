"""Mapping profiles (issue 12): a council's own file shapes load as the contract's would.

The round trip is the test of a profile: the synthetic council's contract-shaped exports are
written in the profile's shape (``sample.shapes``, the profile applied backwards) and read back
through it; the raw tables must be those of the contract-shaped files, row for row.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import duckdb
import pandas as pd
import pytest
from conftest import copy_tree
from workforce.config import ConfigError
from workforce.ingest.extract import extract
from workforce.ingest.profile import ProfileError, load_profile
from workforce.sample.shapes import reshape_landing

MONTH_END = date(2025, 9, 30)
PROFILED = ("hr_workers", "hr_establishment", "hr_absences")


def _raw(settings, table):
    con = duckdb.connect(str(settings.warehouse_path), read_only=True)
    try:
        frame = con.execute(f"SELECT * EXCLUDE (_source_file) FROM raw.{table} "
                            "ORDER BY _extract_date, _row_number").df()
        quarantine = con.execute("SELECT export_name, rule, column_name, count(*) FROM raw.quarantine "
                                 "GROUP BY ALL ORDER BY ALL").fetchall()
    finally:
        con.close()
    return frame.round(9), quarantine


@pytest.fixture(scope="module")
def contract_extracted(small_landing_cache, tmp_path_factory):
    """The small council extracted from its contract-shaped files."""
    from conftest import settings_for

    base = tmp_path_factory.mktemp("contract")
    contract = settings_for(base / "data", copy_tree(small_landing_cache, base / "landing"))
    extract(contract, MONTH_END)
    return contract


def _shaped(small_landing_cache, base, profile: str):
    """The same council's files in a profile's shape, extracted through that profile."""
    from conftest import settings_for

    shaped_landing = base / "landing"
    shaped_landing.mkdir(parents=True)
    (shaped_landing / "SAMPLE_DATA.json").write_bytes((small_landing_cache / "SAMPLE_DATA.json").read_bytes())
    reshape_landing(small_landing_cache, shaped_landing, load_profile(profile))
    shaped = settings_for(base / "data", shaped_landing, WORKFORCE_PROFILE=profile)
    return shaped, extract(shaped, MONTH_END)


@pytest.fixture(scope="module")
def contract_and_shaped(contract_extracted, small_landing_cache, tmp_path_factory):
    """The small council extracted twice: from contract-shaped files, and from the same files in
    the hr-system profile's shape through that profile."""
    shaped, report = _shaped(small_landing_cache, tmp_path_factory.mktemp("hr-system"), "hr-system")
    return contract_extracted, shaped, report


@pytest.fixture(scope="module")
def contract_and_ssd(contract_extracted, small_landing_cache, tmp_path_factory):
    """The same, with the case-management exports as the ssd-mosaic profile's SSD extract."""
    shaped, report = _shaped(small_landing_cache, tmp_path_factory.mktemp("ssd-mosaic"), "ssd-mosaic")
    return contract_extracted, shaped, report


@pytest.mark.pipeline
def test_the_same_council_in_another_shape_loads_the_same_rows(contract_and_shaped):
    contract, shaped, report = contract_and_shaped
    names = {f.source_file for f in report.files}
    assert "HR/Workers Export 30-09-2025.xlsx" in names and "HR/absence_20250930.csv" in names
    assert not any(n.startswith("hr_workers/") for n in names)  # the profile's folder and names
    for table in (*PROFILED, "hr_teams", "ssd_involvements"):
        ours, q_ours = _raw(shaped, table)
        theirs, q_theirs = _raw(contract, table)
        pd.testing.assert_frame_equal(ours, theirs, check_dtype=False, obj=f"raw.{table}")
        assert q_ours == q_theirs
    assert _extra_columns(shaped) == _extra_columns(contract)  # a header the profile reads is not "extra"


def _extra_columns(settings):
    con = duckdb.connect(str(settings.warehouse_path), read_only=True)
    try:
        return con.execute("SELECT export_name, extract_date, extra_columns FROM raw.load_manifest "
                           "ORDER BY ALL").fetchall()
    finally:
        con.close()


@pytest.mark.pipeline
def test_the_ssd_extract_loads_the_same_rows_but_for_its_gaps_and_says_so(contract_and_ssd):
    """The SSD shape (ssd-mosaic): its folder and names, date-times, words for codes; the only
    differences from the contract-shaped rows are its documented gaps and its roles in words."""
    from workforce.quality.runner import validate_raw_exports

    contract, shaped, report = contract_and_ssd
    names = {f.source_file for f in report.files}
    assert {"SSD/ssd_professionals_20250930.csv", "SSD/ssd_involvements_20250930.csv"} <= names
    assert not any(n.startswith("ssd_") for n in names)
    for table in ("hr_workers", "agency_assignments", "ssd_department"):  # contract-shaped, or nothing to map
        pd.testing.assert_frame_equal(_raw(shaped, table)[0], _raw(contract, table)[0], check_dtype=False)
    assert _raw(shaped, "ssd_involvements")[1] == _raw(contract, "ssd_involvements")[1] == []  # no quarantine

    ours, theirs = _raw(shaped, "ssd_involvements")[0], _raw(contract, "ssd_involvements")[0]
    # the roles in words read back as the map's codes: "Allocated Case Worker" (which the contract's
    # files hold beside CW) becomes CW; both count as allocated case workers, so no figure moves
    worded = theirs["invo_professional_role_id"].str.upper() == "ALLOCATED CASE WORKER"
    assert 0 < worded.sum() < len(theirs) and (ours.loc[worded, "invo_professional_role_id"] == "CW").all()
    theirs.loc[worded, "invo_professional_role_id"] = "CW"
    pd.testing.assert_frame_equal(ours, theirs, check_dtype=False, obj="raw.ssd_involvements")

    ours, theirs = _raw(shaped, "ssd_professionals")[0], _raw(contract, "ssd_professionals")[0]
    assert ours["prof_agency_worker_flag"].isna().all() and ours["prof_full_time_equivalency"].isna().all()
    lost = ours["prof_person_key"].isna() & theirs["prof_person_key"].notna()
    assert 0 < lost.sum() < theirs["prof_person_key"].notna().sum()  # some professionals, not all
    assert theirs.loc[lost, "prof_staff_key"].notna().all()  # each still has the staff id to fall back on
    gaps = ["prof_person_key", "prof_agency_worker_flag", "prof_full_time_equivalency"]
    pd.testing.assert_frame_equal(ours.drop(columns=gaps), theirs.drop(columns=gaps), check_dtype=False)
    pd.testing.assert_series_equal(ours.loc[~lost, "prof_person_key"], theirs.loc[~lost, "prof_person_key"])

    (suite,) = [r for r in validate_raw_exports(shaped.warehouse_path, MONTH_END, shaped.expectations_dir)
                if r.suite == "raw_ssd_professionals"]
    assert suite.success  # warnings only: the month is computable, and the quality results say why
    warned = {c.column: c.observed for c in suite.results if not c.success}
    assert set(warned) == set(gaps)


@pytest.mark.pipeline
def test_the_shaped_files_really_are_in_the_council_s_shape(contract_and_shaped):
    _contract, shaped, _report = contract_and_shaped
    workbook = shaped.landing_dir / "HR" / "Workers Export 30-09-2025.xlsx"
    head = pd.read_excel(workbook, sheet_name="Workers", header=None, nrows=4, dtype=str)
    assert "report" in str(head.iloc[0, 0])  # a title row above the header
    assert {"Employee Number", "Sex", "Contracted Hours", "Assignment Start"} <= set(head.iloc[2])
    row = head.iloc[3]
    header = list(head.iloc[2])
    assert row[header.index("Sex")] in ("Female", "Male", "Not known", "Not specified")
    assert "/" in row[header.index("Assignment Start")]  # DD/MM/YYYY
    absences = (shaped.landing_dir / "HR" / "absence_20250930.csv").read_bytes().decode("cp1252")
    assert absences.splitlines()[0].startswith("Absence Ref;") and "," in absences  # decimal commas


@pytest.mark.pipeline
def test_an_unknown_label_is_quarantined_as_unmapped_never_guessed(contract_and_shaped, tmp_path):
    _contract, shaped, _report = contract_and_shaped
    landing = copy_tree(shaped.landing_dir, tmp_path / "landing")
    workbook = landing / "HR" / "Workers Export 30-09-2025.xlsx"
    from openpyxl import load_workbook

    book = load_workbook(workbook)
    sheet = book["Workers"]
    header = [c.value for c in sheet[3]]
    sheet.cell(row=6, column=header.index("Sex") + 1, value="Woman")
    book.save(workbook)
    settings = replace(shaped, data_dir=tmp_path / "data", landing_dir=landing)
    extract(settings, MONTH_END)
    con = duckdb.connect(str(settings.warehouse_path), read_only=True)
    try:
        rows = con.execute("SELECT line_number, column_name, rule, value FROM raw.quarantine").fetchall()
    finally:
        con.close()
    assert rows == [(6, "gender", "unmapped_value", "Woman")]


@pytest.mark.pipeline
def test_quarantine_check_and_audit_name_the_council_s_own_file_and_column(contract_and_shaped, tmp_path):
    """A profile-mapped file's problems name the council's file and header (``Sex``), beside the
    contract's column, in raw.quarantine, in ``workforce check`` and in the audit record."""
    from openpyxl import load_workbook
    from workforce.ingest.check import check
    from workforce.quality import runner
    from workforce.release.audit import audit_log_rows, collect_inputs

    _contract, shaped, _report = contract_and_shaped
    landing = copy_tree(shaped.landing_dir, tmp_path / "landing")
    workbook = landing / "HR" / "Workers Export 30-09-2025.xlsx"
    book = load_workbook(workbook)
    sheet = book["Workers"]
    header = [c.value for c in sheet[3]]
    sheet.cell(row=6, column=header.index("Sex") + 1, value="Woman")
    sheet.cell(row=7, column=header.index("Assignment Start") + 1, value="2020-13-45")
    sheet.cell(row=8, column=header.index("Contracted Hours") + 1, value="seventy")
    book.save(workbook)
    settings = replace(shaped, data_dir=tmp_path / "data", landing_dir=landing)

    report = check(settings, MONTH_END)
    (workers,) = [f for f in report.files if f.source_file == "HR/Workers Export 30-09-2025.xlsx"]
    assert {(q["rule"], q["column"], q.get("source_column")) for q in workers.quarantine} == {
        ("unmapped_value", "gender", "Sex"), ("bad_date", "spell_start_date", "Assignment Start"),
        ("required_missing", "fte", "Contracted Hours")}  # hours that are no number give no FTE
    text = report.format()
    assert "HR/Workers Export 30-09-2025.xlsx" in text
    assert "quarantine unmapped_value on gender (file column 'Sex'): 1 row(s), line 6" in text

    extract(settings, MONTH_END)
    con = duckdb.connect(str(settings.warehouse_path), read_only=True)
    try:
        rows = con.execute("SELECT source_file, column_name, source_column FROM raw.quarantine "
                           "ORDER BY line_number").fetchall()
    finally:
        con.close()
    assert rows == [("HR/Workers Export 30-09-2025.xlsx", "gender", "Sex"),
                    ("HR/Workers Export 30-09-2025.xlsx", "spell_start_date", "Assignment Start"),
                    ("HR/Workers Export 30-09-2025.xlsx", "fte", "Contracted Hours")]
    con = duckdb.connect(str(settings.warehouse_path), read_only=True)
    try:  # the quality results' quarantine check names the council's column too
        quality = runner._quarantine_check(con, "hr_workers", "raw_hr_workers", MONTH_END, 5.0)
    finally:
        con.close()
    assert "unmapped_value on gender (file column 'Sex') x1" in quality.observed, quality.observed
    (entry,) = [f for f in collect_inputs(settings, MONTH_END) if f["source_file"].startswith("HR/Workers Export")
                and f["quarantine"]]
    assert {"rule": "unmapped_value", "column": "gender", "rows": 1, "source_column": "Sex"} in entry["quarantine"]
    (row,) = [r for r in audit_log_rows({"inputs": [entry]}) if r["item_type"] == "input_file"]
    assert "unmapped_value on gender (file column 'Sex') x1" in row["detail"]  # the audit log's line too


@pytest.mark.pipeline
def test_a_profile_edit_reloads_the_files_it_reads(contract_and_shaped, tmp_path):
    _contract, shaped, _report = contract_and_shaped
    settings = replace(shaped, data_dir=tmp_path / "data")
    extract(settings, MONTH_END)
    assert {f.status for f in extract(settings, MONTH_END).files} == {"unchanged"}
    edited = tmp_path / "edited.yml"
    edited.write_text(load_profile("hr-system").path.read_text(encoding="utf-8") + "\n# edited\n", encoding="utf-8")
    report = extract(replace(settings, profile=str(edited)), MONTH_END)
    assert {f.status for f in report.files} == {"replaced"}


def test_every_problem_in_a_profile_is_reported_with_its_line(tmp_path):
    path = tmp_path / "broken.yml"
    path.write_text("""name: broken
exports:
  hr_workerz: {}
  hr_workers:
    file: "Workers {date:DD-MM}.xlsx"
    encoding: klingon
    columns:
      employe_id: Employee
      gender: {from: Sex, values: {Female: "F"}}
      fte: {derive: "__import__('os').system('x')"}
      spell_start_date: {from: Start, dates: "the first of the month"}
""", encoding="utf-8")
    with pytest.raises(ProfileError) as caught:
        load_profile(path)
    text = str(caught.value)
    for fragment in ("unknown export 'hr_workerz'", "broken.yml:5: exports.hr_workers.file", "needs a year",
                     "unknown encoding 'klingon'", "no column 'employe_id' (did you mean 'employee_id'?)",
                     "'F' is not one of the contract's codes for gender", "is not an arithmetic",
                     "'the first of the month' is not a date format"):
        assert fragment in text, fragment
    assert "7 problem(s)" in text or "8 problem(s)" in text


def test_a_bad_profile_stops_before_any_step(monkeypatch, tmp_path):
    from workforce.config import load_settings

    monkeypatch.setenv("WORKFORCE_PROFILE", "no-such-profile")
    with pytest.raises(ConfigError, match="no profile 'no-such-profile'.*hr-system"):
        load_settings()


@pytest.mark.parametrize(("pattern", "name", "expected"), [
    ("Workers Export {date:DD-MM-YYYY}.xlsx", "Workers Export 30-09-2025.xlsx", date(2025, 9, 30)),
    ("absence_{date:YYYYMMDD}.csv", "absence_20250930.csv", date(2025, 9, 30)),
    ("*_staff_{date:D.M.YY}.csv", "Devon_staff_3.10.25.csv", date(2025, 10, 3)),
    ("Workers Export {date:DD-MM-YYYY}.xlsx", "Workers Export 31-02-2025.xlsx", None),
    ("Workers Export {date:DD-MM-YYYY}.xlsx", "workers export 30-09-2025.XLSX", date(2025, 9, 30)),
    ("Workers {date:MMM YYYY}.xlsx", "Workers Sep 2025.xlsx", date(2025, 9, 30)),  # a month: its last day
])
def test_file_name_patterns_give_the_extract_date(pattern, name, expected):
    from workforce.ingest.profile import ExportProfile

    assert ExportProfile("hr_workers", "HR", pattern).match(name) == expected


@pytest.mark.slow
@pytest.mark.parametrize("profile", ["hr-system", "ssd-mosaic"])
def test_the_same_council_through_a_profile_publishes_identical_tables(small_published, small_landing_cache,
                                                                       tmp_path, profile):
    """The acceptance of a profile: the council's own shapes publish exactly what the contract's
    shapes publish (every published CSV, byte for byte). For ``ssd-mosaic`` that includes its
    gaps (SWE numbers missing for some professionals, no agency flag, no FTE) and its roles in
    words: the fallbacks of docs/spec/metrics.md reach the same figures."""
    from conftest import SMALL_MONTH, settings_for
    from workforce.ingest.check import check
    from workforce.pipeline import run_month
    from workforce.spec.catalogue import published_tables

    landing = tmp_path / "landing"
    landing.mkdir()
    (landing / "SAMPLE_DATA.json").write_bytes((small_landing_cache / "SAMPLE_DATA.json").read_bytes())
    reshape_landing(small_landing_cache, landing, load_profile(profile))
    settings = settings_for(tmp_path / "data", landing, WORKFORCE_PROFILE=profile)
    assert check(settings, MONTH_END).ok  # the pre-flight reads the profile too
    run_month(SMALL_MONTH, settings, progress=lambda _m: None)
    for table in published_tables():
        ours = (settings.published_month_dir(SMALL_MONTH) / f"{table.name}.csv").read_bytes()
        theirs = (small_published.published_month_dir(SMALL_MONTH) / f"{table.name}.csv").read_bytes()
        assert ours == theirs, table.name


@pytest.mark.pipeline
def test_cms_extracts_without_swe_numbers_agency_flags_or_fte_fall_back_and_say_so(small_settings, small_landing):
    """As Mosaic and Eclipse extracts often are: the run goes on (matching falls back to the staff
    id, as metrics.md says) and the quality results say how many rows lack each."""
    from workforce.quality.runner import validate_raw_exports

    path = small_landing / "ssd_professionals" / "ssd_professionals_2025-09-30.csv"
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    frame.loc[: len(frame) // 3, "prof_social_worker_registration_no"] = ""
    frame["prof_agency_worker_flag"] = ""
    frame["prof_full_time_equivalency"] = ""
    frame.to_csv(path, index=False)
    extract(small_settings, MONTH_END)
    (suite,) = [r for r in validate_raw_exports(small_settings.warehouse_path, MONTH_END,
                                                small_settings.expectations_dir) if r.suite == "raw_ssd_professionals"]
    assert suite.success  # warnings only: the month is computable
    warned = {c.column: c.observed for c in suite.results if not c.success}
    assert set(warned) == {"prof_person_key", "prof_agency_worker_flag", "prof_full_time_equivalency"}
    assert warned["prof_agency_worker_flag"].startswith(f"{len(frame)} of {len(frame)} rows unexpected")


def test_text_columns_take_a_value_map_that_keeps_labels_it_does_not_name(tmp_path):
    """Role names in words: a text column's map renames what it knows and is never unmapped_value
    (a text column has no closed list); identifiers take no map."""
    from workforce.ingest.profile import mapped_expression, unmapped_condition

    profile = load_profile("ssd-mosaic")
    involvements = profile.for_export("ssd_involvements")
    assert unmapped_condition(involvements, "invo_professional_role_id", "x") is None
    assert unmapped_condition(involvements, "invo_worker_change_reason", "x") is not None  # a coded column
    con = duckdb.connect()
    sql = mapped_expression(involvements, "invo_professional_role_id", "x", lambda name: name)
    got = con.execute(f"SELECT {sql} FROM (VALUES ('Allocated  case worker'), ('Social Work Assistant')) t(x)")
    assert [r[0] for r in got.fetchall()] == ["CW", "Social Work Assistant"]
    path = tmp_path / "bad.yml"
    path.write_text("""name: bad
exports:
  ssd_professionals:
    columns:
      prof_social_worker_registration_no: {values: {none: X}}
sample:
  ssd_professionals:
    blank: {prof_professional_id: all, prof_full_time_equivalency: some, prof_agency_worker_flag: often}
  hr_workers:
    blank: {fte: all}
""", encoding="utf-8")
    with pytest.raises(ProfileError) as caught:
        load_profile(path)
    text = str(caught.value)
    for fragment in ("prof_social_worker_registration_no is not a coded column",
                     "prof_professional_id is required: a sample cannot leave it empty",
                     "'some' is for prof_social_worker_registration_no only",
                     "'often' must be 'all' or 'some'", "sample.hr_workers: 'hr_workers' is not an export of this"):
        assert fragment in text, fragment


@pytest.mark.parametrize(("fmt", "cell", "expected"), [
    ("YYYY-MM-DD HH:mm:ss.SSS", "2025-09-30 00:00:00.000", "2025-09-30"),  # SQL Server's datetime
    ("YYYY-MM-DD HH:mm:ss.SSS", "2025-09-30 17:45:12.250", "2025-09-30"),  # the time is dropped
    ("YYYY-MM-DD HH:mm:ss.SSS", "2025-09-30", "2025-09-30"),  # already a date: as the contract reads it
    ("DD/MM/YYYY", "30/09/2025", "2025-09-30"),
    ("YYYY-MM-DD HH:mm:ss.SSS", "30/09/2025", "30/09/2025"),  # in no format: as written, then bad_date
])
def test_date_formats_read_dates_and_date_times(fmt, cell, expected):
    from workforce.ingest.profile import ColumnMap, ExportProfile, date_format, mapped_expression

    ep = ExportProfile("ssd_involvements", "SSD", "x_{date:YYYYMMDD}.csv", columns={
        "invo_involvement_start_date": ColumnMap("invo_involvement_start_date", date_formats=(date_format(fmt),))})
    sql = mapped_expression(ep, "invo_involvement_start_date", "?", lambda name: name)
    assert duckdb.connect().execute(f"SELECT {sql}", [cell] * sql.count("?")).fetchone()[0] == expected
