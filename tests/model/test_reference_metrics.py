"""Hand-computed checks of the reference implementation (``tests/reference_metrics.py``).

Each test builds a few rows by hand for one awkward case of ``shared/spec/metrics.md`` and
states the expected figures worked out on paper. The reporting date is 30 September 2024,
so the flow window is 1 October 2023 (a Sunday) to 30 September 2024 (a Monday).
"""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest
import reference_metrics as ref
from workforce.spec import contract
from workforce.spec.catalogue import TABLE, table

D = date(2024, 9, 30)
LONG_AGO = "2015-01-01"


# --------------------------------------------------------------------------------------
# Builders: only the columns the computation needs; type_columns adds the rest as null.
# --------------------------------------------------------------------------------------

def spell(spell_id, employee_id, swe, fte=1.0, start=LONG_AGO, *, service_start=None,
          end=None, leaving=None, team="T1", post=None):
    return {
        "spell_id": spell_id, "employee_id": employee_id, "swe_registration": swe,
        "fte": fte, "spell_start_date": start, "spell_end_date": end,
        "la_service_start_date": service_start or start, "leaving_date": leaving,
        "team_code": team, "post_id": post,
    }


def assignment(assignment_id, swe, fte=1.0, start=LONG_AGO, *, end=None, team="T1",
               cover="N"):
    return {
        "assignment_id": assignment_id, "swe_registration": swe, "fte": fte,
        "start_date": start, "end_date": end, "team_code": team, "covering_vacancy": cover,
    }


def post(post_id, budgeted_fte, *, team="T1", start=LONG_AGO, end=None):
    return {"post_id": post_id, "budgeted_fte": budgeted_fte, "team_code": team,
            "effective_from": start, "effective_to": end}


def professional(prof_id, registration=None, staff_id=None):
    return {"prof_professional_id": prof_id, "prof_social_worker_registration_no": registration,
            "prof_staff_id": staff_id}


def involvement(invo_id, prof_id, child, *, role="CW", start="2024-01-01", end=None):
    return {"invo_involvements_id": invo_id, "invo_professional_id": prof_id,
            "invo_professional_role_id": role, "invo_person_id": child,
            "invo_involvement_start_date": start, "invo_involvement_end_date": end}


def absence(absence_id, employee_id, start, end=None, days=None, reason="SIC"):
    return {"absence_id": absence_id, "employee_id": employee_id, "absence_reason": reason,
            "start_date": start, "end_date": end, "working_days_lost": days}


def frame(export_name, rows):
    return pd.DataFrame(rows, columns=contract.export(export_name).column_names)


def exports(workers=(), agency=(), establishment=(), professionals=(), involvements=(),
            absences=None, teams=None):
    tables = {
        "hr_workers": frame("hr_workers", list(workers)),
        "agency_assignments": frame("agency_assignments", list(agency)),
        "hr_establishment": frame("hr_establishment", list(establishment)),
        "ssd_professionals": frame("ssd_professionals", list(professionals)),
        "ssd_involvements": frame("ssd_involvements", list(involvements)),
    }
    if absences is not None:
        tables["hr_absences"] = frame("hr_absences", list(absences))
    if teams is not None:
        tables["hr_teams"] = frame("hr_teams", [
            {"team_code": code, "team_name": code, "service_area": area}
            for code, area in teams.items()
        ])
    return tables


def la(tables, month_end=D):
    return ref.compute_indicators(tables, month_end)["All"]


# --------------------------------------------------------------------------------------
# Shape of the result
# --------------------------------------------------------------------------------------

def test_every_published_name_is_present():
    result = ref.compute_indicators(exports(workers=[spell("S1", "E1", "SW1")]), D)
    names = {c.name for c in table(TABLE).columns if c.kind != "key"}
    for values in result.values():
        assert names <= set(values)


def test_reference_rates_match_the_published_definition():
    published = {r.name: (r.numerator, r.denominator, r.multiplier) for r in table(TABLE).rates}
    assert published == ref.RATES


