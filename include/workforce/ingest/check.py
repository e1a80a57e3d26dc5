"""``workforce check``: what a run of the month would do with the landing folder, without doing it.

The pre-flight reads the landing folder and writes nothing: no warehouse, no published file, no
quality result. It runs the extract's own code (``landing``, ``readiness``, ``extract._load_file``
and its rules) into a private in-memory DuckDB database, so what it reports is what the run
would do, by construction, not a second implementation of the rules:

- the landing folder's refusals (links out of it, two extracts of one export and date);
- the month's readiness: which extract serves each export, and which required export has none;
- per file dated up to the end of the month's window (everything a first run loads): rows that
  would load, rows that would be quarantined (counts by rule and column, the first file lines),
  identity-shaped values that would be withheld, or why the whole file would be rejected;
- whether the validate step's quarantine threshold (``WORKFORCE_QUARANTINE_MAX_PCT``) would stop
  the month, for the extracts that serve it;
- whether a usable pseudonymisation key is configured (a dry run without one uses a throwaway
  key: no pseudonym is shown anyway).

No value of the data is reported: counts, rules, columns and file lines only. Memory stays flat:
each file's rows are dropped once counted (the professionals, which involvements are checked
against, are kept).
"""

from __future__ import annotations

import logging
import secrets
import tempfile
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import date
from typing import Any

from workforce.config import Settings
from workforce.ingest import readiness
from workforce.ingest.landing import LandingFolderMissing, scan, survey
from workforce.ingest.profile import column_text, load_profile
from workforce.ingest.pseudonymise import PseudonymisationKeyError, Pseudonymiser, resolve_key
from workforce.ingest.readers import FileRejected
from workforce.warehouse import QUARANTINE_TABLE, WITHHELD_TABLE, ensure_raw_schema, raw_table

log = logging.getLogger(__name__)

#: File lines listed per (file, rule, column); the counts are always complete.
MAX_LINES = 10


@dataclass
class FileCheck:
    source_file: str
    export_name: str
    extract_date: str
    serves_month: bool
    outcome: str  # "loads", "loads with quarantine", "rejected", "in the future"
    rows_read: int = 0
    rows_loaded: int = 0
    rows_quarantined: int = 0
    #: rule, column, rows, lines; and source_column, the council's own column, when a mapping
    #: profile names it otherwise (or "" when only the profile's default gives the value)
    quarantine: list[dict] = field(default_factory=list)
    withheld: list[dict] = field(default_factory=list)  # column, values, lines (and source_column)
    problem: str | None = None  # why the file is rejected


@dataclass
class CheckReport:
    month: str
    landing_dir: str
    window: tuple[str, str]
    serving: dict[str, str]
    files: list[FileCheck] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # each stops the run
    warnings: list[str] = field(default_factory=list)  # recorded; the run goes on

    @property
    def ok(self) -> bool:
        return not self.problems

    def to_dict(self) -> dict[str, Any]:
        return {"month": self.month, "landing_dir": self.landing_dir, "ok": self.ok, "window": list(self.window),
                "serving": self.serving, "problems": self.problems, "warnings": self.warnings,
                "files": [asdict(f) for f in self.files]}

    def format(self) -> str:
        first, last = self.window
        lines = [f"Pre-flight check of {self.landing_dir} for {self.month} (extracts dated {first} to {last} "
                 "serve it); nothing was written.", ""]
        lines.append("Files (* = the extract that serves the month):")
        for f in self.files:
            mark = "*" if f.serves_month else " "
            if f.outcome == "rejected":
                lines.append(f" {mark} {f.source_file}: REJECTED: {f.problem}")
                continue
            if f.outcome == "in the future":
                lines.append(f" {mark} {f.source_file}: REJECTED: {f.problem}")
                continue
            lines.append(f" {mark} {f.source_file}: {f.rows_read} rows, {f.rows_loaded} would load"
                         + (f", {f.rows_quarantined} would be quarantined" if f.rows_quarantined else ""))
            for q in f.quarantine:
                lines.append(f"      quarantine {q['rule']} on {_column_text(q)}: {q['rows']} row(s), "
                             f"{_lines_text(q['lines'], q['rows'])}")
            for w in f.withheld:
                lines.append(f"      withheld (identity-shaped) {_column_text(w)}: {w['values']} value(s), "
                             f"{_lines_text(w['lines'], w['values'])}")
        if self.warnings:
            lines += ["", "Warnings (the run goes on):"] + [f" - {w}" for w in self.warnings]
        if self.problems:
            lines += ["", f"The run of {self.month} would STOP ({len(self.problems)} problem(s)):"]
            lines += [f" - {p}" for p in self.problems]
        else:
            lines += ["", f"The run of {self.month} would go ahead."]
        return "\n".join(lines)


def _column_text(entry: dict) -> str:
    return column_text(entry["column"], entry.get("source_column"))


def _lines_text(lines: list[int], total: int) -> str:
    text = "line" + ("s " if len(lines) > 1 else " ") + ", ".join(str(n) for n in lines)
    return text + (f" (first {len(lines)} of {total})" if total > len(lines) else "")


