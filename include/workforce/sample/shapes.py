"""Sample exports in a council system's own shape: a mapping profile, applied backwards.

``workforce generate --profile NAME`` writes the synthetic council's exports as the profile says
the council's systems write them: the profile's file names, folders, sheet and title rows,
encoding and delimiter, column names, date formats, decimal comma, and the first label of each
value map in place of the contract's code. Read back through the same profile, they give the
contract-shaped rows exactly (``tests/ingest/test_profiles.py``), so a profile is tested by the
same council's figures, not by hand-made files.

Only what can be written backwards is: a derivation must be a column divided or multiplied by a
number (``{Contracted Hours} / 37``), and a column the profile fills with a default is left out
only when every row holds that default. A value map of a text column that gives two contract
values one label (``Allocated Case Worker`` for ``CW``, beside the sample's own ``Allocated Case
Worker``) reads back as the map's value: the only way such files differ from the contract's rows.

The profile's ``sample.<export>.blank`` says which cells such a system leaves empty: ``all`` (every
row), or ``some`` for the SWE number of ``ssd_professionals``: every other professional (by a
hash of the CMS id, the same in every extract) whose gap changes no figure, because the
documented fallback (``docs/spec/metrics.md``: matching falls back to the HR employee number)
finds the same person: their staff id is the HR employee number of that same SWE number and of
no other, the SWE number has no other employee number, and it is never an agency worker's (an
agency worker has no HR employee number to fall back on).
"""

from __future__ import annotations

import hashlib
import re
from datetime import date
from pathlib import Path

import pandas as pd

from workforce.ingest.profile import BLANK_ALL, ExportProfile, Profile
from workforce.spec.contract import DATE, DECIMAL, EXPORTS_BY_NAME

_LINEAR = re.compile(r"^\s*\{([^{}]+)\}\s*([*/])\s*([0-9]+(\.[0-9]+)?)\s*$")


class ShapeError(ValueError):
    """The profile cannot be written backwards (see the module docstring)."""


def file_name(ep: ExportProfile, extract_date: date, ext: str) -> str:
    """The file name the profile's pattern gives for an extract date."""
    from workforce.ingest.profile import _PLACEHOLDER, date_format

    pattern = ep.file.replace("{export}", ep.export).replace("{ext}", ext)
    return _PLACEHOLDER.sub(lambda m: extract_date.strftime(date_format(m.group(1))), pattern).replace("*", "")


def reshape_frame(ep: ExportProfile, frame: pd.DataFrame) -> pd.DataFrame:
    """Contract-shaped rows (text) -> the council's columns and values (text)."""
    spec = EXPORTS_BY_NAME[ep.export]
    out: dict[str, pd.Series] = {}
    for col in spec.columns:
        if col.name not in frame.columns:
            continue
        values = frame[col.name].fillna("").astype(str)
        m = ep.columns.get(col.name)
        source = col.name
        if m is not None and m.derive_text:
            linear = _LINEAR.match(m.derive_text)
            if not linear:
                raise ShapeError(f"{ep.export}.{col.name}: derivation {m.derive_text!r} cannot be written backwards")
            source, op, k = linear.group(1), linear.group(2), float(linear.group(3))
            numbers = pd.to_numeric(values.where(values != ""), errors="coerce")
            values = (numbers * k if op == "/" else numbers / k).map(lambda v: "" if pd.isna(v) else f"{v:.10g}")
        elif m is not None:
            source = m.source or col.name
            if m.values:
                back: dict[str, str] = {}
                for label, code in m.labels:
                    back.setdefault(code.upper(), label)
                values = values.map(lambda v, back=back: back.get(v.strip().upper(), v))
            if m.date_formats and (col.type == DATE or col.age_band):
                fmt = m.date_formats[0].replace("%g", "000")  # milliseconds: a date's midnight
                values = values.map(lambda v, fmt=fmt: date.fromisoformat(v[:10]).strftime(fmt) if v else "")
            if m.default is not None and m.source is None:
                if set(values) <= {m.default, ""}:
                    continue  # the system does not hold it: the profile's default gives it back
                raise ShapeError(f"{ep.export}.{col.name}: not every row holds the default {m.default!r}")
        if ep.decimal_comma and col.type == DECIMAL:
            values = values.str.replace(".", ",", regex=False)
        out[source] = values
    return pd.DataFrame(out)


