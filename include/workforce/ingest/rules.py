"""The contract's row-level rules as set-based SQL over one file's cells (``readers``: ``_in``).

``type_cells`` builds ``_typed``: every data row with each contract column twice, as the trimmed
text (``t__<name>``) and as the typed raw-table value (``<raw name>``; identifiers replaced by
keyed pseudonyms, the date of birth by an age band). ``find_problems`` builds ``_problems``: one
row per (data row, column, rule) broken, with the value quarantine may show (identifiers only as
pseudonyms, a date of birth never). A row with any problem is quarantined; the rest load.

Pseudonyms are computed in Python (HMAC) over the column's distinct values only, then joined back.

Label and free-text columns (``ColumnSpec.label``, ``free_text``) are searched for identity-shaped
values (``IDENTITY_SHAPED``, and any identifier value of the run's files), over their distinct
values; each one found is replaced by ``withheld-<keyed hash>`` (the same value, the same
replacement, so joins and groupings hold) and listed in ``_flagged`` for ``raw.withheld_values``.
"""

from __future__ import annotations

from datetime import date

import duckdb

from workforce.ingest.pseudonymise import AGE_BAND_EDGES, Pseudonymiser
from workforce.ingest.readers import ident, sql_literal
from workforce.spec.contract import CODE, CODE_LABEL, DATE, DECIMAL, FLAG, INT, PERIOD, ColumnSpec, ExportSpec

WITHHELD = "[personal data withheld]"
MAX_VALUE_CHARS = 200
#: Dates outside this range are placeholders (1900-01-01, 9999-12-31), never a real date here.
EARLIEST_DATE, LATEST_DATE = date(1901, 1, 1), date(2099, 12, 31)
#: A date of birth giving an age outside [MIN_AGE, MAX_AGE) at the extract date is implausible.
MIN_AGE, MAX_AGE = 16, 100

#: Row-level rules: rule -> what it means. A quarantined row has one record per broken rule.
RULES = {
    "malformed_row": "the row has more or fewer fields than the header (e.g. a truncated last line)",
    "required_missing": "a required column is empty",
    "control_character": "a cell holds a control character (e.g. a NUL byte), which no export value may",
    "bad_date": "not a date YYYY-MM-DD (a number in a date column, e.g. an Excel date serial, counts here)",
    "implausible_date": (
        f"a date before {EARLIEST_DATE.year} or after {LATEST_DATE.year} (a placeholder such as 1900-01-01 or "
        f"9999-12-31), or a date of birth giving an age under {MIN_AGE} or {MAX_AGE} and over at the extract date"
    ),
    "bad_number": "not a number (a comma only separates thousands: 0,5 is not a number; write 0.5)",
    "bad_integer": "not a whole number",
    "bad_flag": "not a Y/N flag",
    "bad_period": "not a pay period YYYY-MM",
    "unknown_code": "not one of the contract's codes for the column",
    "fte_out_of_range": "an FTE outside 0 < fte <= 1 (hr_workers and agency_assignments)",
    "duplicate_key": "the export's key appears on more than one row of the file (every such row is set aside)",
    "end_before_start": "an end or leaving date before the start it belongs to",
    "overlapping_spell": "two hr_workers spells of the same person in the same post overlap in time",
    "unknown_professional": "an involvement's professional is not in the ssd_professionals extract of that date",
    "unmapped_value": "a label the mapping profile's value map for the column does not know (and not a contract code)",
}

#: What makes a label or free-text value identity-shaped: (name, RE2 pattern), matched case-blind
#: anywhere in the value. ``number`` is not applied to code labels (a team code may be a cost
#: centre number). Besides these, a value holding any identifier value of the run's files (an
#: employee id, SWE number, CMS professional or child id: a word of 4 or more characters) is one.
IDENTITY_SHAPED: tuple[tuple[str, str], ...] = (
    ("e-mail address", r"[a-z0-9._%+'-]+@[a-z0-9-]+(\.[a-z0-9-]+)+"),
    ("number", r"\b[a-z]{0,4}[ -]?[0-9]{5,}\b"),  # employee, SWE, case or NHS-style numbers
    ("grouped number", r"\b[0-9]{3}[ -][0-9]{3}[ -][0-9]{4}\b"),  # NHS number, phone in 3-3-4
    ("phone number", r"(\+44 ?|\b0)[0-9]{2,4}[ -]?[0-9]{3,4}[ -]?[0-9]{3,4}\b"),
    ("National Insurance number", r"\b[a-z]{2} ?[0-9]{2} ?[0-9]{2} ?[0-9]{2} ?[a-d]\b"),
    ("date", r"\b[0-9]{1,4}[/.-][0-9]{1,2}[/.-][0-9]{1,4}\b"),
    ("postcode", r"\b[a-z]{1,2}[0-9][a-z0-9]? ?[0-9][a-z]{2}\b"),
    ("title and name", r"\b(mr|mrs|ms|miss|mx|dr)\b\.? *[a-z]"),
)
#: The rule recorded in ``raw.withheld_values`` for each value replaced.
WITHHELD_RULE = "identity_shaped"
WITHHELD_PREFIX = "withheld-"