def check(settings: Settings, month_end: date, progress: Callable[[str], None] | None = None, *,
          today: date | None = None) -> CheckReport:
    """The pre-flight report for the month ending ``month_end`` (see the module docstring)."""
    import duckdb

    from workforce.ingest.extract import _LOAD_FIRST, _load_file

    say = progress or log.info
    today = today or date.today()
    first, last = readiness.window(settings, month_end)
    report = CheckReport(month_end.strftime("%Y-%m"), str(settings.landing_dir),
                         (first.isoformat(), last.isoformat()), {})
    try:
        landing = survey(settings.landing_dir, last, load_profile(settings.profile))
    except LandingFolderMissing as exc:
        report.problems.append(str(exc))
        return report
    report.problems += [r.message for r in landing.refused]
    report.warnings += [f"ignored {name}: not an export file of the contract" for name in landing.ignored]
    files = landing.usable
    ready = readiness.assess(settings, month_end, files)
    report.serving = dict(sorted(ready.serving.items()))
    report.problems += ready.problems(settings.landing_dir)
    report.warnings += ready.warnings()
    try:
        key = resolve_key(settings)
    except PseudonymisationKeyError as exc:
        report.problems.append(str(exc))
        key = secrets.token_bytes(32)  # a dry run still checks the rows; no pseudonym is shown
    pseudonymiser = Pseudonymiser(key)
    serving = set(ready.serving.values())
    order = {name: n for n, name in enumerate(_LOAD_FIRST)}
    files.sort(key=lambda lf: (order.get(lf.export.name, len(order)), lf.source_file))
    with tempfile.TemporaryDirectory(prefix="workforce-check-") as spill:
        con = duckdb.connect(":memory:", config={"memory_limit": settings.extract_memory_limit,
                                                 "temp_directory": spill, "threads": settings.duckdb_threads})
        try:
            con.execute("SET enable_progress_bar = false")
            ensure_raw_schema(con)
            for i, lf in enumerate(files, 1):
                result = FileCheck(lf.source_file, lf.export.name, lf.extract_date.isoformat(),
                                   lf.source_file in serving, "loads")
                report.files.append(result)
                if lf.extract_date > today:
                    result.outcome = "in the future"
                    result.problem = f"extract date {lf.extract_date} (from the file name) is in the future"
                    report.problems.append(f"{lf.source_file}: {result.problem}")
                    continue
                try:
                    load = _load_file(con, lf, scan(lf.path, text=not lf.is_xlsx), pseudonymiser, files, {})
                except FileRejected as exc:
                    result.outcome, result.problem = "rejected", exc.problem
                    report.problems.append(str(exc))
                    continue
                result.rows_read, result.rows_loaded = load.rows_read, load.rows_loaded
                result.rows_quarantined = load.rows_quarantined
                if load.rows_quarantined:
                    result.outcome = "loads with quarantine"
                result.quarantine = _grouped(con, QUARANTINE_TABLE, "rule, column_name", lf.source_file)
                result.withheld = [{"column": g["column"], "values": g["rows"], "lines": g["lines"],
                                    **({"source_column": g["source_column"]} if "source_column" in g else {})}
                                   for g in _grouped(con, WITHHELD_TABLE, "rule, column_name", lf.source_file)]
                if lf.export.name != "ssd_professionals":  # only professionals are read again (involvements)
                    con.execute(f"DELETE FROM {raw_table(lf.export)} WHERE _source_file = ?", [lf.source_file])
                say(f"check [{i}/{len(files)}] {lf.source_file}: {load.rows_read} rows"
                    + (f", {load.rows_quarantined} would be quarantined" if load.rows_quarantined else ""))
        finally:
            con.close()
    report.files.sort(key=lambda f: f.source_file)
    for f in report.files:
        if f.serves_month and f.rows_read and f.outcome != "rejected":
            pct = 100.0 * f.rows_quarantined / f.rows_read
            if pct > settings.quarantine_max_pct:
                report.problems.append(
                    f"{f.source_file}: {f.rows_quarantined} of {f.rows_read} rows ({pct:.2f}%) would be quarantined, "
                    f"more than WORKFORCE_QUARANTINE_MAX_PCT ({settings.quarantine_max_pct:g}%): the validate step "
                    "would stop the month")
    return report


def _grouped(con, table: str, by: str, source_file: str) -> list[dict]:
    """Rows of ``table`` for the file by (rule, column): distinct rows and their first lines."""
    rows = con.execute(
        f"""SELECT rule, column_name, source_column, count(DISTINCT row_number),
                   list(DISTINCT line_number ORDER BY line_number)[1:{MAX_LINES}]
            FROM {table} WHERE source_file = ? GROUP BY {by}, source_column ORDER BY 4 DESC, 1, 2""",
        [source_file],
    ).fetchall()
    out = []
    for r, c, own, n, lines in rows:
        entry = {"rule": r, "column": c, "rows": n, "lines": [x for x in lines if x is not None]}
        if own is not None and own.lower() != c.lower():
            entry["source_column"] = own
        out.append(entry)
    return out
