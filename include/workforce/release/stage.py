"""The release stage: the month's mart rows, made safe, checked, recorded and staged for publish.

``release_month`` is the pipeline's validate step. It decides whether a month may be published
and, if so, fixes exactly what will be: publish (``publish.publisher``) only swaps in what this
stage staged, and never opens the warehouse.

Inputs
    - the month's capture (``model.capture``), written by the month's own transform step: every
      published table's rows with their warehouse types, the month's dbt ``run_results.json``
      and which extract served each export. Never the live marts, which another month's run may
      have rebuilt since;
    - the warehouse, read-only, for the raw rows of exactly those serving extracts (checked
      unchanged since the transform), ``raw.load_manifest`` and ``raw.quarantine`` (raw suites and
      the audit record);
    - the suites in ``expectations/`` and the extract step's ``quality/<month>/extract_report.json``.

Steps
    1. read the capture;
    2. disclosure control (``release.disclosure``): small numbers are suppressed first, so what
       is validated is what is published; the same for the capture's trend-month rows, which
       then give the revisions table (``release.revisions``: each differing figure against its
       first publication);
    3. validate (``quality.runner``): each raw export's suite plus the quarantine threshold, and
       each published table's suite; a suite already run over exactly the same data (same files,
       same rows) reuses its stored results (``quality.reuse``, ``quality/reuse/``), and its
       checks' rows say from which run and when;
    4. record every outcome before the gate decides: ``quality/<month>/validation_results.json``,
       ``dbt_results.json``, GX Data Docs in ``data_docs/`` (kept as they are when every result
       was reused and they show it already), the new results for reuse, and history rows in the
       warehouse (``quality.validation_history``, ``quality.dbt_test_results``; a short
       read-write connection);
    5. the gate (``quality.results.raise_on_failure``): a failed critical check raises
       ``QualityGateError`` and nothing is staged;
    6. stage: ``staged/<month>/<table>.parquet`` per published table, written with an explicit
       Arrow schema built from the mart's column types (each field also names its DuckDB type),
       and the draft audit record (``staged/<month>/audit.json``, ``quality/<month>/audit.json``).

Outputs
    the files above and a ``ReleaseReport``. Every file is written atomically (``files``). The
    pipeline's validate step then marks the staged area complete (``staged/<month>/validated.json``,
    ``rerun``): a rerun with nothing new keeps it instead of calling this stage again.

Besides ``release_month``, the module's public names describe the staged area, which publish
reads: ``staged_path``, ``staged_audit_path`` and ``staged_column_types`` (the warehouse type of
each staged column, as the Parquet file records it).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from workforce.config import Settings
from workforce.files import write_json
from workforce.frames import TypedFrame, parquet_column_types, write_parquet
from workforce.model.capture import Capture, check_serving_unchanged, load_capture
from workforce.months import ReportingMonth
from workforce.quality import history, results, reuse, runner, suites
from workforce.release import audit, disclosure, revisions
from workforce.spec.catalogue import TABLE, published_tables

log = logging.getLogger(__name__)

Progress = Callable[[str], None]

class ReleaseError(RuntimeError):
    """The month's rows cannot be read as published (missing rows, columns or a type)."""


@dataclass
class ReleaseReport:
    month: ReportingMonth
    run_id: str
    suites: int
    checks: int
    not_met: int
    staged: list[Path] = field(default_factory=list)
    results_dir: Path | None = None
    data_docs: Path | None = None
    #: True when a rerun kept the staged output of an earlier validation (``rerun``); why, either way.
    kept: bool = False
    reason: str = ""

    def to_dict(self) -> dict:
        """A JSON-serialisable summary (an Airflow XCom)."""
        return {
            "month": self.month.label,
            "run_id": self.run_id,
            "suites": self.suites,
            "checks": self.checks,
            "not_met": self.not_met,
            "staged": [str(p) for p in self.staged],
            "kept_staged": self.kept,
            "reason": self.reason,
        }


# The staged area: the only thing publish reads ------------------------------------------------
def staged_dir(settings: Settings, month: ReportingMonth) -> Path:
    return settings.data_dir / "staged" / month.label


def staged_path(settings: Settings, month: ReportingMonth, table: str = TABLE) -> Path:
    return staged_dir(settings, month) / f"{table}.parquet"


def staged_audit_path(settings: Settings, month: ReportingMonth) -> Path:
    return staged_dir(settings, month) / audit.AUDIT_FILE


def staged_column_types(path: Path) -> dict[str, str]:
    return parquet_column_types(path)


# 1. Read ---------------------------------------------------------------------------------------
def _read_capture(settings: Settings, month: ReportingMonth) -> Capture:
    """The rows the month's own transform step captured (``model.capture``), never the live marts:
    another month's run may have rebuilt those since."""
    capture = load_capture(settings, month)
    check_serving_unchanged(settings, capture)
    return capture


# 2. Disclosure control -------------------------------------------------------------------------
def _protect(tables: dict[str, TypedFrame], threshold: int) -> dict[str, TypedFrame]:
    """Small numbers suppressed in every table (``release.disclosure``); types unchanged."""
    return {
        name: t.replace_frame(disclosure.apply_disclosure_control(name, t.frame, threshold))
        for name, t in tables.items()
    }


