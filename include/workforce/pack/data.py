"""What the pack shows, read from the published files only (``published/<month>/*.parquet``).

The pack never opens the warehouse: every figure in it is a published figure, read back from the
month's published Parquet files (and, for trends, the earlier published months' files beside
them), so the pack can only say what the tables say. Names, definitions, kinds and rate parts
come from the catalogue (``spec/catalogue.yml``); nothing is defined here.

``load_published`` reads the months; ``headline_tiles`` builds the first page's tiles; the
chart and commentary modules take the same ``Published`` object.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pandas as pd

from workforce.months import ReportingMonth
from workforce.pack.targets import Target, Targets
from workforce.spec.catalogue import TABLE, Column, catalogue, status_column

#: How many published months the trends reach back (the reporting month included), unless told
#: (the pack is given ``WORKFORCE_TREND_MONTHS``).
TREND_MONTHS = 24
BENCHMARKS = "scrutiny_benchmarks"
REVISIONS = "scrutiny_revisions"
#: The revisions table's row keys at council level.
_COUNCIL_KEYS = {"service_area": "All", "team_code": "All", "breakdown": "All", "category": "All"}
SYMBOLS = {
    "c": "suppressed (a small number of people, or a figure that would reveal one)",
    "x": "not available (an optional export is missing, or its history does not cover the period)",
    "z": "not applicable (nothing to divide by: e.g. no agency workers)",
    "u": "low reliability (DfE)",
    "low": "rounds to zero (DfE)",
}
_MONTH_DIR = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")


class PackError(RuntimeError):
    pass


@dataclass(frozen=True)
class Headline:
    """A first-page tile: a published figure (``table.column``) and plain labels for its parts."""

    title: str
    table: str
    column: str
    parts: tuple[str, str] | None = None  # labels of the rate's numerator and denominator
    compare: str | None = None  # for a figure that is not a rate: a published column to show it against
    compare_label: str | None = None


#: The first page: in post FTE vs establishment, vacancy, agency, turnover and voluntary turnover,
#: caseload, absence (issue 13). The figures and their parts are the catalogue's.
HEADLINES = (
    Headline(
        "In post FTE", TABLE, "inpost_fte", compare="vacancy_rate_fte_denominator", compare_label="in post + vacant FTE"
    ),
    Headline("Vacancy rate", TABLE, "vacancy_rate_fte", parts=("vacant FTE", "in post + vacant FTE")),
    Headline("Agency rate", TABLE, "agency_rate_fte", parts=("agency FTE", "agency + council FTE")),
    Headline("Turnover", TABLE, "turnover_rate_fte", parts=("leavers' FTE (12 months)", "FTE in post")),
    Headline(
        "Voluntary turnover",
        "scrutiny_retention_monthly",
        "voluntary_turnover_rate_headcount",
        parts=("resignations (12 months)", "people in post"),
    ),
    Headline("Caseload", TABLE, "caseload_fte", parts=("cases", "case-holding FTE")),
    Headline(
        "Sickness absence", TABLE, "absence_rate_fte", parts=("working days lost (12 months)", "working days available")
    ),
)


# --- numbers as text ------------------------------------------------------------------------


def is_number(value: Any) -> bool:
    if value is None or isinstance(value, bool):
        return False
    try:
        return not math.isnan(float(value))
    except (TypeError, ValueError):
        return False


def symbol_of(status: Any) -> str | None:
    return status.strip() if isinstance(status, str) and status.strip() else None


def decimals_of(column: Column) -> int:
    """Digits a figure is shown with: the catalogue's rounding, else as its kind is published."""
    if column.decimals is not None:
        return int(column.decimals)
    return {"rate": 1, "fte": 2, "fte_years": 2, "days": 2, "value": 1, "money": 0}.get(column.kind, 0)


def unit_of(column: Column) -> str:
    if column.kind == "rate" and column.multiplier == 100:
        return "%"
    if column.name == "caseload_fte":
        return " cases per FTE"
    if column.kind == "fte":
        return " FTE"
    if column.kind == "days":
        return " days"
    if column.kind == "denominator":  # in the unit of the numerator it divides
        table = catalogue().table(column.table)
        for rate in table.rates:
            if rate.denominator == column.name and rate.numerator:
                return unit_of(table.column(rate.numerator))
    return ""


def number_text(value: float, column: Column, unit: bool = True, decimals: int | None = None) -> str:
    d = decimals_of(column) if decimals is None else decimals
    if column.kind == "money":
        text = f"£{value:,.{d}f}" if value >= 0 else f"-£{-value:,.{d}f}"
        return text
    text = f"{value:,.{d}f}"
    return text + (unit_of(column) if unit else "")


