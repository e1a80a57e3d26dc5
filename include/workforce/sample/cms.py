"""The case-management system's view: its department tree, its professionals and involvements.

The CMS names teams in its own tree (the council, the service areas, the teams, and a few
units HR has no posts for), knows each professional by its own id with the SWE number as
typed in (sometimes lower-case or spaced), and shows each on the day with their current team,
job title, FTE and the number of children allocated to them. Feeds ``ssd_department``,
``ssd_involvements`` (from the history of ``cases``) and ``ssd_professionals``.
"""

from __future__ import annotations

import numpy as np

from workforce.sample.cases import CmsOnly
from workforce.sample.days import OPEN
from workforce.sample.reference import AREAS, FIRST_NAMES, LAST_NAMES
from workforce.sample.state import Assign, Council, Spell, Team
from workforce.sample.tables import Table, column, fmt_dec, int_array, iso_array
from workforce.spec import contract

INVOLVEMENT_COLUMNS = ("prof", "role", "team", "start", "end", "reason", "child", "ref")

# (id, name, parent id, parent name) of a unit of the CMS's department tree
Department = tuple[str, str, str | None, str | None]
# A professional's engagement as the CMS shows it: (start, end, team code, fte, job title,
# HR employee id or None, "Y" for an agency worker else "N")
Engagement = tuple[int, int, str, float, str, str | None, str]


def departments(teams: list[Team]) -> list[Department]:
    """Each unit, sorted by id."""
    area_ids = {a: f"SA{i}" for i, a in enumerate(AREAS, 1)}
    dept: list[Department] = [("CSC", "Children's Social Care", None, None)]
    dept += [(area_ids[a], a, "CSC", "Children's Social Care") for a in AREAS]
    dept += [(t.code, t.name, area_ids[t.area], t.area) for t in teams]
    dept += [("EDT", "Emergency Duty Team", area_ids["Front Door"], "Front Door"),
             ("FSS", "Family Support Service", area_ids["Safeguarding"], "Safeguarding"),
             ("STU", "Student Social Work Unit", area_ids["Quality Assurance"], "Quality Assurance")]
    dept.sort(key=lambda r: r[0])
    return dept


def ssd_department_table(teams: list[Team]) -> Table:
    dept = departments(teams)
    return Table("ssd_department", {
        "dept_team_id": column(r[0] for r in dept),
        "dept_team_name": column(r[1] for r in dept),
        "dept_team_parent_id": column(r[2] for r in dept),
        "dept_team_parent_name": column(r[3] for r in dept),
    })


def professional_ids(c: Council, unmatched: list[CmsOnly]) -> dict[int, str]:
    """The CMS's id of everyone who ever worked (and of the CMS-only professionals), by key."""
    prof_ids: dict[int, str] = {}
    for p in c.people:
        if p.spells or p.assignments:
            p.prof_id = c.unique("P", 5)
            prof_ids[p.key] = p.prof_id
    for extra in unmatched:
        extra.prof_id = c.unique("P", 5)
        prof_ids[extra.key] = extra.prof_id
    return prof_ids


def involvements(cases: dict[str, np.ndarray], last_day: int) -> dict[str, np.ndarray]:
    """The involvements that start by ``last_day``, in order of start (stable)."""
    keep = cases["start"] <= last_day
    order_idx = np.argsort(cases["start"][keep], kind="stable")
    return {k: cases[k][keep][order_idx] for k in INVOLVEMENT_COLUMNS}


def ssd_involvements_table(inv: dict[str, np.ndarray], prof_ids: dict[int, str]) -> Table:
    n_inv = len(inv["prof"])
    return Table("ssd_involvements", {
        "invo_involvements_id": column(f"INV{i:08d}" for i in range(1, n_inv + 1)),
        "invo_professional_id": column(prof_ids[k] for k in inv["prof"].tolist()),
        "invo_professional_role_id": inv["role"],
        "invo_professional_team": inv["team"],
        "invo_involvement_start_date": iso_array(inv["start"]),
        "invo_involvement_end_date": iso_array(inv["end"]),
        "invo_worker_change_reason": inv["reason"],
        "invo_person_id": inv["child"],
        "invo_referral_id": inv["ref"],
    }, since=inv["start"], blanks=((inv["end"], ("invo_involvement_end_date",
                                                 "invo_worker_change_reason")),))


