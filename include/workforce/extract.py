"""Extract: landing-folder exports -> typed, pseudonymised raw tables in the warehouse.

For a reporting month, every export file dated on or before its month end is checked against
the contract (required columns, types); personal identifiers are replaced by keyed pseudonyms,
names are dropped and dates of birth become age bands before anything is written. Each file
is recorded in ``raw.load_manifest`` (name, extract date, SHA-256, rows, load time).

Idempotent: a file already loaded with the same SHA-256 is skipped; a file whose content
changed under the same name replaces its own rows. All checks run before any write, and all
writes happen in one transaction, so a rejected file leaves the warehouse exactly as it was.
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path

import pandas as pd

from workforce.config import Settings
from workforce.contract import (
    CODE,
    DATE,
    DECIMAL,
    EXPORTS,
    EXPORTS_BY_NAME,
    FLAG,
    INT,
    PERIOD,
    REQUIRED_EXPORTS,
    ExportSpec,
)
from workforce.pseudonymise import Pseudonymiser, age_band, resolve_key
from workforce.warehouse import MANIFEST_TABLE, connect, ensure_raw_schema, raw_column_types, raw_table

log = logging.getLogger(__name__)

FILE_NAME = re.compile(r"^(?P<export>[a-z_]+)_(?P<date>\d{4}-\d{2}-\d{2})\.(?P<ext>csv|xlsx)$", re.IGNORECASE)
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_PERIOD = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")
MAX_REPORTED_ERRORS = 5


class ExtractError(RuntimeError):
    """One or more export files were rejected; nothing was written."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__(
            f"{len(problems)} export problem(s); nothing was loaded and the previous data "
            "and published tables are unchanged:\n  - " + "\n  - ".join(problems)
        )


class FileRejected(ValueError):
    def __init__(self, source_file: str, problem: str):
        self.source_file = source_file
        super().__init__(f"{source_file}: {problem}")


@dataclass(frozen=True)
class LandingFile:
    export: ExportSpec
    path: Path
    source_file: str  # relative to the landing folder, with forward slashes
    extract_date: date

    @property
    def is_xlsx(self) -> bool:
        return self.path.suffix.lower() == ".xlsx"


@dataclass
class FileLoad:
    source_file: str
    export_name: str
    extract_date: date
    sha256: str
    status: str  # loaded | replaced | unchanged
    row_count: int
    extra_columns: list[str] = field(default_factory=list)


@dataclass
class ExtractReport:
    month_end: date
    files: list[FileLoad]
    ignored: list[str]

    def summary(self) -> str:
        counts: dict[str, int] = {}
        for f in self.files:
            counts[f.status] = counts.get(f.status, 0) + 1
        parts = ", ".join(f"{n} {status}" for status, n in sorted(counts.items()))
        return f"{len(self.files)} export files up to {self.month_end}: {parts or 'none'}"


def month_end_of(month: str) -> date:
    """``YYYY-MM`` -> last calendar day of that month, with a clear error for bad input."""
    if not isinstance(month, str) or not _PERIOD.match(month):
        raise ValueError(f"reporting month must look like YYYY-MM (e.g. 2026-09), got {month!r}")
    start = datetime.strptime(month, "%Y-%m").date()
    return (pd.Timestamp(start) + pd.offsets.MonthEnd(0)).date()


