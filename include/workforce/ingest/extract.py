"""Extract: landing-folder exports -> typed, pseudonymised raw tables in the warehouse.

For a reporting month, every export file dated up to the end of the month's window
(``ingest.readiness``) is checked against the contract; personal identifiers are replaced by
keyed pseudonyms, names are dropped and dates of birth become age bands before anything is written.

Two kinds of problem (``docs/spec/export-contract.md``: "rows that break a rule are
quarantined with the rule they broke; the rest load"):

- **File-level**: the file cannot be trusted at all, so it is *rejected* whole and the run
  stops with a message naming the file and the problem: empty file, not UTF-8 (a byte-order
  mark is fine), not comma separated, unreadable XLSX, a missing required column (a likely
  typo or a title row above the header is pointed out), a header naming a column twice, an
  extract date in the future. A required export with no extract of its own for the month
  (``ingest.readiness``) also stops the run, before anything is loaded.
- **Row-level**: the row is *quarantined* in ``raw.quarantine`` (file, data row, file line,
  column, rule, offending value: pseudonymised for identifiers, withheld for a date of birth)
  and the file's other rows load. Rules are in ``RULES``. Whether the month may still be
  published is decided by the validate step (``WORKFORCE_QUARANTINE_MAX_PCT``).

Decisions recorded here: blank lines (and lines of empty cells) are skipped and not counted;
a row with more or fewer fields than the header, e.g. a truncated last line, is quarantined
as ``malformed_row`` (the rest of the file is sound; the threshold catches a badly cut file);
an XLSX date cell is a date, but a number in a date column (an Excel date serial in a text or
number cell, or in a CSV) is quarantined as ``bad_date`` rather than guessed at.

Each file is recorded in ``raw.load_manifest`` (name, extract date, SHA-256, rows read, loaded
and quarantined, load time); ``rows_read = rows_loaded + rows_quarantined`` always.
Idempotent: a file already loaded with the same SHA-256 is skipped; a file whose content
changed under the same name replaces its own rows (and quarantine rows). All checks run before
any write, and all writes happen in one transaction, so a rejected file or a crash leaves the
warehouse exactly as it was.
"""

from __future__ import annotations

import csv
import difflib
import hashlib
import io
import logging
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path

import pandas as pd

from workforce.config import Settings
from workforce.ingest import readiness
from workforce.ingest.pseudonymise import Pseudonymiser, age_band, resolve_key
from workforce.spec.contract import (
    CODE,
    DATE,
    DECIMAL,
    EXPORTS_BY_NAME,
    FLAG,
    INT,
    PERIOD,
    ExportSpec,
)
from workforce.warehouse import (
    MANIFEST_TABLE,
    QUARANTINE_TABLE,
    connect,
    ensure_raw_schema,
    raw_column_types,
    raw_table,
)

log = logging.getLogger(__name__)

FILE_NAME = re.compile(r"^(?P<export>[a-z_]+)_(?P<date>\d{4}-\d{2}-\d{2})\.(?P<ext>csv|xlsx)$", re.IGNORECASE)
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_PERIOD = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")
MAX_REPORTED_ERRORS = 5
WITHHELD = "[personal data withheld]"
_MAX_VALUE_CHARS = 200

#: Row-level rules: rule -> what it means. A quarantined row has one record per broken rule.
RULES = {
    "malformed_row": "the row has more or fewer fields than the header (e.g. a truncated last line)",
    "required_missing": "a required column is empty",
    "bad_date": "not a date YYYY-MM-DD (a number in a date column, e.g. an Excel date serial, counts here)",
    "bad_number": "not a number",
    "bad_integer": "not a whole number",
    "bad_flag": "not a Y/N flag",
    "bad_period": "not a pay period YYYY-MM",
    "unknown_code": "not one of the contract's codes for the column",
    "fte_out_of_range": "hr_workers fte outside 0 < fte <= 1",
    "duplicate_key": "the export's key appears on more than one row of the file (every such row is set aside)",
    "end_before_start": "an end or leaving date before the start it belongs to",
    "overlapping_spell": "two hr_workers spells of the same person in the same post overlap in time",
    "unknown_professional": "an involvement's professional is not in the ssd_professionals extract of that date",
}

