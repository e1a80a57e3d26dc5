"""Mapping profiles: a council's own export files, mapped into the contract in front of it.

A profile is a YAML file (config, not code) that says, per export, how the council's system
writes it: the file name (and so the extract date), the sheet and header row of an XLSX, the
encoding and delimiter of a CSV, the column names, date formats, a decimal comma, the labels its
coded columns use, defaults for columns the system does not hold, and simple arithmetic
derivations. ``docs/bring-your-own-exports.md`` documents every key with a worked example.

The profile only changes how cells are read and named. Everything after it is the contract's
own ingest (``readers``, ``rules``): the same quarantine rules, pseudonymisation, withheld labels
and audit record, naming the council's own file and, in messages, the council's own column. A
value a value map of a coded column does not know (and that is not already one of the contract's
codes) is quarantined with the rule ``unmapped_value`` and the value (identifiers never: they have
no map), never guessed; a value map of a text column (role names in words) renames the labels it
knows and keeps the others. Quarantine rows and withheld values record the council's column
(``ExportProfile.file_column``) beside the contract's.

The optional top-level ``sample`` key is read only by ``workforce generate --profile``: the cells
such a system leaves empty (``sample.shapes``).

Selected by ``WORKFORCE_PROFILE``: a path to a YAML file, or the name of a profile shipped in
``include/workforce/profiles/`` (``contract``, the default, is the contract's own shape).
"""

from __future__ import annotations

import ast
import codecs
import difflib
import hashlib
import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import yaml

from workforce.spec.contract import CODE, DATE, DECIMAL, EXPORTS_BY_NAME, FLAG, INT, TEXT, ExportSpec
from workforce.yaml_lines import Problems, check_keys, clean, load_yaml_with_lines

SHIPPED = Path(__file__).resolve().parents[1] / "profiles"
CONTRACT_PROFILE = "contract"

#: The contract's own file names: <export>/<export>_<YYYY-MM-DD>.csv|xlsx.
CONTRACT_FILE = "{export}_{date:YYYY-MM-DD}.{ext}"

#: Date tokens of file-name patterns and date formats -> (strptime directive, regex).
_DATE_TOKENS = {
    "YYYY": ("%Y", r"\d{4}"), "YY": ("%y", r"\d{2}"), "MMM": ("%b", r"[A-Za-z]{3}"),
    "MM": ("%m", r"\d{2}"), "M": ("%m", r"\d{1,2}"), "DD": ("%d", r"\d{2}"), "D": ("%d", r"\d{1,2}"),
    "HH": ("%H", r"\d{2}"), "mm": ("%M", r"\d{2}"), "ss": ("%S", r"\d{2}"),
    "SSS": ("%g", r"\d{3}"),  # milliseconds, as SQL Server writes a datetime: 2025-09-30 00:00:00.000
}
_TOKEN = re.compile("|".join(sorted(_DATE_TOKENS, key=len, reverse=True)))
_PLACEHOLDER = re.compile(r"\{date:([^}]+)\}")

_EXPORT_KEYS = {"file", "folder", "sheet", "header_row", "encoding", "delimiter", "decimal_comma", "dates",
                "columns"}
_COLUMN_KEYS = {"from", "values", "dates", "default", "derive"}
#: ``sample``: how ``workforce generate --profile`` leaves cells empty, as such systems do.
BLANK_ALL, BLANK_SOME = "all", "some"
#: Columns ``some`` may blank: the sample blanks only rows whose gap changes no figure
#: (``sample.shapes``), which it knows how to choose for these columns only.
BLANK_SOME_COLUMNS = {"ssd_professionals": ("prof_social_worker_registration_no",)}


class ProfileError(ValueError):
    """The profile cannot be used; the message lists every problem with its file and line."""


@dataclass(frozen=True)
class ColumnMap:
    name: str  # the contract column
    source: str | None = None  # the council's header for it (None: default or derivation only)
    values: dict[str, str] | None = None  # upper-cased, trimmed label -> contract code
    labels: tuple[tuple[str, str], ...] = ()  # (label as the profile writes it, code), in order
    date_formats: tuple[str, ...] = ()  # strptime formats tried in order
    default: str | None = None  # when the cell is empty or the column absent
    derive: str | None = None  # SQL over the council's columns (``_derive_sql``)
    derive_sources: tuple[str, ...] = ()
    derive_text: str | None = None  # the derivation as the profile writes it


