"""A rerun of a month with nothing new keeps the month's capture and staged output (no dbt, no
suites) and publishes the same; a changed extract, setting or model file, a damaged capture or
staged file, a crash while staging, or ``force`` runs the step in full (``workforce.rerun``).

One run of the small sample is shared; each test reruns a copy of its data and landing folders."""

from __future__ import annotations

import hashlib
import json
import shutil
from dataclasses import replace
from pathlib import Path

import pytest
from conftest import ROOT, SMALL_MONTH, settings_for
from workforce import pipeline
from workforce.model import build as dbt_build
from workforce.model.capture import CAPTURE_FILE, capture_dir
from workforce.months import ReportingMonth
from workforce.release import audit, stage
from workforce.rerun import STAGED_MARKER, check_staged

pytestmark = pytest.mark.slow  # a pipeline run, then a dozen reruns of steps: minutes
MONTH = ReportingMonth.parse(SMALL_MONTH)


class Ran(AssertionError):
    """A step ran what a rerun with nothing new must not run."""


@pytest.fixture(scope="module")
def first_run(small_landing_cache, tmp_path_factory) -> Path:
    base = tmp_path_factory.mktemp("rerun")
    landing = shutil.copytree(small_landing_cache, base / "landing")
    pipeline.run_month(SMALL_MONTH, settings_for(base / "data", landing), lambda _m: None)
    return base


@pytest.fixture
def copy(first_run, tmp_path) -> Path:
    return shutil.copytree(first_run, tmp_path / "run")


def _settings(base: Path, **env):
    return settings_for(base / "data", base / "landing", **env)


def _published(settings) -> dict[str, str]:
    folder = settings.published_month_dir(SMALL_MONTH)
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.glob("*.*"))
            if p.suffix in (".csv", ".parquet")}


def _capture(settings) -> dict:
    return json.loads((capture_dir(settings, MONTH) / CAPTURE_FILE).read_text(encoding="utf-8"))


def _forbid(monkeypatch, *, dbt: bool = False, suites: bool = False) -> None:
    def ran(*_a, **_k):
        raise Ran("ran although nothing is new")

    if dbt:
        monkeypatch.setattr(dbt_build, "run_dbt", ran)
    if suites:
        monkeypatch.setattr(stage, "release_month", ran)
        monkeypatch.setattr(pipeline, "release_month", ran, raising=False)


def test_nothing_new_keeps_capture_and_staged_output_and_publishes_the_same(copy, monkeypatch):
    settings = _settings(copy)
    before, capture = _published(settings), _capture(settings)
    said: list[str] = []
    with monkeypatch.context() as patch:
        _forbid(patch, dbt=True, suites=True)
        pipeline.run_month(SMALL_MONTH, settings, said.append)
        transform = pipeline.step_transform(SMALL_MONTH, settings, said.append)
        validate = pipeline.step_validate(SMALL_MONTH, settings, said.append)
    assert _published(settings) == before and _capture(settings) == capture
    assert transform.kept and validate.kept and validate.to_dict()["kept_staged"] is True
    assert transform.to_dict()["dbt_invocation_id"] == capture["dbt"]["invocation_id"]
    assert transform.fingerprint == capture["fingerprint"]["digest"]
    since = capture["captured_at"]
    assert f"transform: nothing new for {SMALL_MONTH} since {since}; kept the capture of {since}" in " ".join(said)
    assert any(line.startswith(f"validate: nothing new for {SMALL_MONTH} since ") for line in said)
    record = json.loads((settings.published_month_dir(SMALL_MONTH) / "audit.json").read_text(encoding="utf-8"))
    assert record["built_by"]["inputs_fingerprint"] == capture["fingerprint"]["digest"]

    forced = pipeline.step_transform(SMALL_MONTH, settings, said.append, force=True)
    assert not forced.kept and forced.invocation_id != capture["dbt"]["invocation_id"]
    assert "a rebuild was asked for" in forced.reason
    assert forced.fingerprint == capture["fingerprint"]["digest"]  # the same inputs


