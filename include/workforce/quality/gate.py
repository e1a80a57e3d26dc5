"""Data-quality gate: Great Expectations suites over the raw exports and the published table.

Suites are hand-written JSON files under ``expectations/`` (one per raw export,
``raw_<export>.json``, and ``published_scrutiny_workforce_monthly.json``). Every expectation
carries ``meta.severity``: ``critical`` checks fail the run (``raise_on_failure`` raises
``QualityGateError``), ``warning`` checks are recorded and logged.

Checks that no built-in expectation expresses (a rate consistent with its published parts,
one LA-level row per month, ...) are *derived checks*: ``meta.derived`` names a function in
``DERIVED_CHECKS`` that computes a helper column holding ``None`` for a good row and a
plain-English problem for a bad one; the expectation (``expect_column_values_to_be_null`` on
that helper column) then runs inside the same GX validation and is reported like any other.

GX Core 1.x runs on pandas: GX's SQL datasource fails against DuckDB (GX issue 11579), so raw
tables are read with a read-only DuckDB connection. Pandas, DuckDB and GX are imported inside
functions: Airflow DAG files import this module and must stay light at import time.
"""

from __future__ import annotations

import copy
import json
import logging
import math
import re
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path, PureWindowsPath
from typing import TYPE_CHECKING, Any

from workforce.spec.contract import EXPORTS
from workforce.spec.indicators import KEY_COLUMNS, LA_LEVEL

if TYPE_CHECKING:  # pragma: no cover - typing only
    import pandas as pd

log = logging.getLogger(__name__)

CRITICAL = "critical"
WARNING = "warning"
SEVERITIES = (CRITICAL, WARNING)

RAW_SCHEMA = "raw"
RAW_SUITE_PREFIX = "raw_"
PUBLISHED_TABLE = "scrutiny_workforce_monthly"
PUBLISHED_SUITE = f"published_{PUBLISHED_TABLE}"
LINEAGE_COLUMNS = ("_source_file", "_extract_date", "_row_number")
DERIVED_PREFIX = "_check_"

#: How many failing values GX keeps per check (they end up in messages and history rows).
_EXAMPLES = 5
_RESULT_FORMAT = {"result_format": "SUMMARY", "partial_unexpected_count": _EXAMPLES}


# Results ------------------------------------------------------------------------------------
@dataclass
class CheckResult:
    suite: str
    expectation: str
    column: str | None
    severity: str
    success: bool
    observed: str
    description: str


@dataclass
class SuiteResult:
    suite: str
    data_name: str
    success: bool  # no critical check failed
    results: list[CheckResult] = field(default_factory=list)
    skipped: bool = False  # an optional export with no extract: nothing was validated
    gx_result: Any = field(default=None, repr=False, compare=False)  # GX's own result, for Data Docs

    def failures(self, severity: str = CRITICAL) -> list[CheckResult]:
        return [r for r in self.results if not r.success and r.severity == severity]


class QualitySuiteError(ValueError):
    """A suite file is missing or malformed."""


class QualityGateError(RuntimeError):
    """One or more critical checks failed; the message lists each of them."""

    def __init__(self, message: str, failures: Iterable[tuple[SuiteResult, CheckResult]] = ()):
        super().__init__(message)
        self.failures = list(failures)


# Suites ---------------------------------------------------------------------------------------
def list_suites(expectations_dir: Path) -> list[str]:
    """Names of the suites (JSON files) in ``expectations_dir``, sorted."""
    return sorted(p.stem for p in Path(expectations_dir).glob("*.json"))


def raw_suite_name(export_name: str) -> str:
    return f"{RAW_SUITE_PREFIX}{export_name}"


def load_suite(expectations_dir: Path, name: str) -> dict:
    """Read and check one suite file; raise ``QualitySuiteError`` naming what is wrong."""
    path = Path(expectations_dir) / f"{name}.json"
    if not re.fullmatch(r"[a-z0-9_]+", name) or not path.is_file():
        known = ", ".join(list_suites(expectations_dir)) or "none"
        raise QualitySuiteError(f"unknown expectation suite {name!r} in {expectations_dir}; known suites: {known}")
    try:
        suite = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise QualitySuiteError(f"{path.name} is not valid JSON: {exc}") from exc
    _check_suite(suite, name)
    return suite


