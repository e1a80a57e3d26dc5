"""Where person-level outputs go: ``$WORKFORCE_DATA_DIR/restricted/``, owner-only, never published.

Folders are created 0700 and files written 0600 (a temporary file opened with those permissions,
then renamed into place, so no reader ever sees a half-written or world-readable file). The audit
trail of what was produced (``quality/returns/audit.json``) holds kinds, periods, times, file
names, SHA-256 and counts: never an identity.
"""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from workforce.config import Settings
from workforce.files import atomic_write, remove_leftovers, sha256_file, write_json

AUDIT_FILE = Path("returns") / "audit.json"


def restricted_folder(settings: Settings, *parts: str) -> Path:
    """``restricted/<parts...>``, each level created owner-only (0700), without the temporary files
    a killed run left in it (the caller holds the warehouse lock, which keeps other writers out)."""
    folder = settings.restricted_dir
    folder.mkdir(parents=True, exist_ok=True)
    os.chmod(folder, 0o700)
    for part in parts:
        folder = folder / part
        folder.mkdir(exist_ok=True)
        os.chmod(folder, 0o700)
    remove_leftovers(folder, 0)
    if settings.published_dir.resolve() in (folder.resolve(), *folder.resolve().parents):
        raise RuntimeError("the restricted folder must not be inside published/")
    return folder


def write_restricted(path: Path, data: bytes) -> Path:
    """Write ``data`` to ``path`` (owner read/write only), atomically (``files.atomic_write``: a
    temporary file created 0600, fsynced, renamed into place, the folder fsynced). A run killed
    part way leaves the old file or the new one, and at most a temporary file that the next
    ``restricted_folder`` call removes."""

    def owner_only(tmp: Path) -> None:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.chmod(tmp, 0o600)  # whatever the umask, and if the temporary name existed

    return atomic_write(path, owner_only)


def write_restricted_json(path: Path, value: Any) -> Path:
    return write_restricted(path, (json.dumps(value, indent=1, default=str) + "\n").encode())


def record(settings: Settings, kind: str, period: str, files: list[Path], **counts: Any) -> dict:
    """Add an entry to the returns audit trail: what was produced, when, the files' SHA-256."""
    from workforce.release.audit import code_version

    path = settings.quality_dir / AUDIT_FILE
    entries = json.loads(path.read_text(encoding="utf-8")) if path.is_file() else []
    entry = {
        "kind": kind,
        "period": period,
        "produced_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "code_version": code_version(),
        "files": {str(p.relative_to(settings.data_dir)): sha256_file(p).upper() for p in files},
        **counts,
    }
    entries.append(entry)
    path.parent.mkdir(parents=True, exist_ok=True)
    remove_leftovers(path.parent, 0)
    write_json(path, entries)
    return entry
