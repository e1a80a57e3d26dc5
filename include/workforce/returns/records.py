"""The census records of a reference date, from the warehouse: pseudonymised, never identities.

``census_records`` returns one row per worker as DfE de-duplicates them (one LA-employed record
per person key, one agency record per person key), keyed by the pseudonym (``person_key``), with
every item of ``csww-census.md`` the warehouse can give. It reads the raw tables of the extracts
that serve the reference date's month (``ingest.readiness.window``: the same rule as the
pipeline), so a return for 30 September is computed from September's own extracts whatever
month the warehouse was last built for. Who is in it follows ``docs/spec/metrics.md`` and the
reconciliation mart (``reconciliation_csww_census_return``):

- in post: an LA spell active on the reference date (start <= d, effective end null or > d);
  FTE30 = the sum of the FTE of the person's active spells (not capped: over 1 is an error);
- starters: ``la_service_start_date`` in the year (d - 12 months, d];
- leavers: ``leaving_date`` in the year; the FTE, reason and destination of the spells carrying it;
- agency: assignments active on d, FTE summed per person.

The SWE number and date of birth are not here: ``identities`` adds them in the restricted step.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import numpy as np
import pandas as pd

from workforce.config import Settings
from workforce.months import ReportingMonth

#: Pay elements that make up the 2025 pay items (project decision, docs/returns.md).
RR_ELEMENTS = ("RETENTION_PAYMENT", "MARKET_SUPPLEMENT")
OTHER_ELEMENTS = ("RELOCATION", "ALLOWANCE", "OTHER")


class CensusDataError(RuntimeError):
    """The warehouse cannot give the return (no extract serves the reference date)."""


@dataclass
class CensusData:
    reference_date: date
    year_start: date  # first day of the reporting year (1 October)
    workers: pd.DataFrame  # one row per (agency, person_key)
    vacancy_fte: float
    extracts: dict[str, date]  # export -> serving extract date
    missing_exports: list[str] = field(default_factory=list)  # optional exports with no serving extract
    missing_columns: list[str] = field(default_factory=list)  # optional contract columns not delivered


def year_start(reference: date) -> date:
    """The day after the reference date 12 months earlier (1 October for 30 September)."""
    return ReportingMonth(reference.year - 1, reference.month).end + timedelta(days=1)


def _serving(con, settings: Settings, export: str, reference: date) -> date | None:
    from workforce.ingest.readiness import window

    first, last = window(settings, reference)
    row = con.execute(f"select max(_extract_date) from raw.{export} where _extract_date between ? and ?",
                      [first, last]).fetchone()
    return row[0] if row else None


def _columns(con, table: str) -> set[str]:
    return {r[0] for r in con.execute(
        "select column_name from duckdb_columns() where schema_name = 'raw' and table_name = ?", [table]).fetchall()}


#: Optional hr_workers columns the return uses (contract additions of issue 14).
OPTIONAL_HR_COLUMNS = ("census_sex", "qual_level", "step_up_grad", "frontline_grad", "base_salary_gbp")


def census_records(settings: Settings, reference: date, con=None,
                   extracts_of: dict[str, date] | None = None) -> CensusData:
    """The records as at ``reference`` (30 September for a census; a month end for readiness).

    ``extracts_of`` (export -> extract date): read these extracts instead of the ones serving
    ``reference``'s month. The continuity check rebuilds last year's return this way, as at the
    previous 30 September from the current extracts (the spells carry their history:
    ``census.rebuilt_previous``); the same selection of workers, only the date differs."""
    if con is None:
        from workforce.warehouse import connect

        with connect(settings, read_only=True) as own:
            return census_records(settings, reference, own, extracts_of)
    start = year_start(reference)
    extracts: dict[str, date] = {}
    missing: list[str] = []
    for export in ("hr_workers", "agency_assignments", "hr_establishment", "hr_absences", "payroll_lines"):
        served = _serving(con, settings, export, reference) if extracts_of is None else extracts_of.get(export)
        if served is None:
            if export in ("hr_workers", "agency_assignments", "hr_establishment"):
                raise CensusDataError(
                    f"no {export} extract serves {reference} in the warehouse (the month ending {reference} needs an "
                    f"extract dated in its window): load that month first (workforce run --month "
                    f"{reference:%Y-%m} --step extract)")
            missing.append(export)
        else:
            extracts[export] = served
    hr_cols = _columns(con, "hr_workers")
    missing_columns = [c for c in OPTIONAL_HR_COLUMNS if c not in hr_cols]
    opt = {c: (f"w.{c}" if c in hr_cols else "cast(null as varchar)") for c in OPTIONAL_HR_COLUMNS}
    # a column delivered in no row of the serving extract is "not collected" too
    for c in OPTIONAL_HR_COLUMNS:
        if c in hr_cols and not con.execute(
                f"select count({c}) from raw.hr_workers where _extract_date = ?", [extracts["hr_workers"]]
        ).fetchone()[0]:
            missing_columns.append(c)
    params = {"hr": extracts["hr_workers"], "d": reference, "s": start}
    la = con.execute(f"""
        with w as (
            select w.*, case when spell_end_date is null then leaving_date when leaving_date is null then spell_end_date
                             else least(spell_end_date, leaving_date) end as last_date
            from raw.hr_workers w where _extract_date = $hr
        ),
        active as (select * from w where spell_start_date <= $d and (last_date is null or last_date > $d)),
        in_post as (
            select person_key, sum(fte) as fte30, min(org_role) as org_role, max(la_service_start_date) as lss,
                   bool_or(contract_type = 'PERMANENT') as permanent
            from active group by person_key
        ),
        flags as (
            select *, spell_start_date = min(spell_start_date) over (partition by person_key, la_service_start_date)
                   as is_first from w
        ),
        periods as (
            select person_key, la_service_start_date, sum(fte) filter (where is_first) as starting_fte,
                   max(start_origin) filter (where is_first) as origin, min(org_role) filter (where is_first) as role
            from flags group by person_key, la_service_start_date
        ),
        starts as (
            select person_key, arg_min(starting_fte, la_service_start_date) as starter_fte,
                   max(la_service_start_date) as role_start, arg_max(origin, la_service_start_date) as origin,
                   arg_max(role, la_service_start_date) as role
            from periods where la_service_start_date >= $s and la_service_start_date <= $d group by person_key
        ),
        leaving as (
            select person_key, leaving_date, sum(fte) as fte, max(leaving_reason) as reason,
                   max(leaver_destination) as destination, min(org_role) as role, max(la_service_start_date) as lss
            from w where leaving_date is not null group by person_key, leaving_date
        ),
        leaves as (
            select person_key, arg_max(fte, leaving_date) as leaver_fte, max(leaving_date) as role_end,
                   arg_max(reason, leaving_date) as reason, arg_max(destination, leaving_date) as destination,
                   arg_max(role, leaving_date) as role, arg_max(lss, leaving_date) as lss
            from leaving where leaving_date >= $s and leaving_date <= $d group by person_key
        ),
        people as (
            select person_key from in_post union select person_key from starts
            union select person_key from leaves
        ),
        latest as (  -- the person's latest spell started by the reference date: demographics, optional items
            select person_key, arg_max(employee_key, spell_start_date) as employee_key,
                   arg_max(gender, spell_start_date) as gender, arg_max(ethnicity, spell_start_date) as ethnicity,
                   arg_max(kss_status, spell_start_date) as kss_status,
                   arg_max({opt['census_sex']}, spell_start_date) as sex,
                   arg_max({opt['qual_level']}, spell_start_date) as qual_level,
                   arg_max({opt['step_up_grad']}, spell_start_date) as step_up_grad,
                   arg_max({opt['frontline_grad']}, spell_start_date) as frontline_grad,
                   arg_max({opt['base_salary_gbp']}, spell_start_date)
                       filter (where spell_start_date <= $d and (last_date is null or last_date > $d)) as base_salary
            from w where spell_start_date <= $d group by person_key
        )
        select 0 as agency, p.person_key, l.employee_key,
               i.person_key is not null as is_in_post, s.person_key is not null as is_starter,
               v.person_key is not null as is_leaver,
               coalesce(i.fte30, 0) as fte30, coalesce(s.starter_fte, 0) as starter_fte,
               coalesce(v.leaver_fte, 0) as leaver_fte,
               coalesce(i.org_role, v.role, s.role) as org_role,
               coalesce(i.lss, v.lss, s.role_start) as role_start,
               case when s.person_key is not null then s.origin end as start_origin,
               v.role_end, v.reason as reason_leave, v.destination as leaver_destination,
               l.gender, l.sex, l.ethnicity, l.kss_status, l.qual_level, l.step_up_grad, l.frontline_grad,
               case when i.permanent then l.base_salary end as base_salary, coalesce(i.permanent, false) as permanent
        from people p
        left join in_post i using (person_key) left join starts s using (person_key)
        left join leaves v using (person_key) left join latest l using (person_key)
        order by p.person_key
    """, params).df()
    la["role_start"] = pd.to_datetime(la["role_start"]).dt.date
    la["role_end"] = pd.to_datetime(la["role_end"]).dt.date.where(la["role_end"].notna(), None)
    # FTE: the FTE of the record's contract: at leaving for a leaver, on starting for a starter, else at d
    la["fte"] = np.where(la["is_leaver"], la["leaver_fte"], np.where(la["is_starter"], la["starter_fte"], la["fte30"]))
    ag = con.execute("""
        select 1 as agency, person_key, sum(fte) as fte, min(org_role) as org_role,
               round(sum(greatest(0, datediff('day', greatest(start_date, $s),
                                               least(coalesce(end_date, $d + 1), $d + 1))) / 7.0), 1) as contract_weeks
        from raw.agency_assignments
        where _extract_date = $ag and start_date <= $d and (end_date is null or end_date > $d)
        group by person_key order by person_key
    """, {"ag": extracts["agency_assignments"], "d": reference, "s": start}).df()
    _add_cases(con, la, ag, reference)
    _add_absence(con, la, extracts.get("hr_absences"), reference, start)
    _add_pay(con, la, extracts.get("payroll_lines"), reference, start, "base_salary_gbp" in missing_columns)
    workers = pd.concat([la, ag], ignore_index=True, sort=False)
    vacancy = con.execute("""
        with w as (
            select *, case when spell_end_date is null then leaving_date when leaving_date is null then spell_end_date
                           else least(spell_end_date, leaving_date) end as last_date
            from raw.hr_workers where _extract_date = $hr
        ),
        posts as (
            select post_id, sum(budgeted_fte) as budget from raw.hr_establishment
            where _extract_date = $est and effective_from <= $d and (effective_to is null or effective_to > $d)
            group by post_id
        ),
        filled as (
            select nullif(trim(post_id), '') as post_id, sum(fte) as filled from w
            where spell_start_date <= $d and (last_date is null or last_date > $d) group by 1
        )
        select coalesce(sum(greatest(0, budget - coalesce(filled, 0))), 0)
        from posts left join filled using (post_id)
    """, {"hr": extracts["hr_workers"], "est": extracts["hr_establishment"], "d": reference}).fetchone()[0]
    return CensusData(reference, start, workers, float(vacancy), extracts, missing, missing_columns)


def _add_cases(con, la: pd.DataFrame, ag: pd.DataFrame, reference: date) -> None:
    """Cases30 from the warehouse's caseload model, when it holds the reference date."""
    exists = con.execute("select count(*) from duckdb_tables() where schema_name = 'intermediate' "
                         "and table_name = 'int_cms__caseloads_monthly'").fetchone()[0]
    cases: dict[str, int] = {}
    if exists:
        cases = dict(con.execute("select holder_key, sum(cases) from intermediate.int_cms__caseloads_monthly "
                                 "where month_end = ? and is_matched group by 1", [reference]).fetchall())
    held = bool(cases) or bool(exists and con.execute(
        "select count(*) from intermediate.int_cms__caseloads_monthly where month_end = ?", [reference]).fetchone()[0])
    for frame in (la, ag):
        in_post = frame["is_in_post"] if "is_in_post" in frame else pd.Series(True, index=frame.index)
        frame["cases30"] = [(int(cases.get(k, 0)) if held else None) if ip else None
                            for k, ip in zip(frame["person_key"], in_post, strict=True)]


