"""The month's capture: what the transform step built for one reporting month, kept apart.

The marts in the warehouse are shared state: the next month's ``dbt build`` replaces them. So the
transform task, while it still holds the warehouse (``workforce.locking``), copies out everything
the later steps of the month need, and those steps read only this copy:

``<data>/model/<YYYY-MM>/``
    ``<table>.parquet``
        every published mart's rows for the month (monthly tables) or whole (the others), with
        each column's warehouse type (``frames``), projected to the catalogued columns;
    ``<table>.trailing.parquet``
        a monthly table's rows for the ``WORKFORCE_TREND_MONTHS - 1`` month-ends before the month,
        as this build computes them (from the month's own extracts): the current value of each
        earlier trend month's figures, compared with their first publication (``release.revisions``);
    ``run_results.json``
        the month's dbt results (dbt's own file, copied);
    ``capture.json``
        what built the figures: the dbt invocation (id, time), and per export the extract that
        served the month (file, extract date, SHA-256, rows) and the window it was chosen from;
        the fingerprint of the month's inputs (``rerun``) and the SHA-256 of every file above;
        ``backcast`` (``ingest.readiness``) and, for a trend month taken from a later month's
        build (``derive_capture``), ``derived_from``. Written last.

The folder is written whole and swapped in (``files.replace_directory``), so a crash leaves the
previous capture or the new one, never a mix. However the scheduler interleaves months, retries
or reruns them, a month's validate and publish see exactly what that month's transform built. A
rerun with nothing new keeps the capture (``rerun.check_capture``) instead of building it again.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from workforce.config import Settings
from workforce.files import replace_directory, sha256_file
from workforce.frames import TypedFrame, read_parquet, write_parquet
from workforce.model.build import DbtResult
from workforce.months import ReportingMonth
from workforce.spec.catalogue import Table, mart_tables

CAPTURE_FILE = "capture.json"
RUN_RESULTS = "run_results.json"
TRAILING = ".trailing.parquet"


class CaptureError(RuntimeError):
    """The month's capture is missing, incomplete, or does not match the warehouse it came from."""


def capture_dir(settings: Settings, month: ReportingMonth) -> Path:
    return settings.data_dir / "model" / month.label


@dataclass
class Capture:
    month: ReportingMonth
    tables: dict[str, TypedFrame]
    manifest: dict
    run_results_path: Path
    #: monthly tables: rows of the trend months before ``month``, as this build computed them
    trailing: dict[str, TypedFrame] | None = None

    @property
    def serving(self) -> dict[str, dict]:
        """Export -> the extract that served the month (source_file, extract_date, sha256, rows)."""
        return self.manifest["serving"]


@dataclass
class TransformReport:
    """What the transform step did for the month: built it (``dbt``) or kept its capture, and why."""

    month: ReportingMonth
    kept: bool
    reason: str
    captured_at: str | None
    invocation_id: str | None
    nodes: int
    rows: int
    fingerprint: str | None
    dbt: DbtResult | None = None

    @property
    def seconds(self) -> float:
        """Seconds dbt took (0 when the capture was kept)."""
        return self.dbt.seconds if self.dbt else 0.0

    @classmethod
    def of(cls, capture_manifest: dict, month: ReportingMonth, kept: bool, reason: str,
           dbt: DbtResult | None = None) -> TransformReport:
        return cls(
            month=month,
            kept=kept,
            reason=reason,
            captured_at=capture_manifest.get("captured_at"),
            invocation_id=(capture_manifest.get("dbt") or {}).get("invocation_id"),
            nodes=(capture_manifest.get("dbt") or {}).get("nodes") or 0,
            rows=sum(t.get("rows", 0) for t in (capture_manifest.get("tables") or {}).values()),
            fingerprint=(capture_manifest.get("fingerprint") or {}).get("digest"),
            dbt=dbt,
        )

    def to_dict(self) -> dict:
        """A JSON-serialisable summary (an Airflow XCom)."""
        return {
            "month": self.month.label,
            "kept_capture": self.kept,
            "reason": self.reason,
            "captured_at": self.captured_at,
            "dbt_invocation_id": self.invocation_id,
            "dbt_nodes": self.nodes,
            "dbt_seconds": round(self.seconds, 1),
            "rows": self.rows,
            "fingerprint": self.fingerprint,
        }


def trailing_months(settings: Settings, month: ReportingMonth) -> list[ReportingMonth]:
    """The trend months before ``month`` (``WORKFORCE_TREND_MONTHS - 1`` of them), oldest first."""
    months = [month]
    while len(months) < settings.trend_months:
        months.insert(0, months[0].previous())
    return months[:-1]


