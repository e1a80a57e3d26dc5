"""Synthetic sample exports of a plausible council, in the layout of export contract v1.

One "true" history of a council's children's social work workforce is simulated over
``history_years`` years ending at ``end_month``: teams and funded posts, LA-employed staff
(starters, leavers, internal moves, promotions, returners, part-timers with two posts),
agency assignments, absences, payroll, case allocations to children and the case-management
system's view of its professionals. Each of the last ``extracts`` month-ends is then written
as the source systems would have exported it on that day: nothing dated after the extract
date, spells, assignments, absences and allocations still open on it left open.

Levels sit near a typical shire county in DfE's published Indicators file (the default is
close to Devon, the demo council): about 350 social workers in post, 14-18% turnover, a
20-28% agency rate, a 15-25% vacancy rate, 15-19 cases per case holder and a 2.5-4.5%
sickness absence rate, at every month-end.

Everything is driven by one ``numpy.random.default_rng(seed)``; the clock is never read, so
the same ``SampleConfig`` writes byte-identical files. The data is synthetic: the names,
numbers and dates of birth belong to nobody. A ``SAMPLE_DATA.json`` marker in the landing
folder says so; the generator refuses to write into a non-empty folder without it.
"""

from __future__ import annotations

import bisect
import io
import json
import re
import shutil
import zipfile
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass
from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd

from workforce.config import SAMPLE_MARKER
from workforce.spec import contract

__all__ = ["SampleConfig", "generate_sample"]

SAMPLE_NOTE = "synthetic sample data - not real people"


@dataclass(frozen=True)
class SampleConfig:
    seed: int = 20260930
    end_month: str = "2026-09"  # last extract month (YYYY-MM); fixed so output is deterministic
    history_years: int = 8
    la_workers: int = 350  # approx LA-employed social workers in post at any time
    agency_workers: int = 120  # approx agency workers engaged at any time
    extracts: int = 12  # monthly extracts (month-end snapshots) ending at end_month
    xlsx_exports: tuple[str, ...] = ("hr_teams", "hr_establishment")  # the rest are .csv
    include_optional: tuple[str, ...] | None = None  # None = every optional export


# ----------------------------------------------------------------------------------------
# Calendar: a day is an int (days since 1970-01-01); a month is year * 12 + month - 1.
# ----------------------------------------------------------------------------------------
OPEN = 10_000_000  # end of an open interval (far beyond any extract date)


def _day(text: str) -> int:
    return int(np.datetime64(text, "D").astype(np.int64))


def _iso(day: int) -> str:
    return str(np.datetime64(int(day), "D"))


@cache
def _month_start(mi: int) -> int:
    year, month0 = divmod(mi, 12)
    return _day(f"{year:04d}-{month0 + 1:02d}-01")


def _month_end(mi: int) -> int:
    return _month_start(mi + 1) - 1


@cache
def _month_of(day: int) -> int:
    return int(np.datetime64(int(day), "D").astype("datetime64[M]").astype(np.int64)) + 1970 * 12


def _period(mi: int) -> str:
    year, month0 = divmod(mi, 12)
    return f"{year:04d}-{month0 + 1:02d}"


def _is_month_end(day: int) -> bool:
    return _month_of(day + 1) != _month_of(day)


def _weekdays(first: int, last: int) -> int:
    """Monday-to-Friday days from first to last inclusive (0 if last < first)."""
    if last < first:
        return 0
    full, rest = divmod(last - first + 1, 7)
    start_wd = (first + 3) % 7  # 1970-01-01 was a Thursday; Monday = 0
    return full * 5 + sum(1 for i in range(rest) if (start_wd + i) % 7 < 5)


def _nth_weekday(start: int, n: int) -> int:
    """Date of the n-th weekday counting ``start`` (a weekday) as the first."""
    return int(np.busday_offset(np.datetime64(int(start), "D"), n - 1, roll="forward")
               .astype(np.int64))


def _to_weekday(day: int, lo: int, hi: int) -> int:
    """Move a weekend day to the Monday after (or the Friday before if past ``hi``)."""
    wd = (day + 3) % 7
    if wd < 5:
        return day
    nxt = day + (7 - wd)
    if nxt <= hi:
        return nxt
    prev = day - (wd - 4)
    return prev if prev >= lo else day


# ----------------------------------------------------------------------------------------
# Reference lists (all invented; no real people or agencies)
# ----------------------------------------------------------------------------------------
FIRST_NAMES = (
    "Olivia", "Amelia", "Isla", "Ava", "Mia", "Sophie", "Grace", "Emily", "Lily", "Freya",
    "Charlotte", "Jessica", "Hannah", "Chloe", "Lucy", "Sarah", "Rebecca", "Laura", "Rachel",
    "Emma", "Amy", "Helen", "Claire", "Priya", "Aisha", "Fatima", "Chipo", "Tendai", "Joanna",
    "Nicola", "Karen", "Louise", "James", "Oliver", "Jack", "Harry", "George", "Thomas",
    "Daniel", "Samuel", "Mohammed", "Tunde", "Ravi", "David", "Michael", "Joseph", "Adam",
    "Kwame", "Peter", "Mark",
)
LAST_NAMES = (
    "Smith", "Jones", "Taylor", "Brown", "Williams", "Wilson", "Johnson", "Davies", "Robinson",
    "Wright", "Thompson", "Evans", "Walker", "White", "Roberts", "Green", "Hall", "Wood",
    "Jackson", "Clarke", "Patel", "Khan", "Lewis", "James", "Phillips", "Mason", "Mitchell",
    "Rose", "Davis", "Rodriguez", "Cox", "Alexander", "Moyo", "Okafor", "Sharma", "Nowak",
    "Kowalski", "Murphy", "Kelly", "Hughes", "Edwards", "Harris", "Martin", "Cooper", "Ward",
    "Turner", "Parker", "Hill", "Moore", "Baker",
)
AGENCY_NAMES = (
    "Apex Social Care Recruitment", "Brightpath Locums", "Cobalt Care Staffing",
    "Meridian Social Work Ltd", "Tamar Valley Agency", "Harbour People Services",
)
LOCALITIES = ("North", "South", "East", "West", "Central", "Coast", "Moor", "Mid")

# service area: (teams per 30, practitioner posts per team weight, allocated children's cases)
AREAS: dict[str, tuple[int, float, bool]] = {
    "Front Door": (1, 1.0, False),  # MASH: screens contacts, allocates no cases
    "Assessment": (3, 1.0, True),
    "Safeguarding": (8, 1.0, True),
    "Children in Care": (6, 1.0, True),
    "Care Leavers": (3, 0.8, True),
    "Fostering": (3, 0.8, False),
    "Adoption": (2, 0.7, False),
    "Disabled Children": (2, 0.9, True),
    "Quality Assurance": (2, 0.9, False),
}
assert tuple(AREAS) == contract.SERVICE_AREAS

GRADE_RANK = {"ASYE": 0, "SW": 1, "SSW": 2, "AP": 3, "IRO": 3, "TM": 4, "SM": 5}
SALARY = {  # annual full-time basic pay at the end of the history
    "ASYE": (33_500, 36_000), "SW": (38_000, 45_000), "SSW": (45_000, 50_000),
    "AP": (48_000, 53_000), "IRO": (47_000, 52_000), "TM": (52_000, 58_000),
    "SM": (62_000, 82_000),
}
KSS = {"ASYE": 1, "SW": 2, "SSW": 2, "AP": 2, "IRO": 2, "TM": 3, "SM": 4}
AGE_RANGE = {  # age on appointment to a grade
    "ASYE": (23, 40), "SW": (24, 58), "SSW": (28, 60), "AP": (32, 60), "IRO": (35, 61),
    "TM": (32, 60), "SM": (38, 60),
}
ETHNICITY_MAIN = (("WBRI", 80), ("WIRI", 1), ("WOTH", 5), ("MWBC", 2), ("MWBA", 1), ("MWAS", 1),
                  ("MOTH", 1), ("AIND", 2), ("APKN", 1), ("ABAN", 0.5), ("AOTH", 0.5),
                  ("BCRB", 1), ("BAFR", 2), ("BOTH", 0.5), ("CHNE", 0.5), ("OOTH", 0.5),
                  ("REFU", 1), ("NOBT", 1))
ETHNICITY_OVERSEAS = (("BAFR", 45), ("AIND", 15), ("WOTH", 15), ("BOTH", 8), ("OOTH", 7),
                      ("AOTH", 5), ("APKN", 5))
GENDER = (("2", 82), ("1", 16), ("0", 1), ("9", 1))
LEAVING_REASON = ((1, 74), (2, 2), (3, 1), (4, 3), (6, 0.3), (7, 5), (8, 6), (9, 8.7))
DESTINATION = ((1, 30), (2, 4), (3, 12), (4, 18), (5, 5), (6, 4), (7, 6), (8, 16), (9, 5))
ORIGIN_EXPERIENCED = ((2, 45), (4, 14), (5, 12), (6, 5), (7, 6), (8, 6), (9, 10), (10, 2))
EXIT_PRIMARY = (("PAY", 24), ("WORKLOAD", 22), ("CAREER", 15), ("SUPERVISION", 8),
                ("FLEXIBILITY", 9), ("RELOCATION", 8), ("AGENCY", 6), ("PERSONAL", 6),
                ("OTHER", 2))
CHANGE_REASONS = (("MANAGE", 35), ("CHCHAN", 18), ("PCCHAN", 15), ("FCONTA", 10), ("OTHERS", 22))
SIBLINGS = ((1, 62), (2, 22), (3, 11), (4, 5))

# Case phases: service area -> (median days, spread, min, max, next areas with probability)
PHASES: dict[str, tuple[int, float, int, int, tuple[tuple[str, float], ...]]] = {
    "Assessment": (45, 0.4, 10, 110, (("Safeguarding", 0.32), ("Children in Care", 0.07),
                                      ("Disabled Children", 0.04))),
    "Safeguarding": (270, 0.6, 40, 1100, (("Children in Care", 0.1),)),
    "Children in Care": (650, 0.7, 90, 2600, (("Care Leavers", 0.25),)),
    "Care Leavers": (500, 0.5, 90, 1400, ()),
    "Disabled Children": (550, 0.7, 60, 2200, ()),
}
CASES_PER_CAPACITY = 17.5  # children allocated per FTE of full case-holding capacity
CAPACITY = {"ASYE": 0.65, "AP": 0.4}  # protected caseloads; everyone else 1.0

JOB_TITLES = {
    "ASYE": "Social Worker (ASYE)", "SW": "Social Worker", "SSW": "Senior Social Worker",
    "AP": "Advanced Practitioner", "IRO": "Independent Reviewing Officer",
    "TM": "Team Manager", "SM": "Service Manager",
}


class _Choice:
    """Weighted choice from a fixed list, drawing one uniform number."""

    def __init__(self, pairs: Sequence[tuple[object, float]]):
        self.items = [p[0] for p in pairs]
        total = float(sum(p[1] for p in pairs))
        acc, self.cum = 0.0, []
        for _, w in pairs:
            acc += w / total
            self.cum.append(acc)
        self.cum[-1] = 1.0

    def __call__(self, u: float):
        return self.items[bisect.bisect_right(self.cum, u)]


