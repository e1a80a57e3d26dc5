"""``workforce profile init``: a starting mapping profile from a council's sample files.

It reads a few rows of each file in a folder (the council's own exports, in whatever folders and
names its systems use) and writes a profile (``ingest.profile``) with what it could work out:

- which export each file is (the export whose columns its header matches best);
- the file-name pattern, with the extract date found in the name (``2025-09-30``, ``30-09-2025``,
  ``30.09.2025``, ``20250930``, ``Sep 2025``);
- for XLSX the sheet and the header row (title rows above it), for CSV the encoding (UTF-8, else
  Windows-1252) and the delimiter;
- each contract column's header: exact, then ignoring case and punctuation, then words that
  mean the same (``number`` for ``id``, ``sex`` for ``gender``, ...), then close spellings;
- date formats (day first when a day is over 12, and by default: councils in England write
  DD/MM/YYYY; a database's date-time such as ``2025-09-30 00:00:00.000``) and a decimal comma;
- for each coded column, the labels it holds that are not the contract's codes: written as
  comments to fill in, so the profile is refused until they are mapped (never guessed).

It prints each contract column it could not place and each coded column whose values need a map;
the profile then needs a person's review (``docs/bring-your-own-exports.md``), and ``workforce
check`` says when it is right.
"""

from __future__ import annotations

import csv
import difflib
import io
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from workforce.spec.contract import CODE, DATE, DECIMAL, EXPORTS, FLAG, INT, ColumnSpec, ExportSpec

SAMPLE_ROWS = 200
#: Words a council's header may use for a contract column's word.
SYNONYMS = {
    "id": {"number", "no", "num", "ref", "reference", "code", "identifier"},
    "gender": {"sex"}, "birth": {"dob"}, "fte": {"wte", "equivalent", "fulltime"},
    "team": {"unit", "org", "department"}, "start": {"from", "begin", "commenced", "first", "origin", "continuous"},
    "end": {"to", "finish", "ceased", "last"}, "registration": {"reg", "swe", "hcpc"}, "reason": {"cause"},
    "spell": {"assignment", "employment"}, "post": {"position"}, "career": {"grade"}, "org": {"role"},
    "ethnicity": {"ethnic", "origin"}, "la": {"continuous", "council"}, "leaver": {"destination", "leaving"},
    "absence": {"reason", "sickness"}, "working": {"days"}, "days": {"day"}, "lost": {"lost"},
    "budgeted": {"budget", "funded"}, "effective": {"valid"}, "overseas": {"international"},
}
#: Words a contract column's name may carry that a header often leaves out.
OPTIONAL_WORDS = {"date", "id", "code", "no", "flag", "type"}
_DATE_IN_NAME = [
    (re.compile(r"(?<!\d)(\d{4})-(\d{2})-(\d{2})(?!\d)"), "YYYY-MM-DD"),
    (re.compile(r"(?<!\d)(\d{2})-(\d{2})-(\d{4})(?!\d)"), "DD-MM-YYYY"),
    (re.compile(r"(?<!\d)(\d{2})\.(\d{2})\.(\d{4})(?!\d)"), "DD.MM.YYYY"),
    (re.compile(r"(?<!\d)(\d{2})_(\d{2})_(\d{4})(?!\d)"), "DD_MM_YYYY"),
    (re.compile(r"(?<!\d)(\d{4})(\d{2})(\d{2})(?!\d)"), "YYYYMMDD"),
    (re.compile(r"(?i)(?<![a-z])(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]* (\d{4})(?!\d)"), "MMM YYYY"),
]


def _words(text: str) -> list[str]:
    return [w for w in re.split(r"[^a-z0-9]+", text.lower()) if w]


def _norm(text: str) -> str:
    return "".join(_words(text))


@dataclass
class FileGuess:
    path: Path
    export: ExportSpec | None
    header_row: int
    header: list[str]
    rows: list[list[str]]
    sheet: str | None = None
    encoding: str = "utf-8"
    delimiter: str = ","
    matched: dict[str, str] = field(default_factory=dict)  # contract column -> header
    unplaced: list[str] = field(default_factory=list)  # contract columns with no header
    unused: list[str] = field(default_factory=list)  # headers no contract column took
    needs_map: dict[str, list[str]] = field(default_factory=dict)  # coded column -> labels to map
    dates: dict[str, str] = field(default_factory=dict)  # date column -> format
    decimal_comma: bool = False
    file_pattern: str = ""


