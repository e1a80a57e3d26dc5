"""Who can hold children's cases on a day, how many each holds, and who oversees them.

``case_segments`` cuts each case-holding worker's spells and agency assignments into spans of
availability — merged across moves within a team, broken by long absences (maternity,
sickness of 30 days or more) — with the reason their cases are handed on when a span stops.
``Rota`` is the day's pool of case holders per service area, with their capacity (protected
caseloads for ASYE and advanced practitioners) and load; ``Oversight`` the team managers and
reviewing officers in post. ``cases`` drives both. Feeds ``ssd_involvements`` (whose cases,
and the worker change reasons) and the caseload column of ``ssd_professionals``.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from workforce.sample.absence import Absence
from workforce.sample.days import OPEN
from workforce.sample.reference import CAPACITY
from workforce.sample.state import Council

# A team manager's or reviewing officer's time in post: (start, stop, key, area, team, role).
Span = tuple[int, int, int, str, str, str]


class Bag:
    """A list with constant-time add and remove: the last item moves into a removed item's place.

    The order of ``items`` is part of the simulation: random draws index into it.
    """

    def __init__(self) -> None:
        self.items: list[int] = []
        self.pos: dict[int, int] = {}

    def add(self, x: int) -> None:
        self.pos[x] = len(self.items)
        self.items.append(x)

    def remove(self, x: int) -> None:
        i = self.pos.pop(x)
        last = self.items.pop()
        if last != x:
            self.items[i] = last
            self.pos[last] = i

    def __contains__(self, x: int) -> bool:
        return x in self.pos

    def __len__(self) -> int:
        return len(self.items)


@dataclass(slots=True)
class Segment:
    """A span in which a worker (``key``) can hold children's cases in a team of an area.

    ``stop`` is the first day not available; ``reason`` is why their cases are handed on then."""

    start: int
    stop: int
    key: int
    area: str
    team: str
    cap: float
    reason: str


def case_segments(c: Council, absences: list[Absence]) -> list[Segment]:
    """The spans in which each worker can hold children's cases."""
    by_person: dict[int, list[Segment]] = {}
    for s in c.spells:
        holds = s.team.cases and (s.role == 5 or (s.role == 4 and s.post is not None
                                                  and s.post.ap_cases))
        if not holds:
            continue
        reason = ("SWDIED" if s.reason == 6 else "LEFTRL") if s.leaving != OPEN else (
            "ORGRST" if c.u() < 0.5 else "MANAGE")
        cap = s.fte * CAPACITY.get(s.grade, 1.0)
        by_person.setdefault(s.person.key, []).append(
            Segment(s.start, s.end, s.person.key, s.team.area, s.team.code, cap, reason))
    for a in c.assigns:
        if a.team.cases and a.role in (4, 5):
            by_person.setdefault(a.person.key, []).append(
                Segment(a.start, a.end, a.person.key, a.team.area, a.team.code, a.fte * 1.05,
                        "LEFTRL"))
    unavailable: dict[int, list[tuple[int, int]]] = {}
    for _emp, reason, start, end, person, days in absences:
        if reason == "MAT" or (reason == "SIC" and days >= 30):
            unavailable.setdefault(person.key, []).append((start, end))
    out: list[Segment] = []
    for key, segs in by_person.items():
        segs.sort(key=lambda x: x.start)
        merged: list[Segment] = []
        for seg in segs:
            if merged and seg.start == merged[-1].stop + 1 and seg.team == merged[-1].team:
                merged[-1].stop = seg.stop
                merged[-1].reason = seg.reason
                continue
            merged.append(replace(seg))
        for win_start, win_end in sorted(unavailable.get(key, [])):
            nxt = []
            for seg in merged:
                if win_end < seg.start or win_start >= seg.stop:
                    nxt.append(seg)
                    continue
                if win_start > seg.start:
                    nxt.append(replace(seg, stop=win_start, reason="ABSENC"))
                if win_end + 1 < seg.stop:
                    nxt.append(replace(seg, start=win_end + 1))
            merged = nxt
        out.extend(s for s in merged if s.stop > s.start and s.stop > c.h0)
    return out


