"""Targets and RAG: the default file loads, a bad file is refused with file, line and key, and
ratings follow the thresholds in both directions, never rating a symbol."""

from __future__ import annotations

import math

import pytest
from workforce.pack.targets import DEFAULT_TARGETS_PATH, Target, TargetsError, load_targets
from workforce.spec.catalogue import catalogue


def _write(tmp_path, text: str):
    path = tmp_path / "council_targets.yml"
    path.write_text(text, encoding="utf-8")
    return path


def test_the_default_targets_load_and_name_published_columns():
    targets = load_targets(caseload_target=15)
    assert targets.path == DEFAULT_TARGETS_PATH
    assert len(targets) >= 7
    for t in targets:
        assert catalogue().table(t.table).has_column(t.column)
    caseload = targets.get("scrutiny_workforce_monthly", "caseload_fte")
    assert caseload is not None and caseload.target == 15 and caseload.direction == "lower"  # Dorset's 1:15


def test_a_council_file_replaces_the_default(tmp_path):
    path = _write(
        tmp_path,
        "targets:\n  scrutiny_workforce_monthly:\n"
        "    agency_rate_fte: {target: 5, direction: lower, amber: 8, red: 10}\n",
    )
    targets = load_targets(path)
    assert len(targets) == 1 and targets.get("scrutiny_workforce_monthly", "agency_rate_fte").red == 10
    assert targets.get("scrutiny_workforce_monthly", "caseload_fte") is None


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (
            "  scrutiny_workforce_monthly:\n    agency_rte_fte: {target: 5, direction: lower, amber: 8, red: 10}\n",
            ":3: targets.scrutiny_workforce_monthly.agency_rte_fte: unknown indicator",
        ),
        (
            "  scrutiny_workforce:\n    agency_rate_fte: {target: 5, direction: lower, amber: 8, red: 10}\n",
            ":2: targets.scrutiny_workforce: unknown table",
        ),
        (
            "  scrutiny_workforce_monthly:\n    agency_rate_fte:\n      target: 5\n      direction: smaller\n"
            "      amber: 8\n      red: 10\n",
            ":5: targets.scrutiny_workforce_monthly.agency_rate_fte.direction: 'smaller' is not one of",
        ),
        (
            "  scrutiny_workforce_monthly:\n    agency_rate_fte:\n      target: 5\n      direction: lower\n"
            "      amber: 12\n      red: 10\n",
            ":6: targets.scrutiny_workforce_monthly.agency_rate_fte: "
            "thresholds in the wrong order for 'lower is better'",
        ),
        (
            "  scrutiny_retention_monthly:\n    starter_retention_12m_pct:\n      target: 90\n      direction: higher\n"
            "      amber: 70\n      red: 80\n",
            ":6: targets.scrutiny_retention_monthly.starter_retention_12m_pct: thresholds in the wrong order for "
            "'higher is better'",
        ),
        (
            "  scrutiny_workforce_monthly:\n    agency_rate_fte:\n      target: five\n      direction: lower\n"
            "      amber: 8\n      red: 10\n",
            ":4: targets.scrutiny_workforce_monthly.agency_rate_fte.target: must be a number",
        ),
        (
            "  scrutiny_workforce_monthly:\n    agency_rate_fte: {target: 5, direction: lower, amber: 8, red: 10, "
            "green: 4}\n",
            ":3: targets.scrutiny_workforce_monthly.agency_rate_fte.green: unknown key",
        ),
        (
            "  scrutiny_workforce_monthly:\n    agency_rate_fte: {target: 5, direction: lower, amber: 8}\n",
            ":3: targets.scrutiny_workforce_monthly.agency_rate_fte.red: is required",
        ),
        (
            "  scrutiny_workforce_monthly:\n    service_area: {target: 5, direction: lower, amber: 8, red: 10}\n",
            ":3: targets.scrutiny_workforce_monthly.service_area: a key column is not a figure",
        ),
        (
            "  scrutiny_workforce_monthly:\n    caseload_fte: {target: 12, direction: lower, amber: 15, red: 18}\n",
            ":3: targets.scrutiny_workforce_monthly.caseload_fte.target: "
            "12 differs from WORKFORCE_CASELOAD_TARGET (15)",
        ),
    ],
    ids=[
        "unknown-indicator",
        "unknown-table",
        "bad-direction",
        "wrong-order-lower",
        "wrong-order-higher",
        "not-a-number",
        "unknown-key",
        "missing-key",
        "not-a-figure",
        "caseload-target-differs",
    ],
)
def test_a_bad_file_is_refused_naming_file_line_and_key(tmp_path, body, expected):
    path = _write(tmp_path, "targets:\n" + body)
    with pytest.raises(TargetsError) as info:
        load_targets(path, caseload_target=15)
    message = str(info.value)
    assert f"{path}{expected}" in message, message


def test_every_problem_is_reported_at_once(tmp_path):
    path = _write(
        tmp_path,
        "targets:\n  scrutiny_workforce_monthly:\n"
        "    nope: {target: 1, direction: lower, amber: 2, red: 3}\n"
        "    agency_rate_fte: {target: 1, direction: up, amber: 2, red: 3}\n",
    )
    with pytest.raises(TargetsError) as info:
        load_targets(path)
    assert ":3:" in str(info.value) and ":4:" in str(info.value)


def test_an_unreadable_or_shapeless_file_is_refused(tmp_path):
    with pytest.raises(TargetsError, match="cannot read"):
        load_targets(tmp_path / "missing.yml")
    with pytest.raises(TargetsError, match="not valid YAML"):
        load_targets(_write(tmp_path, "targets: [unclosed\n"))
    with pytest.raises(TargetsError, match="'targets' mapping"):
        load_targets(_write(tmp_path, "- a list\n"))


LOWER = Target("scrutiny_workforce_monthly", "caseload_fte", 15, "lower", 15, 18)
HIGHER = Target("scrutiny_retention_monthly", "starter_retention_12m_pct", 90, "higher", 85, 75)


@pytest.mark.parametrize(
    ("target", "value", "rag"),
    [
        (LOWER, 12.0, "Green"),
        (LOWER, 15.0, "Green"),
        (LOWER, 15.1, "Amber"),
        (LOWER, 18.0, "Amber"),
        (LOWER, 18.1, "Red"),
        (HIGHER, 95.0, "Green"),
        (HIGHER, 85.0, "Green"),
        (HIGHER, 84.9, "Amber"),
        (HIGHER, 75.0, "Amber"),
        (HIGHER, 74.9, "Red"),
        (LOWER, 0, "Green"),
    ],
)
def test_ratings_follow_the_thresholds_and_the_direction(target, value, rag):
    assert target.rate(value) == rag


@pytest.mark.parametrize("status", ["c", "x", "z"])
def test_a_symbol_is_never_rated(status):
    assert LOWER.rate(None, status) is None
    assert LOWER.rate(40.0, status) is None  # a value beside a symbol is not trusted either


def test_no_figure_is_not_rated():
    assert LOWER.rate(None) is None
    assert LOWER.rate(math.nan) is None
    assert LOWER.rate("x") is None
