"""Agency workers: who is engaged, on which post, for how long, and the hours they bill.

``start_assignment`` engages a worker (a returning locum or someone new), mostly to cover a
vacant post — about 78% of agency FTE covers vacancies and never more than is vacant, as in
DfE's figures for counties — else to backfill a filled post or add capacity to a team. Each
month (from ``council``) assignments reaching their planned end finish or are extended as a new
assignment at a higher rate, and new ones keep the number near ``SampleConfig.agency_workers``.
Feeds ``agency_assignments`` (one row per assignment) and ``agency_timesheets`` (weekly hours
and charges); agency workers also appear in ``ssd_professionals`` and hold cases (``cases``).
"""

from __future__ import annotations

from workforce.sample import establishment, people
from workforce.sample.days import OPEN, is_month_end, month_start, sunday_on_or_after, weekdays
from workforce.sample.reference import AGENCY_NAMES, PART_TIME_FTE
from workforce.sample.state import Assign, Council
from workforce.sample.tables import Table, column, fmt_dec, int_array, int_code, iso_array


def active_assignments(c: Council) -> list[Assign]:
    """The assignments not yet ended."""
    return [a for a in c.assigns if a.end == OPEN]


def start_assignment(c: Council, start: int, mid_history: bool = True,
                     cover_budget: list[float] | None = None) -> Assign:
    """Engage an agency worker. ``cover_budget`` is [FTE covering vacancies, the most that
    may (a little under the vacant FTE), all agency FTE]: about 78% of agency FTE covers
    vacancies, as in DfE's figures for counties, and never more than is vacant."""
    # who: a returning locum or someone new
    person = None
    if mid_history and c.agency_pool and c.u() < 0.1:
        free = [q for q in c.agency_pool if q.assignments[-1].end < start - 14]
        if free:
            person = c.pick(free)
            c.agency_pool.remove(person)
    if person is None:
        person = people.new_person(c, "SW", start)
    fte = 1.0 if c.u() < 0.86 else c.pick(PART_TIME_FTE)
    vacant = [p for p in c.posts if not p.removed and p.since <= start and not p.holders
              and p.agency is None and p.role != 1]
    if cover_budget is None:
        can_cover = c.u() < 0.8
    else:
        share = cover_budget[0] / cover_budget[2] if cover_budget[2] else 0.0
        can_cover = cover_budget[0] + fte <= cover_budget[1] and (
            share < 0.78 or c.u() < 0.1)
    post, cover = None, False
    if can_cover:
        cover = True
        if vacant and c.u() < 0.92:
            post = c.pick(vacant)
    elif c.u() < 0.4:
        filled = [p for p in c.posts if not p.removed and p.holders and p.agency is None
                  and p.role == 5]
        if filled:
            post = c.pick(filled)  # backfill, e.g. maternity cover
    if post is not None:
        team, role = post.team, post.role
    else:
        team, role = c.pick(c.case_teams()), 5
    rate = {3: (52, 62), 2: (60, 70), 4: (45, 54), 6: (42, 50)}.get(role, (40, 50))
    a = _engage(c, Assign(person=person, agency=c.pick(AGENCY_NAMES), team=team, post=post,
                          role=role, fte=fte, start=start, planned=start + assignment_length(c),
                          cover=cover, rate=round(rate[0] + (rate[1] - rate[0]) * c.u(), 1)))
    if cover_budget is not None:
        cover_budget[0] += fte if cover else 0.0
        cover_budget[2] += fte
    return a


def _engage(c: Council, a: Assign) -> Assign:
    """Record a new assignment on its post, its worker and the council."""
    if a.post is not None:
        a.post.agency = a
    a.person.assignments.append(a)
    c.assigns.append(a)
    return a


def assignment_length(c: Council) -> int:
    """Planned days of an assignment (median 200)."""
    return c.lognormal_days(200, 0.7, 28, 900)