def identity_pattern(col: ColumnSpec) -> str:
    """The one RE2 pattern (case-blind) of ``IDENTITY_SHAPED`` that applies to the column."""
    parts = [p for name, p in IDENTITY_SHAPED if not (name == "number" and col.label == CODE_LABEL)]
    return "(?i)(" + "|".join(parts) + ")"


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

#: FTE columns: a worker's FTE is more than 0 and at most 1 in every export that carries one.
FTE_COLUMNS: dict[str, str] = {"hr_workers": "fte", "agency_assignments": "fte"}

_NUMBER = r"[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?"
_GROUPED = r"[+-]?[0-9]{1,3}(,[0-9]{3})+(\.[0-9]*)?"
_DATE = r"[0-9]{4}-[0-9]{2}-[0-9]{2}( 00:00:00)?"  # an XLSX date cell's midnight is tolerated
_PERIOD = r"[0-9]{4}-(0[1-9]|1[0-2])"
_CONTROL = r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]"  # tab, line feed and carriage return are text


def text_column(col: ColumnSpec) -> str:
    return ident(f"t__{col.name}")


def parse_date(text: str) -> str:
    """SQL: ISO date text (an XLSX midnight tolerated) -> DATE, anything else -> NULL."""
    return f"(CASE WHEN regexp_full_match({text}, '{_DATE}') THEN TRY_CAST(left({text}, 10) AS DATE) END)"


def plausible(day: str) -> str:
    return f"({day} BETWEEN DATE '{EARLIEST_DATE}' AND DATE '{LATEST_DATE}')"


def _age(dob: str, as_at: date) -> str:
    return (f"({as_at.year} - year({dob}) - CASE WHEN {as_at.month * 100 + as_at.day} < "
            f"month({dob}) * 100 + day({dob}) THEN 1 ELSE 0 END)")


def _age_band(dob: str, as_at: date) -> str:
    age = _age(dob, as_at)
    arms = " ".join(f"WHEN {age} < {upper} THEN {sql_literal(label)}" for upper, label in AGE_BAND_EDGES)
    return f"(CASE WHEN {dob} IS NULL THEN NULL {arms} ELSE '60+' END)"


def _number(text: str) -> str:
    return (f"(CASE WHEN regexp_full_match({text}, '{_NUMBER}') THEN TRY_CAST({text} AS DOUBLE) "
            f"WHEN regexp_full_match({text}, '{_GROUPED}') THEN TRY_CAST(replace({text}, ',', '') AS DOUBLE) END)")


def _integer(text: str) -> str:
    d = f"TRY_CAST({text} AS DOUBLE)"
    return (f"(CASE WHEN regexp_full_match({text}, '{_NUMBER}') AND {d} = floor({d}) AND abs({d}) < 1e15 "
            f"THEN CAST({d} AS BIGINT) END)")


def _codes(codes: tuple) -> str:
    return ", ".join(sql_literal(str(c)) if isinstance(c, str) else str(int(c)) for c in codes)


def parsed_column(col: ColumnSpec) -> str:
    return ident(f"p__{col.name}")


def _typed_expr(col: ColumnSpec, text: str, extract_date: date) -> str:
    if col.age_band:
        dob = parsed_column(col)
        ok = f"({plausible(dob)} AND {_age(dob, extract_date)} BETWEEN {MIN_AGE} AND {MAX_AGE - 1})"
        return f"(CASE WHEN {ok} THEN {_age_band(dob, extract_date)} END)"
    if col.type == DATE:
        day = parsed_column(col)
        return f"(CASE WHEN {plausible(day)} THEN {day} END)"
    if col.type == INT:
        return _integer(text)
    if col.type == DECIMAL:
        return _number(text)
    if col.type in (FLAG, CODE):
        return f"upper({text})"
    return text


