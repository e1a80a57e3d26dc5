"""The release stage: the month's mart rows, made safe, checked, recorded and staged for publish.

``release_month`` is the pipeline's validate step. It decides whether a month may be published
and, if so, fixes exactly what will be: publish (``publish.publisher``) only swaps in what this
stage staged, and never opens the warehouse.

Inputs
    - the warehouse, read-only: every published mart (the catalogue, ``spec.catalogue``; the
      month's rows of monthly tables, all rows of the others) and each column's type in the
      warehouse (``information_schema.columns``); the raw exports' latest extracts,
      ``raw.load_manifest`` and ``raw.quarantine`` (for the raw suites and the audit record);
    - the suites in ``expectations/``, the transform step's dbt ``run_results.json`` and the
      extract step's ``quality/<month>/extract_report.json``.

Steps
    1. read the mart rows with their warehouse column types;
    2. disclosure control (``release.disclosure``): small numbers are suppressed first, so what
       is validated is what is published;
    3. validate (``quality.runner``): each raw export's suite plus the quarantine threshold, and
       each published table's suite;
    4. record every outcome before the gate decides: ``quality/<month>/validation_results.json``,
       ``dbt_results.json``, GX Data Docs in ``data_docs/``, and history rows in the warehouse
       (``quality.validation_history``, ``quality.dbt_test_results``; a short read-write
       connection);
    5. the gate (``quality.results.raise_on_failure``): a failed critical check raises
       ``QualityGateError`` and nothing is staged;
    6. stage: ``staged/<month>/<table>.parquet`` per published table, written with an explicit
       Arrow schema built from the mart's column types (each field also names its DuckDB type),
       and the draft audit record (``staged/<month>/audit.json``, ``quality/<month>/audit.json``).

Outputs
    the files above and a ``ReleaseReport``. Every file is written atomically (``files``).

Besides ``release_month``, the module's public names describe the staged area, which publish
reads: ``staged_path``, ``staged_audit_path`` and ``staged_column_types`` (the warehouse type of
each staged column, as the Parquet file records it).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from workforce.config import Settings
from workforce.files import atomic_write, write_json
from workforce.months import ReportingMonth
from workforce.quality import history, results, runner, suites
from workforce.release import audit, disclosure
from workforce.spec.catalogue import TABLE, Table, published_tables

log = logging.getLogger(__name__)

Progress = Callable[[str], None]

#: Key of the Arrow field metadata naming a staged column's type in the warehouse mart.
DUCKDB_TYPE = b"duckdb_type"

#: Warehouse (DuckDB) column types a published table may use, and their Arrow (Parquet) types.
#: DuckDB reads each Arrow type back as the same DuckDB type. (No DECIMAL: DuckDB hands decimals
#: to pandas as floats; a mart casts them to DOUBLE.)
ARROW_TYPES: dict[str, pa.DataType] = {
    "BOOLEAN": pa.bool_(),
    "TINYINT": pa.int8(),
    "SMALLINT": pa.int16(),
    "INTEGER": pa.int32(),
    "BIGINT": pa.int64(),
    "FLOAT": pa.float32(),
    "DOUBLE": pa.float64(),
    "VARCHAR": pa.string(),
    "DATE": pa.date32(),
    "TIMESTAMP": pa.timestamp("us"),
}


class ReleaseError(RuntimeError):
    """The month's rows cannot be read as published (missing rows, columns or a type)."""


@dataclass
class ReleaseTable:
    """One published table's rows for the month, with each column's type in the warehouse mart."""

    name: str
    frame: pd.DataFrame
    column_types: dict[str, str]  # column -> DuckDB type, in the frame's column order

    def replace_frame(self, frame: pd.DataFrame) -> ReleaseTable:
        return ReleaseTable(self.name, frame, self.column_types)


@dataclass
class ReleaseReport:
    month: ReportingMonth
    run_id: str
    suites: int
    checks: int
    not_met: int
    staged: list[Path] = field(default_factory=list)
    results_dir: Path | None = None
    data_docs: Path | None = None

    def to_dict(self) -> dict:
        """A JSON-serialisable summary (an Airflow XCom)."""
        return {
            "month": self.month.label,
            "run_id": self.run_id,
            "suites": self.suites,
            "checks": self.checks,
            "not_met": self.not_met,
            "staged": [str(p) for p in self.staged],
        }


