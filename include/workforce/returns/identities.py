"""The restricted step's identities: SWE numbers and dates of birth, re-read from the landing files.

The warehouse holds neither (``docs/decisions/0006``): the return needs both in clear, so this
module reads them again from the extract files that served the reference date, with the
pseudonymisation key in hand, and maps each person key (the HMAC of the SWE number) to the SWE
number as the file gives it (normalised: upper case, no white space) and the date of birth. The
files are read exactly as ingest reads them, through the mapping profile when one is set
(``ingest.readers``), into a private in-memory DuckDB: nothing here touches the warehouse, a log
or a report. Only the caller's restricted writer may hold what this returns.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field
from datetime import date

import duckdb

from workforce.config import Settings


@dataclass(repr=False)
class Identities:
    """person key -> SWE number and date of birth. ``repr`` never shows a value."""

    swe: dict[str, str] = field(default_factory=dict)
    birth: dict[str, date] = field(default_factory=dict)
    files: list[str] = field(default_factory=list)  # landing files read (relative names)

    def __repr__(self) -> str:
        return f"Identities(<{len(self.swe)} people hidden>)"


def _read_columns(lf, wanted: list[str]) -> list[tuple]:
    """The text of contract columns ``wanted`` from one landing file (profile applied)."""
    from workforce.ingest.extract import _map_cells
    from workforce.ingest.landing import scan
    from workforce.ingest.readers import csv_header, load_cells, xlsx_header

    with duckdb.connect(":memory:") as con:
        header = xlsx_header(lf) if lf.is_xlsx else csv_header(lf)
        scanned = scan(lf.path, text=not lf.is_xlsx)
        if lf.reading is None:
            columns = [c for c in wanted if c in header.names]
            load_cells(con, lf, header, columns, scanned)
        else:
            sources = {lf.reading.source_name(c).lower() for c in wanted}
            load_cells(con, lf, header, [n for n in header.names if n in sources], scanned)
            columns, _ = _map_cells(con, lf.reading, header.names)
            columns = [c for c in wanted if c in columns]
        select = ", ".join(f'"{c}"' if c in columns else "null" for c in wanted)
        return con.execute(f"select {select} from _in").fetchall()


def read_identities(settings: Settings, extracts: dict[str, date], key: bytes) -> Identities:
    """SWE numbers (and, from ``hr_workers``, dates of birth) of the serving extracts of
    ``hr_workers`` and ``agency_assignments`` (export -> extract date), keyed by person key."""
    from workforce.ingest.landing import survey
    from workforce.ingest.profile import load_profile
    from workforce.ingest.pseudonymise import Pseudonymiser, normalise_identifier

    pseudonymiser = Pseudonymiser(key)
    profile = load_profile(settings.profile)
    latest = max(extracts.values())
    files = [f for f in survey(settings.landing_dir, latest, profile).usable
             if extracts.get(f.export.name) == f.extract_date and f.export.name in ("hr_workers", "agency_assignments")]
    out = Identities()
    for lf in sorted(files, key=lambda f: f.source_file):
        out.files.append(lf.source_file)
        wanted = ["swe_registration", "date_of_birth"] if lf.export.name == "hr_workers" else ["swe_registration"]
        for values in _read_columns(lf, wanted):
            raw = values[0]
            if raw is None or not normalise_identifier(str(raw)):
                continue
            person = pseudonymiser.pseudonym("staff", str(raw))
            if person is None:
                continue
            out.swe.setdefault(person, normalise_identifier(str(raw)))
            if len(values) > 1 and values[1] and person not in out.birth:
                # a bad date was quarantined at ingest: the return lacks it, and validation says so
                with contextlib.suppress(ValueError):
                    out.birth[person] = date.fromisoformat(str(values[1]).strip()[:10])
    return out
