"""Sample exports in a council system's own shape: a mapping profile, applied backwards.

``workforce generate --profile NAME`` writes the synthetic council's exports as the profile says
the council's systems write them: the profile's file names, folders, sheet and title rows,
encoding and delimiter, column names, date formats, decimal comma, and the first label of each
value map in place of the contract's code. Read back through the same profile, they give the
contract-shaped rows exactly (``tests/ingest/test_profiles.py``), so a profile is tested by the
same council's figures, not by hand-made files.

Only what can be written backwards is: a derivation must be a column divided or multiplied by a
number (``{Contracted Hours} / 37``), and a column the profile fills with a default is left out
only when every row holds that default.
"""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pandas as pd

from workforce.ingest.profile import ExportProfile, Profile
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
                    back.setdefault(code, label)
                values = values.map(lambda v, back=back: back.get(v.strip().upper(), v))
            if m.date_formats and (col.type == DATE or col.age_band):
                fmt = m.date_formats[0]
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


def reshape_landing(contract_landing: Path, target: Path, profile: Profile) -> list[Path]:
    """Write every contract-shaped extract of ``contract_landing`` into ``target`` in the profile's
    shape (exports the profile does not name are copied as they are)."""
    import shutil

    from workforce.ingest.landing import survey

    written = []
    for lf in survey(contract_landing).files:
        ep = profile.exports.get(lf.export.name)
        if ep is None:
            dest = target / lf.source_file
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(lf.path, dest)
            written.append(dest)
            continue
        frame = (pd.read_excel(lf.path, dtype=str, keep_default_na=False) if lf.is_xlsx
                 else pd.read_csv(lf.path, dtype=str, keep_default_na=False))
        written.append(write_shaped(ep, frame, target, lf.extract_date, lf.is_xlsx))
    return written
