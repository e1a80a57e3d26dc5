"""The catalogue of published tables (``catalogue.yml`` beside this module), loaded and validated.

One definition per published figure: every published table and column is declared once, in
``catalogue.yml``, and everything mechanical is derived from it. At run time: the published
column order and types (release and publish), the disclosure-control specs
(``release.disclosure``). At build time, by ``python -m workforce.spec.codegen`` (``make
generate``): the dbt YAML of the published marts, the SQL lists the marts iterate over, the
generated Great Expectations expectations and the column reference in ``docs/reference/``.

Keys of a table:

``name``
    the dbt mart (``marts.<name>``) and published table name; its GX suite is ``published_<name>``.
``description``
    what one row is and what the table answers (plain words; shown in dbt docs and the reference).
``grain``
    the columns that identify a row (tested unique by dbt, never null).
``monthly``
    true: each run publishes the reporting month's rows (``month_end``); false: the whole table.
``built_by`` (optional)
    ``dbt`` (the default): a dbt mart, captured by the transform step; ``release``: computed by the
    release stage from the capture and the earlier published months (``scrutiny_revisions``: it
    compares with what was published, which dbt never reads), so no dbt model or dbt YAML.
``disclosure`` (optional; absent for tables holding no counts of people)
    ``group_by`` (one cross-tabulation whose cells add up), ``levels`` (hierarchy columns, coarsest
    first, ``All`` being the total), ``row_sums`` (``total`` column = sum of ``parts`` in one row),
    ``cross_sums`` (name of a sum builder in ``release.disclosure.CROSS_SUMS``).
``columns``
    in published order; ``- common: <name>`` uses a column of ``common_columns``.

Keys of a column:

``name``, ``type`` (DuckDB: varchar, date, integer, bigint, double), ``definition`` (plain words),
``kind``:
    ``key`` (part of the grain), ``label`` (descriptive text), ``count`` (people, cases or
    children), ``fte``, ``fte_years``, ``days``, ``money`` (GBP), ``rate`` (``numerator`` /
    ``denominator`` x ``multiplier``), ``denominator`` (a published denominator; ``formula`` is its
    SQL over other columns, ``{var}`` naming a dbt var), ``value`` (any other number).
``status``
    true: ``<name>_status`` follows the column, holding DfE/GSS symbols (x, z, c).
``decimals``
    rounding at publication, checked on the published rows.
``needs``
    optional exports the figure needs: without them it is published as ``x``.
``pattern``
    a text column's values match this regular expression (checked on the published rows).
``dfe_indicator``
    one of DfE's CSWW indicators (reconciled with DfE's published figures).
``suppress: primary``
    a count (or FTE-years standing for people) suppressed in its own right when 1 to threshold.
``follows``
    counts whose suppression this column follows (FTE of the same people, money). A rate follows
    the columns its numerator and denominator follow, without being told.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from workforce.yaml_lines import Problems as _Problems
from workforce.yaml_lines import check_keys as _check_keys
from workforce.yaml_lines import load_yaml_with_lines

CATALOGUE_PATH = Path(__file__).with_name("catalogue.yml")

TABLE = "scrutiny_workforce_monthly"
"""The headline table: DfE's CSWW indicators monthly, at council level and per service area."""
LA_LEVEL = "All"
STATUS_SUFFIX = "_status"
STATUS_CODES = ("x", "z", "c")

KINDS = ("key", "label", "count", "fte", "fte_years", "days", "money", "rate", "denominator", "value")
TYPES = ("varchar", "date", "integer", "bigint", "double")
NUMERIC_KINDS = ("count", "fte", "fte_years", "days", "money", "rate", "denominator", "value")
_COLUMN_KEYS = {
    "name",
    "kind",
    "type",
    "definition",
    "numerator",
    "denominator",
    "multiplier",
    "decimals",
    "status",
    "needs",
    "dfe_indicator",
    "suppress",
    "follows",
    "formula",
    "pattern",
}
_TABLE_KEYS = {"name", "description", "grain", "monthly", "built_by", "disclosure", "columns"}
BUILT_BY = ("dbt", "release")
_DISCLOSURE_KEYS = {"group_by", "levels", "row_sums", "cross_sums"}


