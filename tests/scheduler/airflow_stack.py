"""A real Airflow 3.3 deployment for tests: PostgreSQL metadata, scheduler, dag-processor, api-server.

``airflow_stack(env)`` is a context manager. On entry it

1. finds the PostgreSQL server binaries (``pg_ctl`` on PATH, else ``/usr/lib/postgresql/<ver>/bin``;
   as root on Debian it installs the ``postgresql`` package when neither is there), runs ``initdb``
   in a temporary folder (as the ``postgres`` system user when we are root: the server refuses to
   run as root) and starts it on a free loopback port, its unix socket in that folder;
2. writes an ``AIRFLOW_HOME`` in another temporary folder (PostgreSQL metadata through psycopg2,
   LocalExecutor, the project's ``dags/``, no examples, simple auth manager with one admin whose
   password we chose, one JWT secret shared by every component) and runs ``airflow db migrate``;
3. starts ``airflow scheduler``, ``airflow dag-processor`` and ``airflow api-server`` as
   subprocesses (the venv's ``bin`` first on PATH, each logging to a file), and waits until the
   API answers, the scheduler and dag-processor report healthy and the DAG is parsed.

On exit it stops every process it started (and their children), stops PostgreSQL and removes
both folders (set ``WORKFORCE_KEEP_AIRFLOW_STACK=1`` to keep them for a post-mortem). Every wait is
bounded; every failure raises ``StackError`` whose message ends with the tail of each component's
log (and of the failed tasks' logs). All traffic stays on 127.0.0.1.

Scheduled (cron) runs are switched off (``[scheduler] use_job_schedule = False``): unpausing a
``catchup=False`` DAG would otherwise create a run for the latest interval at once, i.e. for
today's month, which a synthetic sample does not cover. Manual (REST API) and backfill runs are
scheduled as usual.

PostgreSQL metadata needs two drivers that ``apache-airflow`` does not bring: psycopg2 (the
connection) and asyncpg (``airflow db migrate`` on 3.3 opens an async engine too).
"""

from __future__ import annotations

import contextlib
import glob
import json
import os
import pwd
import re
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
DAG_ID = "workforce_monthly"
ADMIN_USER = "admin"
LOOPBACK = "127.0.0.1"
TERMINAL_RUN_STATES = {"success", "failed"}
#: Task states that mean the run will not succeed without waiting minutes (or ever).
BAD_TASK_STATES = {"failed", "up_for_retry", "upstream_failed", "removed"}
KEEP_ENV = "WORKFORCE_KEEP_AIRFLOW_STACK"
DRIVER_HINT = ("pip install psycopg2-binary asyncpg (the project's `postgres` extra): PostgreSQL metadata needs "
               "psycopg2 for the connection and asyncpg for `airflow db migrate` on Airflow 3.3")


class StackError(AssertionError):
    """The stack could not start, a component died, or a run did not finish as expected."""


def _tail(path: Path, lines: int = 40, chars: int = 4000) -> str:
    try:
        text = path.read_text(errors="replace")
    except OSError as exc:
        return f"(cannot read {path}: {exc})"
    return "\n".join(text.splitlines()[-lines:])[-chars:]


def _task_log_tail(path: Path, lines: int = 30) -> str:
    """The end of a task log, its JSON lines shown as ``time level event`` (plus any exception)."""
    out = []
    for raw in _tail(path, lines=lines, chars=1_000_000).splitlines():
        try:
            entry = json.loads(raw)
        except ValueError:
            out.append(raw)
            continue
        if not isinstance(entry, dict):
            out.append(raw)
            continue
        text = f"{entry.get('timestamp', '')[11:19]} {entry.get('level', '')} {entry.get('event', '')}"
        for exc in entry.get("error_detail") or entry.get("exception") or []:
            if isinstance(exc, dict):
                text += f" | {exc.get('exc_type')}: {exc.get('exc_value')}"
        out.append(text)
    return "\n".join(out)[-6000:]


