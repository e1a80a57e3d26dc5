"""The simulated council's state: what it is made of, and the random draws everything uses.

``Council`` holds the whole true history as it is simulated — teams, funded posts, people,
their spells in post and their agency assignments — and the one ``numpy`` generator seeded
from ``SampleConfig.seed``. The simulation modules (``establishment``, ``people``, ``careers``,
``starters``, ``agency``, ``absence``, ``caseholders``, ``cases``) work on a ``Council``, and
``council`` calls them in a fixed order, so the draws from the generator (and the files) are
the same for the same config. The entities here feed every export; ``tables`` formats them.
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from typing import Generic, TypedDict, TypeVar

import numpy as np

from workforce.sample.config import SampleConfig
from workforce.sample.days import OPEN, month_end, month_start
from workforce.sample.reference import (
    AREAS,
    CHANGE_REASONS,
    DESTINATION,
    ETHNICITY_MAIN,
    ETHNICITY_OVERSEAS,
    EXIT_PRIMARY,
    GENDER,
    LEAVING_REASON,
    ORIGIN_EXPERIENCED,
    SIBLINGS,
)

T = TypeVar("T")
# A spell's scheduled event: (day, "prog" | "ftend" | "retire", spell), queued by month.
Event = tuple[int, str, "Spell"]


class Choice(Generic[T]):
    """Weighted choice from a fixed list, drawing one uniform number."""

    def __init__(self, pairs: Sequence[tuple[T, float]]):
        self.items = [p[0] for p in pairs]
        total = float(sum(p[1] for p in pairs))
        acc, self.cum = 0.0, []
        for _, w in pairs:
            acc += w / total
            self.cum.append(acc)
        self.cum[-1] = 1.0

    def __call__(self, u: float) -> T:
        return self.items[bisect.bisect_right(self.cum, u)]


class Choices(TypedDict):
    """The council's weighted choices (``Council.ch``), by what they choose."""

    eth: Choice[str]
    eth_os: Choice[str]
    gender: Choice[str]
    reason: Choice[int]
    dest: Choice[int]
    origin: Choice[int]
    exit: Choice[str]
    change: Choice[str]
    sib: Choice[int]


class Team:
    """A team of a service area (a row of ``hr_teams``); ``cases``: its workers hold children's cases."""

    __slots__ = ("code", "name", "area", "locality", "cases")

    code: str
    name: str
    area: str
    locality: str
    cases: bool

    def __init__(self, code: str, name: str, area: str, locality: str):
        self.code, self.name, self.area, self.locality = code, name, area, locality
        self.cases = AREAS[area][2]


class BudgetRow:
    """One dated budget of a post (a row of ``hr_establishment``)."""

    __slots__ = ("effective_from", "effective_to", "budgeted_fte")

    effective_from: int
    effective_to: int
    budgeted_fte: float

    def __init__(self, effective_from: int, effective_to: int, budgeted_fte: float):
        self.effective_from = effective_from
        self.effective_to = effective_to
        self.budgeted_fte = budgeted_fte


class Post:
    """A funded post; ``rows`` is its establishment history (rows of ``hr_establishment``)."""

    __slots__ = ("pid", "team", "role", "grade", "rows", "holders", "agency", "removed",
                 "vacant_since", "ap_cases")

    pid: str
    team: Team
    role: int
    grade: str
    rows: list[BudgetRow]
    holders: list[Spell]
    agency: Assign | None
    removed: bool
    vacant_since: int
    ap_cases: bool

    def __init__(self, pid: str, team: Team, role: int, grade: str, budget: float, since: int):
        self.pid, self.team, self.role, self.grade = pid, team, role, grade
        self.rows = [BudgetRow(since, OPEN, budget)]
        self.holders = []
        self.agency = None
        self.removed = False
        self.vacant_since = since
        self.ap_cases = False

    @property
    def budget(self) -> float:
        return self.rows[-1].budgeted_fte

    @property
    def since(self) -> int:
        return self.rows[0].effective_from


class Person:
    """Someone who works for the council, employed (``la``) or through an agency, or both in turn.

    ``swe_style`` is how the case-management system mistypes their SWE number (0: as is,
    1: lower-case, 2: spaced); ``emp_id``, ``service_start`` and ``origin`` are set when they
    become an LA employee, ``prof_id`` when the CMS knows them."""

    __slots__ = ("key", "swe", "first", "last", "dob", "gender", "eth", "overseas",
                 "emp_id", "open", "service_start", "origin", "spells", "left_on", "la",
                 "assignments", "prof_id", "swe_style")

    key: int
    swe: str
    first: str
    last: str
    dob: int
    gender: str
    eth: str
    overseas: bool
    emp_id: str
    open: list[Spell]
    service_start: int
    origin: int | None
    spells: list[Spell]
    left_on: int | None
    la: bool
    assignments: list[Assign]
    prof_id: str
    swe_style: int

    def __init__(self, key: int, *, swe: str, first: str, last: str, dob: int, gender: str,
                 eth: str, overseas: bool, swe_style: int):
        self.key = key
        self.swe, self.first, self.last, self.dob = swe, first, last, dob
        self.gender, self.eth, self.overseas, self.swe_style = gender, eth, overseas, swe_style
        self.open = []
        self.spells = []
        self.assignments = []
        self.left_on = None
        self.la = False
        self.emp_id = ""
        self.service_start = 0
        self.origin = None
        self.prof_id = ""


