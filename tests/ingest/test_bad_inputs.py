"""The bad-input corpus (tests/bad_inputs/cases.yaml): each named case is loaded, quarantined
with its rule, or rejected with its message, and never changes previously loaded or published data."""

from __future__ import annotations

import hashlib
import re
import shutil
from datetime import date
from pathlib import Path

import duckdb
import pytest
import yaml
from conftest import SMALL_MONTH, settings_for
from workforce.ingest.extract import RULES, ExtractError, extract
from workforce.pipeline import run_month

CORPUS = Path(__file__).parent / "bad_inputs"
CASES = yaml.safe_load((CORPUS / "cases.yaml").read_text(encoding="utf-8"))
MONTH_END = date(2025, 9, 30)
HEX64 = re.compile(r"^[0-9a-f]{64}$")


def _published_prints(settings) -> dict[str, str]:
    return {
        str(p.relative_to(settings.published_dir)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(settings.published_dir.rglob("*"))
        if p.is_file()
    }


def _query(settings, sql, params=()):
    con = duckdb.connect(str(settings.warehouse_path), read_only=True)
    try:
        return con.execute(sql, list(params)).fetchall()
    finally:
        con.close()


@pytest.fixture(scope="module")
def published_small(small_landing_cache, tmp_path_factory):
    """The small sample, extracted, transformed, validated and published once for the module."""
    base = tmp_path_factory.mktemp("bad_inputs_base")
    landing = shutil.copytree(small_landing_cache, base / "landing")
    settings = settings_for(base / "data", landing)
    run_month(SMALL_MONTH, settings, progress=lambda _m: None)
    return base


def test_corpus_is_large_and_every_case_has_a_known_outcome():
    assert len(CASES) >= 20
    files = {f for case in CASES.values() for f in case["files"].values()}
    assert files <= {p.name for p in CORPUS.iterdir()}, files - {p.name for p in CORPUS.iterdir()}
    for name, case in CASES.items():
        assert case["outcome"] in ("loaded", "quarantined", "rejected"), name
        if case["outcome"] == "quarantined":
            assert case["rule"] in RULES, name


@pytest.mark.pipeline
@pytest.mark.parametrize("name", sorted(CASES))
def test_bad_input_case(name, published_small, tmp_path):
    case = CASES[name]
    landing = shutil.copytree(published_small / "landing", tmp_path / "landing")
    shutil.copytree(published_small / "data", tmp_path / "data")
    settings = settings_for(tmp_path / "data", landing)
    published_before = _published_prints(settings)
    manifest_before = _query(settings, "select * exclude (loaded_at) from raw.load_manifest order by all")
    quarantine_before = _query(settings, "select count(*) from raw.quarantine")[0][0]
    placed = {}
    removed = set()  # the sample's own extracts the case replaces: the warehouse must drop them (it mirrors landing)
    for export, file_name in case["files"].items():
        for old in (landing / export).glob(f"{export}_{MONTH_END}.*"):
            old.unlink()
            removed.add(f"{export}/{old.name}")
        target = landing / export / f"{export}_{MONTH_END}{Path(file_name).suffix}"
        shutil.copyfile(CORPUS / file_name, target)
        placed[export] = f"{export}/{target.name}"
    today = date.fromisoformat(case["today"]) if "today" in case else None
    main = placed[list(case["files"])[-1]]

    if case["outcome"] == "rejected":
        with pytest.raises(ExtractError) as err:
            extract(settings, MONTH_END, today=today)
        message = str(err.value)
        assert main in message, message
        for fragment in case["message"]:
            assert fragment in message, message
        assert "nothing was loaded" in message
        after = _query(settings, "select * exclude (loaded_at) from raw.load_manifest order by all")
        assert after == manifest_before  # nothing written
        assert _query(settings, "select count(*) from raw.quarantine")[0][0] == quarantine_before
    else:
        report = extract(settings, MONTH_END, today=today)
        loads = {f.source_file: f for f in report.files}
        load = loads[main]
        assert load.status in ("loaded", "replaced")
        assert load.rows_loaded == case["rows_loaded"]
        expected_q = case.get("quarantined", 0)
        assert load.rows_quarantined == expected_q
        assert load.rows_read == load.rows_loaded + load.rows_quarantined
        export = list(case["files"])[-1]
        n_raw = _query(settings, f"select count(*) from raw.{export} where _source_file = ?", [main])[0][0]
        assert n_raw == case["rows_loaded"]
        quarantined = _query(
            settings,
            "select row_number, column_name, rule, value from raw.quarantine where source_file = ? order by all",
            [main],
        )
        assert len({q[0] for q in quarantined}) == expected_q
        if expected_q:
            hits = [q for q in quarantined if q[2] == case["rule"] and q[1] == case["column"]]
            assert hits, quarantined
            if case.get("value") == "pseudonym":
                assert all(HEX64.match(q[3]) for q in hits), hits
            elif "value" in case:
                assert {q[3] for q in hits} == {case["value"]}, hits
        # other files' rows are untouched; a replaced file that is gone from the landing folder is gone here too
        untouched = [r for r in manifest_before if r[0] not in placed.values() and r[0] not in removed]
        after = _query(settings, "select * exclude (loaded_at) from raw.load_manifest order by all")
        assert [r for r in after if r[0] not in placed.values()] == untouched
        for gone in removed - set(placed.values()):
            assert f"{gone} is no longer in the landing folder" in " ".join(report.warnings)
    # the extract step never touches the published files
    assert _published_prints(settings) == published_before


@pytest.mark.pipeline
def test_personal_data_never_reaches_quarantine(published_small, tmp_path):
    landing = shutil.copytree(published_small / "landing", tmp_path / "landing")
    shutil.copytree(published_small / "data", tmp_path / "data")
    settings = settings_for(tmp_path / "data", landing)
    for old in (landing / "hr_workers").glob(f"hr_workers_{MONTH_END}.*"):
        old.unlink()
    shutil.copyfile(CORPUS / "workers_bad_birth_date.csv", landing / "hr_workers" / f"hr_workers_{MONTH_END}.csv")
    shutil.copyfile(CORPUS / "workers_duplicate_spell_id.csv", landing / "hr_workers" / "hr_workers_2025-09-29.csv")
    extract(settings, MONTH_END)
    values = {v for (v,) in _query(settings, "select value from raw.quarantine where value is not null")}
    assert values and not any(v.startswith(("E10", "SW10", "Test Person", "31/02")) for v in values), values
