"""Independent reference implementation of the DfE-compatible workforce indicators.

The test oracle for the dbt models: it recomputes every published indicator in plain
pandas straight from the raw export files (``shared/spec/export-contract.md``), following
``shared/spec/metrics.md``. It shares nothing with the pipeline except the contract's column
names, so a bug in the SQL cannot hide behind the same bug here.

Clarity beats speed, but the heavy tables (spells, involvements) are filtered vectorised.

- ``load_landing(landing_dir, month_end)`` reads the extract of each export used for a month.
- ``compute_indicators(exports, month_end)`` returns ``{service_area: {indicator: value}}``
  with unrounded values; ``None`` marks a zero denominator (status ``z``) or a missing
  optional export (status ``x``).
"""

from __future__ import annotations

import calendar
import re
from datetime import date, datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
from workforce.spec import contract

LA_LEVEL = "All"
UNKNOWN_AREA = "Unknown"
DAYS_PER_FTE_YEAR = 253
ALLOCATED_ROLES = ("CW", "ALLOCATED CASE WORKER")

#: The rates of metrics.md: name -> (numerator, denominator, multiplier).
RATES = {
    "turnover_rate_fte": ("leavers_fte", "inpost_fte", 100),
    "turnover_rate_headcount": ("leavers_headcount", "inpost_headcount", 100),
    "agency_rate_fte": ("agency_fte", "agency_rate_fte_denominator", 100),
    "agency_rate_headcount": ("agency_headcount", "agency_rate_headcount_denominator", 100),
    "agency_cover_rate_fte": ("agency_cover_fte", "agency_fte", 100),
    "vacancy_rate_fte": ("vacancy_fte", "vacancy_rate_fte_denominator", 100),
    "vacancy_agency_cover_rate_fte": ("agency_cover_fte", "vacancy_fte", 100),
    "caseload_fte": ("cases", "case_holders_fte", 1),
    "absence_rate_fte": ("working_days_lost_fte", "absence_rate_fte_denominator", 100),
}


# --------------------------------------------------------------------------------------
# Reading the landing folder
# --------------------------------------------------------------------------------------

def load_landing(
    landing_dir: Path, month_end: date, *, quarantine: bool = True
) -> dict[str, pd.DataFrame]:
    """Read, for each export, the latest extract dated on or before ``month_end``.

    Files are ``<landing>/<export>/<export>_<YYYY-MM-DD>.csv|xlsx``. Every cell is read as
    text, then typed by the contract: ISO dates, numbers, codes and flags upper-cased, empty
    cells null. A missing optional export is simply absent from the result; a missing
    required export or required column raises. With ``quarantine`` (the contract's rule),
    rows that break a rule (a required value missing or unparseable, a code outside its
    list, an HR fte outside (0, 1]) are dropped; their count is in ``frame.attrs``.
    """
    landing_dir = Path(landing_dir)
    frames: dict[str, pd.DataFrame] = {}
    for spec in contract.EXPORTS:
        path = pick_extract(landing_dir / spec.name, spec.name, month_end)
        if path is None:
            if spec.required:
                raise FileNotFoundError(
                    f"no {spec.name} extract on or before {month_end} in {landing_dir}"
                )
            continue
        raw = _read_text_table(path)
        missing = [c for c in spec.required_columns if c not in raw.columns]
        if missing:
            raise ValueError(f"{path.name}: required column {missing[0]!r} is missing")
        frame = type_columns(raw, spec.name)
        if quarantine:
            broken = _broken_rows(raw, frame, spec)
            frame = frame.loc[~broken].reset_index(drop=True)
            frame.attrs["quarantined"] = int(broken.sum())
        frame.attrs["source_file"] = path.name
        frames[spec.name] = frame
    return frames