def _check_suite(suite: Any, name: str) -> None:
    if not isinstance(suite, dict) or not isinstance(suite.get("expectations"), list):
        raise QualitySuiteError(f"suite {name}: expected an object with an 'expectations' list")
    if suite.get("name") != name:
        raise QualitySuiteError(f"suite {name}: 'name' is {suite.get('name')!r}, not {name!r}")
    derived_columns = set()
    for i, exp in enumerate(suite["expectations"]):
        where = f"suite {name}, expectation {i} ({exp.get('type') if isinstance(exp, dict) else exp})"
        if not isinstance(exp, dict) or not isinstance(exp.get("type"), str):
            raise QualitySuiteError(f"{where}: needs a 'type'")
        meta = exp.get("meta") or {}
        if meta.get("severity") not in SEVERITIES:
            raise QualitySuiteError(f"{where}: meta.severity must be one of {SEVERITIES}")
        if not str(meta.get("description", "")).strip():
            raise QualitySuiteError(f"{where}: meta.description is empty")
        derived = meta.get("derived")
        if derived is not None:
            column = exp.get("kwargs", {}).get("column", "")
            if derived.get("check") not in DERIVED_CHECKS:
                raise QualitySuiteError(
                    f"{where}: unknown derived check {derived.get('check')!r}; "
                    f"known: {', '.join(sorted(DERIVED_CHECKS))}"
                )
            if exp["type"] != "expect_column_values_to_be_null":
                raise QualitySuiteError(f"{where}: a derived check uses expect_column_values_to_be_null")
            if not column.startswith(DERIVED_PREFIX) or column in derived_columns:
                raise QualitySuiteError(f"{where}: a derived check needs its own column named {DERIVED_PREFIX}...")
            derived_columns.add(column)


# Derived checks -------------------------------------------------------------------------------
# Each takes the frame and the parameters from meta.derived and returns a Series aligned with
# the frame: None where the row is fine (or the check does not apply), a message where not.


def _num(df: pd.DataFrame, column: str) -> pd.Series:
    import pandas as pd

    return pd.to_numeric(df[column], errors="coerce").astype("float64")


def _fmt(value: Any) -> str:
    import pandas as pd

    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return "null"
    if isinstance(value, pd.Timestamp):
        return value.strftime("%Y-%m-%d") if value == value.normalize() else str(value)
    if isinstance(value, float):
        return f"{value:.10g}"
    return str(value)


def _row_label(row: dict) -> str:
    keys = [_fmt(row[k]) for k in KEY_COLUMNS if k in row]
    return " ".join(keys) if keys else f"row {row.get('__index__')}"


def _messages(df: pd.DataFrame, mask: pd.Series, build: Callable[[dict], str]) -> pd.Series:
    import pandas as pd

    out = pd.Series([None] * len(df), index=df.index, dtype="object")
    mask = mask.fillna(False).astype(bool)
    if mask.any():
        records = df.loc[mask].to_dict("records")
        out.loc[mask] = [build({**record, "__index__": i}) for i, record in zip(mask.index[mask], records, strict=True)]
    return out


def _rate_matches_parts(
    df: pd.DataFrame,
    *,
    column: str,
    numerator: str,
    denominator: str,
    multiplier: float = 100,
    tolerance: float = 0.051,
    numerator_rounding: float = 0.0,
    denominator_rounding: float = 0.0,
) -> pd.Series:
    """rate ~= numerator / denominator * multiplier, where all three are published.

    The rate was rounded once to 1 dp from unrounded parts (error <= 0.05); FTE parts are
    published rounded to 2 dp (error <= 0.005 each), which the tolerance widens by the worst
    case of that error carried through the division. Zero denominators are another check's.
    """
    import numpy as np

    rate, num, den = _num(df, column), _num(df, numerator), _num(df, denominator)
    applies = rate.notna() & num.notna() & den.notna() & (den != 0)
    ratio = num / den.where(den != 0)
    recomputed = ratio * multiplier
    margin = den.abs() - denominator_rounding
    carried = multiplier * (numerator_rounding + ratio.abs() * denominator_rounding) / margin
    allowed = tolerance + carried.where(margin > 0, np.inf)
    mask = applies & ((rate - recomputed).abs() > allowed)

    def build(row: dict) -> str:
        i = row["__index__"]
        return (
            f"{_row_label(row)}: {column} {_fmt(row[column])} but {numerator}/{denominator}"
            f"{'' if multiplier == 1 else f' x {multiplier:g}'} = {_fmt(row[numerator])}/"
            f"{_fmt(row[denominator])} = {recomputed[i]:.3f} (tolerance {allowed[i]:.3f})"
        )

    return _messages(df, mask, build)


