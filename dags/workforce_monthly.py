"""
### Children's social work workforce: monthly scrutiny tables

Runs on the 3rd of each month for the previous month (exports land in the first days of the
month). Set the `reporting_month` param (YYYY-MM) to rerun an earlier month. Rerun with nothing
new, transform and validate keep their output (the log says so); `force_rebuild` redoes them.

0. **wait_for_exports**: waits (reschedule mode) until every required export has an extract of
   its own for the month (docs/spec/export-contract.md), for `WORKFORCE_WAIT_FOR_EXPORTS_HOURS`
   (default 72); its log names each export still missing and the newest extract found.
1. **extract**: checks every export in the landing folder against the contract, pseudonymises
   personal identifiers and loads new or changed files into the warehouse's raw tables.
2. **transform**: one `dbt build` (models, unit tests, data tests); per-model progress in the log.
   The month's published rows, dbt results and provenance are captured in the same task.
3. **history**: the trend months before the reporting month (`WORKFORCE_TREND_MONTHS`, default 24),
   each published as its own month from the extracts that serve it (a month before the first
   extract from the earliest one: a backcast); kept when nothing is new. A trend month that cannot be
   served or fails its gate stops the run here, naming it.
4. **validate**: Great Expectations suites over the month's raw exports and captured rows; a
   failed critical check, or too many quarantined rows, stops the run here. Passing rows are staged,
   with the revisions of the trend months' figures since their first publication.
5. **publish**: swaps the staged rows into `published/`: the month's folder in one step, then the BI file.
6. **pack**: the scrutiny pack (PDF, HTML, XLSX) from the published files, in `published/<month>/pack/`.
A task stopped by its environment (warehouse held open, disk full) fails with one line saying what to do.

Backfills are safe with any `max_active_runs`: each warehouse step holds a file lock
(`workforce.locking`; no pool to create) and later steps read only their month's capture. Logic
lives in `include/workforce`; `workforce run --month YYYY-MM` runs the same steps.
"""

from __future__ import annotations

import logging
import os
from datetime import timedelta

import pendulum
from airflow.sdk import Param, PokeReturnValue, dag, task

log = logging.getLogger("airflow.task")
#: How long the run waits for the month's exports before failing (hours), and how often it looks.
WAIT_HOURS = float(os.environ.get("WORKFORCE_WAIT_FOR_EXPORTS_HOURS", "72"))
POKE_SECONDS = float(os.environ.get("WORKFORCE_WAIT_FOR_EXPORTS_POKE_SECONDS", "1800"))


def _on_failure(context) -> None:
    """One clear summary line per failed task (``workforce.pipeline.failure_summary``)."""
    from workforce.pipeline import failure_summary

    ti = context.get("task_instance")
    month = (context.get("params") or {}).get("reporting_month") or "(from the run date)"
    log.error(failure_summary(getattr(ti, "task_id", "?"), month, getattr(ti, "try_number", "?"),
                              context.get("exception")))


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
            None, type=["null", "string"], pattern=r"^[0-9]{4}-(0[1-9]|1[0-2])$",
            description="YYYY-MM to (re)run; empty = the month before the run date",
        ),
        "force_rebuild": Param(False, type="boolean", description="rebuild and revalidate even if nothing is new"),
    },
)
def workforce_monthly():
    @task(retries=0)
    def reporting_month(**context) -> str:
        from workforce.months import ReportingMonth

        chosen = (context.get("params") or {}).get("reporting_month")
        if chosen:
            month = ReportingMonth.parse(chosen)
        else:
            run_date = context.get("logical_date") or context["dag_run"].run_after
            month = ReportingMonth.for_run_date(run_date.date())
        log.info("workforce_monthly: run %s reports month %s", context["dag_run"].run_id, month)
        return month.label  # the XCom is the YYYY-MM label

    @task.sensor(poke_interval=POKE_SECONDS, timeout=WAIT_HOURS * 3600, mode="reschedule", retries=0)
    def wait_for_exports(month: str) -> PokeReturnValue:
        from workforce.pipeline import exports_ready

        ready = exports_ready(month, progress=log.info)
        return PokeReturnValue(is_done=ready.ready, xcom_value=ready.to_dict())

    @task
    def extract(month: str) -> dict:
        from workforce.pipeline import step_extract

        report = step_extract(month, progress=log.info)
        return {"files": len(report.files), "summary": report.summary()}

    @task
    def transform(month: str, params=None) -> dict:
        from workforce.pipeline import step_transform

        return step_transform(month, progress=log.info, force=bool((params or {}).get("force_rebuild"))).to_dict()

    @task(retries=0)  # a trend month's failed quality check will fail again: no retry
    def history(month: str, params=None) -> dict:
        from workforce.pipeline import step_history

        return step_history(month, progress=log.info, force=bool((params or {}).get("force_rebuild"))).to_dict()

    @task(retries=0)  # a failed quality check will fail again: no retry
    def validate(month: str, params=None) -> dict:
        from workforce.pipeline import step_validate

        return step_validate(month, progress=log.info, force=bool((params or {}).get("force_rebuild"))).to_dict()

    @task
    def publish(month: str) -> dict:
        from workforce.pipeline import step_publish

        report = step_publish(month, progress=log.info)
        return {"rows": report.rows, "csv": str(report.csv_path), "bi_warehouse": str(report.warehouse_path)}

    @task
    def pack(month: str) -> dict:
        from workforce.pipeline import step_pack

        return step_pack(month, progress=log.info).to_dict()

    month = reporting_month()
    ready = wait_for_exports(month)
    extracted = extract(month)
    transformed = transform(month)
    trends = history(month)
    validated = validate(month)
    published = publish(month)
    ready >> extracted >> transformed >> trends >> validated >> published >> pack(month)


workforce_monthly()
