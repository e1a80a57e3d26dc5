"""What a rerun keeps (``workforce.rerun``), without dbt: fingerprints, their differences in plain
words, and the checks that keep only a complete, intact output of exactly the current inputs.
The steps themselves, rerun on a real warehouse: ``tests/pipeline/test_rerun.py``."""

from __future__ import annotations

import json
import shutil
from dataclasses import replace
from pathlib import Path

import pytest
from conftest import ROOT, SMALL_MONTH, settings_for
from workforce import rerun
from workforce.files import sha256_file
from workforce.model.capture import CAPTURE_FILE, RUN_RESULTS, capture_dir
from workforce.months import ReportingMonth
from workforce.spec.catalogue import published_tables

MONTH = ReportingMonth.parse(SMALL_MONTH)
SERVING = {"hr_workers": {"extract_date": "2025-09-30", "files": [
    {"source_file": "hr_workers/hr_workers_2025-09-30.csv", "sha256": "ab" * 32, "rows_read": 10,
     "rows_loaded": 10, "rows_quarantined": 0},
]}}


@pytest.fixture
def settings(tmp_path):
    return settings_for(tmp_path / "data", tmp_path / "landing")


def _fingerprint(settings, serving=None, **changed) -> dict:
    from workforce.model.build import dbt_vars

    parts = {
        "serving": serving or SERVING,
        "settings": dbt_vars(replace(settings, **changed), MONTH),
        "code": rerun.code_parts(settings),
    }
    return {"digest": rerun.digest(parts), "parts": parts}


def _write_capture(settings, fingerprint: dict | None) -> Path:
    """A capture folder as ``capture_month`` leaves it: the files, then capture.json listing their checksums."""
    folder = capture_dir(settings, MONTH)
    folder.mkdir(parents=True)
    for table in published_tables():
        (folder / f"{table.name}.parquet").write_bytes(f"rows of {table.name}".encode())
    (folder / RUN_RESULTS).write_text("{}", encoding="utf-8")
    manifest = {
        "month": MONTH.label, "captured_at": "2025-10-03T06:00:00+00:00", "dbt": {"invocation_id": "i-1", "nodes": 9},
        "tables": {t.name: {"rows": 1} for t in published_tables()}, "fingerprint": fingerprint,
        "files": {p.name: sha256_file(p) for p in sorted(folder.iterdir())},
    }
    (folder / CAPTURE_FILE).write_text(json.dumps(manifest), encoding="utf-8")
    return folder


def test_an_intact_capture_of_the_same_inputs_is_kept(settings):
    fingerprint = _fingerprint(settings)
    _write_capture(settings, fingerprint)
    decision = rerun.check_capture(settings, MONTH, _fingerprint(settings))
    assert decision.keep, decision.reason
    assert decision.reason == f"nothing new for {MONTH} since 2025-10-03T06:00:00+00:00"
    assert decision.record and decision.record["dbt"]["invocation_id"] == "i-1"
    assert not rerun.check_capture(settings, MONTH, fingerprint, force=True).keep


def test_a_changed_extract_setting_or_code_is_named(settings):
    _write_capture(settings, _fingerprint(settings))
    other_file = {"hr_workers": {**SERVING["hr_workers"], "files": [
        {**SERVING["hr_workers"]["files"][0], "sha256": "cd" * 32}]}}
    decision = rerun.check_capture(settings, MONTH, _fingerprint(settings, serving=other_file))
    assert not decision.keep
    changed = "the hr_workers extract serving the month changed (now hr_workers/hr_workers_2025-09-30.csv)"
    assert changed in decision.reason

    decision = rerun.check_capture(settings, MONTH, _fingerprint(settings, caseload_target=12))
    assert not decision.keep and "setting caseload_target changed (15 -> 12)" in decision.reason

    changed_code = _fingerprint(settings)
    changed_code["parts"]["code"] = {**changed_code["parts"]["code"], "dbt_project": "0" * 64}
    changed_code["digest"] = rerun.digest(changed_code["parts"])
    decision = rerun.check_capture(settings, MONTH, changed_code)
    assert not decision.keep and "the dbt project changed" in decision.reason


