"""The census message's shapes, XSDs and validation rules, on messages written here (no pipeline)."""

from __future__ import annotations

from datetime import date, datetime

import pytest
from lxml import etree
from workforce.returns.message import aggregates, build_message, parse_message
from workforce.returns.validate import format_report, validate_message
from workforce.returns.years import SHAPES, shape_for

XS = "{http://www.w3.org/2001/XMLSchema}"
INCENTIVES_ANSWERED = {name: "0" for name in ("RecruitmentBonus", "RetentionBonus", "PerformanceAward",
                                              "CarAllowance", "RelocationPackage", "RegionalWeighting",
                                              "CostSWE", "CostDBS")}


@pytest.mark.parametrize("year", sorted(SHAPES))
def test_each_years_shape_is_its_xsds_element_order(year):
    shape = SHAPES[year]
    schema = etree.parse(str(shape.xsd))
    worker = schema.find(f".//{XS}element[@name='CSWWWorker']")
    la = schema.find(f".//{XS}element[@name='LALevelVacancies']")
    assert tuple(e.get("name") for e in worker.iter(f"{XS}element"))[1:] == shape.worker
    assert tuple(e.get("name") for e in la.iter(f"{XS}element"))[1:] == shape.la_level


def test_the_shape_follows_the_year_given():
    assert shape_for(2023).gender_element == "GenderCurrent" and "QualInst" in shape_for(2023).worker
    assert shape_for(2024).gender_element == "Sex" and "CFKSSstatus" in shape_for(2024).worker
    assert not shape_for(2024).has_pay and not shape_for(2024).has_incentives
    s2025 = shape_for(2025)
    assert s2025.has_pay and s2025.has_incentives and "QualInst" not in s2025.worker and not s2025.note
    later = shape_for(2026)
    assert later.worker == s2025.worker and "2025 shape is used" in later.note
    with pytest.raises(ValueError, match="before the earliest"):
        shape_for(2019)


def _record(person: str, **items) -> dict:
    base = {"agency": 0, "person_key": person, "fte": 1.0, "fte30": 1.0, "is_in_post": True, "is_starter": False,
            "is_leaver": False, "gender": "2", "sex": "F", "ethnicity": "WBRI", "org_role": 5,
            "role_start": date(2019, 4, 1), "working_days_lost": 2.0, "absent30": 0, "rr_payments": 0.0,
            "other_payments": 0.0, "base_salary": 39000.0}
    base.update(items)
    return base


def tiny_message(year: int = 2025, records: list[dict] | None = None, la: dict | None = None,
                 birth: dict | None = None, swe: dict | None = None) -> bytes:
    """A council of four, written here: in post, starter, leaver, agency."""
    records = records if records is not None else [
        _record("p1"),
        _record("p2", is_starter=True, role_start=date(year, 2, 1), start_origin=1, fte=0.8, fte30=0.8),
        _record("p3", is_in_post=False, is_leaver=True, role_end=date(year, 6, 30), reason_leave=1,
                leaver_destination=2, fte30=0.0),
        {"agency": 1, "person_key": "p4", "fte": 0.5, "org_role": 5, "contract_weeks": 20.0},
    ]
    swe = swe if swe is not None else {"p1": "SW100001", "p2": "SW100002", "p3": "SW100003", "p4": "SW200001"}
    birth = birth if birth is not None else {p: date(1980, 1, 2) for p in ("p1", "p2", "p3")}
    block = {"NumberOfVacancies": "1.50", "NoAgencyFTE": "0.50", "NoAgencyHeadcount": "1", **INCENTIVES_ANSWERED}
    block.update(la or {})
    return build_message(shape_for(year), year, date(year, 9, 30), "878", block, records, swe, birth,
                         datetime(2025, 10, 20, 9, 0), "test").xml


def pseudonym(swe: str) -> str:
    return "pk-" + swe[-3:]