# --------------------------------------------------------------------------------------
# Window and in post
# --------------------------------------------------------------------------------------

@pytest.mark.parametrize(("month_end", "first_day"), [
    (date(2024, 9, 30), date(2023, 10, 1)),
    (date(2024, 2, 29), date(2023, 3, 1)),  # 2024-02-29 minus 12 months is 2023-02-28
    (date(2025, 2, 28), date(2024, 2, 29)),
    (date(2024, 12, 31), date(2024, 1, 1)),
])
def test_window_is_the_twelve_months_ending_on_d(month_end, first_day):
    assert ref.window_start(month_end) == first_day


def test_leaving_on_the_month_end_is_a_leaver_not_in_post():
    tables = exports(workers=[
        spell("S1", "E1", "SW1", end="2024-09-30", leaving="2024-09-30"),
        spell("S2", "E2", "SW2", leaving="2024-09-30"),  # spell end left blank: same
        spell("S3", "E3", "SW3", end="2024-10-01", leaving="2024-10-01"),  # after d
        spell("S4", "E4", "SW4", end="2023-09-30", leaving="2023-09-30"),  # before window
        spell("S5", "E5", "SW5", fte=0.5, end="2023-10-01", leaving="2023-10-01"),
    ])
    got = la(tables)
    assert got["inpost_headcount"] == 1  # SW3 only
    assert got["inpost_fte"] == 1.0
    assert got["leavers_headcount"] == 3  # SW1, SW2, SW5
    assert got["leavers_fte"] == 2.5
    assert got["turnover_rate_headcount"] == pytest.approx(300.0)
    assert got["turnover_rate_fte"] == pytest.approx(250.0)


def test_internal_move_is_neither_starter_nor_leaver_and_counted_once():
    tables = exports(workers=[
        spell("S1", "E1", "SW 001", fte=1.0, start="2019-05-01", end="2024-03-31"),
        spell("S2", "E1", "sw001", fte=0.8, start="2024-04-01", service_start="2019-05-01",
              team="T2"),
    ])
    got = la(tables)
    assert got["inpost_headcount"] == 1
    assert got["inpost_fte"] == 0.8
    assert got["starters_headcount"] == 0
    assert got["leavers_headcount"] == 0


def test_starter_who_leaves_in_the_window_is_both():
    tables = exports(workers=[
        spell("S1", "E1", "SW1", fte=0.6, start="2024-01-15", end="2024-06-30",
              leaving="2024-06-30"),
        spell("S2", "E2", "SW2"),
    ])
    got = la(tables)
    assert (got["starters_headcount"], got["starters_fte"]) == (1, 0.6)
    assert (got["leavers_headcount"], got["leavers_fte"]) == (1, 0.6)
    assert got["inpost_headcount"] == 1


def test_two_concurrent_part_time_posts():
    tables = exports(workers=[
        spell("S1", "E1", "SW1", fte=0.5, start="2024-02-01"),
        spell("S2", "E1", "SW1", fte=0.4, start="2024-02-01"),
    ])
    got = la(tables)
    assert got["inpost_headcount"] == 1
    assert got["inpost_fte"] == pytest.approx(0.9)
    assert got["starters_headcount"] == 1
    assert got["starters_fte"] == pytest.approx(0.9)  # both posts begun on the first day


def test_starter_fte_is_the_first_spell_and_earliest_service_start():
    tables = exports(workers=[
        # Started 0.5 in November, moved to a 1.0 post in March: starter FTE 0.5.
        spell("S1", "E1", "SW1", fte=0.5, start="2023-11-01", end="2024-02-29"),
        spell("S2", "E1", "SW1", fte=1.0, start="2024-03-01", service_start="2023-11-01"),
        # Left in December and rejoined in May: one starter (December's start), one leaver.
        spell("S3", "E2", "SW2", fte=0.7, start="2023-10-02", end="2023-12-31",
              leaving="2023-12-31"),
        spell("S4", "E2", "SW2", fte=0.3, start="2024-05-01"),
    ])
    got = la(tables)
    assert got["starters_headcount"] == 2
    assert got["starters_fte"] == pytest.approx(0.5 + 0.7)
    assert (got["leavers_headcount"], got["leavers_fte"]) == (1, 0.7)
    assert got["inpost_fte"] == pytest.approx(1.3)


