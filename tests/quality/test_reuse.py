"""Result reuse: a suite over exactly the same data is not run again, and the results say so.

The same files (SHA-256 and load in ``raw.load_manifest``) or the same frame, the same suite,
code and libraries: reused, marked with the run and time it was validated. Anything different:
validated again. Stored entries appear only once a run has recorded its results.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import asdict
from datetime import datetime

import duckdb
import numpy as np
import pandas as pd
import pytest
from test_quality import EXPECTATIONS, MONTH_END, ROWS, build_warehouse, published_frame, raw_frame
from workforce.quality import data_docs, reuse, runner, suites

EXPORTS = ("hr_workers", "ssd_involvements")


def _manifest(path, sha: dict[str, str], loaded_at: str = "2026-10-01 06:00:00") -> None:
    con = duckdb.connect(str(path))
    con.execute(
        "create or replace table raw.load_manifest (source_file varchar, export_name varchar, extract_date date, "
        "sha256 varchar, row_count bigint, loaded_at timestamp, rows_read bigint, rows_loaded bigint, "
        "rows_quarantined bigint)"
    )
    con.execute("create or replace table raw.quarantine (export_name varchar, extract_date date, source_file varchar, "
                "row_number bigint, rule varchar, column_name varchar, source_column varchar)")
    for export in EXPORTS:
        n = ROWS[export]
        con.execute("insert into raw.load_manifest values (?, ?, ?, ?, ?, ?, ?, ?, 0)",
                    [f"landing/{export}/{export}_{MONTH_END:%Y-%m-%d}.csv", export, MONTH_END, sha[export], n,
                     loaded_at, n, n])
    con.close()


@pytest.fixture
def warehouse(tmp_path):
    path = build_warehouse(tmp_path / "workforce.duckdb", {e: [raw_frame(e, ROWS[e])] for e in EXPORTS})
    _manifest(path, {e: f"{e}-sha" for e in EXPORTS})
    return path


def _run(warehouse, store, expectations=EXPECTATIONS):
    """The results of the two exports in the warehouse (the others have no extract: reported only)."""
    serving = {e: MONTH_END.isoformat() for e in EXPORTS}
    results = runner.validate_raw_exports(warehouse, MONTH_END, expectations, 5.0, serving=serving, store=store)
    return [r for r in results if r.suite in {suites.raw_suite_name(e) for e in EXPORTS}]


def _outcome(results) -> list[dict]:
    return [
        {"suite": r.suite, "data": r.data_name, "success": r.success,
         "checks": [{k: v for k, v in asdict(c).items() if k not in ("validated_at", "reused_from_run")}
                    for c in r.results]}
        for r in results
    ]


def _no_gx(monkeypatch):
    def refuse(*_a, **_k):
        raise AssertionError("GX ran although every result could be reused")

    monkeypatch.setattr(runner, "_batch_definition", refuse)


@pytest.mark.pipeline
def test_a_rerun_over_the_same_extracts_reuses_their_results_and_says_so(tmp_path, warehouse, monkeypatch):
    root = tmp_path / "reuse"
    first_store = reuse.ResultStore(root, "run-1")
    first = _run(warehouse, first_store)
    assert all(r.reuse_key and r.reused_from_run is None for r in first)
    assert reuse.ResultStore(root, "run-x").reuse(first[0].suite, first[0].reuse_key, "d") is None  # not yet kept
    first_store.commit()

    _no_gx(monkeypatch)
    second = _run(warehouse, reuse.ResultStore(root, "run-2"))
    assert _outcome(second) == _outcome(first)
    for before, after in zip(first, second, strict=True):
        assert after.reused_from_run == "run-1" and after.reuse_key == before.reuse_key
        for b, a in zip(before.results, after.results, strict=True):
            if a.expectation in runner.ALWAYS_COMPUTED:  # computed every run
                assert a.reused_from_run is None and a.validated_at >= b.validated_at
            else:
                assert a.reused_from_run == "run-1" and a.validated_at == b.validated_at
    datetime.strptime(second[0].results[0].validated_at, "%Y-%m-%dT%H:%M:%S.%fZ")


@pytest.mark.pipeline
def test_a_changed_file_load_or_suite_is_validated_again(tmp_path, warehouse):
    root = tmp_path / "reuse"
    store = reuse.ResultStore(root, "run-1")
    _run(warehouse, store)
    store.commit()

    _manifest(warehouse, {"hr_workers": "another-sha", "ssd_involvements": "ssd_involvements-sha"})
    again = {r.suite: r.reused_from_run for r in _run(warehouse, reuse.ResultStore(root, "run-2"))}
    assert again == {"raw_hr_workers": None, "raw_ssd_involvements": "run-1"}

    _manifest(warehouse, {e: f"{e}-sha" for e in EXPORTS}, loaded_at="2026-10-02 06:00:00")  # loaded again
    store = reuse.ResultStore(root, "run-3")
    assert {r.reused_from_run for r in _run(warehouse, store)} == {None}
    store.commit()

    changed = tmp_path / "expectations"
    shutil.copytree(EXPECTATIONS, changed)
    path = changed / "raw_hr_workers.json"
    suite = json.loads(path.read_text())
    suite["expectations"][0]["meta"]["description"] += " (reworded)"
    path.write_text(json.dumps(suite))
    store = reuse.ResultStore(root, "run-4")
    by_suite = {r.suite: r for r in _run(warehouse, store, changed)}
    assert by_suite["raw_hr_workers"].reused_from_run is None
    assert by_suite["raw_ssd_involvements"].reused_from_run == "run-3"
    assert "(reworded)" in by_suite["raw_hr_workers"].results[0].description


@pytest.mark.pipeline
def test_rows_changed_in_place_are_validated_again(tmp_path, warehouse):
    root = tmp_path / "reuse"
    store = reuse.ResultStore(root, "run-1")
    _run(warehouse, store)
    store.commit()
    with duckdb.connect(str(warehouse)) as con:  # same files in the manifest, one value changed
        con.execute("update raw.hr_workers set fte = 0.75 where _row_number = 1")
    again = {r.suite: r.reused_from_run for r in _run(warehouse, reuse.ResultStore(root, "run-2"))}
    assert again == {"raw_hr_workers": None, "raw_ssd_involvements": "run-1"}


@pytest.mark.pipeline
def test_a_frame_is_reused_only_with_exactly_the_same_content(tmp_path, monkeypatch):
    root = tmp_path / "reuse"
    df = published_frame(months=2)
    store = reuse.ResultStore(root, "run-1")
    first = runner.validate_published(df, EXPECTATIONS, store=store)
    store.commit()
    changed = df.copy()
    changed.loc[0, "caseload_fte"] = 75.0
    fresh = runner.validate_published(changed, EXPECTATIONS, store=reuse.ResultStore(root, "run-2"))
    assert fresh.reused_from_run is None and not fresh.success

    _no_gx(monkeypatch)
    again = runner.validate_published(df.copy(), EXPECTATIONS, store=reuse.ResultStore(root, "run-3"))
    assert again.reused_from_run == "run-1" and _outcome([again]) == _outcome([first])
    assert isinstance(again.gx_result, dict) and again.gx_result["suite_name"] == suites.PUBLISHED_SUITE


def test_the_frame_digest_tells_apart_what_gx_could():
    base = pd.DataFrame({"a": [1.0, 2.0], "s": pd.Series(["x", None], dtype=object)})
    same = pd.DataFrame({"a": [1.0, 2.0], "s": pd.Series(["x", None], dtype=object)})
    variants = [
        base.assign(a=[1.0, 2.5]),
        base.assign(s=pd.Series(["x", np.nan], dtype=object)),
        base.assign(s=pd.Series(["x", "None"], dtype=object)),
        base.assign(s=pd.Series([1, None], dtype=object)),
        base.assign(a=[1, 2]),
        base.rename(columns={"a": "b"}),
        base[["s", "a"]],
        base.iloc[::-1].reset_index(drop=True),
    ]
    assert reuse.frame_digest(base) == reuse.frame_digest(same)
    digests = {reuse.frame_digest(v) for v in variants}
    assert len(digests) == len(variants) and reuse.frame_digest(base) not in digests


@pytest.mark.pipeline
def test_a_damaged_entry_is_validated_again_and_old_entries_are_pruned(tmp_path, monkeypatch):
    root = tmp_path / "reuse"
    df = published_frame(months=1)
    store = reuse.ResultStore(root, "run-1")
    first = runner.validate_published(df, EXPECTATIONS, store=store)
    (entry,) = store.commit()
    entry.write_text("{not json")
    again = runner.validate_published(df, EXPECTATIONS, store=reuse.ResultStore(root, "run-2"))
    assert again.reused_from_run is None and _outcome([again]) == _outcome([first])

    monkeypatch.setattr(reuse, "KEEP", 2)
    for months in (2, 3, 4):
        store = reuse.ResultStore(root, f"run-{months}")
        runner.validate_published(published_frame(months=months), EXPECTATIONS, store=store)
        store.commit()
    assert len(list((root / suites.PUBLISHED_SUITE).glob("*.json"))) == 2


@pytest.mark.pipeline
def test_data_docs_are_kept_when_every_result_is_reused_and_already_shown(tmp_path, monkeypatch):
    root, docs = tmp_path / "reuse", tmp_path / "data_docs"
    df = published_frame(months=1)
    store = reuse.ResultStore(root, "run-1")
    first = [runner.validate_published(df, EXPECTATIONS, store=store)]
    store.commit()
    index = data_docs.build_data_docs(first, docs, "run-1")
    assert index is not None and index.is_file()
    record = json.loads((docs / data_docs.SITE_RECORD).read_text())
    assert record["run_id"] == "run-1"

    reused = [runner.validate_published(df, EXPECTATIONS, store=reuse.ResultStore(root, "run-2"))]
    built = index.stat().st_mtime_ns
    assert data_docs.build_data_docs(reused, docs, "run-2") == index
    assert index.stat().st_mtime_ns == built  # kept as it is
    assert json.loads((docs / data_docs.SITE_RECORD).read_text())["run_id"] == "run-1"

    other = published_frame(months=2)  # a result not shown yet: rebuilt, with reused JSON results too
    store = reuse.ResultStore(root, "run-3")
    mixed = reused + [runner.validate_published(other, EXPECTATIONS, "other", store=store)]
    assert data_docs.build_data_docs(mixed, docs, "run-3") == docs / "index.html"
    assert json.loads((docs / data_docs.SITE_RECORD).read_text())["run_id"] == "run-3"
    pages = list((docs / "validations" / suites.PUBLISHED_SUITE).rglob("*.html"))
    assert len(pages) == 2