#: Key of each export (unique within a file); payroll_lines and agency_timesheets have none.
KEYS: dict[str, tuple[str, ...]] = {
    "hr_workers": ("spell_id",),
    "hr_establishment": ("post_id", "effective_from"),
    "hr_absences": ("absence_id",),
    "hr_teams": ("team_code",),
    "agency_assignments": ("assignment_id",),
    "ssd_professionals": ("prof_professional_id",),
    "ssd_involvements": ("invo_involvements_id",),
    "ssd_department": ("dept_team_id",),
}

#: (start column, end column): the end may not be before the start.
END_AFTER_START: dict[str, tuple[tuple[str, str], ...]] = {
    "hr_workers": (("spell_start_date", "spell_end_date"), ("spell_start_date", "leaving_date")),
    "hr_establishment": (("effective_from", "effective_to"),),
    "hr_absences": (("start_date", "end_date"),),
    "agency_assignments": (("start_date", "end_date"),),
    # ssd_involvements: not here. CMS allocations ended before they started are a known case-
    # management quirk (present in the sample data, counted by metrics.md); the raw suite warns.
}
_TYPE_RULES = {DATE: "bad_date", DECIMAL: "bad_number", INT: "bad_integer", FLAG: "bad_flag", PERIOD: "bad_period"}
QUARANTINE_COLUMNS = ("row_number", "line_number", "column_name", "rule", "value")


class ExtractError(RuntimeError):
    """One or more export files were rejected (or required exports are missing or stale)."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__(
            f"{len(problems)} export problem(s); nothing was loaded and the previous data "
            "and published tables are unchanged:\n  - " + "\n  - ".join(problems)
        )


class FileRejected(ValueError):
    def __init__(self, source_file: str, problem: str):
        self.source_file = source_file
        self.problem = problem
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
    row_count: int  # rows loaded
    extra_columns: list[str] = field(default_factory=list)
    rows_read: int = -1
    rows_quarantined: int = 0

    @property
    def rows_loaded(self) -> int:
        return self.row_count


@dataclass
class ExtractReport:
    month_end: date
    files: list[FileLoad]
    ignored: list[str]
    warnings: list[str] = field(default_factory=list)  # optional exports missing or stale

    def summary(self) -> str:
        counts: dict[str, int] = {}
        for f in self.files:
            counts[f.status] = counts.get(f.status, 0) + 1
        parts = ", ".join(f"{n} {status}" for status, n in sorted(counts.items()))
        quarantined = sum(f.rows_quarantined for f in self.files if f.status != "unchanged")
        extra = f"; {quarantined} row(s) quarantined" if quarantined else ""
        return f"{len(self.files)} export files for the month ending {self.month_end}: {parts or 'none'}{extra}"

    def to_dict(self) -> dict:
        return {
            "month_end": self.month_end.isoformat(),
            "files": [
                {**f.__dict__, "extract_date": f.extract_date.isoformat(), "rows_loaded": f.rows_loaded}
                for f in self.files
            ],
            "ignored": self.ignored,
            "warnings": self.warnings,
        }


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


# Reading ------------------------------------------------------------------------------------
@dataclass
class RawTable:
    """A file's cells as text (None for empty), header names trimmed and lower-cased, blank
    lines dropped; per data row: the file line (XLSX: sheet row) it ends on, and whether its
    field count differs from the header's."""

    frame: pd.DataFrame
    lines: Sequence[int | None]  # None: a frame given as is (not read from a file) has no lines
    malformed: list[bool]


def read_file(lf: LandingFile) -> RawTable:
    """Read one landing file, or raise ``FileRejected`` naming the file-level problem."""
    table = _read_xlsx(lf) if lf.is_xlsx else _read_csv(lf)
    names = list(table.frame.columns)
    duplicated = sorted({c for c in names if names.count(c) > 1 and c})
    if duplicated:
        raise FileRejected(lf.source_file, f"column(s) {duplicated} appear more than once in the header")
    return table