def test_leaver_fte_is_all_spells_carrying_the_latest_leaving_date():
    tables = exports(workers=[
        spell("S1", "E1", "SW1", fte=0.5, end="2024-05-31", leaving="2024-05-31"),
        spell("S2", "E1", "SW1", fte=0.3, end="2024-05-31", leaving="2024-05-31"),
        spell("S3", "E1", "SW1", fte=0.2, end="2023-12-31"),  # an earlier move
    ])
    got = la(tables)
    assert (got["leavers_headcount"], got["leavers_fte"]) == (1, 0.8)


# --------------------------------------------------------------------------------------
# Agency and vacancies
# --------------------------------------------------------------------------------------

def test_agency_workers_are_never_in_post():
    tables = exports(
        workers=[spell("S1", "E1", "SW1", fte=1.0), spell("S2", "E2", "SW2", fte=0.5)],
        agency=[
            assignment("A1", "SW9", fte=1.0, cover="y"),
            assignment("A2", "sw 9", fte=0.5, team="T2"),  # same person, second assignment
            assignment("A3", "SW8", fte=1.0, end="2024-09-30"),  # ended on d: not active
        ],
    )
    got = la(tables)
    assert (got["inpost_headcount"], got["inpost_fte"]) == (2, 1.5)
    assert (got["agency_headcount"], got["agency_fte"]) == (1, 1.5)
    assert got["agency_rate_fte_denominator"] == 3.0
    assert got["agency_rate_fte"] == pytest.approx(50.0)
    assert got["agency_rate_headcount_denominator"] == 3
    assert got["agency_rate_headcount"] == pytest.approx(100 / 3)
    assert got["agency_cover_fte"] == 1.0
    assert got["agency_cover_rate_fte"] == pytest.approx(100 / 1.5)


def test_zero_agency_gives_no_cover_rate():
    got = la(exports(workers=[spell("S1", "E1", "SW1")], establishment=[post("P1", 1.0)]))
    assert got["agency_fte"] == 0.0
    assert got["agency_rate_fte"] == 0.0
    assert got["agency_cover_rate_fte"] is None
    assert got["vacancy_agency_cover_rate_fte"] == 0.0


def test_no_one_in_post_gives_no_turnover_or_absence_rate():
    got = la(exports(absences=[]))
    assert got["turnover_rate_fte"] is None
    assert got["turnover_rate_headcount"] is None
    assert got["absence_rate_fte"] is None
    assert got["working_days_lost_fte"] == 0.0
    assert got["caseload_fte"] is None
    assert got["vacancy_agency_cover_rate_fte"] is None


def test_vacancy_partly_filled_and_over_filled_posts():
    tables = exports(
        workers=[
            spell("S1", "E1", "SW1", fte=0.6, post="P1"),
            spell("S2", "E2", "SW2", fte=1.0, post="P1", end="2024-06-30"),  # moved out
            spell("S3", "E3", "SW3", fte=0.8, post="P2"),
            spell("S4", "E4", "SW4", fte=0.5, post="P2"),  # P2 over-filled: 1.3 of 1.0
            spell("S5", "E5", "SW5", fte=1.0, post="P9"),  # no establishment row
        ],
        agency=[assignment("A1", "SW7", fte=1.0, cover="Y", team="T1")],
        establishment=[
            post("P1", 1.0),
            post("P2", 1.0),
            post("P3", 2.0),  # empty; covered by agency: still vacant
            post("P4", 1.0, end="2024-03-31"),  # no longer funded
            post("P5", 1.0, end="2024-09-30"),  # funding ended on d
            post("P6", 1.0, start="2024-10-01"),  # not yet funded
        ],
    )
    got = la(tables)
    assert got["vacancy_fte"] == pytest.approx(0.4 + 0.0 + 2.0)
    assert got["inpost_fte"] == pytest.approx(2.9)
    assert got["vacancy_rate_fte_denominator"] == pytest.approx(2.4 + 2.9)
    assert got["vacancy_rate_fte"] == pytest.approx(2.4 / 5.3 * 100)
    assert got["vacancy_agency_cover_rate_fte"] == pytest.approx(1.0 / 2.4 * 100)


