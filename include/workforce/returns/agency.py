"""DfE's quarterly return on agency child and family social workers (``docs/spec/csww-census.md``).

DfE's own field template was not found in public sources, so the layout is the project's, kept in
one place (``COLUMNS``, ``COST_COLUMNS``) and said in the file (the ``notes`` sheet). One row per
agency assignment engaged at any time in the quarter (start <= quarter end and end null or after
the quarter's first day), from the extracts that serve the quarter's last month:

- the role in DfE's five categories, from the assignment's OrgRole through the configured map
  (``agency_role_map`` in the returns settings);
- the hourly rate (the contract's ``hourly_charge_gbp``: what the council is charged, the only
  rate the contract holds) against the configured regional price cap (``region``,
  ``price_caps``; empty by default: "no cap configured");
- the re-engagement check: the same person (pseudonymised SWE number) left a permanent post of
  the council within the three months before the assignment started;
- what the contract does not hold (three years' post-qualifying experience, references, project
  team or managed service, reasons and approvals) is left for the council, in named columns;
- the total agency cost of each month of the quarter, from timesheets (weeks ending in the month,
  as the published ``agency_spend_gbp_month``).

Written to ``restricted/agency_return/<quarter>/`` as CSV and XLSX (formula-safe text), owner only.
"""

from __future__ import annotations

import io
import logging
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import pandas as pd

from workforce.config import Settings
from workforce.months import ReportingMonth
from workforce.returns import restricted

log = logging.getLogger(__name__)
Progress = Callable[[str], None]

CATEGORIES = ("social worker", "senior social worker", "advanced practitioner", "team manager",
              "independent reviewing officer / child protection chair")
#: The return's columns, in order (the one place its layout is kept).
COLUMNS = (
    "quarter", "assignment_id", "swe_number", "agency_name", "team_code", "role_category", "org_role",
    "start_date", "end_date", "fte", "engaged_at_quarter_end", "hourly_rate_gbp", "region", "price_cap_gbp",
    "within_price_cap", "reengaged_within_3_months", "left_permanent_post_on", "covering_vacancy",
    "three_years_pq_experience", "references_checked", "project_team_or_managed_service",
    "rules_not_met_reason", "approved_by",
)
COST_COLUMNS = ("quarter", "month", "timesheet_weeks", "agency_cost_gbp")
_QUARTER = re.compile(r"^(\d{4})-Q([1-4])$")


def parse_quarter(text: str) -> tuple[int, int]:
    match = _QUARTER.match(text.strip())
    if not match:
        raise ValueError(f"a quarter is YYYY-Qn (e.g. 2025-Q1), got {text!r}")
    return int(match.group(1)), int(match.group(2))


def quarter_months(text: str) -> list[ReportingMonth]:
    year, q = parse_quarter(text)
    return [ReportingMonth(year, 3 * (q - 1) + n) for n in (1, 2, 3)]


@dataclass
class AgencyReturn:
    quarter: str
    rows: pd.DataFrame  # COLUMNS (swe_number in clear: restricted)
    costs: pd.DataFrame  # COST_COLUMNS
    files: list[Path]
    seconds: float

    def to_dict(self) -> dict:
        """Counts and paths only (safe for a log or an XCom)."""
        engaged = self.rows[self.rows["engaged_at_quarter_end"] == "Y"]
        return {"quarter": self.quarter, "assignments": len(self.rows),
                "fte_at_quarter_end": round(float(engaged["fte"].sum()), 6),
                "headcount_at_quarter_end": int(engaged["swe_number"].nunique()),
                "reengaged_within_3_months": int((self.rows["reengaged_within_3_months"] == "Y").sum()),
                "over_price_cap": int((self.rows["within_price_cap"] == "N").sum()),
                "files": [str(p) for p in self.files], "seconds": round(self.seconds, 2)}