class CatalogueError(ValueError):
    """The catalogue file is not valid: every problem, with its place in the file."""


def status_column(column: str) -> str:
    return f"{column}{STATUS_SUFFIX}"


@dataclass(frozen=True)
class Column:
    name: str
    kind: str
    type: str
    definition: str
    table: str
    numerator: str | None = None
    denominator: str | None = None
    multiplier: int = 100
    decimals: int | None = None
    status: bool = False
    needs: tuple[str, ...] = ()
    dfe_indicator: bool = False
    suppress: str | None = None
    follows: tuple[str, ...] = ()
    formula: str | None = None
    pattern: str | None = None

    @property
    def status_column(self) -> str | None:
        return status_column(self.name) if self.status else None

    @property
    def is_rate(self) -> bool:
        return self.kind == "rate"

    @property
    def sql_type(self) -> str:
        return self.type.upper()


@dataclass(frozen=True)
class RowSum:
    total: str
    parts: tuple[str, ...]


@dataclass(frozen=True)
class DisclosureLayout:
    group_by: tuple[str, ...]
    levels: tuple[str, ...]
    row_sums: tuple[RowSum, ...] = ()
    cross_sums: str | None = None


@dataclass(frozen=True)
class Table:
    name: str
    description: str
    grain: tuple[str, ...]
    monthly: bool
    columns: tuple[Column, ...]
    disclosure: DisclosureLayout | None = None
    built_by: str = "dbt"
    _by_name: dict[str, Column] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        self._by_name.update({c.name: c for c in self.columns})

    @property
    def mart(self) -> str:
        return f"marts.{self.name}"

    @property
    def is_mart(self) -> bool:
        """Built by dbt (a mart the transform step captures), not by the release stage."""
        return self.built_by == "dbt"

    @property
    def suite(self) -> str:
        return f"published_{self.name}"

    def column(self, name: str) -> Column:
        try:
            return self._by_name[name]
        except KeyError:
            raise KeyError(f"{self.name} has no column {name!r} in the catalogue") from None

    def has_column(self, name: str) -> bool:
        return name in self._by_name

    @property
    def published_columns(self) -> tuple[str, ...]:
        """Every published column in order, each status column right after its value."""
        out: list[str] = []
        for c in self.columns:
            out.append(c.name)
            if c.status:
                out.append(status_column(c.name))
        return tuple(out)

    @property
    def column_types(self) -> dict[str, str]:
        """Published column -> DuckDB type (status columns are VARCHAR)."""
        types: dict[str, str] = {}
        for c in self.columns:
            types[c.name] = c.sql_type
            if c.status:
                types[status_column(c.name)] = "VARCHAR"
        return types

    def of_kind(self, *kinds: str) -> tuple[Column, ...]:
        return tuple(c for c in self.columns if c.kind in kinds)

    @property
    def rates(self) -> tuple[Column, ...]:
        return self.of_kind("rate")

    @property
    def status_columns(self) -> tuple[str, ...]:
        return tuple(status_column(c.name) for c in self.columns if c.status)

    def denominator_sql(self, column: Column) -> str:
        """SQL of a rate's denominator: the published denominator's formula, else the column."""
        assert column.denominator is not None
        den = self.column(column.denominator)
        return den.formula if den.formula else den.name


@dataclass(frozen=True)
class Catalogue:
    tables: tuple[Table, ...]
    path: Path

    def table(self, name: str) -> Table:
        for t in self.tables:
            if t.name == name:
                return t
        raise KeyError(f"no published table {name!r} in the catalogue ({self.path.name})")

    def __iter__(self) -> Iterator[Table]:
        return iter(self.tables)

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(t.name for t in self.tables)


