"""Check outcomes: what every check found, the gate that stops a run, and rows to record.

``SuiteResult`` holds one suite's run over one batch of data (``data_name`` says which: table,
extract date, file), with a ``CheckResult`` per check. ``raise_on_failure`` is the gate: it logs
every failed warning and raises ``QualityGateError`` listing every failed critical check (suite,
data, check, column, what was observed). ``results_to_rows`` and ``dbt_results_rows`` flatten
GX and dbt outcomes into the rows kept in ``validation_results.json``, ``dbt_results.json`` and
the warehouse history tables.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from workforce.quality.suites import CRITICAL, WARNING

log = logging.getLogger(__name__)


@dataclass
class CheckResult:
    suite: str
    expectation: str
    column: str | None
    severity: str
    success: bool
    observed: str
    description: str
    validated_at: str | None = None  # when the check was evaluated (UTC, ISO 8601)
    reused_from_run: str | None = None  # the earlier run whose outcome this is (``reuse``), if reused


@dataclass
class SuiteResult:
    suite: str
    data_name: str
    success: bool  # no critical check failed
    results: list[CheckResult] = field(default_factory=list)
    skipped: bool = False  # an optional export with no extract: nothing was validated
    gx_result: Any = field(default=None, repr=False, compare=False)  # GX's own result (or its JSON), for Data Docs
    reuse_key: str | None = None  # the key its results are stored under (``reuse``), if any
    reused_from_run: str | None = None  # the run that validated it, when its results were reused

    def failures(self, severity: str = CRITICAL) -> list[CheckResult]:
        return [r for r in self.results if not r.success and r.severity == severity]


class QualityGateError(RuntimeError):
    """One or more critical checks failed; the message lists each of them."""

    def __init__(self, message: str, failures: Iterable[tuple[SuiteResult, CheckResult]] = ()):
        super().__init__(message)
        self.failures = list(failures)


def raise_on_failure(results: list[SuiteResult]) -> None:
    """Log every failed warning; raise ``QualityGateError`` listing every failed critical check."""
    failures: list[tuple[SuiteResult, CheckResult]] = []
    for suite in results:
        for check in suite.failures(WARNING):
            log.warning(
                "quality warning: %s on %s: %s%s: %s (%s)",
                suite.suite,
                suite.data_name,
                check.expectation,
                f" [{check.column}]" if check.column else "",
                check.observed,
                check.description,
            )
        failures.extend((suite, check) for check in suite.failures(CRITICAL))
    if not failures:
        return
    lines = [f"data-quality gate failed: {len(failures)} critical check(s) failed"]
    for suite, check in failures:
        column = f" on column {check.column}" if check.column else ""
        lines.append(
            f"- suite {suite.suite}, data {suite.data_name}: {check.expectation}{column} failed: "
            f"{check.observed}. Check: {check.description}"
        )
    raise QualityGateError("\n".join(lines), failures)


def results_to_rows(results: list[SuiteResult], run_id: str) -> list[dict]:
    """One flat row per check, for the quality history table.

    ``validated_at`` is when the check was evaluated; ``reused_from_run`` names the earlier run
    whose outcome was reused for the same suite over the same data (``reuse``), else null.
    """
    return [
        {
            "run_id": run_id,
            "suite": suite.suite,
            "data_name": suite.data_name,
            "expectation": check.expectation,
            "column": check.column,
            "severity": check.severity,
            "success": check.success,
            "observed": check.observed,
            "description": check.description,
            "validated_at": check.validated_at,
            "reused_from_run": check.reused_from_run,
        }
        for suite in results
        for check in suite.results
    ]


def dbt_results_rows(run_results_path: Path) -> list[dict]:
    """One row per dbt node (model, test, unit test, seed) of the last ``dbt build``."""
    path = Path(run_results_path)
    if not path.is_file():
        return []
    data = json.loads(path.read_text(encoding="utf-8"))
    rows = []
    for r in data.get("results", []):
        unique_id = r.get("unique_id") or ""
        rows.append({
            "unique_id": unique_id,
            "resource_type": unique_id.split(".", 1)[0] or None,
            "status": r.get("status"),
            "failures": r.get("failures"),
            "message": (r.get("message") or None) and str(r.get("message"))[:500],
            "execution_time": r.get("execution_time"),
        })
    return rows
