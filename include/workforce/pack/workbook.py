"""The officers' workbook (XLSX, openpyxl): every published table of the month, ready to filter.

One sheet per published table (the month's published rows, as in its Parquet file), numbers
stored as numbers (never text), dates as dates, each status symbol in its own ``<column>_status``
column as published, the header row frozen and filterable. A Headlines sheet repeats the first
page (figure, target, rating, changes) and a Notes sheet gives every column's definition from the
catalogue and what the symbols mean. No cell starts a formula: text passes through
``publish.spreadsheet_safety.neutralise_value`` (openpyxl would store ``=...`` as a formula).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pandas as pd

from workforce.pack.data import SYMBOLS, Published, Tile
from workforce.pack.targets import Targets
from workforce.publish.spreadsheet_safety import neutralise_value
from workforce.spec.catalogue import catalogue, status_column

SHEET_PREFIX = "scrutiny_"


def sheet_name(table: str) -> str:
    """Excel allows 31 characters: the table name without its common prefix."""
    name = table[len(SHEET_PREFIX) :] if table.startswith(SHEET_PREFIX) else table
    return name[:31]


def cell_value(value: Any) -> Any:
    """A published value as an Excel cell: numbers as numbers, dates as dates, text made safe."""
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, pd.Timestamp):
        return value.date() if value == value.normalize() else value.to_pydatetime()
    if isinstance(value, dt.datetime | dt.date):
        return value
    if isinstance(value, bool):
        return value
    if hasattr(value, "item") and not isinstance(value, str):  # numpy scalars
        value = value.item()
    if isinstance(value, float) and value != value:  # NaN
        return None
    if isinstance(value, int | float):
        return value
    return neutralise_value(str(value))


def _sheet(
    wb: Any, title: str, headers: list[str], rows: list[list[Any]], widths: dict[int, float] | None = None
) -> Any:
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    ws = wb.create_sheet(title)
    ws.append([neutralise_value(h) for h in headers])
    for cell in ws[1]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    for row in rows:
        ws.append([cell_value(v) for v in row])
    for row in ws.iter_rows(min_row=2):
        for cell in row:
            if isinstance(cell.value, dt.date):
                cell.number_format = "yyyy-mm-dd"
    ws.freeze_panes = "A2"
    if rows:
        ws.auto_filter.ref = ws.dimensions
    for i, header in enumerate(headers, 1):
        width = (widths or {}).get(i) or min(60, max(10, len(str(header)) + 2))
        ws.column_dimensions[get_column_letter(i)].width = width
    return ws


def write_workbook(path: Path, published: Published, tiles: list[Tile], targets: Targets) -> Path:
    from openpyxl import Workbook

    wb = Workbook()
    wb.remove(wb.active)
    cat = catalogue()
    month = published.month
    headline_rows = []
    for t in tiles:
        target = t.target
        headline_rows.append(
            [
                t.headline.title,
                t.headline.table,
                t.column.name,
                t.value,
                t.status,
                target.target if target else None,
                target.direction if target else None,
                target.amber if target else None,
                target.red if target else None,
                t.rag or ("not rated" if target else None),
                *(part for p in t.parts for part in (p.column, p.value if p.value is not None else p.status)),
                *([None, None] * (2 - len(t.parts))),
                t.changes[0].text,
                t.changes[1].text,
            ]
        )
    _sheet(
        wb,
        "Headlines",
        [
            "Measure",
            "Table",
            "Column",
            f"Value {month.end.isoformat()}",
            "Status",
            "Target",
            "Direction",
            "Amber if worse than",
            "Red if worse than",
            "RAG",
            "Part 1 column",
            "Part 1",
            "Part 2 column",
            "Part 2",
            "Change since last month",
            "Change since last year",
        ],
        headline_rows,
        widths={1: 22, 15: 40, 16: 40},
    )
    for table in cat:
        df = published.this_month(table.name) if table.monthly else published.tables[table.name]
        columns = list(table.published_columns)
        rows = [[r[c] for c in columns] for r in df[columns].to_dict("records")]
        _sheet(wb, sheet_name(table.name), columns, rows)
    notes: list[list[Any]] = []
    for table in cat:
        for c in table.columns:
            notes.append([sheet_name(table.name), table.name, c.name, c.kind, c.type, c.definition])
            if c.status:
                notes.append(
                    [
                        sheet_name(table.name),
                        table.name,
                        status_column(c.name),
                        "status",
                        "varchar",
                        f"Symbol when {c.name} is not published as a number: c, x or z (below); empty otherwise.",
                    ]
                )
    notes.append([])
    notes.append(["Symbol", None, None, None, None, "Meaning"])
    for symbol, meaning in SYMBOLS.items():
        notes.append([symbol, None, None, None, None, meaning])
    notes.append([])
    notes.append(
        ["Targets", None, None, None, None, f"From {targets.path.name}; ratings use the published (rounded) figure."]
    )
    for t in targets:
        notes.append(
            [
                "Target",
                t.table,
                t.column,
                t.direction,
                None,
                f"target {t.target:g}; amber when worse than {t.amber:g}; red when worse than {t.red:g} ({t.better})",
            ]
        )
    _sheet(
        wb,
        "Notes",
        ["Sheet", "Table", "Column", "Kind", "Type", "Definition"],
        notes,
        widths={1: 22, 2: 32, 3: 36, 6: 110},
    )
    wb.save(path)
    return path