def free_port() -> int:
    """A TCP port free on the loopback interface right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((LOOPBACK, 0))
        return sock.getsockname()[1]


def _wait(predicate: Callable[[], Any], timeout: float, what: str, diagnostics: Callable[[], str],
          interval: float = 1.0) -> Any:
    """Call ``predicate`` until it returns something truthy; StackError after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    last_error: Exception | None = None
    while time.monotonic() < deadline:
        try:
            value = predicate()
        except StackError:
            raise
        except Exception as exc:  # not up yet: connection refused, 5xx, ...
            last_error = exc
            value = None
        if value:
            return value
        time.sleep(interval)
    detail = f" (last error: {type(last_error).__name__}: {last_error})" if last_error else ""
    raise StackError(f"timed out after {timeout:.0f}s waiting for {what}{detail}\n{diagnostics()}")


# --------------------------------------------------------------------------------------------
# PostgreSQL
# --------------------------------------------------------------------------------------------

def _version_key(path: str) -> tuple[int, ...]:
    match = re.search(r"/postgresql/([0-9.]+)/", path)
    return tuple(int(p) for p in match.group(1).split(".") if p) if match else (0,)


def find_postgres_bin() -> Path | None:
    """The folder holding ``postgres``, ``initdb`` and ``pg_ctl``: PATH first, then Debian's layout."""
    on_path = shutil.which("pg_ctl")
    candidates = [str(Path(on_path).resolve().parent)] if on_path else []
    candidates += sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=_version_key, reverse=True)
    for folder in candidates:
        if all((Path(folder) / tool).exists() for tool in ("postgres", "initdb", "pg_ctl")):
            return Path(folder)
    return None


def postgres_bin(install: bool = True) -> Path:
    """Find the server binaries; as root with apt-get, install Debian's ``postgresql`` if missing."""
    found = find_postgres_bin()
    if found:
        return found
    if install and os.geteuid() == 0 and shutil.which("apt-get"):
        env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
        cmd = ["apt-get", "install", "-y", "-q", "--no-install-recommends", "postgresql"]
        run = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=600)
        if run.returncode != 0:  # stale or missing package lists: refresh once and retry
            subprocess.run(["apt-get", "update", "-q"], env=env, capture_output=True, timeout=600)
            run = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=600)
        found = find_postgres_bin()
        if found:
            return found
        raise StackError(f"`apt-get install postgresql` did not provide the server binaries:\n"
                         f"{(run.stdout + run.stderr)[-3000:]}")
    raise StackError(
        "PostgreSQL server binaries (postgres, initdb, pg_ctl) not found on PATH or under "
        "/usr/lib/postgresql/<version>/bin. Install them, e.g. on Debian/Ubuntu as root: "
        "`apt-get install -y postgresql` (the test then finds them itself)."
    )


@dataclass
class Postgres:
    bin_dir: Path
    root: Path
    port: int
    password: str
    run_as: str | None  # system user that owns the cluster when we are root
    user: str = "postgres"

    @property
    def data_dir(self) -> Path:
        return self.root / "data"

    @property
    def log_path(self) -> Path:
        return self.root / "postgres.log"

    def sqlalchemy_url(self, database: str) -> str:
        return f"postgresql+psycopg2://{self.user}:{self.password}@{LOOPBACK}:{self.port}/{database}"

    def _cmd(self, tool: str, *args: str) -> list[str]:
        cmd = [str(self.bin_dir / tool), *args]
        return ["runuser", "-u", self.run_as, "--", *cmd] if self.run_as else cmd

    def run(self, tool: str, *args: str, timeout: float = 120) -> subprocess.CompletedProcess:
        return subprocess.run(self._cmd(tool, *args), capture_output=True, text=True, timeout=timeout,
                              cwd=self.root)

    def create_database(self, name: str) -> None:
        import psycopg2

        con = psycopg2.connect(host=LOOPBACK, port=self.port, user=self.user, password=self.password,
                               dbname="postgres", connect_timeout=10)
        try:
            con.autocommit = True
            with con.cursor() as cur:
                cur.execute(f'CREATE DATABASE "{name}"')
        finally:
            con.close()