def _read_csv(lf: LandingFile) -> RawTable:
    data = lf.path.read_bytes()
    if not data.strip(b"\xef\xbb\xbf \t\r\n"):
        raise FileRejected(lf.source_file, "the file is empty (no header row)")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise FileRejected(lf.source_file, "is UTF-16 text; the contract requires UTF-8: re-export it as UTF-8 CSV")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise FileRejected(
            lf.source_file,
            f"is not UTF-8 text (byte 0x{data[exc.start]:02x} at offset {exc.start}; it looks like Latin-1 / "
            "Windows-1252): re-export it as UTF-8 CSV",
        ) from None
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader)
        rows, lines = [], []
        for record in reader:
            if not any(cell.strip() for cell in record):
                continue  # a blank line, or a line of empty cells
            rows.append(record)
            lines.append(reader.line_num)
    except csv.Error as exc:
        raise FileRejected(lf.source_file, f"cannot be read as CSV: {exc}") from None
    header = [c.strip().lower() for c in header]
    _check_delimiter(lf, header)
    width = len(header)
    malformed = [len(r) != width for r in rows]
    cells = [(r + [""] * width)[:width] for r in rows]
    frame = pd.DataFrame(cells, columns=header, dtype="string") if cells else pd.DataFrame(
        {c: pd.Series([], dtype="string") for c in header}
    )
    if cells:
        frame = frame.apply(lambda col: col.str.strip())
        frame = frame.mask(frame == "")
    return RawTable(frame, lines, malformed)


def _check_delimiter(lf: LandingFile, header: list[str]) -> None:
    if len(header) != 1 or len(lf.export.columns) == 1:
        return
    for delimiter, name in ((";", "semicolon"), ("\t", "tab"), ("|", "pipe")):
        if delimiter in header[0]:
            raise FileRejected(
                lf.source_file,
                f"is {name}-separated (the header is one column holding {delimiter!r}); the contract requires "
                "comma-separated CSV: re-export with ',' as the delimiter",
            )


def _read_xlsx(lf: LandingFile) -> RawTable:
    try:
        frame = pd.read_excel(lf.path, sheet_name=0, dtype=object, engine="openpyxl")
    except Exception as exc:  # a corrupt zip, not a workbook, an encrypted file, ...
        raise FileRejected(lf.source_file, f"cannot be read as XLSX: {type(exc).__name__}: {exc}") from None
    if len(frame.columns) == 0:
        raise FileRejected(lf.source_file, "the file is empty (no header row in the first sheet)")
    frame.columns = [str(c).strip().lower() for c in frame.columns]
    text = frame.map(_cell_text).astype("string") if len(frame) else frame.astype("string")
    blank = text.isna().all(axis=1)
    lines = [int(i) + 2 for i in text.index[~blank]]  # sheet row: header is row 1
    text = text.loc[~blank].reset_index(drop=True)
    return RawTable(text, lines, [False] * len(text))


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


def parse_dates(series: pd.Series) -> pd.Series:
    """ISO dates (an XLSX cell's midnight time tolerated) -> datetime64; anything else -> NaT."""
    text = series.astype("string").str.removesuffix(" 00:00:00")
    iso = text.where(text.str.len().eq(10) & text.str.match(_ISO_DATE).fillna(False))
    return pd.to_datetime(iso, format="%Y-%m-%d", errors="coerce")


# Checking -------------------------------------------------------------------------------------
@dataclass
class CheckedFile:
    """A file read and checked: every row typed, and the row-level problems found."""

    lf: LandingFile
    typed: pd.DataFrame  # every data row, raw-table columns + lineage (row order = file order)
    problems: pd.DataFrame  # QUARANTINE_COLUMNS, one row per (data row, column, rule)
    extra: list[str]
    rows_read: int
    lines: list = field(default_factory=list)  # file line (CSV) or sheet row (XLSX) of each data row

    def add(self, problems: pd.DataFrame) -> None:
        if len(problems):
            self.problems = pd.concat([self.problems, problems], ignore_index=True)

    @property
    def quarantined_rows(self) -> set[int]:
        return set(self.problems["row_number"].astype(int))

    def loaded(self) -> pd.DataFrame:
        bad = self.typed["_row_number"].isin(self.quarantined_rows)
        return self.typed.loc[~bad].reset_index(drop=True)


