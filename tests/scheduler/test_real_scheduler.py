"""The DAG under a real scheduler: PostgreSQL metadata, scheduler, dag-processor and api-server.

One run is triggered through the REST API with ``reporting_month`` in its conf (and a logical
date of today, so the conf, not the date, must choose the month); then ``airflow backfill create``
covers the three months of the small sample, all runs at once as a backfill starts them. Every run
must succeed and report the month its conf or logical date asks for, and each month's published
files must equal what ``workforce run --month M`` publishes alone, on a data dir of its own: CSVs
byte for byte, Parquet row for row. The backfill reruns the API's month, so that month is checked
twice (after the API run, and after the concurrent rerun). Then the earliest month runs again,
after the later ones, and must publish the same; and a month with no exports of its own waits,
gives up at its sensor, and publishes nothing.

Before anything runs, the landing's last HR extract records a correction late (one open spell's
FTE, 1.0 -> 0.5, for the whole spell): the July and August figures computed from the September
extract then differ from those published from their own extracts, so a month that publishes
another month's transform shows in its own tables, not only in the whole-history benchmarks.

The reference runs go on in the background while Airflow works (the DAG's warehouse steps run one
at a time, leaving the second core mostly free).
"""

from __future__ import annotations

import difflib
import os
import shutil
import subprocess
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from airflow_stack import BIN, DAG_ID, ROOT, airflow_stack
from conftest import SMALL_MONTH

pytestmark = pytest.mark.slow

#: small_config(): three monthly extracts ending SMALL_MONTH (2025-09).
MONTHS = ("2025-07", "2025-08", SMALL_MONTH)
API_MONTH = SMALL_MONTH
#: The DAG runs at 06:00 on the 3rd for the previous month: 2025-08-03, -09-03, -10-03.
BACKFILL_FROM, BACKFILL_TO = "2025-08-01", "2025-10-04"
API_RUN_TIMEOUT = 300
#: The month after the sample's last extract: no export has an extract of its own for it.
NO_DATA_MONTH = "2025-10"
BACKFILL_TIMEOUT = 480


def workforce_env(data_dir: Path, landing: Path) -> dict[str, str]:
    """The pipeline's settings, the same for Airflow's tasks and the reference CLI runs."""
    return {"WORKFORCE_DATA_DIR": str(data_dir), "WORKFORCE_LANDING_DIR": str(landing),
            "WORKFORCE_HISTORY_MONTHS": "36", "WORKFORCE_TREND_MONTHS": "1",  # trends: tests/pipeline/test_history.py
            # A month with no exports of its own gives up after about 40 s here (72 h by default).
            "WORKFORCE_WAIT_FOR_EXPORTS_HOURS": "0.011", "WORKFORCE_WAIT_FOR_EXPORTS_POKE_SECONDS": "10"}


class ReferenceRuns(threading.Thread):
    """``workforce run --month M`` for each month, one after another, each on a fresh data dir."""

    def __init__(self, months, landing: Path, base: Path):
        super().__init__(daemon=True)
        self.months, self.landing, self.base = months, landing, base
        self.results: dict[str, subprocess.CompletedProcess] = {}
        self.seconds: dict[str, float] = {}

    def data_dir(self, month: str) -> Path:
        return self.base / month

    def run(self) -> None:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW", "WORKFORCE_"))}
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT / "include"), env.get("PYTHONPATH")]))
        nice = ["nice", "-n", "5"] if shutil.which("nice") else []
        for month in self.months:
            started = time.monotonic()
            self.results[month] = subprocess.run(
                [*nice, str(BIN / "workforce"), "run", "--month", month],
                env={**env, **workforce_env(self.data_dir(month), self.landing)},
                capture_output=True, text=True, timeout=400, cwd=self.base,
            )
            self.seconds[month] = time.monotonic() - started


def record_late_correction(landing: Path) -> str:
    """Halve the FTE of the first open full-time spell in the last hr_workers extract; returns its spell id."""
    path = sorted((landing / "hr_workers").glob("hr_workers_*.csv"))[-1]
    lines = path.read_text(encoding="utf-8").split("\n")
    header = lines[0].split(",")
    col = {name: header.index(name) for name in ("spell_id", "fte", "spell_start_date", "spell_end_date")}
    for i, line in enumerate(lines[1:], start=1):
        cells = line.split(",")
        if ('"' not in line and len(cells) == len(header) and cells[col["fte"]] == "1.0"
                and not cells[col["spell_end_date"]] and cells[col["spell_start_date"]] < "2025-06-01"):
            cells[col["fte"]] = "0.5"
            lines[i] = ",".join(cells)
            path.write_text("\n".join(lines), encoding="utf-8")
            return cells[col["spell_id"]]
    raise AssertionError(f"no open full-time spell to correct in {path}")


