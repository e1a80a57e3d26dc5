"""Children's cases: referrals, their phases through the service areas, and who holds them.

Children come as groups of siblings sharing a referral. A group enters a service area for a
phase of a drawn length (assessment, child protection, children in care, care leavers,
disabled children), then steps on to another area or closes; a full service steps a case down
rather than take it. Each group is allocated to the least loaded of three case holders drawn
from the area's rota (``caseholders``); it is handed on when its worker leaves, moves or is
long absent, when it changes area, and now and then for other reasons. Enough referrals
arrive each day to hold caseloads near ``reference.CASES_PER_CAPACITY``. Reviewing officers,
team managers and support workers are involved too, without it counting as a case. The CMS
also knows some professionals whom HR and the agencies do not (students, locums from other
authorities, support workers). Feeds ``ssd_involvements`` (one row per child and worker, with
worker change reasons) and the caseloads of ``ssd_professionals``; ``cms`` writes both.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from workforce.sample.absence import Absence
from workforce.sample.caseholders import Bag, Oversight, Rota, Segment, case_segments
from workforce.sample.days import OPEN, month_end, month_of
from workforce.sample.reference import AREAS, CASES_PER_CAPACITY, PHASES
from workforce.sample.state import Council

UNMATCHED = (("student", 3), ("locum", 2), ("support", 3))  # CMS professionals unknown to HR
UNMATCHED_TEAMS = {"student": "STU", "locum": None, "support": "EDT"}  # None: a Safeguarding team
CHANGE_RATE = 0.2 / 365  # changes of worker a day per open case, besides moves and leavers


@dataclass
class CmsOnly:
    """A professional the CMS knows whom HR and the agencies do not (``kind``: see ``UNMATCHED``).

    ``prof_id`` is their CMS id, given by ``cms.professional_ids``."""

    key: int
    kind: str
    team: str
    start: int
    prof_id: str = ""


@dataclass
class CaseHistory:
    """Every involvement of the history (``Involvements.arrays``) and the CMS-only professionals."""

    involvements: dict[str, np.ndarray]
    unmatched: list[CmsOnly]


class Involvements:
    """The rows of ``ssd_involvements`` as they are written: one per child and professional."""

    def __init__(self) -> None:
        self.prof: list[int] = []
        self.role: list[str] = []
        self.team: list[str] = []
        self.start: list[int] = []
        self.end: list[int] = []
        self.reason: list[str | None] = []
        self.child: list[str] = []
        self.ref: list[str] = []

    def add(self, key: int, role: str, team_code: str, start: int, child: str, ref: str,
            end: int = OPEN) -> int:
        self.prof.append(key)
        self.role.append(role)
        self.team.append(team_code)
        self.start.append(start)
        self.end.append(end)
        self.reason.append(None)
        self.child.append(child)
        self.ref.append(ref)
        return len(self.prof) - 1

    def close(self, r: int, day: int, reason: str | None) -> None:
        self.end[r] = day
        self.reason[r] = reason

    def arrays(self) -> dict[str, np.ndarray]:
        return {
            "prof": np.array(self.prof, dtype=np.int64), "role": np.array(self.role, dtype=object),
            "team": np.array(self.team, dtype=object), "start": np.array(self.start, dtype=np.int64),
            "end": np.array(self.end, dtype=np.int64), "reason": np.array(self.reason, dtype=object),
            "child": np.array(self.child, dtype=object), "ref": np.array(self.ref, dtype=object),
        }


class Caseload:
    """The open cases: groups of siblings (by index), the area each is in and the worker holding it."""

    def __init__(self, c: Council, rota: Rota, oversight: Oversight, support_keys: list[int]):
        self.c, self.rota, self.oversight, self.support_keys = c, rota, oversight, support_keys
        self.rows = Involvements()
        areas = rota.areas
        self.children: list[list[str]] = []
        self.ref: list[str] = []
        self.area: list[str] = []
        self.worker: list[int] = []  # -1: not allocated
        self.group_rows: list[list[int]] = []  # the open case-worker rows of each group
        self.phase_end: list[int] = []
        self.open = Bag()
        self.by_area_children = dict.fromkeys(areas, 0)
        self.phase_events: dict[int, list[int]] = {}
        self.queue: list[int] = []  # waiting for a worker
        self.transfer_in = dict.fromkeys(areas, 0.0)
        self.mean_days = {a: PHASES[a][0] * float(np.exp(PHASES[a][1] ** 2 / 2)) for a in areas}

    def target(self, area: str) -> float:
        """Children the area's case holders can hold."""
        return CASES_PER_CAPACITY * self.rota.area_cap[area]

    def phase_length(self, area: str) -> int:
        med, sig, lo, hi, _ = PHASES[area]
        return self.c.lognormal_days(med, sig, lo, hi)

    # -- allocation ------------------------------------------------------------------------
    def allocate(self, g: int, day: int, exclude: int = -1, start: int | None = None) -> None:
        rota = self.rota
        k = rota.choose(self.area[g], exclude)
        if k < 0:
            self.worker[g] = -1
            if g not in self.queue:
                self.queue.append(g)
            return
        self.worker[g] = k
        rota.load[k] += len(self.children[g])
        rota.holding[k].add(g)
        role = "CW" if self.c.u() < 0.9 else "Allocated Case Worker"
        self.group_rows[g] = [self.rows.add(k, role, rota.team[k], day if start is None else start,
                                            child, self.ref[g])
                              for child in self.children[g]]

    def release(self, g: int, day: int, reason: str | None) -> None:
        k = self.worker[g]
        if k >= 0:
            self.rota.load[k] -= len(self.children[g])
            self.rota.holding[k].discard(g)
            for r in self.group_rows[g]:
                self.rows.close(r, day, reason)
        self.group_rows[g] = []
        self.worker[g] = -1

    # -- phases ----------------------------------------------------------------------------
    def enter_area(self, g: int, area: str, day: int, start: int | None = None,
                   first: bool = False) -> None:
        c = self.c
        self.area[g] = area
        self.by_area_children[area] += len(self.children[g])
        length = self.phase_length(area)
        end = day + length
        if start is not None:  # already open before the history starts
            end = start + length
            if end <= day:
                end = day + c.randint(1, max(2, length // 2))
        if c.u() < 0.06:
            end = max(month_end(month_of(end)), day + 1)  # closed on a month-end
        self.phase_end[g] = end
        if end <= c.h1:
            self.phase_events.setdefault(end, []).append(g)
        # oversight involvements, which do not count towards caseloads
        kids, ref, add = self.children[g], self.ref[g], self.rows.add
        if area in ("Safeguarding", "Children in Care") and c.u() < 0.6:
            o = self.oversight.pick("IRO", area)
            if o is not None:
                stop = min(end, o[1])
                for child in kids:
                    add(o[2], "IRO", o[4], day if start is None else max(start, day - 300), child, ref,
                        end=stop)
        if c.u() < 0.05:
            o = self.oversight.pick("TM", area)
            if o is not None:
                stop = min(end, o[1], day + c.randint(20, 120))
                for child in kids:
                    add(o[2], "TM", o[4], day, child, ref, end=stop)
        if first and self.support_keys and c.u() < 0.05:
            s_day = day + c.randint(0, 30)
            stop = min(end, s_day + c.randint(40, 200))
            k = c.pick(self.support_keys)
            for child in kids:
                add(k, "SUPPORT", "EDT" if c.u() < 0.3 else "FSS", s_day, child, ref, end=stop)

    def new_group(self, day: int, area: str, start: int | None = None) -> int:
        c = self.c
        g = len(self.children)
        n = c.ch["sib"](c.u())
        self.children.append([c.unique("C", 7) for _ in range(n)])
        self.ref.append(c.unique("R", 7))
        self.area.append(area)
        self.worker.append(-1)
        self.group_rows.append([])
        self.phase_end.append(OPEN)
        self.open.add(g)
        self.enter_area(g, area, day, start=start, first=True)
        return g

    def close_group(self, g: int, day: int) -> None:
        self.release(g, day, None)
        self.by_area_children[self.area[g]] -= len(self.children[g])
        self.open.remove(g)
        if g in self.queue:
            self.queue.remove(g)

    def end_phase(self, g: int, day: int) -> None:
        """A group's phase ends: it steps on to the next area, or the case closes."""
        if g not in self.open or self.phase_end[g] != day:
            return
        area = self.area[g]
        nxt = None
        u = self.c.u()
        for option, p in PHASES[area][4]:
            if u < p:
                nxt = option
                break
            u -= p
        # a full service steps the case down rather than take it
        if nxt is not None and self.by_area_children[nxt] >= self.target(nxt):
            nxt = None
        if nxt is None:
            self.close_group(g, day)
            return
        self.release(g, day, "TSPROC")
        self.by_area_children[area] -= len(self.children[g])
        self.transfer_in[nxt] += len(self.children[g])
        self.enter_area(g, nxt, day)
        self.allocate(g, day)

    # -- a day -----------------------------------------------------------------------------
    def open_first_day(self, h0: int) -> None:
        """The cases already open when the history starts, until each area is full."""
        for area in self.rota.areas:
            target = self.target(area)
            while self.by_area_children[area] < target:
                length = self.phase_length(area)
                begun = h0 - self.c.randint(1, max(2, length))
                g = self.new_group(h0, area, start=begun)
                self.allocate(g, h0, start=max(begun, h0 - self.c.randint(1, 300)))
                if self.worker[g] < 0:
                    break

    def hand_over(self, seg: Segment, day: int) -> None:
        """A case holder's span stops: their cases go to others, with the span's reason."""
        key = seg.key
        if not self.rota.holds(seg):
            return
        self.rota.remove(key)
        for g in sorted(self.rota.holding[key]):
            self.release(g, day, seg.reason)
            self.allocate(g, day, exclude=key)

    def change_workers(self, day: int) -> None:
        rng = self.c.rng
        for _ in range(int(rng.poisson(len(self.open) * CHANGE_RATE))):
            g = self.open.items[int(rng.integers(len(self.open)))]
            if self.worker[g] < 0:
                continue
            old = self.worker[g]
            self.release(g, day, self.c.ch["change"](self.c.u()))
            self.allocate(g, day, exclude=old)

    def refer(self, day: int) -> None:
        """New referrals: enough, on average, to replace closing cases and fill each area."""
        for area in self.rota.areas:
            target = self.target(area)
            fresh = target / self.mean_days[area] + (target - self.by_area_children[area]) / 25.0
            fresh -= self.transfer_in[area]  # children transferred in today need no new referral
            self.transfer_in[area] = 0.0
            if fresh > 0:
                for _ in range(int(self.c.rng.poisson(fresh / 1.59))):
                    g = self.new_group(day, area)
                    self.allocate(g, day)

    def allocate_waiting(self, day: int) -> None:
        if self.queue:
            waiting, self.queue[:] = list(self.queue), []
            for g in waiting:
                self.allocate(g, day)


def simulate_cases(c: Council, absences: list[Absence]) -> CaseHistory:
    """Every involvement of the history, as arrays, and the CMS-only professionals ("unmatched")."""
    h0, h1 = c.h0, c.h1
    segments = case_segments(c, absences)
    n_people = len(c.people)
    # professionals in the CMS who match no HR or agency record
    unmatched: list[tuple[int, str]] = []  # (key, kind)
    for kind, n in UNMATCHED:
        for _ in range(n):
            key = n_people + len(unmatched)
            unmatched.append((key, kind))
    locum_teams: dict[int, str] = {}
    for key, kind in unmatched:
        if kind == "student":
            segments.append(Segment(h0 + c.randint(0, 60), OPEN, key, "Assessment", "STU", 0.18,
                                    "LEFTRL"))
        elif kind == "locum":
            team = c.pick(c.teams_in("Safeguarding"))
            locum_teams[key] = team.code
            segments.append(Segment(h0 + c.randint(0, 200), OPEN, key, "Safeguarding", team.code,
                                    0.25, "LEFTRL"))
    starts: dict[int, list[Segment]] = {}
    stops: dict[int, list[Segment]] = {}
    for seg in segments:
        starts.setdefault(max(seg.start, h0), []).append(seg)
        if seg.stop <= h1:
            stops.setdefault(seg.stop, []).append(seg)

    oversight = Oversight(c)
    rota = Rota(c, [a for a in AREAS if AREAS[a][2]])
    book = Caseload(c, rota, oversight, [k for k, kind in unmatched if kind == "support"])
    # state on the first day: workers in post and the cases they already hold
    for seg in starts.pop(h0, []):
        rota.add(seg)
    book.open_first_day(h0)
    for day in range(h0, h1 + 1):
        oversight.advance(day)
        for seg in starts.pop(day, []):
            rota.add(seg)
        for seg in stops.pop(day, []):
            book.hand_over(seg, day)
        for g in book.phase_events.pop(day, []):
            book.end_phase(g, day)
        book.change_workers(day)
        book.refer(day)
        book.allocate_waiting(day)

    extra = [CmsOnly(key, kind, UNMATCHED_TEAMS[kind] or locum_teams[key], h0) for key, kind in unmatched]
    return CaseHistory(book.rows.arrays(), extra)