# --------------------------------------------------------------------------------------
# Cases
# --------------------------------------------------------------------------------------

def case_tables():
    return exports(
        workers=[
            spell("S1", "E1", "SW1", fte=0.8, team="T1"),
            spell("S2", "E2", "SW2", fte=0.5, team="T2"),
            spell("S3", "E2", "SW2", fte=0.5, team="T1"),  # tie on FTE: T1 is primary
            spell("S4", "E3", "SW3", fte=1.0, end="2024-08-31", leaving="2024-08-31"),
        ],
        agency=[assignment("A1", "SW9", fte=0.6, team="T2")],
        professionals=[
            professional("P1", "sw1"),
            professional("P2", None, staff_id="E2"),  # no SWE number: matched on staff id
            professional("P3", "SW9"),  # agency worker
            professional("P4", "SW3"),  # left in August: matches nothing at d
            professional("P5", "SW4", staff_id="E1"),  # SWE number given: staff id unused
        ],
        involvements=[
            # SW1: three siblings, one child twice, one closed on d, one closed after d.
            involvement("I1", "P1", "C1"),
            involvement("I2", "P1", "C2"),
            involvement("I3", "P1", "C3"),
            involvement("I4", "P1", "C3", start="2024-05-01"),
            involvement("I5", "P1", "C4", end="2024-09-30"),
            involvement("I6", "P1", "C5", end="2024-10-01"),
            involvement("I7", "P1", "C6", role="IRO"),  # not an allocated case worker role
            involvement("I8", "P1", "C7", start="2024-10-01"),  # not yet open
            involvement("I9", "P2", "C8", role=" allocated case worker "),
            involvement("I10", "P3", "C9"),
            involvement("I11", "P4", "C10"),
            involvement("I12", "P5", "C11"),
            involvement("I13", "P5", "C11", start="2024-02-01"),
            involvement("I14", "P99", "C12"),  # professional missing from the CMS list
        ],
        teams={"T1": "Front Door", "T2": "Assessment"},
    )


def test_cases_count_matched_workers_only():
    got = la(case_tables())
    assert got["cases"] == 4 + 1 + 1  # SW1: C1, C2, C3, C5; SW2: C8; SW9: C9
    assert got["cases_unmatched"] == 3  # (P4, C10), (P5, C11), (P99, C12)
    assert got["case_holders_fte"] == pytest.approx(0.8 + 1.0 + 0.6)
    assert got["caseload_fte"] == pytest.approx(6 / 2.4)


def test_cases_by_service_area_follow_the_primary_team():
    result = ref.compute_indicators(case_tables(), D)
    front_door, assessment = result["Front Door"], result["Assessment"]
    # SW1 (T1) and SW2 (tie broken to T1) hold cases in Front Door; SW9 (agency, T2) in
    # Assessment. A holder's whole FTE goes to the primary team's area.
    assert (front_door["cases"], front_door["case_holders_fte"]) == (5, pytest.approx(1.8))
    assert (assessment["cases"], assessment["case_holders_fte"]) == (1, pytest.approx(0.6))
    assert front_door["cases_unmatched"] == assessment["cases_unmatched"] == 0
    assert result["All"]["cases_unmatched"] == 3


def test_allocated_roles_are_configurable():
    got = ref.compute_indicators(case_tables(), D, allocated_roles=("iro",))["All"]
    assert got["cases"] == 1  # SW1 with C6


# --------------------------------------------------------------------------------------
# Sickness absence
# --------------------------------------------------------------------------------------