#: What the DAG's pack task writes into published/<M>/pack/ (``workforce run`` publishes no pack).
PACK_FILES = ["officers_workbook.xlsx", "scrutiny_pack.html", "scrutiny_pack.pdf"]

#: Audit fields that name the run or its time, not what was published.
AUDIT_RUN_FIELDS = {"run_id", "validated_at", "published_at"}
#: In ``built_by``, what identifies the run's own dbt build (the rest, the window and the serving
#: extracts, must be the same).
BUILT_BY_RUN_FIELDS = {"dbt_invocation_id", "dbt_generated_at", "captured_at"}


def differences(got: Path, want: Path) -> list[str]:
    """What differs between two published/<M>/ folders: file names, CSV bytes, Parquet rows, the audit record.

    The audit record must be the same but for the run's id and times: inputs, checks, dbt results,
    published tables and their checksums.
    """
    import json

    import pyarrow.parquet as pq

    problems = []
    got_names = sorted(p.name for p in got.iterdir())
    want_names = sorted(p.name for p in want.iterdir())
    if "pack" in got_names and "pack" not in want_names:  # the DAG's last task: the scrutiny pack beside the tables
        pack = sorted(p.name for p in (got / "pack").iterdir())
        if pack != PACK_FILES:
            problems.append(f"{got / 'pack'}: files {pack} != {PACK_FILES}")
        got_names.remove("pack")
    if got_names != want_names:
        problems.append(f"{got}: files {got_names} != {want_names}")
    for name in sorted(set(got_names) & set(want_names)):
        a, b = got / name, want / name
        if name.endswith(".csv") and a.read_bytes() != b.read_bytes():
            diff = difflib.unified_diff(b.read_text().splitlines(), a.read_text().splitlines(),
                                        "workforce run", "airflow", lineterm="", n=0)
            problems.append(f"{name} differs:\n" + "\n".join(list(diff)[:12]))
        elif name.endswith(".parquet"):
            ta, tb = pq.read_table(a), pq.read_table(b)
            if not ta.equals(tb):
                problems.append(f"{name}: Parquet rows differ ({ta.num_rows} vs {tb.num_rows} rows, "
                                f"schema equal: {ta.schema.equals(tb.schema)})")
        elif name == "audit.json":
            audit_a, audit_b = json.loads(a.read_text()), json.loads(b.read_text())
            for audit in (audit_a, audit_b):
                built = audit.get("built_by") or {}
                assert built.get("dbt_invocation_id"), f"{name}: no dbt invocation recorded"
                audit["built_by"] = {k: v for k, v in built.items() if k not in BUILT_BY_RUN_FIELDS}
            keys = sorted((set(audit_a) | set(audit_b)) - AUDIT_RUN_FIELDS)
            differing = [k for k in keys if audit_a.get(k) != audit_b.get(k)]
            if differing:
                problems.append(f"audit.json differs in {differing}")
                if "published_tables" in differing:
                    sums = [(ta["table"], ta["content_sha256"][:12], tb["content_sha256"][:12])
                            for ta, tb in zip(audit_a["published_tables"], audit_b["published_tables"], strict=False)
                            if ta != tb]
                    problems.append(f"  published tables (table, airflow, workforce run): {sums}")
    return problems


def report(capsys, text: str) -> None:
    """Show ``text`` in the test's output even when pytest captures output (so CI logs get the timings)."""
    with capsys.disabled():
        print("\n" + text)


def describe(runs: dict, months: dict[str, str]) -> str:
    lines = []
    for rid, run in sorted(runs.items(), key=lambda kv: kv[1]["logical_date"] or ""):
        lines.append(f"  {rid}: type={run['run_type']} logical_date={run['logical_date']} "
                     f"run_after={run['run_after']} month={months.get(rid)} state={run['state']} "
                     f"conf={run['conf']} note={run['note']!r} display={run['dag_display_name']!r} "
                     f"{run['start_date']} -> {run['end_date']}")
    tis = sorted((ti for run in runs.values() for ti in run["task_instances"] if ti["start_date"]),
                 key=lambda ti: ti["start_date"])
    order = [f"{ti['task_id']}[{months.get(ti['dag_run_id'])}]" for ti in tis if ti["task_id"] != "reporting_month"]
    lines.append("  task start order: " + " ".join(order))
    seconds = {}
    for ti in tis:
        seconds.setdefault(ti["task_id"], []).append(round(ti["duration"] or 0))
    lines.append(f"  task durations (s): {seconds}")
    return "\n".join(lines)


