"""The default sample publishes exactly the figures recorded in ``golden/published_default.json``.

The record holds, for the 2026-09 run of the default sample: the SHA-256 of every published CSV
(bytes), and a digest of every Parquet file's and BI table's rows (values in order, dates as
YYYY-MM-DD, so the digest is the same whichever date type a file stores). A refactoring must
leave it unchanged; a change that moves a published figure on purpose regenerates the record with
``WORKFORCE_UPDATE_GOLDEN=1 python -m pytest tests/publish/test_golden_outputs.py`` and says why
in its commit.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
import os
from pathlib import Path

import duckdb
import pytest
from conftest import DEFAULT_MONTH

GOLDEN = Path(__file__).parent / "golden" / "published_default.json"


def _cell(value) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float):
        return repr(value)
    return str(value)


def _rows_digest(con, relation: str) -> str:
    result = con.execute(f"SELECT * FROM {relation}")
    digest = hashlib.sha256("\x1f".join(d[0] for d in result.description).encode())
    for row in result.fetchall():
        digest.update(("\x1e" + "\x1f".join(_cell(v) for v in row)).encode())
    return digest.hexdigest().upper()


def fingerprint(published: Path, month: str) -> dict:
    """CSV bytes, Parquet rows and BI tables' rows of one month's publication."""
    out: dict[str, dict[str, str]] = {"csv": {}, "parquet": {}, "bi": {}}
    folder = published / month
    for path in sorted(folder.glob("*.csv")):
        out["csv"][path.name] = hashlib.sha256(path.read_bytes()).hexdigest().upper()
    con = duckdb.connect()
    for path in sorted(folder.glob("*.parquet")):
        out["parquet"][path.name] = _rows_digest(con, f"read_parquet('{path}')")
    bi = duckdb.connect(str(published / "workforce.duckdb"), read_only=True)
    for (table,) in bi.execute("SELECT table_name FROM information_schema.tables ORDER BY table_name").fetchall():
        if table != "audit_log":  # run ids and times: different on every run by design
            out["bi"][table] = _rows_digest(bi, f'"{table}"')
    bi.close()
    return out


@pytest.mark.slow
def test_the_default_sample_publishes_the_recorded_figures(published_default):
    settings, _summary = published_default
    found = fingerprint(settings.published_dir, DEFAULT_MONTH)
    if os.environ.get("WORKFORCE_UPDATE_GOLDEN") == "1":
        GOLDEN.parent.mkdir(exist_ok=True)
        GOLDEN.write_text(json.dumps(found, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    expected = json.loads(GOLDEN.read_text(encoding="utf-8"))
    differs = [
        f"{kind}/{name}" for kind in expected for name in set(expected[kind]) | set(found[kind])
        if expected[kind].get(name) != found[kind].get(name)
    ]
    assert not differs, f"published outputs differ from {GOLDEN.name}: {sorted(differs)}"