def _zero_denominator_not_applicable(
    df: pd.DataFrame, *, column: str, denominator: str, status_column: str, status: str = "z"
) -> pd.Series:
    """A zero denominator gives a null rate with status 'z' (or a symbol that takes precedence: 'x' not
    available, 'c' suppressed); status 'z' means a zero denominator."""
    rate, den = _num(df, column), _num(df, denominator)
    symbol = df[status_column].astype("object")
    flagged = symbol.eq(status)
    explained = flagged | symbol.isin(("x", "c"))
    zero = den.eq(0)
    mask = (zero & (rate.notna() | ~explained)) | (flagged & den.notna() & ~zero)

    def build(row: dict) -> str:
        return (
            f"{_row_label(row)}: {denominator} {_fmt(row[denominator])}, "
            f"{column} {_fmt(row[column])}, {status_column} {_fmt(row[status_column])} "
            f"(a zero denominator needs a null rate with status '{status}')"
        )

    return _messages(df, mask, build)


def _value_null_iff_status(df: pd.DataFrame, *, column: str, status_column: str) -> pd.Series:
    """The value is null exactly when a status symbol says why."""
    value_null = df[column].isna()
    status_set = df[status_column].notna()
    mask = value_null != status_set

    def build(row: dict) -> str:
        return f"{_row_label(row)}: {column} {_fmt(row[column])} with {status_column} {_fmt(row[status_column])}"

    return _messages(df, mask, build)


def _one_row_per_group(
    df: pd.DataFrame, *, column: str, value: str, group_by: list[str], expected: int = 1
) -> pd.Series:
    """Each group (e.g. la_code + month_end) has exactly ``expected`` rows with column == value."""
    hits = df[column].astype("object").eq(value).astype(int)
    counts = hits.groupby([df[g] for g in group_by], dropna=False).transform("sum")
    mask = counts != expected

    def build(row: dict) -> str:
        group = " ".join(f"{g} {_fmt(row[g])}" for g in group_by)
        n = counts[row["__index__"]]
        return f"{group} has {n} rows with {column} = '{value}' (expected {expected})"

    return _messages(df, mask, build)


def _not_greater_than_la_level(
    df: pd.DataFrame,
    *,
    column: str,
    group_by: list[str],
    level_column: str = "service_area",
    la_level: str = LA_LEVEL,
) -> pd.Series:
    """A breakdown row's value does not exceed the LA-level value of the same group."""
    values = _num(df, column)
    is_la = df[level_column].astype("object").eq(la_level)
    keys = [df[g] for g in group_by]
    la_values = values.where(is_la).groupby(keys, dropna=False).transform("max")
    mask = ~is_la & values.notna() & la_values.notna() & (values > la_values + 1e-9)

    def build(row: dict) -> str:
        return f"{_row_label(row)}: {column} {_fmt(row[column])} > LA level {_fmt(la_values[row['__index__']])}"

    return _messages(df, mask, build)


def _rounded_to(df: pd.DataFrame, *, column: str, decimals: int) -> pd.Series:
    """Values carry at most ``decimals`` decimal places (0: whole numbers)."""
    import numpy as np

    scaled = _num(df, column) * 10**decimals
    mask = scaled.notna() & ((scaled - np.round(scaled)).abs() > 1e-6)

    def build(row: dict) -> str:
        return f"{_row_label(row)}: {column} {row[column]!r} has more than {decimals} decimals"

    return _messages(df, mask, build)


def _equals_sum(df: pd.DataFrame, *, column: str, terms: dict[str, float], tolerance: float) -> pd.Series:
    """column == sum(coefficient x term) within tolerance (rows with a null part are skipped)."""
    total = sum(_num(df, term) * coef for term, coef in terms.items())
    values = _num(df, column)
    mask = values.notna() & total.notna() & ((values - total).abs() > tolerance)
    formula = " + ".join(t if c == 1 else f"{c:g} x {t}" for t, c in terms.items())

    def build(row: dict) -> str:
        return f"{_row_label(row)}: {column} {_fmt(row[column])} but {formula} = {total[row['__index__']]:.3f}"

    return _messages(df, mask, build)


