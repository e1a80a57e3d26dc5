"""Published files are opened in spreadsheet software: no cell may start a formula.

A text cell beginning with ``=``, ``+``, ``-``, ``@``, a tab, a carriage return or a line feed (or
their full-width forms, which some spreadsheet software folds to ASCII) is read as a formula
(CSV/DDE injection: ``=HYPERLINK(...)`` in a team name). Such cells are prefixed with ``'``, which
spreadsheet software shows as text and hides. Numbers are not touched: ``-1.5`` is a number.

A carriage return inside a value is also a hazard in CSV: Python's csv writer (and so pandas)
quotes fields containing the line terminator (``\\n``) but not a lone ``\\r``, which spreadsheet
software treats as a row break, so ``"x\\r=1+1"`` would put ``=1+1`` at the start of a new row.
Carriage returns in text are therefore written as ``\\n``, inside a quoted field.

:func:`write_csv` is a drop-in for ``publish._write_csv`` with both protections; any future
XLSX writer must pass text through :func:`neutralise_value` (openpyxl stores a string starting
with ``=`` as a formula).

The file is UTF-8 with a byte-order mark (``utf-8-sig``, bytes ``EF BB BF`` first). Excel on
Windows, opening a CSV by double-click, decodes it in the system's ANSI code page (Windows-1252
in the UK) unless it starts with that mark: without it "Fostering – Équipe Nörth" shows as
"Fostering â€“ Ã‰quipe NÃ¶rth". Power BI's CSV connector takes the mark as code page 65001
(UTF-8); pandas (``read_csv``, by default or with ``encoding="utf-8-sig"``) and DuckDB
(``read_csv``) drop it, so the first column is ``month_end``, never ``\ufeffmonth_end``
(tests/publish/test_csv_for_excel.py). A reader decoding by hand with plain ``utf-8`` (Python's
``open(path, encoding="utf-8")``) keeps the mark in the first header cell: use ``utf-8-sig``.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

#: The published CSVs' encoding: UTF-8 with a byte-order mark (see the module docstring).
CSV_ENCODING = "utf-8-sig"

FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n", "\uff1d", "\uff0b", "\uff0d", "\uff20")


def neutralise_value(value):
    """A text value made safe for a spreadsheet cell; anything else unchanged."""
    if not isinstance(value, str):
        return value
    value = value.replace("\r\n", "\n").replace("\r", "\n")
    return f"'{value}" if value.startswith(FORMULA_START) else value


def neutralise_formulas(df: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``df`` with every text cell passed through :func:`neutralise_value`."""
    out = df.copy()
    for col in out.columns:
        if out[col].dtype == object or pd.api.types.is_string_dtype(out[col]):
            out[col] = out[col].map(neutralise_value, na_action="ignore")
    return out


def write_csv(df: pd.DataFrame, path: Path) -> None:
    """The published CSV format (UTF-8 with a byte-order mark, ISO dates, ``\\n`` line ends) with
    formula-safe text cells."""
    neutralise_formulas(df).to_csv(
        path, index=False, date_format="%Y-%m-%d", lineterminator="\n", encoding=CSV_ENCODING
    )
