"""Revisions: published figures that changed after they were first published.

A month's figures are first published by the run that publishes the month (its own run, or a
later month's run publishing it as a trend month: ``pipeline.step_history``), each computed from
the extracts that serve that month. A later month's build computes every earlier month-end again,
from its own extracts, which include what was recorded late (a leaver entered after the month
closed) or corrected. As DfE does between releases, the difference is kept, not hidden:

- ``<data>/first_published/<YYYY-MM>/``: the monthly tables of a month as first published (the
  Parquet files, and ``published_at.json``), written once by the publish step
  (``keep_first_publication``) and never replaced, even when the month itself is republished
  (its own serving extract corrected);
- the release stage of month M (``revisions_table``) takes the trend months' rows of M's build
  (``model.capture``: ``<table>.trailing.parquet``), after the same disclosure control as
  published rows, and compares every figure (a number with its status symbol) with its first
  publication. Each difference is a row of ``scrutiny_revisions`` (``spec/catalogue.yml``),
  published with M as a whole table.

``published/<K>/`` is never changed by a revision: the trend series stays "each month computed
from the extract that serves it", and the revisions table says what has moved since.
"""

from __future__ import annotations

import json
import math
import shutil
from datetime import date
from pathlib import Path

import pandas as pd

from workforce.config import Settings
from workforce.files import replace_directory
from workforce.frames import TypedFrame
from workforce.months import ReportingMonth
from workforce.spec.catalogue import Table, mart_tables, status_column, table

REVISIONS = "scrutiny_revisions"
FIRST_PUBLISHED = "first_published"
PUBLISHED_AT = "published_at.json"
#: The key columns of the revisions table taken from the revised row ('All' when a table has none).
ROW_KEYS = ("service_area", "team_code", "breakdown", "category")


def first_published_dir(settings: Settings, month: ReportingMonth) -> Path:
    return settings.data_dir / FIRST_PUBLISHED / month.label


def keep_first_publication(settings: Settings, month: ReportingMonth, source: Path) -> bool:
    """Keep ``source`` (a published month folder) as the month's first publication, unless one is
    kept already; returns whether it wrote one."""
    target = first_published_dir(settings, month)
    if (target / PUBLISHED_AT).is_file() or not source.is_dir():
        return False
    audit_path = source / "audit.json"
    audit = json.loads(audit_path.read_text(encoding="utf-8")) if audit_path.is_file() else {}
    names = [t.name for t in mart_tables() if t.monthly and (source / f"{t.name}.parquet").is_file()]
    if not names:
        return False

    def build(folder: Path) -> None:
        for name in names:
            shutil.copyfile(source / f"{name}.parquet", folder / f"{name}.parquet")
        (folder / PUBLISHED_AT).write_text(json.dumps({
            "month": month.label, "published_at": audit.get("published_at"), "run_id": audit.get("run_id"),
        }, indent=1), encoding="utf-8")

    target.parent.mkdir(parents=True, exist_ok=True)
    replace_directory(target, build)
    return True


def _first(settings: Settings, month: ReportingMonth) -> tuple[Path, str | None] | None:
    """Where the month's first publication is, and when it was published; None if never published."""
    kept = first_published_dir(settings, month)
    if (kept / PUBLISHED_AT).is_file():
        return kept, json.loads((kept / PUBLISHED_AT).read_text(encoding="utf-8")).get("published_at")
    published = settings.published_month_dir(month.label)
    if (published / "audit.json").is_file():
        return published, json.loads((published / "audit.json").read_text(encoding="utf-8")).get("published_at")
    return None


def _day(value) -> date:
    return value.date() if isinstance(value, pd.Timestamp) else value


def _figures(t: Table) -> list[str]:
    return [c.name for c in t.columns if c.kind not in ("key", "label")]


def _cell(row: pd.Series | None, column: str, status: str | None) -> tuple[float | None, str | None]:
    if row is None:
        return None, "x"  # no such row: not available
    symbol = row.get(status) if status else None
    symbol = symbol.strip() if isinstance(symbol, str) and symbol.strip() else None
    value = row.get(column)
    number = None if value is None or (isinstance(value, float) and math.isnan(value)) or pd.isna(value) \
        else float(value)
    return number, symbol


def _same(a: tuple[float | None, str | None], b: tuple[float | None, str | None]) -> bool:
    if a[1] != b[1]:
        return False
    if a[0] is None or b[0] is None:
        return a[0] is None and b[0] is None
    return math.isclose(a[0], b[0], rel_tol=0, abs_tol=1e-9)


def revisions_table(settings: Settings, month: ReportingMonth, trailing: dict[str, TypedFrame] | None,
                    revised_at: str) -> TypedFrame:
    """Every figure of the trend months before ``month`` whose current value (``trailing``: the
    month's build, disclosure-controlled) differs from its first publication."""
    spec = table(REVISIONS)
    rows: list[dict] = []
    for t in mart_tables():
        current = (trailing or {}).get(t.name)
        if not t.monthly or current is None or current.frame.empty:
            continue
        keys = [k for k in t.grain if k not in ("la_code", "month_end")]
        cur = current.frame.assign(_day=current.frame["month_end"].map(_day))
        for day in sorted(set(cur["_day"])):
            first = _first(settings, ReportingMonth.containing(day))
            if first is None or not (first[0] / f"{t.name}.parquet").is_file():
                continue  # never published: nothing to revise
            old = pd.read_parquet(first[0] / f"{t.name}.parquet")
            old = old[old["month_end"].map(_day) == day]
            now = cur[cur["_day"] == day]
            old_rows = {tuple(r[k] for k in keys): r for _, r in old.iterrows()}
            now_rows = {tuple(r[k] for k in keys): r for _, r in now.iterrows()}
            for key in sorted(set(old_rows) | set(now_rows), key=lambda k: tuple(str(v) for v in k)):
                o, n = old_rows.get(key), now_rows.get(key)
                either = n if n is not None else o
                assert either is not None
                la_code = either["la_code"]
                for column in _figures(t):
                    status = status_column(column) if t.column(column).status else None
                    before, after = _cell(o, column, status), _cell(n, column, status)
                    if _same(before, after):
                        continue
                    named = dict(zip(keys, key, strict=True))
                    rows.append({
                        "la_code": la_code, "revised_table": t.name, "month_end": day,
                        **{k: str(named.get(k, "All")) for k in ROW_KEYS},
                        "figure": column,
                        "first_published_value": before[0], "first_published_status": before[1],
                        "current_value": after[0], "current_status": after[1],
                        "first_published_at": first[1], "revised_at": revised_at, "revised_in": month.label,
                    })
    frame = pd.DataFrame(rows, columns=list(spec.published_columns))
    for column in ("first_published_value", "current_value"):
        frame[column] = pd.to_numeric(frame[column], errors="coerce").astype("float64")
    for column, duckdb_type in spec.column_types.items():
        if duckdb_type == "varchar":
            frame[column] = frame[column].astype("object").where(frame[column].notna(), None)
    return TypedFrame(REVISIONS, frame, dict(spec.column_types))
