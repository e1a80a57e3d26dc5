"""The quality report works offline and says plainly what passed, warned and failed (issue 13, item 6).

GX's own Data Docs load their scripts from CDNs (blank offline) and call a suite with only
warning-level failures "Failed". The site ``data_docs.build_data_docs`` writes references nothing
outside itself, and its index, rendered in a real headless Chromium with no network, names each
suite's outcome in words.
"""

from __future__ import annotations

import re

import pytest
from test_quality import EXPECTATIONS, published_frame, raw_frame
from workforce.quality import data_docs, runner, suites
from workforce.quality.results import CheckResult, SuiteResult

EXTERNAL = re.compile(r"""(?:https?:)?//[a-z0-9.-]+\.[a-z]{2,}""", re.I)


def _check(severity: str, success: bool) -> CheckResult:
    return CheckResult("s", "expect_x", None, severity, success, "observed 1", "a check")


def test_the_outcome_is_passed_warned_failed_or_skipped():
    def suite(*checks: CheckResult, skipped: bool = False) -> SuiteResult:
        return SuiteResult("s", "d", True, list(checks), skipped=skipped)

    assert data_docs.outcome(suite(_check(suites.CRITICAL, True), _check(suites.WARNING, True))) == "passed"
    assert data_docs.outcome(suite(_check(suites.CRITICAL, True), _check(suites.WARNING, False))) == "warned"
    assert data_docs.outcome(suite(_check(suites.CRITICAL, False), _check(suites.WARNING, False))) == "failed"
    assert data_docs.outcome(suite(skipped=True)) == "skipped"


def test_external_scripts_styles_images_and_links_are_removed():
    page = (
        '<html><head><script src="https://cdn.example.org/jquery.js"></script>'
        '<link rel="stylesheet" href="https://cdn.example.org/b.css"/><link rel="icon" href="../static/f.ico">'
        '<script src="//unpkg.example.com/t.js" integrity="x"></script></head>'
        '<body><img src="https://assets.example.org/logo.png"><a href="https://docs.example.org/x">docs</a>'
        '<form action="https://example.org/newsletter"></form><script>var u = "https://example.org/v";</script>'
        '<img src="../static/images/logo.png"></body></html>'
    )
    out = data_docs.strip_external(page)
    assert not EXTERNAL.search(out), out
    assert "../static/f.ico" in out and "../static/images/logo.png" in out and ">docs</a>" in out


@pytest.mark.pipeline
def test_the_site_references_nothing_outside_it_and_its_index_says_each_outcome(tmp_path):
    passing = runner.validate_published(published_frame(months=1), EXPECTATIONS)
    teams = raw_frame("hr_teams", 9)
    teams.loc[0, "service_area"] = "Planted area SW912345"  # fails warning-level checks only
    teams.loc[1, "team_code"] = "Planted-team"
    warned = runner.validate_dataframe(teams, "raw_hr_teams", EXPECTATIONS, "raw.hr_teams extract 2026-09-30")
    assert warned.failures(suites.WARNING) and not warned.failures(suites.CRITICAL)
    skipped = SuiteResult("raw_payroll_lines", "payroll_lines: no extract", True, skipped=True)
    index = data_docs.build_data_docs([passing, warned, skipped], tmp_path / "data_docs", "run-1")
    assert index is not None

    pages = list((tmp_path / "data_docs").rglob("*.html"))
    assert len(pages) >= 3
    for page in pages:
        found = EXTERNAL.findall(page.read_text(encoding="utf-8"))
        assert not found, f"{page.name} references {sorted(set(found))[:5]}"
    html = index.read_text(encoding="utf-8")
    assert "<script" not in html
    assert "Passed with warnings" in html
    gx_page = tmp_path / "data_docs" / re.search(r'href="(validations/raw_hr_teams/[^"]+)"', html)[1]
    assert "Warned: only warning-level checks failed" in gx_page.read_text(encoding="utf-8")

    from workforce.pack import chromium

    shown = chromium.dump_dom(index)  # fails with a message naming the Debian package when it is missing
    text = re.sub(r"<[^>]+>", " ", shown)
    rows = {m[1]: m[0] for m in re.findall(r"(Passed|Warned|Failed|Skipped)\s+(\w+)", text)}
    assert rows.get("published_scrutiny_workforce_monthly") == "Passed", rows
    assert rows.get("raw_hr_teams") == "Warned", rows
    assert rows.get("raw_payroll_lines") == "Skipped", rows
    assert "Passed 1, warned 1, failed 0, skipped 1" in " ".join(text.split())
