"""A rerun of a month with nothing new: what transform and validate keep, and how they know.

Rerunning a month (``workforce run --month M`` again, an Airflow retry, a backfill) must publish
what a first run publishes. When nothing a step's output is computed from has changed since it
was written, that output already is what the step would write again: the transform step keeps
the month's capture (``model.capture``) instead of running ``dbt build``, and the validate step
keeps the month's staged output (``release.stage``) instead of validating again. Each decides by
a fingerprint of its inputs, stored with its output and recomputed on the rerun.

Transform's fingerprint (``transform_fingerprint``), kept in ``model/<month>/capture.json``:

``serving``
    per export, the extract(s) serving the month as the warehouse holds them
    (``raw.load_manifest``: file, extract date, SHA-256, rows read, loaded and quarantined); the
    marts are computed from these rows only (``latest_extract()``, ``int_exports__availability``);
``settings``
    every value dbt is given (``model.build.dbt_vars``: the month, LA code, history months,
    caseload target, extract window);
``code``
    a digest of the dbt project (models, macros, seeds, tests, project and profile files), of the
    ``workforce`` package's source (the catalogue and contract, the ingest rules that made the
    raw rows, the capture itself) and the installed versions of workforce, dbt-core, dbt-duckdb
    and DuckDB.

Validate's fingerprint (``validate_fingerprint``), kept in ``staged/<month>/validated.json``:
transform's fingerprint as it is now, the capture validated (its dbt invocation and file
checksums), the suites (``expectations/``), the settings validate reads (suppression threshold,
quarantine maximum) and the extract step's notes that go into the audit record (warnings,
ignored landing files).

An output is kept only when its stored fingerprint equals the current one and it is complete and
intact: every file it lists is there with the SHA-256 it was written with. The capture folder is
swapped in whole (``files.replace_directory``) with ``capture.json`` written last; the staged
marker is removed before staging starts and written after everything else. So a crash never
leaves an output that looks complete. Anything else runs the step in full, and the step says
why: no output yet, one written by an earlier version (no fingerprint), a changed input, a
missing or altered file, or a forced rebuild (``workforce run --force``, the DAG's
``force_rebuild`` param). Publish always runs: it copies the staged files, the same bytes.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

from workforce.config import Settings
from workforce.files import sha256_file, write_json
from workforce.months import ReportingMonth

#: The package's own source (include/workforce).
PACKAGE_DIR = Path(__file__).resolve().parent
#: Folders under the dbt project that hold dbt's output or caches, never its input.
_NOT_SOURCE = frozenset({"target", "logs", "dbt_packages", "__pycache__"})
_VERSIONS = ("workforce", "dbt-core", "dbt-duckdb", "duckdb")
#: The staged area's marker: written after everything else staged, removed before staging.
STAGED_MARKER = "validated.json"
FORCED = "a rebuild was asked for (--force, or the DAG's force_rebuild param)"


# Fingerprints ----------------------------------------------------------------------------------
def digest(parts: Any) -> str:
    """SHA-256 of a JSON-able value, independent of key order; upper-case hex, like every checksum
    in the audit record (lower-case hex of that length is what a pseudonym looks like)."""
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode("utf-8")).hexdigest().upper()


def tree_digest(root: Path) -> str:
    """One digest of the names and bytes of every file under ``root`` (hidden files, caches and
    dbt's output folders left out); ``missing`` when there is no such folder."""
    root = Path(root)
    if not root.is_dir():
        return "missing"
    h = hashlib.sha256()
    for folder, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if d not in _NOT_SOURCE and not d.startswith("."))
        for name in sorted(files):
            if name.startswith(".") or name.endswith(".pyc"):
                continue
            path = Path(folder) / name
            h.update(f"{path.relative_to(root).as_posix()}\0{sha256_file(path)}\n".encode())
    return h.hexdigest().upper()


def _version(distribution: str) -> str | None:
    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:
        return None


def code_parts(settings: Settings) -> dict:
    """What the code that builds the figures is: the dbt project, the package, the versions."""
    return {
        "dbt_project": tree_digest(settings.dbt_project_dir),
        "package": tree_digest(PACKAGE_DIR),
        "versions": {name: _version(name) for name in _VERSIONS},
    }


_CODE_MEMO: dict[tuple, dict] = {}


def remember_code_parts(settings: Settings, on: bool = True) -> None:
    """Within one history step (many months, one code tree): compute ``code_parts`` once."""
    _CODE_MEMO.clear()
    if on:
        _CODE_MEMO[(settings.dbt_project_dir, "on")] = {}


def _code(settings: Settings) -> dict:
    memo = _CODE_MEMO.get((settings.dbt_project_dir, "on"))
    if memo is None:
        return code_parts(settings)
    if not memo:
        memo.update(code_parts(settings))
    return memo


