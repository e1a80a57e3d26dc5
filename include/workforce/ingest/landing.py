"""The landing folder: which files are exports, what each one may be, and one pass over its bytes.

What the landing folder may hold (``docs/spec/export-contract.md``, "The landing folder"):

- one folder per export of the contract, holding files named ``<export>_YYYY-MM-DD.csv|xlsx``
  (or where and as a mapping profile says: ``ingest.profile``); anything else is ignored with a
  warning (hidden files silently);
- regular files only: a symbolic link (to a file or a folder) whose target is outside the landing
  folder is *refused*, because a link lets a file that nobody delivered be loaded without a word;
  a link inside the folder (e.g. ``latest.csv`` -> a dated file) is followed;
- at most one extract of an export per date: ``hr_workers_2026-09-30.csv`` beside
  ``hr_workers_2026-09-30.xlsx`` is refused, naming both, because which one serves the month would
  otherwise be a guess.

Refusals stop the extract before anything is loaded (``extract.ExtractError``).

``scan`` reads a file once, in blocks, and returns what the extract needs before it parses a
cell: its SHA-256 (provenance, and "already loaded?"), its line count (to map data rows to file
lines without a second read) and, for CSV, whether it is UTF-8 text; so memory does not depend on
the file's size.
"""

from __future__ import annotations

import codecs
import hashlib
import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from workforce.ingest.profile import CONTRACT, ExportProfile, Profile
from workforce.spec.contract import ExportSpec

FILE_NAME = re.compile(r"^(?P<export>[a-z_]+)_(?P<date>\d{4}-\d{2}-\d{2})\.(?P<ext>csv|xlsx)$", re.IGNORECASE)
_BLOCK = 1 << 20
_BOM = b"\xef\xbb\xbf"
#: Every byte but the control characters no cell may hold (tab, LF and CR are allowed): deleting these
#: from a block leaves only the forbidden ones (``bytes.translate`` runs at memory speed).
_NOT_CONTROL = bytes(b for b in range(256) if not (b <= 0x08 or b in (0x0B, 0x0C) or 0x0E <= b <= 0x1F or b == 0x7F))


@dataclass(frozen=True)
class LandingFile:
    export: ExportSpec
    path: Path
    source_file: str  # relative to the landing folder, with forward slashes
    extract_date: date
    reading: ExportProfile | None = None  # how the council writes it, when not the contract's shape

    @property
    def is_xlsx(self) -> bool:
        return self.path.suffix.lower() == ".xlsx"


@dataclass(frozen=True)
class Refusal:
    names: tuple[str, ...]  # the files (or folder) refused, relative to the landing folder
    message: str


@dataclass
class Landing:
    """What ``survey`` found: export files, names it ignored, and files it refuses to load."""

    files: list[LandingFile]
    ignored: list[str] = field(default_factory=list)
    refused: list[Refusal] = field(default_factory=list)

    @property
    def usable(self) -> list[LandingFile]:
        refused = {name for r in self.refused for name in r.names}
        return [f for f in self.files if f.source_file not in refused]


class LandingFolderMissing(FileNotFoundError):
    pass


def _outside(path: Path, root: Path) -> bool:
    try:
        path.resolve(strict=True).relative_to(root)
    except (ValueError, OSError):
        return True
    return False