def _empty_problems() -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series([], dtype="object") for c in QUARANTINE_COLUMNS})


def _problems(frame: pd.DataFrame, mask: pd.Series, column: str, rule: str, values: pd.Series) -> pd.DataFrame:
    mask = mask.fillna(False).astype(bool)
    if not mask.any():
        return _empty_problems()
    return pd.DataFrame({
        "row_number": frame.loc[mask, "_row_number"].astype(int).to_numpy(),
        "line_number": frame.loc[mask, "_line_number"].to_numpy(),
        "column_name": column,
        "rule": rule,
        "value": [None if pd.isna(v) else str(v)[:_MAX_VALUE_CHARS] for v in values[mask]],
    })


def _shown(col, text: pd.Series, stored: pd.Series | None) -> pd.Series:
    """The offending value as quarantine may keep it: pseudonyms for identifiers, never a birth date."""
    if col.pseudonym:  # callers pass the pseudonyms (never the identifier itself)
        return stored if stored is not None else text.where(text.isna(), WITHHELD)
    if col.is_personal:
        return text.where(text.isna(), WITHHELD)
    return text


def _header_problem(lf: LandingFile, frame: pd.DataFrame, missing: list[str], extra: list[str]) -> str:
    message = f"missing required column(s) {', '.join(repr(c) for c in missing)}"
    hints = []
    for name in missing:
        close = difflib.get_close_matches(name, extra, n=1, cutoff=0.75)
        if close:
            hints.append(f"'{close[0]}' in the header looks like a typo for '{name}'")
    if len(frame):
        first = {str(v).strip().lower() for v in frame.iloc[0].dropna()}
        if set(lf.export.required_columns) <= first:
            hints.append(f"{'sheet row' if lf.is_xlsx else 'line'} 2 holds the column names: a title row above the "
                         "header? The header must be the first row")
    return message + (f" ({'; '.join(hints)})" if hints else "")


def type_frame(lf: LandingFile, table: RawTable | pd.DataFrame, pseudonymiser: Pseudonymiser) -> CheckedFile:
    """Check columns (file-level) and every row (row-level) of one file."""
    if isinstance(table, pd.DataFrame):
        table = RawTable(table, [None] * len(table), [False] * len(table))
    frame = table.frame
    spec = lf.export
    missing = [c for c in spec.required_columns if c not in frame.columns]
    extra = [c for c in frame.columns if c not in spec.column_names]
    if missing:
        raise FileRejected(lf.source_file, _header_problem(lf, frame, missing, extra))

    n = len(frame)
    frame = frame.reset_index(drop=True)
    out = pd.DataFrame(index=frame.index)
    lineage = pd.DataFrame({
        "_row_number": pd.RangeIndex(1, n + 1),
        "_line_number": table.lines,
    })
    malformed = pd.Series(table.malformed, index=frame.index, dtype=bool)
    found = [_problems(lineage, malformed, "*", "malformed_row", pd.Series(
        [f"{len(frame.columns)} columns expected"] * n, index=frame.index))]
    sound = ~malformed  # other rules are not applied to a malformed row

    def flag(mask, col, rule, text, stored=None):
        found.append(_problems(lineage, mask & sound, col.name, rule, _shown(col, text, stored)))

    for col in spec.columns:
        if col.drop:
            continue  # names are never read past this point
        if col.name in frame.columns:
            text = frame[col.name].astype("string")
        else:
            text = pd.Series(pd.NA, index=frame.index, dtype="string")
        given = text.notna()
        stored = None
        if col.pseudonym:
            stored = out[col.raw_name] = pseudonymiser.series(col.pseudonym, text)
        elif col.age_band:
            dob = parse_dates(text)
            flag(given & dob.isna(), col, "bad_date", text)
            out[col.raw_name] = pd.Series(
                [age_band(d.date() if not pd.isna(d) else None, lf.extract_date) for d in dob],
                index=frame.index,
                dtype="string",
            )
        elif col.type == DATE:
            parsed = parse_dates(text)
            flag(given & parsed.isna(), col, "bad_date", text)
            out[col.raw_name] = parsed
        elif col.type == INT:
            num = pd.to_numeric(text, errors="coerce")
            bad = given & (num.isna() | (num % 1 != 0))
            flag(bad, col, "bad_integer", text)
            num = num.where(~bad)
            if col.codes is not None:
                flag(num.notna() & ~num.isin(col.codes), col, "unknown_code", text)
            out[col.raw_name] = num.astype("Int64")
        elif col.type == DECIMAL:
            num = pd.to_numeric(text.str.replace(",", "", regex=False), errors="coerce")
            flag(given & num.isna(), col, "bad_number", text)
            out[col.raw_name] = num.astype("Float64")
        elif col.type == FLAG:
            upper = text.str.upper()
            flag(given & ~upper.isin(["Y", "N"]), col, "bad_flag", text)
            out[col.raw_name] = upper
        elif col.type == PERIOD:
            flag(given & ~text.str.match(_PERIOD).fillna(False), col, "bad_period", text)
            out[col.raw_name] = text
        elif col.type == CODE:
            upper = text.str.upper()
            if col.codes is not None:
                flag(given & ~upper.isin(col.codes), col, "unknown_code", text)
            out[col.raw_name] = upper
        else:
            out[col.raw_name] = text
        if col.required:
            flag(~given, col, "required_missing", text, stored)
    _row_rules(lf, frame, out, flag, sound)
    out["_source_file"] = lf.source_file
    out["_extract_date"] = lf.extract_date
    out["_row_number"] = lineage["_row_number"]
    checked = CheckedFile(lf, out, _empty_problems(), extra, n, list(lineage["_line_number"]))
    for problems in found:
        checked.add(problems)
    return checked


