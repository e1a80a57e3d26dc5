"""The CSWW census XML message: written from the records (``build_message``), read back from any
file (``parse_message``), and its aggregates recomputed from the XML alone (``aggregates``).

Element order and types follow the year's ``Shape`` (``years``) and its XSD. Values: FTE and
FTE30 with 6 decimal places, money and days with 2, contract weeks with 1, dates ISO. An item the
data cannot give is left out (every worker item but ``AgencyWorker`` and ``SWENo`` may be), except
where DfE has a "not known / not yet collected" code: ``ReasonLeave`` 10 and ``StartOrigin`` 10
(not yet collected) are written for a leaver or starter whose HR record lacks them, so the return
says so instead of failing the pairing rule silently; the readiness report lists each such use.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from lxml import etree

from workforce.returns.years import INCENTIVES, Shape

#: DfE's "not yet collected" codes (export contract: ReasonLeave 10, StartOrigin 10).
NOT_YET_COLLECTED = {"ReasonLeave": 10, "StartOrigin": 10}
_SEX = {"1": "M", "2": "F"}  # GenderCurrent -> Sex; 0 not known and 9 not specified have no Sex code


def _fmt(value: Any, places: int | None = None) -> str | None:
    if value is None or (isinstance(value, float) and value != value):  # None or NaN
        return None
    if isinstance(value, (datetime,)):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if places is not None:
        return f"{float(value):.{places}f}"
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _flag(value: Any) -> str | None:
    if value is None or (isinstance(value, float) and value != value):
        return None
    return "1" if str(value).strip().upper() in ("Y", "1", "TRUE") else "0"


@dataclass
class Substitution:
    """A 'not yet collected' code written for a missing item (no identity: the record's row)."""

    row: int
    field: str


@dataclass
class Built:
    xml: bytes
    rows: list[str]  # person key of each CSWWWorker, in order (row n = rows[n-1])
    substitutions: list[Substitution] = field(default_factory=list)


def worker_items(rec: dict, shape: Shape, swe: str | None, birth: date | None, in_year) -> dict[str, list[str]]:
    """One record's elements (name -> values) in the shape's items; missing items absent."""
    agency = int(rec["agency"]) == 1
    items: dict[str, Any] = {"AgencyWorker": "1" if agency else "0", "SWENo": swe}
    items["FTE"] = _fmt(rec.get("fte"), 6)
    if agency:
        items["OrgRole"] = _fmt(rec.get("org_role"))
        items["Cases30"] = _fmt(rec.get("cases30"))
        items["ContractWeeks"] = _fmt(rec.get("contract_weeks"), 1)
        return {k: [v] for k, v in items.items() if v is not None}
    gender = _fmt(rec.get("gender"))
    items["PersonBirthDate"] = _fmt(birth)
    sex = _fmt(rec.get("sex")) or _SEX.get(gender or "")  # the census's Sex, else from GenderCurrent 1/2
    items[shape.gender_element] = sex if shape.gender_element == "Sex" else gender
    items["Ethnicity"] = _fmt(rec.get("ethnicity"))
    items["QualLevel"] = _fmt(rec.get("qual_level"))
    items["StepUpGrad"] = _flag(rec.get("step_up_grad"))
    items["OrgRole"] = _fmt(rec.get("org_role"))
    items["RoleStartDate"] = _fmt(rec.get("role_start"))
    if rec.get("is_starter"):
        items["StartOrigin"] = _fmt(rec.get("start_origin"))
    if rec.get("is_leaver"):
        items["RoleEndDate"] = _fmt(rec.get("role_end"))
        items["LeaverDestination"] = _fmt(rec.get("leaver_destination"))
        items["ReasonLeave"] = _fmt(rec.get("reason_leave"))
    if rec.get("is_in_post"):
        items["FTE30"] = _fmt(rec.get("fte30"), 6)
        items["Cases30"] = _fmt(rec.get("cases30"))
        items["Absat30Sept"] = _fmt(rec.get("absent30"))
        items["ReasonAbsence"] = _fmt(rec.get("absence_reason"))
        items["BaseSalary"] = _fmt(rec.get("base_salary"), 2)
    items["WorkingDaysLost"] = _fmt(rec.get("working_days_lost"), 2)
    items["FrontlineGrad"] = _flag(rec.get("frontline_grad"))
    items["CFKSSstatus"] = _fmt(rec.get("kss_status"))
    items["RRPayments"] = _fmt(rec.get("rr_payments"), 2)
    items["OtherPayments"] = _fmt(rec.get("other_payments"), 2)
    return {k: [v] for k, v in items.items() if v is not None and k in shape.worker}


def build_message(shape: Shape, year: int, reference: date, la_code: str, la_level: dict[str, Any],
                  records: list[dict], swe: dict[str, str], birth: dict[str, date], created: datetime,
                  software_code: str) -> Built:
    """The message as bytes (UTF-8, declared), with the person key of every worker row."""
    root = etree.Element("Message")
    header = etree.SubElement(root, "Header")
    details = etree.SubElement(header, "CollectionDetails")
    for name, value in (("Collection", "CSWW"), ("Year", str(year)), ("ReferenceDate", reference.isoformat())):
        etree.SubElement(details, name).text = value
    source = etree.SubElement(header, "Source")
    lea = la_code.split("/")[0].strip()  # a joint return: the first council's code (docs/returns.md)
    for name, value in (("SourceLevel", "L"), ("LEA", lea), ("SoftwareCode", software_code),
                        ("DateTime", created.strftime("%Y-%m-%dT%H:%M:%S"))):
        etree.SubElement(source, name).text = value
    block = etree.SubElement(root, "LALevelVacancies")
    for name in shape.la_level:
        if la_level.get(name) is not None:
            etree.SubElement(block, name).text = str(la_level[name])
    built = Built(b"", [])
    for rec in records:
        items = worker_items(rec, shape, swe.get(rec["person_key"]), birth.get(rec["person_key"]), None)
        row = len(built.rows) + 1
        if int(rec["agency"]) == 0:
            for item, flag in (("StartOrigin", "is_starter"), ("ReasonLeave", "is_leaver")):
                if rec.get(flag) and item not in items:
                    items[item] = [str(NOT_YET_COLLECTED[item])]
                    built.substitutions.append(Substitution(row, item))
        worker = etree.SubElement(root, "CSWWWorker")
        for name in shape.worker:
            for value in items.get(name, []):
                etree.SubElement(worker, name).text = value
        built.rows.append(rec["person_key"])
    built.xml = etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)
    return built