def discover(landing_dir: Path, month_end: date | None = None) -> tuple[list[LandingFile], list[str]]:
    """Export files in the landing folder (optionally dated <= month_end), and ignored names."""
    if not landing_dir.is_dir():
        raise ExtractError([f"landing folder {landing_dir} does not exist (WORKFORCE_LANDING_DIR)"])
    found: list[LandingFile] = []
    ignored: list[str] = []
    for folder in sorted(p for p in landing_dir.iterdir() if p.is_dir()):
        spec = EXPORTS_BY_NAME.get(folder.name)
        if spec is None:
            ignored.append(f"{folder.name}/ (not an export of the contract)")
            continue
        for path in sorted(folder.iterdir()):
            rel = f"{folder.name}/{path.name}"
            m = FILE_NAME.match(path.name)
            if not path.is_file() or path.name.startswith("."):
                continue
            if not m or m["export"] != spec.name:
                ignored.append(f"{rel} (name is not {spec.name}_YYYY-MM-DD.csv|xlsx)")
                continue
            try:
                extract_date = date.fromisoformat(m["date"])
            except ValueError:
                ignored.append(f"{rel} (no such date {m['date']})")
                continue
            if month_end is None or extract_date <= month_end:
                found.append(LandingFile(spec, path, rel, extract_date))
    return found, ignored


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def read_file(lf: LandingFile) -> pd.DataFrame:
    """The file as a frame of text cells (None for empty), header names trimmed and lower-cased."""
    try:
        if lf.is_xlsx:
            frame = pd.read_excel(lf.path, sheet_name=0, dtype=object, engine="openpyxl")
        else:
            frame = pd.read_csv(
                lf.path, dtype=str, keep_default_na=False, encoding="utf-8-sig", skip_blank_lines=True
            )
    except pd.errors.EmptyDataError:
        raise FileRejected(lf.source_file, "the file is empty (no header row)") from None
    except UnicodeDecodeError as exc:
        raise FileRejected(lf.source_file, f"not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    except (pd.errors.ParserError, ValueError, OSError, KeyError) as exc:
        raise FileRejected(lf.source_file, f"cannot be read as {lf.path.suffix[1:].upper()}: {exc}") from None
    frame.columns = [str(c).strip().lower() for c in frame.columns]
    if lf.is_xlsx:  # typed cells (dates, numbers): convert one by one; XLSX exports are small
        return frame.map(_cell_text).astype("string")
    text = frame.astype("string").apply(lambda col: col.str.strip())
    return text.mask(text == "")


def _cell_text(value) -> str | None:
    if value is None or (isinstance(value, float) and pd.isna(value)) or value is pd.NaT:
        return None
    if isinstance(value, pd.Timestamp):
        value = value.to_pydatetime()
    if isinstance(value, datetime):  # an XLSX date cell
        return value.date().isoformat() if value.time() == time(0) else value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value).strip()
    return text or None


def _bad_rows(source: pd.Series, parsed: pd.Series) -> pd.Series:
    return source.notna() & parsed.isna()


def _reject_bad(lf: LandingFile, spec_col, source: pd.Series, bad: pd.Series, expected: str) -> None:
    if not bad.any():
        return
    rows = (bad[bad].index[:MAX_REPORTED_ERRORS] + 1).tolist()
    sample = "<personal data hidden>" if spec_col.is_personal else repr(source[bad].iloc[0])
    more = f" (and {int(bad.sum()) - len(rows)} more)" if bad.sum() > len(rows) else ""
    raise FileRejected(
        lf.source_file,
        f"column '{spec_col.name}' is not {expected} in data row(s) {rows}{more}, e.g. {sample}",
    )


def parse_dates(series: pd.Series) -> pd.Series:
    """ISO dates (an XLSX cell's midnight time tolerated) -> datetime64; anything else -> NaT."""
    text = series.astype("string").str.removesuffix(" 00:00:00")
    iso = text.where(text.str.len().eq(10) & text.str.match(_ISO_DATE).fillna(False))
    return pd.to_datetime(iso, format="%Y-%m-%d", errors="coerce")


def type_frame(lf: LandingFile, frame: pd.DataFrame, pseudonymiser: Pseudonymiser) -> tuple[pd.DataFrame, list[str]]:
    """Check columns and types; return the raw-table frame (pseudonymised) and extra columns."""
    spec = lf.export
    missing = [c for c in spec.required_columns if c not in frame.columns]
    if missing:
        raise FileRejected(
            lf.source_file, f"missing required column(s) {', '.join(repr(c) for c in missing)}"
        )
    extra = [c for c in frame.columns if c not in spec.column_names]
    duplicated = sorted({c for c in frame.columns if list(frame.columns).count(c) > 1})
    if duplicated:
        raise FileRejected(lf.source_file, f"column(s) {duplicated} appear more than once in the header")

    out = pd.DataFrame(index=frame.index)
    for col in spec.columns:
        if col.drop:
            continue  # names are never read past this point
        if col.name in frame.columns:
            text = frame[col.name].astype("string")
        else:
            text = pd.Series(pd.NA, index=frame.index, dtype="string")
        if col.pseudonym:
            out[col.raw_name] = pseudonymiser.series(col.pseudonym, text)
        elif col.age_band:
            dob = parse_dates(text)
            _reject_bad(lf, col, text, _bad_rows(text, dob), "a date (YYYY-MM-DD)")
            out[col.raw_name] = pd.Series(
                [age_band(d.date() if not pd.isna(d) else None, lf.extract_date) for d in dob],
                index=frame.index,
                dtype="string",
            )
        elif col.type == DATE:
            parsed = parse_dates(text)
            _reject_bad(lf, col, text, _bad_rows(text, parsed), "a date (YYYY-MM-DD)")
            out[col.raw_name] = parsed
        elif col.type == INT:
            num = pd.to_numeric(text, errors="coerce")
            bad = _bad_rows(text, num) | (num.notna() & (num % 1 != 0))
            _reject_bad(lf, col, text, bad, "a whole number")
            out[col.raw_name] = num.astype("Int64")
        elif col.type == DECIMAL:
            num = pd.to_numeric(text.str.replace(",", "", regex=False), errors="coerce")
            _reject_bad(lf, col, text, _bad_rows(text, num), "a number")
            out[col.raw_name] = num.astype("Float64")
        elif col.type == FLAG:
            flag = text.str.upper()
            bad = flag.notna() & ~flag.isin(["Y", "N"])
            _reject_bad(lf, col, text, bad, "a Y/N flag")
            out[col.raw_name] = flag
        elif col.type == PERIOD:
            bad = text.notna() & ~text.str.match(_PERIOD).fillna(False)
            _reject_bad(lf, col, text, bad, "a pay period (YYYY-MM)")
            out[col.raw_name] = text
        elif col.type == CODE:
            out[col.raw_name] = text.str.upper()
        else:
            out[col.raw_name] = text
    out["_source_file"] = lf.source_file
    out["_extract_date"] = lf.extract_date
    out["_row_number"] = pd.RangeIndex(1, len(frame) + 1)
    return out.reset_index(drop=True), extra


