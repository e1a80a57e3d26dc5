"""Running suites with Great Expectations: over a dataframe, and over the raw exports.

GX Core 1.x runs on pandas: GX's SQL datasource fails against DuckDB (GX issue 11579), so raw
tables are read with a read-only DuckDB connection into pandas and validated as a dataframe
asset. One ephemeral GX context is created on first use and reused, with GX's per-keyword
configuration rebuilds cut out (``gx_speedups``).

Given a ``reuse.ResultStore``, a suite already run over exactly the same data (same files, same
suite, same code and libraries) is not run again: its stored results are reused and marked so
(``reuse``). Raw extracts are recognised by their files' SHA-256 in ``raw.load_manifest``, so a
reused extract is not even read; frames by a digest of their content.

``validate_raw_exports`` adds two checks of its own to each raw suite:
``extract_available`` (an optional export with no extract is skipped, a warning; a required one
is critical) and, with a threshold, ``quarantine_within_threshold`` (critical). Whether an
extract may serve the month at all is decided once, before loading (``ingest.readiness``).
``validate_published`` runs the published table's suite. Nothing here raises on a failed check:
see ``results.raise_on_failure``.

GX, pandas and DuckDB are imported inside the functions that use them: importing this module
(and the pipeline) stays cheap, and a run whose every suite is reused never imports GX.
"""

from __future__ import annotations

import copy
import json
import logging
import math
import time
from collections.abc import Iterable
from datetime import date
from pathlib import Path, PureWindowsPath
from typing import TYPE_CHECKING, Any

from workforce.ingest.profile import column_text
from workforce.quality import reuse
from workforce.quality.checks import add_derived_columns
from workforce.quality.results import CheckResult, SuiteResult
from workforce.quality.suites import (
    CRITICAL,
    DERIVED_PREFIX,
    PUBLISHED_SUITE,
    PUBLISHED_TABLE,
    WARNING,
    QualitySuiteError,
    list_suites,
    load_suite,
    raw_suite_name,
)
from workforce.spec.contract import EXPORTS

if TYPE_CHECKING:  # pragma: no cover - typing only
    import pandas as pd

log = logging.getLogger(__name__)

RAW_SCHEMA = "raw"

#: The checks of each raw suite computed on every run from the warehouse's ingest records, never
#: reused: how many rows were quarantined, and how many values withheld.
ALWAYS_COMPUTED = ("quarantine_within_threshold", "no_identity_shaped_labels")

#: How many failing rows are named per check (their data rows, in messages and history rows).
_EXAMPLES = 5
#: BASIC has every field the messages read (counts, percentages, observed values); SUMMARY adds
#: value counts and row indexes, which cost metrics per check: only failed checks are run again
#: with it, for their rows (``_failing_rows``).
_RESULT_FORMAT = {"result_format": "BASIC", "partial_unexpected_count": _EXAMPLES}

_GX: dict[str, Any] = {}

#: Libraries whose INFO lines are noise in a task log (GX logs a "Skipping registering function"
#: line per decorated function at import, most of a validate task's log); their warnings and
#: errors still show.
QUIET_LOGGERS = ("great_expectations",)


def _batch_definition():
    """One ephemeral GX context, pandas datasource and whole-frame batch definition, reused."""
    if "batch_definition" not in _GX:
        started = time.perf_counter()
        for name in QUIET_LOGGERS:
            logging.getLogger(name).setLevel(max(logging.getLogger(name).getEffectiveLevel(), logging.WARNING))
        import great_expectations as gx
        from great_expectations.data_context.types.base import (
            DataContextConfig,
            InMemoryStoreBackendDefaults,
            ProgressBarsConfig,
        )

        from workforce.quality import gx_speedups

        gx_speedups.install()

        config = DataContextConfig(
            store_backend_defaults=InMemoryStoreBackendDefaults(init_temp_docs_sites=False),
            analytics_enabled=False,
            progress_bars=ProgressBarsConfig(globally=False),
        )
        # GX logs INFO chatter per expectation; keep it out of task logs unless asked for.
        gx_logger = logging.getLogger("great_expectations")
        if gx_logger.level == logging.NOTSET:
            gx_logger.setLevel(logging.WARNING)
        context = gx.get_context(mode="ephemeral", project_config=config)
        asset = context.data_sources.add_pandas("workforce_quality").add_dataframe_asset("frame")
        _GX["batch_definition"] = asset.add_batch_definition_whole_dataframe("whole_frame")
        _GX["ExpectationSuite"] = gx.ExpectationSuite
        log.info("quality: Great Expectations %s ready in %.2fs", gx.__version__, time.perf_counter() - started)
    return _GX["batch_definition"]


