"""Benchmark the monthly pipeline on generated councils of several sizes and print the figures.

    make bench                                   # 1x, 4x and 16x; the DAG on 1x (long: 16x takes a while)
    .venv/bin/python scripts/benchmark.py --sizes 0.25 --dag-sizes ''     # a quick check
    .venv/bin/python scripts/benchmark.py [--month 2026-09] [--sizes 1,4,16] [--dag-sizes 1] [--keep DIR]

For each size factor (1x is the default sample: 350 LA-employed social workers, 120 agency
workers, 12 monthly extracts; 4x and 16x scale the workers, not the extracts) it generates the
sample exports into a folder of its own, then measures, each in a process of its own:

- every step (`workforce run --step extract|transform|validate|publish`) in turn on a fresh
  data folder: seconds, the landing bytes the step read (extract only: the files it loaded)
  and MB/s of them, and peak RSS;
- the whole `workforce run --month` on another fresh data folder (seconds, peak RSS), then the
  same command again with nothing new (the rerun);
- for the sizes in --dag-sizes, the whole DAG under `airflow dags test` (SQLite metadata in a
  temporary AIRFLOW_HOME) on a third fresh data folder, as a ratio to the CLI run.

Peak RSS is the child's `ru_maxrss` from `os.wait4`: the largest resident set of any one process
of the step's process tree (the step itself or a process it waited for, e.g. `dbt`), in MB of
2**20 bytes. It ends with the issue 10 targets as a markdown table: each figure and whether it
met its target. Figures only, never assertions: it exits 0 unless a step failed. The child
processes' output goes to a log per size (`-v` shows it as it comes); docs/performance.md says
what each column means.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
STEPS = ("extract", "transform", "validate", "publish")
DAG_ID = "workforce_monthly"
#: The 1x council: ``workforce.sample.SampleConfig``'s defaults (the default sample).
BASE_LA_WORKERS = 350
BASE_AGENCY_WORKERS = 120
BASE_EXTRACTS = 12
#: The smallest council the generator accepts (``workforce.sample.config.validate``).
MIN_LA_WORKERS = 30
MIN_AGENCY_WORKERS = 1
#: Issue 10's targets.
DEFAULT_RUN_MAX_S = 15.0
DAG_MAX_RATIO = 1.25
X4_RUN_MAX_S = 40.0
X4_RSS_MAX_MB = 1024.0  # 1 GB
X16_RSS_MAX_RATIO = 1.5
RERUN_MAX_S = 5.0
HEARTBEAT_S = 30.0


# ------------------------------------------------------------------------------------------
# Pure parts: arguments, sizes, figures, targets (tests/test_benchmark_script.py)
# ------------------------------------------------------------------------------------------

def parse_factors(text: str) -> list[float]:
    """``'1,4,16'`` -> ``[1.0, 4.0, 16.0]``; ``''`` -> ``[]``. Positive numbers, each once, in order given."""
    factors: list[float] = []
    for part in (p.strip() for p in text.split(",")):
        if not part:
            continue
        try:
            value = float(part.removesuffix("x"))
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"a size factor must be a number (e.g. 1, 4, 0.25), got {part!r}") from None
        if not (math.isfinite(value) and value > 0):
            raise argparse.ArgumentTypeError(f"a size factor must be a positive number, got {part!r}")
        if value not in factors:
            factors.append(value)
    return factors


def label(factor: float) -> str:
    """``4.0`` -> ``'4x'``, ``0.25`` -> ``'0.25x'``."""
    return f"{factor:g}x"


@dataclass(frozen=True)
class Size:
    """One council size: the factor and the sample it generates."""

    factor: float
    la_workers: int
    agency_workers: int
    extracts: int

    @property
    def label(self) -> str:
        return label(self.factor)

    def generate_args(self, month: str) -> list[str]:
        return ["--end-month", month, "--la-workers", str(self.la_workers),
                "--agency-workers", str(self.agency_workers), "--extracts", str(self.extracts)]


def scale(factor: float, la_workers: int = BASE_LA_WORKERS, agency_workers: int = BASE_AGENCY_WORKERS,
          extracts: int = BASE_EXTRACTS) -> Size:
    """The council ``factor`` times the 1x one: workers scaled (rounded), the extracts kept.

    Raises ``ValueError`` when the scaled council is smaller than the generator accepts."""
    la, agency = round(la_workers * factor), round(agency_workers * factor)
    if la < MIN_LA_WORKERS or agency < MIN_AGENCY_WORKERS:
        raise ValueError(f"size {label(factor)} gives {la} LA-employed and {agency} agency workers; the "
                         f"generator needs at least {MIN_LA_WORKERS} and {MIN_AGENCY_WORKERS}")
    return Size(factor, la, agency, extracts)


def month_end(month: str) -> date:
    """The last day of month ``YYYY-MM``."""
    first = date.fromisoformat(f"{month}-01")
    return (first.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)


def run_date_for(month: str) -> date:
    """The DAG's logical date that reports ``month``: the 3rd of the next month (its schedule
    ``0 6 3 * *``; ``ReportingMonth.for_run_date`` maps it back)."""
    match = re.fullmatch(r"(\d{4})-(\d{2})", month)
    if not match or not 1 <= int(match[2]) <= 12:
        raise ValueError(f"month must look like YYYY-MM, got {month!r}")
    first = date(int(match[1]), int(match[2]), 1)
    return (first + timedelta(days=32)).replace(day=3)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--month", default="2026-09", help="reporting month, YYYY-MM; the samples end in it")
    parser.add_argument("--sizes", type=parse_factors, default=[1.0, 4.0, 16.0],
                        help="size factors, comma-separated (default 1,4,16; e.g. 0.25 for a quick check)")
    parser.add_argument("--dag-sizes", type=parse_factors, default=[1.0],
                        help="sizes also run as the whole DAG under `airflow dags test` (default 1; '' for none)")
    parser.add_argument("--la-workers", type=int, default=BASE_LA_WORKERS, help="LA-employed workers at 1x")
    parser.add_argument("--agency-workers", type=int, default=BASE_AGENCY_WORKERS, help="agency workers at 1x")
    parser.add_argument("--extracts", type=int, default=BASE_EXTRACTS, help="monthly extracts (every size)")
    parser.add_argument("--keep", metavar="DIR",
                        help="work in DIR/<size>x and keep everything; a landing folder generated there "
                             "before with the same settings is reused (default: temporary folders, removed)")
    parser.add_argument("-v", "--verbose", action="store_true", help="show the child processes' output")
    return parser


def parse_args(argv: Sequence[str] | None = None) -> tuple[argparse.Namespace, list[Size]]:
    """The options and the sizes to measure (argparse's error, exit 2, for a bad one)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        run_date_for(args.month)
        sizes = [scale(f, args.la_workers, args.agency_workers, args.extracts) for f in args.sizes]
    except ValueError as exc:
        parser.error(str(exc))
    if not sizes:
        parser.error("--sizes names no size")
    extra = [label(f) for f in args.dag_sizes if f not in args.sizes]
    if extra:
        parser.error(f"--dag-sizes {', '.join(extra)} not in --sizes")
    return args, sizes


@dataclass
class Measure:
    """One child process: wall seconds, peak RSS (MB), whether it succeeded, landing MB it read."""

    seconds: float
    rss_mb: float
    ok: bool
    input_mb: float | None = None

    @property
    def mb_per_s(self) -> float | None:
        if not self.input_mb or self.seconds <= 0 or not self.ok:  # nothing read: no rate
            return None
        return self.input_mb / self.seconds


@dataclass
class SizeResult:
    size: Size
    landing_mb: float | None = None
    generate: Measure | None = None
    steps: dict[str, Measure] = field(default_factory=dict)
    run: Measure | None = None
    rerun: Measure | None = None
    monthly: Measure | None = None  # the month's run when the month before is already in
    dag: Measure | None = None
    failures: list[str] = field(default_factory=list)

    @property
    def dag_ratio(self) -> float | None:
        if self.dag is None or self.run is None or not (self.dag.ok and self.run.ok) or self.run.seconds <= 0:
            return None
        return self.dag.seconds / self.run.seconds


@dataclass(frozen=True)
class Target:
    name: str
    target: str
    measured: str
    met: bool | None  # None: not measured (or failed before it could be)

    @property
    def verdict(self) -> str:
        return {True: "yes", False: "no", None: "not measured"}[self.met]


def _ok(m: Measure | None) -> Measure | None:
    return m if m is not None and m.ok else None


def targets(results: Sequence[SizeResult]) -> list[Target]:
    """Issue 10's targets against the figures measured (1x, 4x and 16x by their exact factor)."""
    by = {r.size.factor: r for r in results}
    one, four, sixteen = by.get(1.0), by.get(4.0), by.get(16.0)
    rows: list[Target] = []

    def missing(result: SizeResult | None, what: str) -> str:
        if result is None:
            return f"not measured ({what} not in --sizes)"
        return f"failed ({'; '.join(result.failures)})" if result.failures else "not measured"

    run = _ok(one.run) if one else None
    rows.append(Target("default sample: `workforce run` (fresh install: 12 months of extracts)",
                       f"<= {DEFAULT_RUN_MAX_S:g} s", f"{run.seconds:.1f} s" if run else missing(one, "1x"),
                       run.seconds <= DEFAULT_RUN_MAX_S if run else None))
    monthly = _ok(one.monthly) if one else None
    rows.append(Target("default sample: `workforce run` (monthly: one new month of extracts)",
                       f"<= {DEFAULT_RUN_MAX_S:g} s", f"{monthly.seconds:.1f} s" if monthly else missing(one, "1x"),
                       monthly.seconds <= DEFAULT_RUN_MAX_S if monthly else None))
    ratio = one.dag_ratio if one else None
    if ratio is not None and one and one.dag and one.run:
        measured = f"{ratio:.2f}x ({one.dag.seconds:.1f} s / {one.run.seconds:.1f} s)"
    elif one is not None and one.dag is None and not one.failures:
        measured = "not measured (1x not in --dag-sizes)"
    else:
        measured = missing(one, "1x")
    rows.append(Target("default sample: whole DAG / CLI run", f"<= {DAG_MAX_RATIO:g}x", measured,
                       ratio <= DAG_MAX_RATIO if ratio is not None else None))
    run4 = _ok(four.run) if four else None
    rows.append(Target("4x sample: `workforce run`", f"<= {X4_RUN_MAX_S:g} s",
                       f"{run4.seconds:.1f} s" if run4 else missing(four, "4x"),
                       run4.seconds <= X4_RUN_MAX_S if run4 else None))
    rows.append(Target("4x sample: peak RSS", f"<= {X4_RSS_MAX_MB:g} MB",
                       f"{run4.rss_mb:.0f} MB" if run4 else missing(four, "4x"),
                       run4.rss_mb <= X4_RSS_MAX_MB if run4 else None))
    run16 = _ok(sixteen.run) if sixteen else None
    if sixteen is None:
        rows.append(Target("16x sample: completes", "completes", missing(None, "16x"), None))
    else:
        rows.append(Target("16x sample: completes", "completes",
                           "completed" if run16 and not sixteen.failures else missing(sixteen, "16x"),
                           bool(run16) and not sixteen.failures))
    if run16 and run4:
        rows.append(Target("16x sample: peak RSS / 4x peak RSS", f"<= {X16_RSS_MAX_RATIO:g}x",
                           f"{run16.rss_mb / run4.rss_mb:.2f}x ({run16.rss_mb:.0f} MB / {run4.rss_mb:.0f} MB)",
                           run16.rss_mb <= X16_RSS_MAX_RATIO * run4.rss_mb))
    else:
        why = missing(sixteen, "16x") if not run16 else missing(four, "4x")
        rows.append(Target("16x sample: peak RSS / 4x peak RSS", f"<= {X16_RSS_MAX_RATIO:g}x", why, None))
    rerun = _ok(one.rerun) if one else None
    rows.append(Target("default sample: rerun with nothing new", f"<= {RERUN_MAX_S:g} s",
                       f"{rerun.seconds:.1f} s" if rerun else missing(one, "1x"),
                       rerun.seconds <= RERUN_MAX_S if rerun else None))
    return rows


def markdown_table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def targets_table(rows: Sequence[Target]) -> str:
    return markdown_table(("target", "limit", "measured", "met"),
                          [(t.name, t.target, t.measured, t.verdict) for t in rows])


def _fmt(value: float | None, spec: str) -> str:
    return "-" if value is None else format(value, spec)


def size_table(result: SizeResult) -> str:
    """One size's figures: a row per step, the whole run, the rerun and the DAG."""
    rows = []

    def row(name: str, m: Measure | None, note: str = "") -> None:
        if m is None:
            return
        status = "" if m.ok else " (FAILED)"
        rows.append((name + status, f"{m.seconds:.1f}", _fmt(m.input_mb, ".1f"), _fmt(m.mb_per_s, ".1f"),
                     f"{m.rss_mb:.0f}", note))

    row("generate", result.generate)
    for name in STEPS:
        row(name, result.steps.get(name))
    if result.steps and all(m.ok for m in result.steps.values()) and len(result.steps) == len(STEPS):
        total = sum(m.seconds for m in result.steps.values())
        rows.append(("4 steps, one process each", f"{total:.1f}", "-", "-",
                     f"{max(m.rss_mb for m in result.steps.values()):.0f}", "sum of the steps; RSS: the largest"))
    row("`workforce run`", result.run, "one process, fresh data folder; MB/s over the whole run")
    row("rerun, nothing new", result.rerun, "`workforce run` again")
    row("monthly run", result.monthly, "the month before already run: only the month's own extracts are new")
    ratio = result.dag_ratio
    row("`airflow dags test`", result.dag, f"{ratio:.2f}x the CLI run" if ratio is not None else "")
    return markdown_table(("phase", "seconds", "input MB", "MB/s", "peak RSS MB", "note"), rows)


# ------------------------------------------------------------------------------------------
# Measuring: child processes, their output and their peak RSS
# ------------------------------------------------------------------------------------------

class Clock:
    """Progress lines stamped with the time since the benchmark started."""

    def __init__(self) -> None:
        self.started = time.perf_counter()

    def say(self, message: str) -> None:
        print(f"[{time.perf_counter() - self.started:7.1f}s] {message}", flush=True)


def run_child(cmd: Sequence[str], env: dict[str, str], log_path: Path, clock: Clock, what: str,
              verbose: bool = False) -> Measure:
    """Run ``cmd``, its output appended to ``log_path``; its seconds and peak RSS (``os.wait4``).

    Every HEARTBEAT_S seconds a progress line quotes the child's latest output line."""
    log_path.parent.mkdir(parents=True, exist_ok=True)
    last = [""]
    done = threading.Event()
    with log_path.open("a", encoding="utf-8", errors="replace") as log:
        log.write(f"\n$ {' '.join(cmd)}\n")
        log.flush()
        started = time.perf_counter()
        proc = subprocess.Popen(list(cmd), env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                text=True, errors="replace", bufsize=1)

        def pump() -> None:
            assert proc.stdout is not None
            for line in proc.stdout:
                log.write(line)
                if line.strip():
                    last[0] = line.strip()
                if verbose:
                    print("    " + line.rstrip(), flush=True)

        def heartbeat() -> None:
            while not done.wait(HEARTBEAT_S):
                clock.say(f"  ... {what}: {time.perf_counter() - started:.0f}s so far; {last[0][:100]}")

        reader = threading.Thread(target=pump, daemon=True)
        beat = threading.Thread(target=heartbeat, daemon=True)
        reader.start()
        beat.start()
        _pid, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - started
        proc.returncode = os.waitstatus_to_exitcode(status)
        done.set()
        reader.join(timeout=30)
    return Measure(seconds, usage.ru_maxrss / 1024, proc.returncode == 0)  # ru_maxrss: KiB on Linux


def tail(path: Path, lines: int = 25) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError as exc:
        return f"(cannot read {path}: {exc})"


def folder_mb(path: Path) -> float:
    if path.is_file():
        return path.stat().st_size / 2**20
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) / 2**20 if path.is_dir() else 0.0


