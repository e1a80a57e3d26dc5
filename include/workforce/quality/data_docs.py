"""GX Data Docs: the run's validation results as static HTML, for a person to browse.

A rendering of results already recorded elsewhere (``validation_results.json``, the history
tables): built into a temporary folder and swapped in for ``quality/<month>/data_docs``.

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

log = logging.getLogger(__name__)

SITE_RECORD = "workforce_site.json"


def _signature(results: list[SuiteResult]) -> str | None:
    """What the site shows, as a digest; None when a result has no stored key (always rebuilt)."""
    if any(r.reuse_key is None for r in results):
        return None
    parts = [[r.suite, r.data_name, r.reuse_key] for r in results]
    return hashlib.sha256(json.dumps(parts).encode()).hexdigest()


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
        shown = [[r.suite, r.data_name, r.reuse_key] for r in validated]
        write_json(site / SITE_RECORD, {"run_id": run_id, "signature": signature, "suites": shown})

    out_dir = replace_directory(out_dir, build)
    return out_dir / "index.html"