def test_absence_pro_rata_and_ongoing():
    tables = exports(
        workers=[spell("S1", "E1", "SW1", fte=1.0), spell("S2", "E2", "SW2", fte=0.5)],
        absences=[
            # Mon 25 Sep - Fri 6 Oct 2023: 10 weekdays, 5 inside the window -> 8 x 5/10.
            absence("B1", "E1", "2023-09-25", "2023-10-06", days=8),
            # Mon 23 Sep - Fri 4 Oct 2024: 10 weekdays, 6 up to Mon 30 Sep -> 10 x 6/10.
            absence("B2", "E1", "2024-09-23", "2024-10-04", days=10),
            # Wholly inside, recorded as 3 days (part days or a pattern): taken as recorded.
            absence("B3", "E2", "2024-03-04", "2024-03-08", days=3),
            # Ongoing from Mon 16 Sep 2024: 11 weekdays to Mon 30 Sep.
            absence("B4", "E2", "2024-09-16"),
            # Ended before the window.
            absence("B5", "E2", "2023-06-01", "2023-06-30", days=20),
            # Not sickness, or not an LA employee: ignored.
            absence("B6", "E1", "2024-01-08", "2024-01-12", days=5, reason="TRN"),
            absence("B7", "E9", "2024-01-08", "2024-01-12", days=5),
            # Starts after d.
            absence("B8", "E1", "2024-10-07"),
        ],
    )
    got = la(tables)
    assert got["working_days_lost_fte"] == pytest.approx(4 + 6 + 3 + 11)
    assert got["absence_rate_fte_denominator"] == pytest.approx(1.5 * 253)
    assert got["absence_rate_fte"] == pytest.approx(24 / (1.5 * 253) * 100)


def test_ongoing_absence_from_before_the_window_counts_the_whole_year():
    tables = exports(workers=[spell("S1", "E1", "SW1")],
                     absences=[absence("B1", "E1", "2023-09-01")])
    # 1 Oct 2023 (Sun) to 30 Sep 2024 (Mon): 52 weeks (260 weekdays) + Sun 29 + Mon 30 Sep.
    assert la(tables)["working_days_lost_fte"] == 261


def test_weekend_only_episode_counts_if_it_starts_in_the_window():
    tables = exports(workers=[spell("S1", "E1", "SW1")], absences=[
        absence("B1", "E1", "2024-03-09", "2024-03-10", days=1),  # Sat-Sun inside
        absence("B2", "E1", "2023-09-30", "2023-10-01", days=1),  # Sat before window
    ])
    assert la(tables)["working_days_lost_fte"] == 1


def test_missing_absence_export_is_not_available():
    got = la(exports(workers=[spell("S1", "E1", "SW1", fte=0.5)]))
    assert got["working_days_lost_fte"] is None
    assert got["absence_rate_fte"] is None
    assert got["absence_rate_fte_denominator"] == pytest.approx(0.5 * 253)


# --------------------------------------------------------------------------------------
# Service areas
# --------------------------------------------------------------------------------------

