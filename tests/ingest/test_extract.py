"""Extract: contract checks, pseudonymisation at ingest, idempotent loads, clean rejections."""

from __future__ import annotations

import re
from datetime import date

import duckdb
import pandas as pd
import pytest
from workforce.config import DEMO_PSEUDONYMISATION_KEY
from workforce.ingest.extract import ExtractError, extract
from workforce.ingest.pseudonymise import PseudonymisationKeyError, Pseudonymiser, age_band, normalise_identifier

MONTH_END = date(2025, 9, 30)
HEX64 = re.compile(r"^[0-9a-f]{64}$")


def _table(settings, sql):
    con = duckdb.connect(str(settings.warehouse_path), read_only=True)
    try:
        return con.execute(sql).df()
    finally:
        con.close()


def _latest(landing, export):
    return sorted((landing / export).glob(f"{export}_*.*"))[-1]


@pytest.mark.pipeline
def test_loads_every_export_with_manifest(small_settings):
    report = extract(small_settings, MONTH_END)
    assert {f.status for f in report.files} == {"loaded"}
    manifest = _table(small_settings, "select * from raw.load_manifest order by source_file")
    assert len(manifest) == len(report.files)
    assert manifest["sha256"].str.match(HEX64).all()
    assert (manifest["extract_date"] <= pd.Timestamp(MONTH_END)).all()
    rows = _table(small_settings, "select _source_file, count(*) n from raw.hr_workers group by 1")
    expected = dict(zip(manifest.source_file, manifest.row_count, strict=True))
    for source_file, n in zip(rows._source_file, rows.n, strict=True):
        assert expected[source_file] == n


@pytest.mark.pipeline
def test_loading_twice_changes_nothing(small_settings):
    extract(small_settings, MONTH_END)
    before = _table(small_settings, "select * from raw.hr_workers order by _source_file, _row_number")
    manifest_before = _table(small_settings, "select * from raw.load_manifest order by source_file")
    report = extract(small_settings, MONTH_END)
    assert {f.status for f in report.files} == {"unchanged"}
    after = _table(small_settings, "select * from raw.hr_workers order by _source_file, _row_number")
    pd.testing.assert_frame_equal(before, after)
    manifest_after = _table(small_settings, "select * from raw.load_manifest order by source_file")
    pd.testing.assert_frame_equal(manifest_before, manifest_after)


@pytest.mark.pipeline
def test_changed_file_replaces_its_own_rows(small_settings, small_landing):
    extract(small_settings, MONTH_END)
    path = _latest(small_landing, "hr_teams")
    if path.suffix == ".xlsx":
        frame = pd.read_excel(path, dtype=str)
        frame = frame.iloc[:-1]
        frame.to_excel(path, index=False)
    else:
        lines = path.read_text(encoding="utf-8").splitlines()
        path.write_text("\n".join(lines[:-1]) + "\n", encoding="utf-8")
    report = extract(small_settings, MONTH_END)
    statuses = {f.source_file: f.status for f in report.files}
    rel = f"hr_teams/{path.name}"
    assert statuses[rel] == "replaced"
    n = _table(small_settings, f"select count(*) n from raw.hr_teams where _source_file = '{rel}'").n[0]
    assert n == len(pd.read_excel(path)) if path.suffix == ".xlsx" else n == len(path.read_text().splitlines()) - 1


@pytest.mark.pipeline
def test_no_identity_passes_ingest(small_settings, small_landing):
    extract(small_settings, MONTH_END)
    workers = _table(small_settings, "select * from raw.hr_workers")
    assert "full_name" not in workers.columns and "date_of_birth" not in workers.columns
    assert "employee_id" not in workers.columns and "swe_registration" not in workers.columns
    for col in ("employee_key", "person_key"):
        assert workers[col].str.match(HEX64).all()
    assert set(workers["age_band"].dropna()) <= {"Under 25", "25-29", "30-39", "40-49", "50-54", "55-59", "60+"}
    raw_hr = pd.read_csv(_latest(small_landing, "hr_workers"), dtype=str)
    identifiers = set(raw_hr.employee_id) | set(raw_hr.swe_registration) | set(raw_hr.full_name)
    con = duckdb.connect(str(small_settings.warehouse_path), read_only=True)
    try:
        for table in ("hr_workers", "agency_assignments", "ssd_professionals", "ssd_involvements", "payroll_lines"):
            frame = con.execute(f"select * from raw.{table}").df().astype(str)
            found = identifiers & set(frame.stack().unique())
            assert not found, f"raw.{table} holds identifiers in clear: {sorted(found)[:3]}"
    finally:
        con.close()
    children = _table(small_settings, "select invo_child_key from raw.ssd_involvements")
    assert children.invo_child_key.str.match(HEX64).all()


@pytest.mark.pipeline
def test_missing_required_column_is_rejected_naming_file_and_column(small_settings, small_landing):
    extract(small_settings, MONTH_END)
    before = _table(small_settings, "select count(*) n from raw.hr_workers").n[0]
    path = _latest(small_landing, "agency_assignments")
    frame = pd.read_csv(path, dtype=str, keep_default_na=False).drop(columns=["fte"])
    frame.to_csv(path, index=False)
    with pytest.raises(ExtractError) as err:
        extract(small_settings, MONTH_END)
    message = str(err.value)
    assert f"agency_assignments/{path.name}" in message and "'fte'" in message
    assert "nothing was loaded" in message
    assert _table(small_settings, "select count(*) n from raw.hr_workers").n[0] == before