@dataclass(frozen=True)
class ExportProfile:
    export: str
    folder: str
    file: str  # file-name pattern, ``{date:...}`` for the extract date, ``*`` for anything
    sheet: str | None = None
    header_row: int = 1
    encoding: str = "utf-8"
    delimiter: str = ","
    decimal_comma: bool = False
    columns: dict[str, ColumnMap] = field(default_factory=dict)
    #: ``sample.blank``: contract column -> ``all`` or ``some`` (read by ``workforce generate`` only)
    sample_blanks: dict[str, str] = field(default_factory=dict)

    @property
    def spec(self) -> ExportSpec:
        return EXPORTS_BY_NAME[self.export]

    def match(self, file_name: str) -> date | None:
        """The extract date a file name gives, or None when it is not this export's file."""
        regex, directive = _file_regex(self.file, self.export)
        m = regex.fullmatch(file_name)
        if not m:
            return None
        from datetime import datetime

        try:
            day = datetime.strptime(m.group("date"), directive.replace("%g", "%f")).date()
        except ValueError:
            return None
        if "%d" not in directive:  # a monthly file named by its month: the month's last day
            import calendar

            day = day.replace(day=calendar.monthrange(day.year, day.month)[1])
        return day

    @property
    def reads_as_is(self) -> bool:
        """Nothing to map: the contract's own columns, UTF-8, commas."""
        return (not self.columns and self.encoding.lower().replace("_", "-") in ("utf-8", "utf8", "utf-8-sig")
                and self.delimiter == "," and not self.decimal_comma and self.header_row == 1 and self.sheet is None)

    def source_name(self, contract_column: str) -> str:
        """The council's header for a contract column (its own name when not renamed)."""
        m = self.columns.get(contract_column)
        return m.source if m is not None and m.source else contract_column

    def file_column(self, contract_column: str) -> str | None:
        """The council's column a contract column's value comes from, as messages name it: its
        header, the columns a derivation reads, or None when only the profile's default gives it."""
        m = self.columns.get(contract_column)
        if m is not None and m.derive_sources:
            return " and ".join(m.derive_sources)
        if m is not None and m.source is None and m.default is not None:
            return None
        return self.source_name(contract_column)


@dataclass(frozen=True)
class Profile:
    name: str
    path: Path | None
    digest: str  # SHA-256 of the profile file ('' for the built-in contract shape)
    exports: dict[str, ExportProfile]

    def for_export(self, export: str) -> ExportProfile:
        return self.exports.get(export) or ExportProfile(export, export, CONTRACT_FILE)

    def folders(self) -> dict[str, list[ExportProfile]]:
        """Landing sub-folder -> the exports whose files it holds."""
        out: dict[str, list[ExportProfile]] = {}
        for name in EXPORTS_BY_NAME:
            p = self.for_export(name)
            out.setdefault(p.folder, []).append(p)
        return out


#: The contract's own shape: no profile file needed.
CONTRACT = Profile(CONTRACT_PROFILE, None, "", {})


def _file_regex(pattern: str, export: str) -> tuple[re.Pattern, str]:
    text = pattern.replace("{export}", export)
    out, directive, pos = [], "", 0
    for m in _PLACEHOLDER.finditer(text):
        out.append(_literal(text[pos:m.start()]))
        regex, directive = _date_regex(m.group(1))
        out.append(f"(?P<date>{regex})")
        pos = m.end()
    out.append(_literal(text[pos:]))
    body = "".join(out).replace(re.escape("{ext}"), "(csv|xlsx)")
    return re.compile(body, re.IGNORECASE), directive


def _literal(text: str) -> str:
    return ".*".join(re.escape(part) for part in text.split("*"))


def _date_regex(fmt: str) -> tuple[str, str]:
    regex, directive, pos = [], [], 0
    for m in _TOKEN.finditer(fmt):
        regex.append(re.escape(fmt[pos:m.start()]))
        directive.append(fmt[pos:m.start()].replace("%", "%%"))
        d, r = _DATE_TOKENS[m.group(0)]
        regex.append(r)
        directive.append(d)
        pos = m.end()
    regex.append(re.escape(fmt[pos:]))
    directive.append(fmt[pos:].replace("%", "%%"))
    return "".join(regex), "".join(directive)


