"""Months cannot mix, however the steps of several months are interleaved, retried or rerun.

The exports record leavers late, as HR systems do: people who left in the spring are still in post
in the July extract and only appear as leavers in the August and September extracts. So July
computed from August's files differs from July computed from its own, and a step that read
another month's state would publish different July figures. The test runs each month alone, then
all three with their steps interleaved the way a backfill under a real scheduler ran them (all
extracts, then all transforms, all validates, all publishes), then July again after the others,
and compares every published file.
"""

from __future__ import annotations

import csv
import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest
from conftest import settings_for
from workforce import pipeline
from workforce.ingest.extract import ExtractError
from workforce.sample import SampleConfig, generate_sample

MONTHS = ("2025-07", "2025-08", "2025-09")
LATE_FROM, LATE_TO = "2025-04-01", "2025-07-31"  # leavers the July extract does not know about yet


def record_leavers_late(landing: Path, extract: str = "hr_workers_2025-07-31.csv") -> int:
    """Blank the leaving of recent leavers in one extract (their last spell stays open)."""
    path = landing / "hr_workers" / extract
    with path.open(newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        fields, rows = reader.fieldnames, list(reader)
    last_start: dict[str, str] = {}
    for r in rows:
        last_start[r["employee_id"]] = max(last_start.get(r["employee_id"], ""), r["spell_start_date"])
    changed = 0
    for r in rows:
        if LATE_FROM <= r["leaving_date"] <= LATE_TO and r["spell_start_date"] == last_start[r["employee_id"]]:
            for column in ("leaving_date", "spell_end_date", "leaving_reason", "leaver_destination"):
                r[column] = ""
            changed += 1
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=fields, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    return changed


@pytest.fixture(scope="module")
def late_leavers_landing(tmp_path_factory) -> Path:
    landing = tmp_path_factory.mktemp("late") / "landing"
    generate_sample(landing, SampleConfig(
        seed=11, end_month=MONTHS[-1], history_years=2, la_workers=70, agency_workers=15, extracts=3
    ))
    assert record_leavers_late(landing) >= 3
    return landing


def _published(settings, month: str) -> dict[str, str]:
    """Every published file of the month (CSV bytes; Parquet rows), as digests."""
    out = {}
    folder = settings.published_month_dir(month)
    con = duckdb.connect()
    for path in sorted(folder.iterdir()):
        if path.suffix == ".csv":
            out[path.name] = hashlib.sha256(path.read_bytes()).hexdigest()
        elif path.suffix == ".parquet":
            rows = con.execute(f"SELECT * FROM read_parquet('{path}')").fetchall()
            out[path.name] = hashlib.sha256(repr(rows).encode()).hexdigest()
    return out


def _settings(base: Path, landing: Path):
    return settings_for(base / "data", landing, WORKFORCE_HISTORY_MONTHS="24")


def _alone(base: Path, landing: Path, month: str) -> subprocess.Popen:
    """``workforce run --month M`` on a data dir of its own, in the background."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("WORKFORCE_")}
    env.update(WORKFORCE_DATA_DIR=str(base / "data"), WORKFORCE_LANDING_DIR=str(landing),
               WORKFORCE_HISTORY_MONTHS="24", WORKFORCE_TREND_MONTHS="1")
    base.mkdir(parents=True)
    log = (base / "run.log").open("w")
    return subprocess.Popen([sys.executable, "-m", "workforce.cli", "run", "--month", month],
                            env=env, stdout=log, stderr=subprocess.STDOUT)


@pytest.mark.slow
def test_interleaved_and_rerun_months_publish_what_each_month_publishes_alone(tmp_path, late_leavers_landing):
    quiet = lambda _m: None  # noqa: E731
    # Each month alone, on a data dir of its own (in the background, while the interleaving runs).
    alone_runs = {month: _alone(tmp_path / f"alone-{month}", late_leavers_landing, month) for month in MONTHS}

    shared = _settings(tmp_path / "interleaved", late_leavers_landing)
    for step in (pipeline.step_extract, pipeline.step_transform, pipeline.step_validate, pipeline.step_publish):
        for month in MONTHS:
            step(month, shared, quiet)
    # The scenario matters: the live marts (built last for September, from its extract) hold a
    # different July than July's own run published.
    with duckdb.connect(str(shared.warehouse_path), read_only=True) as con:
        live = con.execute(
            "SELECT leavers_headcount FROM marts.scrutiny_workforce_monthly "
            "WHERE month_end = DATE '2025-07-31' AND service_area = 'All'"
        ).fetchone()[0]
    with duckdb.connect() as con:
        published_july = con.execute(
            "SELECT leavers_headcount FROM read_csv(?) WHERE service_area = 'All'",
            [str(shared.published_month_dir("2025-07") / "scrutiny_workforce_monthly.csv")],
        ).fetchone()[0]
    assert live != published_july, "the late leavers should change July's figures"

    alone = {}
    for month, proc in alone_runs.items():
        base = tmp_path / f"alone-{month}"
        assert proc.wait(timeout=900) == 0, (base / "run.log").read_text()[-3000:]
        alone[month] = _published(_settings(base, late_leavers_landing), month)
    for month in MONTHS:
        assert _published(shared, month) == alone[month], f"{month} differs when interleaved"

    pipeline.run_month(MONTHS[0], shared, quiet)  # July again, after August and September
    assert _published(shared, MONTHS[0]) == alone[MONTHS[0]]
    with duckdb.connect(str(shared.published_warehouse_path), read_only=True) as bi:
        months = [r[0] for r in bi.execute("SELECT month FROM published_months ORDER BY month").fetchall()]
    assert months == list(MONTHS)


@pytest.mark.pipeline
def test_a_month_with_no_extract_of_its_own_publishes_nothing(tmp_path, late_leavers_landing):
    """October's run finds only September's files: it stops at extract, naming each required export."""
    settings = _settings(tmp_path, late_leavers_landing)
    with pytest.raises(ExtractError) as err:
        pipeline.run_month("2025-10", settings, lambda _m: None)
    message = str(err.value)
    for export in ("hr_workers", "hr_establishment", "agency_assignments", "ssd_professionals", "ssd_involvements"):
        assert f"required export '{export}' has no extract for the month ending 2025-10-31" in message
    assert "newest extract found is dated 2025-09-30" in message
    assert not settings.published_dir.exists() or not any(settings.published_dir.iterdir())


@pytest.mark.pipeline
def test_validate_never_reads_another_months_marts(tmp_path, late_leavers_landing):
    """Without its own transform, a month cannot be validated from whatever the marts hold."""
    landing = shutil.copytree(late_leavers_landing, tmp_path / "landing")
    settings = _settings(tmp_path, landing)
    pipeline.step_extract("2025-08", settings, lambda _m: None)
    with pytest.raises(Exception, match="no capture of 2025-08"):
        pipeline.step_validate("2025-08", settings, lambda _m: None)
    assert not (settings.published_dir / "2025-08").exists()