# The staged area: the only thing publish reads ------------------------------------------------
def staged_dir(settings: Settings, month: ReportingMonth) -> Path:
    return settings.data_dir / "staged" / month.label


def staged_path(settings: Settings, month: ReportingMonth, table: str = TABLE) -> Path:
    return staged_dir(settings, month) / f"{table}.parquet"


def staged_audit_path(settings: Settings, month: ReportingMonth) -> Path:
    return staged_dir(settings, month) / audit.AUDIT_FILE


def arrow_schema(column_types: dict[str, str]) -> pa.Schema:
    """The Arrow schema of a published table from its warehouse column types."""
    fields = []
    for column, duckdb_type in column_types.items():
        if duckdb_type not in ARROW_TYPES:
            raise ReleaseError(
                f"column {column} has warehouse type {duckdb_type}, which publishing does not support "
                f"(supported: {', '.join(ARROW_TYPES)}; cast it in the mart)"
            )
        fields.append(pa.field(column, ARROW_TYPES[duckdb_type], metadata={DUCKDB_TYPE: duckdb_type.encode()}))
    return pa.schema(fields)


def column_types_of(schema: pa.Schema) -> dict[str, str]:
    """The warehouse column types a staged (or published) Parquet file carries."""
    missing = [f.name for f in schema if not (f.metadata or {}).get(DUCKDB_TYPE)]
    if missing:
        raise ReleaseError(f"no warehouse type recorded for column(s) {missing}: stage the month again")
    return {f.name: f.metadata[DUCKDB_TYPE].decode() for f in schema}


def staged_column_types(path: Path) -> dict[str, str]:
    return column_types_of(pq.read_schema(path))


# 1. Read ---------------------------------------------------------------------------------------
def _read_mart_month(settings: Settings, month: ReportingMonth) -> dict[str, ReleaseTable]:
    """Every published table's rows for the month and its column types, from one read-only connection."""
    from workforce.warehouse import connect

    tables: dict[str, ReleaseTable] = {}
    with connect(settings, read_only=True) as con:
        for table in published_tables():
            tables[table.name] = _read_mart(con, table, month)
    return tables


def _read_mart(con, table: Table, month: ReportingMonth) -> ReleaseTable:
    schema, name = table.mart.split(".")
    types = dict(
        con.execute(
            "SELECT column_name, data_type FROM information_schema.columns "
            "WHERE table_schema = ? AND table_name = ? ORDER BY ordinal_position",
            [schema, name],
        ).fetchall()
    )
    if not types:
        raise ReleaseError(f"the warehouse has no table {table.mart}: did the transform step run?")
    where = "WHERE month_end = ?" if table.monthly else ""
    order = "ORDER BY month_end, service_area <> 'All', service_area" if table.monthly else "ORDER BY ALL"
    df = con.execute(f"SELECT * FROM {table.mart} {where} {order}", [month.end] if table.monthly else []).df()
    if df.empty and table.monthly:
        raise ReleaseError(f"{table.mart} has no rows for {month.end}: did the transform step run for this month?")
    missing = [c for c in table.published_columns if c not in df.columns]
    if missing:
        raise ReleaseError(f"{table.mart} lacks catalogued column(s) {missing}: run the transform step again")
    drift = {c: (types[c], t) for c, t in table.column_types.items() if types[c] != t}
    if drift:
        raise ReleaseError(f"{table.mart} column types differ from the catalogue (warehouse, catalogue): {drift}")
    df = df[list(table.published_columns)]
    return ReleaseTable(table.name, df, {c: types[c] for c in df.columns})


# 2. Disclosure control -------------------------------------------------------------------------
def _protect(tables: dict[str, ReleaseTable], threshold: int) -> dict[str, ReleaseTable]:
    """Small numbers suppressed in every table (``release.disclosure``); types unchanged."""
    return {
        name: t.replace_frame(disclosure.apply_disclosure_control(name, t.frame, threshold))
        for name, t in tables.items()
    }