def test_a_clean_tiny_council_validates_and_its_aggregates_are_its_records():
    data = tiny_message()
    assert validate_message(data, pseudonym) == []
    figures = aggregates(parse_message(data), date(2024, 10, 1), date(2025, 9, 30))
    assert figures["inpost_headcount"] == 2 and figures["inpost_fte"] == pytest.approx(1.8)
    assert figures["starters_headcount"] == 1 and figures["starters_fte"] == pytest.approx(0.8)
    assert figures["leavers_headcount"] == 1 and figures["leavers_fte"] == pytest.approx(1.0)
    assert figures["agency_headcount"] == 1 and figures["agency_fte"] == pytest.approx(0.5)
    assert figures["vacancy_fte"] == 1.5


def test_elements_are_written_in_the_years_order_and_2024_has_no_2025_items():
    root = etree.fromstring(tiny_message(2024, la={}))
    worker = root.find("CSWWWorker")
    names = [c.tag for c in worker]
    assert names == [n for n in shape_for(2024).worker if n in names]
    assert "BaseSalary" not in names and root.find("LALevelVacancies/RecruitmentBonus") is None
    assert validate_message(tiny_message(2024), pseudonym) == []


def _rules(issues):
    return {(i.rule, i.row, i.field) for i in issues}


def test_seeded_errors_each_give_the_expected_message():
    records = [
        _record("p1", is_in_post=False, is_leaver=True, role_end=date(2025, 5, 31), fte30=0.0,
                leaver_destination=3),  # a leaver without a reason
        _record("p2", is_starter=True, role_start=date(2025, 1, 6)),  # a starter without an origin
        _record("p3"), _record("p4"),  # the same SWE number twice
        _record("p5", fte=1.2, fte30=1.2),  # FTE 1.2
        _record("p6"),  # no date of birth
    ]
    swe = {"p1": "SW1", "p2": "SW2", "p3": "SW33", "p4": "SW33", "p5": "SW5", "p6": "SW6"}
    birth = {p: date(1985, 5, 5) for p in ("p1", "p2", "p3", "p4", "p5")}
    root = etree.fromstring(tiny_message(records=records, swe=swe, birth=birth,
                                         la={"NoAgencyFTE": "0.00", "NoAgencyHeadcount": "0"}))
    workers = root.findall("CSWWWorker")
    for row, name in ((0, "ReasonLeave"), (1, "StartOrigin")):  # as another system would leave them out
        workers[row].remove(workers[row].find(name))
    issues = validate_message(etree.tostring(root), pseudonym)
    lines = format_report(issues)
    assert _rules(issues) == {
        ("leaver_reason_missing", 1, "ReasonLeave"),
        ("start_origin_missing", 2, "StartOrigin"),
        ("duplicate_swe", 3, "SWENo"), ("duplicate_swe", 4, "SWENo"),
        ("fte_range", 5, "FTE"), ("fte_range", 5, "FTE30"),
        ("mandatory_missing", 6, "PersonBirthDate"),
    }, lines
    assert "ERROR leaver_reason_missing: worker row 1 (pk-SW1"[:45] in lines
    assert "a RoleEndDate needs a ReasonLeave" in lines
    assert "a RoleStartDate in the year needs a StartOrigin" in lines
    assert "the same SWE number is on more than one non-agency record (rows 3, 4)" in lines
    assert "ERROR fte_range: worker row 5 (pk-SW5), FTE: FTE must be between 0 and 1 (value '1.200000')" in lines
    assert "ERROR mandatory_missing: worker row 6 (pk-SW6), PersonBirthDate: PersonBirthDate is required" in lines
    assert "SW33" not in lines and "1985-05-05" not in lines  # personal values are never quoted


def test_a_missing_reason_or_origin_is_written_as_not_yet_collected_and_queried():
    from workforce.returns.message import build_message as build

    records = [_record("p1", is_in_post=False, is_leaver=True, role_end=date(2025, 5, 31), fte30=0.0,
                       leaver_destination=3),
               _record("p2", is_starter=True, role_start=date(2025, 1, 6))]
    built = build(shape_for(2025), 2025, date(2025, 9, 30), "878", {"NoAgencyFTE": "0", "NoAgencyHeadcount": "0"},
                  records, {"p1": "SW1", "p2": "SW2"}, {"p1": date(1980, 1, 1), "p2": date(1990, 1, 1)},
                  datetime(2025, 10, 1), "test")
    assert [(s.row, s.field) for s in built.substitutions] == [(1, "ReasonLeave"), (2, "StartOrigin")]
    root = etree.fromstring(built.xml)
    assert [w.findtext(n) for w, n in zip(root.findall("CSWWWorker"), ("ReasonLeave", "StartOrigin"), strict=True)] \
        == ["10", "10"]
    issues = validate_message(built.xml)
    assert {(i.rule, i.severity, i.row) for i in issues if i.row} == {("not_yet_collected", "query", 1),
                                                                      ("not_yet_collected", "query", 2)}


