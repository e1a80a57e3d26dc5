"""The monthly pipeline as four steps: extract, transform, validate, publish.

The Airflow DAG runs each step as a task; ``workforce run`` runs them in turn in one process.
Both call these functions, so there is one implementation. Steps are idempotent: rerunning a
month (after a crash at any point, or to pick up a corrected export) publishes the same tables.

Each step takes the reporting month as a ``ReportingMonth`` or its ``YYYY-MM`` label (a DAG
task's XCom) and converts it once, at the top.

Months never mix, however a scheduler interleaves, retries or reruns them:

- every step that opens the warehouse holds its lock for the whole step (``locking``), so there
  is one writer, and a month's ``dbt build`` and the capture of its rows are one unit;
- the transform step copies out everything the month's later steps read (``model.capture``):
  validate and publish read that copy, never the live marts another month can rebuild;
- extract stops before loading anything when a required export has no extract of its own for the
  month (``ingest.readiness``), so no month is computed from an earlier month's files.

When the environment fails a step (another program holds the warehouse open, the disk fills, a
folder is read-only or missing), the step raises one ``errors.EnvironmentFailure``: one line
saying what happened, what the step left unchanged at the point it reached, and what to do.
Before it changes anything each step checks that the folders it reads and writes can be
(``errors.preflight``).

A process can also be killed outright, when no ``finally`` runs: every write is a temporary file
or folder renamed into place (``files``), so a kill leaves at most temporary names behind. Each
step removes the leftovers in the folders it writes when it starts, holding the lock that keeps
every other writer of them out (``files.remove_leftovers``), so a rerun after a kill at any
moment leaves exactly what an uninterrupted run leaves.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from workforce.config import Settings, load_settings
from workforce.errors import EnvironmentFailure, Explained, explained, one_line, preflight
from workforce.files import is_temp_name, remove_leftovers, write_json
from workforce.locking import LOCKS, publish_lock, warehouse_lock
from workforce.months import ReportingMonth

if TYPE_CHECKING:  # each step imports its own modules (pandas, DuckDB, GX ...) when it runs
    from workforce.ingest.extract import ExtractReport
    from workforce.pack import PackReport
    from workforce.publish.publisher import PublishReport
    from workforce.release.stage import ReleaseReport

log = logging.getLogger(__name__)

Progress = Callable[[str], None]
Month = ReportingMonth | str
STEPS = ("extract", "transform", "validate", "publish")
#: The steps that keep their output on a rerun with nothing new, unless forced (``rerun``).
FORCEABLE = ("transform", "validate")


def failure_summary(task: str, month: str, attempt, error: BaseException | None) -> str:
    """The one line an orchestrator logs when a step fails: which, for what month, why, what now.
    An environment failure (``errors``) is its own line: what happened, what is unchanged, what to do."""
    head = f"workforce_monthly FAILED: task {task}, reporting month {month}, attempt {attempt}: "
    if isinstance(error, EnvironmentFailure):
        return head + error.line
    line = one_line(error, task, month if _is_label(month) else "")
    if line is not None:
        return head + line
    lines = str(error or "no exception recorded").strip().splitlines()
    detail = " | ".join(lines[:8]) + (f" | ... ({len(lines) - 8} more lines)" if len(lines) > 8 else "")
    return (
        f"{head}{type(error).__name__ if error else 'Error'}: {detail}. The published tables are unchanged; quality "
        "results and the audit record are under $WORKFORCE_DATA_DIR/quality/<month>/."
    )


def _is_label(text: str) -> bool:
    try:
        ReportingMonth.parse(text)
    except ValueError:
        return False
    return True


def _duckdb_tmp(settings: Settings):
    """DuckDB's spill folder for the warehouse (``warehouse.connect``, dbt's profile)."""
    return settings.data_dir / "tmp" / "duckdb"


def _clean(step: str, say: Progress, *leftovers) -> None:
    """Remove an interrupted run's temporary files and folders: ``(folder, depth)`` pairs, or
    ``(folder, depth, prefix)`` to take only the temporary names of files starting with ``prefix``."""
    removed = []
    for folder, depth, *prefix in leftovers:
        if prefix:
            removed += [p for p in folder.glob(f".{prefix[0]}*") if _remove_temp(p)]
        else:
            removed += remove_leftovers(folder, depth)
    if removed:
        say(f"{step}: removed {len(removed)} temporary file(s) an interrupted run left: "
            + ", ".join(sorted(p.name for p in removed)[:5]) + (" ..." if len(removed) > 5 else ""))


def _remove_temp(path) -> bool:
    if not is_temp_name(path.name) or path.is_dir():
        return False
    path.unlink(missing_ok=True)
    return True


def _clear_duckdb_tmp(settings: Settings) -> None:
    """DuckDB's spill files of a killed connection (every user of the folder holds the warehouse lock)."""
    import shutil

    folder = _duckdb_tmp(settings)
    if folder.is_dir():
        for entry in folder.iterdir():
            if entry.is_dir() and not entry.is_symlink():
                shutil.rmtree(entry, ignore_errors=True)
            else:
                entry.unlink(missing_ok=True)