class Professionals:
    """``ssd_professionals``: one row per professional, as the CMS shows them on the day.

    Not a ``Table``: a row's team, title, FTE and caseload change over time, so ``snapshot``
    works them out for the extract date from each professional's engagements.
    """

    name = "ssd_professionals"

    def __init__(self, c: Council, spells: list[Spell], assigns: list[Assign], unmatched: list[CmsOnly],
                 inv: dict[str, np.ndarray]):
        engagements: dict[int, list[Engagement]] = {}
        for s in spells:
            engagements.setdefault(s.person.key, []).append(
                (s.start, s.end, s.team.code, s.fte, s.title, s.emp_id, "N"))
        for a in assigns:
            engagements.setdefault(a.person.key, []).append(
                (a.start, a.end, a.team.code, a.fte, "Agency " + ("Team Manager" if a.role == 3 else
                 "Independent Reviewing Officer" if a.role == 6 else "Social Worker"), None, "Y"))
        profs: list[tuple[str, str, str | None, list[Engagement], int]] = []  # id, name, SWE, engagements, key
        for p in c.people:
            if p.key not in engagements:
                continue
            swe = p.swe
            if p.swe_style == 1:
                swe = swe.lower()
            elif p.swe_style == 2:
                swe = f"{swe[:2]} {swe[2:]}"
            profs.append((p.prof_id, f"{p.first} {p.last}", swe, sorted(engagements[p.key]), p.key))
        for extra in unmatched:
            kind = extra.kind
            first, last = c.pick(FIRST_NAMES), c.pick(LAST_NAMES)
            extra_swe: str | None
            if kind == "student":
                title, extra_swe = "Student Social Worker", None
            elif kind == "locum":
                title, extra_swe = "Social Worker (other authority)", c.unique("SW", 6)
            else:
                title, extra_swe = "Family Support Worker", None
            profs.append((extra.prof_id, f"{first} {last}", extra_swe,
                          [(extra.start, OPEN, extra.team, 1.0, title, None, "N")], extra.key))
        profs.sort(key=lambda r: r[0])
        prof_index = {r[4]: i for i, r in enumerate(profs)}
        self.profs = profs
        self.inv = inv
        self.inv_prof_pos = int_array(prof_index[k] for k in inv["prof"].tolist())
        self.cw = np.isin(np.char.upper(inv["role"].astype(str)),
                          [r.upper() for r in contract.ALLOCATED_CASE_WORKER_ROLES])
        self.team_names = {r[0]: r[1] for r in departments(c.teams)}

    def snapshot(self, d: int) -> dict[str, np.ndarray]:
        inv = self.inv
        open_cw = self.cw & (inv["start"] <= d) & (inv["end"] > d)
        counts = np.bincount(self.inv_prof_pos[open_cw], minlength=len(self.profs))
        rows = []
        for i, (pid, name, swe, engs, _key) in enumerate(self.profs):
            known = [e for e in engs if e[0] <= d]
            if not known:
                continue
            current = [e for e in known if e[1] > d]
            shown = current[-1] if current else known[-1]
            fte = sum(e[3] for e in current) if current else shown[3]
            staff = next((e[5] for e in reversed(known) if e[5]), None)
            rows.append((pid, staff, name, swe, shown[4], str(int(counts[i])),
                         self.team_names.get(shown[2], shown[2]), fmt_dec(min(fte, 1.0)), shown[6]))
        names = contract.export("ssd_professionals").column_names
        return {n: column(r[j] for r in rows) for j, n in enumerate(names)}
