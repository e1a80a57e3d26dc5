"""Quality history in the warehouse: every run's check outcomes and dbt results, kept.

``quality.validation_history`` (one row per GX check per run) and ``quality.dbt_test_results``
(one row per dbt node per run), keyed by run id and reporting month. A rerun under the same run
id replaces its own rows, so history holds one copy per run. A check's ``validated_at`` is when it
was evaluated; a suite whose results were reused from an earlier run over the same data
(``reuse``) has a row in ``quality.validation_reuse`` naming that run (a table of its own, so
the history tables keep the columns earlier versions write). The caller opens the (short,
read-write) connection: this module never decides when the warehouse is opened.
"""

from __future__ import annotations

HISTORY_SCHEMA = "quality"
HISTORY_TABLE = f"{HISTORY_SCHEMA}.validation_history"
DBT_RESULTS_TABLE = f"{HISTORY_SCHEMA}.dbt_test_results"
REUSE_TABLE = f"{HISTORY_SCHEMA}.validation_reuse"


def ensure_history_schema(con) -> None:
    con.execute(f"CREATE SCHEMA IF NOT EXISTS {HISTORY_SCHEMA}")
    con.execute(
        f"""CREATE TABLE IF NOT EXISTS {HISTORY_TABLE} (
            run_id VARCHAR NOT NULL,
            reporting_month VARCHAR NOT NULL,
            suite VARCHAR NOT NULL,
            data_name VARCHAR,
            expectation VARCHAR NOT NULL,
            column_name VARCHAR,
            severity VARCHAR NOT NULL,
            success BOOLEAN NOT NULL,
            observed VARCHAR,
            description VARCHAR,
            validated_at TIMESTAMP NOT NULL
        )"""
    )
    con.execute(
        f"""CREATE TABLE IF NOT EXISTS {REUSE_TABLE} (
            run_id VARCHAR NOT NULL,
            reporting_month VARCHAR NOT NULL,
            suite VARCHAR NOT NULL,
            data_name VARCHAR,
            reused_from_run VARCHAR NOT NULL,
            validated_at TIMESTAMP NOT NULL
        )"""
    )
    con.execute(
        f"""CREATE TABLE IF NOT EXISTS {DBT_RESULTS_TABLE} (
            run_id VARCHAR NOT NULL,
            reporting_month VARCHAR NOT NULL,
            unique_id VARCHAR NOT NULL,
            resource_type VARCHAR,
            status VARCHAR,
            failures BIGINT,
            message VARCHAR,
            execution_time DOUBLE,
            recorded_at TIMESTAMP NOT NULL
        )"""
    )


def write_history(con, check_rows: list[dict], dbt_rows: list[dict], run_id: str, month: str) -> None:
    """Append this run's check outcomes and dbt results to the warehouse history tables."""
    import pandas as pd

    ensure_history_schema(con)
    con.execute("BEGIN TRANSACTION")
    try:
        # A rerun under the same run id replaces its rows (history stays one copy per run).
        con.execute(f"DELETE FROM {HISTORY_TABLE} WHERE run_id = ?", [run_id])
        con.execute(f"DELETE FROM {DBT_RESULTS_TABLE} WHERE run_id = ?", [run_id])
        con.execute(f"DELETE FROM {REUSE_TABLE} WHERE run_id = ?", [run_id])
        if check_rows:
            frame = pd.DataFrame(check_rows).rename(columns={"column": "column_name"})
            frame = frame.assign(run_id=run_id, reporting_month=month)
            for name in ("validated_at", "reused_from_run"):  # rows made without them
                if name not in frame:
                    frame[name] = None
            con.register("history_rows", frame)
            # ISO 8601 UTC text -> the session's local time, as current_timestamp was stored before
            validated_at = "CAST(coalesce(CAST(validated_at AS TIMESTAMPTZ), current_timestamp) AS TIMESTAMP)"
            con.execute(
                f"INSERT INTO {HISTORY_TABLE} SELECT run_id, reporting_month, suite, data_name, expectation, "
                f"column_name, severity, success, observed, description, {validated_at} FROM history_rows"
            )
            con.execute(
                f"INSERT INTO {REUSE_TABLE} SELECT run_id, reporting_month, suite, data_name, "
                f"CAST(reused_from_run AS VARCHAR), min({validated_at}) FROM history_rows "
                "WHERE reused_from_run IS NOT NULL GROUP BY ALL ORDER BY ALL"
            )
            con.unregister("history_rows")
        if dbt_rows:
            frame = pd.DataFrame(dbt_rows).assign(run_id=run_id, reporting_month=month)
            frame["failures"] = pd.to_numeric(frame["failures"], errors="coerce").astype("Int64")
            frame["execution_time"] = pd.to_numeric(frame["execution_time"], errors="coerce")
            con.register("dbt_rows", frame)
            con.execute(
                f"INSERT INTO {DBT_RESULTS_TABLE} SELECT run_id, reporting_month, unique_id, resource_type, status, "
                "failures, message, execution_time, current_timestamp FROM dbt_rows"
            )
            con.unregister("dbt_rows")
        con.execute("COMMIT")
    except Exception:
        con.execute("ROLLBACK")
        raise
