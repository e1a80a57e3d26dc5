"""Extract: landing-folder exports -> typed, pseudonymised raw tables in the warehouse, in DuckDB.

For a reporting month, every export file dated up to the end of the month's window
(``ingest.readiness``) is checked against the contract; personal identifiers are replaced by
keyed pseudonyms, names are never read and dates of birth become age bands before anything is
written. The work is set-based SQL in the warehouse's own engine: ``readers`` streams a file's
cells into a temp table (DuckDB's CSV reader; openpyxl's streaming reader for XLSX), ``rules``
types them and finds every row-level problem in SQL, and the good rows are inserted. Memory does
not depend on file size (DuckDB spills under ``WORKFORCE_EXTRACT_MEMORY_LIMIT``).

Two kinds of problem (``docs/spec/export-contract.md``: "rows that break a rule are
quarantined with the rule they broke; the rest load"):

- **File-level**: the file cannot be trusted at all, so it is *rejected* whole and the run
  stops with a message naming the file and the problem: empty file, not UTF-8 (a byte-order
  mark is fine), not comma separated, unreadable XLSX, a missing required column (a likely
  typo or a title row above the header is pointed out), a header naming a column twice, an
  extract date in the future, a required export's extract with no data rows, or one whose every
  row is quarantined (no true figure can come from it). The landing folder's own rules
  (``landing``: no links out of it, one extract per export and date) and a required export with
  no extract of its own for the month (``ingest.readiness``) also stop the run, before anything
  is loaded.
- **Row-level**: the row is *quarantined* in ``raw.quarantine`` (file, data row, file line,
  column, rule, offending value: pseudonymised for identifiers, withheld for a date of birth)
  and the file's other rows load. Rules are in ``rules.RULES``. Whether the month may still be
  published is decided by the validate step (``WORKFORCE_QUARANTINE_MAX_PCT``).
- **Identity-shaped labels**: a value of a label or free-text column that looks like a person's
  identity (``rules.IDENTITY_SHAPED``) is replaced by a keyed ``withheld-...`` label and recorded
  in ``raw.withheld_values`` (file, data row, line, column; never the value); the row loads.

Decisions recorded here: blank lines (and lines of empty cells) are skipped and not counted;
a row with more or fewer fields than the header, e.g. a truncated last line, is quarantined
as ``malformed_row`` (the rest of the file is sound; the threshold catches a badly cut file);
an XLSX date cell is a date, but a number in a date column (an Excel date serial in a text or
number cell, or in a CSV) is quarantined as ``bad_date`` rather than guessed at.

Each file is recorded in ``raw.load_manifest`` (name, extract date, SHA-256, rows read, loaded
and quarantined, load time); ``rows_read = rows_loaded + rows_quarantined`` always. The
warehouse mirrors the landing folder: a new or changed file loads (a changed one replaces its own
rows and quarantine rows), a file already loaded with the same SHA-256 is skipped, and a file no
longer in the landing folder has its rows removed, with a warning. Everything happens in one
transaction, so a rejected file or a crash leaves the warehouse exactly as it was.
"""

from __future__ import annotations

import codecs
import difflib
import logging
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path

from workforce.config import Settings
from workforce.ingest import readiness
from workforce.ingest.landing import (
    FILE_NAME,
    LandingFile,
    LandingFolderMissing,
    Scan,
    discover,
    is_blank,
    scan,
    survey,
)
from workforce.ingest.profile import ColumnMap, ExportProfile, load_profile, mapped_expression, unmapped_condition
from workforce.ingest.pseudonymise import Pseudonymiser, resolve_key
from workforce.ingest.readers import (
    FileRejected,
    Header,
    csv_header,
    drop_temporaries,
    ident,
    line_numbers,
    load_cells,
    sql_literal,
    xlsx_header,
)
from workforce.ingest.rules import (
    END_AFTER_START,
    KEYS,
    MAX_VALUE_CHARS,
    RULES,
    WITHHELD,
    WITHHELD_RULE,
    find_problems,
    type_cells,
)
from workforce.ingest.rules import unknown_professionals as _unknown_professionals
from workforce.spec.contract import EXPORTS_BY_NAME
from workforce.warehouse import (
    MANIFEST_TABLE,
    QUARANTINE_TABLE,
    WITHHELD_TABLE,
    connect,
    ensure_raw_schema,
    raw_column_types,
    raw_table,
)