def survey(landing_dir: Path, month_end: date | None = None, profile: Profile | None = None) -> Landing:
    """Every export file in the landing folder (optionally dated <= month_end), with refusals.
    ``profile`` (``ingest.profile``) says where each export's files are and how they are named;
    by default the contract's own layout."""
    if not landing_dir.is_dir():
        raise LandingFolderMissing(f"landing folder {landing_dir} does not exist (WORKFORCE_LANDING_DIR)")
    profile = profile or CONTRACT
    root = landing_dir.resolve()
    folders = profile.folders()
    found = Landing([])
    for folder in sorted(p for p in landing_dir.iterdir() if p.is_dir()):
        candidates = folders.get(folder.name)
        if candidates is None:
            found.ignored.append(f"{folder.name}/ (not an export of the contract"
                                 + (f" nor a folder of profile {profile.name}" if profile.path else "") + ")")
            continue
        if folder.is_symlink() and _outside(folder, root):
            found.refused.append(Refusal((f"{folder.name}/",),
                f"{folder.name}/ is a link to a folder outside the landing folder; the contract only loads files "
                "delivered into it: replace the link with the folder's files"
            ))
            continue
        by_date: dict[tuple[str, date], list[str]] = {}
        for path in sorted(folder.iterdir()):
            rel = f"{folder.name}/{path.name}"
            if path.name.startswith("."):
                continue
            match = next(((ep, d) for ep in candidates if (d := ep.match(path.name)) is not None), None)
            if path.is_symlink() and _outside(path, root):
                if match:
                    found.refused.append(Refusal((rel,),
                        f"{rel} is a link to a file outside the landing folder (or to nothing); the contract only "
                        "loads files delivered into it: copy the export in instead of linking to it"
                    ))
                continue
            if not path.is_file():
                continue
            if match is None:
                expected = " or ".join(repr(ep.file.replace("{export}", ep.export)) for ep in candidates)
                found.ignored.append(f"{rel} (its name is not {expected}, or its date is not a real date)")
                continue
            ep, extract_date = match
            if month_end is None or extract_date <= month_end:
                reading = None if ep.reads_as_is else ep
                found.files.append(LandingFile(ep.spec, path, rel, extract_date, reading))
                by_date.setdefault((ep.export, extract_date), []).append(rel)
        for (export, extract_date), names in sorted(by_date.items()):
            if len(names) > 1:
                found.refused.append(Refusal(tuple(names),
                    f"{' and '.join(names)} are {len(names)} extracts of {export} dated {extract_date}: "
                    "keep one and remove the other(s) from the landing folder"
                ))
    return found


def discover(landing_dir: Path, month_end: date | None = None,
             profile: Profile | None = None) -> tuple[list[LandingFile], list[str]]:
    """Export files (optionally dated <= month_end) and the names ignored. Refused files are left out
    (``survey`` lists them; the extract stops on them)."""
    found = survey(landing_dir, month_end, profile)
    return found.usable, found.ignored


@dataclass(frozen=True)
class Scan:
    sha256: str
    size: int
    newlines: int
    ends_with_newline: bool
    head: bytes  # the first block (for file-level checks)
    utf8_error: tuple[int, int] | None  # (offset, byte) of the first byte that is not UTF-8
    control: bool = True  # the file holds a control character other than tab, CR and LF

    @property
    def lines(self) -> int:
        """Physical lines (a last line without its newline counts)."""
        return self.newlines + (0 if self.ends_with_newline or self.size == 0 else 1)


def scan(path: Path, *, text: bool) -> Scan:
    """One pass over the file: SHA-256, newline count and (``text``) the first non-UTF-8 byte."""
    digest = hashlib.sha256()
    decoder = codecs.getincrementaldecoder("utf-8")() if text else None
    newlines = size = 0
    head = b""
    last = b""
    error: tuple[int, int] | None = None
    control = False
    with path.open("rb") as fh:
        while block := fh.read(_BLOCK):
            if not head:
                head = block
            digest.update(block)
            newlines += block.count(b"\n")
            control = control or bool(block.translate(None, _NOT_CONTROL))
            if decoder is not None and error is None:
                try:
                    decoder.decode(block)
                except UnicodeDecodeError as exc:
                    offset = size + exc.start
                    error = (offset, block[exc.start])
            size += len(block)
            last = block[-1:]
    if decoder is not None and error is None:
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            error = (size - 1, last[0] if last else 0)
    return Scan(digest.hexdigest(), size, newlines, last == b"\n", head, error, control)


def is_blank(head: bytes, size: int) -> bool:
    """Nothing but a byte-order mark and white space (the whole file is in ``head``)."""
    return size <= len(head) and not head.strip(_BOM + b" \t\r\n")
