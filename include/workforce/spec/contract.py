"""Export contract v1 (``docs/spec/export-contract.md``) as data.

One ``ExportSpec`` per export, one ``ColumnSpec`` per column. The generator writes files in
this shape, the extractor checks files against it, and the raw warehouse tables are created
from it, so the three cannot drift apart.

Personal data: ``pseudonym`` names the identifier kind ("staff" or "child") whose keyed HMAC
replaces the value at ingest, under ``raw_name``; ``drop`` columns (names) are never read
past the landing zone; the date of birth becomes an age band.

Identity-shaped text: ``label`` columns (team codes and names, service areas, job titles: text a
published table or a figure's grouping may carry) and ``free_text`` columns are searched at ingest
for values shaped like a person's identity (an identifier of the run, an e-mail address, an
employee or registration number, a phone or NI number, a date, a postcode, a title and name).
Such a value is replaced by a keyed, consistent ``withheld-...`` label and recorded
(``ingest.rules.IDENTITY_SHAPED``), so it never passes ingest in clear.
"""

from __future__ import annotations

from dataclasses import dataclass, field

TEXT, CODE, INT, DECIMAL, DATE, FLAG, PERIOD = "text", "code", "int", "decimal", "date", "flag", "period"
#: Label columns: a name (team name, service area, job title) or a code (team code); a code may be
#: all digits (a cost centre), so a long run of digits alone does not make it identity-shaped.
NAME_LABEL, CODE_LABEL = "name", "code"

# Code lists -------------------------------------------------------------------------------
GENDER_CODES = ("0", "1", "2", "9")
ETHNICITY_CODES = (
    "WBRI", "WIRI", "WOTH", "MWBC", "MWBA", "MWAS", "MOTH", "AIND", "APKN",
    "ABAN", "AOTH", "BCRB", "BAFR", "BOTH", "CHNE", "OOTH", "REFU", "NOBT",
)
ORG_ROLES = (1, 2, 3, 4, 5, 6)
CAREER_GRADES = ("ASYE", "SW", "SSW", "AP", "TM", "IRO", "SM")
CONTRACT_TYPES = ("PERMANENT", "FIXED_TERM", "CASUAL")
LEAVING_REASONS = tuple(range(1, 11))
LEAVER_DESTINATIONS = tuple(range(1, 10))
START_ORIGINS = tuple(range(1, 11))
KSS_STATUSES = (1, 2, 3, 4)
#: CSWW census items the monthly figures do not need (issue 14, optional columns of hr_workers).
SEX_CODES = ("M", "F")
QUAL_LEVELS = (1, 2, 3)
ABSENCE_REASONS = ("SIC", "MAT", "OTH", "PUB", "TRN", "UNA", "UNP")
EXIT_REASONS = (
    "PAY", "WORKLOAD", "CAREER", "SUPERVISION", "FLEXIBILITY",
    "RELOCATION", "AGENCY", "RETIREMENT", "PERSONAL", "OTHER",
)
PAY_ELEMENTS = (
    "BASIC", "OVERTIME", "MARKET_SUPPLEMENT", "RETENTION_PAYMENT",
    "RELOCATION", "ALLOWANCE", "EMPLOYER_ONCOST", "OTHER",
)
WORKER_CHANGE_REASONS = (
    "MANAGE", "FCONTA", "LEFTRL", "ORGRST", "TSPROC", "ABSENC", "CHCHAN", "PCCHAN", "SWDIED", "OTHERS",
)
SERVICE_AREAS = (
    "Front Door", "Assessment", "Safeguarding", "Children in Care", "Care Leavers",
    "Fostering", "Adoption", "Disabled Children", "Quality Assurance",
)
#: Roles in ssd_involvements that count as an allocated case worker (config default).
ALLOCATED_CASE_WORKER_ROLES = ("CW", "ALLOCATED CASE WORKER")

#: CSWW age bands (age at the extract date) that replace the date of birth.
AGE_BANDS = ("Under 25", "25-29", "30-39", "40-49", "50-54", "55-59", "60+")