def exports_ready(month: Month, settings: Settings | None = None, progress: Progress | None = None):
    """Whether every required export has an extract of its own for the month (``ingest.readiness``);
    says which are still missing. The DAG's ``wait_for_exports`` sensor pokes this."""
    from workforce.ingest.readiness import assess

    month = ReportingMonth.of(month)
    settings = settings or load_settings()
    say = progress or log.info
    with explained("wait_for_exports", month.label, settings, "nothing was read into the warehouse"):
        preflight(reads=[settings.landing_dir])
        ready = assess(settings, month.end)
    for line in ready.problems(settings.landing_dir):
        say(f"waiting for exports: {line}")
    if ready.ready:
        say(f"the exports for {month} are in: " + ", ".join(sorted(ready.serving.values())))
    return ready


def step_extract(month: Month, settings: Settings | None = None, progress: Progress | None = None) -> ExtractReport:
    """Load the month's exports; the outcome (or the rejection) is kept in quality/<month>/extract_report.json."""
    from workforce.ingest.extract import ExtractError, extract

    month = ReportingMonth.of(month)
    settings = settings or load_settings()
    say = progress or log.info
    quality = settings.quality_dir / month.label
    out = quality / "extract_report.json"
    with explained("extract", month.label, settings,
                   "nothing was loaded: the warehouse and published/ are as they were") as outcome:
        preflight(reads=[settings.landing_dir],
                  writes=[settings.data_dir / LOCKS, settings.warehouse_path.parent, _duckdb_tmp(settings), quality])
        try:
            with warehouse_lock(settings, "extract", month.label, say=progress):
                _clean("extract", say, (quality, 0))
                _clear_duckdb_tmp(settings)
                report = extract(settings, month.end, progress)
        except ExtractError as exc:
            outcome.unchanged = f"nothing was loaded, and the rejection was not recorded in {out}"
            write_json(out, {"month": month.label, "status": "rejected", "problems": exc.problems})
            raise
        outcome.unchanged = (f"the exports were loaded into the warehouse, but {out} was not written; "
                             "published/ is as it was")
        write_json(out, {"month": month.label, "status": "loaded", **report.to_dict()})
    return report


def step_transform(month: Month, settings: Settings | None = None, progress: Progress | None = None,
                   force: bool = False):
    """One ``dbt build`` of every model and test for the month (``model.build``), then the capture
    of the month's published rows, dbt results and provenance (``model.capture``), in one hold of
    the warehouse. When nothing the capture is computed from has changed since it was written
    (``rerun``), the capture is kept and dbt does not run; ``force`` builds it anyway."""
    from workforce.model.capture import capture_dir

    month = ReportingMonth.of(month)
    settings = settings or load_settings()
    say = progress or log.info
    captures = capture_dir(settings, month).parent
    with explained("transform", month.label, settings,
                   f"the month's capture ({captures.name}/{month}/) and published/ are as they were"):
        preflight(writes=[settings.data_dir / LOCKS, settings.warehouse_path.parent, _duckdb_tmp(settings),
                                    captures, settings.dbt_target_dir, settings.dbt_log_dir])
        return _transform(settings, month, say, force, captures)


def _transform(settings: Settings, month: ReportingMonth, say: Progress, force: bool, captures):
    from workforce.model.build import build  # subprocess wrapper; no heavy import
    from workforce.model.capture import TransformReport, capture_month
    from workforce.rerun import check_capture, transform_fingerprint

    with warehouse_lock(settings, "transform", month.label, say=say):
        _clean("transform", say, (captures, 0))
        _clear_duckdb_tmp(settings)
        fingerprint = transform_fingerprint(settings, month)
        decision = check_capture(settings, month, fingerprint, force)
        if decision.keep and decision.record is not None:
            report = TransformReport.of(decision.record, month, True, decision.reason)
            say(f"transform: nothing new for {month} since {decision.since}; kept the capture of {decision.since} "
                f"(dbt invocation {report.invocation_id}; dbt not run; --force or force_rebuild rebuilds it)")
            return report
        say(f"transform: building {month}: {decision.reason}")
        result = build(settings, month, say)
        capture = capture_month(settings, month, settings.dbt_target_dir / "run_results.json", fingerprint)
    report = TransformReport.of(capture.manifest, month, False, decision.reason, result)
    say(f"transform: captured {report.rows} rows of {len(capture.tables)} published table(s) for {month} "
        f"(dbt invocation {report.invocation_id})")
    return report


def step_validate(month: Month, settings: Settings | None = None, progress: Progress | None = None,
                  force: bool = False) -> ReleaseReport:
    """The release stage (``release.stage``): protect, validate, record and stage the month's rows.
    When the staged output was validated from exactly the current capture and inputs (``rerun``),
    it is kept and nothing is validated again; ``force`` validates anyway."""
    from workforce.quality.reuse import REUSE_DIR
    from workforce.release.stage import staged_dir

    month = ReportingMonth.of(month)
    settings = settings or load_settings()
    say = progress or log.info
    quality, staging = settings.quality_dir / month.label, staged_dir(settings, month)
    reuse = settings.quality_dir / REUSE_DIR
    with explained("validate", month.label, settings,
                   "nothing was staged for publish; published/ is as it was") as outcome:
        preflight(writes=[settings.data_dir / LOCKS, settings.warehouse_path.parent, _duckdb_tmp(settings),
                                    quality, staging, reuse])
        with warehouse_lock(settings, "validate", month.label, say=progress):  # raw rows, history
            _clean("validate", say, (staging, 0), (quality, 0), (reuse, 1))
            _clear_duckdb_tmp(settings)
            return _validate(settings, month, say, progress, force, outcome)


