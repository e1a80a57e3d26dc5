"""The pack for the small sample, rendered once: real headless Chromium, the PDF read back.

One pipeline run of the small sample publishes 2025-09; an earlier month (2025-08) is crafted
from it in ``published/`` (month end moved back, a few council figures changed) so that the first
page has changes since last month to show. Then ``workforce pack`` writes the pack, and:

- the HTML references nothing outside itself, every chart is an SVG with alt text and a table;
- a Chromium screenshot of it is not blank; the PDF is A4 and no page of it is blank;
- every number on the PDF's first page (pdftotext) is one of the published tables' (or the
  targets', or the audit record's), and each tile's figure is there as published;
- the workbook reads back with numbers as numbers and no formula cell.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from dataclasses import replace
from pathlib import Path

import pandas as pd
import pytest
from conftest import SMALL_MONTH, settings_for
from workforce.months import ReportingMonth
from workforce.spec.catalogue import TABLE, catalogue, status_column

pytestmark = pytest.mark.slow

MONTH = ReportingMonth.parse(SMALL_MONTH)
BEFORE = MONTH.previous()
#: Council figures moved in the crafted earlier month, so each has a change to show.
MOVED = {"vacancy_rate_fte": -1.3, "caseload_fte": 0.6, "turnover_rate_fte": 2.1, "inpost_fte": -2.5}
MONTHS = r"(January|February|March|April|May|June|July|August|September|October|November|December)"
EXTERNAL = re.compile(r"""(?:https?:)?//[a-z0-9.-]+\.[a-z]{2,}""", re.I)


def _need(tool: str) -> str:
    found = shutil.which(tool)
    if found is None:
        pytest.fail(f"{tool} is not installed: run `make pack-tools` (Debian packages chromium, poppler-utils)")
    return found


def _craft_earlier_month(published: Path) -> None:
    source, target = published / MONTH.label, published / BEFORE.label
    target.mkdir()
    for path in source.glob("*.parquet"):
        df = pd.read_parquet(path)
        if "month_end" in df.columns:
            df["month_end"] = pd.Timestamp(BEFORE.end).date()
            if path.stem == TABLE:
                council = df["service_area"] == "All"
                for column, delta in MOVED.items():
                    df.loc[council, column] = (df.loc[council, column] - delta).round(2)
        df.to_parquet(target / path.name, index=False)


@pytest.fixture(scope="module")
def pack(small_landing_cache, tmp_path_factory):
    from workforce.pack import build_pack
    from workforce.pipeline import run_month

    _need("chromium"), _need("pdftoppm"), _need("pdftotext")
    base = tmp_path_factory.mktemp("pack")
    landing = base / "landing"
    shutil.copytree(small_landing_cache, landing)
    settings = settings_for(base / "data", landing)
    run_month(SMALL_MONTH, settings, progress=lambda _m: None)  # only the month (WORKFORCE_TREND_MONTHS=1)
    _craft_earlier_month(settings.published_dir)
    settings = replace(settings, trend_months=24)  # the pack's trends reach the crafted month
    report = build_pack(settings, SMALL_MONTH, progress=print)
    print(f"pack generation time (small sample, {len(report.months)} months): {report.seconds:.1f}s {report.timings}")
    return settings, report


def _png_ink(path: Path) -> float:
    """Share of pixels that are not (near) white."""
    from PIL import Image

    image = Image.open(path).convert("L")
    histogram = image.histogram()
    return 1 - sum(histogram[245:]) / sum(histogram)


def test_the_pack_is_published_as_one_folder_of_three_files(pack):
    from workforce.pack import PACK_FILES

    settings, report = pack
    folder = settings.published_month_dir(MONTH.label) / "pack"
    assert report.directory == folder
    assert sorted(p.name for p in folder.iterdir()) == sorted(PACK_FILES)
    assert not [p for p in folder.parent.iterdir() if p.name.startswith(".")], "a temporary folder was left behind"
    assert report.months == [BEFORE.label, MONTH.label]


