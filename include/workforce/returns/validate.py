"""Validate a CSWW census message as COLLECT would: the year's XSD, then the cross-field rules of
``docs/spec/csww-census.md``. Works on any file (ours or another system's).

Each problem is an ``Issue``: the rule, its severity (``error``: COLLECT refuses to authorise the
return until it is cleared; ``query``: to be explained), the worker by row (its place among the
``CSWWWorker`` records, 1-based) and by pseudonym (the keyed HMAC of its SWE number, shortened,
when the key is at hand), the field, and the value, but only when the value is not personal:
the SWE number, date of birth, sex and ethnicity are never quoted.
"""

from __future__ import annotations

import contextlib
import re
from collections import defaultdict
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import date

from lxml import etree

from workforce.returns.message import Message, first, parse_message
from workforce.returns.years import INCENTIVES, shape_for

#: Items whose value is personal data: an issue names the field, never the value.
PERSONAL_FIELDS = frozenset({"SWENo", "PersonBirthDate", "Sex", "GenderCurrent", "Ethnicity"})
ERROR, QUERY = "error", "query"

#: The rules, with their message (the project's codes: DfE's own numbering was not public).
RULES = {
    "schema": "does not match the year's schema",
    "header_reference_date": "ReferenceDate must be 30 September of the collection year",
    "mandatory_missing": "is required for a worker who is not an agency worker",
    "fte30_missing": "is required for a worker in post at 30 September (no RoleEndDate)",
    "start_origin_missing": "a RoleStartDate in the year needs a StartOrigin",
    "start_origin_unexpected": "a StartOrigin goes with a RoleStartDate in the year only",
    "leaver_reason_missing": "a RoleEndDate needs a ReasonLeave",
    "leaver_destination_missing": "a RoleEndDate needs a LeaverDestination",
    "leaver_items_without_end_date": "a ReasonLeave or LeaverDestination needs a RoleEndDate",
    "fte_range": "must be between 0 and 1",
    "leaver_fte30": "a leaver's FTE30 must be absent or 0",
    "date_outside_year": "a leaver's RoleEndDate must fall in the reporting year (1 October to 30 September)",
    "start_after_reference_date": "RoleStartDate is after the reference date",
    "duplicate_swe": "the same SWE number is on more than one non-agency record",
    "la_agency_fte": "NoAgencyFTE does not agree with the agency records' FTE",
    "la_agency_headcount": "NoAgencyHeadcount does not agree with the number of agency records",
    "incentive_not_answered": "the council-level incentive item is not answered",
    "continuity_vanished": "in post at the previous 30 September (last year's return) but not in this return, "
                           "with no leaving record",
    "continuity_leaver_reappears": "a leaver in last year's return is back without a RoleStartDate in this year",
    "continuity_starter_already_in_post": "a starter this year was already in post at the previous 30 September",
    "not_yet_collected": "is coded 10 (not yet collected): collect it from HR before the upload if it can be",
}
QUERIES = frozenset({"incentive_not_answered", "not_yet_collected", "continuity_vanished",
                     "continuity_leaver_reappears", "continuity_starter_already_in_post"})


@dataclass
class Issue:
    rule: str
    severity: str
    row: int | None  # CSWWWorker position, 1-based; None for the header and council-level block
    worker: str | None  # the worker's pseudonym (shortened) when the key is at hand
    field: str | None
    value: str | None  # None when personal or absent
    message: str

    def line(self) -> str:
        who = "" if self.row is None else f"worker row {self.row}" + (f" ({self.worker})" if self.worker else "")
        where = ", ".join(p for p in (who, self.field or "") if p)
        value = f" (value {self.value!r})" if self.value not in (None, "") else ""
        return f"{self.severity.upper()} {self.rule}: {where}: {self.message}{value}"

    def to_dict(self) -> dict:
        return asdict(self)


def _issue(rule: str, row: int | None, worker: str | None, fld: str | None, value: str | None,
           message: str | None = None) -> Issue:
    safe = None if fld in PERSONAL_FIELDS else value
    text = message or (f"{fld} {RULES[rule]}" if rule in ("mandatory_missing", "fte30_missing", "fte_range",
                                                           "not_yet_collected") else RULES[rule])
    return Issue(rule, QUERY if rule in QUERIES else ERROR, row, worker, fld, safe, text)


