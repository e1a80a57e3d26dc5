"""Shared fixtures: settings pointed at temporary folders, and sample exports.

The full default sample (about 350 LA workers, 8 years, 12 monthly extracts) runs through the
whole pipeline once per session (`published_default`); tests needing a pipeline of their own
use a small sample, copied from a session cache. Settings publish only the reporting month
(``WORKFORCE_TREND_MONTHS=1``) unless a test asks for trend months (tests/pipeline/test_history.py).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from workforce.config import load_settings
from workforce.spec.catalogue import TABLE, table

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
DEFAULT_MONTH = "2026-09"

#: The headline table and the lists tests need of it, from the catalogue (never written out).
HEADLINE = table(TABLE)
INDICATORS = tuple(c.name for c in HEADLINE.columns if c.dfe_indicator)
RATES = HEADLINE.rates
RATES_BY_NAME = {r.name: r for r in RATES}
PUBLISHED_COLUMNS = HEADLINE.published_columns
SMALL_MONTH = "2025-09"


def settings_for(data_dir: Path, landing: Path, **env):
    """Settings read from a patched environment (config is only ever read from it)."""
    old = dict(os.environ)
    os.environ.update(
        WORKFORCE_DATA_DIR=str(data_dir), WORKFORCE_LANDING_DIR=str(landing), WORKFORCE_HISTORY_MONTHS="36",
        WORKFORCE_TREND_MONTHS="1",  # only the reporting month: the trend months have tests of their own
    )
    os.environ.pop("WORKFORCE_PSEUDONYMISATION_KEY", None)
    os.environ.update(env)
    try:
        return load_settings()
    finally:
        os.environ.clear()
        os.environ.update(old)


def small_config():
    from workforce.sample import SampleConfig

    return SampleConfig(seed=7, end_month=SMALL_MONTH, history_years=3, la_workers=60, agency_workers=20, extracts=3)


@pytest.fixture(scope="session")
def small_landing_cache(tmp_path_factory) -> Path:
    from workforce.sample import generate_sample

    landing = tmp_path_factory.mktemp("small") / "landing"
    generate_sample(landing, small_config())
    return landing


@pytest.fixture
def small_landing(small_landing_cache, tmp_path) -> Path:
    landing = tmp_path / "landing"
    shutil.copytree(small_landing_cache, landing)
    return landing


@pytest.fixture
def small_settings(small_landing, tmp_path):
    return settings_for(tmp_path / "data", small_landing)


@pytest.fixture(scope="session")
def small_published(small_landing_cache, tmp_path_factory):
    """The small sample through the whole pipeline for SMALL_MONTH, once per session. Shared: copy
    its data folder (``copy_data``) before changing anything in it."""
    from workforce.pipeline import run_month

    base = tmp_path_factory.mktemp("small_published")
    settings = settings_for(base / "data", shutil.copytree(small_landing_cache, base / "landing"))
    run_month(SMALL_MONTH, settings, progress=lambda _m: None)
    return settings


def copy_data(settings, dest: Path, **env):
    """Settings for a copy of ``settings``' data folder under ``dest`` (the same landing folder)."""
    shutil.copytree(settings.data_dir, dest / "data", symlinks=True)
    return settings_for(dest / "data", settings.landing_dir, **env)


@pytest.fixture(scope="session")
def published_default(tmp_path_factory):
    """The default sample through the whole pipeline for 2026-09 (once per session)."""
    from workforce.pipeline import run_month
    from workforce.sample import SampleConfig, generate_sample

    base = tmp_path_factory.mktemp("default")
    landing = base / "landing"
    generate_sample(landing, SampleConfig())
    settings = settings_for(base / "data", landing, WORKFORCE_HISTORY_MONTHS="96")
    summary = run_month(DEFAULT_MONTH, settings, progress=lambda _m: None)
    return settings, summary


#: Session fixtures too costly to build on both xdist workers: the tests using one run on one worker.
ONE_WORKER_FIXTURES = ("published_default",)


#: The longest test files (minutes each): started first, so that on two workers the rest runs
#: beside them instead of after them.
LONGEST_FIRST = ("tests/scheduler/", "tests/pipeline/test_month_isolation.py")


# tryfirst: xdist's own hook reads the xdist_group marks to place each test, so they must be set
# before it runs (without it every test was placed alone and module fixtures built on both workers).
@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items):
    # The longest files first, then quick tests, then the other slow end-to-end tests, so quick
    # failures show early and the two workers finish together.
    items.sort(key=lambda item: (not item.nodeid.startswith(LONGEST_FIRST),
                                 item.get_closest_marker("slow") is not None))
    # `make test` runs the slow half with --dist loadgroup: a test file to a worker (its module
    # fixtures built once), except that every test using a costly session fixture goes to the
    # same worker, so that fixture is built once, not once per worker.
    for item in items:
        shared = next((f for f in ONE_WORKER_FIXTURES if f in getattr(item, "fixturenames", ())), None)
        item.add_marker(pytest.mark.xdist_group(shared or item.nodeid.split("::", 1)[0]))