class Spell:
    """One person in one post (a casual worker: in a team) on unchanged terms: a row of ``hr_workers``.

    ``end`` and ``leaving`` stay ``OPEN`` (``reason`` and ``dest`` None) until the spell closes;
    ``sid`` is given once the history is complete."""

    __slots__ = ("person", "emp_id", "post", "team", "role", "grade", "contract", "fte",
                 "start", "end", "service_start", "leaving", "reason", "dest", "origin",
                 "kss", "title", "salary", "supplement", "post_since", "sid")

    person: Person
    emp_id: str
    post: Post | None
    team: Team
    role: int
    grade: str
    contract: str
    fte: float
    start: int
    end: int
    service_start: int
    leaving: int
    reason: int | None
    dest: int | None
    origin: int | None
    kss: int | None
    title: str
    salary: float
    supplement: bool
    post_since: int
    sid: str

    def __init__(self, *, person: Person, emp_id: str, post: Post | None, team: Team, role: int,
                 grade: str, contract: str, fte: float, start: int, service_start: int,
                 origin: int | None, kss: int | None, title: str, salary: float,
                 supplement: bool, post_since: int):
        self.person, self.emp_id, self.post, self.team = person, emp_id, post, team
        self.role, self.grade, self.contract, self.fte = role, grade, contract, fte
        self.start, self.service_start, self.origin, self.kss = start, service_start, origin, kss
        self.title, self.salary, self.supplement = title, salary, supplement
        self.post_since = post_since
        self.end = OPEN
        self.leaving = OPEN
        self.reason = None
        self.dest = None
        self.sid = ""


class Assign:
    """One agency worker's engagement: a row of ``agency_assignments``.

    ``end`` stays ``OPEN`` until it ends (``planned`` is when it is due to); ``aid`` is given once
    the history is complete."""

    __slots__ = ("person", "agency", "team", "post", "role", "fte", "start", "end", "planned",
                 "cover", "rate", "aid")

    person: Person
    agency: str
    team: Team
    post: Post | None
    role: int
    fte: float
    start: int
    end: int
    planned: int
    cover: bool
    rate: float
    aid: str

    def __init__(self, *, person: Person, agency: str, team: Team, post: Post | None, role: int,
                 fte: float, start: int, planned: int, cover: bool, rate: float):
        self.person, self.agency, self.team, self.post = person, agency, team, post
        self.role, self.fte, self.start, self.planned = role, fte, start, planned
        self.cover, self.rate = cover, rate
        self.end = OPEN
        self.aid = ""


class Council:
    """The simulated council: its state, its random number generator and the draws from it.

    ``h0``/``h1`` are the first and last day of the history, ``start_mi``/``end_mi`` its months.
    """

    cfg: SampleConfig
    rng: np.random.Generator
    start_mi: int
    end_mi: int
    h0: int
    h1: int
    people: list[Person]
    posts: list[Post]
    teams: list[Team]
    spells: list[Spell]
    assigns: list[Assign]
    active: dict[int, Person]  # LA people in post, by key
    events: dict[int, list[Event]]  # month index -> the spells' events scheduled in it
    used_numbers: set[str]
    leaver_pool: list[Person]
    agency_pool: list[Person]  # agency workers not currently engaged
    n_returners: int
    n_converts: int
    n_overseas: int
    n_posts: int
    ch: Choices

    def __init__(self, cfg: SampleConfig):
        self.cfg = cfg
        self.rng = np.random.default_rng(cfg.seed)
        year, month = (int(x) for x in cfg.end_month.split("-"))
        self.end_mi = year * 12 + month - 1
        self.start_mi = self.end_mi - 12 * cfg.history_years + 1
        self.h0 = month_start(self.start_mi)
        self.h1 = month_end(self.end_mi)
        self.people = []
        self.posts = []
        self.teams = []
        self.spells = []
        self.assigns = []
        self.active = {}
        self.events = {}
        self.used_numbers = set()
        self.leaver_pool = []
        self.agency_pool = []
        self.n_returners = 0
        self.n_converts = 0
        self.n_overseas = 0
        self.n_posts = 0
        self.ch = Choices(
            eth=Choice(ETHNICITY_MAIN), eth_os=Choice(ETHNICITY_OVERSEAS), gender=Choice(GENDER),
            reason=Choice(LEAVING_REASON), dest=Choice(DESTINATION),
            origin=Choice(ORIGIN_EXPERIENCED), exit=Choice(EXIT_PRIMARY),
            change=Choice(CHANGE_REASONS), sib=Choice(SIBLINGS))

    # -- random draws (each draws from ``rng`` in a fixed way: keep their order) -------------
    def u(self) -> float:
        return float(self.rng.random())

    def randint(self, lo: int, hi: int) -> int:
        """Uniform integer in [lo, hi]."""
        return int(self.rng.integers(lo, hi + 1))

    def pick(self, seq: Sequence[T]) -> T:
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

    # -- lookups ---------------------------------------------------------------------------
    def case_teams(self) -> list[Team]:
        """The teams whose social workers hold children's cases."""
        return [t for t in self.teams if t.cases]

    def teams_in(self, area: str) -> list[Team]:
        """The teams of a service area."""
        return [t for t in self.teams if t.area == area]
