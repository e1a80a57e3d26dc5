"""A hand-built tiny council (every row written here), through the whole pipeline once per session.

Reference date 30 September 2025 (the reporting year 1 October 2024 to 30 September 2025):

- SW100001 in post since 2015 (1.0 FTE, a sickness episode of 5 days in the year);
- SW100002 a starter on 2025-03-01 (0.8 FTE, newly qualified);
- SW100003 a leaver on 2025-06-30 from a permanent post, back as an agency worker on 2025-08-01
  (re-engaged within three months);
- SW100004 in post in two posts (0.5 + 0.4), on maternity leave on 30 September;
- SW100005 a starter (2024-11-01, 0.6 FTE) who left within the year (2025-05-31);
- agency: SW200001 (covering a vacancy, engaged), SW100003, SW200002 (ended 2025-09-15).

``CONTINUITY_SEEDS`` adds three people whose history breaks the census's year-on-year continuity
(``write_tiny_council(landing, seeded=True)``; ``tests/returns/test_continuity.py``):

- SW100006 in post at 30 September 2024; the spell closed on 2025-03-31 with no leaving date
  (vanishes without a leaving record);
- SW100007 left on 2024-05-31 (a leaver of 2023-24), back on 2025-01-06 with the old continuous
  service start kept (reappears without a start);
- SW100008 in post since 2020, given a new service start on 2025-02-01 without a break (a starter
  who was already in post).
"""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import pytest
from conftest import settings_for

TINY_KEY = "tiny-council-test-key-0123456789-abcdefghijkl"
EXTRACT = "2025-09-30"

HR_WORKERS = [
    # employee, swe, dob, gender, sex, eth, spell, post, team, role, grade, contract, fte, start, end, service start,
    # leaving date, reason, destination, origin
    ("E1", "SW100001", "1980-04-12", "2", "F", "WBRI", "S1", "P1", "T1", "5", "SW", "PERMANENT", "1", "2015-06-01",
     "", "2015-06-01", "", "", "", "2"),
    ("E2", "SW100002", "1998-01-23", "1", "M", "ABAN", "S2", "P2", "T1", "5", "ASYE", "PERMANENT", "0.8", "2025-03-01",
     "", "2025-03-01", "", "", "", "1"),
    ("E3", "SW100003", "1975-11-02", "2", "F", "WOTH", "S3", "P3", "T1", "5", "SSW", "PERMANENT", "1", "2018-02-01",
     "2025-06-30", "2018-02-01", "2025-06-30", "1", "2", "3"),
    ("E4", "SW100004", "1988-07-19", "2", "F", "BCRB", "S4", "P4", "T2", "4", "AP", "PERMANENT", "0.5", "2020-01-06",
     "", "2020-01-06", "", "", "", "4"),
    ("E4", "SW100004", "1988-07-19", "2", "F", "BCRB", "S5", "P5", "T2", "5", "SW", "PERMANENT", "0.4", "2020-01-06",
     "", "2020-01-06", "", "", "", "4"),
    ("E5", "SW100005", "1993-03-30", "9", "M", "MWBC", "S6", "P6", "T2", "5", "SW", "FIXED_TERM", "0.6", "2024-11-01",
     "2025-05-31", "2024-11-01", "2025-05-31", "8", "9", "5"),
]
CONTINUITY_SEEDS = [
    ("E6", "SW100006", "1985-05-05", "1", "M", "WBRI", "S7", "", "T1", "5", "SW", "PERMANENT", "1", "2019-04-01",
     "2025-03-31", "2019-04-01", "", "", "", "2"),
    ("E7", "SW100007", "1979-08-14", "2", "F", "WBRI", "S8", "", "T2", "5", "SW", "PERMANENT", "1", "2016-09-01",
     "2024-05-31", "2016-09-01", "2024-05-31", "1", "2", "2"),
    ("E7", "SW100007", "1979-08-14", "2", "F", "WBRI", "S9", "", "T2", "5", "SW", "PERMANENT", "1", "2025-01-06",
     "", "2016-09-01", "", "", "", "2"),
    ("E8", "SW100008", "1990-10-10", "1", "M", "AIND", "S10", "", "T1", "5", "SW", "PERMANENT", "1", "2020-01-06",
     "2025-01-31", "2020-01-06", "", "", "", "2"),
    ("E8", "SW100008", "1990-10-10", "1", "M", "AIND", "S11", "", "T1", "4", "AP", "PERMANENT", "1", "2025-02-01",
     "", "2025-02-01", "", "", "", "4"),
]
HR_COLUMNS = ("employee_id", "swe_registration", "date_of_birth", "gender", "census_sex", "ethnicity", "spell_id",
              "post_id", "team_code", "org_role", "career_grade", "contract_type", "fte", "spell_start_date",
              "spell_end_date",
              "la_service_start_date", "leaving_date", "leaving_reason", "leaver_destination", "start_origin")
