"""``workforce`` command line: the same steps as the Airflow DAG, outside Airflow.

    workforce generate                 write sample exports into $WORKFORCE_LANDING_DIR
    workforce generate --profile hr-system   ... in a council system's own shape (a mapping profile)
    workforce run --month 2026-09      extract, transform, validate and publish one month
    workforce run --month 2026-09 --step validate   one step only (as one DAG task does)
    workforce run --month 2026-09 --force           rebuild even when nothing is new (see below)
    workforce profile init --from DIR  a starting mapping profile from a council's sample files
    workforce check --month 2026-09    pre-flight: what the run would load, quarantine or reject (writes nothing)
    workforce audit --month 2026-09    the month's audit record: input files, hashes, checks, outputs
    workforce pack --month 2026-09     the month's scrutiny pack (PDF, HTML, XLSX) from the published files
    workforce census --year 2025       the CSWW census XML for 30 September 2025 (restricted folder)
    workforce census validate FILE     validate a census XML file (ours or another system's) as COLLECT would
    workforce agency-return --quarter 2025-Q1   DfE's quarterly agency return, CSV and XLSX (restricted)

A rerun of a month with nothing new keeps the month's capture and staged output: transform and
validate say "nothing new ... kept ..." and do not run dbt or the suites again (workforce.rerun).
--force runs them in full anyway.

A failure is one line on stderr and a non-zero exit: for the environment (the warehouse held open
by another program, a full disk, a read-only or missing folder) what happened, what was left
unchanged and what to do (workforce.errors). -v adds the traceback.
"""

from __future__ import annotations

import argparse
import logging
import sys
import time
import traceback
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
    if args.profile:  # the same council, written as the profile says the council's systems write it
        import shutil
        import tempfile

        from workforce.config import SAMPLE_MARKER
        from workforce.ingest.profile import load_profile
        from workforce.sample.shapes import reshape_landing
        from workforce.sample.writer import prepare_landing

        profile = load_profile(args.profile)
        with tempfile.TemporaryDirectory(prefix="workforce-generate-") as folder:
            generate_sample(Path(folder), config, progress=_progress)
            prepare_landing(landing)
            for name in {ep.folder for ep in profile.exports.values()}:
                shutil.rmtree(landing / name, ignore_errors=True)  # a previous sample's files in this shape
            shutil.copyfile(Path(folder) / SAMPLE_MARKER, landing / SAMPLE_MARKER)
            written = reshape_landing(Path(folder), landing, profile)
        _progress(f"generate: {len(written)} export files written to {landing} in the shape of profile "
                  f"{profile.name} in {time.monotonic() - started:.1f}s (set WORKFORCE_PROFILE={args.profile} "
                  "to read them)")
        return 0
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


def _cmd_check(args: argparse.Namespace) -> int:
    import json
    from dataclasses import replace

    from workforce.ingest.check import check

    month = ReportingMonth.parse(args.month) if args.month else ReportingMonth.for_run_date(date.today())
    settings = load_settings()
    if args.landing:
        settings = replace(settings, landing_dir=Path(args.landing).expanduser().resolve())
    report = check(settings, month.end, None if args.json else _progress)
    print(json.dumps(report.to_dict(), indent=1) if args.json else "\n" + report.format(), flush=True)
    return 0 if report.ok else 1


def _cmd_profile_init(args: argparse.Namespace) -> int:
    from workforce.ingest.profile_init import init_profile, summary

    folder = Path(args.source).expanduser().resolve()
    if not folder.is_dir():
        raise FileNotFoundError(f"no folder {folder} to read sample exports from")
    text, guesses = init_profile(folder, args.name)
    out = Path(args.out)
    if out.exists() and not args.force:
        raise ValueError(f"{out} exists: choose another --out, or --force to replace it")
    out.write_text(text, encoding="utf-8")
    for line in summary(guesses):
        print(line)
    print(f"\nwrote {out}: review it (docs/bring-your-own-exports.md), fill in every TODO, then run "
          f"WORKFORCE_PROFILE={out} workforce check", flush=True)
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


def _cmd_census(args: argparse.Namespace) -> int:
    settings = load_settings()
    if args.action == "validate":
        from workforce.returns.validate import format_report, validate_message

        if not args.file:
            raise ValueError("workforce census validate needs the XML file to validate")
        path = Path(args.file)
        if not path.is_file():
            raise FileNotFoundError(f"no file {path} to validate")
        pseudonym = None
        try:
            from workforce.ingest.pseudonymise import resolve_key
            from workforce.returns.census import _pseudonym_fn

            pseudonym = _pseudonym_fn(resolve_key(settings))
        except RuntimeError:
            pass  # no key: workers are named by row only
        issues = validate_message(path.read_bytes(), pseudonym, year=args.year)
        if args.previous:
            from workforce.returns.validate import continuity

            issues += continuity(path.read_bytes(), Path(args.previous).read_bytes(), pseudonym)
        print(format_report(issues), end="", flush=True)
        return 1 if any(i.severity == "error" for i in issues) else 0
    if args.action is not None or args.year is None:
        raise ValueError("workforce census --year YYYY writes the return; workforce census validate FILE checks one")
    from workforce.returns.census import produce_census

    report = produce_census(settings, args.year, _progress, previous=Path(args.previous) if args.previous else None)
    print(f"\nCSWW census {args.year} (shape {report.shape_year}): {report.workers} worker records, "
          f"{report.errors} error(s)\n  XML: {report.xml_path}\n  validation: {report.report_path}", flush=True)
    if report.gaps:
        print("  not collected: " + "; ".join(report.gaps), flush=True)
    return 1 if report.errors else 0