def test_a_changed_extract_is_built_again(copy, monkeypatch):
    settings = _settings(copy)
    path = copy / "landing" / "hr_workers" / "hr_workers_2025-09-30.csv"
    header, *rows = path.read_text(encoding="utf-8").splitlines(keepends=True)
    path.write_text(header + "".join(reversed(rows)), encoding="utf-8")  # the same rows, a new file
    before = _capture(settings)
    pipeline.step_extract(SMALL_MONTH, settings, lambda _m: None)
    report = pipeline.step_transform(SMALL_MONTH, settings, lambda _m: None)
    assert not report.kept and report.invocation_id != before["dbt"]["invocation_id"]
    changed = "the hr_workers extract serving the month changed (now hr_workers/hr_workers_2025-09-30.csv)"
    assert changed in report.reason
    validated = pipeline.step_validate(SMALL_MONTH, settings, lambda _m: None)
    assert not validated.kept and "the transform step's inputs changed" in validated.reason


def test_a_changed_setting_is_built_or_validated_again(copy, monkeypatch):
    settings = _settings(copy)
    with monkeypatch.context() as patch:  # a setting only validate reads: transform keeps its capture
        _forbid(patch, dbt=True)
        stricter = replace(settings, suppression_threshold=settings.suppression_threshold + 1)
        assert pipeline.step_transform(SMALL_MONTH, stricter, lambda _m: None).kept
        validated = pipeline.step_validate(SMALL_MONTH, stricter, lambda _m: None)
    assert not validated.kept and "setting suppression_threshold changed" in validated.reason
    report = pipeline.step_transform(SMALL_MONTH, replace(settings, caseload_target=12), lambda _m: None)
    assert not report.kept and "setting caseload_target changed (15 -> 12)" in report.reason


def test_a_changed_model_file_is_built_again(copy, monkeypatch):
    project = shutil.copytree(ROOT / "dbt_project", copy / "dbt_project",
                              ignore=shutil.ignore_patterns("target", "logs", "dbt_packages"))
    settings = _settings(copy, WORKFORCE_DBT_PROJECT_DIR=str(project))
    with monkeypatch.context() as patch:  # the same files elsewhere are the same code
        _forbid(patch, dbt=True)
        assert pipeline.step_transform(SMALL_MONTH, settings, lambda _m: None).kept
    model = project / "models" / "marts" / "scrutiny_benchmarks.sql"
    model.write_text(model.read_text(encoding="utf-8") + "\n-- reviewed\n", encoding="utf-8")
    report = pipeline.step_transform(SMALL_MONTH, settings, lambda _m: None)
    assert not report.kept and "the dbt project changed" in report.reason


def test_a_damaged_capture_is_built_again_and_what_publishes_is_the_same(copy):
    settings = _settings(copy)
    before = _published(settings)
    table = capture_dir(settings, MONTH) / "scrutiny_workforce_monthly.parquet"
    table.write_bytes(table.read_bytes()[: len(table.read_bytes()) // 2])  # a partial file
    report = pipeline.step_transform(SMALL_MONTH, settings, lambda _m: None)
    assert not report.kept
    assert "incomplete or damaged: scrutiny_workforce_monthly.parquet changed after it was written" in report.reason
    validated = pipeline.step_validate(SMALL_MONTH, settings, lambda _m: None)
    assert not validated.kept and "the month's capture (transform built it again) changed" in validated.reason
    pipeline.step_publish(SMALL_MONTH, settings, lambda _m: None)
    assert _published(settings) == before


def test_a_damaged_staged_file_or_a_crash_while_staging_is_validated_again(copy, monkeypatch):
    settings = _settings(copy)
    staged_audit = stage.staged_audit_path(settings, MONTH)
    staged_audit.write_text(staged_audit.read_text(encoding="utf-8").replace('"validated"', '"published"'))
    validated = pipeline.step_validate(SMALL_MONTH, settings, lambda _m: None)
    assert not validated.kept and "incomplete or damaged: audit.json changed after it was written" in validated.reason

    marker = stage.staged_dir(settings, MONTH) / STAGED_MARKER
    assert marker.exists()
    with monkeypatch.context() as patch, pytest.raises(RuntimeError, match="killed"):
        patch.setattr(audit, "write_draft", lambda *_a, **_k: (_ for _ in ()).throw(RuntimeError("killed")))
        pipeline.step_validate(SMALL_MONTH, settings, lambda _m: None, force=True)
    assert not marker.exists()  # the tables were staged again, the record was not: nothing looks complete
    decision = check_staged(settings, MONTH)
    assert not decision.keep and "there is no complete staged output" in decision.reason