def pick_extract(folder: Path, export_name: str, month_end: date) -> Path | None:
    """The extract with the latest file-name date on or before ``month_end``, if any."""
    pattern = re.compile(rf"^{re.escape(export_name)}_(\d{{4}}-\d{{2}}-\d{{2}})\.(csv|xlsx)$")
    dated: dict[date, list[Path]] = {}
    if folder.is_dir():
        for path in folder.iterdir():
            match = pattern.match(path.name)
            if not match:
                continue
            try:
                as_at = date.fromisoformat(match.group(1))
            except ValueError:
                continue
            if as_at <= month_end:
                dated.setdefault(as_at, []).append(path)
    if not dated:
        return None
    latest = max(dated)
    if len(dated[latest]) > 1:
        names = sorted(p.name for p in dated[latest])
        raise ValueError(f"two {export_name} extracts dated {latest}: {names}")
    return dated[latest][0]


def _read_text_table(path: Path) -> pd.DataFrame:
    """Every cell as stripped text (None when empty); header names stripped."""
    if path.suffix == ".csv":
        table = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    else:
        table = pd.read_excel(path, sheet_name=0, dtype=object, engine="openpyxl")
        table = table.apply(lambda column: column.map(_cell_text))
    table.columns = [str(c).strip() for c in table.columns]
    return table.apply(lambda column: column.map(_blank_to_none))


