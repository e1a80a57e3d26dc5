"""Failures of the pipeline's environment, told in one line: what happened, what was left
unchanged, what to do.

A step can fail because of where it runs rather than what it reads: another program holds the
warehouse open (an analyst's DBeaver), the disk fills, a folder is read-only or the pipeline's
user may not write it, the landing folder is missing. Python, DuckDB and dbt each report that in
their own words, under a traceback. Each step runs inside ``explained``, which turns any such
error into one ``EnvironmentFailure`` whose message is a single line, e.g.::

    publish 2026-09: the disk holding the published folder /data/published is full (No space
    left on device, writing /data/published/.2026-09.81-0c1d2e3f.tmp/scrutiny_leavers_monthly.csv;
    0 MB free); published/ is as it was (the previous 2026-09 and the BI file). Free space on
    that disk (df -h /data/published), then rerun: workforce run --month 2026-09 --step publish
    (or clear the failed Airflow task).

The step says what it had left unchanged at the point it reached (``Explained.unchanged``); the
diagnosis (``diagnose``) says what happened and what to do. The original exception stays chained
(``__cause__``) for ``workforce -v`` and the task log. ``workforce run`` prints the line on
stderr and exits 1; a DAG task fails with it as the exception's message, and
``pipeline.failure_summary`` logs it.

Recognised, from an ``OSError``'s errno or the text DuckDB, Arrow and dbt put in their errors
(for the exception and every exception it was raised from):

- the DuckDB file lock ("Could not set lock on file ... Conflicting lock is held in ... (PID n)"):
  the PID, and the program and its user as ``/proc`` tells them;
- a full disk or quota, a file over the size limit (ENOSPC, EDQUOT, EFBIG);
- a read-only file system, permission denied (EROFS, EACCES, EPERM), naming the folder;
- a missing folder or a file where a folder should be (ENOENT, ENOTDIR) for the landing and
  data folders; a share that went away (ESTALE, ENOTCONN, EHOSTDOWN); a disk I/O error (EIO);
  too many open files (EMFILE, ENFILE); memory (MemoryError, ENOMEM, DuckDB's memory limit);
  a file in the warehouse's place that DuckDB cannot open as a database.

Anything else (a rejected export, a failed check, a bug) is not the environment's and passes
unchanged. ``preflight`` checks, before a step changes anything, that the folders it reads and
writes can be read and written: a real write of a small probe file, which holds for root too
(permissions do not stop root; a read-only file system or a full disk does).

Imports nothing heavy: the failure callback and the CLI use it.
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import shutil
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from workforce.config import Settings
from workforce.files import temp_path_for


@dataclass(frozen=True)
class Diagnosis:
    """What happened (``what``) and what to do about it (``todo``), each a clause of one line."""

    kind: str
    what: str
    todo: str


class EnvironmentFailure(RuntimeError):
    """A step stopped because of its environment; ``str()`` is the one line to show."""

    def __init__(self, step: str, month: str, diagnosis: Diagnosis, unchanged: str, rerun: str | None = None):
        self.step, self.month, self.diagnosis, self.unchanged = step, month, diagnosis, unchanged
        if rerun is None:
            rerun = f"workforce run --month {month} --step {step} (or clear the failed Airflow task)"
        todo = diagnosis.todo[:1].upper() + diagnosis.todo[1:]
        head = f"{step} {month}" if month else step
        self.line = _one_line(f"{head}: {diagnosis.what}; {unchanged}. {todo}, then rerun: {rerun}.")
        super().__init__(self.line)

    @property
    def kind(self) -> str:
        return self.diagnosis.kind


class Explained:
    """What the step has left unchanged so far; the step updates it as it goes."""

    def __init__(self, unchanged: str):
        self.unchanged = unchanged


@contextlib.contextmanager
def explained(step: str, month: str, settings: Settings | None, unchanged: str,
              writing: Path | None = None) -> Iterator[Explained]:
    """Run a step's body; an environment failure inside it becomes one ``EnvironmentFailure``
    (chained to the original), naming ``unchanged`` as what was left as it was. ``writing``: the
    folder to name when the error names no file (Python's and Arrow's write errors do not);
    default the data folder."""
    state = Explained(unchanged)
    try:
        yield state
    except EnvironmentFailure:
        raise
    except Exception as exc:
        diagnosis = diagnose(exc, settings, writing)
        if diagnosis is None:
            raise
        raise EnvironmentFailure(step, month, diagnosis, state.unchanged) from exc


def one_line(error: BaseException | None, step: str, month: str = "", settings: Settings | None = None,
             unchanged: str = "the log shows how far it got", rerun: str | None = None) -> str | None:
    """The line for ``error`` if it is an environment failure (explained or not yet), else None."""
    if isinstance(error, EnvironmentFailure):
        return error.line
    if error is None:
        return None
    diagnosis = diagnose(error, settings)
    if diagnosis is None:
        return None
    if rerun is None:
        rerun = f"workforce run --month {month} --step {step}" if month else f"workforce {step}"
    return EnvironmentFailure(step, month, diagnosis, unchanged, rerun).line


def preflight(*, reads: Iterable[Path] = (), writes: Iterable[Path] = ()) -> None:
    """Before a step changes anything: each folder in ``reads`` can be listed, each in ``writes``
    exists (created if need be) and takes a small file. Raises an ``OSError`` naming the folder
    that refused (the nearest one that exists, when a folder could not be created)."""
    for folder in map(Path, reads):
        try:
            os.listdir(folder)
        except OSError as exc:
            raise _about(exc, folder) from exc
    for folder in map(Path, writes):
        probe = temp_path_for(folder / "probe")
        try:
            if folder.exists() and not folder.is_dir():
                raise NotADirectoryError(errno.ENOTDIR, os.strerror(errno.ENOTDIR), str(folder))
            folder.mkdir(parents=True, exist_ok=True)
            fd = os.open(probe, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            try:
                os.write(fd, b"\0" * 4096)
            finally:
                os.close(fd)
        except OSError as exc:
            raise _about(exc, _refusing(folder)) from exc
        finally:
            with contextlib.suppress(OSError):
                probe.unlink()


def _refusing(folder: Path) -> Path:
    """``folder`` if it exists, else the nearest folder above it that does (which refused to create it)."""
    for candidate in (folder, *folder.parents):
        if candidate.exists():
            return candidate
    return folder


def _about(exc: OSError, folder: Path) -> OSError:
    return type(exc)(exc.errno, exc.strerror or os.strerror(exc.errno or 0), str(folder))


# Diagnosis ---------------------------------------------------------------------------------------
_LOCK = re.compile(
    r'Could not set lock on file "(?P<path>[^"]+)"'
    r"(?::\s*Conflicting lock is held in (?P<program>.+?) \(PID (?P<pid>\d+)\)(?: by user (?P<user>\S+))?)?"
)
_ERRNO_TEXT = re.compile(r"\[errno (\d+)\]", re.IGNORECASE)
_QUOTED_PATH = re.compile(r"""["'](/[^"'\n]+)["']""")
_DISK_FULL = frozenset({errno.ENOSPC, errno.EDQUOT})
_PERMISSION = frozenset({errno.EACCES, errno.EPERM})
_GONE = frozenset({errno.ESTALE, errno.ENOTCONN, errno.EHOSTDOWN})
_HANDLES = frozenset({errno.EMFILE, errno.ENFILE})
#: The errno values recognised from an error's text when it carries no errno of its own.
_BY_TEXT = (
    errno.ENOSPC, errno.EDQUOT, errno.EFBIG, errno.EROFS, errno.EACCES, errno.EPERM, errno.ESTALE,
    errno.ENOTCONN, errno.EHOSTDOWN, errno.EMFILE, errno.ENFILE, errno.EIO,
)
_OUT_OF_MEMORY = re.compile(r"Out of Memory Error:?\s*(?P<detail>[^\n]*)")
_NOT_A_DATABASE = re.compile(r'(?:The file|file) "(?P<path>[^"]+)" (?:exists, but it )?is not a valid DuckDB database')


def diagnose(error: BaseException, settings: Settings | None = None, writing: Path | None = None
             ) -> Diagnosis | None:
    """What happened and what to do, if ``error`` (or one it was raised from) is the environment's.
    ``writing``: where the failing write went when the error does not say (default the data folder)."""
    if writing is None and settings is not None:
        writing = settings.data_dir
    for exc in _chain(error):
        found = _diagnose_one(exc, settings, writing)
        if found is not None:
            return found
    return None


def _chain(error: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen and len(seen) < 16:
        seen.add(id(current))
        yield current
        current = current.__cause__ or (None if current.__suppress_context__ else current.__context__)


def _diagnose_one(exc: BaseException, settings: Settings | None, writing: Path | None) -> Diagnosis | None:
    text = str(exc)
    lock = _LOCK.search(text)
    if lock:
        return _locked(lock, settings)
    if isinstance(exc, MemoryError) or (isinstance(exc, OSError) and exc.errno == errno.ENOMEM):
        return Diagnosis("memory", "the machine ran out of memory",
                         "free memory on the machine, or give the pipeline's container more")
    memory = _OUT_OF_MEMORY.search(text)
    if memory:
        detail = _clause(memory["detail"]) or "its memory limit was reached"
        return Diagnosis("memory", f"DuckDB ran out of memory ({detail})",
                         "raise WORKFORCE_DUCKDB_MEMORY_LIMIT (WORKFORCE_EXTRACT_MEMORY_LIMIT for extract) if the "
                         "machine has the memory, or free memory on it")
    not_db = _NOT_A_DATABASE.search(text)
    if not_db:
        return Diagnosis("damaged", f"{not_db['path']} is not a DuckDB database the pipeline can open "
                         "(damaged, or another file in its place)",
                         "restore it from a backup, or move it aside and rerun from extract (which loads the landing "
                         "folder again)")
    code = _errno(exc, text)
    if code is None:
        return None
    path = _path(exc, text)
    if code in (errno.ENOENT, errno.ENOTDIR) and path is None:
        return None  # a missing file somewhere: only a named folder of the pipeline is the environment's
    return _by_errno(code, path or writing, settings)


def _errno(exc: BaseException, text: str) -> int | None:
    if isinstance(exc, OSError) and exc.errno:
        return exc.errno
    found = _ERRNO_TEXT.search(text)
    if found:
        return int(found[1])
    for code in _BY_TEXT:
        if os.strerror(code) in text:
            return code
    return None


def _path(exc: BaseException, text: str) -> Path | None:
    if isinstance(exc, OSError) and exc.filename:
        return Path(os.fsdecode(exc.filename))
    found = _QUOTED_PATH.search(text)
    return Path(found[1]) if found else None


def _by_errno(code: int, path: Path | None, settings: Settings | None) -> Diagnosis | None:
    role, folder = _place(path, settings)
    where = f"{role} {folder}" if folder else (str(path) if path else "a folder of the pipeline")
    on = f", writing {path}" if path and folder and path != folder else ""
    reason = os.strerror(code)
    if code in _DISK_FULL:
        free = _free(folder or path)
        quota = code == errno.EDQUOT
        what = (f"the disk quota for {where} is used up" if quota else f"the disk holding {where} is full"
                ) + f" ({reason}{on}{free})"
        check = folder or path
        return Diagnosis("disk_full", what,
                         f"free space on that disk{f' (df -h {check})' if check else ''}"
                         + (" or raise the quota" if quota else ""))
    if code == errno.EFBIG:
        return Diagnosis("disk_full", f"a file in {where} grew past the largest size this process may write "
                         f"({reason}{on}): the file-size limit (ulimit -f) or the file system's",
                         "raise the pipeline's file-size limit (ulimit -f unlimited), or move the folder to a file "
                         "system that takes larger files")
    if code == errno.EROFS:
        return Diagnosis("read_only", f"{where} is on a read-only file system ({reason}{on})",
                         f"mount it read-write, or point {_setting(role)} at a writable folder")
    if code in _PERMISSION:
        user = _user()
        landing = role.startswith("the landing folder")
        at = f" on {path}" if path and path != folder else ""
        return Diagnosis("permission", f"permission denied{at} ({where})",
                         f"let the pipeline's user ({user}) {'read' if landing else 'write'} "
                         f"{folder or path or 'the folder'} and what is in it (ls -ld {folder or path or '.'})")
    if code in (errno.ENOENT, errno.ENOTDIR) and folder and path == folder:
        if code == errno.ENOENT and not folder.exists():
            return Diagnosis("missing", f"{where} does not exist",
                             f"create it, or set {_setting(role)} to the right folder")
        if folder.exists() and not folder.is_dir():
            return Diagnosis("missing", f"{where} is not a folder (a file has its name)",
                             f"move the file away, or set {_setting(role)} to a folder")
        return None
    if code in _GONE:
        return Diagnosis("unreachable", f"{where} is not reachable ({reason}{on}): its share or mount went away",
                         "mount it again")
    if code == errno.EIO:
        return Diagnosis("io", f"the disk reported an input/output error in {where} ({reason}{on})",
                         "check the disk and its file system (dmesg), and restore any damaged file from a backup")
    if code in _HANDLES:
        return Diagnosis("handles", f"the process ran out of file handles ({reason}{on})",
                         "raise the open-files limit of the pipeline's user (ulimit -n)")
    return None


def _locked(match: re.Match[str], settings: Settings | None) -> Diagnosis:
    path = Path(match["path"])
    warehouse = settings is not None and _same(path, settings.warehouse_path)
    target = f"the warehouse {path}" if warehouse else f"the DuckDB file {path}"
    pid = match["pid"]
    if pid:
        program, user = _process(int(pid))
        program = program or match["program"] or "a program"
        user = user or match["user"]
        holder = f"PID {pid}, {program}" + (f", user {user}" if user else "")
        what = f"{target} is held open by another program ({holder})"
        stop = f" or stop it (kill {pid})"
    else:
        what, stop = f"{target} is held open by another program", ""
    hint = " (BI tools open published/workforce.duckdb, never the warehouse)" if warehouse or settings is None else ""
    return Diagnosis("locked", what, f"close that program's connection to it{hint}{stop}")


def _process(pid: int) -> tuple[str | None, str | None]:
    """The program (its command line, shortened) and user of a local process, if /proc tells."""
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
        argv = [a.decode("utf-8", "replace") for a in raw.split(b"\0") if a]
        owner = Path(f"/proc/{pid}").stat().st_uid
    except OSError:
        return None, None
    if not argv:
        try:
            argv = [Path(f"/proc/{pid}/comm").read_text(encoding="utf-8").strip()]
        except OSError:
            return None, None
    shown = [argv[0]] + [a if len(a) <= 40 else a[:37] + "..." for a in argv[1:]]  # each argument shortened
    program = _clause(" ".join(shown))
    if len(program) > 160:
        program = program[:157] + "..."
    return program, _user_name(owner)


def _user_name(uid: int) -> str:
    try:
        import pwd

        return pwd.getpwuid(uid).pw_name
    except (ImportError, KeyError):
        return str(uid)


def _user() -> str:
    try:
        return _user_name(os.geteuid())
    except AttributeError:  # not POSIX
        return os.environ.get("USERNAME", "the pipeline's user")


def _places(settings: Settings) -> list[tuple[Path, str]]:
    data = settings.data_dir
    return [
        (settings.landing_dir, "the landing folder"),
        (settings.published_dir, "the published folder"),
        (settings.warehouse_path.parent, "the warehouse folder"),
        (settings.quality_dir, "the quality folder"),
        (data / "staged", "the staged folder"),
        (data / "model", "the capture folder"),
        (data / "dbt", "dbt's folder"),
        (data / "tmp", "the temporary folder"),
        (data / "locks", "the locks folder"),
        (data, "the data folder"),
    ]


def _place(path: Path | None, settings: Settings | None) -> tuple[str, Path | None]:
    """Which of the pipeline's folders ``path`` is in (the deepest), and that folder."""
    if path is None or settings is None:
        return "a folder", None
    best: tuple[int, str, Path] | None = None
    for folder, role in _places(settings):
        if _same(path, folder) or _inside(path, folder):
            depth = len(folder.parts)
            if best is None or depth > best[0]:
                best = (depth, role, folder)
    return ("a folder", None) if best is None else (best[1], best[2])


def _setting(role: str) -> str:
    return "WORKFORCE_LANDING_DIR" if role.startswith("the landing folder") else "WORKFORCE_DATA_DIR"


def _same(a: Path, b: Path) -> bool:
    return os.path.normpath(a) == os.path.normpath(b)


def _inside(path: Path, folder: Path) -> bool:
    try:
        Path(os.path.normpath(path)).relative_to(os.path.normpath(folder))
    except ValueError:
        return False
    return True


def _free(path: Path | None) -> str:
    for candidate in ([path, *path.parents] if path else []):
        try:
            usage = shutil.disk_usage(candidate)
        except OSError:
            continue
        return f"; {usage.free // (1 << 20)} MB free"
    return ""


def _clause(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip().rstrip(".")


def _one_line(text: str) -> str:
    return re.sub(r"\s*\n\s*", " ", text).strip()
