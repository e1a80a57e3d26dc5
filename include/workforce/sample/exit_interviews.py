"""Exit interviews: what some leavers said about why they left and whether they would return.

About 60% of leavers are interviewed, up to three weeks before their leaving date; retirements
give retirement as the reason, the rest a primary reason drawn from ``reference.EXIT_PRIMARY``
and up to three others. Feeds ``hr_exit_interviews`` (one row per interview, shown from the
leaving date on).
"""

from __future__ import annotations

from workforce.sample.days import OPEN
from workforce.sample.state import Council, Spell
from workforce.sample.tables import Table, column, int_array, iso_array
from workforce.spec import contract


def hr_exit_interviews_table(c: Council, spells: list[Spell]) -> Table:
    rng = c.rng
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
    ex_leave = int_array(e[1] for e in exits)
    return Table("hr_exit_interviews", {
        "employee_id": column(e[0] for e in exits),
        "leaving_date": iso_array(ex_leave),
        "interview_date": iso_array(int_array(e[2] for e in exits)),
        "primary_reason": column(e[3] for e in exits),
        "other_reasons": column(e[4] for e in exits),
        "would_return": column(e[5] for e in exits),
    }, since=ex_leave)
