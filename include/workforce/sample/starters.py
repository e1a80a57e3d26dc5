"""Starters: the staff in post when the history begins, and everyone who joins after.

``populate`` fills most funded posts on the first day (with part-timers holding two posts and
some casual workers) and engages the first agency workers. ``hire`` then keeps the headcount
near ``SampleConfig.la_workers`` month by month (called from ``council``): newly qualified
social workers (ASYE, mostly after the summer), experienced starters, overseas recruits,
agency workers converting to permanent posts, and returners — past leavers re-joining with
their SWE number and perhaps their old employee id. Feeds ``hr_workers`` (spells, start origin,
service start, overseas recruits) and, through the first engagements, ``agency_assignments``.
"""

from __future__ import annotations

from workforce.sample import agency, careers, establishment, people
from workforce.sample.days import to_weekday
from workforce.sample.reference import CASUAL_FTE
from workforce.sample.state import Council, Person, Post, Team


def populate(c: Council) -> None:
    """The council on the first day of the history: staff in post, and agency workers engaged."""
    cfg, h0 = c.cfg, c.h0
    head0 = round(cfg.la_workers * 0.96)
    n_two = max(3, round(cfg.la_workers * 0.015))
    n_casual = max(1, round(cfg.la_workers * 0.025))
    posts = [p for p in c.posts]
    mgmt = [p for p in posts if p.role in (1, 2, 3)]
    prac = [p for p in posts if p.role not in (1, 2, 3)]
    c.rng.shuffle(mgmt)
    c.rng.shuffle(prac)
    # two-post part-timers: a part-time case-holding post plus a small fostering post
    pt_case = [p for p in prac if p.budget < 1 and p.role == 5]
    fost_teams = c.teams_in("Fostering")
    two_post = []
    for i in range(n_two):
        main = pt_case[i] if i < len(pt_case) else None
        if main is None:
            main = c.pick([p for p in prac if p.role == 5 and not p.holders])
            main.rows[-1].budgeted_fte = 0.6
        extra = establishment.new_post(c, c.pick(fost_teams), 6, "SW", 0.4, main.since)
        two_post.append((main, extra))
    taken = {id(m) for m, _ in two_post}
    fill_mgmt = [p for p in mgmt if c.u() < 0.93]
    n_single = head0 - n_two - n_casual - len(fill_mgmt)
    fill_prac = [p for p in prac if id(p) not in taken][:max(0, n_single)]

    def initial(grade: str, post: Post | None, team: Team, role: int, fte: float,
                contract_type: str) -> Person:
        p = people.new_person(c, grade, h0, overseas=c.u() < 0.05)
        age = people.age_on(p, h0)
        max_years = max(0.2, age - 22.5)
        years = min(max_years, float(c.rng.exponential(6.5)))
        if grade == "ASYE":
            years = c.u() * 0.9
        service_start = int(h0 - years * 365.25) - c.randint(0, 30)
        service_start = max(service_start, int(p.dob + 22.6 * 365.25))
        origin = 1 if grade == "ASYE" else (9 if c.u() < 0.6 else c.ch["origin"](c.u()))
        careers.start_employment(c, p, service_start, origin, True)
        spell_start = service_start
        if grade not in ("ASYE",) and years > 1.5 and c.u() < 0.7:
            spell_start = int(service_start + c.u() * (h0 - service_start - 1))
        spell_start = min(spell_start, h0 - 1)
        careers.open_spell(c, p, post, team, role, grade, contract_type, fte, spell_start)
        return p

    for main, extra in two_post:
        grade = "SSW" if main.grade == "SSW" else "SW"
        p = initial(grade, main, main.team, main.role, min(main.budget, 0.6), "PERMANENT")
        careers.open_spell(c, p, extra, extra.team, 6, grade, "PERMANENT", 0.4,
                           min(h0 - 1, p.open[0].start + c.randint(30, 400)))
    for i, post in enumerate(fill_mgmt + fill_prac):
        grade = post.grade
        if grade == "SW":
            grade = "ASYE" if c.u() < 0.12 else "SW"
        fixed = c.u() < 0.05 or i in (len(fill_mgmt), len(fill_mgmt) + 1)
        contract_type = "FIXED_TERM" if fixed else "PERMANENT"
        initial(grade, post, post.team, post.role, careers.fte_for(c, post), contract_type)
    case_teams = c.case_teams()
    for _ in range(n_casual):
        team = c.pick(case_teams)
        initial("SW", None, team, 5, c.pick(CASUAL_FTE), "CASUAL")
    for post in c.posts:
        if post.holders:  # a post exists at least as long as its holder has held it
            post.rows[0].effective_from = min(post.rows[0].effective_from,
                                              min(s.start for s in post.holders))
        else:
            post.vacant_since = h0 - c.randint(0, 400)

    # agency workers engaged at the start
    cover = [0.0, 0.97 * establishment.vacancy_fte(c, h0), 0.0]
    for _ in range(c.cfg.agency_workers):
        agency.start_assignment(c, h0 - c.randint(1, 420), mid_history=False, cover_budget=cover)
    for a in c.assigns:
        a.planned = max(a.start + 28, h0 + c.randint(5, 400))