@pytest.fixture
def dfe_indicators_path() -> Path:
    path = SHARED / "data" / "dfe" / "csww_indicators_2017_to_2025.csv"
    if not path.exists():
        pytest.fail(f"DfE indicators file missing at {path} (shared/ must sit beside the repo)")
    return path


def copy_tree(src: Path, dst: Path) -> Path:
    shutil.copytree(src, dst)
    return dst


def subprocess_env(settings, **extra) -> dict[str, str]:
    """The environment for a ``workforce`` process of its own on ``settings``' folders."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("WORKFORCE_")}
    env.update(WORKFORCE_DATA_DIR=str(settings.data_dir), WORKFORCE_LANDING_DIR=str(settings.landing_dir),
               WORKFORCE_HISTORY_MONTHS="36", WORKFORCE_TREND_MONTHS="1", PYTHONPATH=str(ROOT / "include"), **extra)
    return env


#: Run one pipeline step in a process of its own on each data folder given; with ``KILL_AT=n`` it
#: kills itself with SIGKILL (no ``finally`` runs) at the n-th event whose label contains
#: ``KILL_MATCH``. An event is logged before and after each watched call: renames and swaps,
#: fsyncs, copies and removals, the publisher's CSV writes, audit record and BI file statements,
#: extract's file loads, the start of a subprocess (dbt). Prints the events when it completes.
KILL_RUNNER = r"""
import json, os, shutil, signal, subprocess, sys
import duckdb
from workforce import files, pipeline
from workforce.config import load_settings
from workforce.ingest import extract
from workforce.publish import publisher
from workforce.release import audit

kill_at, match = int(os.environ.get("KILL_AT", "0")), os.environ.get("KILL_MATCH", "")
events, matching = [], [0]


def event(label):
    events.append(label)
    if match in label:
        matching[0] += 1
        if matching[0] == kill_at:
            os.kill(os.getpid(), signal.SIGKILL)


def watch(owner, name, label):
    original = getattr(owner, name, None)
    if original is None:  # not in this version of the code
        return

    def wrapper(*args, **kwargs):
        event("before " + label)
        result = original(*args, **kwargs)
        event("after " + label)
        return result

    setattr(owner, name, wrapper)


for owner, name, label in [
    (os, "replace", "os.replace"), (os, "rename", "os.rename"), (os, "fsync", "os.fsync"),
    (shutil, "copyfile", "shutil.copyfile"), (shutil, "rmtree", "shutil.rmtree"), (files, "exchange", "exchange"),
    (publisher, "_write_csv", "write csv"), (audit, "finalise", "audit.finalise"),
    (audit, "add_audit_log", "audit_log"), (extract, "_load_file", "extract._load_file"),
]:
    watch(owner, name, label)


class Popen(subprocess.Popen):
    def __init__(self, *args, **kwargs):
        event("before Popen")
        super().__init__(*args, **kwargs)
        event("after Popen")


subprocess.Popen = Popen


class Connection:  # the BI file's build: one event before and after each statement
    def __init__(self, con):
        self._con = con

    def execute(self, sql, *args, **kwargs):
        label = "duckdb " + " ".join(str(sql).split()[:3])
        event("before " + label)
        result = self._con.execute(sql, *args, **kwargs)
        event("after " + label)
        return result

    def __getattr__(self, name):
        return getattr(self._con, name)


class DuckDB:
    def __getattr__(self, name):
        return getattr(duckdb, name)

    @staticmethod
    def connect(*args, **kwargs):
        return Connection(duckdb.connect(*args, **kwargs))


publisher.duckdb = DuckDB()
step, month = sys.argv[1], sys.argv[2]
force = {"force": True} if os.environ.get("KILL_FORCE") == "1" else {}
for data in sys.argv[3:]:
    os.environ["WORKFORCE_DATA_DIR"] = data
    getattr(pipeline, "step_" + step)(month, load_settings(), lambda _m: None, **force)
print(json.dumps(events))
"""


def run_step(settings, step: str, *more, kill_at: int = 0, match: str = "", force: bool = False,
             month: str = SMALL_MONTH) -> subprocess.CompletedProcess:
    """``KILL_RUNNER`` for ``step`` on ``settings``' data folder (then on each of ``more``'s)."""
    data = [str(settings.data_dir), *(str(s.data_dir) for s in more)]
    env = subprocess_env(settings, KILL_AT=str(kill_at), KILL_MATCH=match, KILL_FORCE="1" if force else "0")
    return subprocess.run([sys.executable, "-c", KILL_RUNNER, step, month, *data], env=env, cwd=ROOT,
                          capture_output=True, text=True, timeout=900)
