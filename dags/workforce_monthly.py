"""
### Children's social work workforce: monthly scrutiny tables

Runs on the 3rd of each month for the previous month (exports land in the first days of the
month). Set the `reporting_month` param (YYYY-MM) to rerun an earlier month.

1. **extract**: checks every export in the landing folder against the contract, pseudonymises
   personal identifiers and loads new or changed files into the warehouse's raw tables.
2. **transform**: one `dbt build` (models, unit tests, data tests); per-model progress in the log.
3. **validate**: Great Expectations suites over the month's raw exports and mart rows; a failed
   critical check, or too many quarantined rows, stops the run here. Passing rows are staged.
4. **publish**: swaps the staged rows into `published/` (CSV, Parquet and the BI DuckDB file)
   atomically.

Every task that opens the DuckDB warehouse runs in the one-slot pool `workforce_warehouse`, and
`max_active_runs=1`, so tasks never contend for the file. Logic lives in `include/workforce`
(`workforce run --month YYYY-MM` runs the same steps without Airflow).
"""

from __future__ import annotations

import logging
from datetime import timedelta

import pendulum
from airflow.sdk import Param, dag, task

POOL = "workforce_warehouse"
log = logging.getLogger("airflow.task")


def _on_failure(context) -> None:
    """One clear summary line per failed task: task, month, error type and its first lines."""
    ti = context.get("task_instance")
    error = context.get("exception")
    lines = str(error or "no exception recorded").strip().splitlines()
    detail = " | ".join(lines[:8]) + (f" | ... ({len(lines) - 8} more lines)" if len(lines) > 8 else "")
    log.error(
        "workforce_monthly FAILED: task %s, reporting month %s, attempt %s: %s: %s. The published tables are "
        "unchanged; quality results and the audit record are under $WORKFORCE_DATA_DIR/quality/<month>/.",
        getattr(ti, "task_id", "?"),
        (context.get("params") or {}).get("reporting_month") or "(from the run date)",
        getattr(ti, "try_number", "?"),
        type(error).__name__ if error else "Error",
        detail,
    )


@dag(
    dag_id="workforce_monthly",
    schedule="0 6 3 * *",
    # Early enough that any month can be rerun by logical date; catchup stays off.
    start_date=pendulum.datetime(2015, 1, 1, tz="Europe/London"),
    catchup=False,
    max_active_runs=1,
    doc_md=__doc__,
    tags=["workforce", "scrutiny", "dbt", "great-expectations", "monthly"],
    default_args={
        "owner": "workforce-data-engineering",
        "retries": 2,
        "retry_delay": timedelta(minutes=5),
        "on_failure_callback": _on_failure,
    },
    params={
        "reporting_month": Param(
            None,
            type=["null", "string"],
            pattern=r"^[0-9]{4}-(0[1-9]|1[0-2])$",
            description="YYYY-MM to (re)run; empty = the month before the run date",
        )
    },
)
def workforce_monthly():
    @task(retries=0)
    def reporting_month(**context) -> str:
        from workforce.months import ReportingMonth

        chosen = (context.get("params") or {}).get("reporting_month")
        if chosen:
            return ReportingMonth.parse(chosen).label
        run_date = context.get("logical_date") or context["dag_run"].run_after
        return ReportingMonth.for_run_date(run_date.date()).label  # the XCom is the YYYY-MM label

    @task(pool=POOL)
    def extract(month: str) -> dict:
        from workforce.pipeline import step_extract

        report = step_extract(month, progress=log.info)
        return {"files": len(report.files), "summary": report.summary()}

    @task(pool=POOL)
    def transform(month: str) -> dict:
        from workforce.pipeline import step_transform

        result = step_transform(month, progress=log.info)
        return {"dbt_nodes": result.nodes, "seconds": round(result.seconds, 1)}

    @task(pool=POOL, retries=0)  # a failed quality check will fail again: no retry
    def validate(month: str) -> dict:
        from workforce.pipeline import step_validate

        return step_validate(month, progress=log.info).to_dict()

    @task(pool=POOL)
    def publish(month: str) -> dict:
        from workforce.pipeline import step_publish

        report = step_publish(month, progress=log.info)
        return {"rows": report.rows, "csv": str(report.csv_path), "bi_warehouse": str(report.warehouse_path)}

    month = reporting_month()
    extracted = extract(month)
    transformed = transform(month)
    validated = validate(month)
    published = publish(month)
    extracted >> transformed >> validated >> published


workforce_monthly()
