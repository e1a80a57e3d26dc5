"""Shared fixtures: settings pointed at temporary folders, and sample exports.

The full default sample (about 350 LA workers, 8 years, 12 monthly extracts) runs through the
whole pipeline once per session (`published_default`); tests needing a pipeline of their own
use a small sample, copied from a session cache.
"""

from __future__ import annotations

import os
import shutil
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
        WORKFORCE_DATA_DIR=str(data_dir), WORKFORCE_LANDING_DIR=str(landing), WORKFORCE_HISTORY_MONTHS="36"
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


def pytest_collection_modifyitems(items):
    # Slow end-to-end tests last, so quick failures show first.
    items.sort(key=lambda item: item.get_closest_marker("slow") is not None)


@pytest.fixture
def dfe_indicators_path() -> Path:
    path = SHARED / "data" / "dfe" / "csww_indicators_2017_to_2025.csv"
    if not path.exists():
        pytest.fail(f"DfE indicators file missing at {path} (shared/ must sit beside the repo)")
    return path


def copy_tree(src: Path, dst: Path) -> Path:
    shutil.copytree(src, dst)
    return dst
