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

Modules, by what they simulate (``council`` calls them in order):

- ``config``: ``SampleConfig`` and its validation.
- ``days``, ``reference``, ``state``: the calendar, the invented lists and weights, and the
  council's state with its random number generator.
- ``establishment``: teams and funded posts (``hr_teams``, ``hr_establishment``).
- ``people``: identities and demographics of each worker.
- ``careers``: spells, moves, promotions, leavers (``hr_workers``).
- ``starters``: the first day's staff, starters, returners, agency converts.
- ``agency``: assignments and timesheets (``agency_assignments``, ``agency_timesheets``).
- ``absence``: absences (``hr_absences``).
- ``caseholders``, ``cases``: who holds children's cases, and the cases themselves.
- ``cms``: the case-management system's view (``ssd_department``, ``ssd_involvements``,
  ``ssd_professionals``).
- ``payroll``, ``exit_interviews``: ``payroll_lines``, ``hr_exit_interviews``.
- ``tables``, ``writer``: snapshots on an extract date, CSV/XLSX files and the marker.
- ``council``: the orchestration, and ``generate_sample``.
"""

from workforce.sample.config import SampleConfig
from workforce.sample.council import generate_sample

__all__ = ["SampleConfig", "generate_sample"]
