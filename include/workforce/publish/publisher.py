"""Publish: the staged (validated) tables -> files for BI tools and the scrutiny pack.

Write, audit, publish. The release stage (``release.stage``, the validate step) reads the
month's rows from the warehouse, checks them and stages exactly those rows as Parquet, typed as
in the warehouse marts; publish only ever reads the staged files, so what is published is what
was validated, and publishing never opens the warehouse.

Outputs under ``$WORKFORCE_DATA_DIR/published``:
- ``<YYYY-MM>/<table>.parquet``: the staged file itself (same bytes, so the same types);
- ``<YYYY-MM>/<table>.csv``: the same rows for spreadsheets (formula-safe, ISO dates);
- ``<YYYY-MM>/audit.json``: the month's audit record, completed with the files' checksums;
- ``workforce.duckdb``: every published month in one read-only file for BI tools, each table
  created with the staged column types (so every column has the mart's type, none is NULL-typed).

A month's first publication is also kept in ``$WORKFORCE_DATA_DIR/first_published/<YYYY-MM>/``
(``release.revisions``), never replaced: a later run compares its figures with it (revisions).

The month is published as one unit: every file of ``<YYYY-MM>/`` is written into a temporary
folder beside it (``published/.<YYYY-MM>.<pid>-<random>.tmp/``), flushed to disk, and the folder
swapped in at once (``files.replace_directory``: an atomic exchange of the two folders on Linux),
so a reader finds the previous month's files or the new ones, all of them, never a mix. Then the
BI file is rebuilt under a temporary name and moved into place with ``os.replace``: a BI tool
holding the old file open keeps reading it and does not block the swap. Between the two swaps
the month's folder is new and the BI file still the previous one; a failure there says so.

A publish killed at any moment leaves at most temporary names, which no reader takes for a month
(``months.month_folders``) and the next publish removes first (``pipeline.step_publish``).
"""

from __future__ import annotations

import hashlib
import logging
import shutil
import stat
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd

from workforce.config import Settings
from workforce.errors import explained
from workforce.files import atomic_write, replace_directory, write_json
from workforce.frames import FrameTypeError
from workforce.months import ReportingMonth, month_folders
from workforce.publish import spreadsheet_safety
from workforce.publish.spreadsheet_safety import neutralise_formulas  # noqa: F401  (re-exported)
from workforce.release import audit, revisions
from workforce.release.stage import staged_audit_path, staged_column_types, staged_path
from workforce.spec.catalogue import TABLE, published_tables

log = logging.getLogger(__name__)

#: DuckDB 2.0 writes a format older readers (many BI drivers) cannot open. v1.0.0 (file format
#: 64, the same as 'v0.10.x' gives) is the oldest: every table reads back identical in DuckDB
#: 0.10.3 to 2.0 (measured: docs/decisions/0011-files-people-open.md); v1.2+ shuts out 1.1.
BI_STORAGE_VERSION = "v1.0.0"


class PublishError(RuntimeError):
    pass


@dataclass
class PublishReport:
    month: ReportingMonth
    rows: int
    csv_path: Path
    parquet_path: Path
    warehouse_path: Path
    months_in_warehouse: list[str]
    csv_sha256: str


def _write_csv(df: pd.DataFrame, path: Path) -> None:
    """CSV that spreadsheet software opens safely (no formulas, no stray row breaks)."""
    spreadsheet_safety.write_csv(df, path)


def _build_bi_warehouse(published_dir: Path, final: Path, month: ReportingMonth) -> list[str]:
    """Rebuild the BI file from the published Parquet files, then swap it in.

    Each table is created with the column types of ``month``'s published file (the warehouse
    mart's types, recorded at staging), every published month's rows cast to them: a month
    published by an earlier version (e.g. with ``month_end`` as a timestamp) fits the same table.
    """
    folders = month_folders(published_dir)  # never a temporary folder
    months = [f.name for f in folders if (f / f"{TABLE}.parquet").is_file()]

    def build(tmp: Path) -> None:
        con = duckdb.connect()
        try:
            con.execute(f"ATTACH '{tmp}' AS pub (STORAGE_VERSION '{BI_STORAGE_VERSION}')")
            for table in published_tables():
                current = published_dir / month.label / f"{table.name}.parquet"
                if table.monthly:
                    found = (f / f"{table.name}.parquet" for f in folders)
                    files = [str(path) for path in found if path.is_file()]
                    order = "ORDER BY month_end, service_area <> 'All', service_area"
                else:  # a whole-table publication: this month's version
                    files = [str(current)]
                    order = "ORDER BY ALL"
                columns = ", ".join(
                    f'CAST("{column}" AS {duckdb_type}) AS "{column}"'
                    for column, duckdb_type in staged_column_types(current).items()
                )
                con.execute(
                    f"CREATE TABLE pub.main.{table.name} AS "
                    f"SELECT {columns} FROM read_parquet(?, union_by_name = true) {order}",
                    [files],
                )
            audit.add_audit_log(con, published_dir)  # audit: table audit_log from published/*/audit.json
            con.execute(
                "CREATE TABLE pub.main.published_months AS "
                f"SELECT strftime(month_end, '%Y-%m') AS month, count(*) AS row_count FROM pub.main.{TABLE} "
                "GROUP BY ALL ORDER BY month"
            )
            con.execute("DETACH pub")
        finally:
            con.close()
            tmp.with_name(tmp.name + ".wal").unlink(missing_ok=True)
        tmp.chmod(stat.S_IRUSR | stat.S_IRGRP | stat.S_IROTH)  # a read-only file for BI tools

    atomic_write(final, build)
    return months