def write_shaped(ep: ExportProfile, frame: pd.DataFrame, folder: Path, extract_date: date, xlsx: bool) -> Path:
    """One extract in the council's shape: its name, sheet and title rows, encoding, delimiter."""
    shaped = reshape_frame(ep, frame)
    ext = "xlsx" if ep.file.lower().endswith(".xlsx") or (ep.file.endswith("{ext}") and xlsx) else "csv"
    path = folder / ep.folder / file_name(ep, extract_date, ext)
    path.parent.mkdir(parents=True, exist_ok=True)
    if ext == "xlsx":
        from openpyxl import Workbook

        book = Workbook(write_only=True)
        sheet = book.create_sheet(ep.sheet or "Sheet1")
        for n in range(ep.header_row - 1):  # title rows above the header, as systems write them
            sheet.append([f"{ep.export.replace('_', ' ').title()} report, {extract_date:%d/%m/%Y}" if n == 0 else None])
        sheet.append(list(shaped.columns))
        for row in shaped.itertuples(index=False):
            sheet.append([v if v != "" else None for v in row])
        book.save(path)
    else:
        with path.open("w", encoding=ep.encoding, newline="") as fh:
            for n in range(ep.header_row - 1):
                fh.write(f"{ep.export} report {extract_date:%d/%m/%Y}\r\n" if n == 0 else "\r\n")
            shaped.to_csv(fh, index=False, sep=ep.delimiter, lineterminator="\r\n")
    return path


def _norm_id(value: str) -> str:
    return "".join(value.split()).upper()


def _read(lf) -> pd.DataFrame:
    return (pd.read_excel(lf.path, dtype=str, keep_default_na=False) if lf.is_xlsx
            else pd.read_csv(lf.path, dtype=str, keep_default_na=False))


class _Fallback:
    """Who may lose their SWE number in the CMS without a figure changing (module docstring)."""

    def __init__(self, files: list) -> None:
        self.swe_by_emp: dict[str, set[str]] = {}
        self.emp_by_swe: dict[str, set[str]] = {}
        self.agency: set[str] = set()
        for lf in files:
            if lf.export.name == "hr_workers":
                frame = _read(lf)
                for emp, swe in zip(frame["employee_id"], frame["swe_registration"], strict=True):
                    if emp and swe:
                        self.swe_by_emp.setdefault(_norm_id(emp), set()).add(_norm_id(swe))
                        self.emp_by_swe.setdefault(_norm_id(swe), set()).add(_norm_id(emp))
            elif lf.export.name == "agency_assignments":
                self.agency |= {_norm_id(v) for v in _read(lf)["swe_registration"] if v}

    def may_lose_swe(self, prof_id: str, staff_id: str, swe: str) -> bool:
        if not (staff_id and swe) or hashlib.sha256(prof_id.encode()).digest()[0] % 2:
            return False
        staff, person = _norm_id(staff_id), _norm_id(swe)
        return (person not in self.agency and self.swe_by_emp.get(staff) == {person}
                and self.emp_by_swe.get(person) == {staff})


def blank_cells(ep: ExportProfile, frame: pd.DataFrame, fallback: _Fallback | None) -> pd.DataFrame:
    """Contract-shaped rows with the cells the profile's ``sample.blank`` says the system leaves empty."""
    if not ep.sample_blanks:
        return frame
    frame = frame.copy()
    for column, how in ep.sample_blanks.items():
        if column not in frame.columns:
            continue
        if how == BLANK_ALL:
            frame[column] = ""
        else:  # "some": the SWE number of professionals the fallback finds all the same
            assert fallback is not None and column == "prof_social_worker_registration_no"
            lose = [fallback.may_lose_swe(p, s, w) for p, s, w in zip(
                frame["prof_professional_id"], frame["prof_staff_id"], frame[column], strict=True)]
            frame.loc[lose, column] = ""
    return frame


def reshape_landing(contract_landing: Path, target: Path, profile: Profile) -> list[Path]:
    """Write every contract-shaped extract of ``contract_landing`` into ``target`` in the profile's
    shape (exports the profile does not name are copied as they are), leaving empty the cells its
    ``sample.blank`` says."""
    import shutil

    from workforce.ingest.landing import survey

    files = survey(contract_landing).files
    fallback = (_Fallback(files) if any(how != BLANK_ALL for ep in profile.exports.values()
                                        for how in ep.sample_blanks.values()) else None)
    written = []
    for lf in files:
        ep = profile.exports.get(lf.export.name)
        if ep is None:
            dest = target / lf.source_file
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(lf.path, dest)
            written.append(dest)
            continue
        frame = blank_cells(ep, _read(lf), fallback)
        written.append(write_shaped(ep, frame, target, lf.extract_date, lf.is_xlsx))
    return written
