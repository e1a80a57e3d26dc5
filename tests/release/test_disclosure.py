"""Disclosure control of published tables (metrics.md, "Symbols and small numbers"), with
adversarial tables: a team of 3, a suppressed cell that equals the total minus the rest, cells
that can only be 1, rates on suppressed counts, and the LA level that is never suppressed."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest
from conftest import DEFAULT_MONTH, HEADLINE, INDICATORS, PUBLISHED_COLUMNS, RATES, RATES_BY_NAME
from workforce.publish import publisher as publish
from workforce.release.disclosure import (
    SPECS,
    DisclosureError,
    DisclosureSpec,
    apply_disclosure_control,
    disclosure_problems,
)
from workforce.spec.catalogue import TABLE, published_tables, status_column

EXTRA_DENOMINATORS = tuple(c.name for c in HEADLINE.of_kind("denominator"))

T = 4
MONTH_END = date(2026, 9, 30)
COUNTS = ("inpost_headcount", "starters_headcount", "leavers_headcount", "agency_headcount", "cases")


def _row(area: str, inpost: int, *, starters=None, leavers=None, agency=None, cases=None, month_end=MONTH_END):
    """A published-shaped row whose parts are consistent with one another."""
    starters = max(inpost // 5, 0) if starters is None else starters
    leavers = max(inpost // 6, 0) if leavers is None else leavers
    agency = max(inpost // 4, 0) if agency is None else agency
    cases = inpost * 14 if cases is None else cases
    row = {
        "la_code": "878", "month_end": month_end, "service_area": area,
        "inpost_headcount": inpost, "inpost_fte": inpost * 0.9,
        "starters_headcount": starters, "starters_fte": starters * 0.9,
        "leavers_headcount": leavers, "leavers_fte": leavers * 0.9,
        "agency_headcount": agency, "agency_fte": agency * 1.0,
        "agency_cover_fte": agency * 0.5,
        "vacancy_fte": 2.0,
        "case_holders_fte": inpost * 0.7 + agency,
        "cases": cases,
        "working_days_lost_fte": inpost * 5.0,
        "agency_rate_fte_denominator": agency * 1.0 + inpost * 0.9,
        "agency_rate_headcount_denominator": agency + inpost,
        "vacancy_rate_fte_denominator": 2.0 + inpost * 0.9,
        "absence_rate_fte_denominator": inpost * 0.9 * 253,
        "cases_unmatched": 0,
    }
    for rate in RATES:
        den = row[rate.denominator]
        row[rate.name] = round(row[rate.numerator] / den * rate.multiplier, 1) if den else None
    for ind in INDICATORS:
        row[status_column(ind)] = None
        if ind in RATES_BY_NAME and row[ind] is None:
            row[status_column(ind)] = "z"
    return row


def _table(areas: dict[str, int], month_end=MONTH_END, **overrides) -> list[dict]:
    """Rows for one month: every area, then the LA level as their sum."""
    rows = [_row(a, n, month_end=month_end, **overrides.get(a, {})) for a, n in areas.items()]
    la = _row("All", 0, month_end=month_end)
    for col in ("inpost_headcount", "inpost_fte", "starters_headcount", "starters_fte", "leavers_headcount",
                "leavers_fte", "agency_headcount", "agency_fte", "agency_cover_fte", "vacancy_fte",
                "case_holders_fte", "cases", "working_days_lost_fte", *EXTRA_DENOMINATORS, "cases_unmatched"):
        la[col] = sum(r[col] for r in rows)
    for rate in RATES:
        den = la[rate.denominator]
        la[rate.name] = round(la[rate.numerator] / den * rate.multiplier, 1) if den else None
        la[status_column(rate.name)] = None if den else "z"
    return [la, *rows]


def _frame(*tables: list[dict]) -> pd.DataFrame:
    df = pd.DataFrame([r for t in tables for r in t])
    for col in COUNTS + ("agency_rate_headcount_denominator", "cases_unmatched"):
        df[col] = df[col].astype("int64")
    return df[list(PUBLISHED_COLUMNS)]


def _at(df: pd.DataFrame, area: str, month_end=MONTH_END) -> pd.Series:
    rows = df[(df.service_area == area) & (df.month_end == month_end)]
    assert len(rows) == 1
    return rows.iloc[0]


def _protect(df: pd.DataFrame, threshold: int = T) -> pd.DataFrame:
    return apply_disclosure_control(TABLE, df, threshold)


def _suppressed(row: pd.Series, column: str) -> bool:
    return pd.isna(row[column]) and row[status_column(column)] == "c"


def test_every_published_table_has_a_spec():
    assert {t.name for t in published_tables()} <= set(SPECS)


def test_team_of_three_is_suppressed_with_everything_derived_from_it():
    df = _frame(_table({"Assessment": 3, "Fostering": 12, "Adoption": 20}))
    out = _protect(df)
    small = _at(out, "Assessment")
    for col in ("inpost_headcount", "inpost_fte", "case_holders_fte", "working_days_lost_fte",
                "turnover_rate_fte", "turnover_rate_headcount", "agency_rate_fte", "agency_rate_headcount",
                "vacancy_rate_fte", "absence_rate_fte", "caseload_fte"):
        assert _suppressed(small, col), col
    for col in ("agency_rate_fte_denominator", "agency_rate_headcount_denominator", "vacancy_rate_fte_denominator",
                "absence_rate_fte_denominator"):
        assert pd.isna(small[col]), col
    # vacancy_fte counts funded posts, not people: it stays.
    assert small["vacancy_fte"] == 2.0 and pd.isna(small["vacancy_fte_status"])


def test_suppressed_cell_cannot_be_recovered_as_total_minus_the_rest():
    # Assessment 3 would be All (35) - Fostering (12) - Adoption (20): the next smallest area goes too.
    df = _frame(_table({"Assessment": 3, "Fostering": 12, "Adoption": 20}))
    out = _protect(df)
    assert _suppressed(_at(out, "Assessment"), "inpost_headcount")
    assert _suppressed(_at(out, "Fostering"), "inpost_headcount")
    assert _at(out, "Adoption")["inpost_headcount"] == 20
    for col in ("inpost_headcount", "inpost_fte"):  # the FTE follows the same cells
        areas = out[out.service_area != "All"]
        unknown = areas[col].isna().sum()
        assert unknown != 1
        recovered = _at(out, "All")[col] - areas[col].sum()
        assert not np.isclose(recovered, _at(df, "Assessment")[col])
    assert disclosure_problems(TABLE, out, T) == []
    assert disclosure_problems(TABLE, df, T)  # the unprotected table is flagged


def test_secondary_cell_is_the_smallest_non_zero_area_and_zeros_are_published():
    df = _frame(_table({"Assessment": 2, "Fostering": 0, "Adoption": 30, "Front Door": 9}))
    out = _protect(df)
    assert _suppressed(_at(out, "Assessment"), "inpost_headcount")
    assert _suppressed(_at(out, "Front Door"), "inpost_headcount")
    assert _at(out, "Fostering")["inpost_headcount"] == 0
    assert pd.isna(_at(out, "Fostering")["inpost_headcount_status"])
    assert _at(out, "Adoption")["inpost_headcount"] == 30


def test_cells_that_could_only_hold_one_person_each_are_protected():
    # Two suppressed areas, 1 and 1: All - rest = 2 over two cells of at least 1 each pins both at 1.
    df = _frame(_table({"Assessment": 1, "Fostering": 1, "Adoption": 30, "Front Door": 40, "Care Leavers": 0}))
    out = _protect(df)
    assert _suppressed(_at(out, "Assessment"), "inpost_headcount")
    assert _suppressed(_at(out, "Fostering"), "inpost_headcount")
    assert _suppressed(_at(out, "Adoption"), "inpost_headcount")
    assert _at(out, "Front Door")["inpost_headcount"] == 40
    assert disclosure_problems(TABLE, out, T) == []


def test_cells_that_could_only_hold_the_threshold_each_are_protected():
    df = _frame(_table({"Assessment": 4, "Fostering": 4, "Adoption": 30, "Front Door": 40}))
    out = _protect(df)
    assert _at(out, "Adoption")["inpost_headcount_status"] == "c"
    assert _at(out, "Front Door")["inpost_headcount"] == 40


def test_la_level_is_never_suppressed_even_when_small():
    df = _frame(_table({"Assessment": 2, "Fostering": 1}))
    out = _protect(df)
    la = _at(out, "All")
    assert la["inpost_headcount"] == 3 and pd.isna(la["inpost_headcount_status"])
    for ind in INDICATORS:
        assert la[status_column(ind)] != "c", ind
    assert _suppressed(_at(out, "Assessment"), "inpost_headcount")
    assert _suppressed(_at(out, "Fostering"), "inpost_headcount")


def test_rates_on_suppressed_counts_are_suppressed_and_other_reasons_kept():
    areas = {"Assessment": 20, "Fostering": 25, "Adoption": 30}
    overrides = {"Assessment": {"leavers": 2, "cases": 3}, "Fostering": {"agency": 0}}
    df = _frame(_table(areas, **overrides))
    df.loc[df.service_area == "Adoption", ["working_days_lost_fte", "absence_rate_fte"]] = None
    df.loc[df.service_area == "Adoption", ["working_days_lost_fte_status", "absence_rate_fte_status"]] = "x"
    out = _protect(df)
    a = _at(out, "Assessment")
    for col in ("leavers_headcount", "leavers_fte", "turnover_rate_fte", "turnover_rate_headcount", "cases",
                "caseload_fte"):
        assert _suppressed(a, col), col
    assert pd.isna(a["cases_unmatched"])
    assert a["inpost_headcount"] == 20 and pd.isna(a["inpost_headcount_status"])
    f = _at(out, "Fostering")
    assert f["agency_headcount"] == 0  # a true zero is published
    assert f["agency_cover_rate_fte_status"] == "z"  # zero denominator keeps its reason
    assert _at(out, "Adoption")["absence_rate_fte_status"] == "x"


def test_value_is_null_exactly_when_status_is_set():
    df = _frame(
        _table({"Assessment": 3, "Fostering": 1, "Adoption": 30, "Front Door": 0, "Care Leavers": 6}),
        _table({"Assessment": 7, "Fostering": 4, "Adoption": 2}, month_end=date(2026, 8, 31)),
    )
    out = _protect(df)
    for ind in INDICATORS:
        assert (out[ind].isna() == out[status_column(ind)].notna()).all(), ind
        assert set(out[status_column(ind)].dropna()) <= {"x", "z", "c"}
    assert disclosure_problems(TABLE, out, T) == []


def test_months_are_protected_separately():
    df = _frame(
        _table({"Assessment": 3, "Fostering": 12, "Adoption": 20}),
        _table({"Assessment": 13, "Fostering": 12, "Adoption": 20}, month_end=date(2026, 8, 31)),
    )
    out = _protect(df)
    aug = date(2026, 8, 31)
    assert _at(out, "Assessment", aug)["inpost_headcount"] == 13
    assert _at(out, "Fostering", aug)["inpost_headcount"] == 12
    assert _suppressed(_at(out, "Fostering"), "inpost_headcount")


def test_threshold_is_configurable_and_zero_turns_suppression_off():
    df = _frame(_table({"Assessment": 3, "Fostering": 12, "Adoption": 20}))
    assert _at(_protect(df, 2), "Assessment")["inpost_headcount"] == 3
    assert _suppressed(_at(_protect(df, 3), "Assessment"), "inpost_headcount")
    assert _protect(df, 0).equals(df)
    with pytest.raises(DisclosureError):
        _protect(df, -1)


def test_pure_and_deterministic():
    df = _frame(_table({"Assessment": 3, "Fostering": 12, "Adoption": 12, "Front Door": 0}))
    before = df.copy()
    first, second = _protect(df), _protect(df.sample(frac=1, random_state=1))
    assert df.equals(before)
    pd.testing.assert_frame_equal(first, second.loc[first.index])
    # ties on the smallest area are broken by name: Adoption before Fostering
    assert _suppressed(_at(first, "Adoption"), "inpost_headcount")
    assert _at(first, "Fostering")["inpost_headcount"] == 12


def test_unknown_table_is_refused():
    with pytest.raises(DisclosureError, match="no disclosure spec"):
        apply_disclosure_control("some_new_table", pd.DataFrame(), T)


def test_counts_stay_whole_numbers_in_the_published_csv(tmp_path):
    out = _protect(_frame(_table({"Assessment": 3, "Fostering": 12, "Adoption": 20})))
    path = tmp_path / "t.csv"
    publish._write_csv(out, path)
    text = pd.read_csv(path, dtype=str, keep_default_na=False)
    adoption = text[text.service_area == "Adoption"].iloc[0]
    assert adoption["inpost_headcount"] == "20"
    assert adoption["cases"] == str(20 * 14)
    assessment = text[text.service_area == "Assessment"].iloc[0]
    assert assessment["inpost_headcount"] == "" and assessment["inpost_headcount_status"] == "c"


def test_team_level_hierarchy_protects_teams_within_their_area():
    spec = DisclosureSpec(counts=("headcount",), levels=("service_area", "team_code"), group_by=("month_end",))
    SPECS["_test_teams"] = spec
    try:
        rows = [
            ("All", "All", 60), ("Assessment", "All", 30), ("Fostering", "All", 30),
            ("Assessment", "T1", 3), ("Assessment", "T2", 12), ("Assessment", "T3", 15),
            ("Fostering", "T4", 30), ("Fostering", "T5", 0),
        ]
        df = pd.DataFrame(rows, columns=["service_area", "team_code", "headcount"]).assign(
            month_end=MONTH_END, headcount_status=None
        )
        out = apply_disclosure_control("_test_teams", df, T)
        team = out.set_index("team_code")
        assert team.loc["T1", "headcount_status"] == "c"
        assert team.loc["T2", "headcount_status"] == "c"  # secondary, within Assessment
        assert team.loc["T3", "headcount"] == 15
        assert team.loc["T4", "headcount"] == 30 and team.loc["T5", "headcount"] == 0
        assert out.loc[out.team_code == "All", "headcount"].notna().all()
        assert disclosure_problems("_test_teams", out, T) == []
    finally:
        del SPECS["_test_teams"]


def test_team_rows_without_subtotals_treat_the_area_as_published_elsewhere():
    spec = DisclosureSpec(counts=("headcount",), levels=("service_area", "team_code"), group_by=("month_end",))
    SPECS["_test_teams"] = spec
    try:
        rows = [("All", "All", 45), ("Assessment", "T1", 3), ("Assessment", "T2", 12), ("Fostering", "T4", 30)]
        df = pd.DataFrame(rows, columns=["service_area", "team_code", "headcount"]).assign(month_end=MONTH_END)
        out = apply_disclosure_control("_test_teams", df, T).set_index("team_code")
        assert pd.isna(out.loc["T1", "headcount"]) and pd.isna(out.loc["T2", "headcount"])
        assert out.loc["T4", "headcount"] == 30
    finally:
        del SPECS["_test_teams"]


@pytest.mark.slow
def test_protected_sample_month_passes_the_published_suite(published_default):
    """The real published month, protected, still passes every critical published check."""
    from workforce.quality import runner
    from workforce.quality.results import raise_on_failure

    settings, _summary = published_default
    df = pd.read_parquet(settings.published_month_dir(DEFAULT_MONTH) / f"{TABLE}.parquet")
    out = apply_disclosure_control(TABLE, df, T)
    assert disclosure_problems(TABLE, out, T) == []
    assert out[[status_column(c) for c in COUNTS]].eq("c").any().any(), "the sample has small cells to protect"
    result = runner.validate_published(out, settings.expectations_dir)
    raise_on_failure([result])


# --- the scrutiny metric set: team-level tables --------------------------------------------------

TEAMS = {"Assessment": ("T1", "T2", "T3"), "Fostering": ("T4", "T5")}


def _team_frame(value_of, areas=TEAMS) -> pd.DataFrame:
    """Council, area and team rows; ``value_of(team_code) -> dict`` of the value columns of one
    team, area and council rows being their sums (columns whose name ends in _status are left empty)."""
    teams = [(a, t, value_of(t)) for a, ts in areas.items() for t in ts]
    cols = list(teams[0][2])

    def total(rows) -> dict:
        return {c: sum(r[2][c] for r in rows) for c in cols}

    rows = [("All", "All", total(teams))]
    for area in areas:
        rows.append((area, "All", total([r for r in teams if r[0] == area])))
        rows.extend(r for r in teams if r[0] == area)
    return pd.DataFrame([
        {"la_code": "878", "month_end": MONTH_END, "service_area": a, "team_code": t, **v} for a, t, v in rows
    ])


def _team(out: pd.DataFrame, team: str) -> pd.Series:
    return out[out.team_code == team].iloc[0]


def test_caseload_team_of_three_hides_its_caseloads_and_bands():
    sizes = {"T1": 3, "T2": 12, "T3": 15, "T4": 20, "T5": 9}

    def value_of(t):
        n = sizes[t]
        bands = [n - n // 2 - n // 3, n // 3, n // 2, 0] if n > 3 else [0, 1, 2, 0]
        return {"case_holders_headcount": n, "case_holders_fte": n * 0.9, "cases": n * 15,
                "case_holders_over_target": bands[2] + bands[3], "case_holders_up_to_80pct_of_target": bands[0],
                "case_holders_80_to_100pct_of_target": bands[1], "case_holders_100_to_120pct_of_target": bands[2],
                "case_holders_over_120pct_of_target": bands[3], "caseload_target": 15.0}

    df = _team_frame(value_of)
    df["caseload_fte"] = (df.cases / df.case_holders_fte).round(1)
    df["caseload_max"], df["caseload_p90"] = 25.0, 20.0
    df["pct_case_holders_over_target"] = (df.case_holders_over_target / df.case_holders_headcount * 100).round(1)
    for c in ("caseload_fte", "caseload_max", "caseload_p90", "pct_case_holders_over_target"):
        df[f"{c}_status"] = None
    table = "scrutiny_caseload_monthly"
    out = apply_disclosure_control(table, df, T)
    t1 = _team(out, "T1")
    for col in ("case_holders_headcount", "case_holders_fte", "cases", "case_holders_over_target"):
        assert pd.isna(t1[col]), col
    for col in ("caseload_max", "caseload_p90", "caseload_fte", "pct_case_holders_over_target"):
        assert _suppressed(t1, col), col
    assert pd.isna(_team(out, "T2")["case_holders_headcount"])  # secondary within Assessment
    assert _team(out, "T3")["case_holders_headcount"] == 15 and _team(out, "T3")["caseload_target"] == 15.0
    # T5 (9): its bands 3, 3, 4 (small) and 0 are suppressed, and no band is alone in the row.
    t5 = _team(out, "T5")
    assert t5["case_holders_headcount"] == 9 and t5["case_holders_over_120pct_of_target"] == 0
    band_cols = [c for c in out.columns if c.startswith("case_holders_") and c.endswith("_target") and "pct" in c]
    assert sum(pd.isna(t5[c]) for c in band_cols) != 1
    assert disclosure_problems(table, out, T) == []
    assert disclosure_problems(table, df, T)


def test_a_band_cannot_be_recovered_from_the_case_holders_of_its_row():
    def value_of(t):
        return {"case_holders_headcount": 30, "case_holders_fte": 30.0, "cases": 450, "case_holders_over_target": 13,
                "case_holders_up_to_80pct_of_target": 10, "case_holders_80_to_100pct_of_target": 7,
                "case_holders_100_to_120pct_of_target": 11, "case_holders_over_120pct_of_target": 2}

    df = _team_frame(value_of)
    for c in ("caseload_fte", "caseload_max", "caseload_p90", "pct_case_holders_over_target"):
        df[c], df[f"{c}_status"] = 10.0, None
    out = apply_disclosure_control("scrutiny_caseload_monthly", df, T)
    t1 = _team(out, "T1")
    assert pd.isna(t1["case_holders_over_120pct_of_target"])
    # over target = 100-120% + over 120%: the 11 goes too; the headcount row sum then needs another band.
    assert pd.isna(t1["case_holders_100_to_120pct_of_target"]) or pd.isna(t1["case_holders_over_target"])
    assert disclosure_problems("scrutiny_caseload_monthly", out, T) == []


def test_retention_cohort_of_two_and_its_rates_are_suppressed():
    cohort = {"T1": 2, "T2": 8, "T3": 9, "T4": 10, "T5": 6}

    def value_of(t):
        return {c: 10 for c in SPECS["scrutiny_retention_monthly"].counts} | {
            "starter_cohort_headcount": cohort[t], "starters_retained_12m": cohort[t] - 1 if t == "T1" else 6,
        }

    df = _team_frame(value_of)
    spec = SPECS["scrutiny_retention_monthly"]
    for rate in (c for c in spec.linked if c not in spec.counts):
        df[rate], df[f"{rate}_status"] = 50.0, None
    for c in ("retention_eligible_paid_12m", "retention_payment_recipients_12m", "exit_interviews_held",
              "leavers_citing_pay"):
        df[f"{c}_status"] = None
    out = apply_disclosure_control("scrutiny_retention_monthly", df, T)
    t1 = _team(out, "T1")
    assert pd.isna(t1["starter_cohort_headcount"]) and pd.isna(t1["starters_retained_12m"])
    assert _suppressed(t1, "starter_retention_12m_pct")
    assert t1["inpost_headcount"] == 10 and pd.isna(t1["voluntary_turnover_rate_headcount_status"])
    assert disclosure_problems("scrutiny_retention_monthly", out, T) == []


def test_costs_of_a_team_of_two_are_suppressed_with_the_team():
    fte_years = {"T1": 2.0, "T2": 11.0, "T3": 12.5, "T4": 20.0, "T5": 0.0}

    def value_of(t):
        f = fte_years[t]
        return {"inpost_fte_years_12m": f, "agency_fte_years_12m": 6.0, "paybill_gbp_12m": f * 60000.0,
                "paybill_gbp_month": f * 5000.0, "market_supplements_gbp_12m": 4000.0,
                "retention_payments_gbp_12m": 2000.0, "agency_spend_gbp_month": 40000.0,
                "agency_spend_gbp_12m": 500000.0}

    df = _team_frame(value_of)
    df["la_cost_per_fte_year_gbp_12m"] = (df.paybill_gbp_12m / df.inpost_fte_years_12m).where(
        df.inpost_fte_years_12m > 0)
    df["agency_cost_per_fte_year_gbp_12m"] = df.agency_spend_gbp_12m / df.agency_fte_years_12m
    df["agency_premium_gbp_per_fte_12m"] = df.agency_cost_per_fte_year_gbp_12m - df.la_cost_per_fte_year_gbp_12m
    money = [c for c in df.columns if "gbp" in c]
    for c in money:
        df[f"{c}_status"] = None
    df.loc[df.inpost_fte_years_12m == 0, ["la_cost_per_fte_year_gbp_12m_status",
                                          "agency_premium_gbp_per_fte_12m_status"]] = "z"
    table = "scrutiny_costs_monthly"
    out = apply_disclosure_control(table, df, T)
    t1 = _team(out, "T1")
    assert pd.isna(t1["inpost_fte_years_12m"])
    for col in ("paybill_gbp_12m", "paybill_gbp_month", "market_supplements_gbp_12m", "retention_payments_gbp_12m",
                "la_cost_per_fte_year_gbp_12m", "agency_premium_gbp_per_fte_12m"):
        assert _suppressed(t1, col), col
    assert t1["agency_spend_gbp_12m"] == 500000.0  # the agency cover of the team is not small
    assert _suppressed(_team(out, "T2"), "paybill_gbp_12m")  # else T1 = Assessment - T2 - T3
    assert _team(out, "T5")["paybill_gbp_12m"] == 0.0  # nobody, nothing paid: published
    assert _team(out, "T5")["la_cost_per_fte_year_gbp_12m_status"] == "z"
    for c in money:
        assert (out[c].isna() == out[f"{c}_status"].notna()).all(), c
    assert disclosure_problems(table, out, T) == []


def test_child_stability_small_numerator_is_suppressed_with_its_percentage():
    def value_of(t):
        return {"children_open": 200, "children_3plus_workers_12m": 1 if t == "T1" else 30}

    df = _team_frame(value_of)
    df["pct_children_3plus_workers_12m"] = df.children_3plus_workers_12m / df.children_open * 100
    df["pct_children_3plus_workers_12m_status"] = None
    out = apply_disclosure_control("scrutiny_child_stability_monthly", df, T)
    assert _suppressed(_team(out, "T1"), "pct_children_3plus_workers_12m")
    assert _team(out, "T1")["children_open"] == 200
    assert disclosure_problems("scrutiny_child_stability_monthly", out, T) == []


def _leavers_frame() -> pd.DataFrame:
    """Leavers of two teams (10 and 12) by length of service, plus the exit-interview reasons."""
    service = {"T1": {"short": 2, "long": 8}, "T2": {"short": 6, "long": 6}}
    interviews = {"T1": {"PAY": 5}, "T2": {"PAY": 7}}
    rows = []
    for area, team in (("All", "All"), ("Assessment", "All"), ("Assessment", "T1"), ("Assessment", "T2")):
        teams = ["T1", "T2"] if team == "All" else [team]

        def total(d, cat, teams=teams):
            return sum(d[t][cat] for t in teams)

        all_leavers = sum(total(service, c) for c in ("short", "long"))
        interviewed = total(interviews, "PAY") + 1
        cats = [("all", "All", all_leavers, all_leavers)]
        cats += [("length_of_service", c, total(service, c), all_leavers) for c in ("short", "long")]
        cats += [("exit_interview_reason", "PAY", total(interviews, "PAY"), interviewed)]
        for breakdown, category, n, den in cats:
            rows.append({"la_code": "878", "month_end": MONTH_END, "service_area": area, "team_code": team,
                         "breakdown": breakdown, "category": category, "leavers_headcount": n,
                         "leavers_headcount_status": None, "leavers_fte": n * 0.9, "leavers_fte_status": None,
                         "pct_of_leavers": round(n / den * 100, 1), "pct_of_leavers_status": None,
                         "pct_of_leavers_denominator": den})
    return pd.DataFrame(rows)


def test_leavers_category_of_two_cannot_be_recovered_from_the_teams_leavers():
    df = _leavers_frame()
    table = "scrutiny_leavers_monthly"
    out = apply_disclosure_control(table, df, T)

    def cell(team, category):
        return out[(out.team_code == team) & (out.service_area == "Assessment") & (out.category == category)].iloc[0]

    assert _suppressed(cell("T1", "short"), "leavers_headcount")
    assert _suppressed(cell("T1", "short"), "pct_of_leavers") and _suppressed(cell("T1", "short"), "leavers_fte")
    # else short = all (10) - long (8), within the team's row of categories, or T2 - Assessment within the area
    assert _suppressed(cell("T1", "long"), "leavers_headcount") or _suppressed(cell("T1", "All"), "leavers_headcount")
    assert _suppressed(cell("T2", "short"), "leavers_headcount")
    # a denominator is the same number on every row of its team and breakdown: hidden everywhere or nowhere
    for (team, breakdown), rows in out[out.team_code != "All"].groupby(["team_code", "breakdown"]):
        assert rows.pct_of_leavers_denominator.isna().nunique() == 1, (team, breakdown)
    # T1 interviewed 6 (published); T2's PAY 7 and interviewed 8 are above the threshold
    assert out.loc[out.team_code == "All", ["leavers_headcount", "pct_of_leavers_denominator"]].notna().all().all()
    assert (out.leavers_headcount.isna() == out.leavers_headcount_status.notna()).all()
    assert disclosure_problems(table, out, T) == []
    assert disclosure_problems(table, df, T)


def test_benchmarks_are_published_as_they_are():
    df = pd.DataFrame({"la_code": ["878"], "indicator": ["turnover_rate_fte"], "value": [2.0], "status": [None]})
    pd.testing.assert_frame_equal(apply_disclosure_control("scrutiny_benchmarks", df, T), df)


@pytest.mark.slow
def test_every_published_table_of_a_real_run_is_safe_once_protected(published_default):
    settings, _summary = published_default
    for published in published_tables():
        df = pd.read_parquet(settings.published_month_dir(DEFAULT_MONTH) / f"{published.name}.parquet")
        out = apply_disclosure_control(published.name, df, T)
        assert disclosure_problems(published.name, out, T) == [], published.name
        for column in out.columns:
            status = f"{column}_status"
            if status in out.columns:
                assert (out[column].isna() == out[status].notna()).all(), (published.name, column)
