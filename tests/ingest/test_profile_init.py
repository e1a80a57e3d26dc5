"""``workforce profile init`` (issue 12, item 3): a starting profile from a council's sample files."""

from __future__ import annotations

import pytest
from workforce import cli
from workforce.ingest.profile import ProfileError, load_profile
from workforce.ingest.profile_init import init_profile
from workforce.sample.shapes import reshape_landing


def test_contract_shaped_files_need_nothing_mapped(small_landing_cache, tmp_path):
    text, guesses = init_profile(small_landing_cache, "ours")
    assert {g.export.name for g in guesses if g.export} == {
        "hr_workers", "hr_establishment", "hr_absences", "hr_teams", "hr_exit_interviews", "payroll_lines",
        "agency_assignments", "agency_timesheets", "ssd_professionals", "ssd_involvements", "ssd_department"}
    assert all(not g.unplaced or set(g.unplaced) <= {c.name for c in g.export.columns if not c.required}
               for g in guesses if g.export)
    path = tmp_path / "ours.yml"
    path.write_text(text, encoding="utf-8")
    assert load_profile(path).exports == {}  # every export in the contract's own shape


def test_a_council_shape_is_matched_and_what_is_left_is_said(small_landing_cache, tmp_path, capsys):
    shaped = tmp_path / "shaped"
    shaped.mkdir()
    reshape_landing(small_landing_cache, shaped, load_profile("hr-system"))
    out = tmp_path / "profile.yml"
    assert cli.main(["profile", "init", "--from", str(shaped), "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "Workers Export" in printed and "value maps needed: gender" in printed
    text = out.read_text(encoding="utf-8")
    for line in ('file: "Workers Export {date:DD-MM-YYYY}.xlsx"', 'sheet: "Workers"', "header_row: 3",
                 'employee_id: "Employee Number"', 'spell_start_date: {from: "Assignment Start", dates: "DD/MM/YYYY"}',
                 'file: "absence_{date:YYYYMMDD}.csv"', 'delimiter: ";"', "decimal_comma: true",
                 '"Female": TODO', '"Case holder": TODO'):
        assert line in text, line
    assert "# fte: ?" in text and "(REQUIRED)" in text  # hours, not FTE: a derivation for a person to write
    with pytest.raises(ProfileError, match="'TODO' is not one of the contract's codes for gender"):
        load_profile(out)  # refused until every label is mapped: never guessed
    assert cli.main(["profile", "init", "--from", str(shaped), "--out", str(out)]) == 1  # never overwritten
    assert "exists" in capsys.readouterr().err


def test_an_ssd_extract_is_placed_with_its_date_times_and_its_coded_words(small_landing_cache, tmp_path, capsys):
    """The ssd-mosaic shape: the SSD's own column names are the contract's (every one placed), its
    SQL Server date-times are recognised (``YYYY-MM-DD HH:mm:ss.SSS``), and the worker change
    reasons in words need a map; the empty agency flag and FTE need none."""
    shaped = tmp_path / "shaped"
    shaped.mkdir()
    reshape_landing(small_landing_cache, shaped, load_profile("ssd-mosaic"))
    out = tmp_path / "profile.yml"
    assert cli.main(["profile", "init", "--from", str(shaped), "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "ssd_professionals; 9 of 9 columns placed" in printed
    assert "ssd_involvements; 9 of 9 columns placed; value maps needed: invo_worker_change_reason" in printed
    text = out.read_text(encoding="utf-8")
    for line in ('folder: "SSD"', 'file: "ssd_involvements_{date:YYYYMMDD}.csv"',
                 'invo_involvement_start_date: {from: "invo_involvement_start_date", dates: "YYYY-MM-DD HH:mm:ss.SSS"}',
                 '"Managing caseloads": TODO', "# hr_workers: in the contract's own shape"):
        assert line in text, line
    assert "prof_agency_worker_flag:" not in text  # empty in every row: nothing to map
