"""The CSWW census return of a collection year, and the year-round readiness report.

``produce_census(settings, 2025)``: the records of 30 September 2025 from the warehouse
(``records``, pseudonymised), the SWE numbers and dates of birth re-read from the landing files
with the key (``identities``), the XML in the 2025 shape (``years``, ``message``), validated
(``validate``), written to ``restricted/census/2025/`` (0700 / 0600) with its validation report,
and recorded in the returns audit trail (file hashes and counts, no identity). What it says on
the way (``progress``) is counts only.

``readiness(settings, month)``: the same return as if the census were on the month's last day,
for the next 30 September's collection year, validated; the issues (rows and pseudonyms, never
an identity) go to ``restricted/readiness/<month>/``; the counts by rule are returned for the
quality results (``readiness_step``).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from workforce.config import Settings
from workforce.months import ReportingMonth
from workforce.returns import message as msg
from workforce.returns import restricted
from workforce.returns.identities import Identities
from workforce.returns.records import CensusData, census_records
from workforce.returns.validate import Issue, summary, validate_message
from workforce.returns.years import INCENTIVES, Shape, shape_for

log = logging.getLogger(__name__)
Progress = Callable[[str], None]

#: What each contract addition or optional export gives, for the readiness report's list of gaps.
GAPS = {
    "census_sex": "Sex (hr_workers.census_sex; derived from gender 1/2 when absent, none for 0 or 9)",
    "qual_level": "QualLevel (hr_workers.qual_level)",
    "step_up_grad": "StepUpGrad (hr_workers.step_up_grad)",
    "frontline_grad": "FrontlineGrad (hr_workers.frontline_grad)",
    "base_salary_gbp": "BaseSalary (hr_workers.base_salary_gbp; derived from payroll BASIC x 12 / FTE when absent)",
    "hr_absences": "WorkingDaysLost, Absat30Sept, ReasonAbsence (hr_absences)",
    "payroll_lines": "RRPayments, OtherPayments (payroll_lines)",
}


def load_config(settings: Settings) -> dict[str, Any]:
    """The returns settings: the shipped ``returns/returns.yml``, each top-level setting replaced by
    the council's file (``WORKFORCE_RETURNS_FILE``) where it gives one."""
    import yaml

    shipped = Path(__file__).with_name("returns.yml")
    data: dict[str, Any] = yaml.safe_load(shipped.read_text(encoding="utf-8"))
    if settings.returns_file is not None:  # the council's file: each setting it gives replaces the default
        own = yaml.safe_load(settings.returns_file.read_text(encoding="utf-8")) or {}
        if not isinstance(own, dict):
            raise ValueError(f"{settings.returns_file}: the returns settings must be a mapping")
        data.update(own)
    return data


@dataclass
class CensusReport:
    year: int
    reference_date: date
    shape_year: int
    xml_path: Path | None
    report_path: Path | None
    workers: int
    issues: list[Issue]
    gaps: list[str]
    seconds: float
    note: str = ""
    counts: dict[str, dict[str, int]] = field(default_factory=dict)
    previous: str | None = None  # the continuity check's basis: "file X" or "rebuilt from history as at ..."

    @property
    def errors(self) -> int:
        return sum(1 for i in self.issues if i.severity == "error")

    def to_dict(self) -> dict:
        """Counts and paths only (safe for a log or an XCom)."""
        return {"year": self.year, "reference_date": self.reference_date.isoformat(), "shape": self.shape_year,
                "xml": str(self.xml_path) if self.xml_path else None, "workers": self.workers,
                "errors": self.errors, "queries": len(self.issues) - self.errors, "by_rule": self.counts,
                "gaps": self.gaps, "seconds": round(self.seconds, 2), "previous_return": self.previous}


def _pseudonym_fn(key: bytes) -> Callable[[str], str | None]:
    from workforce.ingest.pseudonymise import Pseudonymiser

    p = Pseudonymiser(key)

    def short(swe: str) -> str | None:
        value = p.pseudonym("staff", swe)
        return value[:12] if value else None
    return short


def _message(settings: Settings, year: int, shape: Shape, data: CensusData, config: dict, ids: Identities,
             created: datetime) -> msg.Built:
    """The return's XML from the records and the identities (not validated, not written)."""
    la_level: dict[str, Any] = {
        "NumberOfVacancies": f"{data.vacancy_fte:.2f}",
        "NoAgencyFTE": f"{data.workers.loc[data.workers['agency'] == 1, 'fte'].sum():.2f}",
        "NoAgencyHeadcount": str(int((data.workers["agency"] == 1).sum())),
    }
    if shape.has_incentives:
        la_level.update({k: v for k, v in msg.incentive_items(config).items() if v is not None})
    records = data.workers.sort_values(["agency", "person_key"]).to_dict("records")
    return msg.build_message(shape, year, data.reference_date, settings.la_code, la_level, records, ids.swe,
                             ids.birth, created, str(config.get("software_code") or "workforce-pipeline"))


