"""Connections to the pipeline's DuckDB warehouse and the raw tables' shape.

DuckDB allows one read-write process per file and a reader blocks a writer, so every task
that opens the warehouse does so for as short a time as it can, inside the Airflow pool
``workforce_warehouse`` (one slot). BI tools never open this file: they read the published copy.
"""

from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path

import duckdb

from workforce.config import Settings
from workforce.spec.contract import DATE, DECIMAL, EXPORTS, INT, ExportSpec

RAW_SCHEMA = "raw"
MANIFEST_TABLE = f"{RAW_SCHEMA}.load_manifest"
QUARANTINE_TABLE = f"{RAW_SCHEMA}.quarantine"
WITHHELD_TABLE = f"{RAW_SCHEMA}.withheld_values"
LINEAGE_COLUMNS = {
    "_source_file": "VARCHAR",  # path inside the landing folder, e.g. hr_workers/hr_workers_2026-09-30.csv
    "_extract_date": "DATE",
    "_row_number": "BIGINT",  # 1-based data row in the file (header excluded)
}
_SQL_TYPES = {INT: "BIGINT", DECIMAL: "DOUBLE", DATE: "DATE"}


def sql_type(column_type: str) -> str:
    return _SQL_TYPES.get(column_type, "VARCHAR")


def raw_table(spec: ExportSpec) -> str:
    return f"{RAW_SCHEMA}.{spec.name}"


def raw_column_types(spec: ExportSpec) -> dict[str, str]:
    cols = {c.raw_name: "VARCHAR" if c.age_band else sql_type(c.type) for c in spec.raw_columns}
    cols.update(LINEAGE_COLUMNS)
    return cols


@contextmanager
def connect(settings: Settings, *, read_only: bool = False, memory_limit: str | None = None):
    path: Path = settings.warehouse_path
    if read_only and not path.exists():
        raise FileNotFoundError(f"no warehouse at {path}: run the extract step first")
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = settings.data_dir / "tmp" / "duckdb"
    tmp.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(
        str(path),
        read_only=read_only,
        config={
            "memory_limit": memory_limit or settings.duckdb_memory_limit,
            "threads": settings.duckdb_threads,
            "temp_directory": str(tmp),
        },
    )
    con.execute("SET enable_progress_bar = false")  # progress is the pipeline's to report, not a terminal bar
    try:
        yield con
    finally:
        con.close()


def ensure_raw_schema(con: duckdb.DuckDBPyConnection) -> None:
    """Create every raw table of the contract (optional exports too, empty until delivered)."""
    con.execute(f"CREATE SCHEMA IF NOT EXISTS {RAW_SCHEMA}")
    for spec in EXPORTS:
        cols = ", ".join(f'"{name}" {typ}' for name, typ in raw_column_types(spec).items())
        con.execute(f"CREATE TABLE IF NOT EXISTS {raw_table(spec)} ({cols})")
        for name, typ in raw_column_types(spec).items():  # a column added to the contract (optional) since
            con.execute(f'ALTER TABLE {raw_table(spec)} ADD COLUMN IF NOT EXISTS "{name}" {typ}')
    con.execute(
        f"""CREATE TABLE IF NOT EXISTS {MANIFEST_TABLE} (
            source_file VARCHAR PRIMARY KEY,
            export_name VARCHAR NOT NULL,
            extract_date DATE NOT NULL,
            sha256 VARCHAR NOT NULL,
            row_count BIGINT NOT NULL,
            extra_columns VARCHAR,
            loaded_at TIMESTAMP NOT NULL
        )"""
    )
    # Row accounting (rows_read = rows_loaded + rows_quarantined); row_count = rows_loaded.
    for column in ("rows_read", "rows_loaded", "rows_quarantined"):
        con.execute(f"ALTER TABLE {MANIFEST_TABLE} ADD COLUMN IF NOT EXISTS {column} BIGINT")
    # The mapping profile the file was read with (SHA-256 of its YAML; NULL: the contract's shape).
    con.execute(f"ALTER TABLE {MANIFEST_TABLE} ADD COLUMN IF NOT EXISTS profile_sha256 VARCHAR")
    # Rows set aside at ingest: one row per (file, data row, column, rule); see ingest.rules.RULES.
    con.execute(
        f"""CREATE TABLE IF NOT EXISTS {QUARANTINE_TABLE} (
            source_file VARCHAR NOT NULL,
            export_name VARCHAR NOT NULL,
            extract_date DATE NOT NULL,
            row_number BIGINT NOT NULL,  -- data row in the file, 1-based, as raw._row_number
            line_number BIGINT,  -- CSV line (or XLSX sheet row) the row ends on
            column_name VARCHAR NOT NULL,  -- '*' for the whole row
            rule VARCHAR NOT NULL,
            value VARCHAR,  -- the offending value; identifiers pseudonymised, dates of birth withheld
            quarantined_at TIMESTAMP NOT NULL
        )"""
    )
    # The council's own column the value came from (a mapping profile's header; the contract's
    # column for contract-shaped files; '' when only a profile default gives it; NULL for rows recorded
    # before this column existed).
    con.execute(f"ALTER TABLE {QUARANTINE_TABLE} ADD COLUMN IF NOT EXISTS source_column VARCHAR")
    # Identity-shaped label or free-text values replaced at ingest (ingest.rules.IDENTITY_SHAPED):
    # one row per (file, data row, column); the row itself loads, with the replacement.
    con.execute(
        f"""CREATE TABLE IF NOT EXISTS {WITHHELD_TABLE} (
            source_file VARCHAR NOT NULL,
            export_name VARCHAR NOT NULL,
            extract_date DATE NOT NULL,
            row_number BIGINT NOT NULL,
            line_number BIGINT,
            column_name VARCHAR NOT NULL,
            rule VARCHAR NOT NULL,
            replacement VARCHAR NOT NULL,  -- withheld-<keyed hash>: the value itself is never stored
            recorded_at TIMESTAMP NOT NULL
        )"""
    )
    con.execute(f"ALTER TABLE {WITHHELD_TABLE} ADD COLUMN IF NOT EXISTS source_column VARCHAR")