def hire(c: Council, ms: int, me: int, busy: set[int], mi: int) -> None:
    """One starter in month ``mi`` (days ``ms`` to ``me``), in a vacant post or as a casual worker."""
    if c.u() < 0.025:
        p = people.new_person(c, "SW", ms)
        careers.start_employment(c, p, hire_day(c, ms, me), c.ch["origin"](c.u()), True)
        careers.open_spell(c, p, None, c.pick(c.case_teams()), 5, "SW",
                           "CASUAL", c.pick(CASUAL_FTE), p.service_start)
        busy.add(p.key)
        return
    vacant = [q for q in c.posts if not q.removed and not q.holders and q.since < ms
              and (q.agency is None or q.agency.start < ms - 7)
              and (q.role in (4, 5, 6) or q.vacant_since < ms - 90)]
    if not vacant:
        return
    # newly qualified social workers (ASYE), mostly starting after the summer's graduation
    sw_vacant = [q for q in vacant if q.grade == "SW" and q.role == 5]
    newly_qualified = bool(sw_vacant) and c.u() < (0.6 if mi % 12 in (7, 8, 9) else 0.3)
    post = c.pick(sw_vacant if newly_qualified else vacant)
    progress = (mi - c.start_mi) / max(1, c.end_mi - c.start_mi)
    u = 1.0 if newly_qualified else c.u()
    grade = post.grade
    overseas = False
    origin: int | None
    new_id = True
    day = hire_day(c, ms, me)
    # returners: a past leaver re-joins (same SWE number, new spells)
    want_ret = 0.06 + (0.4 if c.n_returners < 3 and progress > 0.3 else 0.0)
    pool = [q for q in c.leaver_pool if q.left_on is not None and q.left_on < ms - 120
            and careers.accepts(post, q.spells[-1].grade if q.spells[-1].grade != "ASYE" else "SW")]
    if pool and u < want_ret:
        p = c.pick(pool)
        c.leaver_pool.remove(p)
        grade = p.spells[-1].grade if post.grade in ("SW", "SSW") else post.grade
        grade = "SW" if grade == "ASYE" else grade
        origin = c.pick((2, 2, 4, 8))
        new_id = c.u() < 0.5
        c.n_returners += 1
    else:
        want_conv = 0.06 + (0.6 if c.n_converts < 3 and progress > 0.1 else 0.0)
        convertible = [a for a in agency.active_assignments(c) if a.start < ms - 60
                       and not a.person.la and a.role in (4, 5)]
        if not newly_qualified and post.grade in ("SW", "SSW") and convertible \
                and c.u() < want_conv:
            a = c.pick(convertible)
            gap = c.randint(0, 14)
            day = max(day, ms + gap + 1)
            agency.end_assignment(a, day - 1 - gap)
            p = a.person
            origin = 5
            c.n_converts += 1
            if a.post is not None and not a.post.holders and not a.post.removed \
                    and a.post.role in (4, 5):
                post = a.post
            grade = "SSW" if post.grade == "SSW" else "SW"
        else:
            if newly_qualified:
                grade, origin = "ASYE", 1
            else:
                share = 0.15 if c.n_overseas >= 3 or progress < 0.2 else 0.6
                overseas = post.grade in ("SW", "SSW") and c.u() < share
                c.n_overseas += overseas
                origin = 3 if overseas else c.ch["origin"](c.u())
            p = people.new_person(c, grade, day, overseas=overseas)
    if post.agency is not None:
        agency.end_assignment(post.agency, day - 1)
    careers.start_employment(c, p, day, origin, new_id)
    contract_type = "FIXED_TERM" if c.u() < 0.07 else "PERMANENT"
    careers.open_spell(c, p, post, post.team, post.role, grade, contract_type, careers.fte_for(c, post), day)
    busy.add(p.key)


def hire_day(c: Council, ms: int, me: int) -> int:
    """A starting day in the month: often its first weekday, else any weekday."""
    if c.u() < 0.3:
        return to_weekday(ms, ms, me)
    return to_weekday(c.randint(ms, me), ms, me)
