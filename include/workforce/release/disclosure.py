"""Statistical disclosure control for published tables (``docs/spec/metrics.md``, "Symbols and
small numbers").

Published tables go to councillors and into public committee papers, so a published figure must
not let anyone single out a member of staff or a child. This module is pure pandas and
deterministic: the same frame and threshold always give the same output.

The rules, for every table with a :class:`DisclosureSpec`:

1. **Primary suppression.** A count of people (``DisclosureSpec.counts``) below the LA level
   (a service area, a team) from 1 to the threshold (``WORKFORCE_SUPPRESSION_THRESHOLD``,
   default 4) is suppressed: the value becomes NULL and its status column ``c``.
2. **Zeros are published.** A true zero says that nobody is in a cell and discloses nothing
   about a person (DfE and GSS practice), so 0 is shown as 0. The consequence, accepted and
   handled below, is that a suppressed cell is known to hold at least one person.
3. **LA-level figures are never suppressed** (the row whose level columns are all ``All``),
   as in DfE's own release.
4. **Secondary suppression.** Published rows add up: within one group (e.g. one ``la_code`` and
   ``month_end``) the breakdown cells of a parent (service areas under ``All``; teams under their
   service area) sum to the parent. For each such sum and each count, repeatedly:

   - if exactly one cell of the sum (a breakdown cell or the parent) is suppressed, it could be
     recovered as parent minus the rest (or the parent as the sum of the rest);
   - if the parent is published and the suppressed cells must all be exactly 1 (their recoverable
     total equals their number; zeros being published, each holds at least 1), or all are
     primary and must all equal the threshold (their total is number x threshold), each is
     recovered;

   then one more cell is suppressed: the published breakdown cell with the smallest non-zero
   value (ties broken by the level values in sort order); if there is none, the smallest
   published zero cell; if there is none either, the parent itself unless it is the LA level.
   This repeats until no sum has a recoverable cell. A parent that is not a row of the table
   (e.g. team rows without service-area subtotals) is treated as published elsewhere, with the
   sum of its cells as its value, which is the conservative assumption.
5. **Linked values.** Values derived from the same people are suppressed with their count, in
   the same cells: FTE with its headcount (``inpost_fte`` with ``inpost_headcount``, ...), the
   published denominators and data-quality counts of those cells, and every rate whose
   numerator or denominator involves a suppressed count (NULL with status ``c``). Because each
   count's suppression pattern leaves either none or at least two unknown cells in every sum,
   so does any union of patterns, and a linked column cannot be recovered by differencing.
   A count may also follow other counts (``cases`` of a few case holders is their workload).
   Money has no headcount beside it in ``scrutiny_costs_monthly``: it follows the FTE-years
   worked (``DisclosureSpec.measures``), suppressed when above 0 and at most the threshold,
   which catches every cell of at most ``threshold`` people (one person works at most 1 FTE).
6. **Other sums.** Besides the level hierarchy, cells also add up across the columns of a row
   (caseload bands to the case holders, ``DisclosureSpec.row_sums``) and across rows of other
   breakdowns (leavers' categories of a partitioning breakdown to the row's leavers; a leavers
   denominator repeated on every category row is an equality, ``DisclosureSpec.cross_sums``).
   All sums over all suppressed columns are protected together by rule 4.
7. A value that already has a status (``x`` not available, ``z`` zero denominator) keeps it; its
   value is already NULL. The invariant "value NULL exactly when status is set" holds.

Limits (see ``docs/data-protection.md``): each table is protected on its own; two tables that
publish overlapping sums (e.g. a team table and ``scrutiny_workforce_monthly``'s service areas)
need one spec covering both levels. Known cross-table overlaps: ``scrutiny_retention_monthly``
and the leavers' ``all`` rows publish the same team leavers, and ``retention_payments_gbp_12m``
(costs) is a multiple of ``retention_payment_recipients_12m`` (retention) when the payment is a
fixed sum. Month-to-month differences of rolling 12-month flows are not exact identities and are
not treated; nor are complements (cohort less retained) or multi-response exit-interview reasons
(bounded by the interviewed leavers, not adding up to them). A suppressed column with no
``<col>_status`` beside it (``columns_without_status``) is left NULL without a symbol.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from workforce.spec.catalogue import LA_LEVEL, STATUS_SUFFIX, Table, published_tables

log = logging.getLogger(__name__)

SUPPRESSED = "c"
DEFAULT_THRESHOLD = 4


class DisclosureError(ValueError):
    """A table cannot be protected as described (unknown table, missing column, bad threshold)."""


Cell = tuple[str, int]  # (column, row position in the frame)


@dataclass(frozen=True)
class DisclosureSpec:
    """How to protect one published table.

    ``counts``: columns counting people (or children), primary and secondary suppression.
    ``measures``: columns that are not whole counts but stand for people (FTE-years): suppressed
    like counts, primarily when above 0 and at most the threshold (a person works at most 1 FTE,
    so a cell of at most ``threshold`` people has at most ``threshold`` FTE-years).
    ``linked``: other value columns -> the counts or measures whose suppression they follow (FTE
    of the same people, rates, denominators, money). A column is suppressed in a row when any of
    its dependencies is. A count listed here is suppressed in its own right and with those.
    ``group_by``: columns identifying one cross-tabulation whose cells add up (one month).
    ``levels``: hierarchy columns, coarsest first; ``total`` in a level column is the total over it
    (``("service_area",)``; a team table with area subtotals: ``("service_area", "team_code")``).
    ``row_sums``: sums across columns of one row, ``(parent column, (part columns, ...))`` (e.g.
    caseload bands adding up to the case holders of the row).
    ``cross_sums``: any other published sums, from the frame: ``frame -> [(parent cell or None,
    [cells])]`` with cells ``(column, row position)``; a sum of one cell is an equality (the same
    number published twice).
    """

    counts: tuple[str, ...]
    linked: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    group_by: tuple[str, ...] = ("la_code", "month_end")
    levels: tuple[str, ...] = ("service_area",)
    total: str = LA_LEVEL
    status_suffix: str = STATUS_SUFFIX
    measures: tuple[str, ...] = ()
    row_sums: tuple[tuple[str, tuple[str, ...]], ...] = ()
    cross_sums: Callable[[pd.DataFrame], list[tuple[Cell | None, list[Cell]]]] | None = None

    @property
    def protected(self) -> tuple[str, ...]:
        """Counts and measures: the columns suppressed in their own right."""
        return tuple(dict.fromkeys(self.counts + self.measures))

    def status_column(self, column: str) -> str:
        return f"{column}{self.status_suffix}"

    def dependencies(self, column: str) -> tuple[str, ...]:
        if column in self.protected:  # a count may also follow others (the union of safe patterns is safe)
            return tuple(dict.fromkeys((column, *self.linked.get(column, ()))))
        return self.linked.get(column, ())


_TEAM_LEVELS = ("service_area", "team_code")


#: Leavers breakdowns whose categories partition the leavers of a row (exit-interview reasons do
#: not: a leaver may give several).
LEAVER_PARTITIONS = ("leaving_reason", "leaver_destination", "length_of_service")
LEAVERS_ALL = "all"
EXIT_REASONS = "exit_interview_reason"


def _leaver_sums(df: pd.DataFrame) -> list[tuple[Cell | None, list[Cell]]]:
    """Categories of a partitioning breakdown add up to the row's leavers ('all'); the
    denominator repeats the 'all' leavers (or, for exit-interview reasons, the same number of
    interviewed leavers on every category row): equalities."""
    sums: list[tuple[Cell | None, list[Cell]]] = []
    keys = ["la_code", "month_end", *_TEAM_LEVELS]
    frame = df[keys + ["breakdown"]].astype("object").astype(str).reset_index(drop=True)
    for _key, rows in frame.groupby(keys, sort=True):
        by_breakdown = {b: sorted(r.index) for b, r in rows.groupby("breakdown", sort=True)}
        all_rows = by_breakdown.get(LEAVERS_ALL, [])
        parent: Cell | None = ("leavers_headcount", all_rows[0]) if len(all_rows) == 1 else None
        for b in LEAVER_PARTITIONS:
            cells = by_breakdown.get(b, [])
            if cells:
                sums.append((parent, [("leavers_headcount", i) for i in cells]))
            if parent is not None:
                sums.extend((parent, [("pct_of_leavers_denominator", i)]) for i in cells)
        if parent is not None:
            sums.append((parent, [("pct_of_leavers_denominator", parent[1])]))
        exit_rows = by_breakdown.get(EXIT_REASONS, [])
        sums.extend(
            (("pct_of_leavers_denominator", exit_rows[0]), [("pct_of_leavers_denominator", i)]) for i in exit_rows[1:]
        )
    return sums


#: Sums across rows that a table's ``disclosure.cross_sums`` names in the catalogue.
CROSS_SUMS: dict[str, Callable[[pd.DataFrame], list[tuple[Cell | None, list[Cell]]]]] = {
    "leaver_sums": _leaver_sums,
}


def spec_from_table(table: Table) -> DisclosureSpec:
    """The disclosure spec of a published table, from its catalogue entry.

    Columns marked ``suppress: primary`` are protected in their own right: counts of people, and
    FTE-years standing for people (``measures``). A column's ``follows`` lists the counts whose
    suppression it follows; a rate follows whatever its numerator and denominator follow (a
    primary part itself, and what that part follows)."""
    layout = table.disclosure
    if layout is None:
        return DisclosureSpec(counts=())
    primary = [c for c in table.columns if c.suppress == "primary"]
    counts = tuple(c.name for c in primary if c.kind != "fte_years")
    measures = tuple(c.name for c in primary if c.kind == "fte_years")
    protected = set(counts) | set(measures)
    linked: dict[str, tuple[str, ...]] = {c.name: c.follows for c in table.columns if c.follows and not c.is_rate}

    def deps(column: str) -> tuple[str, ...]:
        own = linked.get(column, ())
        return (column, *own) if column in protected else own

    for rate in table.rates:  # in catalogue order, so a rate of rates sees its parts' links
        assert rate.numerator and rate.denominator
        linked[rate.name] = tuple(dict.fromkeys(deps(rate.numerator) + deps(rate.denominator)))
    if layout.cross_sums and layout.cross_sums not in CROSS_SUMS:
        raise DisclosureError(f"{table.name}: cross_sums {layout.cross_sums!r} is not in CROSS_SUMS")
    return DisclosureSpec(
        counts=counts, measures=measures, linked=linked, group_by=layout.group_by, levels=layout.levels,
        row_sums=tuple((s.total, s.parts) for s in layout.row_sums),
        cross_sums=CROSS_SUMS[layout.cross_sums] if layout.cross_sums else None,
    )


#: Every published table's spec, from the catalogue (a table with no counts of people has ``counts=()``).
SPECS: dict[str, DisclosureSpec] = {t.name: spec_from_table(t) for t in published_tables()}


def spec_for(table_name: str) -> DisclosureSpec:
    try:
        return SPECS[table_name]
    except KeyError:
        raise DisclosureError(
            f"published table {table_name!r} has no disclosure spec: declare it in include/workforce/spec/catalogue.yml"
        ) from None


# --- the sums a table publishes -----------------------------------------------------------------


@dataclass
class _Sum:
    """parent = sum(cells): row positions (or flat cell indices); parent None when not published."""

    parent: int | None
    cells: list[int]
    parent_is_la: bool


def _sums(df: pd.DataFrame, spec: DisclosureSpec) -> list[_Sum]:
    """Every (parent, breakdown cells) sum the table publishes, from its level columns."""
    levels = [df[c].astype("object").where(df[c].notna(), spec.total).astype(str).to_numpy() for c in spec.levels]
    groups = [df[c].astype("object").astype(str).to_numpy() for c in spec.group_by]
    n = len(df)
    keys = [tuple(g[i] for g in groups) + tuple(lv[i] for lv in levels) for i in range(n)]
    row_of = {k: i for i, k in enumerate(keys)}
    width = len(spec.group_by)
    by_parent: dict[tuple, list[int]] = {}
    for i, key in enumerate(keys):
        level_values = list(key[width:])
        deepest = max((j for j, v in enumerate(level_values) if v != spec.total), default=None)
        if deepest is None:
            continue  # the LA-level row has no parent
        level_values[deepest] = spec.total
        by_parent.setdefault(key[:width] + tuple(level_values), []).append(i)
    sums = []
    for parent_key, cells in sorted(by_parent.items()):
        parent_is_la = all(v == spec.total for v in parent_key[width:])
        sums.append(_Sum(row_of.get(parent_key), sorted(cells), parent_is_la))
    return sums


def _cell_sums(df: pd.DataFrame, spec: DisclosureSpec, depth: np.ndarray) -> list[_Sum]:
    """Every sum over cells of the protected columns, as flat indices ``column index * rows + row``."""
    n = len(df)
    col = {c: j for j, c in enumerate(spec.protected)}

    def flat(cell: Cell) -> int:
        return col[cell[0]] * n + cell[1]

    sums = []
    for s in _sums(df, spec):
        for j in range(len(col)):
            parent = None if s.parent is None else j * n + s.parent
            sums.append(_Sum(parent, [j * n + i for i in s.cells], s.parent_is_la))
    for i in range(n):
        for parent_col, part_cols in spec.row_sums:
            sums.append(_Sum(flat((parent_col, i)), [flat((c, i)) for c in part_cols], bool(depth[i] == 0)))
    if spec.cross_sums is not None:
        for parent_cell, cells in spec.cross_sums(df):
            parent = None if parent_cell is None else flat(parent_cell)
            is_la = parent_cell is not None and bool(depth[parent_cell[1]] == 0)
            sums.append(_Sum(parent, sorted(flat(c) for c in cells), is_la))
    return sums


def _depth(df: pd.DataFrame, spec: DisclosureSpec) -> np.ndarray:
    depth = np.zeros(len(df), dtype=int)
    for c in spec.levels:
        depth += (df[c].notna() & df[c].astype("object").ne(spec.total)).to_numpy(dtype=int)
    return depth


def _small(values: np.ndarray, is_count: np.ndarray, threshold: int) -> np.ndarray:
    """Primary cells before the LA level is excluded: counts 1..threshold, measures in (0, threshold]."""
    with np.errstate(invalid="ignore"):
        low = np.where(is_count, values >= 1, values > 0)
        return ~np.isnan(values) & low & (values <= threshold)


def _suppress(
    values: np.ndarray,
    is_count: np.ndarray,
    below_la: np.ndarray,
    sums: list[_Sum],
    sort_keys: list[tuple],
    threshold: int,
) -> np.ndarray:
    """Primary and secondary suppression over flat cells; True where suppressed."""
    known = ~np.isnan(values)
    primary = _small(values, is_count, threshold) & below_la
    suppressed = primary.copy()
    if threshold <= 0:
        return suppressed

    def parent_value(s: _Sum) -> float:
        if s.parent is not None:
            return values[s.parent]
        return float(np.nansum(values[s.cells]))  # not a row: assume it is published elsewhere

    def recoverable(s: _Sum) -> bool:
        sup_cells = [i for i in s.cells if suppressed[i]]
        parent_sup = s.parent is not None and suppressed[s.parent]
        unknown = len(sup_cells) + int(parent_sup)
        if unknown == 0:
            return False
        if unknown == 1:
            return True
        if parent_sup:
            return False
        if not all(is_count[i] for i in sup_cells):
            return False  # a measure is not pinned by being at least 1 or at most the threshold
        total = parent_value(s)
        if np.isnan(total):
            return False
        if any(values[i] == 0 for i in sup_cells):
            return False  # a suppressed zero (last resort): a 'c' cell may hold 0, nothing is pinned
        rest = float(np.nansum([values[i] for i in s.cells if not suppressed[i]]))
        residual = total - rest
        k = len(sup_cells)
        if residual <= k:  # each suppressed cell holds at least 1: all exactly 1
            return True
        return all(primary[i] for i in sup_cells) and residual >= k * threshold

    def add_one(s: _Sum) -> bool:
        published = [i for i in s.cells if not suppressed[i] and known[i] and below_la[i]]
        for pool in ([i for i in published if values[i] > 0], [i for i in published if values[i] == 0]):
            if pool:
                choice = min(pool, key=lambda i: (values[i], sort_keys[i]))
                suppressed[choice] = True
                return True
        p = s.parent
        if p is not None and not s.parent_is_la and below_la[p] and not suppressed[p] and known[p]:
            suppressed[p] = True
            return True
        return False

    for _ in range(len(values) + 1):  # each pass suppresses at least one more cell or stops
        changed = False
        for s in sums:
            while recoverable(s):
                if not add_one(s):
                    log.warning("disclosure: a suppressed cell cannot be protected further (no cell left in its sum)")
                    break
                changed = True
        if not changed:
            break
    return suppressed


def _as_numbers(series: pd.Series) -> np.ndarray:
    return pd.to_numeric(series, errors="coerce").astype("float64").to_numpy()


def _null_where(series: pd.Series, mask: np.ndarray) -> pd.Series:
    """Set NULL where mask, keeping whole-number columns whole (nullable Int64, not float)."""
    if not mask.any():
        return series
    if pd.api.types.is_integer_dtype(series.dtype):
        series = series.astype("Int64")
    return series.mask(mask)


def _check_columns(df: pd.DataFrame, spec: DisclosureSpec) -> None:
    needed = set(spec.protected) | set(spec.linked) | set(spec.group_by) | set(spec.levels)
    for parent, parts in spec.row_sums:
        needed |= {parent, *parts}
    missing = sorted(c for c in needed if c not in df.columns)
    if missing:
        raise DisclosureError(f"disclosure control: column(s) {missing} missing from the table")
    not_protected = sorted({c for p, parts in spec.row_sums for c in (p, *parts)} - set(spec.protected))
    if not_protected:
        raise DisclosureError(f"disclosure control: row sums over unprotected column(s) {not_protected}")


def _flat(df: pd.DataFrame, spec: DisclosureSpec) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[tuple]]:
    """Values, is-count, below-LA and tie-break keys of every protected cell, column after column."""
    depth = _depth(df, spec)
    row_keys = [
        tuple(str(v) for v in row) for row in df[list(spec.levels)].astype("object").itertuples(index=False)
    ]
    values = np.concatenate([_as_numbers(df[c]) for c in spec.protected]) if spec.protected else np.zeros(0)
    is_count = np.concatenate([np.full(len(df), c in spec.counts) for c in spec.protected]) if spec.protected else (
        np.zeros(0, dtype=bool)
    )
    below_la = np.tile(depth > 0, len(spec.protected))
    sort_keys = [(*row_keys[i], j) for j in range(len(spec.protected)) for i in range(len(df))]
    return values, is_count, below_la, sort_keys


def suppression_masks(df: pd.DataFrame, spec: DisclosureSpec, threshold: int) -> dict[str, np.ndarray]:
    """Per count (or measure) column, where it is suppressed (primary and secondary)."""
    if not isinstance(threshold, (int, np.integer)) or isinstance(threshold, bool) or threshold < 0:
        raise DisclosureError(f"suppression threshold must be a whole number >= 0, got {threshold!r}")
    _check_columns(df, spec)
    n = len(df)
    values, is_count, below_la, sort_keys = _flat(df, spec)
    sums = _cell_sums(df, spec, _depth(df, spec))
    suppressed = _suppress(values, is_count, below_la, sums, sort_keys, int(threshold))
    return {c: suppressed[j * n : (j + 1) * n] for j, c in enumerate(spec.protected)}


def apply_disclosure_control(table_name: str, df: pd.DataFrame, threshold: int) -> pd.DataFrame:
    """The table with small counts and everything that would reveal them suppressed (value NULL,
    status ``c``). Pure: ``df`` is not modified. See the module docstring for the rules."""
    spec = spec_for(table_name)
    if not spec.protected:
        return df.copy()
    out = df.copy()
    masks = suppression_masks(out, spec, threshold)
    columns = list(spec.protected) + [c for c in spec.linked if c not in spec.protected]
    for column in columns:
        deps = spec.dependencies(column)
        if not deps:
            continue
        mask = np.logical_or.reduce([masks[d] for d in deps])
        status = spec.status_column(column)
        if status in out.columns:
            mask = mask & out[status].isna().to_numpy()  # 'x' / 'z' keep their reason
            if mask.any():
                out[status] = out[status].astype("object").mask(mask, SUPPRESSED)
        out[column] = _null_where(out[column], mask)
    suppressed = int(sum(m.sum() for m in masks.values()))
    if suppressed:
        log.info("disclosure: %s: %d count cell(s) suppressed at threshold %d", table_name, suppressed, threshold)
    return out


def columns_without_status(table_name: str, df: pd.DataFrame) -> list[str]:
    """Suppressible columns of a table with no ``<col>_status`` beside them: a suppressed value
    there is NULL with no symbol (a schema gap to close in the mart, not here)."""
    spec = spec_for(table_name)
    columns = list(spec.protected) + [c for c in spec.linked if c not in spec.protected]
    return [c for c in columns if spec.dependencies(c) and spec.status_column(c) not in df.columns]


def disclosure_problems(table_name: str, df: pd.DataFrame, threshold: int) -> list[str]:
    """Audit a (published) frame: small counts shown, or a suppressed count recoverable by one sum.

    Returns readable problems (no values of suppressed cells); empty when the table is safe.
    """
    spec = spec_for(table_name)
    if not spec.protected:
        return []
    _check_columns(df, spec)
    problems = []
    n = len(df)
    label_cols = list(spec.group_by) + list(spec.levels)
    values, is_count, below_la, _keys = _flat(df, spec)
    small = _small(values, is_count, threshold) & below_la
    hidden = np.concatenate([
        df[spec.status_column(c)].eq(SUPPRESSED).to_numpy() if spec.status_column(c) in df.columns
        else df[c].isna().to_numpy()
        for c in spec.protected
    ])

    def where(k: int) -> str:
        return f"{spec.protected[k // n]} at {df.iloc[k % n][label_cols].to_dict()}"

    for k in np.flatnonzero(small):
        problems.append(f"published as a small number: {where(int(k))}")
    for s in _cell_sums(df, spec, _depth(df, spec)):
        unknown = [i for i in s.cells if hidden[i]]
        if s.parent is not None and hidden[s.parent]:
            unknown.append(s.parent)
        if len(unknown) == 1:
            problems.append(f"suppressed alone in its sum: {where(unknown[0])}: recoverable from the total")
    return problems
