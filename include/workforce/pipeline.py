"""The monthly pipeline as four steps: extract, transform, validate, publish.

The Airflow DAG runs each step as a task; ``workforce run`` runs them in turn in one process.
Both call these functions, so there is one implementation. Steps are idempotent: rerunning a
month (after a crash at any point, or to pick up a corrected export) publishes the same tables.

Each step takes the reporting month as a ``ReportingMonth`` or its ``YYYY-MM`` label (a DAG
task's XCom) and converts it once, at the top.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from workforce.config import Settings, load_settings
from workforce.files import write_json
from workforce.ingest.extract import ExtractError, ExtractReport, extract
from workforce.months import ReportingMonth
from workforce.publish.publisher import PublishReport, publish
from workforce.release.stage import ReleaseReport, release_month

log = logging.getLogger(__name__)

Progress = Callable[[str], None]
Month = ReportingMonth | str
STEPS = ("extract", "transform", "validate", "publish")


def step_extract(month: Month, settings: Settings | None = None, progress: Progress | None = None) -> ExtractReport:
    """Load the month's exports; the outcome (or the rejection) is kept in quality/<month>/extract_report.json."""
    month = ReportingMonth.of(month)
    settings = settings or load_settings()
    out = settings.quality_dir / month.label / "extract_report.json"
    try:
        report = extract(settings, month.end, progress)
    except ExtractError as exc:
        write_json(out, {"month": month.label, "status": "rejected", "problems": exc.problems})
        raise
    write_json(out, {"month": month.label, "status": "loaded", **report.to_dict()})
    return report


def step_transform(month: Month, settings: Settings | None = None, progress: Progress | None = None):
    """One ``dbt build`` of every model and test for the month (``model.build``)."""
    from workforce.model.build import build  # subprocess wrapper; no heavy import

    return build(settings or load_settings(), ReportingMonth.of(month), progress)


def step_validate(month: Month, settings: Settings | None = None, progress: Progress | None = None) -> ReleaseReport:
    """The release stage (``release.stage``): protect, validate, record and stage the month's rows."""
    return release_month(ReportingMonth.of(month), settings or load_settings(), progress)


def step_publish(month: Month, settings: Settings | None = None, progress: Progress | None = None) -> PublishReport:
    """Swap the staged rows into ``published/`` (``publish.publisher``)."""
    return publish(settings or load_settings(), ReportingMonth.of(month), progress)


@dataclass
class RunSummary:
    month: ReportingMonth
    timings: dict[str, float] = field(default_factory=dict)
    publish: PublishReport | None = None


def run_month(month: Month, settings: Settings | None = None, progress: Progress | None = None) -> RunSummary:
    """All four steps for one reporting month, in order, stopping at the first failure."""
    month = ReportingMonth.of(month)  # fail fast on a malformed month
    settings = settings or load_settings()
    say = progress or log.info
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
