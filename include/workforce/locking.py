"""One writer on the warehouse at a time, and one publisher, whatever runs the steps.

DuckDB lets one process hold the warehouse file read-write, and fails every other open at once
("Could not set lock on file"). Airflow's pools and ``max_active_runs`` do not keep months apart
under a backfill (it has its own ``max_active_runs``), and a pool must exist before its tasks can
run. So every step that opens the warehouse takes this lock first: an exclusive ``flock`` on
``<data>/locks/warehouse.lock``, held for the whole step, so a month's dbt build and the
capture of its rows happen with nobody else writing in between. A waiting step says who holds
the lock and gives up with a clear error after ``WORKFORCE_LOCK_TIMEOUT_SECONDS``.

Publishing rebuilds the BI file from every published month, so two months' publish steps also
take turns (``publish_lock``, ``<data>/locks/publish.lock``): neither can drop the other's month.
The locks live outside ``published/``, which BI tools and clerks browse.

The kernel releases an flock when its holder dies, so a crashed task never leaves the warehouse
locked. The holder's description (step, month, pid, host, since) is written beside the lock for
the waiting steps' messages; it is information, never the lock itself.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import socket
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

from workforce.config import Settings

LOCKS = "locks"


class WarehouseLockTimeout(RuntimeError):
    """Another step kept the warehouse for longer than the configured timeout."""


def lock_path(settings: Settings, name: str = "warehouse") -> Path:
    return settings.data_dir / LOCKS / f"{name}.lock"


def _holder(lock: Path) -> str:
    try:
        info = json.loads(lock.with_suffix(".holder").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return "another step"
    where = f"pid {info.get('pid')} on {info.get('host')}, since {info.get('since')}"
    return f"{info.get('step')} {info.get('month')} ({where})"


def warehouse_lock(
    settings: Settings, step: str, month: str, *, say: Callable[[str], None] | None = None,
    timeout: float | None = None, poll: float = 1.0,
) -> contextlib.AbstractContextManager[None]:
    """Hold the warehouse for one step; wait (saying for whom) up to ``timeout`` seconds."""
    return _file_lock(
        lock_path(settings, "warehouse"), f"the warehouse {settings.warehouse_path}", step, month,
        say=say, timeout=settings.lock_timeout_seconds if timeout is None else timeout, poll=poll,
    )


def publish_lock(
    settings: Settings, month: str, *, say: Callable[[str], None] | None = None, timeout: float | None = None,
) -> contextlib.AbstractContextManager[None]:
    """Hold ``published/`` while one month is swapped in and the BI file rebuilt."""
    return _file_lock(
        lock_path(settings, "publish"), f"the published folder {settings.published_dir}", "publish", month,
        say=say, timeout=settings.lock_timeout_seconds if timeout is None else timeout, poll=1.0,
    )


@contextlib.contextmanager
def _file_lock(
    lock: Path, what: str, step: str, month: str, *, say: Callable[[str], None] | None, timeout: float,
    poll: float,
) -> Iterator[None]:
    lock.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        started = time.monotonic()
        told = -60.0
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                waited = time.monotonic() - started
                if waited >= timeout:
                    raise WarehouseLockTimeout(
                        f"{step} {month}: {what} has been held by {_holder(lock)} for over {timeout:.0f}s "
                        "(WORKFORCE_LOCK_TIMEOUT_SECONDS); nothing was changed. Wait for it to finish, or stop "
                        "it, and retry."
                    ) from None
                if say and waited - told >= 60:
                    say(f"{step} {month}: waiting for {what}, held by {_holder(lock)}")
                    told = waited
                time.sleep(poll)
        holder = {
            "step": step, "month": month, "pid": os.getpid(), "host": socket.gethostname(),
            "since": datetime.now(UTC).isoformat(timespec="seconds"),
        }
        with contextlib.suppress(OSError):
            lock.with_suffix(".holder").write_text(json.dumps(holder), encoding="utf-8")
        yield
    finally:
        os.close(fd)  # releases the flock
