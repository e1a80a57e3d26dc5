"""The monthly pipeline as four steps: extract, transform, validate, publish.

The Airflow DAG runs each step as a task; ``workforce run`` runs them in turn in one process.
Both call these functions, so there is one implementation. Steps are idempotent: rerunning a
month (after a crash at any point, or to pick up a corrected export) publishes the same tables.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

from workforce.config import Settings, load_settings
from workforce.ingest.extract import ExtractError, ExtractReport, extract, month_end_of
from workforce.publish.publisher import (
    PUBLISHED_TABLES,
    TABLE,
    PublishReport,
    publish,
    read_mart_month,
    stage,
    staged_path,
)

log = logging.getLogger(__name__)

Progress = Callable[[str], None]
STEPS = ("extract", "transform", "validate", "publish")


def reporting_month_for(run_date: date) -> str:
    """A run in month M+1 reports month M (exports for M land in the first days of M+1)."""
    first = run_date.replace(day=1)
    previous = date(first.year - 1, 12, 1) if first.month == 1 else date(first.year, first.month - 1, 1)
    return previous.strftime("%Y-%m")


def step_extract(month: str, settings: Settings | None = None, progress: Progress | None = None) -> ExtractReport:
    """Load the month's exports; the outcome (or the rejection) is kept in quality/<month>/extract_report.json."""
    settings = settings or load_settings()
    out = settings.quality_dir / month / "extract_report.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    try:
        report = extract(settings, month_end_of(month), progress)
    except ExtractError as exc:
        _write_json(out, {"month": month, "status": "rejected", "problems": exc.problems})
        raise
    _write_json(out, {"month": month, "status": "loaded", **report.to_dict()})
    return report


def _write_json(path, data) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(json.dumps(data, indent=1, default=str), encoding="utf-8")
    tmp.replace(path)


def step_transform(month: str, settings: Settings | None = None, progress: Progress | None = None):
    from workforce.model.build import build  # subprocess wrapper; no heavy import

    settings = settings or load_settings()
    return build(settings, month_end_of(month), progress)


def step_validate(month: str, settings: Settings | None = None, progress: Progress | None = None) -> dict:
    """Run the quality gate on the month's raw exports and mart rows; stage them if they pass.

    Every outcome is recorded before the gate decides: ``quality/<month>/validation_results.json``,
    ``dbt_results.json``, GX Data Docs in ``data_docs/``, and history rows in the warehouse
    (``quality.validation_history``, ``quality.dbt_test_results``). A quarantine over
    ``WORKFORCE_QUARANTINE_MAX_PCT`` is a critical check, so it fails this step. On success the
    rows are staged with the audit record (``audit.json``) that publish completes.
    """
    from workforce.quality import gate as quality
    from workforce.release import (
        audit,  # Great Expectations is heavy: import at run time only
        disclosure,
    )
    from workforce.warehouse import connect

    settings = settings or load_settings()
    say = progress or log.info
    month_end = month_end_of(month)
    run_id = audit.new_run_id(month)
    results = quality.validate_raw_exports(
        settings.warehouse_path, month_end, settings.expectations_dir, settings.quarantine_max_pct
    )
    frames = read_mart_month(settings, month_end)
    # Small numbers are suppressed before validation, so what is validated is what is published.
    frames = {
        name: disclosure.apply_disclosure_control(name, df, settings.suppression_threshold)
        for name, df in frames.items()
    }
    suites = set(quality.list_suites(settings.expectations_dir))
    for table in PUBLISHED_TABLES:
        if table.name == TABLE:
            results.append(quality.validate_published(frames[table.name], settings.expectations_dir))
        elif table.suite in suites:
            results.append(quality.validate_dataframe(
                frames[table.name], table.suite, settings.expectations_dir, f"published {table.name} {month}"
            ))
        else:
            raise RuntimeError(f"published table {table.name} has no suite {table.suite} (expectations/)")
    out_dir = settings.quality_dir / month
    out_dir.mkdir(parents=True, exist_ok=True)
    check_rows = quality.results_to_rows(results, run_id=run_id)
    _write_json(out_dir / "validation_results.json", check_rows)
    dbt_rows = quality.dbt_results_rows(settings.dbt_target_dir / "run_results.json")
    _write_json(out_dir / "dbt_results.json", {"run_id": run_id, "results": dbt_rows})
    try:
        docs = quality.build_data_docs(results, out_dir / "data_docs", run_id)
    except Exception as exc:  # the docs are a rendering of results already recorded above
        log.error("validate: could not build GX Data Docs: %s: %s", type(exc).__name__, exc)
        docs = None
    with connect(settings) as con:  # short read-write connection: history only
        quality.write_history(con, check_rows, dbt_rows, run_id, month)
    checks = len(check_rows)
    failed = [r for r in check_rows if not r["success"]]
    say(f"validate: {len(results)} suites, {checks} checks, {len(failed)} not met; results in {out_dir}"
        + (f"; Data Docs {docs}" if docs else ""))
    quality.raise_on_failure(results)  # a failed critical check (or too many quarantined rows) stops the run here
    paths = stage(settings, month, frames)
    audit.write_draft(
        settings, month, month_end, run_id, check_rows, dbt_rows,
        {name: staged_path(settings, month, name) for name in frames},
    )
    rows = sum(len(df) for df in frames.values())
    say(f"validate: {rows} validated rows of {len(frames)} table(s) staged for publish (run {run_id})")
    return {
        "run_id": run_id,
        "suites": len(results),
        "checks": checks,
        "not_met": len(failed),
        "staged": [str(p) for p in paths],
    }


def step_publish(month: str, settings: Settings | None = None, progress: Progress | None = None) -> PublishReport:
    settings = settings or load_settings()
    return publish(settings, month, progress)


@dataclass
class RunSummary:
    month: str
    timings: dict[str, float] = field(default_factory=dict)
    publish: PublishReport | None = None


def run_month(month: str, settings: Settings | None = None, progress: Progress | None = None) -> RunSummary:
    """All four steps for one reporting month, in order, stopping at the first failure."""
    settings = settings or load_settings()
    say = progress or log.info
    month_end_of(month)  # fail fast on a malformed month
    summary = RunSummary(month)
    steps = {"extract": step_extract, "transform": step_transform, "validate": step_validate, "publish": step_publish}
    for n, (name, step) in enumerate(steps.items(), 1):
        say(f"[{n}/{len(steps)}] {name} {month} ...")
        started = time.monotonic()
        result = step(month, settings, say)
        summary.timings[name] = time.monotonic() - started
        say(f"[{n}/{len(steps)}] {name} done in {summary.timings[name]:.1f}s")
        if name == "publish":
            summary.publish = result
    return summary