def figure_text(value: Any, status: Any, column: Column, unit: bool = True) -> str:
    """A published figure as the pack shows it: the number as published, or its symbol."""
    symbol = symbol_of(status)
    if symbol:
        return symbol
    if not is_number(value):
        return "x"
    return number_text(float(value), column, unit)


def long_date(day: date) -> str:
    return f"{day.day} {day:%B %Y}"


# --- reading the published months -----------------------------------------------------------


@dataclass
class Published:
    """The reporting month's published tables and the earlier published months' beside them."""

    month: ReportingMonth
    months: list[ReportingMonth]  # published months in the trend window, oldest first, ``month`` last
    tables: dict[str, pd.DataFrame]  # monthly tables: every month in ``months``; others: ``month``'s file
    audit: dict[str, Any]
    directory: Path
    #: each trend month's audit record (``published/<month>/audit.json``)
    audits: dict[ReportingMonth, dict[str, Any]] = field(default_factory=dict)
    _council: dict[str, pd.DataFrame] = field(default_factory=dict, repr=False)

    @property
    def revisions(self) -> pd.DataFrame:
        """The reporting month's revisions (``scrutiny_revisions``) of figures in the trend window."""
        df = self.tables.get(REVISIONS)
        if df is None or df.empty:
            return pd.DataFrame(columns=list(catalogue().table(REVISIONS).published_columns))
        labels = {m.end for m in self.months}
        return df[df["month_end"].map(lambda d: pd.Timestamp(d).date() in labels)]

    def revised_points(self, table: str, column: str) -> dict[ReportingMonth, pd.Series]:
        """The council-level figures of ``table.column`` revised since first published, by month."""
        df = self.revisions
        rows = df[(df["revised_table"] == table) & (df["figure"] == column)]
        for key, value in _COUNCIL_KEYS.items():
            rows = rows[rows[key] == value]
        return {ReportingMonth.containing(pd.Timestamp(r["month_end"]).date()): r for _, r in rows.iterrows()}

    def council(self, table: str) -> pd.DataFrame:
        """The council-level rows of a monthly table, one per month_end (leavers: per category)."""
        if table not in self._council:
            df = self.tables[table]
            if "breakdown_level" in df.columns:
                rows = df[df["breakdown_level"] == "council"]
            else:
                rows = df[df["service_area"] == "All"]
            self._council[table] = rows.sort_values("month_end").reset_index(drop=True)
        return self._council[table]

    def this_month(self, table: str) -> pd.DataFrame:
        df = self.tables[table]
        return df[df["month_end"] == pd.Timestamp(self.month.end)]

    def council_row(self, table: str, month: ReportingMonth) -> pd.Series | None:
        rows = self.council(table)
        rows = rows[rows["month_end"] == pd.Timestamp(month.end)]
        return None if rows.empty else rows.iloc[0]

    @property
    def la_name(self) -> str:
        bench = self.tables.get(BENCHMARKS)
        la_code = str(self.audit.get("la_code") or "")
        if bench is not None and not bench.empty:
            council = bench[bench["geography_level"] == "council"].sort_values("time_period")
            la_code = str(bench["la_code"].iloc[0])
            if not council.empty and isinstance(council["geography_name"].iloc[-1], str):
                return f"{council['geography_name'].iloc[-1]} ({la_code})"
        return f"Council {la_code}" if la_code else "The council"


def published_months(published_dir: Path) -> list[ReportingMonth]:
    """Every month with a published headline table, oldest first."""
    if not published_dir.is_dir():
        return []
    return sorted(
        (
            ReportingMonth.parse(p.name)
            for p in published_dir.iterdir()
            if _MONTH_DIR.match(p.name) and (p / f"{TABLE}.parquet").is_file()
        ),
        key=lambda m: m.end,
    )


def _read(path: Path) -> pd.DataFrame:
    df = pd.read_parquet(path)
    if "month_end" in df.columns:
        df["month_end"] = pd.to_datetime(df["month_end"])
    return df