def _postgres_system_user() -> str:
    try:
        pwd.getpwnam("postgres")
    except KeyError:
        subprocess.run(["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", "postgres"],
                       check=True, capture_output=True, timeout=60)
    if not shutil.which("runuser"):
        raise StackError("running as root but `runuser` (util-linux) is missing: cannot start PostgreSQL "
                         "as the postgres user")
    return "postgres"


@contextlib.contextmanager
def postgres_server(timeout: float = 60) -> Iterator[Postgres]:
    """A throwaway PostgreSQL cluster on a free loopback port; stopped and removed on exit."""
    bin_dir = postgres_bin()
    root = Path(tempfile.mkdtemp(prefix="workforce-pg-"))
    run_as = None
    if os.geteuid() == 0:
        run_as = _postgres_system_user()
        entry = pwd.getpwnam(run_as)
        os.chown(root, entry.pw_uid, entry.pw_gid)
    pg = Postgres(bin_dir=bin_dir, root=root, port=free_port(), password=secrets.token_hex(16), run_as=run_as)
    started = False
    try:
        pwfile = root / "pwfile"
        pwfile.write_text(pg.password + "\n")
        if run_as:
            entry = pwd.getpwnam(run_as)
            os.chown(pwfile, entry.pw_uid, entry.pw_gid)
        pwfile.chmod(0o600)
        init = pg.run("initdb", "-D", str(pg.data_dir), "-U", pg.user, f"--pwfile={pwfile}",
                      "--auth-local=trust", "--auth-host=scram-sha-256", "-E", "UTF8", "--no-locale",
                      timeout=timeout)
        pwfile.unlink()
        if init.returncode != 0:
            raise StackError(f"initdb failed:\n{(init.stdout + init.stderr)[-3000:]}")
        options = f"-p {pg.port} -k {root} -c listen_addresses={LOOPBACK} -c fsync=off -c max_connections=100"
        start = pg.run("pg_ctl", "-D", str(pg.data_dir), "-l", str(pg.log_path), "-o", options,
                       "-w", "-t", str(int(timeout)), "start", timeout=timeout + 10)
        if start.returncode != 0:
            raise StackError(f"pg_ctl start failed:\n{(start.stdout + start.stderr)[-2000:]}\n"
                             f"--- postgres.log ---\n{_tail(pg.log_path)}")
        started = True
        yield pg
    finally:
        if started:
            stop = pg.run("pg_ctl", "-D", str(pg.data_dir), "-m", "fast", "-w", "-t", "30", "stop", timeout=60)
            if stop.returncode != 0:
                _kill_postmaster(pg.data_dir)
        if os.environ.get(KEEP_ENV):
            print(f"kept PostgreSQL folder {root}")
        else:
            shutil.rmtree(root, ignore_errors=True)


def _kill_postmaster(data_dir: Path) -> None:
    try:
        pid = int((data_dir / "postmaster.pid").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, 9)


# --------------------------------------------------------------------------------------------
# Airflow
# --------------------------------------------------------------------------------------------

