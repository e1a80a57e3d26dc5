"""Statistical disclosure control for published tables (``shared/spec/metrics.md``, "Symbols and
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
6. A value that already has a status (``x`` not available, ``z`` zero denominator) keeps it; its
   value is already NULL. The invariant "value NULL exactly when status is set" holds.

Limits (see ``docs/data-protection.md``): each table is protected on its own; two tables that
publish overlapping sums (e.g. a team table and ``scrutiny_workforce_monthly``'s service areas)
need one spec covering both levels. Month-to-month differences of rolling 12-month flows are not
exact identities and are not treated.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from workforce.indicators import KEY_COLUMNS, LA_LEVEL, RATES, STATUS_SUFFIX
from workforce.tables import TABLE

log = logging.getLogger(__name__)

SUPPRESSED = "c"
DEFAULT_THRESHOLD = 4


class DisclosureError(ValueError):
    """A table cannot be protected as described (unknown table, missing column, bad threshold)."""


@dataclass(frozen=True)
class DisclosureSpec:
    """How to protect one published table.

    ``counts``: columns counting people (or children), primary and secondary suppression.
    ``linked``: other value columns -> the counts whose suppression they follow (FTE of the same
    people, rates, denominators). A column is suppressed in a row when any of its counts is.
    ``group_by``: columns identifying one cross-tabulation whose cells add up (one month).
    ``levels``: hierarchy columns, coarsest first; ``total`` in a level column is the total over it
    (``("service_area",)``; a team table with area subtotals: ``("service_area", "team_code")``).
    """

    counts: tuple[str, ...]
    linked: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    group_by: tuple[str, ...] = ("la_code", "month_end")
    levels: tuple[str, ...] = ("service_area",)
    total: str = LA_LEVEL
    status_suffix: str = STATUS_SUFFIX

    def status_column(self, column: str) -> str:
        return f"{column}{self.status_suffix}"

    def dependencies(self, column: str) -> tuple[str, ...]:
        if column in self.counts:
            return (column,)
        return self.linked.get(column, ())


def _scrutiny_spec() -> DisclosureSpec:
    counts = ("inpost_headcount", "starters_headcount", "leavers_headcount", "agency_headcount", "cases")
    values: dict[str, tuple[str, ...]] = {
        # FTE and days of the same people as a headcount.
        "inpost_fte": ("inpost_headcount",),
        "starters_fte": ("starters_headcount",),
        "leavers_fte": ("leavers_headcount",),
        "agency_fte": ("agency_headcount",),
        "agency_cover_fte": ("agency_headcount",),
        # Case holders are in-post and agency workers; their FTE would reveal either.
        "case_holders_fte": ("inpost_headcount", "agency_headcount"),
        # Sickness of in-post staff: health data of the few people in a small cell.
        "working_days_lost_fte": ("inpost_headcount",),
        # Published denominators, built from the parts above (metrics.md).
        "agency_rate_fte_denominator": ("agency_headcount", "inpost_headcount"),
        "agency_rate_headcount_denominator": ("agency_headcount", "inpost_headcount"),
        "vacancy_rate_fte_denominator": ("inpost_headcount",),
        "absence_rate_fte_denominator": ("inpost_headcount",),
        # Children held by unmatched CMS professionals: part of the cases of the cell.
        "cases_unmatched": ("cases",),
        # vacancy_fte is funded posts less staff FTE, not a count of people: it is published, but
        # every rate using it with a suppressed part is suppressed below.
    }

    def deps(column: str) -> tuple[str, ...]:
        return (column,) if column in counts else values.get(column, ())

    for rate in RATES:
        values[rate.name] = tuple(dict.fromkeys(deps(rate.numerator) + deps(rate.denominator)))
    return DisclosureSpec(counts=counts, linked=values, group_by=KEY_COLUMNS[:2], levels=KEY_COLUMNS[2:])


#: Every published table needs an entry; a table with no counts of people says so with ``counts=()``.
SPECS: dict[str, DisclosureSpec] = {TABLE: _scrutiny_spec()}


def spec_for(table_name: str) -> DisclosureSpec:
    try:
        return SPECS[table_name]
    except KeyError:
        raise DisclosureError(
            f"published table {table_name!r} has no disclosure spec: add one to workforce.disclosure.SPECS "
            "(DisclosureSpec(counts=()) if it holds no counts of people)"
        ) from None


# --- the sums a table publishes -----------------------------------------------------------------


@dataclass
class _Sum:
    """parent = sum(cells): row positions in the frame; parent None when it is not a row."""

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


def _depth(df: pd.DataFrame, spec: DisclosureSpec) -> np.ndarray:
    depth = np.zeros(len(df), dtype=int)
    for c in spec.levels:
        depth += (df[c].notna() & df[c].astype("object").ne(spec.total)).to_numpy(dtype=int)
    return depth


def _suppress_count(
    values: np.ndarray, depth: np.ndarray, sums: list[_Sum], sort_keys: list[tuple], threshold: int
) -> np.ndarray:
    """Primary and secondary suppression of one count column; True where suppressed."""
    known = ~np.isnan(values)
    primary = known & (depth > 0) & (values >= 1) & (values <= threshold)
    suppressed = primary.copy()
    if threshold <= 0:
        return suppressed

    def parent_value(s: _Sum) -> float:
        if s.parent is not None:
            return values[s.parent]
        cells = values[s.cells]
        return float(np.nansum(cells))  # not a row: assume it is published elsewhere

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
        published = [i for i in s.cells if not suppressed[i] and known[i]]
        for pool in ([i for i in published if values[i] > 0], [i for i in published if values[i] == 0]):
            if pool:
                choice = min(pool, key=lambda i: (values[i], sort_keys[i]))
                suppressed[choice] = True
                return True
        if s.parent is not None and not s.parent_is_la and not suppressed[s.parent] and known[s.parent]:
            suppressed[s.parent] = True
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


def suppression_masks(df: pd.DataFrame, spec: DisclosureSpec, threshold: int) -> dict[str, np.ndarray]:
    """Per count column, where it is suppressed (primary and secondary)."""
    if not isinstance(threshold, (int, np.integer)) or isinstance(threshold, bool) or threshold < 0:
        raise DisclosureError(f"suppression threshold must be a whole number >= 0, got {threshold!r}")
    needed = set(spec.counts) | set(spec.linked) | set(spec.group_by) | set(spec.levels)
    missing = sorted(c for c in needed if c not in df.columns)
    if missing:
        raise DisclosureError(f"disclosure control: column(s) {missing} missing from the table")
    depth = _depth(df, spec)
    sums = _sums(df, spec)
    sort_keys = [
        tuple(str(v) for v in row) for row in df[list(spec.levels)].astype("object").itertuples(index=False)
    ]
    return {c: _suppress_count(_as_numbers(df[c]), depth, sums, sort_keys, int(threshold)) for c in spec.counts}


def apply_disclosure_control(table_name: str, df: pd.DataFrame, threshold: int) -> pd.DataFrame:
    """The table with small counts and everything that would reveal them suppressed (value NULL,
    status ``c``). Pure: ``df`` is not modified. See the module docstring for the rules."""
    spec = spec_for(table_name)
    if not spec.counts:
        return df.copy()
    out = df.copy()
    masks = suppression_masks(out, spec, threshold)
    columns = list(spec.counts) + [c for c in spec.linked if c not in spec.counts]
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


def disclosure_problems(table_name: str, df: pd.DataFrame, threshold: int) -> list[str]:
    """Audit a (published) frame: small counts shown, or a suppressed count recoverable by one sum.

    Returns readable problems (no values of suppressed cells); empty when the table is safe.
    """
    spec = spec_for(table_name)
    if not spec.counts:
        return []
    problems = []
    depth = _depth(df, spec)
    label_cols = list(spec.group_by) + list(spec.levels)
    for column in spec.counts:
        values = _as_numbers(df[column])
        small = (depth > 0) & (values >= 1) & (values <= threshold)
        for i in np.flatnonzero(small):
            problems.append(f"{column} published as a small number at {df.iloc[i][label_cols].to_dict()}")
        status = spec.status_column(column)
        hidden = df[status].eq(SUPPRESSED).to_numpy() if status in df.columns else np.isnan(values)
        for s in _sums(df, spec):
            unknown = [i for i in s.cells if hidden[i]]
            if s.parent is not None and hidden[s.parent]:
                unknown.append(s.parent)
            if len(unknown) == 1:
                problems.append(
                    f"{column} suppressed alone in its sum at {df.iloc[unknown[0]][label_cols].to_dict()}: "
                    "recoverable from the total"
                )
    return problems
