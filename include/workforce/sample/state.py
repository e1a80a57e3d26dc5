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


class Choice:
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


class Team:
    """A team of a service area (a row of ``hr_teams``); ``cases``: its workers hold children's cases."""

    __slots__ = ("code", "name", "area", "locality", "cases")

    def __init__(self, code, name, area, locality):
        self.code, self.name, self.area, self.locality = code, name, area, locality
        self.cases = AREAS[area][2]


class Post:
    """A funded post; ``rows`` is its establishment history (rows of ``hr_establishment``)."""

    __slots__ = ("pid", "team", "role", "grade", "rows", "holders", "agency", "removed",
                 "vacant_since", "ap_cases")

    def __init__(self, pid, team, role, grade, budget, since):
        self.pid, self.team, self.role, self.grade = pid, team, role, grade
        self.rows = [[since, OPEN, budget]]  # effective_from, effective_to, budgeted_fte
        self.holders: list[Spell] = []
        self.agency: Assign | None = None
        self.removed = False
        self.vacant_since = since
        self.ap_cases = False

    @property
    def budget(self) -> float:
        return self.rows[-1][2]

    @property
    def since(self) -> int:
        return self.rows[0][0]


class Person:
    """Someone who works for the council, employed (``la``) or through an agency, or both in turn."""

    __slots__ = ("key", "swe", "first", "last", "dob", "gender", "eth", "overseas",
                 "emp_id", "open", "service_start", "origin", "spells", "left_on", "la",
                 "assignments", "prof_id", "swe_style")

    def __init__(self, key):
        self.key = key
        self.open: list[Spell] = []
        self.spells: list[Spell] = []
        self.assignments: list[Assign] = []
        self.left_on: int | None = None
        self.la = False
        self.emp_id = ""
        self.service_start = 0
        self.origin: int | None = None
        self.prof_id = ""
        self.swe_style = 0


class Spell:
    """One person in one post (a casual worker: in a team) on unchanged terms: a row of ``hr_workers``."""

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


class Assign:
    """One agency worker's engagement: a row of ``agency_assignments``."""

    __slots__ = ("person", "agency", "team", "post", "role", "fte", "start", "end", "planned",
                 "cover", "rate", "aid")

    def __init__(self, **kw):
        for k, v in kw.items():
            setattr(self, k, v)
        self.end = OPEN
        self.aid = ""


class Council:
    """The simulated council: its state, its random number generator and the draws from it.

    ``h0``/``h1`` are the first and last day of the history, ``start_mi``/``end_mi`` its months.
    """

    def __init__(self, cfg: SampleConfig):
        self.cfg = cfg
        self.rng = np.random.default_rng(cfg.seed)
        year, month = (int(x) for x in cfg.end_month.split("-"))
        self.end_mi = year * 12 + month - 1
        self.start_mi = self.end_mi - 12 * cfg.history_years + 1
        self.h0 = month_start(self.start_mi)
        self.h1 = month_end(self.end_mi)
        self.people: list[Person] = []
        self.posts: list[Post] = []
        self.teams: list[Team] = []
        self.spells: list[Spell] = []
        self.assigns: list[Assign] = []
        self.active: dict[int, Person] = {}  # LA people in post, by key
        self.events: dict[int, list] = {}  # month -> [(day, kind, spell)]
        self.used_numbers: set[str] = set()
        self.leaver_pool: list[Person] = []
        self.agency_pool: list[Person] = []  # agency workers not currently engaged
        self.n_returners = 0
        self.n_converts = 0
        self.n_overseas = 0
        self.n_posts = 0
        self.ch = {name: Choice(pairs) for name, pairs in (
            ("eth", ETHNICITY_MAIN), ("eth_os", ETHNICITY_OVERSEAS), ("gender", GENDER),
            ("reason", LEAVING_REASON), ("dest", DESTINATION), ("origin", ORIGIN_EXPERIENCED),
            ("exit", EXIT_PRIMARY), ("change", CHANGE_REASONS), ("sib", SIBLINGS))}

    # -- random draws (each draws from ``rng`` in a fixed way: keep their order) -------------
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

    # -- lookups ---------------------------------------------------------------------------
    def case_teams(self) -> list[Team]:
        """The teams whose social workers hold children's cases."""
        return [t for t in self.teams if t.cases]

    def teams_in(self, area: str) -> list[Team]:
        """The teams of a service area."""
        return [t for t in self.teams if t.area == area]
