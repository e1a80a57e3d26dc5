"""The census continuity check against last year's return, on both bases: a prior XML file (kept in
``restricted/census/<year-1>/`` or given with ``previous``) and, without one, last year's return
rebuilt from history (the 30 September a year earlier, from the current extracts' spells).

The tiny council with ``CONTINUITY_SEEDS`` (tests/returns/tiny_council.py): one worker vanishes
without a leaving record, one leaver of 2023-24 reappears without a start, one starter of
2024-25 was already in post. Only the extract step is needed: the records are read from raw."""

from __future__ import annotations

import json
import shutil
from datetime import date

import pytest
from conftest import settings_for
from lxml import etree
from tiny_council import TINY_KEY, write_tiny_council

pytestmark = pytest.mark.pipeline

SEEDED = {"continuity_vanished": "SW100006", "continuity_leaver_reappears": "SW100007",
          "continuity_starter_already_in_post": "SW100008"}


@pytest.fixture(scope="module")
def seeded_cache(tmp_path_factory):
    from workforce.pipeline import step_extract

    base = tmp_path_factory.mktemp("seeded")
    landing = write_tiny_council(base / "landing", seeded=True)
    settings = settings_for(base / "data", landing, WORKFORCE_PSEUDONYMISATION_KEY=TINY_KEY)
    step_extract("2025-09", settings, lambda _m: None)
    return settings


@pytest.fixture
def seeded(seeded_cache, tmp_path):
    shutil.copytree(seeded_cache.data_dir, tmp_path / "data", symlinks=True)
    return settings_for(tmp_path / "data", seeded_cache.landing_dir, WORKFORCE_PSEUDONYMISATION_KEY=TINY_KEY)


def _short(swe: str) -> str | None:
    from workforce.returns.census import _pseudonym_fn

    return _pseudonym_fn(TINY_KEY.encode())(swe)


def _continuity(report) -> set[tuple[str, str | None]]:
    return {(i.rule, i.worker) for i in report.issues if i.rule.startswith("continuity")}


def _swes(xml: bytes, **where: bool) -> set[str]:
    """SWE numbers of the non-agency records; ``ended``: with (True) or without (False) a RoleEndDate."""
    out = set()
    for w in etree.fromstring(xml).findall("CSWWWorker"):
        if w.findtext("AgencyWorker") == "0" and ("ended" not in where or
                                                  (w.findtext("RoleEndDate") is not None) == where["ended"]):
            out.add(w.findtext("SWENo"))
    return out


def _rebuilt(settings) -> tuple[bytes, str]:
    from datetime import UTC, datetime

    from workforce.ingest.pseudonymise import resolve_key
    from workforce.returns.census import load_config, rebuilt_previous
    from workforce.returns.identities import read_identities
    from workforce.returns.records import census_records
    from workforce.warehouse import connect

    with connect(settings, read_only=True) as con:
        data = census_records(settings, date(2025, 9, 30), con)
        ids = read_identities(settings, data.extracts, resolve_key(settings))
        return rebuilt_previous(settings, 2025, data, load_config(settings), ids, con, datetime.now(UTC))


def test_last_years_return_rebuilt_from_history_is_who_the_spells_say_was_there(seeded):
    from workforce.returns.message import parse_message

    xml, basis = _rebuilt(seeded)
    assert basis == "rebuilt from history as at 30 September 2024 from the extract dated 2025-09-30"
    message = parse_message(xml)
    assert (message.year, message.reference) == (2024, date(2024, 9, 30))
    # in post on 30 September 2024 (SW100002 and SW100005 started later); SW100007 left in 2023-24
    assert _swes(xml, ended=False) == {"SW100001", "SW100003", "SW100004", "SW100006", "SW100008"}
    assert _swes(xml, ended=True) == {"SW100007"}
    assert [w["AgencyWorker"] for w in message.workers].count(["1"]) == 0  # no agency worker engaged then


def test_without_a_prior_file_the_check_runs_against_history_and_says_so(seeded):
    from workforce.returns.census import produce_census

    lines: list[str] = []
    report = produce_census(seeded, 2025, progress=lines.append)
    assert report.errors == 0, [i.line() for i in report.issues]
    assert _continuity(report) == {(rule, _short(swe)) for rule, swe in SEEDED.items()}
    assert all(i.severity == "query" for i in report.issues if i.rule.startswith("continuity"))
    basis = "rebuilt from history as at 30 September 2024 from the extract dated 2025-09-30"
    assert report.previous == basis
    folder = report.xml_path.parent
    assert f"Continuity check: previous return: {basis}" in (folder / "validation.txt").read_text()
    assert json.loads((folder / "validation.json").read_text())["previous_return"] == basis
    trail = json.loads((seeded.quality_dir / "returns" / "audit.json").read_text())
    assert trail[-1]["kind"] == "csww_census" and trail[-1]["previous_return"] == basis
    assert any(basis in line for line in lines)
    assert not (seeded.restricted_dir / "census" / "2024").exists()  # rebuilt in memory, never written


def _prior_file(settings, path) -> bytes:
    """Last year's return as another system might have sent it: the history's, but SW100006 left
    out and a worker in post (SW100009) who is in no HR record of this year."""
    xml, _ = _rebuilt(settings)
    root = etree.fromstring(xml)
    for w in root.findall("CSWWWorker"):
        if w.findtext("SWENo") == "SW100006":
            root.remove(w)
        elif w.findtext("SWENo") == "SW100001":
            extra = etree.fromstring(etree.tostring(w))
            extra.find("SWENo").text = "SW100009"
            root.append(extra)
    data = etree.tostring(root, xml_declaration=True, encoding="UTF-8")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return data


def test_a_kept_prior_return_is_the_basis_when_there_is_one(seeded):
    from workforce.returns.census import produce_census

    lea = seeded.la_code.split("/")[0].strip()
    kept = seeded.restricted_dir / "census" / "2024" / f"csww_2024_{lea}.xml"
    _prior_file(seeded, kept)
    report = produce_census(seeded, 2025, progress=lambda _m: None)
    assert report.previous == f"file restricted/census/2024/csww_2024_{lea}.xml"
    expected = {(rule, _short(swe)) for rule, swe in SEEDED.items() if swe != "SW100006"}
    assert _continuity(report) == expected | {("continuity_vanished", _short("SW100009"))}
    text = (report.xml_path.parent / "validation.txt").read_text()
    assert f"Continuity check: previous return: file restricted/census/2024/csww_2024_{lea}.xml" in text


def test_a_prior_file_given_is_the_basis_and_the_validator_checks_it_too(seeded, tmp_path, capsys, monkeypatch):
    from workforce.cli import main
    from workforce.returns.census import produce_census

    given = tmp_path / "elsewhere" / "last_year.xml"
    _prior_file(seeded, given)
    report = produce_census(seeded, 2025, progress=lambda _m: None, previous=given)
    assert report.previous == f"file {given}"
    assert ("continuity_vanished", _short("SW100009")) in _continuity(report)
    assert ("continuity_vanished", _short("SW100006")) not in _continuity(report)

    for name, value in (("WORKFORCE_DATA_DIR", seeded.data_dir), ("WORKFORCE_LANDING_DIR", seeded.landing_dir),
                        ("WORKFORCE_PSEUDONYMISATION_KEY", TINY_KEY)):
        monkeypatch.setenv(name, str(value))
    capsys.readouterr()
    main(["census", "validate", str(report.xml_path), "--previous", str(given)])
    out = capsys.readouterr().out
    for rule in SEEDED:
        assert f"QUERY {rule}: worker row" in out
    assert "SW1000" not in out  # workers by row and pseudonym, never the SWE number
