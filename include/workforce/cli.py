"""``workforce`` command line: the same steps as the Airflow DAG, outside Airflow.

    workforce generate                 write sample exports into $WORKFORCE_LANDING_DIR
    workforce run --month 2026-09      extract, transform, validate and publish one month
    workforce run --month 2026-09 --step validate   one step only (as one DAG task does)
    workforce run --month 2026-09 --force           rebuild even when nothing is new (see below)
    workforce audit --month 2026-09    the month's audit record: input files, hashes, checks, outputs
    workforce pack --month 2026-09     the month's scrutiny pack (PDF, HTML, XLSX) from the published files

A rerun of a month with nothing new keeps the month's capture and staged output: transform and
validate say "nothing new ... kept ..." and do not run dbt or the suites again (workforce.rerun).
--force runs them in full anyway.
"""

from __future__ import annotations

import argparse
import logging
import sys
import time
from datetime import date
from pathlib import Path

from workforce.config import ConfigError, load_settings
from workforce.months import ReportingMonth


def _progress(message: str) -> None:
    print(f"{time.strftime('%H:%M:%S')}  {message}", flush=True)


def _cmd_generate(args: argparse.Namespace) -> int:
    from workforce.sample import SampleConfig, generate_sample

    settings = load_settings()
    landing = Path(args.landing).resolve() if args.landing else settings.landing_dir
    fields = {
        "seed": args.seed,
        "end_month": args.end_month,
        "history_years": args.history_years,
        "la_workers": args.la_workers,
        "agency_workers": args.agency_workers,
        "extracts": args.extracts,
    }
    config = SampleConfig(**{k: v for k, v in fields.items() if v is not None})
    if args.without:
        from workforce.spec.contract import OPTIONAL_EXPORTS

        unknown = sorted(set(args.without) - set(OPTIONAL_EXPORTS))
        if unknown:
            raise SystemExit(f"--without takes optional exports only ({', '.join(OPTIONAL_EXPORTS)}); got {unknown}")
        config = SampleConfig(
            **{**config.__dict__, "include_optional": tuple(e for e in OPTIONAL_EXPORTS if e not in args.without)}
        )
    started = time.monotonic()
    summary = generate_sample(landing, config, progress=_progress)
    files = summary.get("files", [])
    _progress(f"generate: {len(files)} export files written to {landing} in {time.monotonic() - started:.1f}s")
    return 0


def _cmd_run(args: argparse.Namespace) -> int:
    from workforce import pipeline

    month = ReportingMonth.parse(args.month) if args.month else ReportingMonth.for_run_date(date.today())
    settings = load_settings()
    if args.step:
        step = getattr(pipeline, f"step_{args.step}")
        started = time.monotonic()
        if args.step in pipeline.FORCEABLE:
            step(month, settings, _progress, force=args.force)
        else:
            step(month, settings, _progress)
        _progress(f"{args.step} {month} done in {time.monotonic() - started:.1f}s")
        return 0
    summary = pipeline.run_month(month, settings, _progress, force=args.force)
    report = summary.publish
    if report is None:  # run_month returns only after its publish step has reported
        raise RuntimeError(f"the run of {month} finished without a publish report")
    total = sum(summary.timings.values())
    _progress(
        "timings: " + ", ".join(f"{k} {v:.1f}s" for k, v in summary.timings.items()) + f", total {total:.1f}s"
    )
    print(
        f"\nPublished {report.rows} rows of scrutiny_workforce_monthly for {month}:\n"
        f"  BI warehouse (DuckDB, read-only): {report.warehouse_path}\n"
        f"  CSV:     {report.csv_path}\n"
        f"  Parquet: {report.parquet_path}\n"
        f"  Quality results: {settings.quality_dir / month.label}",
        flush=True,
    )
    return 0


def _cmd_audit(args: argparse.Namespace) -> int:
    import json

    from workforce.release import audit

    month = ReportingMonth.parse(args.month)  # a clear error for a malformed month
    settings = load_settings()
    try:
        record = audit.load_record(settings, month)
    except audit.AuditError as exc:
        print(f"workforce: audit: {exc}", file=sys.stderr)
        return 1
    print(json.dumps(record, indent=1) if args.json else audit.format_record(record), flush=True)
    return 0


def _cmd_pack(args: argparse.Namespace) -> int:
    from workforce import pipeline

    month = ReportingMonth.parse(args.month)  # a clear error for a malformed month
    settings = load_settings()
    report = pipeline.step_pack(month, settings, _progress)
    print(f"\nScrutiny pack for {month} ({len(report.months)} published month(s) of trends), generated in "
          f"{report.seconds:.1f}s:\n" + "\n".join(f"  {path}" for path in report.files), flush=True)
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="workforce", description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log debug detail")
    sub = parser.add_subparsers(dest="command", required=True)

    gen = sub.add_parser("generate", help="write synthetic sample exports (demo and tests)")
    gen.add_argument("--landing", help="landing folder (default: $WORKFORCE_LANDING_DIR)")
    gen.add_argument("--seed", type=int, help="random seed (same seed, same files)")
    gen.add_argument("--end-month", help="month of the last extract, YYYY-MM (default 2026-09)")
    gen.add_argument("--history-years", type=int, help="years of history (default 8)")
    gen.add_argument("--la-workers", type=int, help="LA-employed social workers in post (default 350)")
    gen.add_argument("--agency-workers", type=int, help="agency workers engaged (default 120)")
    gen.add_argument("--extracts", type=int, help="monthly extracts ending at --end-month (default 12)")
    gen.add_argument("--without", nargs="+", metavar="EXPORT", help="leave out these optional exports")
    gen.set_defaults(func=_cmd_generate)

    run = sub.add_parser("run", help="run the monthly pipeline for one reporting month")
    run.add_argument("--month", help="reporting month YYYY-MM (default: last month)")
    run.add_argument("--step", choices=("extract", "transform", "validate", "publish"), help="run one step only")
    run.add_argument("--force", action="store_true",
                     help="run transform and validate in full even when nothing is new since their last run")
    run.set_defaults(func=_cmd_run)

    pack = sub.add_parser("pack", help="write the month's scrutiny pack (PDF, HTML, XLSX) from the published files")
    pack.add_argument("--month", required=True, help="reporting month YYYY-MM (published already)")
    pack.set_defaults(func=_cmd_pack)

    aud = sub.add_parser("audit", help="print the audit record of a published (or validated) month")
    aud.add_argument("--month", required=True, help="reporting month YYYY-MM")
    aud.add_argument("--json", action="store_true", help="print the record as JSON")
    aud.set_defaults(func=_cmd_audit)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    try:
        return args.func(args)
    except ConfigError as exc:
        print(f"workforce: configuration error: {exc}", file=sys.stderr)
        return 2
    except (ValueError, RuntimeError, FileNotFoundError) as exc:
        print(f"workforce: {args.command} failed: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