# ----------------------------------------------------------------------------------------
# Simulation state
# ----------------------------------------------------------------------------------------
class _Team:
    __slots__ = ("code", "name", "area", "locality", "cases")

    def __init__(self, code, name, area, locality):
        self.code, self.name, self.area, self.locality = code, name, area, locality
        self.cases = AREAS[area][2]


class _Post:
    __slots__ = ("pid", "team", "role", "grade", "rows", "holders", "agency", "removed",
                 "vacant_since", "ap_cases")

    def __init__(self, pid, team, role, grade, budget, since):
        self.pid, self.team, self.role, self.grade = pid, team, role, grade
        self.rows = [[since, OPEN, budget]]  # effective_from, effective_to, budgeted_fte
        self.holders: list[_Spell] = []
        self.agency: _Assign | None = None
        self.removed = False
        self.vacant_since = since
        self.ap_cases = False

    @property
    def budget(self) -> float:
        return self.rows[-1][2]

    @property
    def since(self) -> int:
        return self.rows[0][0]


class _Person:
    __slots__ = ("key", "swe", "first", "last", "dob", "gender", "eth", "overseas",
                 "emp_id", "open", "service_start", "origin", "spells", "left_on", "la",
                 "assignments", "prof_id", "swe_style")

    def __init__(self, key):
        self.key = key
        self.open: list[_Spell] = []
        self.spells: list[_Spell] = []
        self.assignments: list[_Assign] = []
        self.left_on: int | None = None
        self.la = False
        self.emp_id = ""
        self.service_start = 0
        self.origin: int | None = None
        self.prof_id = ""
        self.swe_style = 0


class _Spell:
    __slots__ = ("person", "emp_id", "post", "team", "role", "grade", "contract", "fte",
                 "start", "end", "service_start", "leaving", "reason", "dest", "origin",
                 "kss", "title", "salary", "supplement", "post_since", "sid")

    def __init__(self, **kw):
        for k, v in kw.items():
            setattr(self, k, v)
        self.end = OPEN
        self.leaving = OPEN
        self.reason = None
        self.dest = None
        self.sid = ""


class _Assign:
    __slots__ = ("person", "agency", "team", "post", "role", "fte", "start", "end", "planned",
                 "cover", "rate", "aid")

    def __init__(self, **kw):
        for k, v in kw.items():
            setattr(self, k, v)
        self.end = OPEN
        self.aid = ""


