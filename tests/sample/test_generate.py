"""The sample generator: layout, contract conformance, determinism, snapshots, features, levels."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from workforce.config import SAMPLE_MARKER
from workforce.sample import SampleConfig, generate_sample
from workforce.spec import contract

SMALL = SampleConfig(la_workers=60, agency_workers=20, history_years=3, extracts=3)
ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
GRADE_RANK = {"ASYE": 0, "SW": 1, "SSW": 2, "AP": 3, "IRO": 3, "TM": 4, "SM": 5}
CW_ROLES = {r.upper() for r in contract.ALLOCATED_CASE_WORKER_ROLES}


# -- helpers ---------------------------------------------------------------------------------
def read(landing: Path, name: str, date: str) -> pd.DataFrame:
    """One extract as text, empty string for null (as the contract reads it)."""
    csv = landing / name / f"{name}_{date}.csv"
    if csv.exists():
        return pd.read_csv(csv, dtype=str, keep_default_na=False)
    frame = pd.read_excel(landing / name / f"{name}_{date}.xlsx", dtype=str)
    return frame.fillna("")


def dates(series: pd.Series) -> pd.Series:
    return pd.to_datetime(series.replace("", None))


def active(frame: pd.DataFrame, start: str, end: str, d: pd.Timestamp) -> pd.DataFrame:
    s, e = dates(frame[start]), dates(frame[end])
    return frame[(s <= d) & (e.isna() | (e > d))]


def month_end(ts: pd.Series) -> pd.Series:
    return ts.notna() & ((ts + pd.Timedelta(days=1)).dt.day == 1)


def norm_swe(series: pd.Series) -> pd.Series:
    return series.str.upper().str.replace(" ", "", regex=False)


def weekdays(start: pd.Timestamp, end: pd.Timestamp) -> int:
    return int(np.busday_count(start.date(), (end + pd.Timedelta(days=1)).date()))


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    landing = tmp_path_factory.mktemp("small") / "landing"
    messages: list[str] = []
    summary = generate_sample(landing, SMALL, progress=messages.append)
    return landing, summary, messages


@pytest.fixture(scope="module")
def latest(small):
    landing, summary, _ = small
    date = summary["extract_dates"][-1]
    return {e.name: read(landing, e.name, date) for e in contract.EXPORTS}, pd.Timestamp(date)


# -- layout and contract ---------------------------------------------------------------------
def test_layout_file_names_and_marker(small):
    landing, summary, messages = small
    assert summary["extract_dates"] == ["2026-07-31", "2026-08-31", "2026-09-30"]
    expected = {SAMPLE_MARKER} | {e.name for e in contract.EXPORTS}
    assert {p.name for p in landing.iterdir()} == expected
    for spec in contract.EXPORTS:
        ext = "xlsx" if spec.name in SMALL.xlsx_exports else "csv"
        names = sorted(p.name for p in (landing / spec.name).iterdir())
        assert names == [f"{spec.name}_{d}.{ext}" for d in summary["extract_dates"]]
    marker = json.loads((landing / SAMPLE_MARKER).read_text())
    assert marker["note"] == "synthetic sample data - not real people"
    assert marker["config"]["la_workers"] == 60 and marker["config"]["seed"] == SMALL.seed
    assert set(summary["files"]) == {
        str(p.relative_to(landing)) for p in landing.glob("*/*")}
    assert all(n > 0 for n in summary["files"].values())
    assert len(messages) >= len(summary["extract_dates"])


def test_every_file_has_contract_columns_in_order_and_valid_values(small):
    landing, summary, _ = small
    for date in summary["extract_dates"]:
        for spec in contract.EXPORTS:
            frame = read(landing, spec.name, date)
            assert list(frame.columns) == spec.column_names, (spec.name, date)
            assert len(frame) > 0, (spec.name, date)
            for col in spec.columns:
                values = frame[col.name]
                filled = values[values != ""]
                where = f"{spec.name}_{date}.{col.name}"
                if col.required:
                    assert (values != "").all(), f"blank required {where}"
                if col.codes is not None:
                    codes = {str(c).upper() for c in col.codes}
                    bad = set(filled.str.upper()) - codes
                    assert not bad, f"{where} has codes outside the contract: {bad}"
                if col.type == contract.DATE:
                    assert filled.str.match(ISO_DATE).all(), where
                elif col.type == contract.FLAG:
                    assert set(filled) <= {"Y", "N"}, where
                elif col.type == contract.DECIMAL:
                    pd.to_numeric(filled, errors="raise")
                elif col.type == contract.PERIOD:
                    assert filled.str.match(r"^\d{4}-\d{2}$").all(), where


def test_keys_unique_and_fte_valid(latest):
    data, _ = latest
    w = data["hr_workers"]
    assert w.spell_id.is_unique
    fte = w.fte.astype(float)
    assert ((fte > 0) & (fte <= 1)).all()
    assert data["agency_assignments"].assignment_id.is_unique
    assert data["hr_absences"].absence_id.is_unique
    assert data["ssd_professionals"].prof_professional_id.is_unique
    assert data["ssd_involvements"].invo_involvements_id.is_unique
    assert data["hr_teams"].team_code.is_unique
    pay = data["payroll_lines"]
    assert not pay.duplicated(["employee_id", "pay_period", "pay_element"]).any()
    # identifiers look like the real systems'
    assert w.employee_id.str.match(r"^E\d{6}$").all()
    assert w.swe_registration.str.match(r"^SW\d{6}$").all()
    assert data["ssd_professionals"].prof_professional_id.str.match(r"^P\d{5}$").all()
    assert data["ssd_involvements"].invo_person_id.str.match(r"^C\d{7}$").all()
    assert data["hr_teams"].team_code.str.match(r"^T\d{2}$").all()
    # an employee id belongs to one person
    assert (w.groupby("employee_id").swe_registration.nunique() == 1).all()


def test_posts_are_never_over_filled_and_people_work_at_most_full_time(small):
    landing, summary, _ = small
    for date in summary["extract_dates"]:
        d = pd.Timestamp(date)
        inpost = active(read(landing, "hr_workers", date), "spell_start_date", "spell_end_date", d)
        fte = inpost.fte.astype(float)
        assert (fte.groupby(inpost.swe_registration).sum() <= 1).all()
        posts = active(read(landing, "hr_establishment", date), "effective_from", "effective_to", d)
        assert posts.post_id.is_unique
        budget = posts.set_index("post_id").budgeted_fte.astype(float)
        held = fte[inpost.post_id != ""].groupby(inpost.post_id[inpost.post_id != ""]).sum()
        assert set(held.index) <= set(budget.index), date  # every post held is funded on d
        assert (held <= budget.reindex(held.index) + 1e-9).all(), date
        agency = active(read(landing, "agency_assignments", date), "start_date", "end_date", d)
        assert set(agency.post_id) - {""} <= set(budget.index), date
        assert agency.swe_registration.is_unique


def test_ages_between_23_and_66_while_employed(latest):
    data, d = latest
    w = data["hr_workers"]
    dob = dates(w.date_of_birth)
    start = dates(w.spell_start_date)
    end = dates(w.spell_end_date).fillna(d)
    assert ((start - dob).dt.days / 365.25 >= 22.5).all()
    assert ((end - dob).dt.days / 365.25 <= 66.5).all()


# -- determinism and safety ------------------------------------------------------------------
def test_same_seed_writes_identical_bytes_and_other_seed_differs(small, tmp_path):
    landing, _, _ = small
    again = tmp_path / "again"
    generate_sample(again, SMALL)
    files = sorted(p.relative_to(landing) for p in landing.rglob("*") if p.is_file())
    assert files == sorted(p.relative_to(again) for p in again.rglob("*") if p.is_file())
    for rel in files:
        assert (landing / rel).read_bytes() == (again / rel).read_bytes(), rel
    other = tmp_path / "other"
    generate_sample(other, SampleConfig(**{**SMALL.__dict__, "seed": 7}))
    rel = Path("hr_workers/hr_workers_2026-09-30.csv")
    assert (landing / rel).read_bytes() != (other / rel).read_bytes()


def test_refuses_a_folder_that_may_hold_real_exports(tmp_path):
    real = tmp_path / "landing"
    (real / "hr_workers").mkdir(parents=True)
    export = real / "hr_workers" / "hr_workers_2026-09-30.csv"
    export.write_text("employee_id\nE1\n")
    with pytest.raises(ValueError, match="SAMPLE_DATA.json"):
        generate_sample(real, SMALL)
    assert export.read_text() == "employee_id\nE1\n"
    assert not (real / SAMPLE_MARKER).exists()


def test_replaces_a_previous_sample(tmp_path):
    landing = tmp_path / "landing"
    generate_sample(landing, SMALL)
    stale = landing / "hr_workers" / "hr_workers_2001-01-31.csv"
    stale.write_text("old")
    summary = generate_sample(landing, SampleConfig(**{**SMALL.__dict__, "extracts": 1,
                                                       "include_optional": ()}))
    assert not stale.exists()
    assert {p.name for p in landing.iterdir()} == {SAMPLE_MARKER, *contract.REQUIRED_EXPORTS}
    assert sorted(p.name for p in (landing / "hr_workers").iterdir()) == [
        "hr_workers_2026-09-30.csv"]
    assert summary["exports"] == list(contract.REQUIRED_EXPORTS)


def test_include_optional_writes_only_the_named_optional_exports(tmp_path):
    landing = tmp_path / "landing"
    cfg = SampleConfig(**{**SMALL.__dict__, "extracts": 1, "include_optional": ("hr_teams",)})
    generate_sample(landing, cfg)
    written = {p.name for p in landing.iterdir() if p.is_dir()}
    assert written == {*contract.REQUIRED_EXPORTS, "hr_teams"}


@pytest.mark.parametrize(("field", "value"), [
    ("end_month", "2026-13"), ("end_month", "Sept 2026"), ("end_month", "2026-9"),
    ("la_workers", 0), ("agency_workers", -5), ("history_years", 0), ("extracts", 0),
    ("extracts", 40), ("seed", -1), ("include_optional", ("hr_workers",)),
    ("xlsx_exports", ("nope",)),
])
def test_invalid_config_is_refused_naming_the_field(tmp_path, field, value):
    cfg = SampleConfig(**{**SMALL.__dict__, field: value})
    with pytest.raises(ValueError, match=field):
        generate_sample(tmp_path / "landing", cfg)
    assert not (tmp_path / "landing").exists() or not any((tmp_path / "landing").iterdir())


# -- snapshot semantics ----------------------------------------------------------------------
def test_nothing_in_an_extract_is_dated_after_its_extract_date(small):
    landing, summary, _ = small
    for date in summary["extract_dates"]:
        d = pd.Timestamp(date)
        for spec in contract.EXPORTS:
            frame = read(landing, spec.name, date)
            for col in spec.columns:
                if col.type == contract.DATE:
                    values = dates(frame[col.name])
                    assert (values.dropna() <= d).all(), f"{spec.name}_{date}.{col.name}"
        periods = pd.PeriodIndex(read(landing, "payroll_lines", date).pay_period, freq="M")
        assert periods.max() == d.to_period("M")
        assert periods.min() >= d.to_period("M") - 23
        weeks = dates(read(landing, "agency_timesheets", date).week_ending)
        assert weeks.max() <= d and weeks.min() > d - pd.DateOffset(months=24)


def test_earlier_extracts_show_open_what_later_extracts_close(small):
    landing, summary, _ = small
    first, last = summary["extract_dates"][0], summary["extract_dates"][-1]
    d0 = pd.Timestamp(first)
    early, late = read(landing, "hr_workers", first), read(landing, "hr_workers", last)
    assert set(early.spell_id) <= set(late.spell_id)
    both = early.merge(late, on="spell_id", suffixes=("_early", "_late"))
    closed_later = both[(both.spell_end_date_early == "") & (both.spell_end_date_late != "")]
    assert len(closed_later) > 0
    assert (dates(closed_later.spell_end_date_late) > d0).all()
    ab = read(landing, "hr_absences", first)
    ongoing = ab[ab.end_date == ""]
    assert (ongoing.working_days_lost == "").all()
    inv0 = read(landing, "ssd_involvements", first)
    inv1 = read(landing, "ssd_involvements", last)
    assert set(inv0.invo_involvements_id) <= set(inv1.invo_involvements_id)
    assert (inv0.invo_worker_change_reason[inv0.invo_involvement_end_date == ""] == "").all()


# -- features --------------------------------------------------------------------------------
def spells_in_order(w: pd.DataFrame) -> pd.DataFrame:
    w = w.copy()
    w["start"], w["end"] = dates(w.spell_start_date), dates(w.spell_end_date)
    return w.sort_values(["swe_registration", "start", "spell_id"])


def test_internal_moves_and_promotions(latest):
    data, _ = latest
    w = spells_in_order(data["hr_workers"])
    nxt = w.groupby("swe_registration").shift(-1)
    moves = w[(w.leaving_date == "") & w.end.notna() & (nxt.start == w.end + pd.Timedelta(days=1))
              & (nxt.la_service_start_date == w.la_service_start_date)]
    assert len(moves) >= 5
    assert (moves.post_id != nxt.loc[moves.index, "post_id"]).sum() >= 3
    # a move never leaves anyone out of post on a month-end
    assert not month_end(moves.end).any()
    rank = w.career_grade.map(GRADE_RANK)
    promoted = moves[nxt.loc[moves.index, "career_grade"].map(GRADE_RANK) > rank[moves.index]]
    assert len(promoted) >= 3
    asye = w[(w.career_grade == "ASYE") & (w.start_origin == "1") & (w.kss_status == "1")]
    assert len(asye) >= 3


def test_part_timers_with_two_concurrent_posts(small):
    landing, summary, _ = small
    for date in summary["extract_dates"]:
        w = read(landing, "hr_workers", date)
        act = active(w, "spell_start_date", "spell_end_date", pd.Timestamp(date))
        per_person = act.groupby("swe_registration").agg(n=("spell_id", "size"),
                                                         fte=("fte", lambda s: s.astype(float).sum()),
                                                         posts=("post_id", "nunique"))
        two = per_person[per_person.n == 2]
        assert len(two) >= 2, date
        assert (two.fte <= 1).all() and (two.posts == 2).all()
        part_time = (per_person.fte < 1).mean()
        assert 0.04 <= part_time <= 0.35


def test_leavers_returners_and_short_stayers(latest):
    data, _ = latest
    w = spells_in_order(data["hr_workers"])
    leavers = w[w.leaving_date != ""]
    assert (leavers.leaving_date == leavers.spell_end_date).all()
    assert (leavers.leaving_reason != "").all() and (leavers.leaver_destination != "").all()
    assert (leavers.leaving_reason == "1").mean() > 0.5
    assert month_end(dates(leavers.leaving_date)).sum() >= 3
    service = dates(leavers.leaving_date) - dates(leavers.la_service_start_date)
    assert (service < pd.Timedelta(days=365)).sum() >= 3
    # returners: same SWE number, a later continuous-service start after a leaving date
    spans = w.groupby(["swe_registration", "la_service_start_date"]).agg(
        left=("leaving_date", "max"), first_spell=("spell_id", "min")).reset_index()
    returners = spans[spans.duplicated("swe_registration", keep=False)]
    assert returners.swe_registration.nunique() >= 2
    for _, group in returners.groupby("swe_registration"):
        group = group.sort_values("la_service_start_date")
        assert group.left.iloc[0] != "" and group.left.iloc[0] < group.la_service_start_date.iloc[1]
        assert group.first_spell.is_unique
    assert (w.is_overseas_recruit == "Y").sum() >= 2
    assert {"FIXED_TERM", "CASUAL", "PERMANENT"} <= set(w.contract_type)


def test_establishment_changes_without_overlaps(latest):
    data, d = latest
    e = data["hr_establishment"].copy()
    e["from"], e["to"] = dates(e.effective_from), dates(e.effective_to)
    e = e.sort_values(["post_id", "from"])
    nxt = e.groupby("post_id").shift(-1)
    has_next = nxt["from"].notna()
    assert (e.loc[has_next, "to"] < nxt.loc[has_next, "from"]).all()  # no overlaps
    changed = e[has_next & (nxt["from"] == e["to"] + pd.Timedelta(days=1))]
    assert len(changed) >= 2
    assert (changed.budgeted_fte.astype(float) != nxt.loc[changed.index, "budgeted_fte"]
            .astype(float)).all()
    removed = e[~has_next & e["to"].notna()]
    assert len(removed) >= 2
    added = e.groupby("post_id")["from"].min()
    assert (added > d - pd.DateOffset(years=SMALL.history_years)).sum() >= 2
    # every spell's post is in the establishment
    posts = set(e.post_id)
    held = set(data["hr_workers"].post_id) - {""}
    assert held <= posts


def test_teams_and_departments(latest):
    data, _ = latest
    teams = data["hr_teams"]
    assert set(teams.service_area) == set(contract.SERVICE_AREAS)
    dept = data["ssd_department"]
    assert set(teams.team_code) <= set(dept.dept_team_id)
    assert len(set(dept.dept_team_id) - set(teams.team_code)) >= 2


def test_agency_assignments(latest):
    data, d = latest
    a = data["agency_assignments"].copy()
    a["start"], a["end"] = dates(a.start_date), dates(a.end_date)
    assert (a.covering_vacancy == "N").sum() >= 2
    assert ((a.covering_vacancy == "Y") & (a.post_id != "")).sum() >= 5
    assert ((a.covering_vacancy == "Y") & (a.post_id == "")).sum() >= 1
    a = a.sort_values(["swe_registration", "start"])
    nxt = a.groupby("swe_registration").shift(-1)
    extended = a[nxt.start == a.end + pd.Timedelta(days=1)]
    assert len(extended) >= 2
    # the same person never has two assignments at once
    assert not (nxt.start <= a.end.fillna(d + pd.Timedelta(days=1))).any()
    # agency workers who later became permanent, never overlapping
    w = data["hr_workers"]
    converts = set(a.swe_registration) & set(w.swe_registration)
    assert len(converts) >= 2
    for swe in converts:
        agency_end = a[a.swe_registration == swe].end.max()
        hr_start = dates(w[w.swe_registration == swe].spell_start_date).min()
        assert agency_end < hr_start
    ts = data["agency_timesheets"].merge(a[["assignment_id", "hourly_charge_gbp"]])
    charge = ts.hours.astype(float) * ts.hourly_charge_gbp.astype(float)
    assert np.allclose(charge, ts.charge_gbp.astype(float), atol=0.01)
    rates = a.hourly_charge_gbp.astype(float)
    assert rates.between(35, 75).all()


def test_absences(latest):
    data, d = latest
    ab = data["hr_absences"]
    assert {"SIC", "MAT", "TRN", "OTH"} <= set(ab.absence_reason)
    ongoing = ab[ab.end_date == ""]
    assert len(ongoing) >= 1 and (ongoing.working_days_lost == "").all()
    closed = ab[ab.end_date != ""].head(400)
    expected = [weekdays(s, e) for s, e in zip(dates(closed.start_date), dates(closed.end_date),
                                               strict=True)]
    assert np.allclose(closed.working_days_lost.astype(float), expected)
    sic_days = ab[ab.end_date != ""].working_days_lost.astype(float)[ab.absence_reason == "SIC"]
    assert (sic_days <= 5).sum() > 0 and (sic_days >= 20).sum() > 0
    # absences fall inside employment
    w = data["hr_workers"]
    first = dates(w.la_service_start_date).groupby(w.employee_id).min()
    assert (dates(ab.start_date) >= ab.employee_id.map(first)).all()


def test_payroll_and_exit_interviews(latest):
    data, _ = latest
    pay = data["payroll_lines"]
    assert {"BASIC", "EMPLOYER_ONCOST", "MARKET_SUPPLEMENT", "RETENTION_PAYMENT"} <= set(
        pay.pay_element)
    amount = pay.amount_gbp.astype(float)
    assert (amount < 0).any()
    assert (amount[pay.pay_element == "RETENTION_PAYMENT"] == 2000).all()
    basic = pay[pay.pay_element == "BASIC"].set_index(["employee_id", "pay_period"]).amount_gbp
    oncost = pay[pay.pay_element == "EMPLOYER_ONCOST"].set_index(
        ["employee_id", "pay_period"]).amount_gbp
    ratio = oncost.astype(float) / basic.astype(float).reindex(oncost.index)
    assert ratio.between(0.27, 0.32).all()
    assert set(pay.employee_id) <= set(data["hr_workers"].employee_id)
    ex = data["hr_exit_interviews"]
    w = data["hr_workers"]
    leavers = w[w.leaving_date != ""].drop_duplicates(["employee_id", "leaving_date"])
    assert 0.3 <= len(ex) / len(leavers) <= 0.9  # about 60%; few leavers in the small sample
    keyed = set(zip(leavers.employee_id, leavers.leaving_date, strict=True))
    assert set(zip(ex.employee_id, ex.leaving_date, strict=True)) <= keyed
    others = ex.other_reasons[ex.other_reasons != ""]
    assert others.str.contains(";").any()
    assert set(";".join(others).split(";")) <= set(contract.EXIT_REASONS)


def test_case_management(latest):
    data, d = latest
    prof, inv, w = data["ssd_professionals"], data["ssd_involvements"], data["hr_workers"]
    agency = data["agency_assignments"]
    known = set(w.swe_registration) | set(agency.swe_registration)
    prof = prof.assign(swe=norm_swe(prof.prof_social_worker_registration_no))
    # every HR and agency person appears once; SWE numbers sometimes need normalising
    assert known <= set(prof.swe)
    assert not prof[prof.swe.isin(known)].swe.duplicated().any()
    raw = prof.prof_social_worker_registration_no
    assert raw.str.contains(" ").any() and raw.str.contains("sw").any()
    staff = prof[prof.prof_staff_id != ""]
    assert set(staff.prof_staff_id) <= set(w.employee_id)
    unmatched = prof[~prof.swe.isin(known)]
    assert 5 <= len(unmatched) <= 10
    inv = inv.assign(role=inv.invo_professional_role_id.str.upper())
    assert {"CW", "ALLOCATED CASE WORKER", "IRO", "TM", "SUPPORT"} <= set(inv.role)
    assert "Allocated Case Worker" in set(inv.invo_professional_role_id)
    is_open = active(inv, "invo_involvement_start_date", "invo_involvement_end_date", d)
    open_cw = is_open[is_open.role.isin(CW_ROLES)]
    assert open_cw.invo_professional_id.isin(unmatched.prof_professional_id).sum() >= 3
    # the caseload column agrees with the open allocations
    counts = open_cw.groupby("invo_professional_id").size()
    listed = prof.set_index("prof_professional_id").prof_professional_caseload.astype(int)
    assert (listed.reindex(counts.index) == counts).all()
    # siblings allocated together
    cw = inv[inv.role.isin(CW_ROLES)]
    sibs = cw.groupby(["invo_referral_id", "invo_professional_id",
                       "invo_involvement_start_date"]).invo_person_id.nunique()
    assert (sibs >= 2).sum() >= 10
    # changes of worker carry a reason; some children see three or more workers in a year
    ended = cw[cw.invo_involvement_end_date != ""]
    assert {"LEFTRL", "TSPROC"} <= set(ended.invo_worker_change_reason)
    window = cw[dates(cw.invo_involvement_end_date).fillna(d) > d - pd.DateOffset(months=12)]
    assert (window.groupby("invo_person_id").invo_professional_id.nunique() >= 3).sum() >= 3
    closed_on_month_end = ended[(ended.invo_worker_change_reason == "")
                                & month_end(dates(ended.invo_involvement_end_date))]
    assert len(closed_on_month_end) >= 3


def test_leavers_hand_their_cases_over_on_their_leaving_date(latest):
    data, _ = latest
    prof, inv, w = data["ssd_professionals"], data["ssd_involvements"], data["hr_workers"]
    prof = prof.assign(swe=norm_swe(prof.prof_social_worker_registration_no))
    inv = inv[inv.invo_professional_role_id.str.upper().isin(CW_ROLES)]
    inv = inv.merge(prof[["prof_professional_id", "swe"]], left_on="invo_professional_id",
                    right_on="prof_professional_id")
    start, end = dates(inv.invo_involvement_start_date), dates(inv.invo_involvement_end_date)
    leavers = w[w.leaving_date != ""].drop_duplicates(["swe_registration", "leaving_date"])
    checked = 0
    for swe, left in zip(leavers.swe_registration, dates(leavers.leaving_date), strict=True):
        mine = (inv.swe == swe) & (start <= left)
        if not mine.any():
            continue
        checked += 1
        assert (end[mine] <= left).all(), swe
        handed = inv[mine & (end == left)]
        assert (handed.invo_worker_change_reason.isin(["LEFTRL", "SWDIED", ""])).all()
    assert checked >= 5


# -- levels on the default config ------------------------------------------------------------
def la_indicators(landing: Path, date: str) -> dict[str, float]:
    """DfE-style LA-level indicators at d, computed the way metrics.md defines them."""
    d = pd.Timestamp(date)
    window_start = d - pd.DateOffset(months=12)  # window is (d - 12 months, d]
    w = read(landing, "hr_workers", date)
    w["fte"] = w.fte.astype(float)
    inpost = active(w, "spell_start_date", "spell_end_date", d)
    headcount, fte = inpost.swe_registration.nunique(), inpost.fte.sum()
    left = dates(w.leaving_date)
    leavers = w[(left > window_start) & (left <= d)].drop_duplicates("swe_registration")
    began = dates(w.la_service_start_date)
    starters = w[(began > window_start) & (began <= d)].drop_duplicates(
        ["swe_registration", "la_service_start_date"])
    a = read(landing, "agency_assignments", date)
    a["fte"] = a.fte.astype(float)
    agency = active(a, "start_date", "end_date", d)
    agency_hc, agency_fte = agency.swe_registration.nunique(), agency.fte.sum()
    cover_fte = agency[agency.covering_vacancy == "Y"].fte.sum()
    e = read(landing, "hr_establishment", date)
    posts = active(e, "effective_from", "effective_to", d)
    filled = inpost.groupby("post_id").fte.sum()
    vacancy = (posts.budgeted_fte.astype(float) - posts.post_id.map(filled).fillna(0)).clip(
        lower=0).sum()
    inv = read(landing, "ssd_involvements", date)
    inv = active(inv, "invo_involvement_start_date", "invo_involvement_end_date", d)
    inv = inv[inv.invo_professional_role_id.str.upper().isin(CW_ROLES)]
    prof = read(landing, "ssd_professionals", date)
    prof["swe"] = norm_swe(prof.prof_social_worker_registration_no)
    worker_fte = pd.concat([inpost.groupby("swe_registration").fte.sum(),
                            agency.groupby("swe_registration").fte.sum()]).groupby(level=0).sum()
    held = inv.merge(prof[["prof_professional_id", "swe"]], left_on="invo_professional_id",
                     right_on="prof_professional_id")
    held = held[held.swe.isin(worker_fte.index)]
    holders_fte = worker_fte[held.swe.unique()].sum()
    ab = read(landing, "hr_absences", date)
    ab = ab[ab.absence_reason == "SIC"]
    days_lost = 0.0
    first_day = window_start + pd.Timedelta(days=1)
    for start, end, lost in zip(dates(ab.start_date), dates(ab.end_date), ab.working_days_lost,
                                strict=True):
        last = d if pd.isna(end) else end
        if last < first_day or start > d:
            continue
        inside = weekdays(max(start, first_day), min(last, d))
        days_lost += inside if pd.isna(end) else float(lost) * inside / weekdays(start, end)
    return {
        "inpost_headcount": headcount, "inpost_fte": fte,
        "starters_headcount": len(starters), "leavers_headcount": len(leavers),
        "turnover_rate_headcount": 100 * len(leavers) / headcount,
        "agency_headcount": agency_hc, "agency_fte": agency_fte,
        "agency_rate_headcount": 100 * agency_hc / (agency_hc + headcount),
        "agency_rate_fte": 100 * agency_fte / (agency_fte + fte),
        "agency_cover_rate_fte": 100 * cover_fte / agency_fte,
        "vacancy_fte": vacancy, "vacancy_rate_fte": 100 * vacancy / (vacancy + fte),
        "vacancy_agency_cover_rate_fte": 100 * cover_fte / vacancy,
        "cases": len(held), "case_holders_fte": holders_fte,
        "caseload_fte": len(held) / holders_fte,
        "working_days_lost_fte": days_lost, "absence_rate_fte": 100 * days_lost / (fte * 253),
    }


EXPECTED = {  # the ranges the default config promises, at every extract month-end
    "inpost_headcount": (330, 370), "inpost_fte": (300, 345),
    "turnover_rate_headcount": (14, 18), "agency_headcount": (100, 150),
    "agency_rate_headcount": (20, 28), "agency_rate_fte": (20, 28),
    "agency_cover_rate_fte": (70, 85), "vacancy_rate_fte": (15, 25),
    "vacancy_agency_cover_rate_fte": (50, 100), "caseload_fte": (15, 19),
    "absence_rate_fte": (2.5, 4.5),
}


@pytest.mark.slow
def test_default_sample_sits_near_a_typical_county(tmp_path):
    landing = tmp_path / "landing"
    summary = generate_sample(landing)
    assert summary["extract_dates"][-1] == "2026-09-30" and len(summary["extract_dates"]) == 12
    teams = read(landing, "hr_teams", "2026-09-30")
    assert 25 <= len(teams) <= 35
    for date in summary["extract_dates"]:
        got = la_indicators(landing, date)
        for name, (lo, hi) in EXPECTED.items():
            assert lo <= got[name] <= hi, f"{name} at {date}: {got[name]:.1f} not in {lo}-{hi}"
        assert 0.8 <= got["starters_headcount"] / got["leavers_headcount"] <= 1.25, date
    # September sits inside what DfE publishes across councils (2025 release)
    dfe_file = Path(__file__).resolve().parents[3] / "shared/data/dfe/csww_indicators_2017_to_2025.csv"
    if dfe_file.exists():
        dfe = pd.read_csv(dfe_file, dtype=str)
        councils = dfe[(dfe.geographic_level == "Local authority") & (dfe.time_period == "2025")]
        got = la_indicators(landing, "2026-09-30")
        for name, value in got.items():
            published = pd.to_numeric(councils[name], errors="coerce").dropna()
            assert published.min() <= value <= published.max(), name
