"""People: a new worker's identity and demographics, drawn when they first appear.

Each person gets a unique Social Work England number, an invented name, a date of birth from
the age range of the grade they start in, a gender and an ethnicity (a different mix for
overseas recruits), and the way the case-management system will mistype their SWE number.
Feeds the identity columns of ``hr_workers`` (name, date of birth, gender, ethnicity, overseas
recruit), ``agency_assignments`` (SWE number) and ``ssd_professionals`` (name, SWE number).
"""

from __future__ import annotations

from workforce.sample.reference import AGE_RANGE, FIRST_NAMES, LAST_NAMES
from workforce.sample.state import Council, Person


def new_person(c: Council, grade: str, day: int, overseas: bool = False) -> Person:
    """Someone new, of an age to start at ``grade`` on ``day``."""
    # the draws, in this order: SWE number, names, date of birth, gender, ethnicity, CMS typing
    swe = c.unique("SW", 6)
    first, last = c.pick(FIRST_NAMES), c.pick(LAST_NAMES)
    lo, hi = AGE_RANGE.get(grade, (24, 58))
    age = lo + (hi - lo) * float(c.rng.beta(1.6, 2.4))
    dob = int(day - age * 365.25 - c.randint(0, 364))
    gender = c.ch["gender"](c.u())
    eth = (c.ch["eth_os"] if overseas else c.ch["eth"])(c.u())
    s = c.u()
    swe_style = 1 if s < 0.06 else 2 if s < 0.11 else 0  # CMS: lower-case / spaced
    p = Person(len(c.people), swe=swe, first=first, last=last, dob=dob, gender=gender, eth=eth,
               overseas=overseas, swe_style=swe_style)
    c.people.append(p)
    return p


def age_on(p: Person, day: int) -> float:
    return (day - p.dob) / 365.25