def test_service_area_split():
    tables = exports(
        workers=[
            spell("S1", "E1", "SW1", fte=1.0, team="T1", post="P1"),
            # Moved from T1 to T2 this year: in post in Assessment only, no flow.
            spell("S2", "E2", "SW2", fte=1.0, team="T1", start="2020-01-01", end="2024-01-31"),
            spell("S3", "E2", "SW2", fte=0.5, team="T2", start="2024-02-01",
                  service_start="2020-01-01"),
            # Part-time in both areas: one head in each, one head at LA level.
            spell("S4", "E3", "SW3", fte=0.5, team="T1"),
            spell("S5", "E3", "SW3", fte=0.5, team="T2"),
            # Starter in T2 who moved to T1, then left from T1.
            spell("S6", "E4", "SW4", fte=1.0, team="T2", start="2023-11-01", end="2024-02-29"),
            spell("S7", "E4", "SW4", fte=1.0, team="T1", start="2024-03-01",
                  service_start="2023-11-01", end="2024-07-31", leaving="2024-07-31"),
            spell("S8", "E5", "SW5", fte=1.0, team="ZZ"),  # team not in hr_teams
        ],
        agency=[assignment("A1", "SW9", fte=1.0, team="T2", cover="Y")],
        establishment=[post("P1", 1.0, team="T1"), post("P2", 1.0, team="T2")],
        absences=[
            # E2's episode started while in T1: Front Door.
            absence("B1", "E2", "2024-01-08", "2024-01-12", days=5),
            absence("B2", "E2", "2024-03-04", "2024-03-05", days=2),  # in T2 by then
        ],
        teams={"T1": "Front Door", "T2": "Assessment"},
    )
    result = ref.compute_indicators(tables, D)
    assert set(result) == {"All", "Front Door", "Assessment", "Unknown"}

    la_level = result["All"]
    assert (la_level["inpost_headcount"], la_level["inpost_fte"]) == (4, 3.5)
    assert (la_level["starters_headcount"], la_level["leavers_headcount"]) == (1, 1)

    front_door = result["Front Door"]
    assert (front_door["inpost_headcount"], front_door["inpost_fte"]) == (2, 1.5)
    assert (front_door["starters_headcount"], front_door["leavers_headcount"]) == (0, 1)
    assert front_door["leavers_fte"] == 1.0
    assert front_door["turnover_rate_headcount"] == pytest.approx(50.0)
    assert front_door["vacancy_fte"] == 0.0
    assert front_door["agency_fte"] == 0.0
    assert front_door["agency_cover_rate_fte"] is None
    assert front_door["working_days_lost_fte"] == 5

    assessment = result["Assessment"]
    assert (assessment["inpost_headcount"], assessment["inpost_fte"]) == (2, 1.0)
    assert (assessment["starters_headcount"], assessment["starters_fte"]) == (1, 1.0)
    assert assessment["leavers_headcount"] == 0
    assert assessment["turnover_rate_headcount"] == 0.0
    assert assessment["vacancy_fte"] == 1.0
    assert assessment["agency_rate_fte_denominator"] == 2.0
    assert assessment["agency_rate_headcount_denominator"] == 3
    assert assessment["vacancy_agency_cover_rate_fte"] == pytest.approx(100.0)
    assert assessment["working_days_lost_fte"] == 2
    assert assessment["absence_rate_fte"] == pytest.approx(2 / 253 * 100)

    unknown = result["Unknown"]
    assert (unknown["inpost_headcount"], unknown["inpost_fte"]) == (1, 1.0)
    assert unknown["working_days_lost_fte"] == 0.0


def test_without_hr_teams_everything_is_unknown():
    result = ref.compute_indicators(exports(workers=[spell("S1", "E1", "SW1")]), D)
    assert set(result) == {"All", "Unknown"}
    assert result["Unknown"]["inpost_headcount"] == 1


# --------------------------------------------------------------------------------------
# Reading the landing folder
# --------------------------------------------------------------------------------------

HEADERS = {
    "hr_workers": "employee_id,swe_registration,date_of_birth,gender,ethnicity,spell_id,"
                  "team_code,org_role,career_grade,contract_type,fte,spell_start_date,"
                  "la_service_start_date,is_overseas_recruit",
    "hr_establishment": "post_id,team_code,org_role,career_grade,budgeted_fte,effective_from",
    "agency_assignments": "assignment_id,swe_registration,agency_name,team_code,org_role,fte,"
                          "start_date,covering_vacancy",
    "ssd_professionals": "prof_professional_id",
    "ssd_involvements": "invo_involvements_id,invo_professional_id,invo_professional_role_id,"
                        "invo_involvement_start_date,invo_person_id",
}