def _row_rules(lf: LandingFile, frame: pd.DataFrame, out: pd.DataFrame, flag, sound: pd.Series) -> None:
    """Rules across columns or rows of one file: ranges, end after start, keys, overlaps."""
    spec = lf.export
    if spec.name == "hr_workers":
        fte = out["fte"]
        col = spec.column("fte")
        flag(fte.notna() & ~((fte > 0) & (fte <= 1)), col, "fte_out_of_range", frame[col.name])
    for start, end in END_AFTER_START.get(spec.name, ()):
        col = spec.column(end)
        text = frame[end] if end in frame.columns else pd.Series(pd.NA, index=frame.index, dtype="string")
        shown = text.astype("string") + f" before {start} " + frame[start].astype("string")
        flag(out[end].notna() & out[start].notna() & (out[end] < out[start]), col, "end_before_start", shown)
    keys = KEYS.get(spec.name)
    if keys:
        raw_keys = [spec.column(k).raw_name for k in keys]
        key_frame = out[raw_keys].where(sound, None)
        complete = key_frame.notna().all(axis=1) & sound
        dup = complete & key_frame.duplicated(keep=False)
        shown = key_frame[raw_keys[0]].astype("string")
        for other in raw_keys[1:]:
            shown = shown + " / " + key_frame[other].astype("string")
        flag(dup, spec.column(keys[0]), "duplicate_key", shown, shown)
    if spec.name == "hr_workers":
        flag(_overlapping(out, sound), spec.column("post_id"), "overlapping_spell", out["post_id"])


def _overlapping(out: pd.DataFrame, sound: pd.Series) -> pd.Series:
    """Spells of one person (``person_key``) in one post whose [start, end) intervals overlap."""
    mask = pd.Series(False, index=out.index)
    usable = sound & out["post_id"].notna() & out["person_key"].notna() & out["spell_start_date"].notna()
    if not usable.any():
        return mask
    spells = out.loc[usable, ["person_key", "post_id", "spell_start_date", "spell_end_date"]]
    spells = spells.assign(_end=spells["spell_end_date"].fillna(pd.Timestamp.max))
    for _, group in spells.groupby(["person_key", "post_id"], sort=False):
        if len(group) < 2:
            continue
        group = group.sort_values("spell_start_date", kind="stable")
        starts, ends, labels = group["spell_start_date"].tolist(), group["_end"].tolist(), group.index.tolist()
        for j in range(1, len(labels)):
            # a spell clashes with every earlier spell still open when it starts: all are set aside
            earlier = [labels[i] for i in range(j) if ends[i] > starts[j]]
            if earlier:
                mask.loc[[*earlier, labels[j]]] = True
    return mask


