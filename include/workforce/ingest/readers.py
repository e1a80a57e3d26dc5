"""Read one landing file's cells into the DuckDB temp table ``_in``, streaming.

``_in`` has one row per data row of the file (blank lines, and lines of empty cells, dropped and
not counted) and one VARCHAR column per contract column the header holds (trimmed; empty is NULL;
names the contract drops are never read), plus ``_row_number`` (1-based data row),
``_line_number`` (the file line, or XLSX sheet row, the row ends on; NULL until known) and
``_malformed`` (the row has more or fewer fields than the header).

CSV is read by DuckDB's own reader (typed, parallel, spilling to disk under the memory limit).
When DuckDB sets any line aside (a row with more or fewer fields than the header, a stray quote,
an over-long line), the file is read again by Python's ``csv`` module, streamed in batches, so that
every row keeps its place and its line number and the bad rows are quarantined, not lost: the
exact path for the few files that need it. XLSX is streamed by openpyxl's read-only reader.

Line numbers cost a second pass, so they are only worked out when a row is quarantined: from the
row number when the file has one line per row (the scan's line count says so), else by a pass of
Python's ``csv`` module.
"""

from __future__ import annotations

import csv
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time

import duckdb

from workforce.ingest.landing import LandingFile, Scan

#: Characters Python's ``str.strip()`` removes; DuckDB's ``trim`` is given the same set.
WHITESPACE = "".join(chr(i) for i in range(sys.maxunicode + 1) if chr(i).isspace())
_BATCH = 50_000


class FileRejected(ValueError):
    def __init__(self, source_file: str, problem: str):
        self.source_file = source_file
        self.problem = problem
        super().__init__(f"{source_file}: {problem}")


def sql_literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


_TRIM_SET = sql_literal(WHITESPACE)
_EDGE_SPACE = "[" + "".join(f"\\x{{{ord(c):x}}}" for c in WHITESPACE) + "]"
_HAS_EDGE_SPACE = sql_literal(f"^{_EDGE_SPACE}|{_EDGE_SPACE}$")


def clean(expr: str) -> str:
    """SQL: the cell trimmed as ``str.strip()`` does, empty -> NULL (trim with a long character set is
    slow, so only cells that start or end with white space pay for it)."""
    trimmed = f"trim({expr}, {_TRIM_SET})"
    return f"NULLIF(CASE WHEN regexp_matches({expr}, {_HAS_EDGE_SPACE}) THEN {trimmed} ELSE {expr} END, '')"


@dataclass
class Header:
    names: list[str]  # trimmed, lower-cased
    first_row: list[str] | None  # the first data row's cells (for the title-row hint)


@dataclass
class Cells:
    rows: int
    lines_filled: bool  # _in._line_number is set
    one_line_per_row: bool  # else line numbers need fill_line_numbers
    reader: str  # duckdb | python-csv | openpyxl


def _clean_text(value: str) -> str | None:
    value = value.strip()
    return value or None


# How the file is written: the contract's shape, or a mapping profile's (``ingest.profile``) ----
def delimiter(lf: LandingFile) -> str:
    return lf.reading.delimiter if lf.reading is not None else ","


def header_row(lf: LandingFile) -> int:
    """The file line (CSV record) or sheet row holding the header (rows above it are titles)."""
    return lf.reading.header_row if lf.reading is not None else 1


# Headers ---------------------------------------------------------------------------------------
def csv_header(lf: LandingFile) -> Header:
    try:
        with lf.path.open(encoding="utf-8-sig", newline="") as fh:
            reader = csv.reader(fh, delimiter=delimiter(lf))
            for _ in range(header_row(lf) - 1):
                next(reader, None)
            header = next(reader, [])
            first = next(reader, None)
    except csv.Error as exc:
        raise FileRejected(lf.source_file, f"cannot be read as CSV: {exc}") from None
    names = [c.strip().lower() for c in header]
    _check_delimiter(lf, names)
    return Header(names, first)