@dataclass
class AirflowStack:
    root: Path
    port: int
    env: dict[str, str]
    password: str
    postgres: Postgres
    procs: dict[str, subprocess.Popen] = field(default_factory=dict)
    _token: str | None = None
    _client: Any = None

    # --- plumbing -------------------------------------------------------------------------
    @property
    def home(self) -> Path:
        return self.root / "airflow_home"

    @property
    def base_url(self) -> str:
        return f"http://{LOOPBACK}:{self.port}"

    def log_path(self, name: str) -> Path:
        return self.root / "logs" / f"{name}.log"

    def airflow(self, *args: str, timeout: float = 180, check: bool = True) -> subprocess.CompletedProcess:
        """Run an ``airflow`` CLI command against this stack's metadata database."""
        run = subprocess.run([str(BIN / "airflow"), *args], env=self.env, capture_output=True, text=True,
                             timeout=timeout, cwd=self.root)
        if check and run.returncode != 0:
            raise StackError(f"`airflow {' '.join(args)}` exited {run.returncode}:\n"
                             f"{(run.stdout + run.stderr)[-4000:]}\n{self.diagnostics()}")
        return run

    def start(self, name: str, *args: str) -> None:
        log = self.log_path(name).open("ab")
        self.procs[name] = subprocess.Popen(
            [str(BIN / "airflow"), *args], env=self.env, cwd=self.root, stdout=log, stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL, start_new_session=True,
        )
        log.close()

    def check_alive(self) -> None:
        dead = {name: p.returncode for name, p in self.procs.items() if p.poll() is not None}
        if dead:
            raise StackError(f"Airflow component(s) exited: {dead}\n{self.diagnostics()}")

    def diagnostics(self, dag_id: str = DAG_ID, run_ids: list[str] | None = None) -> str:
        """Tails of every component's log, PostgreSQL's, and of the logs of tasks that did not succeed."""
        parts = []
        for name in (*self.procs, "db-migrate"):
            path = self.log_path(name)
            if path.exists():
                parts.append(f"--- {name} log (tail) ---\n{_tail(path)}")
        parts.append(f"--- postgres log (tail) ---\n{_tail(self.postgres.log_path, lines=15)}")
        for path in self._unfinished_task_logs(dag_id, run_ids):
            parts.append(f"--- task log {path.relative_to(self.home)} (tail) ---\n{_task_log_tail(path)}")
        return "\n".join(parts)

    def _unfinished_task_logs(self, dag_id: str, run_ids: list[str] | None) -> list[Path]:
        """The newest task logs (``logs/dag_id=/run_id=/task_id=/attempt=N.log``) of tasks not in success."""
        def ids(path: Path) -> tuple[str, str]:
            return path.parts[-3].removeprefix("run_id="), path.parts[-2].removeprefix("task_id=")

        logs = sorted((self.home / "logs").glob(f"dag_id={dag_id}/run_id=*/task_id=*/attempt=*.log"))
        if run_ids is not None:
            logs = [p for p in logs if ids(p)[0] in run_ids]
        try:
            ok = {(ti["dag_run_id"], ti["task_id"]) for rid in {ids(p)[0] for p in logs}
                  for ti in self.task_instances(dag_id, rid) if ti["state"] == "success"}
        except Exception:  # API down: show the newest logs
            ok = set()
        return sorted((p for p in logs if ids(p) not in ok), key=lambda p: p.stat().st_mtime)[-6:]

    # --- REST API ---------------------------------------------------------------------------
    def _http(self):
        if self._client is None:
            import httpx

            self._client = httpx.Client(base_url=self.base_url, timeout=30, trust_env=False)
        return self._client

    def token(self) -> str:
        """A JWT from the simple auth manager's ``POST /auth/token``."""
        response = self._http().post("/auth/token", json={"username": ADMIN_USER, "password": self.password})
        if response.status_code != 201:
            raise StackError(f"POST /auth/token answered {response.status_code}: {response.text[:500]}")
        return response.json()["access_token"]

    def api(self, method: str, path: str, *, expected: tuple[int, ...] = (200,), **kwargs) -> Any:
        """Call ``/api/v2<path>`` with a bearer token (fetched again once if it expired)."""
        for attempt in (1, 2):
            if self._token is None:
                self._token = self.token()
            headers = {"Authorization": f"Bearer {self._token}"}
            response = self._http().request(method, f"/api/v2{path}", headers=headers, **kwargs)
            if response.status_code == 401 and attempt == 1:
                self._token = None
                continue
            break
        if response.status_code not in expected:
            raise StackError(f"{method} /api/v2{path} answered {response.status_code}: {response.text[:1000]}")
        return response.json() if response.content else None

    def health(self) -> dict:
        response = self._http().get("/api/v2/monitor/health")
        response.raise_for_status()
        return response.json()

    def dag_runs(self, dag_id: str = DAG_ID) -> list[dict]:
        runs, offset = [], 0
        while True:
            page = self.api("GET", f"/dags/{dag_id}/dagRuns", params={"limit": 100, "offset": offset})
            runs += page["dag_runs"]
            offset += len(page["dag_runs"])
            if not page["dag_runs"] or offset >= page["total_entries"]:
                return runs

    def task_instances(self, dag_id: str, run_id: str) -> list[dict]:
        return self.api("GET", f"/dags/{dag_id}/dagRuns/{run_id}/taskInstances")["task_instances"]

    def xcom(self, dag_id: str, run_id: str, task_id: str, key: str = "return_value") -> Any:
        entry = self.api("GET", f"/dags/{dag_id}/dagRuns/{run_id}/taskInstances/{task_id}/xcomEntries/{key}",
                         params={"deserialize": "true"})
        return entry["value"]

    def ensure_pools(self, dag_id: str = DAG_ID) -> list[str]:
        """Create (1 slot) every pool the parsed DAG's tasks name that does not exist yet; returns them.

        A task in a missing pool is never scheduled. The DAG used a one-slot pool before its warehouse
        steps took a file lock; reading the pools from the parsed DAG keeps this right either way.
        """
        tasks = self.api("GET", f"/dags/{dag_id}/tasks")["tasks"]
        wanted = sorted({t["pool"] for t in tasks if t.get("pool") and t["pool"] != "default_pool"})
        existing = {p["name"] for p in self.api("GET", "/pools", params={"limit": 100})["pools"]}
        created = []
        for name in wanted:
            if name not in existing:
                self.api("POST", "/pools", expected=(200, 201),
                         json={"name": name, "slots": 1, "description": "created by the test stack"})
                created.append(name)
        return created

    def unpause(self, dag_id: str = DAG_ID) -> None:
        dag = self.api("PATCH", f"/dags/{dag_id}", params={"update_mask": "is_paused"}, json={"is_paused": False})
        if dag["is_paused"]:
            raise StackError(f"PATCH /dags/{dag_id} left the DAG paused: {dag}")

    def trigger_run(self, dag_id: str, conf: dict, logical_date: datetime | None = None,
                    note: str | None = None, run_id: str | None = None) -> str:
        """``POST /api/v2/dags/{dag_id}/dagRuns``; returns the run id."""
        body: dict[str, Any] = {"conf": conf,
                                "logical_date": (logical_date or datetime.now(UTC)).isoformat()}
        if note is not None:
            body["note"] = note
        if run_id is not None:
            body["dag_run_id"] = run_id
        run = self.api("POST", f"/dags/{dag_id}/dagRuns", expected=(200, 201), json=body)
        return run["dag_run_id"]

    def wait_for_runs(self, dag_id: str, run_ids: list[str], timeout: float, interval: float = 3.0,
                      expect_failure: bool = False) -> dict:
        """Poll until every run is ``success`` or ``failed``; fail fast when a task fails or goes up for retry
        (unless ``expect_failure``: then wait for the runs to end, however they end).

        Returns {run_id: run as the API gives it}, plus ``"task_instances"`` on each run.
        """
        wanted = set(run_ids)

        def finished():
            self.check_alive()
            runs = {r["dag_run_id"]: r for r in self.dag_runs(dag_id) if r["dag_run_id"] in wanted}
            missing = wanted - set(runs)
            if missing:
                raise StackError(f"runs {sorted(missing)} not found\n{self.diagnostics(dag_id, run_ids)}")
            for rid, run in runs.items():
                tis = self.task_instances(dag_id, rid)
                run["task_instances"] = tis
                bad = [(t["task_id"], t["state"]) for t in tis if t["state"] in BAD_TASK_STATES]
                if bad and not expect_failure:
                    raise StackError(f"run {rid} (state {run['state']}): tasks {bad}\n"
                                     f"{self.diagnostics(dag_id, run_ids)}")
            if all(r["state"] in TERMINAL_RUN_STATES for r in runs.values()):
                return runs
            return None

        return _wait(finished, timeout, f"runs {sorted(wanted)} to finish",
                     lambda: self._run_summary(dag_id, run_ids) + "\n" + self.diagnostics(dag_id, run_ids),
                     interval=interval)

    def _run_summary(self, dag_id: str, run_ids: list[str]) -> str:
        try:
            lines = []
            for rid in run_ids:
                tis = {t["task_id"]: t["state"] for t in self.task_instances(dag_id, rid)}
                lines.append(f"{rid}: {tis}")
            return "task states:\n" + "\n".join(lines)
        except Exception as exc:
            return f"(task states unavailable: {exc})"

    def backfill(self, dag_id: str, from_date: str, to_date: str, timeout: float,
                 extra_args: tuple[str, ...] = ()) -> dict:
        """``airflow backfill create`` over [from_date, to_date], then wait for all its runs to finish.

        Returns {"backfill": the backfill as the API gives it once completed, "runs": {run_id: run}}.
        """
        before = {r["dag_run_id"] for r in self.dag_runs(dag_id)}
        self.airflow("backfill", "create", "--dag-id", dag_id, "--from-date", from_date, "--to-date", to_date,
                     *extra_args, timeout=120)
        new = [r["dag_run_id"] for r in self.dag_runs(dag_id)
               if r["dag_run_id"] not in before and r["run_type"] == "backfill"]
        if not new:
            raise StackError(f"`airflow backfill create` made no runs for {from_date}..{to_date}\n"
                             f"{self.diagnostics(dag_id)}")
        runs = self.wait_for_runs(dag_id, new, timeout=timeout)

        def completed():
            backfills = self.api("GET", "/backfills", params={"dag_id": dag_id, "limit": 100})["backfills"]
            latest = max(backfills, key=lambda b: b["id"])
            return latest if latest["completed_at"] else None

        backfill = _wait(completed, 60, "the scheduler to mark the backfill completed",
                         lambda: self.diagnostics(dag_id, new), interval=2)
        return {"backfill": backfill, "runs": runs}