# 3. Validate -----------------------------------------------------------------------------------
def result_store(settings: Settings, run_id: str) -> reuse.ResultStore:
    """Where suites' results are kept for reuse (``quality/reuse/``)."""
    return reuse.ResultStore(settings.quality_dir / reuse.REUSE_DIR, run_id)


def _validate(
    settings: Settings, month: ReportingMonth, capture: Capture, tables: dict[str, TypedFrame],
    store: reuse.ResultStore | None = None,
) -> list[results.SuiteResult]:
    """The raw exports' suites (with the quarantine threshold), then each published table's suite."""
    outcome = runner.validate_raw_exports(
        settings.warehouse_path, month.end, settings.expectations_dir, settings.quarantine_max_pct,
        serving={export: entry["extract_date"] for export, entry in capture.serving.items()},
        store=store,
    )
    known = set(suites.list_suites(settings.expectations_dir))
    for table in published_tables():
        frame = tables[table.name].frame
        if table.name == TABLE:
            outcome.append(runner.validate_published(frame, settings.expectations_dir, store=store))
        elif table.suite in known:
            outcome.append(runner.validate_dataframe(
                frame, table.suite, settings.expectations_dir, f"published {table.name} {month}", store
            ))
        else:
            raise ReleaseError(f"published table {table.name} has no suite {table.suite} (expectations/)")
    return outcome


# 4. Record -------------------------------------------------------------------------------------
def _record(
    settings: Settings, month: ReportingMonth, capture: Capture, run_id: str, outcome: list[results.SuiteResult],
    store: reuse.ResultStore | None = None,
) -> tuple[list[dict], list[dict], Path | None]:
    """Keep every outcome (files, Data Docs, results for reuse, warehouse history); returns check
    rows, dbt rows, docs."""
    from workforce.quality import data_docs
    from workforce.warehouse import connect

    out_dir = settings.quality_dir / month.label
    check_rows = results.results_to_rows(outcome, run_id=run_id)
    write_json(out_dir / "validation_results.json", check_rows)
    dbt_rows = results.dbt_results_rows(capture.run_results_path)
    write_json(out_dir / "dbt_results.json", {"run_id": run_id, "results": dbt_rows})
    try:
        docs = data_docs.build_data_docs(outcome, out_dir / "data_docs", run_id)
    except Exception as exc:  # the docs are a rendering of results already recorded above
        log.error("validate: could not build GX Data Docs: %s: %s", type(exc).__name__, exc)
        docs = None
    if store is not None:  # only results this run has recorded above are offered for reuse
        store.commit()
    with connect(settings) as con:  # short read-write connection: history only
        history.write_history(con, check_rows, dbt_rows, run_id, month.label)
    return check_rows, dbt_rows, docs


# 6. Stage --------------------------------------------------------------------------------------
def _stage(settings: Settings, month: ReportingMonth, tables: dict[str, TypedFrame]) -> dict[str, Path]:
    """Write the validated rows for publish, typed as in the warehouse (atomically, like every write)."""
    paths = {}
    for name, table in tables.items():
        paths[name] = write_parquet(staged_path(settings, month, name), table)
    return paths


# The stage -------------------------------------------------------------------------------------
def release_month(
    month: ReportingMonth, settings: Settings, progress: Progress | None = None, with_revisions: bool = True
) -> ReleaseReport:
    """Read, protect, validate, record and stage one month; ``QualityGateError`` if it may not be published.
    ``with_revisions=False`` (a trend month published by a later month's run, ``pipeline.step_history``):
    its revisions table is left empty; the reporting month's covers every trend month."""
    say = progress or log.info
    run_id = audit.new_run_id(month)
    capture = _read_capture(settings, month)
    tables = _protect(capture.tables, settings.suppression_threshold)
    trailing = capture.trailing if with_revisions else None
    trailing = _protect(trailing, settings.suppression_threshold) if trailing else None
    tables[revisions.REVISIONS] = revisions.revisions_table(settings, month, trailing, audit.now())
    revised = len(tables[revisions.REVISIONS].frame)
    if revised:
        say(f"validate: {revised} figure(s) of earlier trend months differ from their first publication "
            f"(published as {revisions.REVISIONS})")
    store = result_store(settings, run_id)
    outcome = _validate(settings, month, capture, tables, store)
    check_rows, dbt_rows, docs = _record(settings, month, capture, run_id, outcome, store)
    failed = [r for r in check_rows if not r["success"]]
    out_dir = settings.quality_dir / month.label
    reused = sum(1 for r in outcome if r.reused_from_run)
    say(f"validate: {len(outcome)} suites ({reused} reused from earlier runs over the same data), "
        f"{len(check_rows)} checks, {len(failed)} not met; results in {out_dir}"
        + (f"; Data Docs {docs}" if docs else ""))
    results.raise_on_failure(outcome)  # a failed critical check (or too many quarantined rows) stops here
    paths = _stage(settings, month, tables)
    audit.write_draft(
        settings, month, run_id, check_rows, dbt_rows, paths, staged_audit_path(settings, month), capture.manifest
    )
    rows = sum(len(t.frame) for t in tables.values())
    say(f"validate: {rows} validated rows of {len(tables)} table(s) staged for publish (run {run_id})")
    return ReleaseReport(
        month=month,
        run_id=run_id,
        suites=len(outcome),
        checks=len(check_rows),
        not_met=len(failed),
        staged=list(paths.values()),
        results_dir=out_dir,
        data_docs=docs,
    )
