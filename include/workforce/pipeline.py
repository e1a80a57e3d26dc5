"""The monthly pipeline as steps: extract, transform, history, validate, publish (then the pack).

``history`` publishes the trend months before the reporting month (``WORKFORCE_TREND_MONTHS``),
each as its own month from the extracts that serve it, so a first run shows trends at once
(``step_history``, docs/decisions/0012-history-for-trends.md). It runs after the reporting
month's transform, whose build the trend months served by the same extracts share, and before
its validate, whose revisions compare with the trend months' first publication.

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
STEPS = ("extract", "transform", "history", "validate", "publish")
#: The steps that keep their output on a rerun with nothing new, unless forced (``rerun``).
FORCEABLE = ("transform", "history", "validate")


class HistoryError(RuntimeError):
    """A trend month cannot be published (no extract to serve it, or its quality gate failed)."""


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
                  force: bool = False, revisions: bool = True) -> ReleaseReport:
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
            return _validate(settings, month, say, progress, force, outcome, revisions)


def _validate(settings: Settings, month: ReportingMonth, say: Progress, progress: Progress | None, force: bool,
              outcome: Explained, revisions: bool = True) -> ReleaseReport:
    from workforce.release.stage import ReleaseReport, release_month, staged_path
    from workforce.rerun import check_staged, clear_staged_marker, write_staged_marker
    from workforce.spec.catalogue import published_tables

    decision = check_staged(settings, month, force, revisions=revisions)
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
    report = release_month(month, settings, progress, with_revisions=revisions)
    if revisions:  # the reporting month's validate (a trend month's, from the history step, has none)
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
class HistoryMonth:
    """What the history step did for one trend month."""

    month: ReportingMonth
    backcast: bool
    transform: str  # "kept", "built" or "derived from YYYY-MM"
    validated: bool  # False: the staged output was kept
    published: bool  # False: published/<month>/ was already this validation's

    def to_dict(self) -> dict:
        return {"month": self.month.label, "backcast": self.backcast, "transform": self.transform,
                "validated": self.validated, "published": self.published}


@dataclass
class HistoryReport:
    month: ReportingMonth
    months: list[HistoryMonth] = field(default_factory=list)
    builds: int = 0
    seconds: float = 0.0

    def to_dict(self) -> dict:
        """A JSON-serialisable summary (an Airflow XCom)."""
        return {"month": self.month.label, "trend_months": [m.to_dict() for m in self.months],
                "dbt_builds": self.builds, "seconds": round(self.seconds, 1)}


def step_history(month: Month, settings: Settings | None = None, progress: Progress | None = None,
                 force: bool = False, share_builds: bool = True) -> HistoryReport:
    """Publish each trend month before ``month`` (``WORKFORCE_TREND_MONTHS - 1`` of them, oldest
    first) as its own month, from the extracts that serve it: transform, validate and publish,
    each keeping its output when nothing is new (``rerun``), so a rerun rebuilds nothing.

    A month before the council's first extract is a backcast (``ingest.readiness.assess_history``).
    Months served by the same extracts share one dbt build: the latest of them is built (or is the
    reporting month, built by its own transform step, which runs first) and the others take their
    rows from its capture (``model.capture.derive_capture``); ``share_builds=False`` builds each
    month on its own (the test that the two agree). Trend months' builds leave out the dbt unit
    tests. A month with no extract to serve it, or whose quality gate fails, stops the step with
    an error naming it: the reporting month is never published with a hole in its trends. The
    BI file is rebuilt once at the end (and again by the reporting month's publish)."""
    from workforce.model.capture import trailing_months
    from workforce.rerun import remember_code_parts

    month = ReportingMonth.of(month)
    settings = settings or load_settings()
    say = progress or log.info
    report = HistoryReport(month)
    started = time.monotonic()
    trend = trailing_months(settings, month)
    if not trend:
        say(f"history: WORKFORCE_TREND_MONTHS is {settings.trend_months}: no trend months before {month} to publish")
        return report
    remember_code_parts(settings)
    try:
        _history(settings, month, trend, say, progress, force, share_builds, report)
    finally:
        remember_code_parts(settings, on=False)
    report.seconds = time.monotonic() - started
    say(f"history: {len(trend)} trend month(s) before {month} published or kept ({report.builds} dbt build(s), "
        f"{sum(1 for m in report.months if m.transform.startswith('derived'))} derived from a shared build, "
        f"{sum(1 for m in report.months if m.backcast)} backcast) in {report.seconds:.1f}s")
    return report


def _history_plan(settings: Settings, month: ReportingMonth, trend: list[ReportingMonth]) -> dict:
    """Per trend month: whether it is a backcast and the extracts serving it (as one digest)."""
    from workforce.ingest.readiness import assess_history, landing_files
    from workforce.model.capture import serving_extracts
    from workforce.rerun import digest
    from workforce.warehouse import connect

    with explained("history", month.label, settings, "no trend month was published; published/ is as it was"):
        preflight(reads=[settings.landing_dir])
        files = landing_files(settings)
    plan = {}
    for k in trend:
        ready = assess_history(settings, k.end, files)
        if not ready.ready:
            raise HistoryError(
                f"trend month {k} cannot be published, so {month} is not published with a hole in its trends: "
                + "; ".join(ready.problems(settings.landing_dir))
                + f". Add its extracts to the landing folder, or set WORKFORCE_TREND_MONTHS below "
                f"{len(trend) + 1} (now {settings.trend_months})."
            )
        plan[k] = ready.backcast
    with warehouse_lock(settings, "history", month.label, say=None), connect(settings, read_only=True) as con:
        tuples = {k: digest(serving_extracts(con, settings, k, b)) for k, b in plan.items()}
        tuples[month] = digest(serving_extracts(con, settings, month))
    return {k: (plan.get(k, False), tuples[k]) for k in [*trend, month]}


def _history(settings: Settings, month: ReportingMonth, trend: list[ReportingMonth], say: Progress,
             progress: Progress | None, force: bool, share_builds: bool, report: HistoryReport) -> None:
    from workforce.quality.results import QualityGateError
    from workforce.rerun import _read_json, staged_marker_path

    plan = _history_plan(settings, month, trend)
    built: set[ReportingMonth] = {month}  # the reporting month's own transform ran before this step
    published_any = False
    for n, k in enumerate(trend, 1):
        backcast, serving = plan[k]
        say(f"history {n}/{len(trend)}: {k}" + (" (a backcast: before the first extract)" if backcast else "") + " ...")
        source = max(m for m, (_b, t) in plan.items() if t == serving) if share_builds else k
        how = _history_transform(settings, month, k, backcast, source, plan[source][0], say, force, built)
        report.builds = len(built) - 1  # dbt builds of this step (the reporting month's is its own step's)
        try:
            validated = step_validate(k, settings, say, force=force, revisions=False)
        except QualityGateError as exc:
            raise HistoryError(
                f"trend month {k} failed its quality gate (results in {settings.quality_dir / k.label}), so {month} is "
                f"not published with a hole in its trends: {exc}"
            ) from exc
        marker = _read_json(staged_marker_path(settings, k)) or {}
        audit = _read_json(settings.published_month_dir(k.label) / "audit.json") or {}
        current = audit.get("status") == "published" and audit.get("run_id") == marker.get("run_id") and not force
        if not current:
            from workforce.publish.publisher import publish

            with publish_lock(settings, k.label, say=progress):
                _clean("publish", say, (settings.published_dir, 1), (settings.quality_dir / k.label, 0, "audit.json"))
                publish(settings, k, say, bi_file=False)
            published_any = True
        else:
            say(f"history {n}/{len(trend)}: {k} is published from the same inputs (run {marker.get('run_id')}); kept")
        report.months.append(HistoryMonth(k, backcast, how, not validated.kept, not current))
    if published_any:
        from workforce.publish.publisher import rebuild_bi

        with publish_lock(settings, month.label, say=progress):
            rebuild_bi(settings, trend[-1], say)


def _history_transform(settings: Settings, month: ReportingMonth, k: ReportingMonth, backcast: bool,
                       source: ReportingMonth, source_backcast: bool, say: Progress, force: bool,
                       built: set[ReportingMonth]) -> str:
    """Keep, build or derive the capture of trend month ``k`` (``source``: the latest month served by
    the same extracts, whose build it can share)."""
    from workforce.model.build import build
    from workforce.model.capture import capture_dir, capture_month, derive_capture, load_capture
    from workforce.rerun import check_capture, transform_fingerprint

    captures = capture_dir(settings, k).parent
    with explained("transform", k.label, settings, f"the capture of trend month {k} and published/ are as they were"):
        preflight(writes=[settings.data_dir / LOCKS, settings.warehouse_path.parent, _duckdb_tmp(settings),
                          captures, settings.dbt_target_dir, settings.dbt_log_dir])
        with warehouse_lock(settings, "transform", k.label, say=say):
            _clean("transform", say, (captures, 0))
            fingerprint = transform_fingerprint(settings, k, backcast=backcast)
            decision = check_capture(settings, k, fingerprint, force and k not in built)
            if decision.keep:
                say(f"transform: nothing new for trend month {k} since {decision.since}; kept its capture")
                return "kept"
            if source != k:
                source_fp = transform_fingerprint(settings, source, backcast=source_backcast)
                if not check_capture(settings, source, source_fp, force and source not in built).keep:
                    say(f"transform: building {source} (served by the same extracts as {k})")
                    _clear_duckdb_tmp(settings)
                    # the reporting month (its transform not run yet): its full build, unit tests included
                    build(settings, source, say, backcast=source_backcast, unit_tests=source == month)
                    capture_month(settings, source, settings.dbt_target_dir / "run_results.json", source_fp,
                                  source_backcast)
                    built.add(source)
                derive_capture(settings, k, load_capture(settings, source), fingerprint, backcast)
                say(f"transform: captured trend month {k} from the build of {source} (the same extracts)")
                return f"derived from {source.label}"
            say(f"transform: building trend month {k}: {decision.reason}")
            _clear_duckdb_tmp(settings)
            build(settings, k, say, backcast=backcast, unit_tests=False)
            capture_month(settings, k, settings.dbt_target_dir / "run_results.json", fingerprint, backcast)
            built.add(k)
            return "built"


@dataclass
class RunSummary:
    month: ReportingMonth
    timings: dict[str, float] = field(default_factory=dict)
    publish: PublishReport | None = None
    history: HistoryReport | None = None


def run_month(month: Month, settings: Settings | None = None, progress: Progress | None = None,
              force: bool = False) -> RunSummary:
    """Every step for one reporting month, in order, stopping at the first failure: extract,
    transform, history (the trend months before it, each published as its own month), validate
    (with the revisions of the trend months), publish.
    ``force``: transform and validate run in full even when nothing is new (``rerun``)."""
    month = ReportingMonth.of(month)  # fail fast on a malformed month
    settings = settings or load_settings()
    say = progress or log.info
    summary = RunSummary(month)
    steps: dict[str, Callable[..., Any]] = {
        "extract": step_extract, "transform": step_transform, "history": step_history, "validate": step_validate,
        "publish": step_publish,
    }
    for n, (name, step) in enumerate(steps.items(), 1):
        say(f"[{n}/{len(steps)}] {name} {month} ...")
        started = time.monotonic()
        result = step(month, settings, say, force=force) if name in FORCEABLE else step(month, settings, say)
        summary.timings[name] = time.monotonic() - started
        say(f"[{n}/{len(steps)}] {name} done in {summary.timings[name]:.1f}s")
        if name == "publish":
            summary.publish = result
        elif name == "history":
            summary.history = result
    return summary
