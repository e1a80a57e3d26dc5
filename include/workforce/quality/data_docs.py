"""GX Data Docs: the run's validation results as static HTML, for a person to browse offline.

A rendering of results already recorded elsewhere (``validation_results.json``, the history
tables): built into a temporary folder and swapped in for ``quality/<month>/data_docs``.

Offline and plain (issue 13, item 6). GX's pages load jQuery, Bootstrap, Vega and fonts from
CDNs, so without internet its index is blank; and GX marks a suite "Failed" when only
warning-level checks failed, in a run that published. So the site is made to work offline and to
say what happened:

- ``index.html`` is our own page (``templates/quality_report.html.j2``): per suite and data,
  **Passed** (no check failed), **Warned** (only warning-level checks failed: the run goes on) or
  **Failed** (a critical check failed: the run stops), with every failed check, and a link to
  GX's page for it;
- GX's own pages are kept, with every external script, stylesheet, image and link removed
  (``strip_external``) and a line at the top giving the same outcome in our words.

Nothing in the site references an address outside it.

The site records what it renders (``SITE_RECORD``: each suite, its data and the key of its
stored results, ``reuse``). When every result of a run was reused and the site already renders
exactly those, it is kept as it is: same suites, same data, same outcomes, built by the run that
validated them. Anything else rebuilds it.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
from pathlib import Path

from workforce.files import replace_directory, write_json
from workforce.quality.results import SuiteResult
from workforce.quality.suites import CRITICAL, WARNING

log = logging.getLogger(__name__)

SITE_RECORD = "workforce_site.json"
#: Part of the site's signature: a site rendered in an earlier format is rebuilt, not kept.
SITE_FORMAT = "offline-report-1"
TEMPLATES = Path(__file__).with_name("templates")
#: Where GX's own index goes, still reachable from ours (its listing needs the CDN's scripts).
GX_INDEX = "gx_index.html"

_EXTERNAL = r"""(?:https?:)?//[^"'\s>]*"""
_EXTERNAL_TAGS = (
    re.compile(rf"""<script\b[^>]*\bsrc\s*=\s*["']{_EXTERNAL}["'][^>]*>\s*</script>""", re.I),
    re.compile(rf"""<link\b[^>]*\bhref\s*=\s*["']{_EXTERNAL}["'][^>]*>""", re.I),
    re.compile(rf"""<img\b[^>]*\bsrc\s*=\s*["']{_EXTERNAL}["'][^>]*>""", re.I),
)
_EXTERNAL_ATTRIBUTE = re.compile(rf"""\s(?:href|src|action|srcset)\s*=\s*["']{_EXTERNAL}["']""", re.I)
_EXTERNAL_TEXT = re.compile(r"https?://[^\s\"'<>)]+")


def outcome(result: SuiteResult) -> str:
    """'failed' (a critical check failed), 'warned' (only warnings failed), 'passed' or 'skipped'."""
    if result.skipped:
        return "skipped"
    if result.failures(CRITICAL):
        return "failed"
    if result.failures(WARNING):
        return "warned"
    return "passed"


def strip_external(html: str) -> str:
    """GX's page with nothing fetched from outside: external scripts, stylesheets and images removed,
    external links and form targets dropped (their text stays), any other address blanked."""
    for pattern in _EXTERNAL_TAGS:
        html = pattern.sub("", html)
    html = _EXTERNAL_ATTRIBUTE.sub("", html)
    return _EXTERNAL_TEXT.sub("(external address removed)", html)


_BANNER = {
    "passed": "Passed: no check failed.",
    "warned": "Warned: only warning-level checks failed, so the run went on. GX shows this suite as 'Failed'; "
              "for this pipeline it is a warning.",
    "failed": "Failed: a critical check failed, so the run stopped before publishing.",
    "skipped": "Skipped: the optional export was not supplied; nothing was validated.",
}


