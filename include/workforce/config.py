"""All configuration, read from the environment in this one module.

| variable | default | meaning |
|---|---|---|
| WORKFORCE_LANDING_DIR | ``$WORKFORCE_DATA_DIR/landing`` | where the source systems drop their exports |
| WORKFORCE_DATA_DIR | ``./data`` (made absolute) | warehouse, published outputs, quality results |
| WORKFORCE_LA_CODE | ``878`` (Devon) | DfE ``old_la_code``; a joint return as DfE writes it (``314 / 318``) |
| WORKFORCE_PSEUDONYMISATION_KEY | unset | secret HMAC key; the demo key is used only for generated sample data |
| WORKFORCE_CASELOAD_TARGET | ``15`` | cases per FTE (Dorset's 1:15) |
| WORKFORCE_HISTORY_MONTHS | ``96`` | month-ends computed before and including the reporting month (at least 12) |
| WORKFORCE_TREND_MONTHS | ``24`` | month-ends each run publishes (1 = the reporting month only; <= history - 11) |
| WORKFORCE_DUCKDB_MEMORY_LIMIT | ``4GB`` | DuckDB memory limit for the warehouse (dbt and the later steps) |
| WORKFORCE_EXTRACT_MEMORY_LIMIT | ``1GB`` | DuckDB memory limit while extracting (it spills to disk past it) |
| WORKFORCE_DUCKDB_THREADS | ``2`` | dbt concurrency, pipeline DuckDB threads (dbt's DuckDB uses 1: reproducible sums) |
| WORKFORCE_DBT_PROJECT_DIR | ``<repo>/dbt_project`` | dbt project (set in containers) |
| WORKFORCE_EXPECTATIONS_DIR | ``<repo>/expectations`` | Great Expectations suites |
| WORKFORCE_QUARANTINE_MAX_PCT | ``2`` | validate fails if more than this % of an extract's rows were quarantined |
| WORKFORCE_SUPPRESSION_THRESHOLD | ``4`` | counts of people 1..this below LA level publish as `c`; 0 = off |
| WORKFORCE_EXTRACT_WINDOW_DAYS_BEFORE | ``7`` | an extract dated up to this many days before the month end serves it |
| WORKFORCE_EXTRACT_WINDOW_DAYS_AFTER | ``14`` | ... and one dated up to this many days after it (exports land in M+1) |
| WORKFORCE_LOCK_TIMEOUT_SECONDS | ``3600`` | how long a step waits for another step's hold on the warehouse |
| WORKFORCE_PROFILE | unset (the contract) | mapping profile: a YAML path or a shipped name (``ingest.profile``) |
| WORKFORCE_TARGETS_FILE | ``pack/targets.yml`` | the scrutiny pack's targets and RAG thresholds (docs/pack.md) |
| WORKFORCE_RETURNS_FILE | ``returns/returns.yml`` | census incentives, agency roles, price caps (docs/returns.md) |

Trends: a run of month M also publishes each of the ``WORKFORCE_TREND_MONTHS - 1`` month-ends before
it as its own month (``pipeline.step_history``), each from the extracts that serve it; a month
before the council's first extract is computed from the earliest extract after its window
(a backcast, ``ingest.readiness``).

Quarantine: the threshold applies per export, to the extract used for the reporting month.
Readiness: a month is served, per export, by its latest extract dated inside the month's window
(``month end - before`` to ``month end + after``). A required export with no extract in the
window stops the run before anything is loaded; an optional one publishes its figures as ``x``.

Paths are resolved to absolute paths once, here: dbt resolves a relative DuckDB path
against its working directory, not the profile's folder.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import overload

#: Labelled demo key. It is accepted only for landing folders written by ``workforce generate``
#: (they carry a ``SAMPLE_DATA.json`` marker); real exports are refused with it.
DEMO_PSEUDONYMISATION_KEY = "DEMO-KEY-synthetic-sample-data-only-NOT-FOR-REAL-EXPORTS"

#: File the generator writes into a landing folder to mark its contents as synthetic.
SAMPLE_MARKER = "SAMPLE_DATA.json"

#: The repository root (include/workforce/config.py -> ../..); dbt project and suites live here.
PROJECT_ROOT = Path(__file__).resolve().parents[2]


class ConfigError(ValueError):
    """A configuration value is missing or malformed."""


@overload
def _env(name: str) -> str | None: ...
@overload
def _env(name: str, default: str) -> str: ...
def _env(name: str, default: str | None = None) -> str | None:
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return default
    return value.strip()


def _env_int(name: str, default: int) -> int:
    raw = _env(name)
    if raw is None:
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ConfigError(f"{name} must be a whole number, got {raw!r}") from exc


_MEMORY = re.compile(r"(?i)^\s*\d+(\.\d+)?\s*(b|kb|mb|gb|tb|kib|mib|gib|tib)\s*$")


def _memory(name: str, default: str) -> str:
    """A DuckDB memory limit such as ``4GB`` or ``768MiB``, checked here rather than by DuckDB
    half-way through a step."""
    value = _env(name, default)
    if not _MEMORY.match(value):
        raise ConfigError(f"{name} must be an amount of memory such as 4GB, 1GB or 768MB, got {value!r}")
    return value


def _path(name: str, default: Path) -> Path:
    return Path(_env(name, str(default))).expanduser().resolve()


@dataclass(frozen=True)
class Settings:
    data_dir: Path
    landing_dir: Path
    la_code: str
    pseudonymisation_key: str | None = field(repr=False)
    caseload_target: int = 15
    history_months: int = 96
    trend_months: int = 24
    duckdb_memory_limit: str = "4GB"
    extract_memory_limit: str = "1GB"
    duckdb_threads: int = 2
    dbt_project_dir: Path = PROJECT_ROOT / "dbt_project"
    expectations_dir: Path = PROJECT_ROOT / "expectations"
    quarantine_max_pct: float = 2.0
    suppression_threshold: int = 4
    extract_window_days_before: int = 7
    extract_window_days_after: int = 14
    lock_timeout_seconds: int = 3600
    profile: str | None = None  # WORKFORCE_PROFILE: a mapping profile's path or shipped name (ingest.profile)
    targets_file: Path | None = None  # None: the documented default, workforce/pack/targets.yml
    returns_file: Path | None = None  # WORKFORCE_RETURNS_FILE; None: workforce/returns/returns.yml

    @property
    def restricted_dir(self) -> Path:
        """Person-level outputs (census return, readiness, agency return): owner-only, never published."""
        return self.data_dir / "restricted"

    # Derived locations -------------------------------------------------------------------
    @property
    def warehouse_path(self) -> Path:
        """The pipeline's own read-write DuckDB file (raw, staging, intermediate, marts)."""
        return self.data_dir / "warehouse" / "workforce.duckdb"

    @property
    def published_dir(self) -> Path:
        return self.data_dir / "published"

    @property
    def published_warehouse_path(self) -> Path:
        """The read-only DuckDB file BI tools open; replaced atomically on each publish."""
        return self.published_dir / "workforce.duckdb"

    @property
    def quality_dir(self) -> Path:
        return self.data_dir / "quality"

    @property
    def dbt_target_dir(self) -> Path:
        return self.data_dir / "dbt" / "target"

    @property
    def dbt_log_dir(self) -> Path:
        return self.data_dir / "dbt" / "logs"

    def published_month_dir(self, month: str) -> Path:
        return self.published_dir / month


