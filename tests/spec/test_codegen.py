"""Generated files are up to date with the catalogue and the contract (regenerating changes nothing)."""

from __future__ import annotations

import json
import shutil

from conftest import ROOT
from workforce.spec import codegen
from workforce.spec.catalogue import catalogue


def test_regenerating_changes_nothing():
    files = codegen.outputs(ROOT, catalogue())
    stale = [str(p.relative_to(ROOT)) for p in codegen.stale_files(ROOT, files)]
    assert stale == [], f"generated files are out of date, run `make generate`: {stale}"


def test_check_mode_names_a_stale_file_and_writes_nothing(tmp_path):
    # A copy of the repository with one generated file edited by hand.
    lines: list[str] = []
    for part in ("include/workforce/spec", "dbt_project", "expectations", "docs/reference"):
        shutil.copytree(ROOT / part, tmp_path / part)
    page = tmp_path / "docs/reference/scrutiny_workforce_monthly.md"
    page.write_text(page.read_text(encoding="utf-8") + "edited by hand\n", encoding="utf-8")
    before = page.read_text(encoding="utf-8")
    assert codegen.generate(tmp_path, check=True, say=lines.append) == 1
    assert lines == ["out of date: docs/reference/scrutiny_workforce_monthly.md (run `make generate`)"]
    assert page.read_text(encoding="utf-8") == before
    assert codegen.generate(tmp_path, say=lines.append) == 0
    assert codegen.generate(tmp_path, check=True, say=lines.append) == 0


def test_hand_written_expectations_are_kept_and_generated_ones_replaced(tmp_path):
    table = catalogue().table("scrutiny_caseload_monthly")
    hand = {
        "type": "expect_column_values_to_be_between",
        "kwargs": {"column": "cases", "max_value": 10_000},
        "meta": {"severity": "warning", "description": "x", "origin": codegen.HAND_WRITTEN},
    }
    stale_generated = {
        "type": "expect_table_row_count_to_be_between",
        "kwargs": {"min_value": 99},
        "meta": {"severity": "critical", "description": "old", "origin": codegen.GENERATED},
    }
    suite = codegen._merge_suite(
        {"expectations": [stale_generated, hand]}, table.suite, {}, codegen.published_expectations(table)
    )
    assert hand in suite["expectations"]
    assert stale_generated not in suite["expectations"]
    assert all(e["meta"]["origin"] in (codegen.GENERATED, codegen.HAND_WRITTEN) for e in suite["expectations"])


def test_every_status_column_gets_its_symbol_and_null_checks():
    for table in catalogue():
        suite = json.loads((ROOT / f"expectations/{table.suite}.json").read_text(encoding="utf-8"))
        in_set = {
            e["kwargs"]["column"] for e in suite["expectations"] if e["type"] == "expect_column_values_to_be_in_set"
        }
        iff = {
            e["meta"]["derived"]["column"]
            for e in suite["expectations"]
            if (e["meta"].get("derived") or {}).get("check") == "value_null_iff_status"
        }
        for column in table.columns:
            if column.status:
                assert column.status_column in in_set, (table.name, column.name)
                assert column.name in iff, (table.name, column.name)