def _cell_text(value: object) -> str:
    """An XLSX cell as the text a CSV export would hold."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return ""
    if isinstance(value, datetime | pd.Timestamp):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _blank_to_none(value: object) -> str | None:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    text = str(value).strip()
    return text or None


def type_columns(frame: pd.DataFrame, export_name: str) -> pd.DataFrame:
    """Cast the contract's columns (those present) from text to their types.

    Idempotent, and tolerant of hand-built frames holding ``date`` objects or numbers.
    Values that do not parse become null.
    """
    spec = contract.export(export_name)
    typed = frame.copy()
    for column in spec.columns:
        if column.name not in typed.columns:
            # An optional column the export left out: all null.
            typed[column.name] = None
        values = typed[column.name]
        if column.type == contract.DATE:
            typed[column.name] = _to_dates(values)
        elif column.type == contract.DECIMAL:
            typed[column.name] = pd.to_numeric(_to_text(values), errors="coerce").astype(float)
        elif column.type == contract.INT:
            numbers = pd.to_numeric(_to_text(values), errors="coerce")
            whole = numbers.where(numbers == numbers.round())
            typed[column.name] = whole.astype("Int64")
        elif column.type in (contract.CODE, contract.FLAG):
            typed[column.name] = _to_text(values).str.upper()
        else:
            typed[column.name] = _to_text(values)
    return typed


def _to_text(values: pd.Series) -> pd.Series:
    """Stripped text with null for empty; numbers written without a trailing '.0'."""
    return values.map(lambda v: _blank_to_none(_cell_text(v))).astype("str")


def _to_dates(values: pd.Series) -> pd.Series:
    if pd.api.types.is_datetime64_any_dtype(values):
        return values.astype("datetime64[us]")
    return pd.to_datetime(_to_text(values), format="%Y-%m-%d", errors="coerce").astype(
        "datetime64[us]"
    )


def _broken_rows(raw: pd.DataFrame, typed: pd.DataFrame, spec) -> pd.Series:
    """Rows the contract quarantines: required value missing, unparseable value, bad code."""
    broken = pd.Series(False, index=raw.index)
    for column in spec.columns:
        if column.name not in raw.columns:
            continue
        given = raw[column.name].notna()
        if column.required:
            broken |= ~given
        if column.type in (contract.DATE, contract.DECIMAL, contract.INT):
            broken |= given & typed[column.name].isna()
        codes = column.codes
        if column.type == contract.FLAG:
            codes = ("Y", "N")
        if codes is not None:
            allowed = {str(c) for c in codes}
            as_text = typed[column.name].astype("str")
            broken |= given & ~as_text.isin(allowed)
    if spec.name == "hr_workers":
        fte = typed["fte"]
        broken |= fte.notna() & ~((fte > 0) & (fte <= 1))
    return broken


# --------------------------------------------------------------------------------------
# Small helpers
# --------------------------------------------------------------------------------------

def months_before(day: date, months: int) -> date:
    """Calendar-month arithmetic, clamping the day: 2024-02-29 minus 12 months = 2023-02-28."""
    index = day.year * 12 + (day.month - 1) - months
    year, month = divmod(index, 12)
    month += 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def window_start(month_end: date) -> date:
    """First day of the 12-month window (d minus 12 months, d]."""
    return months_before(month_end, 12) + timedelta(days=1)


def person_key(values: pd.Series) -> pd.Series:
    """Normalised SWE registration: upper-case, no whitespace; null when blank."""
    text = _to_text(values).str.upper().str.replace(r"\s+", "", regex=True)
    return text.where(text != "")


def active_on(start: pd.Series, end: pd.Series, day: pd.Timestamp) -> pd.Series:
    """start <= d and (end is null or end > d)."""
    return (start <= day) & (end.isna() | (end > day))


def weekdays(first: np.ndarray, last: np.ndarray) -> np.ndarray:
    """Monday-to-Friday dates in [first, last] inclusive (0 when last < first)."""
    first_days = first.astype("datetime64[D]")
    after_last = last.astype("datetime64[D]") + np.timedelta64(1, "D")
    return np.maximum(np.busday_count(first_days, after_last), 0)


def rate(numerator: float | None, denominator: float | None, multiplier: int) -> float | None:
    """numerator / denominator x multiplier; None for a zero denominator or a missing part."""
    if numerator is None or denominator is None or denominator == 0:
        return None
    return numerator / denominator * multiplier


def _first_by(frame: pd.DataFrame, group: str, order: list[str], ascending: list[bool]):
    """The first row of each group after sorting (ties broken by the listed columns)."""
    ordered = frame.sort_values(order, ascending=ascending, kind="mergesort")
    return ordered.drop_duplicates(group, keep="first")


# --------------------------------------------------------------------------------------
# The indicators
# --------------------------------------------------------------------------------------

def compute_indicators(
    exports: dict[str, pd.DataFrame],
    month_end: date,
    allocated_roles: tuple[str, ...] = ALLOCATED_ROLES,
) -> dict[str, dict[str, float | int | None]]:
    """Every indicator at d = ``month_end``, for the LA ('All') and each service area."""
    day = pd.Timestamp(month_end)
    first_day = pd.Timestamp(window_start(month_end))
    tables = {name: type_columns(frame, name) for name, frame in exports.items()}

    area_of_team = _team_areas(tables.get("hr_teams"))
    spells = _spells(tables["hr_workers"], area_of_team)
    agency = _agency(tables["agency_assignments"], area_of_team)

    in_post = spells.loc[active_on(spells["spell_start_date"], spells["end"], day)]
    on_agency = agency.loc[active_on(agency["start_date"], agency["end_date"], day)]

    facts = {
        "in_post": in_post,
        "starters": _starters(spells, first_day, day),
        "leavers": _leavers(spells, first_day, day),
        "agency": on_agency,
        "vacancies": _vacancies(tables["hr_establishment"], in_post, day, area_of_team),
    }
    cases, unmatched, holders = _cases(
        tables["ssd_involvements"], tables["ssd_professionals"], in_post, on_agency,
        day, allocated_roles,
    )
    facts.update(cases=cases, holders=holders)
    absences = tables.get("hr_absences")
    facts["absences"] = (
        None if absences is None
        else _absence_days(absences, spells, first_day, day)
    )

    areas = sorted(set(area_of_team.values()) | _areas_seen(facts))
    result = {LA_LEVEL: _indicators(facts, None)}
    result[LA_LEVEL]["cases_unmatched"] = len(unmatched)
    for area in areas:
        result[area] = _indicators(facts, area)
        result[area]["cases_unmatched"] = 0
    return result


def _team_areas(teams: pd.DataFrame | None) -> dict[str, str]:
    if teams is None:
        return {}
    teams = teams.dropna(subset=["team_code", "service_area"]).drop_duplicates("team_code")
    return dict(zip(teams["team_code"], teams["service_area"], strict=True))


def _area(team_codes: pd.Series, area_of_team: dict[str, str]) -> pd.Series:
    return team_codes.map(area_of_team).fillna(UNKNOWN_AREA).astype("str")


def _spells(workers: pd.DataFrame, area_of_team: dict[str, str]) -> pd.DataFrame:
    """HR spells with the person key, effective end and service area."""
    spells = workers.copy()
    spells["person"] = person_key(spells["swe_registration"])
    # Effective end: the earlier of spell end and leaving date, whichever are set.
    spells["end"] = spells[["spell_end_date", "leaving_date"]].min(axis=1, skipna=True)
    spells["area"] = _area(spells["team_code"], area_of_team)
    return spells


def _agency(assignments: pd.DataFrame, area_of_team: dict[str, str]) -> pd.DataFrame:
    agency = assignments.copy()
    agency["person"] = person_key(agency["swe_registration"])
    agency["area"] = _area(agency["team_code"], area_of_team)
    agency["is_cover"] = agency["covering_vacancy"].str.strip().str.upper() == "Y"
    return agency


def _starters(spells: pd.DataFrame, first_day, day) -> pd.DataFrame:
    """One row per starter: person, FTE of the first spell(s), area of the first spell."""
    in_window = spells["la_service_start_date"].between(first_day, day)
    candidates = spells.loc[in_window]
    # The earliest service start in the window, then its earliest spell start.
    first_service = candidates.groupby("person")["la_service_start_date"].transform("min")
    candidates = candidates.loc[candidates["la_service_start_date"] == first_service]
    first_spell = candidates.groupby("person")["spell_start_date"].transform("min")
    starting = candidates.loc[candidates["spell_start_date"] == first_spell]
    return _one_row_per_person(starting)


def _leavers(spells: pd.DataFrame, first_day, day) -> pd.DataFrame:
    """One row per leaver: person, FTE of the spells carrying the latest leaving date."""
    in_window = spells["leaving_date"].between(first_day, day)
    candidates = spells.loc[in_window]
    last_leaving = candidates.groupby("person")["leaving_date"].transform("max")
    leaving = candidates.loc[candidates["leaving_date"] == last_leaving]
    return _one_row_per_person(leaving)


def _one_row_per_person(spells: pd.DataFrame) -> pd.DataFrame:
    """Sum the FTE of a person's spells; the area is that of the first spell by spell_id."""
    fte = spells.groupby("person", as_index=False)["fte"].sum()
    first = _first_by(spells, "person", ["person", "spell_id"], [True, True])
    return fte.merge(first[["person", "area"]], on="person", how="left")


