"""A step killed outright (SIGKILL: no ``finally``, no cleanup) in extract, transform or validate,
then rerun in a fresh process, leaves exactly what an uninterrupted run leaves: the same files
(no temporary leftovers anywhere in the data folder), the same rows, the same published tables.
A transform killed while dbt runs takes dbt with it, so nothing goes on writing the warehouse.

Publish's kills, and what a reader of the month's folder sees meanwhile, are in
``tests/publish/test_publish_as_one_unit.py``; crashes that raise (so ``finally`` runs) in
``test_crash_recovery.py``.
"""

from __future__ import annotations

import hashlib
import json
import time
from pathlib import Path

import duckdb
import pytest
from conftest import SMALL_MONTH, copy_data, run_step, settings_for
from workforce import files

pytestmark = pytest.mark.slow
#: Not the pipeline's data: dbt's own logs and target, the lock notes, DuckDB's spill folder (empty).
NOT_DATA = ("dbt", "locks")
VOLATILE = ("run_id", "validated_at", "published_at")
BUILT_BY_VOLATILE = ("dbt_invocation_id", "dbt_generated_at", "captured_at")


def _names(settings) -> list[str]:
    """Every file and folder name in the data folder (hidden ones too), but dbt's and the locks'."""
    root = settings.data_dir
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*")
                  if p.relative_to(root).parts[0] not in NOT_DATA)


def _leftovers(settings) -> list[str]:
    return [n for n in _names(settings) if any(files.is_temp_name(part) for part in Path(n).parts)]


def _published(settings) -> dict:
    """The published month: CSV and Parquet bytes, the audit record but what names each run, BI rows."""
    folder = settings.published_month_dir(SMALL_MONTH)
    out: dict = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())
                 if p.suffix in (".csv", ".parquet")}
    record = json.loads((folder / "audit.json").read_text(encoding="utf-8"))
    record["built_by"] = {k: v for k, v in record["built_by"].items() if k not in BUILT_BY_VOLATILE}
    out["audit"] = {k: v for k, v in record.items() if k not in VOLATILE}
    con = duckdb.connect(str(settings.published_warehouse_path), read_only=True)
    try:
        for (table,) in con.execute("select table_name from information_schema.tables order by 1").fetchall():
            volatile = f" exclude ({', '.join(VOLATILE)})" if table == "audit_log" else ""
            out[f"bi.{table}"] = con.execute(f'select *{volatile} from "{table}" order by all').fetchall()
    finally:
        con.close()
    return out


def _staged(settings) -> dict[str, str]:
    folder = settings.data_dir / "staged" / SMALL_MONTH
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.glob("*.parquet"))}


def _warehouse_raw(settings) -> dict:
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
        manifest = con.execute("select * exclude (loaded_at) from raw.load_manifest order by all").fetchall()
        tables = [t for (t,) in con.execute(
            "select table_name from information_schema.tables where table_schema = 'raw' order by 1").fetchall()]
        rows = {t: con.execute(f'select count(*) from raw."{t}"').fetchone() for t in tables}
    return {"manifest": manifest, "rows": rows}


def _points(events: list[str], match: str, count: int) -> list[int]:
    """``count`` kill points spread over the events matching ``match`` (1-based among those)."""
    n = sum(match in e for e in events)
    assert n >= count, (match, n)
    return sorted({1 + round(i * (n - 1) / (count - 1)) for i in range(count)}) if count > 1 else [1]


def _killed(settings, step: str, **kwargs) -> None:
    done = run_step(settings, step, **kwargs)
    assert done.returncode == -9, (step, kwargs, done.stderr[-3000:])


def test_extract_killed_mid_load_or_after_commit_then_rerun_loads_what_one_extract_loads(small_landing_cache,
                                                                                         tmp_path):
    reference = settings_for(tmp_path / "reference" / "data", small_landing_cache)
    done = run_step(reference, "extract")
    assert done.returncode == 0, done.stderr
    events = json.loads(done.stdout.strip().splitlines()[-1])
    loads = sum("after extract._load_file" in e for e in events)
    cases = [("after extract._load_file", loads // 2), ("before os.replace", 1)]  # mid-transaction; after COMMIT
    for match, n in cases:
        copy = settings_for(tmp_path / f"{match}-{n}" / "data", small_landing_cache)
        _killed(copy, "extract", kill_at=n, match=match)
        assert run_step(copy, "extract").returncode == 0
        assert _names(copy) == _names(reference), (match, n)
        assert _warehouse_raw(copy) == _warehouse_raw(reference), (match, n)


def _dbt_processes(settings) -> list[int]:
    """dbt processes working on this data folder (their command line names its target folder)."""
    found = []
    for proc in Path("/proc").iterdir():
        if proc.name.isdigit():
            try:
                cmdline = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode("utf-8", "replace")
            except OSError:
                continue
            if str(settings.dbt_target_dir) in cmdline:
                found.append(int(proc.name))
    return found


def test_transform_killed_while_dbt_runs_takes_dbt_with_it(small_published, tmp_path):
    copy = copy_data(small_published, tmp_path / "dbt")
    before = _names(copy)
    _killed(copy, "transform", kill_at=1, match="after Popen", force=True)
    results = copy.dbt_target_dir / "run_results.json"  # removed before dbt starts, written when it completes
    deadline = time.monotonic() + 600  # only against a hang: dbt is done (gone, or finished) long before
    while _dbt_processes(copy) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert _dbt_processes(copy) == []
    assert not results.exists(), "dbt outlived the step that started it and completed its build"
    rerun = run_step(copy, "transform")  # nothing new: keeps the month's capture, which the kill left whole
    assert rerun.returncode == 0, rerun.stderr
    assert _names(copy) == before


def test_transform_killed_while_its_capture_is_swapped_in_then_rerun_leaves_no_leftover(small_published,
                                                                                         tmp_path):
    copy = copy_data(small_published, tmp_path / "capture")
    before = _names(copy)
    _killed(copy, "transform", kill_at=1, match="after exchange", force=True)  # the old capture not yet removed
    assert _leftovers(copy), "the kill was meant to leave the replaced capture behind"
    assert run_step(copy, "transform").returncode == 0
    assert _names(copy) == before and _leftovers(copy) == []


def test_validate_killed_at_any_write_then_rerun_leaves_what_an_uninterrupted_run_leaves(small_published,
                                                                                          tmp_path):
    reference = copy_data(small_published, tmp_path / "reference")
    done = run_step(reference, "validate", force=True)
    assert done.returncode == 0, done.stderr
    events = json.loads(done.stdout.strip().splitlines()[-1])
    assert run_step(reference, "publish").returncode == 0
    expected = (_names(reference), _staged(reference), _published(reference))
    killed = []
    for match, n in [("before os.replace", p) for p in _points(events, "before os.replace", 4)] + [
            ("after exchange", 1)]:
        if not any(match in e for e in events):
            continue
        copy = copy_data(small_published, tmp_path / f"{match}-{n}")
        published = _published(copy)
        _killed(copy, "validate", kill_at=n, match=match, force=True)
        assert _published(copy) == published  # publish has not run: nothing published changed
        killed.append(copy)
    assert len(killed) >= 4
    for copy in killed:  # the rerun, in a fresh process: validate, then publish
        assert run_step(copy, "validate").returncode == 0
        assert run_step(copy, "publish").returncode == 0
        assert (_names(copy), _staged(copy), _published(copy)) == expected
