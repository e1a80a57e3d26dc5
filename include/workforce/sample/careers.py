"""Careers: each LA employee's spells in post, and how they move, progress and leave.

A spell is one person in one post (or, for a casual worker, in a team) on the same grade and
terms; a change of any of these closes it and opens the next. Opening a spell schedules its
future: ASYE progression after a year, SW to SSW progression for some, the end of a fixed
term, retirement at 66. Each month (called from ``council``) people leave, move internally,
are promoted into vacant posts, or take a small second post. Starters — and returners — are in
``starters``. Feeds ``hr_workers`` (one row per spell: post, team, grade, contract, FTE, dates,
leaving reason and destination, origin, KSS status), and through the spells' grade, salary and
dates ``payroll_lines``, ``hr_exit_interviews`` and the caseloads of ``cases``.
"""

from __future__ import annotations

import numpy as np

from workforce.sample import agency, establishment, people
from workforce.sample.days import OPEN, month_of
from workforce.sample.reference import GRADE_RANK, JOB_TITLES, KSS, PART_TIME_FTE, SALARY
from workforce.sample.state import Council, Person, Post, Spell, Team
from workforce.sample.tables import Table, column, fmt_dec, int_array, int_code, iso_array


def salary(c: Council, grade: str) -> float:
    """Full-time basic pay for ``grade`` at end-of-history rates (``payroll`` discounts it)."""
    lo, hi = SALARY[grade]
    return round(lo + (hi - lo) * c.u(), -1)


def schedule(c: Council, day: int, kind: str, spell: Spell) -> None:
    """Put a future event of ``spell`` ("prog", "ftend" or "retire") in its month's queue."""
    if day > c.h1:
        return
    c.events.setdefault(month_of(day), []).append((day, kind, spell))


def open_spell(c: Council, p: Person, post: Post | None, team: Team, role: int, grade: str,
               contract_type: str, fte: float, start: int, prev: Spell | None = None) -> Spell:
    """Start a spell (after ``prev``, which it continues, when given) and schedule its events."""
    same_post = prev is not None and post is not None and prev.post is post
    kss = KSS[grade] if c.u() > 0.04 else None
    title = JOB_TITLES[grade]
    if team.area == "Fostering" and grade in ("SW", "SSW"):
        title = "Supervising Social Worker"
    if grade == "SM" and role == 1:
        title = "Head of Service"
    spell = Spell(
        person=p, emp_id=p.emp_id, post=post, team=team, role=role, grade=grade,
        contract=contract_type, fte=fte, start=start, service_start=p.service_start,
        origin=p.origin, kss=kss, title=title,
        salary=prev.salary if (prev is not None and prev.grade == grade) else salary(c, grade),
        supplement=(grade in ("SSW", "TM") and team.area in ("Front Door", "Assessment",
                    "Safeguarding") and c.u() < 0.5),
        post_since=prev.post_since if prev is not None and same_post else start,
    )
    if prev is not None and prev.grade == grade:
        spell.supplement = prev.supplement
    c.spells.append(spell)
    p.spells.append(spell)
    p.open.append(spell)
    if post is not None:
        post.holders.append(spell)
    c.active[p.key] = p
    # future events of this spell
    if grade == "ASYE":
        schedule(c, not_first(start + 365), "prog", spell)
    elif grade == "SW" and contract_type == "PERMANENT" and role == 5 and c.u() < 0.45:
        schedule(c, not_first(start + c.randint(700, 1500)), "prog", spell)
    if contract_type == "FIXED_TERM":
        schedule(c, start + c.randint(180, 540), "ftend", spell)
    retire = int(p.dob + 66 * 365.25)
    if retire > start:
        schedule(c, retire, "retire", spell)
    return spell


def not_first(day: int) -> int:
    """A new spell opening the day after another closes must not open on the 1st:
    the closed spell would end on a month-end and the person would look absent there."""
    return day + 1 if month_of(day - 1) != month_of(day) else day


def close_spell(c: Council, spell: Spell, end: int) -> None:
    spell.end = end
    p = spell.person
    p.open.remove(spell)
    if spell.post is not None:
        spell.post.holders.remove(spell)
        if not spell.post.holders:
            spell.post.vacant_since = end + 1
    if not p.open:
        c.active.pop(p.key, None)


def leave(c: Council, p: Person, day: int, reason: int | None = None) -> None:
    """``p`` leaves the council on ``day``: every open spell closes with a reason and destination."""
    if reason is None:
        reason = 5 if (people.age_on(p, day) >= 58 and c.u() < 0.5) else c.ch["reason"](c.u())
    dest = 8 if reason in (5, 6) else c.ch["dest"](c.u())
    for spell in list(p.open):
        spell.leaving, spell.reason, spell.dest = day, reason, dest
        close_spell(c, spell, day)
    p.left_on = day
    if reason in (1, 7, 8, 9) and people.age_on(p, day) < 60:
        c.leaver_pool.append(p)