# Reading a message (ours or another system's) ------------------------------------------------
@dataclass
class Message:
    year: int | None
    reference: date | None
    lea: str | None
    la_level: dict[str, str]
    workers: list[dict[str, list[str]]]  # element -> values, in file order
    lines: list[int]  # source line of each CSWWWorker
    tree: Any = None


def _date(text: str | None) -> date | None:
    try:
        return date.fromisoformat(text.strip()) if text else None
    except ValueError:
        return None


def parse_message(data: bytes) -> Message:
    """The message's content; raises ``etree.XMLSyntaxError`` when it is not well-formed XML."""
    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)
    tree = etree.fromstring(data, parser=parser).getroottree()
    root = tree.getroot()

    def text(path: str) -> str | None:
        node = root.find(path)
        return node.text.strip() if node is not None and node.text else None

    year_text = text("Header/CollectionDetails/Year")
    block = root.find("LALevelVacancies")
    la_level = {c.tag: (c.text or "").strip() for c in block} if block is not None else {}
    workers, lines = [], []
    for node in root.findall("CSWWWorker"):
        items: dict[str, list[str]] = {}
        for child in node:
            if isinstance(child.tag, str):
                items.setdefault(child.tag, []).append((child.text or "").strip())
        workers.append(items)
        lines.append(node.sourceline or 0)
    year = int(year_text) if year_text and year_text.isdigit() else None
    return Message(year, _date(text("Header/CollectionDetails/ReferenceDate")), text("Header/Source/LEA"),
                   la_level, workers, lines, tree)


def first(items: dict[str, list[str]], name: str) -> str | None:
    values = items.get(name)
    return values[0] if values else None


def _num(text: str | None) -> float:
    try:
        return float(text) if text else 0.0
    except ValueError:
        return 0.0


def aggregates(message: Message, year_start: date, reference: date) -> dict[str, float]:
    """The census figures recomputed from the XML alone, as the reconciliation mart defines them:
    in post = non-agency records with FTE30 > 0; starters = RoleStartDate in the year; leavers =
    RoleEndDate in the year (FTE = the record's FTE); agency = agency records (FTE summed);
    vacancies = the council-level NumberOfVacancies."""
    out = dict.fromkeys(("inpost_fte", "inpost_headcount", "starters_fte", "starters_headcount", "leavers_fte",
                         "leavers_headcount", "agency_fte", "agency_headcount"), 0.0)
    for w in message.workers:
        fte = _num(first(w, "FTE"))
        if first(w, "AgencyWorker") == "1":
            out["agency_fte"] += fte
            out["agency_headcount"] += 1
            continue
        fte30 = _num(first(w, "FTE30"))
        if fte30 > 0:
            out["inpost_fte"] += fte30
            out["inpost_headcount"] += 1
        start, end = _date(first(w, "RoleStartDate")), _date(first(w, "RoleEndDate"))
        if start is not None and year_start <= start <= reference:
            out["starters_headcount"] += 1
            out["starters_fte"] += fte
        if end is not None and year_start <= end <= reference:
            out["leavers_headcount"] += 1
            out["leavers_fte"] += fte
    out["vacancy_fte"] = _num(message.la_level.get("NumberOfVacancies"))
    out["agency_fte_block"] = _num(message.la_level.get("NoAgencyFTE"))
    out["agency_headcount_block"] = _num(message.la_level.get("NoAgencyHeadcount"))
    return out


def incentive_items(config: dict) -> dict[str, Any]:
    """The council-level incentive items from the returns config (None = not answered)."""
    values = config.get("incentives") or {}
    out: dict[str, Any] = {name: values.get(name) for name in INCENTIVES}
    out["OtherAllowances"] = config.get("other_allowances")
    return out
