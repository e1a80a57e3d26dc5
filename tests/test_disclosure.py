"""Disclosure control of published tables (metrics.md, "Symbols and small numbers"), with
adversarial tables: a team of 3, a suppressed cell that equals the total minus the rest, cells
that can only be 1, rates on suppressed counts, and the LA level that is never suppressed."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest
from conftest import DEFAULT_MONTH
from workforce import publish
from workforce.disclosure import (
    SPECS,
    DisclosureError,
    DisclosureSpec,
    apply_disclosure_control,
    disclosure_problems,
)
from workforce.indicators import (
    EXTRA_DENOMINATORS,
    INDICATORS,
    PUBLISHED_COLUMNS,
    RATES,
    RATES_BY_NAME,
    status_column,
)
from workforce.tables import PUBLISHED_TABLES, TABLE

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
    assert {t.name for t in PUBLISHED_TABLES} <= set(SPECS)


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
    from workforce import quality

    settings, _summary = published_default
    df = pd.read_parquet(settings.published_month_dir(DEFAULT_MONTH) / f"{TABLE}.parquet")
    out = apply_disclosure_control(TABLE, df, T)
    assert disclosure_problems(TABLE, out, T) == []
    assert out[[status_column(c) for c in COUNTS]].eq("c").any().any(), "the sample has small cells to protect"
    result = quality.validate_published(out, settings.expectations_dir)
    quality.raise_on_failure([result])