def _weekdays(first: Any, last: Any) -> int:
    return int(np.busday_count(first, last + timedelta(days=1))) if last >= first else 0


def _add_absence(con, la: pd.DataFrame, extract: date | None, reference: date, start: date) -> None:
    """WorkingDaysLost (sickness in the year, apportioned by weekdays as metrics.md defines it) and
    the absence on the reference date with its reason; None when hr_absences is not delivered."""
    if extract is None:
        la["working_days_lost"], la["absent30"], la["absence_reason"] = None, None, None
        return
    rows = con.execute("""
        select a.employee_key, a.absence_reason, a.start_date, a.end_date, a.working_days_lost
        from raw.hr_absences a where a._extract_date = ? and a.start_date <= ?
    """, [extract, reference]).fetchall()
    days: dict[str, float] = {}
    absent: dict[str, tuple[date, str]] = {}
    for key, reason, first, last, lost in rows:
        if (last is None or last >= reference) and (key not in absent or first < absent[key][0]):
            absent[key] = (first, reason)
        if reason != "SIC" or (last is not None and last < start):
            continue
        if last is None:  # ongoing: its weekdays from its start (in the year) to the reference date
            value = float(_weekdays(max(first, start), reference))
        else:
            whole = _weekdays(first, last)
            inside = _weekdays(max(first, start), min(last, reference))
            value = float(lost or 0) * (inside / whole if whole else (1.0 if first >= start else 0.0))
        days[key] = days.get(key, 0.0) + value
    la["working_days_lost"] = [round(days.get(k, 0.0), 2) if k else None for k in la["employee_key"]]
    la["absent30"] = [(1 if k in absent else 0) if ip else None for k, ip in zip(la["employee_key"], la["is_in_post"],
                                                                               strict=True)]
    la["absence_reason"] = [absent[k][1] if ip and k in absent else None
                            for k, ip in zip(la["employee_key"], la["is_in_post"], strict=True)]


