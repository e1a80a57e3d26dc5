"""The release stage on its own: what it stages (typed as in the warehouse), what it leaves for
publish, and a publish that works without the warehouse."""

from __future__ import annotations

import hashlib
import json
import re

import duckdb
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from conftest import SMALL_MONTH
from workforce import frames, pipeline
from workforce.months import ReportingMonth
from workforce.publish.publisher import PublishError
from workforce.quality import runner
from workforce.release import stage
from workforce.spec.catalogue import mart_tables, published_tables

#: One value of each supported warehouse type, as SQL.
SAMPLES = {
    "BOOLEAN": "true",
    "TINYINT": "7",
    "SMALLINT": "300",
    "INTEGER": "70000",
    "BIGINT": "5000000000",
    "FLOAT": "1.5",
    "DOUBLE": "22.9",
    "VARCHAR": "'878'",
    "DATE": "DATE '2026-09-30'",
    "TIMESTAMP": "TIMESTAMP '2026-09-30 10:15:00'",
}


def _duckdb_types(con, sql: str) -> dict[str, str]:
    return {row[0]: row[1] for row in con.execute(f"DESCRIBE {sql}").fetchall()}


def test_every_supported_type_survives_staging_even_when_all_null(tmp_path):
    """Rows as the stage reads them (DuckDB -> pandas), staged with the schema built from the
    mart's types, read back by DuckDB with the same types; an all-NULL column too (pandas holds
    it as object None, which Parquet without a schema would type as NULL)."""
    assert set(SAMPLES) == set(frames.ARROW_TYPES)
    con = duckdb.connect()
    columns = {f"c{i}": t for i, t in enumerate(SAMPLES)} | {f"n{i}": t for i, t in enumerate(SAMPLES)}
    con.execute(f"CREATE TABLE mart ({', '.join(f'{c} {t}' for c, t in columns.items())})")
    con.execute(f"INSERT INTO mart VALUES ({', '.join([*SAMPLES.values()] + ['NULL'] * len(SAMPLES))})")
    con.execute(f"INSERT INTO mart VALUES ({', '.join(['NULL'] * len(columns))})")
    types = dict(con.execute(
        "SELECT column_name, data_type FROM information_schema.columns WHERE table_name = 'mart' "
        "ORDER BY ordinal_position"
    ).fetchall())
    frame = con.execute("SELECT * FROM mart").df()
    path = tmp_path / "t.parquet"
    pq.write_table(pa.Table.from_pandas(frame, schema=frames.arrow_schema(types), preserve_index=False), path)
    assert stage.staged_column_types(path) == types
    assert _duckdb_types(con, f"SELECT * FROM read_parquet('{path}')") == types
    assert con.execute(f"SELECT * FROM read_parquet('{path}') EXCEPT ALL SELECT * FROM mart").fetchall() == []


def test_unsupported_or_unrecorded_types_are_refused(tmp_path):
    for unsupported in ("INTERVAL", "DECIMAL(18,3)", "STRUCT(a INTEGER)"):
        with pytest.raises(frames.FrameTypeError, match=re.escape(f"column x has warehouse type {unsupported},")):
            frames.arrow_schema({"x": unsupported})
    path = tmp_path / "old.parquet"
    pd.DataFrame({"a": [1]}).to_parquet(path, index=False)  # staged by an earlier version: no types
    with pytest.raises(frames.FrameTypeError, match=r"no warehouse type recorded for column\(s\) \['a'\]"):
        stage.staged_column_types(path)


