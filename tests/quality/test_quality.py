"""Data-quality gate: suites load and match the contract, good data passes, bad data is named.

Raw data is built from the export contract into a temporary DuckDB warehouse shaped like the
real one (schema ``raw``, one table per export, lineage columns); the published frame is built
from the catalogue with rates computed the way metrics.md says.
"""

from __future__ import annotations

import hashlib
import json
import logging
import subprocess
import sys
import time
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import duckdb
import pandas as pd
import pytest
import yaml
from conftest import HEADLINE, INDICATORS, PUBLISHED_COLUMNS, RATES, RATES_BY_NAME, ROOT
from workforce.ingest.extract import RULES as extract_rules
from workforce.quality import checks, runner, suites
from workforce.quality.results import QualityGateError, raise_on_failure, results_to_rows
from workforce.spec import contract as c
from workforce.spec.catalogue import LA_LEVEL, STATUS_CODES, STATUS_SUFFIX, TABLE, published_tables, status_column

HEADCOUNTS = tuple(c.name for c in HEADLINE.columns if c.dfe_indicator and c.kind == "count")
NEEDS_ABSENCES = tuple(c.name for c in HEADLINE.columns if "hr_absences" in c.needs)

EXPECTATIONS = Path(__file__).resolve().parents[2] / "expectations"
MONTH_END = date(2026, 9, 30)
HEX = "^[0-9a-f]{64}$"
SQL_TYPES = {
    c.TEXT: "VARCHAR",
    c.CODE: "VARCHAR",
    c.FLAG: "VARCHAR",
    c.PERIOD: "VARCHAR",
    c.INT: "BIGINT",
    c.DECIMAL: "DOUBLE",
    c.DATE: "DATE",
}


def sql_type(col: c.ColumnSpec) -> str:
    return "VARCHAR" if col.age_band else SQL_TYPES[col.type]  # the date of birth is a band


# Good raw data ------------------------------------------------------------------------------
def hmac_like(*parts) -> str:
    return hashlib.sha256("|".join(map(str, parts)).encode()).hexdigest()