def _schema_issues(message: Message, xsd_path) -> list[Issue]:
    schema = etree.XMLSchema(etree.parse(str(xsd_path)))
    if schema.validate(message.tree):
        return []
    out = []
    starts = message.lines
    for err in schema.error_log:
        row = None
        for n, line in enumerate(starts, 1):
            if line <= err.line:
                row = n
        match = re.search(r"Element '([A-Za-z0-9]+)'", err.message)
        fld = match.group(1) if match else None
        if row is not None and starts and err.line < starts[0]:
            row = None
        text = err.message
        if fld in PERSONAL_FIELDS:  # libxml2 quotes the value: keep only what is wrong, not the value
            text = f"Element '{fld}': the value is not valid for its type"
        else:
            text = re.sub(r"^Element '[A-Za-z0-9]+': ", "", text)
        out.append(Issue("schema", ERROR, row, None, fld, None, text))
    return out


def validate_message(data: bytes, pseudonym: Callable[[str], str | None] | None = None,
                     year: int | None = None, reference: date | None = None) -> list[Issue]:
    """Every issue of the message ``data``; ``pseudonym`` maps an SWE number to its pseudonym.
    ``year`` (default: the file's) picks the schema; ``reference`` (default 30 September of the
    year) is the reference date the rules judge by (the readiness report's month end)."""
    try:
        message = parse_message(data)
    except etree.XMLSyntaxError as exc:
        return [Issue("schema", ERROR, None, None, None, None, f"not well-formed XML: {exc}")]
    year = year or message.year or 0
    try:
        shape = shape_for(year)
    except ValueError as exc:
        return [Issue("schema", ERROR, None, None, "Year", str(year), str(exc))]
    issues = _schema_issues(message, shape.xsd)
    from workforce.returns.records import year_start

    reference = reference or date(year, 9, 30)
    start = year_start(reference)
    if message.reference != reference:
        issues.append(_issue("header_reference_date", None, None, "ReferenceDate",
                             message.reference.isoformat() if message.reference else None))
    rules: list[Issue] = []
    seen: dict[str, list[int]] = defaultdict(list)
    agency_fte, agency_n = 0.0, 0
    for row, w in enumerate(message.workers, 1):
        swe = first(w, "SWENo")
        who = pseudonym(swe) if (pseudonym and swe) else None

        def add(rule: str, fld: str | None, value: str | None = None, _row: int = row, _who=who) -> None:
            rules.append(_issue(rule, _row, _who, fld, value))

        for fld in ("FTE", "FTE30"):
            v = first(w, fld)
            try:
                if v is not None and not 0 <= float(v) <= 1:
                    add("fte_range", fld, v)
            except ValueError:
                pass
        if first(w, "AgencyWorker") == "1":
            agency_n += 1
            with contextlib.suppress(ValueError):
                agency_fte += float(first(w, "FTE") or 0)
            continue
        if swe:
            seen[swe].append(row)
        for fld in ("PersonBirthDate", shape.gender_element, "Ethnicity", "OrgRole", "RoleStartDate",
                    "WorkingDaysLost"):
            if not first(w, fld):
                add("mandatory_missing", fld)
        role_start, role_end = _d(first(w, "RoleStartDate")), _d(first(w, "RoleEndDate"))
        starter = role_start is not None and start <= role_start <= reference
        if role_start is not None and role_start > reference:
            add("start_after_reference_date", "RoleStartDate", role_start.isoformat())
        if starter and not first(w, "StartOrigin"):
            add("start_origin_missing", "StartOrigin")
        if first(w, "StartOrigin") and not starter and role_start is not None:
            add("start_origin_unexpected", "StartOrigin", first(w, "StartOrigin"))
        if role_end is not None:
            if not first(w, "ReasonLeave"):
                add("leaver_reason_missing", "ReasonLeave")
            if not first(w, "LeaverDestination"):
                add("leaver_destination_missing", "LeaverDestination")
            if not start <= role_end <= reference:
                add("date_outside_year", "RoleEndDate", role_end.isoformat())
            fte30 = first(w, "FTE30")
            try:
                if fte30 is not None and float(fte30) > 0:
                    add("leaver_fte30", "FTE30", fte30)
            except ValueError:
                pass
        else:
            if first(w, "ReasonLeave") or first(w, "LeaverDestination"):
                add("leaver_items_without_end_date", "ReasonLeave" if first(w, "ReasonLeave") else "LeaverDestination")
            if not first(w, "FTE30"):
                add("fte30_missing", "FTE30")
        for fld in ("ReasonLeave", "StartOrigin"):
            if first(w, fld) == "10":
                add("not_yet_collected", fld, "10")
    for swe, rows in seen.items():
        if len(rows) > 1:
            who = pseudonym(swe) if pseudonym else None
            for row in rows:
                rules.append(_issue("duplicate_swe", row, who, "SWENo", None,
                                    f"{RULES['duplicate_swe']} (rows {', '.join(map(str, rows))})"))
    block = message.la_level
    if "NoAgencyFTE" in block:
        try:
            if abs(float(block["NoAgencyFTE"]) - round(agency_fte, 2)) > 0.005:
                rules.append(_issue("la_agency_fte", None, None, "NoAgencyFTE", block["NoAgencyFTE"],
                                    f"{RULES['la_agency_fte']} ({agency_fte:.2f})"))
        except ValueError:
            pass
    if "NoAgencyHeadcount" in block and block["NoAgencyHeadcount"] != str(agency_n):
        rules.append(_issue("la_agency_headcount", None, None, "NoAgencyHeadcount", block["NoAgencyHeadcount"],
                            f"{RULES['la_agency_headcount']} ({agency_n})"))
    if shape.has_incentives:
        for name in INCENTIVES:
            if not block.get(name):
                rules.append(_issue("incentive_not_answered", None, None, name, None))
    # one problem, one issue: a schema error on a (row, field) a rule already names is left out
    named = {(i.row, i.field) for i in rules}
    issues = [i for i in issues if (i.row, i.field) not in named] + rules
    return issues


