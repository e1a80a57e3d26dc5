"""Writing files so that no reader ever sees half of one.

Every file the pipeline writes (staged and published tables, the BI file, quality results,
audit records) is written under a temporary name in the same folder, flushed to disk with
``fsync`` and moved into place with ``os.replace``, which is atomic: a reader sees the previous
complete file or the new one, and a crash leaves at most a temporary file behind.

Temporary names start with ``.`` and end in ``.tmp`` (``.audit.json.<pid>-<random>.tmp``), so
readers globbing ``*.csv`` or ``*/audit.json`` never pick one up and a cleanup can find
leftovers with ``is_temp_name``.
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

TEMP_PREFIX = "."
TEMP_SUFFIX = ".tmp"


def temp_path_for(final: Path) -> Path:
    """A fresh temporary name beside ``final`` (unique per process and call)."""
    final = Path(final)
    return final.with_name(f"{TEMP_PREFIX}{final.name}.{os.getpid()}-{secrets.token_hex(4)}{TEMP_SUFFIX}")


def is_temp_name(name: str) -> bool:
    """Whether a file or folder name is one of ``temp_path_for``'s (a leftover after a crash)."""
    return name.startswith(TEMP_PREFIX) and name.endswith(TEMP_SUFFIX)


def atomic_write(final: Path, write: Callable[[Path], object]) -> Path:
    """Let ``write`` create the file at a temporary path, then fsync it and move it to ``final``.

    On any error the temporary file is removed and ``final`` is left as it was.
    """
    final = Path(final)
    final.parent.mkdir(parents=True, exist_ok=True)
    tmp = temp_path_for(final)
    try:
        write(tmp)
        if not tmp.is_file():
            raise FileNotFoundError(f"nothing was written to {tmp} for {final}")
        with open(tmp, "rb") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, final)
        _fsync_dir(final.parent)
    finally:
        tmp.unlink(missing_ok=True)
    return final


def write_bytes(final: Path, data: bytes) -> Path:
    return atomic_write(final, lambda tmp: tmp.write_bytes(data))


def write_text(final: Path, text: str) -> Path:
    """UTF-8 text, written atomically (line ends as given)."""
    return write_bytes(final, text.encode("utf-8"))


def write_json(final: Path, data: Any) -> Path:
    """``data`` as indented JSON (dates and paths as text), written atomically."""
    return write_text(final, json.dumps(data, indent=1, default=str) + "\n")


def sha256_file(path: Path) -> str:
    """The file's SHA-256, lower-case hex, read in blocks."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def replace_directory(final: Path, build: Callable[[Path], None]) -> Path:
    """Let ``build`` fill a temporary folder, then swap it in for ``final``.

    A folder cannot be replaced in one atomic step: the old one is renamed aside, the new one
    renamed into place, then the old one removed, so a reader may find no folder for that instant,
    never a half-built one. On any error ``final`` is left as it was.
    """
    final = Path(final)
    final.parent.mkdir(parents=True, exist_ok=True)
    tmp, old = temp_path_for(final), temp_path_for(final)
    try:
        tmp.mkdir()
        build(tmp)
        if final.exists():
            os.replace(final, old)
        os.replace(tmp, final)
        _fsync_dir(final.parent)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
        shutil.rmtree(old, ignore_errors=True)
    return final


def _fsync_dir(path: Path) -> None:
    """Make a rename in ``path`` durable (POSIX; a no-op where folders cannot be opened)."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
