"""Calendar arithmetic of the simulation: a day is an int, a month an index.

A day is the number of days since 1970-01-01; a month index is ``year * 12 + month - 1``;
``OPEN`` ends an interval still open (spells, posts, assignments, allocations). Every module of
the generator counts time this way; ``tables`` turns the ints into ISO dates for the exports.
"""

from __future__ import annotations

from functools import cache

import numpy as np

OPEN = 10_000_000  # end of an open interval (far beyond any extract date)


def parse_day(text: str) -> int:
    return int(np.datetime64(text, "D").astype(np.int64))


def iso(day: int) -> str:
    return str(np.datetime64(int(day), "D"))


@cache
def month_start(mi: int) -> int:
    year, month0 = divmod(mi, 12)
    return parse_day(f"{year:04d}-{month0 + 1:02d}-01")


def month_end(mi: int) -> int:
    return month_start(mi + 1) - 1


@cache
def month_of(day: int) -> int:
    return int(np.datetime64(int(day), "D").astype("datetime64[M]").astype(np.int64)) + 1970 * 12


def period(mi: int) -> str:
    year, month0 = divmod(mi, 12)
    return f"{year:04d}-{month0 + 1:02d}"


def is_month_end(day: int) -> bool:
    return month_of(day + 1) != month_of(day)


def weekdays(first: int, last: int) -> int:
    """Monday-to-Friday days from first to last inclusive (0 if last < first)."""
    if last < first:
        return 0
    full, rest = divmod(last - first + 1, 7)
    start_wd = (first + 3) % 7  # 1970-01-01 was a Thursday; Monday = 0
    return full * 5 + sum(1 for i in range(rest) if (start_wd + i) % 7 < 5)


def sunday_on_or_after(day: int) -> int:
    """The Sunday on or after ``day`` (the week ending of a timesheet)."""
    return day + (6 - (day + 3) % 7)


def nth_weekday(start: int, n: int) -> int:
    """Date of the n-th weekday counting ``start`` (a weekday) as the first."""
    return int(np.busday_offset(np.datetime64(int(start), "D"), n - 1, roll="forward")
               .astype(np.int64))


def to_weekday(day: int, lo: int, hi: int) -> int:
    """Move a weekend day to the Monday after (or the Friday before if past ``hi``)."""
    wd = (day + 3) % 7
    if wd < 5:
        return day
    nxt = day + (7 - wd)
    if nxt <= hi:
        return nxt
    prev = day - (wd - 4)
    return prev if prev >= lo else day

