"""The scrutiny pack: what councillors, officers and clerks open each month (issue 13).

``build_pack`` (``workforce pack --month YYYY-MM`` and the DAG's ``pack`` task) reads the
published files only (``published/<month>/*.parquet`` and the earlier published months beside
them, never the warehouse) and writes ``published/<month>/pack/``:

- ``scrutiny_pack.html``: one self-contained page (fonts, styles and SVG charts inline; it works
  with no network), laid out by the Jinja2 templates in ``templates/``;
- ``scrutiny_pack.pdf``: the same page printed to A4 by headless Chromium;
- ``officers_workbook.xlsx``: every published table, the headlines and the definitions.

The folder is written as one unit (``files.replace_directory``): a reader never sees half a pack.
Targets and RAG thresholds come from ``targets.yml`` (or ``WORKFORCE_TARGETS_FILE``); see
docs/pack.md.
"""

from workforce.pack.builder import PACK_FILES, PackReport, build_pack

__all__ = ["PACK_FILES", "PackReport", "build_pack"]