def _cmd_agency_return(args: argparse.Namespace) -> int:
    from workforce.returns.agency import produce_agency_return

    result = produce_agency_return(load_settings(), args.quarter, _progress)
    print("\n".join(f"  {p}" for p in result.files), flush=True)
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
    gen.add_argument("--profile", help="write the exports in a mapping profile's shape (a shipped name such as "
                                       "hr-system, or a YAML path): docs/bring-your-own-exports.md")
    gen.set_defaults(func=_cmd_generate)

    run = sub.add_parser("run", help="run the monthly pipeline for one reporting month")
    run.add_argument("--month", help="reporting month YYYY-MM (default: last month)")
    run.add_argument("--step", choices=("extract", "transform", "history", "validate", "publish"),
                     help="run one step only (history: the trend months before the month, WORKFORCE_TREND_MONTHS)")
    run.add_argument("--force", action="store_true",
                     help="run transform, history and validate in full even when nothing is new since their last run")
    run.set_defaults(func=_cmd_run)

    chk = sub.add_parser("check", help="pre-flight: what a run of the month would load, quarantine or reject "
                                       "(reads only; writes nothing)")
    chk.add_argument("--month", help="reporting month YYYY-MM (default: last month)")
    chk.add_argument("--landing", help="landing folder (default: $WORKFORCE_LANDING_DIR)")
    chk.add_argument("--json", action="store_true", help="the report as JSON, for tools")
    chk.set_defaults(func=_cmd_check)

    prof = sub.add_parser("profile", help="mapping profiles for a council's own export shapes")
    prof_sub = prof.add_subparsers(dest="profile_command", required=True)
    init = prof_sub.add_parser("init", help="write a starting profile from a folder of the council's sample files")
    init.add_argument("--from", dest="source", required=True, help="folder holding sample export files")
    init.add_argument("--out", default="profile.yml", help="the profile to write (default profile.yml)")
    init.add_argument("--name", default="our-exports", help="the profile's name")
    init.add_argument("--force", action="store_true", help="replace --out if it exists")
    init.set_defaults(func=_cmd_profile_init)
    pack = sub.add_parser("pack", help="write the month's scrutiny pack (PDF, HTML, XLSX) from the published files")
    pack.add_argument("--month", required=True, help="reporting month YYYY-MM (published already)")
    pack.set_defaults(func=_cmd_pack)

    cen = sub.add_parser("census", help="the CSWW census return (restricted), or validate a census XML file")
    cen.add_argument("action", nargs="?", choices=("validate",), help="validate FILE instead of writing the return")
    cen.add_argument("file", nargs="?", help="the XML file to validate")
    cen.add_argument("--year", type=int, help="collection year (reference date 30 September of it)")
    cen.add_argument("--previous", help="last year's census XML for the continuity check (default: the one kept "
                                        "in the restricted folder, else rebuilt from history)")
    cen.set_defaults(func=_cmd_census)

    agr = sub.add_parser("agency-return", help="DfE's quarterly agency return, CSV and XLSX (restricted)")
    agr.add_argument("--quarter", required=True, help="YYYY-Qn, e.g. 2025-Q1 (January to March 2025)")
    agr.set_defaults(func=_cmd_agency_return)

    aud = sub.add_parser("audit", help="print the audit record of a published (or validated) month")
    aud.add_argument("--month", required=True, help="reporting month YYYY-MM")
    aud.add_argument("--json", action="store_true", help="print the record as JSON")
    aud.set_defaults(func=_cmd_audit)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    command = "workforce " + " ".join(sys.argv[1:] if argv is None else argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    try:
        return args.func(args)
    except ConfigError as exc:
        if args.verbose:
            traceback.print_exc()
        print(f"workforce: configuration error: {exc}", file=sys.stderr)
        return 2
    except Exception as exc:
        from workforce.errors import one_line

        line = one_line(exc, args.command, getattr(args, "month", None) or "", rerun=command)
        if line is None and not isinstance(exc, (ValueError, RuntimeError, FileNotFoundError)):
            raise  # a bug: its traceback
        if args.verbose:
            traceback.print_exc()
        print(f"workforce: {args.command} failed: {line or exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