def _gx_suite(suite: dict):
    """The GX suite, each expectation tagged with its index so results map back in order.

    Derived checks' helper columns are appended to the frame; table-shape expectations are
    told about them so they judge only the real columns.
    """
    _batch_definition()
    helpers = [e["kwargs"]["column"] for e in suite["expectations"] if (e.get("meta") or {}).get("derived")]
    expectations = []
    for i, exp in enumerate(suite["expectations"]):
        exp = copy.deepcopy(exp)
        exp.setdefault("meta", {})["_index"] = i
        kwargs = exp.setdefault("kwargs", {})
        if helpers and exp["type"] == "expect_table_columns_to_match_set":
            kwargs["column_set"] = list(kwargs.get("column_set") or []) + helpers
        elif helpers and exp["type"] == "expect_table_columns_to_match_ordered_list":
            kwargs["column_list"] = list(kwargs.get("column_list") or []) + helpers
        elif helpers and exp["type"].startswith("expect_table_column_count"):
            raise QualitySuiteError(
                f"suite {suite['name']}: use expect_table_columns_to_match_set, not a column "
                "count, in a suite with derived checks"
            )
        expectations.append(exp)
    gx_suite = _GX["ExpectationSuite"](name=suite["name"], expectations=expectations)
    if len(gx_suite.expectations) != len(expectations):  # GX logs and drops invalid configs
        kept = {e.meta.get("_index") for e in gx_suite.expectations}
        bad = [f"{i} ({suite['expectations'][i]['type']})" for i in range(len(expectations)) if i not in kept]
        raise QualitySuiteError(f"suite {suite['name']}: GX rejected expectation(s) {', '.join(bad)}")
    return gx_suite


def _check_column(exp: dict) -> str | None:
    meta, kwargs = exp.get("meta") or {}, exp.get("kwargs") or {}
    if meta.get("derived"):
        return meta["derived"].get("column")
    if "column" in kwargs:
        return kwargs["column"]
    if "column_A" in kwargs:
        return f"{kwargs['column_A']}, {kwargs['column_B']}"
    if "column_list" in kwargs:
        return ", ".join(kwargs["column_list"])
    return None


def _exception_message(exception_info: Any) -> str | None:
    if not exception_info:
        return None
    infos = [exception_info] if "raised_exception" in exception_info else exception_info.values()
    messages = [i.get("exception_message") for i in infos if isinstance(i, dict) and i.get("raised_exception")]
    return "; ".join(m or "unknown error" for m in messages) or None


def _short(value: Any, limit: int = 300) -> str:
    text = value if isinstance(value, str) else json.dumps(value, default=str)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _gx_frame(df: pd.DataFrame) -> pd.DataFrame:
    """The frame GX validates, with dates in nanoseconds.

    DuckDB hands dates back as ``datetime64[us]``, which GX compares with a bound value by value
    in Python (``expect_column_values_to_be_between``: about a second per 100,000 rows); it
    compares nanosecond dates in one vectorised step, with the same outcome. A date outside
    1677-2262 keeps its unit (and the slow path).
    """
    import pandas as pd

    converted = {}
    for name, column in df.items():
        # naive dates only: GX vectorises time zones already
        if not pd.api.types.is_datetime64_dtype(column.dtype):
            continue
        if str(column.dtype) not in ("datetime64[s]", "datetime64[ms]", "datetime64[us]"):
            continue
        try:
            converted[name] = column.astype("datetime64[ns]")
        except (OverflowError, ValueError):  # out of range (OutOfBoundsDatetime is a ValueError)
            continue
    if not converted:
        return df
    frame = df.copy(deep=False)
    for name, column in converted.items():
        frame[name] = column
    return frame