def test_the_html_is_self_contained_and_every_chart_has_alt_text_and_a_table(pack):
    settings, report = pack
    html = (report.directory / "scrutiny_pack.html").read_text(encoding="utf-8")
    assert not EXTERNAL.findall(html), sorted(set(EXTERNAL.findall(html)))[:5]
    assert "<script" not in html and "<link" not in html and "@import" not in html
    assert "url(data:font/woff;base64," in html  # the typeface is inline
    svgs = re.findall(r"<svg\b[^>]*>\s*<title id=\"([^\"]+)\">([^<]+)</title>", html)
    figures = re.findall(r'<figure class="chart[^"]*" id="chart-([^"]+)"', html)
    assert len(svgs) == len(figures) == html.count("<svg ") >= 10
    for title_id, alt in svgs:
        assert len(alt) > 60, (title_id, alt)
        assert f'aria-labelledby="{title_id}"' in html
    for chart in figures:
        assert f'id="table-{chart}"' in html and f'href="#table-{chart}"' in html
    assert len(re.findall(r"<h1\b", html)) == 1 and len(re.findall(r"<h2\b", html)) >= 5
    for rag in ("Green", "Amber", "Red"):  # RAG in words, not colour alone
        assert f"badge-{rag.lower()}" not in html or f"</span> {rag}</span>" in html


def test_chromium_shows_the_page(pack, tmp_path):
    from workforce.pack.chromium import screenshot

    _settings, report = pack
    png = screenshot(report.directory / "scrutiny_pack.html", tmp_path / "first.png")
    assert _png_ink(png) > 0.05


def test_the_pdf_is_a4_and_no_page_is_blank(pack, tmp_path):
    _settings, report = pack
    pdf = report.directory / "scrutiny_pack.pdf"
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    assert re.search(r"Page size:\s+59[45](\.\d+)? x 84[12](\.\d+)? pts \(A4\)", info), info
    pages = int(re.search(r"Pages:\s+(\d+)", info)[1])
    assert pages >= 3
    subprocess.run([_need("pdftoppm"), "-r", "30", "-png", str(pdf), str(tmp_path / "page")], check=True)
    images = sorted(tmp_path.glob("page-*.png"))
    assert len(images) == pages
    blank = [p.name for p in images if _png_ink(p) < 0.005]
    assert not blank, f"blank page(s) {blank}"


def _council(settings, month: ReportingMonth, table: str) -> pd.Series:
    df = pd.read_parquet(settings.published_month_dir(month.label) / f"{table}.parquet")
    rows = (
        df[df["breakdown_level"] == "council"] if "breakdown_level" in df.columns else df[df["service_area"] == "All"]
    )
    return rows.iloc[0]


def _expected_numbers(settings) -> tuple[set[float], dict[str, float | str]]:
    """Every number the first page may show, from the published files, the targets and the audit record."""
    from workforce.pack.data import HEADLINES
    from workforce.pack.targets import load_targets

    numbers: set[float] = set()
    headline: dict[str, float | str] = {}
    targets = load_targets(caseload_target=settings.caseload_target)
    bench = pd.read_parquet(settings.published_month_dir(MONTH.label) / "scrutiny_benchmarks.parquet")
    for h in HEADLINES:
        table = catalogue().table(h.table)
        column = table.column(h.column)
        now, before = _council(settings, MONTH, h.table), _council(settings, BEFORE, h.table)
        names = [h.column] + [n for n in (column.numerator, column.denominator, h.compare) if n]
        for name in names:
            for row in (now, before):
                if pd.notna(row[name]):
                    numbers.add(round(float(row[name]), 2))
        status = now.get(status_column(h.column))
        headline[h.column] = status if isinstance(status, str) and status else float(now[h.column])
        if pd.notna(now[h.column]) and pd.notna(before[h.column]):
            numbers.add(round(abs(float(now[h.column]) - float(before[h.column])), 2))
        t = targets.get(h.table, h.column)
        if t:
            numbers.add(t.target)
        rows = bench[bench["indicator"] == h.column]
        for value in pd.concat([rows["value"], rows["neighbours_min"], rows["neighbours_max"]]).dropna():
            numbers.add(round(float(value), 2))
    audit = json.loads((settings.published_month_dir(MONTH.label) / "audit.json").read_text(encoding="utf-8"))
    numbers |= {float(audit["checks"][k]) for k in ("total", "failed_critical", "failed_warning")}
    numbers.add(2.0)  # the number of published months the trends cover
    return numbers, headline