def type_cells(con: duckdb.DuckDBPyConnection, spec: ExportSpec, present: set[str], extract_date: date,
               pseudonymiser: Pseudonymiser) -> None:
    """``_in`` -> ``_typed`` (see the module docstring)."""
    selects = ["i._row_number", "i._line_number", "i._malformed"]
    joins = []
    for n, col in enumerate(spec.raw_columns):
        text = f"i.{ident(col.name)}" if col.name in present else "CAST(NULL AS VARCHAR)"
        selects.append(f"{text} AS {text_column(col)}")
        if col.age_band or col.type == DATE:  # the date as parsed, before the range check (DuckDB lets the
            selects.append(f"{parse_date(text)} AS {parsed_column(col)}")  # next expression use this alias)
        if col.pseudonym:
            if col.name in present:
                alias = f"_p{n}"
                _register_pseudonyms(con, alias, col, pseudonymiser)
                joins.append(f"LEFT JOIN {alias} ON {alias}.v = i.{ident(col.name)}")
                selects.append(f"{alias}.k AS {ident(col.raw_name)}")
            else:
                selects.append(f"CAST(NULL AS VARCHAR) AS {ident(col.raw_name)}")
        elif col.checked_for_identity and col.name in present:
            alias = f"_w{n}"
            _register_withheld(con, alias, col, pseudonymiser)
            joins.append(f"LEFT JOIN {alias} ON {alias}.v = i.{ident(col.name)}")
            selects.append(f"coalesce({alias}.k, {_typed_expr(col, text, extract_date)}) AS {ident(col.raw_name)}")
            selects.append(f"{alias}.k IS NOT NULL AS {withheld_column(col)}")
        else:
            selects.append(f"{_typed_expr(col, text, extract_date)} AS {ident(col.raw_name)}")
    con.execute(f"CREATE OR REPLACE TEMP TABLE _typed AS SELECT {', '.join(selects)} FROM _in i {' '.join(joins)}")
    checked = []
    for n, col in enumerate(spec.raw_columns):
        if col.pseudonym and col.name in present:
            con.execute(f"DROP VIEW _p{n}")
        elif col.checked_for_identity and col.name in present:
            con.execute(f"DROP TABLE _w{n}")
            checked.append(col)
    flagged = " UNION ALL ".join(
        f"SELECT _row_number AS row_number, {sql_literal(col.name)} AS column_name FROM _typed "
        f"WHERE {withheld_column(col)}" for col in checked
    ) or "SELECT CAST(NULL AS BIGINT) AS row_number, CAST(NULL AS VARCHAR) AS column_name WHERE FALSE"
    con.execute(f"CREATE OR REPLACE TEMP TABLE _flagged AS {flagged}")


def withheld_column(col: ColumnSpec) -> str:
    return ident(f"w__{col.name}")


def _register_withheld(con, alias: str, col: ColumnSpec, pseudonymiser: Pseudonymiser) -> None:
    """Temp table ``alias(v, k)``: the column's identity-shaped distinct values and their
    replacements. The patterns run over distinct values only; the run's identifiers are the
    values in ``_pseudonyms`` (every identifier column read so far in the run)."""
    import pyarrow as pa

    con.execute(f"CREATE TEMP TABLE IF NOT EXISTS {PSEUDONYMS} (kind VARCHAR, v VARCHAR, k VARCHAR)")
    column = ident(col.name)
    values = [r[0] for r in con.execute(
        rf"""WITH d AS (SELECT DISTINCT {column} AS v FROM _in WHERE {column} IS NOT NULL),
                ids AS (SELECT DISTINCT upper(regexp_replace(v, '\s+', '', 'g')) AS u FROM {PSEUDONYMS}
                        WHERE kind <> 'label' AND length(v) >= 4)
            SELECT v FROM d WHERE regexp_matches(v, ?)
            UNION
            SELECT d.v FROM d, unnest(string_split_regex(upper(d.v), '[^A-Z0-9]+')) AS w(word)
            WHERE length(w.word) >= 4 AND w.word IN (SELECT u FROM ids)
            ORDER BY 1""", [identity_pattern(col)]).fetchall()]
    keys = [WITHHELD_PREFIX + (k or "")[:12] for k in pseudonymiser.mapping("label", values)]
    con.register("_new_withheld", pa.table({"v": pa.array(values, pa.string()), "k": pa.array(keys, pa.string())}))
    con.execute(f"CREATE OR REPLACE TEMP TABLE {alias} AS SELECT v, k FROM _new_withheld")
    con.unregister("_new_withheld")