def _is_month_end(df: pd.DataFrame, *, column: str) -> pd.Series:
    """Dates are the last calendar day of their month."""
    import pandas as pd

    values = pd.to_datetime(df[column], errors="coerce")
    mask = df[column].notna() & (values.isna() | ~values.dt.is_month_end | (values != values.dt.normalize()))

    def build(row: dict) -> str:
        return f"{_row_label(row)}: {column} {_fmt(row[column])} is not a month end"

    return _messages(df, mask, build)


DERIVED_CHECKS: dict[str, Callable[..., pd.Series]] = {
    "rate_matches_parts": _rate_matches_parts,
    "zero_denominator_not_applicable": _zero_denominator_not_applicable,
    "value_null_iff_status": _value_null_iff_status,
    "one_row_per_group": _one_row_per_group,
    "not_greater_than_la_level": _not_greater_than_la_level,
    "rounded_to": _rounded_to,
    "equals_sum": _equals_sum,
    "is_month_end": _is_month_end,
}


def _add_derived_columns(df: pd.DataFrame, suite: dict) -> tuple[pd.DataFrame, dict[int, str]]:
    """Frame with one helper column per derived check, and errors by expectation index."""
    derived = [(i, exp) for i, exp in enumerate(suite["expectations"]) if (exp.get("meta") or {}).get("derived")]
    if not derived:
        return df, {}
    df = df.reset_index(drop=True)  # checks look rows up by label: make labels unique
    columns, errors = {}, {}
    for i, exp in derived:
        params = dict(exp["meta"]["derived"])
        check = params.pop("check")
        try:
            columns[exp["kwargs"]["column"]] = DERIVED_CHECKS[check](df, **params)
        except Exception as exc:  # a missing column or a bad parameter: report, don't crash
            errors[i] = f"could not evaluate {check}: {type(exc).__name__}: {exc}"
            columns[exp["kwargs"]["column"]] = None  # keeps the frame's shape as GX expects
    import pandas as pd

    return pd.concat([df, pd.DataFrame(columns, index=df.index)], axis=1), errors


# Validation -----------------------------------------------------------------------------------
_GX: dict[str, Any] = {}


def _batch_definition():
    """One ephemeral GX context, pandas datasource and whole-frame batch definition, reused."""
    if "batch_definition" not in _GX:
        started = time.perf_counter()
        import great_expectations as gx
        from great_expectations.data_context.types.base import (
            DataContextConfig,
            InMemoryStoreBackendDefaults,
            ProgressBarsConfig,
        )

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


def _observed(exp: dict, result: dict, success: bool) -> str:
    if "unexpected_count" in result:
        count, total = result.get("unexpected_count") or 0, result.get("element_count") or 0
        text = f"{count} of {total} rows unexpected"
        if count:
            pct = result.get("unexpected_percent")
            if pct is not None and not math.isnan(pct):
                text += f" ({pct:.2f}%)"
            examples = list(
                dict.fromkeys(  # distinct, in order
                    _short(e, 200) for e in result.get("partial_unexpected_list") or []
                )
            )
            if examples:
                text += f"; e.g. {'; '.join(examples[:_EXAMPLES])}"
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


def validate_dataframe(df: pd.DataFrame, suite_name: str, expectations_dir: Path, data_name: str) -> SuiteResult:
    """Run one suite against a frame and return every check's outcome (never raises on failure)."""
    started = time.perf_counter()
    suite = load_suite(expectations_dir, suite_name)
    frame, errors = _add_derived_columns(df, suite)
    gx_suite = _gx_suite(suite)
    batch = _batch_definition().get_batch(batch_parameters={"dataframe": frame})
    validation = batch.validate(gx_suite, result_format=_RESULT_FORMAT)

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
            observed = f"error: {error}" if error else _observed(exp, gx_result.result or {}, success)
        checks.append(
            CheckResult(
                suite=suite_name,
                expectation=name,
                column=_check_column(exp),
                severity=meta["severity"],
                success=success,
                observed=observed,
                description=meta["description"],
            )
        )
    result = SuiteResult(
        suite=suite_name,
        data_name=data_name,
        success=not any(c.severity == CRITICAL and not c.success for c in checks),
        results=checks,
        gx_result=validation,
    )
    _log_suite(result, time.perf_counter() - started, len(df))
    return result


