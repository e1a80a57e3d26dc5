"""A month is published as one unit, and a kill at any moment leaves nothing a rerun does not put right.

The kills are real: a subprocess sends itself SIGKILL (no ``finally`` runs, nothing is cleaned
up) at the n-th file-system or DuckDB call of the publish step, including inside the BI file's
rebuild. Meanwhile a reader watches the month's folder. Then a rerun in a fresh process must leave
``published/`` exactly as an uninterrupted publish does: the same file names (no temporary
leftovers), the same CSV and Parquet bytes, the same audit record (but its publication time) and
the same rows in every table of the BI file. A full disk, a file-size limit and a read-only file
system in the middle of publishing are one line that says what was left as it was, and it was.

The two publications differ in every file: the month is published once (the "old" version), then
its staged tables are restaged one row shorter under a new run id (the "new" version), so any
mix of old and new files in the month's folder shows.
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from conftest import ROOT, SMALL_MONTH, copy_data, run_step, subprocess_env
from workforce import files
from workforce.cli import main
from workforce.files import write_json
from workforce.frames import read_parquet, write_parquet
from workforce.months import ReportingMonth
from workforce.release import audit
from workforce.release.stage import staged_audit_path, staged_path

pytestmark = pytest.mark.slow

def _publish(settings, *more, kill_at: int = 0) -> subprocess.CompletedProcess:
    return run_step(settings, "publish", *more, kill_at=kill_at)


# What a reader sees ------------------------------------------------------------------------------
def _digest(name: str, data: bytes) -> str:
    if name == audit.AUDIT_FILE:  # the same record but for when it was published
        record = json.loads(data)
        record.pop("published_at", None)
        data = json.dumps(record, sort_keys=True).encode()
    return hashlib.sha256(data).hexdigest()


def _read_month(folder: Path) -> dict[str, str] | None:
    """Every file of the folder found at ``folder``, read through one handle on that folder; None
    if there is none, or the folder at that name changed while it was read (a swap: read again)."""
    try:
        fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    except FileNotFoundError:
        return None
    try:
        seen = {}
        for name in sorted(os.listdir(fd)):
            try:
                handle = os.open(name, os.O_RDONLY, dir_fd=fd)
            except FileNotFoundError:
                return None
            with os.fdopen(handle, "rb") as fh:
                seen[name] = _digest(name, fh.read())
        try:
            if os.stat(folder).st_ino != os.fstat(fd).st_ino:
                return None
        except FileNotFoundError:
            return None
        return seen
    finally:
        os.close(fd)


def _bi(path: Path) -> dict[str, str]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        out = {}
        for (table,) in con.execute("select table_name from information_schema.tables order by 1").fetchall():
            volatile = " exclude (published_at)" if table == "audit_log" else ""
            frame = con.execute(f'select *{volatile} from "{table}" order by all').df()
            out[table] = hashlib.sha256(frame.to_csv(index=False).encode()).hexdigest()
        return out
    finally:
        con.close()


def _names(folder: Path) -> list[str]:
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*"))


def _state(settings) -> dict:
    """What published/ holds: every name in it (hidden ones too), the month's files, the BI tables,
    and the names and audit record copy in quality/<month>/."""
    quality = settings.quality_dir / SMALL_MONTH
    return {
        "names": _names(settings.published_dir),
        "month": _read_month(settings.published_month_dir(SMALL_MONTH)),
        "bi": _bi(settings.published_warehouse_path),
        "quality": _names(quality),
        "quality_audit": _digest(audit.AUDIT_FILE, (quality / audit.AUDIT_FILE).read_bytes()),
    }


def _restage_one_row_shorter(settings) -> None:
    """A second, different validated version of the month: every table loses its last row."""
    month = ReportingMonth.parse(SMALL_MONTH)
    record_path = staged_audit_path(settings, month)
    record = json.loads(record_path.read_text(encoding="utf-8"))
    for entry in record["published_tables"]:
        path = staged_path(settings, month, entry["table"])
        typed = read_parquet(path, entry["table"])
        if entry["table"] == "scrutiny_revisions":  # empty: nothing revised
            continue
        assert len(typed.frame) > 1
        write_parquet(path, typed.replace_frame(typed.frame.iloc[:-1].reset_index(drop=True)))
        frame = pd.read_parquet(path)
        entry.update(rows=len(frame), content_sha256=audit.content_sha256(frame))
    record["run_id"] += "-restaged"
    write_json(record_path, record)


@pytest.fixture(scope="module")
def versions(small_published, tmp_path_factory):
    """The old publication in place with the new one staged, what each looks like, and what an
    uninterrupted publish of the new one leaves (and the calls it makes, in order)."""
    base = tmp_path_factory.mktemp("versions")
    settings = copy_data(small_published, base / "old")
    _restage_one_row_shorter(settings)
    old = _state(settings)
    reference = copy_data(settings, base / "reference")
    done = _publish(reference)
    assert done.returncode == 0, done.stderr
    events = json.loads(done.stdout.strip().splitlines()[-1])
    new = _state(reference)
    assert old["month"] and new["month"] and old["month"].keys() == new["month"].keys()
    assert all(old["month"][name] != new["month"][name] for name in old["month"]
               if not name.startswith("scrutiny_revisions.")), "the versions must differ"  # no revision in either
    assert old["bi"] != new["bi"]
    return settings, old, new, events


def _kill_points(events: list[str]) -> list[int]:
    """Where to kill (1-based events): at the first and the last of each kind of rename, swap,
    removal and BI-file statement (the moments a kill can split), and at 6 points spread over the
    rest. Every kind is covered; its repeats (one per file) are the same moment for another file."""
    key = ("os.replace", "os.rename", "exchange", "shutil.rmtree", "audit_log", "duckdb ATTACH", "duckdb DETACH",
           "duckdb CREATE TABLE pub.main.published_months", "audit.finalise")
    points: set[int] = set()
    for k in key:
        at = [i for i, label in enumerate(events, 1) if k in label]
        points |= {at[0], at[-1]} if at else set()
    points |= set(range(1, len(events) + 1, max(1, len(events) // 6)))
    return sorted(points)


class _Reader(threading.Thread):
    """Reads the month's folder over and over while the publish runs; keeps what it saw."""

    def __init__(self, folder: Path):
        super().__init__(daemon=True)
        self.folder, self.seen, self.done = folder, [], threading.Event()

    def run(self) -> None:
        while not self.done.is_set():
            snapshot = _read_month(self.folder)
            if snapshot is not None:
                self.seen.append(snapshot)
            time.sleep(0.001)  # leave the publishing process the processor


