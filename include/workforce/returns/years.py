"""The shape of the CSWW census message, year by year (``docs/spec/csww-census.md``).

One ``Shape`` per collection year: the element order of ``CSWWWorker`` and of
``LALevelVacancies``, and the XSD file written from the spec for that year. The shape is chosen
from the collection year given (``shape_for``), never from the clock. A year after the latest
known shape takes the latest one and says so (``Shape.note``); a year before the earliest is
refused. The differences, as the spec gives them:

- 2023 (and before): ``GenderCurrent`` (0/1/2/9) instead of ``Sex``; ``QualInst`` after
  ``Ethnicity`` and ``CFKSSstatus`` after ``ReasonAbsence``; no pay items, no incentives.
- 2024: ``Sex`` (M/F); ``QualInst`` and ``CFKSSstatus`` still there.
- 2025: ``QualInst`` and ``CFKSSstatus`` removed; ``BaseSalary``, ``RRPayments``,
  ``OtherPayments`` per worker; the council-level incentive items after ``NoAgencyHeadcount``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent

#: The council-level incentive items of 2025 on, in order (each 0 no / 1 yes, all eligible /
#: 2 yes, some eligible), then ``OtherAllowances`` (free text).
INCENTIVES = (
    "RecruitmentBonus", "RetentionBonus", "PerformanceAward", "CarAllowance",
    "RelocationPackage", "RegionalWeighting", "CostSWE", "CostDBS",
)

_WORKER_2025 = (
    "AgencyWorker", "SWENo", "FTE", "PersonBirthDate", "Sex", "Ethnicity", "QualLevel", "StepUpGrad",
    "OrgRole", "RoleStartDate", "StartOrigin", "RoleEndDate", "LeaverDestination", "ReasonLeave", "FTE30",
    "Cases30", "WorkingDaysLost", "ContractWeeks", "FrontlineGrad", "Absat30Sept", "ReasonAbsence",
    "BaseSalary", "RRPayments", "OtherPayments",
)


def _before_2025(gender: str) -> tuple[str, ...]:
    order = list(_WORKER_2025[: _WORKER_2025.index("BaseSalary")])
    order[order.index("Sex")] = gender
    order.insert(order.index("Ethnicity") + 1, "QualInst")
    order.insert(order.index("ReasonAbsence") + 1, "CFKSSstatus")
    return tuple(order)


@dataclass(frozen=True)
class Shape:
    year: int  # the collection year this shape was written for
    worker: tuple[str, ...]
    la_level: tuple[str, ...]
    xsd: Path
    note: str = ""  # set when a later year borrows this shape

    @property
    def gender_element(self) -> str:
        return "Sex" if "Sex" in self.worker else "GenderCurrent"

    @property
    def has_pay(self) -> bool:
        return "BaseSalary" in self.worker

    @property
    def has_incentives(self) -> bool:
        return "RecruitmentBonus" in self.la_level


_LA_BASE = ("NumberOfVacancies", "NoAgencyFTE", "NoAgencyHeadcount")

SHAPES: dict[int, Shape] = {
    2023: Shape(2023, _before_2025("GenderCurrent"), _LA_BASE, HERE / "csww_2023.xsd"),
    2024: Shape(2024, _before_2025("Sex"), _LA_BASE, HERE / "csww_2024.xsd"),
    2025: Shape(2025, _WORKER_2025, (*_LA_BASE, *INCENTIVES, "OtherAllowances"), HERE / "csww_2025.xsd"),
}


def shape_for(year: int) -> Shape:
    """The message shape of collection ``year`` (its reference date is 30 September ``year``)."""
    if year in SHAPES:
        return SHAPES[year]
    latest = max(SHAPES)
    if year > latest:
        base = SHAPES[latest]
        return Shape(year, base.worker, base.la_level, base.xsd,
                     note=f"no shape is known for {year}: the {latest} shape is used (check DfE's technical "
                          f"specification for {year} before uploading)")
    raise ValueError(f"collection year {year} is before the earliest shape known ({min(SHAPES)}); "
                     f"the project writes {', '.join(map(str, sorted(SHAPES)))} and later")