#: Where a row of a raw frame comes from: its data row in its file (``warehouse.LINEAGE_COLUMNS``).
ROW_COLUMN = "_row_number"
#: What GX puts in a result that is drawn from the rows' values. None of it is kept: quality
#: results, Data Docs and messages carry counts, columns and row positions, never values.
VALUE_KEYS = ("partial_unexpected_list", "partial_unexpected_counts", "partial_unexpected_index_list",
              "unexpected_list", "unexpected_index_list", "unexpected_index_query", "unexpected_rows_query")


def scrub_values(result: dict, rows: list[int] | None = None) -> dict:
    """GX's result of one check without any value drawn from the data (``VALUE_KEYS``); with
    ``rows``, the data rows (``_row_number``) of the first failing rows instead."""
    for key in VALUE_KEYS:
        result.pop(key, None)
    if rows:
        result["partial_unexpected_rows"] = rows
    return result


def _failing_rows(frame: pd.DataFrame, gx_suite, failed: list) -> dict[int, list[int]]:
    """The data rows of the first failing rows of each failed check (GX's SUMMARY, index column
    ``_row_number``), run again over the failed checks only: a passing run pays nothing."""
    if ROW_COLUMN not in frame.columns or not failed:
        return {}
    suite = _GX["ExpectationSuite"](name=f"{gx_suite.name}__rows", expectations=[
        copy.deepcopy(e) for e in gx_suite.expectations if e.meta.get("_index") in failed])
    fmt = {"result_format": "SUMMARY", "partial_unexpected_count": _EXAMPLES,
           "unexpected_index_column_names": [ROW_COLUMN]}
    validation = _batch_definition().get_batch(batch_parameters={"dataframe": frame}).validate(suite, result_format=fmt)
    rows: dict[int, list[int]] = {}
    for r in validation.results:
        found = []
        for entry in (r.result or {}).get("partial_unexpected_index_list") or []:
            value = entry.get(ROW_COLUMN) if isinstance(entry, dict) else None
            if value is not None and not (isinstance(value, float) and math.isnan(value)):
                found.append(int(value))
        rows[r.expectation_config.meta.get("_index")] = sorted(set(found))[:_EXAMPLES]
    return rows


def _observed(result: dict, success: bool) -> str:
    """What a check found, in counts, columns and data rows only (never a value of the data)."""
    if "unexpected_count" in result:
        count, total = result.get("unexpected_count") or 0, result.get("element_count") or 0
        text = f"{count} of {total} rows unexpected"
        if count:
            pct = result.get("unexpected_percent")
            if pct is not None and not math.isnan(pct):
                text += f" ({pct:.2f}%)"
            rows = result.get("partial_unexpected_rows")
            if rows:
                text += f"; data row{'s' if len(rows) > 1 else ''} {', '.join(map(str, rows))}"
                text += " (first of them)" if count > len(rows) else ""
        return text
    if "observed_value" in result:
        value = result["observed_value"]
        if isinstance(value, list):  # table columns: hide derived checks' helper columns
            value = [v for v in value if not str(v).startswith(DERIVED_PREFIX)]
        text = f"observed {_short(value)}"
        mismatched = (result.get("details") or {}).get("mismatched")
        if mismatched and not success:
            text += f"; mismatched {_short(mismatched)}"
        return text
    return _short(result) if result else "no result"