def _offline_site(site: Path, results: list[SuiteResult], validated: list[SuiteResult], run_id: str) -> None:
    """Make the GX site work offline and write our plain index (see the module docstring)."""
    from jinja2 import Environment, FileSystemLoader, select_autoescape

    pages: dict[int, str] = {}
    for i, result in enumerate(validated):
        found = sorted(site.glob(f"validations/{result.suite}/**/{i:02d}_*.html"))
        if found:
            pages[id(result)] = found[0].relative_to(site).as_posix()
            page = found[0]
            text = strip_external(page.read_text(encoding="utf-8"))
            banner = (f'<p role="status" style="margin:0;padding:8px 12px;border:2px solid #000;font:16px sans-serif">'
                      f'<a href="{"../" * (len(found[0].relative_to(site).parts) - 1)}index.html">Quality report</a>: '
                      f"{_BANNER[outcome(result)]}</p>")
            body = re.search(r"<body[^>]*>", text)
            if body:
                text = text[: body.end()] + banner + text[body.end() :]
            page.write_text(text, encoding="utf-8")
    for page in site.rglob("*.html"):
        if page.name != "index.html" and not page.is_relative_to(site / "validations"):
            page.write_text(strip_external(page.read_text(encoding="utf-8")), encoding="utf-8")
    gx_index = site / "index.html"
    if gx_index.is_file():
        (site / GX_INDEX).write_text(strip_external(gx_index.read_text(encoding="utf-8")), encoding="utf-8")
    rows = []
    for result in results:
        rows.append({
            "suite": result.suite,
            "data_name": result.data_name,
            "outcome": outcome(result),
            "checks": len(result.results),
            "failed": [c for c in result.results if not c.success],
            "page": pages.get(id(result)),
            "reused_from_run": result.reused_from_run,
        })
    counts = {k: sum(1 for r in rows if r["outcome"] == k) for k in ("passed", "warned", "failed", "skipped")}
    overall = "failed" if counts["failed"] else ("warned" if counts["warned"] else "passed")
    env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html", "j2"]))
    html = env.get_template("quality_report.html.j2").render(
        run_id=run_id, rows=rows, counts=counts, overall=overall,
        checks=sum(r["checks"] for r in rows), severities={"critical": CRITICAL, "warning": WARNING},
    )
    gx_index.write_text(html, encoding="utf-8")


def _signature(results: list[SuiteResult]) -> str | None:
    """What the site shows, as a digest; None when a result has no stored key (always rebuilt)."""
    if any(r.reuse_key is None for r in results):
        return None
    parts = [[r.suite, r.data_name, r.reuse_key] for r in results]
    return hashlib.sha256(json.dumps([SITE_FORMAT, parts]).encode()).hexdigest()


def _current(out_dir: Path, signature: str | None) -> bool:
    if signature is None or not (out_dir / "index.html").is_file():
        return False
    try:
        record = json.loads((out_dir / SITE_RECORD).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return record.get("signature") == signature


def build_data_docs(results: list[SuiteResult], out_dir: Path, run_id: str) -> Path | None:
    """Render this run's GX validation results as Data Docs (static HTML) in ``out_dir``.

    A fresh ephemeral context with one filesystem site: its in-memory validation store holds
    only this run's results, so the site is exactly this run. Returns index.html's path. Kept as
    it is when every result was reused and the site already shows them (``SITE_RECORD``).
    """
    validated = [r for r in results if r.gx_result is not None]
    if not validated:
        return None
    out_dir = Path(out_dir)
    signature = _signature(validated)
    if all(r.reused_from_run for r in validated) and _current(out_dir, signature):
        log.info("validate: Data Docs unchanged (every result reused): %s", out_dir / "index.html")
        return out_dir / "index.html"

    import great_expectations as gx
    from great_expectations.core.expectation_validation_result import ExpectationSuiteValidationResultSchema
    from great_expectations.core.run_identifier import RunIdentifier
    from great_expectations.data_context.types.base import (
        DataContextConfig,
        InMemoryStoreBackendDefaults,
        ProgressBarsConfig,
    )
    from great_expectations.data_context.types.resource_identifiers import (
        ExpectationSuiteIdentifier,
        ValidationResultIdentifier,
    )

    def build(site: Path) -> None:
        config = DataContextConfig(
            store_backend_defaults=InMemoryStoreBackendDefaults(init_temp_docs_sites=False),
            analytics_enabled=False,
            progress_bars=ProgressBarsConfig(globally=False),
        )
        context = gx.get_context(mode="ephemeral", project_config=config)
        context.add_data_docs_site(
            "workforce_run",
            {
                "class_name": "SiteBuilder",
                "store_backend": {"class_name": "TupleFilesystemStoreBackend", "base_directory": str(site)},
                "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
            },
        )
        run = RunIdentifier(run_name=run_id)
        schema = ExpectationSuiteValidationResultSchema()
        for i, result in enumerate(validated):
            batch = re.sub(r"[^A-Za-z0-9_.-]+", "_", result.data_name)[:80] or f"batch_{i}"
            key = ValidationResultIdentifier(
                expectation_suite_identifier=ExpectationSuiteIdentifier(name=result.suite),
                run_id=run,
                batch_identifier=f"{i:02d}_{batch}",
            )
            gx_result = result.gx_result  # a reused result holds GX's JSON of it (``reuse``)
            if isinstance(gx_result, dict):
                gx_result = schema.load(gx_result)
            context.validation_results_store.set(key, gx_result)
        context.build_data_docs(site_names=["workforce_run"])
        _offline_site(site, results, validated, run_id)
        shown = [[r.suite, r.data_name, r.reuse_key] for r in validated]
        write_json(site / SITE_RECORD, {"run_id": run_id, "signature": signature, "suites": shown})

    out_dir = replace_directory(out_dir, build)
    return out_dir / "index.html"