PSEUDONYMS = "_pseudonyms"


def _register_pseudonyms(con, alias: str, col: ColumnSpec, pseudonymiser: Pseudonymiser) -> None:
    """Pseudonyms for the column's distinct values not seen earlier in the run, added to the run's
    temp table ``_pseudonyms`` (monthly extracts repeat most values: each is hashed once)."""
    import pyarrow as pa

    assert col.pseudonym is not None
    con.execute(f"CREATE TEMP TABLE IF NOT EXISTS {PSEUDONYMS} (kind VARCHAR, v VARCHAR, k VARCHAR)")
    values = [r[0] for r in con.execute(
        f"SELECT DISTINCT {ident(col.name)} FROM _in WHERE {ident(col.name)} IS NOT NULL AND {ident(col.name)} "
        f"NOT IN (SELECT v FROM {PSEUDONYMS} WHERE kind = ?)", [col.pseudonym]).fetchall()]
    if values:
        keys = pseudonymiser.mapping(col.pseudonym, values)
        con.register("_new_pseudonyms", pa.table({"v": pa.array(values, pa.string()),
                                                  "k": pa.array(keys, pa.string())}))
        con.execute(f"INSERT INTO {PSEUDONYMS} SELECT ?, v, k FROM _new_pseudonyms", [col.pseudonym])
        con.unregister("_new_pseudonyms")
    con.execute(f"CREATE OR REPLACE TEMP VIEW {alias} AS SELECT v, k FROM {PSEUDONYMS} WHERE kind = "
                f"{sql_literal(col.pseudonym)}")


def _shown(col: ColumnSpec, text: str) -> str:
    """SQL: the offending value as quarantine may keep it: pseudonyms for identifiers, never a birth date."""
    if col.pseudonym or col.checked_for_identity:  # an identity-shaped label: its replacement
        return ident(col.raw_name)
    if col.is_personal:
        return f"CASE WHEN {text} IS NULL THEN NULL ELSE {sql_literal(WITHHELD)} END"
    return text


def _problem(column: str, rule: str, value: str, where: str, source: str = "_typed") -> str:
    return (f"SELECT _row_number AS row_number, {sql_literal(column)} AS column_name, {sql_literal(rule)} AS rule, "
            f"CAST({value} AS VARCHAR) AS value FROM {source} WHERE {where}")


def find_problems(con: duckdb.DuckDBPyConnection, spec: ExportSpec, header_width: int, *,
                  control: bool = True) -> None:
    """``_typed`` -> ``_problems(row_number, column_name, rule, value)``. ``control``: look for control
    characters (a file whose bytes hold none need not be searched cell by cell)."""
    sound = "NOT _malformed"
    parts = [_problem("*", "malformed_row", sql_literal(f"{header_width} columns expected"), "_malformed")]
    for col in spec.raw_columns:
        text, typed = text_column(col), ident(col.raw_name)
        given = f"{sound} AND {text} IS NOT NULL"
        if control:
            parts.append(_problem(col.name, "control_character", _shown(col, text),
                                  f"{given} AND regexp_matches({text}, '{_CONTROL}')"))
        if col.age_band or col.type == DATE:
            parsed = parsed_column(col)
            parts.append(_problem(col.name, "bad_date", _shown(col, text), f"{given} AND {parsed} IS NULL"))
            parts.append(_problem(col.name, "implausible_date", _shown(col, text),
                                  f"{given} AND {parsed} IS NOT NULL AND {typed} IS NULL"))
        elif col.type == INT:
            parts.append(_problem(col.name, "bad_integer", text, f"{given} AND {typed} IS NULL"))
        elif col.type == DECIMAL:
            parts.append(_problem(col.name, "bad_number", text, f"{given} AND {typed} IS NULL"))
        elif col.type == FLAG:
            parts.append(_problem(col.name, "bad_flag", text, f"{given} AND {typed} NOT IN ('Y', 'N')"))
        elif col.type == PERIOD:
            parts.append(_problem(col.name, "bad_period", text,
                                  f"{given} AND NOT regexp_full_match({text}, '{_PERIOD}')"))
        if col.codes is not None and not col.pseudonym:
            parts.append(_problem(col.name, "unknown_code", text,
                                  f"{given} AND {typed} IS NOT NULL AND {typed} NOT IN ({_codes(col.codes)})"))
        if col.required:
            parts.append(_problem(col.name, "required_missing", "NULL", f"{sound} AND {text} IS NULL"))
    parts += _row_rules(spec, sound)
    con.execute("CREATE OR REPLACE TEMP TABLE _problems AS " + " UNION ALL ".join(parts))


