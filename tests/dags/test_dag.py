"""DAG integrity (parsed without a metadata DB) and one real `airflow dags test` run."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ROOT, SMALL_MONTH

DAG_ID = "workforce_monthly"


@pytest.fixture(scope="module")
def dag():
    from airflow.dag_processing.dagbag import DagBag

    bag = DagBag(dag_folder=str(ROOT / "dags"))
    assert not bag.import_errors, bag.import_errors
    return bag.dags[DAG_ID]


def test_dag_declares_schedule_docs_tags_and_retries(dag):
    assert dag.doc_md and "monthly" in dag.doc_md.lower()
    assert {"workforce", "scrutiny"} <= set(dag.tags)
    assert dag.max_active_runs == 1 and dag.catchup is False
    assert dag.start_date is not None
    assert [t.task_id for t in dag.topological_sort()] == [
        "reporting_month", "wait_for_exports", "extract", "transform", "history", "validate", "publish", "pack"
    ]
    for t in dag.tasks:
        assert t.owner == "workforce-data-engineering"
        assert t.on_failure_callback
    assert dag.get_task("extract").retries == 2
    assert dag.get_task("validate").retries == 0
    assert dag.get_task("history").retries == 0


def test_no_task_needs_a_pool_created_by_hand(dag):
    """A plain Airflow install has only default_pool; one writer is kept by workforce.locking."""
    for task in dag.tasks:
        assert task.pool == "default_pool", task.task_id


def test_the_run_waits_for_the_months_exports_without_holding_a_worker(dag):
    sensor = dag.get_task("wait_for_exports")
    assert sensor.mode == "reschedule"
    assert 0 < sensor.timeout <= 7 * 24 * 3600
    assert sensor.downstream_task_ids == {"extract"}


def test_a_run_can_force_a_rebuild_of_transform_history_and_validate(dag, monkeypatch):
    """The ``force_rebuild`` param (default off) reaches the steps that keep unchanged outputs."""
    from workforce import pipeline

    class Report:
        def __init__(self, force):
            self.force = force

        def to_dict(self):
            return {"force": self.force}

    assert dag.params["force_rebuild"] is False
    for task_id in ("transform", "history", "validate"):
        monkeypatch.setattr(pipeline, f"step_{task_id}", lambda month, progress=None, force=False: Report(force))
        run = dag.get_task(task_id).python_callable
        assert run(SMALL_MONTH, params={"reporting_month": None, "force_rebuild": True}) == {"force": True}
        assert run(SMALL_MONTH, params={"reporting_month": None, "force_rebuild": False}) == {"force": False}


def test_dag_file_stays_thin():
    source = (ROOT / "dags" / "workforce_monthly.py").read_text()
    assert len(source.splitlines()) < 150  # eight thin tasks and the DAG's documentation
    for heavy in ("import pandas", "import duckdb", "great_expectations", "import dbt"):
        assert heavy not in source


def test_reporting_month_follows_run_date():
    from datetime import date

    from workforce.months import ReportingMonth

    assert ReportingMonth.for_run_date(date(2026, 10, 3)).label == "2026-09"
    assert ReportingMonth.for_run_date(date(2026, 1, 3)).label == "2025-12"


@pytest.mark.slow
def test_airflow_dags_test_publishes(tmp_path, small_landing):
    env = dict(os.environ)
    home = tmp_path / "airflow"
    bin_dir = Path(sys.executable).parent
    env.update(
        PATH=f"{bin_dir}{os.pathsep}{env.get('PATH', '')}",
        AIRFLOW_HOME=str(home),
        AIRFLOW__CORE__DAGS_FOLDER=str(ROOT / "dags"),
        AIRFLOW__CORE__LOAD_EXAMPLES="False",
        AIRFLOW__DATABASE__SQL_ALCHEMY_CONN=f"sqlite:///{home}/airflow.db",
        WORKFORCE_DATA_DIR=str(tmp_path / "data"),
        WORKFORCE_LANDING_DIR=str(small_landing),
        WORKFORCE_HISTORY_MONTHS="36",
        WORKFORCE_TREND_MONTHS="1",
    )
    # A distinctive key: afterwards it must appear nowhere in Airflow's metadata (XComs, rendered
    # templates, task instances) or logs.
    key = "test-key-" + "Q7" * 20
    env["WORKFORCE_PSEUDONYMISATION_KEY"] = key
    airflow = str(bin_dir / "airflow")
    subprocess.run([airflow, "db", "migrate"], env=env, check=True, capture_output=True, timeout=300)
    run = subprocess.run(
        [airflow, "dags", "test", DAG_ID, "2025-10-03", "-c", json.dumps({"reporting_month": SMALL_MONTH})],
        env=env, capture_output=True, text=True, timeout=600,
    )
    output = run.stdout + run.stderr
    assert run.returncode == 0, output[-4000:]
    assert "state=success" in output or "successful" in output, output[-4000:]
    assert "dbt: " in output  # per-model dbt progress reaches the task log
    published = tmp_path / "data" / "published" / SMALL_MONTH / "scrutiny_workforce_monthly.csv"
    assert published.exists(), output[-4000:]
    pack = tmp_path / "data" / "published" / SMALL_MONTH / "pack"
    from workforce.pack import PACK_FILES

    assert sorted(p.name for p in pack.iterdir()) == sorted(PACK_FILES), output[-4000:]
    assert key not in output
    leaks = [p for p in home.rglob("*") if p.is_file() and key.encode() in p.read_bytes()]
    leaks += [p for p in (tmp_path / "data").rglob("*") if p.is_file() and key.encode() in p.read_bytes()]
    assert not leaks, f"the pseudonymisation key leaked into {leaks}"
    con = sqlite3.connect(home / "airflow.db")
    try:
        xcoms = con.execute("select count(*) from xcom").fetchone()[0]
        rendered = con.execute("select count(*) from rendered_task_instance_fields").fetchone()[0]
    finally:
        con.close()
    assert xcoms > 0 and rendered > 0  # the scan above covered real XComs and rendered templates