_DELIMITER_NAMES = {",": "comma", ";": "semicolon", "\t": "tab", "|": "pipe"}


def _check_delimiter(lf: LandingFile, header: list[str]) -> None:
    if len(header) != 1 or len(lf.export.columns) == 1:
        return
    expected = delimiter(lf)
    for other, name in _DELIMITER_NAMES.items():
        if other != expected and other in header[0]:
            told = _DELIMITER_NAMES.get(expected, repr(expected))
            raise FileRejected(
                lf.source_file,
                f"is {name}-separated (the header is one column holding {other!r}); "
                + ("the contract requires comma-separated CSV: re-export with ',' as the delimiter"
                   if lf.reading is None
                   else f"its mapping profile says {told}-separated: correct the profile's delimiter or the file"),
            )


def _open_sheet(lf: LandingFile):
    from openpyxl import load_workbook

    try:
        book = load_workbook(lf.path, read_only=True, data_only=True)
    except Exception as exc:  # a corrupt zip, not a workbook, an encrypted file, ...
        raise FileRejected(lf.source_file, f"cannot be read as XLSX: {type(exc).__name__}: {exc}") from None
    wanted = lf.reading.sheet if lf.reading is not None else None
    if wanted is None:
        return book, book.worksheets[0]
    names = list(book.sheetnames)
    match = next((n for n in names if n.strip().lower() == wanted.strip().lower()), None)
    if match is None:
        book.close()
        raise FileRejected(lf.source_file, f"has no sheet {wanted!r} (its mapping profile's sheet); it has "
                                           f"{', '.join(repr(n) for n in names)}")
    return book, book[match]


def _sheet_rows(lf: LandingFile, sheet) -> Iterator[tuple[int, tuple]]:
    try:
        yield from enumerate(sheet.iter_rows(values_only=True), 1)
    except Exception as exc:  # noqa: BLE001 - a damaged sheet part
        raise FileRejected(lf.source_file, f"cannot be read as XLSX: {type(exc).__name__}: {exc}") from None


def xlsx_header(lf: LandingFile) -> Header:
    book, sheet = _open_sheet(lf)
    try:
        rows = _sheet_rows(lf, sheet)
        for _ in range(header_row(lf) - 1):
            next(rows, None)
        first = next(rows, None)
        if first is None or all(_cell_text(v) is None for v in first[1]):
            where = "the first sheet" if lf.reading is None else f"row {header_row(lf)} of its sheet"
            raise FileRejected(lf.source_file, f"the file is empty (no header row in {where})")
        names = [(_cell_text(v) or f"unnamed: {i}").lower() for i, v in enumerate(first[1])]
        second = next(rows, None)
        return Header(names, [_cell_text(v) or "" for v in second[1]] if second else None)
    finally:
        book.close()


def _cell_text(value) -> str | None:
    if value is None:
        return None
    if isinstance(value, datetime):  # an XLSX date cell
        return value.date().isoformat() if value.time() == time(0) else value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float):
        if value != value:  # NaN
            return None
        if value.is_integer():
            value = int(value)
    text = str(value).strip()
    return text or None


# Cells -----------------------------------------------------------------------------------------
def _create_in(con: duckdb.DuckDBPyConnection, columns: Sequence[str]) -> None:
    cols = "".join(f", {ident(c)} VARCHAR" for c in columns)
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE _in_t (_row_number BIGINT, _line_number BIGINT, _malformed BOOLEAN{cols})"
    )
    con.execute("CREATE OR REPLACE TEMP VIEW _in AS SELECT * FROM _in_t")


def load_cells(con: duckdb.DuckDBPyConnection, lf: LandingFile, header: Header, columns: Sequence[str],
               scanned: Scan) -> Cells:
    """Fill ``_in`` with the file's data rows; ``columns`` are the contract columns to keep."""
    if lf.is_xlsx:
        return _load_xlsx(con, lf, header, columns)
    cells = _load_csv_duckdb(con, lf, header, columns, scanned)
    return cells if cells is not None else _load_csv_python(con, lf, header, columns)