#: The shortest history that gives every published figure its whole window: a 12-month figure
#: (FTE-years, cost per FTE-year) averages over the 12 month-ends to the reporting month
#: (``int_calendar__month_ends``, which refuses a shorter ``history_months`` too).
MIN_HISTORY_MONTHS = 12


_LA_CODE = re.compile(r"^\d{3}(\s*/\s*\d{3})*$")


def normalise_la_code(raw: str) -> str:
    """DfE's ``old_la_code`` as DfE writes it: three digits, or the codes of a joint return
    joined by `` / `` (Kingston upon Thames and Richmond upon Thames: ``314 / 318``; North and
    West Northamptonshire: ``940 / 941``), whatever the spacing given."""
    if not _LA_CODE.match(raw):
        raise ConfigError(
            f"WORKFORCE_LA_CODE must be DfE's old_la_code: three digits (e.g. 878), or a joint return's codes "
            f"as DfE writes them (e.g. '314 / 318'); got {raw!r}"
        )
    return " / ".join(part.strip() for part in raw.split("/"))


def load_settings() -> Settings:
    """Read the environment once; call again after changing it (tests do)."""
    data_dir = Path(_env("WORKFORCE_DATA_DIR", "data")).expanduser().resolve()
    landing_default = str(data_dir / "landing")
    landing_dir = Path(_env("WORKFORCE_LANDING_DIR", landing_default)).expanduser().resolve()
    la_code = normalise_la_code(_env("WORKFORCE_LA_CODE", "878"))
    target = _env_int("WORKFORCE_CASELOAD_TARGET", 15)
    history = _env_int("WORKFORCE_HISTORY_MONTHS", 96)
    if target <= 0:
        raise ConfigError(f"WORKFORCE_CASELOAD_TARGET must be > 0, got {target}")
    if history < MIN_HISTORY_MONTHS:
        raise ConfigError(
            f"WORKFORCE_HISTORY_MONTHS is {history}, shorter than the {MIN_HISTORY_MONTHS} month-ends a 12-month "
            f"figure averages over (FTE-years, cost per FTE-year): those figures would be computed from part of "
            f"their window. Set it to at least {MIN_HISTORY_MONTHS} (default 96)."
        )
    # The oldest trend month needs its own 12 month-ends inside the history: trend + 11 <= history.
    most = history - MIN_HISTORY_MONTHS + 1
    trend = _env_int("WORKFORCE_TREND_MONTHS", min(24, most))
    if not 1 <= trend <= most:
        raise ConfigError(
            f"WORKFORCE_TREND_MONTHS is {trend}: it must be at least 1 (1 = only the reporting month) and at most "
            f"WORKFORCE_HISTORY_MONTHS - {MIN_HISTORY_MONTHS - 1} = {most}, so that every trend month still has "
            f"the {MIN_HISTORY_MONTHS} month-ends its 12-month figures average over."
        )
    raw_pct = _env("WORKFORCE_QUARANTINE_MAX_PCT", "2")
    try:
        quarantine_max_pct = float(raw_pct)
    except ValueError as exc:
        raise ConfigError(f"WORKFORCE_QUARANTINE_MAX_PCT must be a number (a percentage), got {raw_pct!r}") from exc
    if not 0 <= quarantine_max_pct <= 100:
        raise ConfigError(f"WORKFORCE_QUARANTINE_MAX_PCT must be between 0 and 100, got {raw_pct!r}")
    threshold = _env_int("WORKFORCE_SUPPRESSION_THRESHOLD", 4)
    if threshold < 0:
        raise ConfigError("WORKFORCE_SUPPRESSION_THRESHOLD must be >= 0 (0 turns suppression off)")
    if _env("WORKFORCE_MAX_EXTRACT_AGE_DAYS") is not None:
        raise ConfigError(
            "WORKFORCE_MAX_EXTRACT_AGE_DAYS is no longer used: a month is served only by an extract of its own, dated "
            "within WORKFORCE_EXTRACT_WINDOW_DAYS_BEFORE days before to WORKFORCE_EXTRACT_WINDOW_DAYS_AFTER days after "
            "the month end (defaults 7 and 14; see docs/spec/export-contract.md). Unset it."
        )
    before = _env_int("WORKFORCE_EXTRACT_WINDOW_DAYS_BEFORE", 7)
    after = _env_int("WORKFORCE_EXTRACT_WINDOW_DAYS_AFTER", 14)
    if before < 0 or after < 0 or before + after > 27:
        raise ConfigError(
            "WORKFORCE_EXTRACT_WINDOW_DAYS_BEFORE and _AFTER must be >= 0 and add up to at most 27, so that no extract "
            f"can serve two months; got {before} and {after}"
        )
    threads = _env_int("WORKFORCE_DUCKDB_THREADS", 2)
    if threads < 1:
        raise ConfigError(f"WORKFORCE_DUCKDB_THREADS must be at least 1, got {threads}")
    memory = {name: _memory(name, default) for name, default in
              (("WORKFORCE_DUCKDB_MEMORY_LIMIT", "4GB"), ("WORKFORCE_EXTRACT_MEMORY_LIMIT", "1GB"))}
    lock_timeout = _env_int("WORKFORCE_LOCK_TIMEOUT_SECONDS", 3600)
    if lock_timeout <= 0:
        raise ConfigError("WORKFORCE_LOCK_TIMEOUT_SECONDS must be > 0")
    return Settings(
        data_dir=data_dir,
        landing_dir=landing_dir,
        la_code=la_code,
        pseudonymisation_key=_env("WORKFORCE_PSEUDONYMISATION_KEY"),
        caseload_target=target,
        history_months=history,
        trend_months=trend,
        duckdb_memory_limit=memory["WORKFORCE_DUCKDB_MEMORY_LIMIT"],
        extract_memory_limit=memory["WORKFORCE_EXTRACT_MEMORY_LIMIT"],
        duckdb_threads=threads,
        dbt_project_dir=_path("WORKFORCE_DBT_PROJECT_DIR", PROJECT_ROOT / "dbt_project"),
        expectations_dir=_path("WORKFORCE_EXPECTATIONS_DIR", PROJECT_ROOT / "expectations"),
        quarantine_max_pct=quarantine_max_pct,
        extract_window_days_before=before,
        extract_window_days_after=after,
        lock_timeout_seconds=lock_timeout,
        suppression_threshold=threshold,
        profile=_profile(),
        targets_file=_path("WORKFORCE_TARGETS_FILE", Path()) if _env("WORKFORCE_TARGETS_FILE") else None,
        returns_file=_path("WORKFORCE_RETURNS_FILE", Path()) if _env("WORKFORCE_RETURNS_FILE") else None,
    )


def _profile() -> str | None:
    """WORKFORCE_PROFILE, checked now: a profile with a problem stops before any step starts."""
    from workforce.ingest.profile import ProfileError, load_profile

    value = _env("WORKFORCE_PROFILE")
    if value is None:
        return None
    try:
        load_profile(value)
    except ProfileError as exc:
        raise ConfigError(str(exc)) from None
    return value
