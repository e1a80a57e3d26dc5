"""The dbt project agrees with the contract and the published-table definition (no drift)."""

from __future__ import annotations

from pathlib import Path

import yaml
from conftest import ROOT
from workforce.spec.catalogue import mart_tables
from workforce.spec.contract import EXPORTS
from workforce.warehouse import raw_column_types

DBT = ROOT / "dbt_project"


def _yaml(path: Path) -> dict:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def test_sources_match_the_contract():
    source = _yaml(DBT / "models/staging/_raw__sources.yml")["sources"][0]
    tables = {t["name"]: [c["name"] for c in t.get("columns", [])] for t in source["tables"]}
    for spec in EXPORTS:
        assert tables[spec.name] == list(raw_column_types(spec)), spec.name


def test_personal_columns_are_registered():
    source = _yaml(DBT / "models/staging/_raw__sources.yml")["sources"][0]
    tables = {t["name"]: {c["name"]: c for c in t["columns"]} for t in source["tables"]}
    for spec in EXPORTS:
        for col in spec.raw_columns:
            if col.is_personal:
                assert tables[spec.name][col.raw_name]["meta"]["personal_data"] is True


def test_published_models_document_every_catalogued_column_in_order_under_an_enforced_contract():
    for table in mart_tables():  # a release-stage table (scrutiny_revisions) has no dbt model
        (model,) = _yaml(DBT / f"models/marts/_{table.name}__models.yml")["models"]
        assert model["name"] == table.name
        assert model["config"]["contract"]["enforced"] is True, table.name
        assert tuple(c["name"] for c in model["columns"]) == table.published_columns, table.name
        types = {c["name"]: c["data_type"].upper() for c in model["columns"]}
        assert types == table.column_types, table.name
        assert all(c["description"] for c in model["columns"]), table.name


def test_every_model_states_its_grain_and_has_a_key_test():
    documented = {}
    for path in (DBT / "models").rglob("_*models.yml"):
        for model in _yaml(path).get("models", []):
            documented[model["name"]] = model
    sql_models = {p.stem for p in (DBT / "models").rglob("*.sql")}
    assert sql_models == set(documented), sql_models ^ set(documented)
    for name, model in documented.items():
        assert model["description"].startswith("One row per"), name
        tests = [str(t) for t in model.get("data_tests", [])]
        tests += [str(t) for c in model.get("columns", []) for t in c.get("data_tests", [])]
        assert any("unique" in t for t in tests) or name.startswith("stg_") and name in {
            "stg_hr__exit_interviews", "stg_payroll__lines", "stg_agency__timesheets"
        }, f"{name} has no key test"


def test_unit_tests_cover_the_issue_edge_cases():
    names = []
    for path in (DBT / "models").rglob("*.yml"):
        names += [u["name"] for u in _yaml(path).get("unit_tests", []) or []]
    text = " ".join(names)
    cases = (
        "leaver_on_month_end", "internal_move", "starters_leavers", "two_posts", "agency_workers_are_never_in_post",
        "close_cases_on_month_end", "caseloads_match_workers", "straddling_the_window_edge",
    )
    for case in cases:
        assert case in text, case
