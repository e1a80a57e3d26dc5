"""Absences of LA employees: sickness (short and long), training, maternity and other leave.

Episodes start on weekdays at rates per person-year of employment, never overlap for one
employee and end within the employment; maternity leave falls to women of 24 to 42. One
episode is always still open on the last extract date. Feeds ``hr_absences`` (one row per
episode, with working days lost); long absences (maternity, sickness of 30 days or more) take
a worker off the case-holding rota in ``cases``.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from workforce.sample import people
from workforce.sample.days import month_end, month_start, nth_weekday, to_weekday, weekdays
from workforce.sample.state import Choice, Council, Person
from workforce.sample.tables import Table, column, fmt_dec, int_array, iso_array

# reason, episodes per person-year, lengths in working days ("SICL": long sickness; the
# lengths of sickness are drawn otherwise)
KINDS: tuple[tuple[str, float, tuple[int, int] | None], ...] = (
    ("SIC", 1.3, None), ("SICL", 0.1, None), ("TRN", 1.5, (1, 3)), ("OTH", 0.4, (1, 2)),
    ("UNP", 0.05, (1, 10)), ("PUB", 0.03, (1, 5)), ("UNA", 0.02, (1, 1)),
    ("MAT", 0.055, (120, 250)),
)
SHORT_SICKNESS_DAYS = ((1, 30), (2, 25), (3, 20), (4, 13), (5, 12))


class Employment(NamedTuple):
    """One continuous LA employment of a person, from its first to its last day."""

    person: Person
    emp_id: str
    first: int
    last: int


class Absence(NamedTuple):
    """One absence episode (a row of ``hr_absences``): ``days`` is the working days lost."""

    emp_id: str
    reason: str
    start: int
    end: int
    person: Person
    days: int


def employments(c: Council) -> list[Employment]:
    """Each continuous LA employment: a new one starts with each new service start."""
    out: list[Employment] = []
    for p in c.people:
        spells = sorted(p.spells, key=lambda s: s.start)
        cur: Employment | None = None
        for s in spells:
            last = min(s.end, c.h1 + 400)
            if cur is None or s.service_start != cur.first:
                if cur is not None:
                    out.append(cur)
                cur = Employment(p, s.emp_id, s.service_start, last)
            cur = cur._replace(last=max(cur.last, last))
        if cur is not None:
            out.append(cur)
    return out


def absences(c: Council) -> list[Absence]:
    """Every absence episode."""
    rows: list[Absence] = []
    emps = employments(c)
    busy: dict[str, list[tuple[int, int]]] = {}
    short_len = Choice(SHORT_SICKNESS_DAYS)
    carry = {k[0]: 0.0 for k in KINDS}
    for mi in range(c.start_mi, c.end_mi + 1):
        ms, me = month_start(mi), month_end(mi)
        active = [e for e in emps if e.first <= me and e.last > ms]
        if not active:
            continue
        mat_ok = [e for e in active
                  if e.person.gender == "2" and 24 <= people.age_on(e.person, ms) <= 42]
        for kind, rate, lengths in KINDS:
            pool = mat_ok if kind == "MAT" else active
            if not pool:
                continue
            carry[kind] += rate * len(pool) / 12
            n = int(np.floor(carry[kind] + c.u()))
            carry[kind] -= n
            for _ in range(n):
                person, emp_id, first, last = c.pick(pool)
                lo = max(ms, first)
                hi = min(me, last)
                if hi < lo:
                    continue
                start = to_weekday(c.randint(lo, hi), lo, hi)
                if (start + 3) % 7 >= 5:
                    continue
                if kind == "SIC":
                    length = short_len(c.u())
                elif kind == "SICL":
                    length = c.randint(20, 60) if c.u() < 0.88 else c.randint(61, 120)
                elif lengths is None:
                    raise ValueError(f"absence kind {kind} has no range of lengths")
                else:
                    length = c.randint(*lengths)
                end = min(nth_weekday(start, length), last)
                spans = busy.setdefault(emp_id, [])
                if any(not (end < s or start > e) for s, e in spans):
                    continue
                spans.append((start, end))
                reason = "SIC" if kind == "SICL" else kind
                rows.append(Absence(emp_id, reason, start, end, person, weekdays(start, end)))
    # one episode still open on the last extract date, whatever the draw
    h1 = c.h1
    if not any(r.start <= h1 < r.end for r in rows):
        for person, emp_id, first, last in emps:
            start = to_weekday(h1 - 20, h1 - 25, h1)
            if first <= start - 30 and last > h1 + 60 and not any(
                    not (h1 + 40 < s or start > e) for s, e in busy.get(emp_id, [])):
                end = nth_weekday(start, 35)
                rows.append(Absence(emp_id, "SIC", start, end, person, weekdays(start, end)))
                break
    return rows


def hr_absences_table(absences: list[Absence]) -> Table:
    rows = sorted(absences, key=lambda r: (r.start, r.emp_id, r.reason))
    ab_start = int_array(r.start for r in rows)
    ab_end = int_array(r.end for r in rows)
    return Table("hr_absences", {
        "absence_id": column(f"AB{i:07d}" for i in range(1, len(rows) + 1)),
        "employee_id": column(r.emp_id for r in rows),
        "absence_reason": column(r.reason for r in rows),
        "start_date": iso_array(ab_start),
        "end_date": iso_array(ab_end),
        "working_days_lost": column(fmt_dec(r.days, 1) for r in rows),
    }, since=ab_start, blanks=((ab_end, ("end_date", "working_days_lost")),))