def date_format(fmt: str) -> str:
    """A profile date format (``DD/MM/YYYY``, ``D/M/YY``, ``DD/MM/YYYY HH:mm``) as strptime's."""
    return _date_regex(fmt)[1]


def column_text(column: str, source_column: str | None) -> str:
    """A contract column as messages name it: with the council's own column when a mapping
    profile reads it from one of another name (``gender (file column 'Sex')``); ``source_column``
    as ``raw.quarantine`` records it ('' when only the profile's default gives the value)."""
    if source_column is None or source_column.lower() == column.lower():
        return column
    if source_column == "":
        return f"{column} (the mapping profile's default)"
    return f"{column} (file column {source_column!r})"


# --- derivations -------------------------------------------------------------------------------

_REF = re.compile(r"\{([^{}]+)\}")
_ALLOWED_OPS = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/"}


def _derive_sql(expression: str) -> tuple[str, tuple[str, ...]]:
    """``{Contracted Hours} / 37`` -> SQL over the council's columns (each read as a number), and
    the columns it reads. Only numbers, column references, + - * / and brackets are allowed."""
    refs: list[str] = []

    def name(m: re.Match) -> str:
        refs.append(m.group(1).strip())
        return f"__c{len(refs) - 1}"

    tree = ast.parse(_REF.sub(name, expression), mode="eval")

    def sql(node: ast.AST) -> str:
        if isinstance(node, ast.Expression):
            return sql(node.body)
        if isinstance(node, ast.BinOp) and type(node.op) in _ALLOWED_OPS:
            op = _ALLOWED_OPS[type(node.op)]
            right = sql(node.right)
            if op == "/":
                right = f"nullif({right}, 0)"
            return f"({sql(node.left)} {op} {right})"
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
            return f"(-{sql(node.operand)})"
        if isinstance(node, ast.Constant) and isinstance(node.value, int | float) and not isinstance(node.value, bool):
            return repr(float(node.value))
        if isinstance(node, ast.Name) and node.id.startswith("__c"):
            ref = refs[int(node.id[3:])]
            return f"TRY_CAST({{{ref}}} AS DOUBLE)"  # {ref}: replaced by the column's cell when read
        raise ValueError(f"not allowed in a derivation: {ast.dump(node)[:60]}")

    return sql(tree), tuple(dict.fromkeys(refs))


# --- loading -----------------------------------------------------------------------------------


def load_profile(name_or_path: str | Path | None) -> Profile:
    """The profile ``WORKFORCE_PROFILE`` names: a shipped profile's name, or a YAML file's path."""
    if name_or_path is None or str(name_or_path) in ("", CONTRACT_PROFILE):
        return CONTRACT
    path = Path(name_or_path)
    if not path.suffix and (SHIPPED / f"{name_or_path}.yml").is_file():
        path = SHIPPED / f"{name_or_path}.yml"
    if not path.is_file():
        shipped = sorted(p.stem for p in SHIPPED.glob("*.yml"))
        raise ProfileError(f"WORKFORCE_PROFILE: no profile {str(name_or_path)!r}: give the path of a YAML file or "
                           f"one of the shipped profiles ({', '.join([CONTRACT_PROFILE, *shipped])})")
    text = path.read_text(encoding="utf-8")
    try:
        raw = load_yaml_with_lines(text)
    except yaml.YAMLError as exc:
        raise ProfileError(f"{path}: not valid YAML: {exc}") from exc
    problems = Problems(path)
    if not isinstance(raw, dict) or not isinstance(raw.get("exports"), dict):
        raise ProfileError(f"{path}: a profile is a mapping with 'name' and 'exports' (export name -> how its "
                           "files are written): see docs/bring-your-own-exports.md")
    check_keys(raw, "profile", {"name", "description", "exports", "sample"}, ("name",), problems)
    exports = {}
    for export, body in clean(raw["exports"]).items():
        place = f"exports.{export}"
        if export not in EXPORTS_BY_NAME:
            problems.add(raw["exports"], place, f"unknown export {export!r}; the contract has "
                         f"{', '.join(EXPORTS_BY_NAME)}")
            continue
        if not isinstance(body, dict):
            problems.add(raw["exports"], place, "must be a mapping (file, columns, ...)")
            continue
        parsed = _export(export, body, place, problems)
        if parsed is not None:
            exports[export] = parsed
    if raw.get("sample") is not None:
        exports = _sample(raw["sample"], exports, problems)
    if problems.items:
        raise ProfileError(f"{path}: {len(problems.items)} problem(s) in the mapping profile:\n  - "
                           + "\n  - ".join(problems.items))
    return Profile(str(raw["name"]), path, hashlib.sha256(text.encode("utf-8")).hexdigest(), exports)