@pytest.mark.pipeline
def test_bad_values_are_quarantined_without_echoing_personal_data(small_settings, small_landing):
    path = _latest(small_landing, "hr_workers")
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    frame.loc[3, "fte"] = "full"
    frame.loc[5, "date_of_birth"] = "31/02/1980"
    frame.to_csv(path, index=False)
    report = extract(small_settings, MONTH_END)
    rel = f"hr_workers/{path.name}"
    load = {f.source_file: f for f in report.files}[rel]
    assert (load.rows_read, load.rows_quarantined) == (len(frame), 2)
    assert load.rows_loaded == len(frame) - 2
    q = _table(small_settings, f"select * from raw.quarantine where source_file = '{rel}' order by row_number")
    assert q[["row_number", "column_name", "rule"]].values.tolist() == [
        [4, "fte", "bad_number"], [6, "date_of_birth", "bad_date"]
    ]
    assert q.value.tolist() == ["full", "[personal data withheld]"]
    assert "31/02/1980" not in q.to_csv()
    loaded = _table(small_settings, f"select _row_number from raw.hr_workers where _source_file = '{rel}'")
    assert not {4, 6} & set(loaded._row_number)
    manifest = _table(small_settings, f"select * from raw.load_manifest where source_file = '{rel}'")
    assert manifest[["rows_read", "rows_loaded", "rows_quarantined", "row_count"]].values.tolist() == [
        [len(frame), len(frame) - 2, 2, len(frame) - 2]
    ]


@pytest.mark.pipeline
def test_a_month_without_its_own_required_extracts_stops_the_run_naming_them(small_settings, small_landing):
    """The August extracts exist, but none dated in September's window: September is not computed
    from August's files, and nothing is loaded."""
    for export in ("hr_workers", "ssd_involvements"):
        for f in (small_landing / export).glob(f"{export}_2025-09-*"):
            f.unlink()
    with pytest.raises(ExtractError) as err:
        extract(small_settings, MONTH_END)
    message = str(err.value)
    assert "required export 'hr_workers' has no extract for the month ending 2025-09-30" in message
    assert "(dated 2025-09-23 to 2025-10-14)" in message and "newest extract found is dated 2025-08-31" in message
    assert "'ssd_involvements'" in message
    assert not small_settings.warehouse_path.exists() or _table(
        small_settings, "select count(*) as n from raw.load_manifest"
    ).n.iloc[0] == 0


@pytest.mark.pipeline
def test_missing_optional_export_is_a_recorded_warning(small_settings, small_landing):
    import shutil

    shutil.rmtree(small_landing / "hr_exit_interviews")
    report = extract(small_settings, MONTH_END)
    assert any("optional export 'hr_exit_interviews' has no extract for the month" in w for w in report.warnings)


def test_missing_required_export_is_named(small_settings, small_landing):
    for f in (small_landing / "ssd_involvements").iterdir():
        f.unlink()
    with pytest.raises(ExtractError, match="required export 'ssd_involvements' has no extract for the month"):
        extract(small_settings, MONTH_END)


@pytest.mark.pipeline
def test_real_exports_need_a_real_key(small_settings, small_landing):
    from dataclasses import replace

    (small_landing / "SAMPLE_DATA.json").unlink()
    with pytest.raises(PseudonymisationKeyError, match="not set"):
        extract(small_settings, MONTH_END)
    with pytest.raises(PseudonymisationKeyError, match="demo key"):
        extract(replace(small_settings, pseudonymisation_key=DEMO_PSEUDONYMISATION_KEY), MONTH_END)
    with pytest.raises(PseudonymisationKeyError, match="too short"):
        extract(replace(small_settings, pseudonymisation_key="short"), MONTH_END)
    report = extract(replace(small_settings, pseudonymisation_key="k" * 40), MONTH_END)
    assert report.files


def test_pseudonyms_are_keyed_normalised_and_per_kind():
    a, b = Pseudonymiser(b"a" * 32), Pseudonymiser(b"b" * 32)
    assert a.pseudonym("staff", "sw 123456") == a.pseudonym("staff", "SW123456")
    assert a.pseudonym("staff", "SW123456") != b.pseudonym("staff", "SW123456")
    assert a.pseudonym("staff", "X1") != a.pseudonym("child", "X1")
    assert a.pseudonym("staff", "  ") is None
    assert "aaaa" not in repr(a)
    assert normalise_identifier(" sw\t12 34 ") == "SW1234"


@pytest.mark.parametrize(
    ("dob", "band"),
    [(date(2001, 10, 1), "Under 25"), (date(2000, 9, 30), "25-29"), (date(1965, 9, 30), "60+"), (None, None)],
)
def test_age_band_at_extract_date(dob, band):
    assert age_band(dob, date(2025, 9, 30)) == band
