"""A failed dbt check names the column it checks and the input files behind it (issue 11, class 4)."""

from __future__ import annotations

import json

from workforce.model.build import _trace_to_inputs
from workforce.months import ReportingMonth


def _write(target, results, nodes, sources):
    target.mkdir(parents=True, exist_ok=True)
    (target / "manifest.json").write_text(json.dumps({"nodes": nodes, "sources": sources, "unit_tests": {}}))
    (target / "run_results.json").write_text(json.dumps({"results": results}))
    return target / "run_results.json"


def test_a_failed_test_is_traced_through_every_model_to_the_month_s_serving_files(small_settings, tmp_path):
    sources = {f"source.workforce.raw.{e}": {"name": e} for e in ("hr_workers", "hr_teams", "payroll_lines")}
    nodes = {
        "model.workforce.stg_hr__workers": {"depends_on": {"nodes": ["source.workforce.raw.hr_workers"]}},
        "model.workforce.stg_hr__teams": {"depends_on": {"nodes": ["source.workforce.raw.hr_teams"]}},
        "model.workforce.int_hr__spells": {"depends_on": {"nodes": [
            "model.workforce.stg_hr__workers", "model.workforce.stg_hr__teams"]}},
        "test.workforce.unique_int_hr__spells_spell_id": {
            "column_name": "spell_id", "depends_on": {"nodes": ["model.workforce.int_hr__spells"]}},
        "model.workforce.stg_payroll__lines": {"depends_on": {"nodes": ["source.workforce.raw.payroll_lines"]}},
    }
    results = [
        {"unique_id": "test.workforce.unique_int_hr__spells_spell_id", "status": "fail", "message": "Got 2 results"},
        {"unique_id": "model.workforce.stg_payroll__lines", "status": "success"},
    ]
    path = _write(tmp_path / "target", results, nodes, sources)
    traced = _trace_to_inputs(small_settings, ReportingMonth.parse("2025-09"), path)
    assert list(traced) == ["test.workforce.unique_int_hr__spells_spell_id"]  # passing nodes get nothing
    text = traced["test.workforce.unique_int_hr__spells_spell_id"]
    assert "column spell_id" in text
    assert "hr_workers/hr_workers_2025-09-30.csv" in text and "hr_teams/hr_teams_2025-09-30.xlsx" in text
    assert "payroll" not in text  # only the inputs this check depends on


def test_an_input_with_no_extract_for_the_month_is_said_so(small_settings, tmp_path):
    sources = {"source.workforce.raw.hr_workers": {"name": "hr_workers"}}
    nodes = {"model.workforce.stg_hr__workers": {"depends_on": {"nodes": ["source.workforce.raw.hr_workers"]}}}
    results = [{"unique_id": "model.workforce.stg_hr__workers", "status": "error"}]
    path = _write(tmp_path / "target", results, nodes, sources)
    traced = _trace_to_inputs(small_settings, ReportingMonth.parse("2026-03"), path)
    assert "hr_workers (no extract for the month)" in traced["model.workforce.stg_hr__workers"]


def test_no_manifest_means_no_trace_and_no_error(small_settings, tmp_path):
    assert _trace_to_inputs(small_settings, ReportingMonth.parse("2025-09"), tmp_path / "none.json") == {}