# --- loading -------------------------------------------------------------------------------------


def _column(raw: dict, table: str, place: str, problems: _Problems) -> Column | None:
    _check_keys(raw, place, _COLUMN_KEYS, ("name", "kind", "type", "definition"), problems)
    if raw.get("kind") and raw["kind"] not in KINDS:
        problems.add(raw, place, f"kind {raw['kind']!r} is not one of {list(KINDS)}")
    if raw.get("type") and raw["type"] not in TYPES:
        problems.add(raw, place, f"type {raw['type']!r} is not one of {list(TYPES)}")
    if raw.get("kind") == "rate" and not (raw.get("numerator") and raw.get("denominator")):
        problems.add(raw, place, "a rate needs 'numerator' and 'denominator'")
    if raw.get("kind") != "rate" and (raw.get("numerator") or raw.get("denominator")):
        problems.add(raw, place, "only a rate has 'numerator' and 'denominator'")
    if raw.get("kind") in NUMERIC_KINDS and raw.get("type") in ("varchar", "date"):
        problems.add(raw, place, f"a {raw['kind']} must have a numeric type, not {raw['type']}")
    if raw.get("suppress") not in (None, "primary"):
        problems.add(raw, place, "suppress must be 'primary' (or absent)")
    if raw.get("formula") and raw.get("kind") != "denominator":
        problems.add(raw, place, "only a denominator has a 'formula'")
    if raw.get("pattern") is not None:
        if raw.get("type") != "varchar":
            problems.add(raw, place, "only a varchar column has a 'pattern'")
        try:
            re.compile(str(raw["pattern"]))
        except re.error as exc:
            problems.add(raw, place, f"pattern {raw['pattern']!r} is not a regular expression: {exc}")
    if any(not raw.get(k) for k in ("name", "kind", "type", "definition")):
        return None
    return Column(
        name=raw["name"],
        kind=raw["kind"],
        type=raw["type"],
        definition=" ".join(str(raw["definition"]).split()),
        table=table,
        numerator=raw.get("numerator"),
        denominator=raw.get("denominator"),
        multiplier=int(raw.get("multiplier", 100)),
        decimals=raw.get("decimals"),
        status=bool(raw.get("status")),
        needs=tuple(raw.get("needs") or ()),
        dfe_indicator=bool(raw.get("dfe_indicator")),
        suppress=raw.get("suppress"),
        follows=tuple(raw.get("follows") or ()),
        formula=raw.get("formula"),
        pattern=raw.get("pattern"),
    )


def _check_table(table: Table, raw: dict, problems: _Problems, exports: tuple[str, ...] | None) -> None:
    names = [c.name for c in table.columns]
    place = f"table {table.name}"
    for dup in sorted({n for n in names if names.count(n) > 1}):
        problems.add(raw, place, f"column {dup!r} is declared twice")
    published = table.published_columns
    for dup in sorted({n for n in published if published.count(n) > 1}):
        problems.add(raw, place, f"published column {dup!r} clashes with a status column")
    for g in table.grain:
        if g not in names:
            problems.add(raw, place, f"grain column {g!r} is not a column")
        elif table.column(g).kind != "key":
            problems.add(raw, place, f"grain column {g!r} must be of kind key")
    for c in table.columns:
        if c.kind == "key" and c.name not in table.grain:
            problems.add(raw, f"{place}, column {c.name}", "a key column must be in the grain")
        for ref in (c.numerator, c.denominator, *c.follows):
            if ref and ref not in names:
                problems.add(raw, f"{place}, column {c.name}", f"refers to {ref!r}, which is not a column of the table")
        for f in c.follows:
            if f in names and table.column(f).suppress != "primary":
                problems.add(
                    raw, f"{place}, column {c.name}", f"follows {f!r}, which is not suppressed in its own right"
                )
        if exports is not None:
            for e in c.needs:
                if e not in exports:
                    problems.add(
                        raw, f"{place}, column {c.name}", f"needs {e!r}, which is not an export of the contract"
                    )
    if table.disclosure:
        d = table.disclosure
        for col in (*d.group_by, *d.levels, *(s.total for s in d.row_sums), *(p for s in d.row_sums for p in s.parts)):
            if col not in names:
                problems.add(raw, f"{place}, disclosure", f"{col!r} is not a column of the table")
    elif any(c.suppress for c in table.columns):
        problems.add(raw, place, "columns are suppressed but the table has no 'disclosure' layout")


