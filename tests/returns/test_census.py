"""The census return, readiness report and agency return produced from a pipeline's warehouse:
the hand-built tiny council and the small sample. Reconciled with the published 30 September
figures; personal identifiers shown to be in the return and nowhere else."""

from __future__ import annotations

import csv
import io
import json
import logging
import re
import stat
from datetime import date
from pathlib import Path

import duckdb
import pandas as pd
import pytest
import tiny_council
from conftest import SMALL_MONTH, copy_data, settings_for
from lxml import etree
from tiny_council import TINY_KEY

# the tiny council's fixtures (tests/returns/tiny_council.py), used by this module's tests
tiny_published_cache = tiny_council.tiny_published_cache
tiny_published = tiny_council.tiny_published

pytestmark = pytest.mark.pipeline

FIGURES = ("inpost_fte", "inpost_headcount", "starters_fte", "starters_headcount", "leavers_fte",
           "leavers_headcount", "agency_fte", "agency_headcount", "vacancy_fte")


def _answered(tmp_path: Path, **settings_env) -> Path:
    """A returns settings file with every council-level incentive answered."""
    from workforce.returns.years import INCENTIVES

    path = tmp_path / "returns.yml"
    lines = ["software_code: test", "incentives:"] + [f"  {name}: {n % 3}" for n, name in enumerate(INCENTIVES)]
    lines += ["region: South West", "price_caps:", "  South West:", "    social worker: 50.0"]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _with(settings, **env):
    return settings_for(settings.data_dir, settings.landing_dir, **env)


def _published_row(settings, month_end: str) -> pd.Series:
    frame = pd.read_parquet(settings.published_dir / month_end[:7] / "scrutiny_workforce_monthly.parquet")
    frame["month_end"] = frame["month_end"].astype(str)
    return frame[(frame.month_end == month_end) & (frame.service_area == "All")].iloc[0]


def _reconcile(settings, xml: bytes, reference: date) -> None:
    from workforce.returns.message import aggregates, parse_message
    from workforce.returns.records import year_start
    from workforce.spec.catalogue import TABLE, table

    decimals = {c.name: c.decimals for c in table(TABLE).columns}
    row = _published_row(settings, reference.isoformat())
    figures = aggregates(parse_message(xml), year_start(reference), reference)
    for name in FIGURES:
        assert round(figures[name], decimals.get(name) or 0) == pytest.approx(float(row[name])), name
    assert figures["agency_fte_block"] == pytest.approx(round(figures["agency_fte"], 2))
    assert figures["agency_headcount_block"] == figures["agency_headcount"]


def test_tiny_council_return_validates_and_reconciles(tiny_published, tmp_path):
    from workforce.returns.census import produce_census

    settings = _with(tiny_published, WORKFORCE_PSEUDONYMISATION_KEY=TINY_KEY,
                     WORKFORCE_RETURNS_FILE=str(_answered(tmp_path)))
    report = produce_census(settings, 2025, progress=lambda _m: None)
    assert report.issues == [], [i.line() for i in report.issues]
    xml = report.xml_path.read_bytes()
    _reconcile(settings, xml, date(2025, 9, 30))
    root = etree.fromstring(xml)
    workers = root.findall("CSWWWorker")
    assert [w.findtext("AgencyWorker") for w in workers] == ["0"] * 5 + ["1"] * 2  # LA-employed first
    by_swe = {(w.findtext("AgencyWorker"), w.findtext("SWENo")): w for w in workers}
    assert len(workers) == 7  # five LA-employed people (two posts are one record), two agency workers engaged
    two_posts = by_swe[("0", "SW100004")]
    assert two_posts.findtext("FTE30") == "0.900000" and two_posts.findtext("OrgRole") == "4"
    assert two_posts.findtext("Absat30Sept") == "1" and two_posts.findtext("ReasonAbsence") == "MAT"
    assert by_swe[("0", "SW100001")].findtext("WorkingDaysLost") == "5.00"
    assert by_swe[("0", "SW100001")].findtext("PersonBirthDate") == "1980-04-12"
    leaver = by_swe[("0", "SW100003")]
    assert (leaver.findtext("RoleEndDate"), leaver.findtext("ReasonLeave"), leaver.findtext("FTE30")) == \
        ("2025-06-30", "1", None)
    both = by_swe[("0", "SW100005")]
    assert both.findtext("StartOrigin") == "5" and both.findtext("RoleEndDate") == "2025-05-31"
    assert ("1", "SW100003") in by_swe and ("1", "SW200002") not in by_swe  # ended before 30 September
    assert root.findtext("LALevelVacancies/NumberOfVacancies") == "3.30"
    assert root.findtext("LALevelVacancies/RetentionBonus") == "1"
    assert "hr_workers.qual_level" in " ".join(report.gaps)  # the tiny council's HR does not send it