AGENCY = [
    ("A1", "SW200001", "Acme Social Care", "T1", "P6", "5", "1", "2025-01-06", "", "Y", "45.5"),
    ("A2", "SW100003", "Acme Social Care", "T1", "P3", "5", "1", "2025-08-01", "", "Y", "52"),
    ("A3", "SW200002", "Best Locums", "T2", "", "3", "0.5", "2025-02-03", "2025-09-15", "N", "60"),
]
AGENCY_COLUMNS = ("assignment_id", "swe_registration", "agency_name", "team_code", "post_id", "org_role", "fte",
                  "start_date", "end_date", "covering_vacancy", "hourly_charge_gbp")


def _write(landing: Path, export: str, columns, rows) -> None:
    folder = landing / export
    folder.mkdir(parents=True, exist_ok=True)
    with (folder / f"{export}_{EXTRACT}.csv").open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(columns)
        writer.writerows(rows)


def write_tiny_council(landing: Path, seeded: bool = False) -> Path:
    """The tiny council's landing files; ``seeded``: with the ``CONTINUITY_SEEDS`` people too."""
    hr = HR_WORKERS + (CONTINUITY_SEEDS if seeded else [])
    _write(landing, "hr_workers", (*HR_COLUMNS, "is_overseas_recruit"), [(*r, "N") for r in hr])
    _write(landing, "hr_establishment", ("post_id", "team_code", "org_role", "career_grade", "budgeted_fte",
                                         "effective_from"),
           [(f"P{n}", "T1" if n <= 3 else "T2", "5", "SW", "1", "2015-01-01") for n in range(1, 7)])
    _write(landing, "agency_assignments", AGENCY_COLUMNS, AGENCY)
    _write(landing, "hr_absences", ("absence_id", "employee_id", "absence_reason", "start_date", "end_date",
                                    "working_days_lost"),
           [("AB1", "E1", "SIC", "2025-02-03", "2025-02-07", "5"), ("AB2", "E4", "MAT", "2025-09-01", "", "")])
    _write(landing, "ssd_professionals", ("prof_professional_id", "prof_social_worker_registration_no",
                                          "prof_agency_worker_flag"),
           [("C1", "SW100001", "N"), ("C2", "SW100002", "N"), ("C4", "SW100004", "N"), ("C9", "SW200001", "Y")])
    _write(landing, "ssd_involvements", ("invo_involvements_id", "invo_professional_id", "invo_professional_role_id",
                                         "invo_involvement_start_date", "invo_person_id"),
           [(f"I{n}", prof, "CW", "2025-05-01", f"CH{n}") for n, prof in enumerate(["C1"] * 6 + ["C2"] * 3
                                                                                   + ["C4"] * 4 + ["C9"] * 5)])
    return landing


@pytest.fixture(scope="session")
def tiny_published_cache(tmp_path_factory):
    from workforce.pipeline import run_month

    base = tmp_path_factory.mktemp("tiny")
    landing = write_tiny_council(base / "landing")
    settings = settings_for(base / "data", landing, WORKFORCE_PSEUDONYMISATION_KEY=TINY_KEY)
    run_month("2025-09", settings, progress=lambda _m: None)
    return settings


@pytest.fixture
def tiny_published(tiny_published_cache, tmp_path):
    """A copy of the tiny council's data folder (same landing folder) for one test."""
    shutil.copytree(tiny_published_cache.data_dir, tmp_path / "data", symlinks=True)
    return settings_for(tmp_path / "data", tiny_published_cache.landing_dir, WORKFORCE_PSEUDONYMISATION_KEY=TINY_KEY)
