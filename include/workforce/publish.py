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
from workforce.indicators import KEY_COLUMNS, PUBLISHED_COLUMNS
from workforce.warehouse import connect

log = logging.getLogger(__name__)

TABLE = "scrutiny_workforce_monthly"
MART = f"marts.{TABLE}"
#: DuckDB 2.0 writes a format older readers (many BI drivers) cannot open; write a v1.4 one.
BI_STORAGE_VERSION = "v1.4.0"
#: Cells starting with these are read as formulas by spreadsheet software.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


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


def read_mart_month(settings: Settings, month_end: date) -> pd.DataFrame:
    """The reporting month's rows of the mart, from a short read-only connection."""
    with connect(settings, read_only=True) as con:
        df = con.execute(
            f"SELECT * FROM {MART} WHERE month_end = ? ORDER BY service_area <> 'All', service_area",
            [month_end],
        ).df()
    if df.empty:
        raise PublishError(f"{MART} has no rows for {month_end}: did the transform step run for this month?")
    missing = [c for c in PUBLISHED_COLUMNS if c not in df.columns]
    if missing:
        raise PublishError(f"{MART} lacks published column(s) {missing}")
    return df[list(PUBLISHED_COLUMNS)]


def staged_path(settings: Settings, month: str) -> Path:
    return settings.data_dir / "staged" / month / f"{TABLE}.parquet"


def stage(settings: Settings, month: str, df: pd.DataFrame) -> Path:
    """Keep the validated rows for publish (atomically, like every other write)."""
    path = staged_path(settings, month)
    path.parent.mkdir(parents=True, exist_ok=True)
    _atomic_write(path, lambda tmp: df.to_parquet(tmp, index=False))
    return path


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


def neutralise_formulas(df: pd.DataFrame) -> pd.DataFrame:
    """Prefix text cells that spreadsheet software would run as a formula with an apostrophe."""
    out = df.copy()
    for col in out.columns:
        if out[col].dtype == object or pd.api.types.is_string_dtype(out[col]):
            out[col] = out[col].map(
                lambda v: f"'{v}" if isinstance(v, str) and v.startswith(_FORMULA_START) else v
            )
    return out


def _write_csv(df: pd.DataFrame, path: Path) -> None:
    neutralise_formulas(df).to_csv(path, index=False, date_format="%Y-%m-%d", lineterminator="\n")


def _build_bi_warehouse(published_dir: Path, final: Path) -> list[str]:
    """Rebuild the BI file from every month's published Parquet, then swap it in."""
    months = sorted(p.parent.name for p in published_dir.glob(f"*/{TABLE}.parquet"))
    tmp = final.with_name(f".{final.name}.tmp-{os.getpid()}")
    tmp.unlink(missing_ok=True)
    try:
        con = duckdb.connect()
        try:
            con.execute(f"ATTACH '{tmp}' AS pub (STORAGE_VERSION '{BI_STORAGE_VERSION}')")
            files = [str(published_dir / m / f"{TABLE}.parquet") for m in months]
            order = ", ".join(KEY_COLUMNS[:2]) + ", service_area <> 'All', service_area"
            con.execute(
                f"CREATE TABLE pub.main.{TABLE} AS "
                f"SELECT * FROM read_parquet(?, union_by_name = true) ORDER BY {order}",
                [files],
            )
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
    """Publish the staged (validated) rows of ``month``; the previous version stays until then."""
    say = progress or log.info
    source = staged_path(settings, month)
    if not source.exists():
        raise PublishError(
            f"nothing validated to publish for {month} ({source} is missing): run the validate step first"
        )
    df = pd.read_parquet(source)
    month_dir = settings.published_month_dir(month)
    month_dir.mkdir(parents=True, exist_ok=True)
    parquet_path = month_dir / f"{TABLE}.parquet"
    csv_path = month_dir / f"{TABLE}.csv"
    _atomic_write(parquet_path, lambda tmp: df.to_parquet(tmp, index=False))
    _atomic_write(csv_path, lambda tmp: _write_csv(df, tmp))
    say(f"publish: {len(df)} rows of {TABLE} for {month} -> {month_dir}")
    months = _build_bi_warehouse(settings.published_dir, settings.published_warehouse_path)
    say(f"publish: BI warehouse {settings.published_warehouse_path} now holds {len(months)} month(s)")
    digest = hashlib.sha256(csv_path.read_bytes()).hexdigest()
    return PublishReport(month, len(df), csv_path, parquet_path, settings.published_warehouse_path, months, digest)