@dataclass(frozen=True)
class ColumnSpec:
    name: str
    type: str
    required: bool = False
    codes: tuple | None = None
    pseudonym: str | None = None  # "staff" | "child": keyed HMAC at ingest
    drop: bool = False  # personal data never stored (names)
    age_band: bool = False  # date of birth: stored as an age band only
    label: str | None = None  # NAME_LABEL or CODE_LABEL: text that may be published, checked for identities
    free_text: bool = False  # free text: checked the same way; never shown in any output
    description: str = ""

    @property
    def raw_name(self) -> str:
        """Column name in the raw warehouse table."""
        if self.pseudonym:
            return _PSEUDONYM_RAW_NAMES.get(self.name, f"{self.name}_key")
        if self.age_band:
            return "age_band"
        return self.name

    @property
    def is_personal(self) -> bool:
        return bool(self.pseudonym or self.drop or self.age_band)

    @property
    def checked_for_identity(self) -> bool:
        """Text searched at ingest for identity-shaped values (``label`` or ``free_text``)."""
        return bool(self.label or self.free_text)


_PSEUDONYM_RAW_NAMES = {
    "employee_id": "employee_key",
    "swe_registration": "person_key",
    "prof_professional_id": "prof_professional_key",
    "prof_staff_id": "prof_staff_key",
    "prof_social_worker_registration_no": "prof_person_key",
    "invo_professional_id": "invo_professional_key",
    "invo_person_id": "invo_child_key",
}


@dataclass(frozen=True)
class ExportSpec:
    name: str
    system: str  # hr | payroll | agency | cms
    required: bool
    description: str
    columns: tuple[ColumnSpec, ...] = field(default_factory=tuple)

    @property
    def required_columns(self) -> list[str]:
        return [c.name for c in self.columns if c.required]

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    def column(self, name: str) -> ColumnSpec:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(f"{self.name} has no column {name!r}")

    @property
    def raw_columns(self) -> list[ColumnSpec]:
        """Columns kept in the raw table (names dropped)."""
        return [c for c in self.columns if not c.drop]


def C(name, type_, required=False, **kw) -> ColumnSpec:  # noqa: N802 - table-like declarations
    return ColumnSpec(name, type_, required, **kw)