def _log_suite(result: SuiteResult, seconds: float, rows: int | None) -> None:
    critical, warnings = len(result.failures(CRITICAL)), len(result.failures(WARNING))
    state = "SKIPPED" if result.skipped else "passed" if result.success else "FAILED"
    log.log(
        logging.INFO if result.success else logging.ERROR,
        "quality %-40s %-7s %3d checks, %d critical failed, %d warnings; %s%s in %.2fs",
        result.suite,
        state,
        len(result.results),
        critical,
        warnings,
        result.data_name,
        "" if rows is None else f" ({rows} rows)",
        seconds,
    )


def _source_label(paths: Iterable[str]) -> str:
    names = sorted({PureWindowsPath(p).name for p in paths if p})  # handles / and \ separators
    return ", ".join(names) if names else "no source file recorded"


def validate_raw_exports(
    warehouse_path: Path, month_end: date, expectations_dir: Path, quarantine_max_pct: float | None = None
) -> list[SuiteResult]:
    """Validate, per export with a suite, the rows of its latest extract on or before month_end.

    Opens the warehouse read-only. An optional export with no such extract is reported as
    skipped (a warning); a required one is a critical failure. With ``quarantine_max_pct``,
    each suite also gets a critical ``quarantine_within_threshold`` check: the share of the
    extract's rows set aside at ingest (``raw.quarantine``) is at most that percentage.
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
        for spec in EXPORTS:
            suite_name = raw_suite_name(spec.name)
            if suite_name not in suites:
                log.warning("quality: no suite %s for export %s; not validated", suite_name, spec.name)
                continue
            table = f"{RAW_SCHEMA}.{spec.name}"
            extract = None
            if spec.name in tables:
                extract = con.execute(
                    f'select max(_extract_date) from {RAW_SCHEMA}."{spec.name}" where _extract_date <= ?',
                    [month_end],
                ).fetchone()[0]
            if extract is None:
                results.append(_missing_extract(spec, suite_name, table, month_end, spec.name in tables))
                continue
            df = con.execute(f'select * from {RAW_SCHEMA}."{spec.name}" where _extract_date = ?', [extract]).df()
            files = df["_source_file"].dropna().unique().tolist() if "_source_file" in df else []
            data_name = f"{table} extract {extract:%Y-%m-%d} ({_source_label(files)})"
            result = validate_dataframe(df, suite_name, expectations_dir, data_name)
            result.results.append(_extract_recency(suite_name, extract, month_end))
            if quarantine_max_pct is not None:
                check = _quarantine_check(con, spec.name, suite_name, extract, quarantine_max_pct)
                result.results.append(check)
                result.success = result.success and check.success
            results.append(result)
    finally:
        con.close()
    return results


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
            "select rule, column_name, count(distinct (source_file, row_number)) n from raw.quarantine "
            "where export_name = ? and extract_date = ? group by all order by n desc, rule, column_name",
            [export_name, extract],
        ).fetchall()
    pct = 100.0 * quarantined / read if read else 0.0
    observed = f"{quarantined} of {read} rows quarantined ({pct:.2f}%)"
    if rules:
        observed += ": " + ", ".join(f"{rule} on {column} x{n}" for rule, column, n in rules[:8])
    return CheckResult(
        suite=suite_name,
        expectation="quarantine_within_threshold",
        column=", ".join(sorted({column for _, column, _ in rules})) or None,
        severity=CRITICAL,
        success=pct <= max_pct,
        observed=observed,
        description=(
            f"At most {max_pct:g}% of the extract's rows were quarantined at ingest "
            "(WORKFORCE_QUARANTINE_MAX_PCT); more means the export is too broken to publish from. "
            "The rows, rules and values are in raw.quarantine."
        ),
    )


def _extract_recency(suite_name: str, extract: date, month_end: date) -> CheckResult:
    month_start = month_end.replace(day=1)
    return CheckResult(
        suite=suite_name,
        expectation="extract_in_reporting_month",
        column="_extract_date",
        severity=WARNING,
        success=extract >= month_start,
        observed=f"extract {extract:%Y-%m-%d} for month end {month_end:%Y-%m-%d}",
        description=(
            "The extract used is dated within the reporting month; an older one means the "
            "month is computed from stale data."
        ),
    )


def validate_published(df: pd.DataFrame, expectations_dir: Path, data_name: str | None = None) -> SuiteResult:
    """Validate the published ``scrutiny_workforce_monthly`` frame before it is published."""
    if data_name is None:
        data_name = f"published {PUBLISHED_TABLE}"
        if "month_end" in df and len(df):
            months = df["month_end"].dropna()
            if len(months):
                data_name += f" month_end {_fmt_date(months.min())}..{_fmt_date(months.max())}"
    return validate_dataframe(df, PUBLISHED_SUITE, expectations_dir, data_name)


def _fmt_date(value: Any) -> str:
    return value.strftime("%Y-%m-%d") if hasattr(value, "strftime") else str(value)


# Gate and history -----------------------------------------------------------------------------
def raise_on_failure(results: list[SuiteResult]) -> None:
    """Log every failed warning; raise ``QualityGateError`` listing every failed critical check."""
    failures = []
    for suite in results:
        for check in suite.failures(WARNING):
            log.warning(
                "quality warning: %s on %s: %s%s: %s (%s)",
                suite.suite,
                suite.data_name,
                check.expectation,
                f" [{check.column}]" if check.column else "",
                check.observed,
                check.description,
            )
        failures.extend((suite, check) for check in suite.failures(CRITICAL))
    if not failures:
        return
    lines = [f"data-quality gate failed: {len(failures)} critical check(s) failed"]
    for suite, check in failures:
        column = f" on column {check.column}" if check.column else ""
        lines.append(
            f"- suite {suite.suite}, data {suite.data_name}: {check.expectation}{column} failed: "
            f"{check.observed}. Check: {check.description}"
        )
    raise QualityGateError("\n".join(lines), failures)


def results_to_rows(results: list[SuiteResult], run_id: str) -> list[dict]:
    """One flat row per check, for the quality history table."""
    return [
        {
            "run_id": run_id,
            "suite": suite.suite,
            "data_name": suite.data_name,
            "expectation": check.expectation,
            "column": check.column,
            "severity": check.severity,
            "success": check.success,
            "observed": check.observed,
            "description": check.description,
        }
        for suite in results
        for check in suite.results
    ]


# History, dbt results and Data Docs ------------------------------------------------------------
HISTORY_SCHEMA = "quality"
HISTORY_TABLE = f"{HISTORY_SCHEMA}.validation_history"
DBT_RESULTS_TABLE = f"{HISTORY_SCHEMA}.dbt_test_results"


def ensure_history_schema(con) -> None:
    con.execute(f"CREATE SCHEMA IF NOT EXISTS {HISTORY_SCHEMA}")
    con.execute(
        f"""CREATE TABLE IF NOT EXISTS {HISTORY_TABLE} (
            run_id VARCHAR NOT NULL,
            reporting_month VARCHAR NOT NULL,
            suite VARCHAR NOT NULL,
            data_name VARCHAR,
            expectation VARCHAR NOT NULL,
            column_name VARCHAR,
            severity VARCHAR NOT NULL,
            success BOOLEAN NOT NULL,
            observed VARCHAR,
            description VARCHAR,
            validated_at TIMESTAMP NOT NULL
        )"""
    )
    con.execute(
        f"""CREATE TABLE IF NOT EXISTS {DBT_RESULTS_TABLE} (
            run_id VARCHAR NOT NULL,
            reporting_month VARCHAR NOT NULL,
            unique_id VARCHAR NOT NULL,
            resource_type VARCHAR,
            status VARCHAR,
            failures BIGINT,
            message VARCHAR,
            execution_time DOUBLE,
            recorded_at TIMESTAMP NOT NULL
        )"""
    )


def dbt_results_rows(run_results_path: Path) -> list[dict]:
    """One row per dbt node (model, test, unit test, seed) of the last ``dbt build``."""
    path = Path(run_results_path)
    if not path.is_file():
        return []
    data = json.loads(path.read_text(encoding="utf-8"))
    rows = []
    for r in data.get("results", []):
        unique_id = r.get("unique_id") or ""
        rows.append({
            "unique_id": unique_id,
            "resource_type": unique_id.split(".", 1)[0] or None,
            "status": r.get("status"),
            "failures": r.get("failures"),
            "message": (r.get("message") or None) and str(r.get("message"))[:500],
            "execution_time": r.get("execution_time"),
        })
    return rows


def write_history(con, check_rows: list[dict], dbt_rows: list[dict], run_id: str, month: str) -> None:
    """Append this run's check outcomes and dbt results to the warehouse history tables."""
    import pandas as pd

    ensure_history_schema(con)
    con.execute("BEGIN TRANSACTION")
    try:
        # A rerun under the same run id replaces its rows (history stays one copy per run).
        con.execute(f"DELETE FROM {HISTORY_TABLE} WHERE run_id = ?", [run_id])
        con.execute(f"DELETE FROM {DBT_RESULTS_TABLE} WHERE run_id = ?", [run_id])
        if check_rows:
            frame = pd.DataFrame(check_rows).rename(columns={"column": "column_name"})
            frame = frame.assign(run_id=run_id, reporting_month=month)
            con.register("history_rows", frame)
            con.execute(
                f"INSERT INTO {HISTORY_TABLE} SELECT run_id, reporting_month, suite, data_name, expectation, "
                "column_name, severity, success, observed, description, current_timestamp FROM history_rows"
            )
            con.unregister("history_rows")
        if dbt_rows:
            frame = pd.DataFrame(dbt_rows).assign(run_id=run_id, reporting_month=month)
            frame["failures"] = pd.to_numeric(frame["failures"], errors="coerce").astype("Int64")
            frame["execution_time"] = pd.to_numeric(frame["execution_time"], errors="coerce")
            con.register("dbt_rows", frame)
            con.execute(
                f"INSERT INTO {DBT_RESULTS_TABLE} SELECT run_id, reporting_month, unique_id, resource_type, status, "
                "failures, message, execution_time, current_timestamp FROM dbt_rows"
            )
            con.unregister("dbt_rows")
        con.execute("COMMIT")
    except Exception:
        con.execute("ROLLBACK")
        raise