def write_landing(root, extract_dates=("2024-09-30",)):
    for name, header in HEADERS.items():
        (root / name).mkdir(parents=True)
        (root / name / f"{name}_2024-01-01.csv").write_text(header + "\n", encoding="utf-8")
    for as_at in extract_dates:
        row = f"E1,sw {as_at},1980-01-01,2,wbri,S1,T1,5,sw,permanent,0.5,2020-01-01,2020-01-01,n"
        path = root / "hr_workers" / f"hr_workers_{as_at}.csv"
        path.write_text(HEADERS["hr_workers"] + "\n" + row + "\n", encoding="utf-8-sig")


def test_load_landing_picks_the_latest_extract_on_or_before_the_month_end(tmp_path):
    write_landing(tmp_path, ("2024-08-31", "2024-09-30", "2024-10-31"))
    (tmp_path / "hr_workers" / "hr_workers_2024-09-30.csv.bak").write_text("junk")
    (tmp_path / "hr_workers" / "notes.txt").write_text("junk")

    september = ref.load_landing(tmp_path, date(2024, 9, 30))
    workers = september["hr_workers"]
    assert workers.attrs["source_file"] == "hr_workers_2024-09-30.csv"
    assert workers.loc[0, "swe_registration"] == "sw 2024-09-30"
    assert ref.load_landing(tmp_path, date(2024, 9, 29))["hr_workers"].attrs[
        "source_file"] == "hr_workers_2024-08-31.csv"


def test_load_landing_types_columns_and_leaves_out_missing_optional_exports(tmp_path):
    write_landing(tmp_path)
    tables = ref.load_landing(tmp_path, D)
    assert set(tables) == set(contract.REQUIRED_EXPORTS)
    workers = tables["hr_workers"]
    assert workers.loc[0, "employee_id"] == "E1"  # BOM did not reach the header
    assert workers.loc[0, "fte"] == 0.5
    assert workers.loc[0, "spell_start_date"] == pd.Timestamp("2020-01-01")
    assert pd.isna(workers.loc[0, "leaving_date"])
    assert (workers.loc[0, "career_grade"], workers.loc[0, "ethnicity"]) == ("SW", "WBRI")
    assert workers.loc[0, "is_overseas_recruit"] == "N"
    got = ref.compute_indicators(tables, D)["All"]
    assert (got["inpost_headcount"], got["inpost_fte"]) == (1, 0.5)
    assert got["working_days_lost_fte"] is None


def test_load_landing_reads_xlsx_and_quarantines_broken_rows(tmp_path):
    write_landing(tmp_path)
    rows = pd.DataFrame({
        "absence_id": ["B1", "B2", "B3"], "employee_id": ["E1", "E1", None],
        "absence_reason": ["sic", "SIC", "SIC"],
        "start_date": [pd.Timestamp("2024-09-02"), pd.Timestamp("2024-09-09"), None],
        "end_date": [pd.Timestamp("2024-09-03"), None, None],
        "working_days_lost": [2, None, None],
    })
    folder = tmp_path / "hr_absences"
    folder.mkdir()
    rows.to_excel(folder / "hr_absences_2024-09-15.xlsx", index=False)
    absences = ref.load_landing(tmp_path, D)["hr_absences"]
    assert absences.attrs["quarantined"] == 1  # B3 has no employee or start date
    assert absences["absence_reason"].tolist() == ["SIC", "SIC"]
    assert absences.loc[0, "start_date"] == pd.Timestamp("2024-09-02")
    # B1: 2 days; B2 ongoing from Mon 9 Sep: 16 weekdays to Mon 30 Sep.
    got = ref.compute_indicators(ref.load_landing(tmp_path, D), D)["All"]
    assert got["working_days_lost_fte"] == 2 + 16


def test_load_landing_rejects_missing_required_exports_and_columns(tmp_path):
    write_landing(tmp_path)
    with pytest.raises(FileNotFoundError, match="hr_workers"):
        ref.load_landing(tmp_path, date(2023, 12, 31))
    (tmp_path / "hr_establishment" / "hr_establishment_2024-09-01.csv").write_text(
        "post_id,team_code\n")
    with pytest.raises(ValueError, match="hr_establishment_2024-09-01.csv"):
        ref.load_landing(tmp_path, D)
