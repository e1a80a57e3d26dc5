"""Audit record, validation history, Data Docs and the quarantine threshold."""

from __future__ import annotations

import hashlib
import json
from dataclasses import replace

import duckdb
import pandas as pd
import pytest
from conftest import DEFAULT_MONTH, SMALL_MONTH
from workforce import cli, pipeline
from workforce.ingest.extract import discover
from workforce.months import ReportingMonth
from workforce.quality.results import QualityGateError
from workforce.release import audit

pytestmark = pytest.mark.slow


def _sha(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest().upper()  # the record's checksums are upper-case


def test_audit_record_lists_every_file_with_its_hash_and_reconciles(published_default):
    settings, summary = published_default
    record = json.loads((settings.published_month_dir(DEFAULT_MONTH) / "audit.json").read_text(encoding="utf-8"))
    assert record["status"] == "published" and record["reporting_month"] == DEFAULT_MONTH
    assert record["run_id"].startswith(DEFAULT_MONTH) and record["code_version"]
    files, _ = discover(settings.landing_dir, ReportingMonth.parse(DEFAULT_MONTH).end)
    listed = {f["source_file"]: f for f in record["inputs"]}
    assert set(listed) == {lf.source_file for lf in files}
    for lf in files:
        entry = listed[lf.source_file]
        assert entry["sha256"] == _sha(lf.path), lf.source_file
        assert entry["extract_date"] == lf.extract_date.isoformat()
        assert entry["rows_read"] == entry["rows_loaded"] + entry["rows_quarantined"], lf.source_file
        assert entry["reconciles"]
    used = [f for f in record["inputs"] if f["used_for_month"]]
    assert {f["export_name"] for f in used} == {lf.export.name for lf in files}
    totals = record["totals"]
    assert totals["rows_read"] == totals["rows_loaded"] + totals["rows_quarantined"]
    assert totals["every_file_reconciles"] and totals["files"] == len(files)
    assert record["checks"]["total"] == len(record["checks"]["results"]) > 100
    assert record["checks"]["failed_critical"] == 0
    assert record["dbt"]["nodes"] > 0 and not [r for r in record["dbt"]["not_passing"] if r["status"] != "warn"]
    month_dir = settings.published_month_dir(DEFAULT_MONTH)
    tables = {t["table"]: t for t in record["published_tables"]}
    assert "scrutiny_workforce_monthly" in tables
    assert tables["scrutiny_workforce_monthly"]["rows"] == summary.publish.rows
    for name, table in tables.items():
        assert table["files"] == {p.name: _sha(p) for p in (month_dir / f"{name}.csv", month_dir / f"{name}.parquet")}
        assert table["content_sha256"] == audit.content_sha256(pd.read_parquet(month_dir / f"{name}.parquet"))
        assert table["rows"] == len(pd.read_parquet(month_dir / f"{name}.parquet"))


def test_audit_log_is_published_with_history_and_docs_beside_it(published_default):
    settings, _ = published_default
    record = audit.load_record(settings, ReportingMonth.parse(DEFAULT_MONTH))
    con = duckdb.connect(str(settings.published_warehouse_path), read_only=True)
    try:
        files = con.execute(
            "select item, sha256, rows_read, rows_loaded, rows_quarantined from audit_log "
            "where item_type = 'input_file' and reporting_month = ?", [DEFAULT_MONTH]
        ).fetchall()
    finally:
        con.close()
    assert {(f[0], f[1]) for f in files} == {(f["source_file"], f["sha256"]) for f in record["inputs"]}
    assert all(read == loaded + quarantined for _, _, read, loaded, quarantined in files)
    con = duckdb.connect(str(settings.warehouse_path), read_only=True)
    try:
        history = con.execute(
            "select count(*), bool_and(success or severity = 'warning') from quality.validation_history "
            "where run_id = ?", [record["run_id"]]
        ).fetchone()
        dbt = con.execute(
            "select count(*) from quality.dbt_test_results where run_id = ?", [record["run_id"]]
        ).fetchone()
    finally:
        con.close()
    assert history == (record["checks"]["total"], True)
    assert dbt[0] == record["dbt"]["nodes"]
    quality_dir = settings.quality_dir / DEFAULT_MONTH
    index = quality_dir / "data_docs" / "index.html"
    assert index.is_file() and len(list((quality_dir / "data_docs").rglob("*.html"))) > 10
    assert json.loads((quality_dir / "dbt_results.json").read_text())["run_id"] == record["run_id"]


def test_cli_prints_the_audit_record(published_default, monkeypatch, capsys):
    settings, _ = published_default
    monkeypatch.setenv("WORKFORCE_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("WORKFORCE_LANDING_DIR", str(settings.landing_dir))
    assert cli.main(["audit", "--month", DEFAULT_MONTH]) == 0
    out = capsys.readouterr().out
    assert f"reporting month {DEFAULT_MONTH} (published)" in out
    assert "hr_workers/hr_workers_2026-09-30.csv" in out and "reconciled" in out
    assert cli.main(["audit", "--month", "2001-01"]) == 1
    assert "no audit record for 2001-01" in capsys.readouterr().err


def test_quarantine_over_threshold_fails_validate_and_publishes_nothing(small_settings, small_landing):
    path = sorted((small_landing / "hr_workers").glob("hr_workers_*.csv"))[-1]
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    bad = max(3, len(frame) // 20)  # about 5% of the rows
    frame.loc[: bad - 1, "ethnicity"] = "MARTIAN"
    frame.to_csv(path, index=False)
    pipeline.step_extract(SMALL_MONTH, small_settings, lambda _m: None)
    pipeline.step_transform(SMALL_MONTH, small_settings, lambda _m: None)
    with pytest.raises(QualityGateError) as err:
        pipeline.step_validate(SMALL_MONTH, small_settings, lambda _m: None)
    message = str(err.value)
    assert "raw_hr_workers" in message and "quarantine_within_threshold" in message
    assert f"{bad} of {len(frame)} rows quarantined" in message and "unknown_code on ethnicity" in message
    assert not small_settings.published_month_dir(SMALL_MONTH).exists()
    results = json.loads((small_settings.quality_dir / SMALL_MONTH / "validation_results.json").read_text())
    assert any(r["expectation"] == "quarantine_within_threshold" and not r["success"] for r in results)

    lenient = replace(small_settings, quarantine_max_pct=10)
    pipeline.step_validate(SMALL_MONTH, lenient, lambda _m: None)
    pipeline.step_publish(SMALL_MONTH, lenient, lambda _m: None)
    record = audit.load_record(lenient, ReportingMonth.parse(SMALL_MONTH))
    entry = {f["source_file"]: f for f in record["inputs"]}[f"hr_workers/{path.name}"]
    assert (entry["rows_read"], entry["rows_quarantined"]) == (len(frame), bad)
    assert entry["quarantine"] == [{"rule": "unknown_code", "column": "ethnicity", "rows": bad}]