def _add_months(day: date, months: int) -> date:
    month = ReportingMonth(day.year + (day.month - 1 + months) // 12, (day.month - 1 + months) % 12 + 1)
    return date(month.year, month.month, min(day.day, month.end.day))


def compute(settings: Settings, quarter: str, con, key: bytes, config: dict) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The return's rows and monthly costs (reads the warehouse through ``con``)."""
    from workforce.returns.identities import read_identities
    from workforce.returns.records import CensusDataError, _serving

    months = quarter_months(quarter)
    first, last = months[0].start, months[-1].end
    served = {e: _serving(con, settings, e, last) for e in ("agency_assignments", "hr_workers", "agency_timesheets")}
    if served["agency_assignments"] is None or served["hr_workers"] is None:
        raise CensusDataError(f"no agency_assignments or hr_workers extract serves {last} in the warehouse: load "
                              f"{months[-1]} first (workforce run --month {months[-1]} --step extract)")
    assignments = con.execute("""
        select assignment_id, person_key, agency_name, upper(trim(team_code)) as team_code, org_role, fte,
               start_date, end_date, covering_vacancy, hourly_charge_gbp
        from raw.agency_assignments
        where _extract_date = ? and start_date <= ? and (end_date is null or end_date > ?)
        order by start_date, assignment_id
    """, [served["agency_assignments"], last, first]).df()
    leavings = con.execute("""
        select person_key, leaving_date from raw.hr_workers
        where _extract_date = ? and leaving_date is not null and contract_type = 'PERMANENT'
        group by all
    """, [served["hr_workers"]]).fetchall()
    left: dict[str, list[date]] = {}
    for person, day in leavings:
        left.setdefault(person, []).append(day)
    ids = read_identities(settings, {k: v for k, v in served.items() if k != "agency_timesheets" and v}, key)
    role_map = {int(k): str(v) for k, v in (config.get("agency_role_map") or {}).items()}
    region = config.get("region")
    caps = ((config.get("price_caps") or {}).get(region) or {}) if region else {}
    rows = []
    for a in assignments.itertuples(index=False):
        start = a.start_date.date() if hasattr(a.start_date, "date") else a.start_date
        end = None if pd.isna(a.end_date) else (a.end_date.date() if hasattr(a.end_date, "date") else a.end_date)
        category = role_map.get(int(a.org_role), "")
        cap = caps.get(category)
        rate = None if pd.isna(a.hourly_charge_gbp) else float(a.hourly_charge_gbp)
        within = "" if cap is None or rate is None else ("Y" if rate <= float(cap) else "N")
        before = [d for d in left.get(a.person_key, []) if d <= start < _add_months(d, 3)]
        rows.append({
            "quarter": quarter, "assignment_id": a.assignment_id, "swe_number": ids.swe.get(a.person_key, ""),
            "agency_name": a.agency_name, "team_code": a.team_code, "role_category": category,
            "org_role": int(a.org_role), "start_date": start.isoformat(), "end_date": end.isoformat() if end else "",
            "fte": float(a.fte),
            "engaged_at_quarter_end": "Y" if start <= last and (end is None or end > last) else "N",
            "hourly_rate_gbp": rate, "region": region or "", "price_cap_gbp": cap,
            "within_price_cap": within or ("no cap configured" if rate is not None else "no rate"),
            "reengaged_within_3_months": "Y" if before else "N",
            "left_permanent_post_on": max(before).isoformat() if before else "",
            "covering_vacancy": a.covering_vacancy, "three_years_pq_experience": "", "references_checked": "",
            "project_team_or_managed_service": "", "rules_not_met_reason": "", "approved_by": "",
        })
    frame = pd.DataFrame(rows, columns=list(COLUMNS))
    costs = []
    for month in months:
        n, total = 0, 0.0
        if served["agency_timesheets"] is not None:
            n, total = con.execute(
                "select count(*), coalesce(sum(charge_gbp), 0) from raw.agency_timesheets "
                "where _extract_date = ? and week_ending between ? and ?",
                [served["agency_timesheets"], month.start, month.end]).fetchone()
        costs.append({"quarter": quarter, "month": month.label, "timesheet_weeks": int(n),
                      "agency_cost_gbp": round(float(total), 2) if served["agency_timesheets"] else None})
    return frame, pd.DataFrame(costs, columns=list(COST_COLUMNS))


NOTES = (
    "DfE's quarterly agency return: the project's layout (DfE's field template was not found in public "
    "sources; docs/returns.md). One row per agency assignment engaged in the quarter.",
    "hourly_rate_gbp is the contract's hourly_charge_gbp (the charge to the council).",
    "within_price_cap compares it with the configured cap for the region and role (WORKFORCE_RETURNS_FILE).",
    "reengaged_within_3_months: the same person (matched on the pseudonymised SWE number) left a permanent "
    "post of the council within the three months before the assignment started.",
    "The council fills in three_years_pq_experience, references_checked, project_team_or_managed_service, "
    "rules_not_met_reason and approved_by before sending.",
    "Personal data (SWE numbers): keep this file in the restricted folder; never publish it.",
)


def _xlsx(rows: pd.DataFrame, costs: pd.DataFrame) -> bytes:
    from openpyxl import Workbook

    from workforce.publish.spreadsheet_safety import neutralise_value

    book = Workbook()
    for n, (title, frame) in enumerate((("assignments", rows), ("monthly_cost", costs))):
        sheet = book.active if n == 0 else book.create_sheet()
        sheet.title = title
        sheet.append(list(frame.columns))
        for values in frame.itertuples(index=False):
            sheet.append([None if (isinstance(v, float) and v != v) else neutralise_value(v) for v in values])
    notes = book.create_sheet("notes")
    for line in NOTES:
        notes.append([neutralise_value(line)])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def produce_agency_return(settings: Settings, quarter: str, progress: Progress | None = None) -> AgencyReturn:
    """Write the quarter's return (CSV and XLSX) under ``restricted/agency_return/<quarter>/``."""
    from workforce.ingest.pseudonymise import resolve_key
    from workforce.locking import warehouse_lock
    from workforce.publish.spreadsheet_safety import neutralise_formulas
    from workforce.returns.census import load_config
    from workforce.warehouse import connect

    say = progress or log.info
    started = time.monotonic()
    parse_quarter(quarter)
    key = resolve_key(settings)
    config = load_config(settings)
    last = quarter_months(quarter)[-1]
    def csv(frame: pd.DataFrame) -> bytes:
        return neutralise_formulas(frame).to_csv(index=False, lineterminator="\n").encode()

    with warehouse_lock(settings, "agency-return", last.label, say=progress):  # one writer of restricted/ too
        with connect(settings, read_only=True) as con:
            rows, costs = compute(settings, quarter, con, key, config)
        folder = restricted.restricted_folder(settings, "agency_return", quarter)
        files = [
            restricted.write_restricted(folder / f"agency_return_{quarter}.csv", csv(rows)),
            restricted.write_restricted(folder / f"agency_cost_{quarter}.csv", csv(costs)),
            restricted.write_restricted(folder / f"agency_return_{quarter}.xlsx", _xlsx(rows, costs)),
        ]
        result = AgencyReturn(quarter, rows, costs, files, time.monotonic() - started)
        summary = result.to_dict()
        restricted.record(settings, "agency_return", quarter, files, assignments=summary["assignments"],
                          reengaged=summary["reengaged_within_3_months"], over_cap=summary["over_price_cap"])
    say(f"agency return {quarter}: {summary['assignments']} assignment(s), FTE {summary['fte_at_quarter_end']} and "
        f"headcount {summary['headcount_at_quarter_end']} at the quarter end, {summary['reengaged_within_3_months']} "
        f"re-engaged within 3 months, {summary['over_price_cap']} over the price cap; written to {folder}")
    return result


def quarter_of(month: ReportingMonth) -> str:
    return f"{month.year}-Q{(month.month - 1) // 3 + 1}"


def previous_quarter(day: date) -> str:
    """The last whole quarter before ``day`` (the DAG's run date)."""
    first = date(day.year, 3 * ((day.month - 1) // 3) + 1, 1) - timedelta(days=1)
    return quarter_of(ReportingMonth(first.year, first.month))