def _unknown_professionals(checked: CheckedFile, known: set[str]) -> pd.DataFrame:
    typed = checked.typed
    keys = typed["invo_professional_key"]
    lineage = pd.DataFrame({"_row_number": typed["_row_number"], "_line_number": checked.lines}, index=typed.index)
    malformed = set(checked.problems.loc[checked.problems["rule"] == "malformed_row", "row_number"].astype(int))
    keys = keys.where(~typed["_row_number"].isin(malformed))
    return _problems(lineage, keys.notna() & ~keys.isin(known), "invo_professional_id", "unknown_professional", keys)


# Loading --------------------------------------------------------------------------------------
def extract(
    settings: Settings,
    month_end: date,
    progress: Callable[[str], None] | None = None,
    *,
    today: date | None = None,
) -> ExtractReport:
    """Load every export file dated up to the end of the month's window that is new or changed.

    Stops before loading anything when a required export has no extract of its own for the month
    (``ingest.readiness``)."""
    say = progress or log.info
    today = today or date.today()
    _first, last = readiness.window(settings, month_end)
    files, ignored = discover(settings.landing_dir, last)
    for name in ignored:
        log.warning("landing: ignored %s", name)
    ready = readiness.assess(settings, month_end, files)
    warnings = ready.warnings()
    for text in warnings:
        log.warning("readiness: %s", text)
    problems = ready.problems(settings.landing_dir)
    if problems:
        raise ExtractError(problems)

    pseudonymiser = Pseudonymiser(resolve_key(settings))
    with connect(settings) as con:
        ensure_raw_schema(con)
        known = dict(con.execute(f"SELECT source_file, sha256 FROM {MANIFEST_TABLE}").fetchall())

    # Check everything first: a rejected file must leave the warehouse untouched.
    checked: list[tuple[CheckedFile, str]] = []
    loads: list[FileLoad] = []
    unchanged: dict[str, LandingFile] = {}
    for i, lf in enumerate(files, 1):
        if lf.extract_date > today:
            problems.append(f"{lf.source_file}: extract date {lf.extract_date} (from the file name) is in the future")
            continue
        digest = sha256_of(lf.path)
        if known.get(lf.source_file) == digest:
            loads.append(FileLoad(lf.source_file, lf.export.name, lf.extract_date, digest, "unchanged", -1))
            unchanged[lf.source_file] = lf
            continue
        try:
            result = type_frame(lf, read_file(lf), pseudonymiser)
        except FileRejected as exc:
            problems.append(str(exc))
            continue
        if result.extra:
            log.warning("%s: extra column(s) ignored: %s", lf.source_file, ", ".join(result.extra))
        checked.append((result, digest))
        say(f"extract [{i}/{len(files)}] checked {lf.source_file}: {result.rows_read} rows")
    if problems:
        raise ExtractError(problems)
    _check_involvements(settings, checked, files, unchanged)

    with connect(settings) as con:
        con.execute("BEGIN TRANSACTION")
        try:
            for result, digest in checked:
                loads.append(_write(con, result, digest, known))
            con.execute("COMMIT")
        except Exception:
            con.execute("ROLLBACK")
            raise
        counts = {
            row[0]: row[1:]
            for row in con.execute(
                f"SELECT source_file, row_count, rows_read, rows_quarantined FROM {MANIFEST_TABLE}"
            ).fetchall()
        }
    for fl in loads:
        if fl.status == "unchanged":
            loaded, read, quarantined = counts.get(fl.source_file, (0, None, None))
            fl.row_count = loaded
            fl.rows_read = loaded if read is None else read
            fl.rows_quarantined = quarantined or 0
    loads.sort(key=lambda f: f.source_file)
    report = ExtractReport(month_end, loads, ignored, warnings)
    say(f"extract: {report.summary()}")
    return report