def validate_dataframe(
    df: pd.DataFrame,
    suite_name: str,
    expectations_dir: Path,
    data_name: str,
    store: reuse.ResultStore | None = None,
    key: str | None = None,
) -> SuiteResult:
    """Run one suite against a frame and return every check's outcome (never raises on failure).

    With a ``store``, the result is stored under ``key`` (by default the frame's content digest),
    and a result already stored under it is reused instead of validating again. A caller that
    passes ``key`` has looked it up already: the suite is run.
    """
    started = time.perf_counter()
    suite = load_suite(expectations_dir, suite_name)
    if store is not None and key is None:
        key = store.key(suite, {"frame": reuse.frame_digest(df)})
        reused = store.reuse(suite_name, key, data_name)
        if reused is not None:
            _log_suite(reused, time.perf_counter() - started, len(df))
            return reused
    frame, errors = add_derived_columns(df, suite)
    gx_suite = _gx_suite(suite)
    frame = _gx_frame(frame)
    batch = _batch_definition().get_batch(batch_parameters={"dataframe": frame})
    validation = batch.validate(gx_suite, result_format=_RESULT_FORMAT)
    validated_at = reuse.now()
    failed = [r.expectation_config.meta.get("_index") for r in validation.results
              if (r.result or {}).get("unexpected_count")]
    rows = _failing_rows(frame, gx_suite, failed)
    for r in validation.results:  # nothing drawn from the data's values goes further
        scrub_values(r.result or {}, rows.get(r.expectation_config.meta.get("_index")))

    by_index = {r.expectation_config.meta.get("_index"): r for r in validation.results}
    checks = []
    for i, exp in enumerate(suite["expectations"]):
        meta = exp["meta"]
        gx_result = by_index.get(i)
        name = meta["derived"]["check"] if meta.get("derived") else exp["type"]
        if i in errors:
            success, observed = False, f"error: {errors[i]}"
        elif gx_result is None:
            success, observed = False, "error: GX returned no result"
        else:
            error = _exception_message(gx_result.exception_info)
            success = bool(gx_result.success) and error is None
            observed = f"error: {error}" if error else _observed(gx_result.result or {}, success)
        checks.append(
            CheckResult(
                suite=suite_name,
                expectation=name,
                column=_check_column(exp),
                severity=meta["severity"],
                success=success,
                observed=observed,
                description=meta["description"],
                validated_at=validated_at,
            )
        )
    result = SuiteResult(
        suite=suite_name,
        data_name=data_name,
        success=not any(c.severity == CRITICAL and not c.success for c in checks),
        results=checks,
        gx_result=validation,
    )
    if store is not None and key is not None:
        store.hold(result, key, validated_at)
    _log_suite(result, time.perf_counter() - started, len(df))
    return result


def _log_suite(result: SuiteResult, seconds: float, rows: int | None) -> None:
    critical, warnings = len(result.failures(CRITICAL)), len(result.failures(WARNING))
    state = "SKIPPED" if result.skipped else "passed" if result.success else "FAILED"
    log.log(
        logging.INFO if result.success else logging.ERROR,
        "quality %-40s %-7s %3d checks, %d critical failed, %d warnings; %s%s in %.2fs%s",
        result.suite,
        state,
        len(result.results),
        critical,
        warnings,
        result.data_name,
        "" if rows is None else f" ({rows} rows)",
        seconds,
        f" (results reused from run {result.reused_from_run})" if result.reused_from_run else "",
    )


def _source_label(paths: Iterable[str]) -> str:
    names = sorted({PureWindowsPath(p).name for p in paths if p})  # handles / and \ separators
    return ", ".join(names) if names else "no source file recorded"