EXPORTS: tuple[ExportSpec, ...] = (
    ExportSpec("hr_workers", "hr", True, "Full snapshot; one row per employment spell.", (
        C("employee_id", TEXT, True, pseudonym="staff"),
        C("swe_registration", TEXT, True, pseudonym="staff"),
        C("full_name", TEXT, drop=True),
        C("date_of_birth", DATE, True, age_band=True),
        C("gender", CODE, True, codes=GENDER_CODES),
        C("ethnicity", CODE, True, codes=ETHNICITY_CODES),
        C("spell_id", TEXT, True),
        C("post_id", TEXT),
        C("team_code", TEXT, True, label=CODE_LABEL),
        C("job_title", TEXT, label=NAME_LABEL),
        C("org_role", INT, True, codes=ORG_ROLES),
        C("career_grade", CODE, True, codes=CAREER_GRADES),
        C("contract_type", CODE, True, codes=CONTRACT_TYPES),
        C("fte", DECIMAL, True),
        C("spell_start_date", DATE, True),
        C("spell_end_date", DATE),
        C("la_service_start_date", DATE, True),
        C("leaving_date", DATE),
        C("leaving_reason", INT, codes=LEAVING_REASONS),
        C("leaver_destination", INT, codes=LEAVER_DESTINATIONS),
        C("start_origin", INT, codes=START_ORIGINS),
        C("kss_status", INT, codes=KSS_STATUSES),
        C("is_overseas_recruit", FLAG, True),
        # Optional: CSWW census items only (docs/returns.md); a file or profile without them still loads.
        C("census_sex", CODE, codes=SEX_CODES, description="CSWW Sex (2024 on): M, F"),
        C("qual_level", INT, codes=QUAL_LEVELS, description="CSWW QualLevel: 1 undergraduate, 2 postgraduate, 3 other"),
        C("step_up_grad", FLAG, description="CSWW StepUpGrad: qualified through Step Up to Social Work"),
        C("frontline_grad", FLAG, description="CSWW FrontlineGrad: qualified through Frontline"),
        C("base_salary_gbp", DECIMAL, description="CSWW BaseSalary: annual full-time base salary of the spell"),
    )),
    ExportSpec("hr_establishment", "hr", True, "Funded posts.", (
        C("post_id", TEXT, True),
        C("team_code", TEXT, True, label=CODE_LABEL),
        C("org_role", INT, True, codes=ORG_ROLES),
        C("career_grade", CODE, True, codes=CAREER_GRADES),
        C("budgeted_fte", DECIMAL, True),
        C("effective_from", DATE, True),
        C("effective_to", DATE),
    )),
    ExportSpec("hr_absences", "hr", False, "One row per absence episode.", (
        C("absence_id", TEXT, True),
        C("employee_id", TEXT, True, pseudonym="staff"),
        C("absence_reason", CODE, True, codes=ABSENCE_REASONS),
        C("start_date", DATE, True),
        C("end_date", DATE),
        C("working_days_lost", DECIMAL),
    )),
    ExportSpec("hr_teams", "hr", False, "Organisation structure.", (
        C("team_code", TEXT, True, label=CODE_LABEL),
        C("team_name", TEXT, True, label=NAME_LABEL),
        C("service_area", TEXT, True, label=NAME_LABEL),
        C("locality", TEXT, label=NAME_LABEL),
    )),
    ExportSpec("hr_exit_interviews", "hr", False, "Exit interviews.", (
        C("employee_id", TEXT, True, pseudonym="staff"),
        C("leaving_date", DATE, True),
        C("interview_date", DATE),
        C("primary_reason", CODE, True, codes=EXIT_REASONS),
        C("other_reasons", TEXT, free_text=True),
        C("would_return", FLAG),
    )),
    ExportSpec("payroll_lines", "payroll", False, "One row per pay element per person per period.", (
        C("employee_id", TEXT, True, pseudonym="staff"),
        C("pay_period", PERIOD, True),
        C("pay_element", CODE, True, codes=PAY_ELEMENTS),
        C("amount_gbp", DECIMAL, True),
        C("hours", DECIMAL),
    )),
    ExportSpec("agency_assignments", "agency", True, "Agency social workers engaged.", (
        C("assignment_id", TEXT, True),
        C("swe_registration", TEXT, True, pseudonym="staff"),
        C("agency_name", TEXT, True, label=NAME_LABEL),
        C("team_code", TEXT, True, label=CODE_LABEL),
        C("post_id", TEXT),
        C("org_role", INT, True, codes=ORG_ROLES),
        C("fte", DECIMAL, True),
        C("start_date", DATE, True),
        C("end_date", DATE),
        C("covering_vacancy", FLAG, True),
        C("hourly_charge_gbp", DECIMAL),
    )),
    ExportSpec("agency_timesheets", "agency", False, "Weekly agency timesheets.", (
        C("assignment_id", TEXT, True),
        C("week_ending", DATE, True),
        C("hours", DECIMAL, True),
        C("charge_gbp", DECIMAL, True),
    )),
    ExportSpec("ssd_professionals", "cms", True, "SSD professionals.", (
        C("prof_professional_id", TEXT, True, pseudonym="staff"),
        C("prof_staff_id", TEXT, pseudonym="staff"),
        C("prof_professional_name", TEXT, drop=True),
        C("prof_social_worker_registration_no", TEXT, pseudonym="staff"),
        C("prof_professional_job_title", TEXT, label=NAME_LABEL),
        C("prof_professional_caseload", INT),
        C("prof_professional_department", TEXT, label=NAME_LABEL),
        C("prof_full_time_equivalency", DECIMAL),
        C("prof_agency_worker_flag", FLAG),
    )),
    ExportSpec("ssd_involvements", "cms", True, "Worker allocations to children.", (
        C("invo_involvements_id", TEXT, True),
        C("invo_professional_id", TEXT, True, pseudonym="staff"),
        C("invo_professional_role_id", TEXT, True, label=CODE_LABEL),
        C("invo_professional_team", TEXT, label=CODE_LABEL),
        C("invo_involvement_start_date", DATE, True),
        C("invo_involvement_end_date", DATE),
        C("invo_worker_change_reason", CODE, codes=WORKER_CHANGE_REASONS),
        C("invo_person_id", TEXT, True, pseudonym="child"),
        C("invo_referral_id", TEXT),
    )),
    ExportSpec("ssd_department", "cms", False, "CMS team structure.", (
        C("dept_team_id", TEXT, True, label=CODE_LABEL),
        C("dept_team_name", TEXT, True, label=NAME_LABEL),
        C("dept_team_parent_id", TEXT, label=CODE_LABEL),
        C("dept_team_parent_name", TEXT, label=NAME_LABEL),
    )),
)

EXPORTS_BY_NAME = {e.name: e for e in EXPORTS}
REQUIRED_EXPORTS = tuple(e.name for e in EXPORTS if e.required)
OPTIONAL_EXPORTS = tuple(e.name for e in EXPORTS if not e.required)


def export(name: str) -> ExportSpec:
    try:
        return EXPORTS_BY_NAME[name]
    except KeyError:
        raise KeyError(f"unknown export {name!r}; the contract has {', '.join(EXPORTS_BY_NAME)}") from None