def _read_rows(path: Path) -> tuple[list[list[str]], str | None, str, str]:
    """The first rows of a file as text: (rows, sheet, encoding, delimiter)."""
    if path.suffix.lower() == ".xlsx":
        from openpyxl import load_workbook

        from workforce.ingest.readers import _cell_text

        book = load_workbook(path, read_only=True, data_only=True)
        try:
            sheet = book.worksheets[0]
            rows = []
            for n, values in enumerate(sheet.iter_rows(values_only=True)):
                if n >= SAMPLE_ROWS + 10:
                    break
                rows.append([_cell_text(v) or "" for v in values])
            return rows, sheet.title, "utf-8", ","
        finally:
            book.close()
    raw = path.read_bytes()[: 1 << 20]
    try:
        text, encoding = raw.decode("utf-8-sig"), "utf-8"
    except UnicodeDecodeError:
        text, encoding = raw.decode("cp1252", errors="replace"), "cp1252"
    lines = text.splitlines()[: SAMPLE_ROWS + 10]
    counts = {d: sum(line.count(d) for line in lines[:20]) for d in (",", ";", "\t", "|")}
    delimiter = max(counts, key=lambda d: counts[d]) if any(counts.values()) else ","
    rows = list(csv.reader(io.StringIO("\n".join(lines)), delimiter=delimiter))
    return rows, None, encoding, delimiter


def _score(column: ColumnSpec, header: str) -> float:
    """How well a header names a contract column: 1 exact (ignoring case and punctuation), 0.9 the
    same words or their synonyms, else the spelling's closeness (0..0.8)."""
    if _norm(header) == _norm(column.name):
        return 1.0
    theirs, ours = set(_words(header)), _words(column.name)
    prefix = ours[0] if ours and ours[0] in ("prof", "invo", "dept") else None
    ours = [w for w in ours if w != prefix]

    def found(word: str) -> bool:
        return word in theirs or bool(SYNONYMS.get(word, set()) & theirs)

    needed = [w for w in ours if w not in OPTIONAL_WORDS] or ours
    if needed and all(found(w) for w in needed):
        missing = sum(1 for w in ours if not found(w))
        return 0.9 - 0.05 * missing - 0.01 * len(theirs - {w for w in ours} - set().union(
            *(SYNONYMS.get(w, set()) for w in ours)))
    return 0.8 * difflib.SequenceMatcher(None, _norm(header), _norm("".join(ours))).ratio()


def _match(spec: ExportSpec, header: list[str]) -> dict[str, str]:
    """Contract column -> header, best pairs first, each header used once (0.7 at least)."""
    pairs = sorted(((_score(c, h), c.name, h) for c in spec.columns for h in header if h),
                   key=lambda p: (-p[0], p[1], p[2]))
    matched: dict[str, str] = {}
    used: set[str] = set()
    for score, name, h in pairs:
        if score < 0.7 or name in matched or h in used:
            continue
        matched[name] = h
        used.add(h)
    return matched


def _header_row(rows: list[list[str]]) -> int:
    """The row that names the most contract columns (1-based); title rows sit above it."""
    best, best_score = 1, -1.0
    for n, row in enumerate(rows[:10], 1):
        cells = [c for c in row if c]
        if len(cells) < 2:
            continue
        score = max(len(_match(spec, row)) for spec in EXPORTS) + 0.01 * len(cells)
        if score > best_score:
            best, best_score = n, score
    return best


