"""Transform: one ``dbt build`` (models, unit tests and data tests) for the reporting month.

dbt runs as a subprocess: dbt-duckdb keeps an in-process connection (and the file lock) open
after a run, and one ``dbt build`` is far cheaper than a dbt process per model. Its per-model
lines ("3 of 41 OK created sql table model ...") are streamed to the caller's progress
callback, so Airflow's task log shows progress model by model.

On Linux dbt dies with the step that started it (``PR_SET_PDEATHSIG``): a task killed outright
must not leave a dbt process behind that goes on writing the warehouse and holds its lock
against the rerun.

The reporting month reaches dbt as the environment variable ``WORKFORCE_DBT_REPORTING_MONTH``,
the other settings as ``--vars``. dbt throws its saved parse away and parses the whole project
again (about 5 s) whenever ``--vars`` differ from the last run's, which with the month among them
is every new month; a changed environment variable only re-parses the files that read it (the
staging models and the calendar, under a second). The macro ``reporting_month_end()`` still
takes ``var('reporting_month')`` first, so ``dbt build --vars '{reporting_month: ...}'`` by hand
and the unit tests' ``overrides`` work as before. A backcast month (``ingest.readiness``) reaches
dbt the same way, as ``WORKFORCE_DBT_BACKCAST`` (the macro ``backcast()``).

A trend month's build (``pipeline.step_history``) leaves out the dbt unit tests: they test the
models' logic on fixed rows, not the month's data, and the reporting month's own build runs them.
"""

from __future__ import annotations

import json
import logging
import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from workforce.config import Settings
from workforce.months import ReportingMonth

log = logging.getLogger(__name__)

_PROGRESS_LINE = re.compile(r"\b\d+ of \d+ (START|OK|PASS|WARN|ERROR|FAIL|SKIP)\b")
_ANSI = re.compile(r"\x1b\[[0-9;]*m")


class DbtBuildError(RuntimeError):
    """dbt build failed; the message names every failing model or test."""


@dataclass
class DbtResult:
    command: list[str]
    seconds: float
    nodes: int
    failures: list[str]
    warnings: list[str]


#: Run ``argv[2:]`` so that Linux kills it when the process with pid ``argv[1]`` dies (its parent).
_DIE_WITH_PARENT = (
    "import ctypes, os, signal, sys\n"
    "ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL, 0, 0, 0)  # PR_SET_PDEATHSIG\n"
    "if os.getppid() != int(sys.argv[1]):\n"
    "    sys.exit('the step that started dbt has gone')\n"
    "os.execv(sys.argv[2], sys.argv[2:])\n"
)


def _dying_with_parent(command: list[str]) -> list[str]:
    """``command`` run through a tiny Python wrapper that ties its life to this process (Linux)."""
    if not sys.platform.startswith("linux"):
        return command
    return [sys.executable, "-c", _DIE_WITH_PARENT, str(os.getpid()), *command]


def dbt_executable() -> str:
    candidate = Path(sys.executable).with_name("dbt")
    if candidate.exists():
        return str(candidate)
    found = shutil.which("dbt")
    if not found:
        raise DbtBuildError("the dbt command is not installed in this environment (pip install dbt-duckdb)")
    return found


#: How the reporting month reaches dbt (read by the macro ``reporting_month_end``).
REPORTING_MONTH_ENV = "WORKFORCE_DBT_REPORTING_MONTH"
#: How a backcast month is told to dbt (read by the macro ``backcast``).
BACKCAST_ENV = "WORKFORCE_DBT_BACKCAST"
#: The dbt vars that reach dbt by the environment instead (see the module docstring).
_BY_ENVIRONMENT = ("reporting_month", "backcast")


def dbt_environment(settings: Settings, month: ReportingMonth | None = None,
                    backcast: bool = False) -> dict[str, str]:
    tmp = settings.data_dir / "tmp" / "duckdb"
    tmp.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ)
    env.update(
        WORKFORCE_WAREHOUSE_PATH=str(settings.warehouse_path),
        WORKFORCE_DUCKDB_THREADS=str(settings.duckdb_threads),
        WORKFORCE_DUCKDB_MEMORY_LIMIT=settings.duckdb_memory_limit,
        WORKFORCE_DUCKDB_TEMP_DIR=str(tmp),
        DBT_PROFILES_DIR=str(settings.dbt_project_dir),
        DBT_SEND_ANONYMOUS_USAGE_STATS="false",
        DBT_USE_COLORS="false",
        DBT_PARTIAL_PARSE="true",
    )
    # dbt must never see the pseudonymisation key: it has no use for it.
    env.pop("WORKFORCE_PSEUDONYMISATION_KEY", None)
    env.pop(REPORTING_MONTH_ENV, None)  # never a month from the caller's shell
    env.pop(BACKCAST_ENV, None)
    if month is not None:
        env[REPORTING_MONTH_ENV] = month.label
        env[BACKCAST_ENV] = "true" if backcast else "false"
    return env


def dbt_vars(settings: Settings, month: ReportingMonth, backcast: bool = False) -> dict:
    """Every value dbt's figures depend on besides the data: the month, whether it is a backcast
    and the settings."""
    return {
        "reporting_month": month.label,
        "backcast": backcast,
        "la_code": settings.la_code,
        "history_months": settings.history_months,
        "caseload_target": settings.caseload_target,
        "extract_window_days_before": settings.extract_window_days_before,
        "extract_window_days_after": settings.extract_window_days_after,
    }