def _vacancies(establishment, in_post, day, area_of_team) -> pd.DataFrame:
    """One row per establishment post active at d: max(0, budgeted - in-post FTE)."""
    posts = establishment.loc[
        active_on(establishment["effective_from"], establishment["effective_to"], day)
    ]
    # One post normally has one active row; if several, budgets add and the smallest
    # team code gives the area.
    budget = posts.groupby("post_id", as_index=False).agg(
        budgeted_fte=("budgeted_fte", "sum"), team_code=("team_code", "min")
    )
    filled = in_post.dropna(subset=["post_id"]).groupby("post_id")["fte"].sum()
    budget["filled_fte"] = budget["post_id"].map(filled).astype(float).fillna(0.0)
    budget["vacancy_fte"] = (budget["budgeted_fte"] - budget["filled_fte"]).clip(lower=0)
    budget["area"] = _area(budget["team_code"], area_of_team)
    return budget


def _cases(involvements, professionals, in_post, on_agency, day, allocated_roles):
    """Distinct (worker, child) cases at d, unmatched cases, and case holders with FTE."""
    roles = {r.strip().upper() for r in allocated_roles}
    role = involvements["invo_professional_role_id"].str.strip().str.upper()
    open_now = active_on(
        involvements["invo_involvement_start_date"], involvements["invo_involvement_end_date"],
        day,
    )
    allocations = involvements.loc[open_now & role.isin(roles),
                                   ["invo_professional_id", "invo_person_id"]]

    profs = professionals.drop_duplicates("prof_professional_id").copy()
    profs["registration"] = person_key(profs["prof_social_worker_registration_no"])
    known_people = set(in_post["person"].dropna()) | set(on_agency["person"].dropna())
    by_registration = profs["registration"].where(profs["registration"].isin(known_people))
    # Employee id -> person key, from spells active at d (smallest key if several).
    employee_person = in_post.dropna(subset=["employee_id"]).groupby("employee_id")[
        "person"
    ].min()
    by_staff_id = profs["prof_staff_id"].map(employee_person)
    profs["matched_person"] = by_registration.where(
        profs["registration"].notna(), by_staff_id
    )

    allocations = allocations.merge(
        profs[["prof_professional_id", "matched_person"]],
        left_on="invo_professional_id", right_on="prof_professional_id", how="left",
    )
    is_matched = allocations["matched_person"].notna()
    cases = allocations.loc[is_matched, ["matched_person", "invo_person_id"]]
    cases = cases.drop_duplicates().rename(columns={"matched_person": "person"})
    unmatched = allocations.loc[~is_matched, ["invo_professional_id", "invo_person_id"]]
    unmatched = unmatched.drop_duplicates()

    holders = pd.DataFrame({"person": cases["person"].drop_duplicates()})
    hr_fte = in_post.groupby("person")["fte"].sum()
    agency_fte = on_agency.groupby("person")["fte"].sum()
    holders["fte"] = (
        holders["person"].map(hr_fte).astype(float).fillna(0.0)
        + holders["person"].map(agency_fte).astype(float).fillna(0.0)
    )
    holders["area"] = holders["person"].map(_primary_area(in_post, on_agency))
    cases["area"] = cases["person"].map(holders.set_index("person")["area"])
    return cases, unmatched, holders