def load_published(published_dir: Path, month: ReportingMonth, trend_months: int = TREND_MONTHS) -> Published:
    """Read ``month``'s published tables, and the monthly tables of the published months before it
    (up to ``trend_months`` in all) for the trends; only files under ``published_dir``."""
    month_dir = published_dir / month.label
    available = published_months(published_dir)
    if month not in available:
        raise PackError(
            f"{month} is not published (no {TABLE}.parquet under {month_dir}): publish the month first "
            f"(workforce run --month {month.label})"
        )
    window = [m for m in available if m.end <= month.end][-trend_months:]
    tables: dict[str, pd.DataFrame] = {}
    for table in catalogue():
        path = month_dir / f"{table.name}.parquet"
        if not path.is_file():
            raise PackError(f"{month} is published without {path.name} ({month_dir}): publish the month again")
        if table.monthly:
            frames = []
            for m in window:
                p = published_dir / m.label / f"{table.name}.parquet"
                if p.is_file():
                    df = _read(p)
                    frames.append(df[df["month_end"] == pd.Timestamp(m.end)])
            tables[table.name] = pd.concat(frames, ignore_index=True)
        else:
            tables[table.name] = _read(path)
    audits = {}
    for m in window:
        path = published_dir / m.label / "audit.json"
        audits[m] = json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}
    return Published(month=month, months=window, tables=tables, audit=audits[month], directory=month_dir,
                     audits=audits)


# --- revisions and backcasts ------------------------------------------------------------------


def revisions_words(published: Published) -> str:
    """The first page's line on revisions: how many figures, which months."""
    df = published.revisions
    if df.empty:
        return "none: every figure of the earlier months is as first published"
    months = sorted({ReportingMonth.containing(pd.Timestamp(d).date()) for d in df["month_end"]}, key=lambda m: m.end)
    named = ", ".join(m.end.strftime("%B %Y") for m in months)
    return (f"{len(df):,} figure(s) revised since first published, for {named} "
            "(table scrutiny_revisions; trend charts mark revised points)")


def backcast_words(published: Published) -> str | None:
    """Which trend months were computed from a later extract (before the council's first), or None."""
    back = [m for m in published.months if ((published.audits.get(m) or {}).get("built_by") or {}).get("backcast")]
    if not back:
        return None
    last = back[-1]
    dates = sorted({i["extract_date"] for i in (published.audits[last].get("inputs") or [])
                    if i.get("used_for_month") and i.get("extract_date")})
    source = f"the extract of {long_date(date.fromisoformat(dates[0]))}" if dates else "the council's first extract"
    after = last.end + timedelta(days=1)
    return (f"months before {long_date(after)} (before the council's first extract) are computed from {source}, "
            f"not from an extract of their own ({len(back)} month(s))")


# --- the first page -------------------------------------------------------------------------


@dataclass
class Part:
    label: str
    column: str
    text: str
    value: float | None = None
    status: str | None = None


@dataclass
class Change:
    label: str  # "since 31 August 2026"
    text: str  # "up 0.8 points (from 13.4%)" or "no figure published for 31 August 2026"
    delta: float | None = None


@dataclass
class Benchmark:
    label: str  # "England", "South West", "Statistical neighbours"
    text: str
    year: int | None = None


@dataclass
class Tile:
    headline: Headline
    column: Column
    value: float | None
    status: str | None
    text: str
    parts: list[Part]
    target: Target | None
    rag: str | None
    changes: list[Change]
    benchmarks: list[Benchmark]
    benchmark_year: int | None = None

    @property
    def symbol_meaning(self) -> str | None:
        return SYMBOLS.get(self.status) if self.status else None

    @property
    def target_text(self) -> str | None:
        if self.target is None:
            return None
        return number_text(self.target.target, self.column)


def _value(row: pd.Series | None, column: str) -> tuple[float | None, str | None]:
    if row is None or column not in row.index:
        return None, "x"
    status = symbol_of(row.get(status_column(column))) if status_column(column) in row.index else None
    value = row[column]
    return (float(value) if is_number(value) and not status else None), status


def _change(
    published: Published, table: str, column: Column, then: ReportingMonth, now: float | None, now_status: str | None
) -> Change:
    label = f"Since {long_date(then.end)}"
    if then not in published.months:
        return Change(label, f"no figure published for {long_date(then.end)}")
    before, before_status = _value(published.council_row(table, then), column.name)
    if before is None:
        return Change(label, f"not comparable: {long_date(then.end)} is {before_status or 'x'}")
    if now is None:
        return Change(label, f"not comparable: this month is {now_status or 'x'}")
    d = decimals_of(column)
    delta = round(now - before, d)
    was = number_text(before, column)
    if delta == 0:
        return Change(label, f"no change (from {was})", 0.0)
    unit = " points" if unit_of(column) == "%" else unit_of(column)
    size = number_text(abs(delta), column, unit=False)
    return Change(label, f"{'up' if delta > 0 else 'down'} {size}{unit} (from {was})", delta)


