"""The GX speed-ups change how fast a suite runs, never what it finds.

``gx_speedups`` replaces three GX methods, and ``runner._gx_frame`` hands GX dates in
nanoseconds: each is compared here with GX's own behaviour, on every expectation of every suite
and on data that fails checks.
"""

from __future__ import annotations

from dataclasses import asdict

import pandas as pd
import pytest
from test_quality import EXPECTATIONS, PUBLISHED_BREAKS, ROWS, published_frame, raw_frame
from workforce.quality import gx_speedups, runner, suites


def _outcome(result) -> list[dict]:
    return [{k: v for k, v in asdict(c).items() if k != "validated_at"} for c in result.results]


@pytest.fixture
def without_speedups():
    """Run with GX's own methods; the speed-ups are back afterwards."""
    runner._batch_definition()
    gx_speedups.uninstall()
    try:
        yield
    finally:
        gx_speedups.install()


def test_the_speedups_give_gx_s_own_kwargs_for_every_expectation_of_every_suite():
    runner._batch_definition()
    assert gx_speedups.ORIGINALS, "not installed on the pinned GX version"
    original = gx_speedups.ORIGINALS
    runtime_configurations = [None, {}, {"result_format": runner._RESULT_FORMAT}, {"catch_exceptions": True}]
    checked = 0
    for name in suites.list_suites(EXPECTATIONS):
        for expectation in runner._gx_suite(suites.load_suite(EXPECTATIONS, name)).expectations:
            assert expectation._get_domain_kwargs() == original["_get_domain_kwargs"](expectation)
            assert expectation._get_success_kwargs() == original["_get_success_kwargs"](expectation)
            for rc in runtime_configurations:
                assert expectation._get_runtime_kwargs(rc) == original["_get_runtime_kwargs"](expectation, rc)
            checked += 1
    assert checked > 400


def test_the_speedups_are_not_applied_to_an_unchecked_gx_version(monkeypatch, without_speedups):
    import great_expectations as gx
    from great_expectations.expectations.expectation import Expectation

    before = Expectation._get_runtime_kwargs
    monkeypatch.setattr(gx, "__version__", "0.0.1")
    assert gx_speedups.install() is False
    assert Expectation._get_runtime_kwargs is before and not gx_speedups.ORIGINALS


def _broken_inputs():
    """Raw and published frames that fail checks of every kind the suites hold."""
    workers = raw_frame("hr_workers", ROWS["hr_workers"])
    workers.loc[0, "spell_start_date"] = pd.Timestamp("1900-01-01")  # between, on a date
    workers.loc[1, "employee_key"] = "E0042"  # regex
    workers.loc[2, "fte"] = -1.0
    involvements = raw_frame("ssd_involvements", ROWS["ssd_involvements"])
    start, end = "invo_involvement_start_date", "invo_involvement_end_date"
    involvements.loc[0, end] = involvements.loc[0, start] - pd.Timedelta(days=3)  # pair a > b
    involvements.loc[1, start] = pd.Timestamp("1949-12-31")
    published = published_frame(months=2)
    for case in ("caseload over 60", "rate and status both set", "month_end not a month end", "negative count"):
        PUBLISHED_BREAKS[case][0](published)
    return [
        (workers, "raw_hr_workers"),
        (involvements, "raw_ssd_involvements"),
        (published, suites.PUBLISHED_SUITE),
    ]


@pytest.mark.pipeline
def test_validation_results_are_the_same_with_and_without_the_speedups(request):
    fast = [_outcome(runner.validate_dataframe(df, suite, EXPECTATIONS, "data")) for df, suite in _broken_inputs()]
    request.getfixturevalue("without_speedups")
    slow = [_outcome(runner.validate_dataframe(df, suite, EXPECTATIONS, "data")) for df, suite in _broken_inputs()]
    assert fast == slow
    failed = [c["expectation"] for outcome in fast for c in outcome if not c["success"]]
    assert {"expect_column_values_to_be_between", "expect_column_values_to_match_regex",
            "expect_column_pair_values_a_to_be_greater_than_b", "is_month_end", "value_null_iff_status"} <= set(failed)


@pytest.mark.pipeline
def test_dates_in_nanoseconds_give_the_same_results_as_gx_on_the_warehouse_s_dates(monkeypatch):
    inputs = _broken_inputs()[:2]
    involvements = inputs[1][0]
    involvements.loc[2, "invo_involvement_end_date"] = pd.Timestamp("9999-12-31")  # beyond nanoseconds
    assert str(involvements["invo_involvement_start_date"].dtype) == "datetime64[us]"
    frame = runner._gx_frame(involvements)
    assert str(frame["invo_involvement_start_date"].dtype) == "datetime64[ns]"
    assert str(frame["invo_involvement_end_date"].dtype) == "datetime64[us]"  # 9999-12-31 keeps its unit
    converted = [_outcome(runner.validate_dataframe(df, suite, EXPECTATIONS, "data")) for df, suite in inputs]
    monkeypatch.setattr(runner, "_gx_frame", lambda df: df)
    as_stored = [_outcome(runner.validate_dataframe(df, suite, EXPECTATIONS, "data")) for df, suite in inputs]
    assert converted == as_stored
    failed = [c["observed"] for outcome in converted for c in outcome if not c["success"]]
    assert failed and all("1900-01-01" not in o and "1949-12-31" not in o for o in failed)