def _d(text: str | None) -> date | None:
    try:
        return date.fromisoformat(text) if text else None
    except ValueError:
        return None


def summary(issues: list[Issue]) -> dict[str, dict[str, int]]:
    """Counts by severity and rule (no identities): what the quality results carry."""
    out: dict[str, dict[str, int]] = {}
    for i in issues:
        out.setdefault(i.severity, {}).setdefault(i.rule, 0)
        out[i.severity][i.rule] += 1
    return {k: dict(sorted(v.items())) for k, v in sorted(out.items())}


def format_report(issues: list[Issue], gaps: list[str] | None = None, notes: list[str] | None = None) -> str:
    """``notes`` (such as the continuity check's basis), the issues as COLLECT lists them, then the
    counts by rule and the items not collected."""
    lines = [*(notes or []), *([""] if notes else []), *(i.line() for i in issues)]
    counts = summary(issues)
    lines.append("")
    lines.append(f"{sum(counts.get(ERROR, {}).values())} error(s), {sum(counts.get(QUERY, {}).values())} query(ies)")
    for severity, rules in counts.items():
        for rule, n in rules.items():
            lines.append(f"  {severity} {rule}: {n}")
    if gaps:
        lines.append("")
        lines.append("Items the data does not give (not collected; fill in or collect before uploading):")
        lines += [f"  {g}" for g in gaps]
    return "\n".join(lines) + "\n"


def continuity(current: bytes, previous: bytes, pseudonym: Callable[[str], str | None] | None = None) -> list[Issue]:
    """COLLECT's year-on-year checks of this return against last year's (both XML), matched on the
    SWE number of non-agency records; queries. A vanished worker is named by last year's row."""
    from workforce.returns.records import year_start

    now, before = parse_message(current), parse_message(previous)
    if now.reference is None or before.reference is None:
        return [Issue("schema", ERROR, None, None, "ReferenceDate", None, "a return without a ReferenceDate "
                      "cannot be compared with another year's")]
    start = year_start(now.reference)

    def la(message: Message) -> dict[str, tuple[int, dict[str, list[str]]]]:
        return {first(w, "SWENo") or "": (row, w) for row, w in enumerate(message.workers, 1)
                if first(w, "AgencyWorker") != "1" and first(w, "SWENo")}

    this_year, last_year = la(now), la(before)
    issues = []
    for swe, (row, w) in last_year.items():
        in_post = not first(w, "RoleEndDate")
        who = pseudonym(swe) if pseudonym else None
        if in_post and swe not in this_year:
            issues.append(_issue("continuity_vanished", row, who, "SWENo", None,
                                 f"last year's row {row}: {RULES['continuity_vanished']}"))
            continue
        if swe not in this_year:
            continue
        now_row, now_w = this_year[swe]
        role_start = _d(first(now_w, "RoleStartDate"))
        started = role_start is not None and start <= role_start <= now.reference
        if not in_post and not started:
            issues.append(_issue("continuity_leaver_reappears", now_row, who, "RoleStartDate", None))
        if in_post and started:
            issues.append(_issue("continuity_starter_already_in_post", now_row, who, "RoleStartDate",
                                 first(now_w, "RoleStartDate")))
    return issues
