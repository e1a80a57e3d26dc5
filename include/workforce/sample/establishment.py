"""The establishment: teams of each service area and the funded posts in them, over time.

Sizes the council from ``SampleConfig.la_workers`` — the number of teams, heads of service,
service managers, a team manager per team and practitioner posts, funded so that about a fifth
of the FTE is vacant — then, month by month (called from ``council``), adds, removes and
re-budgets posts. Feeds ``hr_teams`` (the teams) and ``hr_establishment`` (one row per post and
budget, dated); the department tree of ``ssd_department`` is built from the teams in ``cms``.
"""

from __future__ import annotations

import numpy as np

from workforce.sample.days import OPEN, month_of, parse_day
from workforce.sample.reference import AREAS, LOCALITIES
from workforce.sample.state import BudgetRow, Council, Post, Team
from workforce.sample.tables import Table, column, fmt_dec, int_array, int_code, iso_array


def build_structure(c: Council) -> None:
    """The teams and the posts funded at the start of the history (some filled later)."""
    cfg = c.cfg
    n_teams = int(min(35, max(9, round(cfg.la_workers / 11.3))))
    base = {a: AREAS[a][0] for a in AREAS}
    total = sum(base.values())
    counts = {a: max(1, round(base[a] * n_teams / total)) for a in AREAS}
    code = 0
    for area, n in counts.items():
        locs = ("Countywide",) if n == 1 else LOCALITIES[:n] if n <= len(LOCALITIES) else None
        for i in range(n):
            code += 1
            if n == 1:
                name, loc = area, "Countywide"
            elif locs is not None:
                name, loc = f"{area} {locs[i]}", locs[i]
            else:
                loc = LOCALITIES[i % len(LOCALITIES)]
                name = f"{area} {loc} {i // len(LOCALITIES) + 1}"
            c.teams.append(Team(f"T{code:02d}", name, area, loc))

    # Establishment: sized so that, with the headcount held near la_workers, about a
    # fifth of the funded FTE is vacant (DfE's vacancy rate for a typical county).
    target_fte = cfg.la_workers * 1.18
    first_teams: dict[str, Team] = {}
    for t in c.teams:
        first_teams.setdefault(t.area, t)
    mgmt: list[tuple[Team, int, str]] = []
    n_heads = 1 if cfg.la_workers < 200 else 2
    for area in ("Safeguarding", "Children in Care")[:n_heads]:
        mgmt.append((first_teams[area], 1, "SM"))
    n_sm = int(min(9, max(1, round(n_teams / 3.4))))
    by_size = sorted(AREAS, key=lambda a: (-counts[a], list(AREAS).index(a)))
    for area in by_size[:n_sm]:
        mgmt.append((first_teams[area], 2, "SM"))
    for t in c.teams:
        mgmt.append((t, 3, "TM"))
    est_start = c.h0 - 365 * 3
    first_from = [parse_day(f"{y}-04-01") for y in range(month_of(est_start) // 12 - 6,
                                                         month_of(est_start) // 12 + 1)]
    for team, role, grade in mgmt:
        new_post(c, team, role, grade, 1.0, c.pick(first_from))
    prac_fte = target_fte * 0.95 - len(mgmt)
    weights = np.array([AREAS[t.area][1] for t in c.teams])
    per_team = np.floor(weights / weights.sum() * prac_fte / 0.95 + c.rng.random(len(weights)))
    for team, n in zip(c.teams, per_team.astype(int), strict=True):
        n_ap = round(0.12 * n) if team.cases else 0
        for i in range(int(n)):
            budget = 1.0
            if c.u() < 0.09:
                budget = c.pick((0.5, 0.6, 0.8))
            if team.area == "Quality Assurance":
                role, grade = 6, "IRO"
            elif team.area == "Fostering":
                role, grade = 6, ("SSW" if c.u() < 0.35 else "SW")
            elif i < n_ap:
                role, grade, budget = 4, "AP", 1.0
            else:
                role, grade = 5, ("SSW" if c.u() < 0.35 else "SW")
            post = new_post(c, team, role, grade, budget, c.pick(first_from))
            post.ap_cases = role == 4 and c.u() < 0.45


def new_post(c: Council, team: Team, role: int, grade: str, budget: float, since: int) -> Post:
    c.n_posts += 1
    post = Post(f"PST{c.n_posts:05d}", team, role, grade, budget, since)
    c.posts.append(post)
    return post


def vacancy_fte(c: Council, day: int) -> float:
    """Funded FTE on ``day`` that nobody employed holds."""
    total = 0.0
    for post in c.posts:
        if post.removed or post.since > day:
            continue
        total += max(0.0, post.budget - sum(s.fte for s in post.holders))
    return total


def plan_changes(c: Council) -> dict[int, list[str]]:
    """The months (after the first) in which a post is added, removed or re-budgeted."""
    cfg = c.cfg
    est_months = [m for m in range(c.start_mi + 1, c.end_mi + 1)]
    n_posts = len(c.posts)
    changes: dict[int, list[str]] = {}
    n_rem = max(3, round(0.02 * n_posts * cfg.history_years / 8))
    n_add = max(3, round(0.05 * n_posts)) + n_rem
    n_bud = max(3, round(0.02 * n_posts * cfg.history_years / 8))
    for kind, n in (("add", n_add), ("remove", n_rem), ("budget", n_bud)):
        for m in c.rng.choice(est_months, size=n, replace=True):
            changes.setdefault(int(m), []).append(kind)
    return changes


def change_establishment(c: Council, kind: str, ms: int, me: int) -> None:
    """One change to the establishment in the month: a post "add"ed, one "remove"d, or a new "budget"."""
    day = c.randint(ms, me - 1)  # never a month-end: rows must not leave a gap on one
    if kind == "add":
        team = c.pick(c.case_teams())
        new_post(c, team, 5, "SW", 1.0, c.randint(ms, me))
        return
    vacant = [p for p in c.posts if not p.removed and not p.holders and p.agency is None
              and p.role in (4, 5, 6) and p.since < ms and p.rows[-1].effective_from < ms]
    if not vacant:
        return
    post = c.pick(vacant)
    if kind == "remove":
        post.rows[-1].effective_to = day
        post.removed = True
    else:
        new_budget = 1.0 if post.budget < 1 else c.pick((0.8, 0.6, 0.5))
        post.rows[-1].effective_to = day
        post.rows.append(BudgetRow(day + 1, OPEN, new_budget))


def hr_teams_table(teams: list[Team]) -> Table:
    return Table("hr_teams", {
        "team_code": column(t.code for t in teams),
        "team_name": column(t.name for t in teams),
        "service_area": column(t.area for t in teams),
        "locality": column(t.locality for t in teams),
    })


def hr_establishment_table(posts: list[Post]) -> Table:
    est = [(p, row) for p in sorted(posts, key=lambda p: p.pid) for row in p.rows]
    est_from = int_array(r.effective_from for _, r in est)
    est_to = int_array(r.effective_to for _, r in est)
    return Table("hr_establishment", {
        "post_id": column(p.pid for p, _ in est),
        "team_code": column(p.team.code for p, _ in est),
        "org_role": int_code(p.role for p, _ in est),
        "career_grade": column(p.grade for p, _ in est),
        "budgeted_fte": column(fmt_dec(r.budgeted_fte) for _, r in est),
        "effective_from": iso_array(est_from),
        "effective_to": iso_array(est_to),
    }, since=est_from, blanks=((est_to, ("effective_to",)),))
