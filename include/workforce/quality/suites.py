"""Expectation suites: the JSON files under ``expectations/``, found, read and checked.

One suite per raw export (``raw_<export>.json``) and one per published table
(``published_<table>.json``). Every expectation carries ``meta.severity`` (``critical``: a
failure stops the run; ``warning``: recorded and logged) and a plain-English
``meta.description``. A *derived check* (``meta.derived``) names a function in
``checks.DERIVED_CHECKS`` and an ``expect_column_values_to_be_null`` on its own helper column
``_check_...``; ``load_suite`` refuses a suite that breaks any of these rules, naming the rule.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from workforce.quality.checks import DERIVED_CHECKS
from workforce.spec.catalogue import TABLE

CRITICAL = "critical"
WARNING = "warning"
SEVERITIES = (CRITICAL, WARNING)

RAW_SUITE_PREFIX = "raw_"
PUBLISHED_TABLE = TABLE
PUBLISHED_SUITE = f"published_{PUBLISHED_TABLE}"
LINEAGE_COLUMNS = ("_source_file", "_extract_date", "_row_number")
DERIVED_PREFIX = "_check_"


class QualitySuiteError(ValueError):
    """A suite file is missing or malformed."""


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

