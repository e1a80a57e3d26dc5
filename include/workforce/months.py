"""The reporting month: one type from the command line and the DAG down to dbt's vars.

A run reports one calendar month, written ``YYYY-MM`` wherever a person or a file name sees it
(``--month 2026-09``, ``published/2026-09/``, dbt's ``reporting_month`` var). Its month end
(``2026-09-30``) is the date every figure is computed at, as DfE computes 30 September.

``ReportingMonth.parse`` is strict: exactly four digits, a dash, two digits 01-12; anything else
is a ``ValueError`` that says what was expected. Text is parsed once, where it enters (the CLI,
a DAG param, a step function's argument); below that the code passes ``ReportingMonth``.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path

_LABEL = re.compile(r"([0-9]{4})-(0[1-9]|1[0-2])")


@dataclass(frozen=True, order=True)
class ReportingMonth:
    """A calendar month; months order by time (``ReportingMonth(2025, 12) < ReportingMonth(2026, 1)``)."""

    year: int
    month: int

    def __post_init__(self) -> None:
        for name in ("year", "month"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool):
                raise TypeError(f"ReportingMonth {name} must be an int, got {value!r}")
        if not 1 <= self.year <= 9999 or not 1 <= self.month <= 12:
            raise ValueError(f"no such reporting month: year {self.year}, month {self.month}")

    @classmethod
    def parse(cls, text: str) -> ReportingMonth:
        """``'2026-09'`` -> ``ReportingMonth(2026, 9)``; a clear ``ValueError`` for anything else."""
        match = _LABEL.fullmatch(text) if isinstance(text, str) else None
        if match is None or int(match[1]) == 0:
            raise ValueError(f"reporting month must look like YYYY-MM (e.g. 2026-09), got {text!r}")
        return cls(int(match[1]), int(match[2]))

    @classmethod
    def of(cls, value: ReportingMonth | str) -> ReportingMonth:
        """The month itself, or parsed from its ``YYYY-MM`` label (for step functions' arguments)."""
        return value if isinstance(value, ReportingMonth) else cls.parse(value)

    @classmethod
    def containing(cls, day: date) -> ReportingMonth:
        """The month that ``day`` falls in."""
        return cls(day.year, day.month)

    @classmethod
    def for_run_date(cls, run_date: date) -> ReportingMonth:
        """A run in month M+1 reports month M (exports for M land in the first days of M+1)."""
        return cls.containing(run_date).previous()

    def previous(self) -> ReportingMonth:
        return ReportingMonth(self.year - 1, 12) if self.month == 1 else ReportingMonth(self.year, self.month - 1)

    @property
    def label(self) -> str:
        """``YYYY-MM``, as in folder names and dbt's ``reporting_month`` var."""
        return f"{self.year:04d}-{self.month:02d}"

    @property
    def start(self) -> date:
        return date(self.year, self.month, 1)

    @property
    def end(self) -> date:
        """The month end: the last calendar day of the month."""
        return date(self.year, self.month, calendar.monthrange(self.year, self.month)[1])

    def __str__(self) -> str:
        return self.label


def month_folders(parent: Path) -> list[Path]:
    """The folders in ``parent`` named for a reporting month (``published/2026-09/``), in month
    order. A temporary folder of an unfinished write (``.2026-09.<pid>-<random>.tmp``) or any
    other name is not a month, so no reader takes one for a published month."""
    try:
        entries = list(Path(parent).iterdir())
    except (FileNotFoundError, NotADirectoryError):
        return []
    return sorted(p for p in entries if _LABEL.fullmatch(p.name) and p.name[:4] != "0000" and p.is_dir())