class Rota:
    """The case holders of each service area today, with their capacity and the children they hold."""

    def __init__(self, c: Council, areas: list[str]):
        self.rng = c.rng
        self.areas = areas
        self.pool: dict[str, Bag] = {a: Bag() for a in areas}
        self.area_of: dict[int, str] = {}  # worker key -> the area whose pool they are in
        self.cap: dict[int, float] = {}
        self.team: dict[int, str] = {}
        self.load: dict[int, int] = {}  # children held
        self.holding: dict[int, set[int]] = {}  # groups held
        self.area_cap = dict.fromkeys(areas, 0.0)

    def add(self, seg: Segment) -> None:
        key, area = seg.key, seg.area
        if key in self.area_of:  # already in a pool (overlapping spans): keep the first
            return
        self.pool[area].add(key)
        self.area_of[key] = area
        self.cap[key], self.team[key] = seg.cap, seg.team
        self.load.setdefault(key, 0)
        self.holding.setdefault(key, set())
        self.area_cap[area] += seg.cap

    def holds(self, seg: Segment) -> bool:
        """Whether the worker of ``seg`` is on the rota for its area and team."""
        key = seg.key
        return self.area_of.get(key) == seg.area and self.team.get(key) == seg.team

    def remove(self, key: int) -> None:
        area = self.area_of.pop(key)
        self.pool[area].remove(key)
        self.area_cap[area] -= self.cap[key]

    def choose(self, area: str, exclude: int = -1) -> int:
        """The least loaded of three drawn from the area's pool (or from every pool); -1 if nobody."""
        rng = self.rng
        lst = self.pool[area].items
        if not lst or (len(lst) == 1 and lst[0] == exclude):
            lst = [k for a in self.areas for k in self.pool[a].items if k != exclude]
            if not lst:
                return -1
        best, best_load = -1, 1e18
        for _ in range(3):
            k = lst[int(rng.integers(len(lst)))]
            if k == exclude:
                continue
            value = self.load[k] / max(self.cap[k], 0.05)
            if value < best_load:
                best, best_load = k, value
        if best == -1:
            best = next((k for k in lst if k != exclude), -1)
        return best


class Oversight:
    """Team managers and reviewing officers in post, for involvements that do not count as cases."""

    def __init__(self, c: Council):
        self.c = c
        h0, h1 = c.h0, c.h1
        spans: list[Span] = []
        for s in c.spells:
            if s.grade in ("TM", "IRO"):
                spans.append((s.start, s.end, s.person.key, s.team.area, s.team.code,
                              "TM" if s.grade == "TM" else "IRO"))
        for a in c.assigns:
            if a.role == 3:
                spans.append((a.start, a.end, a.person.key, a.team.area, a.team.code, "TM"))
            elif a.role == 6 and a.team.area == "Quality Assurance":
                spans.append((a.start, a.end, a.person.key, a.team.area, a.team.code, "IRO"))
        self.starts: dict[int, list[Span]] = {}
        self.stops: dict[int, list[Span]] = {}
        self.active: dict[tuple[str, str], list[Span]] = {}
        for o in sorted(spans):
            if o[1] <= h0:
                continue
            if o[0] <= h0:
                self.active.setdefault(self._key(o[5], o[3]), []).append(o)
            else:
                self.starts.setdefault(o[0], []).append(o)
            if o[1] <= h1:
                self.stops.setdefault(o[1], []).append(o)

    @staticmethod
    def _key(role: str, area: str) -> tuple[str, str]:
        return (role, "" if role == "IRO" else area)  # reviewing officers serve every area

    def advance(self, day: int) -> None:
        """Those who start on ``day`` join; those whose span stops on it leave."""
        for o in self.starts.pop(day, []):
            self.active.setdefault(self._key(o[5], o[3]), []).append(o)
        for o in self.stops.pop(day, []):
            self.active[self._key(o[5], o[3])].remove(o)

    def pick(self, role: str, area: str) -> Span | None:
        """One ("TM" or "IRO") in post for ``area``: (start, stop, key, area, team, role), or None."""
        found = self.active.get(self._key(role, area))
        return self.c.pick(found) if found else None