def _date_format(values: Iterable[str]) -> str | None:
    values = [v for v in values if v]
    if not values or all(re.fullmatch(r"\d{4}-\d{2}-\d{2}( 00:00:00)?", v) for v in values):
        return None
    iso = [re.fullmatch(r"\d{4}-\d{2}-\d{2}([ T])\d{2}:\d{2}(:\d{2}(\.\d{3})?)?", v) for v in values]
    if all(iso):  # a date-time as a database writes it: 2025-09-30 00:00:00.000
        ms = [m.group(2) and m.group(3) for m in iso if m]
        secs = [m.group(2) for m in iso if m]
        if len({bool(x) for x in ms}) == 1 and len({bool(x) for x in secs}) == 1:
            sep = iso[0].group(1)  # type: ignore[union-attr]
            return f"YYYY-MM-DD{sep}HH:mm" + (":ss" if secs[0] else "") + (".SSS" if ms[0] else "")
        return None
    slashed = [re.fullmatch(r"(\d{1,2})([/.-])(\d{1,2})\2(\d{2}|\d{4})( \d{1,2}:\d{2}(:\d{2})?)?", v) for v in values]
    if not all(slashed):
        return None
    first_over_12 = any(int(m.group(1)) > 12 for m in slashed if m)
    second_over_12 = any(int(m.group(3)) > 12 for m in slashed if m)
    sep = slashed[0].group(2)  # type: ignore[union-attr]
    year = "YYYY" if len(slashed[0].group(4)) == 4 else "YY"  # type: ignore[union-attr]
    day_first = first_over_12 or not second_over_12  # England writes the day first
    padded = all(len(m.group(1)) == 2 and len(m.group(3)) == 2 for m in slashed if m)
    d, mo = ("DD", "MM") if padded else ("D", "M")
    fmt = f"{d}{sep}{mo}{sep}{year}" if day_first else f"{mo}{sep}{d}{sep}{year}"
    if any(m.group(5) for m in slashed if m):
        fmt += " HH:mm" if not any(m.group(6) for m in slashed if m) else " HH:mm:ss"
    return fmt


def _file_pattern(name: str) -> str:
    for regex, fmt in _DATE_IN_NAME:
        m = regex.search(name)
        if m:
            return name[: m.start()] + "{date:" + fmt + "}" + name[m.end():]
    return name


