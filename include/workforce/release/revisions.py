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
  published with M as a whole table. A figure M's extracts cannot compute (``x`` now: an export
  whose history does not reach back that far, such as a payroll export of the last 12 months, or
  a row no longer there) is not a revision: nothing revises it, and its first publication stands.

``published/<K>/`` is never changed by a revision: the trend series stays "each month computed
from the extract that serves it", and the revisions table says what has moved since.
"""

from __future__ import annotations

import json
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


def _status(frame: pd.DataFrame, column: str | None, present: pd.Series) -> pd.Series:
    """The status symbol of each row ('x' where the row is absent, None where it is a number)."""
    if column is None or column not in frame.columns:
        out = pd.Series([None] * len(frame), index=frame.index, dtype="object")
    else:
        raw = frame[column].astype("object")
        out = raw.where(raw.map(lambda v: isinstance(v, str) and v.strip() != ""), None).map(
            lambda v: v.strip() if isinstance(v, str) else None)
    return out.where(present, "x")


def _diff(t: Table, old: pd.DataFrame, now: pd.DataFrame) -> pd.DataFrame:
    """One row per figure that differs between ``old`` (first published) and ``now``."""
    grain = list(t.grain)
    merged = old.merge(now, on=grain, how="outer", suffixes=("_old", "_now"), indicator=True)
    has_old, has_now = merged["_merge"] != "right_only", merged["_merge"] != "left_only"
    pieces = []
    for column in _figures(t):
        status = status_column(column) if t.column(column).status else None
        v_old = pd.to_numeric(merged[f"{column}_old"], errors="coerce").astype("float64")
        v_new = pd.to_numeric(merged[f"{column}_now"], errors="coerce").astype("float64")
        s_old = _status(merged, f"{status}_old" if status else None, has_old)
        s_new = _status(merged, f"{status}_now" if status else None, has_now)
        numbers_differ = (v_old.isna() != v_new.isna()) | ((v_old - v_new).abs() > 1e-9)
        # 'x' now (the reporting month's extracts do not reach back that far, e.g. a payroll export
        # of the last 12 months, or the row is gone) revises nothing: the first publication stands
        differ = ((s_old.fillna("") != s_new.fillna("")) | numbers_differ) & (s_new.fillna("") != "x")
        if not differ.any():
            continue
        part = merged.loc[differ, grain].copy()
        part["figure"] = column
        part["first_published_value"] = v_old[differ]
        part["first_published_status"] = s_old[differ]
        part["current_value"] = v_new[differ]
        part["current_status"] = s_new[differ]
        pieces.append(part)
    return pd.concat(pieces, ignore_index=True) if pieces else pd.DataFrame()


def revisions_table(settings: Settings, month: ReportingMonth, trailing: dict[str, TypedFrame] | None,
                    revised_at: str) -> TypedFrame:
    """Every figure of the trend months before ``month`` whose current value (``trailing``: the
    month's build, disclosure-controlled) differs from its first publication."""
    spec = table(REVISIONS)
    found: list[pd.DataFrame] = []
    for t in mart_tables():
        current = (trailing or {}).get(t.name)
        if not t.monthly or current is None or current.frame.empty:
            continue
        cur = current.frame.copy()
        cur["month_end"] = cur["month_end"].map(_day)
        for day in sorted(set(cur["month_end"])):
            first = _first(settings, ReportingMonth.containing(day))
            if first is None or not (first[0] / f"{t.name}.parquet").is_file():
                continue  # never published: nothing to revise
            old = pd.read_parquet(first[0] / f"{t.name}.parquet")
            old["month_end"] = old["month_end"].map(_day)
            rows = _diff(t, old[old["month_end"] == day], cur[cur["month_end"] == day])
            if rows.empty:
                continue
            rows["revised_table"] = t.name
            rows["first_published_at"] = first[1]
            for key in ROW_KEYS:
                rows[key] = rows[key].astype(str) if key in rows.columns else "All"
            found.append(rows)
    frame = pd.concat(found, ignore_index=True) if found else pd.DataFrame(columns=list(spec.published_columns))
    frame["revised_at"], frame["revised_in"] = revised_at, month.label
    frame = frame[list(spec.published_columns)].sort_values(
        ["revised_table", "month_end", "service_area", "team_code", "breakdown", "category", "figure"]
    ).reset_index(drop=True)
    for column in ("first_published_value", "current_value"):
        frame[column] = pd.to_numeric(frame[column], errors="coerce").astype("float64")
    for column, duckdb_type in spec.column_types.items():
        if duckdb_type == "varchar":
            frame[column] = frame[column].astype("object").where(frame[column].notna(), None)
    return TypedFrame(REVISIONS, frame, dict(spec.column_types))