__all__ = [
    "END_AFTER_START", "FILE_NAME", "KEYS", "RULES", "WITHHELD", "ExtractError", "ExtractReport", "FileLoad",
    "FileRejected", "LandingFile", "discover", "extract",
]

log = logging.getLogger(__name__)

QUARANTINE_COLUMNS = ("row_number", "line_number", "column_name", "rule", "value")
#: Files another export's rules read are loaded first (involvements are checked against professionals).
#: Identifier columns are read before label columns are searched for their values (``rules``), so
#: the files holding most identifiers come next.
_LOAD_FIRST = ("ssd_professionals", "hr_workers", "agency_assignments", "ssd_involvements")


class ExtractError(RuntimeError):
    """One or more export files were rejected (or required exports are missing or stale)."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__(
            f"{len(problems)} export problem(s); nothing was loaded and the previous data "
            "and published tables are unchanged:\n  - " + "\n  - ".join(problems)
        )


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
    values_withheld: int = 0  # identity-shaped label or free-text values replaced (raw.withheld_values)

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


def extract(
    settings: Settings,
    month_end: date,
    progress: Callable[[str], None] | None = None,
    *,
    today: date | None = None,
) -> ExtractReport:
    """Load every export file dated up to the end of the month's window that is new or changed.

    Stops before loading anything when a required export has no extract of its own for the month
    (``ingest.readiness``) or the landing folder holds a file it may not (``landing``)."""
    say = progress or log.info
    today = today or date.today()
    _first, last = readiness.window(settings, month_end)
    profile = load_profile(settings.profile)
    try:
        landing = survey(settings.landing_dir, last, profile)
    except LandingFolderMissing as exc:
        raise ExtractError([str(exc)]) from None
    files = landing.usable
    for name in landing.ignored:
        log.warning("landing: ignored %s", name)
    ready = readiness.assess(settings, month_end, files)
    warnings = ready.warnings()
    for text in warnings:
        log.warning("readiness: %s", text)
    problems = [r.message for r in landing.refused] + ready.problems(settings.landing_dir)
    if problems:
        raise ExtractError(problems)

    pseudonymiser = Pseudonymiser(resolve_key(settings))
    order = {name: n for n, name in enumerate(_LOAD_FIRST)}
    files.sort(key=lambda lf: (order.get(lf.export.name, len(order)), lf.source_file))
    loads: list[FileLoad] = []
    with connect(settings, memory_limit=settings.extract_memory_limit) as con:
        ensure_raw_schema(con)
        # a file is unchanged when its bytes and the profile it was read with are (a profile edit reloads)
        known = {f: (sha, prof or "") for f, sha, prof in con.execute(
            f"SELECT source_file, sha256, profile_sha256 FROM {MANIFEST_TABLE}").fetchall()}
        con.execute("BEGIN TRANSACTION")
        try:
            warnings += _remove_vanished(con, settings, known)
            for i, lf in enumerate(files, 1):
                if lf.extract_date > today:
                    problems.append(
                        f"{lf.source_file}: extract date {lf.extract_date} (from the file name) is in the future")
                    continue
                scanned = scan(lf.path, text=not lf.is_xlsx)
                if known.get(lf.source_file) == (scanned.sha256, profile.digest):
                    loads.append(FileLoad(lf.source_file, lf.export.name, lf.extract_date, scanned.sha256,
                                          "unchanged", -1))
                    continue
                if problems:  # the run stops anyway: only check the rest, load nothing more
                    try:
                        _check_file(lf, scanned)
                    except FileRejected as exc:
                        problems.append(str(exc))
                    continue
                try:
                    load = _load_file(con, lf, scanned, pseudonymiser, files, known, profile.digest)
                except FileRejected as exc:
                    problems.append(str(exc))
                    continue
                loads.append(load)
                say(f"extract [{i}/{len(files)}] {load.status} {lf.source_file}: {load.rows_read} rows"
                    + (f", {load.rows_quarantined} quarantined" if load.rows_quarantined else ""))
            if problems:
                raise ExtractError(problems)
            con.execute("COMMIT")
        except BaseException:
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
    report = ExtractReport(month_end, loads, landing.ignored, warnings)
    say(f"extract: {report.summary()}")
    return report


def _remove_vanished(con, settings: Settings, known: dict[str, tuple[str, str]]) -> list[str]:
    """Rows of files no longer in the landing folder leave the warehouse (it mirrors the folder)."""
    said = []
    for source_file in sorted(known):
        if (settings.landing_dir / source_file).is_file():
            continue
        export = source_file.split("/", 1)[0]
        spec = EXPORTS_BY_NAME.get(export)
        row = con.execute(f"SELECT row_count FROM {MANIFEST_TABLE} WHERE source_file = ?", [source_file]).fetchone()
        if spec is not None:
            con.execute(f"DELETE FROM {raw_table(spec)} WHERE _source_file = ?", [source_file])
        con.execute(f"DELETE FROM {QUARANTINE_TABLE} WHERE source_file = ?", [source_file])
        con.execute(f"DELETE FROM {WITHHELD_TABLE} WHERE source_file = ?", [source_file])
        con.execute(f"DELETE FROM {MANIFEST_TABLE} WHERE source_file = ?", [source_file])
        text = (f"{source_file} is no longer in the landing folder: its {row[0] if row else 0} row(s) were removed "
                "from the warehouse")
        log.warning("landing: %s", text)
        said.append(text)
        known.pop(source_file)
    return said


def _check_file(lf: LandingFile, scanned: Scan) -> Header:
    """File-level checks that need no parsing beyond the header."""
    if not lf.is_xlsx:
        head = scanned.head
        if is_blank(head, scanned.size):
            raise FileRejected(lf.source_file, "the file is empty (no header row)")
        if head.startswith((b"\xff\xfe", b"\xfe\xff")):
            raise FileRejected(lf.source_file,
                               "is UTF-16 text; the contract requires UTF-8: re-export it as UTF-8 CSV")
        if scanned.utf8_error is not None:
            offset, byte = scanned.utf8_error
            raise FileRejected(
                lf.source_file,
                f"is not UTF-8 text (byte 0x{byte:02x} at offset {offset}; it looks like Latin-1 / "
                "Windows-1252): re-export it as UTF-8 CSV",
            )
    header = xlsx_header(lf) if lf.is_xlsx else csv_header(lf)
    names = header.names
    duplicated = sorted({c for c in names if names.count(c) > 1 and c})
    if duplicated:
        raise FileRejected(lf.source_file, f"column(s) {duplicated} appear more than once in the header")
    spec = lf.export
    if lf.reading is not None:
        missing = [f"{lf.reading.source_name(c)!r} ({c} in the mapping profile)" for c in spec.required_columns
                   if not _provided(lf.reading, c, names)]
        if missing:
            raise FileRejected(lf.source_file, f"missing required column(s) {', '.join(missing)}; the header has "
                                               f"{', '.join(repr(n) for n in names)}")
        return header
    missing = [c for c in spec.required_columns if c not in names]
    if missing:
        extra = [c for c in names if c not in spec.column_names]
        raise FileRejected(lf.source_file, _header_problem(lf, header, missing, extra))
    return header


def _is_utf8(encoding: str) -> bool:
    return codecs.lookup(encoding).name in ("utf-8", "utf-8-sig")


@contextmanager
def _utf8_copy(lf: LandingFile) -> Iterator[Path]:
    """A temporary UTF-8 copy of a CSV in the encoding its profile names, decoded in blocks."""
    assert lf.reading is not None
    encoding = lf.reading.encoding
    with tempfile.TemporaryDirectory(prefix="workforce-decode-") as folder:
        copy = Path(folder) / lf.path.name
        try:
            with (lf.path.open(encoding=encoding, newline="") as src,
                  copy.open("w", encoding="utf-8", newline="") as dst):
                while block := src.read(1 << 20):
                    dst.write(block)
        except (UnicodeDecodeError, UnicodeError) as exc:
            raise FileRejected(lf.source_file, f"is not {encoding} text, as its mapping profile says ({exc}): "
                                               "correct the profile's encoding or re-export the file") from None
        yield copy


def _provided(reading: ExportProfile, column: str, names: list[str]) -> bool:
    """Whether a profiled file gives the contract column: its own column, a default or a derivation."""
    m = reading.columns.get(column)
    if m is not None and m.derive:
        return all(ref.lower() in names for ref in m.derive_sources)
    return reading.source_name(column).lower() in names or (m is not None and m.default is not None)


def _map_cells(con, reading: ExportProfile, names: list[str]) -> tuple[list[str], list[str]]:
    """Put the profile in front of the contract: ``_in`` (the council's columns, as read) becomes
    ``_src``, and a new ``_in`` gives each contract column's text as the contract would have it
    (renamed, dates as YYYY-MM-DD, decimal points, codes from the value maps, defaults,
    derivations). ``_unmapped`` lists cells a value map does not know. Returns the contract
    columns given and the mapped columns with value maps."""
    con.execute("ALTER VIEW _in RENAME TO _src")

    def cell(source: str) -> str:
        return f"_src.{ident(source.lower())}" if source.lower() in names else "CAST(NULL AS VARCHAR)"

    given, selects, unmapped = [], [], []
    for col in reading.spec.raw_columns:
        if not _provided(reading, col.name, names):
            continue
        own = cell(reading.source_name(col.name))
        selects.append(f"{mapped_expression(reading, col.name, own, cell)} AS {ident(col.name)}")
        given.append(col.name)
        condition = unmapped_condition(reading, col.name, own)
        if condition is not None:
            unmapped.append(f"SELECT _row_number AS row_number, {sql_literal(col.name)} AS column_name, "
                            f"{own} AS value FROM _src WHERE {condition}")
    con.execute("CREATE OR REPLACE TEMP VIEW _in AS SELECT _row_number, _line_number, _malformed"
                + "".join(f", {s}" for s in selects) + " FROM _src")
    con.execute("CREATE OR REPLACE TEMP TABLE _unmapped AS "
                + (" UNION ALL ".join(unmapped) if unmapped else
                   "SELECT CAST(NULL AS BIGINT) AS row_number, CAST(NULL AS VARCHAR) AS column_name, "
                   "CAST(NULL AS VARCHAR) AS value WHERE FALSE"))
    return given, [c for c in given if (reading.columns.get(c) or ColumnMap(c)).values]


def _file_column_sql(lf: LandingFile, alias: str) -> str:
    """SQL: the council's column of a problem's contract column (``raw.quarantine.source_column``):
    the mapping profile's header for it (or the columns a derivation reads; '' when only the
    profile's default gives it), else the contract's own column. NULL: a row recorded before
    the column existed."""
    if lf.reading is None:
        return f"{alias}.column_name"
    arms = []
    for col in lf.export.columns:
        own = lf.reading.file_column(col.name)
        if own != col.name:
            arms.append(f"WHEN {sql_literal(col.name)} THEN {sql_literal(own or '')}")
    return f"(CASE {alias}.column_name {' '.join(arms)} ELSE {alias}.column_name END)" if arms else \
        f"{alias}.column_name"


def _header_problem(lf: LandingFile, header: Header, missing: list[str], extra: list[str]) -> str:
    message = f"missing required column(s) {', '.join(repr(c) for c in missing)}"
    hints = []
    for name in missing:
        close = difflib.get_close_matches(name, extra, n=1, cutoff=0.75)
        if close:
            hints.append(f"'{close[0]}' in the header looks like a typo for '{name}'")
    if header.first_row:
        first = {str(v).strip().lower() for v in header.first_row if v}
        if set(lf.export.required_columns) <= first:
            hints.append(f"{'sheet row' if lf.is_xlsx else 'line'} 2 holds the column names: a title row above the "
                         "header? The header must be the first row")
    return message + (f" ({'; '.join(hints)})" if hints else "")


def _count(con, sql: str, params: list | None = None) -> int:
    row = con.execute(sql, params or []).fetchone()
    return int(row[0]) if row and row[0] is not None else 0


def _load_file(con, lf: LandingFile, scanned: Scan, pseudonymiser: Pseudonymiser, files: list[LandingFile],
               known: dict, profile_digest: str = "") -> FileLoad:
    """Check one file in SQL and write its good rows, quarantine rows and manifest row."""
    if lf.reading is not None and not lf.is_xlsx and not _is_utf8(lf.reading.encoding):
        with _utf8_copy(lf) as copy:  # the profile's encoding: read a UTF-8 copy; provenance is the file's own
            utf8 = replace(lf, path=copy, reading=replace(lf.reading, encoding="utf-8"))
            return _load_file(con, utf8, replace(scan(copy, text=True), sha256=scanned.sha256), pseudonymiser, files,
                              known, profile_digest)
    spec = lf.export
    header = _check_file(lf, scanned)
    # extra: the header's columns no contract column comes from (a profile's headers are the council's)
    read_from = set(spec.column_names) if lf.reading is None else (
        {lf.reading.source_name(c.name).lower() for c in spec.columns}
        | {ref.lower() for m in lf.reading.columns.values() for ref in m.derive_sources})
    extra = [c for c in header.names if c not in read_from]
    if extra:
        log.warning("%s: extra column(s) ignored: %s", lf.source_file, ", ".join(extra))
    mapped: list[str] = []
    if lf.reading is None:
        columns = [c.name for c in spec.raw_columns if c.name in header.names]
        cells = load_cells(con, lf, header, columns, scanned)
    else:  # the council's columns the profile reads, then the profile in front of the contract
        wanted = {lf.reading.source_name(c.name).lower() for c in spec.raw_columns}
        wanted |= {ref.lower() for m in lf.reading.columns.values() for ref in m.derive_sources}
        cells = load_cells(con, lf, header, [n for n in header.names if n in wanted], scanned)
        columns, mapped = _map_cells(con, lf.reading, header.names)
    if cells.rows == 0 and spec.required:
        raise FileRejected(lf.source_file, f"has a header but no data rows; {spec.name} is a required export, and "
                                           "an empty extract cannot give the month's figures: re-export it")
    type_cells(con, spec, set(columns), lf.extract_date, pseudonymiser)
    find_problems(con, spec, len(header.names), control=lf.is_xlsx or scanned.control)
    if mapped:  # a label the value map does not know: one unmapped_value, not unknown_code or bad_flag too
        con.execute("DELETE FROM _problems WHERE (row_number, column_name) IN "
                    "(SELECT (row_number, column_name) FROM _unmapped)")
        con.execute("INSERT INTO _problems SELECT row_number, column_name, 'unmapped_value', "
                    f"substring(value, 1, {MAX_VALUE_CHARS}) FROM _unmapped")
    if spec.name == "ssd_involvements":
        professionals = sorted((f for f in files if f.export.name == "ssd_professionals"
                                and f.extract_date <= lf.extract_date), key=lambda f: f.extract_date)
        if professionals:
            _unknown_professionals(con, professionals[-1].source_file)
        else:
            log.warning("%s: no ssd_professionals extract on or before it; professionals not checked", lf.source_file)
    n_problems = _count(con, "SELECT count(*) FROM _problems")
    n_quarantined = _count(con, "SELECT count(DISTINCT row_number) FROM _problems")
    if spec.required and cells.rows and n_quarantined == cells.rows:
        rules = con.execute("SELECT rule, count(*) FROM _problems GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT 5").fetchall()
        raise FileRejected(
            lf.source_file,
            f"every one of its {cells.rows} rows breaks a rule ({', '.join(f'{r} x{n}' for r, n in rules)}); "
            f"{spec.name} is a required export and no true figure can come from it: correct and re-export it",
        )
    n_withheld = _count(con, "SELECT count(*) FROM _flagged")
    if n_problems or n_withheld:
        line_numbers(con, lf, cells)

    table = raw_table(spec)
    status = "replaced" if lf.source_file in known else "loaded"
    con.execute(f"DELETE FROM {table} WHERE _source_file = ?", [lf.source_file])
    con.execute(f"DELETE FROM {QUARANTINE_TABLE} WHERE source_file = ?", [lf.source_file])
    con.execute(f"DELETE FROM {WITHHELD_TABLE} WHERE source_file = ?", [lf.source_file])
    types = raw_column_types(spec)
    data_cols = [c for c in types if not c.startswith("_")]
    good = " WHERE NOT EXISTS (SELECT 1 FROM _problems p WHERE p.row_number = t._row_number)" if n_problems else ""
    con.execute(
        f"""INSERT INTO {table} ({', '.join(ident(c) for c in data_cols)}, _source_file, _extract_date, _row_number)
            SELECT {', '.join(f'CAST({ident(c)} AS {types[c]})' for c in data_cols)}, ?, ?, _row_number
            FROM _typed t{good} ORDER BY _row_number""",
        [lf.source_file, lf.extract_date],
    )
    if n_problems:
        con.execute(
            f"""INSERT INTO {QUARANTINE_TABLE} (source_file, export_name, extract_date, row_number, line_number,
                                                column_name, rule, value, quarantined_at, source_column)
                SELECT ?, ?, ?, p.row_number, i.line_number, p.column_name, p.rule,
                       substring(p.value, 1, {MAX_VALUE_CHARS}), current_timestamp, {_file_column_sql(lf, "p")}
                FROM _problems p JOIN _lines i ON i.row_number = p.row_number
                ORDER BY p.row_number, p.column_name, p.rule""",
            [lf.source_file, spec.name, lf.extract_date],
        )
    if n_withheld:
        checked = [c for c in spec.raw_columns if c.checked_for_identity and c.name in columns]
        replacement = "CASE f.column_name " + " ".join(
            f"WHEN {sql_literal(c.name)} THEN t.{ident(c.raw_name)}" for c in checked) + " END"
        con.execute(
            f"""INSERT INTO {WITHHELD_TABLE} (source_file, export_name, extract_date, row_number, line_number,
                                              column_name, rule, replacement, recorded_at, source_column)
                SELECT ?, ?, ?, f.row_number, i.line_number, f.column_name, ?, {replacement}, current_timestamp,
                       {_file_column_sql(lf, "f")}
                FROM _flagged f JOIN _typed t ON t._row_number = f.row_number
                JOIN _lines i ON i.row_number = f.row_number
                ORDER BY f.row_number, f.column_name""",
            [lf.source_file, spec.name, lf.extract_date, WITHHELD_RULE],
        )
        by_column = con.execute("SELECT column_name, count(*) FROM _flagged GROUP BY 1 ORDER BY 1").fetchall()
        log.warning("%s: %d identity-shaped value(s) withheld (%s); the rows load with a withheld-... label",
                    lf.source_file, n_withheld, ", ".join(f"{c} x{n}" for c, n in by_column))
    loaded = cells.rows - n_quarantined
    con.execute(
        f"""INSERT OR REPLACE INTO {MANIFEST_TABLE}
            (source_file, export_name, extract_date, sha256, row_count, extra_columns, loaded_at,
             rows_read, rows_loaded, rows_quarantined, profile_sha256)
            VALUES (?, ?, ?, ?, ?, ?, current_timestamp, ?, ?, ?, ?)""",
        [lf.source_file, spec.name, lf.extract_date, scanned.sha256, loaded, ",".join(extra) or None,
         cells.rows, loaded, n_quarantined, profile_digest or None],
    )
    if n_quarantined:
        rules = con.execute("SELECT rule, count(*) FROM _problems GROUP BY 1 ORDER BY 2 DESC, 1").fetchall()
        log.warning("%s: %d of %d row(s) quarantined (%s)", lf.source_file, n_quarantined, cells.rows,
                    ", ".join(f"{k} x{v}" for k, v in rules))
    drop_temporaries(con)
    return FileLoad(lf.source_file, spec.name, lf.extract_date, scanned.sha256, status, loaded, extra,
                    cells.rows, n_quarantined, n_withheld)