def _primary_area(in_post, on_agency) -> pd.Series:
    """Area of each person's primary team at d: largest-FTE HR spell, else agency assignment.

    Ties go to the smallest team code.
    """
    order, ascending = ["person", "fte", "team_code"], [True, False, True]
    hr = _first_by(in_post.dropna(subset=["person"]), "person", order, ascending)
    agency = _first_by(on_agency.dropna(subset=["person"]), "person", order, ascending)
    agency = agency.loc[~agency["person"].isin(hr["person"])]
    both = pd.concat([hr[["person", "area"]], agency[["person", "area"]]])
    return both.set_index("person")["area"]


def _absence_days(absences, spells, first_day, day) -> pd.DataFrame:
    """Working days lost to sickness in the window, one row per episode, with its area."""
    sick = absences.loc[
        (absences["absence_reason"].str.strip().str.upper() == "SIC")
        & absences["employee_id"].isin(set(spells["employee_id"].dropna()))
    ].reset_index(drop=True)
    start = sick["start_date"].to_numpy()
    end = sick["end_date"].to_numpy()
    ongoing = sick["end_date"].isna().to_numpy()
    first = np.datetime64(first_day.date())
    last = np.datetime64(day.date())
    lost = sick["working_days_lost"].fillna(0.0).to_numpy()

    overlap_from = np.maximum(start, first)
    # Ongoing episodes run to d; closed ones are clipped to d.
    overlap_to = np.where(ongoing, last, np.minimum(end, last))
    days_inside = weekdays(overlap_from, overlap_to)
    days_in_episode = weekdays(start, np.where(ongoing, start, end))
    starts_inside = (start >= first) & (start <= last)

    share = np.divide(days_inside, days_in_episode,
                      out=np.zeros(len(sick)), where=days_in_episode > 0)
    closed_days = np.where(days_in_episode > 0, lost * share,
                           np.where(starts_inside, lost, 0.0))
    sick["days"] = np.where(ongoing, days_inside.astype(float), closed_days)
    sick["area"] = _absence_areas(sick, spells)
    # Episodes wholly outside the window add nothing (and must not add a service area).
    return sick.loc[sick["days"] > 0, ["absence_id", "employee_id", "days", "area"]]


