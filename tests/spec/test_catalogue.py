"""The catalogue of published tables: validation on load, and what is derived from it."""

from __future__ import annotations

import textwrap

import pytest
from workforce.release import disclosure
from workforce.spec.catalogue import TABLE, CatalogueError, catalogue, load_catalogue


def _write(tmp_path, body: str):
    path = tmp_path / "catalogue.yml"
    path.write_text(textwrap.dedent(body), encoding="utf-8")
    return path


VALID = """
tables:
- name: scrutiny_workforce_monthly
  description: One row per (la_code, month_end).
  grain: [la_code, month_end]
  disclosure: {group_by: [la_code, month_end], levels: [la_code]}
  columns:
  - {name: la_code, kind: key, type: varchar, definition: Council.}
  - {name: month_end, kind: key, type: date, definition: Month end.}
  - {name: people, kind: count, type: bigint, status: true, suppress: primary, definition: People.}
  - {name: people_fte, kind: fte, type: double, status: true, follows: [people], definition: Their FTE.}
  - name: share
    kind: rate
    type: double
    numerator: people_fte
    denominator: people_fte
    status: true
    definition: A rate.
"""


def test_a_valid_catalogue_loads_with_status_columns_after_their_values(tmp_path):
    cat = load_catalogue(_write(tmp_path, VALID))
    table = cat.table(TABLE)
    assert table.published_columns == (
        "la_code",
        "month_end",
        "people",
        "people_status",
        "people_fte",
        "people_fte_status",
        "share",
        "share_status",
    )
    assert table.column_types["people_status"] == "VARCHAR"
    assert table.column_types["month_end"] == "DATE"


def test_a_rate_follows_what_its_parts_follow(tmp_path):
    table = load_catalogue(_write(tmp_path, VALID)).table(TABLE)
    spec = disclosure.spec_from_table(table)
    assert spec.counts == ("people",)
    assert spec.linked["people_fte"] == ("people",)
    assert spec.linked["share"] == ("people",)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (("kind: count", "kind: headcount"), "kind 'headcount' is not one of"),
        (("type: bigint", "type: int64"), "type 'int64' is not one of"),
        (("follows: [people]", "follows: [nobody]"), "refers to 'nobody', which is not a column"),
        (("numerator: people_fte", "numerator: people_fte\n    multiplier_x: 1"), "unknown key(s) ['multiplier_x']"),
        (("definition: People.", "definition: ''"), "'definition' is required"),
        (("grain: [la_code, month_end]", "grain: [la_code, month_end, people]"), "must be of kind key"),
        (("status: true, suppress: primary", "status: true"), "not suppressed in its own right"),
    ],
)
def test_every_problem_is_reported_with_its_table_column_and_line(tmp_path, change, message):
    body = VALID.replace(*change)
    with pytest.raises(CatalogueError) as err:
        load_catalogue(_write(tmp_path, body))
    text = str(err.value)
    assert message in text
    assert "catalogue.yml:" in text and "table scrutiny_workforce_monthly" in text


def test_needs_names_an_export_of_the_contract(tmp_path):
    body = VALID.replace("definition: People.}", "needs: [hr_sickness], definition: People.}")
    with pytest.raises(CatalogueError, match="needs 'hr_sickness', which is not an export of the contract"):
        load_catalogue(_write(tmp_path, body))


def test_the_projects_catalogue_is_valid_and_covers_dfes_22_indicators():
    cat = catalogue()
    indicators = [c.name for c in cat.table(TABLE).columns if c.dfe_indicator]
    assert len(indicators) == 22
    for table in cat:
        for column in table.columns:
            assert column.definition, (table.name, column.name)
        if table.disclosure is None:
            assert not any(c.suppress for c in table.columns)


def test_every_published_table_has_a_disclosure_spec_from_the_catalogue():
    assert set(disclosure.SPECS) == set(catalogue().names)
    assert disclosure.SPECS["scrutiny_benchmarks"].counts == ()
    assert disclosure.SPECS["scrutiny_leavers_monthly"].cross_sums is disclosure.CROSS_SUMS["leaver_sums"]
