"""The published table ``scrutiny_workforce_monthly``: columns, rates and their parts.

Grain: one row per (la_code, month_end, service_area); ``service_area = 'All'`` is the LA level.
Names follow DfE's CSWW Indicators file (``docs/spec/metrics.md``). Each indicator has a
``<name>_status`` column beside it holding DfE/GSS shorthand: NULL when the value is
published, ``x`` not available (optional export missing), ``z`` not applicable (zero
denominator), ``c`` suppressed.
"""

from __future__ import annotations

from dataclasses import dataclass

KEY_COLUMNS = ("la_code", "month_end", "service_area")
LA_LEVEL = "All"

#: DfE's 22 indicators, in the Indicators file's order.
INDICATORS = (
    "inpost_fte", "inpost_headcount",
    "starters_fte", "starters_headcount",
    "leavers_fte", "leavers_headcount",
    "turnover_rate_fte", "turnover_rate_headcount",
    "agency_fte", "agency_headcount",
    "agency_rate_fte", "agency_rate_headcount",
    "agency_cover_fte", "agency_cover_rate_fte",
    "vacancy_fte", "vacancy_rate_fte", "vacancy_agency_cover_rate_fte",
    "case_holders_fte", "cases", "caseload_fte",
    "working_days_lost_fte", "absence_rate_fte",
)

#: Denominators that are not themselves an indicator, published beside the rate.
EXTRA_DENOMINATORS = (
    "agency_rate_fte_denominator",
    "agency_rate_headcount_denominator",
    "vacancy_rate_fte_denominator",
    "absence_rate_fte_denominator",
)

#: Cases held by CMS professionals matching no HR or agency worker at month end.
DATA_QUALITY_COLUMNS = ("cases_unmatched",)


@dataclass(frozen=True)
class Rate:
    name: str
    numerator: str
    denominator: str
    multiplier: int = 100


RATES = (
    Rate("turnover_rate_fte", "leavers_fte", "inpost_fte"),
    Rate("turnover_rate_headcount", "leavers_headcount", "inpost_headcount"),
    Rate("agency_rate_fte", "agency_fte", "agency_rate_fte_denominator"),
    Rate("agency_rate_headcount", "agency_headcount", "agency_rate_headcount_denominator"),
    Rate("agency_cover_rate_fte", "agency_cover_fte", "agency_fte"),
    Rate("vacancy_rate_fte", "vacancy_fte", "vacancy_rate_fte_denominator"),
    Rate("vacancy_agency_cover_rate_fte", "agency_cover_fte", "vacancy_fte"),
    Rate("caseload_fte", "cases", "case_holders_fte", multiplier=1),
    Rate("absence_rate_fte", "working_days_lost_fte", "absence_rate_fte_denominator"),
)
RATES_BY_NAME = {r.name: r for r in RATES}

HEADCOUNTS = tuple(c for c in INDICATORS if c.endswith("_headcount") and c not in RATES_BY_NAME) + ("cases",)
FTE_VALUES = tuple(
    c for c in INDICATORS if c not in RATES_BY_NAME and c not in HEADCOUNTS
)

#: Indicators that need the optional hr_absences export (``x`` when it is missing).
NEEDS_ABSENCES = ("working_days_lost_fte", "absence_rate_fte")

STATUS_SUFFIX = "_status"
STATUS_CODES = ("x", "z", "c")


def status_column(indicator: str) -> str:
    return f"{indicator}{STATUS_SUFFIX}"


#: Published column order.
PUBLISHED_COLUMNS = (
    KEY_COLUMNS
    + tuple(col for ind in INDICATORS for col in (ind, status_column(ind)))
    + EXTRA_DENOMINATORS
    + DATA_QUALITY_COLUMNS
)
