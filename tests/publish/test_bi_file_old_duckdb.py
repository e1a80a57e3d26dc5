"""The BI file opens in an old DuckDB, as BI drivers bundle, and every table reads the same.

``published/workforce.duckdb`` is written with ``publisher.BI_STORAGE_VERSION`` by the pinned
DuckDB; here DuckDB 1.1.3 (``make old-duckdb``: a virtualenv in ``.cache/duckdb-1.1/``) opens it
in a separate interpreter, and every table's columns, types and rows must equal what the pinned
DuckDB reads (docs/decisions/0011-files-people-open.md has the whole measured range).

Under ``make test`` (which installs that virtualenv first and sets
``WORKFORCE_OLD_DUCKDB_PYTHON``) a missing interpreter fails the test; run on its own without it,
the test is skipped with a reason saying how to install it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from conftest import ROOT, SMALL_MONTH
from workforce.spec.catalogue import published_tables

pytestmark = pytest.mark.pipeline

OLD_VERSION = "1.1."
DEFAULT_PYTHON = ROOT / ".cache" / "duckdb-1.1" / "bin" / "python"

#: Run by both interpreters: every table's columns, types and rows, as JSON (dates and decimals
#: as text, floats exactly), and the DuckDB version that read them.
READ_BI_FILE = r"""
import json, sys
import duckdb

con = duckdb.connect(sys.argv[1], read_only=True)
tables = {}
for (name,) in con.execute(
        "SELECT table_name FROM information_schema.tables ORDER BY table_name").fetchall():
    columns = con.execute(
        "SELECT column_name, data_type FROM information_schema.columns "
        "WHERE table_name = ? ORDER BY ordinal_position", [name]).fetchall()
    rows = con.execute(f'SELECT * FROM "{name}"').fetchall()
    tables[name] = {"columns": columns, "rows": rows}
con.close()
print(json.dumps({"version": duckdb.__version__, "tables": tables}, default=str))
"""

#: The same for a published CSV: its column names and first row as DuckDB's read_csv gives them.
READ_CSV = r"""
import json, sys
import duckdb

result = duckdb.connect().execute("SELECT * FROM read_csv(?, all_varchar = true)", [sys.argv[1]])
print(json.dumps({"columns": [d[0] for d in result.description], "rows": len(result.fetchall())}))
"""


def _old_python() -> Path:
    configured = os.environ.get("WORKFORCE_OLD_DUCKDB_PYTHON")
    if configured:  # make test: installed by its prerequisite, so it must be there
        path = Path(configured)
        assert path.is_file(), (
            f"WORKFORCE_OLD_DUCKDB_PYTHON={configured} does not exist: `make old-duckdb` installs DuckDB "
            f"{OLD_VERSION}x there (make test runs it first)"
        )
        return path
    if not DEFAULT_PYTHON.is_file():
        pytest.skip(f"no old DuckDB at {DEFAULT_PYTHON.relative_to(ROOT)}: run `make old-duckdb` "
                    "(a virtualenv with DuckDB 1.1.3), or `make test`, which installs it first")
    return DEFAULT_PYTHON


def _run(python: Path | str, script: str, path: Path) -> dict:
    done = subprocess.run([str(python), "-c", script, str(path)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, f"{python} could not read {path.name}:\n{done.stderr[-2000:]}"
    return json.loads(done.stdout)


def test_an_old_duckdb_reads_every_table_of_the_bi_file_as_the_pinned_one_does(small_published):
    old_python = _old_python()
    bi = small_published.published_warehouse_path
    new = _run(sys.executable, READ_BI_FILE, bi)
    old = _run(old_python, READ_BI_FILE, bi)
    assert old["version"].startswith(OLD_VERSION), old["version"]
    assert new["version"] != old["version"]
    expected_tables = {t.name for t in published_tables()} | {"audit_log", "published_months"}
    assert set(new["tables"]) == expected_tables
    # Nothing empty compared, except a release-stage table whose rows need an earlier publication
    # (scrutiny_revisions, empty in a first publication): its columns and types are compared below.
    may_be_empty = {t.name for t in published_tables() if not t.is_mart}
    assert all(new["tables"][name]["rows"] for name in expected_tables - may_be_empty)
    for name, table in new["tables"].items():
        assert old["tables"].get(name, {}).get("columns") == table["columns"], f"{name}: columns or types differ"
        assert old["tables"][name]["rows"] == table["rows"], f"{name}: rows differ in DuckDB {old['version']}"


def test_an_old_duckdb_reads_the_published_csv_header_cleanly(small_published):
    old_python = _old_python()
    path = small_published.published_month_dir(SMALL_MONTH) / "scrutiny_workforce_monthly.csv"
    new, old = _run(sys.executable, READ_CSV, path), _run(old_python, READ_CSV, path)
    assert old == new
    assert old["columns"] == list(pd.read_parquet(path.with_suffix(".parquet")).columns)  # no "\ufeff" in the first
