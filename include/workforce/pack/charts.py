"""The pack's charts: matplotlib drawn to SVG, inlined in the page, each with alt text and its table.

matplotlib's SVG backend (``Figure.savefig(format="svg")``, no pyplot and no display) writes
text as text (``svg.fonttype: none``) in the page's embedded face, so charts stay sharp in the
PDF, searchable and readable by assistive technology. Colours are the Okabe-Ito palette, safe for
the common colour-vision deficiencies, and no meaning is carried by colour alone: bands have
hatching and words, markers differ in shape, and every chart has a data table behind it.

Each chart is a ``Chart``: its SVG, its alt text (what the chart shows, in words and figures, from
the same numbers) and its table (the published figures it is drawn from, symbols included).
"""

from __future__ import annotations

import io
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from workforce.months import ReportingMonth
from workforce.pack.data import (
    BENCHMARKS,
    Published,
    figure_text,
    is_number,
    long_date,
    number_text,
    symbol_of,
)
from workforce.pack.fonts import FAMILY
from workforce.pack.targets import Targets
from workforce.spec.catalogue import Column, catalogue, status_column

#: Okabe & Ito (2008): distinguishable with the common colour-vision deficiencies.
BLUE, ORANGE, SKY, GREEN, YELLOW, NAVY, VERMILLION, PURPLE = (
    "#0072B2",
    "#E69F00",
    "#56B4E9",
    "#009E73",
    "#F0E442",
    "#0072B2",
    "#D55E00",
    "#CC79A7",
)
BLACK = "#000000"
GREY = "#595959"

RC: Any = {  # matplotlib rcParams (typed as its literal keys: Any keeps mypy to the point)
    "svg.fonttype": "none",
    "svg.hashsalt": "workforce-scrutiny-pack",
    "font.family": FAMILY,
    "font.size": 8,
    "axes.titlesize": 9,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.edgecolor": GREY,
    "xtick.color": GREY,
    "ytick.color": GREY,
    "axes.labelcolor": BLACK,
    "legend.frameon": False,
    "legend.fontsize": 7,
}


@dataclass
class Chart:
    id: str
    title: str
    alt: str
    svg: str
    headers: list[str]
    rows: list[list[str]]
    note: str | None = None
    numeric: list[bool] = field(default_factory=list)  # which table columns hold numbers (right-aligned)


def _svg(fig: Any, chart_id: str, alt: str) -> str:
    """The figure as an inline ``<svg>``: ids made unique to the chart, its alt text as its title."""
    buffer = io.StringIO()
    fig.savefig(buffer, format="svg", metadata={"Date": None, "Creator": None}, bbox_inches="tight", pad_inches=0.04)
    svg = buffer.getvalue()
    svg = svg[svg.index("<svg") :]
    # Inline in HTML the parser gives SVG its namespaces; the RDF metadata block only names URIs.
    svg = re.sub(r"<metadata>.*?</metadata>\s*", "", svg, flags=re.S)
    svg = re.sub(r'\sxmlns(?::xlink)?="[^"]*"', "", svg)
    svg = re.sub(r'\bid="([^"]+)"', lambda m: f'id="{chart_id}-{m[1]}"', svg)
    svg = re.sub(r"url\(#([^)]+)\)", lambda m: f"url(#{chart_id}-{m[1]})", svg)
    svg = re.sub(r'xlink:href="#([^"]+)"', lambda m: f'xlink:href="#{chart_id}-{m[1]}"', svg)
    svg = re.sub(r'(<svg[^>]*?)\swidth="[^"]+"\sheight="[^"]+"', r'\1 width="100%"', svg, count=1)
    title = alt.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    svg = svg.replace("<svg ", f'<svg role="img" aria-labelledby="{chart_id}-title" ', 1)
    svg = re.sub(r"(<svg[^>]*>)", lambda m: f'{m[1]}<title id="{chart_id}-title">{title}</title>', svg, count=1)
    return svg


def _figure(width: float, height: float, ncols: int = 1):
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), layout="constrained")
    axes = fig.subplots(1, ncols, squeeze=False)[0]
    return fig, list(axes)


def _short(month: ReportingMonth) -> str:
    return f"{month.end:%b %y}"


def _series(published: Published, table: str, column: str) -> list[tuple[ReportingMonth, float | None, str | None]]:
    out: list[tuple[ReportingMonth, float | None, str | None]] = []
    for month in published.months:
        row = published.council_row(table, month)
        if row is None or column not in row.index:
            out.append((month, None, "x"))
            continue
        status = symbol_of(row.get(status_column(column))) if status_column(column) in row.index else None
        value = row[column]
        out.append((month, float(value) if is_number(value) and not status else None, status))
    return out