def start_employment(c: Council, p: Person, start: int, origin: int | None, new_id: bool) -> None:
    """``p`` becomes (or again becomes) an LA employee from ``start``, with a new employee id if asked."""
    if new_id or not p.emp_id:
        p.emp_id = c.unique("E", 6)
    p.la = True
    p.service_start = start
    p.origin = origin
    p.left_on = None


def fte_for(c: Council, post: Post | None) -> float:
    """The FTE a new holder works: a part-time post's budget, else mostly full time."""
    if post is not None and post.budget < 1:
        return post.budget
    return 1.0 if c.u() > 0.055 else c.pick(PART_TIME_FTE)


def leave_weight(c: Council, p: Person, day: int) -> float:
    """How likely ``p`` is to be among the month's leavers, relative to others."""
    w = 1.0
    tenure = day - p.service_start
    if tenure < 365:
        w *= 2.3
    elif tenure < 730:
        w *= 1.4
    grade = p.open[0].grade
    if grade in ("TM", "SM"):
        w *= 0.7
    if people.age_on(p, day) >= 60:
        w *= 2.0
    if len(p.open) > 1:
        w *= 0.4
    if p.open[0].contract == "CASUAL":
        w *= 1.5
    return w


def internal_move(c: Council, ms: int, me: int, busy: set[int],
                  target: Post | None = None) -> None:
    """Someone moves to a vacant post in another team (or into ``target``), perhaps a promotion."""
    cands = [p for p in c.active.values() if p.key not in busy and len(p.open) == 1
             and p.open[0].contract == "PERMANENT" and p.open[0].post is not None
             and p.open[0].grade != "ASYE" and p.open[0].start <= ms - 270]
    if not cands:
        return
    if target is None:
        p = c.pick(cands)
        cur = p.open[0]
        posts = [q for q in c.posts if not q.removed and not q.holders and q.since < ms
                 and q.team is not cur.team and accepts(q, cur.grade)]
        if not posts:
            return
        promos = [q for q in posts if GRADE_RANK[q.grade] > GRADE_RANK[cur.grade]]
        target = c.pick(promos) if promos and c.u() < 0.4 else c.pick(posts)
    else:
        eligible = [p for p in cands if accepts(target, p.open[0].grade)
                    and GRADE_RANK[target.grade] >= GRADE_RANK[p.open[0].grade]
                    and p.open[0].post is not target]
        if not eligible:
            return
        same_area = [p for p in eligible if p.open[0].team.area == target.team.area]
        p = c.pick(same_area or eligible)
        cur = p.open[0]
    t = not_first(c.randint(ms + 1, me))
    grade = target.grade if target.grade in ("AP", "TM", "SM", "IRO") else (
        "SSW" if target.grade == "SSW" else cur.grade)
    fte = min(cur.fte, target.budget) if target.budget < 1 else cur.fte
    close_spell(c, cur, t - 1)
    if target.agency is not None:
        agency.end_assignment(target.agency, t - 1)
    open_spell(c, p, target, target.team, target.role, grade, "PERMANENT", fte, t, prev=cur)
    busy.add(p.key)


def accepts(post: Post, grade: str) -> bool:
    """Whether someone of ``grade`` may be appointed to ``post``."""
    g = post.grade
    if g in ("SW", "SSW"):
        return grade in ("SW", "SSW")
    if g == "AP":
        return grade in ("SSW", "AP")
    if g == "IRO":
        return grade in ("SSW", "AP", "IRO")
    if g == "TM":
        return grade in ("SSW", "AP", "TM", "IRO")
    return grade in ("TM", "SM")


def second_post(c: Council, ms: int, me: int, busy: set[int]) -> None:
    """A part-timer takes on a small additional fostering post, funded for them."""
    cands = [p for p in c.active.values() if p.key not in busy and len(p.open) == 1
             and p.open[0].fte <= 0.6 and p.open[0].contract == "PERMANENT"
             and p.open[0].grade in ("SW", "SSW") and p.open[0].start < ms]
    if not cands:
        return
    p = c.pick(cands)
    fost = c.teams_in("Fostering")
    day = c.randint(ms, me)
    post = establishment.new_post(c, c.pick(fost), 6, "SW", 0.4, day)  # an additional funded post
    open_spell(c, p, post, post.team, 6, p.open[0].grade, "PERMANENT",
               round(min(0.4, 1 - p.open[0].fte), 1), day)
    busy.add(p.key)