def _validate(settings: Settings, month: ReportingMonth, say: Progress, progress: Progress | None, force: bool,
              outcome: Explained) -> ReleaseReport:
    from workforce.release.stage import ReleaseReport, release_month, staged_path
    from workforce.rerun import check_staged, clear_staged_marker, write_staged_marker
    from workforce.spec.catalogue import published_tables

    decision = check_staged(settings, month, force)
    if decision.keep and decision.record is not None:
        kept = decision.record
        say(f"validate: nothing new for {month} since {decision.since}; kept the staged output validated "
            f"{decision.since} (run {kept['run_id']}; not validated again; --force or force_rebuild redoes it)")
        staged = [staged_path(settings, month, t.name) for t in published_tables()]
        docs = settings.quality_dir / month.label / "data_docs" / "index.html"
        return ReleaseReport(month, kept["run_id"], **kept["report"], staged=staged,
                             results_dir=settings.quality_dir / month.label,
                             data_docs=docs if docs.exists() else None, kept=True, reason=decision.reason)
    say(f"validate: validating {month}: {decision.reason}")
    clear_staged_marker(settings, month)  # from here until the marker is written, never kept
    outcome.unchanged = ("the month's staged output is marked incomplete, so the rerun validates it again; "
                         "published/ is as it was")
    report = release_month(month, settings, progress)
    _census_readiness(settings, month, say)
    if decision.fingerprint is not None:
        write_staged_marker(settings, month, decision.fingerprint, report)
    report.reason = decision.reason
    return report


def _census_readiness(settings: Settings, month: ReportingMonth, say: Progress) -> None:
    """Issue 14: the census readiness report for the next 30 September (restricted, under
    ``restricted/readiness/<month>/``), its counts in ``validation_results.json``; never stops the month."""
    from workforce.returns.census import readiness_step

    readiness_step(settings, month, say)


def step_publish(month: Month, settings: Settings | None = None, progress: Progress | None = None) -> PublishReport:
    """Swap the staged rows into ``published/`` (``publish.publisher``); one publisher at a time.
    Holding the publish lock, it first removes what an interrupted publish left (temporary files
    and folders in ``published/``, ``published/<month>/`` and of the month's audit record copy)."""
    from workforce.publish.publisher import publish

    month = ReportingMonth.of(month)
    settings = settings or load_settings()
    say = progress or log.info
    quality = settings.quality_dir / month.label
    with explained("publish", month.label, settings,
                   f"published/ is as it was (the previous {month}, if any, and the BI file)", settings.published_dir):
        preflight(writes=[settings.data_dir / LOCKS, settings.published_dir, quality])
        with publish_lock(settings, month.label, say=progress):
            _clean("publish", say, (settings.published_dir, 1), (quality, 0, "audit.json"))
            return publish(settings, month, progress)


def step_pack(month: Month, settings: Settings | None = None, progress: Progress | None = None) -> PackReport:
    """The month's scrutiny pack (``pack.build_pack``): HTML, PDF and XLSX under ``published/<month>/pack/``,
    read from the published files only; one publisher at a time (it writes beside the tables)."""
    from workforce.pack import build_pack

    month = ReportingMonth.of(month)
    settings = settings or load_settings()
    with publish_lock(settings, month.label, say=progress):
        return build_pack(settings, month, progress)


@dataclass
class RunSummary:
    month: ReportingMonth
    timings: dict[str, float] = field(default_factory=dict)
    publish: PublishReport | None = None


def run_month(month: Month, settings: Settings | None = None, progress: Progress | None = None,
              force: bool = False) -> RunSummary:
    """All four steps for one reporting month, in order, stopping at the first failure.
    ``force``: transform and validate run in full even when nothing is new (``rerun``)."""
    month = ReportingMonth.of(month)  # fail fast on a malformed month
    settings = settings or load_settings()
    say = progress or log.info
    summary = RunSummary(month)
    steps: dict[str, Callable[..., Any]] = {
        "extract": step_extract, "transform": step_transform, "validate": step_validate, "publish": step_publish
    }
    for n, (name, step) in enumerate(steps.items(), 1):
        say(f"[{n}/{len(steps)}] {name} {month} ...")
        started = time.monotonic()
        result = step(month, settings, say, force=force) if name in FORCEABLE else step(month, settings, say)
        summary.timings[name] = time.monotonic() - started
        say(f"[{n}/{len(steps)}] {name} done in {summary.timings[name]:.1f}s")
        if name == "publish":
            summary.publish = result
    return summary