def _load_csv_duckdb(con, lf: LandingFile, header: Header, columns: Sequence[str], scanned: Scan) -> Cells | None:
    if any("\n" in name or "\r" in name for name in header.names):
        return None  # a header over several lines: skip=1 would not skip it
    width = len(header.names)
    positions = {name: i for i, name in enumerate(header.names)}
    spec = ", ".join(f"'c{i}': 'VARCHAR'" for i in range(width))
    selected = "".join(f"{clean(f'c{positions[c]}')} AS {ident(c)}, " for c in columns)
    kept = {positions[c] for c in columns}  # a row is kept when any cell is non-blank (DuckDB lets the
    keep = " OR ".join(  # flag reuse the cleaned columns' aliases)
        [f"{ident(c)} IS NOT NULL" for c in columns]
        + [f"{clean(f'c{i}')} IS NOT NULL" for i in range(width) if i not in kept]) or "false"
    con.execute("DROP TABLE IF EXISTS _rejects")
    con.execute("DROP TABLE IF EXISTS _rejects_scan")
    try:
        # the table's rowid is the file's row order (DuckDB preserves insertion order)
        con.execute(
            f"""CREATE OR REPLACE TEMP TABLE _in_t AS SELECT {selected}{keep} AS _keep
                FROM read_csv({sql_literal(str(lf.path))},
                header = false, skip = {header_row(lf)}, auto_detect = false, all_varchar = true,
                delim = {sql_literal(delimiter(lf))}, quote = '"',
                escape = '"', strict_mode = true, columns = {{{spec}}}, store_rejects = true,
                rejects_table = '_rejects', rejects_scan = '_rejects_scan')"""
        )
    except duckdb.Error:
        return None  # anything DuckDB will not read, Python's reader reads or rejects with a message
    rejected = con.execute("SELECT count(*) FROM _rejects").fetchone()
    if rejected and rejected[0]:
        con.execute("DROP TABLE _in_t")
        return None
    names = "".join(f", {ident(c)}" for c in columns)
    # rowids are in insertion order but need not start at 0 (inside a transaction they do not)
    first, last, rows, blank = con.execute(
        "SELECT min(rowid), max(rowid), count(*), count(*) FILTER (WHERE NOT _keep) FROM _in_t").fetchone()
    if blank or (rows and last - first + 1 != rows):  # lines of empty cells are not data rows: number the rest
        con.execute(f"CREATE OR REPLACE TEMP TABLE _in_t AS SELECT row_number() OVER (ORDER BY rowid) AS _r{names} "
                    "FROM _in_t WHERE _keep")
        con.execute(f"CREATE OR REPLACE TEMP VIEW _in AS SELECT _r AS _row_number, CAST(NULL AS BIGINT) AS "
                    f"_line_number, false AS _malformed{names} FROM _in_t")
    else:
        con.execute(f"CREATE OR REPLACE TEMP VIEW _in AS SELECT rowid - {int(first or 0) - 1} AS _row_number, "
                    f"CAST(NULL AS BIGINT) AS _line_number, false AS _malformed{names} FROM _in_t")
    row = con.execute("SELECT count(*) FROM _in_t").fetchone()
    rows = int(row[0]) if row else 0
    # one line per record (the header, then data row n on line n + header row) when the line count says so
    return Cells(rows, False, scanned.lines == rows + header_row(lf), "duckdb")


def _append(con, columns: Sequence[str], batch: list[list]) -> None:
    import pyarrow as pa

    names = ["_row_number", "_line_number", "_malformed", *columns]
    types = [pa.int64(), pa.int64(), pa.bool_(), *([pa.string()] * len(columns))]
    table = pa.table({n: pa.array([r[i] for r in batch], t) for i, (n, t) in enumerate(zip(names, types, strict=True))})
    con.register("_batch", table)
    con.execute("INSERT INTO _in_t SELECT * FROM _batch")
    con.unregister("_batch")


