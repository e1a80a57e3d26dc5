"""The audit record of a published month: from every published figure back to its source files.

One JSON document per reporting month answers, without reading code: which files fed the
month (name, extract date, SHA-256, rows read / loaded / quarantined, and why rows were set
aside), what was checked (every GX check and dbt node, with its outcome), what was published
(row counts and checksums), under which run id and code version.

- The release stage (the validate step, ``release.stage``) writes the draft
  (``quality/<month>/audit.json`` and a staged copy, status ``validated``) once the month's rows
  are staged; it reads the warehouse (short read-only connection).
- The publish step never opens the warehouse: ``finalise`` takes the staged draft, checks it
  describes exactly the staged rows, adds the published files' checksums and writes
  ``audit.json`` (status ``published``) next to the month's files, in the folder publish swaps
  in as ``published/<month>/``; publish then updates the draft's copy. ``add_audit_log`` turns
  every published month's record into the BI table ``audit_log``.
- ``workforce audit --month YYYY-MM`` prints it (``format_record``).

Reconciliation: for every input file ``rows_read == rows_loaded + rows_quarantined``.

Checksums are SHA-256 in upper-case hex (compare case-insensitively: ``sha256sum`` prints
lower-case). Pseudonyms are lower-case hex of the same length, and published outputs must hold
nothing shaped like one, so the record never shows a pseudonym: any in a check's observed
value is replaced by ``<pseudonym>``.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import subprocess
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from workforce.config import PROJECT_ROOT, Settings
from workforce.files import write_json
from workforce.months import ReportingMonth, month_folders

log = logging.getLogger(__name__)

AUDIT_FILE = "audit.json"
AUDIT_VERSION = 1
_PSEUDONYM = re.compile(r"\b[0-9a-f]{64}\b")


class AuditError(RuntimeError):
    """The audit record is missing or does not match the data it describes."""


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def now() -> str:
    """The time as the audit record writes it (UTC, ISO 8601, seconds)."""
    return _now()


def new_run_id(month: ReportingMonth) -> str:
    return f"{month.label}_{datetime.now(UTC):%Y%m%dT%H%M%S%fZ}"


def code_version() -> str:
    """``WORKFORCE_CODE_VERSION`` (set at image build), else the git commit, else 'unknown'."""
    version = os.environ.get("WORKFORCE_CODE_VERSION", "").strip()
    if version:
        return version
    try:
        done = subprocess.run(
            ["git", "-C", str(PROJECT_ROOT), "describe", "--always", "--dirty", "--abbrev=12"],
            capture_output=True, text=True, timeout=5, check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return done.stdout.strip() if done.returncode == 0 and done.stdout.strip() else "unknown"


def content_sha256(frame) -> str:
    """Checksum of a table's content (its CSV rendering, rows in order), independent of file format."""
    text = frame.to_csv(index=False, date_format="%Y-%m-%d", lineterminator="\n")
    return hashlib.sha256(text.encode()).hexdigest().upper()