def _dfe_september(published: Published, indicator: str) -> dict[ReportingMonth, float]:
    """DfE's published figure for the council at each 30 September in the trend window."""
    bench = published.tables.get(BENCHMARKS)
    if bench is None or bench.empty:
        return {}
    rows = bench[(bench["geography_level"] == "council") & (bench["indicator"] == indicator)]
    by_year = {int(r.time_period): float(r.value) for r in rows.itertuples() if is_number(r.value)}
    return {m: by_year[m.year] for m in published.months if m.month == 9 and m.year in by_year}


def _range_words(points: Sequence[tuple[ReportingMonth, float | None, str | None]], column: Column) -> str:
    numbers = [(m, v) for m, v, _s in points if v is not None]
    if not numbers:
        return "no month has a published figure"
    first, last = numbers[0], numbers[-1]
    low = min(numbers, key=lambda p: p[1])
    high = max(numbers, key=lambda p: p[1])
    if len(numbers) == 1:
        return f"{number_text(last[1], column)} at {long_date(last[0].end)} (the only month with a figure)"
    return (
        f"{number_text(first[1], column)} at {long_date(first[0].end)} and {number_text(last[1], column)} at "
        f"{long_date(last[0].end)}; lowest {number_text(low[1], column)} ({_short(low[0])}), highest "
        f"{number_text(high[1], column)} ({_short(high[0])})"
    )


def _hollow_marks(ax: Any, points: list[tuple[int, float]], marker: str, colour: str, label: str) -> None:
    """Unfilled markers over the trend line at ``points`` (index, value), in the legend as ``label``."""
    if points:
        ax.plot([i for i, _ in points], [v for _, v in points], linestyle="none", marker=marker, markersize=7,
                markerfacecolor="none", markeredgecolor=colour, label=label)


def trend_chart(
    published: Published, targets: Targets, chart_id: str, title: str, table: str, column_name: str, dfe: bool = False
) -> Chart:
    """A figure's council value over the published months, its target and each 30 September marked."""
    column = catalogue().table(table).column(column_name)
    points = _series(published, table, column_name)
    target = targets.get(table, column_name)
    septembers = _dfe_september(published, column_name) if dfe else {}
    import matplotlib

    with matplotlib.rc_context(RC):
        fig, (ax,) = _figure(3.5, 2.3)
        xs = list(range(len(points)))
        ys = [v if v is not None else math.nan for _m, v, _s in points]
        ax.plot(xs, ys, color=BLUE, marker="o", markersize=3.5, linewidth=1.6, label="council (published)")
        sept = [(i, v) for i, (m, v, _s) in enumerate(points) if m.month == 9 and v is not None]
        _hollow_marks(ax, sept, "s", BLACK, "30 September (census date)")
        if septembers:
            idx = {m: i for i, (m, _v, _s) in enumerate(points)}
            ax.plot(
                [idx[m] for m in septembers],
                list(septembers.values()),
                linestyle="none",
                marker="D",
                markersize=5,
                color=VERMILLION,
                label="DfE's published figure",
            )
        revised = published.revised_points(table, column_name)
        marked = [(i, v) for i, (m, v, _s) in enumerate(points) if m in revised and v is not None]
        _hollow_marks(ax, marked, "^", VERMILLION, "revised since first published")
        for i, (_m, v, s) in enumerate(points):
            if v is None:
                ax.annotate(
                    s or "x",
                    (i, 0),
                    xycoords=("data", "axes fraction"),
                    xytext=(0, 3),
                    textcoords="offset points",
                    ha="center",
                    fontsize=7,
                    color=GREY,
                )
        if target is not None:
            ax.axhline(
                target.target,
                color=GREY,
                linestyle="--",
                linewidth=1,
                label=f"target {number_text(target.target, column)}",
            )
        step = max(1, math.ceil(len(points) / 8))
        ax.set_xticks(xs[::step], [_short(m) for m, _v, _s in points][::step])
        ax.set_xlim(-0.5, len(points) - 0.5)
        ax.margins(y=0.25)
        ax.set_title(title, loc="left")
        ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.14), ncols=2, fontsize=6.5)
        alt = (
            f"Line chart of the {title.lower()} ({column.name}) for the council, month by month over the "
            f"{len(points)} published month(s): {_range_words(points, column)}."
        )
        if target is not None:
            alt += f" The dashed line is the target, {number_text(target.target, column)} ({target.better})."
        if sept:
            alt += " The 30 September census point is marked with a square."
        if septembers:
            alt += (
                " DfE's published figure for that September is marked with a diamond: "
                + ", ".join(f"{number_text(v, column)} in {m.year}" for m, v in septembers.items())
                + "."
            )
        if revised:
            alt += (
                " Revised since first published (a triangle; the line shows the first-published figure): "
                + ", ".join(f"{long_date(m.end)}, now {_now_text(r, column)}" for m, r in sorted(
                    revised.items(), key=lambda item: item[0].end))
                + "."
            )
        svg = _svg(fig, chart_id, alt)
    rows = [
        [long_date(m.end), figure_text(v, s, column), number_text(septembers[m], column) if m in septembers else "",
         f"now {_now_text(revised[m], column)} (revised in {revised[m]['revised_in']})" if m in revised else ""]
        for m, v, s in points
    ]
    return Chart(
        chart_id,
        title,
        alt,
        svg,
        ["Month end", title, "DfE published (30 September)", "Revised since first published"],
        rows,
        numeric=[False, True, True, False],
    )