class _Council:
    """The simulated council; ``run`` builds the whole history."""

    def __init__(self, cfg: SampleConfig):
        self.cfg = cfg
        self.rng = np.random.default_rng(cfg.seed)
        year, month = (int(x) for x in cfg.end_month.split("-"))
        self.end_mi = year * 12 + month - 1
        self.start_mi = self.end_mi - 12 * cfg.history_years + 1
        self.h0 = _month_start(self.start_mi)
        self.h1 = _month_end(self.end_mi)
        self.people: list[_Person] = []
        self.posts: list[_Post] = []
        self.teams: list[_Team] = []
        self.spells: list[_Spell] = []
        self.assigns: list[_Assign] = []
        self.active: dict[int, _Person] = {}  # LA people in post, by key
        self.events: dict[int, list] = {}  # month -> [(day, kind, spell)]
        self.used_numbers: set[str] = set()
        self.leaver_pool: list[_Person] = []
        self.agency_pool: list[_Person] = []  # agency workers not currently engaged
        self.n_returners = 0
        self.n_converts = 0
        self.n_overseas = 0
        self.n_posts = 0
        self.ch = {name: _Choice(pairs) for name, pairs in (
            ("eth", ETHNICITY_MAIN), ("eth_os", ETHNICITY_OVERSEAS), ("gender", GENDER),
            ("reason", LEAVING_REASON), ("dest", DESTINATION), ("origin", ORIGIN_EXPERIENCED),
            ("exit", EXIT_PRIMARY), ("change", CHANGE_REASONS), ("sib", SIBLINGS))}

    # -- random helpers --------------------------------------------------------------------
    def u(self) -> float:
        return float(self.rng.random())

    def randint(self, lo: int, hi: int) -> int:
        """Uniform integer in [lo, hi]."""
        return int(self.rng.integers(lo, hi + 1))

    def pick(self, seq):
        return seq[int(self.rng.integers(len(seq)))]

    def unique(self, prefix: str, digits: int) -> str:
        lo, hi = 10 ** (digits - 1), 10**digits
        while True:
            value = f"{prefix}{int(self.rng.integers(lo, hi))}"
            if value not in self.used_numbers:
                self.used_numbers.add(value)
                return value

    def lognormal_days(self, median: float, sigma: float, lo: int, hi: int) -> int:
        return int(min(hi, max(lo, round(median * float(np.exp(sigma * self.rng.standard_normal()))))))

    # -- structure -------------------------------------------------------------------------
    def build_structure(self) -> None:
        cfg = self.cfg
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
                self.teams.append(_Team(f"T{code:02d}", name, area, loc))

        # Establishment: sized so that, with the headcount held near la_workers, about a
        # fifth of the funded FTE is vacant (DfE's vacancy rate for a typical county).
        target_fte = cfg.la_workers * 1.18
        first_teams = {}
        for t in self.teams:
            first_teams.setdefault(t.area, t)
        mgmt: list[tuple[_Team, int, str]] = []
        n_heads = 1 if cfg.la_workers < 200 else 2
        for area in ("Safeguarding", "Children in Care")[:n_heads]:
            mgmt.append((first_teams[area], 1, "SM"))
        n_sm = int(min(9, max(1, round(n_teams / 3.4))))
        by_size = sorted(AREAS, key=lambda a: (-counts[a], list(AREAS).index(a)))
        for area in by_size[:n_sm]:
            mgmt.append((first_teams[area], 2, "SM"))
        for t in self.teams:
            mgmt.append((t, 3, "TM"))
        est_start = self.h0 - 365 * 3
        first_from = [_day(f"{y}-04-01") for y in range(_month_of(est_start) // 12 - 6,
                                                        _month_of(est_start) // 12 + 1)]
        for team, role, grade in mgmt:
            self.new_post(team, role, grade, 1.0, self.pick(first_from))
        prac_fte = target_fte * 0.95 - len(mgmt)
        weights = np.array([AREAS[t.area][1] for t in self.teams])
        per_team = np.floor(weights / weights.sum() * prac_fte / 0.95 + self.rng.random(len(weights)))
        for team, n in zip(self.teams, per_team.astype(int), strict=True):
            n_ap = round(0.12 * n) if team.cases else 0
            for i in range(int(n)):
                budget = 1.0
                if self.u() < 0.09:
                    budget = self.pick((0.5, 0.6, 0.8))
                if team.area == "Quality Assurance":
                    role, grade = 6, "IRO"
                elif team.area == "Fostering":
                    role, grade = 6, ("SSW" if self.u() < 0.35 else "SW")
                elif i < n_ap:
                    role, grade, budget = 4, "AP", 1.0
                else:
                    role, grade = 5, ("SSW" if self.u() < 0.35 else "SW")
                post = self.new_post(team, role, grade, budget, self.pick(first_from))
                post.ap_cases = role == 4 and self.u() < 0.45

    def new_post(self, team, role, grade, budget, since) -> _Post:
        self.n_posts += 1
        post = _Post(f"PST{self.n_posts:05d}", team, role, grade, budget, since)
        self.posts.append(post)
        return post

    # -- people ----------------------------------------------------------------------------
    def new_person(self, grade: str, day: int, overseas: bool = False) -> _Person:
        p = _Person(len(self.people))
        self.people.append(p)
        p.swe = self.unique("SW", 6)
        p.first, p.last = self.pick(FIRST_NAMES), self.pick(LAST_NAMES)
        lo, hi = AGE_RANGE.get(grade, (24, 58))
        age = lo + (hi - lo) * float(self.rng.beta(1.6, 2.4))
        p.dob = int(day - age * 365.25 - self.randint(0, 364))
        p.gender = self.ch["gender"](self.u())
        p.overseas = overseas
        p.eth = self.ch["eth_os" if overseas else "eth"](self.u())
        s = self.u()
        p.swe_style = 1 if s < 0.06 else 2 if s < 0.11 else 0  # CMS: lower-case / spaced
        return p

    def age_on(self, p: _Person, day: int) -> float:
        return (day - p.dob) / 365.25

    def salary(self, grade: str) -> float:
        lo, hi = SALARY[grade]
        return round(lo + (hi - lo) * self.u(), -1)

    def schedule(self, day: int, kind: str, spell: _Spell) -> None:
        if day > self.h1:
            return
        self.events.setdefault(_month_of(day), []).append((day, kind, spell))

    def open_spell(self, p: _Person, post: _Post | None, team: _Team, role: int, grade: str,
                   contract_type: str, fte: float, start: int, prev: _Spell | None = None) -> _Spell:
        same_post = prev is not None and post is not None and prev.post is post
        kss = KSS[grade] if self.u() > 0.04 else None
        title = JOB_TITLES[grade]
        if team.area == "Fostering" and grade in ("SW", "SSW"):
            title = "Supervising Social Worker"
        if grade == "SM" and role == 1:
            title = "Head of Service"
        spell = _Spell(
            person=p, emp_id=p.emp_id, post=post, team=team, role=role, grade=grade,
            contract=contract_type, fte=fte, start=start, service_start=p.service_start,
            origin=p.origin, kss=kss, title=title,
            salary=prev.salary if (prev is not None and prev.grade == grade) else self.salary(grade),
            supplement=(grade in ("SSW", "TM") and team.area in ("Front Door", "Assessment",
                        "Safeguarding") and self.u() < 0.5),
            post_since=prev.post_since if same_post else start,
        )
        if prev is not None and prev.grade == grade:
            spell.supplement = prev.supplement
        self.spells.append(spell)
        p.spells.append(spell)
        p.open.append(spell)
        if post is not None:
            post.holders.append(spell)
        self.active[p.key] = p
        # future events of this spell
        if grade == "ASYE":
            self.schedule(self.not_first(start + 365), "prog", spell)
        elif grade == "SW" and contract_type == "PERMANENT" and role == 5 and self.u() < 0.45:
            self.schedule(self.not_first(start + self.randint(700, 1500)), "prog", spell)
        if contract_type == "FIXED_TERM":
            self.schedule(start + self.randint(180, 540), "ftend", spell)
        retire = int(p.dob + 66 * 365.25)
        if retire > start:
            self.schedule(retire, "retire", spell)
        return spell

    @staticmethod
    def not_first(day: int) -> int:
        """A new spell opening the day after another closes must not open on the 1st:
        the closed spell would end on a month-end and the person would look absent there."""
        return day + 1 if _month_of(day - 1) != _month_of(day) else day

    def close_spell(self, spell: _Spell, end: int) -> None:
        spell.end = end
        p = spell.person
        p.open.remove(spell)
        if spell.post is not None:
            spell.post.holders.remove(spell)
            if not spell.post.holders:
                spell.post.vacant_since = end + 1
        if not p.open:
            self.active.pop(p.key, None)

    def leave(self, p: _Person, day: int, reason: int | None = None) -> None:
        if reason is None:
            reason = 5 if (self.age_on(p, day) >= 58 and self.u() < 0.5) else self.ch["reason"](self.u())
        dest = 8 if reason in (5, 6) else self.ch["dest"](self.u())
        for spell in list(p.open):
            spell.leaving, spell.reason, spell.dest = day, reason, dest
            self.close_spell(spell, day)
        p.left_on = day
        if reason in (1, 7, 8, 9) and self.age_on(p, day) < 60:
            self.leaver_pool.append(p)

    def start_employment(self, p: _Person, start: int, origin: int | None, new_id: bool) -> None:
        if new_id or not p.emp_id:
            p.emp_id = self.unique("E", 6)
        p.la = True
        p.service_start = start
        p.origin = origin
        p.left_on = None

    def fte_for(self, post: _Post | None) -> float:
        if post is not None and post.budget < 1:
            return post.budget
        return 1.0 if self.u() > 0.055 else self.pick((0.8, 0.8, 0.6, 0.5))

    # -- initial state -----------------------------------------------------------------------
    def populate(self) -> None:
        cfg, h0 = self.cfg, self.h0
        head0 = round(cfg.la_workers * 0.96)
        n_two = max(3, round(cfg.la_workers * 0.015))
        n_casual = max(1, round(cfg.la_workers * 0.025))
        posts = [p for p in self.posts]
        mgmt = [p for p in posts if p.role in (1, 2, 3)]
        prac = [p for p in posts if p.role not in (1, 2, 3)]
        self.rng.shuffle(mgmt)
        self.rng.shuffle(prac)
        # two-post part-timers: a part-time case-holding post plus a small fostering post
        pt_case = [p for p in prac if p.budget < 1 and p.role == 5]
        fost_teams = [t for t in self.teams if t.area == "Fostering"]
        two_post = []
        for i in range(n_two):
            main = pt_case[i] if i < len(pt_case) else None
            if main is None:
                main = self.pick([p for p in prac if p.role == 5 and not p.holders])
                main.rows[-1][2] = 0.6
            extra = self.new_post(self.pick(fost_teams), 6, "SW", 0.4, main.since)
            two_post.append((main, extra))
        taken = {id(m) for m, _ in two_post}
        fill_mgmt = [p for p in mgmt if self.u() < 0.93]
        n_single = head0 - n_two - n_casual - len(fill_mgmt)
        fill_prac = [p for p in prac if id(p) not in taken][:max(0, n_single)]

        def initial(grade: str, post: _Post | None, team: _Team, role: int, fte: float,
                    contract_type: str) -> _Person:
            p = self.new_person(grade, h0, overseas=self.u() < 0.05)
            age = self.age_on(p, h0)
            max_years = max(0.2, age - 22.5)
            years = min(max_years, float(self.rng.exponential(6.5)))
            if grade == "ASYE":
                years = self.u() * 0.9
            service_start = int(h0 - years * 365.25) - self.randint(0, 30)
            service_start = max(service_start, int(p.dob + 22.6 * 365.25))
            origin = 1 if grade == "ASYE" else (9 if self.u() < 0.6 else self.ch["origin"](self.u()))
            self.start_employment(p, service_start, origin, True)
            spell_start = service_start
            if grade not in ("ASYE",) and years > 1.5 and self.u() < 0.7:
                spell_start = int(service_start + self.u() * (h0 - service_start - 1))
            spell_start = min(spell_start, h0 - 1)
            self.open_spell(p, post, team, role, grade, contract_type, fte, spell_start)
            return p

        for main, extra in two_post:
            grade = "SSW" if main.grade == "SSW" else "SW"
            p = initial(grade, main, main.team, main.role, min(main.budget, 0.6), "PERMANENT")
            self.open_spell(p, extra, extra.team, 6, grade, "PERMANENT", 0.4,
                            min(h0 - 1, p.open[0].start + self.randint(30, 400)))
        for i, post in enumerate(fill_mgmt + fill_prac):
            grade = post.grade
            if grade == "SW":
                grade = "ASYE" if self.u() < 0.12 else "SW"
            fixed = self.u() < 0.05 or i in (len(fill_mgmt), len(fill_mgmt) + 1)
            contract_type = "FIXED_TERM" if fixed else "PERMANENT"
            initial(grade, post, post.team, post.role, self.fte_for(post), contract_type)
        case_teams = [t for t in self.teams if t.cases]
        for _ in range(n_casual):
            team = self.pick(case_teams)
            initial("SW", None, team, 5, self.pick((0.2, 0.3, 0.4, 0.5)), "CASUAL")
        for post in self.posts:
            if post.holders:  # a post exists at least as long as its holder has held it
                post.rows[0][0] = min(post.rows[0][0], min(s.start for s in post.holders))
            else:
                post.vacant_since = h0 - self.randint(0, 400)

        # agency workers engaged at the start
        cover = [0.0, 0.97 * self.vacancy_fte(h0), 0.0]
        for _ in range(self.cfg.agency_workers):
            self.start_assignment(h0 - self.randint(1, 420), mid_history=False, cover_budget=cover)
        for a in self.assigns:
            a.planned = max(a.start + 28, h0 + self.randint(5, 400))

    # -- agency --------------------------------------------------------------------------------
    def vacancy_fte(self, day: int) -> float:
        total = 0.0
        for post in self.posts:
            if post.removed or post.since > day:
                continue
            total += max(0.0, post.budget - sum(s.fte for s in post.holders))
        return total

    def agency_active(self) -> list[_Assign]:
        return [a for a in self.assigns if a.end == OPEN]

    def start_assignment(self, start: int, mid_history: bool = True,
                         cover_budget: list[float] | None = None) -> _Assign:
        """Engage an agency worker. ``cover_budget`` is [FTE covering vacancies, the most that
        may (a little under the vacant FTE), all agency FTE]: about 78% of agency FTE covers
        vacancies, as in DfE's figures for counties, and never more than is vacant."""
        # who: a returning locum or someone new
        person = None
        if mid_history and self.agency_pool and self.u() < 0.1:
            free = [q for q in self.agency_pool if q.assignments[-1].end < start - 14]
            if free:
                person = self.pick(free)
                self.agency_pool.remove(person)
        if person is None:
            person = self.new_person("SW", start)
        fte = 1.0 if self.u() < 0.86 else self.pick((0.8, 0.8, 0.6, 0.5))
        vacant = [p for p in self.posts if not p.removed and p.since <= start and not p.holders
                  and p.agency is None and p.role != 1]
        if cover_budget is None:
            can_cover = self.u() < 0.8
        else:
            share = cover_budget[0] / cover_budget[2] if cover_budget[2] else 0.0
            can_cover = cover_budget[0] + fte <= cover_budget[1] and (
                share < 0.78 or self.u() < 0.1)
        post, cover = None, False
        if can_cover:
            cover = True
            if vacant and self.u() < 0.92:
                post = self.pick(vacant)
        elif self.u() < 0.4:
            filled = [p for p in self.posts if not p.removed and p.holders and p.agency is None
                      and p.role == 5]
            if filled:
                post = self.pick(filled)  # backfill, e.g. maternity cover
        if post is not None:
            team, role = post.team, post.role
        else:
            team, role = self.pick([t for t in self.teams if t.cases]), 5
        rate = {3: (52, 62), 2: (60, 70), 4: (45, 54), 6: (42, 50)}.get(role, (40, 50))
        a = _Assign(person=person, agency=self.pick(AGENCY_NAMES), team=team, post=post,
                    role=role, fte=fte, start=start, planned=start + self.agency_length(),
                    cover=cover, rate=round(rate[0] + (rate[1] - rate[0]) * self.u(), 1))
        if post is not None:
            post.agency = a
        if cover_budget is not None:
            cover_budget[0] += fte if cover else 0.0
            cover_budget[2] += fte
        person.assignments.append(a)
        self.assigns.append(a)
        return a

    def agency_length(self) -> int:
        return self.lognormal_days(200, 0.7, 28, 900)

    def end_assignment(self, a: _Assign, end: int) -> None:
        a.end = end
        if a.post is not None and a.post.agency is a:
            a.post.agency = None

    # -- the monthly loop ------------------------------------------------------------------------
    def run_months(self) -> None:
        cfg = self.cfg
        n_months = self.end_mi - self.start_mi + 1
        est_months = [m for m in range(self.start_mi + 1, self.end_mi + 1)]
        n_posts = len(self.posts)
        changes: dict[int, list[str]] = {}
        n_rem = max(3, round(0.02 * n_posts * cfg.history_years / 8))
        n_add = max(3, round(0.05 * n_posts)) + n_rem
        n_bud = max(3, round(0.02 * n_posts * cfg.history_years / 8))
        for kind, n in (("add", n_add), ("remove", n_rem), ("budget", n_bud)):
            for m in self.rng.choice(est_months, size=n, replace=True):
                changes.setdefault(int(m), []).append(kind)
        leave_carry = move_carry = 0.0
        n_two_target = sum(1 for p in self.active.values() if len(p.open) == 2)
        for k, mi in enumerate(range(self.start_mi, self.end_mi + 1)):
            ms, me = _month_start(mi), _month_end(mi)
            busy: set[int] = set()
            frac = k / max(1, n_months - 1)
            head_target = cfg.la_workers * (0.96 + 0.04 * frac)

            # 1. scheduled events: progression, end of fixed term, retirement
            forced = 0
            for day, kind, spell in sorted(self.events.pop(mi, []), key=lambda e: (e[0], e[1], e[2].start)):
                p = spell.person
                if spell.end != OPEN or spell not in p.open or p.key in busy:
                    continue
                if kind == "retire":
                    self.leave(p, day, reason=5)
                    forced += 1
                elif kind == "ftend":
                    if self.u() < 0.5:
                        self.leave(p, day, reason=self.pick((8, 8, 1)))
                        forced += 1
                    else:
                        t = self.not_first(day)
                        self.close_spell(spell, t - 1)
                        self.open_spell(p, spell.post, spell.team, spell.role, spell.grade,
                                        "PERMANENT", spell.fte, t, prev=spell)
                elif kind == "prog" and len(p.open) == 1:
                    new_grade = "SW" if spell.grade == "ASYE" else "SSW"
                    self.close_spell(spell, day - 1)
                    self.open_spell(p, spell.post, spell.team, spell.role, new_grade,
                                    spell.contract, spell.fte, day, prev=spell)
                busy.add(p.key)

            # 2. leavers, held near the target annual rate
            leave_carry += 0.155 * len(self.active) / 12 - forced
            n_leave = max(0, int(np.floor(leave_carry + self.u())))
            leave_carry -= n_leave
            cands = [p for p in self.active.values() if p.key not in busy
                     and all(s.start < ms for s in p.open)]
            if cands and n_leave:
                w = np.array([self.leave_weight(p, ms) for p in cands])
                idx = self.rng.choice(len(cands), size=min(n_leave, len(cands)), replace=False,
                                      p=w / w.sum())
                for i in sorted(idx.tolist()):
                    p = cands[i]
                    day = me if self.u() < 0.2 else self.randint(ms, me)
                    self.leave(p, day)
                    busy.add(p.key)

            # 3. internal moves and promotions into vacant posts
            move_carry += 0.075 * len(self.active) / 12
            n_move = int(np.floor(move_carry + self.u()))
            move_carry -= n_move
            for _ in range(n_move):
                self.internal_move(ms, me, busy)
            for post in self.posts:
                if (post.role in (1, 2, 3) or post.grade in ("AP", "IRO")) and not post.holders \
                        and not post.removed and post.vacant_since < ms - 30 and self.u() < 0.3:
                    self.internal_move(ms, me, busy, target=post)

            # 4. part-timers taking a second, small post
            n_two = sum(1 for p in self.active.values() if len(p.open) == 2)
            if n_two < n_two_target:
                self.second_post(ms, me, busy)

            # 5. establishment changes
            for kind in changes.get(mi, []):
                self.change_establishment(kind, ms, me)

            # 6. starters: keep the headcount near the target
            n_hire = max(0, int(round(head_target - len(self.active) + self.rng.normal(0, 0.8))))
            for _ in range(n_hire):
                self.hire(ms, me, busy, mi)

            # 7. agency: planned ends (some extended), then top up to the usual number
            for a in self.agency_active():
                if a.planned <= me:
                    self.agency_end_or_extend(a, ms, me)
            active = self.agency_active()
            want = int(round(cfg.agency_workers + self.rng.normal(0, 1.5)))
            if len(active) < want:
                cover = [sum(a.fte for a in active if a.cover), 0.97 * self.vacancy_fte(me),
                         sum(a.fte for a in active)]
                for _ in range(want - len(active)):
                    self.start_assignment(self.randint(ms, me), cover_budget=cover)

    def leave_weight(self, p: _Person, day: int) -> float:
        w = 1.0
        tenure = day - p.service_start
        if tenure < 365:
            w *= 2.3
        elif tenure < 730:
            w *= 1.4
        grade = p.open[0].grade
        if grade in ("TM", "SM"):
            w *= 0.7
        if self.age_on(p, day) >= 60:
            w *= 2.0
        if len(p.open) > 1:
            w *= 0.4
        if p.open[0].contract == "CASUAL":
            w *= 1.5
        return w

    def internal_move(self, ms: int, me: int, busy: set[int],
                      target: _Post | None = None) -> None:
        cands = [p for p in self.active.values() if p.key not in busy and len(p.open) == 1
                 and p.open[0].contract == "PERMANENT" and p.open[0].post is not None
                 and p.open[0].grade != "ASYE" and p.open[0].start <= ms - 270]
        if not cands:
            return
        if target is None:
            p = self.pick(cands)
            cur = p.open[0]
            posts = [q for q in self.posts if not q.removed and not q.holders and q.since < ms
                     and q.team is not cur.team and self.accepts(q, cur.grade)]
            if not posts:
                return
            promos = [q for q in posts if GRADE_RANK[q.grade] > GRADE_RANK[cur.grade]]
            target = self.pick(promos) if promos and self.u() < 0.4 else self.pick(posts)
        else:
            eligible = [p for p in cands if self.accepts(target, p.open[0].grade)
                        and GRADE_RANK[target.grade] >= GRADE_RANK[p.open[0].grade]
                        and p.open[0].post is not target]
            if not eligible:
                return
            same_area = [p for p in eligible if p.open[0].team.area == target.team.area]
            p = self.pick(same_area or eligible)
            cur = p.open[0]
        t = self.not_first(self.randint(ms + 1, me))
        grade = target.grade if target.grade in ("AP", "TM", "SM", "IRO") else (
            "SSW" if target.grade == "SSW" else cur.grade)
        fte = min(cur.fte, target.budget) if target.budget < 1 else cur.fte
        self.close_spell(cur, t - 1)
        if target.agency is not None:
            self.end_assignment(target.agency, t - 1)
        self.open_spell(p, target, target.team, target.role, grade, "PERMANENT", fte, t, prev=cur)
        busy.add(p.key)

    @staticmethod
    def accepts(post: _Post, grade: str) -> bool:
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

    def second_post(self, ms: int, me: int, busy: set[int]) -> None:
        cands = [p for p in self.active.values() if p.key not in busy and len(p.open) == 1
                 and p.open[0].fte <= 0.6 and p.open[0].contract == "PERMANENT"
                 and p.open[0].grade in ("SW", "SSW") and p.open[0].start < ms]
        if not cands:
            return
        p = self.pick(cands)
        fost = [t for t in self.teams if t.area == "Fostering"]
        day = self.randint(ms, me)
        post = self.new_post(self.pick(fost), 6, "SW", 0.4, day)  # an additional funded post
        self.open_spell(p, post, post.team, 6, p.open[0].grade, "PERMANENT",
                        round(min(0.4, 1 - p.open[0].fte), 1), day)
        busy.add(p.key)

    def change_establishment(self, kind: str, ms: int, me: int) -> None:
        day = self.randint(ms, me - 1)  # never a month-end: rows must not leave a gap on one
        if kind == "add":
            team = self.pick([t for t in self.teams if t.cases])
            self.new_post(team, 5, "SW", 1.0, self.randint(ms, me))
            return
        vacant = [p for p in self.posts if not p.removed and not p.holders and p.agency is None
                  and p.role in (4, 5, 6) and p.since < ms and p.rows[-1][0] < ms]
        if not vacant:
            return
        post = self.pick(vacant)
        if kind == "remove":
            post.rows[-1][1] = day
            post.removed = True
        else:
            new_budget = 1.0 if post.budget < 1 else self.pick((0.8, 0.6, 0.5))
            post.rows[-1][1] = day
            post.rows.append([day + 1, OPEN, new_budget])

    def hire(self, ms: int, me: int, busy: set[int], mi: int) -> None:
        if self.u() < 0.025:
            p = self.new_person("SW", ms)
            self.start_employment(p, self.hire_day(ms, me), self.ch["origin"](self.u()), True)
            self.open_spell(p, None, self.pick([t for t in self.teams if t.cases]), 5, "SW",
                            "CASUAL", self.pick((0.2, 0.3, 0.4, 0.5)), p.service_start)
            busy.add(p.key)
            return
        vacant = [q for q in self.posts if not q.removed and not q.holders and q.since < ms
                  and (q.agency is None or q.agency.start < ms - 7)
                  and (q.role in (4, 5, 6) or q.vacant_since < ms - 90)]
        if not vacant:
            return
        # newly qualified social workers (ASYE), mostly starting after the summer's graduation
        sw_vacant = [q for q in vacant if q.grade == "SW" and q.role == 5]
        newly_qualified = bool(sw_vacant) and self.u() < (0.6 if mi % 12 in (7, 8, 9) else 0.3)
        post = self.pick(sw_vacant if newly_qualified else vacant)
        progress = (mi - self.start_mi) / max(1, self.end_mi - self.start_mi)
        u = 1.0 if newly_qualified else self.u()
        p: _Person | None = None
        grade = post.grade
        overseas = False
        origin: int | None
        new_id = True
        day = self.hire_day(ms, me)
        # returners: a past leaver re-joins (same SWE number, new spells)
        want_ret = 0.06 + (0.4 if self.n_returners < 3 and progress > 0.3 else 0.0)
        pool = [q for q in self.leaver_pool if q.left_on is not None and q.left_on < ms - 120
                and self.accepts(post, q.spells[-1].grade if q.spells[-1].grade != "ASYE" else "SW")]
        if pool and u < want_ret:
            p = self.pick(pool)
            self.leaver_pool.remove(p)
            grade = p.spells[-1].grade if post.grade in ("SW", "SSW") else post.grade
            grade = "SW" if grade == "ASYE" else grade
            origin = self.pick((2, 2, 4, 8))
            new_id = self.u() < 0.5
            self.n_returners += 1
        else:
            want_conv = 0.06 + (0.6 if self.n_converts < 3 and progress > 0.1 else 0.0)
            convertible = [a for a in self.agency_active() if a.start < ms - 60
                           and not a.person.la and a.role in (4, 5)]
            if not newly_qualified and post.grade in ("SW", "SSW") and convertible \
                    and self.u() < want_conv:
                a = self.pick(convertible)
                gap = self.randint(0, 14)
                day = max(day, ms + gap + 1)
                self.end_assignment(a, day - 1 - gap)
                p = a.person
                origin = 5
                self.n_converts += 1
                if a.post is not None and not a.post.holders and not a.post.removed \
                        and a.post.role in (4, 5):
                    post = a.post
                grade = "SSW" if post.grade == "SSW" else "SW"
            else:
                if newly_qualified:
                    grade, origin = "ASYE", 1
                else:
                    share = 0.15 if self.n_overseas >= 3 or progress < 0.2 else 0.6
                    overseas = post.grade in ("SW", "SSW") and self.u() < share
                    self.n_overseas += overseas
                    origin = 3 if overseas else self.ch["origin"](self.u())
                p = self.new_person(grade, day, overseas=overseas)
        if post.agency is not None:
            self.end_assignment(post.agency, day - 1)
        self.start_employment(p, day, origin, new_id)
        contract_type = "FIXED_TERM" if self.u() < 0.07 else "PERMANENT"
        self.open_spell(p, post, post.team, post.role, grade, contract_type, self.fte_for(post), day)
        busy.add(p.key)

    def hire_day(self, ms: int, me: int) -> int:
        if self.u() < 0.3:
            return _to_weekday(ms, ms, me)
        return _to_weekday(self.randint(ms, me), ms, me)

    def agency_end_or_extend(self, a: _Assign, ms: int, me: int) -> None:
        end = max(a.planned, a.start + 1)
        still_needed = a.post is None or not a.post.holders
        if still_needed and self.u() < 0.38:
            if _is_month_end(end):
                end -= 1
            if end <= a.start:
                end = a.start + 1
            self.end_assignment(a, end)
            b = _Assign(person=a.person, agency=a.agency, team=a.team, post=a.post, role=a.role,
                        fte=a.fte, start=end + 1, planned=end + 1 + self.agency_length(),
                        cover=a.cover, rate=round(a.rate + self.pick((0.0, 0.5, 1.0, 1.5)), 1))
            if a.post is not None:
                a.post.agency = b
            a.person.assignments.append(b)
            self.assigns.append(b)
        else:
            self.end_assignment(a, end)
            if not a.person.la:
                self.agency_pool.append(a.person)

    # -- absences ------------------------------------------------------------------------------
    def employments(self) -> list[tuple[_Person, str, int, int]]:
        """(person, employee_id, first day, last day) of each continuous LA employment."""
        out = []
        for p in self.people:
            spells = sorted(p.spells, key=lambda s: s.start)
            cur = None
            for s in spells:
                if cur is None or s.service_start != cur[2]:
                    if cur is not None:
                        out.append(tuple(cur))
                    cur = [p, s.emp_id, s.service_start, min(s.end, self.h1 + 400)]
                cur[3] = max(cur[3], min(s.end, self.h1 + 400))
            if cur is not None:
                out.append(tuple(cur))
        return out

    def absences(self) -> list[list]:
        rows: list[list] = []  # emp_id, reason, start, end, person, days
        emps = self.employments()
        busy: dict[str, list[tuple[int, int]]] = {}
        kinds = (  # reason, episodes per person-year, lengths in working days
            ("SIC", 1.3, None), ("SICL", 0.1, None), ("TRN", 1.5, (1, 3)), ("OTH", 0.4, (1, 2)),
            ("UNP", 0.05, (1, 10)), ("PUB", 0.03, (1, 5)), ("UNA", 0.02, (1, 1)),
            ("MAT", 0.055, (120, 250)),
        )
        short_len = _Choice(((1, 30), (2, 25), (3, 20), (4, 13), (5, 12)))
        carry = {k[0]: 0.0 for k in kinds}
        for mi in range(self.start_mi, self.end_mi + 1):
            ms, me = _month_start(mi), _month_end(mi)
            active = [e for e in emps if e[2] <= me and e[3] > ms]
            if not active:
                continue
            mat_ok = [e for e in active if e[0].gender == "2" and 24 <= self.age_on(e[0], ms) <= 42]
            for kind, rate, lengths in kinds:
                pool = mat_ok if kind == "MAT" else active
                if not pool:
                    continue
                carry[kind] += rate * len(pool) / 12
                n = int(np.floor(carry[kind] + self.u()))
                carry[kind] -= n
                for _ in range(n):
                    person, emp_id, first, last = self.pick(pool)
                    lo = max(ms, first)
                    hi = min(me, last)
                    if hi < lo:
                        continue
                    start = _to_weekday(self.randint(lo, hi), lo, hi)
                    if (start + 3) % 7 >= 5:
                        continue
                    if kind == "SIC":
                        length = short_len(self.u())
                    elif kind == "SICL":
                        length = self.randint(20, 60) if self.u() < 0.88 else self.randint(61, 120)
                    else:
                        length = self.randint(*lengths)
                    end = min(_nth_weekday(start, length), last)
                    spans = busy.setdefault(emp_id, [])
                    if any(not (end < s or start > e) for s, e in spans):
                        continue
                    spans.append((start, end))
                    reason = "SIC" if kind == "SICL" else kind
                    rows.append([emp_id, reason, start, end, person, _weekdays(start, end)])
        # one episode still open on the last extract date, whatever the draw
        h1 = self.h1
        if not any(r[2] <= h1 < r[3] for r in rows):
            for person, emp_id, first, last in emps:
                start = _to_weekday(h1 - 20, h1 - 25, h1)
                if first <= start - 30 and last > h1 + 60 and not any(
                        not (h1 + 40 < s or start > e) for s, e in busy.get(emp_id, [])):
                    rows.append([emp_id, "SIC", start, _nth_weekday(start, 35), person, 0])
                    rows[-1][5] = _weekdays(rows[-1][2], rows[-1][3])
                    break
        return rows

    # -- case management ------------------------------------------------------------------
    def case_segments(self, absences: list[list]) -> list[list]:
        """Spans in which a worker can hold children's cases:
        [start, stop (first day not available), person key, area, team, capacity, stop reason]."""
        by_person: dict[int, list[list]] = {}
        for s in self.spells:
            holds = s.team.cases and (s.role == 5 or (s.role == 4 and s.post is not None
                                                      and s.post.ap_cases))
            if not holds:
                continue
            reason = ("SWDIED" if s.reason == 6 else "LEFTRL") if s.leaving != OPEN else (
                "ORGRST" if self.u() < 0.5 else "MANAGE")
            cap = s.fte * CAPACITY.get(s.grade, 1.0)
            by_person.setdefault(s.person.key, []).append(
                [s.start, s.end, s.person.key, s.team.area, s.team.code, cap, reason])
        for a in self.assigns:
            if a.team.cases and a.role in (4, 5):
                by_person.setdefault(a.person.key, []).append(
                    [a.start, a.end, a.person.key, a.team.area, a.team.code, a.fte * 1.05, "LEFTRL"])
        unavailable: dict[int, list[tuple[int, int]]] = {}
        for _emp, reason, start, end, person, days in absences:
            if reason == "MAT" or (reason == "SIC" and days >= 30):
                unavailable.setdefault(person.key, []).append((start, end))
        out = []
        for key, segs in by_person.items():
            segs.sort(key=lambda x: x[0])
            merged: list[list] = []
            for seg in segs:
                if merged and seg[0] == merged[-1][1] + 1 and seg[4] == merged[-1][4]:
                    merged[-1][1] = seg[1]
                    merged[-1][6] = seg[6]
                    continue
                merged.append(list(seg))
            for win_start, win_end in sorted(unavailable.get(key, [])):
                nxt = []
                for seg in merged:
                    if win_end < seg[0] or win_start >= seg[1]:
                        nxt.append(seg)
                        continue
                    if win_start > seg[0]:
                        nxt.append([seg[0], win_start, *seg[2:6], "ABSENC"])
                    if win_end + 1 < seg[1]:
                        nxt.append([win_end + 1, seg[1], *seg[2:]])
                merged = nxt
            out.extend(s for s in merged if s[1] > s[0] and s[1] > self.h0)
        return out

    def simulate_cases(self, absences: list[list]) -> dict:
        rng, h0, h1 = self.rng, self.h0, self.h1
        segments = self.case_segments(absences)
        n_people = len(self.people)
        # professionals in the CMS who match no HR or agency record
        unmatched = []
        for kind, n in (("student", 3), ("locum", 2), ("support", 3)):
            for _ in range(n):
                key = n_people + len(unmatched)
                unmatched.append((key, kind))
        extra_teams = {"student": "STU", "locum": None, "support": "EDT"}
        case_areas = [a for a in AREAS if AREAS[a][2]]
        team_of_area = {a: [t for t in self.teams if t.area == a] for a in case_areas}
        locum_teams = {}
        for key, kind in unmatched:
            if kind == "student":
                segments.append([h0 + self.randint(0, 60), OPEN, key, "Assessment", "STU", 0.18, "LEFTRL"])
            elif kind == "locum":
                team = self.pick(team_of_area["Safeguarding"])
                locum_teams[key] = team.code
                segments.append([h0 + self.randint(0, 200), OPEN, key, "Safeguarding", team.code, 0.25,
                                 "LEFTRL"])
        starts: dict[int, list] = {}
        stops: dict[int, list] = {}
        for seg in segments:
            starts.setdefault(max(seg[0], h0), []).append(seg)
            if seg[1] <= h1:
                stops.setdefault(seg[1], []).append(seg)

        # managers and reviewing officers, for involvements that do not count as cases
        oversight: list[tuple[int, int, int, str, str, str]] = []  # start, stop, key, area, team, role
        for s in self.spells:
            if s.grade in ("TM", "IRO"):
                oversight.append((s.start, s.end, s.person.key, s.team.area, s.team.code,
                                  "TM" if s.grade == "TM" else "IRO"))
        for a in self.assigns:
            if a.role == 3:
                oversight.append((a.start, a.end, a.person.key, a.team.area, a.team.code, "TM"))
            elif a.role == 6 and a.team.area == "Quality Assurance":
                oversight.append((a.start, a.end, a.person.key, a.team.area, a.team.code, "IRO"))
        o_starts: dict[int, list] = {}
        o_stops: dict[int, list] = {}
        o_active: dict[tuple[str, str], list] = {}

        def o_key(o) -> tuple[str, str]:
            return (o[5], "" if o[5] == "IRO" else o[3])

        for o in sorted(oversight):
            if o[1] <= h0:
                continue
            if o[0] <= h0:
                o_active.setdefault(o_key(o), []).append(o)
            else:
                o_starts.setdefault(o[0], []).append(o)
            if o[1] <= h1:
                o_stops.setdefault(o[1], []).append(o)

        def overseer(day: int, role: str, area: str):
            found = o_active.get((role, "" if role == "IRO" else area))
            return self.pick(found) if found else None

        # worker pools per area
        pool: dict[str, list[int]] = {a: [] for a in case_areas}
        where: dict[int, tuple[str, int]] = {}
        cap: dict[int, float] = {}
        team: dict[int, str] = {}
        load: dict[int, int] = {}
        area_cap = dict.fromkeys(case_areas, 0.0)
        holding: dict[int, set[int]] = {}

        def add_worker(seg):
            key, area = seg[2], seg[3]
            if key in where:  # already in a pool (overlapping spans): keep the first
                return
            pool[area].append(key)
            where[key] = (area, len(pool[area]) - 1)
            cap[key], team[key] = seg[5], seg[4]
            load.setdefault(key, 0)
            holding.setdefault(key, set())
            area_cap[area] += seg[5]

        def remove_worker(key):
            area, i = where.pop(key)
            lst = pool[area]
            last = lst.pop()
            if last != key:
                lst[i] = last
                where[last] = (area, i)
            area_cap[area] -= cap[key]

        def choose(area: str, exclude: int = -1) -> int:
            lst = pool[area]
            if not lst or (len(lst) == 1 and lst[0] == exclude):
                lst = [k for a in case_areas for k in pool[a] if k != exclude]
                if not lst:
                    return -1
            best, best_load = -1, 1e18
            for _ in range(3):
                k = lst[int(rng.integers(len(lst)))]
                if k == exclude:
                    continue
                value = load[k] / max(cap[k], 0.05)
                if value < best_load:
                    best, best_load = k, value
            if best == -1:
                best = next((k for k in lst if k != exclude), -1)
            return best

        # involvement rows
        inv_prof: list[int] = []
        inv_role: list[str] = []
        inv_team: list[str] = []
        inv_start: list[int] = []
        inv_end: list[int] = []
        inv_reason: list[str | None] = []
        inv_child: list[str] = []
        inv_ref: list[str] = []

        # groups of siblings sharing a referral
        g_children: list[list[str]] = []
        g_ref: list[str] = []
        g_area: list[str] = []
        g_worker: list[int] = []
        g_rows: list[list[int]] = []
        g_phase_end: list[int] = []
        open_groups: list[int] = []
        open_pos: dict[int, int] = {}
        by_area_children = dict.fromkeys(case_areas, 0)
        phase_events: dict[int, list[int]] = {}
        queue: list[int] = []
        transfer_in = dict.fromkeys(case_areas, 0.0)
        mean_days = {a: PHASES[a][0] * float(np.exp(PHASES[a][1] ** 2 / 2)) for a in case_areas}

        def phase_length(area: str) -> int:
            med, sig, lo, hi, _ = PHASES[area]
            return self.lognormal_days(med, sig, lo, hi)

        def add_row(key, role, team_code, start, child, ref) -> int:
            inv_prof.append(key)
            inv_role.append(role)
            inv_team.append(team_code)
            inv_start.append(start)
            inv_end.append(OPEN)
            inv_reason.append(None)
            inv_child.append(child)
            inv_ref.append(ref)
            return len(inv_prof) - 1

        def cw_role() -> str:
            return "CW" if self.u() < 0.9 else "Allocated Case Worker"

        def allocate(g: int, day: int, exclude: int = -1, start: int | None = None) -> None:
            k = choose(g_area[g], exclude)
            if k < 0:
                g_worker[g] = -1
                if g not in queue:
                    queue.append(g)
                return
            g_worker[g] = k
            n = len(g_children[g])
            load[k] += n
            holding[k].add(g)
            role = cw_role()
            g_rows[g] = [add_row(k, role, team[k], day if start is None else start, c, g_ref[g])
                         for c in g_children[g]]

        def release(g: int, day: int, reason: str | None) -> None:
            k = g_worker[g]
            if k >= 0:
                load[k] -= len(g_children[g])
                holding[k].discard(g)
                for r in g_rows[g]:
                    inv_end[r] = day
                    inv_reason[r] = reason
            g_rows[g] = []
            g_worker[g] = -1

        def enter_area(g: int, area: str, day: int, start: int | None = None, first: bool = False):
            g_area[g] = area
            by_area_children[area] += len(g_children[g])
            length = phase_length(area)
            end = day + length
            if start is not None:  # already open before the history starts
                end = start + length
                if end <= day:
                    end = day + self.randint(1, max(2, length // 2))
            if self.u() < 0.06:
                end = max(_month_end(_month_of(end)), day + 1)  # closed on a month-end
            g_phase_end[g] = end
            if end <= h1:
                phase_events.setdefault(end, []).append(g)
            # oversight involvements, which do not count towards caseloads
            kids, ref = g_children[g], g_ref[g]
            if area in ("Safeguarding", "Children in Care") and self.u() < 0.6:
                o = overseer(day, "IRO", area)
                if o is not None:
                    stop = min(end, o[1])
                    for c in kids:
                        r = add_row(o[2], "IRO", o[4], day if start is None else max(start, day - 300), c, ref)
                        inv_end[r] = stop
            if self.u() < 0.05:
                o = overseer(day, "TM", area)
                if o is not None:
                    stop = min(end, o[1], day + self.randint(20, 120))
                    for c in kids:
                        r = add_row(o[2], "TM", o[4], day, c, ref)
                        inv_end[r] = stop
            if first and support_keys and self.u() < 0.05:
                s_day = day + self.randint(0, 30)
                stop = min(end, s_day + self.randint(40, 200))
                k = self.pick(support_keys)
                for c in kids:
                    r = add_row(k, "SUPPORT", "EDT" if self.u() < 0.3 else "FSS", s_day, c, ref)
                    inv_end[r] = stop

        support_keys = [k for k, kind in unmatched if kind == "support"]

        def new_group(day: int, area: str, start: int | None = None) -> int:
            g = len(g_children)
            n = self.ch["sib"](self.u())
            g_children.append([self.unique("C", 7) for _ in range(n)])
            g_ref.append(self.unique("R", 7))
            g_area.append(area)
            g_worker.append(-1)
            g_rows.append([])
            g_phase_end.append(OPEN)
            open_pos[g] = len(open_groups)
            open_groups.append(g)
            enter_area(g, area, day, start=start, first=True)
            return g

        def close_group(g: int, day: int) -> None:
            release(g, day, None)
            by_area_children[g_area[g]] -= len(g_children[g])
            i = open_pos.pop(g)
            last = open_groups.pop()
            if last != g:
                open_groups[i] = last
                open_pos[last] = i
            if g in queue:
                queue.remove(g)

        # state on the first day: workers in post and the cases they already hold
        for seg in starts.pop(h0, []):
            add_worker(seg)
        for area in case_areas:
            target = CASES_PER_CAPACITY * area_cap[area]
            while by_area_children[area] < target:
                length = phase_length(area)
                begun = h0 - self.randint(1, max(2, length))
                g = new_group(h0, area, start=begun)
                allocate(g, h0, start=max(begun, h0 - self.randint(1, 300)))
                if g_worker[g] < 0:
                    break

        change_rate = 0.2 / 365
        for day in range(h0, h1 + 1):
            for o in o_starts.pop(day, []):
                o_active.setdefault(o_key(o), []).append(o)
            for o in o_stops.pop(day, []):
                o_active[o_key(o)].remove(o)
            for seg in starts.pop(day, []):
                add_worker(seg)
            for seg in stops.pop(day, []):
                key = seg[2]
                if key not in where or where[key][0] != seg[3] or team.get(key) != seg[4]:
                    continue
                remove_worker(key)
                for g in sorted(holding[key]):
                    release(g, day, seg[6])
                    allocate(g, day, exclude=key)
            for g in phase_events.pop(day, []):
                if g not in open_pos or g_phase_end[g] != day:
                    continue
                area = g_area[g]
                nxt = None
                u = self.u()
                for option, p in PHASES[area][4]:
                    if u < p:
                        nxt = option
                        break
                    u -= p
                # a full service steps the case down rather than take it
                if nxt is not None and by_area_children[nxt] >= CASES_PER_CAPACITY * area_cap[nxt]:
                    nxt = None
                if nxt is None:
                    close_group(g, day)
                    continue
                release(g, day, "TSPROC")
                by_area_children[area] -= len(g_children[g])
                transfer_in[nxt] += len(g_children[g])
                enter_area(g, nxt, day)
                allocate(g, day)
            n_change = int(rng.poisson(len(open_groups) * change_rate))
            for _ in range(n_change):
                g = open_groups[int(rng.integers(len(open_groups)))]
                if g_worker[g] < 0:
                    continue
                old = g_worker[g]
                release(g, day, self.ch["change"](self.u()))
                allocate(g, day, exclude=old)
            for area in case_areas:
                target = CASES_PER_CAPACITY * area_cap[area]
                fresh = target / mean_days[area] + (target - by_area_children[area]) / 25.0
                fresh -= transfer_in[area]  # children transferred in today need no new referral
                transfer_in[area] = 0.0
                if fresh > 0:
                    for _ in range(int(rng.poisson(fresh / 1.59))):
                        g = new_group(day, area)
                        allocate(g, day)
            if queue:
                waiting, queue[:] = list(queue), []
                for g in waiting:
                    allocate(g, day)

        # professionals who match no HR or agency record
        extra = []
        for key, kind in unmatched:
            extra.append({"key": key, "kind": kind, "team": extra_teams[kind] or locum_teams.get(key),
                          "start": h0})
        return {
            "prof": np.array(inv_prof, dtype=np.int64), "role": np.array(inv_role, dtype=object),
            "team": np.array(inv_team, dtype=object), "start": np.array(inv_start, dtype=np.int64),
            "end": np.array(inv_end, dtype=np.int64), "reason": np.array(inv_reason, dtype=object),
            "child": np.array(inv_child, dtype=object), "ref": np.array(inv_ref, dtype=object),
            "unmatched": extra,
        }

    # -- whole run -------------------------------------------------------------------------
    def run(self, progress: Callable[[str], None]) -> dict:
        progress("building teams and establishment")
        self.build_structure()
        self.populate()
        progress(f"simulating {self.cfg.history_years} years of starters, leavers and moves")
        self.run_months()
        absences = self.absences()
        progress("allocating children to workers")
        cases = self.simulate_cases(absences)
        return {"absences": absences, "cases": cases}


# ----------------------------------------------------------------------------------------
# Tables: the true history as column arrays, and the snapshot of each extract date
# ----------------------------------------------------------------------------------------
def _fmt_dec(x: float, places: int = 2) -> str:
    text = f"{x:.{places}f}".rstrip("0")
    return text + "0" if text.endswith(".") else text


def _iso_array(days: np.ndarray) -> np.ndarray:
    out = np.empty(len(days), dtype=object)
    ok = days < OPEN
    out[ok] = np.datetime_as_string(days[ok].astype("datetime64[D]"), unit="D").astype(object)
    out[~ok] = None
    return out


def _int_code(values: Iterable[int | None]) -> np.ndarray:
    return np.array([None if v is None else str(v) for v in values], dtype=object)


@dataclass
class _Table:
    name: str
    cols: dict[str, np.ndarray]  # formatted values (str or None), in contract order
    since: np.ndarray | None = None  # row appears once since <= d
    blanks: tuple[tuple[np.ndarray, tuple[str, ...]], ...] = ()  # blank these while day > d
    month: np.ndarray | None = None  # transactional: month index per row (24 months up to d)
    week_day: np.ndarray | None = None  # transactional by date (weeks ending in 24 months to d)

    def snapshot(self, d: int) -> dict[str, np.ndarray]:
        n = len(next(iter(self.cols.values())))
        mask = np.ones(n, dtype=bool)
        if self.since is not None:
            mask &= self.since <= d
        dm = _month_of(d)
        if self.month is not None:
            mask &= (self.month <= dm) & (self.month > dm - 24)
        if self.week_day is not None:
            mask &= (self.week_day <= d) & (self.week_day >= _month_start(dm - 23))
        out = {k: v[mask] for k, v in self.cols.items()}
        for days, names in self.blanks:
            future = days[mask] > d
            if future.any():
                for name in names:
                    col = out[name].copy()
                    col[future] = None
                    out[name] = col
        return out


def _build_tables(c: _Council, sim: dict) -> tuple[dict[str, _Table], Callable[[int], dict]]:
    rng = c.rng
    h1 = c.h1
    tables: dict[str, _Table] = {}

    # spell and employee ids in a stable order
    spells = sorted(c.spells, key=lambda s: (s.emp_id, s.start, s.person.key, s.post.pid if s.post else ""))
    for i, s in enumerate(spells, 1):
        s.sid = f"SP{i:06d}"
    assigns = sorted(c.assigns, key=lambda a: (a.start, a.person.swe))
    for i, a in enumerate(assigns, 1):
        a.aid = f"AS{i:06d}"

    # hr_workers -------------------------------------------------------------------------
    start = np.array([s.start for s in spells], dtype=np.int64)
    end = np.array([s.end for s in spells], dtype=np.int64)
    leaving = np.array([s.leaving for s in spells], dtype=np.int64)
    tables["hr_workers"] = _Table("hr_workers", {
        "employee_id": np.array([s.emp_id for s in spells], dtype=object),
        "swe_registration": np.array([s.person.swe for s in spells], dtype=object),
        "full_name": np.array([f"{s.person.first} {s.person.last}" for s in spells], dtype=object),
        "date_of_birth": _iso_array(np.array([s.person.dob for s in spells], dtype=np.int64)),
        "gender": np.array([s.person.gender for s in spells], dtype=object),
        "ethnicity": np.array([s.person.eth for s in spells], dtype=object),
        "spell_id": np.array([s.sid for s in spells], dtype=object),
        "post_id": np.array([s.post.pid if s.post else None for s in spells], dtype=object),
        "team_code": np.array([s.team.code for s in spells], dtype=object),
        "job_title": np.array([s.title for s in spells], dtype=object),
        "org_role": _int_code(s.role for s in spells),
        "career_grade": np.array([s.grade for s in spells], dtype=object),
        "contract_type": np.array([s.contract for s in spells], dtype=object),
        "fte": np.array([_fmt_dec(s.fte) for s in spells], dtype=object),
        "spell_start_date": _iso_array(start),
        "spell_end_date": _iso_array(end),
        "la_service_start_date": _iso_array(np.array([s.service_start for s in spells], dtype=np.int64)),
        "leaving_date": _iso_array(leaving),
        "leaving_reason": _int_code(s.reason for s in spells),
        "leaver_destination": _int_code(s.dest for s in spells),
        "start_origin": _int_code(s.origin for s in spells),
        "kss_status": _int_code(s.kss for s in spells),
        "is_overseas_recruit": np.array(["Y" if s.person.overseas else "N" for s in spells], dtype=object),
    }, since=start, blanks=((end, ("spell_end_date",)),
                            (leaving, ("leaving_date", "leaving_reason", "leaver_destination"))))

    # hr_establishment ----------------------------------------------------------------------
    est = [(p, row) for p in sorted(c.posts, key=lambda p: p.pid) for row in p.rows]
    est_from = np.array([r[0] for _, r in est], dtype=np.int64)
    est_to = np.array([r[1] for _, r in est], dtype=np.int64)
    tables["hr_establishment"] = _Table("hr_establishment", {
        "post_id": np.array([p.pid for p, _ in est], dtype=object),
        "team_code": np.array([p.team.code for p, _ in est], dtype=object),
        "org_role": _int_code(p.role for p, _ in est),
        "career_grade": np.array([p.grade for p, _ in est], dtype=object),
        "budgeted_fte": np.array([_fmt_dec(r[2]) for _, r in est], dtype=object),
        "effective_from": _iso_array(est_from),
        "effective_to": _iso_array(est_to),
    }, since=est_from, blanks=((est_to, ("effective_to",)),))

    # hr_absences ---------------------------------------------------------------------------
    absences = sorted(sim["absences"], key=lambda r: (r[2], r[0], r[1]))
    ab_start = np.array([r[2] for r in absences], dtype=np.int64)
    ab_end = np.array([r[3] for r in absences], dtype=np.int64)
    tables["hr_absences"] = _Table("hr_absences", {
        "absence_id": np.array([f"AB{i:07d}" for i in range(1, len(absences) + 1)], dtype=object),
        "employee_id": np.array([r[0] for r in absences], dtype=object),
        "absence_reason": np.array([r[1] for r in absences], dtype=object),
        "start_date": _iso_array(ab_start),
        "end_date": _iso_array(ab_end),
        "working_days_lost": np.array([_fmt_dec(r[5], 1) for r in absences], dtype=object),
    }, since=ab_start, blanks=((ab_end, ("end_date", "working_days_lost")),))

    # hr_teams and ssd_department ------------------------------------------------------------
    tables["hr_teams"] = _Table("hr_teams", {
        "team_code": np.array([t.code for t in c.teams], dtype=object),
        "team_name": np.array([t.name for t in c.teams], dtype=object),
        "service_area": np.array([t.area for t in c.teams], dtype=object),
        "locality": np.array([t.locality for t in c.teams], dtype=object),
    })
    area_ids = {a: f"SA{i}" for i, a in enumerate(AREAS, 1)}
    dept = [("CSC", "Children's Social Care", None, None)]
    dept += [(area_ids[a], a, "CSC", "Children's Social Care") for a in AREAS]
    dept += [(t.code, t.name, area_ids[t.area], t.area) for t in c.teams]
    dept += [("EDT", "Emergency Duty Team", area_ids["Front Door"], "Front Door"),
             ("FSS", "Family Support Service", area_ids["Safeguarding"], "Safeguarding"),
             ("STU", "Student Social Work Unit", area_ids["Quality Assurance"], "Quality Assurance")]
    dept.sort(key=lambda r: r[0])
    tables["ssd_department"] = _Table("ssd_department", {
        "dept_team_id": np.array([r[0] for r in dept], dtype=object),
        "dept_team_name": np.array([r[1] for r in dept], dtype=object),
        "dept_team_parent_id": np.array([r[2] for r in dept], dtype=object),
        "dept_team_parent_name": np.array([r[3] for r in dept], dtype=object),
    })
    team_names = {r[0]: r[1] for r in dept}

    # hr_exit_interviews ------------------------------------------------------------------------
    exits = []
    seen = set()
    for s in sorted(spells, key=lambda s: (s.leaving, s.emp_id)):
        if s.leaving == OPEN or (s.emp_id, s.leaving) in seen:
            continue
        seen.add((s.emp_id, s.leaving))
        if rng.random() >= 0.6:
            continue
        primary = "RETIREMENT" if s.reason == 5 else c.ch["exit"](float(rng.random()))
        others = [r for r in contract.EXIT_REASONS if r != primary and r != "RETIREMENT"]
        n_other = int(rng.choice(4, p=(0.3, 0.35, 0.25, 0.1)))
        picked = sorted(rng.choice(len(others), size=n_other, replace=False).tolist())
        interview = max(s.leaving - int(rng.integers(0, 22)), s.start)
        would = rng.random()
        exits.append((s.emp_id, s.leaving, interview, primary,
                      ";".join(others[i] for i in picked) or None,
                      "Y" if would < 0.45 else "N" if would < 0.9 else None))
    ex_leave = np.array([e[1] for e in exits], dtype=np.int64)
    tables["hr_exit_interviews"] = _Table("hr_exit_interviews", {
        "employee_id": np.array([e[0] for e in exits], dtype=object),
        "leaving_date": _iso_array(ex_leave),
        "interview_date": _iso_array(np.array([e[2] for e in exits], dtype=np.int64)),
        "primary_reason": np.array([e[3] for e in exits], dtype=object),
        "other_reasons": np.array([e[4] for e in exits], dtype=object),
        "would_return": np.array([e[5] for e in exits], dtype=object),
    }, since=ex_leave)

    # payroll_lines ---------------------------------------------------------------------------
    first_pm = max(c.start_mi, c.end_mi - c.cfg.extracts + 1 - 23)
    retention_paid: set[tuple[str, int]] = set()
    pay: dict[tuple[str, int, str], list[float]] = {}

    def add_pay(emp: str, pm: int, element: str, amount: float, hours: float | None) -> None:
        cell = pay.setdefault((emp, pm, element), [0.0, None])
        cell[0] += amount
        if hours is not None:
            cell[1] = (cell[1] or 0.0) + hours

    for s in spells:
        last = min(s.end, h1)
        if last < _month_start(first_pm):
            continue
        for pm in range(max(first_pm, _month_of(s.start)), _month_of(last) + 1):
            ms, me = _month_start(pm), _month_end(pm)
            days = min(me, last) - max(ms, s.start) + 1
            if days <= 0:
                continue
            share = days / (me - ms + 1)
            # salaries are drawn at end-of-history rates: take off a 3% award per April since
            aprils = (c.end_mi - 3) // 12 - (pm - 3) // 12
            salary = s.salary / (1.03 ** aprils)
            basic = salary / 12 * s.fte * share
            add_pay(s.emp_id, pm, "BASIC", basic, 37 * 52 / 12 * s.fte * share)
            if s.supplement:
                add_pay(s.emp_id, pm, "MARKET_SUPPLEMENT", 4000 / 12 * s.fte * share, None)
            months_in_post = pm - _month_of(s.post_since)
            if s.grade in ("SW", "SSW") and months_in_post >= 24 and months_in_post % 12 == 0 \
                    and (s.emp_id, pm) not in retention_paid:
                retention_paid.add((s.emp_id, pm))  # yearly, from two years in the same post
                add_pay(s.emp_id, pm, "RETENTION_PAYMENT", 2000.0, None)
            if s.person.overseas and pm == _month_of(s.service_start) and s.start == s.service_start:
                add_pay(s.emp_id, pm, "RELOCATION", float(rng.integers(3000, 8001)), None)
    keys = sorted(pay)
    for key in keys:  # elements that depend on the month's basic pay
        emp, pm, element = key
        if element != "BASIC":
            continue
        basic = pay[key][0]
        if rng.random() < 0.06:
            hours = float(rng.integers(2, 13))
            add_pay(emp, pm, "OVERTIME", hours * basic / max(pay[key][1], 1.0) * 1.5, hours)
        if rng.random() < 0.006:
            add_pay(emp, pm, "OTHER", -float(rng.integers(50, 450)), None)  # a correction
    for key in sorted(pay):
        emp, pm, element = key
        if element == "BASIC":
            supp = pay.get((emp, pm, "MARKET_SUPPLEMENT"), [0.0])[0]
            add_pay(emp, pm, "EMPLOYER_ONCOST", 0.28 * (pay[key][0] + supp), None)
    order = {e: i for i, e in enumerate(contract.PAY_ELEMENTS)}
    lines = sorted(pay.items(), key=lambda kv: (kv[0][0], kv[0][1], order[kv[0][2]]))
    tables["payroll_lines"] = _Table("payroll_lines", {
        "employee_id": np.array([k[0] for k, _ in lines], dtype=object),
        "pay_period": np.array([_period(k[1]) for k, _ in lines], dtype=object),
        "pay_element": np.array([k[2] for k, _ in lines], dtype=object),
        "amount_gbp": np.array([f"{v[0]:.2f}" for _, v in lines], dtype=object),
        "hours": np.array([None if v[1] is None else f"{v[1]:.2f}" for _, v in lines], dtype=object),
    }, month=np.array([k[1] for k, _ in lines], dtype=np.int64))

    # agency_assignments and timesheets ---------------------------------------------------------
    a_start = np.array([a.start for a in assigns], dtype=np.int64)
    a_end = np.array([a.end for a in assigns], dtype=np.int64)
    tables["agency_assignments"] = _Table("agency_assignments", {
        "assignment_id": np.array([a.aid for a in assigns], dtype=object),
        "swe_registration": np.array([a.person.swe for a in assigns], dtype=object),
        "agency_name": np.array([a.agency for a in assigns], dtype=object),
        "team_code": np.array([a.team.code for a in assigns], dtype=object),
        "post_id": np.array([a.post.pid if a.post else None for a in assigns], dtype=object),
        "org_role": _int_code(a.role for a in assigns),
        "fte": np.array([_fmt_dec(a.fte) for a in assigns], dtype=object),
        "start_date": _iso_array(a_start),
        "end_date": _iso_array(a_end),
        "covering_vacancy": np.array(["Y" if a.cover else "N" for a in assigns], dtype=object),
        "hourly_charge_gbp": np.array([_fmt_dec(a.rate) for a in assigns], dtype=object),
    }, since=a_start, blanks=((a_end, ("end_date",)),))

    ts_first = _month_start(first_pm)
    ts_id, ts_week, ts_hours, ts_charge = [], [], [], []
    for a in assigns:
        last = min(a.end, h1)
        first_sunday = a.start + (6 - (a.start + 3) % 7)
        for week in range(max(first_sunday, ts_first + (6 - (ts_first + 3) % 7)), last + 7, 7):
            if week > h1:
                break
            worked = _weekdays(max(week - 6, a.start), min(week, last))
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
    ts_week_arr = np.array(ts_week, dtype=np.int64)
    tables["agency_timesheets"] = _Table("agency_timesheets", {
        "assignment_id": np.array(ts_id, dtype=object),
        "week_ending": _iso_array(ts_week_arr),
        "hours": np.array(ts_hours, dtype=object),
        "charge_gbp": np.array(ts_charge, dtype=object),
    }, week_day=ts_week_arr)

    # ssd_involvements ----------------------------------------------------------------------------
    cases = sim["cases"]
    prof_ids: dict[int, str] = {}
    for p in c.people:
        if p.spells or p.assignments:
            p.prof_id = c.unique("P", 5)
            prof_ids[p.key] = p.prof_id
    for extra in cases["unmatched"]:
        extra["prof_id"] = c.unique("P", 5)
        prof_ids[extra["key"]] = extra["prof_id"]
    keep = cases["start"] <= h1
    order_idx = np.argsort(cases["start"][keep], kind="stable")
    inv = {k: cases[k][keep][order_idx] for k in ("prof", "role", "team", "start", "end", "reason",
                                                   "child", "ref")}
    n_inv = len(inv["prof"])
    tables["ssd_involvements"] = _Table("ssd_involvements", {
        "invo_involvements_id": np.array([f"INV{i:08d}" for i in range(1, n_inv + 1)], dtype=object),
        "invo_professional_id": np.array([prof_ids[k] for k in inv["prof"].tolist()], dtype=object),
        "invo_professional_role_id": inv["role"],
        "invo_professional_team": inv["team"],
        "invo_involvement_start_date": _iso_array(inv["start"]),
        "invo_involvement_end_date": _iso_array(inv["end"]),
        "invo_worker_change_reason": inv["reason"],
        "invo_person_id": inv["child"],
        "invo_referral_id": inv["ref"],
    }, since=inv["start"], blanks=((inv["end"], ("invo_involvement_end_date",
                                                 "invo_worker_change_reason")),))
    cw = np.isin(np.char.upper(inv["role"].astype(str)),
                 [r.upper() for r in contract.ALLOCATED_CASE_WORKER_ROLES])

    # ssd_professionals: one row per professional, as the CMS shows them on the day --------------
    engagements: dict[int, list[tuple]] = {}
    for s in spells:
        engagements.setdefault(s.person.key, []).append(
            (s.start, s.end, s.team.code, s.fte, s.title, s.emp_id, "N"))
    for a in assigns:
        engagements.setdefault(a.person.key, []).append(
            (a.start, a.end, a.team.code, a.fte, "Agency " + ("Team Manager" if a.role == 3 else
             "Independent Reviewing Officer" if a.role == 6 else "Social Worker"), None, "Y"))
    profs = []
    for p in c.people:
        if p.key not in engagements:
            continue
        swe = p.swe
        if p.swe_style == 1:
            swe = swe.lower()
        elif p.swe_style == 2:
            swe = f"{swe[:2]} {swe[2:]}"
        profs.append((p.prof_id, f"{p.first} {p.last}", swe, sorted(engagements[p.key]), p.key))
    unmatched_rows = []
    for extra in cases["unmatched"]:
        kind = extra["kind"]
        first, last = c.pick(FIRST_NAMES), c.pick(LAST_NAMES)
        if kind == "student":
            title, swe, fte = "Student Social Worker", None, 1.0
        elif kind == "locum":
            title, swe, fte = "Social Worker (other authority)", c.unique("SW", 6), 1.0
        else:
            title, swe, fte = "Family Support Worker", None, 1.0
        unmatched_rows.append((extra["prof_id"], f"{first} {last}", swe,
                               [(extra["start"], OPEN, extra["team"], fte, title, None, "N")],
                               extra["key"]))
    profs.extend(unmatched_rows)
    profs.sort(key=lambda r: r[0])
    prof_index = {r[4]: i for i, r in enumerate(profs)}
    inv_prof_pos = np.array([prof_index[k] for k in inv["prof"].tolist()], dtype=np.int64)

    def professionals(d: int) -> dict[str, np.ndarray]:
        open_cw = cw & (inv["start"] <= d) & (inv["end"] > d)
        counts = np.bincount(inv_prof_pos[open_cw], minlength=len(profs))
        rows = []
        for i, (pid, name, swe, engs, _key) in enumerate(profs):
            known = [e for e in engs if e[0] <= d]
            if not known:
                continue
            current = [e for e in known if e[1] > d]
            shown = current[-1] if current else known[-1]
            fte = sum(e[3] for e in current) if current else shown[3]
            staff = next((e[5] for e in reversed(known) if e[5]), None)
            rows.append((pid, staff, name, swe, shown[4], str(int(counts[i])),
                         team_names.get(shown[2], shown[2]), _fmt_dec(min(fte, 1.0)), shown[6]))
        names = contract.export("ssd_professionals").column_names
        return {n: np.array([r[j] for r in rows], dtype=object) for j, n in enumerate(names)}

    return tables, professionals


# ----------------------------------------------------------------------------------------
# Writing
# ----------------------------------------------------------------------------------------
def _write_csv(path: Path, columns: list[str], data: dict[str, np.ndarray]) -> None:
    frame = pd.DataFrame({k: data[k] for k in columns}, columns=columns, dtype=object)
    frame.to_csv(path, index=False, lineterminator="\n", encoding="utf-8")


_CORE_DATES = re.compile(rb"(<dcterms:(?:created|modified)[^>]*>)[^<]*(</dcterms:)")


def _write_xlsx(path: Path, spec: contract.ExportSpec, data: dict[str, np.ndarray],
                stamp: str) -> None:
    from openpyxl import Workbook

    numeric = {c.name for c in spec.columns if c.type in (contract.INT, contract.DECIMAL)}
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(spec.name[:31])
    names = spec.column_names
    ws.append(names)
    n = len(data[names[0]]) if names else 0
    cols = [data[name] for name in names]
    for i in range(n):
        row = []
        for name, col in zip(names, cols, strict=True):
            v = col[i]
            if v is not None and name in numeric:
                v = int(v) if re.fullmatch(r"-?\d+", v) else float(v)
            row.append(v)
        ws.append(row)
    wb.properties.creator = "workforce generate (synthetic sample data)"
    buf = io.BytesIO()
    wb.save(buf)
    # openpyxl stamps the clock into the zip entries and docProps/core.xml: pin both so
    # the same config writes the same bytes.
    src = zipfile.ZipFile(io.BytesIO(buf.getvalue()))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            content = src.read(info.filename)
            if info.filename == "docProps/core.xml":
                content = _CORE_DATES.sub(rb"\g<1>" + stamp.encode() + rb"\g<2>", content)
            fixed = zipfile.ZipInfo(info.filename, date_time=(1980, 1, 1, 0, 0, 0))
            fixed.compress_type = zipfile.ZIP_DEFLATED
            fixed.external_attr = 0o600 << 16
            dst.writestr(fixed, content)
    path.write_bytes(out.getvalue())


def _validate(cfg: SampleConfig) -> None:
    if isinstance(cfg.seed, bool) or not isinstance(cfg.seed, int) or cfg.seed < 0:
        raise ValueError(f"seed must be a non-negative whole number, got {cfg.seed!r}")
    match = re.fullmatch(r"(\d{4})-(\d{2})", str(cfg.end_month))
    if not match or not 1 <= int(match.group(2)) <= 12 or not 1990 <= int(match.group(1)) <= 2200:
        raise ValueError(f"end_month must be a month as YYYY-MM (e.g. 2026-09), got {cfg.end_month!r}")
    for name, minimum in (("history_years", 1), ("la_workers", 30), ("agency_workers", 1),
                          ("extracts", 1)):
        value = getattr(cfg, name)
        if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
            raise ValueError(f"{name} must be a positive whole number, got {value!r}")
        if value < minimum:
            raise ValueError(f"{name} must be at least {minimum}, got {value!r}")
    if cfg.history_years > 30:
        raise ValueError(f"history_years must be at most 30, got {cfg.history_years!r}")
    if cfg.extracts > 12 * cfg.history_years:
        raise ValueError(f"extracts ({cfg.extracts}) must not exceed the months of history "
                         f"({12 * cfg.history_years})")
    if isinstance(cfg.xlsx_exports, str):
        raise ValueError("xlsx_exports must be a tuple of export names, not a string")
    unknown = [n for n in cfg.xlsx_exports if n not in contract.EXPORTS_BY_NAME]
    if unknown:
        raise ValueError(f"xlsx_exports names unknown exports: {', '.join(unknown)}")
    if cfg.include_optional is not None:
        if isinstance(cfg.include_optional, str):
            raise ValueError("include_optional must be a tuple of export names, not a string")
        bad = [n for n in cfg.include_optional if n not in contract.OPTIONAL_EXPORTS]
        if bad:
            raise ValueError(f"include_optional must name optional exports "
                             f"({', '.join(contract.OPTIONAL_EXPORTS)}); got {', '.join(bad)}")


def _prepare_landing(landing: Path) -> None:
    if landing.exists() and not landing.is_dir():
        raise ValueError(f"landing path {landing} exists and is not a folder")
    if not landing.exists():
        landing.mkdir(parents=True)
        return
    if any(landing.iterdir()) and not (landing / SAMPLE_MARKER).is_file():
        raise ValueError(
            f"refusing to write sample data into {landing}: the folder is not empty and has no "
            f"{SAMPLE_MARKER} marker, so it may hold real exports. Use an empty folder.")
    for name in contract.EXPORTS_BY_NAME:
        target = landing / name
        if target.is_dir() and not target.is_symlink():
            shutil.rmtree(target)
        elif target.exists() or target.is_symlink():
            target.unlink()


def generate_sample(landing_dir: Path, config: SampleConfig = SampleConfig(),  # noqa: B008
                    progress: Callable[[str], None] | None = None) -> dict:
    """Write a synthetic council's exports into ``landing_dir``; return a summary.

    Raises ``ValueError`` for an invalid config or a landing folder that is not empty and
    carries no ``SAMPLE_DATA.json`` marker (it could hold real exports).
    """
    _validate(config)
    say = progress or (lambda _msg: None)
    landing = Path(landing_dir)
    _prepare_landing(landing)

    council = _Council(config)
    extract_days = [_month_end(mi) for mi in range(council.end_mi - config.extracts + 1,
                                                   council.end_mi + 1)]
    extract_dates = [_iso(d) for d in extract_days]
    optional = contract.OPTIONAL_EXPORTS if config.include_optional is None else tuple(
        config.include_optional)
    exports = [e for e in contract.EXPORTS if e.required or e.name in optional]
    marker = {
        "note": SAMPLE_NOTE,
        "generator": "workforce.generate",
        "config": {k: (list(v) if isinstance(v, tuple) else v) for k, v in asdict(config).items()},
        "extract_dates": extract_dates,
        "exports": [e.name for e in exports],
    }
    # The marker goes first so that a half-written folder is still known to be a sample.
    (landing / SAMPLE_MARKER).write_text(json.dumps(marker, indent=2, sort_keys=True) + "\n",
                                         encoding="utf-8")

    sim = council.run(say)
    say("building export tables")
    tables, professionals = _build_tables(council, sim)

    files: dict[str, int] = {}
    for spec in exports:
        (landing / spec.name).mkdir(parents=True, exist_ok=True)
    for day, date in zip(extract_days, extract_dates, strict=True):
        rows_total = 0
        for spec in exports:
            data = professionals(day) if spec.name == "ssd_professionals" else \
                tables[spec.name].snapshot(day)
            ext = "xlsx" if spec.name in config.xlsx_exports else "csv"
            rel = f"{spec.name}/{spec.name}_{date}.{ext}"
            if ext == "xlsx":
                _write_xlsx(landing / rel, spec, data, f"{date}T00:00:00Z")
            else:
                _write_csv(landing / rel, spec.column_names, data)
            n = len(data[spec.column_names[0]])
            files[rel] = n
            rows_total += n
        say(f"extract {date}: {len(exports)} files, {rows_total:,} rows")
    return {
        "landing_dir": str(landing),
        "marker": SAMPLE_MARKER,
        "note": SAMPLE_NOTE,
        "extract_dates": extract_dates,
        "exports": [e.name for e in exports],
        "files": files,
        "rows": {e.name: files[f"{e.name}/{e.name}_{extract_dates[-1]}."
                              f"{'xlsx' if e.name in config.xlsx_exports else 'csv'}"]
                 for e in exports},
    }