def test_a_kill_at_any_point_of_publish_then_a_rerun_leaves_what_an_uninterrupted_publish_leaves(
    versions, tmp_path
):
    settings, old, new, events = versions
    assert any("duckdb CREATE" in e for e in events)  # the BI file's rebuild is among the kill points
    points = _kill_points(events)
    assert len(points) >= 12
    killed = []
    for n in points:
        copy = copy_data(settings, tmp_path / f"kill-{n}")
        reader = _Reader(copy.published_month_dir(SMALL_MONTH))
        reader.start()
        try:
            done = _publish(copy, kill_at=n)
        finally:
            reader.done.set()
            reader.join()
        assert done.returncode == -9, (n, events[n - 1], done.stderr[-2000:])
        where = f"killed at event {n}, {events[n - 1]}"
        after = _read_month(copy.published_month_dir(SMALL_MONTH))
        assert after in (old["month"], new["month"]), f"{where}: the month's folder is a mix"
        bi = _bi(copy.published_warehouse_path)
        assert bi in (old["bi"], new["bi"]), where
        assert after == new["month"] or bi == old["bi"], f"{where}: a new BI file beside the old month"
        for snapshot in reader.seen:
            assert snapshot in (old["month"], new["month"]), f"{where}: a reader saw a mix of old and new files"
        killed.append(copy)
    done = _publish(*killed)  # the reruns, in a fresh process
    assert done.returncode == 0, done.stderr
    for n, copy in zip(points, killed, strict=True):
        assert _state(copy) == new, f"rerun after a kill at event {n}, {events[n - 1]}"


def _limited(limit: int) -> str:
    """A prefix for RUNNER: no file may grow past ``limit`` bytes (EFBIG, SIGXFSZ ignored); the step
    runs through the CLI, as ``workforce run`` does."""
    return (
        "import resource, signal, sys\n"
        "signal.signal(signal.SIGXFSZ, signal.SIG_IGN)\n"
        f"resource.setrlimit(resource.RLIMIT_FSIZE, ({limit}, {limit}))\n"
        "from workforce.cli import main\n"
        "sys.exit(main(['run', '--month', sys.argv[1], '--step', 'publish']))\n"
    )


def _failure_line(stderr: str) -> str:
    lines = [line for line in stderr.splitlines() if line.startswith("workforce:")]
    assert len(lines) == 1 and "Traceback" not in stderr, stderr
    return lines[0]


