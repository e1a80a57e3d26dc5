"""The orchestration: simulate the council's history month by month, build the tables, write.

``generate_sample`` is the entry point. ``simulate`` runs the modules in a fixed order — the
structure, the first day, the monthly loop of ``run_months``, then absences and cases — and
``build_tables`` turns the history into one table per export, in the order that keeps the
random draws of the formatting steps (exit interviews, payroll, timesheets, CMS ids) the same.
Every random number comes from the one generator of ``state.Council``: reordering any of these
calls changes the sample. Feeds every export through the modules it calls.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import NamedTuple, TypedDict

import numpy as np

from workforce.config import SAMPLE_MARKER
from workforce.sample import (
    absence,
    agency,
    careers,
    cases,
    cms,
    establishment,
    exit_interviews,
    payroll,
    starters,
    writer,
)
from workforce.sample.absence import Absence
from workforce.sample.cases import CaseHistory
from workforce.sample.config import SampleConfig, validate
from workforce.sample.days import iso, month_end, month_start
from workforce.sample.state import Council
from workforce.spec import contract

LEAVER_RATE = 0.155  # leavers a year per person in post (DfE turnover for a typical county)
MOVE_RATE = 0.075  # internal moves a year per person in post


class History(NamedTuple):
    """What ``simulate`` adds to the council's state: the absences and the cases' involvements."""

    absences: list[Absence]
    cases: CaseHistory


class SampleSummary(TypedDict):
    """What ``generate_sample`` wrote: ``files`` and ``rows`` give the rows of each file written
    (by path relative to the landing folder) and of each export's last extract (by export name)."""

    landing_dir: str
    marker: str
    note: str
    extract_dates: list[str]
    exports: list[str]
    files: dict[str, int]
    rows: dict[str, int]


def run_months(c: Council) -> None:
    """Each month of the history, in this order: scheduled career events, leavers, internal moves,
    second posts, establishment changes, starters (keeping the headcount near its target), agency."""
    cfg = c.cfg
    n_months = c.end_mi - c.start_mi + 1
    changes = establishment.plan_changes(c)
    leave_carry = move_carry = 0.0
    n_two_target = sum(1 for p in c.active.values() if len(p.open) == 2)
    for k, mi in enumerate(range(c.start_mi, c.end_mi + 1)):
        ms, me = month_start(mi), month_end(mi)
        busy: set[int] = set()  # people whose career already changed this month
        frac = k / max(1, n_months - 1)
        head_target = cfg.la_workers * (0.96 + 0.04 * frac)

        # 1. scheduled events: progression, end of fixed term, retirement
        forced = careers.run_events(c, mi, busy)

        # 2. leavers, held near the target annual rate
        leave_carry += LEAVER_RATE * len(c.active) / 12 - forced
        n_leave = max(0, int(np.floor(leave_carry + c.u())))
        leave_carry -= n_leave
        careers.leavers(c, n_leave, ms, me, busy)

        # 3. internal moves and promotions into vacant posts
        move_carry += MOVE_RATE * len(c.active) / 12
        n_move = int(np.floor(move_carry + c.u()))
        move_carry -= n_move
        careers.moves(c, n_move, ms, me, busy)

        # 4. part-timers taking a second, small post
        n_two = sum(1 for p in c.active.values() if len(p.open) == 2)
        if n_two < n_two_target:
            careers.second_post(c, ms, me, busy)

        # 5. establishment changes
        for kind in changes.get(mi, []):
            establishment.change_establishment(c, kind, ms, me)

        # 6. starters: keep the headcount near the target
        n_hire = max(0, int(round(head_target - len(c.active) + c.rng.normal(0, 0.8))))
        for _ in range(n_hire):
            starters.hire(c, ms, me, busy, mi)

        # 7. agency: planned ends (some extended), then top up to the usual number
        agency.run_month(c, ms, me)