def end_assignment(a: Assign, end: int) -> None:
    a.end = end
    if a.post is not None and a.post.agency is a:
        a.post.agency = None


def end_or_extend(c: Council, a: Assign) -> None:
    """An assignment at its planned end: extended (as a new assignment) while still needed, or ended."""
    end = max(a.planned, a.start + 1)
    still_needed = a.post is None or not a.post.holders
    if still_needed and c.u() < 0.38:
        if is_month_end(end):
            end -= 1
        if end <= a.start:
            end = a.start + 1
        end_assignment(a, end)
        _engage(c, Assign(person=a.person, agency=a.agency, team=a.team, post=a.post, role=a.role,
                          fte=a.fte, start=end + 1, planned=end + 1 + assignment_length(c),
                          cover=a.cover, rate=round(a.rate + c.pick((0.0, 0.5, 1.0, 1.5)), 1)))
    else:
        end_assignment(a, end)
        if not a.person.la:
            c.agency_pool.append(a.person)


def run_month(c: Council, ms: int, me: int) -> None:
    """The month's agency changes: planned ends (some extended), then top up to the usual number."""
    for a in active_assignments(c):
        if a.planned <= me:
            end_or_extend(c, a)
    active = active_assignments(c)
    want = int(round(c.cfg.agency_workers + c.rng.normal(0, 1.5)))
    if len(active) < want:
        cover = [sum(a.fte for a in active if a.cover), 0.97 * establishment.vacancy_fte(c, me),
                 sum(a.fte for a in active)]
        for _ in range(want - len(active)):
            start_assignment(c, c.randint(ms, me), cover_budget=cover)


def agency_assignments_table(assigns: list[Assign]) -> Table:
    a_start = int_array(a.start for a in assigns)
    a_end = int_array(a.end for a in assigns)
    return Table("agency_assignments", {
        "assignment_id": column(a.aid for a in assigns),
        "swe_registration": column(a.person.swe for a in assigns),
        "agency_name": column(a.agency for a in assigns),
        "team_code": column(a.team.code for a in assigns),
        "post_id": column(a.post.pid if a.post else None for a in assigns),
        "org_role": int_code(a.role for a in assigns),
        "fte": column(fmt_dec(a.fte) for a in assigns),
        "start_date": iso_array(a_start),
        "end_date": iso_array(a_end),
        "covering_vacancy": column("Y" if a.cover else "N" for a in assigns),
        "hourly_charge_gbp": column(fmt_dec(a.rate) for a in assigns),
    }, since=a_start, blanks=((a_end, ("end_date",)),))


def agency_timesheets_table(c: Council, assigns: list[Assign], first_month: int) -> Table:
    """Weekly timesheets (weeks ending on a Sunday) from ``first_month`` to the end of the history."""
    rng, h1 = c.rng, c.h1
    first_week = sunday_on_or_after(month_start(first_month))
    ts_id, ts_week, ts_hours, ts_charge = [], [], [], []
    for a in assigns:
        last = min(a.end, h1)
        for week in range(max(sunday_on_or_after(a.start), first_week), last + 7, 7):
            if week > h1:
                break
            worked = weekdays(max(week - 6, a.start), min(week, last))
            if worked <= 0:
                continue
            hours = 37 * a.fte * worked / 5
            if rng.random() < 0.08:
                hours *= 0.6  # leave taken that week
            hours = round(hours * 4) / 4
            ts_id.append(a.aid)
            ts_week.append(week)
            ts_hours.append(f"{hours:.2f}")
            ts_charge.append(f"{hours * a.rate:.2f}")
    ts_week_arr = int_array(ts_week)
    return Table("agency_timesheets", {
        "assignment_id": column(ts_id),
        "week_ending": iso_array(ts_week_arr),
        "hours": column(ts_hours),
        "charge_gbp": column(ts_charge),
    }, week_day=ts_week_arr)
