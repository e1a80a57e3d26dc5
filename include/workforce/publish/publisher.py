"""Publish: validated monthly tables -> files for BI tools and the scrutiny pack.

Write, audit, publish. The validate step reads the month's rows from the warehouse, checks
them, and stages exactly those rows as Parquet; publish only ever reads the staged file, so
what is published is what was validated, and publishing never opens the warehouse.

Outputs under ``$WORKFORCE_DATA_DIR/published``:
- ``<YYYY-MM>/scrutiny_workforce_monthly.csv`` and ``.parquet``: the reporting month's rows;
- ``workforce.duckdb``: every published month in one read-only file for BI tools.

Every file is written under a temporary name in the same folder and moved into place with
``os.replace``, which is atomic: a reader sees the previous complete file or the new one. A BI
tool holding the old DuckDB file open keeps reading it and does not block the swap.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import stat
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import duckdb
import pandas as pd

from workforce.config import Settings
from workforce.publish import spreadsheet_safety
from workforce.publish.spreadsheet_safety import neutralise_formulas  # noqa: F401  (re-exported)
from workforce.release import audit
from workforce.spec.tables import PUBLISHED_TABLES, TABLE
from workforce.warehouse import connect

log = logging.getLogger(__name__)

MART = f"marts.{TABLE}"


#: DuckDB 2.0 writes a format older readers (many BI drivers) cannot open; write a v1.4 one.
BI_STORAGE_VERSION = "v1.4.0"


class PublishError(RuntimeError):
    pass


@dataclass
class PublishReport:
    month: str
    rows: int
    csv_path: Path
    parquet_path: Path
    warehouse_path: Path
    months_in_warehouse: list[str]
    csv_sha256: str


def read_mart_month(settings: Settings, month_end: date) -> dict[str, pd.DataFrame]:
    """Every published table's rows for the reporting month, from one short read-only connection."""
    frames: dict[str, pd.DataFrame] = {}
    with connect(settings, read_only=True) as con:
        for table in PUBLISHED_TABLES:
            where = "WHERE month_end = ?" if table.monthly else ""
            order = "ORDER BY month_end, service_area <> 'All', service_area" if table.monthly else "ORDER BY ALL"
            df = con.execute(f"SELECT * FROM {table.mart} {where} {order}", [month_end] if table.monthly else []).df()
            if df.empty and table.monthly:
                raise PublishError(
                    f"{table.mart} has no rows for {month_end}: did the transform step run for this month?"
                )
            if table.columns:
                missing = [c for c in table.columns if c not in df.columns]
                if missing:
                    raise PublishError(f"{table.mart} lacks published column(s) {missing}")
                df = df[list(table.columns)]
            frames[table.name] = df
    return frames


def staged_path(settings: Settings, month: str, table: str = TABLE) -> Path:
    return settings.data_dir / "staged" / month / f"{table}.parquet"


def stage(settings: Settings, month: str, frames: dict[str, pd.DataFrame]) -> list[Path]:
    """Keep the validated rows for publish (atomically, like every other write)."""
    paths = []
    for name, df in frames.items():
        path = staged_path(settings, month, name)
        path.parent.mkdir(parents=True, exist_ok=True)
        _atomic_write(path, lambda tmp, df=df: df.to_parquet(tmp, index=False))
        paths.append(path)
    return paths


def _atomic_write(final: Path, write: Callable[[Path], None]) -> None:
    tmp = final.with_name(f".{final.name}.tmp-{os.getpid()}")
    try:
        write(tmp)
        with open(tmp, "rb") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, final)
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()


def _write_csv(df: pd.DataFrame, path: Path) -> None:
    """CSV that spreadsheet software opens safely (no formulas, no stray row breaks)."""
    spreadsheet_safety.write_csv(df, path)


def _build_bi_warehouse(published_dir: Path, final: Path, latest_month: str) -> list[str]:
    """Rebuild the BI file from the published Parquet files, then swap it in."""
    months = sorted(p.parent.name for p in published_dir.glob(f"*/{TABLE}.parquet"))
    tmp = final.with_name(f".{final.name}.tmp-{os.getpid()}")
    tmp.unlink(missing_ok=True)
    try:
        con = duckdb.connect()
        try:
            con.execute(f"ATTACH '{tmp}' AS pub (STORAGE_VERSION '{BI_STORAGE_VERSION}')")
            for table in PUBLISHED_TABLES:
                if table.monthly:
                    files = sorted(str(p) for p in published_dir.glob(f"*/{table.name}.parquet"))
                    order = "ORDER BY month_end, service_area <> 'All', service_area"
                else:  # a whole-table publication: the latest published month's version
                    files = [str(published_dir / latest_month / f"{table.name}.parquet")]
                    order = "ORDER BY ALL"
                if not files:
                    continue
                con.execute(
                    f"CREATE TABLE pub.main.{table.name} AS "
                    f"SELECT * FROM read_parquet(?, union_by_name = true) {order}",
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
        tmp.chmod(stat.S_IRUSR | stat.S_IRGRP | stat.S_IROTH)  # a read-only file for BI tools
        os.replace(tmp, final)
    finally:
        tmp.unlink(missing_ok=True)
        tmp.with_name(tmp.name + ".wal").unlink(missing_ok=True)
    return months


def publish(settings: Settings, month: str, progress: Callable[[str], None] | None = None) -> PublishReport:
    """Publish the staged (validated) tables of ``month``; the previous version stays until then."""
    say = progress or log.info
    month_dir = settings.published_month_dir(month)
    missing = [t.name for t in PUBLISHED_TABLES if not staged_path(settings, month, t.name).exists()]
    if missing:
        raise PublishError(
            f"nothing validated to publish for {month} (no staged {', '.join(missing)} under "
            f"{staged_path(settings, month).parent}): run the validate step first"
        )
    month_dir.mkdir(parents=True, exist_ok=True)
    for table in PUBLISHED_TABLES:
        df = pd.read_parquet(staged_path(settings, month, table.name))
        _atomic_write(month_dir / f"{table.name}.parquet", lambda tmp, df=df: df.to_parquet(tmp, index=False))
        _atomic_write(month_dir / f"{table.name}.csv", lambda tmp, df=df: _write_csv(df, tmp))
        say(f"publish: {len(df)} rows of {table.name} for {month} -> {month_dir}")
    audit.finalise(settings, month, [t.name for t in PUBLISHED_TABLES])  # audit: published/<month>/audit.json
    months = _build_bi_warehouse(settings.published_dir, settings.published_warehouse_path, month)
    say(f"publish: BI warehouse {settings.published_warehouse_path} now holds {len(months)} month(s)")
    csv_path, parquet_path = month_dir / f"{TABLE}.csv", month_dir / f"{TABLE}.parquet"
    rows = len(pd.read_parquet(parquet_path))
    digest = hashlib.sha256(csv_path.read_bytes()).hexdigest()
    return PublishReport(month, rows, csv_path, parquet_path, settings.published_warehouse_path, months, digest)