def _csv_records(lf: LandingFile) -> Iterator[tuple[int, list[str]]]:
    """Every non-blank record after the header, with the file line it ends on."""
    with lf.path.open(encoding="utf-8-sig", newline="") as fh:
        reader = csv.reader(fh, delimiter=delimiter(lf))
        try:
            for _ in range(header_row(lf)):
                next(reader, None)
            for record in reader:
                if any(cell.strip() for cell in record):
                    yield reader.line_num, record
        except csv.Error as exc:
            raise FileRejected(lf.source_file, f"cannot be read as CSV: {exc}") from None


def _load_csv_python(con, lf: LandingFile, header: Header, columns: Sequence[str]) -> Cells:
    width = len(header.names)
    index = [header.names.index(c) for c in columns]
    _create_in(con, columns)
    batch: list[list] = []
    n = 0
    for line, record in _csv_records(lf):
        n += 1
        padded = (record + [""] * width)[:width]
        batch.append([n, line, len(record) != width, *(_clean_text(padded[i]) for i in index)])
        if len(batch) >= _BATCH:
            _append(con, columns, batch)
            batch = []
    if batch:
        _append(con, columns, batch)
    return Cells(n, True, False, "python-csv")


def _load_xlsx(con, lf: LandingFile, header: Header, columns: Sequence[str]) -> Cells:
    index = [header.names.index(c) for c in columns]
    width = len(header.names)
    _create_in(con, columns)
    book, sheet = _open_sheet(lf)
    batch: list[list] = []
    n = 0
    try:
        rows = _sheet_rows(lf, sheet)
        for _ in range(header_row(lf)):
            next(rows, None)
        for number, values in rows:
            cells = [_cell_text(v) for v in values[:width]]
            if all(c is None for c in cells):
                continue
            cells += [None] * (width - len(cells))
            n += 1
            batch.append([n, number, False, *(cells[i] for i in index)])
            if len(batch) >= _BATCH:
                _append(con, columns, batch)
                batch = []
    finally:
        book.close()
    if batch:
        _append(con, columns, batch)
    return Cells(n, True, False, "openpyxl")


def line_numbers(con, lf: LandingFile, cells: Cells) -> None:
    """``_lines(row_number, line_number)`` for the rows in ``_problems`` and ``_flagged`` (values
    withheld): only files with such rows pay for line numbers, and only a file with blank lines or
    multi-line cells pays for a second read."""
    problem_rows = "SELECT row_number FROM _problems"
    if con.execute("SELECT count(*) FROM duckdb_tables() WHERE table_name = '_flagged' AND temporary").fetchone()[0]:
        problem_rows += " UNION SELECT row_number FROM _flagged"
    if cells.lines_filled:
        con.execute("CREATE OR REPLACE TEMP TABLE _lines AS SELECT _row_number AS row_number, _line_number AS "
                    f"line_number FROM _in WHERE _row_number IN ({problem_rows})")
    elif cells.one_line_per_row:
        con.execute(f"CREATE OR REPLACE TEMP TABLE _lines AS SELECT row_number, row_number + {header_row(lf)} "
                    "AS line_number "
                    f"FROM ({problem_rows})")
    else:
        import pyarrow as pa

        wanted = {r[0] for r in con.execute(problem_rows).fetchall()}
        pairs = [(n, line) for n, (line, _record) in enumerate(_csv_records(lf), 1) if n in wanted]
        con.register("_pairs", pa.table({"row_number": pa.array([p[0] for p in pairs], pa.int64()),
                                         "line_number": pa.array([p[1] for p in pairs], pa.int64())}))
        con.execute("CREATE OR REPLACE TEMP TABLE _lines AS SELECT * FROM _pairs")
        con.unregister("_pairs")


def drop_temporaries(con) -> None:
    con.execute("DROP VIEW IF EXISTS _in")
    con.execute("DROP VIEW IF EXISTS _src")
    for table in ("_in_t", "_typed", "_problems", "_flagged", "_unmapped", "_lines", "_rejects", "_rejects_scan"):
        con.execute(f"DROP TABLE IF EXISTS {table}")
