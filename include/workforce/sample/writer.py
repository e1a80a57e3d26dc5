"""Writing the sample: the landing folder, its ``SAMPLE_DATA.json`` marker, and each extract.

Each extract date gets one file per export — CSV, or XLSX for ``SampleConfig.xlsx_exports`` —
holding the export's snapshot on that day, named ``<export>/<export>_<YYYY-MM-DD>.<ext>`` as
export contract v1 lays out. The marker, written first, says the folder holds synthetic data;
a non-empty folder without one may hold real exports and is never written into. Files carry
no clock: XLSX timestamps are pinned, so the same config writes the same bytes.
"""

from __future__ import annotations

import io
import json
import re
import shutil
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Protocol

import numpy as np
import pandas as pd

from workforce.config import SAMPLE_MARKER
from workforce.sample.config import SampleConfig
from workforce.sample.days import iso
from workforce.spec import contract

SAMPLE_NOTE = "synthetic sample data - not real people"
# The marker's name for the generator, ``workforce.generate`` since the first release (when the
# generator was one module): markers stay byte-identical and ``ingest.pseudonymise`` knows it.
GENERATOR = "workforce.generate"


class Snapshots(Protocol):
    """An export's rows as an extract on a given day would hold them (``tables.Table``, ``cms.Professionals``)."""

    def snapshot(self, d: int) -> dict[str, np.ndarray]: ...


def prepare_landing(landing: Path) -> None:
    """Make ``landing`` ready: created, or cleared of a previous sample's exports (never of real ones)."""
    if landing.exists() and not landing.is_dir():
        raise ValueError(f"landing path {landing} exists and is not a folder")
    if not landing.exists():
        landing.mkdir(parents=True)
        return
    if any(landing.iterdir()) and not (landing / SAMPLE_MARKER).is_file():
        raise ValueError(
            f"refusing to write sample data into {landing}: the folder is not empty and has no "
            f"{SAMPLE_MARKER} marker, so it may hold real exports. Use an empty folder.")
    for name in contract.EXPORTS_BY_NAME:
        target = landing / name
        if target.is_dir() and not target.is_symlink():
            shutil.rmtree(target)
        elif target.exists() or target.is_symlink():
            target.unlink()


def write_marker(landing: Path, config: SampleConfig, extract_dates: list[str],
                 exports: Sequence[contract.ExportSpec]) -> None:
    """The ``SAMPLE_DATA.json`` marker: what wrote the folder, with which config, and what it holds."""
    marker = {
        "note": SAMPLE_NOTE,
        "generator": GENERATOR,
        "config": {k: (list(v) if isinstance(v, tuple) else v) for k, v in asdict(config).items()},
        "extract_dates": extract_dates,
        "exports": [e.name for e in exports],
    }
    (landing / SAMPLE_MARKER).write_text(json.dumps(marker, indent=2, sort_keys=True) + "\n",
                                         encoding="utf-8")


def extract_path(name: str, date: str, xlsx_exports: Sequence[str]) -> str:
    """Where the extract of export ``name`` on ``date`` goes, relative to the landing folder."""
    ext = "xlsx" if name in xlsx_exports else "csv"
    return f"{name}/{name}_{date}.{ext}"


def write_extracts(landing: Path, exports: Sequence[contract.ExportSpec], tables: dict[str, Snapshots],
                   extract_days: list[int], xlsx_exports: Sequence[str],
                   say: Callable[[str], None]) -> dict[str, int]:
    """Write every export's snapshot on every extract day; return the rows of each file written."""
    files: dict[str, int] = {}
    for spec in exports:
        (landing / spec.name).mkdir(parents=True, exist_ok=True)
    for day in extract_days:
        date = iso(day)
        rows_total = 0
        for spec in exports:
            data = tables[spec.name].snapshot(day)
            rel = extract_path(spec.name, date, xlsx_exports)
            if rel.endswith(".xlsx"):
                write_xlsx(landing / rel, spec, data, f"{date}T00:00:00Z")
            else:
                write_csv(landing / rel, spec.column_names, data)
            n = len(data[spec.column_names[0]])
            files[rel] = n
            rows_total += n
        say(f"extract {date}: {len(exports)} files, {rows_total:,} rows")
    return files


def write_csv(path: Path, columns: list[str], data: dict[str, np.ndarray]) -> None:
    frame = pd.DataFrame({k: data[k] for k in columns}, columns=columns, dtype=object)
    frame.to_csv(path, index=False, lineterminator="\n", encoding="utf-8")


_CORE_DATES = re.compile(rb"(<dcterms:(?:created|modified)[^>]*>)[^<]*(</dcterms:)")


def write_xlsx(path: Path, spec: contract.ExportSpec, data: dict[str, np.ndarray],
                stamp: str) -> None:
    from openpyxl import Workbook

    numeric = {c.name for c in spec.columns if c.type in (contract.INT, contract.DECIMAL)}
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(spec.name[:31])
    names = spec.column_names
    ws.append(names)
    n = len(data[names[0]]) if names else 0
    cols = [data[name] for name in names]
    for i in range(n):
        row = []
        for name, col in zip(names, cols, strict=True):
            v = col[i]
            if v is not None and name in numeric:
                v = int(v) if re.fullmatch(r"-?\d+", v) else float(v)
            row.append(v)
        ws.append(row)
    wb.properties.creator = "workforce generate (synthetic sample data)"
    buf = io.BytesIO()
    wb.save(buf)
    # openpyxl stamps the clock into the zip entries and docProps/core.xml: pin both so
    # the same config writes the same bytes.
    src = zipfile.ZipFile(io.BytesIO(buf.getvalue()))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            content = src.read(info.filename)
            if info.filename == "docProps/core.xml":
                content = _CORE_DATES.sub(rb"\g<1>" + stamp.encode() + rb"\g<2>", content)
            fixed = zipfile.ZipInfo(info.filename, date_time=(1980, 1, 1, 0, 0, 0))
            fixed.compress_type = zipfile.ZIP_DEFLATED
            fixed.external_attr = 0o600 << 16
            dst.writestr(fixed, content)
    path.write_bytes(out.getvalue())