def test_tiny_council_agency_return(tiny_published, tmp_path):
    from workforce.returns.agency import produce_agency_return

    settings = _with(tiny_published, WORKFORCE_PSEUDONYMISATION_KEY=TINY_KEY,
                     WORKFORCE_RETURNS_FILE=str(_answered(tmp_path)))
    result = produce_agency_return(settings, "2025-Q3", progress=lambda _m: None)
    rows = result.rows.set_index("assignment_id")
    assert list(rows.index) == ["A1", "A3", "A2"]  # every assignment engaged in the quarter, by start
    assert rows.loc["A2", "reengaged_within_3_months"] == "Y" and rows.loc["A2", "left_permanent_post_on"] == \
        "2025-06-30"
    assert rows.loc["A1", "reengaged_within_3_months"] == "N"
    assert rows.loc["A1", "within_price_cap"] == "Y" and rows.loc["A2", "within_price_cap"] == "N"  # cap 50
    assert rows.loc["A3", "role_category"] == "team manager" and rows.loc["A3", "within_price_cap"] == \
        "no cap configured"
    assert rows.loc["A3", "engaged_at_quarter_end"] == "N"
    summary = result.to_dict()
    row = _published_row(settings, "2025-09-30")
    assert summary["fte_at_quarter_end"] == pytest.approx(float(row["agency_fte"]))
    assert summary["headcount_at_quarter_end"] == int(row["agency_headcount"])
    for path in result.files:
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        assert settings.restricted_dir in path.parents and settings.published_dir not in path.parents


def test_xlsx_and_csv_text_cannot_start_a_formula():
    from openpyxl import load_workbook
    from workforce.returns.agency import COLUMNS, COST_COLUMNS, _xlsx

    rows = pd.DataFrame([{c: "" for c in COLUMNS} | {"agency_name": "=HYPERLINK(\"x\")", "fte": 1.0}])
    book = load_workbook(io.BytesIO(_xlsx(rows, pd.DataFrame(columns=list(COST_COLUMNS)))))
    sheet = book["assignments"]
    header = [c.value for c in sheet[1]]
    assert sheet.cell(2, header.index("agency_name") + 1).value == "'=HYPERLINK(\"x\")"
    assert "notes" in book.sheetnames


def test_small_sample_return_readiness_and_identities(small_published, tmp_path, caplog, capsys):
    """The sample council's 2025 return validates and reconciles; every SWE number and date of
    birth of the people in it is in the XML, and none is in published/, quality/, the BI file,
    the warehouse, the readiness report or anything logged or printed."""
    from workforce.returns.census import produce_census

    settings = copy_data(small_published, tmp_path, WORKFORCE_RETURNS_FILE=str(_answered(tmp_path)))
    lines: list[str] = []
    with caplog.at_level(logging.DEBUG):
        report = produce_census(settings, 2025, progress=lines.append)
    assert report.errors == 0 and report.issues == [], [i.line() for i in report.issues[:10]]
    xml = report.xml_path.read_bytes()
    _reconcile(settings, xml, date(2025, 9, 30))

    # the identities: read here from the landing file, found in the return
    landing = next((settings.landing_dir / "hr_workers").glob(f"hr_workers_{SMALL_MONTH}-30.csv"))
    with landing.open(encoding="utf-8") as fh:
        people = {(r["swe_registration"], r["date_of_birth"]) for r in csv.DictReader(fh)}
    text = xml.decode()
    in_return = {(swe, dob) for swe, dob in people if f"<SWENo>{swe}</SWENo>" in text}
    assert len(in_return) > 50
    assert all(f"<PersonBirthDate>{dob}</PersonBirthDate>" in text for _swe, dob in in_return)
    swes = {swe for swe, _ in in_return}
    dobs = {dob for _, dob in in_return if date.fromisoformat(dob).day not in (28, 29, 30, 31)}

    # ... and nowhere else
    outputs: dict[str, str] = {"progress": "\n".join(lines), "log": caplog.text,
                               "console": "".join(capsys.readouterr()),
                               "xcom": json.dumps(report.to_dict())}  # what the census DAG's task returns
    for folder in (settings.published_dir, settings.quality_dir, settings.data_dir / "staged"):
        for path in (p for p in folder.rglob("*") if p.is_file()):
            if path.suffix == ".parquet":
                outputs[str(path)] = pd.read_parquet(path).astype(str).to_csv(index=False)
            elif path.suffix != ".duckdb":
                outputs[str(path)] = path.read_bytes().decode("utf-8", "replace")
    readiness = settings.restricted_dir / "readiness" / SMALL_MONTH
    for path in readiness.iterdir():
        outputs[str(path)] = path.read_text(encoding="utf-8")
    for db in (settings.published_warehouse_path, settings.warehouse_path):
        con = duckdb.connect(str(db), read_only=True)
        try:
            for schema, name in con.execute("select schema_name, table_name from duckdb_tables()").fetchall():
                frame = con.execute(f'select * from "{schema}"."{name}"').df()
                outputs[f"{db.name}:{schema}.{name}"] = frame.astype(str).to_csv(index=False)
        finally:
            con.close()
    assert any("published" in k for k in outputs) and any("workforce.duckdb:raw.hr_workers" in k for k in outputs)
    leaks = sorted({where for where, body in outputs.items() for swe in swes if swe in body})
    assert leaks == []
    date_leaks = sorted({where for where, body in outputs.items() if "workforce.duckdb:" not in where
                         and any(dob in body for dob in dobs)})
    assert date_leaks == []

    # restricted, owner only, recorded in the audit trail with the files' hashes and no identity
    for path in report.xml_path.parent.iterdir():
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
    for folder in (settings.restricted_dir, report.xml_path.parent):
        assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    trail = json.loads((settings.quality_dir / "returns" / "audit.json").read_text())
    census = [e for e in trail if e["kind"] == "csww_census"][-1]
    from workforce.files import sha256_file

    assert census["files"][str(report.xml_path.relative_to(settings.data_dir))] == sha256_file(report.xml_path).upper()
    assert census["workers"] == report.workers and census["period"] == "2025"


