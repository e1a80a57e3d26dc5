"""The invented reference lists and the weights that set the sample's levels.

Names, agencies and localities are made up; nobody real is described. The weights put the
default sample near a typical shire county in DfE's published Indicators file (see the package
docstring). They feed every export: names, gender and ethnicity (``hr_workers``,
``ssd_professionals``), grades, pay and job titles (``hr_workers``, ``hr_establishment``,
``payroll_lines``), leaving reasons and destinations (``hr_workers``), exit reasons
(``hr_exit_interviews``), agencies (``agency_assignments``), service areas (``hr_teams``,
``ssd_department``) and the phases of children's cases (``ssd_involvements``).
"""

from __future__ import annotations

from workforce.spec import contract

FIRST_NAMES = (
    "Olivia", "Amelia", "Isla", "Ava", "Mia", "Sophie", "Grace", "Emily", "Lily", "Freya",
    "Charlotte", "Jessica", "Hannah", "Chloe", "Lucy", "Sarah", "Rebecca", "Laura", "Rachel",
    "Emma", "Amy", "Helen", "Claire", "Priya", "Aisha", "Fatima", "Chipo", "Tendai", "Joanna",
    "Nicola", "Karen", "Louise", "James", "Oliver", "Jack", "Harry", "George", "Thomas",
    "Daniel", "Samuel", "Mohammed", "Tunde", "Ravi", "David", "Michael", "Joseph", "Adam",
    "Kwame", "Peter", "Mark",
)
LAST_NAMES = (
    "Smith", "Jones", "Taylor", "Brown", "Williams", "Wilson", "Johnson", "Davies", "Robinson",
    "Wright", "Thompson", "Evans", "Walker", "White", "Roberts", "Green", "Hall", "Wood",
    "Jackson", "Clarke", "Patel", "Khan", "Lewis", "James", "Phillips", "Mason", "Mitchell",
    "Rose", "Davis", "Rodriguez", "Cox", "Alexander", "Moyo", "Okafor", "Sharma", "Nowak",
    "Kowalski", "Murphy", "Kelly", "Hughes", "Edwards", "Harris", "Martin", "Cooper", "Ward",
    "Turner", "Parker", "Hill", "Moore", "Baker",
)
AGENCY_NAMES = (
    "Apex Social Care Recruitment", "Brightpath Locums", "Cobalt Care Staffing",
    "Meridian Social Work Ltd", "Tamar Valley Agency", "Harbour People Services",
)
LOCALITIES = ("North", "South", "East", "West", "Central", "Coast", "Moor", "Mid")

# service area: (teams per 30, practitioner posts per team weight, allocated children's cases)
AREAS: dict[str, tuple[int, float, bool]] = {
    "Front Door": (1, 1.0, False),  # MASH: screens contacts, allocates no cases
    "Assessment": (3, 1.0, True),
    "Safeguarding": (8, 1.0, True),
    "Children in Care": (6, 1.0, True),
    "Care Leavers": (3, 0.8, True),
    "Fostering": (3, 0.8, False),
    "Adoption": (2, 0.7, False),
    "Disabled Children": (2, 0.9, True),
    "Quality Assurance": (2, 0.9, False),
}
assert tuple(AREAS) == contract.SERVICE_AREAS

GRADE_RANK = {"ASYE": 0, "SW": 1, "SSW": 2, "AP": 3, "IRO": 3, "TM": 4, "SM": 5}
SALARY = {  # annual full-time basic pay at the end of the history
    "ASYE": (33_500, 36_000), "SW": (38_000, 45_000), "SSW": (45_000, 50_000),
    "AP": (48_000, 53_000), "IRO": (47_000, 52_000), "TM": (52_000, 58_000),
    "SM": (62_000, 82_000),
}
KSS = {"ASYE": 1, "SW": 2, "SSW": 2, "AP": 2, "IRO": 2, "TM": 3, "SM": 4}
AGE_RANGE = {  # age on appointment to a grade
    "ASYE": (23, 40), "SW": (24, 58), "SSW": (28, 60), "AP": (32, 60), "IRO": (35, 61),
    "TM": (32, 60), "SM": (38, 60),
}
ETHNICITY_MAIN = (("WBRI", 80), ("WIRI", 1), ("WOTH", 5), ("MWBC", 2), ("MWBA", 1), ("MWAS", 1),
                  ("MOTH", 1), ("AIND", 2), ("APKN", 1), ("ABAN", 0.5), ("AOTH", 0.5),
                  ("BCRB", 1), ("BAFR", 2), ("BOTH", 0.5), ("CHNE", 0.5), ("OOTH", 0.5),
                  ("REFU", 1), ("NOBT", 1))
ETHNICITY_OVERSEAS = (("BAFR", 45), ("AIND", 15), ("WOTH", 15), ("BOTH", 8), ("OOTH", 7),
                      ("AOTH", 5), ("APKN", 5))
GENDER = (("2", 82), ("1", 16), ("0", 1), ("9", 1))
LEAVING_REASON = ((1, 74), (2, 2), (3, 1), (4, 3), (6, 0.3), (7, 5), (8, 6), (9, 8.7))
DESTINATION = ((1, 30), (2, 4), (3, 12), (4, 18), (5, 5), (6, 4), (7, 6), (8, 16), (9, 5))
ORIGIN_EXPERIENCED = ((2, 45), (4, 14), (5, 12), (6, 5), (7, 6), (8, 6), (9, 10), (10, 2))
EXIT_PRIMARY = (("PAY", 24), ("WORKLOAD", 22), ("CAREER", 15), ("SUPERVISION", 8),
                ("FLEXIBILITY", 9), ("RELOCATION", 8), ("AGENCY", 6), ("PERSONAL", 6),
                ("OTHER", 2))
CHANGE_REASONS = (("MANAGE", 35), ("CHCHAN", 18), ("PCCHAN", 15), ("FCONTA", 10), ("OTHERS", 22))
SIBLINGS = ((1, 62), (2, 22), (3, 11), (4, 5))

# Case phases: service area -> (median days, spread, min, max, next areas with probability)
PHASES: dict[str, tuple[int, float, int, int, tuple[tuple[str, float], ...]]] = {
    "Assessment": (45, 0.4, 10, 110, (("Safeguarding", 0.32), ("Children in Care", 0.07),
                                      ("Disabled Children", 0.04))),
    "Safeguarding": (270, 0.6, 40, 1100, (("Children in Care", 0.1),)),
    "Children in Care": (650, 0.7, 90, 2600, (("Care Leavers", 0.25),)),
    "Care Leavers": (500, 0.5, 90, 1400, ()),
    "Disabled Children": (550, 0.7, 60, 2200, ()),
}
CASES_PER_CAPACITY = 17.5  # children allocated per FTE of full case-holding capacity
CAPACITY = {"ASYE": 0.65, "AP": 0.4}  # protected caseloads; everyone else 1.0

JOB_TITLES = {
    "ASYE": "Social Worker (ASYE)", "SW": "Social Worker", "SSW": "Senior Social Worker",
    "AP": "Advanced Practitioner", "IRO": "Independent Reviewing Officer",
    "TM": "Team Manager", "SM": "Service Manager",
}
PART_TIME_FTE = (0.8, 0.8, 0.6, 0.5)  # the FTE of someone who works part-time (0.8 twice as likely)
CASUAL_FTE = (0.2, 0.3, 0.4, 0.5)  # the FTE of a casual worker's spell