def extract(
    settings: Settings,
    month_end: date,
    progress: Callable[[str], None] | None = None,
) -> ExtractReport:
    """Load every export file dated on or before ``month_end`` that is new or changed."""
    say = progress or log.info
    files, ignored = discover(settings.landing_dir, month_end)
    for name in ignored:
        log.warning("landing: ignored %s", name)
    have = {lf.export.name for lf in files}
    problems = [
        f"required export '{name}' has no file dated on or before {month_end} in "
        f"{settings.landing_dir / name}"
        for name in REQUIRED_EXPORTS
        if name not in have
    ]
    for name in sorted({e.name for e in EXPORTS} - have - set(REQUIRED_EXPORTS)):
        log.warning("optional export '%s' has no file up to %s: its indicators publish as 'x'", name, month_end)
    if problems:
        raise ExtractError(problems)

    pseudonymiser = Pseudonymiser(resolve_key(settings))
    with connect(settings) as con:
        ensure_raw_schema(con)
        known = dict(con.execute(f"SELECT source_file, sha256 FROM {MANIFEST_TABLE}").fetchall())

    # Check everything first: a rejected file must leave the warehouse untouched.
    planned: list[tuple[LandingFile, str, pd.DataFrame | None, list[str]]] = []
    loads: list[FileLoad] = []
    for i, lf in enumerate(files, 1):
        digest = sha256_of(lf.path)
        if known.get(lf.source_file) == digest:
            loads.append(FileLoad(lf.source_file, lf.export.name, lf.extract_date, digest, "unchanged", -1))
            continue
        try:
            typed, extra = type_frame(lf, read_file(lf), pseudonymiser)
        except FileRejected as exc:
            problems.append(str(exc))
            continue
        if extra:
            log.warning("%s: extra column(s) ignored: %s", lf.source_file, ", ".join(extra))
        planned.append((lf, digest, typed, extra))
        say(f"extract [{i}/{len(files)}] checked {lf.source_file}: {len(typed)} rows")
    if problems:
        raise ExtractError(problems)

    with connect(settings) as con:
        con.execute("BEGIN TRANSACTION")
        try:
            for lf, digest, typed, extra in planned:
                status = "replaced" if lf.source_file in known else "loaded"
                table = raw_table(lf.export)
                con.execute(f"DELETE FROM {table} WHERE _source_file = ?", [lf.source_file])
                con.register("incoming", typed)
                cols = ", ".join(f'"{c}"' for c in typed.columns)
                types = raw_column_types(lf.export)
                values = ", ".join(f'CAST("{c}" AS {types[c]})' for c in typed.columns)
                con.execute(f"INSERT INTO {table} ({cols}) SELECT {values} FROM incoming")
                con.unregister("incoming")
                con.execute(
                    f"INSERT OR REPLACE INTO {MANIFEST_TABLE} VALUES (?, ?, ?, ?, ?, ?, current_timestamp)",
                    [lf.source_file, lf.export.name, lf.extract_date, digest, len(typed), ",".join(extra) or None],
                )
                loads.append(
                    FileLoad(lf.source_file, lf.export.name, lf.extract_date, digest, status, len(typed), extra)
                )
            con.execute("COMMIT")
        except Exception:
            con.execute("ROLLBACK")
            raise
        counts = dict(con.execute(
            f"SELECT source_file, row_count FROM {MANIFEST_TABLE}"
        ).fetchall())
    for fl in loads:
        if fl.row_count < 0:
            fl.row_count = counts.get(fl.source_file, 0)
    loads.sort(key=lambda f: f.source_file)
    report = ExtractReport(month_end, loads, ignored)
    say(f"extract: {report.summary()}")
    return report