def test_a_file_from_another_system_is_validated_and_personal_values_stay_out():
    other = b"""<?xml version="1.0"?>
<Message><Header><CollectionDetails><Collection>CSWW</Collection><Year>2025</Year>
<ReferenceDate>2025-09-30</ReferenceDate></CollectionDetails><Source><SourceLevel>L</SourceLevel><LEA>878</LEA>
<SoftwareCode>OtherHR</SoftwareCode><DateTime>2025-10-01T10:00:00</DateTime></Source></Header>
<LALevelVacancies><NumberOfVacancies>2.00</NumberOfVacancies><NoAgencyFTE>1.00</NoAgencyFTE>
<NoAgencyHeadcount>2</NoAgencyHeadcount></LALevelVacancies>
<CSWWWorker><AgencyWorker>0</AgencyWorker><SWENo>SW9</SWENo><FTE>1</FTE><PersonBirthDate>1970-02-03</PersonBirthDate>
<Sex>X</Sex><Ethnicity>WBRI</Ethnicity><OrgRole>5</OrgRole><RoleStartDate>2010-01-01</RoleStartDate>
<ReasonLeave>1</ReasonLeave><FTE30>1</FTE30><WorkingDaysLost>0</WorkingDaysLost></CSWWWorker>
<CSWWWorker><AgencyWorker>1</AgencyWorker><SWENo>SW8</SWENo><FTE>1</FTE></CSWWWorker>
</Message>"""
    issues = validate_message(other)
    found = _rules(issues)
    assert ("schema", 1, "Sex") in found  # X is no Sex code
    assert ("leaver_items_without_end_date", 1, "ReasonLeave") in found
    assert ("la_agency_headcount", None, "NoAgencyHeadcount") in found
    assert {i.rule for i in issues if i.severity == "query"} == {"incentive_not_answered"}
    text = format_report(issues)
    assert "'X'" not in text and "SW9" not in text and "1970-02-03" not in text
    assert all(i.worker is None for i in issues)  # no key given: workers by row only


def test_a_file_that_is_not_xml_or_of_an_unknown_year_is_one_error():
    assert [i.rule for i in validate_message(b"<Message><unclosed>")] == ["schema"]
    issues = validate_message(tiny_message().replace(b"<Year>2025</Year>", b"<Year>2010</Year>"))
    assert [(i.rule, i.field) for i in issues] == [("schema", "Year")]


def test_continuity_against_last_years_return():
    from workforce.returns.validate import continuity

    last = tiny_message(2024, records=[
        _record("a"), _record("b"), _record("c", is_in_post=False, is_leaver=True, role_end=date(2024, 3, 31),
                                            reason_leave=1, leaver_destination=2, fte30=0.0),
        _record("d")], swe={"a": "SW1", "b": "SW2", "c": "SW3", "d": "SW4"})
    this = tiny_message(2025, records=[
        _record("a"),  # still in post: fine
        _record("c"),  # left in 2023-24, back without a start in 2024-25
        _record("d", is_starter=True, role_start=date(2025, 1, 6), start_origin=4),  # in post last year
        # b vanished with no leaving record
    ], swe={"a": "SW1", "c": "SW3", "d": "SW4"})
    issues = continuity(this, last, pseudonym)
    assert {(i.rule, i.row, i.severity) for i in issues} == {
        ("continuity_vanished", 2, "query"),  # last year's row 2
        ("continuity_leaver_reappears", 2, "query"),
        ("continuity_starter_already_in_post", 3, "query"),
    }
    assert "worker row 2 (pk-SW2), SWENo: last year's row 2: in post" in format_report(issues)
    steady = {"records": [_record("a")], "swe": {"a": "SW1"}}
    assert continuity(tiny_message(2025, **steady), tiny_message(2024, **steady)) == []