def _read_mart(con, table: Table, month: ReportingMonth, trailing: list[ReportingMonth] | None = None) -> TypedFrame:
    schema, name = table.mart.split(".")
    types = dict(
        con.execute(
            "SELECT column_name, data_type FROM information_schema.columns "
            "WHERE table_schema = ? AND table_name = ? ORDER BY ordinal_position",
            [schema, name],
        ).fetchall()
    )
    if not types:
        raise CaptureError(f"the warehouse has no table {table.mart}: did dbt build it?")
    missing = [c for c in table.published_columns if c not in types]
    if missing:
        raise CaptureError(f"{table.mart} lacks catalogued column(s) {missing}: the dbt build is out of date")
    drift = {c: (types[c], t) for c, t in table.column_types.items() if types[c] != t}
    if drift:
        raise CaptureError(f"{table.mart} column types differ from the catalogue (warehouse, catalogue): {drift}")
    columns = ", ".join(f'"{c}"' for c in table.published_columns)
    where = "WHERE month_end = ?" if table.monthly else ""
    order = "ORDER BY month_end, service_area <> 'All', service_area" if table.monthly else "ORDER BY ALL"
    params = [month.end] if table.monthly else []
    if trailing is not None:  # the trend months before the month (none: an empty frame)
        where, params = ("WHERE month_end BETWEEN ? AND ?", [trailing[0].end, trailing[-1].end]) if trailing \
            else ("WHERE false", [])
    df = con.execute(f"SELECT {columns} FROM {table.mart} {where} {order}", params).df()
    if df.empty and table.monthly and trailing is None:
        raise CaptureError(f"{table.mart} has no rows for {month.end}: the dbt build did not cover this month")
    return TypedFrame(table.name, df, {c: types[c] for c in table.published_columns})


def serving_extracts(con, settings: Settings, month: ReportingMonth, backcast: bool = False) -> dict[str, dict]:
    """Per export, the extract the month's dbt build used: the latest loaded inside the window;
    in a backcast month, for an export with none there, the earliest loaded after it."""
    from workforce.ingest.readiness import window

    first, last = window(settings, month.end)
    later = "min(extract_date) FILTER (WHERE extract_date > ?)" if backcast else "NULL::DATE"
    rows = con.execute(
        f"""
        WITH serving AS (
            SELECT export_name,
                   coalesce(max(extract_date) FILTER (WHERE extract_date BETWEEN ? AND ?), {later}) AS extract_date
            FROM raw.load_manifest GROUP BY export_name HAVING extract_date IS NOT NULL
        )
        SELECT m.export_name, m.source_file, m.extract_date, m.sha256, m.rows_read, m.rows_loaded, m.rows_quarantined
        FROM raw.load_manifest m JOIN serving USING (export_name, extract_date)
        ORDER BY m.export_name, m.source_file
        """,
        [first, last, last] if backcast else [first, last],
    ).fetchall()
    out: dict[str, dict] = {}
    for export, source_file, extract_date, sha, read, loaded, quarantined in rows:
        entry = out.setdefault(export, {"extract_date": extract_date.isoformat(), "files": []})
        entry["files"].append({
            "source_file": source_file, "sha256": sha, "rows_read": read, "rows_loaded": loaded,
            "rows_quarantined": quarantined,
        })
    return out


def capture_month(
    settings: Settings, month: ReportingMonth, run_results: Path, fingerprint: dict | None = None,
    backcast: bool = False,
) -> Capture:
    """Copy the month's published rows, dbt results and provenance out of the warehouse.

    Call it right after the month's ``dbt build``, while still holding the warehouse lock;
    ``fingerprint`` is what the build was computed from (``rerun.transform_fingerprint``)."""
    from workforce.warehouse import connect

    if not run_results.exists():
        raise CaptureError(f"dbt wrote no {run_results}: the build did not run")
    results = json.loads(run_results.read_text(encoding="utf-8"))
    before = trailing_months(settings, month)
    with connect(settings, read_only=True) as con:
        tables = {t.name: _read_mart(con, t, month) for t in mart_tables()}
        trailing = {t.name: _read_mart(con, t, month, before) for t in mart_tables() if t.monthly}
        serving = serving_extracts(con, settings, month, backcast)
    meta = results.get("metadata") or {}
    dbt = {
        "invocation_id": meta.get("invocation_id"),
        "generated_at": meta.get("generated_at"),
        "dbt_version": meta.get("dbt_version"),
        "elapsed_seconds": results.get("elapsed_time"),
        "nodes": len(results.get("results", [])),
    }
    return _write_capture(settings, month, tables, trailing, run_results, dbt, serving, fingerprint, backcast)


