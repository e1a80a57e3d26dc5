"""Environment failures are one line: what happened, what was left unchanged, what to do.

The warehouse held open by another program, a full disk or a file-size limit, a read-only or
forbidden folder, a missing landing folder: ``workforce run`` exits non-zero with one line on
stderr and no traceback (unless ``-v``), a DAG task fails with the same line
(``pipeline.failure_summary``), and nothing is half-written. The messages are checked on what
Python, DuckDB, Arrow and dbt really raise (a real DuckDB lock held by another process, a real
file-size limit, folders the process may not write) and on their texts.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import hashlib
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest
from conftest import ROOT, SMALL_MONTH, settings_for, subprocess_env
from workforce import errors, pipeline
from workforce.cli import main
from workforce.errors import EnvironmentFailure, diagnose, explained, preflight


def _settings(tmp_path: Path):
    return settings_for(tmp_path / "data", tmp_path / "landing")


def _line(exc: BaseException, settings, step="publish", unchanged="published/ is as it was") -> str:
    diagnosis = diagnose(exc, settings)
    assert diagnosis is not None, f"not recognised as an environment failure: {exc!r}"
    return EnvironmentFailure(step, SMALL_MONTH, diagnosis, unchanged).line


def _one_line_shape(line: str, step: str = "publish") -> None:
    assert "\n" not in line and "Traceback" not in line
    assert line.startswith(f"{step} {SMALL_MONTH}: ")
    assert line.endswith(f"then rerun: workforce run --month {SMALL_MONTH} --step {step} "
                         "(or clear the failed Airflow task).")


# What each failure says -------------------------------------------------------------------------
def _cases(s):
    """(exception, kind, words the line must hold): Python's, DuckDB's, Arrow's and dbt's own shapes."""
    month = s.published_dir / SMALL_MONTH
    wal = s.warehouse_path.with_name("workforce.duckdb.wal")
    return [
        (OSError(errno.ENOSPC, "No space left on device", str(month / "scrutiny_leavers_monthly.csv")), "disk_full",
         ["disk holding the published folder", str(s.published_dir), "No space left on device", "MB free",
          f"df -h {s.published_dir}"]),
        (OSError(errno.EDQUOT, "Disk quota exceeded", str(s.quality_dir / SMALL_MONTH / "x.json")), "disk_full",
         ["quota for the quality folder", "raise the quota"]),
        (OSError(errno.EFBIG, "File too large", str(wal)), "disk_full",
         ["the warehouse folder", "File too large", "ulimit -f"]),
        (duckdb.IOException(f'IO Error: Could not write file "{wal}": No space left on device'), "disk_full",
         ["disk holding the warehouse folder", str(wal)]),
        (duckdb.TransactionException(f'TransactionContext Error: Failed to commit: Could not write file "{wal}": '
                                     "File too large"), "disk_full", ["File too large", "the warehouse folder"]),
        (OSError("Error writing bytes to file. Detail: [errno 28] No space left on device"), "disk_full",
         ["is full", "No space left on device"]),
        (OSError(errno.EROFS, "Read-only file system", str(s.data_dir / "staged" / SMALL_MONTH / "t.parquet")),
         "read_only", ["the staged folder", "read-only file system", "WORKFORCE_DATA_DIR"]),
        (PermissionError(errno.EACCES, "Permission denied", str(s.landing_dir / "hr_workers" / "x.csv")),
         "permission", ["permission denied on", "the landing folder", "read", str(s.landing_dir)]),
        (PermissionError(errno.EPERM, "Operation not permitted", str(s.published_dir / "workforce.duckdb")),
         "permission", ["permission denied", "the published folder", "write"]),
        (duckdb.IOException(f'IO Error: Cannot open file "{s.warehouse_path}": Permission denied'), "permission",
         ["the warehouse folder", "write"]),
        (FileNotFoundError(errno.ENOENT, "No such file or directory", str(s.landing_dir)), "missing",
         ["the landing folder", "does not exist", "WORKFORCE_LANDING_DIR"]),
        (NotADirectoryError(errno.ENOTDIR, "Not a directory", str(s.data_dir)), "missing",
         ["the data folder", "is not a folder"]),
        (OSError(errno.ESTALE, "Stale file handle", str(s.published_dir)), "unreachable", ["Mount it again"]),
        (OSError(errno.EIO, "Input/output error", str(s.warehouse_path)), "io", ["input/output error", "dmesg"]),
        (OSError(errno.EMFILE, "Too many open files"), "handles", ["ulimit -n"]),
        (MemoryError(), "memory", ["ran out of memory"]),
        (duckdb.OutOfMemoryException("Out of Memory Error: failed to allocate data of size 8.0 MiB (8.0 MiB/9.5 MiB "
                                     "used)\n\nPossible solutions:\n* Reducing the number of threads"), "memory",
         ["8.0 MiB/9.5 MiB used", "WORKFORCE_DUCKDB_MEMORY_LIMIT"]),
        (duckdb.IOException(f'IO Error: The file "{s.warehouse_path}" exists, but it is not a valid DuckDB database '
                            "file!"), "damaged", ["not a DuckDB database", "backup"]),
        # dbt's failure carries DuckDB's lock error in its output
        (RuntimeError(f"dbt build failed (exit 2):\n  - Runtime Error\n  IO Error: Could not set lock on file "
                      f'"{s.warehouse_path}": Conflicting lock is held in /opt/dbeaver/dbeaver (PID 999999999) by '
                      "user alice. See also https://duckdb.org/docs"), "locked",
         ["the warehouse", "PID 999999999, /opt/dbeaver/dbeaver, user alice", "kill 999999999",
          "published/workforce.duckdb"]),
    ]


def test_each_environment_failure_is_one_line_naming_what_where_and_what_to_do(tmp_path):
    s = _settings(tmp_path)
    s.data_dir.write_text("a file where the data folder should be", encoding="utf-8")
    for exc, kind, words in _cases(s):
        assert diagnose(exc, s) is not None and diagnose(exc, s).kind == kind, exc  # type: ignore[union-attr]
        line = _line(exc, s)
        _one_line_shape(line)
        assert "published/ is as it was" in line
        for word in words:
            assert word in line, (word, line)


def test_a_failure_raised_from_an_environment_failure_is_recognised_through_the_chain(tmp_path):
    s = _settings(tmp_path)
    try:
        try:
            raise OSError(errno.ENOSPC, "No space left on device", str(s.quality_dir / "x"))
        except OSError as inner:
            raise RuntimeError("could not write the results") from inner
    except RuntimeError as outer:
        assert "disk holding the quality folder" in _line(outer, s)
    try:
        try:
            raise OSError(errno.EROFS, "Read-only file system", str(s.published_dir))
        except OSError:
            raise KeyError("while handling it") from None  # the context is suppressed: not the cause
    except KeyError as outer:
        assert diagnose(outer, s) is None


@pytest.mark.parametrize("exc", [
    ValueError("reporting month must look like YYYY-MM (e.g. 2026-09), got '2026-13'"),
    FileNotFoundError(errno.ENOENT, "No such file or directory"),  # names no folder of the pipeline
    FileNotFoundError("nothing was written to /x/.t.csv.1-ab.tmp for /x/t.csv"),
    RuntimeError("dbt build failed (exit 1):\n  - model.workforce.x: error - Binder Error: column y not found"),
    FileNotFoundError(errno.ENOENT, "No such file or directory", "/somewhere/staged/2025-09/t.parquet"),
    KeyError("service_area"),
    OSError(errno.EEXIST, "File exists", "/x"),
    duckdb.CatalogException("Catalog Error: Table with name foo does not exist!"),
], ids=lambda e: type(e).__name__)
def test_what_is_not_the_environment_is_not_explained_away(tmp_path, exc):
    assert diagnose(exc, _settings(tmp_path)) is None
    with pytest.raises(type(exc)), explained("publish", SMALL_MONTH, _settings(tmp_path), "x"):
        raise exc


def test_the_lock_holder_is_named_from_proc_with_its_command_and_user(tmp_path):
    s = _settings(tmp_path)
    holder = subprocess.Popen([sys.executable, "-c", "import time; print('up', flush=True); time.sleep(60)",
                               "analyst-dbeaver-standin"], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "up"  # running its own program
        text = (f'IO Error: Could not set lock on file "{s.warehouse_path}": Conflicting lock is held in '
                f"/usr/bin/python3 (PID {holder.pid}). See also https://duckdb.org/docs/current/connect/concurrency")
        line = _line(duckdb.IOException(text), s, "extract", "nothing was loaded")
    finally:
        holder.kill()
        holder.wait()
    _one_line_shape(line, "extract")
    assert f"held open by another program (PID {holder.pid}, " in line
    assert "analyst-dbeaver-standin" in line and f"kill {holder.pid}" in line
    import pwd

    assert f"user {pwd.getpwuid(os.geteuid()).pw_name}" in line
    # another DuckDB file than the warehouse: named as itself, without the BI hint
    other = _line(duckdb.IOException(text.replace(str(s.warehouse_path), "/x/other.duckdb")), s)
    assert "the DuckDB file /x/other.duckdb" in other and "published/workforce.duckdb" not in other


def test_explained_chains_the_original_and_says_what_the_step_had_reached(tmp_path):
    s = _settings(tmp_path)
    original = OSError(errno.ENOSPC, "No space left on device", str(s.published_dir / "x"))
    with pytest.raises(EnvironmentFailure) as failure, explained("publish", SMALL_MONTH, s, "first") as state:
        state.unchanged = "published/2025-09/ holds the new files, but the BI file still holds the previous one"
        raise original
    assert failure.value.__cause__ is original and failure.value.kind == "disk_full"
    assert "; published/2025-09/ holds the new files, but the BI file still holds the previous one. " in str(
        failure.value)
    with pytest.raises(KeyboardInterrupt), explained("publish", SMALL_MONTH, s, "x"):
        raise KeyboardInterrupt
    inner = EnvironmentFailure("publish", SMALL_MONTH, errors.Diagnosis("k", "what", "do"), "inner state")
    with pytest.raises(EnvironmentFailure) as kept, explained("publish", SMALL_MONTH, s, "outer state"):
        raise inner
    assert kept.value is inner  # the innermost step part knows best what it left unchanged


def test_the_dag_failure_summary_is_the_same_one_line(tmp_path):
    s = _settings(tmp_path)
    try:
        with explained("extract", SMALL_MONTH, s, "nothing was loaded"):
            raise OSError(errno.EROFS, "Read-only file system", str(s.warehouse_path))
    except EnvironmentFailure as exc:
        summary = pipeline.failure_summary("extract", SMALL_MONTH, 1, exc)
        assert summary == f"workforce_monthly FAILED: task extract, reporting month {SMALL_MONTH}, attempt 1: {exc}"
    raw = pipeline.failure_summary("wait_for_exports", SMALL_MONTH, 2, OSError(errno.EMFILE, "Too many open files"))
    assert "\n" not in raw and "ulimit -n" in raw and "attempt 2" in raw
    other = pipeline.failure_summary("validate", SMALL_MONTH, 1, RuntimeError("check failed\nsecond line"))
    assert "RuntimeError: check failed | second line" in other  # anything else: as before


# Pre-flight: nothing is changed when a folder cannot be written ----------------------------------
def test_preflight_names_the_folder_that_refused(tmp_path, monkeypatch):
    s = _settings(tmp_path)
    real_open = os.open

    def read_only_fs(path, flags, *args, **kwargs):
        if flags & (os.O_WRONLY | os.O_RDWR) and str(path).startswith(str(s.quality_dir)):
            raise OSError(errno.EROFS, "Read-only file system", str(path))
        return real_open(path, flags, *args, **kwargs)

    monkeypatch.setattr(os, "open", read_only_fs)
    with pytest.raises(OSError) as failure:
        preflight(writes=[s.data_dir / "locks", s.quality_dir / SMALL_MONTH])
    assert failure.value.filename == str(s.quality_dir / SMALL_MONTH)
    assert "the quality folder" in _line(failure.value, s) and "read-only file system" in _line(failure.value, s)
    assert sorted(p.name for p in (s.quality_dir / SMALL_MONTH).iterdir()) == []  # the probe is gone
    monkeypatch.undo()
    blocker = tmp_path / "file-not-folder"
    blocker.write_text("x", encoding="utf-8")
    with pytest.raises(OSError) as failure:
        preflight(writes=[blocker / "published"])
    assert failure.value.filename == str(blocker)


def test_missing_or_misplaced_landing_folder_is_one_line_and_nothing_is_written(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("WORKFORCE_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("WORKFORCE_LANDING_DIR", str(tmp_path / "nowhere"))
    assert main(["run", "--month", SMALL_MONTH, "--step", "extract"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert f"the landing folder {tmp_path / 'nowhere'} does not exist" in err and "WORKFORCE_LANDING_DIR" in err
    assert not (tmp_path / "data").exists()
    (tmp_path / "nowhere").write_text("a file where the landing folder should be", encoding="utf-8")
    assert main(["run", "--month", SMALL_MONTH]) == 1  # the whole run stops at extract, the same way
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "is not a folder" in err and "extract 2025-09" in err
    assert not (tmp_path / "data").exists()


def test_read_only_file_system_under_the_data_folder_changes_nothing(small_settings, capsys, monkeypatch):
    """EROFS cannot be made without privileges: the write calls raise it for the data folder."""
    s = small_settings
    real_open, real_mkdir = os.open, Path.mkdir
    monkeypatch.setenv("WORKFORCE_DATA_DIR", str(s.data_dir))
    monkeypatch.setenv("WORKFORCE_LANDING_DIR", str(s.landing_dir))
    monkeypatch.setenv("WORKFORCE_HISTORY_MONTHS", "36")
    monkeypatch.setenv("WORKFORCE_TREND_MONTHS", "1")

    def under_data(path) -> bool:
        return str(path).startswith(str(s.data_dir))

    def ro_open(path, flags, *args, **kwargs):
        if under_data(path) and flags & (os.O_WRONLY | os.O_RDWR | os.O_CREAT):
            raise OSError(errno.EROFS, "Read-only file system", str(path))
        return real_open(path, flags, *args, **kwargs)

    def ro_mkdir(self, *args, **kwargs):
        if under_data(self) and not self.is_dir():
            raise OSError(errno.EROFS, "Read-only file system", str(self))
        return real_mkdir(self, *args, **kwargs)

    s.data_dir.mkdir()
    monkeypatch.setattr(os, "open", ro_open)
    monkeypatch.setattr(Path, "mkdir", ro_mkdir)
    for step in ("extract", "transform", "validate", "publish"):
        assert main(["run", "--month", SMALL_MONTH, "--step", step]) == 1
        err = capsys.readouterr().err
        assert err.count("\n") == 1, err
        assert f"run failed: {step} {SMALL_MONTH}: the data folder {s.data_dir} is on a read-only file system" in err
        assert list(s.data_dir.iterdir()) == []


# The real thing, in another process --------------------------------------------------------------
def _cli(settings, *args: str, preexec=None, timeout: float = 600) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "workforce.cli", *args], env=subprocess_env(settings), cwd=ROOT,
                          capture_output=True, text=True, timeout=timeout, preexec_fn=preexec)


def _failure_lines(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.startswith("workforce:")]


def _tree(folder: Path) -> dict[str, str]:
    """Every file under ``folder`` (hidden ones too) and its SHA-256; the locks' notes are not data."""
    return {
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*")) if p.is_file() and p.relative_to(folder).parts[0] != "locks"
    }