def _row_rules(spec: ExportSpec, sound: str) -> list[str]:
    """Rules across columns or rows of one file: ranges, end after start, keys, overlaps."""
    parts = []
    fte = FTE_COLUMNS.get(spec.name)
    if fte:
        col = spec.column(fte)
        parts.append(_problem(col.name, "fte_out_of_range", text_column(col),
                              f"{sound} AND {ident(fte)} IS NOT NULL AND NOT ({ident(fte)} > 0 AND {ident(fte)} <= 1)"))
    for start, end in END_AFTER_START.get(spec.name, ()):
        s, e = spec.column(start), spec.column(end)
        shown = f"{text_column(e)} || ' before {start} ' || {text_column(s)}"
        parts.append(_problem(end, "end_before_start", shown,
                              f"{sound} AND {ident(end)} IS NOT NULL AND {ident(start)} IS NOT NULL "
                              f"AND {ident(end)} < {ident(start)}"))
    keys = KEYS.get(spec.name)
    if keys:
        raw = [ident(spec.column(k).raw_name) for k in keys]
        shown = " || ' / ' || ".join(f"CAST({k} AS VARCHAR)" for k in raw)
        complete = " AND ".join(f"{k} IS NOT NULL" for k in raw)
        counted = (f"(SELECT _row_number, {shown} AS shown, count(*) OVER (PARTITION BY {', '.join(raw)}) AS n "
                   f"FROM _typed WHERE {sound} AND {complete})")
        parts.append(_problem(keys[0], "duplicate_key", "shown", "n > 1", counted))
    if spec.name == "hr_workers":
        parts.append(_problem("post_id", "overlapping_spell", "post_id", "TRUE", _OVERLAPS.format(sound=sound)))
    return parts


# A spell clashes with every earlier spell (by start, then file order) of the same person in the
# same post that is still open when it starts; all of them are set aside.
_OVERLAPS = """(WITH s AS (
    SELECT _row_number, person_key, post_id, spell_start_date AS st,
           coalesce(spell_end_date, DATE '9999-12-31') AS en,
           row_number() OVER (PARTITION BY person_key, post_id ORDER BY spell_start_date, _row_number) AS ord
    FROM _typed
    WHERE {sound} AND post_id IS NOT NULL AND person_key IS NOT NULL AND spell_start_date IS NOT NULL),
  pairs AS (
    SELECT a._row_number AS ra, b._row_number AS rb FROM s a JOIN s b
      ON a.person_key = b.person_key AND a.post_id = b.post_id AND a.ord < b.ord AND a.en > b.st)
  SELECT DISTINCT t._row_number, t.post_id FROM _typed t
  WHERE t._row_number IN (SELECT ra FROM pairs UNION SELECT rb FROM pairs))"""


def unknown_professionals(con: duckdb.DuckDBPyConnection, professionals_file: str) -> None:
    """Add ``unknown_professional`` problems: involvements whose professional is not in the given
    ssd_professionals extract (already in ``raw.ssd_professionals``)."""
    con.execute(
        "INSERT INTO _problems " + _problem(
            "invo_professional_id", "unknown_professional", "invo_professional_key",
            "NOT _malformed AND invo_professional_key IS NOT NULL AND invo_professional_key NOT IN "
            "(SELECT prof_professional_key FROM raw.ssd_professionals WHERE _source_file = ? "
            "AND prof_professional_key IS NOT NULL)"),
        [professionals_file],
    )