def validate_raw_exports(
    warehouse_path: Path,
    month_end: date,
    expectations_dir: Path,
    quarantine_max_pct: float | None = None,
    serving: dict[str, str] | None = None,
    store: reuse.ResultStore | None = None,
) -> list[SuiteResult]:
    """Validate, per export with a suite, the rows of the extract that served the month.

    ``serving`` (export -> extract date, ISO) names the extracts, as the month's capture recorded
    them; without it, the latest extract on or before ``month_end`` is used (tests, ad-hoc checks).

    Opens the warehouse read-only. An optional export with no such extract is reported as
    skipped (a warning); a required one is a critical failure. With ``quarantine_max_pct``,
    each suite also gets a critical ``quarantine_within_threshold`` check: the share of the
    extract's rows set aside at ingest (``raw.quarantine``) is at most that percentage.

    With a ``store``, an extract whose files (``raw.load_manifest``) were validated before by
    the same suite is not read again: the stored results are reused (the quarantine check is
    always computed).
    """
    import duckdb

    suites = set(list_suites(expectations_dir))
    results = []
    con = duckdb.connect(str(warehouse_path), read_only=True)
    try:
        tables = {
            row[0]
            for row in con.execute(
                "select table_name from information_schema.tables where table_schema = ?",
                [RAW_SCHEMA],
            ).fetchall()
        }
        raw_columns = _raw_columns(con)
        for spec in EXPORTS:
            suite_name = raw_suite_name(spec.name)
            if suite_name not in suites:
                log.warning("quality: no suite %s for export %s; not validated", suite_name, spec.name)
                continue
            table = f"{RAW_SCHEMA}.{spec.name}"
            extract = None
            if serving is not None:
                extract = date.fromisoformat(serving[spec.name]) if spec.name in serving else None
            elif spec.name in tables:
                row = con.execute(
                    f'select max(_extract_date) from {RAW_SCHEMA}."{spec.name}" where _extract_date <= ?',
                    [month_end],
                ).fetchone()
                if row is None:  # an aggregate without group by always returns one row
                    raise RuntimeError(f"no result from max(_extract_date) of {table}")
                extract = row[0]
            if extract is None:
                results.append(_missing_extract(spec, suite_name, table, month_end, spec.name in tables))
                continue
            columns = raw_columns.get(spec.name, [])
            files = []
            if "_source_file" in {name for name, _ in columns}:
                files = [row[0] for row in con.execute(
                    f'select distinct _source_file from {RAW_SCHEMA}."{spec.name}" '
                    "where _extract_date = ? and _source_file is not null", [extract]).fetchall()]
            data_name = f"{table} extract {extract:%Y-%m-%d} ({_source_label(files)})"
            result, key = None, None
            if store is not None:
                identity = _extract_identity(con, spec.name, extract, columns)
                if identity is not None:
                    started = time.perf_counter()
                    key = store.key(load_suite(expectations_dir, suite_name), identity)
                    result = store.reuse(suite_name, key, data_name)
                    if result is not None:
                        _log_suite(result, time.perf_counter() - started, identity["rows"])
            if result is None:
                df = con.execute(f'select * from {RAW_SCHEMA}."{spec.name}" where _extract_date = ?', [extract]).df()
                result = validate_dataframe(df, suite_name, expectations_dir, data_name, store, key)
            if quarantine_max_pct is not None:
                check = _quarantine_check(con, spec.name, suite_name, extract, quarantine_max_pct)
                result.results.append(check)
                result.success = result.success and check.success
            if any(c.checked_for_identity for c in spec.columns) and "withheld_values" in tables:
                result.results.append(_withheld_check(con, spec.name, suite_name, extract))
            results.append(result)
    finally:
        con.close()
    return results


def _raw_columns(con) -> dict[str, list[tuple[str, str]]]:
    """Each raw table's columns and types, in order (one catalogue query for all tables)."""
    columns: dict[str, list[tuple[str, str]]] = {}
    for table, column, data_type in con.execute(
        "select table_name, column_name, data_type from duckdb_columns() "
        "where database_name = current_database() and schema_name = ? order by table_name, column_index",
        [RAW_SCHEMA],
    ).fetchall():
        columns.setdefault(table, []).append((column, data_type))
    return columns