def rebuild_bi(settings: Settings, month: ReportingMonth, progress: Callable[[str], None] | None = None) -> list[str]:
    """Rebuild the BI file from every published month folder (whole tables: ``month``'s)."""
    say = progress or log.info
    bi = settings.published_warehouse_path
    with explained("publish", month.label, settings,
                   f"published/ holds the new month folders, but the BI file {bi.name} still holds the previous "
                   "publication", settings.published_dir):
        months = _build_bi_warehouse(settings.published_dir, bi, month)
    say(f"publish: BI warehouse {bi} now holds {len(months)} month(s)")
    return months


def publish(settings: Settings, month: ReportingMonth, progress: Callable[[str], None] | None = None,
            bi_file: bool = True) -> PublishReport:
    """Publish the staged (validated) tables of ``month`` as one folder, then rebuild the BI file;
    the previous version stays whole until each swap. ``bi_file=False`` leaves the BI file to a
    later ``rebuild_bi`` (the history step publishes many months, then rebuilds it once)."""
    say = progress or log.info
    month_dir = settings.published_month_dir(month.label)
    staged = {t.name: staged_path(settings, month, t.name) for t in published_tables()}
    missing = [name for name, path in staged.items() if not path.exists()]
    if missing:
        raise PublishError(
            f"nothing validated to publish for {month} (no staged {', '.join(missing)} under "
            f"{staged_path(settings, month).parent}): run the validate step first"
        )
    for name, path in staged.items():  # before anything is swapped in
        try:
            staged_column_types(path)
        except FrameTypeError as exc:
            raise PublishError(f"staged {name} for {month}: {exc}") from exc
    record: dict = {}

    def build(folder: Path) -> None:  # the whole month, in a temporary folder beside month_dir
        for name, source in staged.items():
            shutil.copyfile(source, folder / f"{name}.parquet")
            df = pd.read_parquet(source)
            _write_csv(df, folder / f"{name}.csv")
            say(f"publish: {len(df)} rows of {name} for {month} -> {month_dir}")
        record.update(audit.finalise(settings, month, list(staged), staged_audit_path(settings, month), folder))

    bi = settings.published_warehouse_path
    with explained("publish", month.label, settings,
                   f"published/ is as it was (the previous {month}, if any, and the BI file)", settings.published_dir):
        revisions.keep_first_publication(settings, month, month_dir)  # a month published before it was kept
        replace_directory(month_dir, build)  # published/<month>/, every file at once
        revisions.keep_first_publication(settings, month, month_dir)
    if bi_file:
        with explained("publish", month.label, settings,
                       f"published/{month}/ holds the new files, but the BI file {bi.name} still holds the previous "
                       "publication", settings.published_dir):
            months = _build_bi_warehouse(settings.published_dir, bi, month)
        say(f"publish: BI warehouse {bi} now holds {len(months)} month(s)")
    else:
        months = [f.name for f in month_folders(settings.published_dir)]
    with explained("publish", month.label, settings,
                   f"published/ holds the new {month} and BI file; only the copy of the audit record in "
                   f"quality/{month}/ was not updated", settings.quality_dir / month.label):
        write_json(audit.draft_path(settings, month), record)
    csv_path, parquet_path = month_dir / f"{TABLE}.csv", month_dir / f"{TABLE}.parquet"
    rows = len(pd.read_parquet(parquet_path))
    digest = hashlib.sha256(csv_path.read_bytes()).hexdigest()
    return PublishReport(month, rows, csv_path, parquet_path, settings.published_warehouse_path, months, digest)
