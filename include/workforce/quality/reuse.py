"""Reusing a suite's results when it has already run over exactly the same data.

A suite's outcome depends only on the suite, the data, and the code and libraries that run it.
When all of these are the same as in an earlier run, that run's results are kept and reused
instead of validating again: a rerun of a month, or an extract that serves several months.

The key (SHA-256) covers:

- the suite as loaded from ``expectations/`` (every expectation, its kwargs and meta);
- the versions of Great Expectations, pandas, NumPy and DuckDB, and the source of the quality
  modules that shape a result (``suites``, ``checks``, ``runner``, ``gx_speedups``, and the
  catalogue the derived checks read);
- the data: for a raw extract, its files as ``raw.load_manifest`` records them (source file,
  SHA-256, when loaded, rows), so a file loaded again (new pseudonymisation key, new ingest) is
  validated again, and its rows as they are (count, a sum of row hashes, columns and types); for
  a frame (a published table), a digest of its columns, types and values (``frame_digest``).

Each validated suite's entry is ``quality/reuse/<suite>/<key>.json``: the GX checks' outcomes
(not the quarantine check, recomputed every run), GX's own result (for Data Docs), the run id
and the time it was validated. Entries are written with the run's results (``commit``), never
before; a reused check's row says so (``reused_from_run``, ``validated_at``). The newest
``KEEP`` entries per suite are kept (reading one counts as new). Deleting the folder is always
safe: the next run validates everything again.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
from dataclasses import asdict
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from workforce.files import write_json
from workforce.quality.results import CheckResult, SuiteResult

if TYPE_CHECKING:  # pragma: no cover - typing only
    import pandas as pd

log = logging.getLogger(__name__)

REUSE_DIR = "reuse"
#: Entries kept per suite: two years of months, with room for reruns.
KEEP = 36
#: Bump to discard every stored entry (a change in what an entry holds).
FORMAT = 1
_LIBRARIES = ("great_expectations", "pandas", "numpy", "duckdb")
#: Files whose content shapes a result, beside this module: the quality code, and the catalogue
#: that derived checks read (row labels, the LA level).
_CODE = ("suites.py", "checks.py", "runner.py", "gx_speedups.py", "../spec/catalogue.yml")


def now() -> str:
    """The time a check was validated, as recorded in results (UTC, ISO 8601)."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


@cache
def _environment() -> dict[str, str]:
    """Library versions (without importing the libraries) and a digest of the quality code."""
    from importlib.metadata import PackageNotFoundError, version

    versions = {}
    for name in _LIBRARIES:
        try:
            versions[name] = version(name)
        except PackageNotFoundError:
            versions[name] = "not installed"
    code = hashlib.sha256()
    for name in _CODE:
        code.update(name.encode() + b"\0" + (Path(__file__).parent / name).read_bytes())
    return {**versions, "quality_code": code.hexdigest()}


def frame_digest(df: pd.DataFrame) -> str:
    """SHA-256 of a frame's column names, types and values in order.

    pandas' row hashes make null, NaN and NA one value, and hash object values as text, so the
    digest also takes each object column's value types: data that GX could tell apart, the
    digest does too.
    """
    import pandas as pd

    digest = hashlib.sha256(json.dumps([[str(c), str(t)] for c, t in df.dtypes.items()]).encode())
    digest.update(str(len(df)).encode())
    for _, column in df.items():
        digest.update(pd.util.hash_pandas_object(column, index=False).to_numpy().tobytes())
        if column.dtype == object:
            digest.update("\0".join(type(v).__name__ for v in column.to_numpy()).encode())
    return digest.hexdigest()


class ResultStore:
    """Stored suite results under ``root`` (``quality/reuse``), for the run ``run_id``."""

    def __init__(self, root: Path, run_id: str):
        self.root = Path(root)
        self.run_id = run_id
        self._pending: dict[Path, dict] = {}

    def key(self, suite: dict, data: Any) -> str:
        text = json.dumps(
            {"format": FORMAT, "suite": suite, "environment": _environment(), "data": data},
            sort_keys=True, default=str,
        )
        return hashlib.sha256(text.encode()).hexdigest()

    def _path(self, suite_name: str, key: str) -> Path:
        return self.root / suite_name / f"{key}.json"

    def reuse(self, suite_name: str, key: str, data_name: str) -> SuiteResult | None:
        """The stored result for ``key`` as this run's, every check marked reused; None if none."""
        path = self._path(suite_name, key)
        try:
            entry = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return None
        except (OSError, ValueError) as exc:  # a damaged entry is a miss, never an error
            log.warning("quality: ignoring unreadable stored result %s: %s", path, exc)
            return None
        if entry.get("key") != key or entry.get("suite") != suite_name:
            return None
        with contextlib.suppress(OSError):
            os.utime(path)  # kept among the newest
        checks = [
            CheckResult(**{**check, "reused_from_run": entry["run_id"], "validated_at": entry["validated_at"]})
            for check in entry["checks"]
        ]
        result = SuiteResult(
            suite=suite_name,
            data_name=data_name,
            success=entry["success"],
            results=checks,
            gx_result=entry.get("gx_result"),
            reuse_key=key,
            reused_from_run=entry["run_id"],
        )
        return result

    def hold(self, result: SuiteResult, key: str, validated_at: str) -> None:
        """Keep a freshly validated result, to be stored by ``commit``; the result gets its key."""
        from great_expectations.core.expectation_validation_result import ExpectationSuiteValidationResultSchema

        result.reuse_key = key
        gx_result = None
        if result.gx_result is not None:
            gx_result = json.loads(ExpectationSuiteValidationResultSchema().dumps(result.gx_result))
        checks = [{k: v for k, v in asdict(c).items() if k not in ("reused_from_run", "validated_at")}
                  for c in result.results]
        self._pending[self._path(result.suite, key)] = {
            "key": key,
            "suite": result.suite,
            "run_id": self.run_id,
            "validated_at": validated_at,
            "environment": _environment(),
            "success": result.success,
            "checks": checks,
            "gx_result": gx_result,
        }

    def commit(self) -> list[Path]:
        """Write the held results (once this run's results are recorded); keep ``KEEP`` per suite."""
        written = [write_json(path, entry) for path, entry in self._pending.items()]
        self._pending.clear()
        for folder in {p.parent for p in written}:
            entries = sorted(folder.glob("*.json"), key=lambda p: p.stat().st_mtime, reverse=True)
            for old in entries[KEEP:]:
                old.unlink(missing_ok=True)
        return written