def guess(path: Path, root: Path) -> FileGuess:
    rows, sheet, encoding, delimiter = _read_rows(path)
    row = _header_row(rows)
    header = rows[row - 1] if len(rows) >= row else []
    data = [r for r in rows[row:] if any(c.strip() for c in r)][:SAMPLE_ROWS]
    scored = sorted(((len(_match(spec, header)), spec.name, spec) for spec in EXPORTS), key=lambda t: (-t[0], t[1]))
    export = scored[0][2] if scored and scored[0][0] >= max(2, len(scored[0][2].required_columns) // 3) else None
    g = FileGuess(path, export, row, header, data, sheet, encoding, delimiter)
    g.file_pattern = _file_pattern(path.name)
    if export is None:
        return g
    g.matched = _match(export, header)
    g.unplaced = [c.name for c in export.columns if c.name not in g.matched]
    g.unused = [h for h in header if h and h not in g.matched.values()]
    index = {h: i for i, h in enumerate(header)}
    for col in export.columns:
        h = g.matched.get(col.name)
        if h is None:
            continue
        values = [r[index[h]].strip() if index[h] < len(r) else "" for r in data]
        if col.type == DATE or col.age_band:
            fmt = _date_format(values)
            if fmt:
                g.dates[col.name] = fmt
        elif col.codes is not None or col.type == FLAG:
            known = {str(c) for c in col.codes} if col.codes is not None else {"Y", "N"}
            labels = sorted({v for v in values if v and v.upper() not in known})
            if labels:
                g.needs_map[col.name] = labels[:40]
        elif col.type == DECIMAL and any(re.fullmatch(r"[+-]?\d+,\d+", v) for v in values):
            g.decimal_comma = True
    return g


def _yaml_text(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def write_profile(guesses: list[FileGuess], name: str, root: Path) -> str:
    """The profile's YAML text, with comments saying what is left to do."""
    lines = [f"# Starting profile written by `workforce profile init` from {len(guesses)} file(s).",
             "# Review every line; fill in each value map marked TODO (the profile is refused until then);",
             "# then run `workforce check`. Schema: docs/bring-your-own-exports.md",
             f"name: {_yaml_text(name)}", "exports:"]
    by_export: dict[str, FileGuess] = {}
    for g in guesses:
        if g.export is not None and g.export.name not in by_export:
            by_export[g.export.name] = g
    for export, g in by_export.items():
        rel = g.path.parent.relative_to(root).as_posix()
        as_contract = (rel == export and g.file_pattern.lower() in (f"{export}_{{date:yyyy-mm-dd}}.csv",
                                                                   f"{export}_{{date:yyyy-mm-dd}}.xlsx")
                       and g.header_row == 1 and not g.dates and not g.needs_map and not g.decimal_comma
                       and g.delimiter == "," and all(g.matched.get(c.name, "").strip().lower() == c.name
                                                      for c in g.export.columns if c.name in g.matched))  # type: ignore[union-attr]
        if as_contract:
            lines.append(f"  # {export}: in the contract's own shape (nothing to map)")
            continue
        lines.append(f"  {export}:")
        lines.append(f"    folder: {_yaml_text(rel if rel != '.' else export)}")
        lines.append(f"    file: {_yaml_text(g.file_pattern)}")
        if g.sheet is not None:
            lines.append(f"    sheet: {_yaml_text(g.sheet)}")
        if g.header_row != 1:
            lines.append(f"    header_row: {g.header_row}")
        if g.encoding != "utf-8":
            lines.append(f"    encoding: {g.encoding}")
        if g.delimiter != ",":
            lines.append(f"    delimiter: {_yaml_text(g.delimiter if g.delimiter != chr(9) else chr(92) + 't')}")
        if g.decimal_comma:
            lines.append("    decimal_comma: true")
        lines.append("    columns:")
        for col in g.export.columns:  # type: ignore[union-attr]
            h = g.matched.get(col.name)
            if h is None:
                lines.append(f"      # {col.name}: ?   # not found: name the column, or give a default / derive"
                             + (" (REQUIRED)" if col.required else ""))
                continue
            extra = []
            if col.name in g.dates:
                extra.append(f"dates: {_yaml_text(g.dates[col.name])}")
            if col.name in g.needs_map:
                codes = ", ".join(str(c) for c in col.codes) if col.codes is not None else "Y, N"
                lines.append(f"      {col.name}:")
                lines.append(f"        from: {_yaml_text(h)}")
                lines.append(f"        values:   # TODO: the contract's code for each label ({codes})")
                lines += [f"          {_yaml_text(label)}: TODO" for label in g.needs_map[col.name]]
                continue
            if extra:
                lines.append(f"      {col.name}: {{from: {_yaml_text(h)}, {', '.join(extra)}}}")
            elif h.strip().lower() != col.name:
                lines.append(f"      {col.name}: {_yaml_text(h)}")
        if g.unused:
            lines.append(f"    # columns no contract column took: {', '.join(g.unused)}")
    if lines[-1] == "exports:" or all(line.startswith("  # ") for line in lines[lines.index("exports:") + 1:]):
        lines[lines.index("exports:")] = "exports: {}   # every export is in the contract's own shape"
    unplaced = [g for g in guesses if g.export is None]
    if unplaced:
        names = ", ".join(g.path.relative_to(root).as_posix() for g in unplaced)
        lines.append(f"# files that match no export: {names}")
    return "\n".join(lines) + "\n"


def init_profile(folder: Path, name: str) -> tuple[str, list[FileGuess]]:
    files = sorted(p for p in folder.rglob("*") if p.is_file() and p.suffix.lower() in (".csv", ".xlsx")
                   and not p.name.startswith("."))
    # one file per folder and pattern is enough: the newest-named of each
    seen: dict[tuple[str, str], Path] = {}
    for p in files:
        seen[(p.parent.as_posix(), _file_pattern(p.name))] = p
    guesses = [guess(p, folder) for p in seen.values()]
    return write_profile(guesses, name, folder), guesses


def summary(guesses: list[FileGuess]) -> list[str]:
    """What init matched and missed, a line per file, for the console."""
    out = []
    for g in guesses:
        if g.export is None:
            out.append(f"{g.path.name}: matches no export of the contract")
            continue
        line = (f"{g.path.name}: {g.export.name}; {len(g.matched)} of {len(g.export.columns)} columns placed"
                + (f"; not placed: {', '.join(g.unplaced)}" if g.unplaced else ""))
        if g.needs_map:
            line += "; value maps needed: " + ", ".join(f"{c} ({len(v)} label(s))" for c, v in g.needs_map.items())
        out.append(line)
    return out


CODED_TYPES = (CODE, FLAG, INT)
