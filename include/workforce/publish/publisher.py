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

Every file is written under a temporary name in the same folder and moved into place with
``os.replace`` (``workforce.files``), which is atomic: a reader sees the previous complete file
or the new one. A BI tool holding the old DuckDB file open keeps reading it and does not block
the swap.
"""

from __future__ import annotations

import hashlib
import logging
import shutil
import stat
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import duckdb
import pandas as pd

from workforce.config import Settings
from workforce.files import atomic_write
from workforce.frames import FrameTypeError
from workforce.months import ReportingMonth
from workforce.publish import spreadsheet_safety
from workforce.publish.spreadsheet_safety import neutralise_formulas  # noqa: F401  (re-exported)
from workforce.release import audit
from workforce.release.stage import staged_audit_path, staged_column_types, staged_path
from workforce.spec.catalogue import TABLE, published_tables

log = logging.getLogger(__name__)

#: DuckDB 2.0 writes a format older readers (many BI drivers) cannot open; write a v1.4 one.
BI_STORAGE_VERSION = "v1.4.0"


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
    months = sorted(p.parent.name for p in published_dir.glob(f"*/{TABLE}.parquet"))

    def build(tmp: Path) -> None:
        con = duckdb.connect()
        try:
            con.execute(f"ATTACH '{tmp}' AS pub (STORAGE_VERSION '{BI_STORAGE_VERSION}')")
            for table in published_tables():
                current = published_dir / month.label / f"{table.name}.parquet"
                if table.monthly:
                    files = sorted(str(p) for p in published_dir.glob(f"*/{table.name}.parquet"))
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


def publish(settings: Settings, month: ReportingMonth, progress: Callable[[str], None] | None = None) -> PublishReport:
    """Publish the staged (validated) tables of ``month``; the previous version stays until then."""
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
    for name, source in staged.items():
        atomic_write(month_dir / f"{name}.parquet", partial(shutil.copyfile, source))
        df = pd.read_parquet(source)
        atomic_write(month_dir / f"{name}.csv", partial(_write_csv, df))
        say(f"publish: {len(df)} rows of {name} for {month} -> {month_dir}")
    audit.finalise(settings, month, list(staged), staged_audit_path(settings, month))  # published/<month>/audit.json
    months = _build_bi_warehouse(settings.published_dir, settings.published_warehouse_path, month)
    say(f"publish: BI warehouse {settings.published_warehouse_path} now holds {len(months)} month(s)")
    csv_path, parquet_path = month_dir / f"{TABLE}.csv", month_dir / f"{TABLE}.parquet"
    rows = len(pd.read_parquet(parquet_path))
    digest = hashlib.sha256(csv_path.read_bytes()).hexdigest()
    return PublishReport(month, rows, csv_path, parquet_path, settings.published_warehouse_path, months, digest)