def transform_fingerprint(settings: Settings, month: ReportingMonth, con=None, backcast: bool = False) -> dict:
    """What the month's ``dbt build`` is computed from (see the module docstring), with its digest.

    ``con``: an open warehouse connection; without one, a short read-only one is opened.
    ``backcast``: the month is a backcast (``ingest.readiness``), which changes its serving extracts."""
    from workforce.model.build import dbt_vars
    from workforce.model.capture import serving_extracts

    if con is None:
        from workforce.warehouse import connect

        with connect(settings, read_only=True) as own:
            serving = serving_extracts(own, settings, month, backcast)
    else:
        serving = serving_extracts(con, settings, month, backcast)
    parts = {"serving": serving, "settings": dbt_vars(settings, month, backcast), "code": _code(settings)}
    return {"digest": digest(parts), "parts": parts}


def validate_fingerprint(settings: Settings, month: ReportingMonth, transform: dict, capture: dict,
                         revisions: bool = True) -> dict:
    """What the month's validate step is computed from: ``transform`` (the current transform
    fingerprint), the capture it reads (``capture.json``), suites, settings and extract notes."""
    report = _read_json(settings.quality_dir / month.label / "extract_report.json") or {}
    parts = {
        "transform": transform["digest"],
        "capture": {
            "dbt_invocation_id": (capture.get("dbt") or {}).get("invocation_id"),
            "captured_at": capture.get("captured_at"),
            "files": capture.get("files"),
        },
        "settings": {
            "suppression_threshold": settings.suppression_threshold,
            "quarantine_max_pct": settings.quarantine_max_pct,
        },
        "expectations": tree_digest(settings.expectations_dir),
        # revisions compare the trend months' rows with their first publication (release.revisions)
        "first_published": _first_published(settings, month) if revisions else None,
        "extract_notes": {"warnings": report.get("warnings", []), "ignored": report.get("ignored", [])},
    }
    return {"digest": digest(parts), "parts": parts}


def _first_published(settings: Settings, month: ReportingMonth) -> dict:
    """When each trend month before ``month`` was first published (what revisions compare with)."""
    from workforce.model.capture import trailing_months
    from workforce.release.revisions import first_published_dir

    out = {}
    for m in trailing_months(settings, month):
        record = _read_json(first_published_dir(settings, m) / "published_at.json")
        if record is None:
            audit = _read_json(settings.published_month_dir(m.label) / "audit.json")
            record = {"published_at": audit.get("published_at"), "from": "published"} if audit else None
        out[m.label] = record
    return out


_PART_WORDS = {
    "code": "the code",
    "capture": "the month's capture (transform built it again)",
    "expectations": "the Great Expectations suites (expectations/)",
    "extract_notes": "the extract step's warnings or ignored landing files",
    "transform": "the transform step's inputs",
    "first_published": "the first publication of an earlier trend month (revisions compare with it)",
}


def describe_changes(old: dict | None, new: dict) -> list[str]:
    """In plain words, which parts of a fingerprint differ between ``old`` and ``new``."""
    old = old or {}
    changes: list[str] = []
    for part in sorted(set(old) | set(new)):
        before, after = old.get(part), new.get(part)
        if before == after:
            continue
        if part == "serving" and isinstance(before, dict) and isinstance(after, dict):
            for export in sorted(set(before) | set(after)):
                if before.get(export) != after.get(export):
                    files = [f["source_file"] for f in (after.get(export) or {}).get("files", [])]
                    changes.append(f"the {export} extract serving the month changed (now {', '.join(files) or 'none'})")
        elif part == "settings" and isinstance(before, dict) and isinstance(after, dict):
            changes += [
                f"setting {key} changed ({before.get(key)!r} -> {after.get(key)!r})"
                for key in sorted(set(before) | set(after)) if before.get(key) != after.get(key)
            ]
        elif part == "code" and isinstance(before, dict) and isinstance(after, dict):
            if before.get("dbt_project") != after.get("dbt_project"):
                changes.append("the dbt project changed (models, macros, seeds, tests or project files)")
            if before.get("package") != after.get("package"):
                changes.append("the workforce package's code changed")
            versions_before, versions_after = before.get("versions") or {}, after.get("versions") or {}
            changes += [
                f"{name} {versions_before.get(name)} -> {versions_after.get(name)}"
                for name in sorted(set(versions_before) | set(versions_after))
                if versions_before.get(name) != versions_after.get(name)
            ]
        else:
            changes.append(f"{_PART_WORDS.get(part, part)} changed")
    return changes