def _build(settings: Settings, year: int, shape: Shape, data: CensusData, config: dict, key: bytes,
           created: datetime, ids: Identities | None = None) -> tuple[msg.Built, list[Issue], list[str]]:
    from workforce.returns.identities import read_identities

    ids = ids or read_identities(settings, data.extracts, key)
    built = _message(settings, year, shape, data, config, ids, created)
    issues = validate_message(built.xml, _pseudonym_fn(key), year=year, reference=data.reference_date)
    gaps = [GAPS[c] for c in data.missing_columns + data.missing_exports if c in GAPS]
    if shape.has_incentives:
        gaps += [f"{name} (council level: {settings.returns_file or 'returns.yml'})"
                 for name in INCENTIVES if msg.incentive_items(config).get(name) is None]
    gaps += [f"{s.field} coded 10 (not yet collected) on worker row {s.row}" for s in built.substitutions]
    return built, issues, gaps


def previous_return(settings: Settings, year: int) -> Path | None:
    """Last year's return as this pipeline wrote it (``restricted/census/<year-1>/``), if kept."""
    folder = settings.restricted_dir / "census" / str(year - 1)
    found = sorted(folder.glob(f"csww_{year - 1}_*.xml")) if folder.is_dir() else []
    return found[0] if found else None


def rebuilt_previous(settings: Settings, year: int, data: CensusData, config: dict, ids: Identities, con,
                     created: datetime) -> tuple[bytes, str]:
    """Last year's return rebuilt in memory from history: the records as at 30 September ``year - 1``
    selected exactly as a census selects them (``census_records``), but from the extracts that
    serve this year's return (``data.extracts``: HR's spells carry their start, end and leaving
    dates, so a full snapshot says who was in post, started and left a year earlier). Never
    written anywhere; returns the XML and the basis the report states."""
    previous = date(year - 1, 9, 30)
    try:
        shape = shape_for(year - 1)
    except ValueError:  # before 2023: only SWENo and the role dates are compared, any shape carries them
        shape = shape_for(year)
    before = census_records(settings, previous, con, extracts_of=data.extracts)
    built = _message(settings, year - 1, shape, before, config, ids, created)
    hr = data.extracts["hr_workers"]
    return built.xml, f"rebuilt from history as at {previous:%d %B %Y} from the extract dated {hr.isoformat()}"


def _shown(settings: Settings, path: Path) -> str:
    try:
        return path.resolve().relative_to(settings.data_dir.resolve()).as_posix()
    except ValueError:
        return str(path)


def produce_census(settings: Settings, year: int, progress: Progress | None = None,
                   created: datetime | None = None, previous: Path | None = None) -> CensusReport:
    """Write the census return of collection ``year`` (reference date 30 September ``year``), with
    the continuity check against last year's return: ``previous`` if given, else the one kept in
    the restricted folder, else rebuilt from history (``rebuilt_previous``)."""
    from workforce.ingest.pseudonymise import resolve_key
    from workforce.locking import warehouse_lock
    from workforce.returns.identities import read_identities
    from workforce.returns.validate import continuity, format_report
    from workforce.warehouse import connect

    say = progress or log.info
    started = time.monotonic()
    shape = shape_for(year)  # from the year given, never the clock
    reference = date(year, 9, 30)
    config = load_config(settings)
    key = resolve_key(settings)
    created = created or datetime.now(UTC)
    with warehouse_lock(settings, "census", f"{year}-09", say=progress):  # one writer of restricted/ too
        with connect(settings, read_only=True) as con:
            data = census_records(settings, reference, con)
            ids = read_identities(settings, data.extracts, key)
            built, issues, gaps = _build(settings, year, shape, data, config, key, created, ids)
            previous = previous or previous_return(settings, year)
            if previous is not None:
                prior, basis = previous.read_bytes(), f"file {_shown(settings, previous)}"
            else:
                prior, basis = rebuilt_previous(settings, year, data, config, ids, con, created)
        issues += continuity(built.xml, prior, _pseudonym_fn(key))
        folder = restricted.restricted_folder(settings, "census", str(year))
        lea = settings.la_code.split("/")[0].strip()
        xml_path = restricted.write_restricted(folder / f"csww_{year}_{lea}.xml", built.xml)
        report = CensusReport(year, reference, shape.year, xml_path, None, len(built.rows), issues, gaps,
                              time.monotonic() - started, shape.note, summary(issues), previous=basis)
        report_path = restricted.write_restricted_json(folder / "validation.json", {
            **report.to_dict(), "issues": [i.to_dict() for i in issues]})
        text_path = restricted.write_restricted(folder / "validation.txt", format_report(
            issues, gaps, [f"Continuity check: previous return: {basis}"]).encode())
        report.report_path = report_path
        restricted.record(settings, "csww_census", str(year), [xml_path, report_path, text_path],
                          workers=len(built.rows), errors=report.errors, shape=shape.year, previous_return=basis,
                          extracts={k: v.isoformat() for k, v in sorted(data.extracts.items())})
    report.seconds = time.monotonic() - started
    if shape.note:
        say(f"census {year}: {shape.note}")
    say(f"census {year}: continuity check against the previous return: {basis}")
    say(f"census {year}: {len(built.rows)} worker records, {report.errors} error(s), "
        f"{len(issues) - report.errors} query(ies), {len(gaps)} gap(s); written to {folder} in {report.seconds:.1f}s")
    return report