def test_every_number_on_the_first_page_is_a_published_figure(pack):
    settings, report = pack
    text = subprocess.run(
        [_need("pdftotext"), "-f", "1", "-l", "1", str(report.directory / "scrutiny_pack.pdf"), "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    flat = " ".join(text.split())
    for title in (
        "In post FTE",
        "Vacancy rate",
        "Agency rate",
        "Turnover",
        "Voluntary turnover",
        "Caseload",
        "Sickness absence",
        "Quality gate",
        "Data date",
    ):
        assert title in flat, title
    expected, headline = _expected_numbers(settings)
    words = re.sub(rf"\b\d{{1,2}} {MONTHS} \d{{4}}\b", " ", flat)  # dates
    words = re.sub(r"\bDfE \d{4}\b|\b12[ -]months?\b|\(878\)", " ", words)
    found = [float(n.replace(",", "")) for n in re.findall(r"\d[\d,]*(?:\.\d+)?", words)]
    assert len(found) > 40
    strangers = sorted({n for n in found if not any(abs(n - e) < 1e-9 for e in expected)})
    assert not strangers, f"numbers on the first page that no published table holds: {strangers}"
    for column, value in headline.items():
        shown = value if isinstance(value, str) else f"{value:,.{2 if column == 'inpost_fte' else 1}f}"
        assert shown in flat, (column, shown)
    assert "Since 31 August 2025: down 1.3 points" in flat  # vacancy rate: the crafted month was 1.3 higher


def test_the_workbook_reads_back_with_numbers_as_numbers(pack):
    from openpyxl import load_workbook
    from workforce.pack.workbook import sheet_name

    settings, report = pack
    wb = load_workbook(report.directory / "officers_workbook.xlsx")
    for table in catalogue():
        ws = wb[sheet_name(table.name)]
        header = [c.value for c in ws[1]]
        assert header == list(table.published_columns)
        published = pd.read_parquet(settings.published_month_dir(MONTH.label) / f"{table.name}.parquet")
        assert ws.max_row - 1 == len(published), table.name
        numeric = {c.name for c in table.columns if c.kind not in ("key", "label") and c.type != "varchar"}
        for row in ws.iter_rows(min_row=2):
            for name, cell in zip(header, row, strict=True):
                assert cell.data_type != "f"
                if name in numeric and cell.value is not None:
                    assert isinstance(cell.value, int | float), (table.name, name, cell.value)
    first = {c.value: i for i, c in enumerate(wb[sheet_name(TABLE)][1])}
    council = _council(settings, MONTH, TABLE)
    row = [c.value for c in wb[sheet_name(TABLE)][2]]
    assert row[first["inpost_fte"]] == council["inpost_fte"]


def test_a_failed_build_leaves_the_published_pack_as_it_was(pack, monkeypatch):
    from workforce.pack import build_pack, chromium

    settings, report = pack
    before = {p.name: p.read_bytes() for p in report.directory.iterdir()}

    def broken(html, pdf):
        raise chromium.ChromiumError("printing failed")

    monkeypatch.setattr(chromium, "print_pdf", broken)
    with pytest.raises(chromium.ChromiumError):
        build_pack(settings, SMALL_MONTH)
    assert {p.name: p.read_bytes() for p in report.directory.iterdir()} == before


def test_the_command_line_makes_the_same_pack(pack, capsys, monkeypatch):
    from workforce.cli import main

    settings, _report = pack
    monkeypatch.setenv("WORKFORCE_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("WORKFORCE_LANDING_DIR", str(settings.landing_dir))
    monkeypatch.setenv("WORKFORCE_HISTORY_MONTHS", "36")
    assert main(["pack", "--month", SMALL_MONTH]) == 0
    out = capsys.readouterr().out
    assert "generated in" in out and "scrutiny_pack.pdf" in out
    assert main(["pack", "--month", "2019-01"]) == 1  # not published: a clear error, no traceback
