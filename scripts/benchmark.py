"""Time each pipeline step on the sample data and print the figures.

    .venv/bin/python scripts/benchmark.py [--month 2026-09] [--la-workers 350] [--keep DIR]

Runs in a fresh temporary folder: generate, then extract, transform (dbt build), validate and
publish for the month, then a rerun of the whole month (everything already loaded). Prints one
line per step and the warehouse and output sizes. Figures, not assertions: compare them over time.
"""

from __future__ import annotations

import argparse
import os
import shutil
import tempfile
import time
from pathlib import Path


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--month", default="2026-09")
    parser.add_argument("--la-workers", type=int, default=350)
    parser.add_argument("--agency-workers", type=int, default=120)
    parser.add_argument("--extracts", type=int, default=12)
    parser.add_argument("--keep", help="work in this folder and keep it (default: a temporary one)")
    args = parser.parse_args()

    base = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="workforce-bench-"))
    base.mkdir(parents=True, exist_ok=True)
    os.environ["WORKFORCE_DATA_DIR"] = str(base / "data")
    os.environ["WORKFORCE_LANDING_DIR"] = str(base / "landing")

    from workforce import pipeline
    from workforce.config import load_settings
    from workforce.months import ReportingMonth
    from workforce.sample import SampleConfig, generate_sample

    month = ReportingMonth.parse(args.month)

    timings: list[tuple[str, float]] = []

    def timed(name, fn, *a):
        started = time.perf_counter()
        result = fn(*a)
        timings.append((name, time.perf_counter() - started))
        print(f"{name:<28}{timings[-1][1]:8.1f} s", flush=True)
        return result

    config = SampleConfig(
        end_month=month.label, la_workers=args.la_workers, agency_workers=args.agency_workers, extracts=args.extracts
    )
    timed("generate", generate_sample, base / "landing", config, None)
    settings = load_settings()
    quiet = None
    for step in pipeline.STEPS:
        timed(step, getattr(pipeline, f"step_{step}"), month, settings, quiet or (lambda _m: None))
    first_run = sum(t for name, t in timings if name in pipeline.STEPS)
    print(f"{'first run (4 steps)':<28}{first_run:8.1f} s")
    timed("rerun, nothing new", pipeline.run_month, month, settings, lambda _m: None)

    def size(path: Path) -> str:
        total = sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) if path.is_dir() else path.stat().st_size
        return f"{total / 1e6:.1f} MB"

    print(f"landing exports: {size(base / 'landing')}, warehouse: {size(settings.warehouse_path)}, "
          f"published: {size(settings.published_dir)}")
    if not args.keep:
        shutil.rmtree(base, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
