"""Derived checks: rules no built-in expectation expresses, computed as helper columns.

A rate consistent with its published parts, one LA-level row per month, a breakdown not above
its LA level, ... Each check takes the frame and the parameters from the expectation's
``meta.derived`` and returns a Series aligned with the frame: ``None`` where the row is fine
(or the check does not apply), a plain-English problem where not. ``add_derived_columns``
appends one helper column per derived check; the suite's ``expect_column_values_to_be_null`` on
that column then runs inside the same GX validation and is reported like any other check.

Pandas and NumPy are imported inside the functions: importing this module stays cheap.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from workforce.spec.catalogue import LA_LEVEL, TABLE, table

if TYPE_CHECKING:  # pragma: no cover - typing only
    import pandas as pd

# Each takes the frame and the parameters from meta.derived and returns a Series aligned with
# the frame: None where the row is fine (or the check does not apply), a message where not.


def _num(df: pd.DataFrame, column: str) -> pd.Series:
    import pandas as pd

    return pd.to_numeric(df[column], errors="coerce").astype("float64")


def _fmt(value: Any) -> str:
    import pandas as pd

    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return "null"
    if isinstance(value, pd.Timestamp):
        return value.strftime("%Y-%m-%d") if value == value.normalize() else str(value)
    if isinstance(value, float):
        return f"{value:.10g}"
    return str(value)


def _row_label(row: dict) -> str:
    keys = [_fmt(row[k]) for k in table(TABLE).grain if k in row]
    return " ".join(keys) if keys else f"row {row.get('__index__')}"


def _messages(df: pd.DataFrame, mask: pd.Series, build: Callable[[dict], str]) -> pd.Series:
    import pandas as pd

    out = pd.Series([None] * len(df), index=df.index, dtype="object")
    mask = mask.fillna(False).astype(bool)
    if mask.any():
        records = df.loc[mask].to_dict("records")
        out.loc[mask] = [build({**record, "__index__": i}) for i, record in zip(mask.index[mask], records, strict=True)]
    return out


def _rate_matches_parts(
    df: pd.DataFrame,
    *,
    column: str,
    numerator: str,
    denominator: str,
    multiplier: float = 100,
    tolerance: float = 0.051,
    numerator_rounding: float = 0.0,
    denominator_rounding: float = 0.0,
) -> pd.Series:
    """rate ~= numerator / denominator * multiplier, where all three are published.

    The rate was rounded once to 1 dp from unrounded parts (error <= 0.05); FTE parts are
    published rounded to 2 dp (error <= 0.005 each), which the tolerance widens by the worst
    case of that error carried through the division. Zero denominators are another check's.
    """
    import numpy as np

    rate, num, den = _num(df, column), _num(df, numerator), _num(df, denominator)
    applies = rate.notna() & num.notna() & den.notna() & (den != 0)
    ratio = num / den.where(den != 0)
    recomputed = ratio * multiplier
    margin = den.abs() - denominator_rounding
    carried = multiplier * (numerator_rounding + ratio.abs() * denominator_rounding) / margin
    allowed = tolerance + carried.where(margin > 0, np.inf)
    mask = applies & ((rate - recomputed).abs() > allowed)

    def build(row: dict) -> str:
        i = row["__index__"]
        return (
            f"{_row_label(row)}: {column} {_fmt(row[column])} but {numerator}/{denominator}"
            f"{'' if multiplier == 1 else f' x {multiplier:g}'} = {_fmt(row[numerator])}/"
            f"{_fmt(row[denominator])} = {recomputed[i]:.3f} (tolerance {allowed[i]:.3f})"
        )

    return _messages(df, mask, build)


def _zero_denominator_not_applicable(
    df: pd.DataFrame, *, column: str, denominator: str, status_column: str, status: str = "z"
) -> pd.Series:
    """A zero denominator gives a null rate with status 'z' (or a symbol that takes precedence: 'x' not
    available, 'c' suppressed); status 'z' means a zero denominator."""
    rate, den = _num(df, column), _num(df, denominator)
    symbol = df[status_column].astype("object")
    flagged = symbol.eq(status)
    explained = flagged | symbol.isin(("x", "c"))
    zero = den.eq(0)
    mask = (zero & (rate.notna() | ~explained)) | (flagged & den.notna() & ~zero)

    def build(row: dict) -> str:
        return (
            f"{_row_label(row)}: {denominator} {_fmt(row[denominator])}, "
            f"{column} {_fmt(row[column])}, {status_column} {_fmt(row[status_column])} "
            f"(a zero denominator needs a null rate with status '{status}')"
        )

    return _messages(df, mask, build)


def _value_null_iff_status(df: pd.DataFrame, *, column: str, status_column: str) -> pd.Series:
    """The value is null exactly when a status symbol says why."""
    value_null = df[column].isna()
    status_set = df[status_column].notna()
    mask = value_null != status_set

    def build(row: dict) -> str:
        return f"{_row_label(row)}: {column} {_fmt(row[column])} with {status_column} {_fmt(row[status_column])}"

    return _messages(df, mask, build)


def _one_row_per_group(
    df: pd.DataFrame, *, column: str, value: str, group_by: list[str], expected: int = 1
) -> pd.Series:
    """Each group (e.g. la_code + month_end) has exactly ``expected`` rows with column == value."""
    hits = df[column].astype("object").eq(value).astype(int)
    counts = hits.groupby([df[g] for g in group_by], dropna=False).transform("sum")
    mask = counts != expected

    def build(row: dict) -> str:
        group = " ".join(f"{g} {_fmt(row[g])}" for g in group_by)
        n = counts[row["__index__"]]
        return f"{group} has {n} rows with {column} = '{value}' (expected {expected})"

    return _messages(df, mask, build)


def _not_greater_than_la_level(
    df: pd.DataFrame,
    *,
    column: str,
    group_by: list[str],
    level_column: str = "service_area",
    la_level: str = LA_LEVEL,
) -> pd.Series:
    """A breakdown row's value does not exceed the LA-level value of the same group."""
    values = _num(df, column)
    is_la = df[level_column].astype("object").eq(la_level)
    keys = [df[g] for g in group_by]
    la_values = values.where(is_la).groupby(keys, dropna=False).transform("max")
    mask = ~is_la & values.notna() & la_values.notna() & (values > la_values + 1e-9)

    def build(row: dict) -> str:
        return f"{_row_label(row)}: {column} {_fmt(row[column])} > LA level {_fmt(la_values[row['__index__']])}"

    return _messages(df, mask, build)