def _extract_identity(con, export_name: str, extract: date, columns: list[tuple[str, str]]) -> dict | None:
    """What the rows of one extract are made from: its files as loaded (``raw.load_manifest``:
    source file, SHA-256, load time, rows), and the rows as they are (count, a sum of row hashes:
    milliseconds in DuckDB) with their table's columns. None when the manifest has no entry for
    it (nothing to recognise it by: its frame's digest is used)."""
    import duckdb

    try:
        cursor = con.execute(
            "select * from raw.load_manifest where export_name = ? and extract_date = ? order by all",
            [export_name, extract],
        )
    except duckdb.Error:
        return None
    names = [d[0] for d in cursor.description]
    files = [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
    if not files:
        return None
    rows, digest = con.execute(  # the rows themselves, in case anything changed them in place
        f'select count(*), sum(hash(t)::hugeint) from {RAW_SCHEMA}."{export_name}" t where _extract_date = ?',
        [extract],
    ).fetchone() or (0, None)
    return {"table": f"{RAW_SCHEMA}.{export_name}", "extract": extract, "files": files, "rows": rows,
            "rows_digest": str(digest), "columns": columns}


def _missing_extract(spec, suite_name: str, table: str, month_end: date, table_exists: bool) -> SuiteResult:
    severity = CRITICAL if spec.required else WARNING
    where = "" if table_exists else f" (no table {table})"
    check = CheckResult(
        suite=suite_name,
        expectation="extract_available",
        column=None,
        severity=severity,
        success=False,
        observed=f"no extract on or before {month_end:%Y-%m-%d}{where}",
        validated_at=reuse.now(),
        description=(
            f"An extract of the {'required' if spec.required else 'optional'} export "
            f"{spec.name} dated on or before the reporting month end is in the warehouse."
            + ("" if spec.required else " Missing: its indicators are published as 'x'.")
        ),
    )
    result = SuiteResult(
        suite=suite_name,
        data_name=f"{table} (no extract on or before {month_end:%Y-%m-%d})",
        success=not spec.required,
        results=[check],
        skipped=not spec.required,
    )
    _log_suite(result, 0.0, None)
    return result


def _quarantine_check(con, export_name: str, suite_name: str, extract: date, max_pct: float) -> CheckResult:
    """Rows of the export's extract quarantined at ingest, against the threshold."""
    read, quarantined = con.execute(
        "select coalesce(sum(coalesce(rows_read, row_count)), 0), coalesce(sum(rows_quarantined), 0) "
        "from raw.load_manifest where export_name = ? and extract_date = ?",
        [export_name, extract],
    ).fetchone()
    rules = []
    if quarantined:
        rules = con.execute(
            "select rule, column_name, count(distinct (source_file, row_number)) n, any_value(source_column) "
            "from raw.quarantine where export_name = ? and extract_date = ? "
            "group by rule, column_name order by n desc, rule, column_name",
            [export_name, extract],
        ).fetchall()
    pct = 100.0 * quarantined / read if read else 0.0
    observed = f"{quarantined} of {read} rows quarantined ({pct:.2f}%)"
    if rules:  # the council's own column beside the contract's, when a mapping profile reads it
        observed += ": " + ", ".join(f"{rule} on {column_text(column, source)} x{n}"
                                     for rule, column, n, source in rules[:8])
    return CheckResult(
        suite=suite_name,
        expectation="quarantine_within_threshold",
        column=", ".join(sorted({column for _, column, _, _ in rules})) or None,
        severity=CRITICAL,
        success=pct <= max_pct,
        observed=observed,
        description=(
            f"At most {max_pct:g}% of the extract's rows were quarantined at ingest "
            "(WORKFORCE_QUARANTINE_MAX_PCT); more means the export is too broken to publish from. "
            "The rows, rules and values are in raw.quarantine."
        ),
        validated_at=reuse.now(),
    )


def _withheld_check(con, export_name: str, suite_name: str, extract: date) -> CheckResult:
    """Identity-shaped label or free-text values replaced at ingest (``raw.withheld_values``): a
    warning naming the columns, files and lines, never the values."""
    rows = con.execute(
        "select column_name, source_file, count(*), list(line_number order by line_number)[1:5], "
        "any_value(source_column) from raw.withheld_values where export_name = ? and extract_date = ? "
        "group by column_name, source_file order by column_name, source_file",
        [export_name, extract],
    ).fetchall()
    total = sum(row[2] for row in rows)
    observed = f"{total} value(s) withheld"
    if rows:
        observed += ": " + "; ".join(
            f"{column_text(column, own)} x{n} in {PureWindowsPath(source).name} "
            f"(line{'s' if len(lines) > 1 else ''} {', '.join(str(x) for x in lines)}"
            f"{', ...' if n > len(lines) else ''})"
            for column, source, n, lines, own in rows)
    return CheckResult(
        suite=suite_name,
        expectation="no_identity_shaped_labels",
        column=", ".join(sorted({row[0] for row in rows})) or None,
        severity=WARNING,
        success=total == 0,
        observed=observed,
        description=(
            "No label or free-text value of the extract is shaped like a person's identity (an identifier, "
            "e-mail address, registration, phone or NI number, date, postcode, title and name). Any that is "
            "has been replaced at ingest by a withheld-... label (raw.withheld_values): correct it in the "
            "source system."
        ),
        validated_at=reuse.now(),
    )


def validate_published(
    df: pd.DataFrame, expectations_dir: Path, data_name: str | None = None, store: reuse.ResultStore | None = None
) -> SuiteResult:
    """Validate the published ``scrutiny_workforce_monthly`` frame before it is published."""
    if data_name is None:
        data_name = f"published {PUBLISHED_TABLE}"
        if "month_end" in df and len(df):
            months = df["month_end"].dropna()
            if len(months):
                data_name += f" month_end {_fmt_date(months.min())}..{_fmt_date(months.max())}"
    return validate_dataframe(df, PUBLISHED_SUITE, expectations_dir, data_name, store)


def _fmt_date(value: Any) -> str:
    return value.strftime("%Y-%m-%d") if hasattr(value, "strftime") else str(value)

