"""Writing files and folders so that no reader ever sees half of one.

Every file the pipeline writes (staged and published tables, the BI file, quality results,
audit records) is written under a temporary name in the same folder, flushed to disk with
``fsync`` and moved into place with ``os.replace``, which is atomic: a reader sees the previous
complete file or the new one, and a crash leaves at most a temporary file behind.

A folder that must change as one unit (a published month, the month's capture, Data Docs) is
built whole under a temporary name beside it and swapped in by ``replace_directory``: on Linux
with ``renameat2(RENAME_EXCHANGE)``, which swaps the two folders in one step, so the folder's
name always leads to a complete folder, the previous one or the new one, never a mix; elsewhere
(or on a file system without it) by renaming the old folder aside first.

Temporary names start with ``.`` and end in ``.tmp`` (``.audit.json.<pid>-<random>.tmp``), so
readers globbing ``*.csv`` never pick one up. A process killed outright (no ``finally`` runs)
leaves its temporary files and folders behind: each step removes its own leftovers when it
starts (``remove_leftovers``), holding the lock that keeps other writers of those folders out.
``is_temp_name`` also knows DuckDB's write-ahead log beside a temporary database
(``.<name>.<pid>-<random>.tmp.wal``) and the names earlier versions used (``.<name>.tmp-<pid>``).
"""

from __future__ import annotations

import ctypes
import errno
import hashlib
import json
import os
import re
import secrets
import shutil
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

TEMP_PREFIX = "."
TEMP_SUFFIX = ".tmp"


def temp_path_for(final: Path) -> Path:
    """A fresh temporary name beside ``final`` (unique per process and call)."""
    final = Path(final)
    return final.with_name(f"{TEMP_PREFIX}{final.name}.{os.getpid()}-{secrets.token_hex(4)}{TEMP_SUFFIX}")


#: ``temp_path_for``'s names, DuckDB's ``.wal`` beside one, and earlier versions' ``.<name>.tmp-<pid>``.
_TEMP_NAME = re.compile(r"\..+\.tmp(?:-\d+)?(?:\.wal)?", re.DOTALL)


def is_temp_name(name: str) -> bool:
    """Whether a file or folder name is a temporary one (a leftover after a crash): one of
    ``temp_path_for``'s, a DuckDB write-ahead log beside one, or an earlier version's."""
    return name.startswith(TEMP_PREFIX) and _TEMP_NAME.fullmatch(name) is not None


def remove_leftovers(folder: Path, depth: int = 0) -> list[Path]:
    """Remove every temporary file or folder (``is_temp_name``) in ``folder``, and in its
    subfolders down to ``depth`` levels; returns what was removed.

    Only for a caller that keeps every other writer of ``folder`` out (the step's lock): a
    temporary name of a live writer would be removed under it. A missing folder has none.
    """
    removed: list[Path] = []
    try:
        entries = sorted(Path(folder).iterdir())
    except (FileNotFoundError, NotADirectoryError):
        return removed
    for entry in entries:
        if is_temp_name(entry.name):
            if entry.is_dir() and not entry.is_symlink():
                shutil.rmtree(entry)
            else:
                entry.unlink(missing_ok=True)
            removed.append(entry)
        elif depth > 0 and entry.is_dir() and not entry.is_symlink():
            removed += remove_leftovers(entry, depth - 1)
    if removed:
        _fsync_dir(Path(folder))
    return removed


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
    """Let ``build`` fill a temporary folder beside ``final``, then swap it in as one unit.

    Every file built is flushed to disk first. Where the system can (``exchange``: Linux), the
    new folder and the old one swap names in one atomic step, so a reader of ``final`` finds the
    old folder or the new one, complete, at every instant; the old one is then removed. Elsewhere
    the old folder is renamed aside, the new one renamed into place, then the old one removed: a
    reader may find no folder for that instant, never a half-built or mixed one. On any error
    ``final`` is left as it was; a kill leaves at most a temporary folder (``remove_leftovers``).
    """
    final = Path(final)
    final.parent.mkdir(parents=True, exist_ok=True)
    tmp, old = temp_path_for(final), temp_path_for(final)
    try:
        tmp.mkdir()
        build(tmp)
        _fsync_tree(tmp)
        if not final.exists():
            os.rename(tmp, final)
        elif not exchange(tmp, final):  # no atomic swap here: rename the old folder aside first
            os.replace(final, old)
            os.replace(tmp, final)
        _fsync_dir(final.parent)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)  # after an exchange: the old folder
        shutil.rmtree(old, ignore_errors=True)
    return final


_AT_FDCWD = -100
_RENAME_EXCHANGE = 2
#: errno values saying "no atomic exchange here" (old kernel or C library, file system without it).
_NO_EXCHANGE = frozenset({errno.ENOSYS, errno.EINVAL, errno.ENOTSUP, errno.EOPNOTSUPP})
_renameat2: list[Callable[..., int] | None] = []  # empty: not looked up yet


def _libc_renameat2() -> Callable[..., int] | None:
    if not _renameat2:
        function = None
        if sys.platform.startswith("linux"):
            try:
                function = ctypes.CDLL(None, use_errno=True).renameat2
            except (OSError, AttributeError):  # a C library older than glibc 2.28
                function = None
            else:
                function.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
                function.restype = ctypes.c_int
        _renameat2.append(function)
    return _renameat2[0]


def exchange(a: Path, b: Path) -> bool:
    """Swap the names of ``a`` and ``b`` (both must exist) in one atomic step
    (``renameat2(RENAME_EXCHANGE)``); False, having changed nothing, where that is unavailable."""
    function = _libc_renameat2()
    if function is None:
        return False
    if function(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE) == 0:
        return True
    code = ctypes.get_errno()
    if code in _NO_EXCHANGE:
        return False
    raise OSError(code, os.strerror(code), str(a), None, str(b))


def _fsync_tree(folder: Path) -> None:
    """Flush every file and folder under ``folder`` to disk (before it is swapped in)."""
    for root, dirs, names in os.walk(folder):
        for name in names:
            path = os.path.join(root, name)
            if not os.path.islink(path):
                fd = os.open(path, os.O_RDONLY)
                try:
                    os.fsync(fd)
                finally:
                    os.close(fd)
        for name in dirs:
            _fsync_dir(Path(root, name))
    _fsync_dir(folder)


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