def _export(export: str, body: dict, place: str, problems: Problems) -> ExportProfile | None:
    spec = EXPORTS_BY_NAME[export]
    check_keys(body, place, _EXPORT_KEYS, (), problems)
    file = str(body.get("file") or CONTRACT_FILE)
    if len(_PLACEHOLDER.findall(file)) != 1:
        problems.add(body, f"{place}.file", f"{file!r} must hold the extract date once, as {{date:FORMAT}} "
                     "(e.g. 'Workers Export {date:DD-MM-YYYY}.xlsx')")
    elif not re.search(r"\.(csv|xlsx|\{ext\})$", file, re.IGNORECASE):
        problems.add(body, f"{place}.file", f"{file!r} must end in .csv or .xlsx")
    else:
        fmt = _PLACEHOLDER.search(file).group(1)  # type: ignore[union-attr]
        if not {"YYYY", "YY"} & set(_TOKEN.findall(fmt)) or not {"MM", "M", "MMM"} & set(_TOKEN.findall(fmt)):
            problems.add(body, f"{place}.file", f"date format {fmt!r} needs a year (YYYY or YY) and a month (MM, M or "
                         "MMM); without a day it is the month's last day")
    encoding = str(body.get("encoding") or "utf-8")
    try:
        codecs.lookup(encoding)
    except LookupError:
        problems.add(body, f"{place}.encoding", f"unknown encoding {encoding!r} (e.g. utf-8, cp1252, latin-1, utf-16)")
    delimiter = str(body.get("delimiter") or ",")
    if delimiter == "\\t":
        delimiter = "\t"
    if len(delimiter) != 1 or delimiter in "\"\r\n":
        problems.add(body, f"{place}.delimiter", f"{delimiter!r} must be one character (',', ';', '|' or '\\t')")
    header_row = body.get("header_row", 1)
    if not isinstance(header_row, int) or isinstance(header_row, bool) or header_row < 1:
        problems.add(body, f"{place}.header_row", f"{header_row!r} must be a row number, 1 or more")
        header_row = 1
    export_dates = _formats(body.get("dates"), body, f"{place}.dates", problems)
    columns: dict[str, ColumnMap] = {}
    raw_columns = body.get("columns") or {}
    if not isinstance(raw_columns, dict):
        problems.add(body, f"{place}.columns", "must map contract columns to the council's (name or mapping)")
        raw_columns = {}
    for name, value in clean(raw_columns).items():
        cplace = f"{place}.columns.{name}"
        try:
            col = spec.column(name)
        except KeyError:
            close = difflib.get_close_matches(str(name).lower(), spec.column_names, n=1, cutoff=0.8)
            problems.add(raw_columns, cplace, f"{spec.name} has no column {name!r}"
                         + (f" (did you mean {close[0]!r}?)" if close else f"; it has {', '.join(spec.column_names)}"))
            continue
        if isinstance(value, str):
            value = {"from": value}
        if not isinstance(value, dict):
            problems.add(raw_columns, cplace, "give the council's column name, or a mapping (from, values, dates, "
                         "default, derive)")
            continue
        check_keys(value, cplace, _COLUMN_KEYS, (), problems)
        if value.get("derive") and value.get("from"):
            problems.add(value, cplace, "give 'from' or 'derive', not both")
        values = None
        written: list[tuple[str, str]] = []
        if value.get("values") is not None:
            if not isinstance(value["values"], dict):
                problems.add(value, f"{cplace}.values", "must map the council's labels to the contract's codes")
            elif col.codes is None and col.type not in (FLAG, TEXT) or col.pseudonym or col.drop:
                problems.add(value, f"{cplace}.values", f"{name} is not a coded column: only codes, flags and text "
                             "columns (not identifiers) take a value map")
            else:
                allowed = ({str(c) for c in col.codes} if col.codes is not None else
                           {"Y", "N"} if col.type == FLAG else None)  # text: any value, no closed list
                values = {}
                for label, code in clean(value["values"]).items():
                    code_text = (str(code).strip() if allowed is None else str(code).strip().upper()) \
                        if isinstance(code, str) else (("Y" if code else "N") if isinstance(code, bool) else str(code))
                    if allowed is not None and code_text not in allowed:
                        problems.add(value["values"], f"{cplace}.values.{label}", f"{code!r} is not one of the "
                                     f"contract's codes for {name}: {', '.join(sorted(allowed))}")
                    label_text = ("YES" if label else "NO") if isinstance(label, bool) else str(label)
                    values[" ".join(label_text.split()).upper()] = code_text
                    written.append((label_text, code_text))
        formats = _formats(value.get("dates"), value, f"{cplace}.dates", problems)
        if formats and col.type != DATE and not col.age_band:
            problems.add(value, f"{cplace}.dates", f"{name} is not a date column")
        derive: str | None = None
        sources: tuple[str, ...] = ()
        if value.get("derive"):
            if col.type not in (DECIMAL, INT):
                problems.add(value, f"{cplace}.derive", f"{name} is not a number: only numbers can be derived")
            else:
                try:
                    derive, sources = _derive_sql(str(value["derive"]))
                except (SyntaxError, ValueError) as exc:
                    problems.add(value, f"{cplace}.derive", f"{value['derive']!r} is not an arithmetic of "
                                 f"{{columns}} and numbers (+ - * / and brackets): {exc}")
        default = value.get("default")
        if col.pseudonym and (default is not None or derive):
            problems.add(value, cplace, f"{name} is an identifier: it cannot have a default or a derivation")
        columns[name] = ColumnMap(
            name=name,
            source=str(value["from"]) if value.get("from") else None,
            values=values,
            labels=tuple(written) if values is not None else (),
            date_formats=formats or (export_dates if (col.type == DATE or col.age_band) else ()),
            default=None if default is None else str(default),
            derive=derive,
            derive_sources=sources,
            derive_text=str(value["derive"]) if value.get("derive") else None,
        )
    if export_dates:
        for col in spec.columns:
            if (col.type == DATE or col.age_band) and col.name not in columns:
                columns[col.name] = ColumnMap(col.name, date_formats=export_dates)
    return ExportProfile(
        export=export, folder=str(body.get("folder") or export), file=file,
        sheet=str(body["sheet"]) if body.get("sheet") is not None else None, header_row=header_row,
        encoding=encoding, delimiter=delimiter, decimal_comma=bool(body.get("decimal_comma")), columns=columns,
    )