def build_data_docs(results: list[SuiteResult], out_dir: Path, run_id: str) -> Path | None:
    """Render this run's GX validation results as Data Docs (static HTML) in ``out_dir``.

    A fresh ephemeral context with one filesystem site: its in-memory validation store holds
    only this run's results, so the site is exactly this run. Returns index.html's path.
    """
    import shutil

    import great_expectations as gx
    from great_expectations.core.run_identifier import RunIdentifier
    from great_expectations.data_context.types.base import (
        DataContextConfig,
        InMemoryStoreBackendDefaults,
        ProgressBarsConfig,
    )
    from great_expectations.data_context.types.resource_identifiers import (
        ExpectationSuiteIdentifier,
        ValidationResultIdentifier,
    )

    validated = [r for r in results if r.gx_result is not None]
    if not validated:
        return None
    out_dir = Path(out_dir)
    tmp = out_dir.with_name(f".{out_dir.name}.tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    config = DataContextConfig(
        store_backend_defaults=InMemoryStoreBackendDefaults(init_temp_docs_sites=False),
        analytics_enabled=False,
        progress_bars=ProgressBarsConfig(globally=False),
    )
    context = gx.get_context(mode="ephemeral", project_config=config)
    context.add_data_docs_site(
        "workforce_run",
        {
            "class_name": "SiteBuilder",
            "store_backend": {"class_name": "TupleFilesystemStoreBackend", "base_directory": str(tmp)},
            "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
        },
    )
    run = RunIdentifier(run_name=run_id)
    for i, result in enumerate(validated):
        batch = re.sub(r"[^A-Za-z0-9_.-]+", "_", result.data_name)[:80] or f"batch_{i}"
        key = ValidationResultIdentifier(
            expectation_suite_identifier=ExpectationSuiteIdentifier(name=result.suite),
            run_id=run,
            batch_identifier=f"{i:02d}_{batch}",
        )
        context.validation_results_store.set(key, result.gx_result)
    context.build_data_docs(site_names=["workforce_run"])
    shutil.rmtree(out_dir, ignore_errors=True)
    tmp.rename(out_dir)
    return out_dir / "index.html"
