"""GX Data Docs: the run's validation results as static HTML, for a person to browse.

A rendering of results already recorded elsewhere (``validation_results.json``, the history
tables): built into a temporary folder and swapped in for ``quality/<month>/data_docs``.
"""

from __future__ import annotations

import re
from pathlib import Path

from workforce.files import replace_directory
from workforce.quality.results import SuiteResult


def build_data_docs(results: list[SuiteResult], out_dir: Path, run_id: str) -> Path | None:
    """Render this run's GX validation results as Data Docs (static HTML) in ``out_dir``.

    A fresh ephemeral context with one filesystem site: its in-memory validation store holds
    only this run's results, so the site is exactly this run. Returns index.html's path.
    """
    import great_expectations as gx
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

    validated = [r for r in results if r.gx_result is not None]
    if not validated:
        return None

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
        for i, result in enumerate(validated):
            batch = re.sub(r"[^A-Za-z0-9_.-]+", "_", result.data_name)[:80] or f"batch_{i}"
            key = ValidationResultIdentifier(
                expectation_suite_identifier=ExpectationSuiteIdentifier(name=result.suite),
                run_id=run,
                batch_identifier=f"{i:02d}_{batch}",
            )
            context.validation_results_store.set(key, result.gx_result)
        context.build_data_docs(site_names=["workforce_run"])

    out_dir = replace_directory(Path(out_dir), build)
    return out_dir / "index.html"
