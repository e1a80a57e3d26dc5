"""The pack's first-page figures from crafted published rows: values as published, symbols shown
and never rated, changes only between published months, benchmarks with the neighbours' range;
the workbook keeps numbers as numbers and no cell can start a formula."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest
from workforce.months import ReportingMonth
from workforce.pack.data import HEADLINES, Published, figure_text, headline_tiles, quality_gate
from workforce.pack.targets import load_targets
from workforce.spec.catalogue import TABLE, catalogue

SEP, AUG = ReportingMonth(2026, 9), ReportingMonth(2026, 8)


def _frame(table: str, rows: list[dict]) -> pd.DataFrame:
    columns = catalogue().table(table).published_columns
    out = pd.DataFrame([{c: r.get(c, np.nan) for c in columns} for r in rows], columns=list(columns))
    out["month_end"] = pd.to_datetime(out["month_end"])
    return out


def _published(sep: dict, aug: dict | None = None, bench: list[dict] | None = None) -> Published:
    months = [AUG, SEP] if aug is not None else [SEP]
    council = {"la_code": "878", "service_area": "All"}
    wf = [{**council, "month_end": SEP.end, **sep}] + ([{**council, "month_end": AUG.end, **aug}] if aug else [])
    ret = [
        {
            "la_code": "878",
            "breakdown_level": "council",
            "service_area": "All",
            "team_code": "All",
            "month_end": m.end,
            "voluntary_turnover_rate_headcount": 7.5,
        }
        for m in months
    ]
    benchmarks = pd.DataFrame(bench or [], columns=list(catalogue().table("scrutiny_benchmarks").published_columns))
    return Published(
        month=SEP,
        months=months,
        tables={
            TABLE: _frame(TABLE, wf),
            "scrutiny_retention_monthly": _frame("scrutiny_retention_monthly", ret),
            "scrutiny_benchmarks": benchmarks,
        },
        audit={},
        directory=None,
    )  # type: ignore[arg-type]


def _tile(tiles, column):
    return next(t for t in tiles if t.column.name == column)


TARGETS = load_targets(caseload_target=15)


def test_tiles_show_the_published_figure_its_parts_target_and_rating():
    pub = _published(
        {
            "vacancy_rate_fte": 24.2,
            "vacancy_fte": 17.7,
            "vacancy_rate_fte_denominator": 73.0,
            "caseload_fte": 15.0,
            "cases": 615,
            "case_holders_fte": 41.0,
        }
    )
    tiles = headline_tiles(pub, TARGETS)
    assert [t.column.name for t in tiles] == [h.column for h in HEADLINES]
    vacancy = _tile(tiles, "vacancy_rate_fte")
    assert vacancy.text == "24.2%" and vacancy.rag == "Red"  # target 14, red when worse than 20
    assert [p.text for p in vacancy.parts] == ["17.70 FTE", "73.00 FTE"]
    assert [p.column for p in vacancy.parts] == ["vacancy_fte", "vacancy_rate_fte_denominator"]  # the catalogue's parts
    caseload = _tile(tiles, "caseload_fte")
    assert caseload.text == "15.0 cases per FTE" and caseload.rag == "Green"  # exactly on target is Green
    assert [p.text for p in caseload.parts] == ["615", "41.00 FTE"]


@pytest.mark.parametrize("symbol", ["c", "x", "z"])
def test_a_symbol_is_shown_as_the_symbol_and_not_rated(symbol):
    pub = _published(
        {
            "agency_rate_fte": np.nan,
            "agency_rate_fte_status": symbol,
            "agency_fte": 3.0,
            "agency_rate_fte_denominator": 70.0,
        },
        aug={"agency_rate_fte": 20.0},
    )
    tile = _tile(headline_tiles(pub, TARGETS), "agency_rate_fte")
    assert tile.text == symbol and tile.status == symbol and tile.rag is None
    assert tile.symbol_meaning
    assert tile.changes[0].delta is None and "not comparable" in tile.changes[0].text


def test_changes_are_between_published_months_only():
    pub = _published({"turnover_rate_fte": 17.4}, aug={"turnover_rate_fte": 14.6})
    tile = _tile(headline_tiles(pub, TARGETS), "turnover_rate_fte")
    since_month, since_year = tile.changes
    assert since_month.label == "Since 31 August 2026" and since_month.delta == pytest.approx(2.8)
    assert since_month.text == "up 2.8 points (from 14.6%)"
    assert since_year.delta is None and since_year.text == "no figure published for 30 September 2025"


def test_a_month_before_published_as_a_symbol_gives_no_change():
    pub = _published({"absence_rate_fte": 3.7}, aug={"absence_rate_fte": np.nan, "absence_rate_fte_status": "x"})
    change = _tile(headline_tiles(pub, TARGETS), "absence_rate_fte").changes[0]
    assert change.delta is None and change.text == "not comparable: 31 August 2026 is x"


def test_benchmarks_show_england_region_and_the_neighbours_range_or_no_grouping():
    rows = [
        {
            "la_code": "878",
            "time_period": 2025,
            "geography_level": "england",
            "geography_code": "E92000001",
            "geography_name": "England",
            "indicator": "caseload_fte",
            "value": 15.2,
        },
        {
            "la_code": "878",
            "time_period": 2025,
            "geography_level": "region",
            "geography_code": "E12000009",
            "geography_name": "South West",
            "indicator": "caseload_fte",
            "value": 15.3,
        },
        {
            "la_code": "878",
            "time_period": 2025,
            "geography_level": "statistical_neighbours",
            "geography_code": "933, 893",
            "geography_name": "Statistical neighbours of Devon",
            "indicator": "caseload_fte",
            "value": 15.0,
            "neighbours_min": 13.1,
            "neighbours_max": 16.3,
            "neighbours_with_value": 2,
        },
        {
            "la_code": "878",
            "time_period": 2025,
            "geography_level": "england",
            "geography_code": "E92000001",
            "geography_name": "England",
            "indicator": "agency_rate_fte",
            "value": 13.0,
        },
        {
            "la_code": "878",
            "time_period": 2025,
            "geography_level": "statistical_neighbours",
            "geography_code": None,
            "geography_name": "No statistical neighbour grouping",
            "indicator": "agency_rate_fte",
            "value": np.nan,
            "status": "x",
        },
    ]
    tiles = headline_tiles(_published({"caseload_fte": 17.3}, bench=rows), TARGETS)
    caseload = {b.label: b.text for b in _tile(tiles, "caseload_fte").benchmarks}
    assert caseload == {
        "England": "15.2 cases per FTE",
        "South West": "15.3 cases per FTE",
        "Statistical neighbours": "15.0 cases per FTE (range 13.1 to 16.3)",
    }
    agency = {b.label: b.text for b in _tile(tiles, "agency_rate_fte").benchmarks}
    assert agency["Statistical neighbours"] == "no grouping (DfE 2021)"
    assert _tile(tiles, "voluntary_turnover_rate_headcount").benchmarks == []  # not a DfE indicator


def test_figures_are_shown_as_published():
    table = catalogue().table(TABLE)
    assert figure_text(312.456, None, table.column("inpost_fte")) == "312.46 FTE"
    assert figure_text(1234, None, table.column("inpost_headcount")) == "1,234"
    assert figure_text(np.nan, "c", table.column("inpost_headcount")) == "c"
    assert figure_text(None, None, table.column("inpost_headcount")) == "x"


def test_the_quality_gate_outcome_is_plain():
    assert quality_gate({"checks": {"total": 10, "failed_critical": 0, "failed_warning": 0}}).outcome == "passed"
    assert quality_gate({"checks": {"total": 10, "failed_critical": 0, "failed_warning": 2}}).outcome == (
        "passed with warnings"
    )
    assert quality_gate({"checks": {"total": 10, "failed_critical": 1, "failed_warning": 0}}).outcome == "failed"
    assert quality_gate({}).outcome == "not recorded"


def test_the_workbook_keeps_numbers_as_numbers_and_no_cell_starts_a_formula(tmp_path):
    from openpyxl import load_workbook
    from workforce.pack.workbook import sheet_name, write_workbook

    pub = _published({"vacancy_rate_fte": 24.2, "inpost_headcount": 61, "inpost_fte": 55.3})
    caseload = _frame(
        "scrutiny_caseload_monthly",
        [
            {
                "la_code": "878",
                "month_end": SEP.end,
                "breakdown_level": "team",
                "service_area": "=cmd|' /C calc'!A0",
                "team_code": "+T1",
                "team_name": "@SUM(1+1)",
                "caseload_fte": np.nan,
                "caseload_fte_status": "c",
                "cases": 12,
            }
        ],
    )
    for table in catalogue():
        if table.name not in pub.tables:
            pub.tables[table.name] = caseload if table.name == "scrutiny_caseload_monthly" else _frame(table.name, [])
    path = write_workbook(tmp_path / "w.xlsx", pub, headline_tiles(pub, TARGETS), TARGETS)
    wb = load_workbook(path)
    assert wb.sheetnames == ["Headlines", *(sheet_name(t.name) for t in catalogue()), "Notes"]
    assert all(len(name) <= 31 for name in wb.sheetnames)
    for ws in wb.worksheets:
        assert ws.freeze_panes == "A2"
        for row in ws.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (ws.title, cell.coordinate, cell.value)
                if isinstance(cell.value, str):
                    assert not cell.value.startswith(("=", "+", "-", "@")), (ws.title, cell.coordinate, cell.value)
    ws = wb[sheet_name(TABLE)]
    header = [c.value for c in ws[1]]
    row = dict(zip(header, [c.value for c in ws[2]], strict=True))
    assert row["vacancy_rate_fte"] == 24.2 and row["inpost_headcount"] == 61 and isinstance(row["inpost_fte"], float)
    assert row["month_end"].date() == date(2026, 9, 30)
    cs = wb[sheet_name("scrutiny_caseload_monthly")]
    header = [c.value for c in cs[1]]
    team = dict(zip(header, [c.value for c in cs[2]], strict=True))
    assert team["caseload_fte"] is None and team["caseload_fte_status"] == "c" and team["cases"] == 12
    assert team["service_area"].startswith("'=") and team["team_name"] == "'@SUM(1+1)"
    notes = {(r[1], r[2]) for r in wb["Notes"].iter_rows(min_row=2, values_only=True)}
    for table in catalogue():
        for column in table.published_columns:
            assert (table.name, column) in notes, (table.name, column)