def simulate(c: Council, progress: Callable[[str], None]) -> History:
    """The whole true history of ``c``; returns the absences and the cases' involvements."""
    progress("building teams and establishment")
    establishment.build_structure(c)
    starters.populate(c)
    progress(f"simulating {c.cfg.history_years} years of starters, leavers and moves")
    run_months(c)
    absences = absence.absences(c)
    progress("allocating children to workers")
    return History(absences, cases.simulate_cases(c, absences))


def build_tables(c: Council, sim: History) -> dict[str, writer.Snapshots]:
    """One table per export (the optional ones too), by export name."""
    # spell and assignment ids in a stable order
    spells = sorted(c.spells, key=lambda s: (s.emp_id, s.start, s.person.key, s.post.pid if s.post else ""))
    for i, s in enumerate(spells, 1):
        s.sid = f"SP{i:06d}"
    assigns = sorted(c.assigns, key=lambda a: (a.start, a.person.swe))
    for i, a in enumerate(assigns, 1):
        a.aid = f"AS{i:06d}"
    # payroll and timesheets from the first of the 24 months the first extract shows
    first_month = max(c.start_mi, c.end_mi - c.cfg.extracts + 1 - 23)
    unmatched = sim.cases.unmatched

    tables: dict[str, writer.Snapshots] = {
        "hr_workers": careers.hr_workers_table(spells),
        "hr_establishment": establishment.hr_establishment_table(c.posts),
        "hr_absences": absence.hr_absences_table(sim.absences),
        "hr_teams": establishment.hr_teams_table(c.teams),
        "ssd_department": cms.ssd_department_table(c.teams),
    }
    # these draw random numbers: keep their order
    tables["hr_exit_interviews"] = exit_interviews.hr_exit_interviews_table(c, spells)
    tables["payroll_lines"] = payroll.payroll_lines_table(c, spells, first_month)
    tables["agency_assignments"] = agency.agency_assignments_table(assigns)
    tables["agency_timesheets"] = agency.agency_timesheets_table(c, assigns, first_month)
    prof_ids = cms.professional_ids(c, unmatched)
    inv = cms.involvements(sim.cases.involvements, c.h1)
    tables["ssd_involvements"] = cms.ssd_involvements_table(inv, prof_ids)
    tables["ssd_professionals"] = cms.Professionals(c, spells, assigns, unmatched, inv)
    return tables


def generate_sample(landing_dir: Path, config: SampleConfig = SampleConfig(),  # noqa: B008
                    progress: Callable[[str], None] | None = None) -> SampleSummary:
    """Write a synthetic council's exports into ``landing_dir``; return a summary.

    Raises ``ValueError`` for an invalid config or a landing folder that is not empty and
    carries no ``SAMPLE_DATA.json`` marker (it could hold real exports).
    """
    validate(config)
    say = progress or (lambda _msg: None)
    landing = Path(landing_dir)
    writer.prepare_landing(landing)

    council = Council(config)
    extract_days = [month_end(mi) for mi in range(council.end_mi - config.extracts + 1,
                                                  council.end_mi + 1)]
    extract_dates = [iso(d) for d in extract_days]
    optional = contract.OPTIONAL_EXPORTS if config.include_optional is None else tuple(
        config.include_optional)
    exports = [e for e in contract.EXPORTS if e.required or e.name in optional]
    # The marker goes first so that a half-written folder is still known to be a sample.
    writer.write_marker(landing, config, extract_dates, exports)

    sim = simulate(council, say)
    say("building export tables")
    tables = build_tables(council, sim)
    files = writer.write_extracts(landing, exports, tables, extract_days, config.xlsx_exports, say)
    return {
        "landing_dir": str(landing),
        "marker": SAMPLE_MARKER,
        "note": writer.SAMPLE_NOTE,
        "extract_dates": extract_dates,
        "exports": [e.name for e in exports],
        "files": files,
        "rows": {e.name: files[writer.extract_path(e.name, extract_dates[-1], config.xlsx_exports)]
                 for e in exports},
    }
