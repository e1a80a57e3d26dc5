"""Killing the run at any point and running again publishes exactly what an uninterrupted run
publishes. Each crash is simulated inside a stage (an exception where a kill could land); the
next run starts from whatever the crash left behind."""

from __future__ import annotations

import hashlib
import json
import shutil

import duckdb
import pytest
from conftest import SMALL_MONTH, settings_for
from workforce import pipeline
from workforce.ingest import extract
from workforce.model import build as transform
from workforce.publish import publisher as publish
from workforce.quality import history
from workforce.release import audit

pytestmark = pytest.mark.slow
VOLATILE = ("run_id", "validated_at", "published_at")
#: In the audit record's ``built_by``: what names each run's own dbt build and capture.
BUILT_BY_VOLATILE = ("dbt_invocation_id", "dbt_generated_at", "captured_at")


class Crash(RuntimeError):
    """Stands in for the process being killed."""


def fingerprint(settings, month=SMALL_MONTH) -> dict:
    month_dir = settings.published_month_dir(month)
    prints = {
        p.name: hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(month_dir.iterdir())
        if p.suffix in (".csv", ".parquet")
    }
    record = json.loads((month_dir / "audit.json").read_text(encoding="utf-8"))
    record["built_by"] = {k: v for k, v in record["built_by"].items() if k not in BUILT_BY_VOLATILE}
    prints["audit"] = {k: v for k, v in record.items() if k not in VOLATILE}
    con = duckdb.connect(str(settings.published_warehouse_path), read_only=True)
    try:
        for table in ("scrutiny_workforce_monthly", "published_months"):
            frame = con.execute(f"select * from {table} order by all").df()
            prints[f"bi.{table}"] = hashlib.sha256(frame.to_csv(index=False).encode()).hexdigest()
        log = con.execute(
            f"select * exclude ({', '.join(VOLATILE)}) from audit_log order by all"
        ).df()
        prints["bi.audit_log"] = hashlib.sha256(log.to_csv(index=False).encode()).hexdigest()
    finally:
        con.close()
    return prints


def _after_calls(target, name, n):
    """Wrap target.name so that its n-th call raises Crash (after the first n-1 completed)."""
    original = getattr(target, name)
    calls = {"n": 0}

    def wrapper(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] >= n:
            raise Crash(f"simulated crash in {name}")
        return original(*args, **kwargs)

    return wrapper


def _after_return(target, name):
    """Let target.name do its work, then crash (the kill lands just after it)."""
    original = getattr(target, name)

    def wrapper(*args, **kwargs):
        original(*args, **kwargs)
        raise Crash(f"simulated crash after {name}")

    return wrapper


CRASHES = [
    # (stage, where, patch target, attribute, wrapper factory)
    ("extract", "inside the load transaction, after 5 files", extract, "_load_file",
     lambda t, a: _after_calls(t, a, 6)),
    ("transform", "after dbt build ran, before its results were read", transform, "_read_run_results", _after_return),
    ("validate", "while writing the quality history", history, "write_history", lambda t, a: _after_calls(t, a, 1)),
    ("validate", "after staging, before the audit record", audit, "write_draft", lambda t, a: _after_calls(t, a, 1)),
    ("publish", "after the Parquet swap, before the CSV", publish, "_write_csv", lambda t, a: _after_calls(t, a, 1)),
    ("publish", "inside the BI file build, before it replaces the old one", audit, "add_audit_log",
     lambda t, a: _after_calls(t, a, 1)),
]


@pytest.fixture(scope="module")
def uninterrupted(small_landing_cache, tmp_path_factory):
    base = tmp_path_factory.mktemp("uninterrupted")
    settings = settings_for(base / "data", shutil.copytree(small_landing_cache, base / "landing"))
    pipeline.run_month(SMALL_MONTH, settings, progress=lambda _m: None)
    return fingerprint(settings)


def _run_from(stage, settings):
    """The steps from ``stage`` on, as an Airflow retry of the failed task and its successors does."""
    for name in pipeline.STEPS[pipeline.STEPS.index(stage):]:
        getattr(pipeline, f"step_{name}")(SMALL_MONTH, settings, lambda _m: None)


def test_crash_in_every_stage_then_rerun_publishes_the_same(uninterrupted, small_settings, monkeypatch):
    """A chain: each run restarts at the stage the previous one was killed in, and is itself
    killed one point later; the last run completes. Then a full rerun changes nothing."""
    restart = "extract"
    for stage, where, target, attribute, factory in CRASHES:
        with monkeypatch.context() as patch:
            patch.setattr(target, attribute, factory(target, attribute))
            with pytest.raises(Crash):
                _run_from(restart, small_settings)
        published = small_settings.published_month_dir(SMALL_MONTH)
        if stage != "publish":  # nothing half-published
            assert not published.exists() or not any(published.iterdir()), (stage, where)
        restart = stage
    _run_from(restart, small_settings)
    assert fingerprint(small_settings) == uninterrupted
    pipeline.run_month(SMALL_MONTH, small_settings, progress=lambda _m: None)
    assert fingerprint(small_settings) == uninterrupted