def _value(spec: c.ExportSpec, col: c.ColumnSpec, i: int):
    """A valid value for row i of an export, from the contract."""
    name = col.name
    if col.pseudonym:
        return hmac_like(col.pseudonym, name, i if spec.name != "payroll_lines" else i // 8)
    if col.age_band:
        return c.AGE_BANDS[i % len(c.AGE_BANDS)]
    if col.codes:
        if not col.required and i % 5 == 4:
            return None
        return col.codes[i % len(col.codes)]
    if col.type == c.FLAG:
        return "YN"[i % 2]
    if col.type == c.PERIOD:
        return f"2026-{i % 9 + 1:02d}"
    if col.type == c.DATE:
        start = date(2015, 1, 1) + timedelta(days=i % 3000)
        if name in ("la_service_start_date",):
            return start - timedelta(days=30)
        if not col.required and name.endswith(("end_date", "effective_to", "leaving_date")):
            return None if i % 3 else start + timedelta(days=200)
        if name == "interview_date":
            return start - timedelta(days=5)
        return start
    if col.type == c.DECIMAL:
        return {
            "fte": 1.0 if i % 4 else 0.5,
            "budgeted_fte": 1.0,
            "working_days_lost": 3.0,
            "amount_gbp": 2500.0,
            "hours": 37.5,
            "hourly_charge_gbp": 55.0,
            "charge_gbp": 2062.5,
            "prof_full_time_equivalency": 1.0,
            "base_salary_gbp": 38000.0,
        }[name]
    if col.type == c.INT:
        return 12  # prof_professional_caseload
    if name == "service_area":
        return c.SERVICE_AREAS[i % len(c.SERVICE_AREAS)]
    if name == "other_reasons":
        return "PAY;CAREER" if i % 2 else None
    return f"{name.upper()}-{i:06d}"


def raw_frame(export_name: str, rows: int, extract: date = MONTH_END) -> pd.DataFrame:
    """Good raw rows for one extract, with lineage columns, typed as in the warehouse."""
    spec = c.export(export_name)
    data = {col.raw_name: [_value(spec, col, i) for i in range(rows)] for col in spec.raw_columns}
    if export_name == "hr_absences":  # working days lost are required once an episode ended
        data["working_days_lost"] = [
            3.0 if end is not None or i % 2 else None for i, end in enumerate(data["end_date"])
        ]
    if export_name == "hr_workers":  # leavers carry a leaving reason
        data["leaving_reason"] = [
            (i % 10) + 1 if left is not None else None for i, left in enumerate(data["leaving_date"])
        ]
    df = pd.DataFrame(data)
    df["_source_file"] = f"landing/{export_name}/{export_name}_{extract:%Y-%m-%d}.csv"
    df["_extract_date"] = extract
    df["_row_number"] = range(1, rows + 1)
    return _typed(df, spec)


def _typed(df: pd.DataFrame, spec: c.ExportSpec) -> pd.DataFrame:
    """Round-trip through DuckDB so dtypes are exactly what the warehouse hands back."""
    con = duckdb.connect()
    con.register("frame", df)
    casts = [f'CAST("{col.raw_name}" AS {sql_type(col)}) AS "{col.raw_name}"' for col in spec.raw_columns]
    casts += [
        "CAST(_source_file AS VARCHAR) AS _source_file",
        "CAST(_extract_date AS DATE) AS _extract_date",
        "CAST(_row_number AS BIGINT) AS _row_number",
    ]
    out = con.execute(f"select {', '.join(casts)} from frame").df()
    con.close()
    return out


ROWS = {
    "hr_workers": 40,
    "hr_establishment": 30,
    "hr_absences": 20,
    "hr_teams": 9,
    "hr_exit_interviews": 10,
    "payroll_lines": 40,
    "agency_assignments": 8,
    "agency_timesheets": 16,
    "ssd_professionals": 30,
    "ssd_involvements": 60,
    "ssd_department": 9,
}


def build_warehouse(
    path: Path, frames: dict[str, list[pd.DataFrame]], tables_without_rows: tuple[str, ...] = ()
) -> Path:
    """A warehouse file shaped like the real one: raw.<export> tables typed from the contract."""
    con = duckdb.connect(str(path))
    con.execute("create schema raw")
    for spec in c.EXPORTS:
        if spec.name not in frames and spec.name not in tables_without_rows:
            continue
        cols = [f'"{col.raw_name}" {sql_type(col)}' for col in spec.raw_columns]
        cols += ["_source_file VARCHAR", "_extract_date DATE", "_row_number BIGINT"]
        con.execute(f'create table raw."{spec.name}" ({", ".join(cols)})')
        for df in frames.get(spec.name, []):
            con.register("frame", df)
            con.execute(f'insert into raw."{spec.name}" by name select * from frame')
            con.unregister("frame")
    con.close()
    return path


def good_frames() -> dict[str, list[pd.DataFrame]]:
    frames = {name: [raw_frame(name, rows)] for name, rows in ROWS.items()}
    frames.pop("hr_absences")  # optional export not received: skipped, not a failure
    # An older extract and a newer one (after the month end, broken): neither is validated.
    broken_future = raw_frame("hr_workers", 5, MONTH_END + timedelta(days=31))
    broken_future["fte"] = 9.0
    frames["hr_workers"] = [
        raw_frame("hr_workers", 10, MONTH_END - timedelta(days=30)),
        frames["hr_workers"][0],
        broken_future,
    ]
    return frames


@pytest.fixture(scope="module")
def good_warehouse(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("warehouse") / "workforce.duckdb"
    return build_warehouse(path, good_frames())


# Good published data ------------------------------------------------------------------------
def half_away(value: float, places: int) -> float:
    """DfE rounding: half away from zero (what DuckDB's round() does)."""
    quantum = Decimal(1).scaleb(-places)
    rounded = Decimal(repr(abs(value))).quantize(quantum, rounding=ROUND_HALF_UP)
    return float(rounded) * (1 if value >= 0 else -1)


def _published_row(la_code, month_end, area, parts, absences=True) -> dict:
    p = dict(parts)
    p["agency_rate_fte_denominator"] = p["agency_fte"] + p["inpost_fte"]
    p["agency_rate_headcount_denominator"] = p["agency_headcount"] + p["inpost_headcount"]
    p["vacancy_rate_fte_denominator"] = p["vacancy_fte"] + p["inpost_fte"]
    p["absence_rate_fte_denominator"] = p["inpost_fte"] * 253
    row = {"la_code": la_code, "month_end": pd.Timestamp(month_end), "service_area": area}
    for name in INDICATORS:
        row[name], row[status_column(name)] = None, None
    for rate in RATES:
        den = p[rate.denominator]
        if den == 0:
            row[rate.name], row[status_column(rate.name)] = None, "z"
        else:
            row[rate.name] = half_away(p[rate.numerator] / den * rate.multiplier, 1)
    for name, value in p.items():
        if name in HEADCOUNTS or name == "agency_rate_headcount_denominator":
            row[name] = float(value)
        else:
            row[name] = half_away(value, 2)
    if not absences:
        for name in NEEDS_ABSENCES:
            row[name], row[status_column(name)] = None, "x"
        row["absence_rate_fte_denominator"] = None
    row["cases_unmatched"] = 0.0
    return row


def published_frame(
    months: int = 2, areas: tuple[str, ...] = ("Front Door", "Assessment"), la_code: str = "878"
) -> pd.DataFrame:
    rows = []
    month_ends = pd.date_range(end=pd.Timestamp(MONTH_END), periods=months, freq="ME")
    for m, month_end in enumerate(month_ends):
        area_parts = []
        for a in range(len(areas)):
            inpost = 20 + a * 7 + m % 5
            parts = {
                "inpost_fte": inpost - 0.3333,
                "inpost_headcount": inpost,
                "starters_fte": 3.25,
                "starters_headcount": 4,
                "leavers_fte": 2.6667 + a,
                "leavers_headcount": 3 + a,
                "agency_fte": 0.0 if a == 0 else 2.5,
                "agency_headcount": 0 if a == 0 else 3,
                "agency_cover_fte": 0.0 if a == 0 else 1.5,
                "vacancy_fte": 4.125 + a,
                "case_holders_fte": inpost - 4.4444,
                "cases": 300 + 13 * a + m,
                "working_days_lost_fte": 55.55 + a,
            }
            area_parts.append(parts)
        la = {k: sum(p[k] for p in area_parts) for k in area_parts[0]}
        absences = m % 2 == 1  # alternate months lack the optional absence export
        rows.append(_published_row(la_code, month_end, LA_LEVEL, la, absences))
        rows += [
            _published_row(la_code, month_end, area, parts, absences)
            for area, parts in zip(areas, area_parts, strict=True)
        ]
    df = pd.DataFrame(rows)[list(PUBLISHED_COLUMNS)]
    for col in df.columns:
        if col.endswith(STATUS_SUFFIX) or col in ("la_code", "service_area"):
            df[col] = df[col].astype("str").where(df[col].notna(), None)
        elif col != "month_end":
            df[col] = df[col].astype("float64")
    return df


def assert_gate_fails(results, suite: str, expectation: str, data: str, column: str | None = None):
    with pytest.raises(QualityGateError) as info:
        raise_on_failure(results)
    message = str(info.value)
    failed = [(s.suite, f.expectation, f.column) for s, f in info.value.failures]
    assert any(s == suite and e == expectation and (column is None or col == column) for s, e, col in failed), (
        failed,
        message,
    )
    assert suite in message and expectation in message and data in message
    if column:
        assert column in message
    return message


# Suites: present, loadable, in step with the contract ------------------------------------------
def _all_suites():
    return {name: suites.load_suite(EXPECTATIONS, name) for name in suites.list_suites(EXPECTATIONS)}


def test_every_export_has_a_raw_suite_and_every_suite_loads_into_gx():
    loaded = _all_suites()
    expected = {suites.raw_suite_name(e.name) for e in c.EXPORTS} | {t.suite for t in published_tables()}
    assert set(loaded) == expected
    for name, suite in loaded.items():
        assert suite["name"] == name
        gx_suite = runner._gx_suite(suite)  # raises if GX rejects any expectation
        assert len(gx_suite.expectations) == len(suite["expectations"]) > 0
        for exp in suite["expectations"]:
            assert exp["meta"]["severity"] in suites.SEVERITIES
            assert len(exp["meta"]["description"]) > 15


def test_unknown_suite_name_is_a_clear_error():
    with pytest.raises(suites.QualitySuiteError, match="unknown expectation suite 'raw_nope'.*raw_hr_workers"):
        suites.load_suite(EXPECTATIONS, "raw_nope")


def test_malformed_suite_is_refused(tmp_path):
    (tmp_path / "bad.json").write_text(
        json.dumps(
            {
                "name": "bad",
                "expectations": [
                    {
                        "type": "expect_column_values_to_not_be_null",
                        "kwargs": {"column": "x"},
                        "meta": {"severity": "fatal", "description": "x is present"},
                    }
                ],
            }
        )
    )
    with pytest.raises(suites.QualitySuiteError, match="severity"):
        suites.load_suite(tmp_path, "bad")


def _referenced_columns(exp: dict) -> set[str]:
    kwargs, derived = exp.get("kwargs", {}), exp["meta"].get("derived") or {}
    cols = set()
    for key in ("column", "column_A", "column_B"):
        if key in kwargs and not kwargs[key].startswith(suites.DERIVED_PREFIX):
            cols.add(kwargs[key])
    cols.update(kwargs.get("column_list", []), kwargs.get("column_set", []))
    condition = kwargs.get("row_condition")
    if condition:
        cols.add(condition["column"]["name"])
    for key in ("column", "numerator", "denominator", "status_column"):
        if key in derived:
            cols.add(derived[key])
    cols.update(derived.get("group_by", []), derived.get("terms", {}))
    return cols


def _documented_mart_columns() -> dict[str, set[str]]:
    """Columns of every mart, as documented in the marts' YAML (drift guard for published suites)."""
    columns: dict[str, set[str]] = {}
    for path in (EXPECTATIONS.parent / "dbt_project" / "models" / "marts").glob("*.yml"):
        for model in (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("models", []):
            columns[model["name"]] = {col["name"] for col in model.get("columns", [])}
    return columns


def test_suite_columns_exist_in_the_contract_or_published_table():
    mart_columns = _documented_mart_columns()
    published = {t.suite: t for t in published_tables()}
    for name, suite in _all_suites().items():
        if name == suites.PUBLISHED_SUITE:
            allowed = set(PUBLISHED_COLUMNS)
        elif name in published and not published[name].is_mart:  # a release-stage table: the catalogue
            allowed = set(published[name].published_columns)
        elif name in published:
            allowed = mart_columns[published[name].name]
            assert allowed, f"{published[name].name} documents no columns in its YAML"
        else:
            spec = c.export(name.removeprefix(suites.RAW_SUITE_PREFIX))
            allowed = {col.raw_name for col in spec.raw_columns} | set(suites.LINEAGE_COLUMNS)
        for exp in suite["expectations"]:
            unknown = _referenced_columns(exp) - allowed
            assert not unknown, f"{name}: {exp['type']} names unknown column(s) {unknown}"


def _by_type(suite, type_):
    return [e for e in suite["expectations"] if e["type"] == type_]


@pytest.mark.parametrize("spec", c.EXPORTS, ids=lambda s: s.name)
def test_raw_suite_covers_the_contract(spec):
    """Batch checks of the raw table live here; row rules of the contract belong to ingest, which
    quarantines the rows (docs/decisions/0007-one-home-per-check.md), so none is repeated here."""
    suite = suites.load_suite(EXPECTATIONS, suites.raw_suite_name(spec.name))
    critical = [e for e in suite["expectations"] if e["meta"]["severity"] == suites.CRITICAL]
    not_null = {
        e["kwargs"]["column"]
        for e in critical
        if e["type"] == "expect_column_values_to_not_be_null" and "row_condition" not in e["kwargs"]
    }
    assert not {col.raw_name for col in spec.raw_columns if col.required} & not_null  # ingest: required_missing
    assert set(suites.LINEAGE_COLUMNS) <= not_null
    in_set = {
        e["kwargs"]["column"]: e["kwargs"]["value_set"]
        for e in critical
        if e["type"] == "expect_column_values_to_be_in_set"
    }
    assert not {col.raw_name for col in spec.raw_columns if col.codes} & set(in_set)  # ingest: unknown_code
    for rule in ("required_missing", "unknown_code", "duplicate_key", "bad_date", "bad_number", "bad_flag"):
        assert rule in extract_rules
    hex_keys = {
        e["kwargs"]["column"]
        for e in critical
        if e["type"] == "expect_column_values_to_match_regex" and e["kwargs"]["regex"] == HEX
    }
    assert hex_keys == {col.raw_name for col in spec.raw_columns if col.pseudonym}
    (columns,) = _by_type(suite, "expect_table_columns_to_match_set")
    assert columns["kwargs"]["exact_match"] is True
    assert columns["kwargs"]["column_set"] == [col.raw_name for col in spec.raw_columns] + list(suites.LINEAGE_COLUMNS)
    rows = [e for e in critical if e["type"] == "expect_table_row_count_to_be_between"]
    assert bool(rows) == spec.required  # a required export's extract is never empty
    dates = {col.raw_name for col in spec.raw_columns if col.type == c.DATE and not col.age_band}
    for e in _by_type(suite, "expect_column_values_to_be_between"):
        bound = e["kwargs"].get("min_value")
        if isinstance(bound, str):  # pandas 3: date bounds must be full timestamps
            assert "T" in bound and e["kwargs"]["column"] in dates, e


def test_published_suite_covers_every_rate_and_status():
    suite = suites.load_suite(EXPECTATIONS, suites.PUBLISHED_SUITE)
    derived = [
        e["meta"]["derived"] | {"severity": e["meta"]["severity"]}
        for e in suite["expectations"]
        if e["meta"].get("derived")
    ]
    # A rate against its parts is model logic: dbt owns it (one tolerance), GX does not repeat it.
    assert not [d for d in derived if d["check"] == "rate_matches_parts"]
    model = yaml.safe_load((ROOT / f"dbt_project/models/marts/_{TABLE}__models.yml").read_text(encoding="utf-8"))
    dbt_parts = {
        c["name"]: t["rate_matches_parts"]["arguments"]
        for c in model["models"][0]["columns"] for t in c.get("data_tests", []) if "rate_matches_parts" in t
    }
    for rate in RATES:
        assert dbt_parts[rate.name] == {
            "numerator": rate.numerator, "denominator": rate.denominator, "multiplier": rate.multiplier
        }
    zero = {d["column"] for d in derived if d["check"] == "zero_denominator_not_applicable"}
    assert zero == set(RATES_BY_NAME)
    iff = {d["column"] for d in derived if d["check"] == "value_null_iff_status"}
    assert iff == set(INDICATORS)
    status_sets = {
        e["kwargs"]["column"]
        for e in _by_type(suite, "expect_column_values_to_be_in_set")
        if e["kwargs"]["value_set"] == list(STATUS_CODES)
    }
    assert status_sets == {status_column(i) for i in INDICATORS}


def test_importing_the_quality_modules_does_not_import_gx_pandas_or_duckdb():
    code = (
        "import sys, workforce.quality.suites, workforce.quality.checks, workforce.quality.runner, "
        "workforce.quality.results, workforce.quality.history, workforce.quality.data_docs, "
        "workforce.quality.reuse, workforce.quality.gx_speedups; "
        "heavy = {'great_expectations', 'pandas', 'duckdb'}; print(sorted(heavy & set(sys.modules)))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


# Raw exports -----------------------------------------------------------------------------------
@pytest.mark.pipeline
def test_good_warehouse_passes_and_uses_the_latest_extract_on_or_before_month_end(good_warehouse):
    results = runner.validate_raw_exports(good_warehouse, MONTH_END, EXPECTATIONS)
    by_suite = {r.suite: r for r in results}
    assert set(by_suite) == {suites.raw_suite_name(e.name) for e in c.EXPORTS}
    failed = {r.suite: [(f.expectation, f.column, f.observed) for f in r.failures()] for r in results if not r.success}
    assert not failed
    warnings = {
        r.suite: [(f.expectation, f.column, f.observed) for f in r.failures(suites.WARNING)]
        for r in results
        if r.failures(suites.WARNING) and not r.skipped
    }
    assert not warnings
    workers = by_suite["raw_hr_workers"]
    assert workers.data_name == "raw.hr_workers extract 2026-09-30 (hr_workers_2026-09-30.csv)"
    absences = by_suite["raw_hr_absences"]
    assert absences.skipped and absences.success
    assert absences.results[0].expectation == "extract_available"
    assert absences.results[0].severity == suites.WARNING
    raise_on_failure(results)  # does not raise


@pytest.mark.pipeline
def test_required_export_without_extract_is_a_critical_failure(tmp_path):
    frames = good_frames()
    frames.pop("agency_assignments")
    frames["hr_establishment"] = [raw_frame("hr_establishment", 5, MONTH_END + timedelta(days=1))]
    path = build_warehouse(tmp_path / "w.duckdb", frames)
    results = runner.validate_raw_exports(path, MONTH_END, EXPECTATIONS)
    message = assert_gate_fails(results, "raw_agency_assignments", "extract_available", "raw.agency_assignments")
    assert "raw_hr_establishment" in message and "no extract on or before 2026-09-30" in message


@pytest.mark.pipeline
def test_broken_latest_extract_in_the_warehouse_names_suite_check_and_file(tmp_path):
    frames = good_frames()
    workers = frames["hr_workers"][1]
    workers.loc[3, "employee_key"] = "E0042"  # an identifier that passed ingest in clear
    path = build_warehouse(tmp_path / "w.duckdb", frames)
    results = runner.validate_raw_exports(path, MONTH_END, EXPECTATIONS)
    assert_gate_fails(
        results,
        "raw_hr_workers",
        "expect_column_values_to_match_regex",
        "raw.hr_workers extract 2026-09-30 (hr_workers_2026-09-30.csv)",
        "employee_key",
    )


def _break(export_name, mutate):
    df = raw_frame(export_name, ROWS[export_name])
    mutate(df)
    return df


RAW_BREAKS = {
    "employee id in clear": (
        "hr_workers",
        lambda d: d.loc.__setitem__((0, "employee_key"), "E0042"),
        "expect_column_values_to_match_regex",
        "employee_key",
    ),
    "upper-case hex": (
        "ssd_involvements",
        lambda d: d.__setitem__("invo_child_key", d["invo_child_key"].str.upper()),
        "expect_column_values_to_match_regex",
        "invo_child_key",
    ),
    "placeholder date": (
        "hr_workers",
        lambda d: d.loc.__setitem__((0, "spell_start_date"), pd.Timestamp("1900-01-01")),
        "expect_column_values_to_be_between",
        "spell_start_date",
    ),
    "negative budget": (
        "hr_establishment",
        lambda d: d.loc.__setitem__((0, "budgeted_fte"), -1.0),
        "expect_column_values_to_be_between",
        "budgeted_fte",
    ),
    "bad pay period": (
        "payroll_lines",
        lambda d: d.loc.__setitem__((0, "pay_period"), "09/2026"),
        "expect_column_values_to_match_regex",
        "pay_period",
    ),
    "ended absence without days": (
        "hr_absences",
        lambda d: d.loc.__setitem__((0, "working_days_lost"), None),
        "expect_column_values_to_not_be_null",
        "working_days_lost",
    ),
    "name column present": (
        "hr_workers",
        lambda d: d.insert(2, "full_name", "Ann Example"),
        "expect_table_columns_to_match_set",
        None,
    ),
}

#: Broken rows the raw suites no longer look for, because ingest quarantines them first (the row
#: never reaches the raw table): docs/decisions/0007-one-home-per-check.md. Each has a case in
#: the bad-input corpus (tests/ingest/bad_inputs/cases.yaml) proving the quarantine.
OWNED_BY_INGEST = {
    "duplicate spell_id": "workers_duplicate_spell_id",
    "unknown ethnicity": "workers_unknown_ethnicity",
    "lower-case code": "workers_lowercase_codes_and_spaces",
    "unknown int code": "establishment_unknown_role",
    "fte 1.5": "workers_fte_1_5",
    "fte 0": "workers_fte_zero",
    "missing required": "workers_missing_team",
    "duplicate post version": "establishment_duplicate_version",
    "duplicate professional": "professionals_duplicate_id",
    "bad flag": "agency_bad_flag",
}


def test_rows_the_raw_suites_leave_to_ingest_each_have_a_quarantine_case():
    corpus = yaml.safe_load((ROOT / "tests/ingest/bad_inputs/cases.yaml").read_text(encoding="utf-8"))
    for case, corpus_case in OWNED_BY_INGEST.items():
        assert corpus_case in corpus, (case, corpus_case)
        assert corpus[corpus_case]["outcome"] in ("quarantined", "loaded"), case  # loaded: normalised
        assert case not in RAW_BREAKS


@pytest.mark.pipeline
@pytest.mark.parametrize("case", RAW_BREAKS, ids=str)
def test_broken_raw_frame_fails_the_gate(case):
    export_name, mutate, expectation, column = RAW_BREAKS[case]
    data_name = f"raw.{export_name} extract 2026-09-30 ({export_name}_2026-09-30.csv)"
    suite = suites.raw_suite_name(export_name)
    result = runner.validate_dataframe(_break(export_name, mutate), suite, EXPECTATIONS, data_name)
    assert not result.success
    assert_gate_fails([result], suite, expectation, data_name, column)


@pytest.mark.pipeline
def test_raw_warning_is_logged_not_raised(caplog):
    df = raw_frame("hr_teams", 9)
    df.loc[0, "service_area"] = "Youth Justice"
    result = runner.validate_dataframe(df, "raw_hr_teams", EXPECTATIONS, "raw.hr_teams test")
    assert result.success
    (warning,) = result.failures(suites.WARNING)
    assert warning.column == "service_area" and "data row 1" in warning.observed
    assert "Youth Justice" not in warning.observed  # rows and counts, never a value of the data
    with caplog.at_level(logging.WARNING, logger="workforce.quality.results"):
        raise_on_failure([result])
    assert "data row 1" in caplog.text and "raw_hr_teams" in caplog.text and "Youth Justice" not in caplog.text


# Published table -------------------------------------------------------------------------------
@pytest.mark.pipeline
def test_good_published_frame_passes():
    df = published_frame(months=3)
    assert (df["agency_cover_rate_fte_status"] == "z").any()  # zero denominators are exercised
    assert (df["absence_rate_fte_status"] == "x").any()
    result = runner.validate_published(df, EXPECTATIONS)
    problems = [(f.severity, f.expectation, f.column, f.observed) for f in result.results if not f.success]
    assert not problems
    assert result.data_name == "published scrutiny_workforce_monthly month_end 2026-07-31..2026-09-30"
    raise_on_failure([result])


def test_rate_tolerance_allows_parts_rounded_to_two_decimals():
    # 0.125 FTE leavers / 0.335 FTE in post = 37.3%, but the parts publish as 0.13 / 0.34, which
    # recompute to 38.2%: allowed, because the parts carry 2 dp rounding; 45.0 is not.
    parts = {"n": [half_away(0.125, 2)] * 2, "d": [half_away(0.335, 2)] * 2}
    assert parts == {"n": [0.13, 0.13], "d": [0.34, 0.34]}
    tiny = pd.DataFrame(
        {
            "la_code": ["878"] * 2,
            "month_end": [pd.Timestamp(MONTH_END)] * 2,
            "service_area": ["All", "Assessment"],
            "r": [half_away(0.125 / 0.335 * 100, 1), 45.0],
            **parts,
        }
    )
    out = checks.DERIVED_CHECKS["rate_matches_parts"](
        tiny, column="r", numerator="n", denominator="d", numerator_rounding=0.005, denominator_rounding=0.005
    )
    assert out.iloc[0] is None
    assert out.iloc[1].startswith("878 2026-09-30 Assessment: r 45 but n/d x 100 = 0.13/0.34 = 38.235")
    # Headcount parts are exact: the tolerance stays 0.051.
    exact = tiny.assign(n=[3.0, 3.0], d=[7.0, 7.0], r=[42.9, 42.8])
    out = checks.DERIVED_CHECKS["rate_matches_parts"](exact, column="r", numerator="n", denominator="d")
    assert out.iloc[0] is None and "tolerance 0.051" in out.iloc[1]


def _set(df, row, column, value):
    df.loc[row, column] = value


PUBLISHED_BREAKS = {
    "duplicate All row": (
        lambda d: d.__setitem__("service_area", d["service_area"].where(d.index != 1, "All")),
        "one_row_per_group",
        "service_area",
    ),
    "no All row in a month": (
        lambda d: _set(d, 0, "service_area", "Safeguarding"),
        "one_row_per_group",
        "service_area",
    ),
    "rate without status on zero denominator": (
        lambda d: _set(d, 1, "agency_cover_rate_fte", 0.0) or _set(d, 1, "agency_cover_rate_fte_status", None),
        "zero_denominator_not_applicable",
        "agency_cover_rate_fte",
    ),
    "rate and status both set": (
        lambda d: _set(d, 0, "vacancy_rate_fte_status", "c"),
        "value_null_iff_status",
        "vacancy_rate_fte",
    ),
    "null rate without status": (
        lambda d: _set(d, 0, "vacancy_rate_fte", None),
        "value_null_iff_status",
        "vacancy_rate_fte",
    ),
    "unknown status symbol": (
        lambda d: _set(d, 1, "agency_cover_rate_fte_status", "n/a"),
        "expect_column_values_to_be_in_set",
        "agency_cover_rate_fte_status",
    ),
    "caseload over 60": (
        lambda d: _set(d, 0, "caseload_fte", 75.0),
        "expect_column_values_to_be_between",
        "caseload_fte",
    ),
    "negative count": (
        lambda d: _set(d, 2, "leavers_headcount", -1.0),
        "expect_column_values_to_be_between",
        "leavers_headcount",
    ),
    "fractional headcount": (lambda d: _set(d, 2, "inpost_headcount", 20.5), "rounded_to", "inpost_headcount"),
    "service area above LA level": (
        lambda d: _set(d, 0, "inpost_headcount", 10.0),
        "not_greater_than_la_level",
        "inpost_headcount",
    ),
    "month_end not a month end": (
        lambda d: d.__setitem__("month_end", d["month_end"] - pd.Timedelta(days=1)),
        "is_month_end",
        "month_end",
    ),
    "column dropped": (
        lambda d: d.__delitem__("turnover_rate_fte"), "expect_table_columns_to_match_ordered_list", None
    ),
    "columns out of order": (
        lambda d: d.insert(3, "cases_unmatched", d.pop("cases_unmatched")),
        "expect_table_columns_to_match_ordered_list",
        None,
    ),
}


@pytest.mark.pipeline
@pytest.mark.parametrize("case", PUBLISHED_BREAKS, ids=str)
def test_broken_published_frame_fails_the_gate(case):
    mutate, expectation, column = PUBLISHED_BREAKS[case]
    df = published_frame(months=2)
    mutate(df)
    result = runner.validate_published(df, EXPECTATIONS)
    assert not result.success
    assert_gate_fails([result], suites.PUBLISHED_SUITE, expectation, "published scrutiny_workforce_monthly", column)


@pytest.mark.pipeline
def test_derived_check_on_a_missing_column_fails_instead_of_crashing():
    df = published_frame(months=1).drop(columns=["inpost_fte_status"])
    result = runner.validate_published(df, EXPECTATIONS)
    errors = [f for f in result.failures() if f.observed.startswith("error:")]
    assert any(f.expectation == "value_null_iff_status" and "inpost_fte_status" in f.observed for f in errors)


@pytest.mark.pipeline
def test_results_to_rows_flattens_every_check():
    result = runner.validate_published(published_frame(months=1), EXPECTATIONS)
    rows = results_to_rows([result], run_id="run-1")
    assert len(rows) == len(result.results)
    assert set(rows[0]) == {
        "run_id",
        "suite",
        "data_name",
        "expectation",
        "column",
        "severity",
        "success",
        "observed",
        "description",
        "validated_at",
        "reused_from_run",
    }
    assert {r["run_id"] for r in rows} == {"run-1"}
    assert all(r["validated_at"] for r in rows) and not any(r["reused_from_run"] for r in rows)
    json.dumps(rows)  # storable as is


# Speed -----------------------------------------------------------------------------------------
@pytest.mark.pipeline
def test_timing_at_realistic_size(tmp_path, capsys):
    """~2k spells, ~60k involvements, 96 months x 10 service-area rows: a few seconds."""
    runner._batch_definition()  # GX import and context creation, once per process, timed apart
    scale = {
        "hr_workers": 2000,
        "hr_establishment": 1500,
        "hr_absences": 3000,
        "hr_teams": 40,
        "hr_exit_interviews": 300,
        "payroll_lines": 40000,
        "agency_assignments": 300,
        "agency_timesheets": 12000,
        "ssd_professionals": 2500,
        "ssd_involvements": 60000,
        "ssd_department": 40,
    }
    frames = {name: [raw_frame(name, rows)] for name, rows in scale.items()}
    path = build_warehouse(tmp_path / "big.duckdb", frames)
    started = time.perf_counter()
    raw = runner.validate_raw_exports(path, MONTH_END, EXPECTATIONS)
    raw_seconds = time.perf_counter() - started
    published = published_frame(months=96, areas=c.SERVICE_AREAS)
    started = time.perf_counter()
    pub = runner.validate_published(published, EXPECTATIONS)
    published_seconds = time.perf_counter() - started
    assert all(r.success for r in raw) and pub.success
    with capsys.disabled():
        print(
            f"\n[timing] raw exports ({sum(scale.values())} rows, {len(raw)} suites): "
            f"{raw_seconds:.2f}s; published ({len(published)} rows, {len(pub.results)} checks): "
            f"{published_seconds:.2f}s"
        )
    assert raw_seconds < 60 and published_seconds < 30


@pytest.mark.pipeline
def test_no_value_of_the_data_reaches_results_data_docs_or_the_reuse_store(tmp_path):
    """GX keeps samples of unexpected values in its results ("e.g. ..."); they are removed before
    anything is kept, rendered or stored, whatever the check (in-set, regex, between, pair)."""
    from workforce.quality import data_docs, reuse
    from workforce.quality.results import results_to_rows

    df = raw_frame("hr_teams", 9)
    df.loc[0, "service_area"] = "Plantedname SW912345"
    df.loc[1, "team_code"] = "Plantedname-team"
    store = reuse.ResultStore(tmp_path / "reuse", "run-1")
    result = runner.validate_dataframe(df, "raw_hr_teams", EXPECTATIONS, "raw.hr_teams test", store)
    assert result.failures(suites.WARNING)  # the planted values do fail checks
    assert any("data row 1" in c.observed for c in result.results if not c.success)
    store.commit()
    docs = data_docs.build_data_docs([result], tmp_path / "docs", "run-1")
    assert docs is not None
    texts = [json.dumps(results_to_rows([result], "run-1"))]
    texts += [p.read_text(encoding="utf-8", errors="replace") for p in tmp_path.rglob("*") if p.is_file()]
    assert len(texts) > 3
    assert not [t for t in texts if "Plantedname" in t or "SW912345" in t]