@contextlib.contextmanager
def _environ(**values: str) -> Iterator[None]:
    old = dict(os.environ)
    os.environ.update(values)
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(old)


def settings_for(data: Path, landing: Path):
    """The pipeline's own settings for a data folder (so its layout is never restated here)."""
    from workforce.config import load_settings

    with _environ(WORKFORCE_DATA_DIR=str(data), WORKFORCE_LANDING_DIR=str(landing)):
        return load_settings()


def loaded_mb(data: Path, landing: Path, month: str) -> float | None:
    """MB of the landing files the month's extract loaded (new or changed), from its report."""
    report = settings_for(data, landing).quality_dir / month / "extract_report.json"
    try:
        files = json.loads(report.read_text())["files"]
        read = [landing / f["source_file"] for f in files if f.get("status") in ("loaded", "replaced")]
        return sum(p.stat().st_size for p in read) / 2**20
    except (OSError, ValueError, KeyError, TypeError):
        return None


class Bench:
    def __init__(self, args: argparse.Namespace, clock: Clock) -> None:
        self.args = args
        self.month: str = args.month
        self.clock = clock
        self.env = dict(os.environ)
        for name in ("WORKFORCE_DATA_DIR", "WORKFORCE_LANDING_DIR"):
            self.env.pop(name, None)
        self.env["PATH"] = f"{BIN}{os.pathsep}{self.env.get('PATH', '')}"  # dbt, airflow
        # The children run this checkout's package, whatever the virtualenv's editable install points at.
        self.env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT / "include"), self.env.get("PYTHONPATH")) if p)
        self.env["PYTHONUNBUFFERED"] = "1"

    def workforce(self, *argv: str) -> list[str]:
        return [sys.executable, "-m", "workforce.cli", *argv]

    def child(self, cmd: Sequence[str], env: dict[str, str], log: Path, what: str) -> Measure:
        self.clock.say(f"{what} ...")
        m = run_child(cmd, env, log, self.clock, what, self.args.verbose)
        state = "done" if m.ok else "FAILED"
        self.clock.say(f"{what} {state} in {m.seconds:.1f} s, peak RSS {m.rss_mb:.0f} MB")
        if not m.ok:
            print(f"--- the end of {log}:\n{tail(log)}\n---", flush=True)
        return m

    def data_env(self, data: Path, landing: Path) -> dict[str, str]:
        return {**self.env, "WORKFORCE_DATA_DIR": str(data), "WORKFORCE_LANDING_DIR": str(landing)}

    def fresh(self, path: Path) -> Path:
        shutil.rmtree(path, ignore_errors=True)
        path.mkdir(parents=True)
        return path

    def drop(self, path: Path) -> None:
        if not self.args.keep:
            shutil.rmtree(path, ignore_errors=True)

    def landing(self, size: Size, work: Path, result: SizeResult) -> Path | None:
        landing, stamp = work / "landing", work / "landing.complete.json"
        wanted = {"month": self.month, "generate": size.generate_args(self.month)}
        if self.args.keep and stamp.is_file() and landing.is_dir():
            with contextlib.suppress(OSError, ValueError):
                if json.loads(stamp.read_text()) == wanted:
                    self.clock.say(f"{size.label}: reusing the sample in {landing} (generated there before)")
                    return landing
        stamp.unlink(missing_ok=True)
        m = self.child(self.workforce("generate", "--landing", str(landing), *size.generate_args(self.month)),
                       self.env, work / "logs" / "generate.log",
                       f"{size.label}: generate ({size.la_workers} LA-employed, {size.agency_workers} agency, "
                       f"{size.extracts} extracts)")
        result.generate = m
        if not m.ok:
            result.failures.append("generate failed")
            return None
        stamp.write_text(json.dumps(wanted) + "\n")
        return landing

    def measure(self, size: Size, work: Path) -> SizeResult:
        result = SizeResult(size)
        logs = work / "logs"
        landing = self.landing(size, work, result)
        if landing is None:
            return result
        result.landing_mb = folder_mb(landing)
        self.clock.say(f"{size.label}: landing exports {result.landing_mb:.1f} MB")

        data = self.fresh(work / "data-steps")
        for step in STEPS:
            m = self.child(self.workforce("run", "--month", self.month, "--step", step), self.data_env(data, landing),
                           logs / "steps.log", f"{size.label}: step {step}")
            if step == "extract":
                m.input_mb = loaded_mb(data, landing, self.month)
            result.steps[step] = m
            if not m.ok:
                result.failures.append(f"step {step} failed")
                return result
        self.drop(data)

        data = self.fresh(work / "data-run")
        env = self.data_env(data, landing)
        result.run = self.child(self.workforce("run", "--month", self.month), env, logs / "run.log",
                                f"{size.label}: whole `workforce run` (fresh data folder)")
        if not result.run.ok:
            result.failures.append("workforce run failed")
            return result
        result.run.input_mb = loaded_mb(data, landing, self.month)
        settings = settings_for(data, landing)
        self.clock.say(f"{size.label}: warehouse {folder_mb(settings.warehouse_path):.1f} MB, "
                       f"published {folder_mb(settings.published_dir):.1f} MB")
        result.rerun = self.child(self.workforce("run", "--month", self.month), env, logs / "rerun.log",
                                  f"{size.label}: rerun, nothing new")
        if not result.rerun.ok:
            result.failures.append("rerun failed")
            return result
        result.rerun.input_mb = loaded_mb(data, landing, self.month)
        self.drop(data)
        self.monthly_run(size, work, landing, result)

        if size.factor in self.args.dag_sizes:
            self.dag(size, work, landing, result)
        return result

    def monthly_run(self, size: Size, work: Path, landing: Path, result: SizeResult) -> None:
        """The run a council makes each month: the month before is in the warehouse (run untimed, with
        this month's extracts held aside), then this month's extracts land and the month is run."""
        previous = (date.fromisoformat(f"{self.month}-01") - timedelta(days=1)).strftime("%Y-%m")
        first_new = month_end(self.month) - timedelta(days=7)  # the first day of the month's extract window
        aside = self.fresh(work / "landing-aside")
        held = []
        for path in sorted(landing.glob("*/*_????-??-??.*")):
            stamp = re.search(r"_(\d{4}-\d{2}-\d{2})\.", path.name)
            if stamp and date.fromisoformat(stamp[1]) >= first_new:
                target = aside / path.parent.name / path.name
                target.parent.mkdir(parents=True, exist_ok=True)
                path.rename(target)
                held.append((target, path))
        data = self.fresh(work / "data-monthly")
        env = self.data_env(data, landing)
        try:
            before = self.child(self.workforce("run", "--month", previous), env, work / "logs" / "monthly.log",
                                f"{size.label}: the month before, {previous} (setup, untimed)")
        finally:
            for target, path in held:
                target.rename(path)
        if not before.ok:
            result.failures.append(f"the run of {previous} failed")
            return
        result.monthly = self.child(self.workforce("run", "--month", self.month), env, work / "logs" / "monthly.log",
                                    f"{size.label}: monthly run of {self.month} ({len(held)} new extracts)")
        if not result.monthly.ok:
            result.failures.append("the monthly run failed")
        result.monthly.input_mb = sum(path.stat().st_size for _t, path in held) / 1e6
        self.drop(data)
        self.drop(aside)

    def dag(self, size: Size, work: Path, landing: Path, result: SizeResult) -> None:
        home = self.fresh(work / "airflow")
        data = self.fresh(work / "data-dag")
        env = {
            **self.data_env(data, landing),
            "AIRFLOW_HOME": str(home),
            "AIRFLOW__CORE__DAGS_FOLDER": str(ROOT / "dags"),
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{home / 'airflow.db'}",
        }
        airflow = str(BIN / "airflow")
        log = work / "logs" / "airflow.log"
        migrate = self.child([airflow, "db", "migrate"], env, log, f"{size.label}: airflow db migrate (setup, untimed)")
        if not migrate.ok:
            result.failures.append("airflow db migrate failed")
            return
        run_date = run_date_for(self.month)
        conf = json.dumps({"reporting_month": self.month})
        before = log.stat().st_size
        m = self.child([airflow, "dags", "test", DAG_ID, run_date.isoformat(), "-c", conf], env, log,
                       f"{size.label}: whole DAG (`airflow dags test {DAG_ID} {run_date}`)")
        with log.open(encoding="utf-8", errors="replace") as fh:
            fh.seek(before)
            output = fh.read()
        csv = settings_for(data, landing).published_month_dir(self.month) / "scrutiny_workforce_monthly.csv"
        succeeded = bool(re.search(r"DagRun Finished.*state=success", output)) and csv.is_file()
        if m.ok and not succeeded:
            self.clock.say(f"{size.label}: the DAG run did not publish {self.month} (see {log})")
            m.ok = False
        result.dag = m
        if not m.ok:
            result.failures.append("the DAG run failed")
        self.drop(data)
        self.drop(home)