def collection_year(month: ReportingMonth) -> int:
    """The collection year whose 30 September is the next on or after the month's end."""
    return month.year if month.month <= 9 else month.year + 1


def readiness(settings: Settings, month: ReportingMonth | str, progress: Progress | None = None,
              con=None) -> CensusReport:
    """The errors the next census would have if its reference date were the month's end."""
    from workforce.ingest.pseudonymise import resolve_key
    from workforce.returns.validate import format_report

    month = ReportingMonth.of(month)
    started = time.monotonic()
    year = collection_year(month)
    shape = shape_for(year)
    config = load_config(settings)
    key = resolve_key(settings)
    data = census_records(settings, month.end, con)
    built, issues, gaps = _build(settings, year, shape, data, config, key, datetime.now(UTC))
    folder = restricted.restricted_folder(settings, "readiness", month.label)
    report = CensusReport(year, month.end, shape.year, None, None, len(built.rows), issues, gaps,
                          time.monotonic() - started, shape.note, summary(issues))
    path = restricted.write_restricted_json(folder / "census_readiness.json", {
        **report.to_dict(), "as_if_reference_date": month.end.isoformat(),
        "issues": [i.to_dict() for i in issues]})
    text = restricted.write_restricted(folder / "census_readiness.txt", format_report(issues, gaps).encode())
    report.report_path = path
    restricted.record(settings, "census_readiness", month.label, [path, text], workers=len(built.rows),
                      errors=report.errors, collection_year=year)
    return report


def quality_rows(report: CensusReport, month: ReportingMonth) -> list[dict]:
    """The readiness counts as warning-level check rows of ``validation_results.json`` (no identity)."""
    from workforce.returns.validate import RULES

    rows = []
    for severity_rules in (report.counts.get("error", {}), report.counts.get("query", {})):
        for rule, n in severity_rules.items():
            rows.append({"suite": "census_readiness", "data_name": f"CSWW census {report.year} as at {month.end}",
                         "expectation": f"census_rule_{rule}", "column": None, "severity": "warning",
                         "success": False, "observed": f"{n} issue(s): {RULES.get(rule, rule)}",
                         "description": "issue 14: the census return's issues if the census were today"})
    rows.append({"suite": "census_readiness", "data_name": f"CSWW census {report.year} as at {month.end}",
                 "expectation": "census_return_has_no_errors", "column": None, "severity": "warning",
                 "success": report.errors == 0,
                 "observed": f"{report.workers} worker records, {report.errors} error(s), {len(report.gaps)} gap(s)",
                 "description": "issue 14: restricted report under restricted/readiness/<month>/"})
    return rows


def readiness_step(settings: Settings, month: ReportingMonth | str, say: Progress) -> None:
    """The monthly run's readiness report (called by the validate step, holding the warehouse):
    restricted report written, counts appended to ``quality/<month>/validation_results.json``.
    Never stops the month: a failure is logged (its type and message, which hold no identity)."""
    import json

    from workforce.files import write_json
    from workforce.returns.records import CensusDataError

    month = ReportingMonth.of(month)
    results = settings.quality_dir / month.label / "validation_results.json"

    def record_rows(new: list[dict]) -> None:
        if results.is_file():
            rows = [r for r in json.loads(results.read_text(encoding="utf-8")) if r.get("suite") != "census_readiness"]
            write_json(results, rows + new)

    try:
        report = readiness(settings, month)
    except Exception as exc:  # noqa: BLE001 - readiness never stops the month; the reason is recorded
        why = str(exc) if isinstance(exc, CensusDataError) else f"{type(exc).__name__} (run `workforce census " \
            f"--year {collection_year(month)}` to see the error)"
        say(f"census readiness {month}: not produced: {why}")
        log.warning("census readiness %s not produced: %s", month, why)
        record_rows([{"suite": "census_readiness", "data_name": f"CSWW census as at {month.end}",
                      "expectation": "census_readiness_produced", "column": None, "severity": "warning",
                      "success": False, "observed": why, "description": "issue 14: the readiness report"}])
        return
    record_rows(quality_rows(report, month))
    say(f"census readiness {month} (collection year {report.year}): {report.workers} records, {report.errors} "
        f"error(s), {len(report.gaps)} gap(s); report in {settings.restricted_dir / 'readiness' / month.label}")