def _now_text(row, column: Column) -> str:
    """A revision's current figure as the pack shows figures."""
    return figure_text(row["current_value"], row["current_status"], column)


def caseload_by_team_chart(published: Published, chart_id: str) -> Chart:
    """Each team's average caseload on the month end against the caseload target, in bands."""
    table = catalogue().table("scrutiny_caseload_monthly")
    df = published.this_month("scrutiny_caseload_monthly")
    teams = df[df["breakdown_level"] == "team"].sort_values(["service_area", "team_name", "team_code"])
    council = df[df["breakdown_level"] == "council"]
    target = float(council["caseload_target"].iloc[0]) if not council.empty else float("nan")
    column = table.column("caseload_fte")
    names = [str(r.team_name or r.team_code) for r in teams.itertuples()]
    values = [
        float(r.caseload_fte) if is_number(r.caseload_fte) and not symbol_of(r.caseload_fte_status) else None
        for r in teams.itertuples()
    ]
    bands = [
        ("at or under the target", BLUE, ""),
        ("up to 20% over", ORANGE, "///"),
        ("more than 20% over", VERMILLION, "xxx"),
    ]

    def band(v: float) -> int:
        return 0 if v <= target else (1 if v <= 1.2 * target else 2)

    import matplotlib

    with matplotlib.rc_context(RC):
        fig, (ax,) = _figure(7.0, max(1.6, 0.26 * len(names) + 0.9))
        ys = list(range(len(names)))[::-1]
        used: set[int] = set()
        for y, v, r in zip(ys, values, teams.itertuples(), strict=True):
            if v is None:
                ax.text(0.1, y, f"{symbol_of(r.caseload_fte_status) or 'x'}", va="center", fontsize=7, color=GREY)
                continue
            b = band(v)
            label, colour, hatch = bands[b]
            ax.barh(y, v, color=colour, hatch=hatch, edgecolor=BLACK, linewidth=0.4, label=None if b in used else label)
            used.add(b)
            ax.text(v + 0.2, y, number_text(v, column, unit=False), va="center", fontsize=7)
        if not math.isnan(target):
            ax.axvline(target, color=BLACK, linestyle="--", linewidth=1, label=f"target {target:g}")
            ax.axvline(1.2 * target, color=GREY, linestyle=":", linewidth=1, label=f"120% of target ({1.2 * target:g})")
        ax.set_yticks(ys, names)
        ax.set_xlabel("average cases per case-holding FTE")
        ax.set_title("Caseload by team against the target", loc="left")
        ax.legend(
            loc="upper center", bbox_to_anchor=(0.5, -0.5 / max(1.6, 0.26 * len(names) + 0.9)), ncols=5, fontsize=6.5
        )
        over = [n for n, v in zip(names, values, strict=True) if v is not None and v > target]
        shown = [v for v in values if v is not None]
        alt = (
            f"Horizontal bar chart of the average caseload of each of {len(names)} teams on "
            f"{long_date(published.month.end)}, against the target of {target:g} cases per FTE: "
            f"{len(over)} of {len(shown)} teams with a published figure are over the target"
            + (f" ({', '.join(over[:6])}{' and others' if len(over) > 6 else ''})" if over else "")
            + (
                f"; {len(values) - len(shown)} team(s) are shown as a symbol (c suppressed, z no case holders)"
                if len(values) > len(shown)
                else ""
            )
            + ". Bands are hatched as well as coloured."
        )
        svg = _svg(fig, chart_id, alt)
    headers = [
        "Service area",
        "Team",
        "Average caseload",
        "Case holders",
        "Over target",
        "Up to 80%",
        "80-100%",
        "100-120%",
        "Over 120%",
    ]
    cols = [
        "case_holders_headcount",
        "case_holders_over_target",
        "case_holders_up_to_80pct_of_target",
        "case_holders_80_to_100pct_of_target",
        "case_holders_100_to_120pct_of_target",
        "case_holders_over_120pct_of_target",
    ]
    rows = []
    for r in pd.concat([council, teams]).itertuples():
        d = r._asdict()
        rows.append(
            [
                str(r.service_area),
                "Council" if r.breakdown_level == "council" else str(r.team_name or r.team_code),
                figure_text(r.caseload_fte, r.caseload_fte_status, column, unit=False),
            ]
            + [figure_text(d[c], d[f"{c}_status"], table.column(c)) for c in cols]
        )
    return Chart(
        chart_id, "Caseload by team against the target", alt, svg, headers, rows, numeric=[False, False] + [True] * 7
    )