def derive_capture(
    settings: Settings, month: ReportingMonth, source: Capture, fingerprint: dict | None, backcast: bool = False,
) -> Capture:
    """The capture of a trend month taken from a later month's capture (``source``) that the same
    extracts serve: its monthly tables' rows for ``month`` (and the trend months before it that
    ``source`` holds), ``source``'s whole tables and dbt results. A month's rows depend only on
    the extracts serving the build, the settings and the code, not on which month the build was
    for (``tests/model/test_history_builds.py`` compares the two), so this is what ``month``'s
    own build would capture, at one build for the months sharing their extracts."""
    before = trailing_months(settings, month)
    tables, trailing = {}, {}
    for table in mart_tables():
        t = source.tables[table.name]
        if not table.monthly:
            tables[table.name] = t
            continue
        rows = (source.trailing or {}).get(table.name)
        if rows is None:
            raise CaptureError(f"the capture of {source.month} holds no trend rows of {table.name}")
        day = rows.frame["month_end"].map(_as_date)
        this = rows.frame[day == month.end].reset_index(drop=True)
        if this.empty:
            raise CaptureError(f"the capture of {source.month} has no {table.name} rows for {month.end}")
        tables[table.name] = rows.replace_frame(this)
        keep = day.isin([m.end for m in before]) if before else day.isin([])
        trailing[table.name] = rows.replace_frame(rows.frame[keep].reset_index(drop=True))
    dbt = dict(source.manifest.get("dbt") or {})
    derived = {"month": source.month.label, "dbt_invocation_id": dbt.get("invocation_id"),
               "captured_at": source.manifest.get("captured_at")}
    return _write_capture(settings, month, tables, trailing, source.run_results_path, dbt,
                          source.serving, fingerprint, backcast, derived)


def _as_date(value):
    return value.date() if hasattr(value, "date") and callable(value.date) else value


def _write_capture(
    settings: Settings, month: ReportingMonth, tables: dict[str, TypedFrame], trailing: dict[str, TypedFrame],
    run_results: Path, dbt: dict, serving: dict, fingerprint: dict | None, backcast: bool,
    derived_from: dict | None = None,
) -> Capture:
    from workforce.ingest.readiness import window

    first, last = window(settings, month.end)
    manifest = {
        "month": month.label,
        "captured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "dbt": dbt,
        "window": [first.isoformat(), last.isoformat()],
        "backcast": backcast,
        "derived_from": derived_from,
        "serving": serving,
        "tables": {name: {"rows": len(t.frame)} for name, t in tables.items()},
        "fingerprint": fingerprint,
    }

    def build(folder: Path) -> None:
        for name, table in tables.items():
            write_parquet(folder / f"{name}.parquet", table)
        for name, table in trailing.items():
            write_parquet(folder / f"{name}{TRAILING}", table)
        shutil.copyfile(run_results, folder / RUN_RESULTS)
        # capture.json last, with every other file's checksum: a rerun keeps only an intact capture
        manifest["files"] = {p.name: sha256_file(p) for p in sorted(folder.iterdir())}
        (folder / CAPTURE_FILE).write_text(json.dumps(manifest, indent=1, default=str), encoding="utf-8")

    final = replace_directory(capture_dir(settings, month), build)
    return Capture(month, tables, manifest, final / RUN_RESULTS, trailing)


def load_capture(settings: Settings, month: ReportingMonth) -> Capture:
    """The month's capture, as its transform step wrote it; a clear error when there is none."""
    folder = capture_dir(settings, month)
    manifest_path = folder / CAPTURE_FILE
    if not manifest_path.exists():
        raise CaptureError(
            f"no capture of {month} in {folder}: run the transform step for {month} first "
            f"(workforce run --month {month} --step transform)"
        )
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    if manifest.get("month") != month.label:
        raise CaptureError(f"{manifest_path} is the capture of {manifest.get('month')}, not {month}")
    tables, trailing = {}, {}
    for table in mart_tables():
        path = folder / f"{table.name}.parquet"
        if not path.exists():
            raise CaptureError(f"the capture of {month} lacks {path.name}: run the transform step again")
        tables[table.name] = read_parquet(path, table.name)
        if (folder / f"{table.name}{TRAILING}").exists():
            trailing[table.name] = read_parquet(folder / f"{table.name}{TRAILING}", table.name)
    return Capture(month, tables, manifest, folder / RUN_RESULTS, trailing if trailing else None)


def check_serving_unchanged(settings: Settings, capture: Capture) -> None:
    """Fail if an extract that served the month was replaced in the warehouse after its transform."""
    from workforce.warehouse import connect

    with connect(settings, read_only=True) as con:
        current = dict(con.execute("SELECT source_file, sha256 FROM raw.load_manifest").fetchall())
    changed = [
        f["source_file"] for entry in capture.serving.values() for f in entry["files"]
        if current.get(f["source_file"]) != f["sha256"]
    ]
    if changed:
        raise CaptureError(
            f"extract(s) {changed} changed in the warehouse after {capture.month} was transformed: "
            f"rerun {capture.month} from the extract step so its figures come from one set of files"
        )
