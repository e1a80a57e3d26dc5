"""The returns DAGs: parsed, thin, and their XComs are the reports' counts and paths only."""

from __future__ import annotations

from datetime import date
from types import SimpleNamespace

import pytest
from conftest import ROOT


@pytest.fixture(scope="module")
def bag():
    from airflow.dag_processing.dagbag import DagBag

    bag = DagBag(dag_folder=str(ROOT / "dags"))
    assert not bag.import_errors, bag.import_errors
    return bag


def test_census_and_agency_return_dags(bag, monkeypatch):
    from workforce.returns import agency, census

    census_dag, agency_dag = bag.dags["workforce_census"], bag.dags["workforce_agency_return"]
    assert census_dag.max_active_runs == 1 and agency_dag.max_active_runs == 1
    assert [t.task_id for t in census_dag.tasks] == ["census"] and [t.task_id for t in agency_dag.tasks] == \
        ["agency_return"]
    calls = []

    class Report:
        def to_dict(self):
            return {"workers": 3, "errors": 0}

    monkeypatch.setattr(census, "produce_census", lambda settings, year: calls.append(year) or Report())
    monkeypatch.setattr(agency, "produce_agency_return", lambda settings, quarter: calls.append(quarter) or Report())
    run_after = SimpleNamespace(year=2025, date=lambda: date(2025, 10, 20))
    context = {"params": {"year": None}, "logical_date": run_after}
    assert census_dag.get_task("census").python_callable(**context) == {"workers": 3, "errors": 0}
    assert agency_dag.get_task("agency_return").python_callable(params={"quarter": None}, logical_date=run_after) \
        == {"workers": 3, "errors": 0}
    assert census_dag.get_task("census").python_callable(params={"year": 2024}, logical_date=run_after)
    assert calls == [2025, "2025-Q3", 2024]  # the year of the run date, the quarter before it, a chosen year
    source = (ROOT / "dags" / "workforce_returns.py").read_text()
    assert len(source.splitlines()) < 70 and "import pandas" not in source