def file_sha256(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest().upper()


def _scrub(value):
    return _PSEUDONYM.sub("<pseudonym>", value) if isinstance(value, str) else value


def draft_path(settings: Settings, month: ReportingMonth) -> Path:
    return settings.quality_dir / month.label / AUDIT_FILE


def published_audit_path(settings: Settings, month: ReportingMonth) -> Path:
    return settings.published_month_dir(month.label) / AUDIT_FILE


# Inputs (validate step: reads the warehouse) ---------------------------------------------------
def _own(column: str, source_column: str | None) -> dict:
    """``source_column``: the council's own column, when a mapping profile reads the contract
    column from one of another name ('' when only the profile's default gives it)."""
    return {"source_column": source_column} if source_column is not None and source_column.lower() != column.lower() \
        else {}


def _column_text(entry: dict) -> str:
    from workforce.ingest.profile import column_text

    return column_text(entry["column"], entry.get("source_column"))



def collect_inputs(settings: Settings, month_end, serving: dict[str, dict] | None = None) -> list[dict]:
    """Every loaded file the month's run could read (dated up to the end of its window), with its
    row accounting and quarantine; ``used_for_month`` marks the extracts that served the month
    (from the month's capture; without one, the latest dated up to the month end)."""
    from workforce.ingest.readiness import window
    from workforce.warehouse import connect

    _first, last = window(settings, month_end)
    for entry in (serving or {}).values():  # a backcast month is served by extracts after its window
        last = max(last, date.fromisoformat(entry["extract_date"]))
    with connect(settings, read_only=True) as con:
        files = con.execute(
            """select source_file, export_name, extract_date, sha256,
                      coalesce(rows_read, row_count) as rows_read, coalesce(rows_loaded, row_count) as rows_loaded,
                      coalesce(rows_quarantined, 0) as rows_quarantined, extra_columns
               from raw.load_manifest where extract_date <= ? order by export_name, extract_date, source_file""",
            [last],
        ).fetchall()
        rules = con.execute(
            """select source_file, rule, column_name, count(*), any_value(source_column) from raw.quarantine
               where extract_date <= ? group by source_file, rule, column_name order by 1, 4 desc, 2, 3""",
            [last],
        ).fetchall()
        has_withheld = con.execute(
            "select count(*) from duckdb_tables() where schema_name = 'raw' and table_name = 'withheld_values'"
        ).fetchone()[0]
        withheld = con.execute(
            """select source_file, rule, column_name, count(*), any_value(source_column) from raw.withheld_values
               where extract_date <= ? group by source_file, rule, column_name order by 1, 4 desc, 2, 3""",
            [last],
        ).fetchall() if has_withheld else []
    if serving is not None:
        used = {f["source_file"] for entry in serving.values() for f in entry["files"]}
    else:
        latest: dict[str, Any] = {}
        for f in files:
            if f[2] <= month_end:
                latest[f[1]] = max(latest.get(f[1], f[2]), f[2])
        used = {f[0] for f in files if latest.get(f[1]) == f[2]}
    by_file: dict[str, list[dict]] = {}
    for source_file, rule, column, n, own in rules:
        by_file.setdefault(source_file, []).append({"rule": rule, "column": column, "rows": n, **_own(column, own)})
    withheld_by_file: dict[str, list[dict]] = {}
    for source_file, rule, column, n, own in withheld:
        withheld_by_file.setdefault(source_file, []).append(
            {"rule": rule, "column": column, "rows": n, **_own(column, own)})
    out = []
    for source_file, export_name, extract_date, sha, read, loaded, quarantined, extra in files:
        out.append({
            "source_file": source_file,
            "export_name": export_name,
            "extract_date": extract_date.isoformat(),
            "sha256": sha.upper(),
            "rows_read": int(read),
            "rows_loaded": int(loaded),
            "rows_quarantined": int(quarantined),
            "reconciles": int(read) == int(loaded) + int(quarantined),
            "used_for_month": source_file in used,
            "extra_columns": extra.split(",") if extra else [],
            "quarantine": by_file.get(source_file, []),
            # identity-shaped label or free-text values replaced at ingest (raw.withheld_values)
            "withheld": withheld_by_file.get(source_file, []),
        })
    return out


def _dbt_summary(dbt_rows: list[dict]) -> dict:
    by_status: dict[str, int] = {}
    for r in dbt_rows:
        by_status[str(r.get("status"))] = by_status.get(str(r.get("status")), 0) + 1
    return {
        "nodes": len(dbt_rows),
        "by_status": dict(sorted(by_status.items())),
        "not_passing": [
            {k: _scrub(r.get(k)) for k in ("unique_id", "status", "failures", "message")}
            for r in dbt_rows
            if r.get("status") not in ("success", "pass")
        ],
    }


def write_draft(
    settings: Settings,
    month: ReportingMonth,
    run_id: str,
    check_rows: list[dict],
    dbt_rows: list[dict],
    staged: dict[str, Path],
    staged_record: Path,
    capture: dict | None = None,
) -> dict:
    """The validate step's record: inputs, checks, and the staged tables' content checksums.

    Written to ``staged_record`` (beside the staged tables, for publish) and to the draft path.
    """
    import pandas as pd

    extract_report = settings.quality_dir / month.label / "extract_report.json"
    extract_info = json.loads(extract_report.read_text(encoding="utf-8")) if extract_report.is_file() else {}
    inputs = collect_inputs(settings, month.end, (capture or {}).get("serving"))
    tables = []
    for name, path in staged.items():
        frame = pd.read_parquet(path)
        tables.append({"table": name, "rows": len(frame), "content_sha256": content_sha256(frame), "files": {}})
    record = {
        "audit_version": AUDIT_VERSION,
        "status": "validated",
        "run_id": run_id,
        "reporting_month": month.label,
        "month_end": month.end.isoformat(),
        "code_version": code_version(),
        "validated_at": _now(),
        "published_at": None,
        "inputs": inputs,
        "totals": {
            "files": len(inputs),
            "rows_read": sum(f["rows_read"] for f in inputs),
            "rows_loaded": sum(f["rows_loaded"] for f in inputs),
            "rows_quarantined": sum(f["rows_quarantined"] for f in inputs),
            "every_file_reconciles": all(f["reconciles"] for f in inputs),
        },
        "freshness_warnings": extract_info.get("warnings", []),
        "ignored_landing_files": extract_info.get("ignored", []),
        "checks": {
            "total": len(check_rows),
            "failed_critical": sum(1 for r in check_rows if not r["success"] and r["severity"] == "critical"),
            "failed_warning": sum(1 for r in check_rows if not r["success"] and r["severity"] == "warning"),
            "results": [{k: _scrub(r.get(k)) for k in ("suite", "data_name", "expectation", "column", "severity",
                                                        "success", "observed")} for r in check_rows],
        },
        "dbt": _dbt_summary(dbt_rows),
        # What built the figures: the month's own dbt build, captured in the same task.
        "built_by": {
            "dbt_invocation_id": ((capture or {}).get("dbt") or {}).get("invocation_id"),
            "dbt_generated_at": ((capture or {}).get("dbt") or {}).get("generated_at"),
            "captured_at": (capture or {}).get("captured_at"),
            "extract_window": (capture or {}).get("window"),
            # a trend month before the council's first extract: computed from each export's earliest
            # extract after its window (ingest.readiness); derived_from: the build it was taken from
            "backcast": bool((capture or {}).get("backcast")),
            "derived_from": (capture or {}).get("derived_from"),
            # What the figures are computed from, as one digest (workforce.rerun): serving extracts,
            # settings, code. The same inputs give the same digest, on any run.
            "inputs_fingerprint": ((capture or {}).get("fingerprint") or {}).get("digest"),
            "serving_extracts": {
                export: [f["source_file"] for f in entry["files"]]
                for export, entry in sorted(((capture or {}).get("serving") or {}).items())
            },
        },
        "quality_outputs": {
            "validation_results": f"quality/{month.label}/validation_results.json",
            "dbt_results": f"quality/{month.label}/dbt_results.json",
            "data_docs": f"quality/{month.label}/data_docs/index.html",
            "history_tables": ["quality.validation_history", "quality.dbt_test_results", "raw.quarantine"],
        },
        "published_tables": tables,
        "revisions": next((t["rows"] for t in tables if t["table"] == "scrutiny_revisions"), 0),
    }
    write_json(staged_record, record)
    write_json(draft_path(settings, month), record)
    return record


# Publish step: no warehouse -------------------------------------------------------------------
def finalise(
    settings: Settings, month: ReportingMonth, table_names: list[str], staged_record: Path, folder: Path | None = None
) -> dict:
    """Check the staged record matches the month's files in ``folder`` (default
    ``published/<month>/``), add their checksums, write it beside them as ``audit.json``; returns it.
    The copy under ``quality/<month>/`` is the caller's to update, once the folder is published."""
    import pandas as pd

    if not staged_record.is_file():
        raise AuditError(f"no audit record staged for {month} ({staged_record}): run the validate step first")
    record = json.loads(staged_record.read_text(encoding="utf-8"))
    month_dir = settings.published_month_dir(month.label) if folder is None else Path(folder)
    by_table = {t["table"]: t for t in record.get("published_tables", [])}
    for name in table_names:
        entry = by_table.get(name)
        frame = pd.read_parquet(month_dir / f"{name}.parquet")
        if entry is None or entry["content_sha256"] != content_sha256(frame):
            raise AuditError(
                f"the staged audit record for {month} does not describe the published {name} rows "
                "(was validate interrupted?): rerun the validate step"
            )
        entry["files"] = {
            p.name: file_sha256(p) for p in sorted(month_dir.glob(f"{name}.*")) if p.suffix in (".csv", ".parquet")
        }
    record["status"] = "published"
    record["published_at"] = _now()
    write_json(month_dir / AUDIT_FILE, record)
    return record


AUDIT_LOG_COLUMNS = (
    "reporting_month", "run_id", "code_version", "validated_at", "published_at", "item_type", "item",
    "export_name", "extract_date", "sha256", "rows_read", "rows_loaded", "rows_quarantined", "outcome", "detail",
)


def audit_log_rows(record: dict) -> list[dict]:
    """The record flattened: one row per input file, check, dbt summary and published table."""
    base = {k: record.get(k) for k in ("reporting_month", "run_id", "code_version", "validated_at", "published_at")}
    rows = []

    def add(**values):
        rows.append({**{c: None for c in AUDIT_LOG_COLUMNS}, **base, **values})

    for f in record.get("inputs", []):
        add(item_type="input_file", item=f["source_file"], export_name=f["export_name"],
            extract_date=f["extract_date"], sha256=f["sha256"], rows_read=f["rows_read"],
            rows_loaded=f["rows_loaded"], rows_quarantined=f["rows_quarantined"],
            outcome=("used" if f["used_for_month"] else "history") + ("" if f["reconciles"] else ", NOT RECONCILED"),
            detail="; ".join([f"{q['rule']} on {_column_text(q)} x{q['rows']}" for q in f.get("quarantine", [])]
                             + [f"withheld {_column_text(w)} x{w['rows']}" for w in f.get("withheld", [])]) or None)
    for c in record.get("checks", {}).get("results", []):
        add(item_type="check", item=f"{c['suite']}: {c['expectation']}" + (f" [{c['column']}]" if c["column"] else ""),
            outcome="passed" if c["success"] else f"failed ({c['severity']})", detail=c["observed"])
    dbt = record.get("dbt", {})
    add(item_type="dbt", item="dbt build", outcome=json.dumps(dbt.get("by_status", {})),
        detail="; ".join(f"{r['unique_id']}: {r['status']}" for r in dbt.get("not_passing", [])) or None)
    for t in record.get("published_tables", []):
        add(item_type="published_table", item=t["table"], rows_loaded=t["rows"], sha256=t["content_sha256"],
            outcome=record.get("status"), detail=json.dumps(t.get("files", {}), sort_keys=True))
    for w in record.get("freshness_warnings", []):
        add(item_type="freshness_warning", item=w, outcome="warning")
    return rows


def add_audit_log(con, published_dir: Path, schema: str = "pub.main") -> int:
    """Create ``<schema>.audit_log`` from every ``published/<month>/audit.json`` (month folders
    only, never a temporary one); returns its row count."""
    import pandas as pd

    rows = []
    for path in (folder / AUDIT_FILE for folder in month_folders(Path(published_dir))):
        if path.is_file():
            rows.extend(audit_log_rows(json.loads(path.read_text(encoding="utf-8"))))
    frame = pd.DataFrame(rows, columns=list(AUDIT_LOG_COLUMNS))
    for column in ("rows_read", "rows_loaded", "rows_quarantined"):
        frame[column] = pd.to_numeric(frame[column]).astype("Int64")
    for column in AUDIT_LOG_COLUMNS:
        if column not in ("rows_read", "rows_loaded", "rows_quarantined"):
            frame[column] = frame[column].astype("string")
    con.register("audit_log_rows", frame)
    try:
        con.execute(
            f"CREATE TABLE {schema}.audit_log AS SELECT * REPLACE (CAST(extract_date AS DATE) AS extract_date) "
            "FROM audit_log_rows ORDER BY reporting_month, item_type, item"
        )
    finally:
        con.unregister("audit_log_rows")
    return len(frame)


# Reading it back --------------------------------------------------------------------------------
def load_record(settings: Settings, month: ReportingMonth) -> dict:
    """The published record of ``month``, else the validated draft; ``AuditError`` if neither."""
    for path in (published_audit_path(settings, month), draft_path(settings, month)):
        if path.is_file():
            return json.loads(path.read_text(encoding="utf-8"))
    raise AuditError(
        f"no audit record for {month}: nothing validated or published for it under {settings.data_dir}"
    )


def format_record(record: dict) -> str:
    """The record as plain text for ``workforce audit``."""
    lines = [
        f"Audit record: reporting month {record['reporting_month']} ({record['status']})",
        f"  run id:        {record['run_id']}",
        f"  code version:  {record['code_version']}",
        f"  validated at:  {record['validated_at']}",
        f"  published at:  {record.get('published_at') or '-'}",
        "",
        "Input files (rows read = loaded + quarantined):",
    ]
    for f in record["inputs"]:
        mark = "*" if f["used_for_month"] else " "
        ok = "" if f["reconciles"] else "  NOT RECONCILED"
        lines.append(
            f" {mark} {f['source_file']:<55} {f['extract_date']}  sha256 {f['sha256']}  "
            f"read {f['rows_read']}, loaded {f['rows_loaded']}, quarantined {f['rows_quarantined']}{ok}"
        )
        for q in f.get("quarantine", []):
            lines.append(f"      quarantined: {q['rule']} on {_column_text(q)}: {q['rows']} record(s)")
        for w in f.get("withheld", []):
            lines.append(f"      withheld:    {w['rule']} on {_column_text(w)}: {w['rows']} value(s) replaced")
    t = record["totals"]
    lines += [
        "  (* = the extract used for the month; the others are earlier extracts kept as history)",
        f"  totals: {t['files']} files, read {t['rows_read']} = loaded {t['rows_loaded']} + quarantined "
        f"{t['rows_quarantined']}: {'reconciled' if t['every_file_reconciles'] else 'NOT RECONCILED'}",
        "",
    ]
    for w in record.get("freshness_warnings", []):
        lines.append(f"Readiness warning: {w}")
    checks = record["checks"]
    lines.append(
        f"Checks: {checks['total']} GX checks, {checks['failed_critical']} critical failed, "
        f"{checks['failed_warning']} warnings"
    )
    for c in checks["results"]:
        if not c["success"]:
            col = f" [{c['column']}]" if c["column"] else ""
            lines.append(f"  {c['severity']:<8} {c['suite']}: {c['expectation']}{col}: {c['observed']}")
    dbt = record["dbt"]
    lines.append(f"dbt build: {dbt['nodes']} nodes " + ", ".join(f"{k} {v}" for k, v in dbt["by_status"].items()))
    built = record.get("built_by") or {}
    if built.get("dbt_invocation_id"):
        lines.append(
            f"  built by dbt invocation {built['dbt_invocation_id']} at {built.get('dbt_generated_at')}, captured "
            f"{built.get('captured_at')}; extracts dated {' to '.join(built.get('extract_window') or [])} could serve"
            + (f"; inputs fingerprint {built['inputs_fingerprint']}" if built.get("inputs_fingerprint") else "")
        )
    if built.get("backcast"):
        lines.append("  a backcast: the month precedes the council's first extract, so it is computed from "
                     "each export's earliest extract after its window (marked * above)")
    if built.get("derived_from"):
        source = built["derived_from"].get("month")
        lines.append(f"  rows taken from the build of {source} (served by the same extracts)")
    if record.get("revisions"):
        lines.append(f"Revisions: {record['revisions']} figure(s) of earlier months differ from their first "
                     "publication (table scrutiny_revisions)")
    for r in dbt["not_passing"]:
        lines.append(f"  {r['unique_id']}: {r['status']}")
    lines += ["", "Published tables:"]
    for tbl in record["published_tables"]:
        lines.append(f"  {tbl['table']}: {tbl['rows']} rows, content sha256 {tbl['content_sha256']}")
        for name, sha in tbl.get("files", {}).items():
            lines.append(f"    {name}: sha256 {sha}")
    q = record.get("quality_outputs", {})
    if q:
        lines += ["", f"Data Docs: $WORKFORCE_DATA_DIR/{q['data_docs']}"]
    return "\n".join(lines)