def _component_env(root: Path, home: Path, port: int, pg: Postgres, password_file: Path,
                   dags_folder: Path, extra_env: dict[str, str]) -> dict[str, str]:
    # Nothing Airflow- or pipeline-specific leaks in from the caller's environment.
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW", "WORKFORCE_"))}
    no_proxy = ",".join(filter(None, [env.get("NO_PROXY", ""), LOOPBACK, "localhost"]))
    pythonpath = os.pathsep.join(filter(None, [str(ROOT / "include"), env.get("PYTHONPATH", "")]))
    base = f"http://{LOOPBACK}:{port}"
    env.update(
        PATH=f"{BIN}{os.pathsep}{env.get('PATH', '')}",
        PYTHONPATH=pythonpath,  # the tasks import this checkout's workforce package
        NO_PROXY=no_proxy, no_proxy=no_proxy,
        AIRFLOW_HOME=str(home),
        AIRFLOW__CORE__DAGS_FOLDER=str(dags_folder),
        AIRFLOW__CORE__LOAD_EXAMPLES="False",
        AIRFLOW__CORE__EXECUTOR="LocalExecutor",
        AIRFLOW__CORE__PARALLELISM="4",
        AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION="True",
        AIRFLOW__CORE__AUTH_MANAGER="airflow.api_fastapi.auth.managers.simple.simple_auth_manager.SimpleAuthManager",
        AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS=f"{ADMIN_USER}:admin",
        AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS="False",
        AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE=str(password_file),
        AIRFLOW__CORE__EXECUTION_API_SERVER_URL=f"{base}/execution/",
        AIRFLOW__DATABASE__SQL_ALCHEMY_CONN=pg.sqlalchemy_url("airflow"),
        AIRFLOW__API__HOST=LOOPBACK,
        AIRFLOW__API__PORT=str(port),
        AIRFLOW__API__BASE_URL=base,
        AIRFLOW__API__WORKERS="1",
        AIRFLOW__API__SECRET_KEY=secrets.token_hex(16),
        AIRFLOW__API_AUTH__JWT_SECRET=secrets.token_hex(32),  # shared: tasks' tokens verify at the api-server
        AIRFLOW__SCHEDULER__USE_JOB_SCHEDULE="False",  # see the module docstring
        AIRFLOW__DAG_PROCESSOR__MIN_FILE_PROCESS_INTERVAL="600",  # parsed once at start; the DAG file does not change
        AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT=str(free_port()),  # not served (--skip-serve-logs); no clash
    )
    env.update(extra_env)
    return env