def _write(con, result: CheckedFile, digest: str, known: dict[str, str]) -> FileLoad:
    lf = result.lf
    status = "replaced" if lf.source_file in known else "loaded"
    table = raw_table(lf.export)
    loaded = result.loaded()
    con.execute(f"DELETE FROM {table} WHERE _source_file = ?", [lf.source_file])
    con.execute(f"DELETE FROM {QUARANTINE_TABLE} WHERE source_file = ?", [lf.source_file])
    con.register("incoming", loaded)
    cols = ", ".join(f'"{c}"' for c in loaded.columns)
    types = raw_column_types(lf.export)
    values = ", ".join(f'CAST("{c}" AS {types[c]})' for c in loaded.columns)
    con.execute(f"INSERT INTO {table} ({cols}) SELECT {values} FROM incoming")
    con.unregister("incoming")
    problems = result.problems.sort_values(["row_number", "column_name", "rule"], kind="stable")
    if len(problems):
        rows = problems.assign(
            source_file=lf.source_file,
            export_name=lf.export.name,
            extract_date=lf.extract_date,
            line_number=problems["line_number"].astype("Int64"),
            row_number=problems["row_number"].astype("Int64"),
        )[["source_file", "export_name", "extract_date", *QUARANTINE_COLUMNS]]
        con.register("quarantined", rows)
        con.execute(f"INSERT INTO {QUARANTINE_TABLE} SELECT *, current_timestamp FROM quarantined")
        con.unregister("quarantined")
    n_quarantined = len(result.quarantined_rows)
    con.execute(
        f"""INSERT OR REPLACE INTO {MANIFEST_TABLE}
            (source_file, export_name, extract_date, sha256, row_count, extra_columns, loaded_at,
             rows_read, rows_loaded, rows_quarantined)
            VALUES (?, ?, ?, ?, ?, ?, current_timestamp, ?, ?, ?)""",
        [lf.source_file, lf.export.name, lf.extract_date, digest, len(loaded), ",".join(result.extra) or None,
         result.rows_read, len(loaded), n_quarantined],
    )
    if n_quarantined:
        rules = problems["rule"].value_counts().to_dict()
        log.warning("%s: %d of %d row(s) quarantined (%s)", lf.source_file, n_quarantined, result.rows_read,
                    ", ".join(f"{k} x{v}" for k, v in rules.items()))
    return FileLoad(lf.source_file, lf.export.name, lf.extract_date, digest, status, len(loaded), result.extra,
                    result.rows_read, n_quarantined)


def _check_involvements(settings, checked, files, unchanged) -> None:
    """Quarantine involvements whose professional is not in the professionals extract of that date
    (the latest one on or before the involvements' extract date)."""
    professionals = sorted((lf for lf in files if lf.export.name == "ssd_professionals"),
                           key=lambda lf: lf.extract_date)
    by_file = {r.lf.source_file: r for r, _ in checked}
    cache: dict[str, set[str]] = {}

    def keys_of(lf: LandingFile) -> set[str]:
        if lf.source_file not in cache:
            if lf.source_file in by_file:
                cache[lf.source_file] = set(by_file[lf.source_file].loaded()["prof_professional_key"].dropna())
            else:
                with connect(settings, read_only=True) as con:
                    rows = con.execute(
                        "SELECT DISTINCT prof_professional_key FROM raw.ssd_professionals WHERE _source_file = ?",
                        [lf.source_file],
                    ).fetchall()
                cache[lf.source_file] = {r[0] for r in rows if r[0] is not None}
        return cache[lf.source_file]

    for result, _ in checked:
        if result.lf.export.name != "ssd_involvements":
            continue
        candidates = [p for p in professionals if p.extract_date <= result.lf.extract_date]
        if not candidates:
            log.warning("%s: no ssd_professionals extract on or before it; professionals not checked",
                        result.lf.source_file)
            continue
        result.add(_unknown_professionals(result, keys_of(candidates[-1])))
