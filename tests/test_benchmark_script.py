"""scripts/benchmark.py's pure parts: its arguments, the size scaling and the targets table.

Nothing here runs the pipeline or times anything (the benchmark prints figures; tests never
assert timings)."""

from __future__ import annotations

import importlib.util
import sys
from datetime import date

import pytest
from conftest import ROOT
from workforce.months import ReportingMonth
from workforce.sample import SampleConfig


def _load():
    spec = importlib.util.spec_from_file_location("benchmark_script", ROOT / "scripts" / "benchmark.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the class is made
    spec.loader.exec_module(module)
    return module


bench = _load()


def test_the_1x_council_is_the_default_sample():
    default = SampleConfig()
    one = bench.scale(1)
    assert (one.la_workers, one.agency_workers, one.extracts) == (
        default.la_workers, default.agency_workers, default.extracts)


def test_sizes_scale_the_workers_not_the_extracts():
    four, sixteen, quarter = bench.scale(4), bench.scale(16), bench.scale(0.25)
    assert (four.la_workers, four.agency_workers, four.extracts) == (1400, 480, 12)
    assert (sixteen.la_workers, sixteen.agency_workers) == (5600, 1920)
    assert (quarter.la_workers, quarter.agency_workers) == (88, 30)
    assert four.label == "4x" and quarter.label == "0.25x"
    assert four.generate_args("2026-09") == [
        "--end-month", "2026-09", "--la-workers", "1400", "--agency-workers", "480", "--extracts", "12"]


def test_a_council_smaller_than_the_generator_accepts_is_refused():
    with pytest.raises(ValueError, match="at least 30"):
        bench.scale(0.05)


def test_default_arguments_measure_1x_4x_16x_and_the_dag_on_1x():
    args, sizes = bench.parse_args([])
    assert [s.factor for s in sizes] == [1, 4, 16]
    assert args.dag_sizes == [1] and args.month == "2026-09" and args.keep is None


def test_sizes_accept_fractions_an_x_suffix_and_no_dag():
    args, sizes = bench.parse_args(["--sizes", "0.25, 2x,0.25", "--dag-sizes", "", "--month", "2025-09"])
    assert [s.factor for s in sizes] == [0.25, 2]
    assert args.dag_sizes == [] and args.month == "2025-09"


@pytest.mark.parametrize("argv", [
    ["--sizes", "abc"], ["--sizes", "0"], ["--sizes", "-4"], ["--sizes", "inf"], ["--sizes", ""],
    ["--sizes", "0.01"], ["--sizes", "1", "--dag-sizes", "4"], ["--month", "2026-13"], ["--month", "sept"],
])
def test_bad_arguments_are_refused(argv, capsys):
    with pytest.raises(SystemExit) as exc:
        bench.parse_args(argv)
    assert exc.value.code == 2
    assert "error:" in capsys.readouterr().err


@pytest.mark.parametrize("month", ["2026-09", "2026-12", "2025-01"])
def test_the_dags_logical_date_reports_the_month(month):
    run_date = bench.run_date_for(month)
    assert run_date.day == 3
    assert ReportingMonth.for_run_date(run_date).label == month


def test_run_date_is_the_third_of_the_next_month():
    assert bench.run_date_for("2026-09") == date(2026, 10, 3)
    assert bench.run_date_for("2026-12") == date(2027, 1, 3)


FRESH = "default sample: `workforce run` (fresh install: 12 months of extracts)"
MONTHLY = "default sample: `workforce run` (monthly: one new month of extracts)"


def _result(factor, run=None, rss=500.0, rerun=None, dag=None, failures=(), monthly=None):
    r = bench.SizeResult(bench.scale(factor))
    if run is not None:
        r.run = bench.Measure(run, rss, True)
    if monthly is not None:
        r.monthly = bench.Measure(monthly, rss, True)
    if rerun is not None:
        r.rerun = bench.Measure(rerun, 300.0, True)
    if dag is not None:
        r.dag = bench.Measure(dag, 700.0, True)
    r.failures = list(failures)
    return r


def _by_name(rows):
    return {t.name: t for t in rows}


def test_targets_met_and_missed_from_the_figures():
    rows = _by_name(bench.targets([
        _result(1, run=14.0, rerun=6.0, dag=18.0, monthly=16.0),
        _result(4, run=39.0, rss=1100.0),
        _result(16, run=150.0, rss=1500.0),
    ]))
    assert rows[FRESH].met is True
    assert rows[FRESH].measured == "14.0 s"
    assert rows[MONTHLY].met is False and rows[MONTHLY].measured == "16.0 s"
    dag = rows["default sample: whole DAG / CLI run"]
    assert dag.met is False and dag.measured.startswith("1.29x")
    assert rows["4x sample: `workforce run`"].met is True
    assert rows["4x sample: peak RSS"].met is False and rows["4x sample: peak RSS"].measured == "1100 MB"
    assert rows["16x sample: completes"].met is True
    ratio = rows["16x sample: peak RSS / 4x peak RSS"]
    assert ratio.met is True and ratio.measured.startswith("1.36x")
    assert rows["default sample: rerun with nothing new"].met is False


def test_targets_on_the_limit_are_met():
    rows = _by_name(bench.targets([
        _result(1, run=15.0, rerun=5.0, dag=18.75, monthly=15.0), _result(4, run=40.0, rss=1024.0),
        _result(16, run=1.0, rss=1536.0),
    ]))
    assert all(t.met is True for t in rows.values()), rows


def test_sizes_not_measured_say_so_and_meet_nothing():
    rows = bench.targets([_result(0.25, run=5.0, rerun=1.0, dag=6.0)])
    assert len(rows) == 8
    assert all(t.met is None for t in rows)
    assert all("not in --sizes" in t.measured for t in rows)
    assert "not measured" in bench.targets_table(rows)


def test_a_failed_size_is_reported_as_failed():
    rows = _by_name(bench.targets([_result(1, run=10.0, rerun=2.0), _result(16, failures=["step extract failed"])]))
    assert rows["16x sample: completes"].met is False
    assert "step extract failed" in rows["16x sample: completes"].measured
    assert rows["16x sample: peak RSS / 4x peak RSS"].met is None
    assert rows["default sample: whole DAG / CLI run"].measured == "not measured (1x not in --dag-sizes)"


def test_the_targets_table_is_markdown():
    table = bench.targets_table(bench.targets([_result(1, run=10.0, rerun=2.0, dag=11.0)]))
    lines = table.splitlines()
    assert lines[0] == "| target | limit | measured | met |"
    assert lines[1] == "|---|---|---|---|"
    assert len(lines) == 2 + 8
    assert f"| {FRESH} | <= 15 s | 10.0 s | yes |" in lines


def test_mb_per_s_only_where_something_was_read():
    assert bench.Measure(2.0, 100.0, True, input_mb=10.0).mb_per_s == 5.0
    assert bench.Measure(2.0, 100.0, True, input_mb=0.0).mb_per_s is None
    assert bench.Measure(2.0, 100.0, True).mb_per_s is None
    assert bench.Measure(2.0, 100.0, False, input_mb=10.0).mb_per_s is None


def test_the_size_table_has_a_row_per_phase():
    r = _result(1, run=10.0, rerun=2.0, dag=12.0)
    r.steps = {s: bench.Measure(1.0, 200.0, True, input_mb=50.0 if s == "extract" else None) for s in bench.STEPS}
    table = bench.size_table(r)
    assert "| extract | 1.0 | 50.0 | 50.0 | 200 |" in table
    assert "| transform | 1.0 | - | - | 200 |" in table
    assert "| 4 steps, one process each | 4.0 |" in table
    assert "1.20x the CLI run" in table


def test_month_end_is_the_last_day_of_the_month():
    assert [bench.month_end(m) for m in ("2026-09", "2026-02", "2024-02", "2026-12")] == [
        date(2026, 9, 30), date(2026, 2, 28), date(2024, 2, 29), date(2026, 12, 31)]