def load_catalogue(path: Path = CATALOGUE_PATH, exports: tuple[str, ...] | None = None) -> Catalogue:
    """Read and validate the catalogue; every problem is reported at once, with its line."""
    problems = _Problems(path)
    try:
        raw = load_yaml_with_lines(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise CatalogueError(f"{path}: cannot read the catalogue: {exc}") from exc
    if not isinstance(raw, dict) or not isinstance(raw.get("tables"), list):
        raise CatalogueError(f"{path}: the catalogue must be a mapping with a 'tables' list")
    if exports is None:
        from workforce.spec.contract import EXPORTS_BY_NAME

        exports = tuple(EXPORTS_BY_NAME)
    common: dict[str, Any] = raw.get("common_columns") or {}
    tables: list[Table] = []
    for raw_table in raw["tables"]:
        name = raw_table.get("name", "?")
        place = f"table {name}"
        _check_keys(raw_table, place, _TABLE_KEYS, ("name", "description", "grain", "columns"), problems)
        columns: list[Column] = []
        for raw_col in raw_table.get("columns") or []:
            if "common" in raw_col:
                ref = raw_col["common"]
                if ref not in common:
                    problems.add(raw_col, place, f"common column {ref!r} is not in common_columns")
                    continue
                raw_col = {**common[ref], "name": ref}
            col = _column(raw_col, name, f"{place}, column {raw_col.get('name', '?')}", problems)
            if col:
                columns.append(col)
        layout = None
        if raw_table.get("disclosure"):
            d = raw_table["disclosure"]
            _check_keys(d, f"{place}, disclosure", _DISCLOSURE_KEYS, (), problems)
            layout = DisclosureLayout(
                group_by=tuple(d.get("group_by") or ("la_code", "month_end")),
                levels=tuple(d.get("levels") or ("service_area",)),
                row_sums=tuple(RowSum(s["total"], tuple(s["parts"])) for s in d.get("row_sums") or ()),
                cross_sums=d.get("cross_sums"),
            )
        table = Table(
            name=name,
            description=" ".join(str(raw_table.get("description", "")).split()),
            grain=tuple(raw_table.get("grain") or ()),
            monthly=bool(raw_table.get("monthly", True)),
            columns=tuple(columns),
            disclosure=layout,
            built_by=str(raw_table.get("built_by", "dbt")),
        )
        if table.built_by not in BUILT_BY:
            problems.add(raw_table, place, f"built_by must be one of {BUILT_BY}, got {table.built_by!r}")
        _check_table(table, raw_table, problems, exports)
        tables.append(table)
    names = [t.name for t in tables]
    for dup in sorted({n for n in names if names.count(n) > 1}):
        problems.add(None, f"table {dup}", "declared twice")
    if TABLE not in names:
        problems.add(None, "tables", f"the headline table {TABLE} is missing")
    if problems.items:
        raise CatalogueError("the catalogue of published tables is not valid:\n  " + "\n  ".join(problems.items))
    return Catalogue(tables=tuple(tables), path=path)


@cache
def catalogue() -> Catalogue:
    """The project's catalogue (read once per process)."""
    return load_catalogue()


def published_tables() -> tuple[Table, ...]:
    return catalogue().tables


def mart_tables() -> tuple[Table, ...]:
    """The published tables dbt builds (the transform step captures them)."""
    return tuple(t for t in catalogue().tables if t.is_mart)


def table(name: str) -> Table:
    return catalogue().table(name)