# 3. Validate -----------------------------------------------------------------------------------
def _validate(
    settings: Settings, month: ReportingMonth, tables: dict[str, ReleaseTable]
) -> list[results.SuiteResult]:
    """The raw exports' suites (with the quarantine threshold), then each published table's suite."""
    outcome = runner.validate_raw_exports(
        settings.warehouse_path, month.end, settings.expectations_dir, settings.quarantine_max_pct
    )
    known = set(suites.list_suites(settings.expectations_dir))
    for table in published_tables():
        frame = tables[table.name].frame
        if table.name == TABLE:
            outcome.append(runner.validate_published(frame, settings.expectations_dir))
        elif table.suite in known:
            outcome.append(runner.validate_dataframe(
                frame, table.suite, settings.expectations_dir, f"published {table.name} {month}"
            ))
        else:
            raise ReleaseError(f"published table {table.name} has no suite {table.suite} (expectations/)")
    return outcome


# 4. Record -------------------------------------------------------------------------------------
def _record(
    settings: Settings, month: ReportingMonth, run_id: str, outcome: list[results.SuiteResult]
) -> tuple[list[dict], list[dict], Path | None]:
    """Keep every outcome (files, Data Docs, warehouse history); returns check rows, dbt rows, docs."""
    from workforce.quality import data_docs
    from workforce.warehouse import connect

    out_dir = settings.quality_dir / month.label
    check_rows = results.results_to_rows(outcome, run_id=run_id)
    write_json(out_dir / "validation_results.json", check_rows)
    dbt_rows = results.dbt_results_rows(settings.dbt_target_dir / "run_results.json")
    write_json(out_dir / "dbt_results.json", {"run_id": run_id, "results": dbt_rows})
    try:
        docs = data_docs.build_data_docs(outcome, out_dir / "data_docs", run_id)
    except Exception as exc:  # the docs are a rendering of results already recorded above
        log.error("validate: could not build GX Data Docs: %s: %s", type(exc).__name__, exc)
        docs = None
    with connect(settings) as con:  # short read-write connection: history only
        history.write_history(con, check_rows, dbt_rows, run_id, month.label)
    return check_rows, dbt_rows, docs


# 6. Stage --------------------------------------------------------------------------------------
def _stage(settings: Settings, month: ReportingMonth, tables: dict[str, ReleaseTable]) -> dict[str, Path]:
    """Write the validated rows for publish, typed as in the warehouse (atomically, like every write)."""
    paths = {}
    for name, table in tables.items():
        arrow = pa.Table.from_pandas(table.frame, schema=arrow_schema(table.column_types), preserve_index=False)
        paths[name] = atomic_write(staged_path(settings, month, name), partial(pq.write_table, arrow))
    return paths


# The stage -------------------------------------------------------------------------------------
def release_month(
    month: ReportingMonth, settings: Settings, progress: Progress | None = None
) -> ReleaseReport:
    """Read, protect, validate, record and stage one month; ``QualityGateError`` if it may not be published."""
    say = progress or log.info
    run_id = audit.new_run_id(month)
    tables = _protect(_read_mart_month(settings, month), settings.suppression_threshold)
    outcome = _validate(settings, month, tables)
    check_rows, dbt_rows, docs = _record(settings, month, run_id, outcome)
    failed = [r for r in check_rows if not r["success"]]
    out_dir = settings.quality_dir / month.label
    say(f"validate: {len(outcome)} suites, {len(check_rows)} checks, {len(failed)} not met; results in {out_dir}"
        + (f"; Data Docs {docs}" if docs else ""))
    results.raise_on_failure(outcome)  # a failed critical check (or too many quarantined rows) stops here
    paths = _stage(settings, month, tables)
    audit.write_draft(settings, month, run_id, check_rows, dbt_rows, paths, staged_audit_path(settings, month))
    rows = sum(len(t.frame) for t in tables.values())
    say(f"validate: {rows} validated rows of {len(tables)} table(s) staged for publish (run {run_id})")
    return ReleaseReport(
        month=month,
        run_id=run_id,
        suites=len(outcome),
        checks=len(check_rows),
        not_met=len(failed),
        staged=list(paths.values()),
        results_dir=out_dir,
        data_docs=docs,
    )