@pytest.mark.slow
def test_release_stages_typed_rows_and_publish_needs_no_warehouse(small_settings):
    month = ReportingMonth.parse(SMALL_MONTH)
    say = lambda _m: None  # noqa: E731
    pipeline.step_extract(SMALL_MONTH, small_settings, say)
    pipeline.step_transform(SMALL_MONTH, small_settings, say)
    with pytest.raises(PublishError, match="run the validate step first"):
        pipeline.step_publish(SMALL_MONTH, small_settings, say)

    report = stage.release_month(month, small_settings, say)
    assert report.month == month and report.run_id.startswith(SMALL_MONTH)
    assert report.suites >= len(published_tables()) and report.checks > 100
    assert json.loads(json.dumps(report.to_dict()))["staged"] == [str(p) for p in report.staged]
    assert sorted(report.staged) == sorted(stage.staged_path(small_settings, month, t.name) for t in published_tables())
    assert not small_settings.published_month_dir(SMALL_MONTH).exists()  # staged, not published
    draft = json.loads(stage.staged_audit_path(small_settings, month).read_text(encoding="utf-8"))
    assert draft["status"] == "validated" and draft["run_id"] == report.run_id
    assert draft["month_end"] == "2025-09-30" and draft["reporting_month"] == SMALL_MONTH
    results = json.loads((report.results_dir / "validation_results.json").read_text(encoding="utf-8"))
    assert len(results) == report.checks and report.data_docs and report.data_docs.is_file()

    # Validated again with nothing new: every suite's results are reused (same files, same rows),
    # GX does not run, the results name the run that validated them, and the same rows are staged.
    staged_before = {p: p.read_bytes() for p in report.staged}
    docs_built = report.data_docs.stat().st_mtime_ns

    def no_gx():
        raise AssertionError("GX ran although nothing changed")

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(runner, "_batch_definition", no_gx)
        again = stage.release_month(month, small_settings, say)
    rerun = json.loads((again.results_dir / "validation_results.json").read_text(encoding="utf-8"))
    markers = ("run_id", "validated_at", "reused_from_run")
    assert [{k: v for k, v in r.items() if k not in markers} for r in rerun] == [
        {k: v for k, v in r.items() if k not in markers} for r in results
    ]
    reused = {r["reused_from_run"] for r in rerun if r["expectation"] not in runner.ALWAYS_COMPUTED}
    assert reused == {report.run_id} and again.run_id != report.run_id
    assert {p: p.read_bytes() for p in again.staged} == staged_before
    assert again.data_docs == report.data_docs and report.data_docs.stat().st_mtime_ns == docs_built
    with duckdb.connect(str(small_settings.warehouse_path), read_only=True) as con:
        recorded = con.execute("SELECT suite FROM quality.validation_reuse WHERE run_id = ? AND reused_from_run = ?",
                               [again.run_id, report.run_id]).fetchall()
    assert sorted(s for (s,) in recorded) == sorted({r["suite"] for r in rerun if r["reused_from_run"]})
    assert len(recorded) >= len(published_tables())

    con = duckdb.connect(str(small_settings.warehouse_path), read_only=True)
    try:
        for table in mart_tables():  # the revisions table is the release stage's, typed by the catalogue
            mart = dict(con.execute(
                "SELECT column_name, data_type FROM information_schema.columns WHERE table_schema = 'marts' "
                "AND table_name = ?", [table.name]
            ).fetchall())
            staged = stage.staged_column_types(stage.staged_path(small_settings, month, table.name))
            assert staged == {c: mart[c] for c in staged}, table.name
    finally:
        con.close()

    # Publish swaps in what was staged: the same Parquet bytes, and no warehouse needed.
    parked = small_settings.warehouse_path.with_name("parked.duckdb")
    small_settings.warehouse_path.rename(parked)
    try:
        published = pipeline.step_publish(SMALL_MONTH, small_settings, say)
    finally:
        parked.rename(small_settings.warehouse_path)
    assert published.month == month and published.rows > 0
    for table in published_tables():
        staged = stage.staged_path(small_settings, month, table.name).read_bytes()
        out = (small_settings.published_month_dir(SMALL_MONTH) / f"{table.name}.parquet").read_bytes()
        assert hashlib.sha256(out).digest() == hashlib.sha256(staged).digest(), table.name

    # A staged file without recorded types (an earlier version's) is refused before any swap.
    before = {p.name: p.read_bytes() for p in small_settings.published_month_dir(SMALL_MONTH).iterdir()}
    untyped = stage.staged_path(small_settings, month)
    pd.read_parquet(untyped).to_parquet(untyped, index=False)
    with pytest.raises(PublishError, match="no warehouse type recorded"):
        pipeline.step_publish(SMALL_MONTH, small_settings, say)
    assert {p.name: p.read_bytes() for p in small_settings.published_month_dir(SMALL_MONTH).iterdir()} == before