@pytest.fixture(scope="module")
def extracted(small_landing_cache, tmp_path_factory):
    """A data folder with the small sample extracted (a warehouse to hold open)."""
    base = tmp_path_factory.mktemp("extracted")
    settings = settings_for(base / "data", shutil.copytree(small_landing_cache, base / "landing"))
    pipeline.step_extract(SMALL_MONTH, settings, lambda _m: None)
    return settings


@contextlib.contextmanager
def _held(path: Path, read_only: bool):
    """Another program holding the DuckDB file open, as an analyst's DBeaver does."""
    code = ("import duckdb, sys, time; con = duckdb.connect(sys.argv[1], read_only=sys.argv[2] == 'ro'); "
            "print('holding', flush=True); time.sleep(600)")
    holder = subprocess.Popen([sys.executable, "-c", code, str(path), "ro" if read_only else "rw", "analyst-dbeaver"],
                              stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "holding"
        yield holder
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.wait()


@pytest.mark.pipeline
@pytest.mark.parametrize(("step", "read_only", "verbose"), [
    ("extract", False, False), ("extract", True, False), ("transform", False, False), ("extract", False, True),
])
def test_warehouse_held_open_by_another_program(extracted, tmp_path, step, read_only, verbose):
    settings = settings_for(tmp_path / "data", extracted.landing_dir)
    shutil.copytree(extracted.data_dir, settings.data_dir)
    before = _tree(settings.data_dir)
    with _held(settings.warehouse_path, read_only) as holder:
        done = _cli(settings, *(["-v"] if verbose else []), "run", "--month", SMALL_MONTH, "--step", step)
    assert done.returncode == 1, done.stderr
    (line,) = _failure_lines(done.stderr)
    assert line.startswith(f"workforce: run failed: {step} {SMALL_MONTH}: the warehouse {settings.warehouse_path} "
                           f"is held open by another program (PID {holder.pid}, ")
    assert "analyst-dbeaver" in line and f"kill {holder.pid}" in line
    assert ("nothing was loaded" if step == "extract" else "the month's capture") in line
    assert ("Traceback" in done.stderr) is verbose
    assert _tree(settings.data_dir) == before  # nothing changed


def _without_root_overrides():
    """A ``preexec_fn`` for root: drop the capabilities that let root ignore file permissions from
    the child's bounding set, so a folder's mode stops it as it stops any other user."""
    if os.geteuid() != 0:
        return None
    libc = ctypes.CDLL(None, use_errno=True)

    def drop() -> None:
        for cap in (1, 2, 3):  # CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH, CAP_FOWNER
            if libc.prctl(24, cap, 0, 0, 0) != 0:  # PR_CAPBSET_DROP
                os._exit(97)

    return drop


def _unprivileged_cli(settings, *args):
    done = _cli(settings, *args, preexec=_without_root_overrides())
    if done.returncode == 97:
        pytest.skip("cannot drop root's permission overrides here")
    return done


@pytest.mark.parametrize(("folder", "mode", "step", "named"), [
    ("published", 0o555, "publish", "the published folder"),
    ("data", 0o555, "extract", "the data folder"),
    ("quality", 0o555, "extract", "the quality folder"),
    ("warehouse", 0o555, "transform", "the warehouse folder"),
    ("landing", 0o000, "extract", "the landing folder"),
    ("landing", 0o300, "extract", "the landing folder"),
])
def test_a_folder_the_pipeline_may_not_write_or_read_is_named(small_settings, folder, mode, step, named):
    s = small_settings
    where = {"published": s.published_dir, "data": s.data_dir, "quality": s.quality_dir,
             "warehouse": s.warehouse_path.parent, "landing": s.landing_dir}[folder]
    (s.published_dir / "2025-08").mkdir(parents=True)
    (s.published_dir / "2025-08" / "scrutiny_workforce_monthly.csv").write_text("previous\n", encoding="utf-8")
    where.mkdir(parents=True, exist_ok=True)
    before = _tree(s.data_dir)
    where.chmod(mode)
    try:
        done = _unprivileged_cli(s, "run", "--month", SMALL_MONTH, "--step", step)
    finally:
        where.chmod(0o755)
    assert done.returncode == 1, done.stderr
    (line,) = _failure_lines(done.stderr)
    assert "Traceback" not in done.stderr
    assert f"{step} {SMALL_MONTH}: permission denied" in line and f"({named} {where})" in line, line
    assert f"{'read' if folder == 'landing' else 'write'} {where}" in line
    assert _tree(s.data_dir) == before


@pytest.mark.pipeline
def test_file_size_limit_while_loading_the_warehouse_then_a_rerun_loads_the_same(small_settings, tmp_path):
    """A real EFBIG from DuckDB's own writes (RLIMIT_FSIZE, SIGXFSZ ignored): one line, nothing loaded,
    and a normal rerun loads what an uninterrupted extract loads."""
    s = small_settings
    limited = ("import resource, signal, sys; signal.signal(signal.SIGXFSZ, signal.SIG_IGN); "
               "resource.setrlimit(resource.RLIMIT_FSIZE, (1 << 20, 1 << 20)); "
               "from workforce.cli import main; sys.exit(main(sys.argv[1:]))")
    done = subprocess.run([sys.executable, "-c", limited, "run", "--month", SMALL_MONTH, "--step", "extract"],
                          env=subprocess_env(s), cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert done.returncode == 1, done.stderr
    (line,) = _failure_lines(done.stderr)
    assert "Traceback" not in done.stderr and "File too large" in line and "ulimit -f" in line
    assert "nothing was loaded: the warehouse and published/ are as they were" in line
    with duckdb.connect(str(s.warehouse_path), read_only=True) as con:
        assert con.execute("select count(*) from raw.load_manifest").fetchone() == (0,)
    assert not (s.quality_dir / SMALL_MONTH / "extract_report.json").exists()
    assert _cli(s, "run", "--month", SMALL_MONTH, "--step", "extract").returncode == 0
    reference = settings_for(tmp_path / "reference", s.landing_dir)
    pipeline.step_extract(SMALL_MONTH, reference, lambda _m: None)

    def loaded(settings):
        with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
            return con.execute("select * exclude (loaded_at) from raw.load_manifest order by all").fetchall()

    assert loaded(s) == loaded(reference)
    assert sorted(p.name for p in (s.quality_dir / SMALL_MONTH).iterdir()) == ["extract_report.json"]