def test_the_monthly_run_writes_a_restricted_readiness_report_and_its_counts(small_published):
    """small_published ran the whole month: validate wrote the readiness report (restricted)
    and its counts, without identities, into validation_results.json."""
    folder = small_published.restricted_dir / "readiness" / SMALL_MONTH
    report = json.loads((folder / "census_readiness.json").read_text())
    assert report["year"] == 2025 and report["as_if_reference_date"] == "2025-09-30"
    assert stat.S_IMODE((folder / "census_readiness.json").stat().st_mode) == 0o600
    rows = json.loads((small_published.quality_dir / SMALL_MONTH / "validation_results.json").read_text())
    ours = [r for r in rows if r["suite"] == "census_readiness"]
    assert {r["severity"] for r in ours} == {"warning"}
    overall = next(r for r in ours if r["expectation"] == "census_return_has_no_errors")
    assert f"{report['workers']} worker records, {report['errors']} error(s)" in overall["observed"]
    by_rule = {r["expectation"]: r["observed"] for r in ours}
    for severity in report["by_rule"].values():
        for rule, n in severity.items():
            assert by_rule[f"census_rule_{rule}"].startswith(f"{n} issue(s)")
    assert not re.search(r"[A-Z]{2}\d{4,}|[0-9a-f]{12}", json.dumps(ours))  # no SWE number, no pseudonym


def test_cli_validates_a_file_and_writes_the_return(small_published, tmp_path, capsys, monkeypatch):
    from workforce.cli import main

    settings = copy_data(small_published, tmp_path)
    for name, value in (("WORKFORCE_DATA_DIR", settings.data_dir), ("WORKFORCE_LANDING_DIR", settings.landing_dir),
                        ("WORKFORCE_HISTORY_MONTHS", "36")):
        monkeypatch.setenv(name, str(value))
    monkeypatch.delenv("WORKFORCE_PSEUDONYMISATION_KEY", raising=False)
    assert main(["census", "--year", "2025"]) == 0  # queries (incentives not answered), no errors
    xml = next((settings.restricted_dir / "census" / "2025").glob("*.xml"))
    broken = tmp_path / "broken.xml"
    broken.write_bytes(xml.read_bytes().replace(b"<FTE>1.000000</FTE>", b"<FTE>1.2</FTE>", 1))
    capsys.readouterr()
    assert main(["census", "validate", str(broken)]) == 1
    out = capsys.readouterr().out
    assert "ERROR fte_range: worker row" in out and "FTE must be between 0 and 1 (value '1.2')" in out
    assert main(["agency-return", "--quarter", "2025-Q3"]) == 0
    assert (settings.restricted_dir / "agency_return" / "2025-Q3" / "agency_return_2025-Q3.xlsx").is_file()


@pytest.mark.slow
def test_default_sample_census_2026_validates_and_reconciles(published_default, tmp_path):
    """The default sample's last 30 September is 2026 (its extracts end 2026-09): that year's return,
    in the 2025 shape, validates and equals the published figures. Prints the step's run time."""
    from workforce.returns.census import produce_census

    settings = copy_data(published_default[0], tmp_path, WORKFORCE_HISTORY_MONTHS="96",
                         WORKFORCE_RETURNS_FILE=str(_answered(tmp_path)))
    report = produce_census(settings, 2026, progress=lambda _m: None)
    assert report.shape_year == 2026 and "2025 shape is used" in report.note
    assert report.errors == 0, [i.line() for i in report.issues if i.severity == "error"][:10]
    _reconcile(settings, report.xml_path.read_bytes(), date(2026, 9, 30))
    print(f"\ncensus step on the default sample: {report.workers} records in {report.seconds:.2f}s")