def test_a_file_size_limit_in_either_swap_is_one_line_and_says_what_is_unchanged(versions, tmp_path):
    """Below the month's biggest file: nothing changes. Between it and the BI file: the month is
    the new one and the BI file still the old one, and the line says so. A rerun puts it right."""
    settings, old, new, _events = versions
    biggest = max(p.stat().st_size for p in settings.published_month_dir(SMALL_MONTH).iterdir())
    bi = settings.published_warehouse_path.stat().st_size
    assert biggest * 2 < bi
    cases = [(biggest // 2, old["month"], "published/ is as it was (the previous 2025-09, if any, and the BI file)"),
             (biggest * 2, new["month"], "published/2025-09/ holds the new files, but the BI file workforce.duckdb "
                                         "still holds the previous publication")]
    for limit, month, unchanged in cases:
        copy = copy_data(settings, tmp_path / f"limit-{limit}")
        done = subprocess.run([sys.executable, "-c", _limited(limit), SMALL_MONTH], env=subprocess_env(copy), cwd=ROOT,
                              capture_output=True, text=True, timeout=600)
        assert done.returncode == 1, done.stderr
        line = _failure_line(done.stderr)
        assert f"publish {SMALL_MONTH}: a file in the published folder {copy.published_dir} grew past" in line
        assert "File too large" in line and "ulimit -f" in line and unchanged in line, line
        state = _state(copy)
        assert state["month"] == month and state["bi"] == old["bi"]
        assert _publish(copy).returncode == 0
        assert _state(copy) == new


def test_no_space_left_in_either_swap_is_one_line_and_a_rerun_publishes_the_same(
    versions, tmp_path, monkeypatch, capsys
):
    """ENOSPC as the kernel reports it for a write it could not place: at the fsync of a file."""
    settings, old, new, _events = versions
    real_fsync = os.fsync
    for target, month in (("scrutiny_leavers_monthly.csv", old["month"]), (".workforce.duckdb.", new["month"])):
        copy = copy_data(settings, tmp_path / f"enospc-{target}")

        def full(fd, target=target):
            path = os.readlink(f"/proc/self/fd/{fd}")
            if target in Path(path).name:
                raise OSError(errno.ENOSPC, "No space left on device", path)
            return real_fsync(fd)

        for name, value in (("WORKFORCE_DATA_DIR", copy.data_dir), ("WORKFORCE_LANDING_DIR", copy.landing_dir),
                            ("WORKFORCE_HISTORY_MONTHS", "36")):
            monkeypatch.setenv(name, str(value))
        monkeypatch.setattr(os, "fsync", full)
        assert main(["run", "--month", SMALL_MONTH, "--step", "publish"]) == 1
        monkeypatch.setattr(os, "fsync", real_fsync)
        line = _failure_line(capsys.readouterr().err)
        assert f"the disk holding the published folder {copy.published_dir} is full (No space left on device" in line
        assert f"df -h {copy.published_dir}" in line
        state = _state(copy)
        assert state["month"] == month and state["bi"] == old["bi"]
        assert [n for n in state["names"] if files.is_temp_name(Path(n).name)] == []  # cleaned up on the way out
        assert main(["run", "--month", SMALL_MONTH, "--step", "publish"]) == 0
        assert _state(copy) == new


def test_a_read_only_file_system_at_the_swap_keeps_the_previous_month(versions, tmp_path, monkeypatch, capsys):
    """The pre-flight passes (the probe is written) and the swap itself is refused."""
    settings, old, new, _events = versions
    copy = copy_data(settings, tmp_path / "erofs")
    monkeypatch.setenv("WORKFORCE_DATA_DIR", str(copy.data_dir))
    monkeypatch.setenv("WORKFORCE_LANDING_DIR", str(copy.landing_dir))
    monkeypatch.setenv("WORKFORCE_HISTORY_MONTHS", "36")

    def refused(a, b):
        raise OSError(errno.EROFS, "Read-only file system", str(b))

    monkeypatch.setattr(files, "exchange", refused)
    assert main(["run", "--month", SMALL_MONTH, "--step", "publish"]) == 1
    line = _failure_line(capsys.readouterr().err)
    assert f"the published folder {copy.published_dir} is on a read-only file system" in line
    assert "published/ is as it was" in line
    assert _state(copy) == old
    monkeypatch.undo()
    monkeypatch.setenv("WORKFORCE_DATA_DIR", str(copy.data_dir))
    monkeypatch.setenv("WORKFORCE_LANDING_DIR", str(copy.landing_dir))
    monkeypatch.setenv("WORKFORCE_HISTORY_MONTHS", "36")
    assert main(["run", "--month", SMALL_MONTH, "--step", "publish"]) == 0
    assert _state(copy) == new


def test_temporary_folders_are_never_read_as_months(versions, tmp_path):
    """A temporary month folder (what a kill leaves) beside the published ones: the BI file and its
    audit log hold the published months only."""
    from workforce.publish.publisher import _build_bi_warehouse

    settings, old, _new, _events = versions
    copy = copy_data(settings, tmp_path / "leftover")
    month = copy.published_month_dir(SMALL_MONTH)
    for name in (".2025-08.4242-0a1b2c3d.tmp", ".2025-09.4242-0a1b2c3d.tmp", ".2024-01.tmp-77"):
        shutil.copytree(month, copy.published_dir / name)
    target = tmp_path / "bi.duckdb"
    months = _build_bi_warehouse(copy.published_dir, target, ReportingMonth.parse(SMALL_MONTH))
    assert months == [SMALL_MONTH]
    assert _bi(target) == old["bi"]