def run_dbt(
    settings: Settings,
    args: list[str],
    month: ReportingMonth | None = None,
    progress: Callable[[str], None] | None = None,
    backcast: bool = False,
) -> DbtResult:
    """Run one dbt command in the project, streaming its progress lines."""
    say = progress or log.info
    settings.dbt_target_dir.mkdir(parents=True, exist_ok=True)
    command = [
        dbt_executable(), *args,
        "--project-dir", str(settings.dbt_project_dir),
        "--target-path", str(settings.dbt_target_dir),
        "--log-path", str(settings.dbt_log_dir),
    ]
    if month is not None:  # the month goes by the environment (dbt_environment): see the module docstring
        passed = {k: v for k, v in dbt_vars(settings, month).items() if k not in _BY_ENVIRONMENT}
        command += ["--vars", json.dumps(passed)]
    results_path = settings.dbt_target_dir / "run_results.json"
    results_path.unlink(missing_ok=True)  # never report a previous run's results
    started = time.monotonic()
    tail: list[str] = []
    with subprocess.Popen(
        _dying_with_parent(command),
        cwd=settings.dbt_project_dir,
        env=dbt_environment(settings, month, backcast),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        bufsize=1,
    ) as proc:
        assert proc.stdout is not None
        for raw in proc.stdout:
            line = _ANSI.sub("", raw.rstrip())
            tail = (tail + [line])[-40:]
            if _PROGRESS_LINE.search(line) and " START " not in line:
                say(f"dbt: {line.split('  ', 1)[-1].strip()}")
            elif "Completed with" in line or line.strip().startswith("Done. PASS="):
                say(f"dbt: {line.strip()}")
        code = proc.wait()
    seconds = time.monotonic() - started
    failures, warnings, nodes = _read_run_results(results_path)
    result = DbtResult(command, seconds, nodes, failures, warnings)
    for w in warnings:
        log.warning("dbt warning: %s", w)
    if code != 0:
        if failures:
            traced = _trace_to_inputs(settings, month, results_path)
            failures = [f + traced.get(f.split(":", 1)[0], "") for f in failures]
        detail = "\n  - ".join(failures) if failures else "\n".join(tail)
        raise DbtBuildError(f"dbt {' '.join(args)} failed (exit {code}):\n  - {detail}")
    return result


def _trace_to_inputs(settings: Settings, month: ReportingMonth | None, results_path: Path) -> dict[str, str]:
    """For each failed node of the last run: the column it checks and the input files its figures
    come from (the raw sources it depends on, through every model in between, and the extract of
    each that serves the month), as text to append to its failure line. Best effort: nothing is
    added where dbt's manifest or the landing folder cannot say."""
    try:
        manifest = json.loads((results_path.parent / "manifest.json").read_text(encoding="utf-8"))
        results = json.loads(results_path.read_text(encoding="utf-8")).get("results", [])
    except (OSError, ValueError):
        return {}
    nodes = {**manifest.get("nodes", {}), **manifest.get("unit_tests", {})}
    serving: dict[str, str] = {}
    if month is not None:
        try:
            from workforce.ingest.readiness import assess

            serving = assess(settings, month.end).serving
        except Exception as exc:  # noqa: BLE001 - only a message gets poorer
            log.debug("no serving extracts for the failure message: %s", exc)

    def sources(unique_id: str, seen: set[str]) -> set[str]:
        if unique_id in seen:
            return set()
        seen.add(unique_id)
        if unique_id.startswith("source."):
            return {manifest["sources"][unique_id]["name"]} if unique_id in manifest.get("sources", {}) else set()
        node = nodes.get(unique_id) or {}
        found: set[str] = set()
        for parent in (node.get("depends_on") or {}).get("nodes", []):
            found |= sources(parent, seen)
        return found

    traced = {}
    for r in results:
        if r.get("status") not in ("error", "fail", "runtime error"):
            continue
        unique_id = r.get("unique_id") or ""
        exports = sorted(sources(unique_id, set()))
        node = nodes.get(unique_id) or {}
        parts = []
        if node.get("column_name"):
            parts.append(f"column {node['column_name']}")
        if exports:
            parts.append("inputs: " + ", ".join(serving.get(e, f"{e} (no extract for the month)") for e in exports))
        if parts:
            traced[unique_id] = " [" + "; ".join(parts) + "]"
    return traced


def _read_run_results(path: Path) -> tuple[list[str], list[str], int]:
    if not path.exists():
        return [], [], 0
    data = json.loads(path.read_text(encoding="utf-8"))
    failures, warnings = [], []
    for r in data.get("results", []):
        status = r.get("status")
        message = [m.strip() for m in (r.get("message") or "").splitlines() if m.strip()]
        text = f"{r.get('unique_id')}: {status}" + (f" - {' | '.join(message[:4])}" if message else "")
        if status in ("error", "fail", "runtime error"):
            failures.append(text)
        elif status == "warn":
            warnings.append(text)
    return failures, warnings, len(data.get("results", []))


def build(settings: Settings, month: ReportingMonth, progress: Callable[[str], None] | None = None,
          backcast: bool = False, unit_tests: bool = True) -> DbtResult:
    """``dbt build`` of every model and test for the reporting month; ``unit_tests=False`` leaves
    out the dbt unit tests (a trend month's build: see the module docstring)."""
    say = progress or log.info
    say(f"transform: dbt build for reporting month {month}" + (" (a backcast)" if backcast else "")
        + ("" if unit_tests else ", without the unit tests"))
    args = ["build"] if unit_tests else ["build", "--exclude", "resource_type:unit_test"]
    result = run_dbt(settings, args, month, progress=say, backcast=backcast)
    say(f"transform: {result.nodes} dbt nodes built and tested in {result.seconds:.1f}s")
    return result
