"""Build the month's scrutiny pack from the published files: HTML, PDF and XLSX, as one unit."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from workforce.config import Settings
from workforce.files import replace_directory
from workforce.months import ReportingMonth
from workforce.pack import charts
from workforce.pack.commentary import commentary
from workforce.pack.data import (
    HEADLINES,
    Published,
    Tile,
    backcast_words,
    data_date,
    headline_tiles,
    load_published,
    long_date,
    quality_gate,
    revisions_words,
)
from workforce.pack.targets import Targets, load_targets

log = logging.getLogger(__name__)

TEMPLATES = Path(__file__).with_name("templates")
HTML, PDF, XLSX = "scrutiny_pack.html", "scrutiny_pack.pdf", "officers_workbook.xlsx"
PACK_FILES = (HTML, PDF, XLSX)
RAG_SHAPES = {"Green": "\u25cf", "Amber": "\u25b2", "Red": "\u25a0"}


@dataclass
class PackReport:
    month: ReportingMonth
    directory: Path
    files: list[Path]
    months: list[str]  # the published months the trends cover
    seconds: float
    timings: dict[str, float]

    def to_dict(self) -> dict:
        return {
            "month": self.month.label,
            "directory": str(self.directory),
            "files": [p.name for p in self.files],
            "months": self.months,
            "seconds": round(self.seconds, 2),
            "timings": {k: round(v, 2) for k, v in self.timings.items()},
        }


def pack_dir(settings: Settings, month: ReportingMonth) -> Path:
    return settings.published_month_dir(month.label) / "pack"


def all_charts(published: Published, targets: Targets) -> tuple[list[charts.Chart], list[charts.Chart]]:
    trend = [
        charts.trend_chart(
            published, targets, f"trend-{i}", h.title, h.table, h.column, dfe=h.table == "scrutiny_workforce_monthly"
        )
        for i, h in enumerate(HEADLINES, 1)
    ]
    trend.append(
        charts.trend_chart(
            published,
            targets,
            "trend-stability",
            "Children with 3 or more social workers",
            "scrutiny_child_stability_monthly",
            "pct_children_3plus_workers_12m",
        )
    )
    other = [
        charts.caseload_by_team_chart(published, "caseload-teams"),
        charts.agency_cost_chart(published, "agency-cost"),
        charts.leavers_chart(published, "leavers"),
        charts.retention_chart(published, "retention"),
    ]
    return trend, other


def render_html(published: Published, targets: Targets, tiles: list[Tile], suppression_threshold: int) -> str:
    from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

    from workforce.pack.fonts import font_face_css

    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(["html", "j2"]),
        undefined=StrictUndefined,
        trim_blocks=False,
        lstrip_blocks=False,
    )
    trend, other = all_charts(published, targets)
    months = published.months
    first, last = months[0], months[-1]
    trend_words = (
        f"{len(months)} published month(s), {long_date(first.end)} to {long_date(last.end)}"
        if len(months) > 1
        else f"1 published month ({long_date(last.end)}): no trend yet"
    )
    backcast = backcast_words(published)
    if backcast:
        trend_words += f"; {backcast}"
    return env.get_template("pack.html.j2").render(
        la_name=published.la_name,
        month_long=long_date(published.month.end),
        period=f"{long_date(published.month.start)} to {long_date(published.month.end)} (stocks on the last day; "
        "12-month figures for the year to it)",
        data_date=data_date(published.audit),
        gate=quality_gate(published.audit),
        trend_words=trend_words,
        revisions_words=revisions_words(published),
        revised=len(published.revisions),
        tiles=tiles,
        rag_shape=RAG_SHAPES,
        targets_name=targets.path.name,
        commentary=commentary(published, tiles),
        suppression_threshold=suppression_threshold,
        months=months,
        trend_charts=trend,
        other_charts=other,
        run_id=published.audit.get("run_id", "not recorded"),
        font_css=font_face_css(),
    )


def build_pack(
    settings: Settings,
    month: ReportingMonth | str,
    progress: Callable[[str], None] | None = None,
    targets_path: Path | None = None,
) -> PackReport:
    """Write ``published/<month>/pack/`` (HTML, PDF, XLSX) from the published files, as one unit."""
    from workforce.pack.chromium import print_pdf
    from workforce.pack.workbook import write_workbook

    say = progress or log.info
    month = ReportingMonth.of(month)
    started = time.monotonic()
    timings: dict[str, float] = {}
    targets = load_targets(targets_path or settings.targets_file, caseload_target=settings.caseload_target)
    published = load_published(settings.published_dir, month, settings.trend_months)
    tiles = headline_tiles(published, targets)
    timings["read"] = time.monotonic() - started
    final = pack_dir(settings, month)

    def build(folder: Path) -> None:
        t = time.monotonic()
        html = render_html(published, targets, tiles, settings.suppression_threshold)
        (folder / HTML).write_text(html, encoding="utf-8")
        timings["html"] = time.monotonic() - t
        t = time.monotonic()
        print_pdf(folder / HTML, folder / PDF)
        timings["pdf"] = time.monotonic() - t
        t = time.monotonic()
        write_workbook(folder / XLSX, published, tiles, targets)
        timings["xlsx"] = time.monotonic() - t

    replace_directory(final, build)
    seconds = time.monotonic() - started
    report = PackReport(
        month, final, [final / name for name in PACK_FILES], [m.label for m in published.months], seconds, timings
    )
    say(
        f"pack: {month} scrutiny pack ({len(published.months)} published month(s) of trends) -> {final} in "
        f"{seconds:.1f}s (" + ", ".join(f"{k} {v:.1f}s" for k, v in timings.items()) + ")"
    )
    return report