def agency_cost_chart(published: Published, chart_id: str) -> Chart:
    table = catalogue().table("scrutiny_costs_monthly")
    spend = _series(published, "scrutiny_costs_monthly", "agency_spend_gbp_month")
    spend12 = _series(published, "scrutiny_costs_monthly", "agency_spend_gbp_12m")
    premium = _series(published, "scrutiny_costs_monthly", "agency_premium_gbp_per_fte_12m")
    money = table.column("agency_spend_gbp_month")
    prem_col = table.column("agency_premium_gbp_per_fte_12m")
    import matplotlib
    from matplotlib.ticker import FuncFormatter

    with matplotlib.rc_context(RC):
        fig, (left, right) = _figure(7.0, 2.2, ncols=2)
        xs = list(range(len(spend)))
        left.bar(xs, [v if v is not None else 0 for _m, v, _s in spend], color=SKY, edgecolor=BLACK, linewidth=0.4)
        for i, (_m, v, s) in enumerate(spend):
            if v is None:
                left.text(i, 0, s or "x", ha="center", va="bottom", fontsize=7, color=GREY)
        right.plot(
            xs,
            [v if v is not None else math.nan for _m, v, _s in premium],
            color=VERMILLION,
            marker="o",
            markersize=3.5,
        )
        step = max(1, math.ceil(len(xs) / 6))
        for ax in (left, right):
            ax.set_xticks(xs[::step], [_short(m) for m, _v, _s in spend][::step])
            ax.set_xlim(-0.6, len(xs) - 0.4)
            ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _p: f"£{v:,.0f}"))
        left.set_title("Agency spend in the month", loc="left")
        right.set_title("Agency premium per FTE-year (12 months)", loc="left")
        right.margins(y=0.3)
        alt = (
            "Two charts. Left, bars: agency timesheet spend in each published month, "
            + _range_words(spend, money)
            + ". Right, line: how much more a year of agency cover costs than a "
            "year of a council-employed worker (12 months to each month end), " + _range_words(premium, prem_col) + "."
        )
        svg = _svg(fig, chart_id, alt)
    rows = [
        [long_date(m.end), figure_text(v, s, money), figure_text(v12, s12, money), figure_text(p, ps, prem_col)]
        for (m, v, s), (_m2, v12, s12), (_m3, p, ps) in zip(spend, spend12, premium, strict=True)
    ]
    return Chart(
        chart_id,
        "Agency spend and premium",
        alt,
        svg,
        ["Month end", "Agency spend (month)", "Agency spend (12 months)", "Agency premium per FTE-year"],
        rows,
        numeric=[False, True, True, True],
    )