def report(results: Sequence[SizeResult]) -> None:
    for r in results:
        s = r.size
        landing = f"{r.landing_mb:.1f} MB landing" if r.landing_mb is not None else "no landing"
        print(f"\n### {s.label}: {s.la_workers} LA-employed, {s.agency_workers} agency, {s.extracts} extracts, "
              f"{landing}\n")
        print(size_table(r))
    print("\ninput MB: the landing files the step loaded (new or changed files, from the month's "
          "extract_report.json); transform, validate and publish read the warehouse, not landing files, "
          "so they show '-'. Peak RSS: largest single process of the step's tree (ru_maxrss).")
    print("\n### Issue 10 targets\n")
    print(targets_table(targets(results)))


def main(argv: Sequence[str] | None = None) -> int:
    args, sizes = parse_args(argv)
    sys.path.insert(0, str(ROOT / "include"))  # settings_for: this checkout's package
    clock = Clock()
    inherited = sorted(k for k in os.environ if k.startswith("WORKFORCE_")
                       and k not in ("WORKFORCE_DATA_DIR", "WORKFORCE_LANDING_DIR"))
    clock.say(f"benchmark of {args.month}: sizes {', '.join(s.label for s in sizes)}; DAG on "
              f"{', '.join(label(f) for f in args.dag_sizes) or 'none'}; {os.cpu_count()} CPUs"
              + (f"; settings from the environment: {', '.join(inherited)}" if inherited else ""))
    bench = Bench(args, clock)
    results: list[SizeResult] = []
    for size in sizes:
        if args.keep:
            work = Path(args.keep).resolve() / size.label
            work.mkdir(parents=True, exist_ok=True)
        else:
            work = Path(tempfile.mkdtemp(prefix=f"workforce-bench-{size.label}-"))
        clock.say(f"{size.label}: working in {work}")
        try:
            results.append(bench.measure(size, work))
        finally:
            if not args.keep:
                shutil.rmtree(work, ignore_errors=True)
        clock.say(f"{size.label}: finished" + (f" with failures: {'; '.join(results[-1].failures)}"
                                               if results and results[-1].failures else ""))
    report(results)
    failed = [f"{r.size.label}: {f}" for r in results for f in r.failures]
    if failed:
        print(f"\nFAILED: {'; '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
