"""Export tables: the true history of an export as formatted columns, and its snapshot.

Each simulation module turns its part of the history into a ``Table`` in the column order of
export contract v1 (``workforce.spec.contract``); ``Table.snapshot`` cuts out what the source
system would have exported on an extract date. The formatting helpers write values as the
contract reads them: ISO dates, decimals without trailing zeros, codes as text, None for null.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from workforce.sample.days import OPEN, month_of, month_start


def column(values: Iterable) -> np.ndarray:
    """A column of formatted values (str or None)."""
    return np.array(list(values), dtype=object)


def int_array(values: Iterable[int]) -> np.ndarray:
    """Days (or month indexes) as an int64 array, for ``iso_array`` and the snapshot masks."""
    return np.array(list(values), dtype=np.int64)


def fmt_dec(x: float, places: int = 2) -> str:
    """A decimal with at most ``places`` places and no trailing zeros past the first (0.5, 1.0)."""
    text = f"{x:.{places}f}".rstrip("0")
    return text + "0" if text.endswith(".") else text


def iso_array(days: np.ndarray) -> np.ndarray:
    """Days as ISO dates; ``OPEN`` as None."""
    out = np.empty(len(days), dtype=object)
    ok = days < OPEN
    out[ok] = np.datetime_as_string(days[ok].astype("datetime64[D]"), unit="D").astype(object)
    out[~ok] = None
    return out


def int_code(values: Iterable[int | None]) -> np.ndarray:
    """Whole-number codes as text; None stays None."""
    return column(None if v is None else str(v) for v in values)


@dataclass
class Table:
    """An export's rows over the whole history; ``snapshot(d)`` is what an extract on day d holds."""

    name: str
    cols: dict[str, np.ndarray]  # formatted values (str or None), in contract order
    since: np.ndarray | None = None  # row appears once since <= d
    blanks: tuple[tuple[np.ndarray, tuple[str, ...]], ...] = ()  # blank these while day > d
    month: np.ndarray | None = None  # transactional: month index per row (24 months up to d)
    week_day: np.ndarray | None = None  # transactional by date (weeks ending in 24 months to d)

    def snapshot(self, d: int) -> dict[str, np.ndarray]:
        n = len(next(iter(self.cols.values())))
        mask = np.ones(n, dtype=bool)
        if self.since is not None:
            mask &= self.since <= d
        dm = month_of(d)
        if self.month is not None:
            mask &= (self.month <= dm) & (self.month > dm - 24)
        if self.week_day is not None:
            mask &= (self.week_day <= d) & (self.week_day >= month_start(dm - 23))
        out = {k: v[mask] for k, v in self.cols.items()}
        for days, names in self.blanks:
            future = days[mask] > d
            if future.any():
                for name in names:
                    col = out[name].copy()
                    col[future] = None
                    out[name] = col
        return out