def benchmarks_for(published: Published, indicator: str) -> tuple[int | None, list[Benchmark]]:
    """England, the region and the statistical neighbours for DfE's latest year of ``indicator``."""
    bench = published.tables.get(BENCHMARKS)
    if bench is None or bench.empty:
        return None, []
    rows = bench[bench["indicator"] == indicator]
    if rows.empty:
        return None, []
    year = int(rows[rows["geography_level"] == "england"]["time_period"].max())
    rows = rows[rows["time_period"] == year]
    column = catalogue().table(TABLE).column(indicator) if catalogue().table(TABLE).has_column(indicator) else None
    out: list[Benchmark] = []
    for level in ("council", "england", "region", "statistical_neighbours"):
        for r in rows[rows["geography_level"] == level].itertuples():
            status = symbol_of(r.status)
            # DfE publishes its figures to 1 dp (counts whole): shown as DfE published them
            dfe_decimals = 0 if column is not None and column.kind == "count" else 1
            if column is not None and not status and is_number(r.value):
                text = number_text(float(r.value), column, decimals=dfe_decimals)
            else:
                text = status or "x"
            if level == "council":
                label = "DfE's figure for the council"
            elif level == "england":
                label = "England"
            elif level == "region":
                label = str(r.geography_name)
            else:
                label = "Statistical neighbours"
                if not isinstance(r.geography_code, str) or not r.geography_code:
                    text = "no grouping (DfE 2021)"
                elif column is not None and is_number(r.neighbours_min) and is_number(r.neighbours_max):
                    text += (
                        f" (range {number_text(float(r.neighbours_min), column, unit=False, decimals=dfe_decimals)}"
                        f" to {number_text(float(r.neighbours_max), column, unit=False, decimals=dfe_decimals)})"
                    )
            out.append(Benchmark(label, text, year))
    return year, out


def headline_tiles(published: Published, targets: Targets) -> list[Tile]:
    cat = catalogue()
    month = published.month
    tiles = []
    for h in HEADLINES:
        table = cat.table(h.table)
        column = table.column(h.column)
        row = published.council_row(h.table, month)
        value, status = _value(row, h.column)
        parts: list[Part] = []
        if column.is_rate and h.parts:
            assert column.numerator and column.denominator
            for label, name in zip(h.parts, (column.numerator, column.denominator), strict=True):
                v, s = _value(row, name)
                part_column = table.column(name)
                parts.append(Part(label, name, figure_text(v, s, part_column), v, s))
        if h.compare:
            v, s = _value(row, h.compare)
            parts.append(
                Part(h.compare_label or h.compare, h.compare, figure_text(v, s, table.column(h.compare)), v, s)
            )
        target = targets.get(h.table, h.column)
        rag = target.rate(value, status) if target else None
        changes = [
            _change(published, h.table, column, month.previous(), value, status),
            _change(published, h.table, column, ReportingMonth(month.year - 1, month.month), value, status),
        ]
        year, bench = benchmarks_for(published, h.column) if column.dfe_indicator else (None, [])
        tiles.append(
            Tile(h, column, value, status, figure_text(value, status, column), parts, target, rag, changes, bench, year)
        )
    return tiles


def data_date(audit: dict[str, Any]) -> str:
    """The extracts the month was computed from, as dates: 'extracts of 2 October to 9 October 2026'."""
    dates = sorted(
        {i["extract_date"] for i in audit.get("inputs", []) if i.get("used_for_month") and i.get("extract_date")}
    )
    if not dates:
        return "not recorded"
    first, last = date.fromisoformat(dates[0]), date.fromisoformat(dates[-1])
    if first == last:
        return f"extracts of {long_date(first)}"
    return f"extracts of {long_date(first)} to {long_date(last)}"


@dataclass
class Gate:
    outcome: str  # "passed", "passed with warnings", "failed", "not recorded"
    checks: int | None
    failed_critical: int | None
    failed_warning: int | None
    status: str | None


def quality_gate(audit: dict[str, Any]) -> Gate:
    checks = audit.get("checks") or {}
    total, critical, warning = checks.get("total"), checks.get("failed_critical"), checks.get("failed_warning")
    if total is None:
        return Gate("not recorded", None, None, None, audit.get("status"))
    if critical:
        outcome = "failed"
    elif warning:
        outcome = "passed with warnings"
    else:
        outcome = "passed"
    return Gate(outcome, int(total), int(critical or 0), int(warning or 0), audit.get("status"))