def check_drivers() -> None:
    missing = [m for m in ("psycopg2", "asyncpg") if _import_error(m)]
    if missing:
        raise StackError(f"missing Python module(s) {missing}: {DRIVER_HINT}")


def _import_error(module: str) -> bool:
    try:
        __import__(module)
    except ImportError:
        return True
    return False


@contextlib.contextmanager
def airflow_stack(extra_env: dict[str, str] | None = None, *, dags_folder: Path = ROOT / "dags",
                  dag_id: str = DAG_ID, start_timeout: float = 240) -> Iterator[AirflowStack]:
    """Start PostgreSQL and Airflow (scheduler, dag-processor, api-server); yield an ``AirflowStack``.

    ``extra_env`` (e.g. WORKFORCE_DATA_DIR, WORKFORCE_LANDING_DIR) goes to every component, so
    tasks see it. The DAG ``dag_id`` must parse without import errors before this yields.
    """
    check_drivers()
    started_at = time.monotonic()
    with postgres_server() as pg:
        pg.create_database("airflow")
        root = Path(tempfile.mkdtemp(prefix="workforce-airflow-"))
        port = free_port()
        password = secrets.token_urlsafe(12)
        home = root / "airflow_home"
        home.mkdir()
        (root / "logs").mkdir()
        password_file = home / "simple_auth_manager_passwords.json"
        password_file.write_text(json.dumps({ADMIN_USER: password}) + "\n")
        env = _component_env(root, home, port, pg, password_file, dags_folder, extra_env or {})
        stack = AirflowStack(root=root, port=port, env=env, password=password, postgres=pg)
        try:
            with stack.log_path("db-migrate").open("wb") as log:
                migrate = subprocess.run([str(BIN / "airflow"), "db", "migrate"], env=env, cwd=root,
                                         stdout=log, stderr=subprocess.STDOUT, timeout=300)
            if migrate.returncode != 0:
                raise StackError(f"`airflow db migrate` exited {migrate.returncode}\n{stack.diagnostics()}")
            stack.start("scheduler", "scheduler", "--skip-serve-logs")
            stack.start("dag-processor", "dag-processor")
            stack.start("api-server", "api-server", "--host", LOOPBACK, "--port", str(port), "--workers", "1")

            def remaining() -> float:
                return max(10.0, start_timeout - (time.monotonic() - started_at))

            def healthy():
                stack.check_alive()
                health = stack.health()
                return all(health.get(c, {}).get("status") == "healthy"
                           for c in ("metadatabase", "scheduler", "dag_processor"))

            _wait(healthy, remaining(), "the api-server to answer and scheduler + dag-processor to be healthy",
                  stack.diagnostics)

            def parsed():
                stack.check_alive()
                errors = stack.api("GET", "/importErrors")["import_errors"]
                if errors:
                    raise StackError(f"DAG import errors: {json.dumps(errors, indent=1)[:4000]}")
                return stack.api("GET", f"/dags/{dag_id}", expected=(200, 404)).get("dag_id") == dag_id

            _wait(parsed, remaining(), f"the dag-processor to parse {dag_id}", stack.diagnostics, interval=2)
            yield stack
        finally:
            if stack._client is not None:
                stack._client.close()
            _stop_all(stack.procs)
            if os.environ.get(KEEP_ENV):
                print(f"kept Airflow folder {root}")
            else:
                shutil.rmtree(root, ignore_errors=True)


def _stop_all(procs: dict[str, subprocess.Popen], grace: float = 30) -> None:
    """SIGTERM each component and everything it spawned (by pid), SIGKILL what is left after ``grace``."""
    import psutil

    victims: list[psutil.Process] = []
    for proc in procs.values():
        try:
            parent = psutil.Process(proc.pid)
            victims += [parent, *parent.children(recursive=True)]
        except psutil.NoSuchProcess:
            continue
    for victim in victims:
        with contextlib.suppress(psutil.NoSuchProcess):
            victim.terminate()
    _gone, alive = psutil.wait_procs(victims, timeout=grace)
    for victim in alive:
        with contextlib.suppress(psutil.NoSuchProcess):
            victim.kill()
    psutil.wait_procs(alive, timeout=10)
    for proc in procs.values():
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=5)