def _rounded_to(df: pd.DataFrame, *, column: str, decimals: int) -> pd.Series:
    """Values carry at most ``decimals`` decimal places (0: whole numbers)."""
    import numpy as np

    scaled = _num(df, column) * 10**decimals
    mask = scaled.notna() & ((scaled - np.round(scaled)).abs() > 1e-6)

    def build(row: dict) -> str:
        return f"{_row_label(row)}: {column} {row[column]!r} has more than {decimals} decimals"

    return _messages(df, mask, build)


def _equals_sum(df: pd.DataFrame, *, column: str, terms: dict[str, float], tolerance: float) -> pd.Series:
    """column == sum(coefficient x term) within tolerance (rows with a null part are skipped)."""
    total = sum(_num(df, term) * coef for term, coef in terms.items())
    values = _num(df, column)
    mask = values.notna() & total.notna() & ((values - total).abs() > tolerance)
    formula = " + ".join(t if c == 1 else f"{c:g} x {t}" for t, c in terms.items())

    def build(row: dict) -> str:
        return f"{_row_label(row)}: {column} {_fmt(row[column])} but {formula} = {total[row['__index__']]:.3f}"

    return _messages(df, mask, build)


def _is_month_end(df: pd.DataFrame, *, column: str) -> pd.Series:
    """Dates are the last calendar day of their month."""
    import pandas as pd

    values = pd.to_datetime(df[column], errors="coerce")
    mask = df[column].notna() & (values.isna() | ~values.dt.is_month_end | (values != values.dt.normalize()))

    def build(row: dict) -> str:
        return f"{_row_label(row)}: {column} {_fmt(row[column])} is not a month end"

    return _messages(df, mask, build)


DERIVED_CHECKS: dict[str, Callable[..., pd.Series]] = {
    "rate_matches_parts": _rate_matches_parts,
    "zero_denominator_not_applicable": _zero_denominator_not_applicable,
    "value_null_iff_status": _value_null_iff_status,
    "one_row_per_group": _one_row_per_group,
    "not_greater_than_la_level": _not_greater_than_la_level,
    "rounded_to": _rounded_to,
    "equals_sum": _equals_sum,
    "is_month_end": _is_month_end,
}


def add_derived_columns(df: pd.DataFrame, suite: dict) -> tuple[pd.DataFrame, dict[int, str]]:
    """Frame with one helper column per derived check, and errors by expectation index."""
    derived = [(i, exp) for i, exp in enumerate(suite["expectations"]) if (exp.get("meta") or {}).get("derived")]
    if not derived:
        return df, {}
    df = df.reset_index(drop=True)  # checks look rows up by label: make labels unique
    columns, errors = {}, {}
    for i, exp in derived:
        params = dict(exp["meta"]["derived"])
        check = params.pop("check")
        try:
            columns[exp["kwargs"]["column"]] = DERIVED_CHECKS[check](df, **params)
        except Exception as exc:  # a missing column or a bad parameter: report, don't crash
            errors[i] = f"could not evaluate {check}: {type(exc).__name__}: {exc}"
            columns[exp["kwargs"]["column"]] = None  # keeps the frame's shape as GX expects
    import pandas as pd

    return pd.concat([df, pd.DataFrame(columns, index=df.index)], axis=1), errors