def _absence_areas(sick: pd.DataFrame, spells: pd.DataFrame) -> pd.Series:
    """Team of the employee's latest spell starting on or before the episode start.

    Ties go to the smallest spell_id; with no such spell, the employee's earliest spell.
    """
    episodes = sick[["employee_id", "start_date"]].reset_index(names="episode")
    pairs = episodes.merge(
        spells[["employee_id", "spell_id", "spell_start_date", "area"]], on="employee_id"
    )
    before = pairs.loc[pairs["spell_start_date"] <= pairs["start_date"]]
    latest = _first_by(before, "episode", ["episode", "spell_start_date", "spell_id"],
                       [True, False, True])
    earliest = _first_by(pairs, "episode", ["episode", "spell_start_date", "spell_id"],
                         [True, True, True])
    area = latest.set_index("episode")["area"].combine_first(
        earliest.set_index("episode")["area"]
    )
    return sick.index.to_series().map(area)


def _areas_seen(facts: dict[str, pd.DataFrame | None]) -> set[str]:
    seen: set[str] = set()
    for frame in facts.values():
        if frame is not None and "area" in frame.columns:
            seen |= set(frame["area"].dropna())
    return seen


def _indicators(facts: dict[str, pd.DataFrame | None], area: str | None) -> dict:
    """All indicators over the facts of one service area (None: the whole LA)."""

    def part(name: str) -> pd.DataFrame | None:
        frame = facts[name]
        if frame is None or area is None:
            return frame
        return frame.loc[frame["area"] == area]

    in_post, agency = part("in_post"), part("agency")
    starters, leavers = part("starters"), part("leavers")
    out: dict[str, float | int | None] = {
        "inpost_fte": float(in_post["fte"].sum()),
        "inpost_headcount": int(in_post["person"].nunique()),
        "starters_fte": float(starters["fte"].sum()),
        "starters_headcount": int(starters["person"].nunique()),
        "leavers_fte": float(leavers["fte"].sum()),
        "leavers_headcount": int(leavers["person"].nunique()),
        "agency_fte": float(agency["fte"].sum()),
        "agency_headcount": int(agency["person"].nunique()),
        "agency_cover_fte": float(agency.loc[agency["is_cover"], "fte"].sum()),
        "vacancy_fte": float(part("vacancies")["vacancy_fte"].sum()),
        "cases": len(part("cases")),
        "case_holders_fte": float(part("holders")["fte"].sum()),
    }
    out["agency_rate_fte_denominator"] = out["agency_fte"] + out["inpost_fte"]
    out["agency_rate_headcount_denominator"] = out["agency_headcount"] + out["inpost_headcount"]
    out["vacancy_rate_fte_denominator"] = out["vacancy_fte"] + out["inpost_fte"]
    out["absence_rate_fte_denominator"] = out["inpost_fte"] * DAYS_PER_FTE_YEAR
    absences = part("absences")
    out["working_days_lost_fte"] = None if absences is None else float(absences["days"].sum())
    for name, (numerator, denominator, multiplier) in RATES.items():
        out[name] = rate(out[numerator], out[denominator], multiplier)
    return out
