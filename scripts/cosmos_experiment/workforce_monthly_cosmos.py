"""Experiment: `workforce_monthly` with `transform` as a Cosmos DbtTaskGroup in WATCHER mode.

Throwaway variant of dags/workforce_monthly.py for the "per-model dbt progress in Airflow"
question (see README.md next to this file). Identical to the real DAG except `transform`:

* astronomer-cosmos `DbtTaskGroup`, `ExecutionMode.WATCHER`: one producer task runs ONE
  `dbt build` (subprocess, like workforce.model.build) and one sensor task per dbt model/seed
  turns green/red as dbt reports that node (tests run inside the build, attached to their model).
* `LoadMode.DBT_MANIFEST`: the manifest comes from `dbt parse`, run by measure.sh into
  $COSMOS_EXP_MANIFEST (default <tempdir>/cosmos_exp/manifest/manifest.json). No `dbt deps`.
* vars: reporting_month is TEMPLATED from the upstream `reporting_month` task's XCom (same value
  the real DAG passes); la_code/history_months from workforce.config like transform.dbt_vars.
* env: workforce.model.build.dbt_environment(settings) (WORKFORCE_WAREHOUSE_PATH = the data dir's
  warehouse/workforce.duckdb, DuckDB threads/memory/temp dir), computed at DAG parse time from
  the same WORKFORCE_* environment the tasks see.
* pool: only the producer (the one process that opens DuckDB) is in `workforce_warehouse`;
  the sensors never open the warehouse, and putting them in the one-slot pool would serialise
  them behind the producer and defeat the live progress.
"""

from __future__ import annotations

import logging
import os
import tempfile
from datetime import timedelta
from pathlib import Path

import pendulum
from airflow.sdk import Param, dag, task
from cosmos import DbtTaskGroup, ExecutionConfig, ProfileConfig, ProjectConfig, RenderConfig
from cosmos.constants import ExecutionMode, InvocationMode, LoadMode
from workforce.config import load_settings
from workforce.model.build import dbt_environment, dbt_executable

POOL = "workforce_warehouse"
log = logging.getLogger("airflow.task")

_settings = load_settings()
_DBT_PROJECT = _settings.dbt_project_dir
# Written by measure.sh (dbt parse); its default work dir is <tmp>/cosmos_exp.
_MANIFEST = Path(
    os.environ.get("COSMOS_EXP_MANIFEST") or Path(tempfile.gettempdir()) / "cosmos_exp" / "manifest" / "manifest.json"
)
# Only the variables dbt needs (dbt_environment returns the whole os.environ plus these); Cosmos
# appends os.environ itself (append_env) and renders these as a template field.
_DBT_ENV = {
    k: v
    for k, v in dbt_environment(_settings).items()
    if k.startswith(("WORKFORCE_", "DBT_")) and k != "DBT_PROFILES_DIR"
}
_DBT_VARS = {
    "reporting_month": "{{ ti.xcom_pull(task_ids='reporting_month') }}",
    "la_code": _settings.la_code,
    "history_months": _settings.history_months,
}


# `airflow dags test` runs one task at a time in-process and runs a deferred task's trigger
# inline until it fires. A deferrable watcher sensor picked before the producer therefore waits
# forever for a dbt build that cannot start (seen on the first attempt). For `dags test` only,
# measure.sh sets COSMOS_EXP_SENSOR_MODE=reschedule: sensors poke once, give back their slot
# (UP_FOR_RESCHEDULE) and the producer gets to run. Under a real scheduler + triggerer the
# default (deferrable sensors) is the one to use.
_SENSOR_ARGS: dict = {}
if os.environ.get("COSMOS_EXP_SENSOR_MODE") == "reschedule":
    _SENSOR_ARGS = {"deferrable": False, "mode": "reschedule", "poke_interval": 2}


def _on_failure(context) -> None:
    ti = context.get("task_instance")
    error = context.get("exception")
    log.error(
        "workforce_monthly_cosmos: task %s failed for reporting month %s: %s",
        getattr(ti, "task_id", "?"),
        (context.get("params") or {}).get("reporting_month") or "(from the run date)",
        error,
    )


@dag(
    dag_id="workforce_monthly_cosmos",
    schedule=None,  # experiment only: never scheduled
    start_date=pendulum.datetime(2015, 1, 1, tz="Europe/London"),
    catchup=False,
    max_active_runs=1,
    doc_md=__doc__,
    tags=["workforce", "experiment", "cosmos"],
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
def workforce_monthly_cosmos():
    @task(retries=0)
    def reporting_month(**context) -> str:
        from workforce.months import ReportingMonth

        chosen = (context.get("params") or {}).get("reporting_month")
        if chosen:
            return chosen
        run_date = context.get("logical_date") or context["dag_run"].run_after
        return ReportingMonth.for_run_date(run_date.date()).label

    @task(pool=POOL)
    def extract(month: str) -> dict:
        from workforce.pipeline import step_extract

        report = step_extract(month, progress=log.info)
        return {"files": len(report.files), "summary": report.summary()}

    transform = DbtTaskGroup(
        group_id="transform",
        project_config=ProjectConfig(
            dbt_project_path=_DBT_PROJECT,
            manifest_path=_MANIFEST,
            install_dbt_deps=False,
        ),
        profile_config=ProfileConfig(
            profile_name="workforce",
            target_name="warehouse",
            profiles_yml_filepath=_DBT_PROJECT / "profiles.yml",
        ),
        execution_config=ExecutionConfig(
            execution_mode=ExecutionMode.WATCHER,
            # Subprocess, like workforce.model.build: dbt-duckdb keeps its in-process connection
            # (and the file lock) open after a dbtRunner run.
            invocation_mode=InvocationMode.SUBPROCESS,
            dbt_executable_path=dbt_executable(),
            setup_operator_args={"pool": POOL},
        ),
        render_config=RenderConfig(
            load_method=LoadMode.DBT_MANIFEST,
            should_detach_multiple_parents_tests=True,
        ),
        operator_args={
            "vars": _DBT_VARS,
            "env": _DBT_ENV,
            **_SENSOR_ARGS,
        },
    )

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
    validated = validate(month)
    published = publish(month)
    month >> transform
    extracted >> transform >> validated >> published


workforce_monthly_cosmos()