# -- the month's career events (called from ``council`` in this order) ----------------------
def run_events(c: Council, mi: int, busy: set[int]) -> int:
    """The month's scheduled events of open spells: progression, end of a fixed term, retirement.

    Returns how many people left because of them (they count towards the month's leavers)."""
    forced = 0
    for day, kind, spell in sorted(c.events.pop(mi, []), key=lambda e: (e[0], e[1], e[2].start)):
        p = spell.person
        if spell.end != OPEN or spell not in p.open or p.key in busy:
            continue
        if kind == "retire":
            leave(c, p, day, reason=5)
            forced += 1
        elif kind == "ftend":
            if c.u() < 0.5:
                leave(c, p, day, reason=c.pick((8, 8, 1)))
                forced += 1
            else:
                t = not_first(day)
                close_spell(c, spell, t - 1)
                open_spell(c, p, spell.post, spell.team, spell.role, spell.grade,
                           "PERMANENT", spell.fte, t, prev=spell)
        elif kind == "prog" and len(p.open) == 1:
            new_grade = "SW" if spell.grade == "ASYE" else "SSW"
            close_spell(c, spell, day - 1)
            open_spell(c, p, spell.post, spell.team, spell.role, new_grade,
                       spell.contract, spell.fte, day, prev=spell)
        busy.add(p.key)
    return forced


def leavers(c: Council, n_leave: int, ms: int, me: int, busy: set[int]) -> None:
    """``n_leave`` people leave in the month, drawn by ``leave_weight`` from those in post before it."""
    cands = [p for p in c.active.values() if p.key not in busy
             and all(s.start < ms for s in p.open)]
    if cands and n_leave:
        w = np.array([leave_weight(c, p, ms) for p in cands])
        idx = c.rng.choice(len(cands), size=min(n_leave, len(cands)), replace=False,
                           p=w / w.sum())
        for i in sorted(idx.tolist()):
            p = cands[i]
            day = me if c.u() < 0.2 else c.randint(ms, me)
            leave(c, p, day)
            busy.add(p.key)


def moves(c: Council, n_move: int, ms: int, me: int, busy: set[int]) -> None:
    """``n_move`` internal moves, then managers' and specialists' posts long vacant filled from within."""
    for _ in range(n_move):
        internal_move(c, ms, me, busy)
    for post in c.posts:
        if (post.role in (1, 2, 3) or post.grade in ("AP", "IRO")) and not post.holders \
                and not post.removed and post.vacant_since < ms - 30 and c.u() < 0.3:
            internal_move(c, ms, me, busy, target=post)


def census_items(spells: list[Spell]) -> dict:
    """The optional census columns (issue 14): sex, qualification level, Step Up and Frontline
    flags per person, the spell's base salary. Drawn from a generator of their own, seeded by the
    person, so adding them moved no other value of the sample."""
    people: dict[int, tuple[str, str, str, str]] = {}
    for s in spells:
        p = s.person
        if p.key in people:
            continue
        rng = np.random.default_rng([14, p.key, int("".join(ch for ch in p.swe if ch.isdigit()) or 0)])
        u = rng.random(4)
        sex = {"1": "M", "2": "F"}.get(p.gender) or ("F" if u[0] < 0.8 else "M")
        qual = "1" if u[1] < 0.45 else "2" if u[1] < 0.9 else "3"
        route = "S" if u[2] < 0.04 else "F" if u[2] < 0.10 else ""
        people[p.key] = (sex, qual, "Y" if route == "S" else "N", "Y" if route == "F" else "N")
    return {
        "census_sex": column(people[s.person.key][0] for s in spells),
        "qual_level": column(people[s.person.key][1] for s in spells),
        "step_up_grad": column(people[s.person.key][2] for s in spells),
        "frontline_grad": column(people[s.person.key][3] for s in spells),
        "base_salary_gbp": column(fmt_dec(s.salary, 2) for s in spells),
    }


def hr_workers_table(spells: list[Spell]) -> Table:
    start = int_array(s.start for s in spells)
    end = int_array(s.end for s in spells)
    leaving = int_array(s.leaving for s in spells)
    return Table("hr_workers", {
        "employee_id": column(s.emp_id for s in spells),
        "swe_registration": column(s.person.swe for s in spells),
        "full_name": column(f"{s.person.first} {s.person.last}" for s in spells),
        "date_of_birth": iso_array(int_array(s.person.dob for s in spells)),
        "gender": column(s.person.gender for s in spells),
        "ethnicity": column(s.person.eth for s in spells),
        "spell_id": column(s.sid for s in spells),
        "post_id": column(s.post.pid if s.post else None for s in spells),
        "team_code": column(s.team.code for s in spells),
        "job_title": column(s.title for s in spells),
        "org_role": int_code(s.role for s in spells),
        "career_grade": column(s.grade for s in spells),
        "contract_type": column(s.contract for s in spells),
        "fte": column(fmt_dec(s.fte) for s in spells),
        "spell_start_date": iso_array(start),
        "spell_end_date": iso_array(end),
        "la_service_start_date": iso_array(int_array(s.service_start for s in spells)),
        "leaving_date": iso_array(leaving),
        "leaving_reason": int_code(s.reason for s in spells),
        "leaver_destination": int_code(s.dest for s in spells),
        "start_origin": int_code(s.origin for s in spells),
        "kss_status": int_code(s.kss for s in spells),
        "is_overseas_recruit": column("Y" if s.person.overseas else "N" for s in spells),
        **census_items(spells),
    }, since=start, blanks=((end, ("spell_end_date",)),
                            (leaving, ("leaving_date", "leaving_reason", "leaver_destination"))))
