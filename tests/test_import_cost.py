"""Every Airflow task imports the DAG file and ``workforce.pipeline``; neither may pull in the heavy
libraries (GX, dbt, pandas, Arrow, DuckDB): each step imports what it needs when it runs, so the
sensor, the failure callback and the light steps do not pay seconds of imports.

Checked in a fresh interpreter (``sys.modules`` after the import), not timed.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from conftest import ROOT

HEAVY = ("great_expectations", "dbt", "pandas", "pyarrow", "duckdb", "numpy", "scipy", "openpyxl")


def _imported_after(code: str, *, path: str = "") -> list[str]:
    probe = (
        f"import sys; sys.path[:0] = [{str(ROOT / 'include')!r}, {path!r}]; {code}; import json; "
        f"print(json.dumps(sorted({{m.split('.')[0] for m in sys.modules}} & set({list(HEAVY)!r}))))"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True, cwd=ROOT)
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_importing_the_pipeline_imports_no_heavy_library():
    assert _imported_after("import workforce.pipeline") == []


def test_the_sensor_and_failure_callback_import_no_heavy_library():
    code = (
        "from workforce.pipeline import exports_ready, failure_summary; "
        "import workforce.ingest.readiness, workforce.cli"
    )
    assert _imported_after(code) == []


def test_importing_the_dag_file_imports_no_heavy_library():
    pytest.importorskip("airflow.sdk")
    assert _imported_after("import workforce_monthly", path=str(ROOT / "dags")) == []