def _sample(raw, exports: dict[str, ExportProfile], problems: Problems) -> dict[str, ExportProfile]:
    """``sample``: per export, ``blank: {column: all | some}``: the cells such a system leaves
    empty, for ``workforce generate --profile`` (the ingest does not read it)."""
    from dataclasses import replace

    if not isinstance(raw, dict):
        problems.add(None, "sample", "must map exports to {blank: {column: all | some}}")
        return exports
    out = dict(exports)
    for export, body in clean(raw).items():
        place = f"sample.{export}"
        if export not in exports:
            problems.add(raw, place, f"{export!r} is not an export of this profile's 'exports'")
            continue
        if not isinstance(body, dict):
            problems.add(raw, place, "must be a mapping: {blank: {column: all | some}}")
            continue
        check_keys(body, place, {"blank"}, ("blank",), problems)
        blanks = body.get("blank")
        if not isinstance(blanks, dict):
            continue
        spec = EXPORTS_BY_NAME[export]
        parsed: dict[str, str] = {}
        for column, how in clean(blanks).items():
            cplace = f"{place}.blank.{column}"
            if column not in spec.column_names:
                problems.add(blanks, cplace, f"{export} has no column {column!r}")
            elif spec.column(column).required:
                problems.add(blanks, cplace, f"{column} is required: a sample cannot leave it empty")
            elif how == BLANK_SOME and column not in BLANK_SOME_COLUMNS.get(export, ()):
                some = ", ".join(c for cs in BLANK_SOME_COLUMNS.values() for c in cs)
                problems.add(blanks, cplace, f"'some' is for {some} only (the rows whose gap changes no figure); "
                             "use 'all'")
            elif how not in (BLANK_ALL, BLANK_SOME):
                problems.add(blanks, cplace, f"{how!r} must be 'all' or 'some'")
            else:
                parsed[column] = how
        out[export] = replace(exports[export], sample_blanks=parsed)
    return out