# Keep or build ----------------------------------------------------------------------------------
@dataclass
class Decision:
    """Whether a step keeps its earlier output for the month, and why (plain words) either way."""

    keep: bool
    reason: str
    fingerprint: dict | None = None
    record: dict | None = None  # the kept output's capture.json / validated.json

    @property
    def since(self) -> str:
        """When the kept output was written."""
        record = self.record or {}
        return str(record.get("captured_at") or record.get("validated_at") or "an earlier run")


def _read_json(path: Path) -> dict | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def _damage(folder: Path, files: dict | None, required: list[str]) -> str | None:
    """What is wrong with an output folder against the checksums it was written with, or None."""
    if not isinstance(files, dict):
        return "no file checksums recorded"
    for name in required:
        if name not in files:
            return f"it lists no {name}"
    for name, sha in sorted(files.items()):
        path = folder / name
        if not path.is_file():
            return f"{name} is missing"
        if sha256_file(path) != sha:
            return f"{name} changed after it was written"
    return None


def _decide(what: str, record: dict | None, month: ReportingMonth, fingerprint: dict, folder: Path,
            required: list[str], force: bool) -> Decision:
    if force:
        return Decision(False, FORCED, fingerprint)
    if record is None:
        return Decision(False, f"there is no complete {what} of {month} yet", fingerprint)
    when = record.get("captured_at") or record.get("validated_at")
    stored = record.get("fingerprint") or {}
    if record.get("month") != month.label:
        return Decision(False, f"the {what} in {folder} is of {record.get('month')}, not {month}", fingerprint)
    if not stored.get("digest"):
        return Decision(False, f"the {what} of {when} has no fingerprint (an earlier version wrote it)", fingerprint)
    if stored["digest"] != fingerprint["digest"]:
        changes = describe_changes(stored.get("parts"), fingerprint["parts"]) or ["its inputs changed"]
        return Decision(False, f"since the {what} of {when}: " + "; ".join(changes), fingerprint)
    problem = _damage(folder, record.get("files"), required)
    if problem:
        return Decision(False, f"the {what} of {when} is incomplete or damaged: {problem}", fingerprint)
    return Decision(True, f"nothing new for {month} since {when}", fingerprint, record)


def check_capture(settings: Settings, month: ReportingMonth, fingerprint: dict, force: bool = False) -> Decision:
    """Whether the month's capture may be kept: same fingerprint, every file intact."""
    from workforce.model.capture import CAPTURE_FILE, RUN_RESULTS, capture_dir
    from workforce.spec.catalogue import mart_tables

    folder = capture_dir(settings, month)
    required = [f"{t.name}.parquet" for t in mart_tables()] + [RUN_RESULTS]
    return _decide("capture", _read_json(folder / CAPTURE_FILE), month, fingerprint, folder, required, force)


def staged_marker_path(settings: Settings, month: ReportingMonth) -> Path:
    from workforce.release.stage import staged_dir

    return staged_dir(settings, month) / STAGED_MARKER


def _staged_required() -> list[str]:
    from workforce.release.audit import AUDIT_FILE
    from workforce.spec.catalogue import published_tables

    return [f"{t.name}.parquet" for t in published_tables()] + [AUDIT_FILE]


def check_staged(settings: Settings, month: ReportingMonth, force: bool = False, con=None,
                 revisions: bool = True) -> Decision:
    """Whether the month's staged output may be kept: validated from the current capture and
    inputs (same fingerprint), every staged file intact. No capture: never (validate says why)."""
    from workforce.model.capture import CAPTURE_FILE, capture_dir

    capture = _read_json(capture_dir(settings, month) / CAPTURE_FILE)
    if capture is None:
        return Decision(False, f"there is no capture of {month}")
    transform = transform_fingerprint(settings, month, con, bool(capture.get("backcast")))
    fingerprint = validate_fingerprint(settings, month, transform, capture, revisions)
    path = staged_marker_path(settings, month)
    return _decide("staged output", _read_json(path), month, fingerprint, path.parent, _staged_required(), force)


def clear_staged_marker(settings: Settings, month: ReportingMonth) -> None:
    """Before staging: from here until ``write_staged_marker`` the staged area is never kept."""
    staged_marker_path(settings, month).unlink(missing_ok=True)


def write_staged_marker(settings: Settings, month: ReportingMonth, fingerprint: dict, report) -> dict:
    """After staging and the audit record: the fingerprint validated, the report, every file's checksum."""
    folder = staged_marker_path(settings, month).parent
    record = {
        "month": month.label,
        "validated_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "run_id": report.run_id,
        "report": {"suites": report.suites, "checks": report.checks, "not_met": report.not_met},
        "fingerprint": fingerprint,
        "files": {name: sha256_file(folder / name) for name in _staged_required()},
    }
    write_json(folder / STAGED_MARKER, record)
    return record