def leavers_chart(published: Published, chart_id: str) -> Chart:
    table = catalogue().table("scrutiny_leavers_monthly")
    df = published.this_month("scrutiny_leavers_monthly")
    council = df[df["breakdown_level"] == "council"]
    count = table.column("leavers_headcount")
    pct = table.column("pct_of_leavers")
    panels = [("leaving_reason", "By reason for leaving"), ("length_of_service", "By length of service")]
    import matplotlib

    words = []
    with matplotlib.rc_context(RC):
        parts = [council[council["breakdown"] == b].sort_values("category_order") for b, _t in panels]
        height = max(1.8, 0.24 * max(len(p) for p in parts) + 0.8)
        fig, axes = _figure(7.0, height, ncols=2)
        for ax, (_b, title), part in zip(axes, panels, parts, strict=True):
            labels = [str(x) for x in part["category_label"]]
            values = [
                float(v) if is_number(v) and not symbol_of(s) else None
                for v, s in zip(part["leavers_headcount"], part["leavers_headcount_status"], strict=True)
            ]
            ys = list(range(len(labels)))[::-1]
            ax.barh(ys, [v or 0 for v in values], color=GREEN, edgecolor=BLACK, linewidth=0.4)
            for y, v, s in zip(ys, values, part["leavers_headcount_status"], strict=True):
                ax.text((v or 0) + 0.1, y, figure_text(v, s, count), va="center", fontsize=7)
            ax.set_yticks(ys, labels)
            ax.set_title(title, loc="left")
            ax.set_xlabel("leavers in the 12 months")
            ax.margins(x=0.15)
            top = sorted(((v, lab) for v, lab in zip(values, labels, strict=True) if v), reverse=True)[:3]
            words.append(f"{title.lower()}: " + (", ".join(f"{lab} {v:,.0f}" for v, lab in top) or "no leavers"))
        alt = (
            f"Two horizontal bar charts of the people who left in the 12 months to {long_date(published.month.end)}, "
            + "; ".join(words)
            + " (largest groups first)."
        )
        svg = _svg(fig, chart_id, alt)
    rows = [
        [
            title,
            str(r.category_label),
            figure_text(r.leavers_headcount, r.leavers_headcount_status, count),
            figure_text(r.pct_of_leavers, r.pct_of_leavers_status, pct),
        ]
        for (_b, title), part in zip(panels, parts, strict=True)
        for r in part.itertuples()
    ]
    return Chart(
        chart_id,
        "Leavers by reason and length of service",
        alt,
        svg,
        ["Breakdown", "Category", "Leavers", "% of leavers"],
        rows,
        numeric=[False, False, True, True],
    )


def retention_chart(published: Published, chart_id: str) -> Chart:
    table = catalogue().table("scrutiny_retention_monthly")
    lines = [
        ("starter_retention_12m_pct", "new starters still in post a year on", BLUE, "o"),
        ("overseas_retention_12m_pct", "overseas recruits still in post a year on", ORANGE, "s"),
        ("pct_retention_eligible_paid_12m", "eligible for the retention payment and paid it", GREEN, "^"),
    ]
    series = {c: _series(published, "scrutiny_retention_monthly", c) for c, *_ in lines}
    import matplotlib

    with matplotlib.rc_context(RC):
        fig, (ax,) = _figure(7.0, 2.3)
        xs = list(range(len(published.months)))
        for c, label, colour, marker in lines:
            ax.plot(
                xs,
                [v if v is not None else math.nan for _m, v, _s in series[c]],
                color=colour,
                marker=marker,
                markersize=4,
                linewidth=1.5,
                label=label,
            )
        step = max(1, math.ceil(len(xs) / 10))
        ax.set_xticks(xs[::step], [_short(m) for m in published.months][::step])
        ax.set_xlim(-0.5, len(xs) - 0.5)
        ax.set_ylim(0, 105)
        ax.set_ylabel("%")
        ax.set_title("Starter and overseas-recruit retention, retention payment reach", loc="left")
        ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.14), ncols=3)
        alt = "Line chart of three percentages for the council over the published months. " + " ".join(
            f"{label.capitalize()}: {_range_words(series[c], table.column(c))}." for c, label, _col, _m in lines
        )
        svg = _svg(fig, chart_id, alt)
    extra = ["starter_cohort_headcount", "overseas_cohort_headcount", "retention_eligible_headcount"]
    extra_series = {c: _series(published, "scrutiny_retention_monthly", c) for c in extra}
    rows = []
    for i, m in enumerate(published.months):
        rows.append(
            [long_date(m.end)]
            + [figure_text(series[c][i][1], series[c][i][2], table.column(c)) for c, *_ in lines]
            + [figure_text(extra_series[c][i][1], extra_series[c][i][2], table.column(c)) for c in extra]
        )
    return Chart(
        chart_id,
        "Retention",
        alt,
        svg,
        [
            "Month end",
            "Starters retained 12m",
            "Overseas retained 12m",
            "Eligible paid retention payment",
            "Starter cohort",
            "Overseas cohort",
            "Eligible for the payment",
        ],
        rows,
        numeric=[False] + [True] * 6,
    )