@pytest.mark.parametrize("damage", ["truncated", "missing", "unlisted", "no capture.json", "no fingerprint"])
def test_an_incomplete_or_damaged_capture_is_never_kept(settings, damage):
    fingerprint = _fingerprint(settings)
    folder = _write_capture(settings, None if damage == "no fingerprint" else fingerprint)
    table = f"{published_tables()[0].name}.parquet"
    if damage == "truncated":
        (folder / table).write_bytes(b"")
    elif damage == "missing":
        (folder / table).unlink()
    elif damage == "unlisted":
        manifest = json.loads((folder / CAPTURE_FILE).read_text())
        del manifest["files"][table]
        (folder / CAPTURE_FILE).write_text(json.dumps(manifest))
    elif damage == "no capture.json":
        (folder / CAPTURE_FILE).unlink()
    decision = rerun.check_capture(settings, MONTH, fingerprint)
    assert not decision.keep
    expected = {
        "truncated": f"incomplete or damaged: {table} changed after it was written",
        "missing": f"incomplete or damaged: {table} is missing",
        "unlisted": f"incomplete or damaged: it lists no {table}",
        "no capture.json": f"there is no complete capture of {MONTH} yet",
        "no fingerprint": "has no fingerprint",
    }[damage]
    assert expected in decision.reason


def test_the_capture_of_another_month_is_never_kept(settings):
    fingerprint = _fingerprint(settings)
    folder = _write_capture(settings, fingerprint)
    manifest = json.loads((folder / CAPTURE_FILE).read_text())
    (folder / CAPTURE_FILE).write_text(json.dumps({**manifest, "month": "2025-08"}))
    decision = rerun.check_capture(settings, MONTH, fingerprint)
    assert not decision.keep and "is of 2025-08" in decision.reason


def test_the_code_digest_follows_the_project_files_not_where_they_are_or_dbt_output(tmp_path):
    project = shutil.copytree(ROOT / "dbt_project", tmp_path / "dbt_project",
                              ignore=shutil.ignore_patterns("target", "logs", "dbt_packages"))
    original = rerun.tree_digest(ROOT / "dbt_project")
    assert rerun.tree_digest(project) == original  # a copy elsewhere is the same code
    for output in ("target/run_results.json", "logs/dbt.log", ".user.yml", "macros/__pycache__/x.pyc"):
        (project / output).parent.mkdir(parents=True, exist_ok=True)
        (project / output).write_text("dbt's own output", encoding="utf-8")
    assert rerun.tree_digest(project) == original
    model = next((project / "models" / "marts").glob("*.sql"))
    model.write_text(model.read_text(encoding="utf-8") + "\n-- a comment is a change too\n", encoding="utf-8")
    assert rerun.tree_digest(project) != original
    assert rerun.tree_digest(tmp_path / "nowhere") == "missing"


def test_validate_fingerprint_follows_capture_suites_settings_and_extract_notes(settings, tmp_path):
    capture = {"dbt": {"invocation_id": "i-1"}, "captured_at": "t", "files": {"a.parquet": "00"}}
    transform = {"digest": "f" * 64}
    base = rerun.validate_fingerprint(settings, MONTH, transform, capture)
    assert base == rerun.validate_fingerprint(settings, MONTH, transform, dict(capture))
    rebuilt = rerun.validate_fingerprint(settings, MONTH, transform, {**capture, "dbt": {"invocation_id": "i-2"}})
    stricter = rerun.validate_fingerprint(replace(settings, suppression_threshold=9), MONTH, transform, capture)
    suites = shutil.copytree(settings.expectations_dir, tmp_path / "suites")
    (suites / "extra.json").write_text("{}", encoding="utf-8")
    other_suites = rerun.validate_fingerprint(replace(settings, expectations_dir=suites), MONTH, transform, capture)
    report = settings.quality_dir / MONTH.label / "extract_report.json"
    report.parent.mkdir(parents=True)
    report.write_text(json.dumps({"status": "loaded", "ignored": ["notes.txt (not an export)"]}), encoding="utf-8")
    noted = rerun.validate_fingerprint(settings, MONTH, transform, capture)
    digests = {f["digest"] for f in (base, rebuilt, stricter, other_suites, noted)}
    assert len(digests) == 5
    words = rerun.describe_changes(base["parts"], stricter["parts"]) + rerun.describe_changes(
        base["parts"], rebuilt["parts"]) + rerun.describe_changes(base["parts"], noted["parts"])
    assert words == [
        "setting suppression_threshold changed (4 -> 9)",
        "the month's capture (transform built it again) changed",
        "the extract step's warnings or ignored landing files changed",
    ]