def _formats(raw, where: dict, place: str, problems: Problems) -> tuple[str, ...]:
    if raw is None:
        return ()
    items = raw if isinstance(raw, list) else [raw]
    out = []
    for item in items:
        text = str(item)
        tokens = set(_TOKEN.findall(text))
        if not ({"YYYY", "YY"} & tokens and {"MM", "M", "MMM"} & tokens and {"DD", "D"} & tokens):
            problems.add(where, place, f"{text!r} is not a date format: use DD, D, MM, M, MMM, YYYY, YY (and HH, mm, "
                         "ss, SSS for a time), e.g. 'DD/MM/YYYY'")
            continue
        out.append(date_format(text))
    return tuple(out)


# --- the SQL a profile puts in front of the contract ---------------------------------------------


def mapped_expression(profile: ExportProfile, column: str, cell: str, source_cell) -> str:
    """SQL for a contract column's text as the contract would have it, from the council's cells.
    ``cell`` is the SQL of the column's own (cleaned) cell, or NULL when the file lacks it;
    ``source_cell(name)`` gives the SQL of any council column's cell (for derivations)."""
    from workforce.ingest.readers import sql_literal

    m = profile.columns.get(column)
    col = profile.spec.column(column)
    expr = cell
    if m is not None and m.derive:
        expr = m.derive
        for ref in m.derive_sources:
            expr = expr.replace("{" + ref + "}", source_cell(ref))
        expr = f"CAST({expr} AS VARCHAR)"
    if profile.decimal_comma and col.type in (DECIMAL, INT):
        expr = (f"(CASE WHEN regexp_full_match({expr}, '[+-]?[0-9]+,[0-9]+') THEN replace({expr}, ',', '.') "
                f"WHEN regexp_full_match({expr}, '[+-]?[0-9]{{1,3}}([.][0-9]{{3}})+(,[0-9]+)?') "
                f"THEN replace(replace({expr}, '.', ''), ',', '.') ELSE {expr} END)")
    if m is not None and m.date_formats:
        formats = "[" + ", ".join(sql_literal(f) for f in m.date_formats) + "]"
        parsed = f"try_strptime({expr}, {formats})"
        expr = f"coalesce(strftime({parsed}, '%Y-%m-%d'), {expr})"  # unparsed: the cell as given (bad_date)
    if m is not None and m.values:
        arms = " ".join(f"WHEN {sql_literal(label)} THEN {sql_literal(code)}" for label, code in m.values.items())
        key = f"upper(regexp_replace({expr}, '\\s+', ' ', 'g'))"
        expr = f"(CASE {key} {arms} ELSE {expr} END)"
    if m is not None and m.default is not None:
        expr = f"coalesce({expr}, {sql_literal(m.default)})"
    return expr


def unmapped_condition(profile: ExportProfile, column: str, cell: str) -> str | None:
    """SQL: the cell holds a label the column's value map does not know and that is not one of
    the contract's codes (``unmapped_value``); None when the column has no map, or is a text
    column (a role name, say: text has no closed list, so a label the map does not name is kept
    as it is)."""
    from workforce.ingest.readers import sql_literal

    m = profile.columns.get(column)
    if m is None or not m.values:
        return None
    col = profile.spec.column(column)
    if col.codes is None and col.type != FLAG:  # a text column: a label the map does not name passes as it is
        return None
    known = {str(c) for c in col.codes} if col.codes is not None else {"Y", "N"}
    labels = ", ".join(sql_literal(v) for v in sorted(set(m.values) | known))
    key = f"upper(regexp_replace({cell}, '\\s+', ' ', 'g'))"
    return f"({cell} IS NOT NULL AND {key} NOT IN ({labels}))"


CODED = (CODE, FLAG, INT)