def _add_pay(con, la: pd.DataFrame, extract: date | None, reference: date, start: date, derive_base: bool) -> None:
    """The 2025 pay items from payroll_lines: recruitment and retention payments and other payments
    in the year's pay periods; the base salary from the column, or (when HR does not deliver it)
    the reference month's BASIC pay times 12, divided by the FTE at the reference date (full time,
    as the column holds it)."""
    if extract is None:
        la["rr_payments"], la["other_payments"] = None, None
        if derive_base:
            la["base_salary"] = None
        return
    first, last = f"{start:%Y-%m}", f"{reference:%Y-%m}"
    pay = con.execute(f"""
        select employee_key,
               sum(amount_gbp) filter (where pay_element in {RR_ELEMENTS}) as rr,
               sum(amount_gbp) filter (where pay_element in {OTHER_ELEMENTS}) as other,
               sum(amount_gbp) filter (where pay_element = 'BASIC' and pay_period = ?) as basic
        from raw.payroll_lines where _extract_date = ? and pay_period between ? and ? group by 1
    """, [last, extract, first, last]).fetchall()
    by_key = {k: (rr, other, basic) for k, rr, other, basic in pay}
    la["rr_payments"] = [round(max(0.0, by_key.get(k, (0, 0, 0))[0] or 0.0), 2) for k in la["employee_key"]]
    la["other_payments"] = [round(max(0.0, by_key.get(k, (0, 0, 0))[1] or 0.0), 2) for k in la["employee_key"]]
    if derive_base:
        la["base_salary"] = [round(by_key[k][2] * 12 / fte, 2) if perm and fte and k in by_key and by_key[k][2]
                             else None for k, perm, fte in zip(la["employee_key"], la["permanent"], la["fte30"],
                                                               strict=True)]