def test_api_run_and_backfill_publish_what_the_cli_publishes(tmp_path, small_landing, capsys):
    wall = time.monotonic()
    data_dir = tmp_path / "airflow-data"
    corrected = record_late_correction(small_landing)
    reference_landing = shutil.copytree(small_landing, tmp_path / "reference-landing")
    (tmp_path / "reference").mkdir()
    reference = ReferenceRuns(MONTHS, reference_landing, tmp_path / "reference")
    reference.start()
    timings = {}

    with airflow_stack(workforce_env(data_dir, small_landing)) as stack:
        timings["stack up"] = time.monotonic() - wall
        created = stack.ensure_pools(DAG_ID)
        stack.unpause(DAG_ID)

        t = time.monotonic()
        note = f"reporting month {API_MONTH}, triggered through the REST API"
        api_run = stack.trigger_run(DAG_ID, conf={"reporting_month": API_MONTH},
                                    logical_date=datetime.now(UTC), note=note)
        api_runs = stack.wait_for_runs(DAG_ID, [api_run], timeout=API_RUN_TIMEOUT)
        timings["API run"] = time.monotonic() - t
        assert api_runs[api_run]["state"] == "success", stack.diagnostics(DAG_ID, [api_run])
        api_month = stack.xcom(DAG_ID, api_run, "reporting_month")
        assert api_month == API_MONTH
        api_published = shutil.copytree(data_dir / "published" / API_MONTH, tmp_path / "after-api-run")

        t = time.monotonic()
        backfill = stack.backfill(DAG_ID, BACKFILL_FROM, BACKFILL_TO, timeout=BACKFILL_TIMEOUT)
        timings["backfill"] = time.monotonic() - t
        runs = backfill["runs"]
        months = {rid: stack.xcom(DAG_ID, rid, "reporting_month") for rid, r in runs.items() if r["state"] == "success"}
        every_run = {r["dag_run_id"]: r for r in stack.dag_runs(DAG_ID)}
        report(capsys, f"late FTE correction: {corrected}; pools created: {created}; "
                        f"backfill: {backfill['backfill']}\n"
                        f"{describe({**api_runs, **runs}, {**months, api_run: api_month})}")
        assert len(runs) == len(MONTHS), f"backfill made {sorted(runs)}"
        failed = {rid: r["state"] for rid, r in runs.items() if r["state"] != "success"}
        assert not failed, f"backfill runs not successful: {failed}\n{stack.diagnostics(DAG_ID, list(runs))}"
        assert sorted(months.values()) == sorted(MONTHS), months
        assert set(every_run) == {api_run, *runs}, f"unexpected runs: {sorted(every_run)}"

        # An early month again, after the later ones; and a month whose exports never came.
        t = time.monotonic()
        now = datetime.now(UTC)
        rerun = stack.trigger_run(DAG_ID, conf={"reporting_month": MONTHS[0]}, logical_date=now,
                                  run_id=f"workforce-{MONTHS[0]}-rerun")
        no_data = stack.trigger_run(DAG_ID, conf={"reporting_month": NO_DATA_MONTH},
                                    logical_date=now + timedelta(seconds=1), run_id=f"workforce-{NO_DATA_MONTH}")
        reruns = stack.wait_for_runs(DAG_ID, [rerun], timeout=API_RUN_TIMEOUT)
        assert reruns[rerun]["state"] == "success", stack.diagnostics(DAG_ID, [rerun])
        waited = stack.wait_for_runs(DAG_ID, [no_data], timeout=API_RUN_TIMEOUT, expect_failure=True)[no_data]
        timings["rerun and no-data month"] = time.monotonic() - t
        states = {ti["task_id"]: ti["state"] for ti in waited["task_instances"]}
        assert waited["state"] == "failed" and states["wait_for_exports"] == "failed", states
        assert all(states[t] in ("upstream_failed", None) for t in ("extract", "transform", "validate", "publish"))
        assert not (data_dir / "published" / NO_DATA_MONTH).exists()

    t = time.monotonic()
    reference.join(timeout=900)
    timings["waited for reference runs"] = time.monotonic() - t
    assert not reference.is_alive(), "reference `workforce run` did not finish"
    for month, result in reference.results.items():
        assert result.returncode == 0, f"workforce run --month {month}:\n{(result.stdout + result.stderr)[-3000:]}"

    problems = differences(api_published, reference.data_dir(API_MONTH) / "published" / API_MONTH)
    problems = [f"[API run {API_MONTH}] {p}" for p in problems]
    early = MONTHS[0]
    problems += [f"[rerun {early} after the later months] {p}" for p in
                 differences(data_dir / "published" / early, reference.data_dir(early) / "published" / early)]
    for month in MONTHS:
        got = data_dir / "published" / month
        problems += [f"[backfill {month}] {p}"
                     for p in differences(got, reference.data_dir(month) / "published" / month)]
    timings["total"] = time.monotonic() - wall
    report(capsys, "reference runs (s): " + ", ".join(f"{m} {s:.0f}" for m, s in reference.seconds.items()))
    report(capsys, "real scheduler test wall time (s): " + ", ".join(f"{k} {v:.0f}" for k, v in timings.items()))
    assert not problems, "\n".join(problems)
